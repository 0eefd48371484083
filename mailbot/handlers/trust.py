"""Who sent this? Proof of the sender, and the mails we hold until the sender confirms.

A `From:` header proves nothing (reliability.md). What does, in the order it is looked for:
- the sender answered our confirmation question about this very mail (`confirmed_by_reply`);
- the deployment trusts From: (`[trust] unproven = "apply"`, a server that refuses outsiders);
- the mail answers a mail we sent to that address: a reply token issued to it (subject tag,
  Reply-To plus-address) or one of our Message-IDs in In-Reply-To/References. Both are HMACs of
  the secret key, known only to whoever reads that mailbox, so they prove the mailbox — which
  action the mail then acts on is the life cycle's question (who may make which move), not this;
- the organisation's server (Authentication-Results) or a DKIM signature (mailbot/proof.py).

Without any, a mail that would change something is held: nothing is applied, and the claimed
address is asked once ("we received … from your address; reply to apply it"). The real person
confirms with one reply; a forger never sees the question (the way Mailman confirms).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from mailbot import tokens
from mailbot.message import InboundMail
from mailbot.proof import SenderProof, other_login, prove_sender
from mailbot.store.models import HeldMail, OutboxMail
from mailbot.store.models import InboundMail as InboundRecord

if TYPE_CHECKING:
    from mailbot.handlers.base import HandlerContext, Outcome

# Questions to one address an hour: a forger can make the real person get a few, never a flood.
QUESTIONS_PER_HOUR = 5
# Lines of the held mail the question shows (the command lines, or the draft's first lines).
SHOWN_LINES = 20
SHOWN_LINE_CHARS = 200
# The question quotes what a possible forger wrote, in the company's name: never a link to click.
LINK = re.compile(r"(?:https?://|ftp://|www\.)\S+", re.IGNORECASE)


def sender_proof(ctx: HandlerContext) -> SenderProof | None:
    trust = ctx.app.config.trust
    if ctx.confirmed_by_reply:
        return SenderProof("confirmed", "answered the bot's confirmation question")
    if someone_else_logged_in(ctx, ctx.record.raw) is not None:
        # Our server saw another person's login send it: no token, thread or setting outweighs that.
        return None
    if trust.unproven == "apply":
        return SenderProof("configured", 'trust.unproven = "apply"')
    if answers_our_mail(ctx, ctx.sender_address):
        return SenderProof("thread", "answers a mail the bot sent to this address")
    return prove_sender(ctx.record.raw, ctx.sender_address, trust, ctx.app.dns_txt)


def someone_else_logged_in(ctx: HandlerContext, raw: bytes) -> str | None:
    """The address of another person the organisation's server says sent this mail (logged in as
    them, `From:` someone else), or None. Only a login that is a person the bot knows counts: a
    login that is an employee number or an alias says nothing about whose mailbox it is."""
    login = other_login(raw, ctx.sender_address, ctx.app.config.trust)
    return login if login and ctx.person(login) is not None else None


def answers_our_mail(ctx: HandlerContext, address: str) -> bool:
    """Whether the mail names a token or Message-ID of a mail we sent to `address`."""
    if not address:
        return False
    key = ctx.app.config.token_key
    # Outlook's automatic replies carry no In-Reply-To, but they echo the subject with its tag.
    shown = [m.group(0) for m in tokens.TOKEN_PATTERN.finditer(ctx.mail.subject[:1000])]
    for recipient in (*ctx.mail.to, *ctx.mail.cc):
        plus = tokens.plus_part(ctx.app.sender.address, recipient.address)
        if plus:
            shown.append(plus)
    if any(tokens.verify(key, token, address) for token in shown[:20]):
        return True
    ids = [*ctx.mail.in_reply_to, *ctx.mail.references][-20:]
    if not ids:
        return False
    query = select(OutboxMail.id).where(OutboxMail.message_id.in_(ids), OutboxMail.to_address == address)
    return ctx.session.scalar(query.limit(1)) is not None


def hold(ctx: HandlerContext, kind: str, shown: list[str], context: dict[str, Any] | None = None) -> Outcome:
    """Keep the mail, apply nothing, and ask the claimed address whether it was them."""
    from mailbot.handlers.base import Outcome

    trust = ctx.app.config.trust
    held = HeldMail(
        inbound_mail_id=ctx.record.id,
        address=ctx.sender_address,
        kind=kind,
        status="pending",
        held_at=ctx.now,
        expires_at=ctx.now + timedelta(days=trust.confirm_within_days),
    )
    ctx.session.add(held)
    ctx.session.flush()
    ctx.event("mail.held", detail={"kind": kind, "held": held.id})
    asked = False
    if questions_last_hour(ctx, ctx.sender_address) <= QUESTIONS_PER_HOUR:
        asked = ctx.answer(
            kind="sender_check",
            context={
                "what": kind,
                "commands": False,  # a yes/no question: the footer lists no reply commands
                "address": ctx.sender_address,
                "lines": [LINK.sub("[URL]", line)[:SHOWN_LINE_CHARS] for line in shown[:SHOWN_LINES]],
                "more_lines": max(0, len(shown) - SHOWN_LINES),
                "expires": (ctx.now + timedelta(days=trust.confirm_within_days)).astimezone(ctx.app.config.tz).date(),
                "received_at": ctx.now.astimezone(ctx.app.config.tz),
                # Whose login our server saw send it, when not theirs: said plainly in the question,
                # and only a written "确认" applies such a mail (an empty reply does not).
                "sent_by_login": someone_else_logged_in(ctx, ctx.record.raw),
                **(context or {}),
            },
            token_for=f"H-{held.id}",
        )
    if not asked:
        ctx.event("answer.suppressed", detail={"kind": "sender_check", "reason": "rate limit"})
    return Outcome("held", kind, error="sender not proven: held until the sender confirms by reply")


def questions_last_hour(ctx: HandlerContext, address: str) -> int:
    since = ctx.now - timedelta(hours=1)
    query = select(func.count(HeldMail.id)).where(HeldMail.address == address, HeldMail.held_at >= since)
    return int(ctx.session.scalar(query) or 0)


@dataclass(frozen=True)
class Settled:
    """What the answer to our question did: the held mail's own outcome when it was applied,
    else why not (a reply-result code)."""

    outcome: Outcome | None
    code: str = ""
    params: dict[str, Any] = field(default_factory=dict)


def settle(ctx: HandlerContext, held_id: int, answer: str, *, written: bool = True) -> Settled:
    """The claimed sender answered our question. The token already proved it is them (it verifies
    only for the address we asked); `answer` is what they said: "yes" applies the held mail,
    "no" drops it (and the admin hears of a forgery), anything else applies nothing. `written`:
    the yes was written, not an empty reply, which is all a mail another person's login sent needs.

    "No" is heard however late it comes: a forgery is worth the admin's knowing after the question
    lapsed too, and the person is not told to send again a mail they say was never theirs."""
    from mailbot.handlers.base import HandlerContext as Context
    from mailbot.pipeline import route

    held = ctx.session.get(HeldMail, held_id)
    if held is None or held.address != ctx.sender_address:
        return Settled(None, "held_unknown")
    if answer == "no" and held.status in ("pending", "lapsed"):
        held.status, held.settled_at, held.settled_by_id = "declined", ctx.now, ctx.record.id
        ctx.event("mail.forged", detail={"held": held.id, "inbound": held.inbound_mail_id, "address": held.address})
        tell_admin_of_forgery(ctx, held)
        return Settled(None, "held_declined")
    if answer == "no" and held.status == "declined":
        return Settled(None, "held_declined")  # said twice: the admin was told the first time
    if held.status != "pending":
        return Settled(
            None,
            "held_applied" if held.status == "applied" else "held_lapsed",
            {"expires": local_day(ctx, held.expires_at)},
        )
    if ctx.now > held.expires_at:
        held.status, held.settled_at, held.settled_by_id = "lapsed", ctx.now, ctx.record.id
        return Settled(None, "held_lapsed", {"expires": local_day(ctx, held.expires_at)})
    if answer != "yes":
        return Settled(None, "held_unclear")
    original = ctx.session.get(InboundRecord, held.inbound_mail_id)
    assert original is not None
    if not written and someone_else_logged_in(ctx, original.raw) is not None:
        return Settled(None, "held_unclear")
    mail = InboundMail.from_bytes(original.raw)
    held_ctx = Context(
        app=ctx.app, session=ctx.session, mail=mail, record=original, now=ctx.now, confirmed_by_reply=True
    )
    outcome = route(held_ctx)
    original.kind, original.outcome, original.error = outcome.kind, outcome.outcome, outcome.error
    original.meeting_id = outcome.meeting_id
    held.status, held.settled_at, held.settled_by_id = "applied", ctx.now, ctx.record.id
    ctx.event("mail.confirmed", detail={"held": held.id, "inbound": original.id, "outcome": outcome.outcome})
    return Settled(outcome)


def local_day(ctx: HandlerContext, moment: datetime) -> date:
    return moment.astimezone(ctx.app.config.tz).date()


def tell_admin_of_forgery(ctx: HandlerContext, held: HeldMail) -> None:
    """Someone wrote in another person's name and that person said so: the admin should know
    (which server it came through is in the raw mail, kept with its record)."""
    admin = ctx.app.config.bot.admin
    if not admin:
        return
    original = ctx.session.get(InboundRecord, held.inbound_mail_id)
    # The admin's own language, else the bot's: not the language the denial happened to be in.
    person = ctx.person(admin.lower())
    language = person.language if person is not None and person.language in ctx.app.languages else None
    ctx.send(
        key=f"forgery_notice:{held.id}", kind="forgery_notice", to=admin,
        language=language or ctx.app.languages.fallback,
        context={
            "address": held.address, "subject": original.subject[:200] if original else "",
            "received_at": held.held_at.astimezone(ctx.app.config.tz).strftime("%Y-%m-%d %H:%M"),
            "inbound_id": held.inbound_mail_id, "no_reply": True,
        },
    )  # fmt: skip
