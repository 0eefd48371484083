"""转交 (delegation), as its people live it: the person named is asked by a deadline of their own,
sees the action as theirs-to-be, can decline it, and their silence hands it over — as silence
accepts any other request that says "逾期视为默认".

Found in a hand trial: 赵敏's "转交 孙磊" on 12-23 asked 孙磊 to answer "by 2026年12月14日" (the
first round's deadline, nine days gone), said "以下行动项由您负责" above "负责人：Zhao Min" and
"当前状态：已确认（无需再次确认）", and his silence never changed anything.

The round of tests/mails/outlook_zh_minutes_gbk_html.eml (2026-12-02 18:00, confirm by Fri 12-04):
A-1 张伟, A-2 陈喆, A-3 赵敏, A-4 朱镕; 孙磊 and 周婷 attend.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.pipeline import process
from mailbot.store.models import ActionItem, Event, OutboxMail, Person
from mailbot.workflow.consent import run_consent_deadlines
from tests.helpers import actions, at, feed, meetings, outbox
from tests.replying import reply
from tests.test_machine_mail import auto_reply, dsn

ZHANG, CHEN, ZHAO, ZHU = (
    "zhang.wei@corp.example",
    "chen.zhe@corp.example",
    "zhao.min@corp.example",
    "zhu.rong@corp.example",
)
SUN, ZHOU, HOST = "sun.lei@corp.example", "zhou.ting@corp.example", "li.na@corp.example"


@pytest.fixture
def round_open(app: App, clock: FixedClock) -> App:
    at(clock, "2026-12-02 18:00")
    assert feed(app, "outlook_zh_minutes_gbk_html.eml").outcome == "processed"
    at(clock, "2026-12-03 09:30")
    return app


def request_to(app: App, address: str) -> OutboxMail:
    return [m for m in outbox(app, "confirm_request") if m.to_address == address][-1]


def action(app: App, ref: str) -> ActionItem:
    return next(a for a in actions(app) if a.ref == ref)


def events(app: App, what: str) -> list[Event]:
    with app.db.session() as session:
        return list(session.scalars(select(Event).where(Event.what == what).order_by(Event.id)))


def new_mails(app: App, before: int) -> list[OutboxMail]:
    return outbox(app)[before:]


def tick(app: App, clock: FixedClock, when: str) -> dict[str, int]:
    at(clock, when)
    return run_consent_deadlines(app, app.now())


def block(text: str, ref: str) -> str:
    """The lines of one action in the minutes' full text (from its ref to the next blank line)."""
    start = text.index(f"\n{ref}  ", text.index("———— 纪要全文 ————"))
    return text[start : text.index("\n\n", start)]


def confirm_all_but(app: App, *left: str) -> None:
    for owner in (ZHANG, CHEN, ZHAO, ZHU):
        if owner not in left:
            assert process(app, reply(app, request_to(app, owner), "确认")).outcome == "processed"


def test_a_handover_after_the_round_asks_the_new_owner_by_a_deadline_of_their_own(
    round_open: App, clock: FixedClock
) -> None:
    app = round_open
    confirm_all_but(app)
    at(clock, "2026-12-09 10:00")  # Wednesday; the round closed on Fri 12-04
    before = len(outbox(app))
    assert process(app, reply(app, request_to(app, ZHAO), "转交 孙磊")).outcome == "processed"
    # Stored: still 赵敏's, 孙磊 asked, two working days from today (policy [consent] working_days).
    a3 = action(app, "A-3")
    assert (a3.owner_address, a3.delegate_address, a3.delegate_by) == (ZHAO, SUN, date(2026, 12, 11))
    assert (a3.status, a3.confirm_by) == ("accepted", date(2026, 12, 4))  # her own round is not reopened
    handover, answer = new_mails(app, before)
    assert (handover.kind, handover.to_address, answer.kind, answer.to_address) == (
        "confirm_request", SUN, "reply_result", ZHAO,
    )  # fmt: skip
    # The request: his deadline, in the future, in the subject and the body; the action as his-to-be.
    assert handover.subject.startswith(
        "【请确认】Q1 新品上市跨部门协作会：赵敏 转交给您的 1 项行动项，请于2026年12月11日（周五）前回复"
    )
    text = handover.body_text or ""
    assert "2026年12月4日" not in text and "2026年12月4日" not in handover.subject
    assert "赵敏 想把 A-3 转交给您，请确认是否接手：回复“确认”即由您负责；不接手请回复“异议：原因”。" in text
    assert "您确认之前仍由 赵敏 <zhao.min@corp.example> 负责；2026年12月11日（周五） 前没有回复，视为同意接手。" in text
    assert "以下是2026年12月2日（周三）“Q1 新品上市跨部门协作会”纪要中要转交给您的行动项：" in text
    assert "以下行动项由您负责" not in text
    assert "负责人：孙磊 <sun.lei@corp.example>（由 赵敏 转交，待您确认）" in text
    assert "异议：原因           —— 不接手（必须写原因），仍由原负责人负责" in text
    assert "  接手：<mailto:minutes+A3." in text and "  不接手：<mailto:minutes+A3." in text
    # In the minutes' full text A-3 is what he is asked, not 赵敏's settled action.
    assert "负责人：孙磊 <sun.lei@corp.example>（由 赵敏 转交，待您确认）" in block(text, "A-3")
    assert "当前状态" not in block(text, "A-3") and "当前状态：已确认（无需再次确认）" in block(text, "A-1")
    html = handover.body_html or ""
    assert "由 赵敏 转交，待您确认" in html and "2026年12月4日" not in html
    assert "要转交给您的行动项" in html and "<b>2026年12月11日（周五）</b>" in html
    # The owner reads whom, by when, and what silence means.
    assert (
        "✓ A-3 已请 孙磊 <sun.lei@corp.example> 确认接手（请对方于 2026年12月11日（周五） 前回复，逾期未回复视为同意接手）；对方确认前仍由您负责"
        in (answer.body_text or "")
    )

    # His deadline day is inside his window: nothing changes.
    assert tick(app, clock, "2026-12-11 23:00")["handed_over"] == 0
    assert action(app, "A-3").owner_address == ZHAO
    # Past it, in silence: the action is his (recorded as silent consent), once; no mail about it.
    before = len(outbox(app))
    assert tick(app, clock, "2026-12-12 00:05")["handed_over"] == 1
    a3 = action(app, "A-3")
    assert (a3.owner_address, a3.owner_name, a3.delegate_address, a3.delegate_by) == (SUN, "孙磊", None, None)
    assert (a3.status, a3.requester_address) == ("accepted", HOST)
    assert a3.department is None  # the directory knows no department of his: none rather than 赵敏's
    (changed,) = events(app, "action.owner_changed")
    assert changed.detail == {"previous": ZHAO, "new": SUN, "consent": "silent", "deadline": "2026-12-11"}
    assert new_mails(app, before) == []
    assert tick(app, clock, "2026-12-14 09:00")["handed_over"] == 0
    # He answers for it now; she no longer does.
    process(app, reply(app, handover, "进行中"))
    assert action(app, "A-3").status == "in_progress"
    process(app, reply(app, request_to(app, ZHAO), "完成"))
    assert action(app, "A-3").status == "in_progress"
    assert "A-3 的负责人是 孙磊 <sun.lei@corp.example>" in (outbox(app)[-1].body_text or "")


def test_the_new_owners_department_comes_from_the_directory(round_open: App, clock: FixedClock) -> None:
    app = round_open
    with app.db.transaction() as session:  # known from the minutes' headers; the directory adds her department
        person = session.scalars(select(Person).where(Person.address == ZHOU)).one()
        person.department = "财务部"
    process(app, reply(app, request_to(app, ZHAO), "转交 周婷"))
    handover = request_to(app, ZHOU)
    assert "负责人：财务部 周婷 <zhou.ting@corp.example>（由 赵敏 转交，待您确认）" in (handover.body_text or "")
    assert process(app, reply(app, handover, "确认")).outcome == "processed"
    a3 = action(app, "A-3")
    assert (a3.owner_address, a3.department, a3.status, a3.consent) == (ZHOU, "财务部", "accepted", "explicit")


def test_the_delegate_declines_and_the_owner_keeps_it_and_hears_why(round_open: App, clock: FixedClock) -> None:
    """The request offers "异议：原因" to the person named: it used to be refused ("A-4 的负责人是 朱镕"),
    leaving them no way out of an action their silence now takes on."""
    app = round_open
    process(app, reply(app, request_to(app, ZHU), "转交 周婷", style="netease"))
    handover = request_to(app, ZHOU)
    before = len(outbox(app))
    result = process(app, reply(app, handover, "异议：我下周休假，接不了"))
    assert result.outcome == "processed", result.error
    a4 = action(app, "A-4")
    assert (a4.owner_address, a4.delegate_address, a4.delegate_by, a4.status) == (
        ZHU, None, None, "awaiting_confirmation",
    )  # fmt: skip
    told, answer = new_mails(app, before)
    assert (told.kind, told.to_address, answer.to_address) == ("note_notice", ZHU, ZHOU)
    assert told.subject.startswith("【未接手】A-4 核算推广费用与提成预算占比：周婷 不接手，仍由您负责")
    body = told.body_text or ""
    assert "您想把行动项 A-4 转交给 周婷（zhou.ting@corp.example），对方不接手，此项仍由您负责。" in body
    assert "> 我下周休假，接不了" in body and "如需转交给别人，可回复“转交 姓名”" in body
    assert "对方不接手，此项仍由您负责" in (told.body_html or "")
    said = answer.body_text or ""
    assert "✓ 您不接手 A-4（原因：我下周休假，接不了），仍由 朱镕 <zhu.rong@corp.example> 负责，已告知对方" in said
    assert "“进行中”" not in said.split("\n--\n")[1]  # no owner's commands for someone who holds nothing
    assert outbox(app, "objection_notice") == []  # not an objection to the action: the host is not asked
    # Declined is declined: her silence later hands nothing over, and 朱镕's round runs as his.
    confirm_all_but(app, ZHU)
    assert tick(app, clock, "2026-12-08 09:00")["handed_over"] == 0
    a4 = action(app, "A-4")
    assert (a4.owner_address, a4.status, a4.consent) == (ZHU, "accepted", "silent")


def test_a_handover_during_the_round_keeps_the_round_open_for_the_new_owner(round_open: App, clock: FixedClock) -> None:
    """转交 on the round's last day: the minutes must not become final in the old owner's name the
    next morning while the new owner is still asked; they do once the new owner's silence counts."""
    app = round_open
    confirm_all_but(app, ZHU)
    at(clock, "2026-12-04 16:00")
    process(app, reply(app, request_to(app, ZHU), "转交 周婷"))
    a4 = action(app, "A-4")
    assert (a4.delegate_by, a4.confirm_by) == (date(2026, 12, 8), date(2026, 12, 8))
    assert "请于2026年12月8日（周二）前回复" in request_to(app, ZHOU).subject
    counts = tick(app, clock, "2026-12-07 09:00")
    assert (counts["accepted_silently"], counts["confirmed"]) == (0, 0)
    assert action(app, "A-4").status == "awaiting_confirmation" and meetings(app)[0].status == "in_review"
    counts = tick(app, clock, "2026-12-09 00:05")
    assert (counts["handed_over"], counts["accepted_silently"], counts["confirmed"]) == (1, 1, 1)
    a4 = action(app, "A-4")
    assert (a4.owner_address, a4.status, a4.consent) == (ZHOU, "accepted", "silent")
    # The official minutes name her, silently agreed, and she gets them as an owner.
    final = next(m for m in outbox(app, "final_minutes") if m.to_address == ZHOU)
    text = final.body_text or ""
    a4_block = text[text.index("A-4  ") : text.index("\n\n", text.index("A-4  "))]
    assert "周婷 <zhou.ting@corp.example>" in a4_block and "朱镕" not in a4_block
    assert "确认方式：逾期未回复，视为同意" in a4_block


def test_a_delegate_whose_mail_bounces_is_not_handed_the_action(round_open: App, clock: FixedClock) -> None:
    app = round_open
    confirm_all_but(app)
    process(app, reply(app, request_to(app, ZHAO), "转交 孙磊"))
    process(app, dsn(request_to(app, SUN)))
    assert tick(app, clock, "2026-12-08 09:00")["handed_over"] == 0
    a3 = action(app, "A-3")
    assert (a3.owner_address, a3.delegate_address, a3.status) == (ZHAO, None, "accepted")
    (lapsed,) = events(app, "action.delegation_lapsed")
    assert lapsed.detail == {"delegate": SUN, "deadline": "2026-12-07", "reason": "bouncing"}


def test_a_delegate_away_gets_a_full_window_after_the_return(round_open: App, clock: FixedClock) -> None:
    app = round_open
    confirm_all_but(app)
    process(app, reply(app, request_to(app, ZHAO), "转交 孙磊"))
    assert action(app, "A-3").delegate_by == date(2026, 12, 7)
    at(clock, "2026-12-03 09:31")
    away = auto_reply(app, SUN, "您好，我12月3日至12月9日休假，期间不看邮件。", message_id="ooo-sun")
    assert process(app, away).kind == "auto_reply"
    # Past his deadline while away: not consent; two working days after the last day away.
    assert tick(app, clock, "2026-12-08 09:00")["handed_over"] == 0
    assert action(app, "A-3").delegate_by == date(2026, 12, 11)
    assert tick(app, clock, "2026-12-12 09:00")["handed_over"] == 1
    assert action(app, "A-3").owner_address == SUN


def test_the_hosts_reassignment_ends_a_pending_handover(round_open: App, clock: FixedClock) -> None:
    """The host gives A-4 to 刘洋 while 周婷 is still asked: her late "确认" (or her silence) must
    not take it from the host's choice."""
    app = round_open
    process(app, reply(app, request_to(app, ZHU), "转交 周婷"))
    notice = next(m for m in outbox(app, "minutes_notice") if m.to_address == HOST)
    process(app, reply(app, notice, "A-4 改派 刘洋"))
    a4 = action(app, "A-4")
    assert (a4.owner_address, a4.delegate_address, a4.delegate_by) == ("liu.yang@corp.example", None, None)
    process(app, reply(app, request_to(app, ZHOU), "确认"))
    assert action(app, "A-4").owner_address == "liu.yang@corp.example"
