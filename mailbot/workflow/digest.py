"""The weekly status mail (seeds: the Monday status to all parties), one per person and ISO week.

`run_digest(app, now)` is a function of (database, now), like every periodic job: it does nothing
before the configured moment of the week (policy `[digest]`, org time zone), and from then on,
on working days, decides one mail per party under the key `digest:{YYYY-Www}:{address}`. Called
every minute it therefore sends once; after downtime it sends this week's digest on the first
working day back (at or after the configured time of day), and never the weeks it missed: an
old status is no status. A weekend or holiday sends nothing (nobody reads it then; a Monday
holiday moves the digest to the first working day after it).

Who gets it: every party of an active meeting — in review, disputed, or confirmed with open
actions — meaning its attendees, host, recorder, the action owners and the heads (role "head")
of the owners' departments. A person who is party to no active meeting gets nothing, never an
empty mail. A party whose own actions are all done still gets it while their meeting has open
work: the digest is the meeting's status, and their done item shows under "done last week".

What it holds, per recipient: their own open actions first (across meetings), then per meeting:
overdue, due this week (Mon–Sun), delayed (new date and reason), awaiting confirmation, open
objections, done in the last 7 days, and counts by status. The sections answer different
questions, so an action may be in two (delayed and due this week). "Done" counts as closed here
(its 验收 is the requester's business), so it never makes a meeting active by itself.

Queries are bulk: active meetings, their actions, the escalation and done events, and the
department heads are each loaded once per run, then grouped in Python per recipient.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from mailbot.app import App
from mailbot.exports import to_xlsx
from mailbot.meetings import OPEN_STATUSES, action_view
from mailbot.notify import Notifier
from mailbot.outbox import OutgoingFile
from mailbot.store.models import ActionItem, Event, Meeting, Person

# An objected action waits for the host's decision, not for its owner: it is an objection, not late.
CHASED = ("awaiting_confirmation", "accepted", "in_progress", "delayed")
STATUS_ORDER = ("awaiting_confirmation", "accepted", "in_progress", "delayed", "objected", "done", "verified")


def week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def digest_moment(app: App, day: date) -> datetime:
    """The configured send moment of the week `day` lies in, as an aware datetime."""
    rule = app.policy.digest
    monday = day - timedelta(days=day.weekday())
    return datetime.combine(monday + timedelta(days=rule.weekday_index), rule.at, tzinfo=app.config.tz)


def digest_due(app: App, now: datetime) -> bool:
    """Whether this instant may send this week's digest (see the module docstring)."""
    local = now.astimezone(app.config.tz)
    return (
        local >= digest_moment(app, local.date())
        and local.time() >= app.policy.digest.at
        and app.calendar.is_workday(local.date())
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Week:
    """Everything the digests of one day need, loaded in a handful of queries."""

    today: date
    meetings: list[Meeting]
    escalated: set[int]
    done_recently: set[int]
    heads: dict[str, list[str]]  # department -> head addresses
    parties: dict[int, list[str]] = field(default_factory=dict)  # meeting id -> addresses
    # Built once per run: a meeting's section is the same in every party's mail.
    _sections: dict[int, dict[str, Any]] = field(default_factory=dict)
    _by_party: dict[str, list[Meeting]] | None = None

    def recipients(self) -> list[str]:
        return list(dict.fromkeys(a for m in self.meetings for a in self.parties[m.id]))

    def meetings_of(self, recipient: str) -> list[Meeting]:
        if self._by_party is None:
            self._by_party = {}
            for meeting in self.meetings:
                for address in dict.fromkeys(self.parties[meeting.id]):
                    self._by_party.setdefault(address, []).append(meeting)
        return self._by_party.get(recipient, [])

    def section(self, meeting: Meeting) -> dict[str, Any]:
        if meeting.id not in self._sections:
            self._sections[meeting.id] = meeting_digest(meeting, self)
        return self._sections[meeting.id]


def load_week(session: Session, app: App, today: date) -> Week:
    # "Done last week": from midnight a week ago, a function of the day alone, so a preview and
    # the mail sent later that day list the same items.
    since = datetime.combine(today - timedelta(days=7), datetime.min.time(), tzinfo=app.config.tz)
    open_meeting = select(ActionItem.meeting_id).where(ActionItem.status.in_(OPEN_STATUSES))
    meetings = list(
        session.scalars(
            select(Meeting)
            .where(
                or_(
                    Meeting.status.in_(("in_review", "disputed")),
                    (Meeting.status == "confirmed") & Meeting.id.in_(open_meeting),
                )
            )
            .options(selectinload(Meeting.actions))
            .order_by(Meeting.id)
        )
    )
    action_ids = [a.id for m in meetings for a in m.actions]
    escalated: set[int] = set()
    done_recently: set[int] = set()
    if action_ids:
        # Both indexed on events.action_id; one query each for every meeting of the run.
        escalated = set(
            session.scalars(select(Event.action_id).where(Event.what == "action.escalated", Event.action_id.in_(action_ids)))
        )  # fmt: skip
        done_recently = set(
            session.scalars(
                select(Event.action_id).where(
                    Event.what == "action.done", Event.action_id.in_(action_ids), Event.at >= since
                )
            )
        )
    departments = {a.department for m in meetings for a in m.actions if a.department and a.status != "cancelled"}
    heads: dict[str, list[str]] = defaultdict(list)
    if departments:
        for department, address in session.execute(
            select(Person.department, Person.address)
            .where(Person.role == "head", Person.department.in_(departments))
            .order_by(Person.address)
        ):
            heads[department].append(address)
    week = Week(today=today, meetings=meetings, escalated=escalated, done_recently=done_recently, heads=dict(heads))
    bot = app.sender.address
    for meeting in meetings:
        live = [a for a in meeting.actions if a.status != "cancelled"]
        owners = [a.owner_address for a in live]
        department_heads = [h for a in live if a.department for h in week.heads.get(a.department, [])]
        everyone = [*meeting.attendees, *owners, *department_heads, meeting.host_address, meeting.recorder_address]
        week.parties[meeting.id] = list(dict.fromkeys(p.lower() for p in everyone if p and p.lower() != bot))
    return week


def row(action: ActionItem, week: Week) -> dict[str, Any]:
    overdue = (week.today - action.due).days if action.status in CHASED and action.due < week.today else 0
    return {
        **action_view(action),
        "overdue_days": overdue,
        "escalated": action.id in week.escalated,
        "delay_reason": action.delay_reason,
        "objection_reason": action.objection_reason,
    }


def meeting_digest(meeting: Meeting, week: Week) -> dict[str, Any]:
    monday = week.today - timedelta(days=week.today.weekday())
    sunday = monday + timedelta(days=6)
    live = [a for a in meeting.actions if a.status != "cancelled"]
    chased = [a for a in live if a.status in CHASED]
    by_due = sorted(chased, key=lambda a: (a.due, a.id))
    counts = Counter(a.status for a in live)
    return {
        "ref": meeting.ref,
        "title": meeting.title,
        "date": meeting.meeting_date,
        "status": meeting.status,
        "host": meeting.host_address,
        "overdue": [row(a, week) for a in by_due if a.due < week.today],
        "due_this_week": [row(a, week) for a in by_due if week.today <= a.due <= sunday],
        "delayed": [row(a, week) for a in by_due if a.status == "delayed"],
        "awaiting": [row(a, week) for a in by_due if a.status == "awaiting_confirmation"],
        "objections": [row(a, week) for a in live if a.status == "objected"],
        "done": [row(a, week) for a in live if a.status in ("done", "verified") and a.id in week.done_recently],
        "counts": [{"status": s, "count": counts[s]} for s in STATUS_ORDER if counts[s]],
        "overdue_count": sum(1 for a in chased if a.due < week.today),
        "total": len(live),
    }


def digest_for(week: Week, recipient: str) -> dict[str, Any] | None:
    """The template context for one person, or None when they are party to no active meeting."""
    recipient = recipient.lower()
    theirs = week.meetings_of(recipient)
    if not theirs:
        return None
    mine = [
        {**row(a, week), "meeting_ref": m.ref, "meeting_title": m.title}
        for m in theirs
        for a in m.actions
        if a.status in OPEN_STATUSES and a.owner_address.lower() == recipient
    ]
    # Overdue first (most overdue on top), then by due date: what to do today leads the mail.
    mine.sort(key=lambda r: (-r["overdue_days"], r["due"], r["ref"]))
    meetings = [week.section(m) for m in theirs]
    monday = week.today - timedelta(days=week.today.weekday())
    return {
        "today": week.today,
        "week": week_label(week.today),
        "week_start": monday,
        "week_end": monday + timedelta(days=6),
        "recipient": recipient,
        "mine": mine,
        "meetings": meetings,
        "overdue_total": sum(m["overdue_count"] for m in meetings),
        "mine_overdue": sum(1 for r in mine if r["overdue_days"]),
        # For people whose own language is unknown: the one their (first) meeting was written in.
        "meeting_language": theirs[0].language,
    }


def build_digest(session: Session, app: App, recipient: str, today: date) -> dict[str, Any] | None:
    """One person's digest context on `today` (None: nothing open for them, so no mail)."""
    return digest_for(load_week(session, app, today), recipient)


def digest_language(notifier: Notifier, recipient: str, context: dict[str, Any]) -> str:
    """The person's own language, else the language of their first active meeting."""
    notifier.fallback_language = context["meeting_language"]
    return notifier.language_of(recipient)


def host_table(week: Week, recipient: str, language: str) -> list[OutgoingFile]:
    """The host's Monday mail carries the tracking table (行动项跟踪表) of the meetings they host."""
    hosted = [m for m in week.meetings_of(recipient) if (m.host_address or "").lower() == recipient]
    if not hosted:
        return []
    rows = [
        {**action_view(a), "meeting": m.ref, "meeting_title": m.title, "delay_reason": a.delay_reason}
        for m in hosted
        for a in m.actions
        if a.status != "cancelled"
    ]
    name = "行动项跟踪表.xlsx" if language == "zh" else "action-tracking.xlsx"
    return [OutgoingFile(name, XLSX, to_xlsx(rows, language, week.today))]


def run_digest(app: App, now: datetime) -> dict[str, int]:
    """Decide this week's digests, once per person; nothing before the configured moment."""
    counts = {"digests": 0}
    if not digest_due(app, now):
        return counts
    today = now.astimezone(app.config.tz).date()
    label = week_label(today)
    with app.db.transaction() as session:
        week = load_week(session, app, today)
        notifier = Notifier(app=app, session=session, now=now, actor="mailbot")
        recipients = week.recipients()
        notifier.know(recipients)
        for recipient in recipients:
            context = digest_for(week, recipient)
            if context is None:
                continue
            refs = [m["ref"] for m in context["meetings"]]
            single = next((m.id for m in week.meetings if m.ref == refs[0]), None) if len(refs) == 1 else None
            language = digest_language(notifier, recipient, context)
            if notifier.send(
                key=f"digest:{label}:{recipient}", kind="digest", to=recipient, context=context,
                language=language, meeting_id=single, attachments=host_table(week, recipient, language),
            ):  # fmt: skip
                counts["digests"] += 1
        if counts["digests"]:
            notifier.event("digest.sent", detail={"week": label, "count": counts["digests"]})
    return counts
