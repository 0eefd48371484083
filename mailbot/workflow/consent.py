"""The confirmation round: at its deadline silence becomes consent, recorded as *silent*.

`run_consent_deadlines` is a function of (database, now): every mail it decides has a unique
key and every state change is guarded by the state it expects, so running it twice, or once
after a week of downtime, sends nothing twice and misses nothing.

Not consent: an owner whose request bounced (the host is told; the action waits for someone
reachable — or for mail from that address, which clears the mark and asks again with a fresh
round: `reachable_again`), and an owner who is away (their deadline moves past their return, and their proxy,
if any, is asked).

A delegation (转交) is a request too, with its own deadline (`ActionItem.delegate_by`): the
delegate's silence past it hands the action over (`hand_over_in_silence`), decided before the
rounds close, so an action still in its round is accepted in its new owner's name.

The steps a reply or a bounce takes as well (asking to confirm, the final minutes, telling the
host) are in mailbot/confirmation.py. Keys of this module: `objections_open:M-1:<refs>:<hash of
refs and reasons>`, `confirm_request:M-1:reachable:<address>:<day>`.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime

from sqlalchemy import select

from mailbot.app import App
from mailbot.confirmation import (
    ask_to_confirm,
    confirm_if_settled,
    extend_for_absence,
    hand_over,
    tell_bounce,
    tell_host,
)
from mailbot.lifecycle import LIVE, UNDER_REVIEW, UNSETTLED, MeetingStatus, Role, Status, decide
from mailbot.meetings import action_view
from mailbot.notify import Notifier
from mailbot.store.models import ActionItem, Event, Meeting


def run_consent_deadlines(app: App, now: datetime) -> dict[str, int]:
    today = now.astimezone(app.config.tz).date()
    counts = {"handed_over": 0, "accepted_silently": 0, "confirmed": 0, "disputed": 0, "waiting": 0}
    hand_over_in_silence(app, now, today, counts)
    with app.db.transaction() as session:
        # Only meetings where a round has run out: an action still awaiting an answer, or objected,
        # past its deadline — or a round with nothing left to answer past its deadline, whose
        # minutes a missed step left under review (they become final now). Everything else has
        # nothing due (and a quiet tick stays cheap).
        unsettled = select(ActionItem.meeting_id).where(ActionItem.status.in_(UNSETTLED))
        meeting_ids = list(
            session.scalars(
                select(Meeting.id)
                .where(Meeting.status.in_(UNDER_REVIEW))
                .where(
                    Meeting.id.in_(unsettled.where(ActionItem.confirm_by < today))
                    | (Meeting.id.not_in(unsettled) & (Meeting.confirm_by < today))
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


def hand_over_in_silence(app: App, now: datetime, today: date, counts: dict[str, int]) -> None:
    """Delegations whose deadline passed without an answer. The delegate's request said "逾期视为
    默认", as every request does, so their silence takes the action over (recorded as silent, with
    the deadline). Not from someone who cannot have read the request (their mail bounces) nor from
    work that moved on meanwhile (done, objected, cancelled): the delegation ends and the owner,
    who was told "对方确认前仍由您负责", keeps it. A delegate away past the deadline gets a full
    window after their return, as an owner does."""
    with app.db.transaction() as session:
        due = list(
            session.scalars(
                select(ActionItem.id)
                .where(ActionItem.delegate_address.is_not(None), ActionItem.delegate_by < today)
                .order_by(ActionItem.id)
            )
        )
    for action_id in due:
        with app.db.transaction() as session:
            # Locked (PostgreSQL): a second daemon waits, then finds the delegation already decided.
            action = session.get(ActionItem, action_id, with_for_update=True)
            if action is None or action.delegate_address is None or action.delegate_by is None:
                continue
            if today <= action.delegate_by:  # delegated again meanwhile, with a new deadline
                continue
            notifier = Notifier(
                app=app, session=session, now=now, actor="mailbot", fallback_language=action.meeting.language
            )
            if hand_over_silently(notifier, action, today):
                counts["handed_over"] += 1


def hand_over_silently(notifier: Notifier, action: ActionItem, today: date) -> bool:
    """One delegation past its deadline (see `hand_over_in_silence`); True when the action changed hands."""
    assert action.delegate_address is not None and action.delegate_by is not None
    delegate, deadline, meeting = action.delegate_address, action.delegate_by, action.meeting
    person = notifier.person(delegate)
    silence = decide("hand_over", action.status, {Role.BOT})
    if not silence.allowed or (person is not None and person.bouncing):
        action.delegate_address, action.delegate_by = None, None
        notifier.event(
            "action.delegation_lapsed", meeting_id=meeting.id, action_id=action.id,
            detail={"delegate": delegate, "deadline": deadline.isoformat(),
                    **({"reason": "bouncing"} if silence.allowed else {"status": str(action.status)})},
        )  # fmt: skip
        return False
    if person is not None and person.away_until is not None and person.away_until >= deadline:
        moved = notifier.app.calendar.add_workdays(person.away_until, notifier.app.policy.consent.working_days)
        action.delegate_by = moved
        if action.status == Status.AWAITING_CONFIRMATION and (action.confirm_by is None or action.confirm_by < moved):
            action.confirm_by = moved  # the round waits for whoever will hold the action
        notifier.event(
            "action.deadline_extended", meeting_id=meeting.id, action_id=action.id,
            detail={"from": deadline.isoformat(), "to": moved.isoformat(), "away_until": person.away_until.isoformat(),
                    "delegate": delegate},
        )  # fmt: skip
        if today <= moved:
            return False
        deadline = moved  # the bot was down past the moved deadline too: decided now, as ticks would have
    name = person.name if person is not None and person.name else (meeting.names or {}).get(delegate)
    previous = hand_over(notifier, action, delegate, name)
    action.status = silence.to
    notifier.event(
        "action.owner_changed", meeting_id=meeting.id, action_id=action.id,
        detail={"previous": previous, "new": delegate, "consent": "silent", "deadline": deadline.isoformat()},
    )  # fmt: skip
    return True


def wait_for_the_away(
    notifier: Notifier, meeting: Meeting, live: list[ActionItem], today: date, counts: dict[str, int]
) -> None:
    """Owners away past their deadline: their round moves past the return, one owner's actions
    together (the host is told once). A moved deadline that has passed as well (the bot was down
    meanwhile) is decided in the same pass, as daily ticks would have decided it by today."""
    moving: dict[str, list[ActionItem]] = {}
    for action in live:
        lapses = decide("lapse", action.status, {Role.BOT}).allowed
        if not lapses or action.confirm_by is None or today <= action.confirm_by:
            continue
        owner = notifier.person(action.owner_address)
        if owner is None or owner.bouncing or owner.away_until is None or owner.away_until < action.confirm_by:
            continue
        moving.setdefault(owner.address, []).append(action)
    for address, actions in moving.items():
        owner = notifier.person(address)
        assert owner is not None and owner.away_until is not None
        extend_for_absence(notifier, meeting, actions, owner.away_until, owner.proxy_address)
        counts["waiting"] += sum(1 for a in actions if a.confirm_by is not None and today <= a.confirm_by)


def close_round(notifier: Notifier, meeting: Meeting, today: date, counts: dict[str, int]) -> None:
    live = [a for a in meeting.actions if a.status in LIVE]
    notifier.know({a.owner_address for a in live} | {meeting.host_address or ""})
    wait_for_the_away(notifier, meeting, live, today, counts)
    for action in live:
        silence = decide("lapse", action.status, {Role.BOT})
        if not silence.allowed or action.confirm_by is None or today <= action.confirm_by:
            continue
        if action.delegate_address and action.delegate_by and today <= action.delegate_by:
            continue  # someone else is asked to take it over and may still answer: their silence decides
        owner = notifier.person(action.owner_address)
        if owner is not None and owner.bouncing:
            counts["waiting"] += 1
            theirs = [a for a in live if a.owner_address == owner.address and a.status == Status.AWAITING_CONFIRMATION]
            tell_bounce(notifier, meeting, owner.address, theirs)
            continue
        action.status, action.consent, action.accepted_at = silence.to, "silent", notifier.now
        action.updated_at = notifier.now
        notifier.event(
            "action.accepted", meeting_id=meeting.id, action_id=action.id,
            detail={"consent": "silent", "deadline": action.confirm_by.isoformat()},
        )  # fmt: skip
        counts["accepted_silently"] += 1
    if confirm_if_settled(notifier, meeting):
        counts["confirmed"] += 1
        return
    objected = [a for a in live if a.status == Status.OBJECTED]
    waiting = [a for a in live if a.status == Status.AWAITING_CONFIRMATION and a.confirm_by and today <= a.confirm_by]
    if objected and not waiting and all(a.confirm_by and today > a.confirm_by for a in objected):
        if meeting.status != MeetingStatus.DISPUTED:
            meeting.status = MeetingStatus.DISPUTED
            notifier.event("meeting.disputed", meeting_id=meeting.id, detail={"objections": [a.ref for a in objected]})
            counts["disputed"] += 1
        tell_host(notifier, meeting, "objections_open", objections_key(meeting, objected),
                  {"objections": [{**action_view(a), "reason": a.objection_reason} for a in objected]})  # fmt: skip


def objections_key(meeting: Meeting, objected: list[ActionItem]) -> str:
    """One mail per set of open objections: a re-run finds the same key, while a new objection,
    or an action objected to again with another reason after the host's decision, is news."""
    refs = ",".join(a.ref for a in objected)
    reasons = "\n".join(f"{a.ref}\t{a.objection_reason or ''}" for a in objected)
    digest = hashlib.sha256(reasons.encode()).hexdigest()[:10]
    return f"objections_open:{meeting.ref}:{refs}:{digest}"


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
            ActionItem.status == Status.AWAITING_CONFIRMATION,
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
