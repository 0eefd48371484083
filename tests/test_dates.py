"""Reading due dates and meeting times as people write them in minutes."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from mailbot.formats.dates import DateReading, read_date, read_meeting_when
from mailbot.workdays import WorkCalendar, load_calendar
from tests.complexity import assert_linear

MEETING = date(2024, 9, 2)  # a Monday


@pytest.fixture(scope="module")
def cn() -> WorkCalendar:
    return load_calendar()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # explicit dates
        ("2024-09-15", date(2024, 9, 15)),
        ("2024/9/15", date(2024, 9, 15)),
        ("2024.9.15", date(2024, 9, 15)),
        ("2024年9月15日", date(2024, 9, 15)),
        ("2024 年 9 月 15 日", date(2024, 9, 15)),
        ("24年9月15日", date(2024, 9, 15)),
        ("２０２４－０９－１５", date(2024, 9, 15)),  # full-width
        ("15 Sep 2024", date(2024, 9, 15)),
        ("15-Sep-2024", date(2024, 9, 15)),
        ("September 15, 2024", date(2024, 9, 15)),
        ("Sept 15 2024", date(2024, 9, 15)),
        ("9/15/2024", date(2024, 9, 15)),
        ("2024-09-15 18:00", date(2024, 9, 15)),
        # no year: next occurrence on or after the meeting
        ("9月15日", date(2024, 9, 15)),
        ("9月15号", date(2024, 9, 15)),
        ("９月１５日", date(2024, 9, 15)),
        ("九月十五日", date(2024, 9, 15)),
        ("9月15", date(2024, 9, 15)),
        ("9/15", date(2024, 9, 15)),
        ("15/9", date(2024, 9, 15)),  # first number over 12: day/month
        ("Sep 15", date(2024, 9, 15)),
        ("sep 15th", date(2024, 9, 15)),
        ("15th of September", date(2024, 9, 15)),
        ("9月2日", date(2024, 9, 2)),  # the meeting day itself
        ("1月10日", date(2025, 1, 10)),  # already passed this year
        ("15号前", date(2024, 9, 15)),
        ("1号前", date(2024, 10, 1)),
        ("本月20日", date(2024, 9, 20)),
        ("下月10号", date(2024, 10, 10)),
        # by / before / 前: inclusive, surrounding words ignored
        ("9月15日前", date(2024, 9, 15)),
        ("9月15日之前", date(2024, 9, 15)),
        ("9月15日前完成", date(2024, 9, 15)),
        ("by Sep 15", date(2024, 9, 15)),
        ("before 2024-09-15", date(2024, 9, 15)),
        ("due: 2024-09-15", date(2024, 9, 15)),
        ("完成时限：2024-09-15", date(2024, 9, 15)),
        ("截止：9月15日前完成方案初稿", date(2024, 9, 15)),
        ("2024-09-15（周日）", date(2024, 9, 15)),  # the weekday note does not compete
        ("9月15日（2024-09-15）", date(2024, 9, 15)),  # same day twice is fine
        # month ends
        ("本月底前", date(2024, 9, 30)),
        ("本月底", date(2024, 9, 30)),
        ("月底前", date(2024, 9, 30)),
        ("月末", date(2024, 9, 30)),
        ("本月内", date(2024, 9, 30)),
        ("本月底前完成流程文档定稿", date(2024, 9, 30)),
        ("end of month", date(2024, 9, 30)),
        ("by the end of the month", date(2024, 9, 30)),
        ("下月底", date(2024, 10, 31)),
        ("end of next month", date(2024, 10, 31)),
        ("10月底", date(2024, 10, 31)),
        ("2月底", date(2025, 2, 28)),
        ("2025年2月底", date(2025, 2, 28)),
        ("end of October", date(2024, 10, 31)),
        # weeks (Monday first)
        ("下周五", date(2024, 9, 13)),
        ("下周5", date(2024, 9, 13)),
        ("下星期五", date(2024, 9, 13)),
        ("下个礼拜五", date(2024, 9, 13)),
        ("下周日", date(2024, 9, 15)),
        ("下下周一", date(2024, 9, 16)),
        ("本周五", date(2024, 9, 6)),
        ("这周五", date(2024, 9, 6)),
        ("周五前", date(2024, 9, 6)),
        ("星期三", date(2024, 9, 4)),
        ("next Friday", date(2024, 9, 13)),
        ("next fri", date(2024, 9, 13)),
        ("this Friday", date(2024, 9, 6)),
        ("by Friday", date(2024, 9, 6)),
        ("下周末", date(2024, 9, 13)),  # decision: the Friday of next week
        ("下周内", date(2024, 9, 13)),
        ("本周末", date(2024, 9, 6)),
        ("周末前", date(2024, 9, 6)),
        ("end of next week", date(2024, 9, 13)),
        ("end of this week", date(2024, 9, 6)),
        # days
        ("tomorrow", date(2024, 9, 3)),
        ("明天", date(2024, 9, 3)),
        ("后天", date(2024, 9, 4)),
        ("今天", date(2024, 9, 2)),
        ("会后当天", date(2024, 9, 2)),
        ("3天内", date(2024, 9, 5)),
        ("7日内", date(2024, 9, 9)),
        ("within 10 days", date(2024, 9, 12)),
        ("两周内", date(2024, 9, 16)),
        ("within 2 weeks", date(2024, 9, 16)),
        # working days on China's calendar (no holiday in the first week of Sep 2024)
        ("3个工作日内", date(2024, 9, 5)),
        ("三个工作日内", date(2024, 9, 5)),
        ("两个工作日", date(2024, 9, 4)),
        ("5工作日", date(2024, 9, 9)),
        ("within 3 working days", date(2024, 9, 5)),
        ("3 working days", date(2024, 9, 5)),
        ("within three business days", date(2024, 9, 5)),
        ("十个工作日内", date(2024, 9, 14)),  # Saturday 2024-09-14 was an adjusted working day
        ("尽快，3个工作日内", date(2024, 9, 5)),
        ("十一个工作日", date(2024, 9, 18)),  # Sep 15–17 Mid-Autumn off
    ],
)
def test_reads(cn: WorkCalendar, text: str, expected: date) -> None:
    reading = read_date(text, MEETING, cn)
    assert reading == DateReading(text.strip(), expected, None, False)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "unreadable"),
        ("   ", "unreadable"),
        ("见附件", "unreadable"),
        ("N/A", "unreadable"),
        ("尽快", "vague"),
        ("尽快完成", "vague"),
        ("ASAP", "vague"),
        ("as soon as possible", "vague"),
        ("TBD", "vague"),
        ("待定", "vague"),
        ("下周", "vague"),
        ("9月中旬", "vague"),
        ("持续跟进", "vague"),
        ("X月X日", "placeholder"),
        ("x月x日前", "placeholder"),
        ("XX月XX日", "placeholder"),
        ("YYYY年MM月DD日", "placeholder"),
        ("YYYY-MM-DD", "placeholder"),
        ("2024年X月X日", "placeholder"),
        ("2024-09-XX", "placeholder"),
        ("XX", "placeholder"),
        ("2月30日", "invalid"),
        ("2024-02-30", "invalid"),
        ("2024-13-01", "invalid"),
        ("13/13", "invalid"),
        ("9/31", "invalid"),
        ("31号", "invalid"),  # September has no 31st
        ("9月15日前完成初稿，9月30日前定稿", "ambiguous"),
        ("下周五或下周一", "ambiguous"),
        ("1.5个工作日", "unreadable"),  # not "5 working days"
        ("3-5天内", "unreadable"),
        ("3~5个工作日", "unreadable"),
        ("1.5 working days", "unreadable"),
    ],
)
def test_refuses_to_guess(cn: WorkCalendar, text: str, error: str) -> None:
    reading = read_date(text, MEETING, cn)
    assert reading.value is None
    assert reading.error == error
    assert reading.text == text.strip()


def test_a_real_date_beats_vague_words(cn: WorkCalendar) -> None:
    assert read_date("尽快，最晚9月15日", MEETING, cn).value == date(2024, 9, 15)


def test_text_is_trimmed_but_otherwise_as_written(cn: WorkCalendar) -> None:
    assert read_date("  Sep 15 \n", MEETING, cn).text == "Sep 15"


def test_explicit_past_date_is_returned_as_written(cn: WorkCalendar) -> None:
    reading = read_date("2024-08-01", MEETING, cn)
    assert reading.value == date(2024, 8, 1)
    assert reading.error is None


def test_this_friday_on_a_sunday_meeting_is_the_past_friday(cn: WorkCalendar) -> None:
    sunday = date(2024, 9, 8)
    assert read_date("本周五", sunday, cn).value == date(2024, 9, 6)
    assert read_date("下周五", sunday, cn).value == date(2024, 9, 13)
    assert read_date("周五前", sunday, cn).value == date(2024, 9, 13)  # bare weekday: next one


def test_yearless_date_after_it_passed_rolls_to_next_year(cn: WorkCalendar) -> None:
    assert read_date("9/15", date(2024, 9, 20), cn).value == date(2025, 9, 15)
    assert read_date("1月5日", date(2026, 12, 28), cn).value == date(2027, 1, 5)


def test_february_29(cn: WorkCalendar) -> None:
    assert read_date("2月29日", date(2023, 3, 1), cn).value == date(2024, 2, 29)
    assert read_date("2月29日", date(2024, 1, 10), cn).value == date(2024, 2, 29)
    assert read_date("2月29日", date(2025, 1, 10), cn).error == "invalid"


def test_month_end_in_december_and_february(cn: WorkCalendar) -> None:
    assert read_date("下月底", date(2024, 12, 5), cn).value == date(2025, 1, 31)
    assert read_date("本月底", date(2024, 2, 5), cn).value == date(2024, 2, 29)


# --- working days and the provisional calendar -------------------------------------------------


def test_working_days_skip_national_day_and_count_the_adjusted_saturday(cn: WorkCalendar) -> None:
    meeting = date(2026, 9, 30)
    assert read_date("1个工作日内", meeting, cn).value == date(2026, 10, 8)
    assert read_date("3个工作日内", meeting, cn).value == date(2026, 10, 10)  # Saturday, 调休
    assert read_date("within 4 working days", meeting, cn).value == date(2026, 10, 12)


def test_working_days_around_mid_autumn_2024(cn: WorkCalendar, tmp_path: Path) -> None:
    meeting = date(2024, 9, 12)  # Thursday; Sep 14 (Sat) worked, Sep 15–17 off
    assert read_date("3个工作日内", meeting, cn).value == date(2024, 9, 18)
    empty = tmp_path / "none.toml"
    empty.write_text("", encoding="utf-8")
    weekends_only = load_calendar("custom", rules_file=empty)
    assert read_date("3个工作日内", meeting, weekends_only).value == date(2024, 9, 17)


def test_working_days_into_2027_are_provisional(cn: WorkCalendar) -> None:
    reading = read_date("3个工作日内", date(2026, 12, 30), cn)  # Dec 31, (Jan 1–3 off), Jan 4, Jan 5
    assert reading == DateReading("3个工作日内", date(2027, 1, 5), None, True)
    reading = read_date("5个工作日内", date(2026, 12, 28), cn)
    assert reading == DateReading("5个工作日内", date(2027, 1, 5), None, True)


def test_working_days_inside_2026_from_late_december_are_not_provisional(cn: WorkCalendar) -> None:
    reading = read_date("3个工作日内", date(2026, 12, 28), cn)
    assert reading == DateReading("3个工作日内", date(2026, 12, 31), None, False)


def test_plain_dates_in_2027_are_not_provisional(cn: WorkCalendar) -> None:
    for text in ("2027-01-05", "1月5日", "下周二", "5天内"):
        reading = read_date(text, date(2026, 12, 30), cn)
        assert reading.value is not None
        assert reading.value.year == 2027
        assert reading.provisional is False, text


def test_working_days_on_a_country_calendar() -> None:
    us = load_calendar("country", country="US")
    assert read_date("within 1 working day", date(2024, 7, 3), us).value == date(2024, 7, 5)


# --- hostile input --------------------------------------------------------------------------------


# Each a pattern repeated to 100 KB or so; the guard compares an eighth of that with the whole.
HOSTILE_DATES = {
    "nines": (lambda n: "9" * n, 100_000),
    "months": (lambda n: "9月" * n, 50_000),
    "dashes": (lambda n: "x-" * n, 50_000),
    "slashes": (lambda n: "1/" * n, 50_000),
    "colons": (lambda n: "1:" * n, 50_000),
    "next-week": (lambda n: "下周" * n, 50_000),
    "tens": (lambda n: "十" * n, 100_000),
    "end-of": (lambda n: "end of " * n, 15_000),
    "within": (lambda n: "within " * n, 15_000),
    "dates": (lambda n: "9月15日" * n, 20_000),
    "blanks": (lambda n: " \t\n" * n, 34_000),
    "full-width": (lambda n: "２" * n, 100_000),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_DATES))
def test_hostile_100kb_reads_in_linear_time(cn: WorkCalendar, name: str) -> None:
    make, size = HOSTILE_DATES[name]

    def read(text: str) -> object:
        return read_date(text, MEETING, cn), read_meeting_when(text, MEETING)

    assert_linear(read, make, size // 8)


def test_long_text_with_the_date_near_the_start_still_reads(cn: WorkCalendar) -> None:
    assert read_date("9月15日前完成；" + "备注" * 50_000, MEETING, cn).value == date(2024, 9, 15)


# --- meeting date and time -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024年9月2日 14:00-16:00", (date(2024, 9, 2), time(14, 0), time(16, 0))),
        ("2024-09-02 14:00–16:00", (date(2024, 9, 2), time(14, 0), time(16, 0))),
        ("14:00-16:00", (None, time(14, 0), time(16, 0))),
        ("2024年9月2日（周一）下午2点", (date(2024, 9, 2), time(14, 0), None)),
        ("Sep 2, 2024 2:00 PM - 4:00 PM", (date(2024, 9, 2), time(14, 0), time(16, 0))),
        ("2024/9/2 下午两点半", (date(2024, 9, 2), time(14, 30), None)),
        ("2024年9月2日 下午2点-4点", (date(2024, 9, 2), time(14, 0), time(16, 0))),
        ("2024-09-02 2:00 - 4:00 PM", (date(2024, 9, 2), time(14, 0), time(16, 0))),
        ("2024.9.2 上午9:30~11:00", (date(2024, 9, 2), time(9, 30), time(11, 0))),
        ("2024年9月2日 14时30分至16时", (date(2024, 9, 2), time(14, 30), time(16, 0))),
        ("2 September 2024, 10am to 12pm", (date(2024, 9, 2), time(10, 0), time(12, 0))),
        ("2024-09-02", (date(2024, 9, 2), None, None)),
        ("", (None, None, None)),
        ("待定", (None, None, None)),
        ("2024-02-30 14:00", (None, time(14, 0), None)),
        ("25:00-26:00", (None, None, None)),
    ],
)
def test_meeting_when(text: str, expected: tuple[date | None, time | None, time | None]) -> None:
    assert read_meeting_when(text) == expected


def test_meeting_when_yearless_date_takes_the_nearest_year() -> None:
    assert read_meeting_when("9月2日 14:00", date(2024, 9, 5)) == (date(2024, 9, 2), time(14), None)
    assert read_meeting_when("12月30日 10:00", date(2025, 1, 3)) == (date(2024, 12, 30), time(10), None)
    assert read_meeting_when("1月3日", date(2024, 12, 28))[0] == date(2025, 1, 3)
    assert read_meeting_when("9月2日 14:00") == (None, time(14), None)
