"""iCalendar files people drop into Outlook or their phone: a VTODO per action due date, a
VEVENT for a scheduled meeting. Built with the `icalendar` library, never by hand."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Todo

from mailbot.lifecycle import DELIVERED

PRODID = "-//Mailbot//meeting follow-up//ZH-EN"


def _calendar() -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    return calendar


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def action_todos(actions: Iterable[Mapping[str, Any]], meeting: Mapping[str, Any], domain: str, now: datetime) -> bytes:
    """One VTODO per action (views from mailbot.meetings.action_view), due on its due date."""
    calendar = _calendar()
    for action in actions:
        todo = Todo()
        # Stable UID: a later file for the same action updates the same task in the calendar.
        todo.add("uid", f"{action['ref']}@{domain}")
        todo.add("dtstamp", now)
        todo.add("summary", f"{action['ref']} {action['description']}")
        todo.add("due", _day(action["due"]))
        lines = [f"{meeting['title']} ({meeting['ref']})"]
        if action.get("deliverable"):
            lines.append(f"交付标准 / Deliverable: {action['deliverable']}")
        if action.get("support"):
            lines.append(f"配合部门 / Support: {action['support']}")
        todo.add("description", "\n".join(lines))
        todo.add("status", "COMPLETED" if action.get("status") in DELIVERED else "NEEDS-ACTION")
        calendar.add_component(todo)
    return calendar.to_ical()


def meeting_event(meeting: Mapping[str, Any], domain: str, tz: ZoneInfo, now: datetime) -> bytes:
    """The meeting as a VEVENT: timed when the agenda gave times, else an all-day event."""
    calendar = _calendar()
    event = Event()
    event.add("uid", f"{meeting['ref']}@{domain}")
    event.add("dtstamp", now)
    event.add("summary", meeting["title"])
    day = _day(meeting["date"])
    if meeting.get("start_time"):
        start = datetime.combine(day, time.fromisoformat(meeting["start_time"]), tz)
        event.add("dtstart", start)
        if meeting.get("end_time"):
            event.add("dtend", datetime.combine(day, time.fromisoformat(meeting["end_time"]), tz))
    else:
        event.add("dtstart", day)
    if meeting.get("place"):
        event.add("location", meeting["place"])
    if meeting.get("goal"):
        event.add("description", meeting["goal"])
    calendar.add_component(event)
    return calendar.to_ical()
