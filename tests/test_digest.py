"""The Monday status digest: who gets it, what it says, once per week, and how it looks."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from mailbot.app import App
from mailbot.cli import main
from mailbot.clock import FixedClock
from mailbot.jobs import JOBS, run_jobs
from mailbot.outbox import row_context
from mailbot.store.models import ActionItem, Event, Meeting, OutboxMail, Person
from mailbot.workflow.digest import build_digest, run_digest
from tests.conftest import need_server
from tests.helpers import SHANGHAI, at, feed, outbox

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


def day_at(clock: FixedClock, day: date, hour: int = 9) -> None:
    clock.set(datetime(day.year, day.month, day.day, hour, 0, tzinfo=SHANGHAI))


def three_weeks_on(app: App, clock: FixedClock) -> None:
    """M-1 from the GBK Outlook minutes; by Monday 12-21: A-1 done on 12-16, A-2 (due 12-10)
    overdue and escalated, A-3 delayed to Thu 12-24, A-4 objected (so M-1 is disputed)."""
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    at(clock, "2026-12-03 10:00")
    with app.db.transaction() as session:
        a4 = session.get(ActionItem, 4)
        assert a4 is not None
        a4.status, a4.objection_reason = "objected", "预算口径未定，需财务总监先确认"
        session.add(Person(address="rd.head@corp.example", name="研发部负责人", department="研发部", role="head",
                           created_at=clock.now()))  # fmt: skip
        session.add(Person(address="observer@corp.example", name="旁观者", created_at=clock.now()))
    day = date(2026, 12, 7)
    while day <= date(2026, 12, 20):  # the daily ticks: silent consent, reminders, the escalation
        day_at(clock, day)
        run_jobs(app, jobs=DAILY)  # each test decides the weeks' status mails itself
        if day == date(2026, 12, 16):
            with app.db.transaction() as session:
                a1, a3 = session.get(ActionItem, 1), session.get(ActionItem, 3)
                assert a1 is not None and a3 is not None
                a1.status, a1.done_at = "done", clock.now()  # the host (default requester) has not verified it
                session.add(Event(at=clock.now(), actor="zhang.wei@corp.example", what="action.done", meeting_id=1,
                                  action_id=1, detail={}))  # fmt: skip
                a3.status, a3.due, a3.delay_reason = "delayed", date(2026, 12, 24), "等待培训场地确认"
        day += timedelta(days=1)


# Every periodic job but the weekly status mail.
DAILY = tuple(job for job in JOBS if job.name != "digest")


def digest_mails(app: App) -> list[OutboxMail]:
    """The weekly mails decided, as tests.helpers.outbox gives them, each context as its templates
    read it: the meetings' shared parts merged back (mailbot.outbox.row_context)."""
    rows = outbox(app, "digest")
    with app.db.session() as session:
        for row in rows:
            row.context = row_context(row, session)  # detached: read here, never written back
    return rows


def digests(app: App) -> dict[str, str]:
    return {m.to_address: m.body_text or "" for m in digest_mails(app)}


def body(text: str) -> str:
    """The text between the reply marker and the footer: what the test pins down exactly."""
    return text.split("——\n", 1)[1].lstrip("\n").split("\n--\n", 1)[0]


# Each action once, in the section of where it stands; people by name.
MEETING = """== M-1 Q1 新品上市跨部门协作会（2026年12月2日（周三）） ==
会议状态：有异议待处理；行动项 4 项：已确认 1、已延期 1、有异议 1、已完成 1；其中逾期 1 项

【已逾期】
A-2  提供产品功能亮点说明
    负责人：研发部 陈喆　完成时限：2026年12月10日（周四）　已逾期 7 个工作日（已上报）　状态：已确认

【已延期】
A-3  制定销售培训计划
    负责人：销售部 赵敏　新完成时限：2026年12月24日（周四）　原因：等待培训场地确认

【异议待处理】（由主持人 李娜 处理）
A-4  核算推广费用与提成预算占比
    负责人：财务部 朱镕　异议：预算口径未定，需财务总监先确认

【待验收】
A-1  输出新品推广活动方案初稿
    负责人：市场部 张伟　验收人：李娜　2026年12月16日（周三） 报完成

回复本邮件可更新您的行动项，例如“A-2 完成”或“A-2 延期至 日期，原因：…”。
"""
# The owner of A-2 finds it in their own part, not again under the meeting.
OWNER_MEETING = MEETING.replace(
    "其中逾期 1 项\n\n【已逾期】\nA-2  提供产品功能亮点说明\n"
    "    负责人：研发部 陈喆　完成时限：2026年12月10日（周四）　已逾期 7 个工作日（已上报）　状态：已确认\n\n",
    "其中逾期 1 项\n（您的 1 项已列在上文，这里不再重复）\n\n",
)
RD_PART = """== M-1 Q1 新品上市跨部门协作会（2026年12月2日（周三）） ==
（只列出 研发部 的行动项）
会议状态：有异议待处理；行动项 1 项：已确认 1；其中逾期 1 项

【已逾期】
A-2  提供产品功能亮点说明
    负责人：研发部 陈喆　完成时限：2026年12月10日（周四）　已逾期 7 个工作日（已上报）　状态：已确认

"""
# The head's overview of their department (digest.glance; tests/test_digest_glance.py tests it).
RD_GLANCE = """== 一览 ==
您负责的部门（研发部）的未完成行动项共 1 项，其中逾期 1 项。
按部门：
  研发部          逾期 1 / 未完成 1
未完成项按完成时限：
  已逾期          1
  本周            0
  下周            0
  1月4日起一周    0
  1月11日起一周   0
  更晚            0

"""
HELLO = "您好，以下是截至 2026年12月21日（周一） 您参与的会议的行动项状态（本周：2026年12月21日（周一） 至 2026年12月27日（周日））。\n\n"


def test_monday_digest_for_an_owner_a_head_and_no_one_else(app: App, clock: FixedClock) -> None:
    three_weeks_on(app, clock)
    day_at(clock, date(2026, 12, 21))
    assert run_digest(app, clock.now()) == {"digests": 10}
    mails = digests(app)
    # The 9 parties of M-1 plus the head of 研发部 (A-2's department); not the unrelated observer.
    assert set(mails) == {
        "li.na@corp.example", "wang.fang@corp.example", "zhang.wei@corp.example", "chen.zhe@corp.example",
        "liu.yang@corp.example", "zhao.min@corp.example", "sun.lei@corp.example", "zhou.ting@corp.example",
        "zhu.rong@corp.example", "rd.head@corp.example",
    }  # fmt: skip
    # The owner: their overdue, escalated item first (overdue in working days: 12-11 to 12-21 holds
    # 7, the count the escalation used), then the meeting without it.
    assert OWNER_MEETING != MEETING
    assert body(mails["chen.zhe@corp.example"]) == (
        HELLO + "== 您负责的未完成行动项 ==\n"
        "A-2  提供产品功能亮点说明（M-1）\n"
        "    完成时限：2026年12月10日（周四）（已逾期 7 个工作日，已上报）　状态：已确认\n\n" + OWNER_MEETING
    )
    # The department head owns nothing and is no other party of M-1: their department's part of it.
    # No "reply to update your items" for someone who has none, and no reply commands in the footer.
    assert body(mails["rd.head@corp.example"]) == HELLO + RD_GLANCE + "== 您负责的未完成行动项 ==\n无。\n\n" + RD_PART
    assert mails["rd.head@corp.example"].rstrip().endswith("Mailbot <minutes@corp.example>")
    # The host verifies A-1 (no 需求方 named): it leads their mail after their own items.
    assert "== 待您验收 ==\nA-1  输出新品推广活动方案初稿（M-1）\n" in mails["li.na@corp.example"]
    assert "2026年12月16日（周三） 报完成；回复“A-1 验收通过”或“A-1 验收不通过：原因”" in mails["li.na@corp.example"]
    assert "【待验收】" not in mails["li.na@corp.example"]  # hers, listed above: not again under M-1
    assert "待您验收" not in mails["chen.zhe@corp.example"]
    # Decided: a party whose own actions are all done still gets the meeting's status while it has
    # open work (their done item is listed under 待验收); only party to no active meeting is "nothing".
    # (With nothing of their own open, no "reply to update your items" either.)
    assert (
        body(mails["zhang.wei@corp.example"])
        == HELLO + "== 您负责的未完成行动项 ==\n无。\n\n" + MEETING.split("回复本邮件")[0]
    )
    subject = next(m.subject for m in digest_mails(app) if m.to_address == "chen.zhe@corp.example")
    assert subject == "【每周状态】2026年12月21日（周一）起的一周：1 个会议，1 项逾期，您有 1 项未完成"
    with app.db.session() as session:
        assert build_digest(session, app, "observer@corp.example", date(2026, 12, 21)) is None
        assert build_digest(session, app, "nobody@elsewhere.example", date(2026, 12, 21)) is None
    # Once per week: a second run, and one later that week, decide nothing.
    assert run_digest(app, clock.now()) == {"digests": 0}
    day_at(clock, date(2026, 12, 23), 15)
    assert run_digest(app, clock.now()) == {"digests": 0}


def confirm_with_every_action(app: App, status: str, **fields: object) -> None:
    """M-1 confirmed, every action of it in `status` (with `fields` set)."""
    with app.db.transaction() as session:
        meeting = session.get(Meeting, 1)
        assert meeting is not None
        meeting.status = "confirmed"
        for action in meeting.actions:
            action.status = status
            for name, value in fields.items():
                setattr(action, name, value)


def test_a_confirmed_meeting_with_nothing_open_sends_no_digest(app: App, clock: FixedClock) -> None:
    three_weeks_on(app, clock)
    confirm_with_every_action(app, "verified")
    day_at(clock, date(2026, 12, 21))
    # Nobody gets an empty mail: with nothing open, M-1 is no longer an active meeting.
    assert run_digest(app, clock.now()) == {"digests": 0}
    with app.db.session() as session:
        assert build_digest(session, app, "chen.zhe@corp.example", date(2026, 12, 21)) is None


def test_an_owner_still_to_confirm_is_shown_how_to_confirm_not_told_to_report_it_done(
    app: App, clock: FixedClock
) -> None:
    """Monday falls inside the round: 陈喆's A-2 still awaits his yes. The mail must not suggest
    "A-2 完成" for work he has not agreed to; it names the answers that fit."""
    at(clock, "2026-12-04 18:00")  # a Friday: the round runs into the next week
    assert feed(app, "outlook_zh_minutes_gbk_html.eml").outcome == "processed"
    day_at(clock, date(2026, 12, 7))
    run_digest(app, clock.now())
    mail = next(m for m in digest_mails(app) if m.to_address == "chen.zhe@corp.example")
    text = mail.body_text or ""
    assert "A-2 完成" not in text and "A-2 延期至" not in text
    assert "待您确认的行动项请回复“A-2 确认”或“A-2 异议：原因”。" in text
    assert "A-2 确认" in (mail.body_html or "") and "A-2 完成" not in (mail.body_html or "")
    footer = text.rsplit("\n--\n", 1)[-1]
    assert "“确认”" in footer and "“异议：原因”" in footer  # the owner's answers, not progress alone


def test_a_meeting_waiting_only_for_verification_goes_to_the_verifier_not_everyone(app: App, clock: FixedClock) -> None:
    three_weeks_on(app, clock)
    confirm_with_every_action(app, "done", done_at=clock.now())  # all delivered; the host verifies
    day_at(clock, date(2026, 12, 21))
    assert run_digest(app, clock.now()) == {"digests": 1}
    (mail,) = digest_mails(app)
    assert mail.to_address == "li.na@corp.example"
    # Each action once: the four wait for her 验收, listed in her own part, not again under M-1.
    assert "== 待您验收 ==" in (mail.body_text or "") and "【待验收】" not in (mail.body_text or "")
    assert "（您的 4 项已列在上文，这里不再重复）" in (mail.body_text or "")


def test_not_before_the_moment_not_on_sunday_and_once_after_downtime(app: App, clock: FixedClock) -> None:
    three_weeks_on(app, clock)
    day_at(clock, date(2026, 12, 20), 18)  # Sunday: the week of 12-14 was never sent (bot "down")
    assert run_digest(app, clock.now()) == {"digests": 0}
    clock.set(datetime(2026, 12, 21, 8, 59, tzinfo=SHANGHAI))  # Monday, a minute early
    assert run_digest(app, clock.now()) == {"digests": 0}
    # Down all Monday; back Tuesday 10:00: this week's digest, once, under this week's key.
    day_at(clock, date(2026, 12, 22), 10)
    assert run_digest(app, clock.now()) == {"digests": 10}
    assert run_digest(app, clock.now()) == {"digests": 0}
    assert {m.key.split(":")[1] for m in digest_mails(app)} == {"2026-W52"}


def test_english_recipient_and_the_cli(
    app: App, clock: FixedClock, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    three_weeks_on(app, clock)
    with app.db.transaction() as session:
        session.add(Person(address="cfo@corp.example", name="CFO", department="财务部", role="head", language="en",
                           created_at=clock.now()))  # fmt: skip
    config = str(home / "config.toml")
    out = home / "preview.html"
    assert main(["--config", config, "--now", "2026-12-21T09:30", "digest", "--preview", "--to", "cfo@corp.example",
                 "--out", str(out)]) == 0  # fmt: skip
    assert str(out) in capsys.readouterr().out
    assert "Open objections (for the host)" in out.read_text(encoding="utf-8")
    assert digest_mails(app) == []  # a preview decides nothing
    assert main(["--config", config, "--now", "2026-12-21T09:30", "digest", "--no-flush"]) == 0
    assert "11 digest(s) decided" in capsys.readouterr().out
    cfo = next(m for m in digest_mails(app) if m.to_address == "cfo@corp.example")
    assert cfo.language == "en"
    # The head of 财务部: only A-4 (朱镕's, objected) of M-1; nothing overdue in their department.
    assert cfo.subject == "[Weekly status] Week of Mon 21 Dec 2026: 1 meeting"
    assert "(only the action items of 财务部)\n" in (cfo.body_text or "")
    assert "[Open objections] (for the host, 李娜, to resolve)\nA-4  " in (cfo.body_text or "")
    assert "A-2  " not in (cfo.body_text or "")
    a4 = "A-4  核算推广费用与提成预算占比\n    Owner: 朱镕 (财务部)  Objection: 预算口径未定，需财务总监先确认"
    assert a4 in (cfo.body_text or "")  # by name, not address


def test_the_digest_html_renders_in_a_browser(app: App, clock: FixedClock, tmp_path: Path) -> None:
    if not os.access(CHROMIUM, os.X_OK):
        need_server(f"{CHROMIUM} not installed: the digest's HTML is not checked in a browser")
    three_weeks_on(app, clock)
    day_at(clock, date(2026, 12, 21))
    run_digest(app, clock.now())
    mail = next(m for m in digest_mails(app) if m.to_address == "chen.zhe@corp.example")
    html = mail.body_html or ""
    # Mail clients keep inline styles only: no <style> block, no class, overdue in red.
    assert "<style" not in html and "class=" not in html
    assert "color:#d1242f" in html and "已逾期 7 个工作日" in html
    page, shot = tmp_path / "digest.html", tmp_path / "digest.png"
    page.write_text(html, encoding="utf-8")
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         f"--screenshot={shot}", "--window-size=900,1400", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000  # a blank page is a few kB; the tables make it far larger
    (REPO / "test-output").mkdir(exist_ok=True)
    shutil.copy(shot, REPO / "test-output" / "digest.png")  # for a person to look at


def test_the_host_gets_the_tracking_table_as_a_spreadsheet(app: App, clock: FixedClock) -> None:
    import io

    from openpyxl import load_workbook

    from mailbot.outbox import attachment_bytes
    from mailbot.workflow.digest import run_digest

    three_weeks_on(app, clock)
    day_at(clock, date(2026, 12, 21))
    run_digest(app, app.now())
    mails = {m.to_address: m for m in digest_mails(app)}
    (table,) = mails["li.na@corp.example"].attachments
    assert table["filename"] == "行动项跟踪表.xlsx"
    # Built as the mail leaves, from the row's recipe (tests/test_digest_tables_at_send_time.py).
    sheet = load_workbook(io.BytesIO(attachment_bytes(table, mails["li.na@corp.example"].context))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("编号", "会议", "任务描述")
    assert sorted(r[0] for r in rows[1:]) == ["A-1", "A-2", "A-3", "A-4"]
    status = {r[0]: r[8] for r in rows[1:]}
    assert status == {"A-1": "已完成（待验收）", "A-2": "未开始", "A-3": "延期", "A-4": "有异议"}
    assert mails["chen.zhe@corp.example"].attachments == []  # only the host gets the table


def test_every_section_renders_in_both_languages_from_the_stored_context(app: App, clock: FixedClock) -> None:
    """The rows hold only the fields each section shows (digest.FIELDS): every filled section
    renders in text and HTML in both languages from the context as the outbox stores it (every
    section at once: tests/test_digest_sections.py)."""
    three_weeks_on(app, clock)
    with app.db.transaction() as session:
        a2 = session.get(ActionItem, 2)
        assert a2 is not None
        a2.status = "awaiting_confirmation"  # overdue and awaiting confirmation: overdue, once
    day_at(clock, date(2026, 12, 21))
    run_digest(app, clock.now())
    mail = next(m for m in digest_mails(app) if m.to_address == "zhang.wei@corp.example")
    meeting = mail.context["meetings"][0]
    assert [name for name in ("overdue", "delayed", "objections", "acceptance") if meeting[name]] == [
        "overdue", "delayed", "objections", "acceptance",
    ]  # fmt: skip
    assert [r["ref"] for r in meeting["overdue"]] == ["A-2"] and meeting["awaiting"] == []
    assert "【已逾期】\nA-2  " in (mail.body_text or "") and "状态：待确认" in (mail.body_text or "")
    for language, heading in (("zh", "【已逾期】"), ("en", "[Overdue]")):
        text, html = app.renderer.render_body("digest", language, mail.context)
        assert heading in text and "A-2" in html
        for ref in ("A-1", "A-2", "A-3", "A-4"):
            assert text.count(f"{ref}  ") == 1 and ref in html


def test_the_tracking_table_keeps_its_format() -> None:
    import io

    from openpyxl import load_workbook

    from mailbot.exports import to_xlsx

    def action(ref: str, status: str, due: date, **more: str | None) -> dict[str, object]:
        return {"ref": ref, "meeting": "M-1", "description": "任务", "owner": "a@corp.example", "owner_name": None,
                "department": None, "support": None, "due": due, "deliverable": None, "status": status,
                "delay_reason": None, **more}  # fmt: skip

    rows = [
        action("A-1", "accepted", date(2026, 12, 10), description="R&D <beta> \x07 ", owner_name="陈喆"),
        action("A-2", "in_progress", date(2026, 12, 30), description="=1+1", delay_reason="等待"),
        action("A-3", "done", date(2026, 12, 1), description="  lead"),
    ]
    sheet = load_workbook(io.BytesIO(to_xlsx(rows, "zh", date(2026, 12, 21)))).active
    assert sheet.title == "行动项跟踪表" and sheet.freeze_panes == "A2"
    # Widths in characters, as Excel shows them (the file holds them with its padding: 8.71 for 8).
    assert [int(sheet.column_dimensions[c].width) for c in "ABCDEFGHIJKLMNOP"] == [
        8, 24, 40, 32, 12, 16, 12, 24, 10, 24, 12, 11, 16, 28, 12, 13,
    ]  # fmt: skip
    assert sheet.auto_filter.ref == "A1:P4"  # the filter row over every column and row
    values = list(sheet.iter_rows(values_only=True))
    # The seed's columns, then meeting date, overdue, consent, verifier, done and verified days.
    assert values[0] == (
        "编号", "会议", "任务描述", "负责人", "部门", "配合部门", "完成时限", "交付标准", "状态", "延期原因",
        "会议日期", "逾期工作日", "确认方式", "验收人", "完成日期", "验收日期",
    )  # fmt: skip
    # Text stays text (a control character dropped, spaces kept, no formula); due dates are dates.
    assert values[1][:4] == ("A-1", "M-1", "R&D <beta>  ", "陈喆 <a@corp.example>")
    assert values[2][2] == "=1+1" and values[2][8:10] == ("进行中", "等待") and values[3][2] == "  lead"
    assert values[1][6] == datetime(2026, 12, 10) and sheet["G2"].number_format == "yyyy-mm-dd"
    assert all(cell.font.b for cell in sheet[1])
    # Open and overdue: the whole row shaded; not due yet, or done, not shaded.
    assert {cell.fill.fgColor.rgb for cell in sheet[2]} == {"FFF4CCCC"}
    assert all(cell.fill.fill_type is None for row in (3, 4) for cell in sheet[row])


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_second_daemon_skips_the_digest_while_the_first_builds_it(app: App, clock: FixedClock) -> None:
    from sqlalchemy.orm import Session

    from mailbot.workflow.digest import DIGEST_LOCK, try_lock

    three_weeks_on(app, clock)
    day_at(clock, date(2026, 12, 21))
    with app.db.engine.connect() as other, other.begin():
        # The first daemon's run holds the lock: the second does not wait for it, it skips the minute.
        assert try_lock(Session(bind=other), DIGEST_LOCK) is True
        assert run_digest(app, clock.now()) == {"digests": 0}
    assert digest_mails(app) == []
    assert run_digest(app, clock.now()) == {"digests": 10}  # the lock gone, the run is this minute's


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_bot_in_another_schema_of_the_same_database_does_not_block_the_digest(app: App, clock: FixedClock) -> None:
    """Advisory locks belong to the whole database: a bot in another schema (another company on the
    server, or a parallel test worker) building its Monday mail must not make this one skip its own."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    from mailbot.workflow.digest import DIGEST_LOCK, try_lock
    from tests.conftest import POSTGRES_URL

    three_weeks_on(app, clock)
    day_at(clock, date(2026, 12, 21))
    neighbour = create_engine(POSTGRES_URL)  # the same database, its default schema
    try:
        with neighbour.connect() as other, other.begin(), app.db.engine.connect() as ours:
            schema = text("SELECT current_schema()")
            assert other.execute(schema).scalar() != ours.execute(schema).scalar()
            assert try_lock(Session(bind=other), DIGEST_LOCK) is True  # the neighbour's run holds its lock
            assert run_digest(app, clock.now()) == {"digests": 10}
    finally:
        neighbour.dispose()
