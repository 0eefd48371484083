"""Mail from machines: never answered, but two kinds carry news the consent round needs.

- A bounce of one of our mails: its recipient cannot be reached, so their silence is not
  consent. The address is marked bouncing and the host of that mail's meeting is told, once per
  person and meeting.
- An out-of-office reply from an owner whose round is open: they are away, so the round waits
  for their return (or asks their proxy), and the host is told. A return date written in the
  auto-reply is used; otherwise the policy's extension.

Reading the last day away from an auto-reply (the rule, with the day the mail arrived as the
anchor for dates written without a year):

- a day back — "12月10日返回", "回来", "上班", "back on Monday, December 14", "returning 14 Dec" —
  means away until the day before it;
- English "until X" ("out of the office until Monday, December 14") is read the same way, as the
  day back, since that is how the phrase is used in vacation responders;
- a Chinese end of absence — "12月3日至12月9日休假", "休假到12月9日" — or English "through X" is
  the last day away itself;
- no readable date on or after the arrival day: away for `away_extension_working_days` working
  days from the arrival day.

Whichever it is, the owner's round then runs its usual working days after the last day away.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

from sqlalchemy import select

from mailbot import tokens
from mailbot.classify import Classification
from mailbot.confirmation import extend_for_absence, tell_bounce
from mailbot.formats.dates import read_date
from mailbot.handlers.base import HandlerContext, Outcome
from mailbot.handlers.trust import answers_our_mail
from mailbot.lifecycle import Status
from mailbot.store.models import ActionItem, Meeting, OutboxMail, Person

MESSAGE_ID = re.compile(r"^\s*Message-ID:\s*<([^<>\s]{1,300})>", re.IGNORECASE | re.MULTILINE)
BOUNCE_SENDERS = ("mailer-daemon", "postmaster")
BOUNCE_SUBJECTS = re.compile(
    r"undeliver|delivery status notification|delivery failure|returned mail|退信|无法送达|投递失败", re.I
)
ORIGINAL_PARTS = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers")
# "12月10日返回", "back on Monday, December 14", "return on 14 Dec": the first day back.
BACK_ON = re.compile(
    r"(?P<zh>[^，,。；;\n]{1,24}?)(?:返回|回来|回到|回公司|上班|恢复办公)"
    r"|(?:back|return(?:ing)?)\s+(?:on|by)?\s*(?P<en>[^.;\n]{3,40})",
    re.IGNORECASE,
)
# "休假至12月9日", "12月3日到12月9日休假", "until Monday, December 14" (English "until" is the day
# back, see the module docstring), "through December 13" (the last day away).
AWAY_UNTIL = re.compile(
    r"(?:至|到|～|~)\s*(?P<zh>[^，,。；;\n]{2,20}?)(?:休假|外出|出差|[，,。；;\n]|$)"
    r"|until\s+(?P<en>[^.;\n]{3,40})|(?:through|thru)\s+(?P<last>[^.;\n]{3,40})",
    re.IGNORECASE,
)
# A Date header this far behind the clock is not believed as the day the mail arrived.
ARRIVAL_SLACK_DAYS = 30


def handle_machine_mail(ctx: HandlerContext, found: Classification) -> Outcome:
    """Never answers: a bounce or an owner's out-of-office reply updates the round, the rest is
    recorded as ignored with the classifier's reason. The Classification (not only its reason) is
    taken because its category says which kind of machine mail this is."""
    if found.category != "own" and is_bounce(ctx):
        return note_bounce(ctx, found.reason)
    if found.category == "auto_reply":
        return note_absence(ctx, found.reason)
    ctx.event("mail.ignored", detail={"reason": found.reason})
    return Outcome("ignored", found.category or "machine", error=found.reason)


def is_bounce(ctx: HandlerContext) -> bool:
    mail = ctx.mail
    sender = mail.sender.address.split("@")[0] if mail.sender else ""
    return (
        mail.content_type == "multipart/report"
        or sender in BOUNCE_SENDERS
        or BOUNCE_SUBJECTS.search(mail.subject) is not None
    )


def original_message_ids(ctx: HandlerContext) -> list[str]:
    """Where a DSN names the mail it returns: the attached original or its headers, the headers
    some servers paste into the text, else the thread."""
    found: list[str] = []
    for attachment in ctx.mail.attachments:
        if attachment.content_type in ORIGINAL_PARTS:
            found += MESSAGE_ID.findall(attachment.payload[:65536].decode("utf-8", "replace"))
    found += MESSAGE_ID.findall(ctx.mail.body_text[:65536])
    return list(dict.fromkeys([*found, *ctx.mail.in_reply_to, *ctx.mail.references]))


def returned_rows(ctx: HandlerContext) -> Iterator[OutboxMail]:
    """The mail a bounce returns: named by the return path it came back to (VERP, unforgeable), or
    by our Message-ID in the report or the thread (an HMAC too)."""
    key = ctx.app.config.token_key
    for recipient in (*ctx.mail.to, *ctx.mail.cc):
        plus = tokens.plus_part(ctx.app.sender.address, recipient.address)
        row_id = tokens.verify_bounce(key, plus) if plus else None
        row = ctx.session.get(OutboxMail, row_id) if row_id else None
        if row is not None:
            yield row
    for message_id in original_message_ids(ctx)[:20]:
        row = ctx.session.scalar(select(OutboxMail).where(OutboxMail.message_id == message_id))
        if row is not None:
            yield row


def note_bounce(ctx: HandlerContext, reason: str) -> Outcome:
    for row in returned_rows(ctx):
        address = row.to_address
        person = ctx.person(address)
        if person is None:
            # Someone the bot only wrote to (an address from a mail's headers): remember the bounce.
            person = Person(address=address, source="headers", created_at=ctx.now)
            ctx.session.add(person)
            ctx._people[address] = person
        person.bouncing = True
        ctx.event("address.bouncing", meeting_id=row.meeting_id, detail={"address": address, "mail": row.key})
        meeting = ctx.session.get(Meeting, row.meeting_id) if row.meeting_id else None
        if meeting is not None:
            tell_bounce(ctx, meeting, address, waiting_actions(ctx, address, meeting.id), row.kind)
        return Outcome("ignored", "bounce", error=f"bounce of {row.kind} to {address}", meeting_id=row.meeting_id)
    ctx.event("mail.ignored", detail={"reason": reason, "bounce": "original not found"})
    return Outcome("ignored", "bounce", error="bounce of a mail we did not send or cannot identify")


def waiting_actions(ctx: HandlerContext, owner: str, meeting_id: int | None = None) -> list[ActionItem]:
    query = select(ActionItem).where(
        ActionItem.owner_address == owner, ActionItem.status == Status.AWAITING_CONFIRMATION
    )
    if meeting_id is not None:
        query = query.where(ActionItem.meeting_id == meeting_id)
    return list(ctx.session.scalars(query.order_by(ActionItem.id)))


def arrival_day(ctx: HandlerContext) -> date:
    """The day the auto-reply was written, in the org's zone: its Date header when believable
    (not in the future, not long ago), else today. A mail read late after downtime still reads
    "12月10日返回" against the day it was sent, not against the day the bot woke up."""
    today = ctx.app.today()
    sent = ctx.mail.date
    if sent is None:
        return today
    day = sent.astimezone(ctx.app.config.tz).date()
    return day if today - timedelta(days=ARRIVAL_SLACK_DAYS) <= day <= today else today


def away_until(ctx: HandlerContext) -> tuple[date, bool]:
    """The last day away (see the module docstring, at most [consent] max_away_working_days from
    the day the reply was written) and whether the mail named it."""
    anchor = arrival_day(ctx)
    longest = ctx.app.calendar.add_workdays(anchor, ctx.app.policy.consent.max_away_working_days)
    until, named = named_absence(ctx, anchor)
    return min(until, longest), named


def named_absence(ctx: HandlerContext, anchor: date) -> tuple[date, bool]:
    text = " ".join(ctx.mail.body_text.split())[:2000]
    for pattern in (BACK_ON, AWAY_UNTIL):
        for match in pattern.finditer(text):
            groups = match.groupdict()
            written = groups.get("zh") or groups.get("en") or groups.get("last") or ""
            is_back = pattern is BACK_ON or groups.get("en") is not None
            reading = read_date(written, anchor, ctx.app.calendar)
            if reading.value is not None and reading.value >= anchor:
                return (reading.value - timedelta(days=1) if is_back else reading.value), True
    return ctx.app.calendar.add_workdays(anchor, ctx.app.policy.consent.away_extension_working_days), False


def note_absence(ctx: HandlerContext, reason: str) -> Outcome:
    owner = ctx.sender_address
    if not answers_our_mail(ctx, owner):
        ctx.event("mail.ignored", detail={"reason": reason, "absence": "answers no mail of ours"})
        return Outcome("ignored", "auto_reply", error=f"{reason}; answers no mail of ours")
    waiting = waiting_actions(ctx, owner)
    # Asked to take an action over (转交): their silence would hand it to them, so their absence
    # is kept too (mailbot/workflow/consent.py moves that deadline past their return).
    handing = ctx.session.scalar(select(ActionItem.id).where(ActionItem.delegate_address == owner).limit(1))
    if not waiting and handing is None:
        # Nothing of theirs is waiting on an answer: their absence changes nothing here.
        ctx.event("mail.ignored", detail={"reason": reason})
        return Outcome("ignored", "auto_reply", error=reason)
    until, named = away_until(ctx)
    person = ctx.person(owner)
    if person is None:
        person = Person(address=owner, source="headers", created_at=ctx.now)
        ctx.session.add(person)
        ctx._people[owner] = person
    # A later auto-reply never shortens a known absence (two responders, one stale).
    person.away_until = max(person.away_until or until, until)
    ctx.event(
        "person.away",
        detail={"address": owner, "until": person.away_until.isoformat(), "date_in_mail": named},
    )
    moving: dict[int, list[ActionItem]] = {}
    for action in waiting:
        if action.confirm_by is not None and person.away_until >= action.confirm_by:
            moving.setdefault(action.meeting_id, []).append(action)
    for actions in moving.values():
        extend_for_absence(ctx, actions[0].meeting, actions, person.away_until, person.proxy_address)
    return Outcome("ignored", "auto_reply", error=f"{reason}; away until {person.away_until.isoformat()}")
