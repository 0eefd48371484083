"""The command line answers a wrong file, status or ref in one clear line and a non-zero exit,
never a traceback; `show` shows meetings too, and history in the organisation's time with what
changed from what to what."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.config import load_config
from mailbot.store.models import ActionItem, Event
from tests.helpers import MAILS

REPO = Path(__file__).resolve().parent.parent


# One command against the bot `mailbot init` made (the `bot` fixture, tests/conftest.py).
from tests.test_cli import run  # noqa: E402


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def minutes(bot: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert run(bot, "ingest", str(MAILS / "outlook_zh_minutes_gbk_html.eml")) == 0
    capsys.readouterr()
    return bot


def test_show_a_meeting(minutes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(minutes, "show", "M-1") == 0
    out = capsys.readouterr().out
    assert "       title: Q1 新品上市跨部门协作会" in out
    assert "        date: 2026-12-02" in out and "      status: in_review" in out
    assert "        host: 李娜 <li.na@corp.example>" in out
    # Its actions, then its own history (the minutes arriving), in Shanghai time.
    table = out.split("actions:\n", 1)[1].split("history:\n", 1)[0].splitlines()
    assert table[0].split()[:3] == ["ref", "owner_name", "owner"]
    assert [line.split()[0] for line in table[1:]] == ["A-1", "A-2", "A-3", "A-4"]
    assert "  2026-12-02 18:00:00+08:00  minutes.accepted" in out
    assert "      version: 1" in out and "      actions: 4" in out
    assert run(minutes, "show", "m1", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["meeting"]["ref"] == "M-1" and len(shown["actions"]) == 4


@pytest.mark.parametrize(
    ("ref", "says"),
    [
        ("M-99", "mailbot: no meeting 'M-99'"),
        ("A-99", "mailbot: no action 'A-99'"),
        ("X-1", "mailbot: 'X-1' is no ref: an action looks like A-12, a meeting like M-3"),
        ("A-99999999999999999999", "is no ref"),  # too long to be an id (and for SQLite's integer)
        ("", "is no ref"),
    ],
)
def test_a_wrong_ref_is_one_line_and_exit_2(
    minutes: Path, capsys: pytest.CaptureFixture[str], ref: str, says: str
) -> None:
    assert run(minutes, "show", ref) == 2
    captured = capsys.readouterr()
    assert says in one_line(captured.err) and captured.out == ""


def test_a_missing_file_is_one_line_and_nothing_is_processed(
    bot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = str(MAILS / "outlook_zh_minutes_gbk_html.eml")
    assert run(bot, "ingest", good, "/nonexistent.eml") == 2
    captured = capsys.readouterr()
    assert one_line(captured.err) == "mailbot: ingest: /nonexistent.eml: no such file; nothing was processed"
    assert captured.out == ""
    assert run(bot, "ingest", str(tmp_path)) == 2
    assert "is a directory" in one_line(capsys.readouterr().err)
    assert run(bot, "meetings") == 0
    assert capsys.readouterr().out.strip() == "(none)"  # the good file was not processed either


def test_the_installed_command_prints_no_traceback(bot: Path) -> None:
    """As an administrator runs it: the real entry point, a real process."""
    done = subprocess.run(
        [sys.executable, "-m", "mailbot.cli", "--config", str(bot), "ingest", "/nonexistent.eml"],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == "mailbot: ingest: /nonexistent.eml: no such file; nothing was processed\n"


def test_status_overdue_is_the_overdue_listing_and_an_unknown_status_is_refused(
    minutes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = "2026-12-16T09:00"
    assert run(minutes, "actions", "--overdue", "--json", now=now) == 0
    overdue = [r["ref"] for r in json.loads(capsys.readouterr().out)]
    assert overdue == ["A-2", "A-1"]
    # "overdue" is no status, but people ask for it by that name: the same listing.
    for word in ("overdue", "Overdue", "逾期"):
        assert run(minutes, "actions", "--status", word, "--json", now=now) == 0
        assert [r["ref"] for r in json.loads(capsys.readouterr().out)] == overdue
    # A status by its code, spelled loosely, or by its words in the mails.
    for word in ("awaiting_confirmation", "awaiting-confirmation", "Awaiting confirmation", "待确认"):
        assert run(minutes, "actions", "--status", word, "--json") == 0
        assert len(json.loads(capsys.readouterr().out)) == 4
    assert run(minutes, "actions", "--status", "accepted") == 0
    assert capsys.readouterr().out.strip() == "(none)"  # a real status, nothing in it
    assert run(minutes, "actions", "--status", "finished") == 2
    captured = capsys.readouterr()
    line = one_line(captured.err)
    assert line.startswith("mailbot: --status: 'finished' is no status; use one of proposed, awaiting_confirmation, ")
    assert line.endswith(", or overdue") and "in_progress" in line and "verified" in line
    assert captured.out == ""


def test_history_in_the_organisations_time_with_old_and_new_values(
    minutes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = App.open(load_config(minutes), FixedClock(datetime(2026, 12, 9, 2, 0, tzinfo=UTC)))
    try:
        with app.db.transaction() as session:
            action = session.get(ActionItem, 3)
            assert action is not None
            action.status, action.due, action.delay_reason = "delayed", date(2026, 12, 24), "等待培训场地确认"
            action.done_at = datetime(2026, 12, 16, 17, 30, tzinfo=UTC)  # 12-17 01:30 in Shanghai
            session.add_all([
                Event(at=datetime(2026, 12, 9, 2, 0, tzinfo=UTC), actor="zhao.min@corp.example", what="action.delayed",
                      meeting_id=1, action_id=3, inbound_mail_id=None,
                      detail={"old_due": "2026-12-18", "new_due": "2026-12-24", "reason": "等待培训场地确认"}),
                Event(at=datetime(2026, 12, 10, 1, 0, tzinfo=UTC), actor="li.na@corp.example",
                      what="action.reassigned", meeting_id=1, action_id=3,
                      detail={"previous": "zhao.min@corp.example", "new": "sun.lei@corp.example"}),
                Event(at=datetime(2026, 12, 10, 16, 0, tzinfo=UTC), actor="mailbot", what="action.deadline_extended",
                      meeting_id=1, action_id=3, detail={"from": None, "to": "2026-12-14", "away_until": "2026-12-11"}),
                Event(at=datetime(2026, 12, 11, 1, 0, tzinfo=UTC), actor="mailbot", what="action.escalated",
                      meeting_id=1, action_id=3, detail={"to": ["rd.head@corp.example", "li.na@corp.example"]}),
            ])  # fmt: skip
    finally:
        app.db.dispose()
    assert run(minutes, "show", "A-3", now="2026-12-21T09:00") == 0
    out = capsys.readouterr().out
    history = out.split("history:\n", 1)[1]
    # 02:00 UTC is 10:00 in Shanghai (bot.timezone), said with its offset.
    assert "  2026-12-09 10:00:00+08:00  action.delayed " in history
    assert "      due: 2026-12-18 → 2026-12-24\n      reason: 等待培训场地确认\n" in history
    assert "  2026-12-10 09:00:00+08:00  action.reassigned" in history
    assert "      owner: zhao.min@corp.example → sun.lei@corp.example\n" in history
    # 16:00 UTC on the 10th is already the 11th in Shanghai.
    assert "  2026-12-11 00:00:00+08:00  action.deadline_extended" in history
    assert "      confirm by: — → 2026-12-14\n      away_until: 2026-12-11\n" in history
    assert "      to: rd.head@corp.example, li.na@corp.example\n" in history
    assert "     done_at: 2026-12-17 01:30:00+08:00" in out
    assert "+00:00" not in out
