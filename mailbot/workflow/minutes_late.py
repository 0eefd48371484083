"""Minutes that have not arrived: the recorder is nudged, once more, then the host is told.

A meeting counts as waiting for minutes while it is `scheduled` (its agenda arrived) and no draft
has come in, even a rejected one (the recorder is already on it then). Moments follow
rules/policy.toml [minutes]; each mail has its own key, so it is sent once, after downtime too.

Like the due-date reminders, a tick decides for each person only the latest of their moments that
has passed: a bot catching up after a gap (a daemon down for a day, a cron that ran late) nudges the
recorder once, with the latest nudge, never with every nudge it missed in the same second. A nudge
passed over that way is never sent later (a later one was decided) and is logged. What a mail says
follows what was actually sent: "the second reminder" only after a first one, "the recorder was
reminded twice" only when they were.

The host's mail is a different person's, so it goes when its moment has come even if the recorder's
nudge goes in the same tick. A host who is also the recorder has already been nudged as the
recorder: there is nobody else to tell, so no host mail ("you hosted it; the recorder, you, was
reminded twice" would tell them nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from mailbot.app import App
from mailbot.lifecycle import MeetingStatus
from mailbot.meetings import meeting_view
from mailbot.notify import Notifier
from mailbot.store.models import Meeting, MinutesVersion
from mailbot.workflow.reminders import decided_keys

# When the agenda gave no end time, the meeting is taken to end at the close of the working day.
DEFAULT_END = time(18, 0)

# The recorder's nudges, in the order they come; the host's mail comes after them.
RECORDER_STEPS = ("first", "again")


@dataclass(frozen=True)
class Step:
    name: str  # "first", "again" (the recorder's) or "host"
    to: str
    moment: datetime


def nudge_key(meeting: Meeting, step: str) -> str:
    return f"minutes_late:{step}:{meeting.ref}"


def steps_of(app: App, meeting: Meeting) -> tuple[list[Step], Step | None]:
    """The recorder's nudges, in order, and the host's mail (None without a host other than the
    recorder)."""
    rule, calendar, tz = app.policy.minutes, app.calendar, app.config.tz
    ended = datetime.combine(meeting.meeting_date, meeting.end_time or meeting.start_time or DEFAULT_END, tz)

    def after_working_days(count: int) -> datetime:
        return datetime.combine(calendar.add_workdays(meeting.meeting_date, count), ended.timetz())

    recorder = meeting.recorder_address or ""
    nudges = (
        [
            Step("first", recorder, ended + timedelta(hours=rule.first_after_hours)),
            Step("again", recorder, after_working_days(rule.repeat_after_working_days)),
        ]
        if recorder
        else []
    )
    host = meeting.host_address or ""
    told = host and host.lower() != recorder.lower()
    return nudges, Step("host", host, after_working_days(rule.host_after_working_days)) if told else None


def latest_passed(steps: Sequence[Step], now: datetime) -> Step | None:
    """The last step, in the order they come, whose moment has passed: what a tick decides. In
    that order, not by time, so a policy whose first nudge comes after the second one still never
    goes back to an earlier step."""
    passed = [step for step in steps if step.moment <= now]
    return passed[-1] if passed else None


def run_minutes_nudges(app: App, now: datetime) -> dict[str, int]:
    today = now.astimezone(app.config.tz).date()
    counts = {"minutes_nudges": 0}
    with app.db.transaction() as session:
        drafted = select(MinutesVersion.meeting_id)
        waiting = session.scalars(
            select(Meeting).where(Meeting.status == MeetingStatus.SCHEDULED, Meeting.meeting_date < today + timedelta(days=1),
                                  Meeting.id.not_in(drafted)).order_by(Meeting.id)
        ).all()  # fmt: skip
        notifier = Notifier(app=app, session=session, now=now, actor="mailbot")
        plans = [(meeting, *steps_of(app, meeting)) for meeting in waiting]
        # Every step's key, decided or not, in one look-up: what was sent is what the mails count.
        sent = decided_keys(session, [nudge_key(m, s) for m, *_ in plans for s in (*RECORDER_STEPS, "host")])
        for meeting, nudges, host in plans:
            notifier.fallback_language = meeting.language
            host_due = host is not None and host.moment <= now
            latest = latest_passed(nudges, now)
            if latest is not None and nudge_key(meeting, latest.name) not in sent:
                earlier = nudges[: nudges.index(latest)]
                for missed in earlier:
                    if nudge_key(meeting, missed.name) not in sent:
                        # Caught up past it: the latest nudge goes instead, and this one never will.
                        notifier.event("minutes.late_skipped", meeting_id=meeting.id,
                                       detail={"step": missed.name, "to": missed.to})  # fmt: skip
                said = {"reminded": sum(nudge_key(meeting, s.name) in sent for s in earlier),
                        "host_later": host is not None and not host_due, "host_told": host_due}  # fmt: skip
                counts["minutes_nudges"] += nudge(notifier, meeting, latest, said, sent)
            if host is not None and host_due and nudge_key(meeting, "host") not in sent:
                said = {"reminded": sum(nudge_key(meeting, step) in sent for step in RECORDER_STEPS)}
                counts["minutes_nudges"] += nudge(notifier, meeting, host, said, sent)
    return counts


def nudge(notifier: Notifier, meeting: Meeting, step: Step, said: dict[str, Any], sent: set[str]) -> int:
    """Decide one step's mail (`said`: what it tells of the other steps); 1 when it is new, and its
    key joins `sent`, so the host's mail of the same tick counts the recorder's nudge."""
    key = nudge_key(meeting, step.name)
    written = notifier.send(
        key=key, kind="minutes_late", to=step.to,
        context={"meeting": meeting_view(meeting), "step": step.name, "recorder": meeting.recorder_address, **said},
        token_for=meeting.ref, meeting_id=meeting.id,
    )  # fmt: skip
    sent.add(key)
    if not written:
        return 0
    notifier.event("minutes.late", meeting_id=meeting.id, detail={"step": step.name, "to": step.to})
    return 1
