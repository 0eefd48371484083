"""The web pages under load: a project's tracking table with 2,000 actions, read one at a time
(latency: p50, p95) and by 100 concurrent readers (errors, latency, throughput).

    .venv/bin/python bench/web.py [--actions 2000] [--readers 100] [--rounds 5] [--cores 0,1] [--workers N]

Builds a throw-away SQLite home (100 meetings of one project, 20 actions each, 8 departments,
statuses and due dates spread so that some are overdue), starts the real server as
`mailbot web` in its own process (pinned to --cores with taskset when there is one; --workers
server processes, by default `mailbot web`'s own: one per CPU it may use), and fetches the
host's project link over HTTP. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailbot.app import App  # noqa: E402
from mailbot.clock import FixedClock  # noqa: E402
from mailbot.config import default_config_text, load_config  # noqa: E402
from mailbot.store.models import ActionItem, Event, InboundMail, Meeting, MinutesVersion, Person  # noqa: E402
from mailbot.web.links import make_link  # noqa: E402

NOW = datetime(2026, 12, 16, 2, 0, tzinfo=UTC)
HOST = "host@corp.example"
DEPARTMENTS = ("市场部", "研发部", "销售部", "财务部", "法务部", "采购部", "客服部", "行政部")
STATUSES = ("accepted", "in_progress", "delayed", "done", "verified", "awaiting_confirmation", "objected", "cancelled")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def build(home: Path, actions: int, port: int) -> Path:
    text = (
        default_config_text("minutes@corp.example")
        .replace('url = "sqlite:///mailbot.db"', f'url = "sqlite:///{home / "mailbot.db"}"')
        .replace("enabled = false", "enabled = true")
        .replace('base_url = ""', f'base_url = "http://127.0.0.1:{port}"')
    )
    config = home / "config.toml"
    config.write_text(text, encoding="utf-8")
    app = App.open(load_config(config), FixedClock(NOW))
    rng = random.Random(14)
    per_meeting = 20
    meetings = max(1, actions // per_meeting)
    owners = [f"owner{n}@corp.example" for n in range(200)]
    with app.db.transaction() as session:
        for n, owner in enumerate(owners):
            session.add(Person(address=owner, name=f"员工{n}", department=DEPARTMENTS[n % 8], created_at=NOW))
        made = 0
        for m in range(meetings):
            day = date(2026, 9, 1) + timedelta(days=m)
            meeting = Meeting(
                title=f"跨部门协作会 第{m + 1}次", match_key=f"{day}|m{m}", project="Q1 新品上市", status="confirmed",
                language="zh", meeting_date=day, place="总部3楼", host_address=HOST,
                recorder_address="recorder@corp.example", attendees=[HOST, *rng.sample(owners, 6)],
                names={HOST: "主持人"}, created_at=NOW, updated_at=NOW,
            )  # fmt: skip
            session.add(meeting)
            session.flush()
            mail = InboundMail(content_hash=f"bench-{m}", received_at=NOW, raw=b"", outcome="processed",
                               sender="recorder@corp.example", meeting_id=meeting.id)  # fmt: skip
            session.add(mail)
            session.flush()
            version = MinutesVersion(meeting_id=meeting.id, number=1, inbound_mail_id=mail.id, status="active",
                                     created_at=NOW)  # fmt: skip
            session.add(version)
            session.flush()
            for k in range(per_meeting if m < meetings - 1 else actions - made):
                owner = rng.choice(owners)
                n = owners.index(owner)
                action = ActionItem(
                    meeting_id=meeting.id, version_id=version.id, number=str(k + 1),
                    description=f"行动项 {m + 1}.{k + 1}：输出方案并与相关部门对齐", owner_address=owner,
                    owner_name=f"员工{n}", department=DEPARTMENTS[n % 8], support="研发部",
                    due=date(2026, 11, 1) + timedelta(days=rng.randrange(90)), deliverable="方案 PDF",
                    status=rng.choice(STATUSES), consent="explicit", requester_address=HOST,
                    created_at=NOW, updated_at=NOW,
                )  # fmt: skip
                session.add(action)
                made += 1
            session.flush()
            for action in meeting.actions:
                session.add(Event(at=NOW, actor=action.owner_address, what="action.accepted", meeting_id=meeting.id,
                                  action_id=action.id, detail={"consent": "explicit"}))  # fmt: skip
    with app.db.session() as session:
        print(f"built {meetings} meetings, {session.query(ActionItem).count()} actions in {home / 'mailbot.db'}")
    app.db.dispose()
    return config


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str) -> tuple[int, float, int]:
    started = time.perf_counter()
    try:
        with _OPENER.open(url, timeout=60) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        body, status = error.read(), error.code
    except OSError:
        return 0, time.perf_counter() - started, 0
    return status, time.perf_counter() - started, len(body)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(name: str, times: list[float], statuses: list[int], wall: float | None = None) -> None:
    ms = [t * 1000 for t in times]
    errors = sum(s != 200 for s in statuses)
    line = (f"{name}: {len(ms)} requests, {errors} errors; p50 {statistics.median(ms):.0f} ms, "
            f"p95 {pct(ms, 95):.0f} ms, max {max(ms):.0f} ms")  # fmt: skip
    if wall:
        line += f"; {len(ms) / wall:.0f} requests/s over {wall:.1f} s"
    print(line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actions", type=int, default=2000)
    parser.add_argument("--readers", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5, help="pages each concurrent reader fetches")
    parser.add_argument("--sequential", type=int, default=100)
    parser.add_argument("--cores", default="0,1", help="CPUs the server may use (taskset); '' = all")
    parser.add_argument("--workers", type=int, default=None, help="server processes (default: mailbot web's)")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="mailbot-bench-web-"))
    port = free_port()
    try:
        config = build(home, args.actions, port)
        app = App.open(load_config(config), FixedClock(NOW))
        table = make_link(app, HOST, "project:Q1 新品上市")
        person = make_link(app, HOST)
        meeting = make_link(app, HOST, "M-1")
        app.db.dispose()
        command = [sys.executable, "-m", "mailbot.cli", "--config", str(config), "--now", NOW.isoformat(), "web",
                   "--port", str(port)]  # fmt: skip
        if args.workers is not None:
            command += ["--workers", str(args.workers)]
        if args.cores and shutil.which("taskset"):
            command = ["taskset", "-c", args.cores, *command]
            print(f"server pinned to CPUs {args.cores} (of {os.cpu_count()})")
        server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while fetch(f"http://127.0.0.1:{port}/robots.txt")[0] != 200:
                if time.monotonic() > deadline or server.poll() is not None:
                    print(server.stdout.read().decode() if server.stdout else "", file=sys.stderr)
                    raise SystemExit("the server did not start")
                time.sleep(0.1)
            status, seconds, size = fetch(table)
            print(f"project table: HTTP {status}, {size / 1024:.0f} KiB, first request {seconds * 1000:.0f} ms")
            # Each worker process builds its templates and caches on its first pages: warm them
            # all before timing, as a server that has been up a minute is.
            for _ in range(20):
                fetch(table), fetch(person), fetch(meeting)
            for name, url in (("project table (2,000 actions), one reader", table),
                              ("host's own page (100 meetings), one reader", person),
                              ("meeting page (20 actions), one reader", meeting)):  # fmt: skip
                results = [fetch(url) for _ in range(args.sequential)]
                report(name, [r[1] for r in results], [r[0] for r in results])
            results: list[tuple[int, float, int]] = []
            lock = threading.Lock()
            start_gate = threading.Barrier(args.readers)

            def reader() -> None:
                start_gate.wait()
                for _ in range(args.rounds):
                    got = fetch(table)
                    with lock:
                        results.append(got)

            threads = [threading.Thread(target=reader) for _ in range(args.readers)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - started
            report(f"project table, {args.readers} concurrent readers x {args.rounds}",
                   [r[1] for r in results], [r[0] for r in results], wall)  # fmt: skip
        finally:
            server.terminate()
            server.wait(10)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
