"""Finding the meeting a mail is about, and turning stored rows into what templates show."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from mailbot.formats.model import PersonRef
from mailbot.message import InboundMail
from mailbot.store.models import ActionItem, Meeting, OutboxMail, Topic

MEETING_REF = re.compile(r"\bM-(\d{1,9})\b")


def match_key(title: str, day: date) -> str:
    """Title and date, folded: a resend with different spacing or full-width letters still matches."""
    folded = unicodedata.normalize("NFKC", title).lower()
    folded = re.sub(r"[\s\W_]+", "", folded)
    return f"{day.isoformat()}|{folded}"


def find_meeting(
    session: Session, mail: InboundMail, title: str | None, day: date | None, *, sender: str
) -> Meeting | None:
    """The meeting this mail continues: named by ref in the subject, by thread, or by title and date.

    A meeting found by title and date alone is one `sender` may change (`may_change`): a stranger's
    draft with the same title and date is another meeting, never a new version of this one. A
    meeting the mail names (ref or thread) is returned whoever sent it: the handler refuses."""
    ref = MEETING_REF.search(mail.subject)
    if ref:
        meeting = session.get(Meeting, int(ref.group(1)))
        if meeting is not None:
            return meeting
    for message_id in (*mail.in_reply_to, *mail.references):
        meeting_id = session.scalar(_THREAD_MEETING, {"message_id": message_id})
        if meeting_id is not None:
            return session.get(Meeting, meeting_id)
    if title and day:
        for meeting in session.scalars(_SAME_TITLE, {"match_key": match_key(title, day)}):
            if may_change(meeting, sender):
                return meeting
    return None


# Meetings with one title and date looked at for the sender's own (a stranger's copies count too).
MAX_SAME_TITLE = 50

# Built once, the values bound at each execution: building a statement per mail (and its cache
# key) costs more than running it.
_THREAD_MEETING = select(OutboxMail.meeting_id).where(
    OutboxMail.message_id == bindparam("message_id"), OutboxMail.meeting_id.is_not(None)
)
_SAME_TITLE = (
    select(Meeting).where(Meeting.match_key == bindparam("match_key")).order_by(Meeting.id.desc()).limit(MAX_SAME_TITLE)
)


def may_change(meeting: Meeting, sender: str) -> bool:
    """Whether `sender` may send a new version or agenda of the meeting (reliability.md): its
    recorder, its host, or the sender of the version in force. A meeting nobody holds yet (made
    by a draft that was never accepted, before senders were kept) is open to whoever continues it."""
    holders = {a.lower() for a in (meeting.recorder_address, meeting.host_address, meeting.version_sender) if a}
    return not holders or sender.lower() in holders


def meeting_view(meeting: Meeting) -> dict[str, Any]:
    return {
        "ref": meeting.ref,
        "title": meeting.title,
        "project": meeting.project,
        "date": meeting.meeting_date,
        "start_time": meeting.start_time.strftime("%H:%M") if meeting.start_time else None,
        "end_time": meeting.end_time.strftime("%H:%M") if meeting.end_time else None,
        "place": meeting.place,
        "host": meeting.host_address,
        "recorder": meeting.recorder_address,
        "goal": meeting.goal,
        "attendees": list(meeting.attendees or []),
        "names": dict(meeting.names or {}),
        "attendees_text": meeting.attendees_text,
        # 缺席人员及原因, as the draft wrote it ("研发部总监（客户拜访，工程师代参会）", "无").
        "absent_text": meeting.absent_text or "",
        "confirm_by": meeting.confirm_by,
        "status": meeting.status,
        # The language the meeting's mails were written in: the calendar files' words.
        "language": meeting.language,
        # Grows with every change of the meeting: the invitation's SEQUENCE (a later one updates).
        "sequence": _sequence(meeting.created_at, meeting.updated_at),
        "topics": [topic_view(t) for t in meeting.topics],
        "decisions": [d.text for d in meeting.decisions],
    }


def topic_view(topic: Topic) -> dict[str, Any]:
    """A topic as the minutes show it (议题与讨论要点): its discussion as written, lines kept."""
    return {
        "number": topic.number,
        "name": topic.name,
        "owner": topic.owner_text,
        "planned": topic.planned_minutes,
        "actual": topic.actual_minutes,
        "discussion": topic.discussion or "",
    }


def action_view(action: ActionItem) -> dict[str, Any]:
    return {
        "ref": action.ref,
        "description": action.description,
        "owner": action.owner_address,
        "owner_name": action.owner_name,
        "department": action.department,
        "support": action.support,
        "due": action.due,
        "due_text": action.due_text,
        "due_provisional": action.due_provisional,
        "deliverable": action.deliverable,
        "status": action.status,
        "consent": action.consent,
        "requester": action.requester_address,
        "requester_name": action.requester_name,
        # How it stands beyond its status: the numbering of the draft, its notes, why it was
        # objected or delayed, when it was delivered and verified (UTC; mails show local days).
        "number": action.number,
        "notes": action.notes or "",
        "objection_reason": action.objection_reason,
        "delay_reason": action.delay_reason,
        "done_at": action.done_at,
        "verified_at": action.verified_at,
        "verified_by": action.verified_by,
        # Grows with every change of the action: its calendar entries' SEQUENCE.
        "sequence": _sequence(action.created_at, action.updated_at),
    }


def _sequence(created: datetime | None, updated: datetime | None) -> int:
    """Seconds from creation to the last change: a calendar SEQUENCE that only grows, the same in
    every file made from one state (an acknowledgement and its notices agree)."""
    if created is None or updated is None:
        return 0
    return max(0, int((updated - created).total_seconds()))


def remember_names(meeting: Meeting, *people: PersonRef | None) -> None:
    """Keep the names the recorder wrote for the meeting's people (a later draft may add some)."""
    names = dict(meeting.names or {})
    for person in people:
        if person is not None and person.name:
            names[person.address] = person.name
    meeting.names = names


def verifier(wanted: str | None, owner: str, host: str | None) -> str | None:
    """Who verifies an action once done (验收): the requester wanted, but never the owner — the host
    stands in for an owner who would verify their own work, unless the host owns it too (then done
    is final). One rule for the minutes and for a change of owner later."""
    wanted, owner, host = (wanted or "").lower(), owner.lower(), (host or "").lower()
    if wanted and wanted != owner:
        return wanted
    if wanted and host and host != owner:
        return host
    return None
