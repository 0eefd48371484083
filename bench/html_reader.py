"""HTML reader measurement (issue 15): mailbot/htmltext.py beside selectolax (Lexbor) and lxml.html.

What is timed, per input, median of 5 (each sample repeats the call until it takes 20 ms; a call
over 3 s is timed once, marked `*`):
- htmltext: `html_to_text`, the project's own forward-only tokenizer and renderer (the format
  reader calls it and `html_tables`, i.e. two such passes per HTML body);
- lexbor / lxml `parse`: building the tree only (`selectolax.lexbor.LexborHTMLParser`,
  `lxml.html.document_fromstring`);
- lexbor / lxml `text`: parse plus a walk of the tree that feeds the start tags, end tags and
  text nodes to htmltext's own renderer (mailbot.htmltext._Renderer, a private class, used so that
  only the tokenizer differs: tables come out as TAB-joined rows, <br> and blocks as line breaks).
  The walks are iterative, so depth cannot overflow Python's stack.

Inputs (sizes in UTF-8 bytes, 1 KB = 1,000 bytes, so 1 MB / 100 KB = 10):
1. Word/Outlook HTML as Chinese users send it, at 10 KB, 100 KB and 1 MB: the HTML part of
   tests/mails/outlook_zh_minutes_gbk_html.eml and the Word-style HTML of bench/ingest.py's
   `chinese_html`, both decoded as the project decodes them (InboundMail.from_bytes), scaled by
   repeating the content of their <div class=WordSection1> (cut at a tag end to hit the size).
2. Hostile inputs at 100 KB and 1 MB, each between `<p>before</p>` and `<p>END-MARKER</p>`:
   unclosed `<a ` repeated, `<div>` nested (20,000 / 200,000 deep), one `<!--` never closed,
   long unquoted attribute values (16,000 characters each), a `&#` entity flood (valid, invalid,
   unterminated and out-of-range references), and `<table><tr><td>x` repeated without end tags.
   For each parser: time, whether 1 MB / 100 KB is about 10 (linear), the text length, and
   whether END-MARKER is still in the text (it should be, except after the unclosed comment).
3. Depth scaling of nested `<div>` at 12,500 / 25,000 / 50,000 deep.
4. The text each gives, as unified diffs against htmltext and the tables (rows of cells)
   compared: the two Word HTML mails at full size, a snippet with <br> in and out of cells,
   entities, lists, colspan and Word's conditional comments, a snippet of malformed tables
   (stray text in <table>, orphan cells, nesting), and every HTML body in tests/mails; plus what
   the libraries' own text extraction (selectolax `.text()`, lxml `text_content()`) gives from
   the first table cell on.

A full run takes about 4 minutes on this 2-core machine, almost 2 of them in Lexbor's one parse
of the 1 MB nested <div> (about 100 s); --skip-slow leaves that parse out.

    .venv/bin/pip install -r bench/requirements.txt    # selectolax, lxml (benchmark-only)
    .venv/bin/python bench/html_reader.py
    .venv/bin/python bench/html_reader.py --skip-slow  # skip the 1 MB nested <div> for Lexbor

Prints figures only; nothing is asserted about time.
"""

from __future__ import annotations

import argparse
import difflib
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import lxml.etree
import lxml.html
import selectolax
from selectolax.lexbor import LexborHTMLParser, LexborNode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import chinese_html

from mailbot.htmltext import _BLANKS, _RAW_SKIP, _Renderer, html_tables, html_to_text
from mailbot.inert import clean_text
from mailbot.message import InboundMail

ROOT = Path(__file__).resolve().parent.parent
OUTLOOK_FIXTURE = ROOT / "tests" / "mails" / "outlook_zh_minutes_gbk_html.eml"
KB = 1_000
MB = 1_000_000
SLOW = 3.0  # seconds: a call slower than this is timed once
SAMPLE = 0.02  # seconds: one sample repeats the call at least this long
MARKER = "END-MARKER"
PREFIX = "<p>before</p>"
SUFFIX = f"<p>{MARKER}</p>"

Tables = list[list[list[str]]]


# --- the text walks: tree events into htmltext's renderer ---


def _finish(out: _Renderer) -> tuple[str, Tables]:
    """What html_to_text and html_tables do with the renderer's result."""
    out.finish()
    text = _BLANKS.sub("\n\n", clean_text("\n".join(out.lines))).strip("\n")
    tables = [[[clean_text(cell) for cell in row] for row in table.rows] for table in out.all_tables]
    return text, tables


def _colspan(value: str | None) -> str:
    return f'colspan="{value}"' if value else ""


def lexbor_parse(markup: str) -> LexborHTMLParser:
    return LexborHTMLParser(markup)


def lexbor_walk(tree: LexborHTMLParser) -> tuple[str, Tables]:
    out = _Renderer()
    root = tree.root
    node: LexborNode | None = root
    stack: list[LexborNode] = []  # open elements whose children are being walked
    while node is not None:
        tag = node.tag or ""
        if tag == "-text":
            out.text(node.text_content or "")
        elif node.is_element_node and tag not in _RAW_SKIP:
            attrs = _colspan(node.attributes.get("colspan")) if tag in ("td", "th") else ""
            out.start(tag, attrs)
            child = node.child
            if child is not None:
                stack.append(node)
                node = child
                continue
            out.end(tag)
        # Next sibling, closing every element whose last child this was.
        while node is not None and node.next is None:
            node = stack.pop() if stack else None
            if node is not None:
                out.end(node.tag or "")
        node = node.next if node is not None and (stack or node is not root) else None
    return _finish(out)


def lexbor_text(markup: str) -> tuple[str, Tables]:
    return lexbor_walk(lexbor_parse(markup))


LXML_PARSER = lxml.html.HTMLParser()  # lxml.html's defaults; kept to read its error log


def lxml_parse(markup: str) -> Any:
    return lxml.html.document_fromstring(markup, parser=LXML_PARSER)


def lxml_fatal() -> str:
    """The last fatal error of the last lxml parse ('' if none): libxml2 stops reading there."""
    fatal = [entry for entry in LXML_PARSER.error_log if entry.level_name == "FATAL"]
    return fatal[-1].message if fatal else ""


def lxml_walk(root: Any) -> tuple[str, Tables]:
    out = _Renderer()
    skipping = 0  # depth inside a raw-text element (script, style, title ...)
    for event, element in lxml.etree.iterwalk(root, events=("start", "end", "comment", "pi")):
        if event in ("comment", "pi"):  # only its tail is text (iterwalk gives no start/end for them)
            if not skipping and element.tail:
                out.text(element.tail)
            continue
        tag = element.tag
        name = tag.lower()
        if event == "start":
            if skipping or name in _RAW_SKIP:
                skipping += 1
                continue
            out.start(name, _colspan(element.get("colspan")) if name in ("td", "th") else "")
            if element.text:
                out.text(element.text)
        else:
            if skipping:
                skipping -= 1
                if skipping:
                    continue
            else:
                out.end(name)
            if element.tail:
                out.text(element.tail)
    return _finish(out)


def lxml_text(markup: str) -> tuple[str, Tables]:
    return lxml_walk(lxml_parse(markup))


def htmltext_text(markup: str) -> tuple[str, Tables]:
    return html_to_text(markup), html_tables(markup)


# --- inputs ---


def html_of(raw: bytes) -> str:
    """The HTML body as the project decodes it."""
    return InboundMail.from_bytes(raw).html


def word_parts(markup: str) -> tuple[str, str, str]:
    """(head, content of <div class=WordSection1>, tail) of a Word/Outlook HTML body."""
    start = markup.index(">", markup.index("<div class=WordSection1")) + 1
    end = markup.rindex("</div>")
    return markup[:start], markup[start:end], markup[end:]


def scaled(markup: str, size: int) -> str:
    """The Word body with its section content repeated, cut at a tag end, to `size` bytes."""
    head, unit, tail = word_parts(markup)
    parts = [head]
    used = len(head.encode()) + len(tail.encode())
    unit_bytes = len(unit.encode())
    while used + unit_bytes <= size:
        parts.append(unit)
        used += unit_bytes
    piece = unit.encode()[: size - used].decode("utf-8", "ignore")
    parts.append(piece[: piece.rfind(">") + 1])
    parts.append(tail)
    return "".join(parts)


def filled(unit: str, size: int) -> str:
    count = max(1, (size - len(PREFIX) - len(SUFFIX)) // len(unit))
    return PREFIX + unit * count + SUFFIX


HOSTILE: dict[str, Callable[[int], str]] = {
    "unclosed <a  repeated": lambda size: filled("<a ", size),
    "nested <div>": lambda size: filled("<div>", size),
    "<!-- never closed": lambda size: PREFIX + "<!--" + "<p>x</p> " * ((size - 40) // 9) + SUFFIX,
    "long unquoted attributes": lambda size: filled("<span title=" + "x" * 16_000 + " class=y>t</span>", size),
    "&# entity flood": lambda size: filled("&#38;&#x26&#9999999;&#&amp;&nbsp", size),
    "<table><tr><td> unclosed": lambda size: filled("<table><tr><td>x", size),
}


def size_label(size: int) -> str:
    return f"{size // MB} MB" if size >= MB else f"{size // KB} KB"


# --- timing ---


@dataclass
class Timing:
    seconds: float
    runs: int  # 5 (median of 5) or 1 (slow: timed once)

    def __str__(self) -> str:
        mark = "*" if self.runs == 1 else " "
        if self.seconds >= 1:
            return f"{self.seconds:8.2f} s{mark}"
        return f"{self.seconds * 1000:7.2f} ms{mark}"


def timed(call: Callable[[], Any]) -> tuple[Timing, Any]:
    """Median of 5 samples of `call` (per call), and its last result."""
    started = time.perf_counter()
    result = call()
    first = time.perf_counter() - started
    if first > SLOW:
        return Timing(first, 1), result
    number = max(1, int(SAMPLE / max(first, 1e-7)))
    samples = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(number):
            result = call()
        samples.append((time.perf_counter() - started) / number)
    return Timing(statistics.median(samples), 5), result


@dataclass
class Row:
    """One input's timings: htmltext, lexbor parse and text, lxml parse and text, and texts."""

    times: dict[str, Timing | None]
    texts: dict[str, str | None]  # None: not run
    tree_texts: dict[str, str | None]  # the library's own text of the whole tree
    lxml_error: str = ""


COLUMNS = ("htmltext", "lexbor parse", "lexbor text", "lxml parse", "lxml text")


def tree_text(name: str, tree: Any) -> str:
    if name == "lexbor":
        return tree.body.text() if tree.body is not None else ""
    return str(tree.text_content())


def measure(markup: str, skip_lexbor: bool = False) -> Row:
    times: dict[str, Timing | None] = {}
    texts: dict[str, str | None] = {}
    tree_texts: dict[str, str | None] = {}
    times["htmltext"], texts["htmltext"] = timed(lambda: html_to_text(markup))
    parsers: list[tuple[str, Callable[[str], Any], Callable[[Any], tuple[str, Tables]]]] = [
        ("lexbor", lexbor_parse, lexbor_walk),
        ("lxml", lxml_parse, lxml_walk),
    ]
    lxml_error = ""
    for name, parse, walk in parsers:
        if name == "lexbor" and skip_lexbor:
            times[f"{name} parse"] = times[f"{name} text"] = None
            texts[name] = tree_texts[name] = None
            continue
        parse_time, tree = timed(partial(parse, markup))
        if name == "lxml":
            lxml_error = lxml_fatal()
        walk_time, (text, _) = timed(partial(walk, tree))
        times[f"{name} parse"] = parse_time
        times[f"{name} text"] = Timing(parse_time.seconds + walk_time.seconds, min(parse_time.runs, walk_time.runs))
        texts[name] = text
        tree_texts[name] = tree_text(name, tree)
    return Row(times, texts, tree_texts, lxml_error)


def survival(row: Row) -> str:
    """Text length and END-MARKER kept or lost: htmltext; lexbor and lxml through the walk and in the tree."""

    def one(text: str | None) -> str:
        return "skipped" if text is None else f"{len(text):>6} {'kept' if MARKER in text else 'LOST'}"

    parts = [f"htmltext {one(row.texts['htmltext'])}"]
    for name in ("lexbor", "lxml"):
        parts.append(f"{name} walk {one(row.texts[name])}, tree {one(row.tree_texts[name])}")
    line = " | ".join(parts)
    return f"{line} | lxml: {row.lxml_error}" if row.lxml_error else line


def cell(timing: Timing | None) -> str:
    return f"{'skipped':>13}" if timing is None else f"{timing!s:>13}"


def growth(small: Timing | None, large: Timing | None) -> str:
    if small is None or large is None:
        return f"{'-':>13}"
    return f"{large.seconds / small.seconds:12.1f}x"


def print_header(title: str) -> None:
    print()
    print(title)
    print(f"{'input':<28}{'size':>7}" + "".join(f"{c:>13}" for c in COLUMNS))


def print_rows(name: str, sizes: list[int], rows: list[Row]) -> None:
    for size, row in zip(sizes, rows, strict=True):
        print(f"{name:<28}{size_label(size):>7}" + "".join(cell(row.times[c]) for c in COLUMNS))
    if len(rows) >= 2:
        ratio = f"  growth {size_label(sizes[-1])} / {size_label(sizes[-2])}"
        print(f"{ratio:<35}" + "".join(growth(rows[-2].times[c], rows[-1].times[c]) for c in COLUMNS))


# --- text comparison ---


def builtin_texts(markup: str) -> dict[str, str]:
    """What the libraries give out of the box."""
    tree = LexborHTMLParser(markup)
    body = tree.body
    return {
        "selectolax body.text()": body.text() if body else "",
        "selectolax body.text(separator='\\n', strip=True)": body.text(separator="\n", strip=True) if body else "",
        "lxml text_content()": lxml.html.document_fromstring(markup).text_content(),
    }


def compare_texts(name: str, markup: str) -> None:
    print()
    print(f"=== text of {name} ({len(markup.encode()) / KB:.1f} KB) ===")
    reference, reference_tables = htmltext_text(markup)
    print("--- htmltext.html_to_text ---")
    print(reference)
    for parser, function in (("lexbor", lexbor_text), ("lxml", lxml_text)):
        text, tables = function(markup)
        same_tables = "same" if tables == reference_tables else "DIFFERENT"
        diff = list(
            difflib.unified_diff(
                reference.splitlines(), text.splitlines(), "htmltext", f"{parser} walk", lineterm="", n=0
            )
        )
        print(
            f"--- {parser} walk + htmltext renderer: {len(text)} chars vs {len(reference)}; "
            f"html_tables {same_tables} ({len(tables)} tables vs {len(reference_tables)}); "
            f"{'identical text' if not diff else 'diff:'}"
        )
        for line in diff:
            print("   ", line)
        if tables != reference_tables:
            for index, (ours, theirs) in enumerate(zip(reference_tables, tables, strict=False)):
                for row_ours, row_theirs in zip(ours, theirs, strict=False):
                    if row_ours != row_theirs:
                        print(f"    table {index}: htmltext {row_ours!r}")
                        print(f"    table {index}: {parser:<8} {row_theirs!r}")
    first_cell = next((c for t in reference_tables for r in t for c in r if c), "")
    for label, text in builtin_texts(markup).items():
        at = max(text.find(first_cell), 0) if first_cell else 0
        print(f"--- {label}: {len(text)} chars; from the first table cell on: {text[at : at + 160]!r}")


# <br> inside and outside cells, &nbsp; &lt; &gt; &amp; and numeric references, lists, colspan, an
# empty spacer row, a script, Word's conditional comments and <![if !supportLists]>.
FEATURES = (
    "<html><head><title>t</title><style><!-- p {margin:0} --></style></head><body>"
    "<div>Hi&nbsp;all,</div><div><br></div><div>line<br>next</div><script>alert('<div>x</div>')</script>"
    "<ul><li>one</li><li>two</li></ul><ol><li>first<li>second</ol>"
    "<!--[if gte mso 9]><xml><o:x>hidden</o:x></xml><![endif]-->"
    "<p class=MsoListParagraph><![if !supportLists]><span>1.<span>&nbsp;&nbsp; </span></span><![endif]>item</p>"
    "<p>&nbsp;&nbsp;indented &amp; kept &#x4E2D;&#25991; &#x202E;rlo</p>"
    "<table border=1><tr><td>序号</td><td>任务<br>描述</td><td colspan=2>负责人</td></tr>"
    "<tr><td>1</td><td>输出&nbsp;&nbsp;方案<br/>初稿</td><td>张伟 &lt;zhang.wei@corp.example&gt;</td><td>x</td></tr>"
    "<tr><td></td><td></td></tr><tr><td>2<td>no end tags<td>李娜</table>"
    "<p>after</p></body></html>"
)

# Table markup that HTML5 tree construction rearranges: text and a <p> directly inside <table> are
# "foster-parented" to before the table; cells outside a table; a table in a cell; implied end tags.
MALFORMED_TABLES = (
    "<p>before</p><table>stray text<tr><td>a</td><td>b</td></tr><p>para in table</p>"
    "<tr><td>c<table><tr><td>inner1</td><td>inner2</td></tr></table></td><td>d</td></tr></table>"
    "<td>orphan cell</td><td>orphan 2</td><tr><td>orphan row</td></tr><p>end</p>"
    "<table><tr><th>h1<th>h2<tr><td>1<td>2</table>"
    "<table><caption>cap</caption><tr><td>x</td></tr><tfoot><tr><td>foot</td></tr></tfoot>"
    "<tbody><tr><td>body</td></tr></tbody></table>"
)


def compare_fixtures() -> None:
    """Every mail in tests/mails with an HTML body: same text and tables from all three?"""
    print()
    print("=== every HTML body in tests/mails: lexbor and lxml walks against htmltext ===")
    for path in sorted((ROOT / "tests" / "mails").rglob("*.eml")):
        markup = html_of(path.read_bytes())
        if not markup.strip():
            continue
        reference = htmltext_text(markup)
        verdicts = []
        for parser, function in (("lexbor", lexbor_text), ("lxml", lxml_text)):
            text, tables = function(markup)
            same_text = "text same" if text == reference[0] else "text DIFFERS"
            same_tables = "tables same" if tables == reference[1] else "tables DIFFER"
            verdicts.append(f"{parser}: {same_text}, {same_tables}")
        print(f"{path.relative_to(ROOT)!s:<52} {len(markup):>6} chars  " + "; ".join(verdicts))


# --- main ---


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-slow", action="store_true", help="skip Lexbor on the 1 MB nested <div> (~100 s)")
    args = parser.parse_args()

    print(
        f"Python {sys.version.split()[0]}; selectolax {selectolax.__version__} (Lexbor); lxml "
        f"{'.'.join(map(str, lxml.etree.LXML_VERSION[:3]))} (libxml2 {'.'.join(map(str, lxml.etree.LIBXML_VERSION))})"
    )
    print("times per call, median of 5 (* = one run, over 3 s); 'text' = parse + walk into htmltext's renderer")
    print(
        f"load average at start {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (other work on the machine skews times)"
    )

    outlook = html_of(OUTLOOK_FIXTURE.read_bytes())
    generated = html_of(chinese_html(0))
    word_sizes = [10 * KB, 100 * KB, MB]
    print_header("Word/Outlook HTML (Chinese)")
    for name, markup in (("Outlook fixture (zh, GBK)", outlook), ("ingest.py chinese_html", generated)):
        print_rows(name, word_sizes, [measure(scaled(markup, size)) for size in word_sizes])

    hostile_sizes = [100 * KB, MB]
    print_header("Hostile input")
    robustness: list[str] = []
    for name, make in HOSTILE.items():
        rows = []
        for size in hostile_sizes:
            slow = args.skip_slow and name == "nested <div>" and size == MB
            row = measure(make(size), skip_lexbor=slow)
            rows.append(row)
            robustness.append(f"{name:<28}{size_label(size):>7}  {survival(row)}")
        print_rows(name, hostile_sizes, rows)

    print()
    print(
        f"Text length (chars) and whether {MARKER}, the last paragraph, is in the text (it should be, except "
        "after the unclosed comment). 'walk' = through htmltext's renderer (its caps apply: 8 nested tables, "
        "20,000 characters a cell); 'tree' = selectolax body.text() / lxml text_content()"
    )
    for line in robustness:
        print(line)

    print()
    print("Nested <div> by depth (the HTML5 'p in button scope' check walks the open elements)")
    print(f"{'depth':>8}" + "".join(f"{c:>13}" for c in COLUMNS))
    for depth in (12_500, 25_000, 50_000):
        row = measure(PREFIX + "<div>" * depth + SUFFIX)
        print(f"{depth:>8,}" + "".join(cell(row.times[c]) for c in COLUMNS))

    compare_texts("tests/mails/outlook_zh_minutes_gbk_html.eml", outlook)
    compare_texts("bench/ingest.py chinese_html(0)", generated)
    compare_texts("a snippet with <br> in cells, entities, lists, colspan, script and Word comments", FEATURES)
    compare_texts("malformed tables (stray text and <p> in <table>, orphan cells, nesting)", MALFORMED_TABLES)
    compare_fixtures()


if __name__ == "__main__":
    main()
