"""No single mail can stop the bot: a row that cannot be built, a mail the database refuses, a
draft that would make a thousand mails — each is failed or refused on its own, with an answer,
and everything behind it still goes out (issue 9). Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import email
import mailbox
import time
from collections.abc import Callable
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from mailbot import daemon as daemon_module
from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.config import load_config
from mailbot.daemon import Daemon, poll
from mailbot.delivery.maildir import MaildirDelivery
from mailbot.outbox import enqueue, flush
from mailbot.pipeline import process
from mailbot.sources.maildir import MaildirSource
from mailbot.store.models import InboundMail, OutboxMail, Person
from tests.helpers import SHANGHAI, actions, at, inbound, outbox
from tests.replying import reply
from tests.test_acceptance import LINES, minutes_mail

RECORDER = "sun.lei@corp.example"


def delivered(box: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(m.as_bytes(), policy=policy.default)  # type: ignore[misc]
        for m in mailbox.Maildir(str(box))
    ]


def mail(
    body: str,
    *,
    sender: str = f"孙磊 <{RECORDER}>",
    subject: str = "【纪要】渠道价格体系协调会",
    message_id: str = "<m1@foxmail.example>",
    charset: str = "utf-8",
    extra: Callable[[EmailMessage], None] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "minutes@corp.example"
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime(2026, 12, 2, 18, 0, tzinfo=SHANGHAI))
    message["Message-ID"] = message_id
    message.set_content(body, charset=charset)
    if extra:
        extra(message)
    return message.as_bytes()


def draft(*action_lines: str, title: str = "渠道价格体系协调会") -> str:
    return "\n".join(
        [
            f"会议名称：{title}",
            "会议时间：2026年12月2日 10:00-11:30",
            "主持人：市场部 李娜 <li.na@corp.example>",
            f"记录人：销售部 孙磊 <{RECORDER}>",
            "",
            "一、决议事项",
            "1. 统一华东区经销商价格体系。",
            "",
            "二、行动项",
            *action_lines,
        ]
    )


# --- a row that cannot be built or is refused: failed alone, the rest goes out -----------------


@pytest.mark.parametrize("bad", ["a..b@corp.example", "a@corp..example"])
def test_a_malformed_owner_address_is_a_quoted_problem_not_a_mail_that_cannot_be_built(
    app: App, clock: FixedClock, tmp_path: Path, bad: str
) -> None:
    at(clock, "2026-12-02 18:00")
    line = f"- 输出华东区价格调整方案；负责人：市场部 张伟 <{bad}>；截止：2026-12-15"
    result = process(app, mail(draft(line, LINES[1])))
    assert result.outcome == "rejected"
    assert actions(app) == []
    (answer,) = outbox(app, "minutes_rejected")
    assert answer.to_address == RECORDER
    assert f"负责人的邮箱地址“{bad}”写得不对" in (answer.body_text or "")
    assert line in (answer.body_text or "")  # the line is quoted
    counts = flush(app.db, MaildirDelivery(tmp_path / "sent"), app.sender, app.renderer, app.clock)
    assert counts == {"sent": 1, "retry": 0, "failed": 0}


@pytest.mark.parametrize(
    ("bad", "why", "offered"),
    [
        ("zhang.wei@corp", "写得不对（“@”后面的域名不完整）", "——是否应为 zhang.wei@corp.example？"),
        ("zhang.wei@@corp.example", "写得不对（多了一个“@”）", "——是否应为 zhang.wei@corp.example？"),
    ],
)
def test_a_mistyped_owner_address_is_answered_with_what_is_wrong_and_the_address_the_name_has(
    app: App, clock: FixedClock, bad: str, why: str, offered: str
) -> None:
    """The recorder wrote the shape asked for, with a typo in the address, and 张伟 is in Cc: the
    answer says what is wrong with it and offers his address, instead of "no address found
    (write 部门 姓名 <邮箱>, or put the person in To/Cc)", which he had done (hand trial 21, item 3)."""
    at(clock, "2026-12-02 18:00")
    line = f"- 输出华东区价格调整方案；负责人：市场部 张伟 <{bad}>；截止：2026-12-15"

    def copied(message: EmailMessage) -> None:
        message["Cc"] = "张伟 <zhang.wei@corp.example>"

    assert process(app, mail(draft(line, LINES[1]), extra=copied)).outcome == "rejected"
    (answer,) = outbox(app, "minutes_rejected")
    text = answer.body_text or ""
    assert f"负责人的邮箱地址“{bad}”{why}，无法给此人发邮件：请改正地址后重新发送{offered}" in text
    assert "找不到对应的邮箱地址" not in text


def test_a_name_the_draft_gives_an_address_elsewhere_is_that_person(app: App, clock: FixedClock) -> None:
    """钱进 has his address in his action's line; among the attendees he is just 法务部 钱进. The
    acknowledgement must not say he gets no mail while he gets his request (hand trial 21, item 3)."""
    at(clock, "2026-12-02 18:00")
    body = draft("- 审核合同条款；负责人：法务部 钱进 <qian.jin@corp.example>；截止：2026-12-15", LINES[1]).replace(
        "主持人：", "参会人员：市场部 李娜、法务部 钱进\n主持人："
    )
    assert process(app, mail(body)).outcome == "processed"
    (ack,) = outbox(app, "minutes_ack")
    assert "找不到对应的邮箱地址" not in (ack.body_text or "")
    assert any(m.to_address == "qian.jin@corp.example" for m in outbox(app, "confirm_request"))


def partner(app: App, address: str) -> None:
    """Someone of that company in the directory: the bot may write to its domain (mailbot.recipients)."""
    with app.db.transaction() as session:
        session.add(Person(address=address, source="directory", created_at=app.now()))


def put(app: App, key: str, to: str, **context: object) -> None:
    with app.db.transaction() as session:
        enqueue(
            session, app.renderer, app.sender, key=key, kind="help", to_address=to, to_name="张伟", language="zh",
            context={"reason": None, "original_subject": "你好", "token": None, "bot_name": "Mailbot",
                     "bot_address": "minutes@corp.example", "docs_url": "", **context},
            now=app.now(),
        )  # fmt: skip


def test_a_row_that_cannot_be_built_is_failed_once_the_admin_told_and_the_rows_behind_it_go_out(
    app: App, clock: FixedClock, tmp_path: Path
) -> None:
    # Rows written before addresses were checked (or by any path that forgot to): they must never
    # stop the outbox again. The template row fails at render time (a context it cannot read).
    put(app, "help:bad-address", "a..b@corp.example")
    put(app, "help:bad-template", "x@corp.example")
    with app.db.transaction() as session:  # a context its template cannot render
        session.execute(update(OutboxMail).where(OutboxMail.key == "help:bad-template").values(context={}))
    put(app, "help:good", "zhang.wei@corp.example")
    box = tmp_path / "sent"
    for _ in range(3):  # every pass, as the daemon would: never stuck on the first row
        flush(app.db, MaildirDelivery(box), app.sender, app.renderer, clock, admin="it@corp.example")
    with app.db.session() as session:
        rows = {r.key: r for r in session.scalars(select(OutboxMail))}
    assert rows["help:good"].status == "sent"
    assert rows["help:bad-address"].status == "failed"
    assert "two periods" in (rows["help:bad-address"].last_error or "")
    assert rows["help:bad-template"].status == "failed"
    assert "could not be built" in (rows["help:bad-template"].last_error or "")
    reports = [r for r in rows.values() if r.kind == "delivery_failed"]
    assert sorted(r.context["to"] for r in reports) == ["a..b@corp.example", "x@corp.example"]
    assert all(r.status == "sent" for r in reports)
    to = sorted(str(m["To"]) for m in delivered(box))
    assert to == ["it@corp.example", "it@corp.example", "张伟 <zhang.wei@corp.example>"]


def test_a_gbk_csv_deliverable_is_forwarded_with_its_own_bytes_and_charset(
    app: App, clock: FixedClock, tmp_path: Path
) -> None:
    at(clock, "2026-12-02 18:00")
    assert process(app, minutes_mail(*LINES)).outcome == "processed"
    at(clock, "2026-12-03 09:30")
    for request in outbox(app, "confirm_request"):
        assert process(app, reply(app, request, "确认")).outcome == "processed"
    csv = "渠道,返点\n华东,3%\n".encode("gbk")
    (request,) = [r for r in outbox(app, "confirm_request") if r.to_address == "zhang.wei@corp.example"]
    answer = email.message_from_bytes(reply(app, request, "完成，方案见附件"), policy=policy.default)
    answer.add_attachment(csv, maintype="text", subtype="csv", filename="返点.csv", params={"charset": "gbk"})
    at(clock, "2026-12-10 10:00")
    assert process(app, answer.as_bytes()).outcome == "processed"
    box = tmp_path / "sent"
    counts = flush(app.db, MaildirDelivery(box), app.sender, app.renderer, clock)
    assert counts["failed"] == 0
    (verify,) = [m for m in delivered(box) if m["X-Mailbot-Kind"] == "acceptance_request"]
    (attached,) = [p for p in verify.iter_attachments() if p.get_filename() == "返点.csv"]
    assert attached.get_content_type() == "text/csv"
    assert attached.get_content_charset() == "gbk"
    assert attached.get_payload(decode=True) == csv


# --- a mail the database would refuse: recorded cleaned, failed or answered, the loop goes on ---


def hostile_headers(kind: str) -> bytes:
    good = mail("帮助", message_id="<ok@client.example>")
    header, _, body = good.partition(b"\n\n")
    lines = [
        line for line in header.split(b"\n") if not line.lower().startswith((b"subject:", b"message-id:", b"from:"))
    ]
    subject, message_id, sender = b"Subject: help", b"Message-ID: <h1@client.example>", b"From: zhang.wei@corp.example"
    if kind == "nul-subject":
        subject = b"Subject: he\x00lp"
    elif kind == "nul-message-id":
        message_id = b"Message-ID: <a\x00b@client.example>"
    elif kind == "long-message-id":
        message_id = b"Message-ID: <" + b"x" * 5000 + b"@client.example>"
    elif kind == "long-from":
        sender = b"From: " + b"z" * 400 + b"@corp.example"
    elif kind == "huge-subject":
        subject = b"Subject: " + "很长的主题".encode() * 200_000
    return b"\n".join([*lines, subject, message_id, sender]) + b"\n\n" + body


@pytest.mark.parametrize("kind", ["nul-subject", "nul-message-id", "long-message-id", "long-from", "huge-subject"])
def test_a_mail_the_database_would_refuse_is_recorded_and_the_mails_after_it_are_read(
    app: App, tmp_path: Path, kind: str
) -> None:
    inbox = tmp_path / "inbox"
    box = mailbox.Maildir(str(inbox), create=True)
    box.add(hostile_headers(kind))
    time.sleep(0.01)  # Maildir reads oldest first: the hostile mail is first
    box.add(mail("帮助", sender="李娜 <li.na@corp.example>", message_id="<after@client.example>"))
    counts = poll(app, MaildirSource(inbox))
    assert "error" not in counts
    records = inbound(app)
    assert len(records) == 2
    assert {r.sender for r in records} >= {"li.na@corp.example"}
    assert not list((inbox / "new").iterdir())  # both handled and moved
    answers = {r.to_address: r for r in outbox(app)}
    assert "li.na@corp.example" in answers
    if kind != "long-from":  # a sender no server takes cannot be answered
        assert "zhang.wei@corp.example" in answers
        assert len(answers["zhang.wei@corp.example"].subject) < 200
    sent = tmp_path / "sent"
    flush(app.db, MaildirDelivery(sent), app.sender, app.renderer, app.clock)
    for message in delivered(sent):
        assert "=?" not in str(message.get("In-Reply-To", "")) + str(message.get("References", ""))
        assert all(len(line) <= 998 for line in message.as_bytes().split(b"\n"))
        assert len(str(message["Subject"])) < 300  # a 2 MB subject does not come back


def test_a_reused_message_id_with_other_words_is_a_mail_of_its_own(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    assert process(app, mail("状态", message_id="<same@client.example>")).outcome != "duplicate"
    second = process(app, mail("帮助", message_id="<same@client.example>", subject="again"))
    assert second.outcome != "duplicate"
    again = process(app, mail("帮助", message_id="<same@client.example>", subject="again", sender=f"<{RECORDER}>"))
    assert again.outcome == "duplicate"  # the same words by another route: one mail


# --- limits: refused whole, with an answer that says which limit --------------------------------


def test_a_draft_over_the_action_limit_is_refused_whole_with_one_short_answer(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    lines = [f"- 任务{i}；负责人：研发部 员工{i} <user{i}@corp.example>；截止：2026-12-15" for i in range(250)]
    result = process(app, mail(draft(*lines)))
    assert result.outcome == "rejected"
    assert actions(app) == []
    rows = outbox(app)
    assert [r.kind for r in rows] == ["minutes_rejected"]
    assert "250 条行动项，超过了每份 200 条的上限" in (rows[0].body_text or "")
    assert len(rows[0].body_text or "") < 5000


def test_a_body_over_the_line_limit_is_not_read_and_its_sender_is_told(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    lines = [f"- 任务{i}；负责人：研发部 员工 <user@corp.example>；截止：2026-12-15" for i in range(5000)]
    result = process(app, mail(draft(*lines)))
    assert (result.outcome, result.kind) == ("rejected", "too_big")
    (answer,) = outbox(app)
    assert "超过了议程或纪要 3000 行的上限" in (answer.body_text or "")
    assert answer.subject.endswith("正文过长，未处理")


def test_a_title_over_the_field_limit_is_a_quoted_problem(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    result = process(app, mail(draft(LINES[1], title="很长" * 300)))
    assert result.outcome == "rejected"
    (answer,) = outbox(app)
    assert "会议名称超过了 200 个字的上限" in (answer.body_text or "")


# --- the error-answer limit tells a loop from a person correcting a draft -----------------------


def test_a_recorder_correcting_a_draft_again_and_again_is_answered_each_time(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    for n in range(6):
        line = f"- 第{n}版任务；负责人：市场部 张伟；截止：尽快"  # still wrong each time, differently
        assert process(app, mail(draft(line), message_id=f"<v{n}@foxmail.example>")).outcome == "rejected"
    assert len(outbox(app, "minutes_rejected")) == 6


def test_the_same_words_again_and_again_are_a_loop_and_answered_three_times(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    partner(app, "sales@other.example")  # a stranger would get no answer at all
    for n in range(6):
        process(app, mail("I am out of the office.", message_id=f"<loop{n}@peer.example>", sender="peer@other.example"))
    assert len(outbox(app)) == 3
    at(clock, "2026-12-02 19:30")  # an hour later the peer may be answered again
    process(app, mail("I am out of the office.", message_id="<loop9@peer.example>", sender="peer@other.example"))
    assert len(outbox(app)) == 4


# --- answers go out while a backlog is still read -------------------------------------------------


def test_during_a_burst_the_first_sender_is_answered_before_the_backlog_is_read(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(daemon_module, "DELIVER_DURING_BURST_SECONDS", 0.0)
    inbox = tmp_path / "inbox"
    box = mailbox.Maildir(str(inbox), create=True)
    for n in range(30):
        box.add(mail("帮助", sender=f"p{n}@corp.example", message_id=f"<b{n}@client.example>"))
    events: list[str] = []

    class Recording(MaildirDelivery):
        def send(self, message: email.message.EmailMessage, recipient: str, *, return_path: str | None = None) -> None:
            events.append(f"sent {recipient}")
            super().send(message, recipient)

    original = daemon_module.process

    def recording_process(app: App, raw: bytes, **kwargs: object):  # type: ignore[no-untyped-def]
        events.append("read")
        return original(app, raw, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(daemon_module, "process", recording_process)
    runner = Daemon(app, MaildirSource(inbox), lambda: Recording(tmp_path / "sent"), interval=1)
    runner.poll_and_deliver()
    first_sent = next(i for i, e in enumerate(events) if e.startswith("sent"))
    assert events.count("read") == 30 and len([e for e in events if e.startswith("sent")]) == 30
    assert first_sent <= 2, events[:5]  # answered after its own mail, not after the 30th


def test_a_failing_job_is_logged_and_the_daemon_goes_on(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mailbot import jobs

    def broken(*_args: object) -> dict[str, int]:
        raise RuntimeError("a poisoned action")

    poisoned = tuple(jobs.Job(j.name, broken, j.when) if j.name == "reminders" else j for j in jobs.JOBS)
    monkeypatch.setattr(jobs, "JOBS", poisoned)
    runner = Daemon(app, MaildirSource(tmp_path / "inbox"), lambda: MaildirDelivery(tmp_path / "sent"), interval=1)
    runner.deadlines()  # does not raise
    counts = daemon_module.run_deadlines(app)
    assert counts["reminders failed"] == 1
    assert "digests" in counts  # the jobs after it still ran


def test_an_unreadable_mail_still_has_its_sender_answered(app: App) -> None:
    raw = mail("帮助", sender="zhang.wei@corp.example").replace(b'charset="utf-8"', b'charset="utf-8\x00"')
    assert process(app, raw).outcome != "failed"
    with app.db.session() as session:
        record = session.scalar(select(InboundMail))
    assert record is not None and record.sender == "zhang.wei@corp.example"
    assert [r.to_address for r in outbox(app)] == ["zhang.wei@corp.example"]


def test_the_daemon_process_keeps_reading_and_delivering_after_a_poison_mail_and_a_poison_row(
    tmp_path: Path, database_url: str
) -> None:
    import signal
    import subprocess
    import sys

    from mailbot.cli import main
    from tests.test_daemon import wait_for

    home = tmp_path / "bot"
    assert main(["init", str(home)]) == 0
    config = home / "config.toml"
    config.write_text(config.read_text().replace('url = "sqlite:///mailbot.db"', f'url = "{database_url}"'))
    app = App.open(load_config(config), FixedClock(datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)))
    put(app, "help:poison-row", "a..b@corp.example")  # waiting in the outbox before the daemon starts
    app.db.dispose()
    (home / "inbox" / "new" / "1.M1.host").write_bytes(hostile_headers("nul-message-id"))
    (home / "inbox" / "new" / "2.M2.host").write_bytes(hostile_headers("long-from"))
    command = [sys.executable, "-m", "mailbot.cli", "--config", str(config), "--now", "2026-12-02T18:00",
               "run", "--interval", "0.2"]  # fmt: skip
    daemon = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sent = home / "sent" / "new"
    try:
        assert wait_for(lambda: len(list(sent.iterdir())) >= 1), "the poison mail's sender was not answered"
        time.sleep(0.2)
        good = mail("帮助", sender="李娜 <li.na@corp.example>", message_id="<later@client.example>", subject="问一下")
        (home / "inbox" / "new" / "3.M3.host").write_bytes(good)
        assert wait_for(lambda: any(b"li.na@corp.example" in p.read_bytes() for p in sent.iterdir()))
        assert daemon.poll() is None, "the daemon exited"
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=30)
    finally:
        if daemon.poll() is None:
            daemon.kill()
    assert daemon.returncode == 0, err
    assert list((home / "inbox" / "new").iterdir()) == []
    app = App.open(load_config(config), FixedClock(datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)))
    try:
        assert len(inbound(app)) == 3
        with app.db.session() as session:
            statuses = {r.key: r.status for r in session.scalars(select(OutboxMail))}
        assert statuses["help:poison-row"] == "failed"
        assert list(statuses.values()).count("sent") == 2  # the NUL mail's sender and 李娜
    finally:
        app.db.dispose()


@pytest.mark.parametrize(
    ("where", "text"),
    [("meeting", "会议时间：9999年12月31日 10:00-11:30"), ("due", "截止：0001-01-01"), ("due", "截止：2062-12-15")],
)
def test_a_date_years_away_is_a_quoted_problem_not_a_deadline(
    app: App, clock: FixedClock, where: str, text: str
) -> None:
    at(clock, "2026-12-02 18:00")
    if where == "meeting":
        body = draft(LINES[1]).replace("会议时间：2026年12月2日 10:00-11:30", text)
    else:
        body = draft(LINES[1].replace("截止：2026-12-18", text))
    assert process(app, mail(body)).outcome == "rejected"
    assert actions(app) == []
    (answer,) = outbox(app)
    assert "相差超过 5 年，请检查年份" in (answer.body_text or "")


# --- what a review of the first version found ----------------------------------------------------


def test_a_copy_with_a_gateway_banner_is_still_a_duplicate(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    body = draft(*LINES)
    assert process(app, mail(body, message_id="<draft@x.example>")).outcome == "processed"
    banner = process(app, mail("【外部邮件】请谨慎打开链接和附件。\n\n" + body, message_id="<draft@x.example>"))
    assert banner.outcome == "duplicate"
    assert len(outbox(app, "confirm_request")) == 3


def test_a_constraint_clash_is_tried_again_not_failed(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import IntegrityError

    from mailbot import pipeline

    real, calls = pipeline.handle, []

    def clashing_once(*args: object) -> object:
        calls.append(1)
        if len(calls) == 1:  # another daemon wrote the same person a moment ago
            raise IntegrityError("INSERT INTO people", {}, Exception("duplicate key"))
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "handle", clashing_once)
    result = process(app, mail("帮助", sender="zhang.wei@corp.example", subject="问一下"))
    assert result.outcome != "failed" and len(calls) == 2
    assert [r.kind for r in outbox(app)] == ["help"]


def test_run_once_reads_a_reply_before_the_deadline_it_beat(home: Path) -> None:
    from mailbot.cli import main

    config = ["--config", str(home / "config.toml")]
    mailbox.Maildir(str(home / "inbox"), create=True).close()
    (home / "inbox" / "new" / "1.a.host").write_bytes(minutes_mail(*LINES))
    assert main([*config, "--now", "2026-12-02T18:00", "run", "--once"]) == 0
    app = App.open(load_config(home / "config.toml"), FixedClock(datetime(2026, 12, 4, 23, 50, tzinfo=SHANGHAI)))
    try:
        (request,) = [r for r in outbox(app, "confirm_request") if r.to_address == "zhang.wei@corp.example"]
        objection = reply(app, request, "异议：预算口径未定")  # written 23:50, before the round closes
    finally:
        app.db.dispose()
    (home / "inbox" / "new" / "2.b.host").write_bytes(objection)
    assert main([*config, "--now", "2026-12-05T00:05", "run", "--once"]) == 0  # cron, after midnight
    app = App.open(load_config(home / "config.toml"), FixedClock(datetime(2026, 12, 5, 0, 5, tzinfo=SHANGHAI)))
    try:
        assert {a.owner_address: a.status for a in actions(app)}["zhang.wei@corp.example"] == "objected"
    finally:
        app.db.dispose()


def test_the_database_away_leaves_the_row_pending(app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    from mailbot import outbox as outbox_module

    put(app, "help:db-away", "zhang.wei@corp.example")

    def away(*_args: object) -> object:
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(outbox_module, "deliver_row", away)
    counts = flush(
        app.db, MaildirDelivery(tmp_path / "sent"), app.sender, app.renderer, app.clock, admin="it@corp.example"
    )
    assert counts == {"sent": 0, "retry": 0, "failed": 0}
    monkeypatch.undo()
    with app.db.session() as session:
        assert session.scalar(select(OutboxMail.status).where(OutboxMail.key == "help:db-away")) == "pending"


def test_an_auto_responder_numbering_its_tickets_gets_three_answers(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    partner(app, "buyer@partner.example")
    for n in range(10):
        process(app, mail(f"Ticket #{1000 + n} opened. We will answer soon.", subject="问一下",
                          message_id=f"<t{n}@desk.example>", sender="desk@partner.example"))  # fmt: skip
    assert len(outbox(app)) == 3


@pytest.mark.parametrize("sender", ["<a@corp_x.example>", "<b@-corp.example>"])
def test_a_sender_no_server_takes_gets_no_answer_and_the_admin_no_mail(app: App, tmp_path: Path, sender: str) -> None:
    process(app, mail("帮助", sender=sender, subject="问一下"))
    assert outbox(app) == []


def test_an_encoded_word_message_id_is_not_echoed_and_the_answer_goes_out(app: App, tmp_path: Path) -> None:
    process(app, mail("帮助", sender="zhang.wei@corp.example", subject="问一下",
                      message_id="<y=?utf-8?b?5byg5LiJ?=@client.example>"))  # fmt: skip
    counts = flush(app.db, MaildirDelivery(tmp_path / "sent"), app.sender, app.renderer, app.clock)
    assert counts["sent"] == 1 and counts["failed"] == 0


def test_a_unicode_domain_goes_out_as_punycode(app: App, tmp_path: Path) -> None:
    partner(app, "contact@例子.公司")
    put(app, "help:idn", "user@例子.公司")
    flush(app.db, MaildirDelivery(tmp_path / "sent"), app.sender, app.renderer, app.clock)
    (message,) = delivered(tmp_path / "sent")
    assert message["To"].addresses[0].domain == "xn--fsqu00a.xn--55qx5d"
    assert message["Delivered-To"] == "user@xn--fsqu00a.xn--55qx5d"


def test_an_html_table_over_the_line_limit_is_not_read(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    rows = "".join(
        f"<tr><td>{i}</td><td>任务{i}</td><td>user{i}@corp.example</td><td>2026-12-20</td></tr>" for i in range(4000)
    )

    def html(message: EmailMessage) -> None:
        message.add_alternative(f"<table><tr><td>序号</td><td>任务描述</td><td>负责人</td><td>完成时限</td></tr>{rows}</table>",
                                subtype="html")  # fmt: skip

    result = process(app, mail(draft() + "\n见下表", extra=html))
    assert (result.outcome, result.kind) == ("rejected", "too_big")


def test_a_long_outbox_key_stays_unique(app: App) -> None:
    long_a, long_b = "objections_open:M-1:" + "A-1," * 200 + "x", "objections_open:M-1:" + "A-1," * 200 + "y"
    put(app, long_a, "li.na@corp.example")
    put(app, long_b, "li.na@corp.example")
    with app.db.session() as session:
        keys = list(session.scalars(select(OutboxMail.key)))
    assert len(keys) == 2 and all(len(k) <= 500 for k in keys)
