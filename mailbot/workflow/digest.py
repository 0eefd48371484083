"""The weekly status mail (seeds: the Monday status to all parties), one per person and ISO week.

`run_digest(app, now)` is a function of (database, now), like every periodic job: it does nothing
before the configured moment of the week (policy `[digest]`, org time zone), and from then on,
on the first working-day tick, decides one mail per party under the key
`digest:{YYYY-Www}:{address}` and records the week's run (table job_runs), so every later tick
that week does nothing: one run per week, whoever becomes a party mid-week waits for the next.
After downtime it sends this week's digest on the first working day back (at or after the
configured time of day), and never the weeks it missed: an old status is no status. A weekend or holiday sends nothing (nobody reads it then; a Monday
holiday moves the digest to the first working day after it).

Who gets it: every party of an active meeting — in review, disputed, or confirmed with open
actions or done actions awaiting 验收 — meaning its attendees, host, recorder, the action owners,
the requesters of done actions, and the heads (role "head") of the owners' departments. A head
who is nothing else in a meeting sees only their departments' actions of it (a head of a large
organisation is party to hundreds of meetings through their people). A person who is party to no active meeting gets nothing, never an
empty mail. A party whose own actions are all done still gets it while their meeting has open
work: the digest is the meeting's status, and their done item shows under "done last week".

What it holds, per recipient: their own open actions first (across meetings) and the actions
waiting for their 验收, then per meeting its counts by status and each action once, in the section
of where it stands (`section_of`): overdue (in working days, the count escalations use), due this
week (Mon–Sun), delayed (new date and reason), awaiting confirmation, open objections, awaiting
验收, due later, done or verified in the last 7 days. An action listed in the recipient's own part
is not listed again under its meeting (the meeting says how many of theirs are above), and the
actions closed before last week are counted and said to be left out: every action a count names is
in the mail or accounted for. A done action with no requester counts as closed. People are shown
by name wherever one is known (the minutes, the meeting's names, the directory), else by address.
A host's and a department head's mail opens with an at-a-glance picture of what they oversee
(`glance`: overdue and open per department, open by due week), drawn in table cells.

Queries are bulk: active meetings, their actions, the escalation and done events, and the
department heads are each loaded once per run, as tuples of the columns read (MeetingRecord,
ActionRecord), then grouped in Python per recipient. A meeting's section is built once per run
and shared by every mail it appears in, and a head's part of it shares its rows; its rows hold
only the fields their part of the mail shows (FIELDS), dates as ISO strings. A section is stored
once (outbox.SharedPart, table outbox_parts), not in each reader's row: a host, the department
heads and every owner read the same one, and those copies were most of a run's bytes and time
(bench/scale.py). A reader's row names it, with the refs their view leaves out (their own items,
listed above: for_recipient); the outbox merges it back when the mail is rendered. A host's
tracking table (.xlsx) is decided as a recipe, its cells, and built when the mail is sent
(host_table). Mails are written DIGEST_BATCH at a time, and only those contexts are held at once.
"""

from __future__ import annotations

import gc
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.languages import Languages
from mailbot.lifecycle import (
    DELIVERED,
    DIGEST_LEAVES_OUT,
    DIGEST_ORDER,
    LIVE,
    OPEN,
    UNDER_REVIEW,
    WAITING_ON_OWNER,
    MeetingStatus,
    Status,
    StatusWords,
)
from mailbot.notify import Notifier
from mailbot.outbox import DeferredFile, SharedPart
from mailbot.store.models import ActionItem, Event, JobRun, Meeting, Person
from mailbot.workdays import WorkCalendar
from mailbot.workflow.reminders import overdue_working_days

log = logging.getLogger("mailbot.digest")

# What each part of the mail shows of an action (templates/<lang>/digest.txt, templates/_digest_body.html):
# a row holds these fields and no others, since every mail's context is stored (as JSON) and a
# department head's spans hundreds of meetings. A template that shows another field of a section
# needs it added here; tests/test_digest_sections.py renders every section in both languages.
# `row` leaves out what says nothing (see there): the templates read those with .get().
OWNER_FIELDS = ("ref", "description", "owner", "owner_name", "department")
FIELDS = {
    "mine": ("ref", "description", "meeting_ref", "meeting_title", "due", "overdue_days", "escalated", "status"),
    "overdue": (*OWNER_FIELDS, "due", "overdue_days", "escalated", "status"),
    "due_this_week": (*OWNER_FIELDS, "due", "status"),
    "delayed": (*OWNER_FIELDS, "due", "delay_reason"),
    "awaiting": (*OWNER_FIELDS, "due"),
    "objections": (*OWNER_FIELDS, "objection_reason"),
    "acceptance": (*OWNER_FIELDS, "requester", "requester_name", "done_on"),
    "later": (*OWNER_FIELDS, "due", "status"),
    "done": (*OWNER_FIELDS, "status"),
    "to_verify": ("ref", "description", "meeting_ref", "meeting_title", *OWNER_FIELDS[2:], "done_on"),
}
# A meeting's sections, in FIELDS' order, which is the mail's; each action of it is in one at most.
SECTIONS = tuple(name for name in FIELDS if name not in ("mine", "to_verify"))
# The sections listed by due date (most overdue, or soonest due, first); the others by ref.
BY_DUE = ("overdue", "due_this_week", "delayed", "awaiting", "later")


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
    meetings: list[MeetingRecord]
    actions: dict[int, list[ActionRecord]]  # meeting id -> its actions (see load_actions), in id order
    escalated: set[int]
    done_recently: set[int]
    heads: dict[str, list[str]]  # department -> head addresses
    tz: tzinfo  # the organisation's: a day is a day there
    calendar: WorkCalendar  # overdue counts working days, as reminders and escalations do
    names: dict[str, str] = field(default_factory=dict)  # address -> the directory's name for it
    parties: dict[int, list[str]] = field(default_factory=dict)  # meeting id -> addresses
    # Meeting id -> the parties who see all of it (attendees, owners, host, recorder, requesters);
    # a department head who is none of these sees their departments' actions only.
    full_parties: dict[int, set[str]] = field(default_factory=dict)
    head_departments: dict[str, frozenset[str]] = field(default_factory=dict)  # head address -> departments
    # Built once per run: a meeting's section is the same in every party's mail (per scope).
    _sections: dict[tuple[int, frozenset[str] | None], SharedPart] = field(default_factory=dict)
    _by_party: dict[str, list[MeetingRecord]] | None = None
    _by_owner: dict[str, list[tuple[MeetingRecord, ActionRecord]]] | None = None  # address -> their open actions
    _by_requester: dict[str, list[tuple[MeetingRecord, ActionRecord]]] | None = None  # address -> actions they verify
    _open_by_department: dict[str, list[ActionRecord]] | None = None
    # Meeting id -> its whole section's rows and counted actions by department, for its heads'
    # parts (see meeting_digest); ref -> the section of its meeting's whole part it is listed in.
    grouped: dict[int, Departments] = field(default_factory=dict)
    placed: dict[str, str] = field(default_factory=dict)
    _overdue_days: dict[date, int] = field(default_factory=dict)

    def actions_of(self, meeting: MeetingRecord) -> list[ActionRecord]:
        return self.actions.get(meeting.id, [])

    def recipients(self) -> list[str]:
        return list(dict.fromkeys(a for m in self.meetings for a in self.parties[m.id]))

    def meetings_of(self, recipient: str) -> list[MeetingRecord]:
        if self._by_party is None:
            self._by_party = {}
            for meeting in self.meetings:
                for address in dict.fromkeys(self.parties[meeting.id]):
                    self._by_party.setdefault(address, []).append(meeting)
        return self._by_party.get(recipient, [])

    def section(self, meeting: MeetingRecord, departments: frozenset[str] | None = None) -> SharedPart:
        """The meeting's part (of `departments` only, when given), the same object in every mail
        that shows it whole: stored once in the outbox (SharedPart), not once a reader."""
        key = (meeting.id, departments)
        if key not in self._sections:
            self._sections[key] = SharedPart(meeting_digest(meeting, self, departments))
        return self._sections[key]

    def section_for(self, meeting: MeetingRecord, recipient: str) -> SharedPart:
        """The whole meeting for its own parties; for a department head who is only that, the
        actions of their departments: a head of a large organisation is party to hundreds of
        meetings through their people, and a mail of every action of each would be unreadable
        (and, measured at 1,000 meetings, megabytes that mail servers refuse)."""
        if recipient in self.full_parties.get(meeting.id, set()):
            return self.section(meeting)
        return self.section(meeting, self.head_departments.get(recipient, frozenset()))

    def overdue_days(self, due: date) -> int:
        """Working days from `due` to today, once per day of the run (a run has a few hundred)."""
        days = self._overdue_days.get(due)
        if days is None:
            days = self._overdue_days[due] = overdue_working_days(self.calendar, due, self.today)
        return days

    def name_of(self, address: str | None, meeting: MeetingRecord, written: str | None = None) -> str | None:
        """A person's name: as the minutes wrote it on the action, as the meeting named them, or
        the directory's; None when nobody ever named the address."""
        if not address:
            return None
        return written or (meeting.names or {}).get(address) or self.names.get(address.lower())

    def to_verify(self, recipient: str) -> list[tuple[MeetingRecord, ActionRecord]]:
        """Done actions waiting for `recipient`'s 验收, meeting by meeting."""
        if self._by_requester is None:
            self._by_requester = self._index(lambda a: a.requester_address if a.status == Status.DONE else None)
        return self._by_requester.get(recipient, [])

    def open_actions_of(self, recipient: str) -> list[tuple[MeetingRecord, ActionRecord]]:
        """The open actions `recipient` owns, meeting by meeting. The owner of an open action is a
        party of its meeting, so these lie in `meetings_of(recipient)`, in the same order."""
        if self._by_owner is None:
            self._by_owner = self._index(lambda a: a.owner_address if a.status in OPEN else None)
        return self._by_owner.get(recipient, [])

    def open_in(self, department: str) -> list[ActionRecord]:
        """The open actions of `department` in the run's meetings."""
        if self._open_by_department is None:
            self._open_by_department = {}
            for meeting in self.meetings:
                for action in self.actions_of(meeting):
                    if action.status in OPEN and action.department:
                        self._open_by_department.setdefault(action.department, []).append(action)
        return self._open_by_department.get(department, [])

    def _index(
        self, person_of: Callable[[ActionRecord], str | None]
    ) -> dict[str, list[tuple[MeetingRecord, ActionRecord]]]:
        """Address -> (meeting, action) for every action `person_of` names someone for, built once
        per run instead of a scan per recipient."""
        index: dict[str, list[tuple[MeetingRecord, ActionRecord]]] = {}
        for meeting in self.meetings:
            for action in self.actions_of(meeting):
                if person := person_of(action):
                    index.setdefault(person.lower(), []).append((meeting, action))
        return index


def load_week(session: Session, app: App, today: date, created_before: datetime | None = None) -> Week:
    """`created_before`: the week's send moment, for the run that sends it: a meeting whose minutes
    came in after it (the bot was down on Monday, or first started mid-week) waits for next week's
    status instead of a "weekly" mail the day its minutes arrived."""
    # "Done last week": from midnight a week ago, a function of the day alone, so a preview and
    # the mail sent later that day list the same items.
    since = datetime.combine(today - timedelta(days=7), datetime.min.time(), tzinfo=app.config.tz)
    open_meeting = select(ActionItem.meeting_id).where(
        ActionItem.status.in_(OPEN)
        | ((ActionItem.status == Status.DONE) & ActionItem.requester_address.is_not(None))  # awaiting 验收
    )
    active = or_(
        Meeting.status.in_(UNDER_REVIEW),
        (Meeting.status == MeetingStatus.CONFIRMED) & Meeting.id.in_(open_meeting),
    )
    if created_before is not None:
        active = and_(active, Meeting.created_at <= created_before)
    make = MeetingRecord._make
    columns = [Meeting.__table__.c[name] for name in MeetingRecord._fields if name != "ref"]  # type: ignore[attr-defined]
    meetings = [
        make((*values, f"M-{values[0]}"))  # its ref, as Meeting.ref
        for values in session.connection().execute(select(*columns).where(active).order_by(Meeting.id))
    ]
    actions = load_actions(session, select(Meeting.id).where(active))
    escalated: set[int] = set()
    done_recently: set[int] = set()
    if meetings:
        # One query each for every meeting of the run (events.action_id is indexed). The actions
        # by subquery, not as a list of ids: PostgreSQL takes at most 65,535 parameters in a
        # statement, fewer than the actions of a large organisation's active meetings.
        in_run = Event.action_id.in_(
            select(ActionItem.id).join(Meeting, ActionItem.meeting_id == Meeting.id).where(active)
        )
        escalated = set(session.scalars(select(Event.action_id).where(Event.what == "action.escalated", in_run)))
        # Delivered last week: reported done, or verified (验收) — the work closed then.
        delivered = Event.what.in_(("action.done", "action.verified"))
        done_recently = set(session.scalars(select(Event.action_id).where(delivered, Event.at >= since, in_run)))
    departments = {a.department for m in actions.values() for a in m if a.department and a.status in LIVE}
    heads: dict[str, list[str]] = defaultdict(list)
    head_departments: dict[str, set[str]] = defaultdict(set)
    if departments:
        for department, address in session.execute(
            select(Person.department, Person.address)
            .where(Person.role == "head", Person.department.in_(departments))
            .order_by(Person.address)
        ):
            heads[department].append(address)
            head_departments[address.lower()].add(department)
    week = Week(
        today=today,
        meetings=meetings,
        actions=actions,
        escalated=escalated,
        done_recently=done_recently,
        heads=dict(heads),
        tz=app.config.tz,
        calendar=app.calendar,
        names=directory_names(session, unnamed(meetings, actions)),
        head_departments={a: frozenset(d) for a, d in head_departments.items()},
    )
    bot = app.sender.address
    for meeting in meetings:
        live = [a for a in week.actions_of(meeting) if a.status in LIVE]
        owners = [a.owner_address for a in live]
        requesters = [a.requester_address for a in live if a.status == Status.DONE and a.requester_address]
        department_heads = [h for a in live if a.department for h in week.heads.get(a.department, [])]
        full = [*meeting.attendees, *owners, *requesters, meeting.host_address, meeting.recorder_address]
        everyone = [*full, *department_heads]
        if meeting.status == MeetingStatus.CONFIRMED and not any(a.status in OPEN for a in live):
            # Active only for actions awaiting 验收: that is the requesters' and the host's business,
            # not a weekly mail to every attendee until somebody verifies.
            full = everyone = [*requesters, meeting.host_address]
        week.parties[meeting.id] = list(dict.fromkeys(p.lower() for p in everyone if p and p.lower() != bot))
        week.full_parties[meeting.id] = {p.lower() for p in full if p}
    return week


def unnamed(meetings: list[MeetingRecord], actions: dict[int, list[ActionRecord]]) -> set[str]:
    """The people the digest shows (owners, verifiers, hosts) whom neither the minutes nor the
    meeting name: the directory may know them."""
    wanted: set[str] = set()
    for meeting in meetings:
        names = meeting.names or {}
        if meeting.host_address and meeting.host_address not in names:
            wanted.add(meeting.host_address.lower())
        for a in actions.get(meeting.id, []):
            if not a.owner_name and a.owner_address not in names:
                wanted.add(a.owner_address.lower())
            if a.requester_address and not a.requester_name and a.requester_address not in names:
                wanted.add(a.requester_address.lower())
    return wanted


def directory_names(session: Session, addresses: set[str]) -> dict[str, str]:
    """Address -> name, for those of `addresses` the people table names (in chunks: PostgreSQL
    takes at most 65,535 parameters in one statement)."""
    found: dict[str, str] = {}
    wanted = sorted(addresses)
    for start in range(0, len(wanted), NAME_CHUNK):
        chunk = wanted[start : start + NAME_CHUNK]
        rows = session.execute(
            select(Person.address, Person.name).where(Person.address.in_(chunk), Person.name.is_not(None))
        )
        found.update({address.lower(): name for address, name in rows if name})
    return found


NAME_CHUNK = 5000


class MeetingRecord(NamedTuple):
    """A meeting as the digest reads it: a tuple, not an ORM object, since a run reads its
    attributes millions of times (every head's mail walks most meetings)."""

    id: int
    title: str
    meeting_date: date
    status: str
    language: str | None
    host_address: str | None
    recorder_address: str | None
    attendees: list[str]
    names: dict[str, str]
    ref: str


class ActionRecord(NamedTuple):
    """An action as the digest reads it: the columns its mails and the host's table show, and
    its `ref`. A tuple, not an ORM object nor a namespace of every column: a run holds every
    action of the active meetings at once (100,000 in bench/scale.py), and the columns it never
    reads (the source line, notes, the timestamps) were most of that memory."""

    id: int
    meeting_id: int
    description: str
    owner_address: str
    owner_name: str | None
    department: str | None
    support: str
    due: date
    deliverable: str
    status: str
    consent: str | None
    objection_reason: str | None
    delay_reason: str | None
    requester_address: str | None
    requester_name: str | None
    done_at: datetime | None
    verified_at: datetime | None
    verified_by: str | None
    ref: str


_ACTION_COLUMNS = [ActionItem.__table__.c[name] for name in ActionRecord._fields if name != "ref"]  # type: ignore[attr-defined]


def load_actions(session: Session, meeting_ids: Select[tuple[int]]) -> dict[int, list[ActionRecord]]:
    """The actions of these meetings by meeting, in id order, as read-only records (ActionRecord):
    Core rows of the columns the digest reads, not ORM objects (a third of the time), and a run
    reads them only."""
    by_meeting: dict[int, list[ActionRecord]] = defaultdict(list)
    query = select(*_ACTION_COLUMNS).where(ActionItem.meeting_id.in_(meeting_ids)).order_by(ActionItem.id)
    make = ActionRecord._make
    # One object per distinct value of the columns that repeat (owners, departments, statuses,
    # days): the driver makes a new string or date for every row, a third of the records' memory.
    seen: dict[Any, Any] = {}
    one = seen.setdefault
    for values in session.connection().execute(query):
        values = list(values)
        for column in _REPEATING:
            values[column] = one(values[column], values[column])
        action = make((*values, f"A-{values[0]}"))  # its ref, as ActionItem.ref
        by_meeting[action.meeting_id].append(action)
    return dict(by_meeting)


_REPEATING = tuple(
    ActionRecord._fields.index(name)
    for name in ("owner_address", "owner_name", "department", "support", "due", "deliverable", "status", "consent",
                 "requester_address", "requester_name", "verified_by")
)  # fmt: skip


@lru_cache(maxsize=4096)
def iso(day: date | None) -> str | None:
    # Cached: every row of a run holds a day's text, and a few hundred days make them all.
    return day.isoformat() if day is not None else None


def is_overdue(action: ActionRecord, week: Week) -> bool:
    """Open, the owner's move, and past its due date (an objection waits for the host: not late)."""
    return action.status in WAITING_ON_OWNER and action.due < week.today


def row(action: ActionRecord, meeting: MeetingRecord, week: Week, section: str) -> dict[str, Any]:
    """The fields `section` shows of an action (FIELDS), dates as the ISO strings the outbox's
    JSON would make of them anyway, overdue in working days; less what shows nothing: the
    templates show a person's name, else their address (`a.owner_name or a.owner`), so a named
    person's address is left out (an eighth of the stored bytes of a run), and so are "not
    escalated" and, in the recipient's own items, "0 days overdue" (read with .get())."""
    shown = {name: value(action, meeting, week) for name, value in _FIELD_VALUES[section]}
    if shown.get("owner_name"):
        del shown["owner"]
    if shown.get("requester_name"):
        del shown["requester"]
    if "escalated" in shown and not shown["escalated"]:
        del shown["escalated"]
    if section == "mine" and not shown["overdue_days"]:
        del shown["overdue_days"]
    return shown


def overdue_of(action: ActionRecord, week: Week) -> int:
    return week.overdue_days(action.due) if is_overdue(action, week) else 0


def done_on(action: ActionRecord, week: Week) -> str | None:
    return iso(action.done_at.astimezone(week.tz).date()) if action.done_at else None


# How each field of a row is worked out; only those of its section are (a run makes a row for
# every action of every meeting, and one for each party's own).
_VALUES: dict[str, Callable[[ActionRecord, MeetingRecord, Week], Any]] = {
    "ref": lambda a, m, w: a.ref,
    "description": lambda a, m, w: a.description,
    "owner": lambda a, m, w: a.owner_address,
    "owner_name": lambda a, m, w: w.name_of(a.owner_address, m, a.owner_name),
    "department": lambda a, m, w: a.department,
    "due": lambda a, m, w: iso(a.due),
    "status": lambda a, m, w: a.status,
    "overdue_days": lambda a, m, w: overdue_of(a, w),
    "escalated": lambda a, m, w: a.id in w.escalated,
    "delay_reason": lambda a, m, w: a.delay_reason,
    "objection_reason": lambda a, m, w: a.objection_reason,
    "requester": lambda a, m, w: a.requester_address,
    "requester_name": lambda a, m, w: w.name_of(a.requester_address, m, a.requester_name),
    "done_on": lambda a, m, w: done_on(a, w),
    "meeting_ref": lambda a, m, w: m.ref,
    "meeting_title": lambda a, m, w: m.title,
}
_FIELD_VALUES = {section: tuple((name, _VALUES[name]) for name in names) for section, names in FIELDS.items()}


def section_of(action: ActionRecord, week: Week, sunday: date) -> str | None:
    """The one section of a meeting's part of the mail an action is listed in, by where it stands;
    None for work closed before last week (counted, not listed)."""
    status = action.status
    if status in DELIVERED:
        if status == Status.DONE and action.requester_address:
            return "acceptance"  # delivered, waiting for 验收: not done yet for whoever asked for it
        return "done" if action.id in week.done_recently else None
    if is_overdue(action, week):
        return "overdue"
    if status == Status.DELAYED:
        return "delayed"
    if status == Status.AWAITING_CONFIRMATION:
        return "awaiting"
    if status == Status.OBJECTED:
        return "objections"
    return "due_this_week" if action.due <= sunday else "later"


def meeting_digest(meeting: MeetingRecord, week: Week, departments: frozenset[str] | None = None) -> dict[str, Any]:
    """A meeting's part of the mail; with `departments`, only the actions of those departments."""
    monday = week.today - timedelta(days=week.today.weekday())
    sunday = monday + timedelta(days=6)
    if departments is None:
        counted = [a for a in week.actions_of(meeting) if a.status in LIVE and a.status not in DIGEST_LEAVES_OUT]
        sections: dict[str, list[ActionRecord]] = {name: [] for name in SECTIONS}
        for action in counted:
            name = section_of(action, week, sunday)
            if name is not None:
                sections[name].append(action)
                week.placed[action.ref] = name
        for name in BY_DUE:
            sections[name].sort(key=lambda a: (a.due, a.id))
        rows = {name: [row(a, meeting, week, name) for a in actions] for name, actions in sections.items()}
        week.grouped[meeting.id] = by_department(rows, counted)
    else:
        # The whole meeting's rows of these departments, in its order: the same objects, not
        # copies, since a run holds every section of every meeting until its last mail is written
        # (a head's part of a meeting lists nothing its whole part does not). Taken from the
        # whole part grouped by department once, not by a scan of it for each head's scope.
        whole = week.section(meeting)
        grouped = week.grouped[meeting.id]
        if len(departments) == 1:
            (department,) = departments
            rows = {name: grouped.rows[name].get(department, []) for name in SECTIONS}
        else:
            rows = {name: [r for r in whole[name] if r["department"] in departments] for name in SECTIONS}
        counted = [a for department in sorted(departments) for a in grouped.counted.get(department, [])]
    counts = Counter(a.status for a in counted)
    return {
        "ref": meeting.ref,
        "title": meeting.title,
        "date": iso(meeting.meeting_date),
        "status": meeting.status,
        "host": meeting.host_address,
        "host_name": week.name_of(meeting.host_address, meeting),
        **rows,
        "scope": sorted(departments) if departments is not None else None,
        "counts": [{"status": s, "count": counts[s]} for s in DIGEST_ORDER if counts[s]],
        "overdue_count": len(rows["overdue"]),
        "total": len(counted),
        # Every counted action is listed in one section or was closed before last week.
        "closed_earlier": len(counted) - sum(len(listed) for listed in rows.values()),
        "yours": 0,
    }


@dataclass
class Departments:
    """A meeting's whole part by department: the rows of each section and the counted actions."""

    rows: dict[str, dict[str, list[dict[str, Any]]]]  # section -> department -> rows, in order
    counted: dict[str, list[ActionRecord]]


def by_department(rows: dict[str, list[dict[str, Any]]], counted: list[ActionRecord]) -> Departments:
    grouped = Departments({name: {} for name in rows}, {})
    for name, listed in rows.items():
        for r in listed:
            if r["department"]:
                grouped.rows[name].setdefault(r["department"], []).append(r)
    for action in counted:
        if action.department:
            grouped.counted.setdefault(action.department, []).append(action)
    return grouped


# The at-a-glance block of a host's or head's mail: at most this many department rows (the rest
# folded into one "other" row), so the block stays a phone screen high however large the scope.
GLANCE_DEPARTMENTS = 8
# Open actions by due week: overdue, this week, the next GLANCE_WEEKS - 1 weeks, then "later".
GLANCE_WEEKS = 4


def glance(week: Week, recipient: str, theirs: list[MeetingRecord]) -> dict[str, Any] | None:
    """The picture of what `recipient` oversees, as the web tracking table's charts draw it: the
    open actions of the meetings they host and of the departments they head (in the meetings
    their mail covers), overdue and open per department and open by due week. None for whoever
    neither hosts nor heads (an owner's mail is their own items), or when nothing is open there.
    Counts and labels only: the context is stored as JSON, and the template draws the bars."""
    hosted = {m.id for m in theirs if (m.host_address or "").lower() == recipient}
    headed = week.head_departments.get(recipient, frozenset())
    if not hosted and not headed:
        return None
    # The hosted meetings' open actions, then their departments' in the other meetings of their
    # mail: from the run's index, not a scan of every action of every meeting per head (a head is
    # party to most meetings; that scan was a tenth of a run).
    open_ = [a for m in theirs if m.id in hosted for a in week.actions_of(m) if a.status in OPEN]
    if headed:
        covered = {m.id for m in theirs}
        open_ += [
            a
            for department in headed
            for a in week.open_in(department)
            if a.meeting_id in covered and a.meeting_id not in hosted
        ]
    if not open_:
        return None
    late = {a.id for a in open_ if is_overdue(a, week)}
    overdue = Counter(a.department or "" for a in open_ if a.id in late)
    opened = Counter(a.department or "" for a in open_)
    # Most overdue first, as the web chart ranks them; an action with no department last of its tie.
    ranked = sorted(opened, key=lambda d: (-overdue[d], -opened[d], d == "", d))
    top = ranked if len(ranked) <= GLANCE_DEPARTMENTS else ranked[: GLANCE_DEPARTMENTS - 1]
    rest = ranked[len(top) :]
    monday = week.today - timedelta(days=week.today.weekday())
    by_week = [0] * (GLANCE_WEEKS + 2)
    for action in open_:
        if action.id in late:
            by_week[0] += 1
        else:
            # Past its due date but not overdue is an objection, waiting for the host: this week's
            # business, not a week gone by.
            ahead = max(0, (action.due - monday).days // 7)
            by_week[1 + min(ahead, GLANCE_WEEKS)] += 1
    keys = ["this_week", "next_week", *["week"] * (GLANCE_WEEKS - 2), "later"]
    return {
        "hosted": len(hosted),
        "headed": sorted(headed),
        "open": len(open_),
        "overdue": len(late),
        "by_department": [{"name": d or None, "overdue": overdue[d], "open": opened[d]} for d in top],
        "other": {
            "departments": len(rest),
            "overdue": sum(overdue[d] for d in rest),
            "open": sum(opened[d] for d in rest),
        }
        if rest
        else None,
        "by_week": [
            {"key": "overdue", "from": None, "count": by_week[0]},
            *(
                {"key": key, "from": iso(monday + timedelta(weeks=n)), "count": by_week[1 + n]}
                for n, key in enumerate(keys)
            ),
        ],
    }


def for_recipient(section: SharedPart, listed: set[str], placed: dict[str, str]) -> SharedPart:
    """A meeting's whole part without the actions the recipient's own part lists already
    (`listed`, their refs): their open actions (under "your open action items") and the actions
    waiting for their 验收. `placed` names the section each is in. The shared section is left as
    it is (stored once): the reader's view names the refs it leaves out and says how many."""
    left_out: dict[str, list[str]] = defaultdict(list)
    if section["scope"] is None:
        # The whole part, where `placed` says where each of its refs is listed: no scan of its
        # rows (a reader with items of their own in a meeting is one of its full parties).
        for ref in listed:
            if ref in placed:
                left_out[placed[ref]].append(ref)
    else:
        for name in {placed[ref] for ref in listed if ref in placed}:
            left_out[name] = [r["ref"] for r in section[name] if r["ref"] in listed]
    yours = sum(len(refs) for refs in left_out.values())
    if not yours:
        return section
    return SharedPart(section.base, without=left_out, overrides={"yours": yours})


def digest_for(week: Week, recipient: str) -> dict[str, Any] | None:
    """The template context for one person, or None when they are party to no active meeting."""
    recipient = recipient.lower()
    theirs = week.meetings_of(recipient)
    if not theirs:
        return None
    # Overdue first (most overdue on top), then by due date: what to do today leads the mail.
    owned = week.open_actions_of(recipient)
    verifying = week.to_verify(recipient)
    mine = [row(a, m, week, "mine") for m, a in owned]
    mine.sort(key=lambda r: (-r.get("overdue_days", 0), r["due"], r["ref"]))
    to_verify = [row(a, m, week, "to_verify") for m, a in verifying]
    # Each action once: the recipient's own open items and those waiting for their 验收 lead the
    # mail, so their meetings' parts leave them out (only the meetings where they are).
    listed: dict[int, set[str]] = defaultdict(set)
    for m, a in (*owned, *verifying):
        listed[m.id].add(a.ref)
    meetings = [
        for_recipient(week.section_for(m, recipient), listed[m.id], week.placed)
        if m.id in listed
        else week.section_for(m, recipient)
        for m in theirs
    ]
    monday = week.today - timedelta(days=week.today.weekday())
    # Work still awaiting the reader's yes is answered with 确认/异议, agreed work with 完成/延期:
    # the hints name an action of each kind, the footer lists the owner's answers then.
    confirm_ref = next((r["ref"] for r in mine if r["status"] == Status.AWAITING_CONFIRMATION), None)
    progress_ref = next((r["ref"] for r in mine if r["status"] != Status.AWAITING_CONFIRMATION), None)
    return {
        "today": iso(week.today),
        "week": week_label(week.today),
        "week_start": iso(monday),
        "week_end": iso(monday + timedelta(days=6)),
        "recipient": recipient,
        "mine": mine,
        "to_verify": to_verify,
        "meetings": meetings,
        "overdue_total": sum(m["overdue_count"] for m in meetings),
        "mine_overdue": sum(1 for r in mine if r.get("overdue_days")),
        # For people whose own language is unknown: the one their (first) meeting was written in.
        "meeting_language": theirs[0].language,
        # A host's or head's overview, drawn above their own items (None for everyone else).
        "glance": glance(week, recipient, theirs),
        # The footer's commands: an owner's answers while some of theirs await their yes, their
        # progress on agreed items, a verifier's 验收, else none.
        "progress_ref": progress_ref,
        "confirm_ref": confirm_ref,
        "audience": "owner" if confirm_ref else "progress" if mine else "requester" if to_verify else "none",
    }


def build_digest(session: Session, app: App, recipient: str, today: date) -> dict[str, Any] | None:
    """One person's digest context on `today` (None: nothing open for them, so no mail)."""
    return digest_for(load_week(session, app, today), recipient)


def digest_language(notifier: Notifier, recipient: str, context: dict[str, Any]) -> str:
    """The person's own language, else the language of their first active meeting."""
    notifier.fallback_language = context["meeting_language"]
    return notifier.language_of(recipient)


def host_table(
    week: Week, recipient: str, language: str, words: StatusWords, languages: Languages
) -> list[DeferredFile]:
    """The host's Monday mail carries the tracking table (行动项跟踪表) of the meetings they host,
    built when the mail is sent: the row keeps the table's cells, every word and day the
    configuration decides already settled (exports.tracking_table), and the "tracking_xlsx"
    builder makes the same bytes from them. Building a thousand spreadsheets was half a run."""
    hosted = [m for m in week.meetings_of(recipient) if (m.host_address or "").lower() == recipient]
    if not hosted:
        return []
    rows = [tracking_view(a, m) for m in hosted for a in week.actions_of(m) if a.status in LIVE]
    from mailbot.exports import tracking_table  # the table's words; XlsxWriter only when it is sent

    name = languages.of(language).tracking_file
    table = tracking_table(rows, language, week.today, words, languages, calendar=week.calendar, tz=week.tz)
    return [DeferredFile(name, XLSX, "tracking_xlsx", {"table": table})]


def tracking_view(action: ActionRecord, meeting: MeetingRecord) -> dict[str, Any]:
    """An action as the tracking table reads it (exports.tracking_rows): meetings.action_view's
    fields that the table shows, with its meeting's."""
    return {
        "ref": action.ref, "description": action.description, "owner": action.owner_address,
        "owner_name": action.owner_name, "department": action.department, "support": action.support,
        "due": action.due, "deliverable": action.deliverable, "status": action.status, "consent": action.consent,
        "requester": action.requester_address, "requester_name": action.requester_name,
        "delay_reason": action.delay_reason, "done_at": action.done_at, "verified_at": action.verified_at,
        "verified_by": action.verified_by, "meeting": meeting.ref, "meeting_title": meeting.title,
        "meeting_date": meeting.meeting_date,
    }  # fmt: skip


def run_digest(app: App, now: datetime) -> dict[str, int]:
    """Decide this week's digests, once per person; nothing before the configured moment."""
    counts = {"digests": 0}
    if not digest_due(app, now):
        return counts
    today = now.astimezone(app.config.tz).date()
    label = week_label(today)
    with app.db.transaction() as session:
        # The week's run is claimed first: the next minute's tick, or a second daemon, finds it
        # taken and does nothing — neither rebuilds every mail, and a meeting that becomes active
        # mid-week waits for next week's status instead of a "weekly" mail that same day.
        if not try_lock(session, DIGEST_LOCK):
            return counts  # another daemon is building this week's digests right now
        if session.scalar(select(JobRun.id).where(JobRun.job == "digest", JobRun.period == label)) is not None:
            return counts
        claim = JobRun(job="digest", period=label, at=now, detail={})
        if session.get_bind().dialect.name == "sqlite":
            # No savepoint: pysqlite begins no transaction before a SAVEPOINT, so its release
            # committed the claim alone, and a run that failed after it left the week claimed
            # with no mail (nor shared part) written. One daemon writes a SQLite file (try_lock).
            session.add(claim)
        else:
            try:
                with session.begin_nested():
                    session.add(claim)
            except IntegrityError:
                log.info("digest %s: another daemon claimed this week's run", label)
                return counts
        decide_digests(app, session, now, today, label, counts)
        claim.detail = {"digests": counts["digests"]}
    return counts


# PostgreSQL advisory lock key for the digest run (any 32-bit constant unique to this job).
DIGEST_LOCK = 0x4D61_0001


def try_lock(session: Session, key: int) -> bool:
    """On PostgreSQL, a transaction-scoped advisory lock taken without waiting: a second daemon
    skips this minute instead of blocking its loop behind the first one's whole run. SQLite
    serialises writers anyway (one daemon per SQLite file).

    The lock is the job's and the schema's: advisory locks are shared by the whole database, and
    two bots in one database, each in its schema (two companies on one server, or the test suite's
    parallel workers), must not skip each other's Monday mail (one did: a flaky test in CI)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    statement = text("SELECT pg_try_advisory_xact_lock(:key, hashtext(current_schema()))")
    return bool(session.execute(statement, {"key": key}).scalar())


def decide_digests(app: App, session: Session, now: datetime, today: date, label: str, counts: dict[str, int]) -> None:
    with without_cycle_collection():
        decide_all(app, session, now, today, label, counts)


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """The block runs with Python's cycle collector off (as it was after). A run holds millions of
    objects for its whole length (every action, every meeting's rows), and each full collection
    walked them all again: a tenth of a run's time, for nothing — a run makes no cycles (measured:
    5 objects left to collect at its end), so reference counting frees what it drops, as it goes."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def decide_all(app: App, session: Session, now: datetime, today: date, label: str, counts: dict[str, int]) -> None:
    week = load_week(session, app, today, created_before=digest_moment(app, today))
    notifier = Notifier(app=app, session=session, now=now, actor="mailbot")
    recipients = week.recipients()
    notifier.know(recipients)
    batch: list[dict[str, Any]] = []
    for recipient in recipients:
        context = digest_for(week, recipient)
        if context is None:
            continue
        theirs = week.meetings_of(recipient)
        single = theirs[0].id if len(theirs) == 1 else None
        language = digest_language(notifier, recipient, context)
        batch.append(
            notifier.prepare(
                key=f"digest:{label}:{recipient}", kind="digest", to=recipient, context=context,
                language=language, meeting_id=single, attachments=host_table(week, recipient, language, app.rules.statuses, app.languages),
            )
        )  # fmt: skip
        if len(batch) >= DIGEST_BATCH:
            counts["digests"] += len(notifier.send_prepared(batch))
            batch = []
    counts["digests"] += len(notifier.send_prepared(batch))
    notifier.event("digest.sent", detail={"week": label, "count": counts["digests"]})


# Digests written per statement: one round trip for many mails (most of a run's time on
# PostgreSQL), while only this many mails' contexts are held in memory at once. Measured on
# bench/scale.py before sections were shared: 50 department heads' contexts in one batch (a
# megabyte of JSON each) were the run's peak of memory, 30 were not; with shared sections a head's
# row is ~50 KB, and 100 a batch measured no faster. Always this many, never sized by content: on
# SQLite each number of rows is a statement of its own, and the driver's statement cache keeps
# every statement's last values (the batches' JSON) until that statement is used again.
DIGEST_BATCH = 30
