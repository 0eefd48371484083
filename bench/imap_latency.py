"""Mail-in to answer-out latency of the running daemon on a local Dovecot (IDLE) and SMTP server.

    .venv/bin/python bench/imap_latency.py --mails 200      # prints p50/p95/max in ms

One mail at a time is APPENDed to the bot's INBOX; the clock stops when the SMTP server accepts
the bot's answer (matched by In-Reply-To). The daemon runs as in production, a separate process
(`mailbot run`, default interval, so new mail is seen through IDLE, not polling). Dovecot delays
IDLE notifications by ~0.5 s on purpose: that is the floor for mail landing while the daemon idles.
By default each mail is APPENDed the moment the previous answer is accepted, i.e. while the daemon
re-enters IDLE: the worst moment (Dovecot does not announce mail landing then; the daemon's 0.1 s
re-check finds it). `--jitter S` waits a random 0..S s first, so mail also lands mid-IDLE and
takes the notification path. Each mail comes from its own sender, so the per-sender answer limit
never suppresses one.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.servers: the same throw-away Dovecot the tests use

from imapclient import IMAPClient  # noqa: E402

from mailbot.config import default_config_text  # noqa: E402
from tests.servers import HOST, PASSWORD, Dovecot, free_port  # noqa: E402

BOT = "minutes@corp.example"


@dataclass
class AcceptingHandler:
    """aiosmtpd handler: accepts everything and notes when each answer arrived (no relay)."""

    accepted: dict[str, float] = field(default_factory=dict)  # In-Reply-To → monotonic time
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.monotonic()
        reply_to = str(message_from_bytes(envelope.content).get("In-Reply-To", "")).strip().strip("<>")
        with self.arrived:
            self.accepted[reply_to] = now
            self.arrived.notify_all()
        return "250 Message accepted for delivery"


@contextmanager
def dovecot_server() -> Iterator[Dovecot]:
    root = Path(tempfile.mkdtemp(prefix="mailbot-bench-dovecot-"))
    root.chmod(0o755)  # Dovecot's mail processes run as nobody when we are root
    server = Dovecot(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def bot_config(home: Path, dovecot: Dovecot, user: str, smtp_port: int | None) -> Path:
    """SQLite in `home`, IMAP in; SMTP out to `smtp_port`, or the default Maildir when None."""
    text = default_config_text(BOT).replace('[source]\nkind = "maildir"', '[source]\nkind = "imap"')
    text += f'\n[source.imap]\nhost = "{HOST}"\nport = {dovecot.imap_port}\nsecurity = "none"\nusername = "{user}"\n'
    if smtp_port is not None:
        text = text.replace('[delivery]\nkind = "maildir"', '[delivery]\nkind = "smtp"')
        text += f'\n[delivery.smtp]\nhost = "{HOST}"\nport = {smtp_port}\nsecurity = "none"\n'
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text, encoding="utf-8")
    return home / "config.toml"


def help_mail(n: int, tag: str) -> tuple[str, bytes]:
    msg = EmailMessage()
    msg["From"] = f"s{n}-{tag}@corp.example"
    msg["To"] = BOT
    msg["Subject"] = "help"
    message_id = f"bench-{n}-{tag}@corp.example"
    msg["Message-ID"] = f"<{message_id}>"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg.set_content("help\n")
    return message_id, msg.as_bytes()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=200)
    parser.add_argument("--jitter", type=float, default=0.0, help="wait a random 0..S seconds before each APPEND")
    args = parser.parse_args()

    from aiosmtpd.controller import Controller

    handler = AcceptingHandler()
    controller = Controller(handler, hostname=HOST, port=free_port())
    controller.start()
    home = Path(tempfile.mkdtemp(prefix="mailbot-bench-home-"))
    with dovecot_server() as dovecot:
        user = dovecot.new_user()
        with IMAPClient(HOST, dovecot.imap_port, ssl=False, timeout=10) as client:
            client.login(user, PASSWORD)
            # A bot that ran before: no first-start baseline, which would race the warm-up mail
            # (APPENDed while the daemon is still importing) and move it out unanswered.
            client.create_folder("Mailbot.Processed")
        config = bot_config(home, dovecot, user, controller.port)
        env = {**os.environ, "MAILBOT_IMAP_PASSWORD": PASSWORD, "PYTHONPATH": str(ROOT)}
        log = (home / "daemon.log").open("wb")
        daemon = subprocess.Popen(
            [sys.executable, "-m", "mailbot.cli", "--config", str(config), "run"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        latencies: list[float] = []
        tag = uuid.uuid4().hex[:8]
        try:
            with IMAPClient(HOST, dovecot.imap_port, ssl=False, timeout=10) as client:
                client.login(user, PASSWORD)
                # Warm-up: the daemon's start (imports, migrations, first login) is not latency.
                for n in range(-1, args.mails):
                    message_id, raw = help_mail(n, tag)
                    if args.jitter > 0:
                        time.sleep(random.uniform(0, args.jitter))
                    began = time.monotonic()
                    client.append("INBOX", raw)
                    with handler.arrived:
                        if not handler.arrived.wait_for(lambda m=message_id: m in handler.accepted, timeout=60):
                            raise SystemExit(f"no answer to mail {n} in 60 s; see {home / 'daemon.log'}")
                    if n >= 0:
                        latencies.append(handler.accepted[message_id] - began)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=30)
            log.close()
            controller.stop()
    shutil.rmtree(home, ignore_errors=True)
    ms = [1000 * s for s in latencies]
    print(
        f"{len(ms)} mails, APPEND → answer accepted by SMTP: p50 {statistics.median(ms):.0f} ms, "
        f"p95 {percentile(ms, 0.95):.0f} ms, min {min(ms):.0f} ms, max {max(ms):.0f} ms "
        f"(jitter {args.jitter:g} s; Dovecot announces mail in IDLE ~500 ms after it lands)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
