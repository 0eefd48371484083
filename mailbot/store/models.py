"""SQLAlchemy 2.0 typed models: every table the bot keeps.

Times are stored in UTC (timezone-aware columns); calendar dates (meeting day, due dates) are
plain dates in the organisation's time zone, because that is how people wrote them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Time,
    TypeDecorator,
    UniqueConstraint,
    event,
)
from sqlalchemy import String as SqlString
from sqlalchemy import Text as SqlText
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from mailbot.inert import clean_text


class UtcDateTime(TypeDecorator[datetime]):
    """Stores UTC and always hands back an aware datetime, on SQLite (which keeps no zone) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return (_utc_naive if dialect.name == "sqlite" else _utc)(value)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        # What TypeDecorator's own would do (process_bind_param, then the impl's processor), as
        # one function instead of its wrapper calling process_bind_param for each value (~90 a
        # mail); process_bind_param stays for literal rendering.
        impl = self.impl_instance.bind_processor(dialect)
        if dialect.name != "sqlite":
            return _then(_utc, impl)
        # On SQLite the impl's processor writes the text stored, through a dict of its seven
        # fields; the same format by position costs half. Used only if it writes the same text.
        if impl is not None and all(impl(probe) == _sqlite_text(probe) for probe in _PROBES):
            return _utc_sqlite_text
        return _then(_utc_naive, impl)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class String(TypeDecorator[str]):
    """A string column as every database takes it: no NUL (PostgreSQL refuses one in text) and
    never longer than the column (PostgreSQL refuses that too; SQLite would keep it). Bidi controls
    and invisible characters go too (mailbot.inert): a name, subject or task stored is one that
    shows what it holds.

    Drafts and replies are checked against the limits people are told about (`mailbot.limits`);
    this is the backstop for every other value a mail puts in a row, so that no header or line
    of one mail can make its own record, or its answer, impossible to store.
    """

    impl = SqlString
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return storable(value, self.impl.length)  # type: ignore[attr-defined]

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        # Every string parameter of every statement goes through this (hundreds a mail): one
        # function doing what `storable` does, instead of TypeDecorator's wrapper calling
        # process_bind_param calling storable. The impl's processor, if the dialect has one
        # (neither SQLite nor psycopg does), still runs after it, as TypeDecorator would run it.
        length = self.impl_instance.length  # type: ignore[attr-defined]
        return _then(_storable_processor(length), self.impl_instance.bind_processor(dialect))


class Text(String):
    impl = SqlText
    cache_ok = True


def storable(value: str | None, length: int | None) -> str | None:
    """No NUL, no bidi control or invisible character (mailbot.inert: what is stored is what
    shows), and no longer than the column."""
    if value is None or not isinstance(value, str):
        return value
    if "\x00" in value:
        value = value.replace("\x00", "")
    value = clean_text(value)
    return value[:length] if length and len(value) > length else value


def _storable_processor(length: int | None) -> Callable[[Any], Any]:
    """`storable` for a column of `length`, what String's bind processor runs for each value."""
    # No length (Text) or 0 is no limit, as in `storable`: a limit no string reaches.
    limit = length or sys.maxsize

    def process(value: Any) -> Any:
        if not isinstance(value, str):  # None, and whatever else the driver is to judge
            return value
        if "\x00" in value:
            value = value.replace("\x00", "")
        if not value.isascii():  # the check clean_text starts with, one call sooner
            value = clean_text(value)
        return value[:limit] if len(value) > limit else value

    return process


def _utc(value: datetime | None) -> datetime | None:
    """An aware datetime as UTC (PostgreSQL keeps the zone); a naive one is refused."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC)


def _utc_naive(value: datetime | None) -> datetime | None:
    """An aware datetime as UTC without its zone (SQLite keeps none); a naive one is refused."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC).replace(tzinfo=None)


# SQLite's DATETIME default storage format, with its fields in order instead of by name.
_SQLITE_DATETIME = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


def _sqlite_text(at: datetime) -> str:
    return _SQLITE_DATETIME % (at.year, at.month, at.day, at.hour, at.minute, at.second, at.microsecond)


# Each field a different number, narrower than its padding in the first (year 1, microsecond
# 7) and as wide in the second: a format that differs from this one in any field, their order,
# padding or separators writes another text for one of them.
_PROBES = (datetime(1, 2, 3, 4, 5, 6, 7), datetime(2026, 12, 31, 23, 59, 58, 999999))


def _utc_sqlite_text(value: datetime | None) -> str | None:
    """`_utc_naive`, then the text SQLite's DATETIME writes for it."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    # The fields of the aware value in UTC are those of the naive one: no replace() (~0.7 µs).
    return _sqlite_text(value.astimezone(UTC))


def _then(first: Callable[[Any], Any], impl: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """`first`, then the impl type's own bind processor when it has one."""
    if impl is None:
        return first

    def process(value: Any) -> Any:
        return impl(first(value))

    return process


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON}  # noqa: RUF012


class Person(Base):
    """Someone the bot writes to: from the directory, or learnt from a mail's headers."""

    __tablename__ = "people"
    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(50))  # e.g. "head" of their department, "admin"
    language: Mapped[str | None] = mapped_column(String(5))
    # "directory": the directory's word, never changed by a mail; "mail": what they last wrote in.
    language_source: Mapped[str | None] = mapped_column(String(20))
    proxy_address: Mapped[str | None] = mapped_column(String(320))
    bouncing: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set by an out-of-office auto-reply: silence is not consent before this day.
    away_until: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(20), default="directory")  # directory | headers
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_people_name", "name"),)

    @property
    def language_from_directory(self) -> bool:
        """The directory said it (a row written without `language_source` is read as its `source`)."""
        if self.language_source:
            return self.language_source == "directory"
        return self.source == "directory" and self.language is not None


class PersonName(Base):
    """Every display name a person's mail has carried ("张伟", "Zhang Wei", "张伟(市场部)"), so a
    minutes draft naming them resolves even when they are not in its To/Cc."""

    __tablename__ = "person_names"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)

    __table_args__ = (UniqueConstraint("person_id", "name"),)


class InboundMail(Base):
    """Every mail that reached the bot, with what became of it. Never deleted."""

    __tablename__ = "inbound_mails"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # What the person wrote (quotes cut, attachments included), hashed: the same Message-ID with
    # other words is a mail of its own, and the same words again and again are a loop, not a
    # person correcting a draft. None on mails recorded before this was kept.
    body_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # Where it came from, e.g. "imap:INBOX:1700000000:42" or "maildir:<key>"; unique when present.
    source_key: Mapped[str | None] = mapped_column(String(500), unique=True)
    received_at: Mapped[datetime]
    sender: Mapped[str | None] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    kind: Mapped[str] = mapped_column(String(30), default="unknown")
    # processed | rejected | ignored | answered | failed
    outcome: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))


class Meeting(Base):
    __tablename__ = "meetings"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    # Normalised title + date: how a resend of the same meeting's agenda or minutes is recognised.
    match_key: Mapped[str] = mapped_column(String(600), index=True)
    project: Mapped[str | None] = mapped_column(String(300), index=True)
    status: Mapped[str] = mapped_column(String(30))
    # The language the meeting's mails were written in: for people whose own is unknown.
    language: Mapped[str | None] = mapped_column(String(5))
    meeting_date: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time | None] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)
    place: Mapped[str | None] = mapped_column(String(500))
    host_address: Mapped[str | None] = mapped_column(String(320))
    recorder_address: Mapped[str | None] = mapped_column(String(320))
    # Who sent the agenda or minutes in force (lower-cased): with the recorder and the host, the
    # only one who may send a new version or agenda of this meeting (reliability.md).
    version_sender: Mapped[str | None] = mapped_column(String(320))
    goal: Mapped[str | None] = mapped_column(Text)
    attendees: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Address -> the name the agenda or minutes gave (host, recorder, attendees), for the mails
    # that show people: "李娜 <li.na@corp.example>" reads better than the address alone.
    names: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    attendees_text: Mapped[str] = mapped_column(Text, default="")
    absent_text: Mapped[str] = mapped_column(Text, default="")
    confirm_by: Mapped[date | None] = mapped_column(Date)
    confirmed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    versions: Mapped[list[MinutesVersion]] = relationship(back_populates="meeting", order_by="MinutesVersion.number")
    actions: Mapped[list[ActionItem]] = relationship(back_populates="meeting", order_by="ActionItem.id")
    topics: Mapped[list[Topic]] = relationship(order_by="Topic.position", cascade="all, delete-orphan")
    decisions: Mapped[list[Decision]] = relationship(order_by="Decision.position", cascade="all, delete-orphan")

    @property
    def ref(self) -> str:
        return f"M-{self.id}"


@event.listens_for(Meeting, "init")
def _a_new_meeting_has_nothing_under_it(target: Meeting, args: Any, kwargs: dict[str, Any]) -> None:
    """A meeting made now has no actions, topics or decisions in the database: those collections
    start loaded and empty, instead of each asking the database once after the first flush (three
    queries for every new meeting). Children added through them are kept as ever; an action
    written by its `meeting_id` alone is not seen in `actions` until the meeting is loaded again,
    as it was not once the collection had been read (the minutes read it before adding any)."""
    for name in ("actions", "topics", "decisions"):
        if name not in kwargs:
            setattr(target, name, [])


class MinutesVersion(Base):
    """Each minutes draft received for a meeting, accepted or not: versions are kept."""

    __tablename__ = "minutes_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"))
    number: Mapped[int] = mapped_column(Integer)
    inbound_mail_id: Mapped[int] = mapped_column(ForeignKey("inbound_mails.id"))
    # active | rejected | superseded
    status: Mapped[str] = mapped_column(String(20))
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]

    meeting: Mapped[Meeting] = relationship(back_populates="versions")
    __table_args__ = (UniqueConstraint("meeting_id", "number"),)


class Topic(Base):
    __tablename__ = "topics"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    number: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(Text)
    owner_text: Mapped[str] = mapped_column(String(300), default="")
    planned_minutes: Mapped[int | None] = mapped_column(Integer)
    actual_minutes: Mapped[int | None] = mapped_column(Integer)
    discussion: Mapped[str] = mapped_column(Text, default="")


class Decision(Base):
    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)


class ActionItem(Base):
    __tablename__ = "action_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("minutes_versions.id"))
    number: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    owner_address: Mapped[str] = mapped_column(String(320), index=True)
    owner_name: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    support: Mapped[str] = mapped_column(String(500), default="")
    due: Mapped[date] = mapped_column(Date, index=True)
    due_text: Mapped[str] = mapped_column(String(200), default="")
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    deliverable: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # proposed | awaiting_confirmation | accepted | in_progress | done | verified | objected | delayed | cancelled
    status: Mapped[str] = mapped_column(String(30), index=True)
    # explicit | silent, once accepted
    consent: Mapped[str | None] = mapped_column(String(10))
    confirm_by: Mapped[date | None] = mapped_column(Date)
    accepted_at: Mapped[datetime | None]
    objection_reason: Mapped[str | None] = mapped_column(Text)
    # Delegation waits for the new owner's confirmation; until then the old owner stays.
    delegate_address: Mapped[str | None] = mapped_column(String(320))
    # The delegate's own deadline: their request says "逾期视为默认", so silence past this day hands
    # the action over (mailbot/workflow/consent.py), as silence accepts any other request. Indexed:
    # the job asks each minute for the few that passed, among every action ever stored.
    delegate_by: Mapped[date | None] = mapped_column(Date, index=True)
    delay_reason: Mapped[str | None] = mapped_column(Text)
    # 验收: who verifies the action once it is done (the 需求方 named on it, else the policy's
    # default, usually the host); None when done is final.
    requester_address: Mapped[str | None] = mapped_column(String(320))
    requester_name: Mapped[str | None] = mapped_column(String(200))
    done_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    verified_by: Mapped[str | None] = mapped_column(String(320))
    source_line: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    meeting: Mapped[Meeting] = relationship(back_populates="actions")

    @property
    def ref(self) -> str:
        return f"A-{self.id}"

    __table_args__ = (Index("ix_action_items_status_due", "status", "due"),)


class Deliverable(Base):
    """A file an owner attached to their "done" reply: the deliverable, kept with the action."""

    __tablename__ = "deliverables"
    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action_items.id"), index=True)
    inbound_mail_id: Mapped[int] = mapped_column(ForeignKey("inbound_mails.id"))
    filename: Mapped[str] = mapped_column(String(500))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class OutboxMail(Base):
    """A mail decided on, rendered, waiting to be (or already) delivered.

    Written in the same transaction as the state change that caused it; `key` is unique, so a
    decision taken twice (a re-run, a second daemon) inserts nothing the second time.
    """

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(500), unique=True)
    kind: Mapped[str] = mapped_column(String(50), index=True)
    language: Mapped[str] = mapped_column(String(5))
    to_address: Mapped[str] = mapped_column(String(320), index=True)
    to_name: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(Text)
    # What the templates need, as JSON; the bodies are rendered from it when the mail is sent,
    # which keeps template work out of the transaction that handles an inbound mail.
    context: Mapped[dict[str, Any]] = mapped_column(JSON)
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # Files decided with the mail (an .ics of the actions, the tracking table): filename,
    # content_type and base64 data, fixed at decision time like the context.
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[str | None] = mapped_column(Text)
    reply_token: Mapped[str | None] = mapped_column(String(100))
    auto_submitted: Mapped[str] = mapped_column(String(30), default="auto-generated")
    # pending | sent | failed
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # Indexed (migration 0006): a meeting's last draft mail is looked up for every draft.
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), index=True)
    inbound_mail_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_mails.id"))

    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)


class OutboxPart(Base):
    """A piece of context that many outbox rows share (a meeting's part of the Monday mail, the
    same for every reader of it that week), stored once and named by the hash of its JSON: a row
    holds {"$part": key} where the piece goes, and the outbox merges it back when the mail is
    rendered (mailbot/outbox.py, SharedPart). Written in the transaction of the rows that use it,
    and never deleted by the bot: a row decided weeks ago, retried or sent again, still renders."""

    __tablename__ = "outbox_parts"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]


class Event(Base):
    """The audit trail (过程留痕): who did what, when, from which mail."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str | None] = mapped_column(String(320))
    what: Mapped[str] = mapped_column(String(50))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), index=True)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("action_items.id"), index=True)
    inbound_mail_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_mails.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class JobRun(Base):
    """A periodic job done for a period ("digest", "2026-W48"): claimed by inserting this row first,
    so a second daemon, or the next minute's tick, finds the period taken and does nothing."""

    __tablename__ = "job_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(50))
    period: Mapped[str] = mapped_column(String(50))
    at: Mapped[datetime]
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (UniqueConstraint("job", "period"),)


class HeldMail(Base):
    """A mail that would change something, from a sender nothing proved (reliability.md): kept,
    applied to nothing, until the claimed address answers the question we mailed it. The raw
    mail stays in its inbound record; confirming runs it then, as if it had just arrived."""

    __tablename__ = "held_mails"
    id: Mapped[int] = mapped_column(primary_key=True)
    inbound_mail_id: Mapped[int] = mapped_column(ForeignKey("inbound_mails.id"), unique=True)
    address: Mapped[str] = mapped_column(String(320), index=True)
    # What it would do, for the question: "reply" (command lines) | "minutes" | "agenda"
    kind: Mapped[str] = mapped_column(String(20))
    # pending | applied | declined | lapsed
    status: Mapped[str] = mapped_column(String(20), default="pending")
    held_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    settled_at: Mapped[datetime | None]
    # The inbound mail that confirmed (or declined) it.
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_mails.id"))


class WebLinkGeneration(Base):
    """How many times a person's web links were revoked (`mailbot web revoke ADDRESS`): a link
    carries the generation it was issued in and is refused once this one has moved on. A person
    without a row is at generation 0."""

    __tablename__ = "web_link_generations"
    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[datetime]


class GroupPost(Base):
    """A post to a project's group robot (DingTalk, WeCom, Feishu), decided in the transaction of
    what caused it and delivered later with retries (mailbot/groups.py): a robot that is down
    never holds up mail. `key` is unique, so a decision taken twice posts once. The webhook and
    its secret stay in the configuration (`robot` names the table), never in the database."""

    __tablename__ = "group_posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    # official | done | escalated
    event: Mapped[str] = mapped_column(String(20))
    robot: Mapped[str] = mapped_column(String(300))
    service: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5))
    # What to say, whatever the service: {"title": …, "lines": [...]}
    message: Mapped[dict[str, Any]] = mapped_column(JSON)
    # pending | sent | failed
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    action_id: Mapped[int | None] = mapped_column(ForeignKey("action_items.id"))

    __table_args__ = (Index("ix_group_posts_status_next", "status", "next_attempt_at"),)
