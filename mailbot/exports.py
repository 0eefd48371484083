"""The tracking table (行动项跟踪表) as people use it: a spreadsheet with the seed's columns, a
CSV Excel opens correctly, or calendar tasks."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from functools import lru_cache
from typing import Any

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
    # A host's Monday table is built for every host at once: a status's words and a due day's
    # overdue count are each worked out once per table, not once per row.
    statuses: dict[tuple[str, bool], str] = {}
    overdue_of: dict[tuple[str, date], int] = {}
    rows = []
    for a in actions:
        status_key, due, requester, get = a["status"], a["due"], a.get("requester"), a.get
        if today is not None and calendar is not None:
            overdue = overdue_of.get((status_key, due))
            if overdue is None:
                overdue = overdue_of[status_key, due] = overdue_working_days(status_key, due, today, calendar)
        else:
            overdue = get("overdue_days") or 0
        shown_as = (status_key, bool(requester))
        status = statuses.get(shown_as)
        if status is None:
            status = statuses[shown_as] = status_text(a, language, words, languages)
        # Who verifies (验收): who did, once verified (the host or an admin may stand in), else who is to.
        verifier = named(get("requester_name"), requester)
        if status_key == Status.VERIFIED and get("verified_by") and a["verified_by"] != requester:
            verifier = a["verified_by"]
        consent = get("consent") or ""
        done_at, verified_at = get("done_at"), get("verified_at")
        rows.append((
            a["ref"], get("meeting_title") or get("meeting", ""), a["description"],
            named(get("owner_name"), a["owner"]), get("department") or "", get("support") or "",
            due, get("deliverable") or "", status,
            get("delay_reason") or "",
            get("meeting_date") or "", overdue or "",
            consent_words.get(consent, consent), verifier,
            (local_day(done_at, tz) or "") if done_at is not None else "",
            (local_day(verified_at, tz) or "") if verified_at is not None else "",
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
    seed's column widths, overdue rows shaded, dates as dates. Text stays text (never a formula);
    characters XML cannot hold are dropped, not fatal."""
    return xlsx_of(tracking_table(actions, language, today, words, languages, calendar=calendar, tz=tz))


def tracking_table(
    actions: list[dict[str, Any]],
    language: str,
    today: date,
    words: StatusWords | None = None,
    languages: Languages | None = None,
    *,
    calendar: WorkCalendar | None = None,
    tz: tzinfo | None = None,
) -> dict[str, Any]:
    """What the .xlsx shows, as plain JSON values: every word, day and count the configuration
    decides (words.toml, the status words, the calendar, the zone) is settled here, so `xlsx_of`
    needs nothing else — a mail can keep this as the recipe of its file and build it when it is
    sent (mailbot.outbox.DeferredFile, build "tracking_xlsx"), the bytes `to_xlsx` makes.

    {"sheet", "headers", "rows": cells by row, "dates": the columns whose numbers are days (Excel's
    serial number, which is what a date cell holds), "shaded": the overdue rows (0 = the first
    row under the header), "created": the day of the data}."""
    names = (languages or shipped_languages()).of(language)
    values = tracking_rows(actions, language, words, languages, today=today, calendar=calendar, tz=tz)
    rows: list[list[Any]] = []
    dates: set[int] = set()
    shaded: list[int] = []
    for number, (row, action) in enumerate(zip(values, actions, strict=True)):
        cells = list(row)
        for column in DAY_COLUMNS:
            if isinstance(cells[column], date):
                cells[column] = excel_day(cells[column])
                dates.add(column)
        rows.append(cells)
        if action["due"] < today and action["status"] in UNDER_WAY:
            shaded.append(number)
    return {
        "sheet": names.tracking_sheet,
        "headers": list(headers(language, languages)),
        "rows": rows,
        "dates": sorted(dates),
        "shaded": shaded,
        "created": today.isoformat(),
    }


# The columns of `tracking_rows` that hold days (due, meeting date, done, verified): no other
# column holds a date.
DAY_COLUMNS = (6, 10, 14, 15)
# Excel's day 1 is 1900-01-01, and it counts a 29 February 1900 that never was (day 60).
_EXCEL_EPOCH = date(1899, 12, 31)
_EXCEL_LEAP_BUG = date(1900, 3, 1)
_XLSXWRITER_DAY_0 = date(1900, 1, 1)


@lru_cache(maxsize=4096)
def excel_day(day: date) -> int:
    """A day as the number an Excel date cell holds: what XlsxWriter's write_datetime writes, to
    the day (1900-01-01 included, which it writes as day 0), so the file is the same as ever.
    Cached: the Monday tables hold two days a row, and a few hundred days make them all."""
    if isinstance(day, datetime):
        day = day.date()
    if day == _XLSXWRITER_DAY_0:
        return 0
    return (day - _EXCEL_EPOCH).days + (1 if day >= _EXCEL_LEAP_BUG else 0)


def xlsx_of(table: Mapping[str, Any]) -> bytes:
    """The .xlsx of a `tracking_table`, live or read back from an outbox row's JSON. XlsxWriter,
    not openpyxl: 5 ms for a meeting's hundred actions instead of 13. Imported here, not with the
    module: deciding a mail that carries the table loads no XlsxWriter, only sending it does."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    # Stamped with the day of the data, not the wall clock: the same table makes the same file.
    created = datetime.combine(date.fromisoformat(table["created"]), datetime.min.time())
    book.set_properties({"created": created, "author": "mailbot"})
    sheet = book.add_worksheet(table["sheet"])
    header = book.add_format({"bold": True})
    shaded = book.add_format({"bg_color": "#F4CCCC"})
    shaded_day = book.add_format({"bg_color": "#F4CCCC", "num_format": "yyyy-mm-dd"})
    plain_day = book.add_format({"num_format": "yyyy-mm-dd"})
    columns = table["headers"]
    sheet.write_row(0, 0, columns, header)
    dates = set(table["dates"])
    overdue_rows = set(table["shaded"])
    rows = table["rows"]
    for number, row in enumerate(rows, start=1):
        overdue = number - 1 in overdue_rows
        text_format = shaded if overdue else None
        for column, value in enumerate(row):
            if value == "":  # a blank cell, not an empty text: filters and sums see nothing there
                sheet.write_blank(number, column, None, text_format)
            elif isinstance(value, str):
                sheet.write_string(number, column, _XML_ILLEGAL.sub("", value), text_format)
            elif column in dates and isinstance(value, int) and not isinstance(value, bool):
                sheet.write_number(number, column, value, shaded_day if overdue else plain_day)
            else:
                sheet.write(number, column, value, text_format)
    for column, width in enumerate(WIDTHS):
        sheet.set_column(column, column, width)
    # The filter row: Excel and WPS show a drop-down on each header (by owner, status, …).
    sheet.autofilter(0, 0, len(rows), len(columns) - 1)
    sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def tracking_xlsx_built(args: Mapping[str, Any]) -> bytes:
    """The .xlsx from a recipe's arguments (mailbot.outbox.DeferredFile, build "tracking_xlsx"):
    {"table": a `tracking_table`} as the decision made it."""
    return xlsx_of(args["table"])


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
