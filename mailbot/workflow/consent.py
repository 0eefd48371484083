"""The confirmation round: at its deadline silence becomes consent, recorded as *silent*.

`run_consent_deadlines` is a function of (database, now): every mail it decides has a unique
key and every state change is guarded by the state it expects, so running it twice, or once
after a week of downtime, sends nothing twice and misses nothing.

Not consent: an owner whose request bounced (the host is told; the action waits for someone
reachable — or for mail from that address, which clears the mark and asks again with a fresh
round: `reachable_again`), and an owner who is away (their deadline moves past their return, and their proxy,
if any, is asked).

Keys: `bounce_notice:M-1:<address>` (per person and meeting, shared with the bounce handler),
`away_notice:A-3:<last day away>`, `confirm_request:A-3:proxy:<proxy>`,
`objections_open:M-1:<refs>:<hash of refs and reasons>`, `final_minutes:M-1:v<version>:<party>`.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from mailbot.app import App
from mailbot.meetings import action_view, meeting_view
from mailbot.notify import Notifier
from mailbot.store.models import ActionItem, Event, Meeting, MinutesVersion

SETTLED = ("accepted", "in_progress", "done", "verified", "delayed")


def run_consent_deadlines(app: App, now: datetime) -> dict[str, int]:
    today = now.astimezone(app.config.tz).date()
    counts = {"accepted_silently": 0, "confirmed": 0, "disputed": 0, "waiting": 0}
    with app.db.transaction() as session:
        # Only meetings where a round has run out: an action still awaiting an answer, or objected,
        # past its deadline. Everything else has nothing due (and a quiet tick stays cheap).
        meeting_ids = list(
            session.scalars(
                select(Meeting.id)
                .where(Meeting.status.in_(("in_review", "disputed")))
                .where(
                    Meeting.id.in_(
                        select(ActionItem.meeting_id).where(
                            ActionItem.status.in_(("awaiting_confirmation", "objected")), ActionItem.confirm_by < today
                        )
                    )
                )
                .order_by(Meeting.id)
            )
        )
    for meeting_id in meeting_ids:
        with app.db.transaction() as session:
            meeting = session.get(Meeting, meeting_id)
            if meeting is None:
                continue
            notifier = Notifier(app=app, session=session, now=now, actor="mailbot", fallback_language=meeting.language)
            close_round(notifier, meeting, today, counts)
    return counts


def close_round(notifier: Notifier, meeting: Meeting, today: date, counts: dict[str, int]) -> None:
    live = [a for a in meeting.actions if a.status != "cancelled"]
    notifier.know({a.owner_address for a in live} | {meeting.host_address or ""})
    for action in live:
        if action.status != "awaiting_confirmation" or action.confirm_by is None or today <= action.confirm_by:
            continue
        owner = notifier.person(action.owner_address)
        if owner is not None and owner.bouncing:
            counts["waiting"] += 1
            theirs = [a for a in live if a.owner_address == owner.address and a.status == "awaiting_confirmation"]
            tell_bounce(notifier, meeting, owner.address, theirs)
            continue
        if owner is not None and owner.away_until is not None and owner.away_until >= action.confirm_by:
            extend_for_absence(notifier, meeting, action, owner.away_until, owner.proxy_address)
            if action.confirm_by is not None and today <= action.confirm_by:
                counts["waiting"] += 1
                continue
            # The moved deadline has passed as well (the bot was down meanwhile): decide now what
            # daily ticks would have decided by today, so a catch-up equals the days it missed.
        action.status, action.consent, action.accepted_at = "accepted", "silent", notifier.now
        action.updated_at = notifier.now
        notifier.event(
            "action.accepted", meeting_id=meeting.id, action_id=action.id,
            detail={"consent": "silent", "deadline": action.confirm_by.isoformat()},
        )  # fmt: skip
        counts["accepted_silently"] += 1
    if confirm_if_settled(notifier, meeting):
        counts["confirmed"] += 1
        return
    objected = [a for a in live if a.status == "objected"]
    waiting = [a for a in live if a.status == "awaiting_confirmation" and a.confirm_by and today <= a.confirm_by]
    if objected and not waiting and all(a.confirm_by and today > a.confirm_by for a in objected):
        if meeting.status != "disputed":
            meeting.status = "disputed"
            notifier.event("meeting.disputed", meeting_id=meeting.id, detail={"objections": [a.ref for a in objected]})
            counts["disputed"] += 1
        tell_host(notifier, meeting, "objections_open", objections_key(meeting, objected),
                  {"objections": [{**action_view(a), "reason": a.objection_reason} for a in objected]})  # fmt: skip


def extend_for_absence(
    notifier: Notifier, meeting: Meeting, action: ActionItem, away_until: date, proxy: str | None
) -> None:
    """Away is not consent: the round waits past the return (or asks the proxy instead)."""
    calendar = notifier.app.calendar
    # A full round after the return, as if the request had arrived the day they are back: the
    # first morning back is spent on the backlog, not on this one mail.
    new_deadline = calendar.add_workdays(away_until, notifier.app.policy.consent.working_days)
    old = action.confirm_by
    action.confirm_by = new_deadline
    notifier.event(
        "action.deadline_extended", meeting_id=meeting.id, action_id=action.id,
        detail={"from": old.isoformat() if old else None, "to": new_deadline.isoformat(), "away_until": away_until.isoformat()},
    )  # fmt: skip
    today = notifier.now.astimezone(notifier.app.config.tz).date()
    # A catch-up after downtime may find the moved deadline already past: asking the proxy to
    # answer by a day gone by would only confuse them.
    if proxy and new_deadline >= today:
        ask_to_confirm(notifier, meeting, [action], proxy, key=f"confirm_request:{action.ref}:proxy:{proxy}",
                       confirm_by=new_deadline)  # fmt: skip
    tell_host(notifier, meeting, "away_notice", f"away_notice:{action.ref}:{away_until.isoformat()}",
              {"action": action_view(action), "owner": action.owner_address, "away_until": away_until,
               "new_deadline": new_deadline, "proxy": proxy})  # fmt: skip


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
    language = person.language if person is not None and person.language in ("zh", "en") else None
    return notifier.send(
        key=key, kind=kind, to=host, context={"meeting": meeting_view(meeting), **context},
        language=language or meeting.language or None, meeting_id=meeting.id,
    )  # fmt: skip


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


def objections_key(meeting: Meeting, objected: list[ActionItem]) -> str:
    """One mail per set of open objections: a re-run finds the same key, while a new objection,
    or an action objected to again with another reason after the host's decision, is news."""
    refs = ",".join(a.ref for a in objected)
    reasons = "\n".join(f"{a.ref}\t{a.objection_reason or ''}" for a in objected)
    digest = hashlib.sha256(reasons.encode()).hexdigest()[:10]
    return f"objections_open:{meeting.ref}:{refs}:{digest}"


def confirm_if_settled(notifier: Notifier, meeting: Meeting) -> bool:
    """Nothing awaiting and nothing objected: the minutes are final; the 正式版 goes to everyone."""
    if meeting.status not in ("in_review", "disputed"):
        return False
    live = [a for a in meeting.actions if a.status != "cancelled"]
    if not live or any(a.status in ("awaiting_confirmation", "objected", "proposed") for a in live):
        return False
    meeting.status, meeting.confirmed_at, meeting.updated_at = "confirmed", notifier.now, notifier.now
    version = notifier.session.scalar(
        select(MinutesVersion.number)
        .where(MinutesVersion.meeting_id == meeting.id, MinutesVersion.status == "active")
        .order_by(MinutesVersion.number.desc())
        .limit(1)
    )
    notifier.event("meeting.confirmed", meeting_id=meeting.id, detail={"version": version})
    view = meeting_view(meeting)
    actions = [action_view(a) for a in live]
    parties = [*meeting.attendees, *(a.owner_address for a in live), meeting.host_address, meeting.recorder_address]
    seen = {notifier.app.sender.address, ""}
    notifier.know(p for p in parties if p)
    ics = notifier.todo_file(actions, view)
    for party in parties:
        if not party or party in seen:
            continue
        seen.add(party)
        notifier.send(
            key=f"final_minutes:{meeting.ref}:v{version}:{party}", kind="final_minutes", to=party,
            context={"meeting": view, "actions": actions}, token_for=meeting.ref, meeting_id=meeting.id,
            attachments=[ics],
        )  # fmt: skip
    return True


def reachable_again(notifier: Notifier, address: str) -> int:
    """Mail from an address we had marked bouncing proves it works: the mark goes, and every
    confirmation request it never received is sent again with a fresh round — silence can only
    count as consent from someone who got the question. Returns how many actions were reopened."""
    person = notifier.person(address)
    if person is None or not person.bouncing:
        return 0
    person.bouncing = False
    notifier.event("address.reachable", detail={"address": address})
    today = notifier.now.astimezone(notifier.app.config.tz).date()
    confirm_by = notifier.app.calendar.add_workdays(today, notifier.app.policy.consent.working_days)
    # Only the meetings whose mail to this address bounced: a request that got through is not
    # asked again, and its round is not moved.
    bounced_in = {
        meeting_id
        for meeting_id, detail in notifier.session.execute(
            select(Event.meeting_id, Event.detail).where(
                Event.what == "address.bouncing", Event.meeting_id.is_not(None)
            )
        )
        if detail.get("address") == address
    }
    waiting = notifier.session.scalars(
        select(ActionItem)
        .where(
            ActionItem.owner_address == address,
            ActionItem.status == "awaiting_confirmation",
            ActionItem.meeting_id.in_(bounced_in),
        )
        .order_by(ActionItem.meeting_id, ActionItem.id)
    ).all()
    by_meeting: dict[int, list[ActionItem]] = {}
    for action in waiting:
        by_meeting.setdefault(action.meeting_id, []).append(action)
    for actions in by_meeting.values():
        meeting = actions[0].meeting
        for action in actions:
            old, action.confirm_by = action.confirm_by, max(confirm_by, action.confirm_by or confirm_by)
            notifier.event(
                "action.deadline_extended", meeting_id=meeting.id, action_id=action.id,
                detail={"from": old.isoformat() if old else None, "to": action.confirm_by.isoformat(),
                        "reason": "reachable again"},
            )  # fmt: skip
        ask_to_confirm(notifier, meeting, actions, address, confirm_by=confirm_by, with_todo=True,
                       key=f"confirm_request:{meeting.ref}:reachable:{address}:{today.isoformat()}")  # fmt: skip
    return len(waiting)


def ask_to_confirm(
    notifier: Notifier,
    meeting: Meeting,
    actions: list[ActionItem],
    to: str,
    *,
    key: str,
    confirm_by: date | None,
    with_todo: bool = False,
) -> bool:
    """A confirmation request for these actions of one meeting, outside the minutes' own round (a
    proxy, a new owner, a new date, an address that works again): one mail, tied by its token to
    the action when there is one, else to the meeting."""
    mine = [action_view(a) for a in actions]
    view = meeting_view(meeting)
    return notifier.send(
        key=key, kind="confirm_request", to=to,
        context={"meeting": {**view, "confirm_by": confirm_by or view["confirm_by"]}, "mine": mine, "actions": mine},
        token_for=mine[0]["ref"] if len(mine) == 1 else meeting.ref, meeting_id=meeting.id,
        attachments=[notifier.todo_file(mine, view)] if with_todo else [],
    )  # fmt: skip
