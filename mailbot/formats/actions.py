"""Action items in their three shapes, then checked: owner resolved, due date read, nothing missing.

1. Table: rows of an action table (see tables.py), one action per row.
2. Line: `- 输出活动方案初稿；负责人：市场部 张伟 <zhang.wei@corp.example>；截止：2024-09-15`.
3. Block: an item line followed by `label: value` lines (indented or bulleted).

Each action keeps the source line as written (trimmed) so an error answer can quote it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from mailbot.formats.dates import DateReading, read_date
from mailbot.formats.lines import strip_marker, unbold
from mailbot.formats.model import ParsedAction, PersonRef, Problem, Severity
from mailbot.formats.people import PersonText, Resolution, invalid_address, named_in, parse_people
from mailbot.formats.tables import Table
from mailbot.formats.vocabulary import Vocabulary
from mailbot.workdays import WorkCalendar

_VALUE_TRIM = " \t;；|，,*"
_LEAD_TRIM = " \t;；|，,*:：-—–(（"
_RULE = re.compile(r"^[-=_*~—]{3,}$")


@dataclass
class RawAction:
    """An action as written, before any checking."""

    line: str
    number: str | None = None
    description: str = ""
    fields: dict[str, str] = field(default_factory=dict)  # key -> value (owner, due, support, …)
    continuation: bool = False  # an item line that has not yet had a label line under it


@dataclass
class ActionLines:
    actions: list[RawAction] = field(default_factory=list)
    explicitly_none: bool = False


def _trim_value(value: str) -> str:
    """A label's value without separators, markdown bold, or the `)` closing `(owner: …, due: …)`."""
    value = value.strip(_VALUE_TRIM)
    while value.endswith((")", "）")) and "(" not in value and "（" not in value:
        value = value[:-1].strip(_VALUE_TRIM)
    return value


def _add(raw: RawAction, key: str, value: str) -> None:
    value = _trim_value(value)
    if key == "description":
        if not raw.description:
            raw.description = value
        return
    if raw.fields.get(key):
        if key == "notes" and value:
            raw.fields[key] = f"{raw.fields[key]}; {value}"
        return
    raw.fields[key] = value


def _labelled(content: str, vocab: Vocabulary) -> tuple[str, list[tuple[str, str]]]:
    """Split `lead；label：value；label：value` into the lead text and (key, value) pairs."""
    matches = list(vocab.action_labels.inline_pattern().finditer(content))
    if not matches:
        return content, []
    pairs: list[tuple[str, str]] = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(content)
        key = vocab.action_labels.key_of(m.group("label"))
        if key is not None:
            pairs.append((key, content[m.end() : end]))
    return content[: matches[0].start()].strip(_LEAD_TRIM), pairs


def actions_from_lines(lines: Sequence[str], vocab: Vocabulary, *, labelled_only: bool = False) -> ActionLines:
    """Line- and block-shaped actions from the action section's lines.

    `labelled_only`: the section already has an action table, so an unlabelled line after it is
    prose (`请各部门于9月6日前反馈确认意见`), not one more action missing its owner.
    """
    out = ActionLines()
    current: RawAction | None = None
    current_indent = 0
    list_marked = False  # items so far were bulleted or numbered: an unmarked flush-left line is prose
    for raw_line in lines:
        if not raw_line.strip():
            continue
        if raw_line.strip() in ("--", "——"):
            break  # the signature delimiter: nothing below it is an action
        line = raw_line.rstrip()
        indent = len(line) - len(line.lstrip())
        marked = strip_marker(line)
        content = marked.content
        if not content or _RULE.match(content):
            continue
        lead, pairs = _labelled(content, vocab)
        if not pairs:
            if vocab.is_none_marker(content):
                out.explicitly_none = True
                continue
            if labelled_only:
                continue
            if current is not None and indent > current_indent and marked.number is None and not marked.bulleted:
                # Indented text under an item belongs to it: a wrapped description while the
                # item has no labels yet, afterwards a remark kept in the notes.
                if current.continuation:
                    current.description = f"{current.description} {content}".strip()
                else:
                    _add(current, "notes", content)
                continue
            if content.endswith((":", "：")) and marked.number is None and not marked.bulleted:
                continue  # a lead-in such as "以下行动项请各负责人确认："
            if list_marked and marked.number is None and not marked.bulleted:
                continue  # a closing remark after a bulleted list ("请在12月10日前回复确认…")
            list_marked = list_marked or marked.number is not None or marked.bulleted
            current = RawAction(line=line.strip(), number=marked.number, description=content, continuation=True)
            current_indent = indent
            out.actions.append(current)
            continue
        first_key = pairs[0][0]
        if lead or first_key == "description":
            if not lead and vocab.is_none_marker(_trim_value(pairs[0][1])) and len(pairs) == 1:
                out.explicitly_none = True  # "行动项：无"
                continue
            list_marked = list_marked or marked.number is not None or marked.bulleted
            current = RawAction(line=line.strip(), number=marked.number, description=lead)
            current_indent = indent
            out.actions.append(current)
        elif current is None or (marked.number is not None and indent <= current_indent):
            # A label line with nothing to attach to: an action without a description.
            current = RawAction(line=line.strip(), number=marked.number)
            current_indent = indent
            out.actions.append(current)
        current.continuation = False
        for key, value in pairs:
            _add(current, key, value)
    return out


def actions_from_table(table: Table) -> list[RawAction]:
    actions: list[RawAction] = []
    for row in table.rows:
        rec = table.record(row)
        filled = {k: v for k, v in rec.items() if v and k != "number"}
        if not filled:
            continue  # an empty template row (only its number)
        cells = list(row)
        while cells and not cells[-1]:
            cells.pop()
        raw = RawAction(line=" | ".join(cells), number=rec.get("number") or None)
        raw.description = unbold(rec.get("description", ""))
        for key in ("owner", "support", "due", "deliverable", "requester", "status", "notes"):
            if unbold(rec.get(key, "")):
                raw.fields[key] = unbold(rec[key])
        actions.append(raw)
    return actions


@dataclass(frozen=True)
class CheckedAction:
    action: ParsedAction
    problems: tuple[Problem, ...]


Resolve = Callable[[PersonText], Resolution]


def _owner(raw: RawAction, resolve: Resolve) -> tuple[PersonRef | None, list[Problem]]:
    """The one owner of the action.

    Decision: an action has exactly one owner, the person who confirms it and is reminded and
    answers for it (the seed templates: 负责人需明确到部门及个人; “谁负责” without 责任模糊). A
    cell naming two (`张伟、李娜`, `张伟/李娜`, `Zhang Wei and Li Na`, `张伟、市场部`) is refused
    with a quoted problem naming all of them: the writer picks the owner and puts the others
    under 配合部门 / Support, or splits the action. Nobody is ever dropped silently, and nobody
    is picked for the writer. The same person written twice (`张伟，zhang.wei@corp.example`) is one.
    """
    text = raw.fields.get("owner", "").strip()
    if not text:
        return None, [Problem("missing_owner", raw.line, section="actions")]
    people = named_in(text, resolve)
    if not people:
        return None, [Problem("missing_owner", raw.line, section="actions")]
    if len(people) > 1:
        results = [resolve(p) for p in people[:4]]  # the same person twice, at most a few times
        addresses = {r.person.address for r in results if r.person is not None}
        if len(people) > 4 or len(addresses) != 1 or any(r.outcome != "ok" for r in results):
            return None, [multiple_owners(people, raw.line)]
    person = people[0]
    result = resolve(person)
    if result.outcome == "ok":
        return result.person, []
    if result.outcome == "invalid":
        return None, [invalid_address("owner", result, raw.line)]
    code = {
        "placeholder": "placeholder_person",
        "ambiguous": "ambiguous_owner",
        "empty": "missing_owner",
    }.get(result.outcome, "unresolved_owner")
    detail = person.text if result.outcome != "ambiguous" else f"{person.text}: {', '.join(result.candidates)}"
    section = "actions" if code == "missing_owner" else "people"
    return None, [Problem(code, raw.line, detail=detail, section=section)]


def multiple_owners(people: Sequence[PersonText], line: str) -> Problem:
    """`multiple_owners`: detail "N: first / second / …", each as written (see _owner); the first
    ten named, the line quoted in full."""
    named = " / ".join([p.text for p in people[:10]] + (["…"] if len(people) > 10 else []))
    return Problem("multiple_owners", line, detail=f"{len(people)}: {named}", section="people")


def date_problem(reading: DateReading, line: str, *, severity: Severity = "error") -> Problem:
    """The problem for a date that could not be taken, quoting `line`.

    A numeric date that reads two ways is `ambiguous_date` with detail
    "<month/day reading> <day/month reading>: <the date as written>" (ISO dates), so that the answer
    can name both days; anything else is `unreadable_date` with detail "<error>: <the text>".
    """
    if reading.error == "two_readings" and len(reading.readings) == 2:
        first, second = reading.readings
        detail = f"{first.isoformat()} {second.isoformat()}: {reading.expression or reading.text}"
        return Problem("ambiguous_date", line, detail=detail, section="dates", severity=severity)
    detail = f"{reading.error or 'unreadable'}: {reading.text}"
    return Problem("unreadable_date", line, detail=detail, section="dates", severity=severity)


_REQUESTER_CODES = {"placeholder": "placeholder_person", "ambiguous": "ambiguous_person"}


def _requester(raw: RawAction, resolve: Resolve) -> tuple[PersonRef | None, list[Problem]]:
    """The 需求方 who verifies the delivered action. Optional, so a name that resolves to nobody
    is a warning: the action stands and the policy's default requester verifies it."""
    text = raw.fields.get("requester", "").strip()
    people = parse_people(text) if text else []
    if not people:
        return None, []
    result = resolve(people[0])
    if result.outcome == "ok":
        return result.person, []
    if result.outcome == "invalid":
        return None, [invalid_address("requester", result, raw.line)]
    if result.outcome == "ambiguous":
        detail = f"requester: {people[0].text}: {', '.join(result.candidates)}"
    else:
        detail = f"requester: {people[0].text}"
    code = _REQUESTER_CODES.get(result.outcome, "unresolved_person")
    return None, [Problem(code, raw.line, detail=detail, section="people", severity="warning")]


def check_action(raw: RawAction, *, meeting_date: date, calendar: WorkCalendar, resolve: Resolve) -> CheckedAction:
    problems: list[Problem] = []
    description = raw.description.strip()
    if not description:
        problems.append(Problem("missing_description", raw.line, section="actions"))
    owner, owner_problems = _owner(raw, resolve)
    problems.extend(owner_problems)
    due_text = raw.fields.get("due", "").strip()
    due: date | None = None
    provisional = False
    if not due_text:
        problems.append(Problem("missing_due", raw.line, section="actions"))
    else:
        reading = read_date(due_text, meeting_date, calendar)
        if reading.error is not None or reading.value is None:
            problems.append(date_problem(reading, raw.line))
        else:
            due, provisional = reading.value, reading.provisional
            if due < meeting_date:
                problems.append(Problem("past_due", raw.line, detail=f"{due.isoformat()}: {due_text}", section="dates"))
    requester, requester_problems = _requester(raw, resolve)
    problems.extend(requester_problems)
    notes = raw.fields.get("notes", "")
    action = ParsedAction(
        description=description,
        owner=owner,
        owner_text=raw.fields.get("owner", "").strip(),
        due=due,
        due_text=due_text,
        line=raw.line,
        number=raw.number,
        support=raw.fields.get("support", "").strip(),
        deliverable=raw.fields.get("deliverable", "").strip(),
        status_text=raw.fields.get("status", "").strip(),
        notes=notes,
        due_provisional=provisional,
        requester=requester,
    )
    return CheckedAction(action, tuple(problems))
