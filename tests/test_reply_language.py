"""Answers in the language the person wrote in (not the language of the mail of ours they quote),
remembered for the next mail to them unless the directory says otherwise."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy
from sqlalchemy import select

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.directory import import_people
from mailbot.pipeline import process
from mailbot.store.db import make_engine, upgrade
from mailbot.store.models import Person
from mailbot.workflow.consent import run_consent_deadlines
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


def test_a_directory_person_without_a_language_has_the_one_they_write_in_remembered(
    app: App, clock: FixedClock, tmp_path: Path
) -> None:
    """The directory lists 张伟 without a language (most CSVs have no such column): what he writes in
    is remembered for the mails the bot sends him on its own, and a later import without a
    language keeps it; only the directory's own word overrides it."""
    at(clock, "2026-12-02 18:00")
    people = tmp_path / "people.csv"
    people.write_text("name,address,department\n张伟,zhang.wei@corp.example,市场部\n", encoding="utf-8")
    with app.db.transaction() as session:
        import_people(session, people, clock.now())
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    at(clock, "2026-12-03 09:00")
    process(
        app, reply(app, request_to(app, "zhang.wei@corp.example"), "Confirm, thanks.\n\nWei Zhang", style="gmail_en")
    )
    assert outbox(app)[-1].language == "en"

    def language() -> tuple[str | None, str | None]:
        with app.db.session() as session:
            person = session.scalar(select(Person).where(Person.address == "zhang.wei@corp.example"))
            assert person is not None
            return person.language, person.language_source

    assert language() == ("en", "mail")
    with app.db.transaction() as session:
        import_people(session, people, clock.now())  # the same directory again: what he writes stays
    assert language() == ("en", "mail")
    people.write_text("name,address,language\n张伟,zhang.wei@corp.example,zh\n", encoding="utf-8")
    with app.db.transaction() as session:
        import_people(session, people, clock.now())
    assert language() == ("zh", "directory")
    process(
        app, reply(app, request_to(app, "zhang.wei@corp.example"), "Noted, I will send the budget sheet by Friday.")
    )
    assert outbox(app)[-1].language == "zh" and language() == ("zh", "directory")
    people.write_text("name,address\n张伟,zhang.wei@corp.example\n", encoding="utf-8")
    with app.db.transaction() as session:
        import_people(session, people, clock.now())  # the directory no longer says: learnt again
    assert language() == (None, None)


def test_the_migration_reads_whose_word_each_stored_language_was(database_url: str) -> None:
    """Before 0009 only the directory set a directory person's language, and only mail anyone
    else's: the rows say which, so a directory person's word still wins after the upgrade and a
    learnt one is still learnt."""
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0008")
        rows = [("a@corp.example", "directory", "en"), ("b@corp.example", "directory", None),
                ("c@corp.example", "headers", "en"), ("d@corp.example", "headers", None)]  # fmt: skip
        with engine.begin() as c:
            for address, source, language in rows:
                c.execute(
                    sqlalchemy.text(
                        "INSERT INTO people (address, language, source, bouncing, created_at)"
                        " VALUES (:address, :language, :source, false, '2026-12-02 10:00:00')"
                    ),
                    {"address": address, "language": language, "source": source},
                )
        upgrade(engine)
        with engine.connect() as c:
            found = c.execute(sqlalchemy.text("SELECT address, language_source FROM people ORDER BY address")).all()
        assert [tuple(r) for r in found] == [
            ("a@corp.example", "directory"), ("b@corp.example", None), ("c@corp.example", "mail"),
            ("d@corp.example", None),
        ]  # fmt: skip
    finally:
        engine.dispose()


def test_a_draft_written_in_english_does_not_turn_its_writers_language(app: App, clock: FixedClock) -> None:
    """李娜 reads Chinese (she wrote so); she records one English meeting for a foreign partner.
    Its acknowledgement is English, like the draft, but the mails of her Chinese meeting stay
    Chinese: a draft is written in the meeting's language for its audience, not in hers
    (hand trial 21, item 5: she got "[Minutes · final] 12月营销活动复盘会")."""
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")  # she hosts M-1
    notice = next(m for m in outbox(app, "minutes_notice") if m.to_address == "li.na@corp.example")
    at(clock, "2026-12-03 09:00")
    process(app, reply(app, notice, "纪要我看过了，决议第一条没有问题，请大家按时推进。"))
    with app.db.session() as session:
        assert session.scalar(select(Person.language).where(Person.address == "li.na@corp.example")) == "zh"
    at(clock, "2026-12-07 20:00")
    assert feed(app, "gmail_en_minutes_markdown.eml").outcome == "processed"
    (ack,) = outbox(app, "minutes_ack")[-1:]
    assert (ack.to_address, ack.language) == ("li.na@corp.example", "en")
    with app.db.session() as session:
        assert session.scalar(select(Person.language).where(Person.address == "li.na@corp.example")) == "zh"
    run_consent_deadlines(app, app.now())
    finals = [m for m in outbox(app, "final_minutes") if m.to_address == "li.na@corp.example"]
    assert finals and all(m.language == "zh" for m in finals if "协作会" in m.subject), [
        (m.subject, m.language) for m in finals
    ]
