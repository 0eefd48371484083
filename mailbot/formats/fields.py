"""Meeting fields: `label: value` lines and the rows of the two-column 项目 | 内容 table.

Accepted forms of one field: `会议名称：…`, `- **Date:** 2024-09-02`, `| 会议名称 | … |`,
`会议名称<TAB>…` (Excel / Outlook), and a label alone on its line with the value on the next
non-blank line (Outlook's plain-text rendering of a Word table). The first occurrence wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mailbot.formats.lines import split_cells, split_colon, strip_marker, unbold
from mailbot.formats.vocabulary import Vocabulary, norm_label

# Keys whose value may continue over several lines (`参会人员：` then one department per line).
_MULTILINE = frozenset({"attendees", "absent", "goal"})
# Template text left in place: `例：…`, `YYYY年MM月DD日`, `HH:MM`, `(姓名+部门，例：…)`.
_TEMPLATE_VALUE = re.compile(r"^[(（]?例[:：]|YYYY|HH:MM|MM月DD日|[(（]姓名")


@dataclass(frozen=True)
class FieldValue:
    key: str
    value: str
    line: str  # the line (or table row) it was read from, for error messages

    @property
    def is_template(self) -> bool:
        return bool(_TEMPLATE_VALUE.search(self.value))


def _cell_pair(line: str, vocab: Vocabulary) -> tuple[str, str] | None:
    cells = split_cells(line)
    if not cells or len(cells) < 2:
        return None
    label = unbold(strip_marker(cells[0]).content)
    if vocab.fields.key_of(label) is None:
        return None
    return label, unbold(cells[1])


def parse_field_line(line: str, vocab: Vocabulary) -> tuple[str, str | None] | None:
    """(key, value) for a field line; value None when the label stands alone (value follows)."""
    content = strip_marker(line).content
    if not content:
        return None
    pair = split_colon(content)
    if pair is not None and "\t" not in pair[0] and "|" not in pair[0]:
        key = vocab.fields.key_of(pair[0])
        if key is not None:
            return key, pair[1] or None
    cells = _cell_pair(line, vocab)
    if cells is not None:
        key = vocab.fields.key_of(cells[0])
        if key is not None:
            return key, cells[1] or None
    if split_cells(line) is None and ":" not in content and "：" not in content:
        key = vocab.fields.key_of(content)
        if key is not None:
            return key, None
    return None


def _is_header_row(label_key: str, value: str, vocab: Vocabulary) -> bool:
    """The `项目 | 内容` header row: its "value" is a header word, never the project's name."""
    return label_key == "project" and norm_label(value) in vocab.table_header_values


class FieldCollector:
    """Collects fields from lines and table rows; the first value of each key wins."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab
        self.values: dict[str, FieldValue] = {}

    def _set(self, key: str, value: str, line: str) -> None:
        value = value.strip()
        if value and not _is_header_row(key, value, self.vocab):
            self.values.setdefault(key, FieldValue(key, value, line.strip()))

    def add_rows(self, rows: Iterable[Sequence[str]]) -> None:
        """Rows of a two-column table (HTML): `label | value`, header row skipped."""
        for row in rows:
            cells = [" ".join(c.split()) for c in row]
            if len(cells) < 2:
                continue
            key = self.vocab.fields.key_of(strip_marker(cells[0]).content)
            if key is not None:
                self._set(key, cells[1], " | ".join(c for c in cells if c))

    def add_lines(
        self,
        lines: Sequence[str],
        *,
        skip: set[int] | frozenset[int] = frozenset(),
        pending_ok: bool = True,
        only: frozenset[str] | None = None,
    ) -> set[int]:
        """Read field lines; returns the indices consumed, so other readers can ignore them.

        `only` limits the keys read: inside an action block, `Date: Sep 15` is not the meeting's date.
        """
        used: set[int] = set()
        pending: tuple[str, str, list[str], list[int]] | None = None  # key, label line, values, indices

        def flush() -> None:
            nonlocal pending
            if pending is not None:
                key, label_line, values, indices = pending
                if values:
                    joiner = "；" if key in _MULTILINE else " "
                    self._set(key, joiner.join(values), f"{label_line} {values[0]}".strip())
                    used.update(indices)
                pending = None

        for index, line in enumerate(lines):
            if index in skip:
                flush()
                continue
            if not line.strip():
                if pending is not None and pending[2]:
                    flush()
                continue
            parsed = parse_field_line(line, self.vocab)
            if parsed is not None and only is not None and parsed[0] not in only:
                parsed = None
            if parsed is not None:
                flush()
                key, value = parsed
                used.add(index)
                if value is not None:
                    self._set(key, value, line)
                elif pending_ok:
                    pending = (key, line.strip(), [], [index])
                continue
            if pending is not None:
                key, _, values, indices = pending
                text = line.strip()
                if not values and _is_header_row(key, text, self.vocab):
                    used.update([*indices, index])
                    pending = None
                    continue
                values.append(text)
                indices.append(index)
                if key not in _MULTILINE:
                    flush()
        flush()
        return used
