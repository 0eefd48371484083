"""The transactional outbox: decide a mail (a row with a unique key), later deliver it.

`enqueue` runs inside the caller's transaction, next to the state change that caused the mail,
and renders the mail there, so what is stored is exactly what will be sent. A second `enqueue`
with the same key inserts nothing: that is how "nothing is sent twice" holds across re-runs,
restarts and two daemons.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from mailbot.clock import Clock
from mailbot.render import Renderer
from mailbot.store.db import Database
from mailbot.store.models import OutboxMail
from mailbot.tokens import plus_address

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class OutgoingFile:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Sender:
    """The bot's own identity on outgoing mail."""

    address: str
    name: str

    @property
    def domain(self) -> str:
        return self.address.partition("@")[2] or "localhost"


def message_id_for(key: str, domain: str) -> str:
    # Derived from the unique key: the same decision always carries the same Message-ID.
    return f"{hashlib.sha256(key.encode()).hexdigest()[:24]}@{domain}"


def enqueue(session: Session, renderer: Renderer, sender: Sender, **fields: Any) -> bool:
    """Insert the mail (`fields` as `outbox_values` takes them) unless its key exists; True when a
    new row was written."""
    return insert_one(session, outbox_values(renderer, sender, **fields))


def insert_one(session: Session, values: dict[str, Any]) -> bool:
    """Insert one decided mail (from `outbox_values`) unless its key exists; True when written."""
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        return session.execute(_insert_unless_known(dialect), values).scalar() is not None
    return enqueue_row(session, values)


def enqueue_many(session: Session, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert many decided mails (each from `outbox_values`) in one statement, skipping keys that
    exist; the keys written. For runs that decide thousands at once (the Monday digest), where a
    round trip per mail is most of the time on PostgreSQL."""
    if not rows:
        return set()
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        return set(session.execute(_insert_unless_known(dialect), list(rows)).scalars())
    return {row["key"] for row in rows if enqueue_row(session, row)}


def enqueue_row(session: Session, values: dict[str, Any]) -> bool:
    if session.scalar(select(OutboxMail.id).where(OutboxMail.key == values["key"])) is not None:
        return False
    session.add(OutboxMail(**values))
    session.flush()
    return True


def outbox_values(
    renderer: Renderer,
    sender: Sender,
    *,
    key: str,
    kind: str,
    to_address: str,
    to_name: str | None,
    language: str,
    context: dict[str, Any],
    now: datetime,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    reply_token: str | None = None,
    auto_submitted: str = "auto-generated",
    meeting_id: int | None = None,
    inbound_mail_id: int | None = None,
    attachments: Sequence[OutgoingFile] = (),
) -> dict[str, Any]:
    """The outbox row of one decided mail, with its subject rendered."""
    # The context is serialised once, by the JSON column at insert (dates as ISO text, see
    # store.db.dump_json); the body is rendered from that stored form at send time. The subject is
    # rendered now from the context in hand: subject lines show dates only through the `day` filter,
    # which reads a date and its ISO text alike (tests compare both forms).
    return {
        "key": key,
        "kind": kind,
        "language": language,
        "to_address": to_address.lower(),
        "to_name": to_name,
        "subject": renderer.render_subject(kind, language, context),
        "context": context,
        "attachments": [
            {"filename": f.filename, "content_type": f.content_type, "data": base64.b64encode(f.data).decode()}
            for f in attachments
        ],
        "message_id": message_id_for(key, sender.domain),
        "in_reply_to": in_reply_to,
        "references": " ".join(f"<{ref}>" for ref in references) or None,
        "reply_token": reply_token,
        "auto_submitted": auto_submitted,
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
        "meeting_id": meeting_id,
        "inbound_mail_id": inbound_mail_id,
    }


@cache
def _insert_unless_known(dialect: str) -> Any:
    """One Core statement per dialect, parameters bound per call: the ORM's per-call coercion of
    `.values(...)` cost more than the insert itself. It returns the key of each row written: one
    row or many (executemany), a key that existed returns nothing."""
    insert = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(OutboxMail.__table__)
    return insert.on_conflict_do_nothing(index_elements=["key"]).returning(OutboxMail.__table__.c.key)


def render_row(row: OutboxMail, renderer: Renderer) -> None:
    """Fill in the bodies from the stored context (once: a retried mail says the same thing)."""
    if row.body_text is None or row.body_html is None:
        row.body_text, row.body_html = renderer.render_body(row.kind, row.language, row.context)


def build_message(row: OutboxMail, sender: Sender, sent_at: datetime) -> EmailMessage:
    """Headers through the `email` package only: no value reaches a header by concatenation."""
    assert row.body_text is not None and row.body_html is not None, "render_row first"
    message = EmailMessage()
    message["From"] = Address(display_name=sender.name, addr_spec=sender.address)
    message["To"] = Address(display_name=row.to_name or "", addr_spec=row.to_address)
    message["Subject"] = row.subject
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = f"<{row.message_id}>"
    if row.in_reply_to:
        message["In-Reply-To"] = f"<{row.in_reply_to}>"
    if row.references:
        message["References"] = row.references
    if row.reply_token:
        message["Reply-To"] = Address(display_name=sender.name, addr_spec=plus_address(sender.address, row.reply_token))
    message["Auto-Submitted"] = row.auto_submitted
    message["X-Auto-Response-Suppress"] = "All"
    message["X-Mailbot-Kind"] = row.kind
    message.set_content(row.body_text)
    message.add_alternative(row.body_html, subtype="html")
    for attached in row.attachments or []:
        maintype, _, subtype = attached["content_type"].partition("/")
        data = base64.b64decode(attached["data"])
        if maintype == "text":  # with its charset, or Outlook reads the Chinese in an .ics as mojibake
            message.add_attachment(data.decode("utf-8"), subtype=subtype, filename=attached["filename"])
        else:
            message.add_attachment(data, maintype=maintype, subtype=subtype, filename=attached["filename"])
    return message


class TemporaryDeliveryError(Exception):
    """Try again later (4xx, connection lost)."""


class PermanentDeliveryError(Exception):
    """Will never succeed for this recipient (5xx)."""


class Delivery(Protocol):
    def send(self, message: EmailMessage, recipient: str) -> None: ...

    def close(self) -> None: ...


def flush(
    db: Database,
    delivery: Delivery,
    sender: Sender,
    renderer: Renderer,
    clock: Clock,
    *,
    limit: int = 500,
    admin: str = "",
    admin_language: str = "zh",
) -> dict[str, int]:
    """Deliver due pending rows, each in its own transaction holding that row's lock.

    On PostgreSQL the row is claimed with FOR UPDATE SKIP LOCKED, so two daemons never send the
    same row. A crash after a send but before its commit re-sends that one mail on restart: the
    only duplicate the outbox allows (documented in the README).
    """
    counts = {"sent": 0, "retry": 0, "failed": 0}
    now = clock.now()
    with db.transaction() as session:
        due = list(
            session.scalars(
                select(OutboxMail.id)
                .where(OutboxMail.status == "pending", OutboxMail.next_attempt_at <= now)
                .order_by(OutboxMail.id)
                .limit(limit)
            )
        )
    try:
        for row_id in due:
            with db.transaction() as session:
                query = select(OutboxMail).where(OutboxMail.id == row_id, OutboxMail.status == "pending")
                if session.get_bind().dialect.name == "postgresql":
                    query = query.with_for_update(skip_locked=True)
                row = session.scalar(query)
                if row is not None:
                    render_row(row, renderer)
                    result = deliver_one(row, delivery, sender, now)
                    counts[result] += 1
                    if result == "failed" and admin and admin != row.to_address and row.kind != "delivery_failed":
                        # A mail that will never arrive is news for a person: the admin is told once.
                        enqueue(
                            session, renderer, sender, key=f"delivery_failed:{row.key}", kind="delivery_failed",
                            to_address=admin, to_name=None, language=admin_language, now=now,
                            context={"to": row.to_address, "subject": row.subject, "error": row.last_error or "",
                                     "failed_kind": row.kind, "bot_name": sender.name, "bot_address": sender.address,
                                     "docs_url": "", "token": None},
                        )  # fmt: skip
    finally:
        delivery.close()
    return counts


def deliver_one(row: OutboxMail, delivery: Delivery, sender: Sender, now: datetime) -> str:
    row.attempts += 1
    try:
        delivery.send(build_message(row, sender, now), row.to_address)
    except TemporaryDeliveryError as exc:
        row.last_error = str(exc)[:1000]
        log.warning("delivery to %s deferred: %s", row.to_address, exc)
        if row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
            return "failed"
        row.next_attempt_at = now + timedelta(minutes=2**row.attempts)
        return "retry"
    except PermanentDeliveryError as exc:
        row.status = "failed"
        row.last_error = str(exc)[:1000]
        log.error("delivery to %s failed: %s", row.to_address, exc)
        return "failed"
    row.status = "sent"
    row.sent_at = now
    log.info("sent %s to %s", row.kind, row.to_address)
    return "sent"
