"""What each page shows, as plain data for its template: a person's page, a meeting's page, and a
project's or department's tracking table. Only what the viewer may see (mailbot/web/access.py);
None when that is nothing, which the server answers with 404 like a page that does not exist.

Overdue is derived as the weekly digest derives it: open, the owner's move, and past its due date;
its age in working days, as reminders and escalations count.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mailbot.exports import local_day, status_text
from mailbot.lifecycle import LIVE, OPEN, WAITING_ON_OWNER, Status
from mailbot.meetings import action_view, meeting_view
from mailbot.store.models import ActionItem, Event, InboundMail, Meeting, MinutesVersion
from mailbot.web.access import (
    Viewer,
    head_meeting_ids,
    meeting_access,
    party_meeting_ids,
    sees_action,
)
from mailbot.web.versions import FieldChange, VersionChanges, diff_versions, version_snapshots
from mailbot.workflow.digest import directory_names
from mailbot.workflow.reminders import overdue_working_days

if TYPE_CHECKING:
    from mailbot.app import App

SORTS = ("due", "ref", "owner", "department", "status", "meeting")
STATUS_FILTERS = ("open", "overdue", *(s.value for s in Status))
# Rows per page of a tracking table (?page=N): a phone reads 200 rows, not 2,000. The counts and
# the charts cover every row the viewer may see; the filter narrows the list.
PAGE_SIZE = 200


class Dated(Protocol):
    """What overdue needs of an action: an ORM row, or the few columns a table reads of each."""

    @property
    def status(self) -> str: ...
    @property
    def due(self) -> date: ...


@dataclass(frozen=True)
class Today:
    """One request's day, language and the words it looks up for every row (each found once)."""

    day: date
    week_end: date  # the Sunday of this week
    app: App
    language: str
    _status_texts: dict[tuple[str, bool], str] = field(default_factory=dict, repr=False, compare=False)
    _overdue_days: dict[date, int] = field(default_factory=dict, repr=False, compare=False)

    def overdue(self, action: Dated) -> bool:
        return action.status in WAITING_ON_OWNER and action.due < self.day

    def overdue_days(self, action: Dated) -> int:
        if not self.overdue(action):
            return 0
        days = self._overdue_days.get(action.due)
        if days is None:
            days = self._overdue_days[action.due] = overdue_working_days(self.app.calendar, action.due, self.day)
        return days

    def status_text(self, status: str, requester: str | None) -> str:
        """The 状态 cell (exports.status_text): it reads only the status and whether someone verifies."""
        key = (status, bool(requester))
        text = self._status_texts.get(key)
        if text is None:
            view = {"status": status, "requester": requester}
            text = self._status_texts[key] = status_text(
                view, self.language, self.app.rules.statuses, self.app.languages
            )
        return text


def today_of(app: App, language: str) -> Today:
    day = app.today()
    return Today(day=day, week_end=day + timedelta(days=6 - day.weekday()), app=app, language=language)


def who(names: Mapping[str, str], address: str | None, name: str | None = None) -> dict[str, str] | None:
    if not address:
        return None
    return {"name": name or names.get(address) or names.get(address.lower()) or "", "address": address}


@dataclass(frozen=True)
class MeetingLabel:
    """What a table row shows of its meeting, without loading the meeting."""

    id: int
    title: str
    meeting_date: date

    @property
    def ref(self) -> str:
        return f"M-{self.id}"


def action_row(
    action: ActionItem, meeting: Meeting | MeetingLabel, now: Today, names: Mapping[str, str]
) -> dict[str, Any]:
    view = action_view(action)
    app, language = now.app, now.language
    consent_words = app.languages.of(language).consent
    verifier = who(names, action.requester_address, action.requester_name)
    if action.status == Status.VERIFIED and action.verified_by and action.verified_by != action.requester_address:
        verifier = who(names, action.verified_by)
    return {
        **view,
        "id": action.id,
        "meeting_id": meeting.id,
        "meeting_ref": meeting.ref,
        "meeting_title": meeting.title,
        "meeting_date": meeting.meeting_date,
        "owner_who": who(names, action.owner_address, action.owner_name),
        "verifier_who": verifier,
        "status_text": now.status_text(action.status, action.requester_address),
        "consent_text": consent_words.get(action.consent or "", action.consent or ""),
        "overdue": now.overdue(action),
        "overdue_days": now.overdue_days(action),
        "done_day": local_day(action.done_at, app.config.tz),
        "verified_day": local_day(action.verified_at, app.config.tz),
    }


def _local_time(value: datetime, app: App) -> str:
    return value.astimezone(app.config.tz).strftime("%Y-%m-%d %H:%M")


# A person's page ---------------------------------------------------------------------------------

GROUPS = ("overdue", "this_week", "to_confirm", "to_verify", "later", "waiting_host")


def person_page(session: Session, now: Today, viewer: Viewer) -> dict[str, Any]:
    """Their own actions first, grouped (overdue, due this week, waiting for their confirmation,
    waiting for their 验收, later, objections waiting for the host), then their meetings."""
    me = viewer.address
    mine = list(
        session.scalars(
            select(ActionItem)
            .options(selectinload(ActionItem.meeting))
            .where(
                (ActionItem.owner_address == me) | (ActionItem.delegate_address == me) | (
                    (ActionItem.requester_address == me) & (ActionItem.status == Status.DONE)
                )
            )
            .order_by(ActionItem.due, ActionItem.id)
        )
    )  # fmt: skip
    groups: dict[str, list[dict[str, Any]]] = {g: [] for g in GROUPS}
    names = _names_for(session, [a.meeting for a in mine])
    for action in mine:
        owner = action.owner_address == me
        if action.status == Status.DONE and (action.requester_address or "").lower() == me and not owner:
            group = "to_verify"
        elif not owner and action.delegate_address and action.delegate_address.lower() == me:
            group = "to_confirm" if action.status in OPEN else None
        elif action.status not in OPEN:
            group = None
        elif now.overdue(action):
            group = "overdue"
        elif action.status == Status.AWAITING_CONFIRMATION:
            group = "to_confirm"
        elif action.status == Status.OBJECTED:
            group = "waiting_host"
        elif action.due <= now.week_end:
            group = "this_week"
        else:
            group = "later"
        if group:
            groups[group].append(action_row(action, action.meeting, now, names))
    full = party_meeting_ids(session, me)
    heads = head_meeting_ids(session, viewer) - full
    meetings = []
    if full or heads:
        wanted = sorted(full | heads)
        # Counted from the few columns the counts need: a host of 100 meetings would otherwise
        # load every one of their 2,000 actions whole.
        live_of: dict[int, list[Any]] = {i: [] for i in wanted}
        for row in session.execute(
            select(ActionItem.meeting_id, ActionItem.status, ActionItem.due, ActionItem.department).where(
                ActionItem.meeting_id.in_(wanted), ActionItem.status.in_(LIVE)
            )
        ):
            if row.meeting_id in full or row.department in viewer.head_of:
                live_of[row.meeting_id].append(row)
        for meeting in session.scalars(
            select(Meeting).where(Meeting.id.in_(wanted)).order_by(Meeting.meeting_date.desc(), Meeting.id.desc())
        ):
            live = live_of[meeting.id]
            meetings.append(
                {
                    "id": meeting.id,
                    "ref": meeting.ref,
                    "title": meeting.title,
                    "project": meeting.project,
                    "date": meeting.meeting_date,
                    "status": meeting.status,
                    "role": _role(meeting, me, full),
                    "actions": len(live),
                    "open": sum(a.status in OPEN for a in live),
                    "overdue": sum(now.overdue(a) for a in live),
                }
            )
    hosted_projects = sorted(
        {m["project"] for m in meetings if m["project"] and m["role"] in ("host", "recorder", "head")}
    )
    return {
        "viewer": viewer,
        "groups": groups,
        "group_order": GROUPS,
        "own_count": sum(len(rows) for rows in groups.values()),
        "meetings": meetings,
        "projects": hosted_projects,
        "departments": sorted(viewer.head_of),
    }


def _role(meeting: Meeting, me: str, full: set[int]) -> str:
    if meeting.id not in full:
        return "head"
    if (meeting.host_address or "").lower() == me:
        return "host"
    if (meeting.recorder_address or "").lower() == me:
        return "recorder"
    if me in {a.lower() for a in meeting.attendees or []}:
        return "attendee"
    return "party"


def _names_for(session: Session, meetings: list[Meeting]) -> dict[str, str]:
    """Address -> name: what the meetings' minutes named, then the directory for the rest."""
    names: dict[str, str] = {}
    for meeting in {m.id: m for m in meetings}.values():
        for address, name in (meeting.names or {}).items():
            names.setdefault(address.lower(), name)
    return names


# A meeting's page --------------------------------------------------------------------------------


def meeting_page(session: Session, now: Today, viewer: Viewer, meeting_id: int) -> dict[str, Any] | None:
    meeting = session.scalar(
        select(Meeting)
        .options(selectinload(Meeting.actions), selectinload(Meeting.topics), selectinload(Meeting.decisions))
        .where(Meeting.id == meeting_id)
    )
    if meeting is None:
        return None
    access = meeting_access(session, viewer, meeting)
    if access is None:
        return None
    shown = [a for a in meeting.actions if access == "full" or (a.status in LIVE and a.department in viewer.head_of)]
    names = {a.lower(): n for a, n in (meeting.names or {}).items()}
    ids = [a.id for a in shown]
    history: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    meeting_events = []
    events = list(
        session.scalars(
            select(Event)
            .where(Event.meeting_id == meeting.id, Event.what.in_(sorted(HISTORY_EVENTS)))
            .order_by(Event.at, Event.id)
        )
    )
    wanted = {p.lower() for a in shown for p in (a.owner_address, a.requester_address) if p}
    wanted |= {p.lower() for p in (meeting.host_address, meeting.recorder_address) if p}
    wanted |= {p.lower() for e in events for p in people_in(e) if e.action_id is None or e.action_id in history}
    names = {**directory_names(session, wanted - set(names)), **names}
    rows = [action_row(a, meeting, now, names) for a in shown]
    for event in events:
        item = {
            "at": _local_time(event.at, now.app),
            "what": event.what,
            "actor": who(names, event.actor) if event.actor and "@" in event.actor else None,
            "by_bot": bool(event.actor) and "@" not in (event.actor or ""),
            "detail": event_details(event.what, event.detail or {}, now, names),
        }
        if event.action_id is None:
            meeting_events.append(item)
        elif event.action_id in history:
            history[event.action_id].append(item)
    versions = version_rows(session, now, meeting, names) if access == "full" else []
    view = meeting_view(meeting)
    return {
        "viewer": viewer,
        "meeting": view,
        "host": who(names, meeting.host_address),
        "recorder": who(names, meeting.recorder_address),
        "attendees": [who(names, a) for a in meeting.attendees or []],
        "access": access,
        "departments": sorted(viewer.head_of),
        "actions": rows,
        "history": history,
        "meeting_events": meeting_events,
        "versions": versions,
        "counts": Counter(a.status for a in shown if a.status in LIVE),
        "overdue": sum(r["overdue"] for r in rows),
    }


def version_rows(session: Session, now: Today, meeting: Meeting, names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Every version of the minutes received, and for each one that took effect after the first,
    what it changed from the one before it that took effect (a refused draft changed nothing)."""
    found = list(
        session.execute(
            select(MinutesVersion, InboundMail.sender)
            .join(InboundMail, InboundMail.id == MinutesVersion.inbound_mail_id)
            .where(MinutesVersion.meeting_id == meeting.id)
            .order_by(MinutesVersion.number)
        )
    )
    took_effect = [(v.number, v.inbound_mail_id) for v, _ in found if v.status != "rejected"]
    snapshots = version_snapshots(session, meeting.id, meeting.ref, took_effect)
    rows, before = [], None
    for version, sender in found:
        row: dict[str, Any] = {
            "number": version.number,
            "status": version.status,
            "at": _local_time(version.created_at, now.app),
            "sender": who(names, sender),
            "problems": len(version.problems or []),
            "since": None,  # the version compared with; None for the first or a refused one
            "changes": None,
            "recorded": True,
        }
        if version.status != "rejected":
            snapshot = snapshots.get(version.number)
            if before is not None:
                row["since"] = before[0]
                if snapshot is not None and before[1] is not None:
                    row["changes"] = shown_changes(diff_versions(before[1], snapshot), now, names)
                else:
                    row["recorded"] = False  # no mail of one of the two versions is left to compare
            before = (version.number, snapshot)
        rows.append(row)
    return rows


def shown_changes(changes: VersionChanges, now: Today, names: Mapping[str, str]) -> dict[str, Any]:
    """The changes with every value as the page shows it: days in the page's language, people by
    name."""
    words = now.app.languages.of(now.language)

    def value(name: str, raw: Any, own_name: str | None = None) -> str:
        if raw is None or raw == "" or raw == []:
            return ""
        if name in ("due", "date"):
            return words.day(raw)
        if name in ("owner", "requester", "host", "recorder") and isinstance(raw, str) and "@" in raw:
            return own_name or names.get(raw.lower()) or raw
        if isinstance(raw, list):
            return ", ".join(str(v) for v in raw)
        return str(raw)

    def fields(found: Iterable[FieldChange]) -> list[dict[str, str]]:
        return [
            {"field": f.field, "old": value(f.field, f.old, f.old_name), "new": value(f.field, f.new, f.new_name)}
            for f in found
        ]

    added = [
        {
            "ref": a.get("ref", ""),
            "description": a.get("description", ""),
            "owner": value("owner", a.get("owner"), a.get("owner_name")),
            "due": value("due", a.get("due")),
        }
        for a in changes.added
    ]
    return {
        "empty": changes.empty,
        "added": added,
        "removed": [{"ref": a.get("ref", ""), "description": a.get("description", "")} for a in changes.removed],
        "changed": [
            {"ref": c.ref, "was_ref": c.was_ref, "description": c.description, "fields": fields(c.fields)}
            for c in changes.changed
        ],
        "decisions_added": changes.decisions_added,
        "decisions_removed": changes.decisions_removed,
        "meeting_fields": fields(changes.meeting_fields),
        "topics": changes.topics,
    }


# The history people read (a meeting's page, the archive's 审计记录.csv): what people and the bot
# did to the minutes and their actions, reminders included. Not the bot's own bookkeeping — group
# posts, archive filing, mail delivery, held or ignored mail, skipped reminders — which stays in
# the database for the administrator (`mailbot show`). Each has words: [event] of
# templates/webpages/words/<language>.toml.
HISTORY_EVENTS = frozenset({
    "meeting.scheduled", "meeting.updated", "meeting.created", "meeting.confirmed", "meeting.disputed",
    "minutes.accepted", "minutes.rejected", "minutes.approved", "minutes.confirmed", "minutes.objected",
    "minutes.superseded", "minutes.late", "minutes.due_before_start",
    "action.proposed", "action.accepted", "action.objected", "action.in_progress", "action.delayed",
    "action.done", "action.verified", "action.rejected", "action.cancelled", "action.reassigned",
    "action.rescheduled", "action.reopened", "action.escalated", "action.delegated", "action.kept",
    "action.deadline_extended", "action.delay_approved", "action.delay_requested", "action.note",
    "action.overruled", "action.owner_changed", "action.withdrawn", "action.delegation_declined",
    "action.delegation_lapsed",
    "reminder.sent", "acceptance.reminded",
})  # fmt: skip

# What of an event's detail is shown, in this order, under the name the page words give it
# ([detail]); anything else (the bot's keys, folders, errors, addresses of the admin) is not.
# A stored key whose meaning depends on the event gets its own name here ("to": a person, a list
# of people, or a new reply deadline).
DETAIL_KEYS = (
    "old_due", "new_due", "old_deadline", "new_deadline", "away_until", "previous", "new", "previous_status",
    "status", "delegate", "recipients", "reminder", "reason", "note", "consent", "deadline", "confirm_by",
    "version", "by", "actions", "refs", "objections", "files", "refused", "blocked",
)  # fmt: skip
_RENAMED: Mapping[str, Mapping[str, str]] = {
    "action.deadline_extended": {"from": "old_deadline", "to": "new_deadline"},
    "action.delegated": {"to": "delegate"},
    "action.reopened": {"previous": "previous_status"},
    "action.escalated": {"to": "recipients"},
    "acceptance.reminded": {"to": "recipients"},
    "minutes.late": {"to": "recipients"},
}
_DAYS = frozenset({"old_due", "new_due", "old_deadline", "new_deadline", "away_until", "deadline", "confirm_by"})
_PEOPLE = frozenset({"previous", "new", "delegate", "recipients"})
_STATUSES = frozenset({"previous_status", "status"})
# Values that are the bot's own codes, shown in words: [<word>] of the page words, the code itself
# when a language has no word for it.
_CODED = {"reason": "reason", "reminder": "reminder_kind"}


@dataclass(frozen=True)
class Detail:
    """One line of an event's detail: its name (a key of [detail]), its values as people read
    them, and the words table its values are codes of (None: shown as they are)."""

    key: str
    values: tuple[str, ...]
    word: str | None = None

    def text(self, t: Any) -> str:
        """`t`: the page words of a language (mailbot.web.server.PageWords.of)."""
        shown = (t(f"{self.word}.{v}", default=v) if self.word else v for v in self.values)
        return f"{t(f'detail.{self.key}', default=self.key)}{t('colon')}{t('list_sep').join(shown)}"


def event_details(what: str, detail: Mapping[str, Any], now: Today, names: Mapping[str, str]) -> list[Detail]:
    """An event's detail as a reader sees it: days in the language's words, people by name, the
    consent's kind in words ("本人确认", not "explicit"), a status as the tracking table says it;
    none of the bot's own keys (a reminder's key, a folder, an error, the admin's address)."""
    renamed = _RENAMED.get(what, {})
    found: dict[str, Any] = {renamed.get(k, k): v for k, v in detail.items()}
    if what == "reminder.sent" and str(found.get("key", "")).startswith("reminder:"):
        found["reminder"] = str(found["key"]).split(":")[1]  # before, due, overdue
    words = now.app.languages.of(now.language)
    lines = []
    for key in DETAIL_KEYS:
        value = found.get(key)
        if value is None or value == "" or value == [] or isinstance(value, dict):
            continue
        values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        if key in _DAYS:
            values = [words.day(v) if _is_day(v) else v for v in values]
        elif key in _PEOPLE:
            values = [(names.get(v.lower()) or v) if "@" in v else v for v in values]
        elif key in _STATUSES:
            values = [now.status_text(v, None) for v in values]
        elif key == "consent":
            values = [words.consent.get(v) or v for v in values]
        lines.append(Detail(key, tuple(v[:500] for v in values[:20]), _CODED.get(key)))
    return lines


def people_in(event: Event) -> list[str]:
    """The addresses an event names (its actor, the people of its detail): named on the page."""
    found = [event.actor] if event.actor and "@" in event.actor else []
    for key in ("previous", "new", "to"):
        value = (event.detail or {}).get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and "@" in item:
                found.append(item)
    return found


def _is_day(text: str) -> bool:
    try:
        date.fromisoformat(text[:10])
    except ValueError:
        return False
    return True


# Whether a link opens anything -------------------------------------------------------------------


def link_refusal(session: Session, viewer: Viewer, scope: str) -> str | None:
    """Why a link to `scope` (mailbot.web.links.normal_scope) would open nothing for `viewer` —
    the page the server answers with 404 — or None when it opens a page. The same rules as the
    pages themselves (mailbot/web/access.py), for `mailbot web link` to refuse such a link."""
    kind, _, target = scope.partition(":")
    who = viewer.address
    if kind == "person":
        return None
    if kind == "meeting":
        meeting = session.scalar(
            select(Meeting).options(selectinload(Meeting.actions)).where(Meeting.id == int(target))
        )
        if meeting is None:
            return f"there is no meeting M-{target} (see `mailbot meetings`)"
        if meeting_access(session, viewer, meeting) is None:
            return (
                f"{who} is not party to M-{target} (host, recorder, attendee, or owner, delegate or "
                f"verifier of one of its live actions), nor head of a department with an action in it"
            )
        return None
    if kind == "project":
        live = session.execute(
            select(ActionItem.meeting_id, ActionItem.department).where(
                ActionItem.status.in_(LIVE),
                ActionItem.meeting_id.in_(select(Meeting.id).where(Meeting.project == target)),
            )
        ).all()
        if not live:
            known = sorted(p for p in session.scalars(select(Meeting.project).distinct()) if p)
            return f"no meeting of project {target!r} has a live action item (projects: {', '.join(known) or 'none'})"
    else:
        live = session.execute(
            select(ActionItem.meeting_id, ActionItem.department).where(
                ActionItem.status.in_(LIVE), ActionItem.department == target
            )
        ).all()
        if not live:
            return f"no live action item belongs to department {target!r}"
    full = party_meeting_ids(session, who, {row.meeting_id for row in live})
    if not any(sees_action(viewer, row, full) for row in live):
        return f"{who} may see none of the action items of {kind} {target!r} (party to none of its meetings, head of none of its departments)"
    return None


# A project's or department's tracking table ------------------------------------------------------


# What every row of a table is read for: who may see it, the filters, the sorts, the counts, the
# options and the charts. The rest (descriptions, deliverables, consent, verifier) is read only for
# the rows of the page shown: 200 of 2,000.
TABLE_COLUMNS = (
    ActionItem.id, ActionItem.meeting_id, ActionItem.owner_address, ActionItem.owner_name, ActionItem.department,
    ActionItem.due, ActionItem.status,
)  # fmt: skip


def table_page(
    session: Session, now: Today, viewer: Viewer, kind: str, name: str, query: Mapping[str, str]
) -> dict[str, Any] | None:
    """The live actions of a project's meetings (kind "project") or of a department (kind
    "department") that the viewer may see, filtered and sorted by the query; None when they may
    see none of them."""
    select_actions = select(*TABLE_COLUMNS).where(ActionItem.status.in_(LIVE))
    if kind == "project":
        in_project = select(Meeting.id).where(Meeting.project == name)
        select_actions = select_actions.where(ActionItem.meeting_id.in_(in_project))
    else:
        select_actions = select_actions.where(ActionItem.department == name)
    found = session.execute(select_actions).all()
    if not found:
        return None
    full = party_meeting_ids(session, viewer.address, {a.meeting_id for a in found})
    found = [a for a in found if sees_action(viewer, a, full)]
    if not found:
        return None
    meetings: dict[int, MeetingLabel] = {}
    names: dict[str, str] = {}
    for meeting_id, title, meeting_date, meeting_names in session.execute(
        select(Meeting.id, Meeting.title, Meeting.meeting_date, Meeting.names).where(
            Meeting.id.in_({a.meeting_id for a in found})
        )
    ):
        meetings[meeting_id] = MeetingLabel(meeting_id, title, meeting_date)
        for address, person in (meeting_names or {}).items():
            names.setdefault(address.lower(), person)
    wanted = {a.owner_address.lower() for a in found if not a.owner_name} - set(names)
    names.update(directory_names(session, wanted))
    today, waiting = now.day, WAITING_ON_OWNER
    every = []
    # Unpacked, not read by attribute: this loop runs once per action of the table.
    for action_id, meeting_id, owner, owner_name, department, due, status in found:
        every.append(
            {
                "id": action_id,
                "meeting_id": meeting_id,
                "meeting_date": meetings[meeting_id].meeting_date,
                "owner": owner,
                "owner_label": owner_name or names.get(owner) or names.get(owner.lower()) or owner,
                "department": department,
                "due": due,
                "status": status,
                "overdue": status in waiting and due < today,  # Today.overdue, inline
            }
        )
    filters = read_filters(query)
    narrowed = any(filters[k] for k in ("owner", "department", "status", "due_from", "due_to"))
    kept = [r for r in every if _passes(r, filters)] if narrowed else list(every)
    key, descending = filters["sort"], filters["dir"] == "desc"
    kept.sort(key=_sort_key(key), reverse=descending)
    pages = max(1, -(-len(kept) // PAGE_SIZE))
    page = min(filters["page"], pages)
    on_page = [r["id"] for r in kept[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]]
    loaded = {a.id: a for a in session.scalars(select(ActionItem).where(ActionItem.id.in_(on_page)))} if on_page else {}
    rows = [action_row(loaded[i], meetings[loaded[i].meeting_id], now, names) for i in on_page if i in loaded]
    present = {r["status"] for r in every}
    options = {
        "owners": sorted({(r["owner"], r["owner_label"]) for r in every}, key=lambda o: o[1]),
        "departments": sorted({r["department"] for r in every if r["department"]}),
        "statuses": [s for s in STATUS_FILTERS if s in ("open", "overdue") or s in present],
    }
    return {
        "viewer": viewer,
        "kind": kind,
        "name": name,
        "rows": rows,
        "page": page,
        "pages": pages,
        "total": len(every),
        "shown": len(kept),
        "overdue": sum(r["overdue"] for r in every),
        "filters": filters,
        "options": options,
        "chart": overdue_chart(every),
        "weeks": week_chart(every, now),
        "sorts": SORTS,
        "scope_note": sorted(viewer.head_of) if len(full) == 0 else None,
    }


def read_filters(query: Mapping[str, str]) -> dict[str, Any]:
    """The query's filters, each checked; anything unreadable is ignored, not an error."""
    filters: dict[str, Any] = {
        "owner": query.get("owner", "").strip().lower()[:320],
        "department": query.get("department", "").strip()[:200],
        "status": query.get("status", "") if query.get("status", "") in STATUS_FILTERS else "",
        "due_from": _day(query.get("due_from", "")),
        "due_to": _day(query.get("due_to", "")),
        "sort": query.get("sort", "due") if query.get("sort", "due") in SORTS else "due",
        "dir": "desc" if query.get("dir") == "desc" else "asc",
        "page": int(query["page"]) if query.get("page", "").isdigit() and 0 < len(query["page"]) < 6 else 1,
    }
    filters["page"] = max(1, filters["page"])
    return filters


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


def _passes(row: Mapping[str, Any], f: Mapping[str, Any]) -> bool:
    if f["owner"] and row["owner"].lower() != f["owner"]:
        return False
    if f["department"] and (row["department"] or "") != f["department"]:
        return False
    status = f["status"]
    if status == "overdue" and not row["overdue"]:
        return False
    if status == "open" and row["status"] not in OPEN:
        return False
    if status not in ("", "open", "overdue") and row["status"] != status:
        return False
    if f["due_from"] and row["due"] < f["due_from"]:
        return False
    return not (f["due_to"] and row["due"] > f["due_to"])


def _sort_key(key: str) -> Any:
    order = {s.value: n for n, s in enumerate(Status)}
    keys = {
        "due": lambda r: (r["due"], r["id"]),
        "ref": lambda r: r["id"],
        "owner": lambda r: (r["owner_label"].lower(), r["due"], r["id"]),
        "department": lambda r: (r["department"] or "", r["due"], r["id"]),
        "status": lambda r: (not r["overdue"], order.get(r["status"], 99), r["due"], r["id"]),
        "meeting": lambda r: (r["meeting_date"], r["meeting_id"], r["id"]),
    }
    return keys[key]


# The chart: overdue by department, drawn on the server as SVG (mailbot/web templates).
BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, BAR_SPACE = 22, 8, 130, 230


def overdue_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Bars of overdue actions per department (with the open ones behind, for scale)."""
    overdue = Counter(r["department"] or "" for r in rows if r["overdue"])  # "": no department named
    open_ = Counter(r["department"] or "" for r in rows if r["status"] in OPEN)
    departments = sorted(open_ | overdue, key=lambda d: (-overdue[d], -open_[d], d))[:20]
    top = max([open_[d] for d in departments] + [1])
    bars = []
    for n, department in enumerate(departments):
        y = n * (BAR_HEIGHT + BAR_GAP)
        bars.append(
            {
                "label": _clipped(department, LABEL_WIDTH - 12),
                "y": y,
                "text_y": y + BAR_HEIGHT * 0.7,
                "overdue": overdue[department],
                "open": open_[department],
                "open_width": round(BAR_SPACE * open_[department] / top, 1),
                "overdue_width": round(BAR_SPACE * overdue[department] / top, 1),
            }
        )
    return {
        "bars": bars,
        "label_width": LABEL_WIDTH,
        "bar_height": BAR_HEIGHT,
        "width": LABEL_WIDTH + BAR_SPACE + 50,
        "height": max(1, len(bars)) * (BAR_HEIGHT + BAR_GAP),
        "any_overdue": sum(overdue.values()),
    }


def _clipped(text: str, room: int, size: int = 14) -> str:
    """`text` cut to fit `room` pixels of a `size`-pixel font: a CJK character takes the full
    size, any other about 0.6 of it (a department's name must not run off the chart's edge)."""
    used = 0.0
    for n, char in enumerate(text):
        used += size if ord(char) >= 0x2E80 else size * 0.6
        if used > room:
            return text[: max(1, n - 1)] + "…"
    return text


# The chart of open actions by the week they are due, drawn on the server as SVG: this week, the
# weeks after it one by one, then the rest; what fell due before this week in one bar.
WEEKS_AHEAD = 6
WEEK_LABEL_WIDTH, WEEK_BAR_SPACE, WEEK_VALUE_WIDTH = 120, 200, 110


def week_chart(rows: list[dict[str, Any]], now: Today) -> dict[str, Any]:
    """Bars of open actions per due week, the overdue part of each in front."""
    monday = now.day - timedelta(days=now.day.weekday())
    open_ = [0] * (WEEKS_AHEAD + 3)  # earlier, this week, WEEKS_AHEAD weeks, later
    overdue = [0] * (WEEKS_AHEAD + 3)
    for row in rows:
        if row["status"] not in OPEN:
            continue
        weeks = (row["due"] - monday).days // 7
        slot = 0 if weeks < 0 else min(weeks, WEEKS_AHEAD + 1) + 1
        open_[slot] += 1
        overdue[slot] += row["overdue"]
    locale = now.app.languages.of(now.language).locale
    top = max([*open_, 1])
    bars = []
    for slot, (count, late) in enumerate(zip(open_, overdue, strict=True)):
        start = monday + timedelta(weeks=slot - 1) if slot else None
        kind = ("earlier" if slot == 0 else "this" if slot == 1 else "next" if slot == 2
                else "later" if slot == WEEKS_AHEAD + 2 else "from")  # fmt: skip
        y = slot * (BAR_HEIGHT + BAR_GAP)
        bars.append(
            {
                "kind": kind,
                "start": _short_day(start, locale) if start else "",
                "end": _short_day(start + timedelta(days=6), locale) if start else "",
                "before": _short_day(monday, locale),
                "open": count,
                "overdue": late,
                "y": y,
                "text_y": y + BAR_HEIGHT * 0.7,
                "open_width": round(WEEK_BAR_SPACE * count / top, 1),
                "overdue_width": round(WEEK_BAR_SPACE * late / top, 1),
            }
        )
    return {
        "bars": bars,
        "total": sum(open_),
        "label_width": WEEK_LABEL_WIDTH,
        "bar_height": BAR_HEIGHT,
        "width": WEEK_LABEL_WIDTH + WEEK_BAR_SPACE + WEEK_VALUE_WIDTH,
        "height": len(bars) * (BAR_HEIGHT + BAR_GAP),
    }


def _short_day(day: date, locale: Any) -> str:
    """A day without year or weekday, as the language writes it: "1月4日", "Jan 4"."""
    from babel.dates import format_skeleton

    return str(format_skeleton("MMMd", day, locale=locale))
