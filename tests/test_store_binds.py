"""What the store's column types do to a value on its way into the database: strings lose NUL,
bidi controls and invisible characters and are cut to their column's length; times go in as UTC
and a naive one is refused; anything else is left to the driver. The types run these as one bind
processor each (mailbot/store/models.py), not through TypeDecorator's process_bind_param, so the
values are written through the ORM and Core on SQLite and PostgreSQL and read back as stored, and
the processors are held to the rules as written (`storable`, the TypeDecorator composition).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import TypeDecorator, insert, literal, select, text, update
from sqlalchemy.dialects.postgresql import psycopg
from sqlalchemy.dialects.sqlite import DATETIME, pysqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import SAWarning, StatementError

from mailbot.app import App
from mailbot.inert import _HIDDEN, clean_text
from mailbot.store.db import JsonText, dump_json, json_value
from mailbot.store.models import Event, InboundMail, Person, String, Text, UtcDateTime, _utc_sqlite_text, storable

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
DIALECTS: dict[str, Dialect] = {"sqlite": pysqlite.dialect(), "postgresql": psycopg.dialect()}


class Kind(StrEnum):
    MINUTES = "minutes"


# What a string column must hold, written out: the rules `storable` has always applied.
def expected_string(value: Any, length: int | None) -> Any:
    if not isinstance(value, str):
        return value
    value = _HIDDEN.sub("", value.replace("\x00", ""))
    return value[:length] if length and len(value) > length else value


STRINGS: list[Any] = [
    None,
    "",
    "user3@corp.example",
    "pending",
    "Task 4 of meeting 7: prepare the figures",
    "he\x00lp",
    "\x00",
    "\x00\x00abc\x00",
    "员工3",
    "第12次会议的任务3：整理材料并提交",
    "王\u200b强",
    "invoice\u202egpj.exe",
    "确\u200b认\u200d\u2060\ufeff",
    "\u00adsoft\u00ad hyphen",
    "tag\U000e0041\U000e007f chars",
    "\u3164",  # a Hangul filler: a "name" that shows as blank
    "ㅤ\u115f\u1160\uffa0",
    "mixed \x00王\u202e强\u200b",
    "café",  # not ASCII, nothing hidden: the same object back
    "emoji 👨‍👩‍👧",
    "x" * 5,
    "x" * 6,
    "é" * 6,
    "ab\u200bcdef",  # cleaned, then cut: the hidden character does not count
    "a\x00bcdef",
    "\u200b" * 10 + "abc",
    "y" * 70_000,
    JsonText('{"a": 1}'),
    Kind.MINUTES,
    7,
    b"bytes",
    date(2026, 12, 7),
]
LENGTHS = [None, 0, 1, 5, 20, 320]


def processor(column_type: Any, dialect: Dialect) -> Callable[[Any], Any]:
    """The bind processor a statement runs for `column_type` on `dialect`."""
    found = column_type.dialect_impl(dialect).bind_processor(dialect)
    assert found is not None
    return found  # type: ignore[no-any-return]


def composed(column_type: Any, dialect: Dialect) -> Callable[[Any], Any]:
    """What TypeDecorator itself would run: process_bind_param, then the impl's processor."""
    found = TypeDecorator.bind_processor(column_type.dialect_impl(dialect), dialect)
    assert found is not None
    return found


# The processors against the rules ---------------------------------------------------------------


def test_every_hidden_character_is_outside_ascii() -> None:
    # What lets an ASCII string skip the search for them.
    assert all(_HIDDEN.search(chr(code)) is None for code in range(128))
    assert clean_text("".join(map(chr, range(128)))) == "".join(map(chr, range(128)))


@pytest.mark.parametrize("dialect_name", DIALECTS)
@pytest.mark.parametrize("length", LENGTHS)
def test_string_processor_applies_the_rules(dialect_name: str, length: int | None) -> None:
    dialect = DIALECTS[dialect_name]
    column_type = String(length) if length is not None else Text()
    process, reference = processor(column_type, dialect), composed(column_type, dialect)
    for value in STRINGS:
        stored = process(value)
        assert stored == expected_string(value, length) == storable(value, length) == reference(value)
        assert type(stored) is type(reference(value))
        if stored == value and type(stored) is type(value):
            assert stored is value  # nothing to change: not even copied


@pytest.mark.parametrize("dialect_name", DIALECTS)
def test_text_processor_keeps_any_length(dialect_name: str) -> None:
    long = "第" * 100_000 + "\u200b"
    assert processor(Text(), DIALECTS[dialect_name])(long) == "第" * 100_000


TIMES = [
    datetime(2026, 12, 7, 10, 0, tzinfo=UTC),
    datetime(2026, 12, 7, 10, 0, 0, 123, tzinfo=SHANGHAI),
    datetime(2026, 12, 7, 2, 0, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
    datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NEW_YORK),  # the second 01:30 of the day clocks go back
    datetime(2026, 3, 8, 2, 30, tzinfo=NEW_YORK),  # a time the clocks skipped
    datetime(1, 1, 1, 0, 0, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=timezone(timedelta(hours=-1))),
]


@pytest.mark.parametrize("dialect_name", DIALECTS)
def test_time_processor_writes_utc(dialect_name: str) -> None:
    dialect = DIALECTS[dialect_name]
    process, reference = processor(UtcDateTime(), dialect), composed(UtcDateTime(), dialect)
    assert process(None) is None is reference(None)
    for value in TIMES:
        utc = value.astimezone(UTC)
        if dialect_name == "sqlite":  # the text SQLite's DATETIME writes (its default storage format)
            written = f"{utc:%m-%d %H:%M:%S}.{utc.microsecond:06d}"
            assert process(value) == reference(value) == f"{utc.year:04d}-{written}"
        else:
            assert process(value) == reference(value) == utc
            assert process(value).tzinfo is UTC is reference(value).tzinfo


@pytest.mark.parametrize("dialect_name", DIALECTS)
def test_time_processor_refuses_a_naive_time(dialect_name: str) -> None:
    dialect = DIALECTS[dialect_name]
    for process in (processor(UtcDateTime(), dialect), composed(UtcDateTime(), dialect)):
        with pytest.raises(ValueError, match="naive datetime given to a UTC column"):
            process(datetime(2026, 12, 7, 10, 0))


def test_sqlite_time_text_is_written_without_the_impl() -> None:
    # The impl's default format is the one the fast path writes: no fall back to it (that would
    # be as right, and slower).
    assert processor(UtcDateTime(), DIALECTS["sqlite"]) is _utc_sqlite_text


def test_sqlite_time_text_falls_back_to_the_impl_when_its_format_differs() -> None:
    # A DATETIME stored in another format (storage_format) is written by the impl's own processor.
    class Custom(UtcDateTime):
        impl = DATETIME(storage_format="%(year)04d/%(month)02d/%(day)02d %(hour)02d:%(minute)02d:%(second)02d")
        cache_ok = True

    dialect = DIALECTS["sqlite"]
    value = datetime(2026, 12, 7, 10, 0, 5, 7, tzinfo=SHANGHAI)
    assert processor(Custom(), dialect)(value) == composed(Custom(), dialect)(value) == "2026/12/07 02:00:05"


def test_dump_json_writes_what_json_dumps_writes() -> None:
    values: list[Any] = [
        {},
        [],
        {"action": "A-12"},
        {"who": "员工3", "when": datetime(2026, 12, 7, 2, 0, tzinfo=UTC), "day": date(2026, 12, 7), "n": 1.5},
        ["x@corp.example", None, True, {"nested": ["王\u200b强", "\x00"]}],
        "a string",
        7,
        None,
        float("nan"),
    ]
    for value in values:
        assert dump_json(value) == json.dumps(value, default=json_value, ensure_ascii=False)
    with pytest.raises(TypeError, match="set cannot go into a JSON column"):
        dump_json({"bad": {1}})
    with pytest.raises(ValueError, match="Circular reference"):
        looped: list[Any] = []
        looped.append(looped)
        dump_json(looped)
    assert dump_json({"after": "an error"}) == '{"after": "an error"}'  # nothing left over from it


# Through the database, as stored ------------------------------------------------------------------

NAME = "mixed \x00王\u202e强\u200b"  # stored as "mixed 王强"
WHEN = datetime(2026, 12, 7, 10, 0, 0, 123, tzinfo=SHANGHAI)  # 02:00:00.000123 UTC


def stored(app: App, sql: str, **params: Any) -> Any:
    """One value as the database holds it: raw SQL, no column type between it and the test."""
    with app.db.engine.connect() as connection:
        return connection.execute(text(sql), params).one()


def stored_time(app: App, value: Any) -> datetime:
    """A stored UtcDateTime as the instant it names: SQLite's text (kept without its zone, in UTC)
    must be exactly the text SQLite's DATETIME writes, PostgreSQL's an aware timestamp."""
    if isinstance(value, str):
        naive = datetime.fromisoformat(value)
        assert value == naive.isoformat(" ", "microseconds")
        return naive.replace(tzinfo=UTC)
    assert value.tzinfo is not None
    return value  # type: ignore[no-any-return]


def test_orm_stores_strings_and_times_as_the_rules_say(app: App) -> None:
    with app.db.transaction() as session:
        session.add(
            Person(address="li.na@corp.example", name=NAME, language="zh-Hans-CN", created_at=WHEN, source="x" * 30)
        )
        session.add(Person(address="wang\x00@corp.example", name="王芳" * 150, language="中文简体字x", created_at=WHEN))
    row = stored(app, "SELECT name, language, source, created_at FROM people WHERE address = 'li.na@corp.example'")
    assert (row.name, row.language, row.source) == ("mixed 王强", "zh-Ha", "x" * 20)
    assert stored_time(app, row.created_at) == WHEN
    row = stored(app, "SELECT name, language FROM people WHERE address = 'wang@corp.example'")
    assert (row.name, row.language) == ("王芳" * 100, "中文简体字")

    with app.db.transaction() as session:
        # A value compared goes through the column's type too: the name asked for is the one stored.
        person = session.scalars(select(Person).where(Person.name == NAME)).one()
        assert person.created_at == WHEN and person.created_at.tzinfo is UTC
        person.name = "\u200b张\x00伟\u202e"
        person.created_at = datetime(2026, 12, 8, 9, 30, tzinfo=NEW_YORK)
    row = stored(app, "SELECT name, created_at FROM people WHERE address = 'li.na@corp.example'")
    assert row.name == "张伟"
    assert stored_time(app, row.created_at) == datetime(2026, 12, 8, 14, 30, tzinfo=UTC)


def test_orm_text_columns_keep_any_length(app: App) -> None:
    subject = "第" * 70_000 + "\u200b\x00" + "x" * 10
    with app.db.transaction() as session:
        session.add(
            InboundMail(content_hash="h" * 70, received_at=WHEN, subject=subject, raw=b"", outcome="processed\x00")
        )
    row = stored(app, "SELECT content_hash, subject, outcome, error, received_at FROM inbound_mails")
    assert row.content_hash == "h" * 64
    assert row.subject == "第" * 70_000 + "x" * 10
    assert (row.outcome, row.error) == ("processed", None)
    assert stored_time(app, row.received_at) == WHEN


def test_core_stores_as_the_orm_does(app: App) -> None:
    rows = [
        # A JSON column keeps what it is given: only String and Text columns clean.
        {"at": WHEN, "actor": NAME, "what": "w" * 60, "detail": {"who": "王\u200b强", "day": date(2026, 12, 7)}},
        {"at": datetime(2026, 12, 7, 10, 0, tzinfo=UTC), "actor": None, "what": "ok", "detail": {}},
        {"at": WHEN, "actor": "a@corp.example", "what": "\u202eok", "detail": JsonText('{"as": "given"}')},
    ]
    with app.db.transaction() as session:
        connection = session.connection()
        connection.execute(insert(Event.__table__), rows)  # executemany, as insert_later writes events
        connection.execute(insert(Event.__table__).values(at=WHEN, actor="\x00", what="one", detail={"n": 1}))
        connection.execute(update(Event.__table__).where(Event.what == "\u200bone").values(actor="b\u200b@x"))
    with app.db.engine.connect() as connection:
        found = connection.execute(
            text("SELECT at, actor, what, CAST(detail AS TEXT) AS detail FROM events ORDER BY id")
        )
        got = [(stored_time(app, row.at), row.actor, row.what, row.detail) for row in found]
    assert got == [
        (WHEN, "mixed 王强", "w" * 50, '{"who": "王\u200b强", "day": "2026-12-07"}'),
        (datetime(2026, 12, 7, 10, 0, tzinfo=UTC), None, "ok", "{}"),
        (WHEN, "a@corp.example", "ok", '{"as": "given"}'),
        (WHEN, "b@x", "one", '{"n": 1}'),
    ]


def test_a_naive_time_is_refused_by_orm_and_core(app: App) -> None:
    naive = datetime(2026, 12, 7, 10, 0)
    with pytest.raises(StatementError) as refused, app.db.transaction() as session:
        session.add(Person(address="x@corp.example", created_at=naive))
    assert isinstance(refused.value.orig, ValueError)
    assert "naive datetime given to a UTC column" in str(refused.value.orig)
    with pytest.raises(StatementError) as refused, app.db.transaction() as session:
        session.connection().execute(insert(Event.__table__), [{"at": naive, "what": "x", "detail": {}}])
    assert isinstance(refused.value.orig, ValueError)
    assert stored(app, "SELECT count(*) AS n FROM people").n == 0
    assert stored(app, "SELECT count(*) AS n FROM events").n == 0


def test_literal_values_are_cleaned_too(app: App) -> None:
    # Rendered into the SQL (literal_binds) rather than bound: process_bind_param still applies.
    statement = select(literal("王\u200b强\x00" + "x" * 10, String(5)).label("v"))
    sql = str(statement.compile(app.db.engine, compile_kwargs={"literal_binds": True}))
    assert "王强xxx" in sql and "\u200b" not in sql
    with app.db.engine.connect() as connection:
        assert connection.execute(text(sql)).scalar() == "王强xxx"


def test_statements_stay_cached_without_warnings(app: App) -> None:
    statement = select(Person.id).where(Person.name == "王\u200b强", Person.created_at < WHEN)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SAWarning)
        with app.db.engine.connect() as connection:
            first = connection.execute(statement)
            first.all()
            again = connection.execute(select(Person.id).where(Person.name == "李娜", Person.created_at < WHEN))
            again.all()
    assert again.context.cache_hit == again.context.dialect.CACHE_HIT
