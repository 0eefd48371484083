"""Real mail servers for tests, as a pytest plugin: a throw-away Dovecot (IMAP + LMTP) and an
aiosmtpd SMTP server that relays each accepted mail over LMTP into that Dovecot, so what the bot
sends lands in the recipients' mailboxes and a test reads it back over IMAP as they would.

Register with `pytest_plugins = ["tests.servers"]` in tests/conftest.py. Both servers live for
the whole session (Dovecot takes ~2 s to stop) on 127.0.0.1 and free high ports, in a temp dir.
Any user logs in with PASSWORD (static passdb), so each test takes fresh mailboxes by using a
fresh address (`dovecot.new_user()`): no cleanup between tests, no cross-test leaks.
Without the `dovecot` binary: skipped locally, failed in CI (`need_server`); install it with
`scripts/install-system-deps.sh`.
"""

from __future__ import annotations

import asyncio
import email
import os
import pwd
import shutil
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from mailbot.config import default_config_text
from tests.conftest import need_server

PASSWORD = "secret"
HOST = "127.0.0.1"


def free_port() -> int:
    # Free ports, not fixed ones: the lead and other helpers run test sessions side by side.
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class Dovecot:
    """One Dovecot instance in its own directory; `stop()`/`start()` keep the same ports."""

    host = HOST
    password = PASSWORD

    def __init__(self, root: Path) -> None:
        self.root = root
        self.imap_port = free_port()
        self.lmtp_port = free_port()
        self.config = root / "dovecot.conf"
        self.started_in = 0.0
        (root / "run").mkdir()
        (root / "state").mkdir()
        (root / "mail").mkdir()
        self.config.write_text(self._config_text(), encoding="utf-8")
        if os.geteuid() == 0:
            # Run as root, Dovecot refuses to write mail as root: the mail belongs to nobody.
            os.chown(root / "mail", 65534, 65534)

    def _config_text(self) -> str:
        root = self.root
        if os.geteuid() == 0:
            users = "mail_uid = 65534\nmail_gid = 65534\n"
        else:
            # Unprivileged (a developer's machine): every service runs as the current user.
            me = pwd.getpwuid(os.geteuid()).pw_name
            users = (
                f"mail_uid = {os.geteuid()}\nmail_gid = {os.getegid()}\n"
                f"default_internal_user = {me}\ndefault_login_user = {me}\n"
                "service imap-login {\n  chroot =\n}\n"
            )
        return f"""\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap lmtp
listen = {HOST}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0   # the 2 s default slows the wrong-password test for nothing
{users}mail_location = maildir:{root}/mail/%u
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = home={root}/mail/%u
}}
service anvil {{
  {"" if os.geteuid() == 0 else "chroot ="}
  # No auth penalty: after the wrong-password test, every login from 127.0.0.1 would wait seconds.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = {HOST}
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = {HOST}
    port = {self.lmtp_port}
  }}
}}
"""

    def start(self) -> None:
        began = time.monotonic()
        # No pipes: the daemon forks and keeps them open, so reading them would wait forever.
        subprocess.run(
            ["dovecot", "-c", str(self.config)], check=True, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30,
        )  # fmt: skip
        wait_for_port(self.imap_port)
        wait_for_port(self.lmtp_port)
        self.started_in = time.monotonic() - began

    def stop(self) -> None:
        # `dovecot stop` leaves running IMAP sessions alive (seen with 2.3.19); a real restart
        # drops them, and a test of "the server went away" must see that. Kick everyone first.
        subprocess.run(
            ["doveadm", "-c", str(self.config), "kick", "*"], check=False, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30,
        )  # fmt: skip
        subprocess.run(
            ["dovecot", "-c", str(self.config), "stop"], check=False, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30,
        )  # fmt: skip
        # `stop` returns before the master has released its listeners; a quick start() would race it.
        deadline = time.monotonic() + 10
        while (self.root / "run" / "master.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    def doveadm(self, *args: str) -> str:
        done = subprocess.run(
            ["doveadm", "-c", str(self.config), *args], check=True, capture_output=True, text=True, timeout=30
        )
        return done.stdout

    def kick(self, user: str) -> None:
        """Drop every IMAP connection of `user` from the server side, as a restart or a NAT would."""
        self.doveadm("kick", user)

    def read_mailbox(self, user: str, folder: str = "INBOX") -> list[EmailMessage]:
        return read_mailbox(self, user, folder)

    def new_user(self, local: str = "bot") -> str:
        return f"{local}-{uuid.uuid4().hex[:10]}@corp.example"

    def deliver(self, recipient: str, raw: bytes, sender: str = "test@corp.example") -> None:
        with smtplib.LMTP(HOST, self.lmtp_port) as lmtp:
            lmtp.sendmail(sender, [recipient], raw)


@dataclass
class RelayHandler:
    """aiosmtpd handler: refuses listed recipients, relays the rest into Dovecot over LMTP."""

    lmtp_port: int
    temporary_failures: set[str] = field(default_factory=set)  # answered 451 at RCPT
    permanent_failures: set[str] = field(default_factory=set)  # answered 550 at RCPT
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_RCPT(  # aiosmtpd's hook names
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() in self.temporary_failures:
            return "451 4.3.0 Mailbox temporarily unavailable, try again later"
        if address.lower() in self.permanent_failures:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), content))
        loop = asyncio.get_running_loop()
        try:
            # smtplib blocks; off the event loop, so the SMTP session is not stalled meanwhile.
            await loop.run_in_executor(None, self._relay, envelope.mail_from, list(envelope.rcpt_tos), content)
        except smtplib.SMTPException as exc:
            return f"451 4.4.0 LMTP relay failed: {exc}"
        return "250 Message accepted for delivery"

    def _relay(self, mail_from: str, rcpt_tos: list[str], content: bytes) -> None:
        with smtplib.LMTP(HOST, self.lmtp_port) as lmtp:
            lmtp.sendmail(mail_from, rcpt_tos, content)


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: RelayHandler
    tls_port: int | None = None  # STARTTLS required there
    cert_file: Path | None = None

    def client_tls_context(self) -> ssl.SSLContext:
        assert self.cert_file is not None
        context = ssl.create_default_context(cafile=str(self.cert_file))
        context.check_hostname = False  # the self-signed cert names "localhost", we dial 127.0.0.1
        return context


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    if shutil.which("dovecot") is None:
        need_server("dovecot is not installed (run scripts/install-system-deps.sh as root)")
    # Not pytest's tmp_path: it is 0700 root-owned, and Dovecot's mail processes run as nobody.
    root = Path(tempfile.mkdtemp(prefix="mailbot-dovecot-"))
    root.chmod(0o755)
    server = Dovecot(root)
    try:
        server.start()
    except (subprocess.SubprocessError, OSError) as exc:
        log = (root / "dovecot.log").read_text(errors="replace")[-2000:] if (root / "dovecot.log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        need_server(f"dovecot did not start: {exc}\n{log}")
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _self_signed(directory: Path) -> tuple[Path, Path] | None:
    if shutil.which("openssl") is None:
        return None
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="session")
def smtp_server(dovecot: Dovecot, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        need_server("aiosmtpd is not installed (pip install -e '.[dev]')")
    handler = RelayHandler(lmtp_port=dovecot.lmtp_port)
    plain = Controller(handler, hostname=HOST, port=free_port())
    plain.start()
    server = SmtpServer(HOST, plain.port, handler)
    controllers = [plain]
    made = _self_signed(tmp_path_factory.mktemp("smtp-tls"))
    if made is not None:
        cert, key = made
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(str(cert), str(key))
        tls = Controller(handler, hostname=HOST, port=free_port(), tls_context=tls_context, require_starttls=True)
        tls.start()
        controllers.append(tls)
        server.tls_port, server.cert_file = tls.port, cert
    try:
        yield server
    finally:
        for controller in controllers:
            controller.stop()


def read_mailbox(dovecot: Dovecot, user: str, folder: str = "INBOX") -> list[EmailMessage]:
    """Every mail in a user's folder, parsed, as the user's mail client would see it."""
    from imapclient import IMAPClient

    with IMAPClient(HOST, dovecot.imap_port, ssl=False, timeout=10) as client:
        client.login(user, PASSWORD)
        if not client.folder_exists(folder):
            return []
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        found = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
        return [
            email.message_from_bytes(found[uid][b"BODY[]"], policy=policy.default)  # type: ignore[misc]
            for uid in sorted(found)
        ]


def imap_smtp_config(address: str, database_url: str, dovecot: Dovecot, smtp_server: SmtpServer, user: str) -> str:
    """A bot's config as `mailbot init` writes it for `address`, switched to IMAP in (as `user` on
    this Dovecot) and SMTP out (this server), on `database_url`."""
    text = default_config_text(address).replace('url = "sqlite:///mailbot.db"', f'url = "{database_url}"')
    # The test SMTP server takes mail from anyone; the people here trust it as tests/conftest.py's
    # `home` does (`unproven = "apply"`); tests/test_trust.py tests the proof itself.
    text = text.replace('unproven = "confirm"', 'unproven = "apply"')
    text = text.replace('[source]\nkind = "maildir"', '[source]\nkind = "imap"')
    text = text.replace('[delivery]\nkind = "maildir"', '[delivery]\nkind = "smtp"')
    assert 'kind = "imap"' in text and 'kind = "smtp"' in text, "default_config_text changed its sections"
    return (
        text
        + f"""
[source.imap]
host = "{HOST}"
port = {dovecot.imap_port}
security = "none"
username = "{user}"

[delivery.smtp]
host = "{HOST}"
port = {smtp_server.port}
security = "none"
timeout_seconds = 10
"""
    )
