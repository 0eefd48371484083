"""The daemon as an administrator runs it: a subprocess on the embedded default, fed mail,
stopped with SIGTERM — nothing lost, nothing sent twice."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from mailbot.cli import main
from tests.helpers import MAILS, server_refuses_outsiders


def wait_for(condition, seconds: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_the_daemon_processes_mail_as_it_arrives_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path / "bot")]) == 0
    home = tmp_path / "bot"
    config = server_refuses_outsiders(home / "config.toml")
    command = [sys.executable, "-m", "mailbot.cli", "--config", str(config), "--now", "2026-12-02T18:00",
               "--log-json", "run", "--interval", "0.2"]  # fmt: skip
    daemon = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        shutil.copy(MAILS / "outlook_zh_minutes_gbk_html.eml", home / "inbox" / "new" / "1.M1.host")
        sent = home / "sent" / "new"
        assert wait_for(lambda: len(list(sent.iterdir())) >= 9), "the minutes' 9 mails were not delivered"
        shutil.copy(MAILS / "foxmail_zh_agenda_gbk.eml", home / "inbox" / "new" / "2.M2.host")
        # the agenda: its acknowledgement and a notice (with .ics) to each of the 7 other attendees
        # and to the recorder 王芳, whom its attendee line does not name
        assert wait_for(lambda: len(list(sent.iterdir())) >= 18)
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=30)
    finally:
        if daemon.poll() is None:
            daemon.kill()
    assert daemon.returncode == 0, err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(line["message"] == "stopped" for line in lines)
    assert any("minutes processed" in line["message"] for line in lines)
    assert len(list((home / "sent" / "new").iterdir())) == 18
    assert list((home / "inbox" / "new").iterdir()) == []
    # Restarted: nothing is processed or sent again.
    assert main(["--config", str(config), "--now", "2026-12-02T18:05", "run", "--once"]) == 0
    assert len(list((home / "sent" / "new").iterdir())) == 18


def test_the_daemon_serves_the_web_pages_when_they_are_on(tmp_path: Path) -> None:
    """Issue 14: one service — `mailbot run` starts the read-only pages beside the mail loop, the
    link in a mail it sent opens, and SIGTERM stops both."""
    import email
    import email.policy
    import re
    import socket
    import urllib.request

    assert main(["init", str(tmp_path / "bot")]) == 0
    home = tmp_path / "bot"
    config = server_refuses_outsiders(home / "config.toml")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    text = config.read_text(encoding="utf-8")
    head, web = text.split("[web]\n", 1)
    web = web.replace("enabled = false", "enabled = true", 1).replace("port = 8470", f"port = {port}", 1)
    web = web.replace('base_url = ""', f'base_url = "http://127.0.0.1:{port}"', 1)
    config.write_text(head + "[web]\n" + web, encoding="utf-8")
    command = [sys.executable, "-m", "mailbot.cli", "--config", str(config), "--now", "2026-12-02T18:00",
               "--log-json", "run", "--interval", "0.2"]  # fmt: skip
    daemon = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        shutil.copy(MAILS / "outlook_zh_minutes_gbk_html.eml", home / "inbox" / "new" / "1.M1.host")
        sent = home / "sent" / "new"
        assert wait_for(lambda: len(list(sent.iterdir())) >= 9), "the minutes' 9 mails were not delivered"
        bodies = [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default).get_body(("plain",)).get_content()
            for p in sent.iterdir()
        ]
        links = [found for body in bodies for found in re.findall(r"http://127\.0\.0\.1:\d+/\S+", body)]
        assert links, bodies[0][-800:]
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(links[0], timeout=30) as page:
            assert page.status == 200 and "M-1" in page.read().decode()
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=30)
    finally:
        if daemon.poll() is None:
            daemon.kill()
    assert daemon.returncode == 0, err
