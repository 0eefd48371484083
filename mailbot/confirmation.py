"""The confirmation round's steps that a reply, a bounce, an out-of-office reply and the deadline
job all take: asking someone to confirm, making the minutes final once every action is settled,
telling the host. Below the handlers and the jobs, so neither reaches into the other.

Keys: `confirm_request:…` (the caller's, see each), `bounce_notice:M-1:<address>` (per person and
meeting, shared by the bounce handler and the tick), `away_notice:A-3:<last day away>`,
`confirm_request:A-3:proxy:<proxy>`, `final_minutes:M-1:v<version>:<party>`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from mailbot.lifecycle import LIVE, UNDER_REVIEW, UNSETTLED, MeetingStatus
from mailbot.meetings import action_view, meeting_view
from mailbot.notify import Notifier
from mailbot.store.models import ActionItem, Meeting, MinutesVersion


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
