"""The command line as an administrator uses it, on the embedded default."""

from __future__ import annotations

import json
import mailbox
import shutil
from pathlib import Path

import pytest

from mailbot.cli import main
from tests.helpers import MAILS

ACTION_KEYS = {
    "ref",
    "meeting",
    "description",
    "owner",
    "owner_name",
    "department",
    "support",
    "due",
    "deliverable",
    "status",
}


def run(config: Path, *args: str, now: str = "2026-12-02T18:00") -> int:
    return main(["--config", str(config), "--now", now, *args])


def test_run_once_processes_the_maildir_and_delivers_into_the_sent_maildir(
    bot: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox = bot.parent / "inbox"
    shutil.copy(MAILS / "outlook_zh_minutes_gbk_html.eml", inbox / "new" / "1700000000.M1.host")
    shutil.copy(MAILS / "outlook_zh_autoreply.eml", inbox / "new" / "1700000001.M2.host")
    assert run(bot, "run", "--once") == 0
    out = capsys.readouterr().out
    assert "processed: 1 ignored, 1 processed" in out
    sent_dir = bot.parent / "sent" / "new"
    # ack + 4 requests + 4 notices (not to the recorder: the acknowledgement is hers); 赵敏's
    # auto-reply answers the recorder's mail, not one of ours: recorded and ignored, it moves no
    # deadline (a forger could send the same)
    assert f"sent 9 mail(s) to {sent_dir}" in out
    assert len(list(sent_dir.iterdir())) == 9
    assert list((inbox / "new").iterdir()) == []
    assert sorted(p.name.split(":")[0] for p in (inbox / "cur").iterdir()) == [
        "1700000000.M1.host",
        "1700000001.M2.host",
    ]
    # A second pass finds nothing new and sends nothing again.
    assert run(bot, "run", "--once") == 0
    assert "processed: no new mail" in capsys.readouterr().out
    assert len(list(mailbox.Maildir(str(bot.parent / "sent")))) == 9


def test_actions_json_carries_the_agreed_fields(bot: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(bot, "ingest", str(MAILS / "outlook_zh_minutes_gbk_html.eml")) == 0
    capsys.readouterr()
    assert run(bot, "actions", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 4
    assert set(rows[0]) >= ACTION_KEYS
    first = next(r for r in rows if r["ref"] == "A-1")
    assert first["owner"] == "zhang.wei@corp.example"
    assert first["owner_name"] == "张伟"
    assert first["department"] == "市场部"
    assert first["due"] == "2026-12-15"
    assert first["meeting"] == "M-1"
    assert first["status"] == "awaiting_confirmation"

    assert run(bot, "actions", "--owner", "ZHU.RONG@corp.example", "--json") == 0
    assert [r["ref"] for r in json.loads(capsys.readouterr().out)] == ["A-4"]
    assert run(bot, "actions", "--overdue", "--json", now="2026-12-16T09:00") == 0
    assert [r["ref"] for r in json.loads(capsys.readouterr().out)] == ["A-2", "A-1"]


def test_listings_print_readable_tables_and_show_prints_the_history(
    bot: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(bot, "ingest", str(MAILS / "outlook_zh_minutes_gbk_html.eml")) == 0
    capsys.readouterr()
    assert run(bot, "meetings") == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["ref", "date", "status", "title", "actions", "confirm_by"]
    assert table[1].split()[:3] == ["M-1", "2026-12-02", "in_review"]
    assert run(bot, "show", "A-2") == 0
    shown = capsys.readouterr().out
    assert "description: 提供产品功能亮点说明" in shown
    assert "requester: li.na@corp.example" in shown  # no 需求方 named: the host verifies
    assert "action.proposed" in shown and "mail #1" in shown
    assert run(bot, "show", "A-99") == 2
    assert "no action 'A-99'" in capsys.readouterr().err


def test_ingest_reads_stdin_as_an_mta_pipes_it(
    bot: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io
    import sys

    raw = (MAILS / "foxmail_zh_agenda_gbk.eml").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    assert run(bot, "ingest", "-", now="2026-11-30T09:20") == 0
    assert "-: agenda processed" in capsys.readouterr().out


def test_now_must_be_iso(bot: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(bot, "meetings", now="next tuesday") == 2
    assert "--now: 'next tuesday' is not an ISO 8601" in capsys.readouterr().err


def test_people_import_from_an_excel_gbk_csv_resolves_names_in_later_minutes(
    bot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv_file = tmp_path / "people.csv"
    csv_file.write_bytes(
        "name,address,department,role,language,proxy\n"
        "张伟,zhang.wei@corp.example,市场部,,zh,li.na@corp.example\n"
        "李娜,li.na@corp.example,市场部,head,zh,\n"
        "Chen Zhe,chen.zhe@corp.example,研发部,head,en,\n".encode("gbk")
    )
    assert run(bot, "people", "import", str(csv_file)) == 0
    assert f"{csv_file}: 3 added, 0 updated" in capsys.readouterr().out
    assert run(bot, "people", "--json") == 0
    people = {p["address"]: p for p in json.loads(capsys.readouterr().out)}
    assert people["zhang.wei@corp.example"]["proxy"] == "li.na@corp.example"
    assert people["li.na@corp.example"]["role"] == "head"
    assert run(bot, "people", "import", str(csv_file)) == 0
    assert "0 added, 3 updated" in capsys.readouterr().out


def test_a_bad_directory_row_is_named(bot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv_file = tmp_path / "people.csv"
    csv_file.write_text("name,address,language\n张伟,zhang.wei@corp.example,fr\n", encoding="utf-8")
    assert run(bot, "people", "import", str(csv_file)) == 2
    assert f"{csv_file}:2: language must be zh or en, not 'fr'" in capsys.readouterr().err


def test_a_mail_that_failed_lands_in_the_failed_folder(
    bot: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox = bot.parent / "inbox"
    shutil.copy(MAILS / "outlook_zh_minutes_gbk_html.eml", inbox / "new" / "1700000000.M1.host")
    monkeypatch.setattr("mailbot.pipeline.handle_minutes", lambda *_: 1 / 0)
    assert run(bot, "run", "--once") == 0
    assert "processed: 1 failed" in capsys.readouterr().out
    assert [p.name for p in (inbox / ".Failed" / "new").iterdir()] == ["1700000000.M1.host"]
    assert list((inbox / "new").iterdir()) == []


def test_export_writes_the_tracking_table_as_people_open_it(
    bot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from icalendar import Calendar
    from openpyxl import load_workbook

    assert run(bot, "ingest", str(MAILS / "outlook_zh_minutes_gbk_html.eml")) == 0
    xlsx, csv_file, ics = tmp_path / "t.xlsx", tmp_path / "t.csv", tmp_path / "t.ics"
    assert run(bot, "export", "--format", "xlsx", "--out", str(xlsx), now="2026-12-16T09:00") == 0
    sheet = load_workbook(xlsx).active
    assert sheet.title == "行动项跟踪表"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("编号", "会议", "任务描述", "负责人")
    assert rows[1][:3] == ("A-2", "Q1 新品上市跨部门协作会", "提供产品功能亮点说明")
    assert run(bot, "export", "--format", "csv", "--out", str(csv_file)) == 0
    assert csv_file.read_bytes().startswith(b"\xef\xbb\xbf")
    assert "朱镕 <zhu.rong@corp.example>" in csv_file.read_text(encoding="utf-8-sig")
    assert run(bot, "export", "--format", "ics", "--out", str(ics)) == 0
    assert len(Calendar.from_ical(ics.read_bytes()).walk("VTODO")) == 4
    assert "wrote 4 action(s)" in capsys.readouterr().out


def test_rules_check_prints_the_rules_in_effect_and_names_a_wrong_key(
    bot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(bot, "rules", "check") == 0
    out = capsys.readouterr().out
    assert "[consent] working_days = 2" in out
    assert "calendar: cn; provisional (not yet official) for 2027" in out
    rules = tmp_path / "rules"
    shutil.copytree(Path(__file__).resolve().parents[1] / "rules", rules)
    (rules / "policy.toml").write_text("[consent]\nworking_dayz = 2\n", encoding="utf-8")
    with bot.open("a", encoding="utf-8") as config:
        config.write(f'\n[paths]\nrules = "{rules}"\n')
    assert run(bot, "rules", "check") == 2
    assert f"{rules / 'policy.toml'}: consent.working_dayz: unknown key" in capsys.readouterr().err
