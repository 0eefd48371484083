"""验收 reminders: a done action its requester has not yet verified is brought back to them.

Moments, in working days from the day the owner reported it done: the first after
`remind_after_working_days`, then every `repeat_every_working_days`, at most `max_reminders`
in all; after that it waits on the Monday status mail. Like the due-date reminders, the tick
decides only the latest moment on or before today (no burst after downtime), skips it when it is
staler than the reminders' late window, and keys each mail so it goes out once.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from mailbot.app import App
from mailbot.lifecycle import Status
from mailbot.meetings import action_view, meeting_view
from mailbot.notify import Notifier
from mailbot.store.models import ActionItem
from mailbot.workflow.reminders import decided_keys, skipped_keys


def latest_moment(app: App, done_day: date, today: date) -> tuple[int, date] | None:
    """The number (1-based) and day of the latest acceptance reminder on or before today."""
    rule, calendar = app.policy.acceptance, app.calendar
    first = calendar.add_workdays(done_day, rule.remind_after_working_days)
    if today < first:
        return None
    repeats = min(calendar.workdays_between(first, today) // rule.repeat_every_working_days, rule.max_reminders - 1)
    return repeats + 1, calendar.add_workdays(first, repeats * rule.repeat_every_working_days)


def reminder_key(action: ActionItem, number: int) -> str:
    assert action.done_at is not None
    return f"acceptance_reminder:{action.ref}:{action.done_at.isoformat()}:{number}"


def run_acceptance_reminders(app: App, now: datetime) -> dict[str, int]:
    tz = app.config.tz
    today = now.astimezone(tz).date()
    counts = {"acceptance_reminders": 0, "acceptance_skipped": 0}
    if app.policy.acceptance.max_reminders < 1:
        return counts
    with app.db.transaction() as session:
        # Indexed on status: done actions are few beside the rest, and leave once verified.
        rows = session.scalars(
            select(ActionItem)
            .where(ActionItem.status == Status.DONE, ActionItem.requester_address.is_not(None))
            .order_by(ActionItem.id)
        ).all()
        notifier = Notifier(app=app, session=session, now=now, actor="mailbot")
        notifier.know({a.requester_address for a in rows if a.requester_address})
        due: list[tuple[ActionItem, date, int, date, str]] = []
        for action in rows:
            if action.done_at is None or action.requester_address is None:
                continue
            done_day = action.done_at.astimezone(tz).date()
            found = latest_moment(app, done_day, today)
            if found is not None:
                number, moment = found
                due.append((action, done_day, number, moment, reminder_key(action, number)))
        # Decided before (sent, or skipped as stale): nothing to prepare, nothing to log again.
        decided = decided_keys(session, [key for *_, key in due]) | skipped_keys(session, [a.id for a, *_ in due])
        for action, done_day, number, moment, key in due:
            if key in decided:
                continue
            assert action.requester_address is not None
            if (today - moment).days > app.policy.reminders.late_window_days:
                notifier.event("reminder.skipped", meeting_id=action.meeting_id, action_id=action.id,
                               detail={"key": key})  # fmt: skip
                counts["acceptance_skipped"] += 1
                continue
            notifier.fallback_language = action.meeting.language
            written = notifier.send(
                key=key, kind="acceptance_reminder", to=action.requester_address,
                context={"meeting": meeting_view(action.meeting), "action": action_view(action), "done_at": done_day,
                         "waiting_days": (today - done_day).days, "number": number},
                token_for=action.ref, meeting_id=action.meeting_id,
            )  # fmt: skip
            if written:
                notifier.event("acceptance.reminded", meeting_id=action.meeting_id, action_id=action.id,
                               detail={"key": key, "to": action.requester_address})  # fmt: skip
                counts["acceptance_reminders"] += 1
    return counts
