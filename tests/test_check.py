"""`mailbot check`: one plain line per part, exit 1 if any failed, nothing changed or sent."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from imapclient import IMAPClient

from mailbot.cli import main
from mailbot.config import default_config_text
from tests.servers import free_port

if TYPE_CHECKING:
    from tests.servers import Dovecot, SmtpServer

pytest_plugins = ["tests.servers"]
HOST = "127.0.0.1"
PASSWORD = "secret"  # tests.servers' static passdb


def check(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["--config", str(config), "check"])
    return code, capsys.readouterr().out.splitlines()


def test_the_embedded_default_checks_ok_and_is_left_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path / "bot")]) == 0
    capsys.readouterr()
    (tmp_path / "bot" / "inbox" / "new" / "1.eml").write_bytes(b"Subject: x\n\nx\n")
    code, lines = check(tmp_path / "bot" / "config.toml", capsys)
    assert code == 0, lines
    assert len(lines) == 5
    assert lines[0].startswith("database sqlite:///") and ": OK, schema revision " in lines[0]
    assert lines[1] == f"Maildir inbox {tmp_path / 'bot' / 'inbox'}: OK, 1 mail waiting in new/"
    assert lines[2] == f"Maildir outbox {tmp_path / 'bot' / 'sent'}: OK, writable"
    # What `init` leaves for the administrator to fill in: said, without failing the check.
    assert lines[3].startswith("[bot] admin: WARNING — none set: a forgery someone denies")
    assert lines[4].startswith("[trust] authserv_id: WARNING — none set: an agenda, minutes or a new mail")
    config = tmp_path / "bot" / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        .replace('admin = ""', 'admin = "it@corp.example"')
        .replace('authserv_id = ""', 'authserv_id = "mx.corp.example"'),
        encoding="utf-8",
    )
    code, lines = check(config, capsys)
    assert code == 0 and len(lines) == 3, lines
    # The check wrote nothing it leaves behind, and did not take the waiting mail.
    assert (tmp_path / "bot" / "inbox" / "new" / "1.eml").exists()
    assert not list((tmp_path / "bot").rglob(".mailbot-check-*"))


def test_a_missing_maildir_and_a_fresh_database_are_reported_in_plain_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "config.toml").write_text(default_config_text(), encoding="utf-8")  # no `init`: no folders
    code, lines = check(tmp_path / "config.toml", capsys)
    assert code == 1
    assert lines[0].endswith("OK, reachable, no schema yet (the first `mailbot run` creates it)")
    assert lines[1].startswith(f"Maildir inbox {tmp_path / 'inbox'}: FAILED — no such Maildir folder")
    assert lines[2] == f"Maildir outbox {tmp_path / 'sent'}: OK, will be created in {tmp_path} on the first mail"
    # A check never migrates: checked again, the database still has no schema.
    _, lines = check(tmp_path / "config.toml", capsys)
    assert "no schema yet" in lines[0]


def servers_config(
    tmp_path: Path, dovecot: Dovecot, smtp_port: int, user: str, *, smtp_user: str = "", imap_folder: str = "INBOX"
) -> Path:
    text = default_config_text("minutes@corp.example").replace(
        'url = "sqlite:///mailbot.db"', f'url = "sqlite:///{tmp_path}/bot.db"'
    )
    text = text.replace('[source]\nkind = "maildir"', '[source]\nkind = "imap"')
    text = text.replace('[delivery]\nkind = "maildir"', '[delivery]\nkind = "smtp"')
    text += f"""
[source.imap]
host = "{HOST}"
port = {dovecot.imap_port}
security = "none"
username = "{user}"
folder = "{imap_folder}"

[delivery.smtp]
host = "{HOST}"
port = {smtp_port}
security = "none"
username = "{smtp_user}"
timeout_seconds = 5
"""
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    return tmp_path / "config.toml"


def test_imap_and_smtp_servers_check_ok_without_touching_the_mailbox(
    tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    user = dovecot.new_user()
    with IMAPClient(HOST, dovecot.imap_port, ssl=False, timeout=10) as client:
        client.login(user, PASSWORD)
        for n in range(3):
            client.append("INBOX", f"Subject: {n}\r\n\r\nbody\r\n".encode())
    monkeypatch.setenv("MAILBOT_IMAP_PASSWORD", PASSWORD)
    received_before = len(smtp_server.handler.received)
    code, lines = check(servers_config(tmp_path, dovecot, smtp_server.port, user), capsys)
    assert code == 0, lines
    assert lines[1] == f"IMAP {HOST}:{dovecot.imap_port} as {user}: OK, INBOX has 3 mails"
    assert lines[2] == f"SMTP {HOST}:{smtp_server.port}: OK, EHLO answered (no mail sent)"
    assert len(smtp_server.handler.received) == received_before
    assert len(dovecot.read_mailbox(user)) == 3  # still there, still unread by the bot


def test_a_wrong_password_a_missing_folder_and_a_closed_port_each_give_a_failed_line(
    tmp_path: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    user = dovecot.new_user()
    closed = free_port()  # nothing listens there
    monkeypatch.setenv("MAILBOT_IMAP_PASSWORD", "not-the-password")
    config = servers_config(tmp_path, dovecot, closed, user)
    code, lines = check(config, capsys)
    assert code == 1
    assert lines[0].startswith("database ") and ": OK, " in lines[0]
    assert lines[1] == (
        f"IMAP {HOST}:{dovecot.imap_port} as {user}: FAILED — login refused "
        "(check source.imap.username and the password)"
    )
    assert "not-the-password" not in "\n".join(lines)
    assert lines[2] == f"SMTP {HOST}:{closed}: FAILED — connection refused"

    monkeypatch.setenv("MAILBOT_IMAP_PASSWORD", PASSWORD)
    code, lines = check(servers_config(tmp_path, dovecot, closed, user, imap_folder="Nowhere"), capsys)
    assert code == 1
    assert lines[1].startswith(f"IMAP {HOST}:{dovecot.imap_port} as {user}: FAILED — cannot open folder 'Nowhere'")
