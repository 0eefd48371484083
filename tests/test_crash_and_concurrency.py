"""The daemon as it runs in production, killed and doubled: real processes, real servers.

(1) A daemon on Dovecot (IMAP) + aiosmtpd (SMTP relay into Dovecot) is SIGKILLed in the middle
of a batch and started again: every mail is recorded exactly once and every answer reaches its
recipient once. The outbox allows one duplicate by design: a kill after the SMTP server accepted
a mail and before the row's "sent" commit re-sends that one mail on restart. The test allows at
most one such duplicate and says so; any more would be a bug.

(2) Two daemons on the same mailbox and the same PostgreSQL database: each mail is claimed by one
of them (the other gets an IntegrityError → "duplicate", and its MOVE of the vanished UID is a
no-op), each outbox row is sent by one of them (FOR UPDATE SKIP LOCKED). No duplicate allowed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from imapclient import IMAPClient
from sqlalchemy import func, select

from mailbot.store.db import Database
from mailbot.store.models import InboundMail, OutboxMail
from tests.conftest import postgres_schema_url
from tests.servers import imap_smtp_config

if TYPE_CHECKING:
    from tests.servers import Dovecot, SmtpServer

pytest_plugins = ["tests.servers"]
HOST = "127.0.0.1"
PASSWORD = "secret"  # tests.servers' static passdb: any user, this password
BOT = "minutes@corp.example"
MAILS = 40
ROOT = Path(__file__).resolve().parent.parent


def write_config(home: Path, database_url: str, dovecot: Dovecot, smtp_server: SmtpServer, user: str) -> Path:
    """A bot home as `mailbot init` writes it, switched to IMAP in and SMTP out."""
    text = imap_smtp_config(BOT, database_url, dovecot, smtp_server, user)
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text, encoding="utf-8")
    return home / "config.toml"


def help_mail(sender: str, message_id: str) -> bytes:
    # A help request from a distinct sender each: one answer per mail, and no per-sender limit hit.
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = BOT
    msg["Subject"] = "help"
    msg["Message-ID"] = f"<{message_id}>"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg.set_content("help\n")
    return msg.as_bytes()


def append_mails(dovecot: Dovecot, user: str, count: int) -> tuple[list[str], list[str]]:
    tag = uuid.uuid4().hex[:8]
    senders = [f"s{i}-{tag}@corp.example" for i in range(count)]
    ids = [f"load-{i}-{tag}@corp.example" for i in range(count)]
    with IMAPClient(HOST, dovecot.imap_port, ssl=False, timeout=10) as client:
        client.login(user, PASSWORD)
        # A bot that ran here before (the processed folder exists): no first-start baseline, the
        # mails are new mail to answer.
        if not client.folder_exists("Mailbot.Processed"):
            client.create_folder("Mailbot.Processed")
        for sender, message_id in zip(senders, ids, strict=True):
            client.append("INBOX", help_mail(sender, message_id))
    return senders, ids


def inbox_count(dovecot: Dovecot, user: str) -> int:
    with IMAPClient(HOST, dovecot.imap_port, ssl=False, timeout=10) as client:
        client.login(user, PASSWORD)
        client.select_folder("INBOX", readonly=True)
        return len(client.search(["NOT", "DELETED"]))


def start_daemon(config: Path, log_file: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MAILBOT_IMAP_PASSWORD": PASSWORD, "PYTHONPATH": str(ROOT)}
    with log_file.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "mailbot.cli", "--config", str(config), "-v", "run", "--interval", "0.1"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def counts(db: Database) -> tuple[int, int]:
    with db.session() as session:
        inbound = session.scalar(select(func.count()).select_from(InboundMail)) or 0
        pending = session.scalar(select(func.count()).select_from(OutboxMail).where(OutboxMail.status == "pending"))
    return int(inbound), int(pending or 0)


def wait_until_done(
    db: Database, dovecot: Dovecot, user: str, daemons: list[subprocess.Popen[bytes]], log_file: Path
) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        for daemon in daemons:
            assert daemon.poll() is None, f"daemon exited {daemon.returncode}:\n{log_file.read_text()[-3000:]}"
        inbound, pending = counts(db)
        if inbound >= MAILS and pending == 0 and inbox_count(dovecot, user) == 0:
            return
        time.sleep(0.2)
    raise AssertionError(f"not done in 90 s: {counts(db)}, log:\n{log_file.read_text()[-3000:]}")


def check_exactly_once(db: Database, dovecot: Dovecot, senders: list[str], ids: list[str]) -> int:
    """Assert each mail recorded once and each answer delivered; return how many arrived twice."""
    with db.session() as session:
        recorded = Counter(session.scalars(select(InboundMail.message_id)))
        outbox = list(session.execute(select(OutboxMail.message_id, OutboxMail.to_address, OutboxMail.status)))
    assert sum(recorded.values()) == MAILS
    assert recorded == Counter(ids), "a mail was recorded twice, or one is missing"
    assert len(outbox) == MAILS, "one answer per help request"
    assert all(status == "sent" for _, _, status in outbox)
    arrived: Counter[str] = Counter()
    for sender in senders:
        arrived.update(str(m["Message-ID"]).strip("<>") for m in dovecot.read_mailbox(sender))
    expected = {message_id.strip("<>") for message_id, _, _ in outbox}
    assert set(arrived) == expected, "an answer did not arrive, or a stranger did"
    return sum(n - 1 for n in arrived.values())


@pytest.fixture
def bot_user(dovecot: Dovecot) -> str:
    return dovecot.new_user()


def test_a_daemon_killed_mid_batch_and_restarted_handles_every_mail_once(
    tmp_path: Path, database_url: str, dovecot: Dovecot, smtp_server: SmtpServer, bot_user: str
) -> None:
    config = write_config(tmp_path / "home", database_url, dovecot, smtp_server, bot_user)
    db = Database(database_url)  # migrated here, so the count below never sees a half-made schema
    log_file = tmp_path / "daemon.log"
    try:
        senders, ids = append_mails(dovecot, bot_user, MAILS)
        daemon = start_daemon(config, log_file)
        try:
            deadline = time.monotonic() + 60
            while counts(db)[0] < MAILS // 3:
                assert daemon.poll() is None, log_file.read_text()[-3000:]
                assert time.monotonic() < deadline, "the daemon did not start processing"
                time.sleep(0.005)
            daemon.send_signal(signal.SIGKILL)  # no handler, no cleanup: a power cut for the process
            daemon.wait(timeout=10)
        finally:
            stop(daemon)
        killed_at = counts(db)[0]
        assert killed_at < MAILS, "the batch finished before the kill: nothing was tested"

        restarted = start_daemon(config, log_file)
        try:
            wait_until_done(db, dovecot, bot_user, [restarted], log_file)
        finally:
            stop(restarted)
        duplicates = check_exactly_once(db, dovecot, senders, ids)
        # The one window the outbox allows: SMTP accepted, killed before the "sent" commit.
        assert duplicates <= 1, f"{duplicates} answers delivered twice (at most 1 allowed)"
    finally:
        db.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    # PostgreSQL only: SQLite has no row locks to share work between processes. need_server
    # inside postgres_schema_url fails this test in CI when PostgreSQL is not there.
    yield from postgres_schema_url()


def test_two_daemons_on_one_postgresql_handle_and_send_each_mail_once(
    tmp_path: Path, postgres_url: str, dovecot: Dovecot, smtp_server: SmtpServer, bot_user: str
) -> None:
    db = Database(postgres_url)  # the schema made once, before both start (as `mailbot db upgrade`)
    log_file = tmp_path / "daemons.log"
    try:
        senders, ids = append_mails(dovecot, bot_user, MAILS)
        configs = [write_config(tmp_path / f"home{n}", postgres_url, dovecot, smtp_server, bot_user) for n in (1, 2)]
        daemons = [start_daemon(config, log_file) for config in configs]
        try:
            wait_until_done(db, dovecot, bot_user, daemons, log_file)
            time.sleep(0.5)  # let a late second claim of a row show itself, if there were one
            for daemon in daemons:
                assert daemon.poll() is None, log_file.read_text()[-3000:]
        finally:
            for daemon in daemons:
                stop(daemon)
        assert check_exactly_once(db, dovecot, senders, ids) == 0
    finally:
        db.dispose()
