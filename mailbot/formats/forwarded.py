"""A forwarded mail inside a body: the forwarder's note, the original's header block, and the
original's own text below it.

Clients forward inline in a handful of shapes (all read with the quote rules of
rules/quotes.toml, so one list of client markers serves replies and forwards alike):

- a separator line, then a header block: Gmail `---------- Forwarded message ---------`,
  Thunderbird `-------- Forwarded Message --------`, Outlook `-----Original Message-----` /
  `-----原始邮件-----`, Foxmail/QQ `------------------ 原始邮件 ------------------`, Apple Mail
  `Begin forwarded message:`;
- a header block alone: Outlook's `From:/Sent:/To:/Subject:` and
  `发件人:/发送时间:/收件人:/主题:` (often under a `________________________________` rule).

The header block is never content: its `Date:` is when the original was sent, not the meeting's
date (an English draft's own `Date:` field has the same label), and its `发件人` is not an
attendee. Its addresses are kept apart, as name hints for the people the draft names without
an address (as the original's To/Cc would have been). A block runs over consecutive `label:
value` lines, each label once; a blank line ends it, except before the block's subject line
(Foxmail and QQ leave an empty line where an empty 抄送 would be).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from email.utils import getaddresses

from mailbot.replies.quotes import QuoteRules, default_quote_rules

__all__ = ["Forwarded", "forwards", "split_forward"]

# Labels of the header block's subject line, after which a blank line always ends the block.
_SUBJECT_LABELS = frozenset(
    {"subject", "主题", "主旨", "betreff", "objet", "asunto", "assunto", "oggetto", "onderwerp", "ämne", "emne",
     "temat", "тема"}
)  # fmt: skip
# Forwards of forwards are read this deep, no deeper.
MAX_DEPTH = 4
# Header labels the reply reader can do without (its forward separator comes first), read here
# so they are not taken for content: NetEase's 发送日期.
_MORE_FIELDS = re.compile(r"[\s*]*(?:发送日期|發送日期)[\s*]*:")
_ADDRESS = re.compile(r"[^\s<>@'\"]+@[^\s<>@'\";,]+")


@dataclass(frozen=True)
class Forwarded:
    note: str  # what the forwarder wrote above the forward
    header: tuple[tuple[str, str], ...]  # the original's header block: (label, value), labels case-folded
    text: str  # the original's body, below the header block
    sender: str  # the original's From address, lower-case ('' if the block names none)
    people: tuple[tuple[str, str], ...]  # (display name, address) named in the header block


class _Lines:
    """The body's lines, each NFKC-folded and stripped on first use ("：" is ":"); '' if overlong."""

    def __init__(self, text: str, max_line: int) -> None:
        self.raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.max_line = max_line
        self._folded: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self.raw)

    def blank(self, index: int) -> bool:
        return not self.raw[index].strip()

    def folded(self, index: int) -> str:
        if index not in self._folded:
            line = self.raw[index]
            self._folded[index] = unicodedata.normalize("NFKC", line).strip() if len(line) <= self.max_line else ""
        return self._folded[index]


def _label(line: str, rules: QuoteRules) -> tuple[str, str] | None:
    """(label, value) when a folded line is a header line (`From:`, `**发件人:**`, `Subject:\t…`)."""
    if not line:
        return None
    found = rules.header_from.match(line) or rules.header_field.match(line) or _MORE_FIELDS.match(line)
    if found is None:
        return None
    return found.group(0).strip(" \t*:").casefold(), line[found.end() :].strip(" \t*")


def _is_header_block(lines: _Lines, start: int, rules: QuoteRules) -> bool:
    """A From label at `start` with at least `min_fields` other header labels right below it."""
    seen: set[str] = set()
    for index in range(start + 1, min(len(lines), start + 1 + rules.header_window)):
        found = rules.header_field.match(lines.folded(index)) if lines.folded(index) else None
        if found:
            seen.add(found.group(0).strip(" \t*:").casefold())
            if len(seen) >= rules.header_min_fields:
                return True
        elif lines.blank(index) and seen:
            return False
    return False


def _people(header: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    found: dict[str, str] = {}
    for label, value in header:
        if label in _SUBJECT_LABELS or "@" not in value:
            continue
        for name, address in getaddresses([value.replace(";", ",")]):
            match = _ADDRESS.search(address)
            if match:
                found.setdefault(match.group(0).lower(), name.strip().strip("'\""))
    return tuple((name, address) for address, name in found.items())


def _sender(header: list[tuple[str, str]], rules: QuoteRules) -> str:
    for label, value in header:
        if rules.header_from.fullmatch(f"{label}:"):
            match = _ADDRESS.search(value)
            return match.group(0).lower() if match else ""
    return ""


# A hostile body full of "From:" lines is checked this often for a header block, no more.
_HEADER_BUDGET = 200


def split_forward(text: str, rules: QuoteRules | None = None) -> Forwarded | None:
    """The first inline forward (or quoted original) in `text`, or None when there is none.

    Only the first `max_lines` lines of the quote rules are searched (as for a reply); what
    follows the header block is returned whole."""
    rules = rules or default_quote_rules()
    lines = _Lines(text, rules.max_line)
    budget = _HEADER_BUDGET
    for index in range(min(len(lines), rules.max_lines)):
        line = lines.folded(index)
        if not line:
            continue
        if rules.boundary.match(line):
            start = index + 1
        elif budget > 0 and rules.header_from.match(line):
            budget -= 1
            if not _is_header_block(lines, index, rules):
                continue
            start = index
        else:
            continue
        header, end = _read_block(lines, start, rules)
        return Forwarded(
            note="\n".join(lines.raw[:index]),
            header=tuple(header),
            text="\n".join(lines.raw[end:]),
            sender=_sender(header, rules),
            people=_people(header),
        )
    return None


def _wrapped(value: str, line: str) -> bool:
    """Whether `line` may continue an address list (`To: a <a@x>;` / `b <b@x>`)."""
    return value.endswith((",", ";")) or "@" in line


def _read_block(lines: _Lines, start: int, rules: QuoteRules) -> tuple[list[tuple[str, str]], int]:
    """The header lines from `start`, and the index of the first line after the block."""
    header: list[tuple[str, str]] = []
    seen: set[str] = set()
    i, n = start, len(lines)
    while i < n and lines.blank(i):  # Apple Mail: a blank line under "Begin forwarded message:"
        i += 1
    while i < n:
        if lines.blank(i):
            # A blank line ends the block, except before its subject line (Foxmail's empty 抄送).
            after = next((j for j in range(i + 1, min(n, i + 3)) if not lines.blank(j)), None)
            found = _label(lines.folded(after), rules) if after is not None else None
            if not header or seen & _SUBJECT_LABELS or found is None or found[0] in seen:
                break
            i = after  # type: ignore[assignment]
            continue
        found = _label(lines.folded(i), rules)
        if found is None and header and _wrapped(header[-1][1], lines.folded(i)) and i + 1 < n:
            if _label(lines.folded(i + 1), rules) is None:
                break
            # An address list wrapped onto a line of its own, between two header lines.
            label, value = header[-1]
            header[-1] = (label, f"{value} {lines.folded(i)}")
            i += 1
            continue
        if found is None or found[0] in seen:  # a second "Date:" is the draft's own field
            break
        seen.add(found[0])
        header.append(found)
        i += 1
    return header, i


def forwards(text: str, rules: QuoteRules | None = None) -> list[Forwarded]:
    """The forward in `text`, the forward inside that one, and so on (at most MAX_DEPTH)."""
    found: list[Forwarded] = []
    while len(found) < MAX_DEPTH:
        forwarded = split_forward(text, rules)
        if forwarded is None:
            break
        found.append(forwarded)
        text = forwarded.text
    return found
