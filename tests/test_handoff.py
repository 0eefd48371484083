"""A piped mail handed to the running daemon (issue 15, start-up): `mailbot ingest -` from an MTA
writes the mail into the Maildir the daemon reads and wakes it, instead of starting a whole bot for
one mail. These tests run the daemon and the pipe as the administrator's machine does (two
processes) and look at what was stored and sent, and at where the mail ended up."""

from __future__ import annotations

import os
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailbot import handoff
from mailbot.cli import main
from mailbot.sources.maildir import MaildirSource
from tests.helpers import MAILS, server_refuses_outsiders

NOW = "2026-12-02T18:00"
MINUTES = MAILS / "outlook_zh_minutes_gbk_html.eml"


def wait_for(condition, seconds: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return False


def mailbot(config: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-m", "mailbot.cli", "--config", str(config), *args]
    return subprocess.run(command, input=stdin, capture_output=True, timeout=120)


def inbound_rows(home: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(home / "mailbot.db") as db:
        return db.execute("SELECT kind, outcome FROM inbound_mails ORDER BY id").fetchall()


def sent(home: Path) -> list[Path]:
    return sorted((home / "sent" / "new").iterdir())


@pytest.fixture
def bot(tmp_path: Path) -> tuple[Path, Path]:
    assert main(["init", str(tmp_path / "bot")]) == 0
    home = tmp_path / "bot"
    return home, server_refuses_outsiders(home / "config.toml")


@pytest.fixture
def daemon(bot: tuple[Path, Path]) -> Iterator[subprocess.Popen[str]]:
    home, config = bot
    # A long interval: only the wake-up can make it read the mail promptly.
    command = [sys.executable, "-m", "mailbot.cli", "--config", str(config), "--now", NOW, "run", "--interval", "3600"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(lambda: handoff_open(home / "inbox")), "the daemon never listened for piped mail"
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def handoff_open(maildir: Path) -> bool:
    fd = handoff.daemon_listening(maildir)
    if fd is None:
        return False
    os.close(fd)
    return True


def test_a_piped_mail_is_handled_by_the_running_daemon_once_and_answered(
    bot: tuple[Path, Path], daemon: subprocess.Popen[str]
) -> None:
    home, config = bot
    done = mailbot(config, "ingest", "-", stdin=MINUTES.read_bytes())
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().splitlines()[0] == "-: handed to the daemon: handled"
    # The daemon recorded it (the pipe never opened the database) and filed it as read.
    assert inbound_rows(home) == [("minutes", "processed")]
    assert list((home / "inbox" / "new").iterdir()) == []
    assert [p.name.endswith(":2,S") for p in (home / "inbox" / "cur").iterdir()] == [True]
    # The answers: the recorder's acknowledgement, 4 confirmation requests, 4 notices.
    assert wait_for(lambda: len(sent(home)) == 9)
    # The same mail piped again (an MTA retrying after a timeout) is a duplicate: nothing more sent.
    again = mailbot(config, "ingest", "-", stdin=MINUTES.read_bytes())
    assert again.returncode == 0 and b"handled" in again.stdout
    assert inbound_rows(home) == [("minutes", "processed")]  # known by its content: not recorded again
    time.sleep(1)
    assert len(sent(home)) == 9


def test_without_a_daemon_the_pipe_handles_the_mail_itself(bot: tuple[Path, Path]) -> None:
    home, config = bot
    # A daemon ran once and left its FIFO behind: nobody reads it now.
    os.mkfifo(handoff.wake_path(home / "inbox"))
    done = mailbot(config, "--now", NOW, "ingest", "-", stdin=MINUTES.read_bytes())
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().splitlines()[0] == "-: minutes processed"
    done = mailbot(config, "ingest", "-", stdin=(MAILS / "foxmail_zh_agenda_gbk.eml").read_bytes())
    assert done.stdout.decode().splitlines()[0].startswith("-: agenda ")
    assert [kind for kind, _ in inbound_rows(home)] == ["minutes", "agenda"]
    assert list((home / "inbox" / "new").iterdir()) == []  # nothing was written there for anyone


def test_with_now_or_inline_the_pipe_handles_the_mail_itself_even_beside_a_daemon(
    bot: tuple[Path, Path], daemon: subprocess.Popen[str]
) -> None:
    """--now sets this process's clock (the daemon's would not honour it); --inline asks for it."""
    home, config = bot
    done = mailbot(config, "--now", NOW, "ingest", "-", stdin=MINUTES.read_bytes())
    assert done.stdout.decode().splitlines()[0] == "-: minutes processed"
    done = mailbot(config, "ingest", "--inline", "-", stdin=(MAILS / "foxmail_zh_agenda_gbk.eml").read_bytes())
    assert done.stdout.decode().splitlines()[0].startswith("-: agenda ")
    assert list((home / "inbox" / "cur").iterdir()) == []


def test_a_daemon_that_does_not_get_to_the_mail_in_time_finds_it_queued(bot: tuple[Path, Path]) -> None:
    """A busy daemon (here: the test holds the FIFO open and reads nothing): the pipe exits 0 once
    the mail is safely in new/, and the mail is handled once when the daemon gets there."""
    home, config = bot
    reader = handoff.listen(home / "inbox")
    try:
        done = mailbot(config, "ingest", "--wait", "0.3", "-", stdin=MINUTES.read_bytes())
        assert done.returncode == 0, done.stderr
        assert done.stdout.decode().startswith("-: handed to the daemon: queued in ")
        assert os.read(reader, 10) == b"\n"  # it was woken
    finally:
        os.close(reader)
    assert [path.read_bytes() for path in (home / "inbox" / "new").iterdir()] == [MINUTES.read_bytes()]
    assert inbound_rows(home) == []
    assert main(["--config", str(config), "--now", NOW, "run", "--once"]) == 0
    assert inbound_rows(home) == [("minutes", "processed")]
    assert len(sent(home)) == 9


def test_the_outcome_follows_where_the_daemon_moved_the_file(tmp_path: Path) -> None:
    maildir = tmp_path / "inbox"
    source = MaildirSource(maildir)
    name = handoff.write_durably(maildir, b"Subject: x\r\n\r\nbody\r\n")
    assert handoff.outcome(maildir, name, 0.05) == "waiting"
    fetched = list(source.fetch_new())
    source.mark_done(fetched[0].key, "failed")
    assert handoff.outcome(maildir, name, 0.05) == "failed"
    name = handoff.write_durably(maildir, b"Subject: y\r\n\r\nbody\r\n")
    source.mark_done(next(iter(source.fetch_new())).key, "done")
    assert handoff.outcome(maildir, name, 0.05) == "done"
    assert list((maildir / "tmp").iterdir()) == []


def test_the_daemons_wait_wakes_for_a_piped_mail_and_for_a_delivered_file_and_not_otherwise(tmp_path: Path) -> None:
    maildir = tmp_path / "inbox"
    source = MaildirSource(maildir)
    try:
        assert handoff.daemon_listening(maildir) is None  # nobody waits yet
        source.wait_for_mail(0.01)  # the first wait looks at new/ and starts listening
        assert source.wait_for_mail(0.1) is False
        writer = handoff.daemon_listening(maildir)
        assert writer is not None
        handoff.wake(writer)
        assert source.wait_for_mail(5) is True
        # Once the pipe's end is closed the FIFO must not read as "at end of file" for ever after
        # (select would return at once and the daemon would spin).
        began = time.monotonic()
        assert source.wait_for_mail(0.3) is False
        assert time.monotonic() - began >= 0.25
        # An MTA delivering into new/ itself, with no pipe: seen by the next wait.
        shutil.copy(MINUTES, maildir / "new" / "1.M1.host")
        assert source.wait_for_mail(5) is True
    finally:
        source.close()
    assert handoff.daemon_listening(maildir) is None  # a stopped daemon takes no more mail


def test_a_plain_file_with_the_fifos_name_is_not_taken_for_a_daemon(tmp_path: Path) -> None:
    maildir = tmp_path / "inbox"
    MaildirSource(maildir)
    handoff.wake_path(maildir).write_text("")
    assert handoff.daemon_listening(maildir) is None
    reader = handoff.listen(maildir)  # the daemon makes its FIFO anew
    try:
        assert select.select([reader], [], [], 0)[0] == []
        writer = handoff.daemon_listening(maildir)
        assert writer is not None
        os.close(writer)
    finally:
        os.close(reader)


def test_a_daemon_that_cannot_make_its_fifo_still_waits_and_reads_new_mail(tmp_path: Path) -> None:
    """A Maildir root where the FIFO cannot be made (here a folder by its name): the daemon says so
    once, waits by sleeping as before, still sees delivered mail, and pipes handle mail themselves."""
    maildir = tmp_path / "inbox"
    source = MaildirSource(maildir)
    handoff.wake_path(maildir).mkdir()
    try:
        source.wait_for_mail(0.01)
        assert source.wait_for_mail(0.1) is False
        assert handoff.daemon_listening(maildir) is None
        shutil.copy(MINUTES, maildir / "new" / "1.M1.host")
        assert source.wait_for_mail(5) is True
    finally:
        source.close()
