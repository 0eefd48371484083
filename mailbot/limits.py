"""The most work one draft may make (rules/policy.toml [limits]), as problems its writer is told.

A draft over a limit is refused whole, with the same answer as any other mistake in a draft
(each problem quoting its line), never half-processed: one mail must not make a thousand mails,
or a mail of a hundred megabytes, or a row the database refuses.
"""

from __future__ import annotations

from mailbot.formats.model import ParsedMeeting, Problem
from mailbot.policy import LimitsPolicy

# How much of an over-long value the answer quotes: enough to find it, not the whole of it.
QUOTED_CHARS = 60


def quoted(text: str) -> str:
    return text if len(text) <= QUOTED_CHARS else text[:QUOTED_CHARS] + "…"


def draft_over_limits(parsed: ParsedMeeting, limits: LimitsPolicy) -> list[Problem]:
    problems: list[Problem] = []
    if len(parsed.actions) > limits.actions_per_draft:
        problems.append(
            Problem(
                "too_many_actions", "", detail=f"{len(parsed.actions)}: {limits.actions_per_draft}", section="actions"
            )
        )
    people = {p.address for p in (parsed.host, parsed.recorder, *parsed.attendees) if p is not None}
    for action in parsed.actions:
        people.update(p.address for p in (action.owner, action.requester) if p is not None)
    if len(people) > limits.people_per_draft:
        problems.append(
            Problem("too_many_people", "", detail=f"{len(people)}: {limits.people_per_draft}", section="people")
        )
    for name, value in (("title", parsed.title), ("place", parsed.place), ("project", parsed.project)):
        if value and len(value) > limits.field_chars:
            problems.append(field_too_long(name, quoted(value), limits))
    for action in parsed.actions[: limits.actions_per_draft]:
        for name, value in (
            ("owner", action.owner_text),
            ("support", action.support),
            ("deliverable", action.deliverable),
            ("due", action.due_text),
        ):
            if len(value) > limits.field_chars:
                problems.append(field_too_long(name, quoted(action.line), limits))
    return problems


def field_too_long(name: str, line: str, limits: LimitsPolicy) -> Problem:
    return Problem("field_too_long", line, detail=f"{name}: {limits.field_chars}", section="fields")


def lines_over_limit(lines: int, limits: LimitsPolicy) -> int | None:
    """`lines` when a body that long is too long to read as a draft; None when it is not."""
    return lines if lines > limits.lines_per_draft else None
