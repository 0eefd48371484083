"""Due before it starts: an action due on or before the day the minutes take effect (the end of the
confirmation round, confirm_by) is flagged at once — to the recorder in the answer to the draft, to
the host with the minutes, and to its owner in the confirmation request — instead of reaching its
owner first as "overdue" the day after the round closes."""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import select

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.pipeline import process
from mailbot.store.models import Event
from tests.helpers import actions, at, meetings, outbox
from tests.hostile import action, draft_body

RECORDER = "wang.fang@corp.example"
HOST = "li.na@corp.example"


def send_draft(app: App, body: str, subject: str = "【纪要】渠道季度复盘会") -> None:
    draft = EmailMessage()
    draft["From"] = f"王芳 <{RECORDER}>"
    draft["To"] = "minutes@corp.example"
    draft["Cc"] = "张伟 <zhang.wei@corp.example>"  # an attendee the draft names without an address
    draft["Subject"] = subject
    draft["Date"] = format_datetime(app.now())
    draft["Message-ID"] = make_msgid(domain="corp.example")
    draft.set_content(body)
    assert process(app, draft.as_bytes()).outcome == "processed"


def minutes_zh(app: App, clock: FixedClock) -> None:
    # Wed 12-02, 18:00: the round closes at the end of Fri 12-04 (two working days).
    at(clock, "2026-12-02 18:00")
    body = draft_body(
        "渠道季度复盘会",
        [
            action("整理渠道销量数据", "销售部 赵敏 <zhao.min@corp.example>", due="2026-12-03"),
            action("更新经销商名单", "市场部 张伟 <zhang.wei@corp.example>", due="2026-12-04"),
            action("输出复盘报告", "市场部 张伟 <zhang.wei@corp.example>", due="2026-12-10"),
            action("确认预算", "市场部 李娜 <li.na@corp.example>", due="2026-12-11"),
        ],
        day="2026-12-02",
    )
    send_draft(app, body)


def test_the_owner_is_told_in_the_confirmation_request(app: App, clock: FixedClock) -> None:
    minutes_zh(app, clock)
    (meeting,) = meetings(app)
    assert meeting.confirm_by == date(2026, 12, 4)
    _, a2, a3, _ = (a.ref for a in actions(app))

    zhao = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhao.min@corp.example")
    assert (
        "注意：此项的完成时限是 2026年12月3日（周四），早于纪要生效日 2026年12月4日（周五），"
        "请尽快处理，或回复“延期至 日期，原因：…”。"
    ) in zhao.body_text
    assert "早于纪要生效日" in zhao.body_html
    zhang = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhang.wei@corp.example")
    # Two actions of his, one due on the day itself: named by ref, and the other is not flagged.
    assert f"注意：{a2} 的完成时限是 2026年12月4日（周五），就是纪要生效日，请尽快处理" in zhang.body_text
    assert f"回复“{a2} 延期至 日期，原因：…”" in zhang.body_text
    notes = [line for line in zhang.body_text.splitlines() if line.startswith("注意：")]
    assert len(notes) == 1 and a3 not in notes[0]
    # An owner who is neither host nor recorder does not get the host's list.
    assert "请主持人、记录人留意" not in zhang.body_text


def test_the_recorder_and_the_host_are_flagged_at_once(app: App, clock: FixedClock) -> None:
    minutes_zh(app, clock)
    a1, a2, _, _ = (a.ref for a in actions(app))
    ack = outbox(app, "minutes_ack")[0]
    assert ack.to_address == RECORDER
    flagged = ack.context["due_before_start"]
    assert [(f["ref"], f["due"], f["same_day"]) for f in flagged] == [
        (a1, "2026-12-03", False),
        (a2, "2026-12-04", True),
    ]
    assert flagged[0]["owner"] == "zhao.min@corp.example"
    # The host owns an action herself, so her mail is a confirmation request: it lists the others'.
    host = next(m for m in outbox(app, "confirm_request") if m.to_address == HOST)
    assert "请主持人、记录人留意：以下行动项的完成时限不晚于纪要生效日 2026年12月4日（周五）" in host.body_text
    assert f"{a1}  整理渠道销量数据 —— 赵敏，完成时限 2026年12月3日（周四）" in host.body_text
    assert f"{a2}  更新经销商名单 —— 张伟，完成时限 2026年12月4日（周五）" in host.body_text
    assert f"主持人可回复“{a1} 改期 日期”调整" in host.body_text
    assert "请主持人、记录人留意" in host.body_html
    assert host.context["mine_due_before_start"] == []  # her own (12-11) is after the start
    with app.db.session() as session:
        event = session.scalars(select(Event).where(Event.what == "minutes.due_before_start")).one()
        assert event.detail == {"refs": [a1, a2], "confirm_by": "2026-12-04"}


def test_the_host_who_owns_nothing_gets_the_flags_with_the_minutes(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    body = draft_body(
        "渠道季度复盘会",
        [action("整理渠道销量数据", "销售部 赵敏 <zhao.min@corp.example>", due="2026-12-04")],
        day="2026-12-02",
    )
    send_draft(app, body)
    (ref,) = (a.ref for a in actions(app))
    notices = {m.to_address: m for m in outbox(app, "minutes_notice")}
    assert [f["ref"] for f in notices[HOST].context["due_before_start"]] == [ref]
    others = [m for to, m in notices.items() if to not in (HOST, RECORDER)]
    assert others and all(m.context["due_before_start"] == [] for m in others)  # attendees: not flagged


def test_nothing_is_flagged_when_every_action_is_due_after_the_start(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    body = draft_body(
        "渠道季度复盘会",
        [action("整理渠道销量数据", "销售部 赵敏 <zhao.min@corp.example>", due="2026-12-07")],
        day="2026-12-02",
    )
    send_draft(app, body)
    assert outbox(app, "minutes_ack")[0].context["due_before_start"] == []
    request = outbox(app, "confirm_request")[0]
    assert "注意：" not in request.body_text and "纪要生效日" not in request.body_html
    with app.db.session() as session:
        assert session.scalars(select(Event).where(Event.what == "minutes.due_before_start")).all() == []


def test_in_english(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    message = EmailMessage()
    message["From"] = f"Wang Fang <{RECORDER}>"
    message["To"] = "minutes@corp.example"
    message["Subject"] = "[Minutes] Launch check"
    message["Message-ID"] = make_msgid(domain="corp.example")
    message.set_content(
        "Meeting: Launch check\nDate: 2026-12-02\nHost: Li Na <li.na@corp.example>\n\n"
        "Action items:\n- Ship the campaign; owner: Zhang Wei <zhang.wei@corp.example>; due: 2026-12-03\n"
        "- Book the hall; owner: Li Na <li.na@corp.example>; due: 2026-12-20\n"
    )
    assert process(app, message.as_bytes()).outcome == "processed"
    ship = actions(app)[0].ref
    zhang = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhang.wei@corp.example")
    assert "Note: this action is due" in zhang.body_text
    assert "before the minutes take effect" in zhang.body_text
    host = next(m for m in outbox(app, "confirm_request") if m.to_address == HOST)
    assert f"{ship}  Ship the campaign" in host.body_text
    assert "Note: this action" not in host.body_text
