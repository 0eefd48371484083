"""Files built when a mail is sent, from what its row stored at decision time (issue 15, "Speed"):
the .ics of an owner's actions and the meeting's invitation are decided with the mail — the row
keeps a recipe (the builder, its arguments, references into the mail's context) — and built by
`build_message`, as the bodies are rendered at send time. The file that goes out is, byte for
byte, the one the decision would have built: DTSTAMP is the decision's time, not the sending's.
Rows stored before recipes (base64 bytes) still go out as they are. Handling a mail loads no
icalendar. And the audit events a mail decides are written together, within its transaction."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.handlers import agenda
from mailbot.notify import Notifier
from mailbot.outbox import DeferredFile, OutgoingFile, attachment_bytes, build_message, enqueue
from mailbot.store.db import insert_later
from mailbot.store.models import Event, OutboxMail
from tests.helpers import at, feed, outbox
from tests.test_calendar_files import rfc5545
from tests.test_startup_imports import loaded_after


def files(app: App, row: OutboxMail) -> list[tuple[str | None, str, str | None, bytes]]:
    """What the mail carries: (filename, content type, its method parameter, bytes)."""
    message = build_message(row, app.sender, app.now())
    return [
        (part.get_filename(), part.get_content_type(), part.get_param("method"), part.get_payload(decode=True))
        for part in message.iter_attachments()
    ]


def capture(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[DeferredFile]:
    """Every DeferredFile `owner.name` decides, its bytes built at once as well (`.data`)."""
    decided: list[DeferredFile] = []
    original: Callable[..., DeferredFile] = getattr(owner, name)

    def deciding(*args: Any, **kwargs: Any) -> DeferredFile:
        file = original(*args, **kwargs)
        decided.append(file)
        return file

    monkeypatch.setattr(owner, name, deciding)
    return decided


def test_an_owners_actions_go_out_as_the_decision_built_them(
    app: App, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    decided = capture(monkeypatch, Notifier, "todo_file")
    at(clock, "2026-12-02 18:00")
    assert feed(app, "outlook_zh_minutes_gbk_html.eml").outcome == "processed"
    # The bytes as the decision builds them, while its transaction is long over: the same views.
    by_owner = {file.args["actions"][0]["owner"]: file.data for file in decided}
    requests = outbox(app, "confirm_request")
    assert len(requests) == len(by_owner) > 1

    at(clock, "2026-12-03 09:30")  # sent the next morning: the files still say the decision's time
    for request in requests:
        (stored,) = request.attachments
        assert "data" not in stored and stored["recipe"]["build"] == "action_todos"
        # The owner's actions and the meeting are the context's own: stored once, not twice.
        assert stored["recipe"]["context_args"] == {"actions": "mine", "meeting": "meeting"}
        ((filename, content_type, _, data),) = files(app, request)
        assert (filename, content_type) == ("actions.ics", "text/calendar")
        assert data == by_owner[request.to_address]
        calendar = rfc5545(data)
        assert {str(t["uid"]) for t in calendar.walk("VTODO")} == {
            f"{a['ref']}@corp.example" for a in request.context["mine"]
        }


def test_the_invitation_and_its_cancellation_go_out_as_the_decision_built_them(
    app: App, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from email.message import EmailMessage
    from email.utils import format_datetime, make_msgid

    from mailbot.pipeline import process

    decided = capture(monkeypatch, agenda, "invitation")
    at(clock, "2026-11-30 09:20")
    assert feed(app, "foxmail_zh_agenda_gbk.eml").outcome == "processed"
    corrected = EmailMessage()  # the same meeting, fewer people: the others' entries are cancelled
    corrected["From"] = "李娜 <li.na@corp.example>"
    corrected["To"] = "minutes@corp.example"
    corrected["Subject"] = "[议程] Q1 新品上市跨部门协作会（改时间）"
    corrected["Date"] = format_datetime(app.now())
    corrected["Message-ID"] = make_msgid(domain="client.example")
    corrected.set_content(
        "会议名称：Q1 新品上市跨部门协作会\n会议日期：2026-12-02\n会议时间：15:00-17:00\n会议地点：总部5楼大会议室\n"
        "主持人：市场部 李娜 <li.na@corp.example>\n记录人：行政部 王芳 <wang.fang@corp.example>\n"
        "参会人员：张伟 <zhang.wei@corp.example>\n会议目标：明确协作方案\n"
    )
    at(clock, "2026-11-30 15:00")
    assert process(app, corrected.as_bytes()).outcome == "processed"
    built = {file.data for file in decided}

    at(clock, "2026-12-01 08:00")
    rows = [row for row in outbox(app) if row.attachments]
    kinds = {row.kind for row in rows}
    assert {"agenda_ack", "agenda_notice", "agenda_cancel"} <= kinds
    for row in rows:
        (stored,) = row.attachments
        assert "data" not in stored and stored["recipe"]["build"] == "meeting_event"
        ((filename, content_type, method, data),) = files(app, row)
        assert (filename, content_type) == ("meeting.ics", "text/calendar")
        assert data in built
        # The method the row was decided with is the file's own.
        assert method == str(rfc5545(data)["method"]) == ("CANCEL" if row.kind == "agenda_cancel" else "REQUEST")
        if row.kind == "agenda_notice":  # a notice's meeting is its context's: stored once
            assert stored["recipe"]["context_args"] == {"meeting": "meeting"}


def test_a_row_stored_with_its_bytes_goes_out_with_those_bytes(app: App, clock: FixedClock) -> None:
    """Rows decided before recipes keep base64 bytes; files that came from people are bytes too."""
    at(clock, "2026-12-02 18:00")
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//old//EN\r\nMETHOD:PUBLISH\r\nEND:VCALENDAR\r\n"
    table = "负责人,截止\r\n张伟,2026-12-15\r\n".encode("gbk")
    with app.db.transaction() as session:
        enqueue(
            session, app.renderer, app.sender, key="help:old-row", kind="help", to_address="zhang.wei@corp.example",
            to_name=None, language="zh", now=app.now(),
            context={"reason": "", "token": None, "bot_name": "Mailbot", "bot_address": app.sender.address,
                     "docs_url": "", "original_subject": "help"},
            attachments=[OutgoingFile("actions.ics", "text/calendar", ics),
                         OutgoingFile("表.csv", "text/csv; charset=gbk", table)],
        )  # fmt: skip
    (row,) = outbox(app, "help")
    assert [a["data"] for a in row.attachments] == [base64.b64encode(ics).decode(), base64.b64encode(table).decode()]
    assert [data for *_, data in files(app, row)] == [ics, table]


def test_a_recipe_that_cannot_be_built_says_why() -> None:
    """An error building a file is the row's own (outbox.deliver_one fails it, the rest go on)."""
    stored: dict[str, Any] = {"filename": "x.ics", "content_type": "text/calendar"}
    stored["recipe"] = {"build": "nothing", "args": {"now": "2026-12-02T10:00:00+00:00"}}
    with pytest.raises(ValueError, match="nothing"):
        attachment_bytes(stored, {})
    stored["recipe"] = {
        "build": "action_todos",
        "args": {"domain": "corp.example"},
        "context_args": {"actions": "mine", "meeting": "meeting"},
    }
    with pytest.raises(KeyError):  # the context it refers to is not there
        attachment_bytes(stored, {})
    stored["recipe"]["args"]["now"] = ""
    with pytest.raises(ValueError, match="decision's time"):
        attachment_bytes(stored, {"mine": [], "meeting": {}})


def test_handling_a_mail_loads_no_icalendar() -> None:
    """The files are decided, not built: a process that only reads mail never imports icalendar."""
    code = (
        "import sys, tempfile\n"
        "from datetime import UTC, datetime\n"
        "from pathlib import Path\n"
        "sys.path.insert(0, 'bench')\n"
        "from ingest import english_plain\n"
        "from mailbot.app import App\n"
        "from mailbot.clock import FixedClock\n"
        "from mailbot.config import default_config_text, load_config\n"
        "from mailbot.pipeline import process\n"
        "home = Path(tempfile.mkdtemp())\n"
        "text = default_config_text().replace('authserv_id = \"\"', 'authserv_id = \"mx.corp.example\"')\n"
        "(home / 'config.toml').write_text(text)\n"
        "app = App.open(load_config(home / 'config.toml'), FixedClock(datetime(2026, 12, 2, 10, 0, tzinfo=UTC)))\n"
        "assert process(app, english_plain(1)).outcome == 'processed'\n"
        "app.db.dispose()\n"
    )
    loaded = loaded_after(code)
    assert "mailbot.handlers.minutes" in loaded  # it did handle the minutes
    assert "icalendar" not in loaded


def events(app: App) -> list[str]:
    with app.db.session() as session:
        return list(session.scalars(select(Event.what).order_by(Event.id)))


def test_events_are_written_before_the_next_statement_in_order_and_go_with_a_rollback(
    app: App, clock: FixedClock
) -> None:
    at(clock, "2026-12-02 18:00")
    row = {"at": app.now(), "actor": None, "meeting_id": None, "action_id": None, "inbound_mail_id": None}
    with app.db.transaction() as session:
        insert_later(session, Event.__table__, {**row, "what": "one", "detail": {}})  # type: ignore[arg-type]
        insert_later(session, Event.__table__, {**row, "what": "two", "detail": {"n": 2}})  # type: ignore[arg-type]
        # Any statement of the session sees them: they are written just before it.
        assert session.scalar(select(func.count(Event.id))) == 2
        insert_later(session, Event.__table__, {**row, "what": "three", "detail": {}})  # type: ignore[arg-type]
    assert events(app) == ["one", "two", "three"]  # the last one with the commit

    with pytest.raises(RuntimeError), app.db.transaction() as session:
        insert_later(session, Event.__table__, {**row, "what": "four", "detail": {}})  # type: ignore[arg-type]
        assert session.scalar(select(func.count(Event.id))) == 4
        raise RuntimeError("rolled back")
    assert events(app) == ["one", "two", "three"]


def test_a_minutes_mail_writes_its_events_with_its_transaction(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    assert feed(app, "outlook_zh_minutes_gbk_html.eml").outcome == "processed"
    written = events(app)
    assert written[0] == "meeting.created" and "minutes.accepted" in written
    proposed = written.count("action.proposed")
    assert proposed == len(outbox(app, "confirm_request")[0].context["actions"]) > 1
