"""Read-only views for the CLI listings: plain dicts, ISO dates, owners as addresses."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailbot.lifecycle import LIVE, OPEN
from mailbot.meetings import action_view
from mailbot.store.models import ActionItem, Event, Meeting, OutboxMail


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
    session: Session, *, owner: str | None = None, status: str | None = None, overdue_on: date | None = None
) -> list[dict[str, Any]]:
    query = select(ActionItem).order_by(ActionItem.due, ActionItem.id)
    if owner:
        query = query.where(ActionItem.owner_address == owner.lower())
    if status:
        query = query.where(ActionItem.status == status)
    if overdue_on is not None:
        # Overdue is derived, never stored: open and due before today.
        query = query.where(ActionItem.due < overdue_on, ActionItem.status.in_(OPEN))
    rows = []
    for action in session.scalars(query):
        row = action_view(action)
        row["meeting"] = action.meeting.ref
        row["meeting_title"] = action.meeting.title
        row["delay_reason"] = action.delay_reason
        rows.append(row)
    return rows


def find_action(session: Session, ref: str) -> ActionItem | None:
    text = ref.strip().upper().removeprefix("A-").removeprefix("A")
    return session.get(ActionItem, int(text)) if text.isdigit() else None


def show_action(session: Session, ref: str) -> dict[str, Any]:
    action = find_action(session, ref)
    assert action is not None
    row = action_view(action)
    row["meeting"] = action.meeting.ref
    row["confirm_by"] = action.confirm_by
    row["done_at"] = action.done_at.isoformat(timespec="seconds") if action.done_at else None
    row["verified_by"] = action.verified_by
    history = [
        {"at": e.at.isoformat(timespec="seconds"), "what": e.what, "actor": e.actor, "mail": e.inbound_mail_id,
         "detail": e.detail}
        for e in session.scalars(select(Event).where(Event.action_id == action.id).order_by(Event.at, Event.id))
    ]  # fmt: skip
    return {"action": row, "history": history}


def outbox_rows(session: Session, *, status: str | None = None) -> list[dict[str, Any]]:
    query = select(OutboxMail).order_by(OutboxMail.id)
    if status:
        query = query.where(OutboxMail.status == status)
    return [
        {"id": o.id, "key": o.key, "kind": o.kind, "to": o.to_address, "subject": o.subject, "status": o.status,
         "created_at": o.created_at, "sent_at": o.sent_at, "message_id": o.message_id}
        for o in session.scalars(query)
    ]  # fmt: skip
