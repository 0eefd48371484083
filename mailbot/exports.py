"""The tracking table (行动项跟踪表) as people use it: a spreadsheet with the seed's columns, a
CSV Excel opens correctly, or calendar tasks."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, tzinfo
from typing import Any

import xlsxwriter

from mailbot.calendar_files import action_todos
from mailbot.languages import Languages, shipped_languages
from mailbot.lifecycle import DONE_AWAITING_VERIFICATION, UNDER_WAY, Status, StatusWords, status_words
from mailbot.workdays import WorkCalendar

# The column names, the sheet's and the file's, and the words of the consent column are each
# language's words.toml [tracking] (the order of the columns is TRACKING_COLUMNS, then MORE_COLUMNS,
# in mailbot/languages.py); `languages` below is App's, the shipped templates' when None.
# Column widths in characters: the seed's ten, then MORE_COLUMNS.
WIDTHS = (8, 24, 40, 32, 12, 16, 12, 24, 10, 24, 12, 11, 16, 28, 12, 13)


def headers(language: str, languages: Languages | None = None) -> tuple[str, ...]:
    """The header row: the seed's columns, then MORE_COLUMNS, as words.toml names them."""
    return (languages or shipped_languages()).of(language).headers()


def status_text(
    action: dict[str, Any], language: str, words: StatusWords | None = None, languages: Languages | None = None
) -> str:
    """The 状态 cell in the seed's words (rules/statuses.toml [LANG.table]; `words` as App.rules
    loaded them, the shipped file when None); a language the file lacks borrows the fallback's."""
    awaiting_verification = action["status"] == Status.DONE and action.get("requester")
    return (words or status_words()).text(
        DONE_AWAITING_VERIFICATION if awaiting_verification else action["status"], language, "table",
        (languages or shipped_languages()).fallback,
    )  # fmt: skip


def overdue_working_days(status: str, due: date, today: date, calendar: WorkCalendar) -> int:
    """Working days past the due date of work taken on and not delivered (the rows the table
    shades), counted as reminders and escalations count them; 0 for anything else."""
    if status not in UNDER_WAY or due >= today:
        return 0
    return calendar.workdays_between(due, today)


def local_day(value: datetime | date | None, tz: tzinfo | None) -> date | None:
    """A stored instant (UTC) as the organisation's calendar day."""
    if value is None or not isinstance(value, datetime):
        return value
    return (value.astimezone(tz) if tz is not None else value).date()


def named(name: str | None, address: str | None) -> str:
    if not address:
        return ""
    return f"{name} <{address}>" if name else address


def tracking_rows(
    actions: list[dict[str, Any]],
    language: str,
    words: StatusWords | None = None,
    languages: Languages | None = None,
    *,
    today: date | None = None,
    calendar: WorkCalendar | None = None,
    tz: tzinfo | None = None,
) -> list[tuple[Any, ...]]:
    """One tuple per action, in the columns of `headers`. Overdue working days need `today` and
    `calendar` (else a row's own "overdue_days"); done and verified days are taken in `tz`."""
    consent_words = (languages or shipped_languages()).of(language).consent
    rows = []
    for a in actions:
        if today is not None and calendar is not None:
            overdue = overdue_working_days(a["status"], a["due"], today, calendar)
        else:
            overdue = a.get("overdue_days") or 0
        # Who verifies (验收): who did, once verified (the host or an admin may stand in), else who is to.
        verifier = named(a.get("requester_name"), a.get("requester"))
        if a["status"] == Status.VERIFIED and a.get("verified_by") and a["verified_by"] != a.get("requester"):
            verifier = a["verified_by"]
        rows.append((
            a["ref"], a.get("meeting_title") or a.get("meeting", ""), a["description"],
            named(a.get("owner_name"), a["owner"]), a.get("department") or "", a.get("support") or "",
            a["due"], a.get("deliverable") or "", status_text(a, language, words, languages),
            a.get("delay_reason") or "",
            a.get("meeting_date") or "", overdue or "",
            consent_words.get(a.get("consent") or "", a.get("consent") or ""), verifier,
            local_day(a.get("done_at"), tz) or "", local_day(a.get("verified_at"), tz) or "",
        ))  # fmt: skip
    return rows


def to_xlsx(
    actions: list[dict[str, Any]],
    language: str,
    today: date,
    words: StatusWords | None = None,
    languages: Languages | None = None,
    *,
    calendar: WorkCalendar | None = None,
    tz: tzinfo | None = None,
) -> bytes:
    """The table as an .xlsx: bold header with a filter on every column, frozen first row, the
    seed's column widths, overdue rows shaded, dates as dates. XlsxWriter, not openpyxl: 5 ms for
    a meeting's hundred actions instead of 13, which is most of the Monday run when a thousand
    hosts each get one. Text stays text (never a formula); characters XML cannot hold are
    dropped, not fatal."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    # Stamped with the day of the data, not the wall clock: the same table makes the same file.
    book.set_properties({"created": datetime.combine(today, datetime.min.time()), "author": "mailbot"})
    names = (languages or shipped_languages()).of(language)
    sheet = book.add_worksheet(names.tracking_sheet)
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
            elif value == "":  # a blank cell, not an empty text: filters and sums see nothing there
                sheet.write_blank(number, column, None, shaded if overdue else None)
            elif isinstance(value, str):
                sheet.write_string(number, column, _XML_ILLEGAL.sub("", value), shaded if overdue else None)
            else:
                sheet.write(number, column, value, shaded if overdue else None)
    for column, width in enumerate(WIDTHS):
        sheet.set_column(column, column, width)
    # The filter row: Excel and WPS show a drop-down on each header (by owner, status, …).
    sheet.autofilter(0, 0, len(actions), len(columns) - 1)
    sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


# Not allowed in XML 1.0: a stray control character pasted into a task must not fail the run.
_XML_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")


def to_csv(
    actions: list[dict[str, Any]],
    language: str,
    words: StatusWords | None = None,
    languages: Languages | None = None,
    *,
    today: date | None = None,
    calendar: WorkCalendar | None = None,
    tz: tzinfo | None = None,
) -> bytes:
    """The same columns as plain CSV (a CSV has no filter row: Excel's Data > Filter adds one)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers(language, languages))
    writer.writerows(tracking_rows(actions, language, words, languages, today=today, calendar=calendar, tz=tz))
    # A BOM, or Excel on Windows reads UTF-8 Chinese as mojibake.
    return buffer.getvalue().encode("utf-8-sig")


def to_ics(actions: list[dict[str, Any]], domain: str, now: datetime) -> bytes:
    meeting = {"title": "Mailbot", "ref": "all"}
    return action_todos(actions, meeting, domain, now)
