"""The one path every mail takes: recorded once, machines never answered, failures kept and told."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.pipeline import process
from mailbot.sources.maildir import MaildirSource
from mailbot.store.models import Person
from tests.helpers import MAILS, actions, at, feed, inbound, meetings, outbox


def plain_mail(
    app: App, subject: str, body: str, *, sender: str = "zhang.wei@corp.example", name: str = "张伟", **headers: str
) -> bytes:
    message = EmailMessage()
    message["From"] = f"{name} <{sender}>"
    message["To"] = app.sender.address
    message["Subject"] = subject
    message["Date"] = format_datetime(app.now())
    message["Message-ID"] = f"<{abs(hash((subject, body, sender, tuple(headers.items()))))}@client.example>"
    for key, value in headers.items():
        message[key.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def test_the_same_mail_twice_is_processed_once(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    first = feed(app, "outlook_zh_minutes_gbk_html.eml")
    again = feed(app, "outlook_zh_minutes_gbk_html.eml")
    assert (first.outcome, again.outcome) == ("processed", "duplicate")
    assert again.inbound_id == first.inbound_id
    assert len(actions(app)) == 4
    assert len(inbound(app)) == 1
    # Same Message-ID and sender, different bytes (delivered again with another Received line).
    raw = (MAILS / "outlook_zh_minutes_gbk_html.eml").read_bytes()
    third = process(app, b"Received: from relay2.corp.example\r\n" + raw)
    assert third.outcome == "duplicate"
    assert len(actions(app)) == 4
    assert [r.outcome for r in inbound(app)] == ["processed", "duplicate"]


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("outlook_zh_autoreply.eml", "Auto-Submitted: auto-replied"),
        ("postfix_dsn_bounce.eml", "bounce of a mail we did not send"),
    ],
)
def test_machine_mail_is_recorded_and_never_answered(app: App, fixture: str, reason: str) -> None:
    result = feed(app, fixture)
    assert result.outcome == "ignored"
    assert reason in (result.error or "")
    assert outbox(app) == []
    (record,) = inbound(app)
    assert record.raw == (MAILS / fixture).read_bytes()


def test_mail_from_the_bot_itself_or_a_list_is_never_answered(app: App) -> None:
    own = plain_mail(app, "hello", "help", sender="minutes@corp.example", name="Mailbot")
    listed = plain_mail(app, "weekly", "help", sender="news@corp.example", List_Id="<news.corp.example>")
    bulk = plain_mail(app, "offer", "help", sender="ads@corp.example", Precedence="bulk")
    assert [process(app, raw).outcome for raw in (own, listed, bulk)] == ["ignored"] * 3
    assert outbox(app) == []


def test_an_unknown_mail_gets_help_at_most_three_times_an_hour(app: App, clock: FixedClock) -> None:
    for n in range(5):
        process(app, plain_mail(app, f"question {n}", "你好，这个怎么用？"))
    helps = outbox(app, "help")
    assert len(helps) == 3
    assert "这封邮件我没有看懂，已记录但没有处理" in helps[0].body_text
    assert [r.outcome for r in inbound(app)] == ["answered"] * 3 + ["ignored"] * 2
    clock.advance(timedelta(minutes=61))
    process(app, plain_mail(app, "question again", "你好？"))
    assert len(outbox(app, "help")) == 4


def test_status_lists_the_senders_open_actions(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    at(clock, "2026-12-12 09:00")
    result = process(app, plain_mail(app, "状态", "我的任务"))
    assert (result.kind, result.outcome) == ("command", "answered")
    (answer,) = outbox(app, "status")
    assert answer.to_address == "zhang.wei@corp.example"
    assert "A-1  输出新品推广活动方案初稿" in answer.body_text
    assert "A-2" not in answer.body_text  # 陈喆's, not the sender's
    assert "待确认" in answer.body_text


def test_a_reply_all_to_the_recorders_minutes_is_not_a_new_draft(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    quoted = (MAILS / "qq_zh_minutes_utf8_lines.eml").read_bytes().decode("ascii", "replace")
    reply = plain_mail(app, "回复：【纪要】Q1 新品上市跨部门协作会（2026-12-02）", "收到，谢谢。\n\n> " + quoted[:200])
    result = process(app, reply)
    assert result.kind != "minutes"
    assert len(meetings(app)) == 1 and len(actions(app)) == 4


def test_a_corrected_draft_sent_in_reply_to_the_rejection_supersedes_it(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-08 18:00")
    feed(app, "minutes_with_problems_zh.eml")
    (rejection,) = outbox(app, "minutes_rejected")
    corrected = """各位好，已按要求修改：

会议名称：12月营销活动复盘会
会议日期：2026-12-08
主持人：市场部 李娜 <li.na@corp.example>

三、行动项
- 整理活动数据复盘报告；负责人：市场部 张伟 <zhang.wei@corp.example>；截止：2026-12-15；交付：复盘报告
- 补充渠道反馈意见；负责人：销售部 赵敏 <zhao.min@corp.example>；截止：12月20日

王芳
"""
    quote = "\n".join("> " + line for line in rejection.body_text.splitlines())
    reply = plain_mail(
        app, "回复：" + rejection.subject, corrected + "\n" + quote, sender="wang.fang@corp.example", name="王芳",
        In_Reply_To=f"<{rejection.message_id}>",
    )  # fmt: skip
    result = process(app, reply)
    assert (result.kind, result.outcome) == ("minutes", "processed"), result.error
    (meeting,) = meetings(app)
    assert meeting.status == "in_review"
    # Only what she wrote: none of the example actions quoted from our answer.
    assert [(a.description, a.owner_address) for a in actions(app)] == [
        ("整理活动数据复盘报告", "zhang.wei@corp.example"),
        ("补充渠道反馈意见", "zhao.min@corp.example"),
    ]
    (ack,) = outbox(app, "minutes_ack")
    assert "纪要第 2 版已收到" in ack.subject


def test_a_resend_of_the_same_minutes_keeps_the_refs_people_have_seen(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    raw = (MAILS / "outlook_zh_minutes_gbk_html.eml").read_bytes()
    # The recorder changes one due date and sends the draft again as a new mail.
    resend = raw.replace(b"<001101db64a8$3c5e9f40$b51bddc0$@corp.example>", b"<resend-1@corp.example>")
    resend = resend.replace(b"2026-12-31", b"2026-12-30")
    assert process(app, resend).outcome == "processed"
    stored = actions(app)
    assert [a.ref for a in stored] == ["A-1", "A-2", "A-3", "A-4"]
    assert stored[3].due.isoformat() == "2026-12-30"
    assert len(outbox(app, "minutes_ack")) == 2
    # A fresh request for the new version: the owners must see the changed date.
    assert len(outbox(app, "confirm_request")) == 8


def test_a_crash_inside_a_handler_keeps_the_mail_and_tells_the_sender(
    app: App, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("mailbot.pipeline.handle_minutes", explode)
    at(clock, "2026-12-02 18:00")
    result = feed(app, "outlook_zh_minutes_gbk_html.eml")
    assert result.outcome == "failed"
    assert actions(app) == [] and meetings(app) == []  # nothing half-done
    (record,) = inbound(app)
    assert record.outcome == "failed" and record.error == "RuntimeError: disk on fire"
    assert record.raw == (MAILS / "outlook_zh_minutes_gbk_html.eml").read_bytes()
    (answer,) = outbox(app)
    assert answer.kind == "processing_error" and answer.to_address == "wang.fang@corp.example"
    # The exception stays in the record for the admin; the person is not shown a stack of words.
    assert "disk on fire" not in (answer.body_text or "") + (answer.body_html or "")
    # The next mail goes through as usual.
    monkeypatch.undo()
    assert feed(app, "foxmail_zh_agenda_gbk.eml").outcome == "processed"


def test_an_english_meeting_is_answered_in_english(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-07 20:00")
    result = feed(app, "gmail_en_minutes_markdown.eml")
    assert result.outcome == "processed", result.error
    assert {m.language for m in outbox(app)} == {"en"}
    request = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhou.ting@corp.example")
    assert request.subject.startswith("[Please confirm] Q1 Launch Budget Review")
    assert "no reply by then counts as consent" in request.body_text


def test_only_allowed_senders_may_send_minutes(home, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    from mailbot.config import load_config

    path = home / "config.toml"
    text = path.read_text()
    assert 'allowed_senders = ["*@corp.example"]' in text  # `mailbot init`: the bot's own domain
    path.write_text(text.replace('allowed_senders = ["*@corp.example"]', 'allowed_senders = ["*@other.example"]'))
    app = App.open(load_config(path), clock)
    at(clock, "2026-12-02 18:00")
    result = feed(app, "outlook_zh_minutes_gbk_html.eml")
    assert result.outcome == "rejected"
    assert actions(app) == []
    (answer,) = outbox(app)
    assert "不在允许发送议程和纪要的名单中" in answer.body_text
    app.db.dispose()


def test_a_mail_over_the_size_limit_is_kept_refused_and_answered(home, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    from mailbot.config import load_config

    path = home / "config.toml"
    path.write_text(
        path.read_text().replace(
            'kind = "maildir"\n\n[source.maildir]', 'kind = "maildir"\nmax_message_bytes = 20\n\n[source.maildir]', 1
        )
    )
    app = App.open(load_config(path), clock)
    at(clock, "2026-12-02 18:00")
    result = feed(app, "outlook_zh_minutes_gbk_html.eml")  # 36 KB
    assert (result.kind, result.outcome) == ("too_big", "rejected")
    assert actions(app) == []
    (answer,) = outbox(app)
    assert answer.kind == "too_big" and answer.to_address == "wang.fang@corp.example"
    assert "这封邮件超过了 0.0 MB 的上限，已保存但没有处理" in answer.body_text
    (record,) = inbound(app)
    assert record.raw == (MAILS / "outlook_zh_minutes_gbk_html.eml").read_bytes()
    app.db.dispose()


def test_a_crash_on_a_machines_mail_is_recorded_but_never_answered(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mailbot.pipeline.route", lambda ctx: 1 / 0)
    result = feed(app, "postfix_dsn_bounce.eml")
    assert result.outcome == "failed"
    assert outbox(app) == []


def test_two_workers_racing_on_one_mail_record_it_once(app: App, clock: FixedClock) -> None:
    """Two daemons fetched the same mail; the second one's insert hits the unique hash after the
    first committed, and it reports a duplicate instead of failing or answering twice."""
    import threading

    at(clock, "2026-12-02 18:00")
    raw = (MAILS / "outlook_zh_minutes_gbk_html.eml").read_bytes()
    results: list[str] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        barrier.wait()
        results.append(process(app, raw, source_key="imap:INBOX:1:7").outcome)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["duplicate", "processed"]
    assert len(inbound(app)) == 1 and len(actions(app)) == 4
    assert len(outbox(app, "minutes_ack")) == 1


def test_by_default_only_the_bots_own_domain_may_send_drafts(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    raw = (MAILS / "outlook_zh_minutes_gbk_html.eml").read_bytes()
    outsider = raw.replace(
        b"From: =?gb2312?B?zfW3vA==?= <wang.fang@corp.example>", b"From: Mallory <mallory@outsider.example>"
    )
    assert outsider != raw
    assert process(app, outsider).outcome == "rejected"
    assert actions(app) == []
    # Nor is she written to, not even to say no: outsider.example is no allowed recipient domain.
    assert outbox(app) == []
    # Where her company is one the bot may write to (someone of it in the directory), she is told why.
    with app.db.transaction() as session:
        session.add(Person(address="desk@outsider.example", source="directory", created_at=app.now()))
    assert process(app, outsider.replace(b"Message-ID: <", b"Message-ID: <again.")).outcome == "rejected"
    (answer,) = outbox(app)
    assert answer.to_address == "mallory@outsider.example" and "不在允许发送议程和纪要的名单中" in (
        answer.body_text or ""
    )


def test_two_mails_dropped_by_hand_under_one_file_name_are_both_handled_and_kept(app: App, tmp_path: Path) -> None:
    """A person trying the embedded default copies "reply.eml" into inbox/new twice with different
    mails: the second was taken for the first one again, reported a duplicate and lost (its rename
    into cur/ replaced the first). Both are mails of their own; the same file again is still not."""
    inbox = tmp_path / "inbox"
    source = MaildirSource(inbox)
    first, second = (
        (MAILS / "outlook_zh_minutes_gbk_html.eml").read_bytes(),
        (MAILS / "gmail_en_minutes_markdown.eml").read_bytes(),
    )

    def drop_and_run(raw: bytes) -> list[str]:
        (inbox / "new" / "reply.eml").write_bytes(raw)
        outcomes = []
        for fetched in source.fetch_new():
            result = process(app, fetched.raw, source_key=fetched.key)
            source.mark_done(fetched.key, result.status)
            outcomes.append(result.outcome)
        return outcomes

    assert drop_and_run(first) == ["processed"]
    assert drop_and_run(second) == ["processed"]
    assert drop_and_run(second) == ["duplicate"]
    kept = [p.read_bytes() for p in (inbox / "cur").iterdir()]
    assert sorted(kept) == sorted([first, second])  # the same file again lands on its own copy
    assert len(meetings(app)) == 2
