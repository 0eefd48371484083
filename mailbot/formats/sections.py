"""Split a body into sections by heading lines (`一、议程`, `（三）行动项`, `## Actions`, `【决议】`).

A heading is a line that, once its numbering, markdown and brackets are removed, is only a
section label (optionally with a colon). `决议：自下月起…` is therefore a decision line, not a
heading, and `行动项：无` is the actions heading saying explicitly that there are none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from mailbot.formats.lines import split_colon, strip_marker
from mailbot.formats.vocabulary import Vocabulary

SectionKind = Literal["preamble", "info", "agenda", "decisions", "actions", "other"]

_MAX_HEADING_CHARS = 40
_BRACKETED = re.compile(r"^[【\[〔〖](?P<inner>[^】\]〕〗]{1,40})[】\]〕〗][:：]?$")
_TRAILING_PAREN = re.compile(r"[(（][^()（）]{0,40}[)）]$")
# Words people append to a heading that do not change which section it is.
_HEADING_SUFFIXES = ("如下", "清单", "明细")


@dataclass(frozen=True)
class Heading:
    kind: SectionKind
    # "cjk" (一、), "paren" (（一）), "hash" (##), "bracket" (【】), "number" (3.), "plain"
    style: str
    inline: str = ""  # text after the colon on the heading line (only ever a none marker)


@dataclass
class Section:
    kind: SectionKind
    heading: str = ""
    style: str = "plain"
    inline: str = ""
    lines: list[str] = field(default_factory=list)


def _style(line: str) -> str:
    marked = strip_marker(line)
    if marked.hashes:
        return "hash"
    if marked.style in ("cjk", "paren"):
        return marked.style
    if _BRACKETED.match(marked.content):
        return "bracket"
    if marked.number is not None:
        return "number"
    return "plain"


def _section_key(label: str, vocab: Vocabulary) -> str | None:
    key = vocab.sections.key_of(label)
    if key is not None:
        return key
    trimmed = _TRAILING_PAREN.sub("", label.strip()).strip()
    for suffix in _HEADING_SUFFIXES:
        if trimmed.endswith(suffix):
            trimmed = trimmed[: -len(suffix)]
    return vocab.sections.key_of(trimmed) if trimmed != label else None


def read_heading(line: str, vocab: Vocabulary) -> Heading | None:
    """The section a heading line opens, or None for any other line (never raises)."""
    stripped = line.strip()
    if not stripped or len(stripped) > _MAX_HEADING_CHARS + 12:
        return None
    style = _style(stripped)
    content = strip_marker(stripped).content
    bracket = _BRACKETED.match(content)
    if bracket:
        content = bracket.group("inner")
    content = content.strip().strip("*").strip()
    inline = ""
    parts = split_colon(content)
    if parts is not None:
        content, inline = parts
        if inline and not vocab.is_none_marker(inline):
            return None
    key = _section_key(content, vocab)
    if key is not None:
        return Heading(kind=key, style=style, inline=inline)  # type: ignore[arg-type]
    # An unknown heading ends the section before it only when it is unmistakably a heading:
    # markdown, a bracketed title, or a top-level Chinese number — and then only if short and
    # label-only, because "一、产品推广" may equally be a topic inside 议程.
    if style in ("hash", "bracket", "cjk") and len(content) <= 30 and not inline and parts is None:
        return Heading(kind="other", style=style)
    return None


def _closes(current: Section, heading: Heading) -> bool:
    if heading.kind != "other":
        return True
    if heading.style in ("hash", "bracket"):
        return True
    # "一、…" is a sibling of a "一、…"-numbered section and ends it; inside a section opened by
    # "议程：" or "【议程】" it is just a numbered item.
    return current.kind in ("preamble", "other") or current.style == heading.style


def _is_column_cell(line: str, vocab: Vocabulary) -> bool:
    return line.strip() in vocab.action_columns or line.strip() in vocab.topic_columns


def _neighbour(lines: list[str], index: int, step: int) -> str:
    index += step
    while 0 <= index < len(lines):
        if lines[index].strip():
            return lines[index]
        index += step
    return ""


def split_sections(lines: list[str], vocab: Vocabulary) -> list[Section]:
    """Group lines under the heading that precedes them; the first group is the preamble."""
    sections = [Section(kind="preamble")]
    for index, line in enumerate(lines):
        heading = read_heading(line, vocab)
        current = sections[-1]
        # A table pasted as one cell per line has a bare "行动项" header cell after "序号";
        # that is a column label, not a heading.
        if (
            heading is not None
            and heading.style == "plain"
            and _is_column_cell(line, vocab)
            and _is_column_cell(_neighbour(lines, index, -1), vocab)
        ):
            heading = None
        if heading is not None and _closes(current, heading):
            sections.append(
                Section(kind=heading.kind, heading=line.strip(), style=heading.style, inline=heading.inline)
            )
        else:
            current.lines.append(line)
    return sections
