"""Agenda topics and decisions. Both are informational (nothing is confirmed against them), so the
reader is tolerant: it keeps what it recognises and never reports a problem.

Topic lines: `1. 产品推广与技术支持协作流程（市场部 张伟，30分钟）`, optionally followed by
`负责人：…` / `预计时长：30分钟` / `实际时长：45 min` lines and free discussion lines
(`市场部：…`, `分歧：…`, `共识：…`). Or a table with 议题名称 / 讨论要点 / 各部门意见 columns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from mailbot.formats.lines import split_colon, strip_marker
from mailbot.formats.model import Topic
from mailbot.formats.tables import Table
from mailbot.formats.vocabulary import Vocabulary

_DURATION = re.compile(
    r"(?P<n>\d{1,4}(?:\.\d{1,2})?)[ \t]*(?P<unit>分钟|min(?:ute)?s?|mins?|小时|h(?:ou)?rs?|h)(?![A-Za-z])",
    re.IGNORECASE,
)
_TRAILING_PAREN = re.compile(r"[(（](?P<inside>[^()（）]{1,80})[)）]\s*$")
_DETAIL_SPLIT = re.compile(r"[，,、;；/]")


def minutes_in(text: str) -> int | None:
    """`30分钟` -> 30, `1.5小时` -> 90, `45 min` -> 45; None when no duration is written."""
    m = _DURATION.search(text[:200])
    if not m:
        return None
    amount = float(m.group("n"))
    unit = m.group("unit").lower()
    if unit in ("小时", "h", "hr", "hrs", "hour", "hours"):
        amount *= 60
    return round(amount)


@dataclass
class _Draft:
    number: str | None
    name: str
    owner_text: str = ""
    planned: int | None = None
    actual: int | None = None
    discussion: list[str] = field(default_factory=list)

    def done(self) -> Topic:
        return Topic(
            number=self.number,
            name=self.name,
            owner_text=self.owner_text,
            planned_minutes=self.planned,
            actual_minutes=self.actual,
            discussion="\n".join(self.discussion),
        )


def _start(number: str | None, content: str, vocab: Vocabulary) -> _Draft:
    draft = _Draft(number=number, name=content)
    m = _TRAILING_PAREN.search(content)
    if m and _apply_bracket(draft, m.group("inside"), vocab):
        # `（市场部 张伟，30分钟）` or `（负责人：李娜，计划30分钟，实际35分钟）`: details, not part of the name.
        draft.name = content[: m.start()].strip()
        return draft
    labelled = list(vocab.topic_labels.inline_pattern().finditer(content))
    if labelled:
        draft.name = content[: labelled[0].start()].strip(" -—–;；,，|")
        _apply_labels(draft, content, labelled, vocab)
    return draft


def _apply_bracket(draft: _Draft, inside: str, vocab: Vocabulary) -> bool:
    """Read owner and durations from a trailing bracket; False when it holds neither (part of the name)."""
    pattern = vocab.topic_labels.inline_pattern()
    details = [p.strip() for p in _DETAIL_SPLIT.split(inside) if p.strip()]
    found = False
    for detail in details:
        label = pattern.match(detail)
        key = vocab.topic_labels.key_of(label.group("label")) if label else None
        value = detail[label.end() :].strip() if label else detail
        if key is None:  # "实际35分钟", "计划30分钟": the label word written without a colon
            key = next((k for k in ("actual", "planned") if any(
                detail.lower().startswith(w.lower()) for w in vocab.topic_labels.labels.get(k, ()))), None)  # fmt: skip
        duration = minutes_in(value)
        if key == "actual" and duration is not None:
            draft.actual, found = duration, True
        elif duration is not None and (key in (None, "planned")) and draft.planned is None:
            draft.planned, found = duration, True
        elif key == "owner" or (key is None and duration is None and len(details) > 1 and not draft.owner_text):
            draft.owner_text, found = value, True
    if not found and len(details) == 1 and pattern.match(details[0]) is None and minutes_in(details[0]) is None:
        return False
    return found


def _apply_labels(draft: _Draft, text: str, matches: Sequence[re.Match[str]], vocab: Vocabulary) -> None:
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = text[m.end() : end].strip(" ;；,，|*")
        key = vocab.topic_labels.key_of(m.group("label"))
        if key == "owner" and not draft.owner_text:
            draft.owner_text = value
        elif key == "planned" and draft.planned is None:
            draft.planned = minutes_in(value)
        elif key == "actual" and draft.actual is None:
            draft.actual = minutes_in(value)


def topics_from_lines(lines: Sequence[str], vocab: Vocabulary) -> list[Topic]:
    """Topics from the agenda section's lines (already without tables and field lines)."""
    drafts: list[_Draft] = []
    for raw in lines:
        if not raw.strip():
            continue
        marked = strip_marker(raw)
        content = marked.content
        if not content:
            continue
        starts_label = vocab.topic_labels.inline_pattern().match(content)
        indented = raw[:1] in (" ", "\t", "\u3000")
        is_item = (marked.number is not None or (marked.bulleted and not indented)) and not starts_label
        if drafts and starts_label:
            _apply_labels(drafts[-1], content, list(vocab.topic_labels.inline_pattern().finditer(content)), vocab)
        elif is_item or not drafts:
            if content.endswith((":", "：")) and not drafts and marked.number is None:
                continue  # a lead-in such as "本次会议议程如下："
            drafts.append(_start(marked.number, content, vocab))
        else:
            drafts[-1].discussion.append(content)
    return [d.done() for d in drafts if d.name or d.discussion]


def topics_from_table(table: Table) -> list[Topic]:
    topics: list[Topic] = []
    for row in table.rows:
        rec = table.record(row)
        name = rec.get("name", "")
        discussion = "\n".join(v for v in (rec.get("discussion", ""), rec.get("opinions", "")) if v)
        if not name and not discussion:
            continue
        topics.append(
            Topic(
                number=rec.get("number") or None,
                name=name,
                owner_text=rec.get("owner", ""),
                planned_minutes=minutes_in(rec.get("planned", "")),
                actual_minutes=minutes_in(rec.get("actual", "")),
                discussion=discussion,
            )
        )
    return topics


def decision_text(line: str, vocab: Vocabulary) -> str:
    """A decision line without its bullet and its `决议：` prefix."""
    content = strip_marker(line).content
    parts = split_colon(content)
    if parts is not None and vocab.decision_prefixes.key_of(parts[0]) is not None:
        return parts[1]
    return content.strip("*").strip()


def decisions_from_lines(lines: Sequence[str], vocab: Vocabulary) -> list[str]:
    """One decision per non-empty line; `无` / `None` alone means none."""
    out: list[str] = []
    for line in lines:
        text = decision_text(line, vocab)
        if not text or vocab.is_none_marker(text) or text.endswith((":", "：")):
            continue
        out.append(text)
    return out


def decisions_in_discussion(lines: Sequence[str], vocab: Vocabulary) -> list[str]:
    """`决议：…` lines written inside the agenda/discussion section count as decisions too."""
    out: list[str] = []
    for line in lines:
        parts = split_colon(strip_marker(line).content)
        if parts is not None and parts[1] and vocab.decision_prefixes.key_of(parts[0]) is not None:
            out.append(parts[1])
    return out
