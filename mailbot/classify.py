"""Which kind of mail this is: an ordered chain of small named rules, data-driven by rules/routing.toml.

Each rule looks at the mail and either names an intent (with the reason, for the record) or
passes. The order is the policy: machines are recognised before anything could answer them,
our own threads before content guessing.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from mailbot.message import InboundMail
from mailbot.tokens import plus_part

Intent = Literal["ignore", "agenda", "minutes", "reply", "command", "unknown"]


@dataclass(frozen=True)
class Classification:
    intent: Intent
    reason: str
    # For machine mail: "own", "auto_reply", "bounce", "list" or "machine" — what it may tell us.
    category: str = ""


@dataclass(frozen=True)
class Routing:
    agenda_tags: tuple[str, ...]
    minutes_tags: tuple[str, ...]
    auto_reply_subjects: tuple[str, ...]
    precedence: tuple[str, ...]
    machine_senders: tuple[str, ...]


@cache
def load_routing(path: Path) -> Routing:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    tags, machine = raw["subject_tags"], raw["machine"]

    def lower(values: Sequence[str]) -> tuple[str, ...]:
        return tuple(v.lower() for v in values)

    return Routing(
        agenda_tags=lower(tags["agenda"]),
        minutes_tags=lower(tags["minutes"]),
        auto_reply_subjects=lower(machine["auto_reply_subjects"]),
        precedence=lower(machine["precedence"]),
        machine_senders=lower(machine["machine_senders"]),
    )


@dataclass(frozen=True)
class ClassifyContext:
    routing: Routing
    bot_address: str
    # Is this Message-ID one the bot sent? (looked up in the outbox)
    is_our_message: Callable[[str], bool]
    # "status" or "help" when a line is just that command (words from rules/commands.toml), else None.
    bare_command: Callable[[str], str | None]


Rule = Callable[[InboundMail, ClassifyContext], Classification | None]


def own_mail(mail: InboundMail, ctx: ClassifyContext) -> Classification | None:
    if mail.headers.get("x-mailbot-kind"):
        return Classification("ignore", "carries the bot's own X-Mailbot-Kind header", "own")
    if mail.sender and mail.sender.address == ctx.bot_address:
        return Classification("ignore", "sent from the bot's own address", "own")
    if mail.sender and plus_part(ctx.bot_address, mail.sender.address) is not None:
        return Classification("ignore", "sent from one of the bot's plus-addresses", "own")
    return None


def machine_mail(mail: InboundMail, ctx: ClassifyContext) -> Classification | None:
    headers = mail.headers
    local = mail.sender.address.split("@")[0] if mail.sender else ""
    if mail.content_type == "multipart/report" or local in ("mailer-daemon", "postmaster"):
        return Classification("ignore", "delivery status report (bounce)", "bounce")
    auto = headers.get("auto-submitted", "").strip().lower().split(";")[0].strip()
    if auto and auto != "no":
        return Classification(
            "ignore", f"Auto-Submitted: {auto}", "auto_reply" if auto == "auto-replied" else "machine"
        )
    for name in ("x-autoreply", "x-autorespond"):
        if name in headers:
            return Classification("ignore", f"{name} header present", "auto_reply")
    precedence = headers.get("precedence", "").strip().lower()
    if precedence in ctx.routing.precedence:
        return Classification(
            "ignore", f"Precedence: {precedence}", "auto_reply" if precedence == "auto_reply" else "list"
        )
    if "list-id" in headers or "list-unsubscribe" in headers:
        return Classification("ignore", "mailing-list traffic", "list")
    if mail.sender is None:
        return Classification("ignore", "no From address", "machine")
    if local in ctx.routing.machine_senders:
        return Classification("ignore", f"machine sender {mail.sender.address}", "machine")
    subject = mail.subject.lower()
    for marker in ctx.routing.auto_reply_subjects:
        if marker in subject:
            return Classification("ignore", f"automatic-reply subject ({marker})", "auto_reply")
    if "x-auto-response-suppress" in headers and REPLY_PREFIX.match(mail.subject) is None:
        # Exchange marks its own automatic mail so; a person's reply from Outlook can carry it too.
        return Classification("ignore", "x-auto-response-suppress header present", "machine")
    return None


REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|fw|fwd|回复|答复|回覆|转发)\s*[:：]\s*)+", re.IGNORECASE)


def is_reply_like(mail: InboundMail) -> bool:
    """A reply or forward: its subject tag and its quoted content belong to someone else's mail."""
    return bool(mail.in_reply_to) or REPLY_PREFIX.match(mail.subject) is not None


# The outermost prefix names what the mail is: "FW: Re: …" forwards a reply, "Re: Fwd: …" answers
# a forward. WG (German), TR (French), RV (Spanish) and 轉寄/轉發 are Outlook's in other languages.
FORWARD_PREFIX = re.compile(r"^\s*(?:fw|fwd|转发|轉寄|轉發|wg|tr|rv)\s*[:：]", re.IGNORECASE)


def is_forward(mail: InboundMail) -> bool:
    """A forward: what sits below its header block is someone else's mail, sent on whole, so it is
    read (a reply's quoted text never is)."""
    return FORWARD_PREFIX.match(mail.subject) is not None


def subject_tag(mail: InboundMail, ctx: ClassifyContext) -> Classification | None:
    if is_reply_like(mail):
        # "Re: 【纪要】…" may answer a minutes mail or carry a corrected draft: the body decides
        # (pipeline.dispatch), never the tag of someone else's subject.
        return None
    subject = mail.subject.lower()
    if any(tag in subject for tag in ctx.routing.minutes_tags):
        return Classification("minutes", "minutes tag in the subject")
    if any(tag in subject for tag in ctx.routing.agenda_tags):
        return Classification("agenda", "agenda tag in the subject")
    return None


def reply_to_us(mail: InboundMail, ctx: ClassifyContext) -> Classification | None:
    for ref in (*mail.in_reply_to, *mail.references):
        if ctx.is_our_message(ref):
            return Classification("reply", f"answers our message <{ref}>")
    for recipient in (*mail.to, *mail.cc):
        if plus_part(ctx.bot_address, recipient.address) is not None:
            return Classification("reply", "sent to a reply address with a token")
    return None


ACTION_REF_LINE = re.compile(r"^\s*(?:[-*•]\s*)?[AaＡａ]\s*[-－]?\s*[0-9０-９]{1,9}(?![0-9０-９])")


def action_refs(mail: InboundMail, ctx: ClassifyContext) -> Classification | None:
    """A new mail whose lines start with action refs ("A-12 确认") speaks to those actions."""
    for line in mail.body_text.splitlines()[:40]:
        if line.startswith(">"):
            break
        if ACTION_REF_LINE.match(line):
            return Classification("reply", "a line starts with an action ref")
    return None


def command_mail(mail: InboundMail, ctx: ClassifyContext) -> Classification | None:
    first = next((line.strip() for line in mail.body_text.splitlines() if line.strip()), "")
    verb = ctx.bare_command(first) or ctx.bare_command(mail.subject)
    return Classification("command", f"command {verb}") if verb else None


CHAIN: tuple[tuple[str, Rule], ...] = (
    ("own_mail", own_mail),
    ("machine_mail", machine_mail),
    ("reply_to_us", reply_to_us),
    ("subject_tag", subject_tag),
    ("action_refs", action_refs),
    ("command_mail", command_mail),
)


def classify(mail: InboundMail, ctx: ClassifyContext) -> Classification:
    """The first rule that names an intent wins; content-based detection is left to the caller
    for every mail that does not answer one of ours: a new mail, a reply in someone else's thread,
    a forward, a message attached whole (a reply quoting minutes is still not a minutes draft: only
    what the person wrote, or what they forwarded, is read)."""
    for _name, rule in CHAIN:
        found = rule(mail, ctx)
        if found is not None:
            return found
    return Classification("unknown", "no rule matched")
