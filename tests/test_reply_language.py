"""Answers in the language the person wrote in (not the language of the mail of ours they quote),
remembered for the next mail to them unless the directory says otherwise."""

from __future__ import annotations

from sqlalchemy import select

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.pipeline import process
from mailbot.store.models import Person
from tests.helpers import at, feed, outbox
from tests.replying import reply


def request_to(app: App, address: str):  # type: ignore[no-untyped-def]
    return next(m for m in outbox(app, "confirm_request") if m.to_address == address)


def test_an_english_reply_to_a_chinese_request_is_answered_in_english_and_remembered(
    app: App, clock: FixedClock
) -> None:
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    request = request_to(app, "zhang.wei@corp.example")
    assert request.language == "zh"  # the subject and the quote are Chinese
    at(clock, "2026-12-03 09:00")
    process(app, reply(app, request, "Confirm, thanks.\n\nWei Zhang", style="gmail_en"))
    answer = outbox(app)[-1]
    assert (answer.kind, answer.language) == ("reply_result", "en")
    assert "A-1" in (answer.body_text or "") and "已确认" not in (answer.body_text or "")
    with app.db.session() as session:
        person = session.scalar(select(Person).where(Person.address == "zhang.wei@corp.example"))
        assert person is not None and person.language == "en"


def test_a_chinese_reply_with_nothing_but_a_ref_keeps_the_language_of_our_mail(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-07 20:00")
    assert feed(app, "gmail_en_minutes_markdown.eml").outcome == "processed"
    request = outbox(app, "confirm_request")[0]
    assert request.language == "en"
    process(app, reply(app, request, "确认"))
    assert outbox(app)[-1].language == "zh"
    other = outbox(app, "confirm_request")[1]
    process(app, reply(app, other, "", style="gmail_en"))  # nothing written: our mail's language
    assert outbox(app)[-1].language == "en"


def test_the_directorys_language_wins(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    with app.db.transaction() as session:
        session.add(Person(address="zhang.wei@corp.example", name="张伟", language="zh", source="directory",
                           created_at=clock.now()))  # fmt: skip
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    process(app, reply(app, request_to(app, "zhang.wei@corp.example"), "Confirm", style="gmail_en"))
    assert outbox(app)[-1].language == "zh"


def test_one_english_command_word_is_answered_in_english_but_not_remembered(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    process(app, reply(app, request_to(app, "chen.zhe@corp.example"), "confirm", style="gmail_en"))
    assert outbox(app)[-1].language == "en"
    with app.db.session() as session:
        person = session.scalar(select(Person).where(Person.address == "chen.zhe@corp.example"))
        assert person is not None and person.language is None
