"""Tables as people paste them: HTML cells, markdown pipes, TAB-separated (Excel), or one cell per
line (Outlook's plain-text rendering of a Word table). A table is recognised by its header row,
whose cells are column labels from the vocabulary; column order is free.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from mailbot.formats.lines import is_rule_row, split_cells
from mailbot.formats.vocabulary import LabelTable, norm_label

_TRAILING_PAREN = re.compile(r"[(（][^()（）]{0,60}[)）]\s*$")
# A row number cell in a table pasted one cell per line: 1, 12, 1.1, A-3.
_ROW_NUMBER = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3}){0,2}|[A-Za-z]{1,3}-?\d{1,4})[.、]?$")
_MIN_FLAT_HEADER = 3


@dataclass(frozen=True)
class TableSpec:
    """Which columns make a table of one kind: `required` must be among at least `min_known`."""

    kind: str
    columns: LabelTable
    required: str
    min_known: int = 2


@dataclass
class Table:
    kind: str
    columns: dict[int, str]  # column index -> key
    rows: list[list[str]] = field(default_factory=list)
    lines: set[int] = field(default_factory=set)  # indices of the text lines it came from

    def record(self, row: Sequence[str]) -> dict[str, str]:
        """A row as key -> cell text (whitespace collapsed; missing cells are "")."""
        out: dict[str, str] = {}
        for index, key in self.columns.items():
            cell = row[index] if index < len(row) else ""
            out[key] = " ".join(cell.split())
        return out


def clean_cell(cell: str) -> str:
    return " ".join(cell.split())


def column_key(cell: str, columns: LabelTable) -> str | None:
    """The key a header cell names; `讨论内容（关键观点、分歧点、共识结论）` counts as 讨论内容."""
    return _key_of(_label_forms(cell), columns)


# Every cell of every row is tried as a header cell, and a table's cells repeat (owners,
# departments, dates, the header itself in every draft): a short cell's forms are made once per
# process. A longer one (a task description) is made each time, so that nothing big is kept.
_CACHED_CELL = 80


def _label_forms(cell: str) -> tuple[str, str | None]:
    """A header cell's label normalised (vocabulary.norm_label), and without its trailing
    parenthesis when it has one: what `column_key` looks up, made once per cell."""
    return _cached_forms(cell) if len(cell) <= _CACHED_CELL else _forms(cell)


@lru_cache(maxsize=4096)
def _cached_forms(cell: str) -> tuple[str, str | None]:
    return _forms(cell)


def _forms(cell: str) -> tuple[str, str | None]:
    text = clean_cell(cell).strip("*").strip()
    return norm_label(text), norm_label(_TRAILING_PAREN.sub("", text)) if _TRAILING_PAREN.search(text) else None


def _key_of(forms: tuple[str, str | None], columns: LabelTable) -> str | None:
    whole, shorter = forms
    key = columns.key_of_normed(whole)
    if key is None and shorter is not None:
        key = columns.key_of_normed(shorter)
    return key


def match_header(cells: Sequence[str], spec: TableSpec) -> dict[int, str] | None:
    """The column map when `cells` is a header row of `spec`'s kind, else None."""
    return _match_forms([_label_forms(cell) for cell in cells], spec)


def _match_forms(forms: Sequence[tuple[str, str | None]], spec: TableSpec) -> dict[int, str] | None:
    mapping: dict[int, str] = {}
    for index, cell in enumerate(forms):
        key = _key_of(cell, spec.columns)
        if key is not None and key not in mapping.values():
            mapping[index] = key
    if len(mapping) >= spec.min_known and spec.required in mapping.values():
        return mapping
    return None


def _header_of(cells: Sequence[str], specs: Sequence[TableSpec]) -> tuple[TableSpec, dict[int, str]] | None:
    # Every line (and every table row) is tried as a header of each kind: its cells normalised once.
    forms = [_label_forms(cell) for cell in cells]
    for spec in specs:
        mapping = _match_forms(forms, spec)
        if mapping is not None:
            return spec, mapping
    return None


def table_from_rows(rows: Sequence[Sequence[str]], specs: Sequence[TableSpec]) -> Table | None:
    """An HTML table's rows: the first header row found (within the first five) starts the data."""
    for start, row in enumerate(rows[:5]):
        found = _header_of(row, specs)
        if found is None:
            continue
        spec, mapping = found
        table = Table(kind=spec.kind, columns=mapping)
        for data in rows[start + 1 :]:
            cells = [clean_cell(c) for c in data]
            if any(cells) and not is_rule_row(cells):
                table.rows.append(cells)
        return table
    return None


def _delimited(lines: Sequence[str], start: int, specs: Sequence[TableSpec]) -> Table | None:
    cells = split_cells(lines[start])
    found = _header_of(cells, specs) if cells else None
    if found is None:
        return None
    spec, mapping = found
    tabbed = "\t" in lines[start]
    table = Table(kind=spec.kind, columns=mapping, lines={start})
    index = start + 1
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            index += 1
            continue
        row = split_cells(line)
        if row is None or ("\t" in line) != tabbed or _header_of(row, specs) is not None:
            break
        table.lines.add(index)
        if not is_rule_row(row):
            cells = [clean_cell(c) for c in row]
            if any(cells):
                table.rows.append(cells)
        index += 1
    return table


def _flat(lines: Sequence[str], start: int, specs: Sequence[TableSpec]) -> Table | None:
    """A table pasted one cell per line: a run of header cells, then the cells of each row."""
    for spec in specs:
        header: dict[int, str] = {}
        used: set[int] = set()
        index = start
        while index < len(lines):
            text = lines[index].strip()
            if not text:
                index += 1
                continue
            if split_cells(lines[index]) is not None:
                break
            key = column_key(text, spec.columns)
            if key is None or key in header.values():
                break
            header[len(header)] = key
            used.add(index)
            index += 1
        if len(header) < _MIN_FLAT_HEADER or spec.required not in header.values():
            continue
        table = Table(kind=spec.kind, columns=header, lines=used)
        cells: list[tuple[int, str]] = [(i, lines[i].strip()) for i in range(index, len(lines)) if lines[i].strip()]
        width = len(header)
        rows: list[list[str]] = []
        if header.get(0) == "number" and cells and _ROW_NUMBER.match(cells[0][1]):
            # Rows start at their number cell, so an empty (omitted) cell shifts only its own row.
            # A full row followed by anything but a row number is where the table ends: the
            # line after it ("请各部门于…前反馈确认意见") is prose, not one more cell.
            for i, text in cells:
                if _ROW_NUMBER.match(text):
                    rows.append([text])
                elif len(rows[-1]) < width:
                    rows[-1].append(text)
                else:
                    break
                table.lines.add(i)
        else:
            for n, (i, text) in enumerate(cells):
                if n % width == 0:
                    rows.append([])
                rows[-1].append(text)
                table.lines.add(i)
        table.rows = [[clean_cell(c) for c in row] for row in rows if any(row)]
        return table
    return None


def find_text_tables(lines: Sequence[str], specs: Sequence[TableSpec], *, flat: bool = True) -> list[Table]:
    """Every table in plain-text lines, each with the line indices it consumed."""
    tables: list[Table] = []
    index = 0
    while index < len(lines):
        if not lines[index].strip():
            index += 1
            continue
        table = _delimited(lines, index, specs)
        if table is None and flat:
            table = _flat(lines, index, specs)
        if table is None:
            index += 1
            continue
        tables.append(table)
        index = max(table.lines) + 1
    return tables
