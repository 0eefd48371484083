"""The consent round across days: silence becomes consent at the deadline, once, told apart."""

from __future__ import annotations

import email
import email.header
import email.policy
from datetime import date
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.cli import main
from mailbot.clock import FixedClock
from mailbot.confirmation import confirm_if_settled
from mailbot.notify import Notifier
from mailbot.pipeline import process
from mailbot.store.models import ActionItem, Meeting, Person
from mailbot.workflow.consent import run_consent_deadlines
from tests.helpers import MAILS, actions, at, feed, meetings, outbox, server_refuses_outsiders
from tests.hostile import action, draft_body
from tests.replying import reply

PARTIES = sorted(
    ["li.na@corp.example", "wang.fang@corp.example", "zhang.wei@corp.example", "chen.zhe@corp.example",
     "liu.yang@corp.example", "zhao.min@corp.example", "sun.lei@corp.example", "zhou.ting@corp.example",
     "zhu.rong@corp.example"]
)  # fmt: skip


@pytest.fixture
def round_open(app: App, clock: FixedClock) -> App:
    at(clock, "2026-12-02 18:00")
    assert feed(app, "outlook_zh_minutes_gbk_html.eml").outcome == "processed"
    return app


def tick(app: App, clock: FixedClock, when: str) -> dict[str, int]:
    at(clock, when)
    return run_consent_deadlines(app, app.now())


def test_silence_becomes_consent_after_the_deadline_day_and_the_final_minutes_go_out_once(
    round_open: App, clock: FixedClock
) -> None:
    app = round_open
    process(
        app,
        reply(app, next(m for m in outbox(app, "confirm_request") if m.to_address == "zhang.wei@corp.example"), "确认"),
    )
    assert tick(app, clock, "2026-12-04 23:00")["accepted_silently"] == 0  # Friday is still inside the round
    assert [a.status for a in actions(app)] == ["accepted"] + ["awaiting_confirmation"] * 3
    counts = tick(app, clock, "2026-12-07 09:00")
    assert counts == {"handed_over": 0, "accepted_silently": 3, "confirmed": 1, "disputed": 0, "waiting": 0}
    assert [(a.status, a.consent) for a in actions(app)] == [("accepted", "explicit")] + [("accepted", "silent")] * 3
    (meeting,) = meetings(app)
    assert meeting.status == "confirmed"
    finals = outbox(app, "final_minutes")
    assert sorted(f.to_address for f in finals) == PARTIES
    body = finals[0].body_text
    assert "以下为正式版" in body
    assert "确认方式：负责人已回复确认" in body and body.count("确认方式：逾期未回复，视为同意") == 3
    # Again the same day, and a week later: nothing new.
    assert tick(app, clock, "2026-12-07 09:05") == {
        "handed_over": 0,
        "accepted_silently": 0,
        "confirmed": 0,
        "disputed": 0,
        "waiting": 0,
    }
    tick(app, clock, "2026-12-14 09:00")
    assert len(outbox(app, "final_minutes")) == 9


def test_after_a_week_of_downtime_the_result_is_the_same_as_daily_ticks(round_open: App, clock: FixedClock) -> None:
    app = round_open
    tick(app, clock, "2026-12-11 09:00")
    assert {a.consent for a in actions(app)} == {"silent"}
    assert len(outbox(app, "final_minutes")) == 9


def test_an_open_objection_keeps_the_minutes_disputed_until_the_host_decides(
    round_open: App, clock: FixedClock
) -> None:
    app = round_open
    at(clock, "2026-12-03 10:00")
    request = next(m for m in outbox(app, "confirm_request") if m.to_address == "chen.zhe@corp.example")
    process(app, reply(app, request, "异议：研发排期已满"))
    assert tick(app, clock, "2026-12-07 09:00")["disputed"] == 1
    (meeting,) = meetings(app)
    assert meeting.status == "disputed"
    (open_points,) = outbox(app, "objections_open")
    assert open_points.to_address == "li.na@corp.example"
    assert "异议原因：研发排期已满" in open_points.body_text
    assert outbox(app, "final_minutes") == []
    tick(app, clock, "2026-12-08 09:00")
    assert len(outbox(app, "objections_open")) == 1  # told once
    notice = outbox(app, "objection_notice")[0]
    process(app, reply(app, notice, "A-2 维持", sender="li.na@corp.example"))
    a2 = next(a for a in actions(app) if a.ref == "A-2")
    assert (a2.status, a2.consent) == ("accepted", "overruled")
    assert meetings(app)[0].status == "confirmed"
    finals = outbox(app, "final_minutes")
    # Eight parties get the 正式版; the host, whose decision made it final, has it in the answer.
    assert len(finals) == 8 and "确认方式：异议经主持人裁决维持" in finals[0].body_text
    assert "li.na@corp.example" not in {m.to_address for m in finals}
    assert "确认方式：异议经主持人裁决维持" in (outbox(app, "reply_result")[-1].body_text or "")


def test_all_owners_confirming_early_confirms_the_minutes_at_once(round_open: App, clock: FixedClock) -> None:
    app = round_open
    at(clock, "2026-12-03 10:00")
    for request in outbox(app, "confirm_request"):
        process(app, reply(app, request, "确认"))
    assert meetings(app)[0].status == "confirmed"
    # The last owner to confirm has the 正式版 in the answer to that reply; the other eight by mail.
    assert len(outbox(app, "final_minutes")) == 8
    assert "以下为正式版" in (outbox(app, "reply_result")[-1].body_text or "")
    assert tick(app, clock, "2026-12-07 09:00")["confirmed"] == 0


def test_a_bouncing_owner_cannot_consent_by_silence(round_open: App, clock: FixedClock) -> None:
    app = round_open
    with app.db.transaction() as session:
        session.scalars(select(Person).where(Person.address == "zhu.rong@corp.example")).one().bouncing = True
    counts = tick(app, clock, "2026-12-07 09:00")
    assert counts["waiting"] == 1 and counts["confirmed"] == 0
    a4 = next(a for a in actions(app) if a.ref == "A-4")
    assert a4.status == "awaiting_confirmation"
    (told,) = outbox(app, "bounce_notice")
    assert told.to_address == "li.na@corp.example" and "：朱镕 收不到邮件" in told.subject
    tick(app, clock, "2026-12-08 09:00")
    assert len(outbox(app, "bounce_notice")) == 1


def test_an_owner_away_gets_a_later_deadline_and_the_host_is_told(round_open: App, clock: FixedClock) -> None:
    app = round_open
    with app.db.transaction() as session:
        session.scalars(select(Person).where(Person.address == "zhao.min@corp.example")).one().away_until = date(
            2026, 12, 9
        )
    tick(app, clock, "2026-12-07 09:00")
    a3 = next(a for a in actions(app) if a.ref == "A-3")
    # Back on Thursday the 10th: two working days after the 9th, so the 11th is the last day.
    assert (a3.status, a3.confirm_by) == ("awaiting_confirmation", date(2026, 12, 11))
    (told,) = outbox(app, "away_notice")
    assert "确认截止已顺延至 2026年12月11日（周五）" in told.body_text
    assert tick(app, clock, "2026-12-14 09:00")["accepted_silently"] == 1
    assert meetings(app)[0].status == "confirmed"


def test_an_english_meeting_gets_english_final_minutes(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-07 20:00")
    assert feed(app, "gmail_en_minutes_markdown.eml").outcome == "processed"
    tick(app, clock, "2026-12-14 09:00")
    finals = outbox(app, "final_minutes")
    assert finals and {f.language for f in finals} == {"en"}
    assert "Accepted: no reply by the deadline: silent consent" in finals[0].body_text


def test_an_out_of_office_reply_moves_the_owners_deadline_and_is_never_answered(
    round_open: App, clock: FixedClock
) -> None:
    app = round_open
    at(clock, "2026-12-03 08:00")
    before = len(outbox(app))
    result = process(app, outlook_auto_reply_to(app, "zhao.min@corp.example"))  # "我12月7日至12月11日休假"
    assert (result.kind, result.outcome) == ("auto_reply", "ignored")
    a3 = next(a for a in actions(app) if a.ref == "A-3")
    assert a3.confirm_by == date(2026, 12, 15)  # two working days after her last day away
    new = outbox(app)[before:]
    assert [(m.kind, m.to_address) for m in new] == [("away_notice", "li.na@corp.example")]
    assert "赵敏 <zhao.min@corp.example> 的自动回复显示其外出至 2026年12月11日（周五）" in new[0].body_text
    tick(app, clock, "2026-12-14 09:00")
    assert next(a for a in actions(app) if a.ref == "A-3").status == "awaiting_confirmation"
    tick(app, clock, "2026-12-16 09:00")
    assert next(a for a in actions(app) if a.ref == "A-3").consent == "silent"


def outlook_auto_reply_to(app: App, owner: str) -> bytes:
    """Outlook's automatic reply to the confirmation request `owner` received: no In-Reply-To,
    the request's subject (with its reply token) after "自动答复: "."""
    request = next(m for m in outbox(app, "confirm_request") if m.to_address == owner)
    message = email.message_from_bytes((MAILS / "outlook_zh_autoreply.eml").read_bytes(), policy=email.policy.compat32)
    message.replace_header("Subject", str(email.header.Header("自动答复: " + request.subject, "utf-8")))
    return message.as_bytes()


def test_an_out_of_office_that_answers_no_mail_of_ours_moves_nothing(round_open: App, clock: FixedClock) -> None:
    # The fixture as written: 赵敏's Outlook answering the recorder's minutes mail (the bot was in
    # To), or a forger: it names no mail of ours and no token issued to her.
    app = round_open
    at(clock, "2026-12-03 08:00")
    before = len(outbox(app))
    result = feed(app, "outlook_zh_autoreply.eml")
    assert (result.kind, result.outcome) == ("auto_reply", "ignored")
    assert next(a for a in actions(app) if a.ref == "A-3").confirm_by == date(2026, 12, 4)
    assert len(outbox(app)) == before


def test_a_bounce_of_a_confirmation_request_marks_the_address_and_tells_the_host(
    round_open: App, clock: FixedClock
) -> None:
    app = round_open
    request = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhu.rong@corp.example")
    dsn = (
        "From: MAILER-DAEMON@corp.example (Mail Delivery System)\r\nTo: minutes@corp.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nDate: Thu, 3 Dec 2026 09:00:00 +0800\r\n"
        "Message-ID: <dsn-1@corp.example>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; corp.example\r\n\r\n"
        "Final-Recipient: rfc822; zhu.rong@corp.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: Mailbot <minutes@corp.example>\r\n"
        f"To: zhu.rong@corp.example\r\nMessage-ID: <{request.message_id}>\r\n\r\n--B--\r\n"
    ).encode()
    result = process(app, dsn)
    assert (result.kind, result.outcome) == ("bounce", "ignored")
    with app.db.session() as session:
        assert session.scalars(select(Person).where(Person.address == "zhu.rong@corp.example")).one().bouncing
    (told,) = outbox(app, "bounce_notice")
    assert told.to_address == "li.na@corp.example"
    tick(app, clock, "2026-12-07 09:00")
    assert len(outbox(app, "bounce_notice")) == 1  # the tick does not tell the host again
    assert next(a for a in actions(app) if a.ref == "A-4").status == "awaiting_confirmation"


# --- state set directly in the database: independent of the reply handler ------------------------


def set_action(app: App, ref: str, **values: object) -> None:
    with app.db.transaction() as session:
        action = session.get(ActionItem, int(ref.removeprefix("A-")))
        assert action is not None and action.ref == ref
        for name, value in values.items():
            setattr(action, name, value)


def keys(app: App) -> list[str]:
    return sorted(m.key for m in outbox(app) if m.kind in ("final_minutes", "objections_open", "away_notice",
                                                            "bounce_notice", "confirm_request"))  # fmt: skip


def test_objections_open_at_the_deadline_go_to_the_host_and_a_new_objection_is_news(
    round_open: App, clock: FixedClock
) -> None:
    app = round_open
    set_action(app, "A-2", status="objected", objection_reason="研发排期已满，12月10日无法完成")
    assert tick(app, clock, "2026-12-04 18:00")["disputed"] == 0  # the round is still open
    assert outbox(app, "objections_open") == []
    counts = tick(app, clock, "2026-12-07 09:00")
    assert counts == {"handed_over": 0, "accepted_silently": 3, "confirmed": 0, "disputed": 1, "waiting": 0}
    (meeting,) = meetings(app)
    assert meeting.status == "disputed"
    (told,) = outbox(app, "objections_open")
    assert (told.to_address, told.language) == ("li.na@corp.example", "zh")
    assert told.subject == "【待处理异议】Q1 新品上市跨部门协作会：确认已截止，1 项异议待您处理"
    body = told.body_text
    assert "A-2  " in body and "<chen.zhe@corp.example>" in body
    assert "异议原因：研发排期已满，12月10日无法完成" in body
    assert "A-2 改派 姓名 / A-2 改期 日期 / A-2 撤销 / A-2 维持" in body  # the real ref, ready to copy
    assert "研发排期已满" in (told.body_html or "")
    assert tick(app, clock, "2026-12-07 09:05")["disputed"] == 0
    assert len(outbox(app, "objections_open")) == 1
    # A late objection (A-1 was accepted; the owner changed their mind and the lead's handler set it
    # back to objected): a new set of open objections, one new mail.
    set_action(app, "A-1", status="objected", objection_reason="预算未批", consent=None)
    tick(app, clock, "2026-12-08 09:00")
    assert len(outbox(app, "objections_open")) == 2
    assert "2 项异议" in outbox(app, "objections_open")[-1].subject
    tick(app, clock, "2026-12-09 09:00")
    assert len(outbox(app, "objections_open")) == 2
    assert outbox(app, "final_minutes") == []


def test_resolving_every_objection_confirms_the_minutes_through_confirm_if_settled(
    round_open: App, clock: FixedClock
) -> None:
    app = round_open
    set_action(app, "A-2", status="objected", objection_reason="研发排期已满")
    tick(app, clock, "2026-12-07 09:00")
    assert meetings(app)[0].status == "disputed"
    # The host decided (the lead's reply handler does this by mail); then it asks for the settlement.
    set_action(app, "A-2", status="accepted", consent="overruled", accepted_at=app.now())
    with app.db.transaction() as session:
        meeting = session.scalars(select(Meeting)).one()
        notifier = Notifier(app=app, session=session, now=app.now(), actor="li.na@corp.example")
        assert confirm_if_settled(notifier, meeting) is True
        assert confirm_if_settled(notifier, meeting) is False  # already confirmed
    (meeting,) = meetings(app)
    assert (meeting.status, meeting.confirmed_at) == ("confirmed", app.now())
    finals = outbox(app, "final_minutes")
    assert sorted(f.to_address for f in finals) == PARTIES
    assert {f.key for f in finals} == {f"final_minutes:M-1:v1:{p}" for p in PARTIES}
    assert "minutes@corp.example" not in {f.to_address for f in finals}
    body = finals[0].body_text
    assert body.count("确认方式：逾期未回复，视为同意") == 3 and "确认方式：异议经主持人裁决维持" in body
    # The owner, due date and way of acceptance of every action, in the HTML part too.
    assert "完成时限：2026年12月10日" in body and "<chen.zhe@corp.example>" in body
    assert finals[0].body_html is not None and "逾期未回复，视为同意" in finals[0].body_html
    assert tick(app, clock, "2026-12-08 09:00") == {
        "handed_over": 0,
        "accepted_silently": 0,
        "confirmed": 0,
        "disputed": 0,
        "waiting": 0,
    }


def test_nothing_settles_while_an_action_awaits_or_all_are_cancelled(round_open: App, clock: FixedClock) -> None:
    app = round_open
    for ref in ("A-1", "A-2", "A-3"):
        set_action(app, ref, status="accepted", consent="explicit")
    with app.db.transaction() as session:
        meeting = session.scalars(select(Meeting)).one()
        notifier = Notifier(app=app, session=session, now=app.now())
        assert confirm_if_settled(notifier, meeting) is False  # A-4 still awaits
    for ref in ("A-1", "A-2", "A-3", "A-4"):
        set_action(app, ref, status="cancelled")
    with app.db.transaction() as session:
        meeting = session.scalars(select(Meeting)).one()
        assert confirm_if_settled(Notifier(app=app, session=session, now=app.now()), meeting) is False
    assert outbox(app, "final_minutes") == []


def test_an_away_owner_caught_up_after_downtime_ends_as_daily_ticks_would(round_open: App, clock: FixedClock) -> None:
    """Away until the 9th, so A-3's round moves to the 11th; the bot wakes only on the 14th."""
    app = round_open
    with app.db.transaction() as session:
        session.scalars(select(Person).where(Person.address == "zhao.min@corp.example")).one().away_until = date(
            2026, 12, 9
        )
    counts = tick(app, clock, "2026-12-14 09:00")
    assert counts == {"handed_over": 0, "accepted_silently": 4, "confirmed": 1, "disputed": 0, "waiting": 0}
    a3 = next(a for a in actions(app) if a.ref == "A-3")
    assert (a3.status, a3.consent, a3.confirm_by) == ("accepted", "silent", date(2026, 12, 11))
    assert keys(app) == sorted(
        [*(f"confirm_request:M-1:v1:{o}" for o in ("zhang.wei@corp.example", "chen.zhe@corp.example",
                                                   "zhao.min@corp.example", "zhu.rong@corp.example")),
         "away_notice:M-1:zhao.min@corp.example:2026-12-09", *(f"final_minutes:M-1:v1:{p}" for p in PARTIES)]
    )  # fmt: skip
    assert tick(app, clock, "2026-12-14 09:00") == {
        "handed_over": 0,
        "accepted_silently": 0,
        "confirmed": 0,
        "disputed": 0,
        "waiting": 0,
    }


def test_daily_ticks_send_the_same_mails_as_one_late_tick(round_open: App, clock: FixedClock) -> None:
    app = round_open
    with app.db.transaction() as session:
        session.scalars(select(Person).where(Person.address == "zhao.min@corp.example")).one().away_until = date(
            2026, 12, 9
        )
    for day in range(3, 15):
        tick(app, clock, f"2026-12-{day:02d} 09:00")
    assert keys(app) == sorted(
        [*(f"confirm_request:M-1:v1:{o}" for o in ("zhang.wei@corp.example", "chen.zhe@corp.example",
                                                   "zhao.min@corp.example", "zhu.rong@corp.example")),
         "away_notice:M-1:zhao.min@corp.example:2026-12-09", *(f"final_minutes:M-1:v1:{p}" for p in PARTIES)]
    )  # fmt: skip
    assert {(a.status, a.consent) for a in actions(app)} == {("accepted", "silent")}


def test_a_proxy_is_not_asked_to_answer_by_a_day_already_gone(round_open: App, clock: FixedClock) -> None:
    app = round_open
    with app.db.transaction() as session:
        zhao = session.scalars(select(Person).where(Person.address == "zhao.min@corp.example")).one()
        zhao.away_until, zhao.proxy_address = date(2026, 12, 9), "sun.lei@corp.example"
    tick(app, clock, "2026-12-14 09:00")
    assert [m.to_address for m in outbox(app, "confirm_request")].count("sun.lei@corp.example") == 0
    assert len(outbox(app, "away_notice")) == 1


def test_the_proxy_of_an_away_owner_is_asked_while_there_is_time(round_open: App, clock: FixedClock) -> None:
    app = round_open
    with app.db.transaction() as session:
        zhao = session.scalars(select(Person).where(Person.address == "zhao.min@corp.example")).one()
        zhao.away_until, zhao.proxy_address = date(2026, 12, 9), "sun.lei@corp.example"
    tick(app, clock, "2026-12-07 09:00")
    (asked,) = [m for m in outbox(app, "confirm_request") if m.to_address == "sun.lei@corp.example"]
    assert asked.key == "confirm_request:A-3:proxy:sun.lei@corp.example"
    assert "2026年12月11日" in asked.subject
    tick(app, clock, "2026-12-08 09:00")
    assert [m.to_address for m in outbox(app, "confirm_request")].count("sun.lei@corp.example") == 1


def test_english_final_minutes_tell_explicit_and_silent_consent_apart(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-07 20:00")
    assert feed(app, "gmail_en_minutes_markdown.eml").outcome == "processed"
    set_action(app, "A-1", status="accepted", consent="explicit", accepted_at=app.now())
    tick(app, clock, "2026-12-10 09:00")
    finals = outbox(app, "final_minutes")
    assert finals and {f.language for f in finals} == {"en"}
    assert "zhou.ting@corp.example" in {f.to_address for f in finals}
    text = finals[0].body_text
    assert finals[0].subject.startswith("[Minutes · final] Q1 Launch Budget Review")
    assert text.count("Accepted: no reply by the deadline: silent consent") == 3
    assert text.count("Accepted: confirmed by the owner") == 1
    assert "silent consent" in (finals[0].body_html or "")


def test_cli_tick_runs_the_due_work_once_and_delivers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path / "bot")]) == 0
    config = str(server_refuses_outsiders(tmp_path / "bot" / "config.toml"))
    minutes = str(MAILS / "outlook_zh_minutes_gbk_html.eml")
    assert main(["--config", config, "--now", "2026-12-02T18:00", "ingest", minutes]) == 0
    capsys.readouterr()
    assert main(["--config", config, "--now", "2026-12-07T09:00", "tick"]) == 0
    out = capsys.readouterr().out
    assert "4 accepted silently, 1 confirmed" in out
    # the round's 9 mails, and Monday 09:00 is the weekly status mail's moment: 9 parties
    assert "9 digests" in out and "sent 18 mail(s)" in out
    assert main(["--config", config, "--now", "2026-12-07T09:05", "tick"]) == 0
    out = capsys.readouterr().out
    assert "0 accepted silently, 0 confirmed" in out and "sent 0 mail(s)" in out


def test_an_owner_away_with_two_actions_moves_both_and_the_host_hears_once(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-08 18:00")
    body = draft_body(
        "渠道季度复盘会",
        [
            action("整理渠道销量数据", "销售部 赵敏 <zhao.min@corp.example>"),
            action("更新经销商名单", "销售部 赵敏 <zhao.min@corp.example>"),
            action("输出复盘报告", "市场部 张伟 <zhang.wei@corp.example>"),
        ],
    )
    draft = EmailMessage()
    draft["From"] = "王芳 <wang.fang@corp.example>"
    draft["To"] = "minutes@corp.example"
    draft["Subject"] = "【纪要】渠道季度复盘会"
    draft["Date"] = format_datetime(app.now())
    draft["Message-ID"] = make_msgid(domain="corp.example")
    draft.set_content(body)
    assert process(app, draft.as_bytes()).outcome == "processed"
    at(clock, "2026-12-09 08:00")
    before = len(outbox(app))
    assert process(app, outlook_auto_reply_to(app, "zhao.min@corp.example")).outcome == "ignored"
    new = outbox(app)[before:]
    assert [(m.kind, m.to_address) for m in new] == [("away_notice", "li.na@corp.example")]
    assert "A-1、A-2 的确认截止顺延" in new[0].subject
    assert "整理渠道销量数据" in (new[0].body_text or "") and "更新经销商名单" in (new[0].body_text or "")
    moved = {a.ref: a.confirm_by for a in actions(app)}
    assert moved["A-1"] == moved["A-2"] == date(2026, 12, 15)  # back on the 14th ("12月7日至12月11日休假")
    assert moved["A-3"] == date(2026, 12, 10)
