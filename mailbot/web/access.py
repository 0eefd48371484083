"""Who may see what on the pages: a person sees what they are party to, a department head their
departments' actions too. Decided on every request from the stored state, never from the link.

A meeting's parties (as the weekly digest counts them): its attendees, host, recorder and the
sender of the version in force, and the owners, delegates and requesters of its live actions.
A head (people.role = "head") of a department with a live action in a meeting sees that meeting's
minutes and their departments' actions of it, not the rest of its table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from mailbot.lifecycle import LIVE
from mailbot.store.models import ActionItem, Meeting, Person


@dataclass(frozen=True)
class Viewer:
    address: str  # lower-cased
    name: str | None
    language: str | None
    head_of: frozenset[str]


def load_viewer(session: Session, address: str) -> Viewer:
    address = address.lower()
    people = list(session.scalars(select(Person).where(func.lower(Person.address) == address)))
    name = next((p.name for p in people if p.name), None)
    language = next((p.language for p in people if p.language), None)
    heads = frozenset(p.department for p in people if p.role == "head" and p.department)
    return Viewer(address=address, name=name, language=language, head_of=heads)


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def is_full_party(meeting: Meeting, address: str, live_actions: Iterable[ActionItem]) -> bool:
    """Whether `address` is one of the meeting's own parties (not merely a head of a department)."""
    people = {meeting.host_address, meeting.recorder_address, meeting.version_sender, *(meeting.attendees or [])}
    if address in {p.lower() for p in people if p}:
        return True
    return any(
        address in {(a.owner_address or "").lower(), (a.requester_address or "").lower(),
                    (a.delegate_address or "").lower()}
        for a in live_actions
        if a.status in LIVE
    )  # fmt: skip


def party_meeting_ids(session: Session, address: str, among: Iterable[int] | None = None) -> set[int]:
    """The meetings (of `among`, else all) `address` is a full party to: one query for the
    meetings' own people, one for the owners, delegates and requesters of live actions."""
    address = address.lower()
    wanted = None if among is None else sorted(set(among))
    if wanted == []:
        return set()
    # The attendees are a JSON list of addresses: its text holds the address in quotes.
    attendee = func.lower(cast(Meeting.attendees, String)).like(f'%"{_like_escaped(address)}"%', escape="\\")
    own = select(Meeting.id).where(
        or_(
            func.lower(Meeting.host_address) == address,
            func.lower(Meeting.recorder_address) == address,
            func.lower(Meeting.version_sender) == address,
            attendee,
        )
    )
    by_action = select(ActionItem.meeting_id).where(
        ActionItem.status.in_(LIVE),
        or_(
            ActionItem.owner_address == address,
            func.lower(ActionItem.requester_address) == address,
            func.lower(ActionItem.delegate_address) == address,
        ),
    )
    if wanted is None:
        return set(session.scalars(own)) | set(session.scalars(by_action))
    found = set(session.scalars(own.where(Meeting.id.in_(wanted))))
    # A host or recorder of every meeting asked about (the usual reader of a project's table)
    # needs no look through the meetings' actions.
    rest = [m for m in wanted if m not in found]
    if rest:
        found |= set(session.scalars(by_action.where(ActionItem.meeting_id.in_(rest))))
    return found


def head_meeting_ids(session: Session, viewer: Viewer) -> set[int]:
    """The meetings with a live action of a department `viewer` heads."""
    if not viewer.head_of:
        return set()
    return set(
        session.scalars(
            select(ActionItem.meeting_id)
            .where(ActionItem.status.in_(LIVE), ActionItem.department.in_(sorted(viewer.head_of)))
            .distinct()
        )
    )


def meeting_access(session: Session, viewer: Viewer, meeting: Meeting) -> str | None:
    """ "full" (one of its parties), "head" (their departments' actions only), or None (nothing)."""
    if is_full_party(meeting, viewer.address, meeting.actions):
        return "full"
    if viewer.head_of and any(a.status in LIVE and a.department in viewer.head_of for a in meeting.actions):
        return "head"
    return None


class InMeeting(Protocol):
    """What seeing an action depends on: an ORM row, or the few columns a table reads of each."""

    @property
    def meeting_id(self) -> int: ...
    @property
    def department(self) -> str | None: ...


def sees_action(viewer: Viewer, action: InMeeting, full_meetings: set[int]) -> bool:
    return action.meeting_id in full_meetings or (action.department or "") in viewer.head_of
