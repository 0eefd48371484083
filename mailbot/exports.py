"""The tracking table (行动项跟踪表) as people use it: a spreadsheet with the seed's columns, a
CSV Excel opens correctly, or calendar tasks."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from typing import Any

import xlsxwriter

from mailbot.calendar_files import action_todos
from mailbot.languages import Languages, shipped_languages
from mailbot.lifecycle import DONE_AWAITING_VERIFICATION, UNDER_WAY, Status, StatusWords, status_words

# The column names, the sheet's and the file's are each language's words.toml [tracking] (the
# order of the columns is TRACKING_COLUMNS in mailbot/languages.py); `languages` below is App's,
# the shipped templates' when None.


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


def tracking_rows(
    actions: list[dict[str, Any]], language: str, words: StatusWords | None = None, languages: Languages | None = None
) -> list[tuple[Any, ...]]:
    return [
        (
            a["ref"], a.get("meeting_title") or a.get("meeting", ""), a["description"],
            f"{a.get('owner_name') or ''} <{a['owner']}>".strip(), a.get("department") or "", a.get("support") or "",
            a["due"], a.get("deliverable") or "", status_text(a, language, words, languages),
            a.get("delay_reason") or "",
        )
        for a in actions
    ]  # fmt: skip


def to_xlsx(
    actions: list[dict[str, Any]],
    language: str,
    today: date,
    words: StatusWords | None = None,
    languages: Languages | None = None,
) -> bytes:
    """The table as an .xlsx: bold header, frozen first row, the seed's column widths, overdue rows
    shaded, due dates as dates. XlsxWriter, not openpyxl: 5 ms for a meeting's hundred actions
    instead of 13, which is most of the Monday run when a thousand hosts each get one. Text stays
    text (never a formula); characters XML cannot hold are dropped, not fatal."""
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
    sheet.write_row(0, 0, names.headers(), header)
    for number, (values, action) in enumerate(
        zip(tracking_rows(actions, language, words, languages), actions, strict=True), start=1
    ):
        overdue = action["status"] in UNDER_WAY and action["due"] < today
        for column, value in enumerate(values):
            if isinstance(value, date):
                sheet.write_datetime(number, column, datetime.combine(value, datetime.min.time()),
                                     shaded_day if overdue else plain_day)  # fmt: skip
            elif isinstance(value, str):
                sheet.write_string(number, column, _XML_ILLEGAL.sub("", value), shaded if overdue else None)
            else:
                sheet.write(number, column, value, shaded if overdue else None)
    for column, width in enumerate((8, 24, 40, 32, 12, 16, 12, 24, 10, 24)):
        sheet.set_column(column, column, width)
    sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


# Not allowed in XML 1.0: a stray control character pasted into a task must not fail the run.
_XML_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")


def to_csv(
    actions: list[dict[str, Any]], language: str, words: StatusWords | None = None, languages: Languages | None = None
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow((languages or shipped_languages()).of(language).headers())
    writer.writerows(tracking_rows(actions, language, words, languages))
    # A BOM, or Excel on Windows reads UTF-8 Chinese as mojibake.
    return buffer.getvalue().encode("utf-8-sig")


def to_ics(actions: list[dict[str, Any]], domain: str, now: datetime) -> bytes:
    meeting = {"title": "Mailbot", "ref": "all"}
    return action_todos(actions, meeting, domain, now)
