"""Read-only views for the CLI listings: plain dicts, ISO dates, owners as addresses."""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailbot.lifecycle import LIVE, OPEN
from mailbot.meetings import action_view, meeting_view
from mailbot.store.models import ActionItem, Event, Meeting, OutboxMail

# What `show` takes: "A-12" (an action), "M-3" (a meeting); the prefix in either case, the hyphen
# optional; a bare number is an action, as refs were first written. At most nine digits: a longer
# number is no id (and overflows SQLite's integer).
REF = re.compile(r"\s*(?:(?P<kind>[AaMm])-?)?(?P<id>\d{1,9})\s*")


def parse_ref(ref: str) -> tuple[str, int] | None:
    """("action" | "meeting", id) for a ref people type, None for anything else."""
    found = REF.fullmatch(ref)
    if found is None:
        return None
    return ("meeting" if (found["kind"] or "a").lower() == "m" else "action"), int(found["id"])


def meeting_rows(session: Session) -> list[dict[str, Any]]:
    counts = dict(
        session.execute(
            select(ActionItem.meeting_id, func.count(ActionItem.id))
            .where(ActionItem.status.in_(LIVE))
            .group_by(ActionItem.meeting_id)
        ).all()
    )
    return [
        {
            "ref": m.ref, "title": m.title, "project": m.project, "date": m.meeting_date, "status": m.status,
            "host": m.host_address, "recorder": m.recorder_address, "confirm_by": m.confirm_by,
            "actions": counts.get(m.id, 0),
        }
        for m in session.scalars(select(Meeting).order_by(Meeting.meeting_date, Meeting.id))
    ]  # fmt: skip


def action_rows(
    session: Session,
    *,
    owner: str | None = None,
    status: str | None = None,
    overdue_on: date | None = None,
    meeting_id: int | None = None,
) -> list[dict[str, Any]]:
    """The actions, by due date: action_view with the meeting, the delay's reason and what the
    tracking table shows besides (meeting date, done, verified: times as stored, UTC)."""
    query = select(ActionItem).order_by(ActionItem.due, ActionItem.id)
    if owner:
        query = query.where(ActionItem.owner_address == owner.lower())
    if status:
        query = query.where(ActionItem.status == status)
    if overdue_on is not None:
        # Overdue is derived, never stored: open and due before today.
        query = query.where(ActionItem.due < overdue_on, ActionItem.status.in_(OPEN))
    if meeting_id is not None:
        query = query.where(ActionItem.meeting_id == meeting_id)
    rows = []
    for action in session.scalars(query):
        row = action_view(action)
        row["meeting"] = action.meeting.ref
        row["meeting_title"] = action.meeting.title
        row["meeting_date"] = action.meeting.meeting_date
        row["delay_reason"] = action.delay_reason
        row["done_at"] = action.done_at
        row["verified_at"] = action.verified_at
        row["verified_by"] = action.verified_by
        rows.append(row)
    return rows


def find_action(session: Session, ref: str) -> ActionItem | None:
    parsed = parse_ref(ref)
    if parsed is None or parsed[0] != "action":
        return None
    return session.get(ActionItem, parsed[1])


def find_meeting(session: Session, ref: str) -> Meeting | None:
    parsed = parse_ref(ref)
    if parsed is None or parsed[0] != "meeting":
        return None
    return session.get(Meeting, parsed[1])


def local(instant: datetime | None, tz: tzinfo | None) -> str | None:
    """An instant as the organisation reads it: its own zone, to the second, the offset shown."""
    if instant is None:
        return None
    return (instant.astimezone(tz) if tz is not None else instant).isoformat(sep=" ", timespec="seconds")


def history(
    session: Session, tz: tzinfo | None, *, action_id: int | None = None, meeting_id: int | None = None
) -> list[dict[str, Any]]:
    """The audit trail of an action, or of a meeting itself (its actions' events are each action's)."""
    query = select(Event).order_by(Event.at, Event.id)
    if action_id is not None:
        query = query.where(Event.action_id == action_id)
    else:
        query = query.where(Event.meeting_id == meeting_id, Event.action_id.is_(None))
    return [
        {"at": local(e.at, tz), "what": e.what, "actor": e.actor, "mail": e.inbound_mail_id, "detail": e.detail}
        for e in session.scalars(query)
    ]


def show_action(session: Session, ref: str, tz: tzinfo | None = None) -> dict[str, Any]:
    action = find_action(session, ref)
    assert action is not None
    row = action_view(action)
    row["meeting"] = action.meeting.ref
    row["confirm_by"] = action.confirm_by
    row["done_at"] = local(action.done_at, tz)
    row["verified_at"] = local(action.verified_at, tz)
    row["verified_by"] = action.verified_by
    return {"action": row, "history": history(session, tz, action_id=action.id)}


def show_meeting(session: Session, ref: str, tz: tzinfo | None = None) -> dict[str, Any]:
    meeting = find_meeting(session, ref)
    assert meeting is not None
    view = meeting_view(meeting)
    view["confirmed_at"] = local(meeting.confirmed_at, tz)
    # Every action, cancelled ones too (their status says so): the meeting as it was decided.
    actions = [{**action_view(a), "meeting": meeting.ref} for a in meeting.actions]
    return {"meeting": view, "actions": actions, "history": history(session, tz, meeting_id=meeting.id)}


def outbox_rows(session: Session, *, status: str | None = None) -> list[dict[str, Any]]:
    query = select(OutboxMail).order_by(OutboxMail.id)
    if status:
        query = query.where(OutboxMail.status == status)
    return [
        {"id": o.id, "key": o.key, "kind": o.kind, "to": o.to_address, "subject": o.subject, "status": o.status,
         "created_at": o.created_at, "sent_at": o.sent_at, "message_id": o.message_id}
        for o in session.scalars(query)
    ]  # fmt: skip
