"""Minutes that have not arrived: the recorder is nudged, once more, then the host is told.

A meeting counts as waiting for minutes while it is `scheduled` (its agenda arrived) and no draft
has come in, even a rejected one (the recorder is already on it then). Moments follow
rules/policy.toml [minutes]; each mail has its own key, so it is sent once, after downtime too.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from mailbot.app import App
from mailbot.lifecycle import MeetingStatus
from mailbot.meetings import meeting_view
from mailbot.notify import Notifier
from mailbot.store.models import Meeting, MinutesVersion

# When the agenda gave no end time, the meeting is taken to end at the close of the working day.
DEFAULT_END = time(18, 0)


def run_minutes_nudges(app: App, now: datetime) -> dict[str, int]:
    rule, calendar, tz = app.policy.minutes, app.calendar, app.config.tz
    today = now.astimezone(tz).date()
    counts = {"minutes_nudges": 0}
    with app.db.transaction() as session:
        drafted = select(MinutesVersion.meeting_id)
        waiting = session.scalars(
            select(Meeting).where(Meeting.status == MeetingStatus.SCHEDULED, Meeting.meeting_date < today + timedelta(days=1),
                                  Meeting.id.not_in(drafted)).order_by(Meeting.id)
        ).all()  # fmt: skip
        notifier = Notifier(app=app, session=session, now=now, actor="mailbot")
        for meeting in waiting:
            notifier.fallback_language = meeting.language
            ended = datetime.combine(meeting.meeting_date, meeting.end_time or meeting.start_time or DEFAULT_END, tz)
            steps = [
                ("first", meeting.recorder_address, ended + timedelta(hours=rule.first_after_hours)),
                ("again", meeting.recorder_address,
                 datetime.combine(calendar.add_workdays(meeting.meeting_date, rule.repeat_after_working_days), ended.timetz())),
                ("host", meeting.host_address,
                 datetime.combine(calendar.add_workdays(meeting.meeting_date, rule.host_after_working_days), ended.timetz())),
            ]  # fmt: skip
            for step, to, moment in steps:
                if not to or now < moment:
                    continue
                written = notifier.send(
                    key=f"minutes_late:{step}:{meeting.ref}", kind="minutes_late", to=to,
                    context={"meeting": meeting_view(meeting), "step": step, "recorder": meeting.recorder_address},
                    token_for=meeting.ref, meeting_id=meeting.id,
                )  # fmt: skip
                if written:
                    notifier.event("minutes.late", meeting_id=meeting.id, detail={"step": step, "to": to})
                    counts["minutes_nudges"] += 1
    return counts
