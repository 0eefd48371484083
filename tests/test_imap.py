"""The IMAP source against a real Dovecot: every mail handled exactly once, whatever the server does.

The fixture mails are APPENDed into a fresh user's folder, then `run_once` (the same loop the
daemon runs) fetches, processes and moves them. Faults are real: connections kicked by the
server (`doveadm kick`), a server restart, a folder deleted and recreated (new UIDVALIDITY).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from imapclient import IMAPClient
from sqlalchemy import func, select

from mailbot.app import App
from mailbot.cli import run_once, source_for
from mailbot.clock import FixedClock
from mailbot.config import default_config_text, load_config
from mailbot.errors import MailbotError
from mailbot.pipeline import process
from mailbot.sources.imap import ImapSource
from mailbot.store.models import InboundMail

if TYPE_CHECKING:
    from tests.servers import Dovecot

# The server fixtures, once per session. Registered as a plugin, not imported: an import would
# give each test module its own session fixture, hence its own Dovecot.
pytest_plugins = ["tests.servers"]
HOST = "127.0.0.1"  # where tests.servers runs everything
PASSWORD = "secret"  # tests.servers' static passdb: any user, this password

MAILS = Path(__file__).resolve().parent / "mails"
FIXTURES = sorted(MAILS.glob("*.eml"))
MAX_BYTES = 100_000  # every fixture is below (the largest is ~36 kB); the oversize test goes above
# Dovecot's default hierarchy separator is "."; the config's "/" is translated by the source.
PROCESSED, FAILED = "Mailbot.Processed", "Mailbot.Failed"


@pytest.fixture
def user(dovecot: Dovecot) -> str:
    return dovecot.new_user()


def imap_home(tmp_path: Path, database_url: str, dovecot: Dovecot, user: str, folder: str = "INBOX") -> Path:
    """A bot home as `mailbot init` writes it, with the source switched to the test Dovecot."""
    text = default_config_text("minutes@corp.example").replace(
        'url = "sqlite:///mailbot.db"', f'url = "{database_url}"'
    )
    text = text.replace('[source]\nkind = "maildir"', f'[source]\nkind = "imap"\nmax_message_bytes = {MAX_BYTES}')
    assert 'kind = "imap"' in text, "default_config_text changed its [source] section"
    text += f"""
[source.imap]
host = "{HOST}"
port = {dovecot.imap_port}
security = "none"
username = "{user}"
folder = "{folder}"
"""
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    return tmp_path / "config.toml"


@pytest.fixture
def imap_app(
    tmp_path: Path, database_url: str, dovecot: Dovecot, user: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[App]:
    monkeypatch.setenv("MAILBOT_IMAP_PASSWORD", PASSWORD)  # the password comes from the environment
    app = App.open(load_config(imap_home(tmp_path, database_url, dovecot, user)), clock)
    yield app
    app.db.dispose()


def connect(dovecot: Dovecot, user: str) -> IMAPClient:
    client = IMAPClient(HOST, dovecot.imap_port, ssl=False, timeout=10)
    client.login(user, PASSWORD)
    return client


def append(dovecot: Dovecot, user: str, raws: list[bytes], folder: str = "INBOX") -> None:
    with connect(dovecot, user) as client:
        if not client.folder_exists(folder):
            client.create_folder(folder)
        # These tests are about a bot that ran here before: the processed folder marks its
        # first-start baseline as done (tests/test_imap_baseline.py covers the first start).
        if not client.folder_exists(PROCESSED):
            client.create_folder(PROCESSED)
        for raw in raws:
            client.append(folder, raw)


def folder_uids(dovecot: Dovecot, user: str, folder: str) -> dict[int, tuple[bytes, ...]]:
    """UID → flags of every mail in the folder (empty when the folder does not exist)."""
    with connect(dovecot, user) as client:
        if not client.folder_exists(folder):
            return {}
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        return {uid: data[b"FLAGS"] for uid, data in client.fetch(uids, ["FLAGS"]).items()} if uids else {}


def inbound(app: App) -> list[InboundMail]:
    with app.db.session() as session:
        return list(session.scalars(select(InboundMail).order_by(InboundMail.id)))


def fast(source: object) -> ImapSource:
    """The configured source with test-sized backoff: a fault costs milliseconds, not seconds."""
    assert isinstance(source, ImapSource)
    source.backoff_seconds = 0.01
    source.retries = 2
    return source


def assert_each_mail_handled_once(app: App, raws: list[bytes]) -> None:
    rows = inbound(app)
    # One row per distinct mail: a re-fetched mail is answered "duplicate" without a new row.
    assert len(rows) == len(raws)
    with app.db.session() as session:
        assert session.scalar(select(func.count(func.distinct(InboundMail.content_hash)))) == len(raws)
    assert all(row.source_key and row.source_key.startswith("imap:") for row in rows)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_run_once_handles_every_mail_once_and_moves_it_out(imap_app: App, dovecot: Dovecot, user: str) -> None:
    raws = [path.read_bytes() for path in FIXTURES]
    append(dovecot, user, raws)
    counts = run_once(imap_app)
    assert sum(counts.values()) == len(raws), counts
    assert "duplicate" not in counts
    assert_each_mail_handled_once(imap_app, raws)
    rows = inbound(imap_app)
    assert {row.raw for row in rows} == set(raws)  # stored byte for byte as the server holds it
    assert folder_uids(dovecot, user, "INBOX") == {}
    processed, failed = folder_uids(dovecot, user, PROCESSED), folder_uids(dovecot, user, FAILED)
    assert len(processed) == sum(row.outcome != "failed" for row in rows)
    assert len(failed) == sum(row.outcome == "failed" for row in rows)
    assert all(b"\\Seen" in flags for flags in processed.values())  # done: read; failed: left unread
    assert all(b"\\Seen" not in flags for flags in failed.values())
    # A second pass finds the folder empty: nothing fetched, nothing handled again.
    assert run_once(imap_app) == {}
    assert len(inbound(imap_app)) == len(raws)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_backlog_leaves_with_one_move_per_folder_not_one_per_mail(
    imap_app: App, dovecot: Dovecot, user: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mailbot.pipeline
    from mailbot.pipeline import route

    raws = [path.read_bytes() for path in FIXTURES]
    append(dovecot, user, raws)
    moved: list[int] = []
    move = IMAPClient.move

    def counting_move(client: IMAPClient, messages: list[int], folder: str) -> object:
        moved.append(len(messages))
        return move(client, messages, folder)

    monkeypatch.setattr(IMAPClient, "move", counting_move)
    routed: list[object] = []

    def route_failing_some(ctx: object) -> object:  # a handler crash: the mail goes to the failed folder
        routed.append(ctx)
        if len(routed) in (2, 5):
            raise RuntimeError("handler bug")
        return route(ctx)  # type: ignore[arg-type]

    monkeypatch.setattr(mailbot.pipeline, "route", route_failing_some)
    counts = run_once(imap_app)
    assert sum(counts.values()) == len(raws) and "duplicate" not in counts
    assert_each_mail_handled_once(imap_app, raws)
    failed = sum(row.outcome == "failed" for row in inbound(imap_app))
    assert failed == 2 and len(raws) > 3
    assert sorted(moved) == sorted([len(raws) - failed, failed])  # one batch (< 100): one MOVE per folder
    assert folder_uids(dovecot, user, "INBOX") == {}
    processed, failed_folder = folder_uids(dovecot, user, PROCESSED), folder_uids(dovecot, user, FAILED)
    assert (len(processed), len(failed_folder)) == (len(raws) - failed, failed)
    assert all(b"\\Seen" in flags for flags in processed.values())
    assert all(b"\\Seen" not in flags for flags in failed_folder.values())


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_crash_before_a_group_is_moved_leaves_it_to_the_next_pass_as_duplicates(
    imap_app: App, dovecot: Dovecot, user: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mailbot.daemon

    raws = [path.read_bytes() for path in FIXTURES]
    append(dovecot, user, raws)
    source = fast(source_for(imap_app))
    source.batch_size = 4  # marked in groups of 4: the first group leaves, the next two stay
    handled: list[str] = []

    class Killed(BaseException):
        """The process dies here (poll goes on after an ordinary exception from one mail)."""

    def crashing_process(app: App, raw: bytes, **kwargs: object) -> object:
        if len(handled) == 6:
            raise Killed("killed")  # after 6 commits, 4 of them moved
        handled.append(str(kwargs["source_key"]))
        return process(app, raw, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(mailbot.daemon, "process", crashing_process)
    try:
        with pytest.raises(Killed, match="killed"):
            mailbot.daemon.poll(imap_app, source)
    finally:
        source.close()
    monkeypatch.setattr(mailbot.daemon, "process", process)
    assert len(folder_uids(dovecot, user, "INBOX")) == len(raws) - 4
    counts = run_once(imap_app)
    assert counts.get("duplicate") == 2  # committed before the crash, recognised by their source keys
    assert sum(counts.values()) == len(raws) - 4
    assert_each_mail_handled_once(imap_app, raws)
    assert folder_uids(dovecot, user, "INBOX") == {}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_stop_mid_group_still_moves_the_mails_handled_so_far(imap_app: App, dovecot: Dovecot, user: str) -> None:
    from mailbot.daemon import poll

    raws = [path.read_bytes() for path in FIXTURES]
    append(dovecot, user, raws)
    source = fast(source_for(imap_app))
    try:
        counts = poll(imap_app, source, should_stop=lambda: len(inbound(imap_app)) >= 3)  # SIGTERM after 3
    finally:
        source.close()
    assert sum(counts.values()) == 3
    assert len(folder_uids(dovecot, user, "INBOX")) == len(raws) - 3  # the 3 left, with their group cut short
    assert run_once(imap_app).get("duplicate") is None
    assert_each_mail_handled_once(imap_app, raws)


def test_marking_many_where_some_are_gone_already_moves_the_rest(dovecot: Dovecot, user: str) -> None:
    raws = [path.read_bytes() for path in FIXTURES[:5]]
    append(dovecot, user, raws)
    source = ImapSource(HOST, dovecot.imap_port, user, PASSWORD, security="none")
    try:
        fetched = list(source.fetch_new())
        with connect(dovecot, user) as other:  # another daemon (or a person) moves two of them first
            other.select_folder("INBOX")
            other.move(sorted(other.search(["NOT", "DELETED"]))[1:3], PROCESSED)
        source.mark_many_done([(mail.key, "done") for mail in fetched])
        source.mark_many_done([(mail.key, "done") for mail in fetched])  # again: all gone, harmless
    finally:
        source.close()
    assert folder_uids(dovecot, user, "INBOX") == {}
    assert len(folder_uids(dovecot, user, PROCESSED)) == len(raws)


def test_a_group_move_refused_for_a_vanished_mail_falls_back_to_one_by_one(
    dovecot: Dovecot, user: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from imapclient.exceptions import IMAPClientError

    raws = [path.read_bytes() for path in FIXTURES[:4]]
    append(dovecot, user, raws)
    move = IMAPClient.move

    def refusing_groups(client: IMAPClient, messages: list[int], folder: str) -> object:
        if len(messages) > 1:  # as Dovecot answers when another session expunged one of them
            raise IMAPClientError("move failed: NO [EXPUNGEISSUED] Some of the requested messages no longer exist")
        return move(client, messages, folder)

    monkeypatch.setattr(IMAPClient, "move", refusing_groups)
    source = ImapSource(HOST, dovecot.imap_port, user, PASSWORD, security="none")
    try:
        source.mark_many_done([(mail.key, "failed") for mail in source.fetch_new()])
    finally:
        source.close()
    assert folder_uids(dovecot, user, "INBOX") == {}
    failed = folder_uids(dovecot, user, FAILED)
    assert len(failed) == len(raws) and all(b"\\Seen" not in flags for flags in failed.values())


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_connection_dropped_before_a_group_move_reconnects_and_moves_it(
    imap_app: App, dovecot: Dovecot, user: str, caplog: pytest.LogCaptureFixture
) -> None:
    from mailbot.daemon import poll

    raws = [path.read_bytes() for path in FIXTURES]
    append(dovecot, user, raws)
    source = fast(source_for(imap_app))
    source.batch_size = 4
    mark_many_done = source.mark_many_done

    def kicked_first(marks: list[tuple[str, str]]) -> None:
        dovecot.kick(user)  # between the commits and the group's move
        mark_many_done(marks)  # type: ignore[arg-type]

    source.mark_many_done = kicked_first  # type: ignore[method-assign]
    try:
        counts = poll(imap_app, source)
    finally:
        source.close()
    assert sum(counts.values()) == len(raws) and "duplicate" not in counts
    reconnects = [r.getMessage() for r in caplog.records if "reconnecting" in r.getMessage()]
    assert reconnects and all("move" in m or "fetch" in m for m in reconnects), reconnects
    assert_each_mail_handled_once(imap_app, raws)
    assert folder_uids(dovecot, user, "INBOX") == {}


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_recreated_folder_with_a_new_uidvalidity_handles_nothing_twice(
    tmp_path: Path, database_url: str, dovecot: Dovecot, user: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # INBOX cannot be deleted on Dovecot (RFC 3501 lets servers refuse), so the watched folder is
    # another one: the situation is the same (new UIDVALIDITY, the same mails under new UIDs).
    monkeypatch.setenv("MAILBOT_IMAP_PASSWORD", PASSWORD)
    app = App.open(load_config(imap_home(tmp_path, database_url, dovecot, user, folder="Incoming")), clock)
    try:
        raws = [path.read_bytes() for path in FIXTURES]
        append(dovecot, user, raws, folder="Incoming")
        # A crash after commit, before the move: the first five mails are handled but stay.
        source = fast(source_for(app))
        for n, fetched in enumerate(source.fetch_new()):
            if n == 5:
                break
            process(app, fetched.raw, source_key=fetched.key)
        first_keys = {row.source_key for row in inbound(app)}
        source.close()
        with connect(dovecot, user) as client:
            before = client.folder_status("Incoming", [b"UIDVALIDITY"])[b"UIDVALIDITY"]
            client.delete_folder("Incoming")
            client.create_folder("Incoming")
            after = client.folder_status("Incoming", [b"UIDVALIDITY"])[b"UIDVALIDITY"]
        assert after != before
        append(dovecot, user, raws, folder="Incoming")

        counts = run_once(app)
        assert counts.get("duplicate") == 5  # recognised by content hash, under their new keys
        assert sum(counts.values()) == len(raws)
        assert_each_mail_handled_once(app, raws)
        assert {row.source_key for row in inbound(app)} >= first_keys
        assert folder_uids(dovecot, user, "Incoming") == {}
        assert run_once(app) == {}
    finally:
        app.db.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_connections_dropped_mid_batch_reconnect_and_resume(
    imap_app: App, dovecot: Dovecot, user: str, caplog: pytest.LogCaptureFixture
) -> None:
    raws = [path.read_bytes() for path in FIXTURES]
    append(dovecot, user, raws)
    source = fast(source_for(imap_app))
    source.batch_size = 4  # several batches, so a drop also hits a later batch's FETCH
    try:
        for n, fetched in enumerate(source.fetch_new()):
            result = process(imap_app, fetched.raw, source_key=fetched.key)
            if n == 0:
                dovecot.kick(user)  # the server drops us between the commit and the move
            source.mark_done(fetched.key, result.status)
            if n in (3, 7):
                dovecot.kick(user)  # ... and after a batch's last mail, before the next batch's FETCH
    finally:
        source.close()
    reconnects = [r.getMessage() for r in caplog.records if "reconnecting" in r.getMessage()]
    assert len(reconnects) == 3, reconnects  # each kick was felt, and cured by one reconnect
    assert any("move mail" in m for m in reconnects) and any("fetch mail" in m for m in reconnects)
    assert_each_mail_handled_once(imap_app, raws)
    assert folder_uids(dovecot, user, "INBOX") == {}
    assert len(folder_uids(dovecot, user, PROCESSED)) + len(folder_uids(dovecot, user, FAILED)) == len(raws)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_server_restart_fails_the_call_plainly_then_the_next_run_resumes(
    imap_app: App, dovecot: Dovecot, user: str
) -> None:
    raws = [path.read_bytes() for path in FIXTURES]
    append(dovecot, user, raws)
    source = fast(source_for(imap_app))
    fetched_mails = source.fetch_new()
    for _ in range(2):
        fetched = next(fetched_mails)
        source.mark_done(fetched.key, process(imap_app, fetched.raw, source_key=fetched.key).status)
    third = next(fetched_mails)
    result = process(imap_app, third.raw, source_key=third.key)  # committed ...
    dovecot.stop()  # ... and the server goes away before the move
    try:
        with pytest.raises(
            MailbotError, match=rf"IMAP server {HOST}:{dovecot.imap_port}: cannot move mail .* after 3 attempts"
        ):
            source.mark_done(third.key, result.status)
    finally:
        source.close()
        dovecot.start()
    counts = run_once(imap_app)
    assert counts.get("duplicate") == 1  # the third mail: committed before, not handled again
    assert sum(counts.values()) == len(raws) - 2
    assert_each_mail_handled_once(imap_app, raws)
    assert folder_uids(dovecot, user, "INBOX") == {}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_oversize_mail_is_yielded_with_its_header_only(imap_app: App, dovecot: Dovecot, user: str) -> None:
    header = b"From: Li Na <li.na@corp.example>\r\nTo: minutes@corp.example\r\nSubject: big\r\nMessage-ID: <big@corp.example>\r\n\r\n"
    big = header + (b"x" * 76 + b"\r\n") * (MAX_BYTES // 78 + 10)
    small = (MAILS / "outlook_zh_autoreply.eml").read_bytes()
    append(dovecot, user, [big, small])
    source = source_for(imap_app)
    try:
        fetched = list(source.fetch_new())
    finally:
        source.close()
    assert [(f.too_big, len(f.raw) < 1000) for f in fetched] == [(True, True), (False, False)]
    assert fetched[0].raw == header  # the header block, ending with its blank line: a parseable mail
    assert fetched[1].raw == small
    # The mail still leaves the folder, so it is not fetched again on every pass.
    run_once(imap_app)
    assert folder_uids(dovecot, user, "INBOX") == {}


def test_wait_for_mail_returns_when_mail_arrives_over_idle(dovecot: Dovecot, user: str) -> None:
    append(dovecot, user, [])  # the user's INBOX exists once they log in
    source = ImapSource(HOST, dovecot.imap_port, user, PASSWORD, security="none")
    try:
        began = time.monotonic()
        assert source.wait_for_mail(0.3) is False
        assert 0.25 < time.monotonic() - began < 2
        raw = (MAILS / "outlook_zh_autoreply.eml").read_bytes()
        threading.Timer(0.2, dovecot.deliver, args=(user, raw)).start()
        began = time.monotonic()
        assert source.wait_for_mail(10) is True
        latency = time.monotonic() - began
        assert latency < 3, latency  # Dovecot notifies ~0.5 s after delivery
        # Mail already waiting: True at once, no IDLE round.
        began = time.monotonic()
        assert source.wait_for_mail(10) is True
        assert time.monotonic() - began < 0.5
        (fetched,) = list(source.fetch_new())
        assert raw in fetched.raw  # LMTP added only its trace headers (Return-Path, Delivered-To)
    finally:
        source.close()


@pytest.mark.parametrize("when", ["before", "after"])
def test_mail_arriving_as_idle_starts_is_seen_at_once(
    dovecot: Dovecot, user: str, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    # Dovecot does not announce a mail delivered after the check but before its IDLE runs, and a
    # mail delivered just after loses its 0.5 s-delayed notice to the DONE: both stayed silent
    # until the caller's timeout (the daemon: a second), and a bare SEARCH after the DONE did not
    # see the second one either. The short first IDLE round and the NOOP + SEARCH behind it do.
    append(dovecot, user, [])
    source = ImapSource(HOST, dovecot.imap_port, user, PASSWORD, security="none")
    raw = (MAILS / "outlook_zh_autoreply.eml").read_bytes()
    try:
        assert source.wait_for_mail(0.05) is False  # connected and selected
        client = source._client
        assert client is not None
        idle = client.idle

        def deliver_then_idle() -> object:
            monkeypatch.setattr(client, "idle", idle)  # once: the next rounds are plain IDLE
            if when == "before":
                dovecot.deliver(user, raw)  # delivered, LMTP answered, before IDLE is even sent
                return idle()
            started = idle()
            dovecot.deliver(user, raw)  # the server answered "+ idling": its IDLE runs
            return started

        monkeypatch.setattr(client, "idle", deliver_then_idle)
        began = time.monotonic()
        assert source.wait_for_mail(10) is True
        latency = time.monotonic() - began
        assert latency < 0.45, latency  # sooner than Dovecot's 0.5 s notification: the check saw it
        (fetched,) = list(source.fetch_new())
        assert raw in fetched.raw
    finally:
        source.close()


def test_mark_done_failed_moves_to_the_failed_folder_unread(dovecot: Dovecot, user: str) -> None:
    append(dovecot, user, [(MAILS / "broken_multipart_no_boundary.eml").read_bytes()])
    source = ImapSource(HOST, dovecot.imap_port, user, PASSWORD, security="none", failed_folder="Bot/Failed")
    try:
        (fetched,) = list(source.fetch_new())
        source.mark_done(fetched.key, "failed")
        source.mark_done(fetched.key, "failed")  # again (a retry after a lost answer): harmless
    finally:
        source.close()
    (flags,) = folder_uids(dovecot, user, "Bot.Failed").values()
    assert b"\\Seen" not in flags
    assert folder_uids(dovecot, user, "INBOX") == {}


def test_a_wrong_password_is_a_plain_error(dovecot: Dovecot, user: str) -> None:
    source = ImapSource(HOST, dovecot.imap_port, user, "wrong", security="none")
    with pytest.raises(MailbotError, match="refused the login of") as caught:
        list(source.fetch_new())
    assert "wrong" not in str(caught.value)  # the password never reaches a message


def test_an_unreachable_server_gives_up_after_bounded_retries() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    slept: list[float] = []
    source = ImapSource(HOST, port, "bot@corp.example", PASSWORD, security="none", retries=3,
                        backoff_seconds=1.0, max_backoff_seconds=3.0, sleep=slept.append)  # fmt: skip
    with pytest.raises(MailbotError, match=rf"{HOST}:{port}: cannot search the folder after 4 attempts"):
        list(source.fetch_new())
    assert slept == [1.0, 2.0, 3.0]  # exponential, capped


def test_wait_for_mail_polls_where_idle_is_not_used(dovecot: Dovecot, user: str) -> None:
    append(dovecot, user, [])
    source = ImapSource(HOST, dovecot.imap_port, user, PASSWORD, security="none", idle=False, poll_seconds=0.1)
    try:
        assert source.wait_for_mail(0.3) is False
        threading.Timer(0.2, dovecot.deliver, args=(user, (MAILS / "outlook_zh_autoreply.eml").read_bytes())).start()
        began = time.monotonic()
        assert source.wait_for_mail(10) is True
        assert time.monotonic() - began < 2
    finally:
        source.close()


def test_a_missing_folder_is_a_plain_error(dovecot: Dovecot, user: str) -> None:
    source = ImapSource(HOST, dovecot.imap_port, user, PASSWORD, security="none", folder="Nope")
    with pytest.raises(MailbotError, match=r"cannot open folder 'Nope' of .*\(source.imap.folder\)"):
        list(source.fetch_new())
    source.close()
