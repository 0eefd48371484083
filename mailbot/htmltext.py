"""HTML mail bodies as readable lines, with tables kept as tab-separated rows.

The format reader works on text lines and treats a line of TAB-separated cells as a table row,
so an HTML table (the seed's `项目 | 内容` table, an action table pasted from Word or Excel) must
come out as one line per row. Everything else (Word's `<o:p>`, `mso-` styles, spans nested ten
deep, `&nbsp;` indentation) only has to read the way a mail client shows it.

Why not `html.parser`: on this interpreter (CPython 3.11.7) it rescans its buffer for every
unfinished construct, which makes it quadratic on hostile mail. Measured: 1 MB of `<` took
1.7 s and `<a` repeated 500 000 times had not finished after 5 minutes. Mail bodies come from
anyone, so this module has its own small tokenizer that only moves forward: every search
starts where the last one stopped, and a failed search for `>` is remembered, so the total
work is linear in the input. It is deliberately lenient rather than a conforming HTML5
parser: a tag runs to the next `>` (quoted `>` inside attribute values are rare in mail), and
unknown or unbalanced tags are ignored.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from mailbot.inert import clean_text

# Elements whose content is never shown. Raw-text ones are skipped up to their end tag without
# tokenizing (a `<` inside a script is not a tag).
_RAW_SKIP = frozenset({"script", "style", "title", "textarea", "xmp", "template"})
# Word wraps its document settings in <xml> (usually inside a conditional comment, but not always).
_SKIP = frozenset({"xml"})
_BLOCK = frozenset(
    {
        "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "dt", "dd", "blockquote",
        "pre", "hr", "section", "article", "header", "footer", "address", "center", "form",
        "fieldset", "nav", "aside", "main", "figure", "figcaption", "caption", "body", "html",
        "tbody", "thead", "tfoot",
    }
)  # fmt: skip
_CELL = frozenset({"td", "th"})

# Limits that keep hostile nesting linear: deeper tables are read as plain cell text, cell
# text beyond the cap is dropped, and colspan cannot blow a row up.
MAX_TABLE_DEPTH = 8
MAX_CELL_CHARS = 20_000
MAX_COLSPAN = 32
MAX_LIST_DEPTH = 64

_COLSPAN = re.compile(r"""colspan\s*=\s*["']?\s*(\d{1,4})""", re.IGNORECASE)
_WS = re.compile(r"[ \t\r\n\f]+")
_ALL_WS = re.compile(r"\s+")  # includes NBSP: cells collapse everything
_BLANKS = re.compile(r"\n{3,}")


@dataclass
class _Table:
    rows: list[list[str]] = field(default_factory=list)
    row: list[str] | None = None
    cell: list[str] | None = None
    cell_len: int = 0
    pad: int = 0  # empty cells owed to the open cell's colspan

    def add_text(self, text: str) -> None:
        if self.cell is None:
            if not text.strip():
                return
            self.open_cell(1)
        assert self.cell is not None
        if self.cell_len < MAX_CELL_CHARS:
            piece = text[: MAX_CELL_CHARS - self.cell_len]
            self.cell.append(piece)
            self.cell_len += len(piece)

    def open_cell(self, colspan: int) -> None:
        self.close_cell()
        if self.row is None:
            self.row = []
        self.cell = []
        self.cell_len = 0
        # Empty placeholders keep later columns aligned with the header row.
        self.pad = colspan - 1

    def close_cell(self) -> None:
        if self.cell is not None and self.row is not None:
            self.row.append(_ALL_WS.sub(" ", "".join(self.cell)).strip())
            self.row.extend([""] * self.pad)
        self.cell = None

    def close_row(self) -> None:
        self.close_cell()
        if self.row is not None:
            self.rows.append(self.row)
        self.row = None


class _Renderer:
    """Collects lines; tables are buffered until they close, then emitted row by row."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.cur: list[str] = []
        self.tables: list[_Table] = []  # open tables, innermost last
        self.all_tables: list[_Table] = []  # in document order of their start tag
        self.skip = 0
        self.pre = 0
        self.ignored_tables = 0  # tables nested past MAX_TABLE_DEPTH, read as plain cell text
        self.lists: list[list[int]] = []  # per open list: [is_ordered, counter]

    # --- text ---
    def text(self, data: str) -> None:
        if self.skip or not data:
            return
        if self.tables:
            self.tables[-1].add_text(data)
            return
        if self.pre:
            parts = data.split("\n")
            for i, part in enumerate(parts):
                if i:
                    self.flush(force=True)
                if part:
                    self.cur.append(part)
            return
        data = _WS.sub(" ", data)
        # Whitespace at the start of a line is not shown (source newlines between tags);
        # NBSP is not in _WS, so `&nbsp;` indentation survives.
        if not self.cur or self.cur[-1].endswith(" "):
            data = data.lstrip(" ")
        if data:
            self.cur.append(data)

    def flush(self, force: bool = False) -> None:
        """End the current line. `force` (a <br>) emits it even when empty."""
        if self.cur or force:
            self.lines.append("".join(self.cur).replace("\xa0", " ").rstrip(" "))
        self.cur = []

    def soft_break(self) -> None:
        if self.tables:
            table = self.tables[-1]
            if table.cell is not None:
                table.add_text(" ")
            return
        self.flush()

    # --- tags ---
    def start(self, name: str, attrs: str) -> None:
        if name in _SKIP:
            self.skip += 1
            return
        if name == "br":
            if self.tables:
                self.soft_break()
            else:
                self.flush(force=True)
            return
        if name == "table":
            if len(self.tables) >= MAX_TABLE_DEPTH or self.ignored_tables:
                self.ignored_tables += 1
                self.soft_break()
                return
            if not self.tables:
                self.flush()
            table = _Table()
            self.tables.append(table)
            self.all_tables.append(table)
            return
        if self.tables and name in ("tr", "td", "th") and self.ignored_tables:
            self.soft_break()
            return
        if self.tables:
            table = self.tables[-1]
            if name == "tr":
                table.close_row()
                return
            if name in _CELL:
                match = _COLSPAN.search(attrs[:2000])
                span = min(int(match.group(1)), MAX_COLSPAN) if match else 1
                table.open_cell(max(span, 1))
                return
        if name == "li":
            self.soft_break()
            if self.lists:
                marker = self.lists[-1]
                marker[1] += 1
                self.text(f"{marker[1]}. " if marker[0] else "- ")
            else:
                self.text("- ")
            return
        if name in ("ul", "ol"):
            self.soft_break()
            if len(self.lists) < MAX_LIST_DEPTH:
                self.lists.append([name == "ol", 0])
            return
        if name == "pre":
            self.soft_break()
            self.pre += 1
            return
        if name in _BLOCK:
            self.soft_break()

    def end(self, name: str) -> None:
        if name in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if name == "table":
            if self.ignored_tables:
                self.ignored_tables -= 1
                self.soft_break()
                return
            if not self.tables:
                return
            table = self.tables.pop()
            table.close_row()
            rendered = ["\t".join(row) for row in table.rows if any(row)]
            if self.tables:
                # A table inside a cell: its text becomes part of that cell.
                self.tables[-1].add_text(" " + " ".join(r.replace("\t", " ") for r in rendered) + " ")
            else:
                self.flush()
                self.lines.extend(rendered)
            return
        if self.tables and not self.ignored_tables:
            table = self.tables[-1]
            if name == "tr":
                table.close_row()
                return
            if name in _CELL:
                table.close_cell()
                return
        if name in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self.soft_break()
            return
        if name == "pre":
            self.pre = max(0, self.pre - 1)
            self.flush()
            return
        if name in _BLOCK or name == "li":
            self.soft_break()

    def finish(self) -> None:
        while self.tables:
            self.end("table")
        self.flush()


# One token per match: a comment opener (its end is searched separately), a declaration or
# processing instruction, or a start/end tag. `[^>]*` may run across stray `<`, which is what
# keeps this linear: a match can only fail where no `>` follows, and the search never looks
# past the last `>` of the document.
_RAW_END = {name: re.compile("</" + name, re.IGNORECASE) for name in _RAW_SKIP}
_TOKEN = re.compile(r"<!--|<[!?][^>]*>|<(/?)([A-Za-z][A-Za-z0-9:_-]{0,63})([^>]*)>")


def _run(markup: str) -> _Renderer:
    """Tokenize `markup` in one forward pass and feed the renderer."""
    out = _Renderer()
    limit = markup.rfind(">") + 1  # no tag can end after this
    pos = 0
    while True:
        match = _TOKEN.search(markup, pos, limit) if pos < limit else None
        if match is None:
            out.text(html.unescape(markup[pos:]))
            break
        if match.start() > pos:
            out.text(html.unescape(markup[pos : match.start()]))
        pos = match.end()
        name = match.group(2)
        if name is None:
            if match.group(0) == "<!--":
                close = markup.find("-->", pos)
                if close == -1:
                    break  # an unclosed comment hides the rest, as in a browser
                pos = close + 3
            continue  # declarations, <?xml?>, Word's <![if !supportLists]> / <![endif]>
        name = name.lower()
        attrs = match.group(3)
        if match.group(1):
            out.end(name)
            continue
        if name in _RAW_SKIP:
            close_match = _RAW_END[name].search(markup, pos)
            if close_match is None:
                break
            gt = markup.find(">", close_match.end())
            pos = len(markup) if gt == -1 else gt + 1
            continue
        out.start(name, attrs)
        if attrs.endswith("/") and name not in ("br", "hr"):
            out.end(name)  # <o:p/>, <div/>: a self-closed element
    out.finish()
    return out


@dataclass(frozen=True)
class HtmlReading:
    """Both readings of one HTML body from one tokenizer pass: `text` as html_to_text gives it,
    `tables` as html_tables does (as tuples: a reading is shared; `table_lists` gives copies)."""

    text: str
    tables: tuple[tuple[tuple[str, ...], ...], ...]

    def table_lists(self) -> list[list[list[str]]]:
        return [[list(row) for row in table] for table in self.tables]


def read_html(markup: str) -> HtmlReading:
    """The text and the tables of `markup` in one pass: a mail's body is wanted both ways (its
    text to read, the format reader's tables), and the pass is the cost."""
    out = _run(markup)
    return HtmlReading(_text_of(out), tuple(tuple(tuple(row) for row in table) for table in _tables_of(out)))


def _text_of(out: _Renderer) -> str:
    # Entities are decoded here ("&#x202E;"): bidi and invisible characters go after decoding.
    text = clean_text("\n".join(out.lines))
    return _BLANKS.sub("\n\n", text).strip("\n")


def _tables_of(out: _Renderer) -> list[list[list[str]]]:
    return [[[clean_text(cell) for cell in row] for row in table.rows] for table in out.all_tables]


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body; each table row is one line of TAB-joined cells.

    Cells have their inner whitespace (newlines, NBSP, <br>, <p>) collapsed to single spaces,
    so a row never spans two lines. Rows whose cells are all empty (Word's spacer rows) are
    dropped. Runs of blank lines shrink to one.
    """
    return _text_of(_run(markup))


def html_tables(markup: str) -> list[list[list[str]]]:
    """Every table in the body (in order of their start tags) as rows of cell texts.

    Nested tables appear both as text inside their outer cell and as tables of their own;
    empty rows are kept here so callers can see the table's real shape.
    """
    return _tables_of(_run(markup))
