"""Ingest writes in bulk: a new minutes draft is a handful of statements (one INSERT per table for
its actions, its mails and its events), rows written by `insert_objects` are the session's own
objects, contexts serialised together are the text each would be alone, and the people and
web-link generations a batch of mails needs are read in one query each."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.config import default_config_text, load_config
from mailbot.notify import Notifier
from mailbot.pipeline import process
from mailbot.store.db import dump_json, dump_json_many, insert_objects
from mailbot.store.models import ActionItem, Event, InboundMail, Meeting, OutboxMail, Person
from tests.helpers import actions, outbox

OWNERS = [f"owner{n}@corp.example" for n in range(4)]


def draft(n: int) -> bytes:
    """A minutes draft as the bench makes them: a new meeting, six actions, four owners."""
    rows = "\r\n".join(
        f"{i}\tTask {i} of meeting {n}\t{OWNERS[i % 4]}\tFinance\t2027-01-{10 + i:02d}\tSheet" for i in range(1, 7)
    )
    return (
        "From: Wang Fang <wang.fang@corp.example>\r\nTo: minutes@corp.example\r\n"
        f"Subject: [Minutes] Budget review {n}\r\nDate: Wed, 2 Dec 2026 17:32:10 +0800\r\n"
        f"Message-ID: <ingest-{n}@corp.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Meeting: Budget review {n}\r\nDate: 2026-12-02\r\nHost: Li Na <li.na@corp.example>\r\n\r\n"
        f"Action items:\r\nNo.\tAction\tOwner\tSupport\tDue\tDeliverable\r\n{rows}\r\n"
    ).encode()


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL sent in the block, one entry per statement (an executemany counts once)."""
    sent: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(" ".join(statement.split()[:3]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_new_draft_writes_each_table_in_one_statement(app: App, clock: FixedClock) -> None:
    assert process(app, draft(1)).outcome == "processed"  # the people are known from here on
    with statements(app.db.engine) as sent:
        assert process(app, draft(2)).outcome == "processed"
    counts = Counter(sent)
    # The acknowledgement and every party's mail; every new action; every event: one INSERT each.
    assert counts["INSERT INTO outbox"] == 1
    assert counts["INSERT INTO action_items"] == 1
    assert counts["INSERT INTO events"] == 1
    # Nothing the handler wrote is read back, and no row is written twice but the mail's record
    # (its outcome, once known).
    assert counts["UPDATE inbound_mails SET"] == 1
    assert not [s for s in sent if s.startswith(("SELECT action_items", "SELECT outbox", "SELECT minutes_versions"))]
    assert len(sent) <= 14, sent

    mine = [a for a in actions(app) if a.description.endswith("of meeting 2")]
    assert [a.description for a in mine] == [f"Task {i} of meeting 2" for i in range(1, 7)]
    requests = [m for m in outbox(app, "confirm_request") if m.meeting_id == mine[0].meeting_id]
    assert sorted(m.to_address for m in requests) == sorted(OWNERS)
    for request in requests:
        refs = [a["ref"] for a in request.context["mine"]]
        assert refs == [a.ref for a in mine if a.owner_address == request.to_address]


def test_insert_objects_hands_back_the_rows_in_order_as_the_sessions_own(app: App) -> None:
    now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    rows = [
        {"content_hash": f"{n:064x}", "received_at": now, "raw": b"x", "kind": "unknown", "outcome": "failed"}
        for n in (5, 3, 9, 1)
    ]
    with app.db.transaction() as session:
        made = insert_objects(session, InboundMail, rows)
        assert [m.content_hash for m in made] == [r["content_hash"] for r in rows]
        stored = {
            content_hash: id_ for content_hash, id_ in session.execute(select(InboundMail.content_hash, InboundMail.id))
        }
        assert [m.id for m in made] == [stored[r["content_hash"]] for r in rows]
        # As loaded: nothing for a flush to write, defaults and NULLs filled in, found by its key.
        assert not session.new and not session.dirty
        assert made[0].subject == "" and made[0].error is None and made[0].meeting_id is None
        assert session.get(InboundMail, made[2].id) is made[2]
        made[1].outcome = "processed"
        session.flush()
    with app.db.transaction() as session:
        assert session.scalar(select(InboundMail.outcome).where(InboundMail.id == made[1].id)) == "processed"


def test_insert_objects_refuses_a_column_whose_default_it_cannot_hold(app: App) -> None:
    now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    meeting = {"title": "t", "match_key": "k", "status": "scheduled", "meeting_date": date(2026, 12, 2)}
    with app.db.transaction() as session, pytest.raises(ValueError, match="callable default"):
        insert_objects(session, Meeting, [{**meeting, "created_at": now, "updated_at": now}])


def test_contexts_serialised_together_read_as_each_alone() -> None:
    shared_actions = [{"ref": "A-1", "due": date(2027, 1, 11), "owner": "李娜", "notes": 'say "hi"\n'}]
    meeting = {"ref": "M-1", "date": date(2026, 12, 2), "names": {"a@corp.example": "王芳"}}
    contexts = [
        {"meeting": meeting, "mine": shared_actions, "actions": shared_actions, "token": "t1", "changes": None},
        {"meeting": meeting, "actions": shared_actions, "empty": [], "when": datetime(2026, 12, 2, tzinfo=UTC)},
        {"meeting": {**meeting}, "n": 3},  # an equal copy, not the same object: serialised on its own
        {},
    ]
    texts = dump_json_many(contexts)
    assert texts == [dump_json(c) for c in contexts]
    assert json.loads(texts[0])["mine"] == json.loads(texts[0])["actions"]
    assert dump_json(texts[0]) == texts[0]  # stored as it is, not as a JSON string


def test_know_finds_people_whatever_the_case_in_one_query(app: App) -> None:
    with app.db.transaction() as session:
        session.add(Person(address="li.na@corp.example", name="李娜", created_at=app.now()))
    with app.db.transaction() as session:
        notifier = Notifier(app=app, session=session, now=app.now())
        with statements(app.db.engine) as sent:
            notifier.know(["Li.Na@corp.example", "nobody@corp.example", ""])
            found = notifier.person("Li.Na@corp.example")
            assert notifier.person("nobody@corp.example") is None
        assert found is not None and found.name == "李娜"
        assert len(sent) == 1


def web_app(tmp_path: Path, database_url: str, clock: FixedClock) -> App:
    text = default_config_text("minutes@corp.example").replace(
        'url = "sqlite:///mailbot.db"', f'url = "{database_url}"'
    )
    head, web = text.split("[web]\n", 1)
    web = web.replace("enabled = false", "enabled = true", 1)
    web = web.replace('base_url = ""', 'base_url = "https://minutes.corp.example"', 1)
    (tmp_path / "config.toml").write_text(f"{head}[web]\n{web}", encoding="utf-8")
    return App.open(load_config(tmp_path / "config.toml"), clock)


def test_the_links_of_a_batch_name_each_readers_generation(
    tmp_path: Path, database_url: str, clock: FixedClock
) -> None:
    from mailbot.web.links import revoke, web_link

    app = web_app(tmp_path, database_url, clock)
    try:
        with app.db.transaction() as session:
            revoke(session, "owner1@corp.example", app.now())
        readers = ["owner0@corp.example", "Owner1@corp.example"]
        with app.db.transaction() as session:
            notifier = Notifier(app=app, session=session, now=app.now())
            with statements(app.db.engine) as sent:
                notifier.know(readers)
                links = [notifier.common(reader)["my_page"] for reader in readers]
            assert len(sent) == 2  # the people, and their generations: not one query a mail
            assert links == [web_link(app, reader, "person", session=session) for reader in readers]
    finally:
        app.db.dispose()


def test_a_draft_delivered_twice_is_recorded_once_in_one_transaction(app: App) -> None:
    first = process(app, draft(7), source_key="maildir:7")
    with statements(app.db.engine) as sent:
        again = process(app, draft(7), source_key="maildir:7")
    assert (again.outcome, again.inbound_id) == ("duplicate", first.inbound_id)
    assert [s for s in sent if not s.startswith("SELECT")] == []
    with app.db.transaction() as session:
        assert session.scalar(select(func.count(InboundMail.id))) == 1
        assert session.scalar(select(func.count(ActionItem.id))) == 6
        assert session.scalar(select(func.count(OutboxMail.id))) == 6  # the answer and 5 parties
        assert session.scalar(select(func.count(Event.id))) > 0
