"""The host's hand on any open action, by reply, whether or not an objection is open: every command
a bot mail suggests works when sent back as written (issue: an escalation suggested "A-4 改派 姓名"
and the bot refused it with "没有待处理的异议")."""

from __future__ import annotations

import re
from datetime import date

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.config import PACKAGE_ROOT
from mailbot.pipeline import process
from tests.helpers import actions, at, feed, outbox
from tests.replying import reply
from tests.test_reminders import run_days

HOST = "li.na@corp.example"


def action(app: App, ref: str):  # type: ignore[no-untyped-def]
    return next(a for a in actions(app) if a.ref == ref)


def suggestion(body: str, ref: str, word: str) -> str:
    """The command line exactly as the mail suggests it ("A-2 改派 姓名"), placeholder and all."""
    found = re.search(rf"{re.escape(ref)} {word} [^”\"/\n]+", body)
    assert found, f"the mail suggests no '{ref} {word} …'"
    return found.group(0).strip()


def test_the_escalations_suggestions_work_sent_back_as_written(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    run_days(app, clock, date(2026, 12, 7), date(2026, 12, 17))
    escalation = next(m for m in outbox(app, "escalation") if m.to_address == HOST and "A-2" in m.subject)
    body = escalation.body_text or ""
    assert action(app, "A-2").status == "accepted"  # silent consent, then overdue: no objection open
    # The host fills in the placeholder as a person does: a name for 姓名, a date for 日期.
    line = suggestion(body, "A-2", "改派").replace("姓名", "刘洋")
    at(clock, "2026-12-17 10:00")
    before = len(outbox(app))
    assert process(app, reply(app, escalation, line)).outcome == "processed"
    a2 = action(app, "A-2")
    assert (a2.owner_address, a2.status) == ("liu.yang@corp.example", "awaiting_confirmation")
    new = outbox(app)[before:]
    assert ("confirm_request", "liu.yang@corp.example") in {(m.kind, m.to_address) for m in new}
    assert "已改派给" in next(m.body_text or "" for m in new if m.kind == "reply_result")

    line = suggestion(body, "A-2", "改期").replace("日期", "2027-01-08")
    assert process(app, reply(app, escalation, line)).outcome == "processed"
    assert action(app, "A-2").due == date(2027, 1, 8)


def test_the_host_cancels_or_reschedules_an_action_in_progress(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    zhang = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhang.wei@corp.example")
    assert process(app, reply(app, zhang, "进行中")).outcome == "processed"
    notice = next(m for m in outbox(app, "minutes_notice") if m.to_address == HOST)
    at(clock, "2026-12-03 09:00")
    assert process(app, reply(app, notice, "A-1 改期 2026-12-22\nA-3 撤销")).outcome == "processed"
    a1, a3 = action(app, "A-1"), action(app, "A-3")
    assert (a1.due, a1.status) == (date(2026, 12, 22), "awaiting_confirmation")  # a new date needs a fresh yes
    # The fresh request says why it comes and who moved the date.
    again = [m for m in outbox(app, "confirm_request") if m.to_address == "zhang.wei@corp.example"][-1]
    assert "李娜 将 A-1 的完成时限改为 2026年12月22日（周二）（原 2026年12月15日（周二）），请重新确认。" in (
        again.body_text or ""
    )
    assert "原 2026年12月15日" in (again.body_html or "")
    # Like the first request it carries the minutes in full (A-1 … A-4, not A-1 alone) and the
    # asked action as a calendar task at its new date.
    full_text = (again.body_text or "").split("纪要全文", 1)[-1]
    assert all(ref in full_text for ref in ("A-1", "A-2", "A-4")), full_text[:400]
    assert [a["filename"] for a in again.attachments or []] == ["actions.ics"]
    assert a3.status == "cancelled"
    # Nobody but the host may do it.
    chen = next(m for m in outbox(app, "confirm_request") if m.to_address == "chen.zhe@corp.example")
    assert process(app, reply(app, chen, "A-4 撤销")).outcome == "rejected"
    assert action(app, "A-4").status == "awaiting_confirmation"


def test_the_host_hears_of_a_delay_at_once_and_can_answer_it(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    zhao = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhao.min@corp.example")
    at(clock, "2026-12-03 09:00")
    before = len(outbox(app))
    assert process(app, reply(app, zhao, "延期至12月28日，原因：培训讲师档期冲突")).outcome == "processed"
    (notice,) = [m for m in outbox(app)[before:] if m.kind == "delay_notice"]
    assert notice.to_address == HOST
    assert notice.subject.startswith("【延期】A-3 制定销售培训计划：赵敏 延期至 2026年12月28日")
    body = notice.body_text or ""
    assert "原完成时限：2026年12月18日" in body and "新完成时限：2026年12月28日" in body
    assert "原因：培训讲师档期冲突" in body
    # The host disagrees and answers with the command the notice suggests.
    line = suggestion(body, "A-3", "改期").replace("日期", "2026-12-22")
    assert process(app, reply(app, notice, line)).outcome == "processed"
    a3 = action(app, "A-3")
    assert (a3.due, a3.status) == (date(2026, 12, 22), "awaiting_confirmation")


def test_a_department_heads_answer_in_words_to_an_escalation_reaches_the_host_and_the_owner(
    app: App, clock: FixedClock
) -> None:
    from mailbot.store.models import Event, Person

    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    with app.db.transaction() as session:
        session.add(Person(address="rd.head@corp.example", name="周总", department="研发部", role="head",
                           created_at=clock.now()))  # fmt: skip
    run_days(app, clock, date(2026, 12, 7), date(2026, 12, 17))
    escalation = next(m for m in outbox(app, "escalation") if m.to_address == "rd.head@corp.example")
    at(clock, "2026-12-17 11:00")
    before = len(outbox(app))
    words = "陈喆这周在外地出差，功能说明由我来整理，周五前给到李娜。\n\n周总\n研发部"
    assert process(app, reply(app, escalation, words)).outcome == "processed"
    new = outbox(app)[before:]
    notes = {m.to_address: m for m in new if m.kind == "note_notice"}
    assert set(notes) == {HOST, "chen.zhe@corp.example"}
    assert "> 陈喆这周在外地出差，功能说明由我来整理，周五前给到李娜。" in (notes[HOST].body_text or "")
    answer = next(m for m in new if m.kind == "reply_result")
    assert "已把您写的话转告 李娜 <li.na@corp.example>、陈喆 <chen.zhe@corp.example>，已记入 A-2 的处理记录" in (
        answer.body_text or ""
    )
    assert "没有读懂" not in (answer.body_text or "")
    with app.db.session() as session:
        from sqlalchemy import select

        kept = session.scalars(select(Event).where(Event.what == "action.note")).one()
        assert kept.detail["note"].startswith("陈喆这周在外地出差") and kept.inbound_mail_id is not None


def test_the_host_reopens_verified_work_and_a_cancelled_action(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    zhang = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhang.wei@corp.example")
    notice = next(m for m in outbox(app, "minutes_notice") if m.to_address == HOST)
    at(clock, "2026-12-03 09:00")
    assert process(app, reply(app, zhang, "完成，方案见附件")).outcome == "processed"
    acceptance = next(m for m in outbox(app, "acceptance_request") if m.to_address == HOST)
    assert process(app, reply(app, acceptance, "验收通过")).outcome == "processed"
    assert process(app, reply(app, notice, "A-3 撤销，培训并入下季度")).outcome == "processed"
    assert (action(app, "A-1").status, action(app, "A-3").status) == ("verified", "cancelled")
    at(clock, "2026-12-04 09:00")
    before = len(outbox(app))
    assert process(app, reply(app, notice, "A-1 重新打开，客户要求补充华南区数据\nA-3 reopen")).outcome == "processed"
    assert (action(app, "A-1").status, action(app, "A-3").status) == ("in_progress", "awaiting_confirmation")
    new = outbox(app)[before:]
    assert ("confirm_request", "zhao.min@corp.example") in {(m.kind, m.to_address) for m in new}
    answer = next(m for m in new if m.kind == "reply_result")
    assert "A-1 已重新打开，交回负责人 张伟 <zhang.wei@corp.example> 继续处理" in (answer.body_text or "")


def test_where_a_delay_needs_the_hosts_approval_it_waits_for_it(home, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    """rules/policy.toml [delay] needs_host_approval = true: the owner's delay is a request; the
    due date stands until the host answers "A-3 同意延期"."""
    from mailbot.config import load_config

    rules = home / "rules"
    rules.mkdir()
    policy = (PACKAGE_ROOT / "rules" / "policy.toml").read_text(encoding="utf-8")
    assert "needs_host_approval = false" in policy
    (rules / "policy.toml").write_text(policy.replace("needs_host_approval = false", "needs_host_approval = true"))
    config = home / "config.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[paths]\nrules = "rules"\n', encoding="utf-8")
    app = App.open(load_config(config), clock)
    try:
        assert app.policy.delay.needs_host_approval
        at(clock, "2026-12-02 18:00")
        feed(app, "outlook_zh_minutes_gbk_html.eml")
        zhao = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhao.min@corp.example")
        at(clock, "2026-12-03 09:00")
        assert process(app, reply(app, zhao, "延期至12月28日，原因：培训讲师档期冲突")).outcome == "processed"
        assert (action(app, "A-3").due, action(app, "A-3").status) == (date(2026, 12, 18), "awaiting_confirmation")
        answer = outbox(app, "reply_result")[-1]
        assert "等待主持人 李娜 <li.na@corp.example> 批准" in (answer.body_text or "")
        (notice,) = outbox(app, "delay_notice")
        assert notice.subject.startswith("【延期申请】") and "回复“A-3 同意延期”即可" in (notice.body_text or "")
        # Only the host may agree; then the new date stands.
        assert process(app, reply(app, zhao, "A-3 同意延期")).outcome == "rejected"
        assert process(app, reply(app, notice, "A-3 同意延期")).outcome == "processed"
        a3 = action(app, "A-3")
        assert (a3.due, a3.status, a3.delay_reason) == (date(2026, 12, 28), "delayed", "培训讲师档期冲突")
        assert "已同意 A-3 延期至 2026年12月28日" in (outbox(app, "reply_result")[-1].body_text or "")
    finally:
        app.db.dispose()
