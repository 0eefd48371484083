"""The minutes archive (issue 14, item 3): when minutes become official they are filed into the
folder tree a shared drive syncs — the minutes as Word laid out like the seed's 纪要, the tracking
table, the deliverables sent with 完成, the audit history — and the 正式版 mail carries the .docx.
The .docx is read back with python-docx and compared with the seed template's sections."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import select

from mailbot.app import App
from mailbot.archive import (
    DOCX_TYPE,
    Filing,
    folder_for,
    minutes_docx,
    minutes_docx_built,
    minutes_recipe,
    safe_name,
    write_filing,
)
from mailbot.cli import main
from mailbot.clock import FixedClock
from mailbot.config import load_config
from mailbot.jobs import run_jobs
from mailbot.notify import Notifier
from mailbot.outbox import attachment_bytes, stored_attachment
from mailbot.pipeline import process
from mailbot.store.models import ActionItem, Event, Meeting, MinutesVersion, OutboxMail
from mailbot.workflow.consent import run_consent_deadlines
from tests.conftest import need_server
from tests.helpers import at, feed, outbox
from tests.replying import reply

HOST = "li.na@corp.example"
ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
STANDARD_SEED = SEEDS / "cross-department-minutes-standard-template.zh.txt"
TRACKING_SEED = SEEDS / "cross-department-meeting-tracking-template.zh.txt"

# What the seed's 纪要 holds ("内容需包含：会议基本信息、各议题讨论要点、决议事项、行动项跟踪表"), and the
# headings the Word file gives them, in order. Checked against the seed file itself when it is there.
SEED_SECTIONS = ("会议基本信息", "各议题讨论要点", "决议事项", "行动项跟踪表")
HEADINGS_ZH = ("一、会议基本信息", "二、议题与讨论要点", "三、决议事项", "四、行动项跟踪表")
HEADINGS_EN = ("1. Meeting information", "2. Topics and discussion", "3. Decisions", "4. Action tracking")
# The seed's 会议基本信息表 (三、纪要核心内容模板 (一)); its 会议主题 is the tracking seed's 会议目标.
SEED_INFO = ("会议名称", "会议时间", "会议地点", "主持人", "记录人", "参会部门及人员", "缺席人员及原因", "会议主题")
SEED_TOPIC_COLUMNS = ("议题编号", "议题名称", "讨论要点")


@pytest.fixture
def archived(home: Path, clock: FixedClock) -> Iterator[App]:
    config = home / "config.toml"
    text = config.read_text(encoding="utf-8")
    text, found = re.subn(r"(\[archive\]\n(?:#.*\n)*)enabled = false", r"\1enabled = true", text)
    assert found == 1, "mailbot init's [archive] section changed"
    config.write_text(text, encoding="utf-8")
    app = App.open(load_config(config), clock)
    yield app
    app.db.dispose()


def request_to(app: App, address: str) -> OutboxMail:
    return next(m for m in outbox(app, "confirm_request") if m.to_address == address)


def zh_round(app: App, clock: FixedClock) -> None:
    """The Chinese round of tests/test_official_minutes.py; A-3 is delivered with a file."""
    at(clock, "2026-11-30 09:20")
    assert feed(app, "foxmail_zh_agenda_gbk.eml").outcome == "processed"
    at(clock, "2026-12-02 18:00")
    assert feed(app, "outlook_zh_minutes_gbk_html.eml").outcome == "processed"
    at(clock, "2026-12-03 10:00")
    process(app, reply(app, request_to(app, "zhang.wei@corp.example"), "确认"))
    process(app, reply(app, request_to(app, "chen.zhe@corp.example"), "延期至 2026-12-20，原因：等待供应商样机"))
    plan = ("销售培训计划.pdf", "application/pdf", b"%PDF-1.4 plan")
    process(app, reply(app, request_to(app, "zhao.min@corp.example"), "完成", attachments=(plan,)))
    at(clock, "2026-12-04 11:00")
    (acceptance,) = outbox(app, "acceptance_request")
    process(app, reply(app, acceptance, "确认"))
    at(clock, "2026-12-07 09:00")
    assert run_consent_deadlines(app, app.now())["confirmed"] == 1


def the_folder(app: App) -> Path:
    root = app.config.resolve(app.config.archive.path)
    (folder,) = [p for p in root.glob("*/*/*") if p.is_dir()]
    return folder


def headings(document) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]


def rows(table) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_official_minutes_are_filed_with_the_word_file_the_table_the_deliverables_and_the_history(
    archived: App, clock: FixedClock
) -> None:
    app = archived
    zh_round(app, clock)
    folder = the_folder(app)
    root = app.config.resolve(app.config.archive.path)
    assert folder.relative_to(root).parts == ("跨部门协作", "2026", "2026-12-02 Q1 新品上市跨部门协作会 (M-1)")
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert names == [
        ".mailbot-archive.json", "Q1 新品上市跨部门协作会 会议纪要.docx", "交付物/A-3/销售培训计划.pdf",
        "审计记录.csv", "行动项跟踪表.xlsx",
    ]  # fmt: skip
    assert (folder / "交付物/A-3/销售培训计划.pdf").read_bytes() == b"%PDF-1.4 plan"
    with zipfile.ZipFile(folder / "行动项跟踪表.xlsx") as book:
        assert "xl/worksheets/sheet1.xml" in book.namelist()
    history = list(csv.reader(io.StringIO((folder / "审计记录.csv").read_text(encoding="utf-8-sig"))))
    assert history[0] == ["时间", "事件", "操作人", "行动项", "来信编号", "详情"]
    events = [row[1] for row in history[1:]]
    # The events in the page's words, not their keys.
    assert "完成" in events and events[-1] == "纪要确认，发出正式版"
    assert next(r for r in history if r[1] == "延期")[3] == "A-2"
    with app.db.session() as session:
        filed = session.scalars(select(Event).where(Event.what == "archive.filed")).one()
        assert filed.detail["folder"] == str(folder)
    # No temporary folder is left behind.
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]


def test_the_word_file_has_the_seed_templates_sections_and_tables(archived: App, clock: FixedClock) -> None:
    zh_round(archived, clock)
    folder = the_folder(archived)
    document = Document(str(folder / "Q1 新品上市跨部门协作会 会议纪要.docx"))
    title = [p.text for p in document.paragraphs if p.style.name == "Title"]
    assert title == ["Q1 新品上市跨部门协作会 会议纪要"]
    assert "M-1 · 正式版 · 第 1 版" in [p.text for p in document.paragraphs]
    assert tuple(headings(document)) == HEADINGS_ZH
    # Each heading is the seed's section ("各议题讨论要点" is the seed's wording of 议题与讨论要点).
    for seed, heading in zip(SEED_SECTIONS, HEADINGS_ZH, strict=True):
        assert seed.replace("各", "") == heading.split("、", 1)[1].replace("与", "")
    info, topics, decisions, actions = document.tables
    assert rows(info)[0] == ["项目", "内容"]
    labels = [row[0] for row in rows(info)[1:]]
    assert labels == [*SEED_INFO[:-1], "会议目标"]  # 会议主题: the tracking seed's 会议目标, as the mails say
    values = dict(rows(info)[1:])
    assert values["会议名称"] == "Q1 新品上市跨部门协作会（M-1）"
    assert values["会议时间"] == "2026年12月2日（周三） 14:00-16:00"
    assert values["主持人"] == "李娜 <li.na@corp.example>"
    assert values["缺席人员及原因"] == "无"
    assert tuple(rows(topics)[0][:3]) == SEED_TOPIC_COLUMNS
    assert [r[:2] for r in rows(topics)[1:]] == [
        ["1.1", "产品推广与技术支持协作流程"], ["1.2", "销售提成预算分配方案"], ["1.3", "上市时间节点对齐"],
    ]  # fmt: skip
    assert rows(topics)[1][3:] == ["李娜", "30 分钟", "35 分钟"]
    assert rows(decisions)[0] == ["序号", "决议内容"] and rows(decisions)[1] == ["1", "新品上市日期定为2027年1月18日。"]
    table = rows(actions)
    assert table[0] == ["编号", "任务描述", "负责人", "配合部门", "完成时限", "交付标准", "状态", "确认方式"]
    by_ref = {r[0]: r for r in table[1:]}
    assert set(by_ref) == {"A-1", "A-2", "A-3", "A-4"}
    assert by_ref["A-1"][1:6] == [
        "输出新品推广活动方案初稿", "市场部 张伟\nzhang.wei@corp.example", "研发部", "2026年12月15日（周二）", "方案初稿 PDF",
    ]  # fmt: skip
    # The state in the tracking seed's words (未开始、进行中、已完成、延期), as the .xlsx says it.
    assert by_ref["A-1"][6:] == ["未开始\n验收人 李娜 <li.na@corp.example>", "本人确认"]
    assert by_ref["A-2"][6] == "延期\n原定 2026年12月10日（周四），延期至 2026年12月20日（周日）\n原因：等待供应商样机"
    assert by_ref["A-2"][7] == "负责人回复延期，按新时限执行"
    assert by_ref["A-3"][6] == "已验收\n2026年12月4日（周五）\n验收人 李娜 <li.na@corp.example>"
    assert by_ref["A-4"][7] == "逾期未回复，视为同意"


def test_the_sections_the_test_expects_are_the_seed_files_own() -> None:
    if not STANDARD_SEED.is_file() or not TRACKING_SEED.is_file():
        need_server(f"the seeds are not at {SEEDS} (a checkout without ../shared)")
    standard = STANDARD_SEED.read_text(encoding="utf-8")
    (listed,) = re.findall(r"内容需包含[:：]([^。]+)。", standard)
    assert tuple(listed.split("、")) == SEED_SECTIONS
    core = standard.split("三、纪要核心内容模板", 1)[1]
    info = core.split("(一)会议基本信息表", 1)[1].split("(二)", 1)[0]
    lines = [line.strip() for line in info.splitlines() if line.strip()]
    assert lines[:2] == ["项目", "内容"]
    assert tuple(lines[2::2]) == SEED_INFO
    topics = [line.strip() for line in core.split("(二)议题与讨论记录表", 1)[1].splitlines() if line.strip()]
    assert tuple(topics[:3]) == SEED_TOPIC_COLUMNS
    assert "会议目标" in TRACKING_SEED.read_text(encoding="utf-8")


def test_the_official_minutes_mail_carries_the_same_word_file(archived: App, clock: FixedClock) -> None:
    zh_round(archived, clock)
    final = next(m for m in outbox(archived, "final_minutes") if m.to_address == HOST)
    (docx,) = [a for a in final.attachments if a["filename"].endswith(".docx")]
    assert docx["content_type"] == DOCX_TYPE and docx["filename"] == "Q1 新品上市跨部门协作会 会议纪要.docx"
    data = attachment_bytes(docx, final.context)
    assert data == (the_folder(archived) / docx["filename"]).read_bytes()
    assert tuple(headings(Document(io.BytesIO(data)))) == HEADINGS_ZH


def test_the_word_file_is_the_same_from_a_stored_recipe(archived: App, clock: FixedClock) -> None:
    """Ready for a send-time recipe (mailbot.outbox.DeferredFile): the recipe stores the mail's own
    views by reference, and the views read back from the outbox's JSON make the very bytes."""
    zh_round(archived, clock)
    final = next(m for m in outbox(archived, "final_minutes") if m.to_address == HOST)
    (docx,) = [a for a in final.attachments if a["filename"].endswith(".docx")]
    with archived.db.session() as session:
        confirmed = session.scalars(select(Meeting)).one().confirmed_at
    context = {"meeting": final.context["meeting"], "actions": final.context["actions"]}
    notifier = Notifier(app=archived, session=None, now=confirmed)  # type: ignore[arg-type]
    recipe = minutes_recipe(notifier, context["meeting"], context["actions"], 1)
    stored = json.loads(json.dumps(stored_attachment(recipe, context), default=str))
    assert stored["filename"] == docx["filename"] and "data" not in stored
    assert stored["recipe"]["context_args"] == {"meeting": "meeting", "actions": "actions"}
    args = {**stored["recipe"]["args"], **{k: context[v] for k, v in stored["recipe"]["context_args"].items()}}
    assert minutes_docx_built(args) == attachment_bytes(docx, final.context)


def test_an_english_meeting_is_filed_in_english(archived: App, clock: FixedClock) -> None:
    app = archived
    at(clock, "2026-12-07 20:00")
    assert feed(app, "gmail_en_minutes_markdown.eml").outcome == "processed"
    at(clock, "2026-12-08 10:00")
    for who, answer in (
        ("zhou.ting", "done"),
        ("zhao.min", "confirm"),
        ("chen.zhe", "delay to 2026-12-18 because late"),
    ):
        process(app, reply(app, request_to(app, f"{who}@corp.example"), answer, style="gmail_en"))
    at(clock, "2026-12-10 09:00")
    assert run_consent_deadlines(app, app.now())["confirmed"] == 1
    folder = the_folder(app)
    assert folder.name == "2026-12-07 Q1 Launch Budget Review (M-1)"
    assert (folder / "action-tracking.xlsx").is_file() and (folder / "history.csv").is_file()
    document = Document(str(folder / "Q1 Launch Budget Review minutes.docx"))
    assert tuple(headings(document)) == HEADINGS_EN
    info, _, decisions, actions = document.tables
    assert rows(info)[0] == ["Item", "Details"] and rows(info)[3] == [
        "Where",
        "HQ 5F Room 502 / Tencent Meeting 987-654-321",
    ]
    assert rows(decisions)[0] == ["No.", "Decision"]
    table = rows(actions)
    assert table[0] == ["Ref", "Task", "Owner", "Support", "Due", "Deliverable", "Status", "Consent"]
    assert {r[0]: r for r in table[1:]}["A-1"][6] == "done\nTue 8 Dec 2026"


def test_a_later_official_version_replaces_the_files_and_keeps_the_earlier_word_file(
    archived: App, clock: FixedClock
) -> None:
    app = archived
    zh_round(app, clock)
    folder = the_folder(app)
    (folder / "会议照片.jpg").write_bytes(b"added by hand on the shared drive")
    first = (folder / "Q1 新品上市跨部门协作会 会议纪要.docx").read_bytes()
    at(clock, "2026-12-08 09:00")
    with app.db.transaction() as session:  # a corrected draft after the 正式版 (as test_official_minutes does)
        meeting = session.scalars(select(Meeting)).one()
        v1 = session.scalars(select(MinutesVersion)).one()
        v1.status = "superseded"
        session.add(MinutesVersion(meeting_id=meeting.id, number=2, inbound_mail_id=v1.inbound_mail_id,
                                   status="active", created_at=app.now()))  # fmt: skip
        a4 = next(a for a in meeting.actions if a.ref == "A-4")
        a4.due, a4.status, a4.consent, a4.confirm_by = (
            date(2027, 1, 8),
            "awaiting_confirmation",
            None,
            date(2026, 12, 10),
        )
        meeting.title = "Q1 新品上市跨部门协作会（修订）"
        meeting.status = "in_review"
    at(clock, "2026-12-11 09:00")
    assert run_consent_deadlines(app, app.now())["confirmed"] == 1
    moved = the_folder(app)  # the title changed: the folder moved with it
    assert moved.name == "2026-12-02 Q1 新品上市跨部门协作会（修订） (M-1)" and not folder.exists()
    files = sorted(p.name for p in moved.iterdir())
    assert "Q1 新品上市跨部门协作会（修订） 会议纪要.docx" in files
    assert (moved / "Q1 新品上市跨部门协作会（修订） 会议纪要 v1.docx").read_bytes() == first
    assert (moved / "会议照片.jpg").read_bytes() == b"added by hand on the shared drive"
    document = Document(str(moved / "Q1 新品上市跨部门协作会（修订） 会议纪要.docx"))
    assert "M-1 · 正式版 · 第 2 版" in [p.text for p in document.paragraphs]
    # Filed again (mailbot archive): the same version replaces, the earlier one stays.
    assert main(["--config", str(app.config.origin), "archive", "--meeting", "M-1"]) == 0
    assert sorted(p.name for p in the_folder(app).iterdir()) == files


def test_mailbot_archive_rebuilds_the_tree_from_the_database(
    archived: App, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    zh_round(archived, clock)
    root = archived.config.resolve(archived.config.archive.path)
    folder = the_folder(archived)
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    import shutil

    shutil.rmtree(root)
    config = str(archived.config.origin)
    assert main(["--config", config, "archive"]) == 0
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    assert f"M-1: {folder}" in capsys.readouterr().out
    assert main(["--config", config, "archive", "--meeting", "M-9"]) == 2
    assert main(["--config", config, "archive", "--meeting", "A-1"]) == 2


def test_a_failing_archive_never_blocks_the_minutes_mail(archived: App, clock: FixedClock) -> None:
    root = archived.config.resolve(archived.config.archive.path)
    root.parent.mkdir(parents=True, exist_ok=True)
    root.write_text("a file where the archive folder should be")
    zh_round(archived, clock)
    assert len(outbox(archived, "final_minutes")) >= 5  # every party's 正式版, decided and kept
    with archived.db.session() as session:
        assert session.scalars(select(Meeting)).one().status == "confirmed"
        failed = session.scalars(select(Event).where(Event.what == "archive.failed")).one()
        assert "Error" in failed.detail["error"]
        assert session.scalar(select(ActionItem).where(ActionItem.id == 3)).status == "verified"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("../../etc/passwd", "etc passwd"),
        ("..", "_"),
        ('a/b\\c:d*e?f"g<h>i|j', "a b c d e f g h i j"),
        ("周会\x00\x1b[31m\u202e红色", "周会 [31m 红色"),
        ("CON", "_CON"),
        ("  .hidden.  ", "hidden"),
        ("", "_"),
    ],
)
def test_safe_names_never_leave_their_folder(title: str, expected: str) -> None:
    assert safe_name(title) == expected


def test_a_long_title_is_cut_to_a_name_every_file_system_takes(tmp_path: Path) -> None:
    name = safe_name("跨部门" * 100)
    assert len(name) <= 60 and len(name.encode()) <= 180
    meeting = {"ref": "M-7", "title": "../" * 50 + "x", "project": "../../root", "date": "2026-12-02"}
    folder = folder_for(tmp_path, meeting)
    assert folder.resolve().is_relative_to(tmp_path.resolve())
    assert folder.relative_to(tmp_path).parts[:2] == ("root", "2026")


def test_a_folder_is_replaced_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    meeting = {"ref": "M-2", "title": "周会", "project": None, "date": "2026-12-02", "language": "zh"}
    docx = minutes_docx({**meeting, "topics": [], "decisions": []}, [], version=1, when="2026-12-07T01:00:00+00:00")
    filing = Filing(meeting=meeting, version=1, docx=docx, xlsx=b"x", xlsx_name="行动项跟踪表.xlsx",
                    history=b"h", deliverables=[("A-1", "../../evil.sh", b"e"), ("A-1", "../../evil.sh", b"f")])  # fmt: skip
    folder = write_filing(tmp_path, filing)
    assert (folder / "交付物/A-1/evil.sh").read_bytes() == b"e" and (
        folder / "交付物/A-1/evil (2).sh"
    ).read_bytes() == b"f"
    assert not (tmp_path / "evil.sh").exists()

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("mailbot.archive._swap", broken)
    with pytest.raises(OSError):
        write_filing(tmp_path, Filing(**{**filing.__dict__, "version": 2, "history": b"new"}))
    assert (folder / "审计记录.csv").read_bytes() == b"h"  # the filed folder is untouched
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # and no half-written one beside it


# Trial 14: the time in the bot's zone, A4, the folder in the meeting's language, kept current ---------


def midnight_round(app: App, clock: FixedClock) -> None:
    """The Chinese round, made official by the deadline job just after midnight on Saturday
    (Shanghai), 16:05 on Friday in UTC: the time zone decides even the day."""
    at(clock, "2026-11-30 09:20")
    assert feed(app, "foxmail_zh_agenda_gbk.eml").outcome == "processed"
    at(clock, "2026-12-02 18:00")
    assert feed(app, "outlook_zh_minutes_gbk_html.eml").outcome == "processed"
    at(clock, "2026-12-03 10:00")
    process(app, reply(app, request_to(app, "zhang.wei@corp.example"), "确认"))
    process(app, reply(app, request_to(app, "chen.zhe@corp.example"), "确认"))
    at(clock, "2026-12-05 00:05")
    assert run_jobs(app)["confirmed"] == 1


def footer(document) -> str:  # type: ignore[no-untyped-def]
    return next(p.text for p in document.paragraphs if "成为正式版" in p.text)


def test_the_word_file_says_when_in_the_bots_time_zone_on_a4(archived: App, clock: FixedClock) -> None:
    midnight_round(archived, clock)
    document = Document(str(the_folder(archived) / "Q1 新品上市跨部门协作会 会议纪要.docx"))
    assert "成为正式版（2026-12-05 00:05）" in footer(document)  # not 2026-12-04 16:05 (UTC)
    (section,) = document.sections
    size = [round(length.mm, 1) for length in (section.page_width, section.page_height)]  # Word keeps twips
    assert size == [210.0, 297.0]  # A4, not US Letter (215.9 × 279.4)
    margins = [
        round(m.mm, 1) for m in (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    ]
    assert margins == [25.4, 25.4, 19.1, 19.1]
    # The 正式版 mail's copy (built when the mail leaves, from its stored recipe) says the same.
    final = next(m for m in outbox(archived, "final_minutes") if m.to_address == HOST)
    (docx,) = [a for a in final.attachments if a["filename"].endswith(".docx")]
    mailed = Document(io.BytesIO(attachment_bytes(docx, final.context)))
    assert "成为正式版（2026-12-05 00:05）" in footer(mailed)
    assert round(mailed.sections[0].page_height.mm) == 297


def test_a_recipe_stored_before_the_time_zone_was_passed_says_utc() -> None:
    meeting = {"ref": "M-2", "title": "周会", "date": "2026-12-02", "language": "zh", "topics": [], "decisions": []}
    old = minutes_docx_built({"meeting": meeting, "actions": [], "version": 1, "now": "2026-12-04T16:05:00+00:00"})
    assert "成为正式版（2026-12-04 16:05 UTC）" in footer(Document(io.BytesIO(old)))
    new = minutes_docx_built({"meeting": meeting, "actions": [], "version": 1, "now": "2026-12-04T16:05:00+00:00",
                              "tz": "Asia/Shanghai"})  # fmt: skip
    assert "成为正式版（2026-12-05 00:05）" in footer(Document(io.BytesIO(new)))


def english_round(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-07 20:00")
    assert feed(app, "gmail_en_minutes_markdown.eml").outcome == "processed"
    at(clock, "2026-12-08 10:00")
    for who, answer in (
        ("zhou.ting", "done"),
        ("zhao.min", "confirm"),
        ("chen.zhe", "delay to 2026-12-18 because late"),
    ):
        process(app, reply(app, request_to(app, f"{who}@corp.example"), answer, style="gmail_en"))
    at(clock, "2026-12-10 09:00")
    assert run_consent_deadlines(app, app.now())["confirmed"] == 1


def test_an_english_meeting_without_a_project_is_filed_under_english_words(archived: App, clock: FixedClock) -> None:
    english_round(archived, clock)
    root = archived.config.resolve(archived.config.archive.path)
    folder = the_folder(archived)
    assert folder.relative_to(root).parts == ("Cross-department", "2026", "2026-12-07 Q1 Launch Budget Review (M-1)")
    assert not (root / "跨部门协作").exists()


def test_a_folder_filed_under_the_old_name_moves_and_none_is_left_behind(
    archived: App, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """An English meeting filed by an earlier version under "跨部门协作": filed again, it moves to
    "Cross-department" with what people added, and no second folder (nor an empty one) is left."""
    english_round(archived, clock)
    root = archived.config.resolve(archived.config.archive.path)
    new = the_folder(archived)
    old = root / "跨部门协作" / "2026" / new.name
    old.parent.mkdir(parents=True)
    new.rename(old)
    (root / "Cross-department" / "2026").rmdir()
    (root / "Cross-department").rmdir()
    (old / "budget sheet.xlsx").write_bytes(b"added by hand")
    assert main(["--config", str(archived.config.origin), "archive", "--meeting", "M-1"]) == 0
    assert f"M-1: {new}" in capsys.readouterr().out
    assert sorted(p.name for p in root.iterdir()) == ["Cross-department"]
    assert (new / "budget sheet.xlsx").read_bytes() == b"added by hand"


def tracking_states(folder: Path, name: str = "行动项跟踪表.xlsx") -> dict[str, str]:
    from openpyxl import load_workbook

    sheet = load_workbook(folder / name, read_only=True).worksheets[0]
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    header = next(r for r in rows if "编号" in r and "状态" in r)
    ref, state = header.index("编号"), header.index("状态")
    return {r[ref]: r[state] for r in rows[rows.index(header) + 1 :] if r[ref]}


def history_of(folder: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO((folder / "审计记录.csv").read_text(encoding="utf-8-sig"))))


def filings(app: App) -> list[Event]:
    with app.db.session() as session:
        return list(session.scalars(select(Event).where(Event.what.in_(("archive.filed", "archive.failed")))))


def test_the_folder_follows_the_official_meeting_deliverables_and_states(archived: App, clock: FixedClock) -> None:
    """Trial 14: after the minutes became official, 张伟 sent A-1 done with his file, 李娜 verified
    it, 陈喆 delayed A-2. The minute's job files the meeting again each time; a minute with nothing
    new files nothing."""
    app = archived
    midnight_round(app, clock)
    folder = the_folder(app)
    assert tracking_states(folder)["A-1"] == "未开始"
    assert len(filings(app)) == 1
    at(clock, "2026-12-05 00:06")
    assert run_jobs(app)["archive_filed"] == 0  # filed at the confirmation: nothing new

    at(clock, "2026-12-10 15:00")
    plan = ("新品推广活动方案初稿.pdf", "application/pdf", b"%PDF-1.4 draft")
    process(app, reply(app, request_to(app, "zhang.wei@corp.example"), "完成", attachments=(plan,)))
    process(app, reply(app, request_to(app, "chen.zhe@corp.example"), "延期至 2026-12-18，原因：等待供应商样机"))
    at(clock, "2026-12-10 15:01")
    assert run_jobs(app)["archive_filed"] == 1
    assert the_folder(app) == folder
    assert (folder / "交付物/A-1/新品推广活动方案初稿.pdf").read_bytes() == b"%PDF-1.4 draft"
    states = tracking_states(folder)
    assert states["A-1"] == "已完成（待验收）" and states["A-2"] == "延期"
    events = [row[1] for row in history_of(folder)]
    assert events[-2:] == ["完成", "延期"]
    at(clock, "2026-12-10 15:02")
    assert run_jobs(app)["archive_filed"] == 0  # idempotent: the same record, the same folder
    assert len(filings(app)) == 2

    at(clock, "2026-12-11 10:00")
    (acceptance,) = outbox(app, "acceptance_request")
    process(app, reply(app, acceptance, "确认"))
    at(clock, "2026-12-11 10:01")
    assert run_jobs(app)["archive_filed"] == 1
    assert tracking_states(folder)["A-1"] == "已验收"
    assert history_of(folder)[-1][1:4] == ["验收通过", "李娜 <li.na@corp.example>", "A-1"]
    document = Document(str(folder / "Q1 新品上市跨部门协作会 会议纪要.docx"))
    assert "成为正式版（2026-12-05 00:05）" in footer(document)  # still when it became official


def test_a_refresh_that_fails_is_recorded_once_and_tried_again_each_minute(
    archived: App, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    app = archived
    midnight_round(app, clock)
    root = app.config.resolve(app.config.archive.path)
    at(clock, "2026-12-10 15:00")
    process(app, reply(app, request_to(app, "zhang.wei@corp.example"), "完成"))
    moved = root.with_name("share-away")
    root.rename(moved)
    root.write_text("the share is not mounted")  # a file where the archive folder should be
    for minute in ("15:01", "15:02", "15:03"):
        at(clock, f"2026-12-10 {minute}")
        assert run_jobs(app)["archive_failed"] == 1
    assert [e.what for e in filings(app)] == ["archive.filed", "archive.failed"]  # one event, not one a minute
    assert "could still not be filed" in caplog.text
    assert outbox(app, "final_minutes")  # the mail was never touched
    root.unlink()
    moved.rename(root)
    at(clock, "2026-12-10 15:04")
    assert run_jobs(app)["archive_filed"] == 1
    assert tracking_states(the_folder(app))["A-1"] == "已完成（待验收）"
    at(clock, "2026-12-10 15:05")
    assert run_jobs(app)["archive_filed"] == 0


def test_the_refresh_does_nothing_while_the_archive_is_off(app: App, clock: FixedClock) -> None:
    midnight_round(app, clock)
    at(clock, "2026-12-10 15:00")
    process(app, reply(app, request_to(app, "zhang.wei@corp.example"), "完成"))
    assert "archive_filed" not in run_jobs(app)
    assert filings(app) == []


def test_the_history_csv_is_written_in_words_for_people(archived: App, clock: FixedClock) -> None:
    """审计记录.csv as the meeting's page words it: events and details in words, people by name, the
    bot's own bookkeeping (its keys, the archive folder, group posts) left out."""
    app = archived
    zh_round(app, clock)
    at(clock, "2026-12-11 09:00")
    run_jobs(app)  # A-1 (due 12-15) is reminded; the reminder's key is the bot's, not the reader's
    at(clock, "2026-12-11 09:01")
    run_jobs(app)
    folder = the_folder(app)
    text = (folder / "审计记录.csv").read_text(encoding="utf-8-sig")
    history = history_of(folder)
    accepted = next(r for r in history if r[1] == "确认" and r[3] == "A-1")
    assert accepted[2] == "张伟 <zhang.wei@corp.example>" and accepted[5] == "确认方式：本人确认"
    delayed = next(r for r in history if r[1] == "延期")
    assert delayed[5] == (
        "原完成时限：2026年12月10日（周四）；新完成时限：2026年12月20日（周日）；原因：等待供应商样机"
    )
    assert re.fullmatch(r"2026-12-03 10:00:\d\d", delayed[0])  # Shanghai time, as Excel reads it
    silent = next(r for r in history if r[3] == "A-4" and r[1] == "确认")
    assert silent[2] == "机器人（自动）" and silent[5].startswith("确认方式：逾期未回复，视为同意；反馈截止：")
    reminded = next(r for r in history if r[1] == "发出提醒")
    assert reminded[3] == "A-1" and reminded[5] == "提醒类型：到期前提醒"
    for internal in ("reminder:", "archive.filed", "folder", "{", "explicit", "silent", str(folder.parent)):
        assert internal not in text, internal
