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
