"""The exported tracking table: the seed's columns, then meeting date, overdue working days,
consent, verifier, done and verified days; every label in the chosen language; a filter row."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from mailbot.app import App
from mailbot.cli import main
from mailbot.clock import FixedClock
from mailbot.config import load_config
from mailbot.exports import to_csv, to_xlsx
from mailbot.languages import shipped_languages
from mailbot.store.models import ActionItem
from tests.helpers import MAILS, server_refuses_outsiders

NOW = "2026-12-21T09:00"  # Monday: A-2 (due Thu 12-10) is 7 working days overdue

ZH = (
    "编号", "会议", "任务描述", "负责人", "部门", "配合部门", "完成时限", "交付标准", "状态", "延期原因",
    "会议日期", "逾期工作日", "确认方式", "验收人", "完成日期", "验收日期",
)  # fmt: skip
EN = (
    "Ref", "Meeting", "Task", "Owner", "Department", "Support", "Due", "Deliverable", "Status", "Delay reason",
    "Meeting date", "Working days overdue", "Consent", "Verifier", "Done on", "Verified on",
)  # fmt: skip


@pytest.fixture
def bot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """M-1 from the GBK Outlook minutes; A-1 verified by the host, A-2 accepted in silence and
    overdue, A-3 confirmed and done (awaiting 验收), A-4 still awaiting confirmation."""
    assert main(["init", str(tmp_path / "bot")]) == 0
    config = server_refuses_outsiders(tmp_path / "bot" / "config.toml")
    assert main(["--config", str(config), "--now", "2026-12-02T18:00", "ingest",
                 str(MAILS / "outlook_zh_minutes_gbk_html.eml")]) == 0  # fmt: skip
    app = App.open(load_config(config), FixedClock(datetime(2026, 12, 21, 1, 0, tzinfo=UTC)))
    try:
        with app.db.transaction() as session:
            a1, a2, a3 = (session.get(ActionItem, n) for n in (1, 2, 3))
            assert a1 is not None and a2 is not None and a3 is not None
            a1.status, a1.consent = "verified", "explicit"
            a1.done_at = datetime(2026, 12, 14, 17, 0, tzinfo=UTC)  # 12-15 01:00 in Shanghai
            a1.verified_at, a1.verified_by = datetime(2026, 12, 16, 3, 0, tzinfo=UTC), "li.na@corp.example"
            a2.status, a2.consent = "accepted", "silent"
            a3.status, a3.consent, a3.done_at = "done", "explicit", datetime(2026, 12, 18, 2, 0, tzinfo=UTC)
    finally:
        app.db.dispose()
    capsys.readouterr()
    return config


def export(config: Path, out: Path, *more: str) -> int:
    return main(["--config", str(config), "--now", NOW, "export", "--out", str(out), *more])


def by_ref(rows: list[tuple]) -> dict[str, tuple]:
    return {row[0]: row for row in rows[1:]}


def test_the_xlsx_has_the_new_columns_in_the_bots_language_and_a_filter_row(bot: Path, tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    assert export(bot, out) == 0  # bot.language = zh
    sheet = load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ZH
    # The filter row: a drop-down on every header, over every row.
    assert sheet.auto_filter.ref == "A1:P5"
    actions = by_ref(rows)
    a1, a2, a3, a4 = (actions[f"A-{n}"] for n in range(1, 5))
    assert a1[10] == datetime(2026, 12, 2) and sheet["K2"].number_format == "yyyy-mm-dd"  # the meeting's date
    assert a1[8:] == ("已验收", None, datetime(2026, 12, 2), None, "本人确认", "li.na@corp.example",
                      datetime(2026, 12, 15), datetime(2026, 12, 16))  # fmt: skip
    # Overdue in working days, the reminders' and escalations' count: 12-11 to 12-21 holds 7.
    assert a2[8] == "未开始" and a2[11] == 7 and a2[12] == "逾期未回复，视为同意"
    assert a3[8] == "已完成（待验收）" and a3[11] is None and a3[14] == datetime(2026, 12, 18)
    assert a3[13] == "li.na@corp.example"  # who is to verify it
    assert a4[8] == "待确认" and a4[12] is None and a4[14:] == (None, None)


def test_english_labels_with_language_en(bot: Path, tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    assert export(bot, out, "--language", "en") == 0
    sheet = load_workbook(out).active
    assert sheet.title == "Action tracking"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == EN
    actions = by_ref(rows)
    assert actions["A-1"][8] == "verified" and actions["A-1"][12] == "confirmed by the owner"
    assert actions["A-2"][8] == "accepted" and actions["A-2"][12] == "silent consent"
    assert actions["A-3"][8] == "done (awaiting verification)"
    assert sheet.auto_filter.ref == "A1:P5"


def test_the_csv_has_the_same_columns_and_no_filter_row(bot: Path, tmp_path: Path) -> None:
    out = tmp_path / "t.csv"
    assert export(bot, out, "--format", "csv") == 0
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == ZH and len(rows) == 5  # the header, then one row per action: nothing else
    a2 = next(r for r in rows if r[0] == "A-2")
    assert a2[10:14] == ["2026-12-02", "7", "逾期未回复，视为同意", "li.na@corp.example"]
    assert run_csv(bot, tmp_path, "--language", "en")[0] == list(EN)


def run_csv(bot: Path, tmp_path: Path, *more: str) -> list[list[str]]:
    out = tmp_path / "more.csv"
    assert export(bot, out, "--format", "csv", *more) == 0
    return list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))


def test_one_meeting_and_wrong_arguments(bot: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "t.xlsx"
    assert export(bot, out, "--meeting", "m-1") == 0
    assert "wrote 4 action(s)" in capsys.readouterr().out
    for more, says in (
        (("--meeting", "M-9"), "mailbot: --meeting: no meeting 'M-9' (refs look like M-3)"),
        (("--meeting", "Q1"), "mailbot: --meeting: no meeting 'Q1' (refs look like M-3)"),
        (("--language", "de"), "mailbot: --language: 'de' has no templates folder; one of zh or en"),
    ):
        assert export(bot, out, *more) == 2
        err = capsys.readouterr().err
        assert err == says + "\n", more
    assert export(bot, tmp_path / "no" / "such" / "dir.xlsx") == 2
    err = capsys.readouterr().err
    assert err.startswith("mailbot: --out: ") and "No such file or directory" in err and len(err.splitlines()) == 1


def test_a_language_without_its_words_takes_the_fallbacks() -> None:
    """A language folder added later (tests/languages/fr) names the seed's columns in words.toml;
    the new columns come from the fallback's words.toml until its own names them."""
    rows = [{"ref": "A-1", "description": "x", "owner": "o@corp.example", "due": date(2026, 12, 1),
             "status": "in_progress"}]  # fmt: skip
    table = list(csv.reader(io.StringIO(to_csv(rows, "xx").decode("utf-8-sig"))))
    fallback = shipped_languages().fallback
    assert table[0][10:] == list(shipped_languages().of(fallback).headers()[10:])
    assert table[0][10:] == ["Meeting date", "Working days overdue", "Consent", "Verifier", "Done on", "Verified on"]
    # The tables stay a function of the rows: a row without the new fields leaves their cells empty.
    sheet = load_workbook(io.BytesIO(to_xlsx(rows, "en", date(2026, 12, 21)))).active
    assert list(sheet.iter_rows(values_only=True))[1][10:] == (None,) * 6
