"""The confirmation round's steps that a reply, a bounce, an out-of-office reply and the deadline
job all take: asking someone to confirm, making the minutes final once every action is settled,
telling the host. Below the handlers and the jobs, so neither reaches into the other.

Keys: `confirm_request:…` (the caller's, see each), `bounce_notice:M-1:<address>` (per person and
meeting, shared by the bounce handler and the tick), `away_notice:A-3:<last day away>`,
`confirm_request:A-3:proxy:<proxy>`, `final_minutes:M-1:v<version>:<party>`.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.archive import file_after_commit, minutes_recipe
from mailbot.groups import post_official
from mailbot.lifecycle import LIVE, UNDER_REVIEW, UNSETTLED, MeetingStatus, Status
from mailbot.meetings import action_view, meeting_view, verifier
from mailbot.notify import Notifier
from mailbot.outbox import DeferredFile
from mailbot.store.models import ActionItem, Event, Meeting, MinutesVersion, OutboxMail


def ask_to_confirm(
    notifier: Notifier,
    meeting: Meeting,
    actions: list[ActionItem],
    to: str,
    *,
    key: str,
    confirm_by: date | None,
    with_todo: bool = True,
    why: dict[str, Any] | None = None,
    handover: bool = False,
) -> bool:
    """A confirmation request for these actions of one meeting, outside the minutes' own round (a
    proxy, a new owner, a new date, an address that works again): one mail, tied by its token to
    the action when there is one, else to the meeting. Like the round's own request it carries the
    minutes in full (every live action, not only those asked about) and the asked actions as
    calendar tasks — a new date or owner is a calendar change too. `handover`: `to` is asked to
    take the actions over (转交), and sees them as they would hold them (`handover_view`)."""

    def shown(action: ActionItem) -> dict[str, Any]:
        return handover_view(notifier, meeting, action, to) if handover else action_view(action)

    mine = [shown(a) for a in actions]
    asked = {a.id for a in actions}
    full = [
        shown(a) if a.id in asked else action_view(a)
        for a in sorted(meeting.actions, key=lambda a: a.id)
        if a.status in LIVE or a.id in asked
    ]
    view = meeting_view(meeting)
    return notifier.send(
        key=key, kind="confirm_request", to=to,
        context={"meeting": {**view, "confirm_by": confirm_by or view["confirm_by"]}, "mine": mine, "actions": full,
                 "why": why},
        token_for=mine[0]["ref"] if len(mine) == 1 else meeting.ref, meeting_id=meeting.id,
        attachments=[notifier.todo_file(mine, view)] if with_todo else [],
    )  # fmt: skip


def handover_view(notifier: Notifier, meeting: Meeting, action: ActionItem, to: str) -> dict[str, Any]:
    """An action as the person it is being handed over to (转交) is asked about it: with them as
    its owner and awaiting their answer — what they are asked to take on — and whom it comes from.
    Its stored view would tell them "以下行动项由您负责" above the old owner's name, and "已确认（无需
    再次确认）" when the old owner had confirmed it."""
    view = action_view(action)
    person = notifier.person(to)
    names = meeting.names or {}
    view.update(
        owner=to, owner_name=person.name if person is not None and person.name else names.get(to),
        department=person.department if person is not None else None,
        status=Status.AWAITING_CONFIRMATION, consent=None,
        handover_from=action.owner_address, handover_from_name=action.owner_name or names.get(action.owner_address),
    )  # fmt: skip
    return view


def hand_over(notifier: Notifier, action: ActionItem, to: str, name: str | None) -> str:
    """The delegate holds the action from now on (their "确认", or their silence past their own
    deadline): their name, and their department from the directory (not the old owner's: a
    department's head follows its own people's actions), else none rather than a guess. Returns
    the previous owner."""
    previous = action.owner_address
    person = notifier.person(to)
    action.owner_address, action.owner_name = to, name
    action.department = person.department if person is not None else None
    action.delegate_address, action.delegate_by = None, None
    settle_requester(action)
    action.updated_at = notifier.now
    return previous


def settle_requester(action: ActionItem) -> None:
    """After a change of owner: nobody verifies their own action, so a requester who is now the
    owner gives way to the host (unless the host owns it too: then done is final)."""
    settled = verifier(action.requester_address, action.owner_address, action.meeting.host_address)
    if settled != action.requester_address:
        action.requester_address, action.requester_name = settled, None


def calendar_tasks(
    notifier: Notifier, view: dict[str, Any], actions: list[dict[str, Any]], party: str, host: str
) -> list[DeferredFile]:
    """The calendar tasks a party's 正式版 carries: the host follows every action up, an owner their
    own; an attendee who owns nothing gets none — the file would put other people's deadlines
    into their calendar as their own tasks."""
    party = party.lower()
    theirs = actions if party == host else [a for a in actions if (a.get("owner") or "").lower() == party]
    return [notifier.todo_file(theirs, view)] if theirs else []


def confirm_if_settled(notifier: Notifier, meeting: Meeting) -> bool:
    """Nothing awaiting and nothing objected: the minutes are final; the 正式版 goes to everyone."""
    if meeting.status not in UNDER_REVIEW:
        return False
    live = [a for a in meeting.actions if a.status in LIVE]
    if not live or any(a.status in UNSETTLED for a in live):
        return False
    meeting.status, meeting.confirmed_at, meeting.updated_at = MeetingStatus.CONFIRMED, notifier.now, notifier.now
    version = notifier.session.scalar(
        select(MinutesVersion.number)
        .where(MinutesVersion.meeting_id == meeting.id, MinutesVersion.status == "active")
        .order_by(MinutesVersion.number.desc())
        .limit(1)
    )
    notifier.event("meeting.confirmed", meeting_id=meeting.id, detail={"version": version})
    view = meeting_view(meeting)
    actions = official_actions(notifier, live)
    changes = changes_since(notifier.session, meeting, ("final_minutes",), version, view, actions)
    parties = [*meeting.attendees, *(a.owner_address for a in live), meeting.host_address, meeting.recorder_address]
    seen = {notifier.app.sender.address, ""}
    notifier.know(p for p in parties if p)
    minutes = minutes_recipe(notifier, view, actions, version)  # the .docx of the 正式版
    host = (meeting.host_address or "").lower()
    for party in parties:
        if not party or party in seen:
            continue
        seen.add(party)
        notifier.send(
            key=f"final_minutes:{meeting.ref}:v{version}:{party}", kind="final_minutes", to=party,
            context={"meeting": view, "actions": actions, "version": version, "changes": changes},
            token_for=meeting.ref, meeting_id=meeting.id,
            attachments=[*calendar_tasks(notifier, view, actions, party, host), minutes],
        )  # fmt: skip
    file_after_commit(notifier, meeting)  # the archive, once this transaction commits
    post_official(notifier, meeting, version, actions)  # the project group, queued
    return True


def official_actions(notifier: Notifier, live: list[ActionItem]) -> list[dict[str, Any]]:
    """The actions as the 行动项跟踪表 of the final minutes shows them: their views, with the local
    days they were delivered and verified, and the due date a delay moved them from."""
    tz = notifier.app.config.tz
    original = original_due_dates(notifier, [a.id for a in live])
    views = []
    for action in live:
        view = action_view(action)
        view["done_on"] = action.done_at.astimezone(tz).date() if action.done_at else None
        view["verified_on"] = action.verified_at.astimezone(tz).date() if action.verified_at else None
        view["original_due"] = original.get(action.id) if action.status == Status.DELAYED else None
        views.append(view)
    return views


def original_due_dates(notifier: Notifier, action_ids: list[int]) -> dict[int, str]:
    """Per action, the due date its current run of delays started from (a new draft or the host's
    new date starts a new run): "原定 12月10日，延期至 12月20日"."""
    found: dict[int, str | None] = {}
    if not action_ids:
        return {}
    rows = notifier.session.execute(
        select(Event.action_id, Event.what, Event.detail)
        .where(Event.action_id.in_(action_ids), Event.what.in_(("action.delayed", "action.rescheduled", "action.proposed")))
        .order_by(Event.id)
    )  # fmt: skip
    for action_id, what, detail in rows:
        if what != "action.delayed":
            found[action_id] = None
        elif found.get(action_id) is None and (detail or {}).get("old_due"):
            found[action_id] = detail["old_due"]
    return {action_id: due for action_id, due in found.items() if due}


# What the final minutes compare with the previous official version, by the names the templates use.
ACTION_FIELDS = ("description", "owner", "department", "support", "due", "deliverable", "requester", "status")
MEETING_FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title",), "project": ("project",), "date": ("date",), "time": ("start_time", "end_time"),
    "place": ("place",), "host": ("host",), "recorder": ("recorder",), "attendees": ("attendees_text", "attendees"),
    "absent": ("absent_text",), "goal": ("goal",),
}  # fmt: skip
TOPIC_FIELDS = ("number", "name", "owner", "planned", "actual", "discussion")
_VERSION_IN_KEY = re.compile(r":v(\d+):")


def changes_since(
    session: Session,
    meeting: Meeting,
    kinds: tuple[str, ...],
    version: int | None,
    view: dict[str, Any],
    actions: list[dict[str, Any]],
    action_fields: tuple[str, ...] = ACTION_FIELDS,
) -> dict[str, Any] | None:
    """What changed since the version people were last sent in a mail of `kinds` (the previous
    正式版 for the final minutes; the previous draft for a corrected one), read back from that
    mail's outbox context — what people saw: actions new, changed (which fields) or gone, basic
    information, topics and decisions. None when there is no earlier version."""
    rows = session.scalars(
        select(OutboxMail)
        .where(OutboxMail.meeting_id == meeting.id, OutboxMail.kind.in_(kinds))
        .order_by(OutboxMail.id.desc())
        .limit(1)
    )
    previous = next(iter(rows), None)
    if previous is None or not isinstance(previous.context, dict):
        return None
    found = _VERSION_IN_KEY.search(previous.key)
    since = previous.context.get("version") or (int(found.group(1)) if found else None)
    if since is None or since == version:
        return None
    before_meeting: dict[str, Any] = previous.context.get("meeting") or {}
    before_actions = {a.get("ref"): a for a in previous.context.get("actions") or [] if isinstance(a, dict)}
    changed_actions: dict[str, list[str]] = {}
    for action in actions:
        old = before_actions.get(action["ref"])
        if old is None:
            changed_actions[action["ref"]] = ["new"]
            continue
        fields = [f for f in action_fields if f in old and _plain(old[f]) != _plain(action.get(f))]
        if fields:
            changed_actions[action["ref"]] = fields
    now_refs = {a["ref"] for a in actions}
    removed = [
        {"ref": ref, "description": old.get("description", "")}
        for ref, old in before_actions.items()
        if ref not in now_refs
    ]
    fields = [
        name
        for name, keys in MEETING_FIELDS.items()
        if any(key in before_meeting and _plain(before_meeting[key]) != _plain(view.get(key)) for key in keys)
    ]
    old_decisions, new_decisions = list(before_meeting.get("decisions") or []), list(view.get("decisions") or [])
    return {
        "since": since,
        "actions": changed_actions,
        "removed": removed,
        "fields": fields,
        "topics": _topics(before_meeting.get("topics") or []) != _topics(view.get("topics") or [], like=before_meeting),
        "decisions_added": [d for d in new_decisions if d not in old_decisions],
        "decisions_removed": [d for d in old_decisions if d not in new_decisions],
    }


def _topics(topics: list[Any], like: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    """Topics to compare, by the fields the earlier mail held (an older one held no discussion)."""
    sample = (like or {}).get("topics") or topics
    keys = [f for f in TOPIC_FIELDS if not sample or f in sample[0]]
    return [tuple(_plain(t.get(k)) for k in keys) for t in topics if isinstance(t, dict)]


def _plain(value: Any) -> Any:
    """A value as the outbox stored it (dates as ISO text), so the two sides compare."""
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def extend_for_absence(
    notifier: Notifier, meeting: Meeting, actions: list[ActionItem], away_until: date, proxy: str | None
) -> None:
    """Away is not consent: the round waits past the return (or asks the proxy instead). One
    owner's actions in one meeting move together, and the host hears of it once, not per action."""
    if not actions:
        return
    calendar = notifier.app.calendar
    # A full round after the return, as if the request had arrived the day they are back: the
    # first morning back is spent on the backlog, not on this one mail.
    new_deadline = calendar.add_workdays(away_until, notifier.app.policy.consent.working_days)
    for action in actions:
        old = action.confirm_by
        action.confirm_by = new_deadline
        notifier.event(
            "action.deadline_extended", meeting_id=meeting.id, action_id=action.id,
            detail={"from": old.isoformat() if old else None, "to": new_deadline.isoformat(), "away_until": away_until.isoformat()},
        )  # fmt: skip
    today = notifier.now.astimezone(notifier.app.config.tz).date()
    refs = "+".join(a.ref for a in actions)
    # A catch-up after downtime may find the moved deadline already past: asking the proxy to
    # answer by a day gone by would only confuse them.
    if proxy and new_deadline >= today:
        ask_to_confirm(notifier, meeting, actions, proxy, key=f"confirm_request:{refs}:proxy:{proxy}",
                       confirm_by=new_deadline)  # fmt: skip
    owner = actions[0].owner_address
    tell_host(notifier, meeting, "away_notice", f"away_notice:{meeting.ref}:{owner}:{away_until.isoformat()}",
              {"actions": [action_view(a) for a in actions], "owner": owner, "away_until": away_until,
               "new_deadline": new_deadline, "proxy": proxy})  # fmt: skip


def tell_bounce(
    notifier: Notifier, meeting: Meeting, address: str, waiting: list[ActionItem], bounced_kind: str | None = None
) -> bool:
    """The host learns once per person and meeting that mail to `address` bounces, with the
    actions that therefore cannot be accepted by silence (the same key whether the bounce itself
    or a later tick tells it first)."""
    return tell_host(
        notifier, meeting, "bounce_notice", f"bounce_notice:{meeting.ref}:{address}",
        {"owner": address, "actions": [action_view(a) for a in waiting], "bounced_kind": bounced_kind},
    )  # fmt: skip


def tell_host(notifier: Notifier, meeting: Meeting, kind: str, key: str, context: dict[str, Any]) -> bool:
    """One mail to the host (the recorder when the host's own address bounces), in their language
    or else the meeting's: never the language of a bounce that happened to be in hand."""
    host = meeting.host_address
    if host:
        person = notifier.person(host)
        if person is not None and person.bouncing and meeting.recorder_address:
            host = meeting.recorder_address  # the host's own mail bounces: the recorder can act
    if not host:
        return False
    person = notifier.person(host)
    language = person.language if person is not None and person.language in notifier.app.languages else None
    return notifier.send(
        key=key, kind=kind, to=host, context={"meeting": meeting_view(meeting), **context},
        language=language or meeting.language or None, meeting_id=meeting.id,
    )  # fmt: skip
