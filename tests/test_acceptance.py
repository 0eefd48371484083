"""验收: a done action goes to its requester (需求方) to verify; they accept it or send it back with a
reason, and are reminded while they say nothing — as the seeds' "由需求方确认验收" asks."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.daemon import run_deadlines
from mailbot.errors import ConfigError
from mailbot.pipeline import process
from mailbot.policy import AcceptancePolicy
from mailbot.store.models import ActionItem, Event
from tests.helpers import SHANGHAI, actions, at, outbox
from tests.replying import reply

HOST = "li.na@corp.example"
REQUESTER = "zhao.min@corp.example"


def minutes_mail(*action_lines: str) -> bytes:
    """A minutes draft as Foxmail writes plain text: GBK, the line shape for actions."""
    message = EmailMessage()
    message["From"] = '"孙磊" <sun.lei@corp.example>'
    message["To"] = "minutes@corp.example"
    message["Cc"] = '"张伟" <zhang.wei@corp.example>, "陈喆" <chen.zhe@corp.example>, "赵敏" <zhao.min@corp.example>'
    message["Subject"] = "【纪要】渠道价格体系协调会"
    message["Date"] = format_datetime(at_shanghai("2026-12-02 18:00"))
    message["Message-ID"] = "<minutes-acceptance@foxmail.example>"
    message["X-Mailer"] = "Foxmail 7.2.25.375[cn]"
    body = "\n".join(
        [
            "会议名称：渠道价格体系协调会",
            "会议时间：2026年12月2日 10:00-11:30",
            "主持人：市场部 李娜 <li.na@corp.example>",
            "记录人：销售部 孙磊 <sun.lei@corp.example>",
            "参会人员：市场部 张伟、研发部 陈喆、销售部 赵敏",
            "",
            "一、决议事项",
            "1. 统一华东区经销商价格体系。",
            "",
            "二、行动项",
            *action_lines,
        ]
    )
    message.set_content(body, charset="gbk")
    return message.as_bytes()


def at_shanghai(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


LINES = (
    "- 输出华东区价格调整方案；负责人：市场部 张伟 <zhang.wei@corp.example>；需求方：销售部 赵敏；截止：2026-12-15；交付：方案 PDF",
    "- 核算渠道返点成本；负责人：研发部 陈喆 <chen.zhe@corp.example>；截止：2026-12-18；交付：成本表",
    "- 发布新价格通知；负责人：市场部 李娜 <li.na@corp.example>；截止：2026-12-21",
)


@pytest.fixture
def accepted(app: App, clock: FixedClock) -> App:
    """The minutes in force and every action confirmed: A-1 张伟 (需求方 赵敏), A-2 陈喆, A-3 李娜 (the host)."""
    at(clock, "2026-12-02 18:00")
    result = process(app, minutes_mail(*LINES))
    assert result.outcome == "processed", result.error
    at(clock, "2026-12-03 09:30")
    for request in outbox(app, "confirm_request"):
        assert process(app, reply(app, request, "确认")).outcome == "processed"
    assert {a.status for a in actions(app)} == {"accepted"}
    return app


def action(app: App, ref: str) -> ActionItem:
    return next(a for a in actions(app) if a.ref == ref)


def answer_to(app: App, address: str) -> object:
    return [m for m in outbox(app) if m.kind in ("reply_result", "reply_refused") and m.to_address == address][-1]


def test_each_action_knows_who_verifies_it(accepted: App) -> None:
    by_ref = {a.ref: a for a in actions(accepted)}
    # Named in the minutes (resolved through the mail's own Cc), else the host, never the owner.
    assert (by_ref["A-1"].requester_address, by_ref["A-1"].requester_name) == (REQUESTER, "赵敏")
    assert by_ref["A-2"].requester_address == HOST
    assert by_ref["A-3"].requester_address is None
    # Both parts of 张伟's request say who verifies A-1 (the HTML table left it out: hand trial 21).
    request = next(m for m in outbox(accepted, "confirm_request") if m.to_address == "zhang.wei@corp.example")
    assert f"验收人：赵敏 <{REQUESTER}>" in (request.body_text or "")
    assert f"验收人 赵敏 &lt;{REQUESTER}&gt;" in (request.body_html or "")


def test_done_goes_to_the_requester_who_sends_it_back_then_verifies_it(accepted: App, clock: FixedClock) -> None:
    app = accepted
    at(clock, "2026-12-07 10:00")
    request = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhang.wei@corp.example")
    pdf = b"%PDF-1.4 price plan"
    done = reply(app, request, "已完成，方案见附件", attachments=(("华东区价格调整方案.pdf", "application/pdf", pdf),))
    assert process(app, done).outcome == "processed"
    a1 = action(app, "A-1")
    assert a1.status == "done" and a1.done_at is not None
    assert f"已请需求方 赵敏 <{REQUESTER}> 验收" in answer_to(app, "zhang.wei@corp.example").body_text

    (ask,) = outbox(app, "acceptance_request")
    assert ask.to_address == REQUESTER and ask.subject.startswith("【待验收】A-1 输出华东区价格调整方案")
    assert "负责人说明：方案见附件" in ask.body_text and "交付物：华东区价格调整方案.pdf（见附件）" in ask.body_text
    assert [(f["filename"], f["content_type"]) for f in ask.attachments] == [
        ("华东区价格调整方案.pdf", "application/pdf")
    ]

    # Somebody else cannot verify it.
    assert process(app, reply(app, ask, "验收通过", sender="chen.zhe@corp.example")).outcome == "rejected"
    assert action(app, "A-1").status == "done"

    # The requester sends it back, as Foxmail quotes; the owner is told why.
    at(clock, "2026-12-08 11:00")
    assert process(app, reply(app, ask, "验收不通过：缺少华南区的对比数据", style="foxmail")).outcome == "processed"
    a1 = action(app, "A-1")
    assert (a1.status, a1.done_at) == ("in_progress", None)
    (back,) = outbox(app, "acceptance_result")
    assert back.to_address == "zhang.wei@corp.example" and back.subject.startswith("【验收未通过】A-1")
    assert "原因：缺少华南区的对比数据" in back.body_text
    assert "A-1 验收未通过（原因：缺少华南区的对比数据）" in answer_to(app, REQUESTER).body_text

    # Done again; this time the requester's plain "确认" (Gmail) is read as 验收.
    at(clock, "2026-12-09 15:00")
    assert process(app, reply(app, back, "完成，已补充华南区数据")).outcome == "processed"
    second = outbox(app, "acceptance_request")[-1]
    assert len(outbox(app, "acceptance_request")) == 2 and "负责人说明：已补充华南区数据" in second.body_text
    assert process(app, reply(app, second, "确认", style="gmail_zh")).outcome == "processed"
    a1 = action(app, "A-1")
    assert (a1.status, a1.verified_by) == ("verified", REQUESTER)
    verified = outbox(app, "acceptance_result")[-1]
    assert verified.subject.startswith("【已验收】A-1") and "已验收通过您的行动项" in verified.body_text
    with app.db.session() as session:
        trail = [e.what for e in session.scalars(select(Event).where(Event.action_id == a1.id).order_by(Event.id))]
    assert trail[-5:] == ["action.accepted", "action.done", "action.rejected", "action.done", "action.verified"]


def test_the_host_verifies_by_default_and_nobody_verifies_their_own(accepted: App, clock: FixedClock) -> None:
    app = accepted
    at(clock, "2026-12-07 10:00")
    for owner in ("chen.zhe@corp.example", HOST):
        request = next(m for m in outbox(app, "confirm_request") if m.to_address == owner)
        assert process(app, reply(app, request, "done")).outcome == "processed"
    assert [m.to_address for m in outbox(app, "acceptance_request")] == [HOST]
    assert action(app, "A-3").status == "done"
    # A status word before "done" is refused plainly.
    ask = outbox(app, "acceptance_request")[0]
    assert process(app, reply(app, ask, "A-1 验收通过", sender=HOST)).outcome == "rejected"
    assert "负责人回复“完成”后才能验收" in answer_to(app, HOST).body_text


def test_a_silent_requester_is_reminded_on_working_days_at_most_three_times(accepted: App, clock: FixedClock) -> None:
    app = accepted
    at(clock, "2026-12-07 10:00")
    request = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhang.wei@corp.example")
    process(app, reply(app, request, "完成"))
    sent_on: list[date] = []
    day = date(2026, 12, 7)
    while day <= date(2027, 1, 15):
        at(clock, f"{day.isoformat()} 09:00")
        before = len(outbox(app, "acceptance_reminder"))
        run_deadlines(app)
        run_deadlines(app)  # a second tick the same minute decides nothing new
        sent_on += [day] * (len(outbox(app, "acceptance_reminder")) - before)
        day += timedelta(days=1)
    # Done on Monday 7 Dec: 2 working days later, then every 3 working days, three in all.
    assert sent_on == [date(2026, 12, 9), date(2026, 12, 14), date(2026, 12, 17)]
    reminders = outbox(app, "acceptance_reminder")
    assert {m.to_address for m in reminders} == {REQUESTER}
    assert "已于 2026年12月7日（周一） 标记为完成，已等待您验收 2 天" in reminders[0].body_text
    assert reminders[0].subject.startswith("【验收提醒】A-1")


def test_no_reminder_once_verified(accepted: App, clock: FixedClock) -> None:
    app = accepted
    at(clock, "2026-12-07 10:00")
    request = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhang.wei@corp.example")
    process(app, reply(app, request, "完成"))
    process(app, reply(app, outbox(app, "acceptance_request")[0], "验收通过"))
    for day in ("2026-12-09", "2026-12-14", "2026-12-17"):
        at(clock, f"{day} 09:00")
        run_deadlines(app)
    assert outbox(app, "acceptance_reminder") == []


def test_with_no_default_requester_only_named_ones_verify(app: App, clock: FixedClock) -> None:
    policy = replace(app.policy, acceptance=AcceptancePolicy(default_requester="none"))
    app.__dict__["rules"] = replace(app.rules, policy=policy)
    at(clock, "2026-12-02 18:00")
    assert process(app, minutes_mail(*LINES)).outcome == "processed"
    assert [a.requester_address for a in actions(app)] == [REQUESTER, None, None]


def test_an_unknown_requester_is_a_warning_not_a_rejection(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    line = "- 输出华东区价格调整方案；负责人：市场部 张伟 <zhang.wei@corp.example>；需求方：财务部 钱多多；截止：2026-12-15"
    result = process(app, minutes_mail(line))
    assert result.outcome == "processed", result.error
    assert actions(app)[0].requester_address == HOST
    (ack,) = outbox(app, "minutes_ack")
    assert "需求方（验收人）“财务部 钱多多”找不到对应的邮箱地址" in ack.body_text


def test_the_policy_names_a_wrong_default_requester() -> None:
    with pytest.raises(ConfigError, match=r"acceptance\.default_requester: 'owner' is not one of host, none"):
        AcceptancePolicy(default_requester="owner")


def test_nobody_verifies_their_own_action_even_after_taking_it_over(accepted: App, clock: FixedClock) -> None:
    app = accepted
    at(clock, "2026-12-04 10:00")
    request = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhang.wei@corp.example")
    assert process(app, reply(app, request, f"转交 {REQUESTER}")).outcome == "processed"
    handover = [m for m in outbox(app, "confirm_request") if m.to_address == REQUESTER][-1]
    assert process(app, reply(app, handover, "确认")).outcome == "processed"
    a1 = action(app, "A-1")
    # 赵敏 owns it now: the host verifies it instead of her.
    assert (a1.owner_address, a1.requester_address) == (REQUESTER, HOST)
    at(clock, "2026-12-07 10:00")
    assert process(app, reply(app, handover, "完成")).outcome == "processed"
    assert [m.to_address for m in outbox(app, "acceptance_request")] == [HOST]
    # Her own "验收通过", by ref in her own thread, is refused.
    assert process(app, reply(app, handover, "A-1 验收通过")).outcome == "rejected"
    assert action(app, "A-1").status == "done"
    assert "只有需求方、主持人或管理员可以验收" in answer_to(app, REQUESTER).body_text


def test_sent_back_after_its_due_date_the_owner_gets_days_to_rework_not_an_escalation(
    accepted: App, clock: FixedClock
) -> None:
    app = accepted
    at(clock, "2026-12-07 10:00")
    request = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhang.wei@corp.example")
    process(app, reply(app, request, "完成"))
    at(clock, "2026-12-24 10:00")  # the requester answers nine days after the due date (12-15)
    assert process(app, reply(app, outbox(app, "acceptance_request")[0], "验收不通过：缺数据")).outcome == "processed"
    a1 = action(app, "A-1")
    # Three working days from Thu 24 Dec: Fri 25 (a working day in China), Mon 28, Tue 29.
    assert (a1.status, a1.due) == ("in_progress", date(2026, 12, 29))
    assert "完成时限：2026年12月29日（周二）" in outbox(app, "acceptance_result")[0].body_text
    at(clock, "2026-12-25 09:00")
    run_deadlines(app)
    chased = [(m.kind, m.subject) for m in outbox(app) if m.kind in ("reminder", "escalation") and "A-1" in m.subject]
    # Not "overdue", no escalation: a reminder for the new date, two working days before it.
    assert [(kind, subject.split(" [#")[0]) for kind, subject in chased] == [
        ("reminder", "【提醒】A-1 将于2026年12月29日（周二）到期")
    ]


def test_stale_acceptance_reminders_are_logged_once_and_sent_ones_never(accepted: App, clock: FixedClock) -> None:
    app = accepted
    at(clock, "2026-12-07 10:00")
    request = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhang.wei@corp.example")
    process(app, reply(app, request, "完成"))
    for day in ("2026-12-09", "2026-12-11", "2026-12-14", "2026-12-16"):
        at(clock, f"{day} 09:00")
        run_deadlines(app)
    # Down from 12-17 to 12-21: the third reminder's day (12-17) is stale then, logged once.
    for day in ("2026-12-21", "2026-12-22", "2026-12-23"):
        at(clock, f"{day} 09:00")
        run_deadlines(app)
    with app.db.session() as session:
        logged = session.scalars(select(Event).where(Event.what == "reminder.skipped"))
        skipped = [e.detail["key"] for e in logged if e.detail["key"].startswith("acceptance_reminder:")]
    assert len(outbox(app, "acceptance_reminder")) == 2
    assert len(skipped) == 1 and skipped[0].endswith(":3")


def test_my_tasks_lists_what_waits_for_my_verification(accepted: App, clock: FixedClock) -> None:
    app = accepted
    at(clock, "2026-12-07 10:00")
    request = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhang.wei@corp.example")
    process(app, reply(app, request, "完成"))
    message = EmailMessage()
    message["From"] = f"赵敏 <{REQUESTER}>"
    message["To"] = "minutes@corp.example"
    message["Subject"] = "我的任务"
    message["Message-ID"] = "<status-zhao@corp.example>"
    message.set_content("我的任务")
    assert process(app, message.as_bytes()).outcome == "answered"
    (status,) = outbox(app, "status")
    assert status.to_address == REQUESTER
    assert "待您验收（负责人已报完成）：\n\nA-1  输出华东区价格调整方案\n" in status.body_text
    assert "2026年12月7日（周一） 报完成" in status.body_text
    assert "A-1" in (status.body_html or "")
