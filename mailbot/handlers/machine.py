"""Mail from machines: never answered, but two kinds carry news the consent round needs.

- A bounce of one of our mails: its recipient cannot be reached, so their silence is not
  consent. The address is marked bouncing and the host is told.
- An out-of-office reply from an owner whose round is open: they are away, so the round waits
  for their return (or asks their proxy), and the host is told. A return date written in the
  auto-reply is used; otherwise the policy's extension.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from mailbot.classify import Classification
from mailbot.formats.dates import read_date
from mailbot.handlers.base import HandlerContext, Outcome
from mailbot.meetings import action_view
from mailbot.store.models import ActionItem, Meeting, OutboxMail, Person
from mailbot.workflow.consent import extend_for_absence, tell_host

MESSAGE_ID = re.compile(r"^\s*Message-ID:\s*<([^<>\s]{1,300})>", re.IGNORECASE | re.MULTILINE)
BOUNCE_SENDERS = ("mailer-daemon", "postmaster")
BOUNCE_SUBJECTS = re.compile(
    r"undeliver|delivery status notification|delivery failure|returned mail|退信|无法送达|投递失败", re.I
)
# "12月10日返回", "back on Monday, December 14", "return on 14 Dec": the first day back.
BACK_ON = re.compile(
    r"(?P<zh>[^，,。；;\n]{1,24}?)(?:返回|回来|回到|回公司|上班|恢复办公)"
    r"|(?:back|return(?:ing)?)\s+(?:on|by)?\s*(?P<en>[^.;\n]{3,40})",
    re.IGNORECASE,
)
# "休假至12月9日", "out of the office until Monday, December 14" (English "until" is the day back).
AWAY_UNTIL = re.compile(
    r"至\s*(?P<zh>[^，,。；;\n]{2,20}?)(?:休假|外出|出差|[，,。；;\n]|$)|until\s+(?P<en>[^.;\n]{3,40})", re.I
)


def handle_machine_mail(ctx: HandlerContext, found: Classification) -> Outcome:
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
    """Where a DSN names the mail it returns: the attached original or its headers, else the thread."""
    found: list[str] = []
    for attachment in ctx.mail.attachments:
        if attachment.content_type in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            found += MESSAGE_ID.findall(attachment.payload[:65536].decode("utf-8", "replace"))
    found += MESSAGE_ID.findall(ctx.mail.body_text[:65536])
    return [*found, *ctx.mail.in_reply_to, *ctx.mail.references]


def note_bounce(ctx: HandlerContext, reason: str) -> Outcome:
    for message_id in original_message_ids(ctx):
        row = ctx.session.scalar(select(OutboxMail).where(OutboxMail.message_id == message_id))
        if row is None:
            continue
        person = ctx.person(row.to_address)
        if person is None:
            person = Person(address=row.to_address, source="headers", created_at=ctx.now)
            ctx.session.add(person)
            ctx._people[row.to_address] = person
        person.bouncing = True
        ctx.event("address.bouncing", meeting_id=row.meeting_id, detail={"address": row.to_address, "mail": row.key})
        meeting = ctx.session.get(Meeting, row.meeting_id) if row.meeting_id else None
        if meeting is not None:
            for action in waiting_actions(ctx, row.to_address, meeting.id):
                tell_host(ctx, meeting, "bounce_notice", f"bounce_notice:{action.ref}:{row.to_address}",
                          {"action": action_view(action), "owner": row.to_address})  # fmt: skip
        return Outcome(
            "ignored", "bounce", error=f"bounce of {row.kind} to {row.to_address}", meeting_id=row.meeting_id
        )
    ctx.event("mail.ignored", detail={"reason": reason, "bounce": "original not found"})
    return Outcome("ignored", "bounce", error="bounce of a mail we did not send or cannot identify")


def waiting_actions(ctx: HandlerContext, owner: str, meeting_id: int | None = None) -> list[ActionItem]:
    query = select(ActionItem).where(ActionItem.owner_address == owner, ActionItem.status == "awaiting_confirmation")
    if meeting_id is not None:
        query = query.where(ActionItem.meeting_id == meeting_id)
    return list(ctx.session.scalars(query.order_by(ActionItem.id)))


def away_until(ctx: HandlerContext) -> date:
    """The last day away: the day before a written return date, or the end date of an absence;
    without either, the policy's number of working days from today."""
    today = ctx.app.today()
    text = " ".join(ctx.mail.body_text.split())[:2000]
    for pattern, back in ((BACK_ON, True), (AWAY_UNTIL, False)):
        for match in pattern.finditer(text):
            written = match.group("zh") or match.group("en") or ""
            # English "until Monday, December 14" names the day back, like "back on".
            is_back = back or match.group("en") is not None
            reading = read_date(written, today, ctx.app.calendar)
            if reading.value is not None and reading.value >= today:
                return reading.value - timedelta(days=1) if is_back else reading.value
    return ctx.app.calendar.add_workdays(today, ctx.app.policy.consent.away_extension_working_days)


def note_absence(ctx: HandlerContext, reason: str) -> Outcome:
    owner = ctx.sender_address
    waiting = waiting_actions(ctx, owner)
    if not waiting:
        ctx.event("mail.ignored", detail={"reason": reason})
        return Outcome("ignored", "auto_reply", error=reason)
    until = away_until(ctx)
    person = ctx.person(owner)
    if person is None:
        person = Person(address=owner, source="headers", created_at=ctx.now)
        ctx.session.add(person)
    person.away_until = max(person.away_until or until, until)
    ctx.event("person.away", detail={"address": owner, "until": person.away_until.isoformat()})
    for action in waiting:
        if action.confirm_by is not None and person.away_until >= action.confirm_by:
            extend_for_absence(ctx, action.meeting, action, person.away_until, person.proxy_address)
    return Outcome("ignored", "auto_reply", error=f"{reason}; away until {person.away_until.isoformat()}")
