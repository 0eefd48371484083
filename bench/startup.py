"""Start-up cost: the whole-process wall time of `mailbot ingest -` with one mail on stdin, one
process per mail, as an MTA pipe (Postfix `mailbox_command`, a .forward "|mailbot ingest -") runs
it; and the import time of mailbot.cli alone.

    .venv/bin/python bench/startup.py               # 7 runs per mail: median and p90 wall time
    .venv/bin/python bench/startup.py --runs 15
    .venv/bin/python bench/startup.py --pyc-cache   # with .pyc files, even under PYTHONDONTWRITEBYTECODE

Two mails:

  minutes  tests/mails/outlook_zh_minutes_gbk_html.eml (Outlook, GBK HTML, 4 actions) as the
           company's MX hands it over: its Received line and Authentication-Results on top, and
           the config trusts that server (trust.authserv_id), so the minutes take effect at once:
           a meeting, 4 actions, 9 mails rendered and delivered to the sent/ Maildir.
  reply    a short plain reply ("确认") of an owner to the confirmation request that ingest
           sent, threaded and to the request's plus-address, quoting it as Outlook does.

Each timed run gets a fresh copy of the bot home (the one `mailbot init` wrote, or the one after
the minutes for the reply), so every run does the same work, not a duplicate. One untimed run per
mail first (it also compiles any stale .pyc). After each run the bench checks the exit code, the
"-: KIND OUTCOME" line and `mailbot outbox --json`, and says so when a mail was not processed.

Two ways, both timed by default:

  in-process  no daemon runs: the process opens the database, handles the mail and delivers its
              answers (mailbot/pipeline.py, then the outbox).
  hand-off    `mailbot run` reads the Maildir: the process writes the mail there and wakes the
              daemon, which handles it (mailbot/handoff.py); the wall time runs until the daemon
              has moved the mail out of new/ (handled and committed), as the pipe waits for it.
              Each run starts a daemon on a fresh copy of the home and hands it another mail first
              (untimed: a daemon that has been running has handled mail before); after the timed
              mail the bench waits for the daemon to deliver the answers and checks them.

Per mail: median and p90 (nearest rank) of the wall time, and the median CPU time (user +
system) of the process, which other work on the machine disturbs less. The import time is
`python -X importtime -c "import mailbot.cli"`, its last line (mailbot.cli, cumulative), median of
the runs. Prints figures, asserts nothing.

Bytecode: with PYTHONDONTWRITEBYTECODE set (as in some sandboxes and CI), an editable install
compiles every mailbot module from source in every process, which an installed package (pip
writes the .pyc files) never does. `--pyc-cache` gives the processes a private .pyc folder
(PYTHONPYCACHEPREFIX in the bench's temporary folder, filled by the untimed runs) to measure that.
The processes' TMPDIR is the bench's temporary folder too, so Jinja's cache of compiled templates
(mailbot/render.py) starts empty and is filled by the untimed runs as well.

The mailbot that runs is whichever `import mailbot` finds: PYTHONPATH=/some/checkout measures
another tree with this venv.
"""

from __future__ import annotations

import argparse
import email
import json
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MINUTES = ROOT / "tests" / "mails" / "outlook_zh_minutes_gbk_html.eml"
MX = "mx.corp.example"
THROUGH_OUR_SERVER = (
    f"Received: from smtp.corp.example by {MX} (Postfix) with ESMTPS id 4ZmQ1;\r\n"
    "\tWed, 2 Dec 2026 17:32:11 +0800 (CST)\r\n"
    f"Authentication-Results: {MX}; auth=pass smtp.auth=wang.fang@corp.example\r\n"
).encode()
# A daemon's warm-up mail: minutes of another meeting, from the same host.
WARM_MINUTES = ROOT / "tests" / "mails" / "netease_zh_minutes_block.eml"
MINUTES_NOW = "2026-12-02T18:00"
REPLY_NOW = "2026-12-02T19:30"
ENV = dict(os.environ)  # the processes' environment: main() adds TMPDIR and, with --pyc-cache, a .pyc folder
HEAVY = ("alembic", "icalendar", "xlsxwriter", "babel", "imapclient", "schedule", "dkim", "authres", "dns")


def mailbot_command() -> list[str]:
    """The console script pyproject.toml defines (mailbot = mailbot.cli:main), beside this Python."""
    script = Path(sys.executable).parent / "mailbot"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from mailbot.cli import main; sys.exit(main())"]


def mailbot(home: Path, *args: str, stdin: Path | None = None, now: str | None = None) -> subprocess.CompletedProcess:
    command = [*mailbot_command(), "--config", str(home / "config.toml")]
    if now:
        command += ["--now", now]
    with open(stdin or os.devnull, "rb") as feed:
        return subprocess.run([*command, *args], stdin=feed, capture_output=True, text=True, cwd=home, env=ENV)


def outbox(home: Path) -> list[dict]:
    done = mailbot(home, "outbox", "--json")
    return json.loads(done.stdout) if done.returncode == 0 else []


def make_home(folder: Path) -> Path:
    home = folder / "home"
    done = subprocess.run([*mailbot_command(), "init", str(home)], capture_output=True, text=True, cwd=folder, env=ENV)
    if done.returncode != 0:
        sys.exit(f"mailbot init failed: {done.stderr.strip()}")
    config = home / "config.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('authserv_id = ""', f'authserv_id = "{MX}"'), encoding="utf-8")
    return home


def write_reply(home: Path, path: Path, nth: int = 0) -> str | None:
    """The `nth` owner's reply "确认" to their confirmation request; the owner's address, or None."""
    requests = 0
    for file in sorted((home / "sent" / "new").iterdir()):
        request = email.message_from_bytes(file.read_bytes(), policy=default_policy)
        reply_to = str(request.get("Reply-To", ""))
        if "+A" not in reply_to:  # a confirmation request answers to an action's plus-address
            continue
        requests += 1
        if requests <= nth:
            continue
        owner = request["To"].addresses[0].addr_spec
        body = request.get_body(("plain",))
        quoted = body.get_content() if body is not None else ""
        reply = EmailMessage()
        reply["From"] = owner
        reply["To"] = reply_to
        reply["Subject"] = "RE: " + str(request["Subject"])
        reply["Date"] = "Wed, 2 Dec 2026 19:25:00 +0800"
        reply["Message-ID"] = make_msgid(domain="client.example")
        reply["In-Reply-To"] = request["Message-ID"]
        reply["References"] = request["Message-ID"]
        reply.set_content(
            f"确认\n\n-----原始邮件-----\n发件人: {request['From']}\n发送时间: 2026年12月2日 18:01\n"
            f"收件人: {owner}\n主题: {request['Subject']}\n\n{quoted}"
        )
        path.write_bytes(reply.as_bytes())
        return owner
    return None


def nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_ingest(
    template: Path, work: Path, mail: Path, now: str, expect: str, runs: int
) -> tuple[list[float], list[float]]:
    """Wall times and CPU times (user + system) of `runs` ingests of `mail`, each into a fresh copy
    of `template`; after one untimed run."""
    times: list[float] = []
    cpu: list[float] = []
    problems = []
    for run in range(runs + 1):
        # One path for every run, as an installed bot's home has: its compiled templates are
        # cached by file path (render.bytecode_cache), so a new folder per run would time a cold
        # cache that only the first mail after an install meets (the untimed run here).
        home = work / "installed"
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(template, home)
        before = len(outbox(home))
        done, elapsed, used = timed_pipe(home, mail, now)
        mails = outbox(home)
        line = outcome_line(done)
        sent = sum(m["status"] == "sent" for m in mails[before:])
        if done.returncode != 0 or line != f"-: {expect}" or not sent:
            problems.append(
                f"run {run}: exit {done.returncode}, {line!r}, {sent} mail(s) sent; {done.stderr.strip()[-300:]}"
            )
        elif run == 0:
            print(
                f"  checked: exit 0, {line!r}, {sent} new mail(s) sent ({', '.join(m['kind'] for m in mails[before:])})"
            )
        if run:  # run 0 warms up
            times.append(elapsed)
            cpu.append(used)
        shutil.rmtree(home, ignore_errors=True)
    for problem in problems:
        print(f"  NOT PROCESSED as expected: {problem}")
    return times, cpu


def start_daemon(home: Path, now: str) -> subprocess.Popen:
    """`mailbot run` on `home`, returned once it listens for piped mail (its wake FIFO takes a writer)."""
    command = [*mailbot_command(), "--config", str(home / "config.toml"), "--now", now, "run", "--interval", "60"]
    daemon = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=home, env=ENV)
    wake = home / "inbox" / "mailbot.wake"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and daemon.poll() is None:
        try:
            os.close(os.open(wake, os.O_WRONLY | os.O_NONBLOCK))
            return daemon
        except OSError:
            time.sleep(0.05)
    daemon.kill()
    sys.exit(f"the daemon did not start listening: {daemon.communicate()[1].decode()[-500:]}")


def stop_daemon(daemon: subprocess.Popen) -> None:
    daemon.terminate()
    try:
        daemon.wait(30)
    except subprocess.TimeoutExpired:
        daemon.kill()
        daemon.wait()


def timed_pipe(home: Path, mail: Path, now: str | None = None) -> tuple[subprocess.CompletedProcess, float, float]:
    """`mailbot ingest -` with `mail` on stdin (without `now`: a running daemon's clock decides):
    the process, its wall time and its CPU time (user + system)."""
    command = [
        *mailbot_command(),
        "--config",
        str(home / "config.toml"),
        *(["--now", now] if now else []),
        "ingest",
        "-",
    ]
    with open(mail, "rb") as feed:
        cpu_before = child_cpu()
        started = time.perf_counter()
        done = subprocess.run(command, stdin=feed, capture_output=True, text=True, cwd=home, env=ENV)
        elapsed = time.perf_counter() - started
    return done, elapsed, child_cpu() - cpu_before


def outcome_line(done: subprocess.CompletedProcess) -> str:
    return next((x for x in done.stdout.splitlines() if x.startswith("-: ")), "(no outcome line)")


def sent_count(home: Path) -> int:
    folder = home / "sent" / "new"
    return sum(1 for _ in folder.iterdir()) if folder.exists() else 0


def settled_sent_count(home: Path, quiet: float = 0.5, longest: float = 20.0) -> int:
    """The number of sent mails once no new one came for `quiet` seconds (or after `longest`)."""
    count, changed = sent_count(home), time.monotonic()
    deadline = changed + longest
    while time.monotonic() - changed < quiet and time.monotonic() < deadline:
        time.sleep(0.02)
        if (now := sent_count(home)) != count:
            count, changed = now, time.monotonic()
    return count


def timed_handoff(
    template: Path, work: Path, warm: Path, mail: Path, now: str, runs: int
) -> tuple[list[float], list[float]]:
    """Wall and CPU times of `runs` piped mails handed to a daemon, each daemon on a fresh copy of
    `template` and warmed by `warm` first; after one untimed run."""
    times: list[float] = []
    cpu: list[float] = []
    problems = []
    for run in range(runs + 1):
        home = work / "daemon"
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(template, home)
        daemon = start_daemon(home, now)
        try:
            timed_pipe(home, warm)
            before = settled_sent_count(home)  # the warm-up's answers delivered: the daemon at rest
            done, elapsed, used = timed_pipe(home, mail)
            sent = settled_sent_count(home) - before
        finally:
            stop_daemon(daemon)
        line = outcome_line(done)
        if done.returncode != 0 or line != "-: handed to the daemon: handled" or not sent:
            problems.append(f"run {run}: exit {done.returncode}, {line!r}, {sent} mail(s) sent; {done.stderr[-300:]}")
        elif run == 0:
            print(f"  checked: exit 0, {line!r}, the daemon sent {sent} new mail(s) after it")
        if run:
            times.append(elapsed)
            cpu.append(used)
        shutil.rmtree(home, ignore_errors=True)
    for problem in problems:
        print(f"  NOT PROCESSED as expected: {problem}")
    return times, cpu


def import_time(runs: int) -> tuple[float, list[str]]:
    """Median cumulative import time of mailbot.cli (seconds), and the heavy packages it loaded;
    after one untimed run."""
    figures = []
    loaded: list[str] = []
    for run in range(runs + 1):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import mailbot.cli"],
            capture_output=True, text=True, cwd=ENV["TMPDIR"], env=ENV,
        )  # fmt: skip
        match = re.search(r"\|\s*(\d+)\s*\|\s*mailbot\.cli\s*$", done.stderr, re.MULTILINE)
        if match is None:
            sys.exit(f"import mailbot.cli failed: {done.stderr.strip()[-500:]}")
        if run:
            figures.append(int(match.group(1)) / 1e6)
        names = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
        loaded = [name for name in HEAVY if name in names]
    return statistics.median(figures), loaded


def report(name: str, times: tuple[list[float], list[float]]) -> None:
    wall, cpu = times
    if not wall:
        return
    print(
        f"  {name:<8} wall time over {len(wall)} runs: median {statistics.median(wall):.3f} s, "
        f"p90 {nearest_rank(wall, 0.9):.3f} s  (min {min(wall):.3f}, max {max(wall):.3f}); "
        f"CPU (user+sys) median {statistics.median(cpu):.3f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="timed runs per mail (default 7)")
    parser.add_argument("--pyc-cache", action="store_true", help="let the processes keep .pyc files (see above)")
    parser.add_argument(
        "--only", choices=("in-process", "hand-off"), default=None, help="time one way only (default: both)"
    )
    args = parser.parse_args()
    print(f"mailbot: {' '.join(mailbot_command())}  (python {sys.executable})")
    with tempfile.TemporaryDirectory(prefix="mailbot-startup-") as folder:
        work = Path(folder)
        ENV["TMPDIR"] = str(work)
        if args.pyc_cache:
            ENV.pop("PYTHONDONTWRITEBYTECODE", None)
            ENV["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        print(
            "bytecode: "
            + ("a private .pyc folder (--pyc-cache)" if args.pyc_cache else
               "compiled from source in every process (PYTHONDONTWRITEBYTECODE is set; see --pyc-cache)"
               if ENV.get("PYTHONDONTWRITEBYTECODE") else "the usual __pycache__ folders")
        )  # fmt: skip
        fresh = make_home(work)
        minutes = work / "minutes.eml"
        minutes.write_bytes(THROUGH_OUR_SERVER + MINUTES.read_bytes())

        warm_minutes = work / "warm-minutes.eml"
        warm_minutes.write_bytes(THROUGH_OUR_SERVER + WARM_MINUTES.read_bytes())
        in_process = args.only in (None, "in-process")
        hand_off = args.only in (None, "hand-off")
        empty: tuple[list[float], list[float]] = ([], [])

        print(f"minutes: {MINUTES.name} ({minutes.stat().st_size} bytes), stdin to `mailbot ingest -`")
        minutes_times = (
            timed_ingest(fresh, work, minutes, MINUTES_NOW, "minutes processed", args.runs) if in_process else empty
        )
        minutes_handoff = (
            timed_handoff(fresh, work, warm_minutes, minutes, MINUTES_NOW, args.runs) if hand_off else empty
        )

        # The reply's home: the fresh one after the minutes, so the request it answers exists.
        after = work / "after-minutes"
        shutil.copytree(fresh, after)
        mailbot(after, "ingest", "-", stdin=minutes, now=MINUTES_NOW)
        reply = work / "reply.eml"
        owner = write_reply(after, reply)
        warm_reply = work / "warm-reply.eml"
        write_reply(after, warm_reply, nth=1)  # the second owner's, to warm a daemon up
        reply_times = reply_handoff = empty
        if owner is None or not warm_reply.exists():
            print("reply: no confirmation requests were sent after the minutes; nothing to reply to")
        else:
            print(f"reply: {owner} answers 确认 to their confirmation request ({reply.stat().st_size} bytes)")
            if in_process:
                reply_times = timed_ingest(after, work, reply, REPLY_NOW, "reply processed", args.runs)
            if hand_off:
                reply_handoff = timed_handoff(after, work, warm_reply, reply, REPLY_NOW, args.runs)

        seconds, heavy = import_time(args.runs)
        print("figures:")
        if in_process:
            print(" in-process (no daemon runs):")
            report("minutes", minutes_times)
            report("reply", reply_times)
        if hand_off:
            print(" hand-off (a daemon reads the Maildir; until the mail is handled and committed):")
            report("minutes", minutes_handoff)
            report("reply", reply_handoff)
        print(
            f"  import mailbot.cli: {seconds:.3f} s cumulative (median of {args.runs}; "
            f"{sys.executable} -X importtime -c 'import mailbot.cli'); "
            f"heavy packages it loads: {', '.join(heavy) or 'none'}"
        )


if __name__ == "__main__":
    main()
