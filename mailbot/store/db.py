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
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time
from functools import cache
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, Table, create_engine, event, insert, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import (
    ORMExecuteState,
    Session,
    SessionTransaction,
    class_mapper,
    make_transient_to_detached,
    sessionmaker,
)
from sqlalchemy.orm.attributes import instance_dict

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


# The encoder json.dumps(value, default=json_value, ensure_ascii=False) would build for every
# call, built once (json keeps one for its defaults the same way): a mail stores ~40 JSON values,
# most of them small enough that building the encoder took as long as encoding them. It keeps
# no state from one call to the next.
_ENCODER = json.JSONEncoder(default=json_value, ensure_ascii=False)


def dump_json(value: Any) -> str:
    # One serialisation, at insert: the outbox stores a context once instead of round-tripping it
    # through json first (most of the cost of a Monday digest run). UTF-8, not \uXXXX escapes.
    if isinstance(value, JsonText):
        return value
    return _ENCODER.encode(value)


class JsonText(str):
    """A JSON column's value already serialised (by `dump_json_many`): stored as it is."""


def dump_json_many(values: Sequence[dict[str, Any]]) -> list[JsonText]:
    """Each dict as `dump_json` writes it, the text the same; a value that several of them hold
    (the same object: one meeting's actions in the mail to each of its parties) is serialised once.

    Each dict is serialised with a placeholder string where a shared value stands, and the
    placeholder (a random token: no text of a mail can name it) is then replaced by that value's
    JSON, which is what json would have written there."""
    held: dict[int, int] = {}
    for value in values:
        for item in value.values():
            if isinstance(item, dict | list) and item:
                held[id(item)] = held.get(id(item), 0) + 1
    # Every value is held by `values` until the end: an id stays its object's.
    shared = {ident for ident, count in held.items() if count > 1}
    if not shared:
        return [JsonText(dump_json(value)) for value in values]
    token = secrets.token_hex(16)
    made: dict[int, str] = {}
    texts: list[JsonText] = []
    for value in values:
        holes: dict[str, str] = {}
        plain: dict[Any, Any] = {}
        for key, item in value.items():
            if isinstance(item, dict | list) and id(item) in shared:
                if id(item) not in made:
                    made[id(item)] = dump_json(item)
                hole = f"{token}-{id(item)}"
                holes[f'"{hole}"'] = made[id(item)]
                plain[key] = hole
            else:
                plain[key] = item
        text = dump_json(plain)
        for hole, filled in holes.items():
            text = text.replace(hole, filled)
        texts.append(JsonText(text))
    return texts


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
# read goes through the session (the few writes that read nothing, new outbox rows and actions,
# go straight to its connection and leave them waiting). Ten events of one mail are one INSERT
# instead of ten ORM inserts each asking for its id. A transaction rolled back takes them with it, as it would take rows.
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
        connection.execute(_insert(table), [row for _, row in rows])


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


Entity = TypeVar("Entity")


def insert_objects(session: Session, entity: type[Entity], rows: Sequence[dict[str, Any]]) -> list[Entity]:
    """New rows of `entity` (a mapped class with an integer `id`) written in one INSERT that
    returns their ids, handed back in the order given as objects of the session holding the values
    given — what `add` and a flush would leave, without the flush's cost per object: on SQLite the
    ORM writes such rows one statement each, to learn each row's id.

    Every row names the same columns; a column left out takes its scalar default, else NULL (a
    callable default is refused: the object could not hold what the database wrote)."""
    if not rows:
        return []
    table: Table = entity.__table__  # type: ignore[attr-defined]
    missing: dict[str, Any] = {}
    for column in table.columns:
        if column.key in rows[0] or column.key == "id":
            continue
        if column.default is not None and not column.default.is_scalar:
            raise ValueError(f"{table.name}.{column.key}: a callable default; give the value")
        missing[column.key] = column.default.arg if column.default is not None else None  # type: ignore[attr-defined]
    sqlite = session.get_bind().dialect.name == "sqlite"
    statement = _insert_returning_ids(table, sqlite)
    # On the session's connection: a write that reads nothing, so the events decided so far
    # (insert_later) wait for the next query or the commit, and go in one statement.
    ids = list(session.connection().execute(statement, [{**missing, **row} for row in rows]).scalars())
    if sqlite:
        ids.sort()
    # Made as the ORM makes the objects of loaded rows (no __init__, so no "init" event): a
    # quarter of the cost of ten constructors setting each attribute through its instrumentation.
    manager = class_mapper(entity).class_manager
    objects: list[Entity] = []
    for row, new_id in zip(rows, ids, strict=True):
        made = manager.new_instance()
        values = instance_dict(made)
        values.update(missing)
        values.update(row)
        values["id"] = new_id
        make_transient_to_detached(made)  # as loaded: nothing left for a flush to write
        session.add(made)
        objects.append(made)
    return objects


@cache
def _insert_returning_ids(table: Table, sqlite: bool) -> Any:
    """Built once per table (building a statement costs more than SQLite takes to run it).

    SQLAlchemy keeps the order of RETURNING only by writing SQLite rows one statement each; SQLite
    numbers the rows of one INSERT in the order of its VALUES (one writer at a time), so there the
    ids sorted are the rows in order. PostgreSQL's multi-row insert is ordered by SQLAlchemy itself."""
    return insert(table).returning(table.c.id, sort_by_parameter_order=not sqlite)


@cache
def _insert(table: Table) -> Any:
    return insert(table)


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
