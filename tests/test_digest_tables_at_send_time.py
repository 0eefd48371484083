"""The host's tracking table (行动项跟踪表.xlsx) on the Monday status mail is decided as a recipe
and built when the mail is sent (issue 15, weekly mail): the outbox row keeps the table's cells —
every word, day and count the configuration decides already settled (exports.tracking_table) —
not the file, and the "tracking_xlsx" builder makes from them, byte for byte, the file the
decision would have built, whatever changed in the database since. That file is the one the
writer before recipes made (its loop is kept here as the reference), and deciding it loads no
XlsxWriter. The stored rows leave out the address of a person they name; mails read the same."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
import xlsxwriter
from openpyxl import load_workbook

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.exports import (
    WIDTHS,
    headers,
    to_xlsx,
    tracking_rows,
    tracking_table,
    tracking_xlsx_built,
    xlsx_of,
)
from mailbot.languages import Languages, shipped_languages
from mailbot.lifecycle import LIVE, UNDER_WAY, StatusWords
from mailbot.meetings import action_view
from mailbot.outbox import DeferredFile, build_message
from mailbot.store.models import ActionItem, Meeting
from mailbot.workdays import WorkCalendar
from mailbot.workflow import digest
from tests.helpers import SHANGHAI
from tests.test_digest import day_at, digest_mails, three_weeks_on
from tests.test_send_time_attachments import capture
from tests.test_startup_imports import loaded_after

MONDAY = date(2026, 12, 21)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def earlier_xlsx(
    actions: list[dict[str, Any]],
    language: str,
    today: date,
    words: StatusWords | None = None,
    languages: Languages | None = None,
    *,
    calendar: WorkCalendar | None = None,
    tz: Any = None,
) -> bytes:
    """exports.to_xlsx as it was before the table became a recipe: the reference its bytes keep."""
    import re

    illegal = re.compile(r"[\000-\010\013\014\016-\037]")
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    book.set_properties({"created": datetime.combine(today, datetime.min.time()), "author": "mailbot"})
    sheet = book.add_worksheet((languages or shipped_languages()).of(language).tracking_sheet)
    header = book.add_format({"bold": True})
    shaded = book.add_format({"bg_color": "#F4CCCC"})
    shaded_day = book.add_format({"bg_color": "#F4CCCC", "num_format": "yyyy-mm-dd"})
    plain_day = book.add_format({"num_format": "yyyy-mm-dd"})
    columns = headers(language, languages)
    sheet.write_row(0, 0, columns, header)
    values = tracking_rows(actions, language, words, languages, today=today, calendar=calendar, tz=tz)
    for number, (row, action) in enumerate(zip(values, actions, strict=True), start=1):
        overdue = action["status"] in UNDER_WAY and action["due"] < today
        for column, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(number, column, datetime.combine(value, datetime.min.time()),
                                     shaded_day if overdue else plain_day)  # fmt: skip
            elif value == "":
                sheet.write_blank(number, column, None, shaded if overdue else None)
            elif isinstance(value, str):
                sheet.write_string(number, column, illegal.sub("", value), shaded if overdue else None)
            else:
                sheet.write(number, column, value, shaded if overdue else None)
    for column, width in enumerate(WIDTHS):
        sheet.set_column(column, column, width)
    sheet.autofilter(0, 0, len(actions), len(columns) - 1)
    sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def hosted_rows(app: App, host: str) -> list[dict[str, Any]]:
    """The rows of the host's table as they were made before recipes: each live action of the
    meetings they host, as meetings.action_view shows it, with its meeting's."""
    with app.db.session() as session:
        return [
            {**action_view(a), "meeting": m.ref, "meeting_title": m.title, "meeting_date": m.meeting_date}
            for m in session.query(Meeting).order_by(Meeting.id)
            if m.host_address == host
            for a in m.actions
            if a.status in LIVE
        ]


def attached(app: App, row: Any) -> list[tuple[str | None, str, bytes]]:
    message = build_message(row, app.sender, app.now())
    return [(p.get_filename(), p.get_content_type(), p.get_payload(decode=True)) for p in message.iter_attachments()]


def test_the_hosts_table_is_a_recipe_and_goes_out_as_the_decision_built_it(
    app: App, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    three_weeks_on(app, clock)
    decided = capture(monkeypatch, digest, "host_table")
    day_at(clock, MONDAY)
    # What the writer before recipes made of the host's table, from the database as it is now.
    earlier = earlier_xlsx(
        hosted_rows(app, "li.na@corp.example"), "zh", MONDAY, app.rules.statuses, app.languages,
        calendar=app.calendar, tz=app.config.tz,
    )  # fmt: skip
    digest.run_digest(app, app.now())
    (file,) = [f for files in decided for f in files]
    assert isinstance(file, DeferredFile) and file.build == "tracking_xlsx"
    assert file.data == earlier  # the decision's bytes, built from its own arguments

    mails = {m.to_address: m for m in digest_mails(app)}
    host = mails["li.na@corp.example"]
    (stored,) = host.attachments
    assert "data" not in stored and stored["recipe"]["build"] == "tracking_xlsx"
    assert (stored["filename"], stored["content_type"]) == ("行动项跟踪表.xlsx", XLSX)
    assert all(not m.attachments for address, m in mails.items() if address != "li.na@corp.example")

    # The table changes after the decision; the mail, sent the next day, carries the decided file.
    with app.db.transaction() as session:
        a2 = session.get(ActionItem, 2)
        assert a2 is not None
        a2.status, a2.description, a2.done_at = "done", "已改写", datetime(2026, 12, 21, 8, 0, tzinfo=UTC)
    clock.set(datetime(2026, 12, 22, 9, 0, tzinfo=SHANGHAI))
    ((filename, content_type, data),) = attached(app, host)
    assert (filename, content_type) == ("行动项跟踪表.xlsx", XLSX)
    assert data == earlier

    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "行动项跟踪表" and sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:P5"
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["A-2"][2] == "提供产品功能亮点说明" and rows["A-2"][8] == "未开始"  # as decided, not as changed
    assert rows["A-2"][6] == datetime(2026, 12, 10) and rows["A-2"][11] == 7  # a date cell; working days overdue
    assert rows["A-1"][14] == datetime(2026, 12, 16)  # done on (the decision's zone's day)
    shaded = {row[0].value: row[0].fill.fgColor.rgb for row in sheet.iter_rows(min_row=2)}
    assert shaded["A-2"] == "FFF4CCCC" and shaded["A-3"] != "FFF4CCCC"  # only the overdue row


def test_the_table_keeps_every_cell_as_the_earlier_writer_made_it(app: App) -> None:
    """Dates (the days around Excel's phantom 29 February 1900 too), blanks, numbers, text that
    looks like a formula or holds characters XML cannot, shaded overdue rows: the same bytes in
    both languages, live and read back from JSON as an outbox row keeps it."""
    tz = SHANGHAI

    def action(ref: str, status: str, due: date, **more: Any) -> dict[str, Any]:
        return {"ref": ref, "meeting": "M-1", "meeting_title": "周会", "description": "任务", "owner": "a@corp.example",
                "owner_name": None, "department": None, "support": None, "due": due, "deliverable": None,
                "status": status, "delay_reason": None, "meeting_date": date(2026, 12, 2), **more}  # fmt: skip

    rows = [
        action("A-1", "accepted", date(2026, 12, 10), description="R&D <beta> \x07 ", owner_name="陈喆",
               consent="silent"),
        action("A-2", "in_progress", date(2026, 12, 30), description="=1+1", delay_reason="等待", support="财务部"),
        action("A-3", "done", date(1900, 2, 28), requester="li.na@corp.example", requester_name="李娜",
               done_at=datetime(2026, 12, 14, 17, 0, tzinfo=UTC), meeting_date=""),
        action("A-4", "verified", date(1900, 3, 1), requester="li.na@corp.example", verified_by="admin@corp.example",
               done_at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC), verified_at=datetime(2026, 12, 2, 2, 0, tzinfo=UTC)),
        action("A-5", "done", date(1900, 1, 1), department="研发部", deliverable="  lead"),
        action("A-6", "delayed", date(2026, 11, 30), department="研发部", deliverable="  lead", owner_name="x\x0b"),
    ]  # fmt: skip
    calendar = app.calendar
    for language in ("zh", "en"):
        earlier = earlier_xlsx(rows, language, MONDAY, calendar=calendar, tz=tz)
        assert to_xlsx(rows, language, MONDAY, calendar=calendar, tz=tz) == earlier
        table = tracking_table(rows, language, MONDAY, calendar=calendar, tz=tz)
        assert tracking_xlsx_built({"table": json.loads(json.dumps(table))}) == earlier
        assert xlsx_of(table) == earlier


def test_deciding_the_table_loads_no_xlsxwriter() -> None:
    """A process that decides mails makes the table's cells, not the file: XlsxWriter is loaded
    by the delivery that builds it."""
    assert "xlsxwriter" not in loaded_after(
        "import mailbot.workflow.digest\nfrom mailbot.exports import tracking_table"
    )
    built = "import datetime\nfrom mailbot.exports import to_xlsx\nto_xlsx([], 'zh', datetime.date(2026, 12, 21))"
    assert "xlsxwriter" in loaded_after(built)


def test_a_named_persons_row_leaves_their_address_out_and_reads_the_same(app: App, clock: FixedClock) -> None:
    """The templates show a person's name, else their address: the stored row of a named owner
    (or verifier) holds the name only; an unnamed one's keeps the address."""
    unnamed = "nobody.named@corp.example"
    three_weeks_on(app, clock)
    with app.db.transaction() as session:
        a3 = session.get(ActionItem, 3)
        assert a3 is not None
        a3.owner_address, a3.owner_name = unnamed, None  # nobody ever named: not the minutes, not the directory
    day_at(clock, MONDAY)
    digest.run_digest(app, app.now())
    mail = next(m for m in digest_mails(app) if m.to_address == "chen.zhe@corp.example")
    (meeting_part,) = mail.context["meetings"]
    rows = {r["ref"]: r for name in digest.SECTIONS for r in meeting_part[name]}
    assert "owner" not in rows["A-4"] and rows["A-4"]["owner_name"]
    assert rows["A-3"]["owner"] == unnamed and rows["A-3"]["owner_name"] is None
    assert "requester" not in rows["A-1"] and rows["A-1"]["requester_name"] == "李娜"
    assert unnamed in (mail.body_text or "") and rows["A-4"]["owner_name"] in (mail.body_text or "")
