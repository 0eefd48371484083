"""The meeting's date and time from a calendar invitation attached to the draft.

Outlook sends a meeting with a `text/calendar; method=REQUEST` part (and often an `.ics` file);
people then reply to it, or attach it, with minutes whose body carries no date or time. When
the body has none, the invitation's first VEVENT gives them: DTSTART/DTEND (or DURATION),
converted to the organisation's time zone.

Time zones as clients write them:

- `DTSTART;TZID=Asia/Shanghai:…` — an IANA name, read with zoneinfo;
- `DTSTART;TZID="China Standard Time":…` with a VTIMEZONE — Outlook's Windows zone names, which
  zoneinfo does not know: mapped to IANA (a table of the common ones here, else the `icalendar`
  package's full Windows table when it has one), else read from the mail's own VTIMEZONE;
- `DTSTART:20261208T060000Z` — UTC;
- `DTSTART:20261208T140000` — floating: the organisation's zone;
- `DTSTART;VALUE=DATE:20261208` — an all-day event: the date, no times.

Never a guess: a zone named but known nowhere (no mapping, no VTIMEZONE), a cancelled meeting,
a recurring series (which occurrence are these the minutes of?), a part that does not parse —
each gives nothing from that invitation, and the body must say when the meeting was. An end
on another day than the start (after conversion) is left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import cache
from importlib import import_module
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["Invitation", "invitation_times", "with_invitation"]

Invitation = tuple[date, time | None, time | None]

# Bounds for hostile mail: an invitation is a few kB.
_MAX_BYTES = 512 * 1024
_MAX_CALENDARS = 5
_CALENDAR_TYPES = frozenset({"text/calendar", "application/ics", "application/x-ics", "text/x-vcalendar"})
_CALENDAR_NAMES = (".ics", ".vcs", ".ical", ".icalendar")

# Windows zone names Outlook and Exchange write as TZID, mapped to IANA (CLDR windowsZones, the
# "001" territory). The ones colleagues of a Chinese organisation most often send from.
_WINDOWS_ZONES = {
    "China Standard Time": "Asia/Shanghai",
    "Taipei Standard Time": "Asia/Taipei",
    "Singapore Standard Time": "Asia/Singapore",
    "Tokyo Standard Time": "Asia/Tokyo",
    "Korea Standard Time": "Asia/Seoul",
    "SE Asia Standard Time": "Asia/Bangkok",
    "India Standard Time": "Asia/Kolkata",
    "Arabian Standard Time": "Asia/Dubai",
    "Russian Standard Time": "Europe/Moscow",
    "GMT Standard Time": "Europe/London",
    "Greenwich Standard Time": "Atlantic/Reykjavik",
    "W. Europe Standard Time": "Europe/Berlin",
    "Romance Standard Time": "Europe/Paris",
    "Central Europe Standard Time": "Europe/Budapest",
    "Central European Standard Time": "Europe/Warsaw",
    "E. Europe Standard Time": "Europe/Chisinau",
    "FLE Standard Time": "Europe/Kiev",
    "Eastern Standard Time": "America/New_York",
    "Central Standard Time": "America/Chicago",
    "Mountain Standard Time": "America/Denver",
    "US Mountain Standard Time": "America/Phoenix",
    "Pacific Standard Time": "America/Los_Angeles",
    "Alaskan Standard Time": "America/Anchorage",
    "Hawaiian Standard Time": "Pacific/Honolulu",
    "AUS Eastern Standard Time": "Australia/Sydney",
    "E. Australia Standard Time": "Australia/Brisbane",
    "W. Australia Standard Time": "Australia/Perth",
    "New Zealand Standard Time": "Pacific/Auckland",
    "UTC": "UTC",
    "Coordinated Universal Time": "UTC",
}
# Old Outlook writes the display name as TZID: "(UTC+08:00) Beijing, Chongqing, Hong Kong, Urumqi".
_DISPLAY_OFFSET = re.compile(r"^\(\s*(?:UTC|GMT)\s*(?:(?P<sign>[+-])(?P<h>\d{1,2})[:.]?(?P<m>\d{2})?)?\s*\)")
_DISPLAY_NAMES = {
    "beijing": "Asia/Shanghai",
    "taipei": "Asia/Taipei",
    "singapore": "Asia/Singapore",
    "osaka": "Asia/Tokyo",
    "seoul": "Asia/Seoul",
}


class AttachmentLike(Protocol):
    """What invitation_times needs of an attachment (mailbot.message.Attachment has it)."""

    @property
    def filename(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def payload(self) -> bytes: ...
    @property
    def charset(self) -> str | None: ...


def invitation_times(attachments: Iterable[AttachmentLike], zone: tzinfo | str = "Asia/Shanghai") -> Invitation | None:
    """(date, start, end) of the meeting in the first calendar invitation among `attachments`
    that names one, in `zone` (the organisation's: config `bot.timezone`); None when none does.

    start and end are None for an all-day event; end is None when the invitation gives none
    or it falls on another day. Never raises on what a mail carries.
    """
    target = ZoneInfo(zone) if isinstance(zone, str) else zone
    tried = 0
    for attachment in attachments:
        if not _is_calendar(attachment):
            continue
        tried += 1
        if tried > _MAX_CALENDARS:
            break
        try:
            found = _from_calendar(_text(attachment), target)
        except Exception:  # a hostile or broken calendar part gives nothing, never a crash
            found = None
        if found is not None:
            return found
    return None


def with_invitation(
    day: date | None, start: time | None, end: time | None, invitation: Invitation | None
) -> tuple[date | None, time | None, time | None]:
    """The body's date and times, completed from the invitation where the body says nothing.

    The body always wins. Without a date in the body, the invitation gives the date and the
    times the body lacks; with the same date in both, it gives only the missing times; with
    another date in the body, nothing (the invitation may be for another occurrence).
    """
    if invitation is None:
        return day, start, end
    inv_day, inv_start, inv_end = invitation
    if day is not None and day != inv_day:
        return day, start, end
    if start is None and end is None:
        start, end = inv_start, inv_end
    elif start is not None and end is None and inv_start == start:
        end = inv_end
    return day or inv_day, start, end


def _is_calendar(attachment: AttachmentLike) -> bool:
    name = (attachment.filename or "").lower()
    return attachment.content_type in _CALENDAR_TYPES or name.endswith(_CALENDAR_NAMES)


def _text(attachment: AttachmentLike) -> str:
    from mailbot.mimefix import decode_bytes  # the mail's charset rules: `gb2312` is read as GB18030

    data = attachment.payload[:_MAX_BYTES]
    return decode_bytes(data, attachment.charset or "utf-8", "calendar invitation", [])


def _from_calendar(text: str, target: tzinfo) -> Invitation | None:
    from icalendar import Calendar  # only mails with an invitation pay for the import

    calendar = Calendar.from_ical(text)
    if str(calendar.get("METHOD", "")).upper() == "CANCEL":
        return None
    events = calendar.walk("VEVENT")
    if not events:
        return None
    event = events[0]
    if str(event.get("STATUS", "")).upper() == "CANCELLED" or event.get("RRULE") is not None:
        return None
    if event.get("DTSTART") is None:
        return None
    start = _moment(event["DTSTART"], calendar, target)
    if start is None:
        return None
    if isinstance(start, date) and not isinstance(start, datetime):
        return start, None, None
    end: datetime | None = None
    if event.get("DTEND") is not None:
        value = _moment(event["DTEND"], calendar, target)
        end = value if isinstance(value, datetime) else None
    elif event.get("DURATION") is not None and isinstance(event["DURATION"].dt, timedelta):
        end = (start + event["DURATION"].dt).astimezone(target)
    end_time = (
        end.time().replace(tzinfo=None) if end is not None and end.date() == start.date() and end > start else None
    )
    return start.date(), start.time().replace(tzinfo=None), end_time


def _moment(prop: Any, calendar: Any, target: tzinfo) -> datetime | date | None:
    """A DTSTART/DTEND in the target zone (a datetime), a date for all-day, None when unknown."""
    value = prop.dt
    if not isinstance(value, datetime):
        return value if isinstance(value, date) else None
    tzid = prop.params.get("TZID")
    if tzid:
        zone = _zone(str(tzid), value, calendar)
        if zone is None:
            return None
        value = value.replace(tzinfo=zone)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=target)  # floating time: the organisation's
    return value.astimezone(target)


def _zone(tzid: str, value: datetime, calendar: Any) -> tzinfo | None:
    name = tzid.strip().strip('"').strip()
    iana = _WINDOWS_ZONES.get(name) or _library_windows_zones().get(name) or name
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+){0,2}", iana):
        try:
            return ZoneInfo(iana)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    if value.tzinfo is not None:
        return value.tzinfo  # the icalendar package built it from the mail's VTIMEZONE
    for component in calendar.walk("VTIMEZONE"):
        if str(component.get("TZID", "")).strip('"') == name:
            try:
                return component.to_tz()  # type: ignore[no-any-return]
            except Exception:  # a broken VTIMEZONE is no zone
                return None
    return _display_zone(name)


def _display_zone(name: str) -> tzinfo | None:
    """`(UTC+08:00) Beijing, Chongqing, Hong Kong, Urumqi`: the city's zone, else the stated offset."""
    m = _DISPLAY_OFFSET.match(name)
    if m is None:
        return None
    rest = name[m.end() :].lower()
    for city, iana in _DISPLAY_NAMES.items():
        if city in rest:
            return ZoneInfo(iana)
    if m.group("sign") is None:
        return UTC
    minutes = int(m.group("h")) * 60 + int(m.group("m") or 0)
    if minutes > 14 * 60:
        return None
    return timezone(timedelta(minutes=minutes if m.group("sign") == "+" else -minutes))


@cache
def _library_windows_zones() -> dict[str, str]:
    """The icalendar package's full Windows→IANA table, where its version has one."""
    for module in ("icalendar.timezone.windows_to_olson", "icalendar.windows_to_olson"):
        try:
            table = import_module(module).WINDOWS_TO_OLSON
        except (ImportError, AttributeError):
            continue
        return {str(k): str(v) for k, v in dict(table).items()}
    return {}
