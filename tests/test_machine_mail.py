"""Machine mail is never answered, but bounces and out-of-office replies change the consent round."""

from __future__ import annotations

import mailbox
import re
from datetime import date
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.delivery.maildir import MaildirDelivery
from mailbot.htmltext import html_to_text
from mailbot.message import Address, InboundMail
from mailbot.outbox import flush
from mailbot.pipeline import process
from mailbot.store.models import ActionItem, Event, OutboxMail, Person
from mailbot.workflow.consent import run_consent_deadlines
from tests.helpers import MAILS, actions, at, feed, meetings, outbox
from tests.replying import reply

HOST = "li.na@corp.example"


@pytest.fixture
def round_open(app: App, clock: FixedClock) -> App:
    at(clock, "2026-12-02 18:00")  # Q1 launch minutes: A-1..A-4, confirm by Fri 2026-12-04
    assert feed(app, "outlook_zh_minutes_gbk_html.eml").outcome == "processed"
    return app


def tick(app: App, clock: FixedClock, when: str) -> dict[str, int]:
    at(clock, when)
    return run_consent_deadlines(app, app.now())


# The fixtures' In-Reply-To/References: 24 hex digits @corp.example, a placeholder for the id of
# the confirmation request the sender received, which depends on the bot's secret key.
FIXTURE_ID = re.compile(rb"<[0-9a-f]{24}@corp\.example>")


def threaded(app: App, name: str) -> bytes:
    """A fixture auto-reply threaded to the confirmation request its sender really received."""
    raw = (MAILS / name).read_bytes()
    sender = InboundMail.from_bytes(raw).sender
    assert sender is not None
    (request,) = [m for m in outbox(app, "confirm_request") if m.to_address == sender.address]
    return FIXTURE_ID.sub(f"<{request.message_id}>".encode(), raw)


def feed_threaded(app: App, name: str):  # type: ignore[no-untyped-def]
    return process(app, threaded(app, name))


def action(app: App, ref: str) -> ActionItem:
    return next(a for a in actions(app) if a.ref == ref)


def find_person(app: App, address: str) -> Person | None:
    with app.db.session() as session:
        return session.scalars(select(Person).where(Person.address == address)).one_or_none()


def person(app: App, address: str) -> Person:
    found = find_person(app, address)
    assert found is not None, address
    return found


def events(app: App, what: str) -> list[Event]:
    with app.db.session() as session:
        return list(session.scalars(select(Event).where(Event.what == what).order_by(Event.id)))


def sent_to(app: App, address: str) -> list[OutboxMail]:
    return [m for m in outbox(app) if m.to_address == address]


def auto_reply(app: App, sender: str, body: str, *, subject: str = "自动答复: 会议纪要", message_id: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = app.sender.address
    message["Subject"] = subject
    message["Date"] = format_datetime(app.now())
    message["Message-ID"] = f"<{message_id}@client.example>"
    message["Auto-Submitted"] = "auto-replied"
    # An auto-reply answers the last mail its sender got from us (if any).
    received = [m for m in outbox(app) if m.to_address == sender.lower()]
    if received:
        message["In-Reply-To"] = f"<{received[-1].message_id}>"
        message["References"] = f"<{received[-1].message_id}>"
    message.set_content(body)
    return message.as_bytes()


def dsn(original: OutboxMail, *, headers_part: bool = True) -> bytes:
    """Postfix's report (as in postfix_dsn_bounce.eml) for one of our outbox rows."""
    returned = (
        "--B\r\nContent-Description: Undelivered Message Headers\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: Mailbot <minutes@corp.example>\r\nTo: {original.to_address}\r\n"
        f"Message-ID: <{original.message_id}>\r\nAuto-Submitted: auto-generated\r\n\r\n"
        if headers_part
        else ""
    )
    return (
        "Return-Path: <>\r\nFrom: MAILER-DAEMON@smtp.corp.example (Mail Delivery System)\r\n"
        "To: minutes@corp.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Date: Thu, 3 Dec 2026 09:00:02 +0800 (CST)\r\n"
        f"Message-Id: <dsn.{original.id}@smtp.corp.example>\r\nAuto-Submitted: auto-replied\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        "I'm sorry to have to inform you that your message could not\r\nbe delivered to one or more recipients.\r\n\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; smtp.corp.example\r\n\r\n"
        f"Final-Recipient: rfc822; {original.to_address}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"{returned}--B--\r\n"
    ).encode()


# --- out of office -----------------------------------------------------------------------------


def test_an_outlook_out_of_office_moves_the_owners_deadline_past_the_written_return_day(
    round_open: App, clock: FixedClock
) -> None:
    app = round_open
    at(clock, "2026-12-03 09:13")
    before = len(outbox(app))
    # 赵敏: "我于2026年12月3日至12月9日休假，12月10日返回" — back Thursday the 10th.
    result = feed_threaded(app, "machine/outlook_zh_out_of_office.eml")
    assert (result.outcome, result.kind) == ("ignored", "auto_reply")
    assert "away until 2026-12-09" in (result.error or "")
    assert person(app, "zhao.min@corp.example").away_until == date(2026, 12, 9)
    # A full round (2 working days) after the last day away: Thu 10th, Fri 11th.
    assert (action(app, "A-3").status, action(app, "A-3").confirm_by) == ("awaiting_confirmation", date(2026, 12, 11))
    assert [a.confirm_by for a in actions(app) if a.ref != "A-3"] == [date(2026, 12, 4)] * 3
    new = outbox(app)[before:]
    assert [(m.kind, m.to_address, m.language) for m in new] == [("away_notice", HOST, "zh")]
    notice = new[0]
    assert "：赵敏 外出至 2026年12月9日" in notice.subject and "A-3" in notice.subject
    assert "确认截止已顺延至 2026年12月11日（周五）" in notice.body_text
    assert "2026年12月11日（周五）" in (notice.body_html or "")
    assert sent_to(app, "zhao.min@corp.example")[-1].kind == "confirm_request"  # nothing answered to her
    assert [e.detail["address"] for e in events(app, "person.away")] == ["zhao.min@corp.example"]
    (moved,) = events(app, "action.deadline_extended")
    assert moved.detail == {"from": "2026-12-04", "to": "2026-12-11", "away_until": "2026-12-09"}

    # The same mail delivered again is a duplicate; nothing moves twice.
    assert feed_threaded(app, "machine/outlook_zh_out_of_office.eml").outcome == "duplicate"
    assert len(outbox(app, "away_notice")) == 1

    # Monday: the others are accepted by silence, A-3 waits for its own deadline.
    counts = tick(app, clock, "2026-12-07 09:00")
    assert counts == {"handed_over": 0, "accepted_silently": 3, "confirmed": 0, "disputed": 0, "waiting": 0}
    assert [a.status for a in actions(app)] == ["accepted", "accepted", "awaiting_confirmation", "accepted"]
    assert meetings(app)[0].status == "in_review" and outbox(app, "final_minutes") == []
    assert tick(app, clock, "2026-12-11 22:00")["accepted_silently"] == 0  # the deadline day is inclusive
    assert tick(app, clock, "2026-12-14 09:00")["accepted_silently"] == 1
    assert (action(app, "A-3").status, action(app, "A-3").consent) == ("accepted", "silent")
    assert meetings(app)[0].status == "confirmed"
    assert len(outbox(app, "final_minutes")) == 9
    assert len(outbox(app, "away_notice")) == 1


def test_a_second_auto_reply_from_the_same_absence_tells_nobody_again(round_open: App, clock: FixedClock) -> None:
    app = round_open
    at(clock, "2026-12-03 09:13")
    feed_threaded(app, "machine/outlook_zh_out_of_office.eml")
    at(clock, "2026-12-03 09:20")  # Outlook answers the minutes notice too
    again = auto_reply(
        app, "zhao.min@corp.example", "我于2026年12月3日至12月9日休假，12月10日返回。", message_id="ooo-2"
    )
    assert process(app, again).kind == "auto_reply"
    assert len(outbox(app, "away_notice")) == 1
    assert action(app, "A-3").confirm_by == date(2026, 12, 11)
    assert len(events(app, "action.deadline_extended")) == 1


def test_a_gmail_vacation_responder_on_an_english_meeting(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-07 20:00")  # Q1 Launch Budget Review: A-1..A-4, confirm by Wed 2026-12-09
    assert feed(app, "gmail_en_minutes_markdown.eml").outcome == "processed"
    at(clock, "2026-12-07 20:32")
    before = len(outbox(app))
    # Zhang Wei: "I'm out of the office until Monday, December 14" — back on the 14th.
    result = feed_threaded(app, "machine/gmail_en_vacation.eml")
    assert (result.outcome, result.kind) == ("ignored", "auto_reply")
    assert person(app, "zhang.wei@corp.example").away_until == date(2026, 12, 13)
    assert action(app, "A-4").confirm_by == date(2026, 12, 15)
    new = outbox(app)[before:]
    assert [(m.kind, m.to_address, m.language) for m in new] == [("away_notice", "zhou.ting@corp.example", "en")]
    assert "Zhang Wei <zhang.wei@corp.example>'s automatic reply says they are away until" in new[0].body_text
    assert "the confirmation deadline of these actions moves to Tue 15 Dec 2026:" in new[0].body_text
    tick(app, clock, "2026-12-10 09:00")
    assert [a.status for a in actions(app)] == ["accepted"] * 3 + ["awaiting_confirmation"]
    tick(app, clock, "2026-12-16 09:00")
    assert action(app, "A-4").consent == "silent"
    assert meetings(app)[0].status == "confirmed"


def test_an_auto_reply_without_a_return_date_extends_by_the_policy(round_open: App, clock: FixedClock) -> None:
    app = round_open
    at(clock, "2026-12-03 10:00")
    raw = auto_reply(app, "zhao.min@corp.example", "感谢来信。本人正在出差，回来后尽快回复。", message_id="ooo-3")
    assert process(app, raw).kind == "auto_reply"
    # Away for away_extension_working_days = 3 working days from Thursday: Fri, Mon, Tue the 8th;
    # then the usual 2-working-day round: Thursday the 10th.
    assert person(app, "zhao.min@corp.example").away_until == date(2026, 12, 8)
    assert action(app, "A-3").confirm_by == date(2026, 12, 10)
    (event,) = events(app, "person.away")
    assert event.detail["date_in_mail"] is False


def test_a_late_read_auto_reply_is_read_against_the_day_it_was_sent(round_open: App, clock: FixedClock) -> None:
    """The bot was down from Thursday to Monday: "12月10日返回" still means back on the 10th."""
    app = round_open
    at(clock, "2026-12-07 08:00")
    feed_threaded(app, "machine/outlook_zh_out_of_office.eml")  # Date: Thu, 3 Dec 2026
    assert person(app, "zhao.min@corp.example").away_until == date(2026, 12, 9)
    assert action(app, "A-3").confirm_by == date(2026, 12, 11)


def test_an_auto_reply_from_someone_with_nothing_awaiting_changes_nothing(round_open: App, clock: FixedClock) -> None:
    app = round_open
    at(clock, "2026-12-03 10:00")
    before = len(outbox(app))
    raw = auto_reply(app, "liu.yang@corp.example", "我12月3日至12月9日休假。", message_id="ooo-4")
    result = process(app, raw)
    assert (result.outcome, result.kind) == ("ignored", "auto_reply")
    assert person(app, "liu.yang@corp.example").away_until is None
    assert len(outbox(app)) == before
    assert events(app, "mail.ignored")[-1].detail == {"reason": "Auto-Submitted: auto-replied"}


def test_an_away_owner_with_a_proxy_has_the_proxy_asked(round_open: App, clock: FixedClock) -> None:
    app = round_open
    with app.db.transaction() as session:
        session.scalars(
            select(Person).where(Person.address == "zhao.min@corp.example")
        ).one().proxy_address = "sun.lei@corp.example"
    at(clock, "2026-12-03 09:13")
    before = len(outbox(app))
    feed_threaded(app, "machine/outlook_zh_out_of_office.eml")
    new = outbox(app)[before:]
    assert [(m.kind, m.to_address) for m in new] == [
        ("confirm_request", "sun.lei@corp.example"),
        ("away_notice", HOST),
    ]
    request, notice = new
    assert request.key == "confirm_request:A-3:proxy:sun.lei@corp.example"
    assert "请于2026年12月11日（周五）前回复" in request.subject and "A-3" in request.body_text
    assert "已请其代理人 孙磊 <sun.lei@corp.example> 代为确认" in notice.body_text


# --- bounces -----------------------------------------------------------------------------------


def test_a_bounced_confirmation_request_marks_the_owner_and_tells_the_host_once(
    round_open: App, clock: FixedClock
) -> None:
    app = round_open
    at(clock, "2026-12-03 09:01")
    request = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhu.rong@corp.example")
    before = len(outbox(app))
    result = process(app, dsn(request))
    assert (result.outcome, result.kind) == ("ignored", "bounce")
    assert result.error == "bounce of confirm_request to zhu.rong@corp.example"
    assert person(app, "zhu.rong@corp.example").bouncing
    new = outbox(app)[before:]
    assert [(m.kind, m.to_address, m.language) for m in new] == [("bounce_notice", HOST, "zh")]
    told = new[0]
    assert told.key == "bounce_notice:M-1:zhu.rong@corp.example"
    assert told.subject.startswith("【退信】Q1 新品上市跨部门协作会：朱镕 收不到邮件，A-4 无法默认确认")
    assert "发给 朱镕 <zhu.rong@corp.example> 的确认请求被退回" in told.body_text
    assert "A-4  " in told.body_text and "A-4 改派 姓名" in told.body_text
    (event,) = events(app, "address.bouncing")
    assert event.detail == {"address": "zhu.rong@corp.example", "mail": request.key}
    # The same bounce again (another copy from a second relay) tells nobody anything new.
    process(app, b"Received: from relay2.corp.example\r\n" + dsn(request))
    assert len(outbox(app)) == before + 1
    # At the deadline A-4 is not consent; the others are, and the host is not told a second time.
    counts = tick(app, clock, "2026-12-07 09:00")
    assert counts == {"handed_over": 0, "accepted_silently": 3, "confirmed": 0, "disputed": 0, "waiting": 1}
    assert action(app, "A-4").status == "awaiting_confirmation" and action(app, "A-4").consent is None
    assert len(outbox(app, "bounce_notice")) == 1
    tick(app, clock, "2026-12-14 09:00")
    assert action(app, "A-4").status == "awaiting_confirmation"
    assert meetings(app)[0].status == "in_review"
    assert sent_to(app, "mailer-daemon@smtp.corp.example") == []


def test_mail_from_a_bouncing_owner_proves_the_address_and_asks_again_with_a_fresh_round(
    round_open: App, clock: FixedClock
) -> None:
    app = round_open
    at(clock, "2026-12-03 09:01")
    request = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhu.rong@corp.example")
    process(app, dsn(request))
    tick(app, clock, "2026-12-07 09:00")  # A-4 waits: its owner never got the question
    assert action(app, "A-4").status == "awaiting_confirmation"
    # The mailbox was full; emptied, 朱镕 writes to the bot about something else.
    at(clock, "2026-12-08 10:00")
    message = EmailMessage()
    message["From"] = "朱镕 <zhu.rong@corp.example>"
    message["To"] = app.sender.address
    message["Subject"] = "我的任务"
    message["Message-ID"] = "<back@corp.example>"
    message.set_content("我的任务")
    assert process(app, message.as_bytes()).outcome == "answered"
    assert not person(app, "zhu.rong@corp.example").bouncing
    assert [e.detail for e in events(app, "address.reachable")] == [{"address": "zhu.rong@corp.example"}]
    again = [m for m in outbox(app, "confirm_request") if m.to_address == "zhu.rong@corp.example"]
    assert len(again) == 2 and "A-4  " in again[-1].body_text
    # A fresh round: two working days from today (Tue 8th): Thu 10th.
    assert action(app, "A-4").confirm_by == date(2026, 12, 10)
    assert "2026年12月10日" in again[-1].subject
    tick(app, clock, "2026-12-11 09:00")
    assert (action(app, "A-4").status, action(app, "A-4").consent) == ("accepted", "silent")


def test_a_bouncing_owner_who_replies_confirm_is_not_asked_again(round_open: App, clock: FixedClock) -> None:
    app = round_open
    at(clock, "2026-12-03 09:01")
    request = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhu.rong@corp.example")
    process(app, dsn(request))
    at(clock, "2026-12-03 11:00")  # the request got through another way (forwarded by a colleague)
    assert process(app, reply(app, request, "确认")).outcome == "processed"
    assert not person(app, "zhu.rong@corp.example").bouncing
    assert action(app, "A-4").status == "accepted"
    assert len([m for m in outbox(app, "confirm_request") if m.to_address == "zhu.rong@corp.example"]) == 1


def test_a_bounce_named_only_by_its_thread_is_matched(round_open: App, clock: FixedClock) -> None:
    """Some servers (and QQ) quote nothing machine-readable; the In-Reply-To still names our mail."""
    app = round_open
    request = next(m for m in outbox(app, "confirm_request") if m.to_address == "chen.zhe@corp.example")
    message = EmailMessage()
    message["From"] = "postmaster@corp.example"
    message["To"] = app.sender.address
    message["Subject"] = "系统退信: 投递失败"
    message["Date"] = format_datetime(app.now())
    message["Message-ID"] = "<bounce-7@corp.example>"
    message["In-Reply-To"] = f"<{request.message_id}>"
    message.set_content("抱歉，您的邮件无法送达 chen.zhe@corp.example：用户不存在。")
    result = process(app, message.as_bytes())
    assert (result.outcome, result.kind) == ("ignored", "bounce")
    assert person(app, "chen.zhe@corp.example").bouncing
    assert [m.to_address for m in outbox(app, "bounce_notice")] == [HOST]


def test_a_bounce_to_the_return_path_names_the_mail_with_nothing_else_to_go_by(
    round_open: App, clock: FixedClock, tmp_path: Path
) -> None:
    """VERP: each mail leaves with its own return path (an HMAC of the outbox row); a report that
    quotes nothing of the mail still names it by the address it came back to."""
    app = round_open
    delivery = MaildirDelivery(tmp_path / "sent")
    flush(app.db, delivery, app.sender, app.renderer, app.clock)
    delivered = list(mailbox.Maildir(str(tmp_path / "sent"), create=False))
    request = next(m for m in outbox(app, "confirm_request") if m.to_address == "chen.zhe@corp.example")
    to_chen = next(m for m in delivered if str(m["Message-ID"]).strip("<>") == request.message_id)
    return_path = str(to_chen["Return-Path"]).strip("<>")
    assert return_path.startswith("minutes+b") and return_path.endswith("@corp.example")
    assert len({str(m["Return-Path"]) for m in delivered}) == len(delivered)  # one per mail
    forged = dsn(next(m for m in outbox(app) if m.to_address == "zhu.rong@corp.example"), headers_part=False)
    at(clock, "2026-12-03 09:00")
    # A made-up return path (the row number guessed, the MAC not) counts for nothing.
    guessed = forged.replace(b"To: minutes@corp.example", b"To: minutes+b3.aaaaaaaaaa@corp.example")
    assert process(app, guessed).error == "bounce of a mail we did not send or cannot identify"
    real = forged.replace(b"To: minutes@corp.example", f"To: {return_path}".encode()).replace(b"<dsn.", b"<dsn2.")
    result = process(app, real)
    assert result.error == "bounce of confirm_request to chen.zhe@corp.example"
    assert person(app, "chen.zhe@corp.example").bouncing
    assert not person(app, "zhu.rong@corp.example").bouncing


def test_a_bounce_to_an_attendee_without_actions_still_tells_the_host(round_open: App, clock: FixedClock) -> None:
    app = round_open
    notice = next(m for m in outbox(app, "minutes_notice") if m.to_address == "liu.yang@corp.example")
    process(app, dsn(notice))
    assert person(app, "liu.yang@corp.example").bouncing
    (told,) = outbox(app, "bounce_notice")
    assert told.to_address == HOST
    assert told.subject == "【退信】Q1 新品上市跨部门协作会：刘洋 收不到邮件"
    assert "发给 刘洋 <liu.yang@corp.example> 的会议纪要被退回" in told.body_text
    assert "此人名下没有待确认的任务" in told.body_text


def test_when_the_hosts_own_mail_bounces_the_recorder_is_told(round_open: App, clock: FixedClock) -> None:
    app = round_open
    notice = next(m for m in outbox(app, "minutes_notice") if m.to_address == HOST)
    process(app, dsn(notice))
    (told,) = outbox(app, "bounce_notice")
    assert told.to_address == "wang.fang@corp.example"
    # The recorder's copy bouncing too ends there: one notice per person and meeting, no loop.
    process(app, dsn(told))
    assert len(outbox(app, "bounce_notice")) == 2
    last = outbox(app, "bounce_notice")[-1]
    process(app, dsn(last))
    assert len(outbox(app, "bounce_notice")) == 2


def test_a_bounce_of_a_mail_to_a_stranger_creates_their_person_row(app: App, clock: FixedClock) -> None:
    # A stranger at a company the directory knows (someone else of theirs is in it): the bot may
    # write to them (mailbot.recipients), and has no row for them yet.
    with app.db.transaction() as session:
        session.add(Person(address="buyer@elsewhere.example", source="directory", created_at=app.now()))
    message = EmailMessage()
    message["From"] = "Stranger <stranger@elsewhere.example>"
    message["To"] = app.sender.address
    message["Subject"] = "hello"
    message["Date"] = format_datetime(app.now())
    message["Message-ID"] = "<hello-1@elsewhere.example>"
    message.set_content("what is this address for?")
    assert process(app, message.as_bytes()).outcome == "answered"
    (answer,) = outbox(app)
    before = find_person(app, "stranger@elsewhere.example")
    if before is not None:  # the directory may already know them from the headers; either way:
        assert not before.bouncing
    result = process(app, dsn(answer))
    assert result.kind == "bounce"
    assert person(app, "stranger@elsewhere.example").bouncing
    assert len(outbox(app)) == 1  # no meeting, no host: nobody is told, nothing is answered


def test_a_bounce_of_a_mail_we_did_not_send_changes_nothing(round_open: App) -> None:
    app = round_open
    before = len(outbox(app))
    result = feed(app, "postfix_dsn_bounce.eml")  # <mailbot.confirm.A-12.20261210@corp.example>: not ours
    assert (result.outcome, result.kind) == ("ignored", "bounce")
    assert result.error == "bounce of a mail we did not send or cannot identify"
    assert len(outbox(app)) == before
    assert events(app, "address.bouncing") == []
    assert find_person(app, "former.employee@corp.example") is None


def test_other_machine_mail_is_recorded_as_ignored_with_its_reason(round_open: App) -> None:
    app = round_open
    before = len(outbox(app))
    message = EmailMessage()
    message["From"] = "news@corp.example"
    message["To"] = app.sender.address
    message["Subject"] = "Weekly digest"
    message["List-Id"] = "<news.corp.example>"
    message["Message-ID"] = "<digest-1@corp.example>"
    message.set_content("确认")
    result = process(app, message.as_bytes())
    assert (result.outcome, result.kind, result.error) == ("ignored", "list", "mailing-list traffic")
    assert events(app, "mail.ignored")[-1].detail == {"reason": "mailing-list traffic"}
    assert len(outbox(app)) == before


def test_fixture_mails_are_threaded_to_our_confirmation_requests(round_open: App) -> None:
    """The out-of-office fixtures answer the confirmation request their sender received: threaded
    to its Message-ID, which only the bot's key can derive (see outbox.message_id_for)."""
    app = round_open
    ids = {m.to_address: m.message_id for m in outbox(app, "confirm_request")}
    raw = threaded(app, "machine/outlook_zh_out_of_office.eml")
    assert f"In-Reply-To: <{ids['zhao.min@corp.example']}>".encode() in raw
    assert FIXTURE_ID.search((MAILS / "machine/outlook_zh_out_of_office.eml").read_bytes()) is not None


def test_an_out_of_office_naming_a_message_id_we_never_sent_moves_nothing(round_open: App) -> None:
    # The fixture as it is on disk: its In-Reply-To names a Message-ID derived without our key
    # (as a forger would derive it): it answers no mail of ours, so no deadline moves.
    app = round_open
    before = {a.ref: a.confirm_by if hasattr(a, "confirm_by") else None for a in actions(app)}
    feed(app, "machine/outlook_zh_out_of_office.eml")
    with app.db.session() as session:
        person = session.scalar(select(Person).where(Person.address == "zhao.min@corp.example"))
        assert person is None or person.away_until is None
    assert {a.ref: a.confirm_by if hasattr(a, "confirm_by") else None for a in actions(app)} == before


@pytest.mark.parametrize(
    ("name", "subject", "sender", "snippet"),
    [
        (
            "machine/outlook_zh_out_of_office.eml",
            "自动答复: 【请确认】Q1 新品上市跨部门协作会：您负责的 1 项行动项，请于2026年12月4日（周五）前回复",
            ("赵敏", "zhao.min@corp.example"),
            "我于2026年12月3日至12月9日休假，12月10日返回",
        ),
        (
            "machine/gmail_en_vacation.eml",
            "Out of office",
            ("Zhang Wei", "zhang.wei@corp.example"),
            "I'm out of the office until Monday, December 14",
        ),
    ],
)
def test_the_out_of_office_fixtures_read_cleanly(
    name: str, subject: str, sender: tuple[str, str], snippet: str
) -> None:
    """The checks test_message.py makes of the fixtures at the top of tests/mails/."""
    mail = InboundMail.from_bytes((MAILS / name).read_bytes())
    assert (mail.subject, mail.sender) == (subject, Address(*sender))
    assert snippet in mail.body_text and snippet in html_to_text(mail.html)
    assert mail.headers["auto-submitted"] == "auto-replied" and len(mail.in_reply_to) == 1
    assert mail.defects == () and mail.attachments == ()
    assert "\ufffd" not in mail.subject + mail.text + mail.html


def test_an_absence_a_year_long_moves_the_deadline_by_the_policy_limit_only(round_open: App, clock: FixedClock) -> None:
    app = round_open
    at(clock, "2026-12-03 09:13")
    raw = auto_reply(app, "zhao.min@corp.example", "我休假至2027年12月31日，期间不处理邮件。", message_id="ooo-year")
    assert process(app, raw).outcome == "ignored"
    with app.db.session() as session:
        person = session.scalar(select(Person).where(Person.address == "zhao.min@corp.example"))
    assert person is not None and person.away_until is not None
    # 10 working days ([consent] max_away_working_days) from Thu 2026-12-03, not the end of 2027.
    assert person.away_until == app.calendar.add_workdays(date(2026, 12, 3), 10) == date(2026, 12, 17)
