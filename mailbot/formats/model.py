"""What the format reader returns: plain data the handlers store and the templates render.

This module is the contract between the reader (formats/*) and the rest of the bot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class PersonRef:
    """A person resolved to an address (lower-case)."""

    address: str
    name: str | None = None
    department: str | None = None


@dataclass(frozen=True)
class Problem:
    """One thing the reader could not accept, with the line it came from.

    `code` is stable and names the template text (e.g. "missing_owner", "unresolved_owner",
    "ambiguous_owner", "multiple_owners", "unreadable_date", "ambiguous_date", "past_due",
    "missing_due", "no_actions", "missing_description", "placeholder_person", "missing_field").
    `section` names the docs section the writer should read ("fields", "actions", "dates", "people").
    """

    code: str
    line: str
    detail: str = ""
    section: str = "actions"
    severity: Severity = "error"
    hint: str = ""  # what was probably meant (an address the name has elsewhere), offered in the answer


@dataclass(frozen=True)
class ParsedAction:
    description: str
    owner: PersonRef | None
    owner_text: str
    due: date | None
    due_text: str
    line: str
    number: str | None = None
    support: str = ""
    deliverable: str = ""
    status_text: str = ""
    notes: str = ""
    due_provisional: bool = False
    # 需求方 / Requester: who verifies the delivered action (验收); None when the draft names nobody.
    requester: PersonRef | None = None


@dataclass(frozen=True)
class Topic:
    number: str | None
    name: str
    owner_text: str = ""
    planned_minutes: int | None = None
    actual_minutes: int | None = None
    discussion: str = ""


@dataclass(frozen=True)
class ParsedMeeting:
    title: str | None = None
    project: str | None = None
    date: date | None = None
    start_time: time | None = None
    end_time: time | None = None
    place: str | None = None
    host: PersonRef | None = None
    recorder: PersonRef | None = None
    attendees: tuple[PersonRef, ...] = ()
    attendees_text: str = ""
    absent_text: str = ""
    goal: str | None = None
    confirm_by: date | None = None
    topics: tuple[Topic, ...] = ()
    decisions: tuple[str, ...] = ()
    actions: tuple[ParsedAction, ...] = ()
    has_agenda_section: bool = False
    has_decision_section: bool = False
    has_action_section: bool = False
    actions_explicitly_none: bool = False
    provisional_calendar: bool = False
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")
