"""From an .eml file as a client wrote it to the stored rows and the exact outgoing mails."""

from __future__ import annotations

from datetime import date

from mailbot.app import App
from mailbot.clock import FixedClock
from tests.helpers import actions, at, feed, inbound, meetings, outbox

Q1 = "Q1 新品上市跨部门协作会"


def test_a_foxmail_gbk_agenda_is_stored_and_acknowledged_with_a_short_notice_warning(
    app: App, clock: FixedClock
) -> None:
    at(clock, "2026-11-30 09:20")
    result = feed(app, "foxmail_zh_agenda_gbk.eml")
    assert (result.kind, result.outcome) == ("agenda", "processed")
    (meeting,) = meetings(app)
    assert meeting.title == Q1
    assert meeting.status == "scheduled"
    assert meeting.meeting_date == date(2026, 12, 2)
    assert meeting.host_address == "li.na@corp.example"
    assert meeting.recorder_address == "wang.fang@corp.example"
    assert [t.name for t in meeting.topics][:2] == ["产品推广与技术支持协作流程", "销售提成预算分配方案"]
    (ack,) = outbox(app, "agenda_ack")
    assert ack.to_address == "li.na@corp.example"  # the host sent it from Foxmail
    assert ack.language == "zh"
    # The minutes are the recorder's to send: the host is told so, and the recorder is asked.
    text = ack.body_text or ""
    assert "会后请记录人 王芳 <wang.fang@corp.example> 在 24 小时内把纪要初稿发到 minutes@corp.example" in text
    assert "会后请记录人 王芳" in (ack.body_html or "")
    notices = {m.to_address: m.body_text or "" for m in outbox(app, "agenda_notice")}
    assert (
        "您是这次会议的记录人：会后请在 24 小时内把纪要初稿发到 minutes@corp.example"
        in notices["wang.fang@corp.example"]
    )
    assert not [a for a, body in notices.items() if "记录人：会后" in body and a != "wang.fang@corp.example"]
    assert "M-1" in ack.subject
    assert "会议名称：Q1 新品上市跨部门协作会" in ack.body_text
    assert "2026年12月2日（周三） 14:00-16:00" in ack.body_text
    # People as the agenda named them, with the address each resolved to.
    assert "主持人：李娜 <li.na@corp.example>\n记录人：王芳 <wang.fang@corp.example>\n" in ack.body_text
    assert "参会人员：张伟 <zhang.wei@corp.example>、陈喆 <chen.zhe@corp.example>、" in ack.body_text
    assert "、朱镕 <zhu.rong@corp.example>\n会议目标：" in ack.body_text
    assert "李娜 &lt;li.na@corp.example&gt;" in (ack.body_html or "")
    # Sent on Monday for Wednesday: 2 days' notice against the seeds' 3.
    assert "会议通知提前量不足：距会议还有 2 天（2 个工作日），规则要求提前 3 天且至少 1 个工作日" in ack.body_text
    assert ack.in_reply_to and ack.auto_submitted == "auto-replied"
    # Every other attendee gets the meeting with a calendar invitation and the materials-due day.
    notices = outbox(app, "agenda_notice")
    # Every attendee and the recorder 王芳 (whom the attendee line does not name); not the host 李娜,
    # who sent it and has the invitation with her acknowledgement.
    assert sorted(n.to_address for n in notices) == [
        "chen.zhe@corp.example", "liu.yang@corp.example", "sun.lei@corp.example", "wang.fang@corp.example",
        "zhang.wei@corp.example", "zhao.min@corp.example", "zhou.ting@corp.example", "zhu.rong@corp.example",
    ]  # fmt: skip
    (ack,) = outbox(app, "agenda_ack")
    assert [a["filename"] for a in ack.attachments or []] == ["meeting.ics"]
    assert "请于 2026年12月1日（周二） 前准备好相关材料。" in notices[0].body_text
    assert notices[0].attachments[0]["filename"] == "meeting.ics"


def test_outlook_minutes_open_the_confirmation_round(app: App, clock: FixedClock) -> None:
    at(clock, "2026-11-30 09:20")
    feed(app, "foxmail_zh_agenda_gbk.eml")
    at(clock, "2026-12-02 18:00")
    result = feed(app, "outlook_zh_minutes_gbk_html.eml")
    assert (result.kind, result.outcome) == ("minutes", "processed"), result.error

    (meeting,) = meetings(app)  # the minutes continue the agenda's meeting
    assert meeting.status == "in_review"
    # Wednesday + 2 working days = Friday.
    assert meeting.confirm_by == date(2026, 12, 4)
    stored = actions(app)
    assert [(a.ref, a.owner_address, a.due, a.status) for a in stored] == [
        ("A-1", "zhang.wei@corp.example", date(2026, 12, 15), "awaiting_confirmation"),
        ("A-2", "chen.zhe@corp.example", date(2026, 12, 10), "awaiting_confirmation"),
        ("A-3", "zhao.min@corp.example", date(2026, 12, 18), "awaiting_confirmation"),
        ("A-4", "zhu.rong@corp.example", date(2026, 12, 31), "awaiting_confirmation"),
    ]
    assert stored[3].owner_name == "朱镕"  # 镕 is outside GB2312: the lying charset label was read as GBK
    assert stored[0].deliverable == "方案初稿 PDF"

    ack = next(m for m in outbox(app, "minutes_ack"))
    assert ack.to_address == "wang.fang@corp.example"
    for ref in ("A-1", "A-2", "A-3", "A-4"):
        assert ref in ack.body_text
    assert "负责人须于 2026年12月4日（周五） 前确认或提出异议，逾期视为同意。" in ack.body_text

    requests = outbox(app, "confirm_request")
    assert sorted(r.to_address for r in requests) == [
        "chen.zhe@corp.example", "zhang.wei@corp.example", "zhao.min@corp.example", "zhu.rong@corp.example",
    ]  # fmt: skip
    to_zhang = next(r for r in requests if r.to_address == "zhang.wei@corp.example")
    assert "输出新品推广活动方案初稿" in to_zhang.body_text
    assert to_zhang.reply_token and to_zhang.reply_token.startswith("A1.")
    assert "2026年12月4日（周五）前回复" in to_zhang.subject

    notices = outbox(app, "minutes_notice")
    # Parties who own nothing: the host, the other attendees; never the owners twice, never the bot,
    # never the recorder who sent it (her acknowledgement is her one mail about this draft).
    assert sorted(n.to_address for n in notices) == [
        "li.na@corp.example", "liu.yang@corp.example", "sun.lei@corp.example", "zhou.ting@corp.example",
    ]  # fmt: skip
    assert all("逾期视为默认" in n.body_text for n in notices)


def test_a_draft_with_problems_is_kept_and_answered_once_with_every_problem_quoted(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-08 18:00")
    result = feed(app, "minutes_with_problems_zh.eml")
    assert (result.kind, result.outcome) == ("minutes", "rejected")
    assert actions(app) == []
    (answer,) = outbox(app)
    assert answer.kind == "minutes_rejected"
    body = answer.body_text
    assert "原文：- 补充渠道反馈意见；配合：销售部；截止：12月20日" in body
    assert "行动项缺少负责人" in body
    assert "“市场部*经理”是模板里的占位写法" in body
    assert "读不懂日期“X月X日”" in body
    assert "读不懂日期“尽快”" in body
    assert "早于会议日期" in body and "2026-11-20" in body
    assert "纪要未生效，共 5 处需要修改" in answer.subject  # the closing remark and signature are not actions
    assert "正确写法示例" in body  # the template section the sender got wrong
    (record,) = inbound(app)
    assert record.outcome == "rejected" and record.raw.startswith(b"")
    assert "missing_owner" in (record.error or "")


def test_minutes_only_in_a_word_attachment_get_a_plain_answer(app: App, clock: FixedClock) -> None:
    from email.message import EmailMessage

    from mailbot.pipeline import process

    message = EmailMessage()
    message["From"] = "王芳 <wang.fang@corp.example>"
    message["To"] = "minutes@corp.example"
    message["Subject"] = "【纪要】Q1 新品上市跨部门协作会"
    message["Message-ID"] = "<docx-only@corp.example>"
    message.set_content("各位好，纪要见附件，请查收。\n\n王芳")
    message.add_attachment(b"PK\x03\x04 word", maintype="application",
                           subtype="vnd.openxmlformats-officedocument.wordprocessingml.document", filename="会议纪要.docx")  # fmt: skip
    result = process(app, message.as_bytes())
    assert (result.kind, result.outcome) == ("minutes", "rejected")
    (answer,) = outbox(app)
    assert "纪要未生效，共 1 处需要修改" in answer.subject
    assert "纪要只在附件（会议纪要.docx）里，我只读邮件正文" in answer.body_text


def test_requests_carry_the_actions_as_calendar_tasks_and_the_agenda_ack_the_meeting(
    app: App, clock: FixedClock
) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from icalendar import Calendar

    from mailbot.outbox import build_message

    at(clock, "2026-11-30 09:20")
    feed(app, "foxmail_zh_agenda_gbk.eml")
    (ack,) = outbox(app, "agenda_ack")
    (invite,) = build_message(ack, app.sender, app.now()).iter_attachments()
    (event,) = Calendar.from_ical(invite.get_content()).walk("VEVENT")
    assert str(event["summary"]) == Q1
    assert event.decoded("dtstart") == datetime(2026, 12, 2, 14, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    request = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhang.wei@corp.example")
    message = build_message(request, app.sender, app.now())
    (attached,) = list(message.iter_attachments())
    assert attached.get_filename() == "actions.ics" and attached.get_content_type() == "text/calendar"
    (todo,) = Calendar.from_ical(attached.get_content()).walk("VTODO")
    assert str(todo["summary"]) == "A-1 输出新品推广活动方案初稿"
    assert todo.decoded("due") == date(2026, 12, 15)
    assert str(todo["uid"]) == "A-1@corp.example"


def test_a_notice_that_expects_no_reply_says_none(app: App, clock: FixedClock) -> None:
    """The meeting notice asks nothing: no "reply above this line", no list of reply commands."""
    at(clock, "2026-11-30 09:20")
    feed(app, "foxmail_zh_agenda_gbk.eml")
    notice = outbox(app, "agenda_notice")[0]
    for body in (notice.body_text or "", notice.body_html or ""):
        assert "请在此线以上回复" not in body and "回复“确认”" not in body
    ack = outbox(app, "agenda_ack")[0]
    assert "请在此线以上回复" in (ack.body_text or "")  # the sender may correct it by reply


def test_the_invitation_goes_out_as_an_invitation(app: App, clock: FixedClock) -> None:
    """text/calendar with method=REQUEST (the card Outlook and Gmail show), ORGANIZER the host,
    SENT-BY the bot."""
    from mailbot.outbox import build_message

    at(clock, "2026-11-30 09:20")
    feed(app, "foxmail_zh_agenda_gbk.eml")
    notice = outbox(app, "agenda_notice")[0]
    message = build_message(notice, app.sender, app.now())
    (invite,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert invite.get_param("method") == "REQUEST"
    ics = invite.get_content()
    assert "METHOD:REQUEST" in ics and "ORGANIZER" in ics and "li.na@corp.example" in ics
    assert 'SENT-BY="mailto:minutes@corp.example"' in ics.replace("\r\n ", "")
