"""First start on a real mailbox: old mail is left unanswered (a baseline), or only `--since` a day.

Against the real Dovecot of tests.servers: a fresh user's INBOX is filled with "old" mail before
the bot has ever seen it, then `run_once` / `mailbot run --once` runs as an operator would.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from mailbot.app import App
from mailbot.cli import main, run_once
from mailbot.clock import FixedClock
from mailbot.config import load_config
from mailbot.store.models import InboundMail, OutboxMail
from tests.test_imap import PASSWORD, PROCESSED, connect, folder_uids, imap_home, inbound

if TYPE_CHECKING:
    from tests.servers import Dovecot

pytest_plugins = ["tests.servers"]

MAILS = Path(__file__).resolve().parent / "mails"
BASELINE_LOG = "baseline: 20 old mails in INBOX left unanswered (use --since to process them)"


def old_mail(n: int, sender: str = "li.na@corp.example") -> bytes:
    # Plain questions to the bot: each would get an answer if it were processed.
    return (
        f"From: Li Na <{sender}>\r\nTo: minutes@corp.example\r\nSubject: old thread {n}\r\n"
        f"Message-ID: <old-{n}@corp.example>\r\nDate: Mon, 02 Nov 2026 09:00:00 +0800\r\n\r\n"
        f"Could you send me the minutes of meeting {n}?\r\n"
    ).encode()


# Dovecot clamps an INTERNALDATE in the future to now, so the days are real ones in the past (the
# FixedClock plays no part in INTERNALDATE). Noon UTC keeps each on its day in any server zone.
SINCE = date.today() - timedelta(days=10)


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def outbox_count(app: App) -> int:
    with app.db.session() as session:
        return int(session.scalar(select(func.count(OutboxMail.id))) or 0)


def append(dovecot: Dovecot, user: str, raws: list[bytes]) -> None:
    # Our own, not test_imap's: that one may prepare a mailbox the bot has handled before.
    with connect(dovecot, user) as client:
        for raw in raws:
            client.append("INBOX", raw)


def append_at(dovecot: Dovecot, user: str, raws: list[bytes], when: datetime) -> None:
    """APPEND with an explicit INTERNALDATE: what SEARCH SINCE/BEFORE look at."""
    with connect(dovecot, user) as client:
        for raw in raws:
            client.append("INBOX", raw, (), when)


@pytest.fixture
def user(dovecot: Dovecot) -> str:
    return dovecot.new_user()


@pytest.fixture
def imap_app(
    tmp_path: Path, database_url: str, dovecot: Dovecot, user: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[App]:
    monkeypatch.setenv("MAILBOT_IMAP_PASSWORD", PASSWORD)
    app = App.open(load_config(imap_home(tmp_path, database_url, dovecot, user)), clock)
    yield app
    app.db.dispose()


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_first_start_leaves_the_old_mail_unanswered_and_says_so(
    imap_app: App, dovecot: Dovecot, user: str, caplog: pytest.LogCaptureFixture
) -> None:
    old = [old_mail(n) for n in range(20)]
    append(dovecot, user, old)
    with caplog.at_level(logging.INFO, logger="mailbot.sources.imap"):
        assert run_once(imap_app) == {}  # nothing processed
    assert inbound(imap_app) == []
    assert outbox_count(imap_app) == 0  # nothing answered
    assert folder_uids(dovecot, user, "INBOX") == {}
    processed = folder_uids(dovecot, user, PROCESSED)
    assert len(processed) == 20
    assert all(b"\\Seen" in flags for flags in processed.values())
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert BASELINE_LOG in warnings

    # A restart before any new mail came (the database still has no IMAP mail): no second
    # baseline, the Processed folder marks it done. Mail arriving now is handled as usual.
    caplog.clear()
    assert run_once(imap_app) == {}
    raw = (MAILS / "outlook_zh_autoreply.eml").read_bytes()
    append(dovecot, user, [raw])
    with caplog.at_level(logging.INFO, logger="mailbot.sources.imap"):
        counts = run_once(imap_app)
    assert sum(counts.values()) == 1, counts
    assert [row.raw for row in inbound(imap_app)] == [raw]
    assert folder_uids(dovecot, user, "INBOX") == {}
    assert len(folder_uids(dovecot, user, PROCESSED)) == 21
    assert not any("baseline:" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_since_processes_only_mail_from_that_day_on(
    imap_app: App, dovecot: Dovecot, user: str, caplog: pytest.LogCaptureFixture
) -> None:
    older = [old_mail(n) for n in range(3)]
    newer = [old_mail(n, sender=f"wang.{n}@corp.example") for n in range(10, 12)]
    append(dovecot, user, [])  # the INBOX exists once the user logs in
    append_at(dovecot, user, older, noon(SINCE - timedelta(days=1)))
    # The day itself counts: SINCE is "on or after".
    append_at(dovecot, user, newer, noon(SINCE))
    with caplog.at_level(logging.INFO, logger="mailbot.sources.imap"):
        counts = run_once(imap_app, since=SINCE)
    assert sum(counts.values()) == 2, counts
    assert {row.raw for row in inbound(imap_app)} == set(newer)
    assert folder_uids(dovecot, user, "INBOX") == {}
    assert len(folder_uids(dovecot, user, PROCESSED)) == 5  # 3 moved unanswered, 2 after processing
    assert f"baseline: 3 mails in INBOX from before {SINCE.isoformat()} left unanswered" in [
        r.getMessage() for r in caplog.records if r.levelno == logging.WARNING
    ]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_mailbot_run_since_on_the_command_line(
    imap_app: App, dovecot: Dovecot, user: str, capsys: pytest.CaptureFixture[str]
) -> None:
    append(dovecot, user, [])
    append_at(dovecot, user, [old_mail(1)], noon(SINCE - timedelta(days=30)))
    new = old_mail(2, sender="zhang.wei@corp.example")
    append_at(dovecot, user, [new], noon(SINCE + timedelta(days=2)))
    config = imap_app.config.origin
    assert main(["--config", str(config), "run", "--once", "--since", SINCE.isoformat()]) == 0
    assert "processed: 1 " in capsys.readouterr().out
    assert [row.raw for row in inbound(imap_app)] == [new]
    assert folder_uids(dovecot, user, "INBOX") == {}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_after_the_first_start_nothing_changes(imap_app: App, dovecot: Dovecot, user: str) -> None:
    first = (MAILS / "outlook_zh_autoreply.eml").read_bytes()
    append(dovecot, user, [])
    run_once(imap_app)  # first start on an empty INBOX: the baseline is empty
    append(dovecot, user, [first])
    assert sum(run_once(imap_app).values()) == 1
    with imap_app.db.session() as session:
        assert session.scalar(select(func.count(InboundMail.id))) == 1
    # The database knows IMAP mail now: --since is not a second baseline, every mail is handled.
    again = [old_mail(n) for n in range(2)]
    append_at(dovecot, user, again, noon(SINCE - timedelta(days=300)))
    assert sum(run_once(imap_app, since=SINCE).values()) == 2
    assert folder_uids(dovecot, user, "INBOX") == {}
