"""The transactional outbox: decide a mail (a row with a unique key), later deliver it.

`enqueue` runs inside the caller's transaction, next to the state change that caused the mail,
and renders the mail there, so what is stored is exactly what will be sent. A second `enqueue`
with the same key inserts nothing: that is how "nothing is sent twice" holds across re-runs,
restarts and two daemons.

A value of the context that many mails of one decision show alike (a meeting's part of the Monday
mail: its host, heads and owners all read it) is a `SharedPart`: stored once, in outbox_parts,
with the rows and in their transaction, and merged back when the mail is rendered (`row_context`).
"""

from __future__ import annotations

import base64
import email.policy
import hashlib
import hmac
import importlib
import json
import logging
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from email.headerregistry import Address, HeaderRegistry, UniqueUnstructuredHeader, UnstructuredHeader
from email.message import EmailMessage
from email.policy import EmailPolicy, Policy
from email.utils import format_datetime
from functools import cache, cached_property
from typing import Any, Protocol

from sqlalchemy import event, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, SessionTransaction, object_session

from mailbot.addresses import address_problem, deliverable_address
from mailbot.clock import Clock
from mailbot.inert import clean_text
from mailbot.recipients import configured_allows, configured_domains, domain_of, in_directory
from mailbot.render import Renderer
from mailbot.store.db import Database, JsonText, dump_json_many, insert_later, json_value
from mailbot.store.models import Event, OutboxMail, OutboxPart
from mailbot.tokens import bounce_token, plus_address

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class OutgoingFile:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class DeferredFile:
    """A file decided with a mail but built when the mail is sent, as its bodies are: the row
    keeps the recipe — which builder (`build`, a name in BUILDERS) and its arguments — not the bytes. An argument that is also a value of the mail's context (the same
    object: the owner's actions, the meeting) is stored once, as a reference into the context.
    The arguments carry the decision's time, so the bytes are those the decision would have built."""

    filename: str
    content_type: str
    build: str
    args: Mapping[str, Any]

    @property
    def data(self) -> bytes:
        """The bytes now, from the live arguments (what the stored recipe gives back at send time)."""
        return built_bytes(self.build, self.args)


Attachment = OutgoingFile | DeferredFile


# The builders of DeferredFile, by name: "module:function", the function taking the recipe's
# arguments and returning the bytes. Imported when a file is built: a process that only decides
# mails never loads them (nor icalendar). A row naming no builder here fails as unbuildable.
BUILDERS: Mapping[str, str] = {
    "action_todos": "mailbot.calendar_files:action_todos_built",
    "meeting_event": "mailbot.calendar_files:meeting_event_built",
    # The official minutes as a Word document (mailbot/archive.py), built as the mail leaves.
    "minutes_docx": "mailbot.archive:minutes_docx_built",
    "tracking_xlsx": "mailbot.exports:tracking_xlsx_built",  # a host's Monday table (workflow/digest.py)
}


def built_bytes(build: str, args: Mapping[str, Any]) -> bytes:
    if build not in BUILDERS:
        raise ValueError(f"no file is built as {build!r}")
    module, _, function = BUILDERS[build].partition(":")
    builder: Callable[[Mapping[str, Any]], bytes] = getattr(importlib.import_module(module), function)
    return builder(args)


def stored_attachment(attached: Attachment, context: Mapping[str, Any]) -> dict[str, Any]:
    """An attachment as the outbox row keeps it: the bytes (base64), or a DeferredFile's recipe."""
    if not isinstance(attached, DeferredFile):
        return {
            "filename": attached.filename,
            "content_type": attached.content_type,
            "data": base64.b64encode(attached.data).decode(),
        }
    shared = {id(value): name for name, value in context.items() if isinstance(value, dict | list)}
    args: dict[str, Any] = {}
    from_context: dict[str, str] = {}
    for name, value in attached.args.items():
        if isinstance(value, dict | list) and id(value) in shared:
            from_context[name] = shared[id(value)]
        else:
            args[name] = value
    recipe: dict[str, Any] = {"build": attached.build, "args": args}
    if from_context:
        recipe["context_args"] = from_context
    return {"filename": attached.filename, "content_type": attached.content_type, "recipe": recipe}


def attachment_bytes(attached: Mapping[str, Any], context: Mapping[str, Any] | None) -> bytes:
    """A stored attachment's bytes: kept whole (base64, rows decided before recipes, and files
    that came from people), or built now from the row's recipe and context."""
    if "data" in attached:
        return base64.b64decode(attached["data"])
    recipe = attached["recipe"]
    args = dict(recipe.get("args") or {})
    for name, key in (recipe.get("context_args") or {}).items():
        args[name] = (context or {})[key]
    return built_bytes(recipe["build"], args)


# A shared part where it stands in a stored context: {"$part": key}, with "$without" (list name ->
# the refs of the rows this reader's view leaves out of that list of the part) and the keys this
# reader's view says otherwise.
PART = "$part"
WITHOUT = "$without"


def view_of(
    base: Mapping[str, Any], without: Mapping[str, Collection[str]], overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """`base` as one reader sees it: the rows (dicts with a "ref") named in `without` left out of
    the lists it names, then `overrides` over its keys. The view decided and the view merged back
    at send time are made by this one function, so they are the same by construction."""
    view = dict(base)
    for name, refs in without.items():
        left_out = frozenset(refs)
        view[name] = [row for row in base[name] if row["ref"] not in left_out]
    view.update(overrides)
    return view


class SharedPart(dict[str, Any]):
    """A value of the context that many mails of one decision hold alike (`base`, the same object
    in each: a meeting's part of the Monday mail), as one reader sees it: less the rows `without`
    names (list name -> refs), with `overrides`. `SharedPart(value)` is a whole part (its own
    base), `SharedPart(part.base, without, overrides)` one reader's view of it.

    The dict is that view, so whatever reads the context before it is stored (the subject, the
    preview) reads what the template will. Stored, it is a placeholder ({"$part": key,
    "$without": {...}, **overrides}) and `base` goes once a transaction into outbox_parts, named
    by the hash of its JSON: a base must not change once a mail holding it is stored. It may stand
    for a value of the context or for an item of a list value of it (`stored_form`)."""

    __slots__ = ("_base", "overrides", "without")

    def __init__(
        self,
        base: Mapping[str, Any],
        without: Mapping[str, Collection[str]] | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> None:
        # Sorted: the same stored row whatever order they came in.
        self.without = {name: sorted(refs) for name, refs in sorted((without or {}).items()) if refs}
        self.overrides = dict(overrides or {})
        if self.without or self.overrides:
            self._base: Mapping[str, Any] | None = base
            super().__init__(view_of(base, self.without, self.overrides))
        else:
            # The whole part is its own base: `base` is not kept beside a copy of it (a run holds
            # every meeting's part, and a department head's ones are mostly their keys).
            self._base = None
            super().__init__(base)

    @property
    def base(self) -> Mapping[str, Any]:
        return self if self._base is None else self._base

    def placeholder(self, key: str) -> dict[str, Any]:
        held: dict[str, Any] = {PART: key}
        if self.without:
            held[WITHOUT] = self.without
        held.update(self.overrides)
        return held


# session.info: id(base) -> (base, key) of the parts written in the session's current transaction
# (base held, so its id stays its own). Forgotten when any transaction ends, a savepoint's too: a
# savepoint rolled back takes its parts with it, and a part written twice is written once.
_PARTS = "mailbot_outbox_parts"


@event.listens_for(Session, "after_transaction_end")
def _forget_parts(session: Session, transaction: SessionTransaction) -> None:
    session.info.pop(_PARTS, None)


def with_parts(session: Session, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows as they are stored: each SharedPart of their contexts a placeholder, and each part
    not yet written in this transaction written now, before the rows and with them (commit or
    roll back together). Parts are named by their content, so a part written by an earlier run
    (the same section another week) is kept as it is."""
    written: dict[int, tuple[Any, str]] = session.info.setdefault(_PARTS, {})
    new: dict[str, dict[str, Any]] = {}

    def key_of(part: SharedPart, at: datetime) -> str:
        known = written.get(id(part.base))
        if known is not None:
            return known[1]
        text = part_json(part.base)
        key = hashlib.sha256(text.encode()).hexdigest()[:PART_KEY_CHARS]
        new.setdefault(key, {"key": key, "value": text, "created_at": at})
        written[id(part.base)] = (part.base, key)
        return key

    stored = [stored_form(row, key_of) for row in rows]
    if new:
        insert_parts(session, list(new.values()))
    return stored


# 128 bits of SHA-256: no two parts meet by chance, and a department head's row names a thousand.
PART_KEY_CHARS = 32


def part_json(value: Mapping[str, Any]) -> JsonText:
    """A part as stored: JSON as the JSON columns write it (store.db.dump_json: dates as ISO text,
    UTF-8), without the spaces after separators (a part's rows are most of a run's bytes) and
    without the check for cycles (a part is plain data)."""
    return JsonText(
        json.dumps(value, default=json_value, ensure_ascii=False, separators=(",", ":"), check_circular=False)
    )


def stored_form(row: dict[str, Any], key_of: Callable[[SharedPart, datetime], str]) -> dict[str, Any]:
    """The row with the SharedParts of its context (values, or items of list values) replaced by
    their placeholders; the row itself when it has none."""
    context: dict[str, Any] = row["context"]
    changed: dict[str, Any] | None = None
    for name, value in context.items():
        if isinstance(value, SharedPart):
            replaced: Any = value.placeholder(key_of(value, row["created_at"]))
        elif isinstance(value, list) and any(isinstance(item, SharedPart) for item in value):
            replaced = [
                item.placeholder(key_of(item, row["created_at"])) if isinstance(item, SharedPart) else item
                for item in value
            ]
        else:
            continue
        if changed is None:
            changed = dict(context)
        changed[name] = replaced
    return row if changed is None else {**row, "context": changed}


def insert_parts(session: Session, parts: list[dict[str, Any]]) -> None:
    """Write the parts, leaving any with the same key (the same content) as it is."""
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        session.connection().execute(_insert_part_unless_known(dialect), parts)
        return
    known = set(session.scalars(select(OutboxPart.key).where(OutboxPart.key.in_([p["key"] for p in parts]))))
    session.add_all(OutboxPart(**p) for p in parts if p["key"] not in known)
    session.flush()


@cache
def _insert_part_unless_known(dialect: str) -> Any:
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    return insert(OutboxPart.__table__).on_conflict_do_nothing(index_elements=["key"])


def is_placeholder(value: Any) -> bool:
    return isinstance(value, dict) and PART in value


def part_keys(context: Mapping[str, Any]) -> set[str]:
    """The keys of the parts a stored context names (none in a row decided before parts)."""
    keys: set[str] = set()
    for value in context.values():
        if is_placeholder(value):
            keys.add(value[PART])
        elif isinstance(value, list):
            keys.update(item[PART] for item in value if is_placeholder(item))
    return keys


class MissingPart(Exception):
    """A row names a shared part the database does not hold (removed by hand): it cannot render."""


def row_context(row: OutboxMail, session: Session | None = None) -> dict[str, Any]:
    """The row's context as its templates read it: what was decided, the shared parts merged back
    (the row's own context when it names none, as every row decided before parts). `session`:
    where to read the parts, by default the row's own."""
    context: dict[str, Any] = row.context or {}
    keys = part_keys(context)
    if not keys:
        return context
    session = session or object_session(row)
    if session is None:
        raise MissingPart(f"outbox row {row.key!r} names shared parts: read it with a session")
    parts = load_parts(session, keys)
    missing = keys - parts.keys()
    if missing:
        raise MissingPart(f"outbox row {row.key!r}: shared part(s) {', '.join(sorted(missing))} not found")

    def merged(held: dict[str, Any]) -> dict[str, Any]:
        overrides = {name: value for name, value in held.items() if name not in (PART, WITHOUT)}
        return view_of(parts[held[PART]], held.get(WITHOUT) or {}, overrides)

    expanded = dict(context)
    for name, value in context.items():
        if is_placeholder(value):
            expanded[name] = merged(value)
        elif isinstance(value, list) and any(is_placeholder(item) for item in value):
            expanded[name] = [merged(item) if is_placeholder(item) else item for item in value]
    return expanded


# Keys per query: SQLite before 3.32 takes at most 999 parameters in a statement.
PART_CHUNK = 500


def load_parts(session: Session, keys: Collection[str]) -> dict[str, dict[str, Any]]:
    wanted = sorted(keys)
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), PART_CHUNK):
        chunk = wanted[start : start + PART_CHUNK]
        found.update(
            (key, value)
            for key, value in session.execute(select(OutboxPart.key, OutboxPart.value).where(OutboxPart.key.in_(chunk)))
        )
    return found


@dataclass(frozen=True)
class Sender:
    """The bot's own identity on outgoing mail."""

    address: str
    name: str
    # The token key: Message-IDs derive from it (never logged, never in a mail).
    secret: bytes = field(repr=False, default=b"")
    # `[trust] recipient_domains`: where the bot may write besides its own domain and the
    # directory's (mailbot.recipients). A mail to anyone else is never queued.
    recipient_domains: tuple[str, ...] = ()
    # The organisation's time zone (`[bot] timezone`): the Date header a client or an admin reads
    # raw says the local hour ("+0800"), as mail written by people there does.
    zone: tzinfo | None = None

    @cached_property
    def allowed_domains(self) -> tuple[str, ...]:
        return configured_domains(self.address, self.recipient_domains)

    @property
    def domain(self) -> str:
        return self.address.partition("@")[2] or "localhost"


def message_id_for(key: str, domain: str, secret: bytes) -> str:
    """The same decision always carries the same Message-ID (derived from its unique key), and
    nobody without the bot's secret key can work it out: a reply or a bounce that names it has
    seen a mail of ours. (A plain hash of `confirm_request:M-1:v1:<owner>` could be forged.)"""
    return f"{hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()[:32]}@{domain}"


def enqueue(session: Session, renderer: Renderer, sender: Sender, **fields: Any) -> bool:
    """Insert the mail (`fields` as `outbox_values` takes them) unless its key exists; True when a
    new row was written."""
    return insert_one(session, outbox_values(renderer, sender, **fields))


# The status `outbox_values` gives a mail to an address outside the bot's and the configured
# domains: the insert checks the directory's domains (it has the session), and queues the mail
# as "pending" or not at all. A row stored with it is never delivered (only "pending" is).
UNCHECKED = "recipient_unchecked"


def allowed_rows(session: Session, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The backstop (reliability.md: the bot writes only to allowed recipient domains): rows to an
    address outside the allowed domains are dropped, with an event and a log line, never raised.
    Whatever decided the mail (an answer to a stranger's mail included), it is not queued."""
    kept: list[dict[str, Any]] = []
    known: dict[str, bool] = {}
    for row in rows:
        if row.get("status") != UNCHECKED:
            kept.append(row)
            continue
        domain = domain_of(row["to_address"])
        if domain not in known:
            known[domain] = in_directory(session, domain)
        if known[domain]:
            kept.append({**row, "status": "pending"})
            continue
        log.warning("not queued: %s to %s, outside the allowed recipient domains", row["kind"], row["to_address"])
        # With the other events of the transaction (store.db.insert_later), in the order decided.
        insert_later(
            session, Event.__table__,  # type: ignore[arg-type]
            {"at": row["created_at"], "actor": None, "what": "mail.not_queued", "meeting_id": row.get("meeting_id"),
             "action_id": None, "inbound_mail_id": row.get("inbound_mail_id"),
             "detail": {"to": row["to_address"], "kind": row["kind"], "key": row["key"],
                        "reason": "recipient domain not allowed"}},
        )  # fmt: skip
    return kept


def insert_one(session: Session, values: dict[str, Any]) -> bool:
    """Insert one decided mail (from `outbox_values`) unless its key exists or its recipient is
    outside the allowed domains (`allowed_rows`); True when written."""
    allowed = allowed_rows(session, [values])
    if not allowed:
        return False
    (values,) = with_parts(session, allowed)
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        # On the session's connection: a write that reads nothing, so the events decided so far
        # (store.db.insert_later) wait for the next query or the commit, and go in one statement.
        return session.connection().execute(_insert_unless_known(dialect), values).scalar() is not None
    return enqueue_row(session, values)


def enqueue_many(session: Session, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert many decided mails (each from `outbox_values`) in one statement, skipping keys that
    exist; the keys written. For runs that decide thousands at once (the Monday digest), where a
    round trip per mail is most of the time on PostgreSQL."""
    rows = allowed_rows(session, rows)
    if not rows:
        return set()
    # A meeting's part of the Monday mail is stored once, not once in each of its readers' rows.
    rows = with_parts(session, rows)
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        # The mails of one decision share their meeting and its actions (the same objects): each
        # serialised once, not once a mail (store.db.dump_json_many; the stored text is the same).
        contexts = dump_json_many([row["context"] for row in rows])
        rows = [{**row, "context": text} for row, text in zip(rows, contexts, strict=True)]
        # On the session's connection, as in insert_one: the events wait for the next query.
        return set(session.connection().execute(_insert_unless_known(dialect), rows).scalars())
    return {row["key"] for row in rows if enqueue_row(session, row)}


def enqueue_row(session: Session, values: dict[str, Any]) -> bool:
    if values.get("status") != "pending":
        return False  # see allowed_rows: only a checked row is queued
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
    attachments: Sequence[Attachment] = (),
) -> dict[str, Any]:
    """The outbox row of one decided mail, with its subject rendered."""
    # The context is serialised once, by the JSON column at insert (dates as ISO text, see
    # store.db.dump_json); the body is rendered from that stored form at send time. The subject is
    # rendered now from the context in hand: subject lines show dates only through the `day` filter,
    # which reads a date and its ISO text alike (tests compare both forms).
    return {
        "key": bounded_key(key),
        "kind": kind,
        "language": language,
        "to_address": to_address.lower(),
        "to_name": to_name,
        "subject": renderer.render_subject(kind, language, context),
        "context": context,
        "attachments": [stored_attachment(f, context) for f in attachments],
        "message_id": message_id_for(key, sender.domain, sender.secret),
        "in_reply_to": in_reply_to,
        "references": " ".join(f"<{ref}>" for ref in references) or None,
        "reply_token": reply_token,
        "auto_submitted": auto_submitted,
        # Outside the bot's and the configured domains: the insert looks at the directory's.
        "status": "pending" if configured_allows(domain_of(to_address), sender.allowed_domains) else UNCHECKED,
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": first_attempt_at(now),
        "meeting_id": meeting_id,
        "inbound_mail_id": inbound_mail_id,
    }


# The earliest moment a mail decided now may leave, while a block of `not_before` runs: the
# periodic jobs (mailbot/jobs.py) decide the mails the clock causes inside one, so that decided
# outside sending hours they wait for the next opening. Unset (every handler), a mail leaves at once.
_NOT_BEFORE: ContextVar[datetime | None] = ContextVar("mailbot_outbox_not_before", default=None)


@contextmanager
def not_before(moment: datetime | None) -> Iterator[None]:
    """Every mail decided in the block (`outbox_values`) is first tried no earlier than `moment`
    (None: at once). Stored as the row's `next_attempt_at`, which `flush` already waits for: a
    restart keeps the wait, and the key (the decision) is the same whenever it leaves."""
    token = _NOT_BEFORE.set(moment)
    try:
        yield
    finally:
        _NOT_BEFORE.reset(token)


def first_attempt_at(now: datetime) -> datetime:
    """When a mail decided at `now` is first tried: now, or the moment a `not_before` block holds it to."""
    held = _NOT_BEFORE.get()
    return held if held is not None and held > now else now


# outbox.key is 500 characters. A longer key (an objection round over 60 refs) keeps its head
# and the hash of the whole: the column's type would cut it, and two different mails would share
# a key, so the second would never be sent.
MAX_KEY = 500


def bounded_key(key: str) -> str:
    if len(key) <= MAX_KEY:
        return key
    return f"{key[: MAX_KEY - 65]}#{hashlib.sha256(key.encode()).hexdigest()}"


@cache
def _insert_unless_known(dialect: str) -> Any:
    """One Core statement per dialect, parameters bound per call: the ORM's per-call coercion of
    `.values(...)` cost more than the insert itself. It returns the key of each row written: one
    row or many (executemany), a key that existed returns nothing."""
    if dialect == "sqlite":  # the dialect in use is imported, not both
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    return (
        insert(OutboxMail.__table__)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(OutboxMail.__table__.c.key)
    )


def render_row(row: OutboxMail, renderer: Renderer, session: Session | None = None) -> None:
    """Fill in the bodies from the stored context, its shared parts merged back (`row_context`),
    once: a retried mail says the same thing."""
    if row.body_text is None or row.body_html is None:
        row.body_text, row.body_html = renderer.render_body(row.kind, row.language, row_context(row, session))


def build_message(row: OutboxMail, sender: Sender, sent_at: datetime) -> EmailMessage:
    """Headers through the `email` package only: no value reaches a header by concatenation.

    Raises UnbuildableMail when this row can never become a mail (a recipient no server takes):
    the row is failed, the rest of the outbox goes on.
    """
    assert row.body_text is not None and row.body_html is not None, "render_row first"
    problem = address_problem(row.to_address)
    if problem:
        raise UnbuildableMail(f"recipient {row.to_address!r}: {problem}")
    message = EmailMessage(policy=OUTGOING)
    message["From"] = Address(display_name=sender.name, addr_spec=sender.address)
    # Built from its parts, not parsed: the email package refuses a Unicode local part as an
    # addr_spec, though SMTPUTF8 servers and the delivery (see delivery/) carry it.
    local, _, domain = deliverable_address(row.to_address).rpartition("@")
    message["To"] = Address(display_name=one_line(row.to_name or "", MAX_NAME_CHARS), username=local, domain=domain)
    message["Subject"] = one_line(row.subject, MAX_SUBJECT_CHARS)
    message["Date"] = format_datetime(sent_at.astimezone(sender.zone) if sender.zone else sent_at)
    message["Message-ID"] = f"<{row.message_id}>"
    if row.in_reply_to and is_message_id(row.in_reply_to):
        message["In-Reply-To"] = f"<{row.in_reply_to}>"
    references = [ref for ref in (row.references or "").split() if is_message_id(ref.strip("<>"))]
    if references:
        message["References"] = " ".join(references[-MAX_REFERENCES:])
    if row.reply_token:
        message["Reply-To"] = Address(display_name=sender.name, addr_spec=plus_address(sender.address, row.reply_token))
    message["Auto-Submitted"] = row.auto_submitted
    message["X-Auto-Response-Suppress"] = "All"
    message["X-Mailbot-Kind"] = row.kind
    message.set_content(row.body_text)
    message.add_alternative(row.body_html, subtype="html")
    # Merged (a part read) only for a file whose recipe takes values of the context.
    context = row_context(row) if any("context_args" in (a.get("recipe") or {}) for a in row.attachments or []) else {}
    for attached in row.attachments or []:
        maintype, subtype, charset = content_type_parts(attached["content_type"])
        params = {"charset": charset} if charset else {}
        method = CALENDAR_METHOD.search(attached["content_type"])
        if (maintype, subtype) == ("text", "calendar") and method:
            # Outlook and Gmail show an invitation card for text/calendar; method=REQUEST only.
            params["method"] = method.group(1).upper()
        # Bytes as they came, with their own charset (a GBK .csv stays GBK; our .ics says UTF-8,
        # or Outlook reads its Chinese as mojibake): never decoded and re-encoded here.
        message.add_attachment(
            attachment_bytes(attached, context), maintype=maintype, subtype=subtype,
            filename=one_line(attached["filename"], 200) or "attachment", params=params or None,
        )  # fmt: skip
    return message


# What one mail of ours may echo back into its headers, whatever the mail it answers carried.
MAX_SUBJECT_CHARS = 250
MAX_NAME_CHARS = 80
MAX_REFERENCES = 10
_MESSAGE_ID = re.compile(r"[\x21-\x3b\x3d\x3f-\x7e]{1,250}")
_TOKEN = re.compile(r"[A-Za-z0-9!#$&^_.+-]{1,64}")
CALENDAR_METHOD = re.compile(r";\s*method=\"?(request|publish|cancel)\"?", re.IGNORECASE)
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]+")


def is_message_id(value: str) -> bool:
    """Printable ASCII without brackets or spaces, of a sane length, and no `=?` (the header
    class would decode it as an encoded word): anything else would break the thread."""
    return "=?" not in value and _MESSAGE_ID.fullmatch(value) is not None


def one_line(text: str, limit: int) -> str:
    """What a header may carry of `text`: one line, no controls, no bidi or invisible characters
    (a name or subject shows what it holds: mailbot.inert), at most `limit` characters."""
    text = " ".join(_CONTROLS.sub(" ", clean_text(text)).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def content_type_parts(value: str) -> tuple[str, str, str | None]:
    """`text/csv; charset=gbk` -> ("text", "csv", "gbk"); text without a charset is UTF-8 (ours)."""
    ctype, _, params = value.partition(";")
    maintype, _, subtype = ctype.strip().lower().partition("/")
    if not (_TOKEN.fullmatch(maintype) and _TOKEN.fullmatch(subtype)) or maintype in ("multipart", "message"):
        return "application", "octet-stream", None
    charset = None
    for param in params.split(";"):
        name, _, found = param.partition("=")
        if name.strip().lower() == "charset" and _TOKEN.fullmatch(found.strip().strip('"')):
            charset = found.strip().strip('"').lower()
    return maintype, subtype, charset or ("utf-8" if maintype == "text" else None)


class MessageIdListHeader(UnstructuredHeader):
    """In-Reply-To and References folded between ids, never inside one. The default folding wraps
    at 78 characters and turns an id longer than that (Gmail's run to ~90) into RFC 2047 encoded
    words, which no client matches against a Message-ID: the thread breaks. Each id is at most
    250 characters (`is_message_id`), so every line stays far under 998."""

    def fold(self, *, policy: Policy) -> str:  # type: ignore[override]
        return f"{self.name}: " + f"{policy.linesep} ".join(str(self).split()) + policy.linesep


class SubjectHeader(UniqueUnstructuredHeader):
    """A subject with anything beyond ASCII written whole as RFC 2047 encoded words, cut at
    characters. The standard library's folding cuts such a subject into encoded words word by
    word, and loses the space between two of them (RFC 2047 readers drop whitespace between
    encoded words): "6 overdue — 处理结果" arrived as "6 overdue  —处理结果" (hand trial 21)."""

    # 39 bytes of UTF-8 are 52 characters of base64: with "=?utf-8?b?" and "?=", 64 a line,
    # "Subject: " and the first word together under the 78 RFC 5322 recommends.
    CHUNK_BYTES = 39

    def fold(self, *, policy: Policy) -> str:  # type: ignore[override]
        value = str(self)
        if value.isascii():
            return self.fold_ascii(value, policy)
        words: list[str] = []
        chunk = b""
        for char in value:
            encoded = char.encode("utf-8")
            if chunk and len(chunk) + len(encoded) > self.CHUNK_BYTES:
                words.append(chunk)
                chunk = b""
            chunk += encoded
        words.append(chunk)
        encoded_words = [f"=?utf-8?b?{base64.b64encode(word).decode('ascii')}?=" for word in words]
        return f"{self.name}: " + f"{policy.linesep} ".join(encoded_words) + policy.linesep

    def fold_ascii(self, value: str, policy: Policy) -> str:
        """Folded at the spaces between words, each fold in place of one space, the first word on
        the first line: the standard folding moved a long English subject whole to the next line,
        which reads back with a space in front (" [Due today] A-9 …")."""
        lines: list[str] = []
        line = f"{self.name}:"
        for word in value.split(" "):
            if len(line) + 1 + len(word) > 78 and line != f"{self.name}:":
                lines.append(line)
                line = ""
            line += " " + word
        lines.append(line)
        return policy.linesep.join(lines) + policy.linesep


def outgoing_policy() -> EmailPolicy:
    registry = HeaderRegistry()
    registry.map_to_type("in-reply-to", MessageIdListHeader)
    registry.map_to_type("references", MessageIdListHeader)
    registry.map_to_type("subject", SubjectHeader)
    return email.policy.default.clone(header_factory=registry)  # type: ignore[no-any-return]


# Every mail we build, and every delivery that writes it out, uses this policy.
OUTGOING = outgoing_policy()


class UnbuildableMail(Exception):
    """This row can never become a mail: failed at once, never retried."""


class TemporaryDeliveryError(Exception):
    """Try again later (4xx, connection lost)."""


class PermanentDeliveryError(Exception):
    """Will never succeed for this recipient (5xx)."""


class Delivery(Protocol):
    def send(self, message: EmailMessage, recipient: str, *, return_path: str | None = None) -> None: ...

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
            try:
                result = deliver_row(db, row_id, delivery, sender, renderer, now, admin, admin_language)
            except (OperationalError, InterfaceError):
                # The database is away or busy (connection lost, locked): this row and the rest
                # wait, pending, for the next pass. A row is failed only for its own fault, below.
                log.warning("outbox: the database is unavailable; delivery resumes on the next pass", exc_info=True)
                break
            except Exception as exc:
                # The database refused this row's update, or something nobody foresaw: the row is
                # failed (never retried into the same error, never sent twice) and the rest goes out.
                log.exception("outbox row %s could not be delivered; going on with the next", row_id)
                counts["failed"] += mark_failed(db, row_id, describe(exc), renderer, sender, now, admin, admin_language)
                continue
            if result is not None:
                counts[result] += 1
    finally:
        delivery.close()
    return counts


def deliver_row(
    db: Database, row_id: int, delivery: Delivery, sender: Sender, renderer: Renderer, now: datetime,
    admin: str, admin_language: str,
) -> str | None:  # fmt: skip
    """One row in its own transaction holding its lock: sent, retry or failed (None: not ours now)."""
    with db.transaction() as session:
        query = select(OutboxMail).where(OutboxMail.id == row_id, OutboxMail.status == "pending")
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = session.scalar(query)
        if row is None:
            return None
        result = deliver_one(row, delivery, sender, renderer, now)
        if result == "failed":
            tell_admin(session, row, renderer, sender, now, admin, admin_language)
        return result


def mark_failed(
    db: Database, row_id: int, reason: str, renderer: Renderer, sender: Sender, now: datetime, admin: str,
    admin_language: str,
) -> int:  # fmt: skip
    """Fail a row whose own transaction failed, and tell the admin as for any failed row."""
    try:
        with db.transaction() as session:
            row = session.scalar(select(OutboxMail).where(OutboxMail.id == row_id, OutboxMail.status == "pending"))
            if row is None:
                return 0
            row.status, row.last_error = "failed", reason[:1000]
            tell_admin(session, row, renderer, sender, now, admin, admin_language)
            return 1
    except Exception:  # the database itself is away: the next pass tries the row again
        log.exception("outbox row %s could not be marked failed", row_id)
        return 0


def tell_admin(
    session: Session, row: OutboxMail, renderer: Renderer, sender: Sender, now: datetime, admin: str,
    admin_language: str,
) -> None:  # fmt: skip
    """A mail that will never arrive is news for a person: the admin is told once."""
    if not admin or admin == row.to_address or row.kind == "delivery_failed":
        return
    values = outbox_values(
        renderer, sender, key=f"delivery_failed:{row.key}", kind="delivery_failed",
        to_address=admin, to_name=None, language=admin_language, now=now,
        context={"to": row.to_address, "subject": one_line(row.subject, MAX_SUBJECT_CHARS),
                 "error": row.last_error or "", "failed_kind": row.kind, "bot_name": sender.name,
                 "bot_address": sender.address, "docs_url": "", "token": None, "no_reply": True},
    )  # fmt: skip
    # The admin is the one the configuration names: written to wherever their address is.
    insert_one(session, {**values, "status": "pending"})


def return_path(row: OutboxMail, sender: Sender) -> str:
    """The envelope sender of one mail (VERP): its bounce names the row, and only we can write it."""
    if not sender.secret:
        return sender.address
    return plus_address(sender.address, bounce_token(sender.secret, row.id))


def deliver_one(row: OutboxMail, delivery: Delivery, sender: Sender, renderer: Renderer, now: datetime) -> str:
    row.attempts += 1
    try:
        render_row(row, renderer)
        message = build_message(row, sender, now)
    except (OperationalError, InterfaceError):
        raise  # the database, reading the row's shared parts: the row waits for the next pass (flush)
    except Exception as exc:  # this row's own content: it will never build, the next rows will
        return fail(row, f"could not be built: {describe(exc)}")
    try:
        delivery.send(message, deliverable_address(row.to_address), return_path=return_path(row, sender))
    except PermanentDeliveryError as exc:
        return fail(row, str(exc))
    except Exception as exc:  # TemporaryDeliveryError, and anything a delivery did not foresee
        row.last_error = describe(exc)[:1000]
        log.warning("delivery to %s deferred: %s", row.to_address, row.last_error)
        if row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
            return "failed"
        row.next_attempt_at = now + timedelta(minutes=2**row.attempts)
        return "retry"
    row.status = "sent"
    row.sent_at = now
    log.info("sent %s to %s", row.kind, row.to_address)
    return "sent"


def fail(row: OutboxMail, reason: str) -> str:
    row.status = "failed"
    row.last_error = reason[:1000]
    log.error("mail %s to %s failed for good: %s", row.key, row.to_address, reason)
    return "failed"


def describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, TemporaryDeliveryError | PermanentDeliveryError) else f"{type(exc).__name__}: {text}"
