"""No change without proof of who asked (reliability.md), on `mailbot init`'s own default:
`[trust] unproven = "confirm"`, with the organisation's server named as `mx.corp.example`.

A forged `From:` changes nothing: the claimed address is asked once and the real person applies
the mail with one reply. A reply to one of our mails, the server's Authentication-Results, or a
DKIM signature we verify are proof at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.config import PACKAGE_ROOT, load_config
from mailbot.pipeline import process
from mailbot.store.models import HeldMail, Person
from tests.dkim_keys import make_key, sign
from tests.helpers import MAILS, actions, at, inbound, meetings, outbox, proof_required
from tests.replying import reply

AUTHSERV = "mx.corp.example"
# What the organisation's MX puts on top of a mail it took: its Received line, then its verdict.
OUR_RECEIVED = f"Received: from smtp.corp.example (smtp.corp.example [10.20.0.5])\r\n\tby {AUTHSERV} (Postfix) with ESMTPS id 4ZmQ1;\r\n\tWed, 02 Dec 2026 17:32:12 +0800 (CST)\r\n"
OWN_SERVER_SAYS_DMARC_PASS = (
    OUR_RECEIVED + f"Authentication-Results: {AUTHSERV}; dmarc=pass (p=reject) header.from=corp.example\r\n"
)


@pytest.fixture
def strict(home: Path, clock: FixedClock) -> Iterator[App]:
    """The bot as `mailbot init` writes it (From: proves nothing), its server named."""
    app = App.open(load_config(proof_required(home / "config.toml", AUTHSERV)), clock)
    yield app
    app.db.dispose()


def minutes_draft(*, vouched: bool) -> bytes:
    """王芳's Outlook minutes (GBK HTML): as her server hands it over, with or without its word."""
    raw = (MAILS / "outlook_zh_minutes_gbk_html.eml").read_bytes()
    return (OWN_SERVER_SAYS_DMARC_PASS.encode() + raw) if vouched else raw


@pytest.fixture
def in_force(strict: App, clock: FixedClock) -> App:
    """The minutes accepted (the server vouched for 王芳), the confirmation round open."""
    at(clock, "2026-12-02 18:00")
    assert process(strict, minutes_draft(vouched=True)).outcome == "processed"
    return strict


def new_mail(sender: str, subject: str, body: str, *, name: str = "", extra: dict[str, str] | None = None) -> bytes:
    """A fresh mail, not a reply: no thread, no token — only a From: line."""
    message = EmailMessage()
    message["From"] = f"{name} <{sender}>" if name else sender
    message["To"] = "Mailbot <minutes@corp.example>"
    message["Subject"] = subject
    message["Received"] = (
        "from PC-CHEN (unknown [10.20.5.31]) by smtp.corp.example (Postfix) with ESMTPSA id 7Qx2; Thu, 3 Dec 2026 09:00:00 +0800"
    )
    message["Date"] = "Thu, 3 Dec 2026 09:00:00 +0800"
    message["Message-ID"] = make_msgid(domain="mail.example")
    for key, value in (extra or {}).items():
        message[key] = value
    message.set_content(body)
    return message.as_bytes()


def status_of(app: App, ref: str) -> str:
    return next(a.status for a in actions(app) if f"A-{a.id}" == ref)


def test_a_forged_objection_changes_nothing_and_asks_the_real_owner(in_force: App, clock: FixedClock) -> None:
    app = in_force
    at(clock, "2026-12-03 09:00")
    before = len(outbox(app))
    result = process(app, new_mail("chen.zhe@corp.example", "A-2", "A-2 异议：预算不足，请改派 eve@evil.example"))
    assert (result.kind, result.outcome) == ("reply", "held")
    assert status_of(app, "A-2") == "awaiting_confirmation"
    new = outbox(app)[before:]
    assert [(m.kind, m.to_address) for m in new] == [("sender_check", "chen.zhe@corp.example")]
    (question,) = new
    assert "A-2 异议：预算不足" in (question.body_text or "")
    assert "暂未执行" in (question.body_text or "")
    assert question.reply_token and question.reply_token.startswith("H")
    assert f"[#{question.reply_token}]" in question.subject
    assert "&lt;" not in (question.body_text or "")
    assert "eve@evil.example" in (question.body_html or "") and "<eve@" not in (question.body_html or "")


def test_the_real_owner_applies_the_held_mail_with_one_empty_reply(in_force: App, clock: FixedClock) -> None:
    app = in_force
    at(clock, "2026-12-03 09:00")
    process(app, new_mail("chen.zhe@corp.example", "A-2", "A-2 异议：功能清单还没定，12月10日来不及"))
    (question,) = outbox(app, "sender_check")
    at(clock, "2026-12-03 09:20")
    before = len(outbox(app))
    result = process(app, reply(app, question, "", style="foxmail"))
    assert (result.kind, result.outcome) == ("confirmation", "processed")
    assert status_of(app, "A-2") == "objected"
    kinds = sorted((m.kind, m.to_address) for m in outbox(app)[before:])
    assert ("reply_result", "chen.zhe@corp.example") in kinds  # the held mail's own answer
    assert ("objection_notice", "li.na@corp.example") in kinds  # the host learns of it
    held, confirming = inbound(app)[-2:]
    assert (held.kind, held.outcome) == ("reply", "processed")  # the held mail's record tells what it did
    with app.db.session() as session:
        (row,) = session.scalars(select(HeldMail))
        assert (row.status, row.settled_by_id) == ("applied", confirming.id)
    # Answering the question again does nothing twice.
    again = process(app, reply(app, question, "确认"))
    assert again.outcome == "rejected"
    assert "已经执行过" in (outbox(app, "reply_refused")[-1].body_text or "")


def test_saying_it_was_not_them_drops_the_mail_and_tells_the_admin(
    in_force: App, clock: FixedClock, home: Path
) -> None:
    app = in_force
    at(clock, "2026-12-03 09:00")
    process(app, new_mail("zhang.wei@corp.example", "完成", "A-1 完成"))
    process(app, new_mail("chen.zhe@corp.example", "A-2", "A-2 完成"))
    question_to_zhang, question_to_chen = outbox(app, "sender_check")
    # Neither a vague answer nor another command applies anything; the question stays open.
    for words in ("A-1 异议：预算不足", "请问这是什么邮件？我最近一直在出差，没有看到之前的会议纪要，麻烦说明一下。"):
        assert process(app, reply(app, question_to_zhang, words)).outcome == "rejected"
        assert "请回复“确认”" in (outbox(app, "reply_refused")[-1].body_text or "")
    assert status_of(app, "A-1") == "awaiting_confirmation"
    for question, words, said in (
        (question_to_zhang, "这不是我发的", "不会执行，已作废"),
        (question_to_chen, "Not me — I never sent this", "that mail is dropped"),
    ):
        before = len(outbox(app))
        assert process(app, reply(app, question, words)).outcome == "processed"
        (answer,) = outbox(app)[before:]
        assert answer.kind == "reply_result" and said in (answer.body_text or "")
        assert "没有读懂" not in (answer.body_text or "") and "not understood" not in (answer.body_text or "")
    assert (status_of(app, "A-1"), status_of(app, "A-2")) == ("awaiting_confirmation", "awaiting_confirmation")
    with app.db.session() as session:
        assert [h.status for h in session.scalars(select(HeldMail).order_by(HeldMail.id))] == ["declined", "declined"]
    # Saying yes afterwards cannot bring a dropped mail back.
    assert process(app, reply(app, question_to_zhang, "确认")).outcome == "rejected"
    assert status_of(app, "A-1") == "awaiting_confirmation"


def test_the_admin_hears_of_a_forgery_the_person_denied(home: Path, clock: FixedClock) -> None:
    path = proof_required(home / "config.toml")
    path.write_text(
        path.read_text(encoding="utf-8").replace('admin = ""', 'admin = "it@corp.example"'), encoding="utf-8"
    )
    app = App.open(load_config(path), clock)
    try:
        at(clock, "2026-12-02 18:00")
        assert process(app, minutes_draft(vouched=False)).outcome == "held"
        (question,) = outbox(app, "sender_check")
        assert process(app, reply(app, question, "不是我发的，请查一下")).outcome == "processed"
        (notice,) = outbox(app, "forgery_notice")
        assert notice.to_address == "it@corp.example"
        assert "wang.fang@corp.example" in notice.subject
        assert meetings(app) == []
    finally:
        app.db.dispose()


def test_a_question_lapses_after_a_week(in_force: App, clock: FixedClock) -> None:
    app = in_force
    at(clock, "2026-12-03 09:00")
    process(app, new_mail("zhang.wei@corp.example", "确认", "A-1 确认"))
    (question,) = outbox(app, "sender_check")
    assert "2026年12月10日" in (question.body_text or "")  # when it lapses
    at(clock, "2026-12-11 09:00")
    assert process(app, reply(app, question, "确认")).outcome == "rejected"
    assert status_of(app, "A-1") == "awaiting_confirmation"
    assert "已过期" in (outbox(app, "reply_refused")[-1].body_text or "")


def test_nobody_else_can_answer_the_question(in_force: App, clock: FixedClock) -> None:
    app = in_force
    at(clock, "2026-12-03 09:00")
    process(app, new_mail("zhang.wei@corp.example", "确认", "A-1 确认"))
    (question,) = outbox(app, "sender_check")
    # The forger guesses the thread and answers from their own or the owner's address without the mail.
    forged = reply(app, question, "确认", sender="eve@corp.example")
    assert process(app, forged).outcome == "rejected"
    assert status_of(app, "A-1") == "awaiting_confirmation"


def test_a_threaded_reply_to_our_request_is_proof_at_once(in_force: App, clock: FixedClock) -> None:
    app = in_force
    request = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhang.wei@corp.example")
    at(clock, "2026-12-03 09:00")
    assert process(app, reply(app, request, "确认")).outcome == "processed"
    assert status_of(app, "A-1") == "accepted"
    assert outbox(app, "sender_check") == []


def test_the_servers_word_is_proof_at_once(in_force: App, clock: FixedClock) -> None:
    app = in_force
    at(clock, "2026-12-03 09:00")
    vouched = OWN_SERVER_SAYS_DMARC_PASS.encode() + new_mail("zhang.wei@corp.example", "确认", "A-1 确认")
    assert process(app, vouched).outcome == "processed"
    assert status_of(app, "A-1") == "accepted"
    assert outbox(app, "sender_check") == []


def test_another_servers_word_or_a_failing_one_is_no_proof(in_force: App, clock: FixedClock) -> None:
    app = in_force
    at(clock, "2026-12-03 09:00")
    for header in (
        OUR_RECEIVED + "Authentication-Results: mx.evil.example; dmarc=pass header.from=corp.example\r\n",
        OUR_RECEIVED + f"Authentication-Results: {AUTHSERV}; dmarc=fail header.from=corp.example\r\n",
        OUR_RECEIVED + f"Authentication-Results: {AUTHSERV}; dkim=pass header.d=evil.example\r\n",
        # The forger's own verdict, written before the mail reached our server, does not count.
        OUR_RECEIVED
        + "Received: from evil.example by mail.evil.example; Wed, 02 Dec 2026 17:30:00 +0800\r\n"
        + f"Authentication-Results: {AUTHSERV}; dmarc=pass header.from=corp.example\r\n",
    ):
        raw = header.encode() + new_mail("zhang.wei@corp.example", "确认", "A-1 确认")
        assert process(app, raw).outcome == "held", header
    assert status_of(app, "A-1") == "awaiting_confirmation"


def logged_in_as(login: str) -> bytes:
    """What the MX writes over a mail a colleague submitted logged in as `login` (SMTP AUTH)."""
    return (OUR_RECEIVED + f"Authentication-Results: {AUTHSERV}; auth=pass smtp.auth={login}\r\n").encode()


def test_the_owners_token_under_another_persons_login_is_no_proof(in_force: App, clock: FixedClock) -> None:
    """张伟 forwarded his request to 孙磊 (the token rides in its subject and Reply-To); 孙磊, logged in
    to the company's server as himself, answers it with `From: 张伟`. The server's word outweighs
    the token: nothing is applied, 张伟 is asked and told whose login sent it, and only a written
    "确认" — not an empty reply, which a busy person sends without reading — applies it."""
    app = in_force
    with app.db.transaction() as session:  # a colleague the bot knows (an attendee of the minutes)
        assert session.scalar(select(Person).where(Person.address == "sun.lei@corp.example")) is not None
    request = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhang.wei@corp.example")
    at(clock, "2026-12-03 09:00")
    forged = logged_in_as("sun.lei@corp.example") + reply(app, request, "延期至2027年1月30日，原因：人手不够")
    result = process(app, forged)
    assert (result.kind, result.outcome) == ("reply", "held"), result.error
    assert status_of(app, "A-1") == "awaiting_confirmation"
    (question,) = outbox(app, "sender_check")
    text = question.body_text or ""
    assert question.to_address == "zhang.wei@corp.example"
    assert "是用 sun.lei@corp.example 的账号登录发出的，不是您的账号" in text
    assert "请回复“确认”二字" in text and "什么都不写" not in text and "就不需要这一步" not in text
    assert "sun.lei@corp.example</b> 的账号登录发出的" in (question.body_html or "")
    # An empty reply is not enough for such a mail; a written one is.
    at(clock, "2026-12-03 09:20")
    assert process(app, reply(app, question, "", style="foxmail")).outcome == "rejected"
    assert status_of(app, "A-1") == "awaiting_confirmation"
    assert "请回复“确认”" in (outbox(app, "reply_refused")[-1].body_text or "")
    assert process(app, reply(app, question, "确认")).outcome == "processed"
    assert status_of(app, "A-1") == "delayed"


def test_a_login_the_bot_knows_no_one_by_or_the_senders_own_changes_nothing(in_force: App, clock: FixedClock) -> None:
    """An employee number or an alias as the login says nothing about whose mailbox it is: the
    token proves the reply as before. The sender's own login (with or without the domain) is proof."""
    app = in_force
    request = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhang.wei@corp.example")
    at(clock, "2026-12-03 09:00")
    assert process(app, logged_in_as("E10231") + reply(app, request, "确认")).outcome == "processed"
    assert status_of(app, "A-1") == "accepted"
    vouched = logged_in_as("chen.zhe") + new_mail("chen.zhe@corp.example", "A-2", "A-2 确认")
    assert process(app, vouched).outcome == "processed"
    assert status_of(app, "A-2") == "accepted"
    assert outbox(app, "sender_check") == []


def test_not_me_after_the_question_lapsed_still_drops_it_and_tells_the_admin(home: Path, clock: FixedClock) -> None:
    path = proof_required(home / "config.toml", AUTHSERV)
    path.write_text(
        path.read_text(encoding="utf-8").replace('admin = ""', 'admin = "it@corp.example"'), encoding="utf-8"
    )
    app = App.open(load_config(path), clock)
    try:
        at(clock, "2026-12-02 18:00")
        assert process(app, minutes_draft(vouched=True)).outcome == "processed"
        at(clock, "2026-12-03 09:00")
        process(app, new_mail("zhang.wei@corp.example", "完成", "A-1 完成"))
        (question,) = outbox(app, "sender_check")
        at(clock, "2026-12-14 09:00")  # back from a trip, after the question lapsed
        assert process(app, reply(app, question, "Not me, I was away", style="gmail_en")).outcome == "processed"
        answer = outbox(app)[-1]
        assert answer.kind == "reply_result" and "that mail is dropped" in (answer.body_text or "")
        assert "send it again" not in (answer.body_text or "")
        (notice,) = outbox(app, "forgery_notice")
        assert notice.to_address == "it@corp.example"
        assert notice.language == "zh"  # the admin's (the bot's) language, not the denial's
        # Said again: the same answer, the admin is not told twice.
        assert process(app, reply(app, question, "不是我")).outcome == "processed"
        assert len(outbox(app, "forgery_notice")) == 1
        assert status_of(app, "A-1") == "awaiting_confirmation"
    finally:
        app.db.dispose()


def test_an_unproven_draft_is_held_and_stored_once_the_recorder_confirms(strict: App, clock: FixedClock) -> None:
    app = strict
    at(clock, "2026-12-02 18:00")
    result = process(app, minutes_draft(vouched=False))
    assert (result.kind, result.outcome) == ("minutes", "held")
    assert meetings(app) == [] and actions(app) == []
    assert [(m.kind, m.to_address) for m in outbox(app)] == [("sender_check", "wang.fang@corp.example")]
    (question,) = outbox(app)
    assert "会议纪要草稿" in (question.body_text or "")
    at(clock, "2026-12-02 18:30")
    assert process(app, reply(app, question, "确认，是我发的")).outcome == "processed"
    (meeting,) = meetings(app)
    assert meeting.title == "Q1 新品上市跨部门协作会"
    assert len(actions(app)) == 4
    assert len(outbox(app, "confirm_request")) == 4
    assert [m.to_address for m in outbox(app, "minutes_ack")] == ["wang.fang@corp.example"]


def test_forgeries_in_a_burst_ask_the_real_person_a_few_times_not_a_flood(in_force: App, clock: FixedClock) -> None:
    app = in_force
    at(clock, "2026-12-03 09:00")
    for n in range(12):
        process(app, new_mail("zhang.wei@corp.example", f"完成 {n}", f"A-1 完成 第{n}次"))
    assert len(outbox(app, "sender_check")) == 5  # QUESTIONS_PER_HOUR
    assert status_of(app, "A-1") == "awaiting_confirmation"
    with app.db.session() as session:
        assert len(list(session.scalars(select(HeldMail)))) == 12  # every one kept, none applied


def test_a_dkim_signature_the_bot_verifies_is_proof_at_once(in_force: App, clock: FixedClock) -> None:
    """No Authentication-Results (a server that adds none): the bot checks the signature itself,
    its key served by a stub DNS zone."""
    app = in_force
    pem, dns_txt = make_key("s2026", "corp.example")
    app.dns_txt = dns_txt
    at(clock, "2026-12-03 09:00")
    signed = sign(new_mail("zhang.wei@corp.example", "确认", "A-1 确认\n\n张伟\n"), "s2026", "corp.example", pem)
    assert process(app, signed).outcome == "processed"
    assert status_of(app, "A-1") == "accepted"
    assert b"s2026._domainkey.corp.example" in b" ".join(dns_txt.calls)
    # The same signature on a body someone changed after signing proves nothing.
    honest = sign(new_mail("chen.zhe@corp.example", "确认", "A-2 确认\n"), "s2026", "corp.example", pem)
    tampered = honest.replace(b"A-2 \xe7\xa1\xae\xe8\xae\xa4", b"A-2 \xe5\xae\x8c\xe6\x88\x90")  # 确认 → 完成
    assert tampered != honest
    assert process(app, tampered).outcome == "held"
    assert status_of(app, "A-2") == "awaiting_confirmation"


@pytest.mark.parametrize(
    ("written", "answer"),
    [
        ("", "yes"),
        ("确认", "yes"),
        ("确认，是我发的", "yes"),
        ("是我发的！\n\n王芳\n行政部", "yes"),
        ("好的，谢谢", "yes"),
        ("Yes, that was me - thanks", "yes"),
        ("confirm\n\nPriya", "yes"),
        ("確認", "yes"),
        ("这不是我发的", "no"),
        ("不是我，有人冒用", "no"),
        ("Not me — I never sent this", "no"),
        ("I didn't send that", "no"),
        ("请取消", "no"),
        ("请问这是什么邮件？", "unclear"),
        ("What is this?", "unclear"),
        ("A-1 异议：预算不足", "unclear"),
        ("我最近一直在出差，没有看到之前的会议纪要，麻烦说明一下", "unclear"),
    ],
)
def test_what_counts_as_yes_to_was_it_you(written: str, answer: str) -> None:
    from mailbot.handlers.reply import answer_to_question
    from mailbot.replies.commands import read_commands
    from mailbot.rules import load_rules

    commands, unrecognised = read_commands(written, load_rules(PACKAGE_ROOT / "rules").commands)
    assert answer_to_question(commands, [line for line in unrecognised if line.strip()]) == answer


def test_an_objection_with_its_reason_on_the_next_line_is_held_like_any_other(in_force: App, clock: FixedClock) -> None:
    """The reason below the command makes it whole before the proof is asked for: a forged one
    is held, not applied."""
    app = in_force
    at(clock, "2026-12-03 09:00")
    result = process(app, new_mail("chen.zhe@corp.example", "A-2", "A-2 异议\n\n研发排期已满，无法按期完成"))
    assert result.outcome == "held"
    assert status_of(app, "A-2") == "awaiting_confirmation"
    assert outbox(app, "objection_notice") == []
    (question,) = [m for m in outbox(app, "sender_check") if m.to_address == "chen.zhe@corp.example"]
    assert "A-2 异议" in (question.body_text or "")


def test_the_question_never_carries_a_forgers_link(in_force: App, clock: FixedClock) -> None:
    """It quotes what arrived so the real person can judge, in the company's name: not a link to
    click. And its one-click answers stand apart from the text above them."""
    app = in_force
    at(clock, "2026-12-03 09:00")
    process(app, new_mail("chen.zhe@corp.example", "A-2", "A-2 完成，资料见 http://evil.example/report.exe"))
    (question,) = outbox(app, "sender_check")
    for body in (question.body_text or "", question.body_html or ""):
        assert "evil.example" not in body and "A-2 完成，资料见 [URL]" in body
    assert "就不需要这一步。\n\n一键回复" in (question.body_text or "")
