"""The outbox: a decision is a row with a unique key; delivery writes real mail with safe headers."""

from __future__ import annotations

import email
import mailbox
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.delivery.maildir import MaildirDelivery
from mailbot.outbox import OUTGOING, PermanentDeliveryError, TemporaryDeliveryError, enqueue, flush
from mailbot.store.models import OutboxMail

HELP_CONTEXT = {"reason": None, "original_subject": "你好", "token": None, "bot_name": "Mailbot",
                "bot_address": "minutes@corp.example", "docs_url": ""}  # fmt: skip


def put(app: App, key: str, *, subject: str = "你好", to: str = "zhang.wei@corp.example", **extra: object) -> bool:
    with app.db.transaction() as session:
        return enqueue(
            session, app.renderer, app.sender, key=key, kind="help", to_address=to, to_name="张伟",
            language="zh", context={**HELP_CONTEXT, "original_subject": subject}, now=app.now(), **extra,  # type: ignore[arg-type]
        )  # fmt: skip


def test_the_same_key_twice_is_one_row(app: App) -> None:
    assert put(app, "help:1") is True
    assert put(app, "help:1") is False
    with app.db.session() as session:
        assert session.scalar(select(func.count(OutboxMail.id))) == 1


def test_many_mails_in_one_statement_write_only_the_new_keys(app: App) -> None:
    from mailbot.outbox import enqueue_many, outbox_values

    assert put(app, "help:2") is True
    rows = [
        outbox_values(
            app.renderer,
            app.sender,
            key=f"help:{n}",
            kind="help",
            to_address=f"p{n}@corp.example",
            to_name=None,
            language="zh",
            context={**HELP_CONTEXT, "original_subject": f"第{n}封"},
            now=app.now(),
        )
        for n in (1, 2, 3)
    ]
    with app.db.transaction() as session:
        assert enqueue_many(session, rows) == {"help:1", "help:3"}
    with app.db.transaction() as session:
        assert enqueue_many(session, rows) == set()
        assert enqueue_many(session, []) == set()
    with app.db.session() as session:
        keys = dict(session.execute(select(OutboxMail.key, OutboxMail.subject)).all())
    assert sorted(keys) == ["help:1", "help:2", "help:3"]
    assert "第3封" in keys["help:3"] and "你好" in keys["help:2"]  # the earlier row is untouched


def test_flush_writes_threaded_auto_submitted_mail_and_marks_it_sent(app: App, tmp_path: Path) -> None:
    put(app, "help:2", in_reply_to="orig@client.example", references=["a@x", "orig@client.example"],
        auto_submitted="auto-replied", reply_token="M3.abcdefghij")  # fmt: skip
    box = tmp_path / "sent"
    assert flush(app.db, MaildirDelivery(box), app.sender, app.renderer, app.clock) == {
        "sent": 1,
        "retry": 0,
        "failed": 0,
    }
    assert flush(app.db, MaildirDelivery(box), app.sender, app.renderer, app.clock)["sent"] == 0
    (only,) = list(mailbox.Maildir(str(box)))
    message = email.message_from_bytes(only.as_bytes(), policy=policy.default)
    assert message["To"] == "张伟 <zhang.wei@corp.example>"
    assert message["Delivered-To"] == "zhang.wei@corp.example"
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["In-Reply-To"] == "<orig@client.example>"
    assert message["References"] == "<a@x> <orig@client.example>"
    assert message["Reply-To"] == "Mailbot <minutes+M3.abcdefghij@corp.example>"
    assert message["Subject"].startswith("Re: 你好")
    # The hour in the organisation's zone, as its people's own mail says it (Asia/Shanghai).
    assert message["Date"].datetime == app.now() and message["Date"].endswith("+0800")
    assert message.get_body(("plain",)).get_content().startswith("—— 请在此线以上回复")
    assert message.get_body(("html",)) is not None
    with app.db.session() as session:
        row = session.scalar(select(OutboxMail))
        assert row is not None and row.status == "sent" and row.sent_at == app.now()
        assert message["Message-ID"] == f"<{row.message_id}>"


def test_a_subject_with_line_breaks_cannot_inject_headers(app: App, tmp_path: Path) -> None:
    put(app, "help:3", subject="hi\r\nBcc: victim@evil.example")
    flush(app.db, MaildirDelivery(tmp_path / "sent"), app.sender, app.renderer, app.clock)
    (only,) = list(mailbox.Maildir(str(tmp_path / "sent")))
    message = email.message_from_bytes(only.as_bytes(), policy=policy.default)
    assert message["Bcc"] is None
    assert "victim@evil.example" in message["Subject"]


@pytest.mark.parametrize(
    "subject",
    [
        "Re: [Weekly status] Week of Mon 21 Dec 2026: 3 meetings, 6 overdue — 处理结果",
        "【请确认】A-1 输出新品推广活动方案初稿 — 请于 2026年12月4日（周五） 前回复 [#A1.abcdefghij]",
        "Re: 回复：Q1 新品上市跨部门协作会 Budget review — 未执行",
        # Long and English: folded between words, never read back with a space in front.
        "[3 working days overdue] A-8 Final promotion budget sheet [#A8.iknfkhgmsm]",
    ],
)
def test_a_mixed_subject_keeps_every_space_as_mail_clients_decode_it(subject: str) -> None:
    """An English subject answered in Chinese ("… 6 overdue — 处理结果") arrived as "6 overdue  —处理结果":
    the standard folding put "—" and "处理结果" in two encoded words, whose space RFC 2047 readers drop."""
    message = EmailMessage(policy=OUTGOING)
    message["Subject"] = subject
    raw = message.as_bytes()
    assert str(email.message_from_bytes(raw, policy=policy.default)["Subject"]) == subject
    assert all(len(line) <= 78 for line in raw.decode("ascii").splitlines())


class FlakyDelivery:
    def __init__(self, errors: list[Exception | None]) -> None:
        self.errors = errors
        self.sent: list[str] = []

    def send(self, message: object, recipient: str, *, return_path: str | None = None) -> None:
        error = self.errors.pop(0)
        if error is not None:
            raise error
        self.sent.append(recipient)

    def close(self) -> None:
        pass


def test_temporary_failures_are_retried_with_backoff_and_permanent_ones_marked(app: App, clock: FixedClock) -> None:
    put(app, "help:4", to="a@corp.example")
    put(app, "help:5", to="b@corp.example")
    delivery = FlakyDelivery([TemporaryDeliveryError("451 try later"), PermanentDeliveryError("550 no such user")])
    assert flush(app.db, delivery, app.sender, app.renderer, clock) == {"sent": 0, "retry": 1, "failed": 1}
    delivery.errors = [None]
    assert flush(app.db, delivery, app.sender, app.renderer, clock)["sent"] == 0  # not due yet: backoff
    clock.advance(timedelta(minutes=3))
    assert flush(app.db, delivery, app.sender, app.renderer, clock)["sent"] == 1
    assert delivery.sent == ["a@corp.example"]
    with app.db.session() as session:
        failed = session.scalar(select(OutboxMail).where(OutboxMail.to_address == "b@corp.example"))
        assert failed is not None and failed.status == "failed" and failed.last_error == "550 no such user"


def test_a_permanent_failure_is_reported_to_the_admin_once(app: App, clock: FixedClock) -> None:
    put(app, "help:6", to="nobody@corp.example")
    delivery = FlakyDelivery([PermanentDeliveryError("550 5.1.1 no such user"), None])
    counts = flush(app.db, delivery, app.sender, app.renderer, clock, admin="it@corp.example")
    assert counts == {"sent": 0, "retry": 0, "failed": 1}
    with app.db.session() as session:
        report = session.scalar(select(OutboxMail).where(OutboxMail.kind == "delivery_failed"))
        assert report is not None and report.to_address == "it@corp.example"
        assert report.subject == "【投递失败】发给 nobody@corp.example 的邮件无法送达"
    assert flush(app.db, delivery, app.sender, app.renderer, clock, admin="it@corp.example")["sent"] == 1
    assert delivery.sent == ["it@corp.example"]


def test_every_subject_is_what_its_stored_context_renders(app: App, clock: FixedClock) -> None:
    """Subjects are rendered from the context in hand, bodies later from the stored JSON (dates as
    ISO text): across a whole round — acknowledgements, requests, notices, answers, silent consent,
    final minutes, reminders, escalations, the digest — both forms must say the same."""
    from datetime import date, datetime

    from mailbot.daemon import run_deadlines
    from mailbot.workflow.digest import run_digest
    from tests.helpers import SHANGHAI, at, feed, outbox
    from tests.replying import reply

    at(clock, "2026-11-30 09:20")
    feed(app, "foxmail_zh_agenda_gbk.eml")
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    at(clock, "2026-12-03 10:00")
    request = next(m for m in outbox(app, "confirm_request") if m.to_address == "chen.zhe@corp.example")
    from mailbot.pipeline import process

    process(app, reply(app, request, "异议：排期已满"))
    day = date(2026, 12, 4)
    while day <= date(2026, 12, 31):
        clock.set(datetime(day.year, day.month, day.day, 9, 30, tzinfo=SHANGHAI))
        run_deadlines(app)
        run_digest(app, clock.now())
        day += timedelta(days=1)
    rows = outbox(app)
    kinds = {row.kind for row in rows}
    assert {"agenda_ack", "confirm_request", "minutes_notice", "reply_result", "objections_open", "reminder",
            "escalation", "digest"} <= kinds  # fmt: skip
    for row in rows:
        assert app.renderer.render_subject(row.kind, row.language, row.context) == row.subject, row.key
