"""Reminders before and on the due date, while overdue, and the escalation: each a moment
computed from (due date, policy, calendar), each sent once under a unique key.

A moment is a working day. The tick asks, for every open action, "which moment is the latest
one on or before today?" and decides that mail: a re-run finds the same key (nothing twice); a
tick after downtime finds the latest moment only (no burst), and skips it when it is staler than
the policy's window — except escalations, which are never skipped.

Overdue is counted in working days (`overdue_working_days`), the count the escalation rule uses:
"已逾期 3 个工作日" in a reminder and the escalation's threshold are the same number. The job
runs within the sending hours only (mailbot/jobs.py): a moment's mails are decided at its opening.

The moment decides *whether* a mail goes (and its key); the day the mail is decided decides what it
says (`reminder_facts`). A due-day moment missed (the action was taken on only that night, the bot
was down) and caught up the day after within the late window says "overdue by 1 working day", never
"today"; a due date on a non-working day has its due-day moment on the working day before, and that
mail says so ("due Sun 20 Dec, not a working day; today is the last working day"), not "today".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mailbot.app import App
from mailbot.groups import post_escalated
from mailbot.lifecycle import UNDER_WAY
from mailbot.meetings import action_view, meeting_view
from mailbot.notify import Notifier
from mailbot.store.models import ActionItem, Event, Meeting, OutboxMail, Person
from mailbot.workdays import WorkCalendar, working_day_on_or_before


def working_days_before(calendar: WorkCalendar, day: date, count: int) -> date:
    while count > 0:
        day -= timedelta(days=1)
        if calendar.is_workday(day):
            count -= 1
    return day


def overdue_working_days(calendar: WorkCalendar, due: date, today: date) -> int:
    """Working days past the due date: those after it up to and including today (0 until then).
    The escalation rule counts the same way (`escalation_due`)."""
    return calendar.workdays_between(due, today)


def latest_reminder(app: App, due: date, today: date) -> tuple[str, date] | None:
    """The kind and day of the latest reminder moment on or before today, if any.

    The due-day moment is the last working day on or before the due date; the "before" moment is
    `before_due_working_days` working days before that one, so the mail then always has that many
    working days left (a due date on a Sunday or a holiday included)."""
    rule, calendar = app.policy.reminders, app.calendar
    if today > due:
        overdue = overdue_working_days(calendar, due, today)
        every = rule.overdue_every_working_days
        if every > 0 and overdue >= every:
            return "overdue", calendar.add_workdays(due, (overdue // every) * every)
    last = working_day_on_or_before(calendar, due)
    if rule.on_due_day and last <= today:
        return "due", last
    if rule.before_due_working_days > 0:
        before = working_days_before(calendar, last, rule.before_due_working_days)
        if before <= today:
            return "before", before
    return None


def reminder_facts(calendar: WorkCalendar, due: date, today: date) -> dict[str, Any]:
    """What a reminder decided on `today` says, whichever moment it was decided for: the mail is
    worded for the day it goes out. `when` is
      "before"    the due date is ahead (`days_left` working days after today, up to it);
      "last_day"  today is the last working day before a due date that is not a working day;
      "due"       today is the due date;
      "overdue"   the due date has passed (`overdue_days` working days since; 0 only when mails
                  go on non-working days too and none has passed yet).
    With the due date's own facts: whether it is a working day, and the last working day on or
    before it (the day the due-day reminder goes)."""
    last = working_day_on_or_before(calendar, due)
    if today > due:
        when = "overdue"
    elif today == due:
        when = "due"
    elif today == last:
        when = "last_day"
    else:
        when = "before"
    return {
        "when": when,
        "today": today,
        "due_is_workday": calendar.is_workday(due),
        "last_workday": last,
        "days_left": calendar.workdays_between(today, due),
        "overdue_days": overdue_working_days(calendar, due, today),
    }


def run_reminders(app: App, now: datetime) -> dict[str, int]:
    today = now.astimezone(app.config.tz).date()
    # The latest due date whose first moment can have come by today: N working days before the last
    # working day on or before it, so every due date before the (N+1)th working day after today (a
    # Sunday or a holiday after the Nth included); later ones cannot be due for anything yet.
    horizon = app.calendar.add_workdays(today, app.policy.reminders.before_due_working_days + 1) - timedelta(days=1)
    counts = {"reminders": 0, "skipped": 0, "escalations": 0}
    with app.db.transaction() as session, session.no_autoflush:
        # Indexed on (status, due): only open actions whose first moment can have come; their
        # meetings (with what a mail shows of them) in three queries, not three per action.
        rows = session.scalars(
            select(ActionItem)
            .where(ActionItem.status.in_(UNDER_WAY), ActionItem.due <= horizon)
            .options(selectinload(ActionItem.meeting).selectinload(Meeting.topics))
            .options(selectinload(ActionItem.meeting).selectinload(Meeting.decisions))
            .order_by(ActionItem.id)
        ).all()
        notifier = Notifier(app=app, session=session, now=now, actor="mailbot")
        notifier.know({a.owner_address for a in rows})
        tick = Tick(today=today, decided=set())
        # Decided before: sent, or logged as skipped when stale — either way nothing to do again.
        keys, stale = candidate_keys(app, session, rows, tick)
        tick.decided = decided_keys(session, keys) | skipped_keys(session, stale)
        for action in rows:
            notifier.fallback_language = action.meeting.language
            remind(notifier, action, tick, counts)
            escalate(notifier, action, tick, counts)
    return counts


@dataclass
class Tick:
    """What one run shares across actions: the day, the mails decided before (so a re-run prepares
    nothing), and the meeting views and department heads looked up once."""

    today: date
    decided: set[str]
    views: dict[int, dict[str, Any]] = field(default_factory=dict)
    heads: dict[str, list[str]] = field(default_factory=dict)

    def view(self, meeting: Meeting) -> dict[str, Any]:
        if meeting.id not in self.views:
            self.views[meeting.id] = meeting_view(meeting)
        return self.views[meeting.id]


def reminder_key(action: ActionItem, kind: str, moment: date) -> str:
    return f"reminder:{kind}:{action.ref}:{action.due.isoformat()}:{moment.isoformat()}"


def escalation_key(action: ActionItem, to: str) -> str:
    return f"escalation:{action.ref}:{action.due.isoformat()}:{to}"


def candidate_keys(app: App, session: Session, rows: Sequence[ActionItem], tick: Tick) -> tuple[list[str], list[int]]:
    """Every key this tick could decide — the latest reminder of each action and, once an action is
    escalated, one escalation per recipient — looked up together, so a re-run prepares nothing;
    and the actions whose reminder is stale (only those can have been logged as skipped)."""
    keys, stale = [], []
    for action in rows:
        found = latest_reminder(app, action.due, tick.today)
        if found is not None:
            keys.append(reminder_key(action, *found))
            if (tick.today - found[1]).days > app.policy.reminders.late_window_days:
                stale.append(action.id)
        if escalation_due(app, action, tick.today):
            keys.extend(escalation_key(action, to) for to, _ in escalation_recipients(app, session, action, tick))
    return keys, stale


def escalation_due(app: App, action: ActionItem, today: date) -> bool:
    """Overdue `after_overdue_working_days` working days (the count the mails show)."""
    return overdue_working_days(app.calendar, action.due, today) >= app.policy.escalation.after_overdue_working_days


def escalation_recipients(app: App, session: Session, action: ActionItem, tick: Tick) -> list[tuple[str, str]]:
    """Who is told, each with what they are to the action ("head", "host" or "admin"): the owner's
    department heads (looked up once per department and run) and the host, never the owner.

    When that leaves nobody — the owner hosts the meeting (or it names no host) and the directory
    names no other head of their department — the admin is told in the host's place (an admin may
    give the host's decisions): else a host's own late work would reach nobody above them."""
    owner = action.owner_address.lower()
    heads: list[str] = []
    if action.department:
        if action.department not in tick.heads:
            tick.heads[action.department] = list(
                session.scalars(
                    select(Person.address).where(Person.department == action.department, Person.role == "head")
                )
            )
        heads = tick.heads[action.department]
    host = action.meeting.host_address or ""
    told = {to: "head" for to in heads}
    if host:
        told[host] = "host"  # a head who hosts gets the host's copy: the host may decide
    told = {to: reader for to, reader in told.items() if to and to.lower() != owner}
    admin = app.config.bot.admin
    if not told and admin and admin.lower() != owner:
        told[admin] = "admin"
    return list(told.items())


def decided_keys(session: Session, keys: list[str]) -> set[str]:
    decided: set[str] = set()
    for start in range(0, len(keys), KEY_CHUNK):
        chunk = keys[start : start + KEY_CHUNK]
        decided.update(session.scalars(select(OutboxMail.key).where(OutboxMail.key.in_(chunk))))
    return decided


def skipped_keys(session: Session, action_ids: list[int]) -> set[str]:
    """The reminder keys logged as skipped (stale after downtime) for these actions."""
    keys: set[str] = set()
    for start in range(0, len(action_ids), KEY_CHUNK):
        chunk = action_ids[start : start + KEY_CHUNK]
        details = session.scalars(
            select(Event.detail).where(Event.action_id.in_(chunk), Event.what == "reminder.skipped")
        )
        keys.update(str(detail.get("key")) for detail in details)
    return keys


# Keys per IN (...) query: well under PostgreSQL's 65,535 parameters in one statement.
KEY_CHUNK = 5000


def remind(notifier: Notifier, action: ActionItem, tick: Tick, counts: dict[str, int]) -> None:
    today = tick.today
    found = latest_reminder(notifier.app, action.due, today)
    if found is None:
        return
    kind, moment = found
    key = reminder_key(action, kind, moment)
    if key in tick.decided:
        return
    if (today - moment).days > notifier.app.policy.reminders.late_window_days:
        # Stale after downtime: logged once (a logged key is in tick.decided), never sent.
        notifier.event("reminder.skipped", meeting_id=action.meeting_id, action_id=action.id, detail={"key": key})
        counts["skipped"] += 1
        return
    # Worded for today, not for the moment: a due-day moment caught up the day after says "overdue".
    facts = reminder_facts(notifier.app.calendar, action.due, today)
    written = notifier.send(
        key=key, kind="reminder", to=action.owner_address,
        context={"meeting": tick.view(action.meeting), "action": action_view(action), **facts},
        token_for=action.ref, meeting_id=action.meeting_id,
    )  # fmt: skip
    if written:
        notifier.event("reminder.sent", meeting_id=action.meeting_id, action_id=action.id, detail={"key": key})
        counts["reminders"] += 1


def escalate(notifier: Notifier, action: ActionItem, tick: Tick, counts: dict[str, int]) -> None:
    app, today = notifier.app, tick.today
    if not escalation_due(app, action, today):
        return
    recipients = escalation_recipients(app, notifier.session, action, tick)
    waiting = [(to, reader) for to, reader in recipients if escalation_key(action, to) not in tick.decided]
    if not waiting:
        return
    context = {
        "meeting": tick.view(action.meeting), "action": action_view(action),
        "overdue_days": overdue_working_days(app.calendar, action.due, today), "today": today,
        "owner_is_host": (action.meeting.host_address or "").lower() == action.owner_address.lower(),
        # Whether the owner is their department's head: the admin's copy then says "the only head".
        "owner_is_head": action.owner_address.lower() in {h.lower() for h in tick.heads.get(action.department or "", [])},
        **consent_context(app, action),
    }  # fmt: skip
    sent = False
    for to, reader in waiting:
        key = escalation_key(action, to)
        tick.decided.add(key)
        # The host may decide (reschedule, reassign, withdraw), and so may the admin standing in for
        # a host who owns the action: their copies list those commands; a head's lists none.
        audience = "none" if reader == "head" else "host"
        sent |= notifier.send(
            key=key, kind="escalation", to=to, context={**context, "audience": audience, "reader": reader},
            token_for=action.ref, meeting_id=action.meeting_id,
        )  # fmt: skip
    if sent:
        notifier.event("action.escalated", meeting_id=action.meeting_id, action_id=action.id,
                       detail={"to": [to for to, _ in recipients]})  # fmt: skip
        post_escalated(notifier, action, context["overdue_days"])  # the project group, queued
        counts["escalations"] += 1


def consent_context(app: App, action: ActionItem) -> dict[str, Any]:
    """How the owner took the action on, for the escalation to say: `action.consent` (in the action's
    view) is "explicit" (they confirmed), "silent" (they never answered; the round's deadline
    counted it as consent), "overruled" (they objected; the host kept it) or None (never confirmed:
    they answered the request with a delay, or nothing is on record). The escalation's templates
    word each; this adds the day it was settled and the round's deadline."""
    accepted = action.accepted_at.astimezone(app.config.tz).date() if action.accepted_at else None
    return {"accepted_on": accepted, "confirm_by": action.confirm_by}
