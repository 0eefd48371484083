"""A round closes however its last answer reads (found in the hand trial of issue 13: two owners,
one confirmed, the other delayed, and the minutes stayed "in review" for good — no 正式版, ever).

A delay or a delivery settles an action as a confirmation does: the answer that leaves nothing
awaiting makes the minutes final at once; and a round that nothing awaits any more is closed by
the next tick after its deadline, whatever left it open."""

from __future__ import annotations

from sqlalchemy import select

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.pipeline import process
from mailbot.store.models import ActionItem, Meeting, OutboxMail
from mailbot.workflow.consent import run_consent_deadlines
from tests.helpers import at, feed, meetings, outbox
from tests.replying import reply


def request_to(app: App, address: str) -> OutboxMail:
    return next(m for m in outbox(app, "confirm_request") if m.to_address == address)


def test_a_round_whose_last_answer_is_a_delay_makes_the_minutes_final(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    at(clock, "2026-12-03 10:00")
    process(app, reply(app, request_to(app, "zhang.wei@corp.example"), "确认"))
    process(app, reply(app, request_to(app, "zhao.min@corp.example"), "完成，培训计划见附件"))
    process(app, reply(app, request_to(app, "zhu.rong@corp.example"), "确认"))
    assert meetings(app)[0].status == "in_review" and outbox(app, "final_minutes") == []
    process(app, reply(app, request_to(app, "chen.zhe@corp.example"), "延期至 2026-12-20，原因：等待供应商样机"))
    assert meetings(app)[0].status == "confirmed"
    finals = outbox(app, "final_minutes")
    assert "chen.zhe@corp.example" not in {m.to_address for m in finals}  # his is in his answer
    assert len(finals) == 8 and "延期至 2026年12月20日（周日）" in (finals[0].body_text or "")
    answer = outbox(app, "reply_result")[-1]
    assert answer.to_address == "chen.zhe@corp.example" and "以下为正式版" in (answer.body_text or "")


def test_a_round_nothing_awaits_is_closed_by_the_next_tick(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    with app.db.transaction() as session:  # as a round left open by an earlier version of the bot
        for action in session.scalars(select(ActionItem)):
            action.status, action.consent = "accepted", "explicit"
    at(clock, "2026-12-04 09:30")  # before the deadline (Mon 12-07): nothing to close yet
    assert run_consent_deadlines(app, app.now())["confirmed"] == 0
    at(clock, "2026-12-08 09:30")
    assert run_consent_deadlines(app, app.now())["confirmed"] == 1
    with app.db.session() as session:
        assert session.scalars(select(Meeting.status)).one() == "confirmed"
    assert len(outbox(app, "final_minutes")) == 9
    assert run_consent_deadlines(app, app.now())["confirmed"] == 0  # once
