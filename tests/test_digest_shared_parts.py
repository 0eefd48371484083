"""The weekly mail stores each meeting's part once a week (issue 15, weekly mail): every reader's
outbox row names the part (outbox_parts) where its meeting stands, with what their view leaves out
(their own items, listed above), and the part is merged back when the mail is rendered — the mail
says, byte for byte, what the whole context said. Rows stored whole (before parts) still render;
parts go and stay with the rows that use them: one transaction, a savepoint rolled back, a mail
left unsent past the next week's run, a retry, a mail sent again."""

from __future__ import annotations

import email
import json
import mailbox
from datetime import timedelta
from email import policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.delivery.maildir import MaildirDelivery
from mailbot.notify import Notifier
from mailbot.outbox import (
    PART,
    WITHOUT,
    SharedPart,
    TemporaryDeliveryError,
    enqueue_many,
    flush,
    outbox_values,
    render_row,
    row_context,
)
from mailbot.store.db import dump_json
from mailbot.store.models import OutboxMail, OutboxPart
from mailbot.workflow.digest import build_digest, run_digest
from tests.test_digest_sections import MONDAY, at_day, one_of_each
from tests.test_outbox import FlakyDelivery

# Readers of the whole of M-1 in one_of_each: attendees who own nothing there, and owners.
ATTENDEE, OWNER, HOST, HEAD = (
    "liu.yang@corp.example",
    "sun.lei@corp.example",
    "li.na@corp.example",
    "rd.head@corp.example",
)


def decided(app: App, clock: FixedClock) -> None:
    one_of_each(app, clock)
    at_day(clock, MONDAY)
    assert run_digest(app, clock.now())["digests"] > 0


def rows(app: App) -> dict[str, OutboxMail]:
    """The weekly mails as stored (contexts not merged), by recipient."""
    with app.db.session() as session:
        found = list(session.scalars(select(OutboxMail).where(OutboxMail.kind == "digest").order_by(OutboxMail.id)))
        session.expunge_all()
    return {row.to_address: row for row in found}


def parts(app: App) -> dict[str, dict[str, Any]]:
    with app.db.session() as session:
        return {key: value for key, value in session.execute(select(OutboxPart.key, OutboxPart.value))}


def rendered(app: App, row: OutboxMail) -> tuple[str, str]:
    """The bodies delivery would send for `row` (read with a session of its own)."""
    with app.db.session() as session:
        found = session.get(OutboxMail, row.id)
        assert found is not None
        found.body_text = found.body_html = None
        render_row(found, app.renderer)
        return found.body_text or "", found.body_html or ""


def whole_context(app: App, row: OutboxMail) -> dict[str, Any]:
    """The reader's context as the outbox stored it before parts: the digest's own, through JSON,
    with what the notifier adds to every mail (taken from the stored row)."""
    with app.db.session() as session:
        context = build_digest(session, app, row.to_address, MONDAY)
    assert context is not None
    common = {
        k: row.context[k] for k in ("token", "bot_address", "bot_name", "docs_url", "my_page") if k in row.context
    }
    return json.loads(dump_json({**context, **common}))


def test_a_meetings_part_is_stored_once_for_all_its_readers(app: App, clock: FixedClock) -> None:
    decided(app, clock)
    mails = rows(app)
    stored = parts(app)
    placeholders = {to: row.context["meetings"] for to, row in mails.items()}
    assert all(len(held) == 1 and PART in held[0] for held in placeholders.values())
    whole = {to for to, (held,) in placeholders.items() if stored[held[PART]]["scope"] is None}
    assert {ATTENDEE, OWNER, HOST} <= whole and HEAD not in whole and len(whole) >= 5
    # One part for all of M-1's readers, one for the head's part of it: no row repeats a section.
    assert len({placeholders[to][0][PART] for to in whole}) == 1 and len(stored) == 2
    assert stored[placeholders[HEAD][0][PART]]["scope"] == ["研发部"]
    assert all("overdue" not in held[0] and "later" not in held[0] for held in placeholders.values())
    # An owner's view names what it leaves out (theirs, listed above) and how many: the rest is shared.
    assert placeholders[OWNER][0][WITHOUT] == {"objections": ["A-5"]} and placeholders[OWNER][0]["yours"] == 1
    assert placeholders[HOST][0][WITHOUT] == {"acceptance": ["A-6"]}  # hers to verify
    assert WITHOUT not in placeholders[ATTENDEE][0] and "yours" not in placeholders[ATTENDEE][0]
    # Smaller than one whole section a reader: the section is stored once.
    assert sum(len(dump_json(row.context)) for row in mails.values()) < len(dump_json(stored)) * len(whole)


def test_every_mail_renders_as_its_whole_context_would(app: App, clock: FixedClock) -> None:
    decided(app, clock)
    mails = rows(app)
    for to, row in mails.items():
        old = whole_context(app, row)
        with app.db.session() as session:
            assert row_context(row, session) == old, to
        assert rendered(app, row) == app.renderer.render_body("digest", row.language, old), to
        assert app.renderer.render_subject("digest", row.language, old) == row.subject, to
    # The owner's items are listed once, above, not again under M-1.
    text, _ = rendered(app, mails[OWNER])
    assert "（您的 1 项已列在上文，这里不再重复）" in text and text.count("A-5  ") == 1


def test_a_row_stored_whole_before_parts_still_goes_out(app: App, clock: FixedClock, tmp_path: Path) -> None:
    decided(app, clock)
    new = rows(app)[OWNER]
    with app.db.transaction() as session:
        copied = {c.key: getattr(new, c.key) for c in OutboxMail.__table__.columns if c.key != "id"}  # type: ignore[attr-defined]
        copied |= {"key": "digest:old-shape", "message_id": "old-shape@corp.example",
                   "context": whole_context(app, new)}  # fmt: skip
        session.add(OutboxMail(**copied))
    box = tmp_path / "sent"
    assert flush(app.db, MaildirDelivery(box), app.sender, app.renderer, app.clock)["failed"] == 0
    delivered = [email.message_from_bytes(m.as_bytes(), policy=policy.default) for m in mailbox.Maildir(str(box))]
    to_owner = [m for m in delivered if m["To"].addresses[0].addr_spec == OWNER and m["X-Mailbot-Kind"] == "digest"]
    assert len(to_owner) == 2
    old, fresh = (
        next(m for m in to_owner if (m["Message-ID"] == "<old-shape@corp.example>") is which) for which in (True, False)
    )
    for kind in ("plain", "html"):
        assert old.get_body((kind,)).get_content() == fresh.get_body((kind,)).get_content()  # type: ignore[union-attr]


def test_a_mail_left_unsent_goes_out_after_next_weeks_run_on_retry_and_sent_again(
    app: App, clock: FixedClock, tmp_path: Path
) -> None:
    decided(app, clock)
    with app.db.transaction() as session:  # the round's other mails went out long ago
        for row in session.scalars(select(OutboxMail).where(OutboxMail.kind != "digest")):
            row.status = "sent"
    expected = {to: rendered(app, row) for to, row in rows(app).items()}
    before = parts(app)
    # The bot is down all week; next Monday's run writes that week's parts beside the last.
    at_day(clock, MONDAY + timedelta(days=7))
    assert run_digest(app, clock.now())["digests"] > 0
    assert before.items() <= parts(app).items()
    # Last week's mails meet a busy server first: rendered, kept for the retry.
    with app.db.session() as session:
        last_week = session.scalars(select(OutboxMail.id).where(OutboxMail.key.like("digest:2026-W52:%"))).all()
    busy = FlakyDelivery([TemporaryDeliveryError("451 later")] * 100)
    assert flush(app.db, busy, app.sender, app.renderer, clock, limit=len(last_week))["retry"] == len(last_week)
    clock.advance(timedelta(minutes=3))
    box = tmp_path / "sent"
    assert flush(app.db, MaildirDelivery(box), app.sender, app.renderer, clock, limit=len(last_week))["sent"] == len(
        last_week
    )
    # Sent again by hand (pending, bodies cleared): rendered from the parts once more, the same.
    with app.db.transaction() as session:
        for row in session.scalars(select(OutboxMail).where(OutboxMail.id.in_(last_week))):
            row.status, row.body_text, row.body_html = "pending", None, None
    again = tmp_path / "again"
    assert flush(app.db, MaildirDelivery(again), app.sender, app.renderer, clock, limit=len(last_week))["sent"] == len(
        last_week
    )
    for folder in (box, again):
        for message in mailbox.Maildir(str(folder)):
            parsed = email.message_from_bytes(message.as_bytes(), policy=policy.default)
            to = parsed["To"].addresses[0].addr_spec
            text = parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            assert text.replace("\r\n", "\n").rstrip("\n") == expected[to][0].rstrip("\n"), to


def test_a_run_rolled_back_leaves_no_part(app: App, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    one_of_each(app, clock)
    at_day(clock, MONDAY)

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the run's last step fails")

    with monkeypatch.context() as patched:
        patched.setattr(Notifier, "event", fail)
        with pytest.raises(RuntimeError):
            run_digest(app, clock.now())
    assert rows(app) == {} and parts(app) == {}
    assert run_digest(app, clock.now())["digests"] > 0
    assert len(parts(app)) == 2


def test_a_part_written_in_a_savepoint_rolled_back_is_written_again(app: App, clock: FixedClock) -> None:
    one_of_each(app, clock)
    at_day(clock, MONDAY)
    with app.db.session() as session:
        contexts = {to: build_digest(session, app, to, MONDAY) for to in (ATTENDEE, HOST)}
    common = {"token": None, "bot_address": app.sender.address, "bot_name": app.sender.name, "docs_url": ""}

    def mail(to: str) -> dict[str, Any]:
        context = contexts[to]
        assert context is not None and isinstance(context["meetings"][0], SharedPart)
        return outbox_values(app.renderer, app.sender, key=f"digest:test:{to}", kind="digest", to_address=to,
                             to_name=None, language="zh", context={**context, **common}, now=clock.now())  # fmt: skip

    with app.db.transaction() as session:
        savepoint = session.begin_nested()
        assert enqueue_many(session, [mail(ATTENDEE)]) == {f"digest:test:{ATTENDEE}"}
        savepoint.rollback()
        # The same part object again: the savepoint took the first write with it.
        assert enqueue_many(session, [mail(HOST)]) == {f"digest:test:{HOST}"}
    (row,) = rows(app).values()
    assert row.to_address == HOST and len(parts(app)) == 1
    assert rendered(app, row)[0].count("A-1  ") == 1


def test_a_row_whose_part_is_gone_fails_alone(app: App, clock: FixedClock, tmp_path: Path) -> None:
    decided(app, clock)
    mails = rows(app)
    head_part = mails[HEAD].context["meetings"][0][PART]
    with app.db.transaction() as session:
        session.execute(delete(OutboxPart).where(OutboxPart.key != head_part))
    flush(app.db, MaildirDelivery(tmp_path / "sent"), app.sender, app.renderer, clock)
    with app.db.session() as session:
        digests = session.scalars(select(OutboxMail).where(OutboxMail.kind == "digest")).all()
        assert {row.to_address for row in digests if row.status == "sent"} == {HEAD}
        failed = [row for row in digests if row.status == "failed"]
        assert len(failed) == len(mails) - 1
        assert all("shared part" in (row.last_error or "") for row in failed)
        assert session.scalar(select(func.count()).select_from(OutboxPart)) == 1


def test_a_readers_view_is_the_part_less_their_rows() -> None:
    base = {"ref": "M-1", "later": [{"ref": "A-1"}, {"ref": "A-2"}, {"ref": "A-3"}], "done": [{"ref": "A-4"}],
            "yours": 0}  # fmt: skip
    view = SharedPart(base, without={"later": ["A-3", "A-1"], "done": []}, overrides={"yours": 2})
    assert view == {"ref": "M-1", "later": [{"ref": "A-2"}], "done": [{"ref": "A-4"}], "yours": 2}
    assert view.base is base and base["later"] == [{"ref": "A-1"}, {"ref": "A-2"}, {"ref": "A-3"}]
    assert view.placeholder("k") == {PART: "k", WITHOUT: {"later": ["A-1", "A-3"]}, "yours": 2}
    whole = SharedPart(base)
    assert whole == base and whole.base is whole and whole.placeholder("k") == {PART: "k"}
