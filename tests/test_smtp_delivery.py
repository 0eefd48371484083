"""SMTP delivery against a real server: aiosmtpd relays over LMTP into Dovecot, and each test reads
the recipient's mailbox over IMAP, as the recipient's mail client would.

The outbox rows are decided with `enqueue` and delivered with `flush`, exactly as the daemon does;
the SMTP server answers 451 or 550 for chosen recipients to show what the outbox does then.
"""

from __future__ import annotations

import re
import socket
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.cli import delivery_for
from mailbot.clock import FixedClock
from mailbot.config import default_config_text, load_config
from mailbot.delivery.smtp import SmtpDelivery
from mailbot.outbox import enqueue, flush
from mailbot.store.models import OutboxMail
from tests.conftest import need_server

if TYPE_CHECKING:
    from tests.servers import Dovecot, SmtpServer

# The server fixtures, once per session. Registered as a plugin, not imported: an import would
# give each test module its own session fixture, hence its own Dovecot.
pytest_plugins = ["tests.servers"]
HOST = "127.0.0.1"

BOT = "minutes@corp.example"
HELP_CONTEXT = {"reason": None, "original_subject": "你好", "token": None, "bot_name": "Mailbot",
                "bot_address": BOT, "docs_url": ""}  # fmt: skip


@pytest.fixture
def smtp_app(tmp_path: Path, database_url: str, smtp_server: SmtpServer, clock: FixedClock) -> Iterator[App]:
    """A bot home as `mailbot init` writes it, delivering through the test SMTP server."""
    text = default_config_text(BOT).replace('url = "sqlite:///mailbot.db"', f'url = "{database_url}"')
    text = text.replace('[delivery]\nkind = "maildir"', '[delivery]\nkind = "smtp"')
    assert 'kind = "smtp"' in text, "default_config_text changed its [delivery] section"
    text += f'\n[delivery.smtp]\nhost = "{HOST}"\nport = {smtp_server.port}\nsecurity = "none"\ntimeout_seconds = 10\n'
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    app = App.open(load_config(tmp_path / "config.toml"), clock)
    yield app
    app.db.dispose()


def recipient() -> str:
    # A fresh mailbox per test: the Dovecot lives for the whole session.
    return f"zhang-{uuid.uuid4().hex[:10]}@corp.example"


def decide(app: App, to: str, key: str, **extra: Any) -> None:
    with app.db.transaction() as session:
        enqueue(
            session, app.renderer, app.sender, key=key, kind="help", to_address=to, to_name="张伟", language="zh",
            context=HELP_CONTEXT, now=app.now(), **extra,
        )  # fmt: skip


def send(app: App, delivery: Any = None) -> dict[str, int]:
    return flush(app.db, delivery or delivery_for(app), app.sender, app.renderer, app.clock)


def row(app: App, key: str) -> OutboxMail:
    with app.db.session() as session:
        found = session.scalar(select(OutboxMail).where(OutboxMail.key == key))
        assert found is not None
        return found


def test_a_sent_mail_arrives_threaded_auto_submitted_with_a_utf8_subject(
    smtp_app: App, smtp_server: SmtpServer, dovecot: Dovecot
) -> None:
    to = recipient()
    decide(smtp_app, to, "help:smtp:1", in_reply_to="orig@client.example", references=["a@x", "orig@client.example"],
           auto_submitted="auto-replied", reply_token="M3.abcdefghij")  # fmt: skip
    assert send(smtp_app) == {"sent": 1, "retry": 0, "failed": 0}
    (message,) = dovecot.read_mailbox(to)
    sent = row(smtp_app, "help:smtp:1")
    assert message["Message-ID"] == f"<{sent.message_id}>"
    assert message["In-Reply-To"] == "<orig@client.example>"
    assert message["References"] == "<a@x> <orig@client.example>"
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["From"] == f"Mailbot <{BOT}>"
    assert message["To"] == f"张伟 <{to}>"
    assert message["Subject"] == sent.subject and "你好" in message["Subject"]
    assert message["Reply-To"] == "Mailbot <minutes+M3.abcdefghij@corp.example>"
    assert message.get_body(("plain",)).get_content().strip()  # type: ignore[union-attr]
    assert message.get_body(("html",)) is not None
    # The envelope: from this mail's own return path (VERP: the bot's plus-address with an HMAC of
    # the outbox row) to exactly this recipient; headers RFC 2047-encoded on the wire, since the
    # server offers no SMTPUTF8.
    mail_from, rcpt_tos, raw = smtp_server.handler.received[-1]
    assert re.fullmatch(r"minutes\+b\d+\.[a-z2-7]{10}@corp\.example", mail_from), mail_from
    assert rcpt_tos == [to]
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n", 1)[0].lower()
    assert send(smtp_app) == {"sent": 0, "retry": 0, "failed": 0}  # sent once, never again
    assert len(dovecot.read_mailbox(to)) == 1


def test_a_4xx_answer_keeps_the_row_for_a_later_retry(
    smtp_app: App, smtp_server: SmtpServer, dovecot: Dovecot, clock: FixedClock
) -> None:
    to = recipient()
    decide(smtp_app, to, "help:smtp:451")
    smtp_server.handler.temporary_failures.add(to)
    try:
        assert send(smtp_app) == {"sent": 0, "retry": 1, "failed": 0}
        deferred = row(smtp_app, "help:smtp:451")
        assert (deferred.status, deferred.attempts) == ("pending", 1)
        assert deferred.last_error is not None and deferred.last_error.startswith("451")
        assert deferred.next_attempt_at > smtp_app.now()
        assert send(smtp_app) == {"sent": 0, "retry": 0, "failed": 0}  # not due yet
    finally:
        smtp_server.handler.temporary_failures.discard(to)
    assert dovecot.read_mailbox(to) == []
    clock.advance(deferred.next_attempt_at - smtp_app.now() + timedelta(seconds=1))
    assert send(smtp_app) == {"sent": 1, "retry": 0, "failed": 0}
    assert row(smtp_app, "help:smtp:451").status == "sent"
    assert len(dovecot.read_mailbox(to)) == 1


def test_a_5xx_answer_fails_the_row_for_good(smtp_app: App, smtp_server: SmtpServer, dovecot: Dovecot) -> None:
    to, other = recipient(), recipient()
    decide(smtp_app, to, "help:smtp:550")
    decide(smtp_app, other, "help:smtp:ok")
    smtp_server.handler.permanent_failures.add(to)
    try:
        # The refused recipient does not stop the next row on the same connection.
        assert send(smtp_app) == {"sent": 1, "retry": 0, "failed": 1}
    finally:
        smtp_server.handler.permanent_failures.discard(to)
    failed = row(smtp_app, "help:smtp:550")
    assert failed.status == "failed" and failed.last_error is not None and failed.last_error.startswith("550")
    assert send(smtp_app) == {"sent": 0, "retry": 0, "failed": 0}
    assert dovecot.read_mailbox(to) == []
    assert len(dovecot.read_mailbox(other)) == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_unreachable_server_is_a_temporary_failure(smtp_app: App) -> None:
    decide(smtp_app, recipient(), "help:smtp:down")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    nobody = SmtpDelivery(HOST, port, security="none", envelope_from=BOT, timeout=5)
    assert send(smtp_app, nobody) == {"sent": 0, "retry": 1, "failed": 0}
    assert row(smtp_app, "help:smtp:down").status == "pending"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_starttls_with_a_self_signed_certificate(smtp_app: App, smtp_server: SmtpServer, dovecot: Dovecot) -> None:
    if smtp_server.tls_port is None:
        need_server("openssl is not installed: no certificate for the STARTTLS server")
    to = recipient()
    decide(smtp_app, to, "help:smtp:tls")
    delivery = SmtpDelivery(HOST, smtp_server.tls_port, security="starttls", envelope_from=BOT, timeout=10,
                            ssl_context=smtp_server.client_tls_context())  # fmt: skip
    assert send(smtp_app, delivery) == {"sent": 1, "retry": 0, "failed": 0}
    (message,) = dovecot.read_mailbox(to)
    assert message["Auto-Submitted"] == "auto-generated"


def test_a_plain_relay_never_loads_the_certificate_store(monkeypatch: pytest.MonkeyPatch) -> None:
    # The daemon makes a delivery on every pass; loading the CA store cost 20-60 ms of each answer.
    import ssl

    made: list[object] = []
    create = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context", lambda *a, **k: made.append(a) or create(*a, **k))
    plain = SmtpDelivery(HOST, 25, security="none", envelope_from=BOT)
    plain.close()
    assert made == []
    secure = SmtpDelivery(HOST, 465, security="ssl", envelope_from=BOT)
    assert made == []  # made when first needed, then kept
    assert secure.ssl_context is secure.ssl_context and len(made) == 1


class Recording:
    """An aiosmtpd handler that keeps what it is given (envelope and bytes), relaying nothing."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's hook name
        self.received.append((list(envelope.rcpt_tos), envelope.original_content, list(envelope.mail_options)))
        return "250 OK"


@pytest.mark.parametrize("smtputf8", [True, False], ids=["server-says-smtputf8", "server-does-not"])
def test_a_unicode_address_goes_out_where_the_server_says_smtputf8_and_fails_alone_where_not(
    smtp_app: App, smtputf8: bool
) -> None:
    from email import message_from_string
    from email import policy as email_policy

    from aiosmtpd.controller import Controller

    from tests.servers import free_port

    handler = Recording()
    controller = Controller(handler, hostname=HOST, port=free_port(), enable_SMTPUTF8=smtputf8)
    controller.start()
    try:
        decide(smtp_app, "测试@corp.example", "help:smtputf8")
        decide(smtp_app, "zhang.wei@corp.example", "help:ascii")
        delivery = SmtpDelivery(HOST, controller.port, security="none", envelope_from=BOT, timeout=10)
        counts = send(smtp_app, delivery)
    finally:
        controller.stop()
    if smtputf8:
        assert counts == {"sent": 2, "retry": 0, "failed": 0}
        (rcpt, raw, options), _ = handler.received
        assert rcpt == ["测试@corp.example"] and "SMTPUTF8" in options
        message = message_from_string(raw.decode("utf-8"), policy=email_policy.SMTPUTF8)  # 8-bit headers
        assert message["To"].addresses[0].addr_spec == "测试@corp.example"
    else:
        assert counts == {"sent": 1, "retry": 0, "failed": 1}
        failed = row(smtp_app, "help:smtputf8")
        assert failed.status == "failed" and "cannot carry this address" in (failed.last_error or "")
        ((rcpt, _, _),) = handler.received
        assert rcpt == ["zhang.wei@corp.example"]
