"""Crash-restart under load: the daemon (IMAP in, SMTP out) SIGKILLed K times while N mails wait.

    .venv/bin/python bench/crash_smtp.py --mails 1000 --kills 40                 # SQLite in a temp dir
    .venv/bin/python bench/crash_smtp.py --mails 1000 --kills 40 --seed 7 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test         # a fresh schema, dropped after

A throw-away Dovecot and an aiosmtpd relay (into that Dovecot over LMTP) on loopback, as in
tests/test_crash_and_concurrency.py. N help requests, each from its own sender, are APPENDed to the
bot's INBOX; the daemon (`python -m mailbot.cli … run`, configured as the crash test does) is
started, SIGKILLed after a seeded uniform random delay (--min-delay..--max-delay s), restarted at
once, K times; the last one finishes the work and is stopped with SIGTERM. Then the figures, from
the database and from each sender's Dovecot mailbox (read over IMAP): every mail recorded once,
every answer delivered once, except the one duplicate per kill the outbox allows (README,
"Guarantees and their one exception": SMTP accepted, killed before the "sent" commit).
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.*: the same servers and helpers the crash test uses

import sqlalchemy  # noqa: E402
from imap_latency import dovecot_server  # noqa: E402  (same folder: the shared set-up)
from sqlalchemy import func, select  # noqa: E402

from mailbot.store.db import Database  # noqa: E402
from mailbot.store.models import InboundMail, OutboxMail  # noqa: E402
from tests.servers import HOST, Dovecot, RelayHandler, SmtpServer, free_port  # noqa: E402
from tests.test_crash_and_concurrency import (  # noqa: E402
    append_mails,
    counts,
    inbox_count,
    start_daemon,
    stop,
    write_config,
)


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A fresh schema on the server of `url`, dropped afterwards (as tests/conftest.py does)."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(url)
    with admin.begin() as connection:
        connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def database_url(given: str | None, work: Path) -> Iterator[str]:
    if given is None:
        yield "sqlite:///" + str(work / "mailbot.db")
    elif given.startswith("postgresql"):
        with postgres_schema(given) as url:
            yield url
    else:
        yield given


def done(db: Database, dovecot: Dovecot, user: str, mails: int) -> tuple[bool, int, int, int]:
    """All recorded, nothing pending, INBOX empty; and those three figures."""
    inbound, pending = counts(db)
    left = inbox_count(dovecot, user)
    return inbound >= mails and pending == 0 and left == 0, inbound, pending, left


def arrived_ids(dovecot: Dovecot, senders: list[str]) -> Counter[str]:
    """Each Message-ID in the senders' mailboxes, with how often it is there."""
    arrived: Counter[str] = Counter()
    for sender in senders:
        arrived.update(str(m["Message-ID"]).strip().strip("<>") for m in dovecot.read_mailbox(sender))
    return arrived


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=40)
    parser.add_argument("--seed", type=int, default=None, help="for the kill delays; random when not given")
    parser.add_argument("--min-delay", type=float, default=0.2, help="shortest run before a kill, s")
    parser.add_argument("--max-delay", type=float, default=1.5, help="longest run before a kill, s")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file in a temp dir")
    parser.add_argument("--timeout", type=float, default=300.0, help="for the last daemon to finish, s")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    rng = random.Random(seed)
    delays = [rng.uniform(args.min_delay, args.max_delay) for _ in range(args.kills)]

    from aiosmtpd.controller import Controller

    work = Path(tempfile.mkdtemp(prefix="mailbot-bench-crash-"))
    log_file = work / "daemon.log"
    keep = False
    with dovecot_server() as dovecot, database_url(args.database_url, work) as url:
        handler = RelayHandler(lmtp_port=dovecot.lmtp_port)
        controller = Controller(handler, hostname=HOST, port=free_port())
        controller.start()
        db = Database(url)  # migrated here, before any daemon, as `mailbot db upgrade` would
        try:
            user = dovecot.new_user()
            config = write_config(work / "home", url, dovecot, SmtpServer(HOST, controller.port, handler), user)
            began = time.monotonic()
            senders, ids = append_mails(dovecot, user, args.mails)
            append_seconds = time.monotonic() - began

            began = time.monotonic()
            busy_kills = 0  # kills that landed while work was left (not on an idle daemon)
            exits: list[int] = []
            for delay in delays:
                daemon = start_daemon(config, log_file)
                time.sleep(delay)
                if daemon.poll() is not None:
                    exits.append(daemon.returncode)  # died on its own: reported below
                else:
                    daemon.send_signal(signal.SIGKILL)
                    daemon.wait(timeout=10)
                busy_kills += not done(db, dovecot, user, args.mails)[0]
            daemon = start_daemon(config, log_file)
            try:
                deadline = time.monotonic() + args.timeout
                finished, inbound, pending, left = done(db, dovecot, user, args.mails)
                while not finished and time.monotonic() < deadline and daemon.poll() is None:
                    time.sleep(0.2)
                    finished, inbound, pending, left = done(db, dovecot, user, args.mails)
                wall = time.monotonic() - began
                if daemon.poll() is not None:
                    exits.append(daemon.returncode)
            finally:
                stop(daemon)
            last_exit = daemon.returncode

            with db.session() as session:
                recorded = Counter(session.scalars(select(InboundMail.message_id)))
                outcomes = Counter(session.scalars(select(InboundMail.outcome)))
                outbox = list(session.execute(select(OutboxMail.message_id, OutboxMail.status)))
                attempts = session.scalar(select(func.sum(OutboxMail.attempts))) or 0
            arrived = arrived_ids(dovecot, senders)
        finally:
            db.dispose()
            controller.stop()

    appended = Counter(ids)
    decided = {message_id for message_id, _ in outbox}
    statuses = Counter(status for _, status in outbox)
    twice = {m: n for m, n in arrived.items() if n > 1}
    lost = [m for m in appended if m not in recorded]
    recorded_twice = [m for m, n in recorded.items() if n > 1]
    strangers = [m for m in arrived if m not in decided]
    never = [m for m in decided if m not in arrived]
    extra_copies = sum(n - 1 for n in twice.values())

    print(f"database         {url.split('?')[0].split('://')[0]} ({'fresh schema' if '?options' in url else url})")
    print(f"seed             {seed}; {args.kills} SIGKILLs after {args.min_delay:g}..{args.max_delay:g} s each:")
    print("                 " + " ".join(f"{d:.2f}" for d in delays))
    print(f"kills with work left  {busy_kills} of {args.kills}" + (f"; exited on their own: {exits}" if exits else ""))
    print(f"mails appended   {len(ids)} (in {append_seconds:.1f} s)")
    print(
        f"mails recorded   {len(set(recorded) & set(appended))} (rows {sum(recorded.values())}; outcomes {dict(outcomes)})"
    )
    print(f"recorded twice   {len(recorded_twice)}" + (f": {recorded_twice[:5]}" if recorded_twice else ""))
    print(f"mails lost       {len(lost)}" + (f": {lost[:5]}" if lost else ""))
    print(f"INBOX left       {left}")
    print(f"answers decided  {len(outbox)} (status {dict(statuses)}; attempts {attempts})")
    print(f"answers delivered {len(set(arrived) & decided)} (SMTP accepted {len(handler.received)})")
    print(f"delivered twice  {len(twice)} ({extra_copies} extra copies; allowed: ≤ 1 per kill = {args.kills})")
    print(f"never delivered  {len(never)}" + (f": {never[:5]}" if never else ""))
    if strangers:
        print(f"strangers        {len(strangers)} delivered, never decided: {strangers[:5]}")
    print(f"wall time        {wall:.1f} s (first start → all recorded, sent and moved; last stop exit {last_exit})")
    if not finished:
        print(f"NOT FINISHED in {args.timeout:g} s: recorded {inbound}, pending {pending}, INBOX {left}")
    if not finished or lost or recorded_twice or never or strangers or extra_copies > args.kills or exits:
        keep = True
        print(f"anomaly: work dir kept, daemon log {log_file}")
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if keep else 0


if __name__ == "__main__":
    sys.exit(main())
