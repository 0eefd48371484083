"""`mailbot web --workers N`: the pages in N processes on one port (issue 14, item 3), the bad-link
limit shared out among them, and `mailbot run --web-workers 0` leaving the pages to that service.
"""

from __future__ import annotations

import math
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

from mailbot.app import App
from mailbot.cli import main
from mailbot.clock import FixedClock
from mailbot.config import load_config
from mailbot.daemon import Daemon
from mailbot.web.links import make_link
from mailbot.web.server import WebApp, default_workers
from tests.helpers import SHANGHAI, server_refuses_outsiders

LIMIT = 6
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def web_home(tmp_path: Path) -> tuple[Path, int]:
    assert main(["init", str(tmp_path / "bot")]) == 0
    config = server_refuses_outsiders(tmp_path / "bot" / "config.toml")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    text = config.read_text(encoding="utf-8")
    head, web = text.split("[web]\n", 1)
    web = web.replace("enabled = false", "enabled = true", 1).replace("port = 8470", f"port = {port}", 1)
    web = web.replace('base_url = ""', f'base_url = "http://127.0.0.1:{port}"', 1)
    web = web.replace("[archive]", f"bad_link_limit = {LIMIT}\n\n[archive]", 1)
    config.write_text(head + "[web]\n" + web, encoding="utf-8")
    return config, port


def status_of(url: str, client: str | None = None) -> int:
    request = urllib.request.Request(url)
    if client:
        request.add_header("X-Forwarded-For", client)
    try:
        with _OPENER.open(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0


def app_clock(now: str) -> FixedClock:
    return FixedClock(datetime.fromisoformat(now).replace(tzinfo=SHANGHAI))


def children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_the_pages_run_in_several_processes_and_share_the_bad_link_limit(tmp_path: Path) -> None:
    config, port = web_home(tmp_path)
    now = "2026-12-02T18:00"
    app = App.open(load_config(config), app_clock(now))
    link = make_link(app, "zhang.wei@corp.example")
    app.db.dispose()
    command = [sys.executable, "-m", "mailbot.cli", "--config", str(config), "--now", now, "web", "--workers", "2"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while status_of(f"http://127.0.0.1:{port}/robots.txt") != 200:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.2)
        if Path(f"/proc/{server.pid}").exists():
            # uvicorn's supervisor, and under it the two workers (and multiprocessing's helper).
            assert len(children_of(server.pid)) >= 2
        assert all(status_of(link, client="10.1.0.1") == 200 for _ in range(6))  # --now: the link is valid
        # A client guessing links: each process allows its share of the limit, so however the
        # connections fall between the two, no more than the limit of guesses is ever answered.
        answers = [status_of(f"http://127.0.0.1:{port}/p/guess{n}", client="10.1.0.2") for n in range(24)]
        assert set(answers) <= {404, 429}
        # The kernel need not share the connections out evenly (one process may take nearly all of
        # them), so which guess is the first refused is not fixed; how many are answered is.
        assert math.ceil(LIMIT / 2) <= answers.count(404) <= LIMIT
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            output, _ = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate()
    assert server.returncode == 0, output
    assert "(2 processes)" in output


def test_each_process_allows_its_share_of_bad_links(tmp_path: Path) -> None:
    config, _ = web_home(tmp_path)
    app = App.open(load_config(config), app_clock("2026-12-02T18:00"))
    try:
        assert WebApp(app).bad_links.limit == LIMIT
        assert WebApp(app, processes=4).bad_links.limit == math.ceil(LIMIT / 4)
        assert WebApp(app, processes=100).bad_links.limit == 1
    finally:
        app.db.dispose()
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    assert default_workers() == max(1, min(expected, 8))


def test_a_daemon_told_so_leaves_the_pages_to_their_own_service(tmp_path: Path) -> None:
    config, _ = web_home(tmp_path)
    app = App.open(load_config(config), app_clock("2026-12-02T18:00"))
    try:
        quiet = Daemon(app, None, lambda: None, interval=1, web_workers=0)  # type: ignore[arg-type]
        assert quiet.start_pages() is None
    finally:
        app.db.dispose()
