"""The confirmation round by reply, as people really answer: six clients, Chinese and English."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.pipeline import process
from mailbot.store.models import ActionItem, Deliverable, Event
from tests.helpers import actions, at, feed, outbox
from tests.replying import reply


@pytest.fixture
def round_open(app: App, clock: FixedClock) -> App:
    """Minutes of 2026-12-02 in force: A-1 张伟, A-2 陈喆, A-3 赵敏, A-4 朱镕; confirm by 12-04."""
    at(clock, "2026-12-02 18:00")
    assert feed(app, "outlook_zh_minutes_gbk_html.eml").outcome == "processed"
    at(clock, "2026-12-03 09:30")
    return app


def request_to(app: App, address: str) -> object:
    return next(m for m in outbox(app, "confirm_request") if m.to_address == address)


def action(app: App, ref: str) -> ActionItem:
    return next(a for a in actions(app) if a.ref == ref)


def last_answer(app: App) -> object:
    return [m for m in outbox(app) if m.kind in ("reply_result", "reply_refused")][-1]


def test_a_top_posted_outlook_confirm_accepts_the_action_explicitly(round_open: App) -> None:
    app = round_open
    result = process(app, reply(app, request_to(app, "zhang.wei@corp.example"), "确认，谢谢！\n\n张伟\n市场部"))
    assert (result.kind, result.outcome) == ("reply", "processed"), result.error
    a1 = action(app, "A-1")
    assert (a1.status, a1.consent) == ("accepted", "explicit")
    answer = last_answer(app)
    assert answer.kind == "reply_result" and answer.to_address == "zhang.wei@corp.example"
    assert "> 确认，谢谢！" in answer.body_text and "✓ 已确认 A-1" in answer.body_text
    assert "没有读懂" not in answer.body_text  # the signature under it is not echoed as a question
    assert answer.in_reply_to and answer.auto_submitted == "auto-replied"
    assert [a.status for a in actions(app)][1:] == ["awaiting_confirmation"] * 3


def test_confirming_twice_is_answered_as_done_already_not_as_refused(round_open: App) -> None:
    """A second "确认" (the first answer not seen on the phone) changes nothing and is no mistake:
    the subject must not say "未执行", nor the record call it rejected."""
    app = round_open
    request = request_to(app, "zhang.wei@corp.example")
    assert process(app, reply(app, request, "确认")).outcome == "processed"
    result = process(app, reply(app, request, "确认\n\n谢谢！\n张伟", style="foxmail"))
    assert (result.kind, result.outcome) == ("reply", "answered"), result.error
    answer = last_answer(app)
    assert answer.kind == "reply_result" and answer.subject.endswith("— 处理结果"), answer.subject
    assert "无需操作：A-1 当前状态为" in answer.body_text and "未执行" not in answer.body_text
    assert action(app, "A-1").consent == "explicit"


@pytest.mark.parametrize("style", ["outlook_zh", "outlook_zh_fullwidth", "foxmail", "netease", "gmail_zh", "apple"])
def test_a_reply_whose_only_confirm_is_in_the_quote_changes_nothing(round_open: App, style: str) -> None:
    """ "收到" is not consent, and the "确认" in the quoted request is not theirs: asked back, with
    the one-click answers, never "nothing understood"."""
    app = round_open
    result = process(app, reply(app, request_to(app, "zhu.rong@corp.example"), "收到", style=style))
    assert result.outcome == "answered"
    assert action(app, "A-4").status == "awaiting_confirmation"
    answer = last_answer(app)
    assert answer.kind == "reply_result"
    assert "“收到”“好的”“谢谢”不算确认：如同意，请回复“确认”" in answer.body_text
    assert "没有读" not in answer.body_text and "mailto:minutes+" in answer.body_text


def test_an_objection_needs_a_reason_and_goes_to_the_host(round_open: App) -> None:
    app = round_open
    request = request_to(app, "chen.zhe@corp.example")
    process(app, reply(app, request, "异议", style="foxmail"))
    assert action(app, "A-2").status == "awaiting_confirmation"
    assert "提出异议必须写明原因" in last_answer(app).body_text
    process(app, reply(app, request, "异议：12月10日前来不及，研发排期已满", style="foxmail"))
    a2 = action(app, "A-2")
    assert (a2.status, a2.objection_reason) == ("objected", "12月10日前来不及，研发排期已满")
    (notice,) = outbox(app, "objection_notice")
    assert notice.to_address == "li.na@corp.example"
    assert "原因：12月10日前来不及，研发排期已满" in notice.body_text
    assert "A-2 改期 日期" in notice.body_text  # a placeholder, not a date that reads as a suggestion


def test_a_spoofed_reply_with_someone_elses_token_is_refused(round_open: App) -> None:
    app = round_open
    forwarded = reply(app, request_to(app, "zhang.wei@corp.example"), "确认", sender="sun.lei@corp.example")
    result = process(app, forwarded)
    assert result.outcome == "rejected"
    assert action(app, "A-1").status == "awaiting_confirmation"
    answer = last_answer(app)
    assert answer.to_address == "sun.lei@corp.example"
    assert "这封邮件回复的是发给另一位收件人的请求" in answer.body_text


def test_a_non_owner_naming_a_ref_gets_not_applied(round_open: App) -> None:
    app = round_open
    notice = next(m for m in outbox(app, "minutes_notice") if m.to_address == "sun.lei@corp.example")
    process(app, reply(app, notice, "A-1 确认", sender="sun.lei@corp.example"))
    assert action(app, "A-1").status == "awaiting_confirmation"
    assert "A-1 的负责人是 张伟 <zhang.wei@corp.example>" in last_answer(app).body_text


def test_delay_needs_date_and_reason_then_moves_the_due_date(round_open: App) -> None:
    app = round_open
    request = request_to(app, "zhao.min@corp.example")
    process(app, reply(app, request, "delay to Dec 28", style="gmail_en"))
    assert action(app, "A-3").status == "awaiting_confirmation"
    assert "a delay needs a reason" in last_answer(app).body_text  # written in English, answered in English
    process(app, reply(app, request, "延期至12月28日，原因：培训讲师档期冲突", style="gmail_en"))
    a3 = action(app, "A-3")
    assert (a3.status, a3.due.isoformat(), a3.delay_reason) == ("delayed", "2026-12-28", "培训讲师档期冲突")
    with app.db.session() as session:
        event = session.scalar(select(Event).where(Event.action_id == a3.id, Event.what == "action.delayed"))
        assert event is not None and event.detail["old_due"] == "2026-12-18"


def test_delegation_waits_for_the_new_owner(round_open: App) -> None:
    app = round_open
    process(app, reply(app, request_to(app, "zhu.rong@corp.example"), "转交 周婷", style="netease"))
    a4 = action(app, "A-4")
    assert (a4.owner_address, a4.delegate_address) == ("zhu.rong@corp.example", "zhou.ting@corp.example")
    handover = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhou.ting@corp.example")
    assert "核算推广费用与提成预算占比" in handover.body_text
    assert "朱镕 想把 A-4 转交给您，请确认是否接手" in handover.body_text  # who hands it over
    process(app, reply(app, handover, "确认", style="outlook_zh", sender="zhou.ting@corp.example"))
    a4 = action(app, "A-4")
    assert (a4.owner_address, a4.delegate_address, a4.status) == ("zhou.ting@corp.example", None, "accepted")


def test_done_with_an_attachment_keeps_the_deliverable(round_open: App) -> None:
    app = round_open
    pdf = b"%PDF-1.4 plan"
    raw = reply(app, request_to(app, "zhang.wei@corp.example"), "A-1 已完成，方案见附件",
                attachments=(("活动方案初稿.pdf", "application/pdf", pdf),))  # fmt: skip
    assert process(app, raw).outcome == "processed"
    assert action(app, "A-1").status == "done"
    with app.db.session() as session:
        (kept,) = session.scalars(select(Deliverable)).all()
        assert (kept.filename, kept.payload) == ("活动方案初稿.pdf", pdf)
    assert "已保存交付物：活动方案初稿.pdf" in last_answer(app).body_text


def test_the_host_resolves_an_objection_by_reply(round_open: App) -> None:
    app = round_open
    process(app, reply(app, request_to(app, "chen.zhe@corp.example"), "异议：来不及"))
    notice = outbox(app, "objection_notice")[0]
    process(app, reply(app, notice, "A-2 改期 2026-12-20", sender="li.na@corp.example"))
    a2 = action(app, "A-2")
    assert (a2.status, a2.due.isoformat()) == ("awaiting_confirmation", "2026-12-20")
    again = [m for m in outbox(app, "confirm_request") if m.to_address == "chen.zhe@corp.example"]
    assert len(again) == 2 and "2026年12月20日" in again[-1].body_text
    # Only the host may decide: the owner cannot overrule his own objection.
    from tests.test_pipeline import plain_mail

    process(app, reply(app, request_to(app, "chen.zhe@corp.example"), "异议：还是来不及"))
    process(app, plain_mail(app, "A-2", "A-2 维持", sender="chen.zhe@corp.example", name="陈喆"))
    assert action(app, "A-2").status == "objected"
    assert "未执行：只有主持人 李娜 <li.na@corp.example> 可以做这个决定" in last_answer(app).body_text
    # Her token on his reply: refused before anything is read.
    process(app, reply(app, notice, "A-2 维持", sender="chen.zhe@corp.example"))
    assert "这封邮件回复的是发给另一位收件人的请求" in last_answer(app).body_text


def test_a_new_mail_with_refs_speaks_to_those_actions_and_status_lists_them(round_open: App) -> None:
    from tests.test_pipeline import plain_mail

    app = round_open
    result = process(app, plain_mail(app, "任务更新", "A-1 进行中\n状态\n今天下午开会"))
    assert (result.kind, result.outcome) == ("reply", "processed")
    assert action(app, "A-1").status == "in_progress"
    answer = last_answer(app)
    assert "A-1 已标记为进行中" in answer.body_text
    assert "您的未完成行动项" in answer.body_text
    # The words besides the commands are a note on A-1 for its host, not a line "not understood".
    assert "已把您写的话转告 李娜 <li.na@corp.example>，已记入 A-1 的处理记录" in answer.body_text
    assert "没有读懂" not in answer.body_text
    (note,) = outbox(app, "note_notice")
    assert note.to_address == "li.na@corp.example" and "> 今天下午开会" in (note.body_text or "")


def test_an_objection_still_open_feeds_the_next_agenda_of_the_project(round_open: App, clock: FixedClock) -> None:
    from mailbot.store.models import Meeting

    app = round_open
    with app.db.transaction() as session:
        session.scalars(select(Meeting)).one().project = "Q1 新品上市"
    process(app, reply(app, request_to(app, "chen.zhe@corp.example"), "异议：研发排期已满"))
    at(clock, "2026-12-07 10:00")
    agenda = "会议名称：Q1 新品上市第二次协调会\n会议时间：2026年12月14日 14:00-15:00\n项目：Q1 新品上市\n主持人：市场部 李娜 <li.na@corp.example>\n参会人员：研发部 陈喆 <chen.zhe@corp.example>\n\n一、议程\n1. 遗留问题（李娜，30分钟）\n"
    from tests.test_pipeline import plain_mail

    result = process(
        app, plain_mail(app, "[议程] Q1 新品上市第二次协调会", agenda, sender="li.na@corp.example", name="李娜")
    )
    assert result.outcome == "processed", result.error
    ack = outbox(app, "agenda_ack")[-1]
    assert "上次会议遗留的异议（建议本次讨论）：" in ack.body_text
    assert "A-2（M-1）提供产品功能亮点说明 —— 陈喆：研发排期已满" in ack.body_text
    (notice,) = outbox(app, "agenda_notice")  # and in the mail to the attendees
    assert notice.to_address == "chen.zhe@corp.example"
    assert "上次会议遗留的异议（本次讨论）：" in notice.body_text and "研发排期已满" in notice.body_text


def test_a_question_under_the_command_goes_to_the_host(round_open: App) -> None:
    app = round_open
    text = "确认\n\n交付标准里的 PDF 需要盖章吗？\n\n张伟\n市场部"
    assert process(app, reply(app, request_to(app, "zhang.wei@corp.example"), text)).outcome == "processed"
    body = last_answer(app).body_text
    assert "✓ 已确认 A-1" in body and "已把您写的话转告 李娜 <li.na@corp.example>" in body
    assert "没有读懂" not in body
    (note,) = outbox(app, "note_notice")
    assert note.to_address == "li.na@corp.example"
    assert (
        "> 交付标准里的 PDF 需要盖章吗？" in (note.body_text or "")
        and "市场部" not in (note.body_text or "").split("> ")[-1]
    )


def test_a_remark_under_a_confirmation_reaches_the_host_not_taken_for_a_signature(round_open: App) -> None:
    app = round_open
    text = "确认\n\n但截止日期需要推迟到月底，华南区数据还没到"
    assert process(app, reply(app, request_to(app, "zhang.wei@corp.example"), text)).outcome == "processed"
    (note,) = outbox(app, "note_notice")
    assert "> 但截止日期需要推迟到月底，华南区数据还没到" in (note.body_text or "")


def test_a_reply_all_with_the_bot_only_in_cc_is_tied_by_the_token(round_open: App) -> None:
    """张伟 answers a colleague's mail about the request, the bot's plus-address in Cc: the
    In-Reply-To names the colleague's mail, the token in the subject and in Cc still ties it."""
    from email.message import EmailMessage

    app = round_open
    request = request_to(app, "zhang.wei@corp.example")
    local, _, domain = app.sender.address.partition("@")
    message = EmailMessage()
    message["From"] = "张伟 <zhang.wei@corp.example>"
    message["To"] = "李娜 <li.na@corp.example>"
    message["Cc"] = f"Mailbot <{local}+{request.reply_token}@{domain}>"
    message["Subject"] = "答复: " + request.subject
    message["Date"] = "Thu, 3 Dec 2026 09:00:00 +0800"
    message["Message-ID"] = "<reply-all-1@corp.example>"
    message["In-Reply-To"] = "<li.na-forward-77@corp.example>"  # the colleague's mail, not ours
    message.set_content("确认，月底前给到周总。\n\n张伟")
    assert process(app, message.as_bytes()).outcome == "processed"
    assert action(app, "A-1").status == "accepted"


def test_after_a_hand_over_the_new_owners_name_goes_with_the_new_address(round_open: App) -> None:
    """Never "朱镕 <zhou.ting@…>": the name follows the person, from the directory, the minutes,
    or the new owner's own From: line."""
    app = round_open
    process(app, reply(app, request_to(app, "zhu.rong@corp.example"), "转交 kevin.wu@corp.example"))
    handover = next(m for m in outbox(app, "confirm_request") if m.to_address == "kevin.wu@corp.example")
    process(app, reply(app, handover, "confirm", style="gmail_en", sender="kevin.wu@corp.example", name="Kevin Wu"))
    a4 = action(app, "A-4")
    assert (a4.owner_address, a4.owner_name) == ("kevin.wu@corp.example", "Kevin Wu")


# --- objections to the minutes as a whole (hand trial: r36) ------------------------------------------


def notice_to(app: App, address: str) -> object:
    return next(m for m in outbox(app, "minutes_notice") if m.to_address == address)


def test_the_hosts_objection_to_the_minutes_goes_to_the_recorder(round_open: App) -> None:
    """李娜 (host) wrote "异议：决议第1条写错了…请王芳更正。" to the minutes: she got her own objection
    back as a 【异议】 notice and an answer saying "已转主持人"; 王芳, who must correct the minutes,
    got nothing."""
    app = round_open
    before = len(outbox(app))
    text = "异议：决议第1条写错了，应为“由销售部牵头”，请王芳更正。"
    assert process(app, reply(app, notice_to(app, "li.na@corp.example"), text)).outcome == "processed"
    new = outbox(app)[before:]
    assert sorted((m.kind, m.to_address) for m in new) == [
        ("objection_notice", "wang.fang@corp.example"), ("reply_result", "li.na@corp.example"),
    ]  # fmt: skip
    notice = next(m for m in new if m.kind == "objection_notice")
    body = notice.body_text or ""
    assert (
        "您好，主持人 李娜 <li.na@corp.example> 对“Q1 新品上市跨部门协作会”（2026年12月2日（周三））的纪要提出了异议"
        in body
    )
    assert "原因：决议第1条写错了，应为“由销售部牵头”，请王芳更正" in body
    assert "您是记录人：如需修改，请把更正后的纪要作为新邮件发给机器人（主题带【纪要】和 M-1）" in body
    assert "A-1 改派" not in body and "改期" not in body  # the host's decisions are not the recorder's
    assert "主持人 李娜 &lt;li.na@corp.example&gt; 对" in (notice.body_html or "")
    answer = next(m for m in new if m.kind == "reply_result")
    assert (
        "已记录您对 M-1 纪要的异议（原因：决议第1条写错了，应为“由销售部牵头”，请王芳更正），已转记录人 王芳 <wang.fang@corp.example>"
        in (answer.body_text or "")
    )
    assert "已转主持人" not in (answer.body_text or "")


def test_an_attendees_objection_to_the_minutes_goes_to_the_host_and_the_recorder(round_open: App) -> None:
    app = round_open
    before = len(outbox(app))
    process(
        app, reply(app, notice_to(app, "sun.lei@corp.example"), "异议：参会人员里漏了财务部的周婷", style="foxmail")
    )
    new = outbox(app)[before:]
    notices = {m.to_address: m.body_text or "" for m in new if m.kind == "objection_notice"}
    assert set(notices) == {"li.na@corp.example", "wang.fang@corp.example"}
    assert "修改纪要：由您或记录人 王芳 <wang.fang@corp.example> 把更正后的纪要" in notices["li.na@corp.example"]
    assert "这条异议也已转给记录人 王芳 <wang.fang@corp.example>。" in notices["li.na@corp.example"]
    assert "这条异议也已转给主持人 李娜 <li.na@corp.example>。" in notices["wang.fang@corp.example"]
    assert "您是记录人" in notices["wang.fang@corp.example"]
    (answer,) = [m for m in new if m.to_address == "sun.lei@corp.example"]
    assert "，已转主持人 李娜 <li.na@corp.example> 和记录人 王芳 <wang.fang@corp.example>" in (answer.body_text or "")


def test_the_recorders_objection_to_the_minutes_goes_to_the_host_alone(round_open: App) -> None:
    app = round_open
    before = len(outbox(app))
    (ack,) = outbox(app, "minutes_ack")  # what the recorder, who sent the draft, has to answer
    assert process(app, reply(app, ack, "异议：第二个议题的实际时长记错了")).outcome == "processed"
    new = outbox(app)[before:]
    assert sorted((m.kind, m.to_address) for m in new) == [
        ("objection_notice", "li.na@corp.example"), ("reply_result", "wang.fang@corp.example"),
    ]  # fmt: skip
    assert "您好，记录人 王芳 <wang.fang@corp.example> 对" in (new[0].body_text or "")


# --- a bare receipt of the minutes (hand trial: r07) ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "style"), [("收到\n\n发自我的iPhone", "apple"), ("好的", "foxmail"), ("OK", "gmail_en")]
)
def test_a_bare_receipt_of_the_minutes_is_answered_once_with_how_to_object(
    round_open: App, text: str, style: str
) -> None:
    """The minutes notice asks "回复“确认”或“异议：原因”… 逾期视为默认": a bare "收到" could mean either,
    and was recorded "thanks only: not answered" while the same word from an owner was asked back."""
    app = round_open
    before = len(outbox(app))
    result = process(app, reply(app, notice_to(app, "sun.lei@corp.example"), text, style=style))
    assert (result.outcome, result.error) == ("answered", "acknowledged without a command")
    (answer,) = outbox(app)[before:]
    assert (answer.kind, answer.to_address) == ("reply_result", "sun.lei@corp.example")
    body = answer.body_text or ""
    if style == "gmail_en":
        assert (
            'Noted: you have read the minutes of M-1 ("OK" or "got it" is neither a confirmation nor an objection)'
            in body
        )
        assert 'reply "object: reason" by Fri 4 Dec 2026' in body
    else:
        assert (
            "收到，视为您已阅读 M-1 纪要（“收到”“好的”不算确认或异议）。如对纪要有异议，请于 2026年12月4日（周五） 前回复“异议：原因”"
            in body
        )
        assert "没有异议无需再回复，逾期视为默认" in body
        assert "✗" not in body and "没有读" not in body
        # What to answer is in the body; an attendee holds no action, so the footer lists no owner's commands.
        assert "“进行中”" not in body.split("\n--\n")[1]
    # Nothing recorded as consent or objection; a "收到" to this answer is thanks to a mail that asks nothing.
    with app.db.session() as session:
        assert not session.scalars(select(Event).where(Event.what.in_(("minutes.confirmed", "minutes.objected")))).all()
    again = process(app, reply(app, answer, "收到", style=style))
    assert again.outcome == "acknowledged" and len(outbox(app)) == before + 1


def test_thanks_for_the_minutes_and_a_receipt_after_the_round_are_not_answered(
    round_open: App, clock: FixedClock
) -> None:
    app = round_open
    before = len(outbox(app))
    for text in ("谢谢王芳整理！\n\n孙磊\n销售部", "收到，辛苦王芳！", "收到，谢谢"):
        assert process(app, reply(app, notice_to(app, "sun.lei@corp.example"), text)).outcome == "acknowledged", text
    at(clock, "2026-12-07 10:00")  # the round closed on Fri 12-04: the notice asks nothing any more
    assert process(app, reply(app, notice_to(app, "liu.yang@corp.example"), "收到")).outcome == "acknowledged"
    assert len(outbox(app)) == before


def test_a_host_who_is_also_the_recorder_is_told_to_send_the_corrected_minutes(round_open: App) -> None:
    from mailbot.store.models import Meeting

    app = round_open
    with app.db.transaction() as session:
        session.scalars(select(Meeting)).one().recorder_address = "li.na@corp.example"
    before = len(outbox(app))
    process(app, reply(app, notice_to(app, "li.na@corp.example"), "异议：决议第1条写错了"))
    (answer,) = outbox(app)[before:]  # nobody else to tell: no notice to herself
    assert answer.kind == "reply_result" and answer.to_address == "li.na@corp.example"
    assert "没有其他主持人或记录人可转告：如需修改纪要，请把更正后的纪要作为新邮件发给机器人" in (
        answer.body_text or ""
    )
