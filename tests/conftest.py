"""Shared fixtures: a fixed clock, a throw-away bot home, and the database on SQLite and PostgreSQL.

Tests that need a real server run in CI (CI=true) or fail loudly; on a developer's machine
without the server they are skipped with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.config import default_config_text, load_config

pytest_plugins = ["tests.servers"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAILS = Path(__file__).resolve().parent / "mails"
POSTGRES_URL = os.environ.get("MAILBOT_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def need_server(reason: str) -> None:
    """Skip locally; in CI a missing server is a failure, never a silent skip."""
    if os.environ.get("CI"):
        pytest.fail(f"CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def clock() -> FixedClock:
    # Monday 2026-12-07 10:00 in Shanghai: the day after a typical Friday meeting week.
    return FixedClock(datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI))


def postgres_schema_url() -> Iterator[str]:
    import sqlalchemy

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    except sqlalchemy.exc.OperationalError as exc:
        admin.dispose()
        need_server(f"PostgreSQL not reachable at {POSTGRES_URL}: {exc.orig}")
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield "sqlite:///" + str(tmp_path / "mailbot.db")
    else:
        yield from postgres_schema_url()


@pytest.fixture
def home(tmp_path: Path, database_url: str) -> Path:
    """A bot home as `mailbot init` writes it, pointed at the database under test, in a deployment
    whose mail server itself refuses outsiders and unauthenticated senders to the bot (Exchange's
    "require that all senders are authenticated"): `[trust] unproven = "apply"`, so the tests of
    reading, deadlines and mails feed drafts as the server hands them over. The proof of senders
    is tested with `mailbot init`'s own default ("confirm") in tests/test_trust.py."""
    text = (
        default_config_text("minutes@corp.example")
        .replace('url = "sqlite:///mailbot.db"', f'url = "{database_url}"')
        .replace('unproven = "confirm"', 'unproven = "apply"')
    )
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    return tmp_path


@pytest.fixture
def app(home: Path, clock: FixedClock) -> Iterator[App]:
    instance = App.open(load_config(home / "config.toml"), clock)
    yield instance
    instance.db.dispose()


@pytest.fixture
def bot(tmp_path: Path) -> Path:
    """A bot home made by `mailbot init` (for the command-line tests), its server refusing outsiders."""
    from mailbot.cli import main
    from tests.helpers import server_refuses_outsiders

    assert main(["init", str(tmp_path / "bot")]) == 0
    return server_refuses_outsiders(tmp_path / "bot" / "config.toml")
