"""Crash-restart under load: the daemon (IMAP in, SMTP out) SIGKILLed K times while N mails wait.

    .venv/bin/python bench/crash_smtp.py --mails 1000 --kills 40                 # SQLite in a temp dir
    .venv/bin/python bench/crash_smtp.py --mails 1000 --kills 40 --seed 7 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test         # a fresh schema, dropped after
    .venv/bin/python bench/crash_smtp.py --min-delay 1.2 --max-delay 2.5        # kills aimed past the start-up

A throw-away Dovecot and an aiosmtpd relay (into that Dovecot over LMTP) on loopback, as in
tests/test_crash_and_concurrency.py. N help requests, each from its own sender, are APPENDed to the
bot's INBOX; the daemon (`python -m mailbot.cli … run`, configured as the crash test does) is
started, SIGKILLed after a seeded uniform random delay (--min-delay..--max-delay s), restarted at
once, K times; the last one finishes the work and is stopped with SIGTERM. Then the figures, from
the database and from each sender's Dovecot mailbox (read over IMAP): every mail recorded once,
every answer delivered once, except the one duplicate per kill the outbox allows (README,
"Guarantees and their one exception": SMTP accepted, killed before the "sent" commit).
The daemon takes ~1.1 s from exec to its first database work (imports, the schema check): a kill
sooner than that hits the start-up only. "kills … after the run committed something" says how many
kills hit a daemon at work; the relay notes which run sent each extra copy ("per kill").
"""

from __future__ import annotations

import argparse
import bisect
import email
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


@dataclass
class TimedRelay(RelayHandler):
    """The tests' relay, noting when each mail reached DATA, with its Message-ID. Noted before the
    relay: when the bot is killed while waiting for the 250, aiosmtpd cancels this coroutine, but
    the relay thread still delivers the mail (the outbox's duplicate window)."""

    reached_data: list[tuple[float, str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        header = email.message_from_bytes(envelope.original_content or envelope.content)["Message-ID"]
        self.reached_data.append((time.monotonic(), str(header or "").strip().strip("<>")))
        return await super().handle_DATA(server, session, envelope)


def extra_copies_per_run(reached_data: list[tuple[float, str]], starts: list[float]) -> Counter[int]:
    """Run index → copies it sent that were sent again later (its kill came before the "sent"
    commit). The last copy of each Message-ID is the one that counted; every earlier one is a
    duplicate caused by the run that sent it."""
    copies: dict[str, list[float]] = {}
    for at, message_id in sorted(reached_data):
        copies.setdefault(message_id, []).append(at)
    runs: Counter[int] = Counter()
    for times in copies.values():
        for at in times[:-1]:
            runs[bisect.bisect_right(starts, at) - 1] += 1
    return runs


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


def progress(db: Database) -> tuple[int, int]:
    """Inbound rows, outbox rows sent: what the runs so far have committed."""
    with db.session() as session:
        inbound = session.scalar(select(func.count()).select_from(InboundMail)) or 0
        sent = session.scalar(select(func.count()).select_from(OutboxMail).where(OutboxMail.status == "sent")) or 0
    return int(inbound), int(sent)


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
    parser.add_argument("--keep", action="store_true", help="keep the work dir (daemon log) even when all is well")
    parser.add_argument("--timeout", type=float, default=300.0, help="for the last daemon to finish, s")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    rng = random.Random(seed)
    delays = [rng.uniform(args.min_delay, args.max_delay) for _ in range(args.kills)]

    from aiosmtpd.controller import Controller

    work = Path(tempfile.mkdtemp(prefix="mailbot-bench-crash-"))
    log_file = work / "daemon.log"
    with dovecot_server() as dovecot, database_url(args.database_url, work) as url:
        handler = TimedRelay(lmtp_port=dovecot.lmtp_port)
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
            working_kills = 0  # kills of a run that had recorded or sent something (past its start-up)
            before = progress(db)
            exits: list[int] = []
            starts: list[float] = []  # monotonic start of each run; run i ends with kill i
            for run, delay in enumerate(delays):
                with log_file.open("a") as log:
                    log.write(f"===== bench: run {run}, SIGKILL after {delay:.2f} s\n")
                starts.append(time.monotonic())
                daemon = start_daemon(config, log_file)
                time.sleep(delay)
                if daemon.poll() is not None:
                    exits.append(daemon.returncode)  # died on its own: reported below
                else:
                    daemon.send_signal(signal.SIGKILL)
                    daemon.wait(timeout=10)
                busy_kills += not done(db, dovecot, user, args.mails)[0]
                after = progress(db)
                working_kills += after != before
                before = after
            killed_runs_did = before
            with log_file.open("a") as log:
                log.write(f"===== bench: run {len(delays)}, the last, stopped with SIGTERM\n")
            starts.append(time.monotonic())
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
    per_run = extra_copies_per_run(handler.reached_data, starts)
    multiplicity = Counter(twice.values())
    worst = max(per_run.values(), default=0)
    after_sigterm = per_run.get(len(delays), 0)

    print(f"database         {url.split('?')[0].split('://')[0]} ({'fresh schema' if '?options' in url else url})")
    print(f"seed             {seed}; {args.kills} SIGKILLs after {args.min_delay:g}..{args.max_delay:g} s each:")
    print("                 " + " ".join(f"{d:.2f}" for d in delays))
    print(
        f"kills with work left  {busy_kills} of {args.kills}; after the run committed something "
        f"{working_kills} (the killed runs recorded {killed_runs_did[0]}, sent {killed_runs_did[1]}; "
        f"the rest was the last run's)" + (f"; exited on their own: {exits}" if exits else "")
    )
    print(f"mails appended   {len(ids)} (in {append_seconds:.1f} s)")
    print(
        f"mails recorded   {len(set(recorded) & set(appended))} (rows {sum(recorded.values())}; outcomes {dict(outcomes)})"
    )
    print(f"recorded twice   {len(recorded_twice)}" + (f": {recorded_twice[:5]}" if recorded_twice else ""))
    print(f"mails lost       {len(lost)}" + (f": {lost[:5]}" if lost else ""))
    print(f"INBOX left       {left}")
    print(f"answers decided  {len(outbox)} (status {dict(statuses)}; attempts {attempts})")
    print(f"answers delivered {len(set(arrived) & decided)} ({len(handler.received)} reached the relay's DATA)")
    print(
        f"delivered twice  {len(twice)} ({extra_copies} extra copies; Message-IDs by copies "
        f"{dict(sorted(multiplicity.items()))}; allowed: ≤ 1 per kill)"
    )
    print(
        f"  per kill       {len(per_run)} kills caused one, the most by one kill {worst}; "
        f"caused by the SIGTERM-stopped last run {after_sigterm}"
    )
    print(f"never delivered  {len(never)}" + (f": {never[:5]}" if never else ""))
    if strangers:
        print(f"strangers        {len(strangers)} delivered, never decided: {strangers[:5]}")
    print(f"wall time        {wall:.1f} s (first start → all recorded, sent and moved; last stop exit {last_exit})")
    if not finished:
        print(f"NOT FINISHED in {args.timeout:g} s: recorded {inbound}, pending {pending}, INBOX {left}")
    anomaly = bool(not finished or lost or recorded_twice or never or strangers or worst > 1 or after_sigterm or exits)
    if anomaly:
        print("ANOMALY: see above")
    if anomaly or args.keep:
        print(f"work dir kept: {work} (daemon log {log_file.name}, runs marked '===== bench: run N')")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if anomaly else 0


if __name__ == "__main__":
    sys.exit(main())
