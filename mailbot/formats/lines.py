"""Line-level helpers shared by the readers: list markers, label/value splitting, cell splitting.

Every pattern here is anchored and has bounded repetition, so hostile input costs linear time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Numbering people put in front of items and headings: 1. 1.1 1) 1、 (1) （一） 一、 ①.
# `\.(?!\d)` keeps "1.5倍" and "2024.9.15" from losing their first digits.
_NUMBER = re.compile(
    r"""^(?:
        (?P<arabic>\d{1,3}(?:\.\d{1,3}){0,3})(?:[、)）]|\.(?!\d))[ \t]*
      | (?P<dotted>\d{1,3}(?:\.\d{1,3}){1,3})[ \t]+
      | [(（](?P<paren>[一二三四五六七八九十\d]{1,3})[)）][ \t]*
      | (?P<cjk>[一二三四五六七八九十]{1,3})[、.．][ \t]*
      | (?P<circled>[①-⑳])[ \t]*
    )""",
    re.VERBOSE,
)
# Bullets: symbol bullets need nothing after them; ASCII ones need a space (or, for "-", a
# following letter) so that "**bold**", "-5%" and "---" rules are not mistaken for bullets.
_BULLET = re.compile(r"^(?:[•·●○◦▪■□◆◇►▶√✓➢➤][ \t]*|[-*+–—][ \t]+|-(?=[^\s\d\-])|\[[ xX]\][ \t]*)")
_HEADING_HASHES = re.compile(r"^#{1,6}[ \t]*")


@dataclass(frozen=True)
class Marked:
    """A line with its list marker removed: `number` is "1.1", "三", "2" … or None for bullets."""

    number: str | None
    content: str
    style: str | None  # which numbering: "arabic", "dotted", "paren", "cjk", "circled"
    bulleted: bool
    hashes: bool


def strip_marker(line: str) -> Marked:
    """Remove leading markdown hashes, bullets, checkboxes and one level of numbering."""
    text = line.strip()
    hashes = False
    m = _HEADING_HASHES.match(text)
    if m and text.startswith("#"):
        hashes = True
        text = text[m.end() :]
    bulleted = False
    for _ in range(2):  # "- [ ] task" carries a bullet and a checkbox
        m = _BULLET.match(text)
        if not m or not m.group(0):
            break
        bulleted = True
        text = text[m.end() :].lstrip()
    number: str | None = None
    style: str | None = None
    m = _NUMBER.match(text)
    if m and m.end() < len(text):
        style = m.lastgroup
        number = m.group(style) if style else None
        text = text[m.end() :]
    return Marked(number=number, content=text.strip(), style=style, bulleted=bulleted, hashes=hashes)


def unbold(text: str) -> str:
    """Drop markdown emphasis around a label or value: `**负责人**` -> `负责人`."""
    return text.strip().strip("*_").strip()


_COLONS = ":："


def split_colon(text: str) -> tuple[str, str] | None:
    """`label: value` at the first colon (ASCII or full-width); None when there is no colon.

    Markdown bold may sit on either side of the colon (`**负责人**：` or `**负责人：**`).
    """
    idx = -1
    for i, ch in enumerate(text):
        if ch in _COLONS:
            idx = i
            break
    if idx <= 0:
        return None
    return unbold(text[:idx]), unbold(text[idx + 1 :])


def split_cells(line: str) -> list[str] | None:
    """The cells of a table row written with TABs or pipes; None for an ordinary line.

    A pipe row needs two pipes (`| a | b |` or `a | b | c`) so that one `|` used as a
    separator inside an action line does not turn the line into a table row.
    """
    if "\t" in line:
        return [cell.strip() for cell in line.strip("\r\n").split("\t")]
    stripped = line.strip()
    if stripped.count("|") >= 2 or stripped.startswith("|"):
        inner = stripped
        if inner.startswith("|"):
            inner = inner[1:]
        if inner.endswith("|"):
            inner = inner[:-1]
        return [cell.strip() for cell in inner.split("|")]
    return None


_RULE_CELL = re.compile(r"^:?-{2,}:?$")


def is_rule_row(cells: list[str]) -> bool:
    """A markdown alignment row (`|---|:--:|`) carries no data."""
    filled = [c for c in cells if c]
    return bool(filled) and all(_RULE_CELL.match(c.replace(" ", "")) for c in filled)


def is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff"


def has_cjk(text: str) -> bool:
    return any(is_cjk(ch) for ch in text)
