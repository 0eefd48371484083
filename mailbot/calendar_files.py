"""iCalendar files people open in Outlook, Google Calendar, Apple Calendar or their phone. Built
with the `icalendar` library, never by hand (it writes CRLF, folds lines at 75 octets, escapes
text and parameters).

Two shapes:

- `meeting_event` — the meeting as an invitation: `METHOD:REQUEST`, one VEVENT with ORGANIZER (the
  host, else the recorder; `SENT-BY` the bot when its address is given) and an ATTENDEE per person
  (the host as CHAIR, everyone else REQ-PARTICIPANT, NEEDS-ACTION). Times carry `TZID` of the
  organisation's zone *and* the VTIMEZONE that defines it (generated from zoneinfo), so Outlook and
  Google Calendar place it right. A stable UID (`M-1@domain`) and a SEQUENCE that grows with every
  change of the meeting: a corrected agenda updates the entry instead of adding a second one.
  With nobody to invite (no host, recorder or attendee) it is a plain `METHOD:PUBLISH` entry.
- `action_todos` — the actions' due dates (`METHOD:PUBLISH`): per action an all-day VEVENT on the
  due date, the status in its summary and description — what Outlook and Google Calendar import
  (both ignore VTODO) — and the VTODO for the clients that keep tasks (Thunderbird, Apple
  Reminders, Evolution). Done work awaiting its 验收 is IN-PROCESS, not COMPLETED; only verified
  work (or done work nobody verifies) is COMPLETED; a cancelled action is CANCELLED in both.

Both take the views of mailbot/meetings.py (or the same dicts read back from an outbox context,
dates as ISO text). A mail does not store the file's bytes: it stores what `action_todos_built` or
`meeting_event_built` needs to build them when the mail is sent (mailbot.outbox.DeferredFile),
from the very views and the decision's time, so the file is the one the decision would have built.

icalendar is imported by the functions that build a file, not with this module: handling a mail
only decides a file, and a process that never sends one never loads it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from mailbot.lifecycle import Status, status_words

if TYPE_CHECKING:
    from icalendar import Calendar, vCalAddress

PRODID = "-//Mailbot//meeting follow-up//ZH-EN"
# A meeting whose agenda gave a start but no end: this long, unless its topics' planned minutes say.
DEFAULT_LENGTH = timedelta(hours=1)

# The few words the files write themselves (status words come from rules/statuses.toml); a
# language not here writes English.
WORDS: Mapping[str, Mapping[str, str]] = {
    "zh": {
        "due": "截止", "meeting": "会议", "owner": "负责人", "support": "配合部门", "deliverable": "交付标准",
        "status": "状态", "requester": "验收人", "awaiting_verification": "已完成，待验收",
        "delay_reason": "延期原因", "goal": "会议目标", "topics": "议题", "place": "会议地点",
        "absent": "缺席人员及原因", "sep": "：",
    },
    "en": {
        "due": "Due", "meeting": "Meeting", "owner": "Owner", "support": "Support", "deliverable": "Deliverable",
        "status": "Status", "requester": "Verifier", "awaiting_verification": "done, awaiting verification",
        "delay_reason": "Reason for delay", "goal": "Goal", "topics": "Topics", "place": "Where",
        "absent": "Absent", "sep": ": ",
    },
}  # fmt: skip


def _calendar(method: str) -> Calendar:
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _moment(value: Any) -> datetime | None:
    """A stored moment (aware datetime or its ISO text) in UTC, or None."""
    if value in (None, ""):
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _utc(now: datetime) -> datetime:
    """DTSTAMP, CREATED and COMPLETED must be UTC (RFC 5545 3.8.7.2)."""
    return (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(UTC).replace(microsecond=0)


def _words(language: str | None) -> tuple[str, Mapping[str, str]]:
    language = language if language in WORDS else "en" if language else "zh"
    return language, WORDS[language]


def _address(address: str, name: str | None, **params: str) -> vCalAddress:
    from icalendar import vCalAddress, vText

    value = vCalAddress(f"mailto:{address}")
    if name:
        value.params["CN"] = vText(name)
    for key, param in params.items():
        value.params[key.replace("_", "-").upper()] = param
    return value


def _sequence(view: Mapping[str, Any]) -> int:
    try:
        return max(0, int(view.get("sequence") or 0))
    except (TypeError, ValueError):
        return 0


# Actions ------------------------------------------------------------------------------------------


def todo_status(action: Mapping[str, Any]) -> str:
    """The VTODO STATUS: COMPLETED only when nothing is left to do — verified, or done with nobody
    to verify it; done work awaiting its 验收 is still IN-PROCESS."""
    status = action.get("status")
    if status == Status.CANCELLED:
        return "CANCELLED"
    if status == Status.VERIFIED or (status == Status.DONE and not action.get("requester")):
        return "COMPLETED"
    if status in (Status.IN_PROGRESS, Status.DONE):
        return "IN-PROCESS"
    return "NEEDS-ACTION"


def status_text(action: Mapping[str, Any], language: str) -> str:
    """The action's state in words: 进行中, 已完成，待验收, Delayed, …"""
    status = str(action.get("status") or "")
    if status == Status.DONE and action.get("requester"):
        return _words(language)[1]["awaiting_verification"]
    return status_words().text(status, language, "label", "en")


def _action_lines(action: Mapping[str, Any], meeting: Mapping[str, Any], words: Mapping[str, str], state: str) -> str:
    sep = words["sep"]
    named = " ".join(x for x in (action.get("department"), action.get("owner_name")) if x)
    owner = f"{named} <{action.get('owner', '')}>" if named else str(action.get("owner", ""))
    lines = [
        f"{words['meeting']}{sep}{meeting.get('title', '')} ({meeting.get('ref', '')})",
        f"{words['owner']}{sep}{owner}",
        f"{words['status']}{sep}{state}",
    ]
    if action.get("status") == Status.DELAYED and action.get("delay_reason"):
        lines.append(f"{words['delay_reason']}{sep}{action['delay_reason']}")
    if action.get("deliverable"):
        lines.append(f"{words['deliverable']}{sep}{action['deliverable']}")
    if action.get("support"):
        lines.append(f"{words['support']}{sep}{action['support']}")
    requester = action.get("requester")
    if requester and requester != action.get("owner"):
        name = action.get("requester_name") or (meeting.get("names") or {}).get(requester)
        lines.append(
            f"{words['requester']}{sep}{name} <{requester}>" if name else f"{words['requester']}{sep}{requester}"
        )
    return "\n".join(lines)


def action_todos(
    actions: Iterable[Mapping[str, Any]],
    meeting: Mapping[str, Any],
    domain: str,
    now: datetime,
    *,
    language: str | None = None,
) -> bytes:
    """Each action's due date as an all-day VEVENT (UID `A-1.due@domain`) and a VTODO (UID
    `A-1@domain`), in `language` (else the meeting's; views from mailbot.meetings.action_view)."""
    from icalendar import Event, Todo

    language, words = _words(language or meeting.get("language"))
    calendar = _calendar("PUBLISH")
    stamp = _utc(now)
    for action in actions:
        due, state = _day(action["due"]), status_text(action, language)
        description = _action_lines(action, meeting, words, state)
        sequence = _sequence(action)
        cancelled = action.get("status") == Status.CANCELLED

        # What Outlook and Google Calendar import: a day-long entry that blocks no time.
        event = Event()
        event.add("uid", f"{action['ref']}.due@{domain}")
        event.add("dtstamp", stamp)
        event.add("sequence", sequence)
        event.add("summary", f"{words['due']}{words['sep']}{action['ref']} {action['description']} [{state}]")
        event.add("dtstart", due)
        event.add("dtend", due + timedelta(days=1))
        event.add("transp", "TRANSPARENT")
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        event.add("description", description)
        calendar.add_component(event)

        # Stable UID: a later file for the same action updates the same task.
        todo = Todo()
        todo.add("uid", f"{action['ref']}@{domain}")
        todo.add("dtstamp", stamp)
        todo.add("sequence", sequence)
        todo.add("summary", f"{action['ref']} {action['description']}")
        todo.add("due", due)
        todo.add("description", description)
        status = todo_status(action)
        todo.add("status", status)
        if status == "COMPLETED":
            finished = _moment(action.get("verified_at")) or _moment(action.get("done_at"))
            if finished is not None:
                todo.add("completed", _utc(finished))
            todo.add("percent-complete", 100)
        calendar.add_component(todo)
    return calendar.to_ical()


# The meeting --------------------------------------------------------------------------------------


def _times(meeting: Mapping[str, Any], tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    """Start and end in the organisation's zone, or None for a meeting without a start time."""
    if not meeting.get("start_time"):
        return None
    day = _day(meeting["date"])
    start = datetime.combine(day, time.fromisoformat(str(meeting["start_time"])), tz)
    if meeting.get("end_time"):
        end = datetime.combine(day, time.fromisoformat(str(meeting["end_time"])), tz)
        if end <= start:  # ends past midnight
            end += timedelta(days=1)
        return start, end
    planned = sum(int(t.get("planned") or 0) for t in meeting.get("topics") or [])
    return start, start + (timedelta(minutes=planned) if planned else DEFAULT_LENGTH)


def _meeting_description(meeting: Mapping[str, Any], words: Mapping[str, str]) -> str:
    sep = words["sep"]
    lines = [f"{meeting.get('title', '')} ({meeting.get('ref', '')})"]
    if meeting.get("goal"):
        lines.append(f"{words['goal']}{sep}{meeting['goal']}")
    topics = meeting.get("topics") or []
    if topics:
        lines.append(f"{words['topics']}{sep.rstrip()}")
        for index, topic in enumerate(topics, 1):
            owner = f" ({topic['owner']})" if topic.get("owner") else ""
            lines.append(f"  {topic.get('number') or index}. {topic.get('name', '')}{owner}")
    if meeting.get("absent_text"):
        lines.append(f"{words['absent']}{sep}{meeting['absent_text']}")
    return "\n".join(lines)


def _invited(meeting: Mapping[str, Any], cancel_for: str | None) -> tuple[str | None, str | None, list[str]]:
    """The host, the organiser (the host, else the recorder) and the people the entry names."""
    host, recorder = meeting.get("host") or None, meeting.get("recorder") or None
    people = [p for p in dict.fromkeys([host, recorder, *(meeting.get("attendees") or [])]) if p]
    return host, host or recorder, [cancel_for] if cancel_for else people


def meeting_method(meeting: Mapping[str, Any], cancel_for: str | None = None) -> str:
    """The METHOD `meeting_event` writes for this view, without building the file: CANCEL for a
    person uninvited, REQUEST with somebody to invite, else PUBLISH."""
    _, organizer, people = _invited(meeting, cancel_for)
    invites = organizer is not None and bool(people)
    return "CANCEL" if cancel_for and invites else "REQUEST" if invites else "PUBLISH"


def meeting_event(
    meeting: Mapping[str, Any],
    domain: str,
    tz: ZoneInfo,
    now: datetime,
    *,
    sender: str | None = None,
    cancel_for: str | None = None,
) -> bytes:
    """The meeting as an invitation (a view from mailbot.meetings.meeting_view): timed when the
    agenda gave times, else an all-day event. `sender`: the bot's address, named as SENT-BY (the
    mail comes from it on the organiser's behalf). `cancel_for`: a person a corrected agenda no
    longer lists — their copy is the same entry (UID, SEQUENCE) as `METHOD:CANCEL` naming only them,
    which Outlook, Google Calendar and Apple Calendar take as "remove it from my calendar"
    (RFC 5546 3.2.5, uninviting attendees)."""
    from icalendar import Event

    _, words = _words(meeting.get("language"))
    names: Mapping[str, str] = meeting.get("names") or {}
    host, organizer, people = _invited(meeting, cancel_for)
    invites = organizer is not None and bool(people)
    calendar = _calendar(meeting_method(meeting, cancel_for))

    event = Event()
    event.add("uid", f"{meeting['ref']}@{domain}")
    event.add("dtstamp", _utc(now))
    event.add("sequence", _sequence(meeting))
    event.add("summary", meeting["title"])
    times = _times(meeting, tz)
    if times is not None:
        event.add("dtstart", times[0])
        event.add("dtend", times[1])
    else:
        day = _day(meeting["date"])
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
    event.add("status", "CANCELLED" if cancel_for else "CONFIRMED")
    event.add("transp", "OPAQUE")
    if meeting.get("place"):
        event.add("location", meeting["place"])
    event.add("description", _meeting_description(meeting, words))
    if invites:
        assert organizer is not None
        params = {"sent_by": f"mailto:{sender}"} if sender and sender.lower() != organizer.lower() else {}
        event.add("organizer", _address(organizer, names.get(organizer), **params))
        for person in people:
            chair = person == host and not cancel_for
            event.add(
                "attendee",
                _address(
                    person, names.get(person), cutype="INDIVIDUAL", role="CHAIR" if chair else "REQ-PARTICIPANT",
                    partstat="ACCEPTED" if chair else "NEEDS-ACTION", rsvp="FALSE" if chair else "TRUE",
                ),
            )  # fmt: skip
    calendar.add_component(event)
    if times is not None:
        # The zone's definition, for the span the file is about: Outlook needs it for TZID.
        start = times[0].date()
        calendar.add_missing_timezones(first_date=date(start.year - 1, 1, 1), last_date=date(start.year + 2, 1, 1))
    return calendar.to_ical()


# Files built when the mail is sent ---------------------------------------------------------------


def _decided_at(args: Mapping[str, Any]) -> datetime:
    now = _moment(args.get("now"))
    if now is None:
        raise ValueError("a calendar file's recipe needs the decision's time")
    return now


def action_todos_built(args: Mapping[str, Any]) -> bytes:
    """`action_todos` from a recipe's arguments (mailbot.outbox.DeferredFile, build "action_todos"):
    {"actions", "meeting", "domain", "now", "language"?} as decided — live, or read back from the
    outbox row (dates and the decision's time as ISO text). DTSTAMP is the decision's time."""
    return action_todos(
        args["actions"], args["meeting"], args["domain"], _decided_at(args), language=args.get("language")
    )


def meeting_event_built(args: Mapping[str, Any]) -> bytes:
    """`meeting_event` from a recipe's arguments (build "meeting_event"): {"meeting", "domain",
    "tz" (the zone's name), "now", "sender"?, "cancel_for"?} as decided."""
    zone = args["tz"] if isinstance(args["tz"], ZoneInfo) else ZoneInfo(str(args["tz"]))
    return meeting_event(
        args["meeting"], args["domain"], zone, _decided_at(args), sender=args.get("sender"),
        cancel_for=args.get("cancel_for"),
    )  # fmt: skip
