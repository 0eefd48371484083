"""Reminders and escalations over weeks of a fixed clock: each once, on the right working day."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select

from mailbot.app import App
from mailbot.cli import run_deadlines
from mailbot.clock import FixedClock
from mailbot.pipeline import process
from mailbot.store.models import Person
from tests.helpers import SHANGHAI, actions, at, feed, outbox
from tests.replying import reply


def run_days(app: App, clock: FixedClock, first: date, last: date) -> list[tuple[str, str, str, str]]:
    """Tick every morning; return (day, kind, recipient, subject) of each reminder/escalation decided."""
    seen = {m.id for m in outbox(app)}
    decided: list[tuple[str, str, str, str]] = []
    day = first
    while day <= last:
        clock.set(datetime(day.year, day.month, day.day, 9, 0, tzinfo=SHANGHAI))
        run_deadlines(app)
        run_deadlines(app)  # a second tick the same morning decides nothing new
        for mail in outbox(app):
            if mail.id not in seen and mail.kind in ("reminder", "escalation"):
                decided.append((day.isoformat(), mail.kind, mail.to_address, mail.subject))
            seen.add(mail.id)
        day += timedelta(days=1)
    return decided


def test_reminders_before_on_and_after_the_due_date_and_one_escalation(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    with app.db.transaction() as session:
        session.add(Person(address="rd.head@corp.example", name="研发部负责人", department="研发部", role="head",
                           created_at=clock.now()))  # fmt: skip
    decided = run_days(app, clock, date(2026, 12, 7), date(2026, 12, 18))
    about_a2 = [(d, k, to) for d, k, to, s in decided if "A-2" in s]
    # A-2 (陈喆, due Thu 12-10): two working days before, on the day, every 3 working days
    # overdue, and after 5 working days overdue the department head and the host are told.
    assert about_a2 == [
        ("2026-12-08", "reminder", "chen.zhe@corp.example"),
        ("2026-12-10", "reminder", "chen.zhe@corp.example"),
        ("2026-12-15", "reminder", "chen.zhe@corp.example"),
        ("2026-12-17", "escalation", "rd.head@corp.example"),
        ("2026-12-17", "escalation", "li.na@corp.example"),
        ("2026-12-18", "reminder", "chen.zhe@corp.example"),
    ]
    # Overdue in working days, as the escalation counts (Fri 12-11, Mon 12-14, Tue 12-15): not
    # the 5 calendar days it used to say, while the escalation came after "5 days" of another kind.
    overdue = next(s for d, k, to, s in decided if d == "2026-12-15" and "A-2" in s)
    assert overdue.startswith("【已逾期 3 个工作日】A-2 提供产品功能亮点说明")
    escalation = next(m for m in outbox(app, "escalation") if m.to_address == "rd.head@corp.example")
    assert "建议组织专项复盘会" in escalation.body_text
    assert escalation.subject.startswith("【逾期升级】A-2 提供产品功能亮点说明（已逾期 5 个工作日）")
    assert "以下行动项已逾期 5 个工作日" in escalation.body_text
    # 陈喆 never answered the confirmation request: the escalation says so, not "已确认".
    lines = escalation.body_text.splitlines()
    assert "    完成时限：2026年12月10日（周四）　当前状态：未开始" in lines  # taken on, not started
    assert "    确认方式：负责人从未回复，2026年12月4日（周五）确认截止后逾期视为同意" in lines
    assert "已确认" not in escalation.body_text


def test_the_escalation_says_how_the_owner_took_the_action_on(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    at(clock, "2026-12-03 10:00")
    requests = {m.to_address: m for m in outbox(app, "confirm_request")}
    process(app, reply(app, requests["zhang.wei@corp.example"], "确认"))  # A-1, due 12-15
    process(app, reply(app, requests["chen.zhe@corp.example"], "异议：排期冲突"))  # A-2, due 12-10
    process(app, reply(app, outbox(app, "objection_notice")[0], "A-2 维持"))
    # A-3 (赵敏, due 12-18) never answers: silent consent when the round closes.
    run_days(app, clock, date(2026, 12, 7), date(2026, 12, 28))
    told = {m.subject.split("】")[1].split(" ")[0]: m.body_text for m in outbox(app, "escalation")
            if m.to_address == "li.na@corp.example"}  # fmt: skip
    assert "确认方式：负责人已回复确认（2026年12月3日（周四））" in told["A-1"]
    assert "确认方式：负责人提出异议，经主持人裁决维持（2026年12月3日（周四））" in told["A-2"]
    assert "确认方式：负责人从未回复，" in told["A-3"]
    # Escalated 5 working days after the due date, and saying so.
    assert all("以下行动项已逾期 5 个工作日" in body for body in told.values())


def test_no_reminder_after_the_action_is_done(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    at(clock, "2026-12-03 10:00")
    request = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhang.wei@corp.example")
    process(app, reply(app, request, "完成"))
    decided = run_days(app, clock, date(2026, 12, 7), date(2026, 12, 31))
    assert not [d for d in decided if "A-1" in d[3]]


def minutes(meeting: str, due: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Wang Fang <wang.fang@corp.example>"
    message["To"] = "minutes@corp.example, Zhang Wei <zhang.wei@corp.example>"
    message["Subject"] = "[Minutes] National Day launch check"
    message["Message-ID"] = f"<nd-{meeting}@corp.example>"
    message.set_content(
        f"Meeting: National Day launch check\nDate: {meeting}\nHost: Li Na <li.na@corp.example>\n\n"
        f"Action items:\n- Ship the holiday campaign; owner: Zhang Wei <zhang.wei@corp.example>; due: {due}\n"
    )
    return message.as_bytes()


def test_the_holiday_week_and_an_adjusted_working_saturday_are_respected(app: App, clock: FixedClock) -> None:
    at(clock, "2026-09-21 18:00")
    assert process(app, minutes("2026-09-21", "2026-09-30")).outcome == "processed"
    run_days(app, clock, date(2026, 9, 22), date(2026, 9, 25))  # consent round closes silently
    assert actions(app)[0].consent == "silent"
    decided = run_days(app, clock, date(2026, 9, 26), date(2026, 10, 13))
    # Due Wed 9-30, then 10-01..07 are the National Day holiday; Sat 10-10 is a working day.
    assert [(d, k) for d, k, to, s in decided] == [
        ("2026-09-28", "reminder"),
        ("2026-09-30", "reminder"),
        ("2026-10-10", "reminder"),
        ("2026-10-13", "escalation"),
    ]
    assert {to for d, k, to, s in decided} == {"zhang.wei@corp.example", "li.na@corp.example"}


def test_after_downtime_stale_reminders_are_skipped_but_the_escalation_is_not(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    run_days(app, clock, date(2026, 12, 7), date(2026, 12, 7))
    # Down from 12-08 to 12-21: one tick then.
    decided = run_days(app, clock, date(2026, 12, 21), date(2026, 12, 21))
    about_a2 = [(k, to) for d, k, to, s in decided if "A-2" in s]
    assert ("escalation", "li.na@corp.example") in about_a2
    assert ("reminder", "chen.zhe@corp.example") not in about_a2  # its moment (12-18) is stale
    with app.db.session() as session:
        from mailbot.store.models import Event

        skipped = session.scalars(select(Event).where(Event.what == "reminder.skipped")).all()
        assert skipped, "a skipped reminder is logged"


def test_late_minutes_nudge_the_recorder_twice_then_the_host(app: App, clock: FixedClock) -> None:
    at(clock, "2026-11-30 09:20")
    feed(app, "foxmail_zh_agenda_gbk.eml")  # Wed 12-02 14:00-16:00, recorder 王芳, host 李娜

    def nudges() -> list[tuple[str, str]]:
        return [(m.to_address, m.subject) for m in outbox(app, "minutes_late")]

    for when, expected in [
        ("2026-12-03 15:00", 0),  # not yet 24 hours after the meeting ended
        ("2026-12-03 16:30", 1),
        ("2026-12-04 15:00", 1),
        ("2026-12-04 17:00", 2),  # 2 working days after the meeting day
        ("2026-12-05 10:00", 2),  # Saturday: nothing new
        ("2026-12-07 17:00", 3),  # 3 working days: the host
        ("2026-12-08 17:00", 3),
    ]:
        at(clock, when)
        run_deadlines(app)
        assert len(nudges()) == expected, when
    assert [to for to, _ in nudges()] == ["wang.fang@corp.example", "wang.fang@corp.example", "li.na@corp.example"]
    assert nudges()[0][1].startswith("【请交纪要】Q1 新品上市跨部门协作会")
    assert "已两次提醒记录人 王芳 <wang.fang@corp.example>" in outbox(app, "minutes_late")[2].body_text


def test_no_nudge_once_a_draft_has_arrived(app: App, clock: FixedClock) -> None:
    at(clock, "2026-11-30 09:20")
    feed(app, "foxmail_zh_agenda_gbk.eml")
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    at(clock, "2026-12-08 17:00")
    run_deadlines(app)
    assert outbox(app, "minutes_late") == []
