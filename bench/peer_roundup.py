"""Peer benchmark (issue 15): Mailbot's ingest rate beside Roundup's mail gateway on the same mails.

Data: the mails that bench/ingest.py generates (its own generator functions, imported): N mails,
each a new minutes draft with 10 actions and 8 distinct owners; even-numbered ones are Chinese
GBK HTML (Word-style tables), odd ones English plain text with tab-separated tables. Default
N = 300 (about 3.4 KB a Chinese mail, 1.5 KB an English one; 720 KB in all).

Roundup: the `classic` tracker template on SQLite, installed and initialised with roundup-admin
in a temporary folder; every sender of the mails is registered as a known user, so each mail
creates one new issue (plus its msg item and full-text index entries). Two settings differ
from Roundup's defaults, both needed for it to accept these mails at all: HTML-only mails are
converted with its built-in `dehtml` (the default `none` bounces them) and the subject prefix
parsing is `loose` (the default `strict` bounces `[Minutes] ...`). Outgoing mail goes to a
file (mail debug), so no SMTP server is needed; with the author as the only nosy user Roundup
sends nothing for a new issue. Roundup is fed two ways:

- mbox: one `roundup-mailgw -c issue TRACKER mailbox FILE` process for all N mails, timed
  whole and also net of its start-up (the same command on an empty mbox, run first);
- pipe: one `roundup-mailgw -c issue TRACKER < mail` process per mail, on a sample of the
  mails (each process pays the interpreter start-up and the tracker open).

Both run as `python -m roundup.scripts.roundup_mailgw`, which is what roundup-mailgw runs.
The better of the two is Roundup's rate in the ratio (mbox, by far). Roundup runs in its own venv,
a benchmark-only dependency: /tmp/roundup-venv by default (created with `pip install roundup` if
missing), or any interpreter that has Roundup via --roundup-python.

Mailbot: the code path of bench/ingest.py, in this process: the mails in a Maildir in a SQLite
home, mailbot.pipeline.process on each (each writes a meeting, 10 action items, events and
rendered outbox mails; the rows are counted and printed).

The mbox run and Mailbot's run alternate for --rounds rounds (default 3), each on a fresh tracker
and a fresh home; the medians are compared. Both wall-clock mails/s and mails per CPU second
(user + system time of the gateway process, of this process for Mailbot) are printed: on a
shared machine the CPU figure is the steadier one.

    .venv/bin/python bench/peer_roundup.py --mails 300
    .venv/bin/python bench/peer_roundup.py --mails 300 --roundup-python /path/to/python --pipe-sample 50

Prints figures only; nothing is asserted about time.
"""

from __future__ import annotations

import argparse
import email
import email.utils
import mailbox
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import chinese_html, english_plain

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.config import default_config_text, load_config
from mailbot.pipeline import process
from mailbot.sources.maildir import MaildirSource

DEFAULT_VENV = Path(tempfile.gettempdir()) / "roundup-venv"
MAILGW = "roundup.scripts.roundup_mailgw"
ADMIN = "roundup.scripts.roundup_admin"


@dataclass
class Run:
    """One timed run: wall and CPU seconds (user + system), and the start-up part of each."""

    who: str
    mode: str
    mails: int
    wall: float
    cpu: float
    startup_wall: float = 0.0
    startup_cpu: float = 0.0
    outcome: str = ""

    @property
    def rate(self) -> float:
        """Mails per wall-clock second, net of start-up."""
        return self.mails / (self.wall - self.startup_wall)

    @property
    def cpu_rate(self) -> float:
        """Mails per CPU second, net of start-up."""
        return self.mails / (self.cpu - self.startup_cpu)

    def line(self) -> str:
        startup = f", start-up {self.startup_wall:.2f} s" if self.startup_wall else ""
        return (
            f"  {self.who:<8} {self.mode:<21} {self.mails:>5} mails  wall {self.wall:6.2f} s{startup:<17}  "
            f"{self.rate:6.1f} mails/s  CPU {self.cpu:6.2f} s  {self.cpu_rate:6.1f} mails/CPU-s  -> {self.outcome}"
        )


def child(command: list[str], stdin: bytes | None = None) -> tuple[float, float]:
    """Run `command` to its end: (wall seconds, CPU seconds of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, input=stdin, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def generate(count: int) -> list[bytes]:
    """The mails of bench/ingest.py, in its order: even n Chinese HTML, odd n English plain."""
    return [chinese_html(n) if n % 2 == 0 else english_plain(n) for n in range(count)]


def senders(mails: list[bytes]) -> list[tuple[str, str]]:
    """(display name, address) of every distinct From: in the mails."""
    found: dict[str, str] = {}
    for raw in mails:
        message = email.message_from_bytes(raw)
        name, address = email.utils.parseaddr(str(message["From"]))
        found.setdefault(address.lower(), name)
    return [(name, address) for address, name in found.items()]


def roundup_python(given: str | None, venv: Path) -> str:
    """The interpreter that runs Roundup; creates `venv` with Roundup in it when none is given."""
    if given:
        python = given
    else:
        python = str(venv / "bin" / "python")
        if not Path(python).exists():
            print(f"creating {venv} and installing roundup into it ...", flush=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run([python, "-m", "pip", "install", "-q", "roundup"], check=True)
    subprocess.run([python, "-c", "import roundup"], check=True)
    return python


def roundup_version(python: str) -> str:
    result = subprocess.run([python, "-m", MAILGW, "--version"], check=True, capture_output=True, text=True)
    return result.stdout.strip()


def admin(python: str, tracker: Path, *args: str) -> None:
    subprocess.run([python, "-m", ADMIN, "-i", str(tracker), *args], check=True, capture_output=True)


def install_tracker(python: str, tracker: Path, users: list[tuple[str, str]]) -> None:
    """classic template on SQLite, non-interactively; the senders become known users."""
    options = ",".join(
        [
            "mail_domain=corp.example",
            f"mail_debug={tracker / 'sent-mail.mbox'}",  # outgoing mail to a file, not SMTP
            "mailgw_convert_htmltotext=dehtml",  # default `none` bounces HTML-only mails
            "mailgw_subject_prefix_parsing=loose",  # default `strict` bounces "[Minutes] ..."
        ]
    )
    admin(python, tracker, "install", "classic", "sqlite", options)
    admin(python, tracker, "initialise", "admin-password")
    for name, address in users:
        username = address.split("@")[0]
        admin(
            python,
            tracker,
            "create",
            "user",
            f"username={username}",
            f"address={address}",
            f"realname={name}",
            "roles=User",
        )


def tracker_counts(tracker: Path) -> tuple[int, int]:
    """(issues, msgs) in the tracker's SQLite database."""
    with sqlite3.connect(tracker / "db" / "db") as connection:
        issues = connection.execute("select count(*) from _issue").fetchone()[0]
        msgs = connection.execute("select count(*) from _msg").fetchone()[0]
    return issues, msgs


def report(tracker: Path) -> str:
    """What the tracker holds after a run: issues, msgs and the mails it sent (bounces included)."""
    issues, msgs = tracker_counts(tracker)
    path = tracker / "sent-mail.mbox"
    sent = len(mailbox.mbox(str(path))) if path.exists() else 0
    return f"issues {issues}, msgs {msgs}, mails sent {sent}"


def run_mbox(python: str, tracker: Path, mails: list[bytes]) -> Run:
    """All mails through one mail-gateway process reading an mbox."""
    empty = tracker.parent / "empty.mbox"
    empty.write_bytes(b"")
    command = [python, "-m", MAILGW, "-c", "issue", str(tracker), "mailbox"]
    # Start-up: the same process on an empty mbox (run twice: the first compiles the tracker).
    child([*command, str(empty)])
    startup_wall, startup_cpu = child([*command, str(empty)])
    path = tracker.parent / "mails.mbox"
    box = mailbox.mbox(str(path))
    for raw in mails:
        box.add(raw)
    box.close()
    wall, cpu = child([*command, str(path)])
    return Run("Roundup", "mbox, one process", len(mails), wall, cpu, startup_wall, startup_cpu, report(tracker))


def run_pipe(python: str, tracker: Path, mails: list[bytes]) -> Run:
    """One mail-gateway process per mail, the mail on its standard input."""
    command = [python, "-m", MAILGW, "-c", "issue", str(tracker)]
    wall = cpu = 0.0
    for raw in mails:
        one_wall, one_cpu = child(command, raw)
        wall, cpu = wall + one_wall, cpu + one_cpu
    return Run("Roundup", "one process per mail", len(mails), wall, cpu, outcome=report(tracker))


def run_mailbot(mails: list[bytes], home: Path) -> Run:
    """bench/ingest.py's measured loop, in this process."""
    inbox = mailbox.Maildir(str(home / "inbox"), create=True)
    for raw in mails:
        inbox.add(raw)
    text = default_config_text().replace('authserv_id = ""', 'authserv_id = "mx.corp.example"')
    (home / "config.toml").write_text(text)
    app = App.open(load_config(home / "config.toml"), FixedClock(datetime(2026, 12, 2, 10, 0, tzinfo=UTC)))
    source = MaildirSource(home / "inbox")
    outcomes: dict[str, int] = {}
    started, started_cpu = time.perf_counter(), time.process_time()
    for fetched in source.fetch_new():
        result = process(app, fetched.raw, source_key=fetched.key)
        source.mark_done(fetched.key, result.status)
        outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
    wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    rows: dict[str, int] = {}
    with app.db.engine.connect() as connection:
        for table in ("meetings", "action_items", "outbox"):
            rows[table] = connection.exec_driver_sql(f"select count(*) from {table}").scalar_one()
    app.db.dispose()
    return Run("Mailbot", "pipeline.process", len(mails), wall, cpu, outcome=f"outcomes {outcomes}, rows {rows}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mails", type=int, default=300, help="mails to ingest (default 300)")
    parser.add_argument("--roundup-python", default=None, help="an interpreter with Roundup installed")
    parser.add_argument("--roundup-venv", type=Path, default=DEFAULT_VENV, help=f"default {DEFAULT_VENV}")
    parser.add_argument("--rounds", type=int, default=3, help="alternating Roundup/Mailbot rounds (default 3)")
    parser.add_argument(
        "--pipe-sample", type=int, default=40, help="mails for the one-process-per-mail mode (default 40; 0: skip)"
    )
    args = parser.parse_args()

    python = roundup_python(args.roundup_python, args.roundup_venv)
    mails = generate(args.mails)
    users = senders(mails)
    size = sum(map(len, mails))
    print(
        f"{len(mails)} mails from bench/ingest.py ({(len(mails) + 1) // 2} Chinese GBK HTML, {len(mails) // 2} "
        f"English plain; 10 actions each; {size / 1024:.0f} KB in all), senders {[a for _, a in users]}"
    )
    print(f"Roundup {roundup_version(python)} via {python}: classic template, sqlite backend")
    print(
        f"load average at start {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (other work on the machine skews rates)"
    )

    print(
        "Roundup: classic tracker, one issue per mail; Mailbot: bench/ingest.py's path (pipeline.process on a "
        f"SQLite home, in this process). {args.rounds} rounds, each on a fresh tracker and a fresh home, alternating"
    )
    roundup_runs: list[Run] = []
    mailbot_runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="peer-roundup-") as folder:
        for round_ in range(args.rounds):
            tracker = Path(folder) / f"mbox{round_}" / "tracker"
            tracker.parent.mkdir()
            install_tracker(python, tracker, users)
            roundup_runs.append(run_mbox(python, tracker, mails))
            print(roundup_runs[-1].line())
            with tempfile.TemporaryDirectory(prefix="peer-mailbot-") as home:
                mailbot_runs.append(run_mailbot(mails, Path(home)))
            print(mailbot_runs[-1].line())
        pipe: Run | None = None
        if args.pipe_sample > 0:
            tracker = Path(folder) / "pipe" / "tracker"
            tracker.parent.mkdir()
            install_tracker(python, tracker, users)
            pipe = run_pipe(python, tracker, mails[: args.pipe_sample])
            print(pipe.line())

    mbox_rate = statistics.median(r.rate for r in roundup_runs)
    best_mode = "mbox, one process"
    roundup_rate = mbox_rate
    if pipe is not None and pipe.rate > mbox_rate:
        best_mode, roundup_rate = pipe.mode, pipe.rate
    roundup_cpu = statistics.median(r.cpu_rate for r in roundup_runs)
    mailbot_rate = statistics.median(r.rate for r in mailbot_runs)
    mailbot_cpu = statistics.median(r.cpu_rate for r in mailbot_runs)
    print()
    print(f"median of {args.rounds} rounds{'':<18}{'mails/s':>9}{'ms/mail':>9}{'mails/CPU-s':>13}")
    print(f"{'Roundup (' + best_mode + ')':<34}{roundup_rate:9.1f}{1000 / roundup_rate:9.1f}{roundup_cpu:13.1f}")
    print(f"{'Mailbot':<34}{mailbot_rate:9.1f}{1000 / mailbot_rate:9.1f}{mailbot_cpu:13.1f}")
    print(
        f"Mailbot / Roundup = {mailbot_rate / roundup_rate:.2f} wall-clock, {mailbot_cpu / roundup_cpu:.2f} CPU   "
        f"(Roundup's best mode: {best_mode}, net of start-up)"
    )
    print(
        f"per round, wall-clock: {', '.join(f'{m.rate / r.rate:.2f}' for m, r in zip(mailbot_runs, roundup_runs, strict=True))}"
    )


if __name__ == "__main__":
    main()
