"""Reminders before and on the due date, while overdue, and the escalation: each a moment
computed from (due date, policy, calendar), each sent once under a unique key.

A moment is a working day. The tick asks, for every open action, "which moment is the latest
one on or before today?" and decides that mail: a re-run finds the same key (nothing twice); a
tick after downtime finds the latest moment only (no burst), and skips it when it is staler than
the policy's window — except escalations, which are never skipped.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from mailbot.app import App
from mailbot.meetings import action_view, meeting_view
from mailbot.notify import Notifier
from mailbot.store.models import ActionItem, Event, Person
from mailbot.workdays import WorkCalendar

CHASED = ("accepted", "in_progress", "delayed")


def working_day_on_or_before(calendar: WorkCalendar, day: date) -> date:
    while not calendar.is_workday(day):
        day -= timedelta(days=1)
    return day


def working_days_before(calendar: WorkCalendar, day: date, count: int) -> date:
    while count > 0:
        day -= timedelta(days=1)
        if calendar.is_workday(day):
            count -= 1
    return day


def latest_reminder(app: App, due: date, today: date) -> tuple[str, date] | None:
    """The kind and day of the latest reminder moment on or before today, if any."""
    rule, calendar = app.policy.reminders, app.calendar
    if today > due:
        overdue = calendar.workdays_between(due, today)
        every = rule.overdue_every_working_days
        if every > 0 and overdue >= every:
            return "overdue", calendar.add_workdays(due, (overdue // every) * every)
    on_due = working_day_on_or_before(calendar, due)
    if rule.on_due_day and on_due <= today:
        return "due", on_due
    before = working_days_before(calendar, due, rule.before_due_working_days)
    if rule.before_due_working_days > 0 and before <= today:
        return "before", before
    return None


def run_reminders(app: App, now: datetime) -> dict[str, int]:
    today = now.astimezone(app.config.tz).date()
    # The latest due date whose first moment (N working days before it) can have come by today;
    # later ones cannot be due for anything yet, so they are never loaded.
    horizon = app.calendar.add_workdays(today, app.policy.reminders.before_due_working_days)
    counts = {"reminders": 0, "skipped": 0, "escalations": 0}
    with app.db.transaction() as session:
        # Indexed on (status, due): only open actions whose first moment can have come.
        rows = session.scalars(
            select(ActionItem).where(ActionItem.status.in_(CHASED), ActionItem.due <= horizon).order_by(ActionItem.id)
        ).all()
        notifier = Notifier(app=app, session=session, now=now, actor="mailbot")
        notifier.know({a.owner_address for a in rows})
        for action in rows:
            notifier.fallback_language = action.meeting.language
            remind(notifier, action, today, counts)
            escalate(notifier, action, today, counts)
    return counts


def remind(notifier: Notifier, action: ActionItem, today: date, counts: dict[str, int]) -> None:
    found = latest_reminder(notifier.app, action.due, today)
    if found is None:
        return
    kind, moment = found
    key = f"reminder:{kind}:{action.ref}:{action.due.isoformat()}:{moment.isoformat()}"
    if (today - moment).days > notifier.app.policy.reminders.late_window_days:
        # Stale after downtime: logged once, never sent.
        if notifier.session.scalar(select(Event.id).where(Event.what == "reminder.skipped", Event.action_id == action.id,
                                                           Event.detail["key"].as_string() == key)) is None:  # fmt: skip
            notifier.event("reminder.skipped", meeting_id=action.meeting_id, action_id=action.id, detail={"key": key})
            counts["skipped"] += 1
        return
    overdue_days = max(0, (today - action.due).days)
    written = notifier.send(
        key=key, kind="reminder", to=action.owner_address,
        context={"meeting": meeting_view(action.meeting), "action": action_view(action), "when": kind,
                 "overdue_days": overdue_days, "today": today},
        token_for=action.ref, meeting_id=action.meeting_id,
    )  # fmt: skip
    if written:
        notifier.event("reminder.sent", meeting_id=action.meeting_id, action_id=action.id, detail={"key": key})
        counts["reminders"] += 1


def escalate(notifier: Notifier, action: ActionItem, today: date, counts: dict[str, int]) -> None:
    app = notifier.app
    moment = app.calendar.add_workdays(action.due, app.policy.escalation.after_overdue_working_days)
    if today < moment:
        return
    heads = []
    if action.department:
        heads = list(
            notifier.session.scalars(
                select(Person.address).where(Person.department == action.department, Person.role == "head")
            )
        )
    recipients = dict.fromkeys([*heads, action.meeting.host_address or ""])
    context = {
        "meeting": meeting_view(action.meeting), "action": action_view(action),
        "overdue_days": (today - action.due).days, "today": today,
    }  # fmt: skip
    sent = False
    for to in recipients:
        if to and to != action.owner_address:
            sent |= notifier.send(
                key=f"escalation:{action.ref}:{action.due.isoformat()}:{to}", kind="escalation", to=to,
                context=context, token_for=action.ref, meeting_id=action.meeting_id,
            )  # fmt: skip
    if sent:
        notifier.event("action.escalated", meeting_id=action.meeting_id, action_id=action.id,
                       detail={"to": [r for r in recipients if r]})  # fmt: skip
        counts["escalations"] += 1
