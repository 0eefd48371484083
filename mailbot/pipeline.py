"""One path for every mail: record → classify → read → handle, all in ONE transaction.

The source is told a mail is done only after this commits. A crash inside a handler rolls the
transaction back and records the mail as failed (raw kept, error noted, sender told), so a bad
mail is never retried forever and never stops the loop.
"""

from __future__ import annotations

import hashlib
import logging
import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal, NamedTuple

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from mailbot import people
from mailbot.app import App
from mailbot.classify import Classification, ClassifyContext, classify, is_forward, is_reply_like
from mailbot.errors import MailbotError
from mailbot.formats.forwarded import forwards
from mailbot.formats.invitation import invitation_times
from mailbot.formats.model import ParsedMeeting
from mailbot.formats.reader import ReadContext, detect_kind, draft_kind, read_meeting
from mailbot.handlers import trust
from mailbot.handlers.agenda import handle_agenda
from mailbot.handlers.base import HandlerContext, Outcome
from mailbot.handlers.command import bare_command, handle_command, handle_unknown
from mailbot.handlers.minutes import handle_minutes
from mailbot.limits import lines_over_limit
from mailbot.message import InboundMail
from mailbot.replies.quotes import strip_reply
from mailbot.store.db import insert_objects
from mailbot.store.models import InboundMail as InboundRecord
from mailbot.store.models import OutboxMail, storable
from mailbot.tokens import plus_part
from mailbot.workflow.consent import reachable_again

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Processed:
    inbound_id: int | None
    outcome: str  # processed | rejected | ignored | answered | failed | duplicate
    kind: str
    error: str | None = None
    # A duplicate of a mail that failed stays with the failed ones in the mailbox.
    failed_before: bool = False

    @property
    def status(self) -> Literal["done", "failed"]:
        return "failed" if self.outcome == "failed" or self.failed_before else "done"


def process(app: App, raw: bytes, *, source_key: str | None = None, too_big: bool = False) -> Processed:
    """`too_big`: the source fetched only the header of a mail over the size limit."""
    content_hash = hashlib.sha256(raw).hexdigest()
    limit = app.config.source.max_message_bytes
    too_big = too_big or len(raw) > limit
    try:
        # Over the limit only the header is read: refused whole, with an answer, never half-processed.
        mail = InboundMail.from_bytes(raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0] if too_big else raw)
    except Exception as exc:  # an unreadable mail is still kept (once)
        return duplicate_of(app, content_hash, source_key) or record_failure(
            app, raw, content_hash, source_key, None, exc
        )
    if too_big:
        return duplicate_of(app, content_hash, source_key) or record_refusal(
            app, raw, content_hash, source_key, mail, f"over the {limit}-byte limit"
        )
    # A unique constraint can trip on a row another daemon wrote a moment ago (the same person
    # learnt from two mails at once): the second try sees that row and goes through.
    for attempt in (1, 2):
        try:
            return handle(app, raw, content_hash, source_key, mail)
        except IntegrityError:
            # Another daemon recorded the same mail first (unique content hash / source key): its
            # transaction did the work, ours rolled back whole.
            earlier = duplicate_of(app, content_hash, source_key)
            if earlier is not None:
                return earlier
            log.warning("mail %s: a stored value clashed (attempt %d)", mail.message_id, attempt, exc_info=True)
        except Exception as exc:
            log.exception("handler failed on mail %s", mail.message_id)
            return record_failure(app, raw, content_hash, source_key, mail, exc)
    return record_failure(app, raw, content_hash, source_key, mail, RuntimeError("a stored value was refused twice"))


def duplicate_of(app: App, content_hash: str, source_key: str | None) -> Processed | None:
    """The answer for a mail recorded before (find_earlier), in a transaction of its own."""
    with app.db.transaction() as session:
        earlier = find_earlier(session, content_hash, source_key)
    return None if earlier is None else as_duplicate(earlier)


def as_duplicate(earlier: Earlier) -> Processed:
    return Processed(earlier.id, "duplicate", earlier.kind, failed_before=earlier.outcome == "failed")


def handle(app: App, raw: bytes, content_hash: str, source_key: str | None, mail: InboundMail) -> Processed:
    """Record, classify, read and handle one mail in one transaction."""
    with app.db.transaction() as session:
        # Asked in the mail's own transaction, not in one more before it: a mail recorded before
        # (a source that delivers it again after a crash) is a duplicate, and nothing else happens.
        found = earlier_mails(session, content_hash, source_key, mail.message_id)
        earlier = recorded_before(found, content_hash, source_key)
        if earlier is not None:
            return as_duplicate(earlier)
        # What the person wrote, cut from the quote once: for the duplicate check, the record's
        # hash and the handlers.
        written = written_text(app, mail.body_text)
        if mail.message_id and is_duplicate_message(app, session, mail, found, " ".join(written.split())):
            record = new_record(app, session, raw, content_hash, source_key, mail, written=written)
            record.outcome, record.kind = "duplicate", "duplicate"
            return Processed(record.id, "duplicate", "duplicate")
        record = new_record(app, session, raw, content_hash, source_key, mail, written=written)
        ctx = HandlerContext(app=app, session=session, mail=mail, record=record, now=app.now(), _written=written)
        outcome = route(ctx)
        settle(session, record, outcome)
        log.info("mail %s from %s: %s %s", mail.message_id, ctx.sender_address, outcome.kind, outcome.outcome)
        return Processed(record.id, outcome.outcome, outcome.kind, outcome.error)


def route(ctx: HandlerContext) -> Outcome:
    outcome = dispatch(ctx)
    if outcome.kind not in ("agenda", "minutes") and outcome.outcome not in ("ignored", "held"):
        ctx.remember_language()
    if outcome.outcome not in ("ignored", "held") and ctx.sender_proven():
        # A person wrote: if their address was marked bouncing, it works. After the handler, so a
        # reply that confirms is not also sent the question again. Only a proven sender: a forged
        # "帮助" in a bouncing owner's name must not move their deadline.
        reachable_again(ctx, ctx.sender_address)
    return outcome


def dispatch(ctx: HandlerContext) -> Outcome:
    app, mail, session = ctx.app, ctx.mail, ctx.session
    found = classify(mail, classify_context(app, session))
    if found.intent == "ignore":
        # The handlers of machine mail and of replies are imported by the mails that need them: a
        # process runs for one mail (`mailbot ingest -`), and a draft needs neither.
        from mailbot.handlers.machine import handle_machine_mail

        return handle_machine_mail(ctx, found)
    people.learn_from_headers(session, mail.people(), ctx.now, skip=app.sender.address, proven=ctx.sender_proven())
    if found.intent == "command":
        return handle_command(ctx)
    arrived: Arrival | None = None
    if found.intent == "reply":
        resent = resend_kind(session, mail)
        if resent is None:
            from mailbot.handlers.reply import handle_reply

            return handle_reply(ctx)
        found = Classification(resent, f"corrected {resent} sent in reply to our rejection")
    else:
        # However it arrived (a new mail, a reply in someone else's thread, a forward, an attached
        # message), a body that reads as a complete draft is one: the body decides, not the subject.
        arrived = arrived_draft(ctx)
    if arrived is not None:
        parsed = arrived.parsed
        intent: str | None = found.intent if found.intent in ("agenda", "minutes") else arrived.kind
    else:
        text, html, html_of = mail.text, mail.html, mail
        if found.intent in ("agenda", "minutes") and is_reply_like(mail):
            # A corrected draft sent as a reply: read only what the person wrote, never our quoted
            # answer (its examples are action lines too), and from the plain text, whose quote we can cut.
            text, html, html_of = written_text(app, mail.body_text), "", None
        # The reader takes HTML tables over the text part when there are any: count both ways.
        lines = lines_over_limit(body_lines(text, html), app.policy.limits)
        if lines is not None:
            # Read no further: parsing is linear, but no draft has this many lines, and its answer
            # (one line per problem) would be as long as the draft.
            limit = app.policy.limits.lines_per_draft
            ctx.answer(kind="too_big", context={"lines": lines, "line_limit": limit}, rate_limited=True)
            return Outcome("rejected", "too_big", error=f"{lines} lines, over the {limit}-line limit")
        parsed = read_source(ctx, DraftSource("body", text, html, mail.date, html_of=html_of))
        intent = found.intent if found.intent != "unknown" or is_reply_like(mail) else detect_kind(parsed)
    if intent in ("agenda", "minutes") and not sender_allowed(app, ctx.sender_address):
        ctx.answer(kind="help", context={"reason": "not_allowed"}, rate_limited=True)
        return Outcome("rejected", str(intent), error=f"{ctx.sender_address} may not send {intent}")
    if intent in ("agenda", "minutes") and not ctx.sender_proven():
        return trust.hold(ctx, str(intent), [])
    if intent == "agenda":
        return handle_agenda(ctx, parsed)
    if intent == "minutes":
        return handle_minutes(ctx, parsed)
    return handle_unknown(ctx, found.reason)


@dataclass(frozen=True)
class DraftSource:
    """One place a draft may be in a mail, and what to read it with."""

    how: str  # body | written | forwarded | attached (for the log)
    text: str
    html: str
    sent: datetime | None  # the mail's own Date: the anchor for dates the draft leaves open
    hints: tuple[tuple[str, str], ...] = ()  # (name, address) to resolve bare names with, beyond From/To/Cc
    # The mail whose HTML body `html` is: its reading (InboundMail.html_reading) is shared with
    # its body text, instead of tokenizing the same HTML again.
    html_of: InboundMail | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Arrival:
    kind: Literal["agenda", "minutes"]
    source: DraftSource
    parsed: ParsedMeeting


# Messages attached to the mail are read; messages attached to those are not (nobody nests them).
MAX_ATTACHED_DEPTH = 1
MAX_ATTACHED_MESSAGES = 3


def arrived_draft(ctx: HandlerContext) -> Arrival | None:
    """The first place in the mail that reads as a complete draft (reader.draft_kind), or None."""
    for source in draft_sources(ctx.app, ctx.mail):
        if lines_over_limit(body_lines(source.text, source.html), ctx.app.policy.limits) is not None:
            continue  # the body as a whole is checked, and answered, below
        parsed = read_source(ctx, source)
        kind = draft_kind(parsed)
        if kind is not None:
            log.info("mail %s: %s read from the %s", ctx.mail.message_id, kind, source.how)
            return Arrival(kind, source, parsed)
    return None


def draft_sources(app: App, mail: InboundMail, depth: int = 0) -> Iterator[DraftSource]:
    """Where a draft may be, in order. A new mail: its body as it is, as always (or, when it
    carries a forward or quoted mail, what the person wrote above it). A reply: only what the
    person wrote, never the quoted mail (a reply-all quoting the draft is no new version). A
    forward: the forwarder's note, then the forwarded mail below its header block (a forward of
    a forward, down to the first draft). Then every message attached whole (message/rfc822),
    read the same way. A mail the bot sent, forwarded or attached, is never a draft."""
    sent, hints = mail.date, tuple((a.name, a.address) for a in mail.people())
    chain = forwards(mail.body_text, app.rules.quotes)
    if not is_reply_like(mail) and not chain:
        yield DraftSource("body", mail.text, mail.html, sent, hints, html_of=mail)
    else:
        yield DraftSource("written", written_text(app, mail.body_text), "", sent, hints)
    if chain and (is_forward(mail) or not is_reply_like(mail)):
        for forwarded in chain:
            if is_bot_address(app, forwarded.sender):
                break
            hints = (*hints, *forwarded.people)
            yield DraftSource("forwarded", written_text(app, forwarded.text), "", sent, hints)
    if depth >= MAX_ATTACHED_DEPTH:
        return
    for attached in attached_messages(mail)[:MAX_ATTACHED_MESSAGES]:
        if attached.headers.get("x-mailbot-kind") or is_bot_address(
            app, attached.sender.address if attached.sender else ""
        ):
            continue
        for source in draft_sources(app, attached, depth + 1):
            yield replace(source, how=f"attached {source.how}", sent=source.sent or sent, hints=(*hints, *source.hints))


def attached_messages(mail: InboundMail) -> list[InboundMail]:
    """Mails attached whole: Outlook's "forward as attachment" (message/rfc822), or an .eml file."""
    found: list[InboundMail] = []
    for attachment in mail.attachments:
        is_message = attachment.content_type == "message/rfc822" or (
            attachment.filename.lower().endswith(".eml") and attachment.content_type.startswith("application/")
        )
        if not is_message or not attachment.payload.strip():
            continue
        try:
            found.append(InboundMail.from_bytes(attachment.payload))
        except Exception:  # an attachment that is no mail is just a file
            log.info("mail %s: attachment %r is not a readable mail", mail.message_id, attachment.filename)
    return found


def is_bot_address(app: App, address: str) -> bool:
    address = address.lower()
    return bool(address) and (address == app.sender.address or plus_part(app.sender.address, address) is not None)


def written_text(app: App, body: str) -> str:
    """What the person wrote: quotes, forwarded mails below a header and signatures cut."""
    return strip_reply(body, markers=app.reply_markers, rules=app.rules.quotes)


def read_source(ctx: HandlerContext, source: DraftSource) -> ParsedMeeting:
    reading = source.html_of.html_reading if source.html_of is not None and source.html.strip() else None
    return read_meeting(source.text, source.html, ctx=read_context(ctx, source), html_reading=reading)


def read_context(ctx: HandlerContext, source: DraftSource) -> ReadContext:
    app = ctx.app
    hints = dict.fromkeys([*((a.name, a.address) for a in ctx.mail.people()), *source.hints])
    return ReadContext(
        calendar=app.calendar,
        anchor=(source.sent or ctx.now).astimezone(app.config.tz).date(),
        header_people=list(hints),
        directory=people.directory_lookup(ctx.session),
        vocabulary=app.rules.vocabulary,
        invitation=invitation_times(ctx.mail.attachments, app.config.bot.timezone),
    )


_HTML_BREAKS = re.compile(r"<(?:tr|br|p|div|li)\b", re.IGNORECASE)


def body_lines(text: str, html: str) -> int:
    """Lines as the draft will read: the text's, or the HTML's rows, breaks and paragraphs when
    there are more (the reader takes HTML tables over the text part). Counted, never split."""
    return max(text.count("\n"), len(_HTML_BREAKS.findall(html))) + 1


# The statements every mail runs, built once with their values bound at each execution: building
# one (and working out its cache key) costs more than SQLite takes to run it.
_OUR_KIND = select(OutboxMail.kind).where(OutboxMail.message_id == bindparam("message_id"))
_OUR_MAIL = select(OutboxMail.id).where(OutboxMail.message_id == bindparam("message_id"))


def resend_kind(session: Session, mail: InboundMail) -> Literal["agenda", "minutes"] | None:
    """A reply to our rejection of a draft is the corrected draft."""
    for ref in (*mail.in_reply_to, *mail.references):
        kind = session.scalar(_OUR_KIND, {"message_id": ref})
        if kind == "minutes_rejected":
            return "minutes"
        if kind == "agenda_rejected":
            return "agenda"
    return None


def classify_context(app: App, session: Session) -> ClassifyContext:
    return ClassifyContext(
        routing=app.rules.routing,
        bot_address=app.sender.address,
        is_our_message=lambda mid: session.scalar(_OUR_MAIL, {"message_id": mid}) is not None,
        bare_command=lambda line: bare_command(line, app.rules.commands),
    )


def sender_allowed(app: App, address: str) -> bool:
    allowed = app.config.bot.allowed_senders
    if not allowed:
        return True
    domain = address.partition("@")[2]
    return any(entry.lower() in (address, f"*@{domain}") for entry in allowed)


class Earlier(NamedTuple):
    """A mail recorded before, as much of it as tells whether the one in hand repeats it."""

    id: int
    content_hash: str
    source_key: str | None
    kind: str
    outcome: str
    message_id: str | None
    sender: str | None
    body_hash: str | None


_EARLIER = select(
    InboundRecord.id,
    InboundRecord.content_hash,
    InboundRecord.source_key,
    InboundRecord.kind,
    InboundRecord.outcome,
    InboundRecord.message_id,
    InboundRecord.sender,
    InboundRecord.body_hash,
).where(
    or_(
        InboundRecord.content_hash == bindparam("content_hash"),
        InboundRecord.source_key == bindparam("source_key"),
        InboundRecord.message_id == bindparam("message_id"),
    )
)


def earlier_mails(
    session: Session, content_hash: str, source_key: str | None, message_id: str | None = None
) -> list[Earlier]:
    """The mails recorded before with these bytes, from this place in the source or with this
    Message-ID: one query for both checks a new mail gets (find_earlier, is_duplicate_message).
    A None matches nothing (`= NULL` is never true)."""
    values = {"content_hash": content_hash, "source_key": source_key, "message_id": message_id}
    return [Earlier(*row) for row in session.execute(_EARLIER, values)]


def find_earlier(session: Session, content_hash: str, source_key: str | None) -> Earlier | None:
    """The mail recorded before with these bytes, else from this place in the source."""
    return recorded_before(earlier_mails(session, content_hash, source_key), content_hash, source_key)


def recorded_before(earlier: list[Earlier], content_hash: str, source_key: str | None) -> Earlier | None:
    """The mail recorded before with these bytes, else from this place in the source (both
    columns are unique, so at most one of each)."""
    place = storable(source_key, SOURCE_KEY_CHARS)
    same_bytes = [record for record in earlier if record.content_hash == content_hash]
    same_place = [record for record in earlier if place and record.source_key == place]
    return (same_bytes or same_place or [None])[0]


def is_duplicate_message(app: App, session: Session, mail: InboundMail, earlier: list[Earlier], words: str) -> bool:
    """The same Message-ID from the same sender, arrived by another route (Cc and To, a resend by
    the MTA, a gateway that added a banner or a footer to one copy). A client that reuses a
    Message-ID for a new mail ("确认" after the draft) is not a duplicate: what the person wrote
    decides — the same words, or one copy's words inside the other's. `earlier`: what
    `earlier_mails` found for the mail's Message-ID (its other rows are not looked at); `words`:
    what the person wrote, spacing ignored (written_words)."""
    sender = mail.sender.address if mail.sender else None
    # Asked by the Message-ID alone, the sender and outcome compared here (as the column stores the
    # address): with the sender in the WHERE too, SQLite (which keeps no statistics) may walk the
    # sender's index instead — every mail that person ever sent, for each of their mails.
    stored_sender = storable(sender, SENDER_CHARS)
    stored_id = storable(mail.message_id, MESSAGE_ID_CHARS)
    same = [
        record
        for record in earlier
        if record.message_id == stored_id and record.sender == stored_sender and record.outcome != "duplicate"
    ]
    if not same:
        return False
    mine = written_hash_of(words, mail)
    for record in same:
        if record.body_hash is None or record.body_hash == mine:
            return True
        # Only now the earlier mail itself: its words are compared with these.
        raw = session.scalar(_RAW, {"record_id": record.id})
        theirs = written_words(app, InboundMail.from_bytes(raw))
        if words and theirs and (words in theirs or theirs in words):
            return True
    return False


_RAW = select(InboundRecord.raw).where(InboundRecord.id == bindparam("record_id"))

# inbound_mails.message_id is a String(998), source_key a String(500).
MESSAGE_ID_CHARS = 998
SOURCE_KEY_CHARS = 500
# inbound_mails.sender is a String(320).
SENDER_CHARS = 320


def written_words(app: App, mail: InboundMail) -> str:
    """What the person wrote: quotes and our marker cut, spacing ignored."""
    return " ".join(written_text(app, mail.body_text).split())


def written_hash_of(words: str, mail: InboundMail) -> str:
    digest = hashlib.sha256(words.encode())
    for attachment in mail.attachments:
        digest.update(hashlib.sha256(attachment.payload).digest())
    return digest.hexdigest()


def written_hash(app: App, mail: InboundMail) -> str:
    """What the person wrote and what they attached, hashed: loops repeat it, corrections do not."""
    return written_hash_of(written_words(app, mail), mail)


def new_record(
    app: App,
    session: Session,
    raw: bytes,
    content_hash: str,
    source_key: str | None,
    mail: InboundMail | None,
    *,
    written: str | None = None,
) -> InboundRecord:
    # Values the database would refuse (NUL, over-long) are cleaned by the column types; the raw
    # bytes stay whole (a binary column holds NUL), so nothing of the mail is lost.
    body_hash = None
    if mail is not None:
        body_hash = written_hash(app, mail) if written is None else written_hash_of(" ".join(written.split()), mail)
    # Written at once (its id names everything the mail causes), in one INSERT and no flush.
    [record] = insert_objects(
        session,
        InboundRecord,
        [
            {
                "message_id": mail.message_id if mail else None,
                "content_hash": content_hash,
                "body_hash": body_hash,
                "source_key": source_key,
                "received_at": app.now(),
                "sender": mail.sender.address if mail and mail.sender else None,
                "subject": mail.subject[:MAX_STORED_SUBJECT] if mail else "",
                "raw": raw,
                "kind": "unknown",
                "outcome": "failed",
            }
        ],
    )
    return record


_SETTLE = (
    update(InboundRecord.__table__)  # type: ignore[arg-type]
    .where(InboundRecord.__table__.c.id == bindparam("record_id"))
    .values(
        kind=bindparam("new_kind"),
        outcome=bindparam("new_outcome"),
        error=bindparam("new_error"),
        meeting_id=bindparam("new_meeting_id"),
    )
)


def settle(session: Session, record: InboundRecord, outcome: Outcome) -> None:
    """The mail's record says what became of it: one UPDATE built once, the object told it holds
    what is stored (not a unit-of-work flush at commit for four values)."""
    values = {
        "kind": outcome.kind,
        "outcome": outcome.outcome,
        "error": outcome.error,
        "meeting_id": outcome.meeting_id,
    }
    session.connection().execute(_SETTLE, {"record_id": record.id, **{f"new_{k}": v for k, v in values.items()}})
    for name, value in values.items():
        set_committed_value(record, name, value)


def record_refusal(
    app: App, raw: bytes, content_hash: str, source_key: str | None, mail: InboundMail, reason: str
) -> Processed:
    with app.db.transaction() as session:
        record = new_record(app, session, raw, content_hash, source_key, mail)
        record.kind, record.outcome, record.error = "too_big", "rejected", reason
        if answerable(app, session, mail):
            ctx = HandlerContext(app=app, session=session, mail=mail, record=record, now=app.now())
            limit = app.config.source.max_message_bytes
            ctx.answer(kind="too_big", context={"limit": limit}, rate_limited=True)
        return Processed(record.id, "rejected", "too_big", reason)


def answerable(app: App, session: Session, mail: InboundMail) -> bool:
    """Never answer a machine or ourselves, even when something went wrong with its mail."""
    return classify(mail, classify_context(app, session)).intent != "ignore"


# A subject is kept whole in the raw mail; the record's copy is for lists and logs.
MAX_STORED_SUBJECT = 2000


def record_failure(
    app: App, raw: bytes, content_hash: str, source_key: str | None, mail: InboundMail | None, exc: Exception
) -> Processed:
    # Our own errors say what to do in words; anything else is named with its type for the admin.
    error = str(exc) if isinstance(exc, MailbotError) else "".join(traceback.format_exception_only(exc)).strip()
    error = error[:2000]
    try:
        return record_failure_answered(app, raw, content_hash, source_key, mail, error)
    except Exception:
        # Even the failure could not be recorded with what we read of the mail (or answered):
        # keep the raw bytes and the error alone, so the mail is on record and the loop goes on.
        log.exception("recording the failure of mail %s failed; keeping its raw bytes only", content_hash[:12])
    with app.db.transaction() as session:
        record = new_record(app, session, raw, content_hash, source_key, None)
        record.error = error
        return Processed(record.id, "failed", "unknown", error)


def record_failure_answered(
    app: App, raw: bytes, content_hash: str, source_key: str | None, mail: InboundMail | None, error: str
) -> Processed:
    with app.db.transaction() as session:
        record = new_record(app, session, raw, content_hash, source_key, mail)
        record.error = error
        if mail is not None and mail.sender is not None and answerable(app, session, mail):
            ctx = HandlerContext(app=app, session=session, mail=mail, record=record, now=app.now())
            ctx.answer(kind="processing_error", context={"error": error}, rate_limited=True)
        return Processed(record.id, "failed", "unknown", error)
