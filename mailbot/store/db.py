"""The engine, the schema upgrade and one transaction per unit of work.

Alembic is imported only when the schema is behind: a start on a current schema (every mail an
MTA pipes to `mailbot ingest -`) asks the database one query, `SELECT version_num FROM
alembic_version`, and compares the answer with the heads of the migrations folder, read from the
migration files' own `revision` / `down_revision` lines (tests/test_startup_imports.py checks that
this reading agrees with Alembic's). Anything else (no alembic_version table yet, an older or
unknown revision, a migration file that cannot be read that way) runs Alembic's upgrade as before.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from functools import cache
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, Table, create_engine, event, insert, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# `revision: str = "0004"`, `down_revision: str | None = "0003"` in a migration file (script.py.mako).
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)


def json_value(value: Any) -> str:
    """Dates in JSON columns (outbox contexts, event details) as ISO text, as templates read them."""
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot go into a JSON column")


def dump_json(value: Any) -> str:
    # One serialisation, at insert: the outbox stores a context once instead of round-tripping it
    # through json first (most of the cost of a Monday digest run). UTF-8, not \uXXXX escapes.
    return json.dumps(value, default=json_value, ensure_ascii=False)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, json_serializer=dump_json)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            # WAL lets the CLI read while the daemon writes; foreign keys are off by default in SQLite.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, json_serializer=dump_json)


# Rows a unit of work writes but never needs back at once (the audit trail's events): kept with
# the session and written together, one statement per table, just before the session's next
# statement and before it commits — never later than anything that could read them, since every
# read goes through the session. Ten events of one mail are one INSERT instead of ten ORM inserts
# each asking for its id. A transaction rolled back takes them with it, as it would take rows.
_LATER = "mailbot_rows_later"


def insert_later(session: Session, table: Table, row: dict[str, Any]) -> None:
    """Write `row` into `table` with the session's next statement (or at its commit)."""
    session.info.setdefault(_LATER, []).append((table, row))


def write_later(session: Session) -> None:
    """Write the rows `insert_later` kept, in the order they came: one executemany per run of rows
    of one table with the same columns."""
    pending = session.info.pop(_LATER, None)
    if not pending:
        return
    connection = session.connection()
    for (table, _), rows in groupby(pending, key=lambda item: (item[0], tuple(item[1]))):
        connection.execute(insert(table), [row for _, row in rows])


@event.listens_for(Session, "do_orm_execute")
def _write_before_statement(state: ORMExecuteState) -> None:
    if _LATER in state.session.info:
        write_later(state.session)


@event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    write_later(session)


@event.listens_for(Session, "after_transaction_end")
def _forget_at_the_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # committed (written) or rolled back (gone with it)
        session.info.pop(_LATER, None)


def alembic_config(engine: Engine) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


@cache
def head_revisions() -> frozenset[str] | None:
    """The head revision ids of the migrations folder, without importing Alembic: every
    migration file's `revision` and `down_revision`, the revisions no other one revises. None
    when a file does not say them in that form (then only Alembic can tell)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        if path.name.startswith(("__init__", ".#")):  # what Alembic skips too
            continue
        # The last assignment at the start of a line, as the module's own value would be.
        found = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found["down_revision"])
            downs = (down,) if isinstance(down, str) else tuple(down or ())
        except (KeyError, ValueError, TypeError, SyntaxError):
            return None
        if not isinstance(revision, str) or not all(isinstance(d, str) for d in downs):
            return None
        revisions.add(revision)
        revised.update(downs)
    return frozenset(revisions - revised) or None


def schema_current(engine: Engine) -> bool:
    """Whether the database is at the head of the migrations: one query, no Alembic. A database
    that cannot be reached raises here, as Alembic would."""
    heads = head_revisions()
    if heads is None:
        return False
    with engine.connect() as connection:
        try:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        except DBAPIError:  # no alembic_version table: a database never migrated
            return False
    return frozenset(versions) == heads


class Database:
    """One engine and a session factory; `transaction()` is the unit of work."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        if migrate and not schema_current(self.engine):
            upgrade(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    def session(self) -> Session:
        return self._sessions()

    def dispose(self) -> None:
        self.engine.dispose()
