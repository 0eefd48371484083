"""The working-day calendar: official China data, the provisional rules file, other countries."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from mailbot.errors import ConfigError
from mailbot.workdays import DEFAULT_RULES_FILE, WorkCalendar, load_calendar, load_rules_file


@pytest.fixture(scope="module")
def cn() -> WorkCalendar:
    return load_calendar()


def write(tmp_path: Path, text: str, name: str = "calendar.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- China, official years ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 9, 30), True),  # Wednesday before National Day
        (date(2026, 10, 1), False),
        (date(2026, 10, 2), False),
        (date(2026, 10, 5), False),  # Monday inside the holiday
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),  # chinesecalendar 1.11.0: the holiday ends on the 7th
        (date(2026, 10, 10), True),  # Saturday, adjusted working day (调休)
        (date(2026, 10, 11), False),  # ordinary Sunday
        (date(2026, 9, 20), True),  # Sunday, adjusted working day for National Day
        (date(2026, 9, 25), False),  # Mid-Autumn Festival, a Friday
        (date(2026, 2, 14), True),  # Saturday before Spring Festival, adjusted working day
        (date(2026, 2, 16), False),  # Spring Festival
        (date(2024, 9, 14), True),  # Saturday, adjusted working day for Mid-Autumn 2024
        (date(2024, 9, 16), False),  # Mid-Autumn 2024
        (date(2024, 9, 2), True),  # ordinary Monday
    ],
)
def test_cn_official_days(cn: WorkCalendar, day: date, working: bool) -> None:
    assert cn.is_workday(day) is working
    assert cn.is_provisional(day) is False


def test_cn_add_workdays_across_national_day_2026(cn: WorkCalendar) -> None:
    start = date(2026, 9, 30)
    assert cn.add_workdays(start, 1) == date(2026, 10, 8)
    assert cn.add_workdays(start, 2) == date(2026, 10, 9)
    assert cn.add_workdays(start, 3) == date(2026, 10, 10)  # the adjusted Saturday counts
    assert cn.add_workdays(start, 4) == date(2026, 10, 12)
    assert cn.workdays_between(start, date(2026, 10, 10)) == 3
    assert cn.workdays_between(start, date(2026, 10, 7)) == 0


def test_add_workdays_zero_is_start_even_on_a_holiday(cn: WorkCalendar) -> None:
    assert cn.add_workdays(date(2026, 10, 3), 0) == date(2026, 10, 3)


def test_add_workdays_from_a_holiday_counts_the_next_working_day(cn: WorkCalendar) -> None:
    assert cn.add_workdays(date(2026, 10, 3), 1) == date(2026, 10, 8)


def test_add_workdays_refuses_negative(cn: WorkCalendar) -> None:
    with pytest.raises(ValueError):
        cn.add_workdays(date(2026, 1, 5), -1)


def test_workdays_between_is_zero_when_end_not_after_start(cn: WorkCalendar) -> None:
    assert cn.workdays_between(date(2026, 3, 10), date(2026, 3, 10)) == 0
    assert cn.workdays_between(date(2026, 3, 10), date(2026, 3, 1)) == 0


def test_workdays_between_whole_year_2024(cn: WorkCalendar) -> None:
    # Checked against the package day by day, so a wrong year boundary in the running totals shows.
    import chinese_calendar

    expected = sum(1 for i in range(366) if chinese_calendar.is_workday(date(2024, 1, 1) + timedelta(days=i)))
    assert cn.workdays_between(date(2023, 12, 31), date(2024, 12, 31)) == expected


def test_add_and_between_agree_with_a_day_by_day_walk(cn: WorkCalendar) -> None:
    rng = random.Random(20240902)
    for _ in range(300):
        start = date(2025, 6, 1) + timedelta(days=rng.randrange(0, 900))  # into 2027 and 2028
        n = rng.randrange(0, 40)
        walked, day, counted = start, start, 0
        while counted < n:
            day += timedelta(days=1)
            if cn.is_workday(day):
                counted += 1
                walked = day
        result = cn.add_workdays(start, n)
        assert result == walked
        assert cn.workdays_between(start, result) == n
        if n:
            assert cn.is_workday(result)


# --- China, provisional years -------------------------------------------------------------


def test_2027_comes_from_the_rules_file_and_is_provisional(cn: WorkCalendar) -> None:
    assert cn.is_provisional(date(2027, 1, 4)) is True
    assert cn.is_provisional(date(2026, 12, 31)) is False
    assert cn.is_workday(date(2027, 1, 1)) is False  # New Year, from the rules file
    assert cn.is_workday(date(2027, 1, 4)) is True
    assert cn.is_workday(date(2027, 2, 8)) is False  # Spring Festival (Monday)
    assert cn.is_workday(date(2027, 1, 31)) is True  # Sunday listed as adjusted working day
    assert cn.is_workday(date(2027, 10, 1)) is False


def test_add_workdays_from_late_december_crosses_into_provisional_2027(cn: WorkCalendar) -> None:
    start = date(2026, 12, 28)  # Monday
    assert cn.add_workdays(start, 3) == date(2026, 12, 31)
    assert cn.add_workdays(start, 4) == date(2027, 1, 4)  # Jan 1–3 off
    assert cn.add_workdays(start, 5) == date(2027, 1, 5)
    assert cn.is_provisional(cn.add_workdays(start, 5)) is True
    assert cn.workdays_between(start, date(2027, 1, 5)) == 5


def test_years_beyond_the_rules_file_use_the_weekday_rule(cn: WorkCalendar) -> None:
    assert cn.is_provisional(date(2028, 1, 3)) is True
    assert cn.is_workday(date(2028, 1, 3)) is True  # a Monday; nobody listed 2028 holidays
    assert cn.is_workday(date(2028, 1, 1)) is False  # Saturday
    assert cn.is_provisional(date(2003, 5, 1)) is True  # before chinesecalendar's data


def test_default_rules_file_holds_2027(cn: WorkCalendar) -> None:
    rules = load_rules_file(DEFAULT_RULES_FILE)
    year = rules[2027]
    assert year.official is False
    assert date(2027, 1, 1) in year.holidays
    assert date(2027, 2, 6) in year.holidays  # Spring Festival
    assert date(2027, 10, 7) in year.holidays
    assert date(2027, 10, 9) in year.workdays
    assert all(d.weekday() >= 5 for d in year.workdays)


def test_official_flag_ends_provisional(tmp_path: Path) -> None:
    path = write(tmp_path, '[years.2027]\nofficial = true\nholidays = ["2027-01-01"]\n')
    cal = load_calendar("cn", rules_file=path)
    assert cal.is_provisional(date(2027, 3, 1)) is False
    assert cal.is_provisional(date(2028, 3, 1)) is True


def test_cn_ignores_rules_for_years_the_package_knows(tmp_path: Path) -> None:
    path = write(tmp_path, '[years.2026]\nholidays = ["2026-03-02"]\n')
    cal = load_calendar("cn", rules_file=path)
    assert cal.is_workday(date(2026, 3, 2)) is True


def test_rules_entries_may_be_toml_dates_and_ranges(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[years.2030]\nholidays = [2030-01-01, "2030-02-04..2030-02-06"]\nworkdays = ["2030-02-09"]\n',
    )
    rules = load_rules_file(path)[2030]
    assert rules.holidays == {date(2030, 1, 1), date(2030, 2, 4), date(2030, 2, 5), date(2030, 2, 6)}
    assert rules.workdays == {date(2030, 2, 9)}


# --- custom and country ----------------------------------------------------------------------


def test_custom_calendar_uses_weekends_and_the_file_only(tmp_path: Path) -> None:
    path = write(tmp_path, '[years.2024]\nholidays = ["2024-09-03..2024-09-04"]\nworkdays = ["2024-09-07"]\n')
    cal = load_calendar("custom", rules_file=path)
    assert cal.name == "custom"
    assert cal.is_workday(date(2024, 9, 3)) is False
    assert cal.is_workday(date(2024, 9, 7)) is True
    assert cal.is_workday(date(2024, 9, 16)) is True  # Mid-Autumn: not in this calendar
    assert cal.is_provisional(date(2024, 9, 16)) is False
    assert cal.add_workdays(date(2024, 9, 2), 2) == date(2024, 9, 6)
    assert cal.add_workdays(date(2024, 9, 2), 3) == date(2024, 9, 7)


def test_country_us() -> None:
    us = load_calendar("country", country="US")
    assert us.name == "country:US"
    assert us.is_workday(date(2024, 7, 4)) is False  # Independence Day
    assert us.is_workday(date(2024, 7, 5)) is True
    assert us.is_workday(date(2024, 7, 6)) is False  # Saturday
    assert us.is_workday(date(2024, 11, 28)) is False  # Thanksgiving
    assert us.add_workdays(date(2024, 7, 3), 1) == date(2024, 7, 5)
    assert us.workdays_between(date(2024, 12, 31), date(2025, 1, 3)) == 2  # Jan 1 off
    assert us.is_provisional(date(2031, 1, 1)) is False


def test_country_knows_no_chinese_adjusted_weekends() -> None:
    # Why "cn" does not use the holidays package: it would put 2026-10-10 (a working Saturday) off.
    cn_by_rule = load_calendar("country", country="CN")
    assert cn_by_rule.is_workday(date(2026, 10, 10)) is False


def test_extra_days_override_the_source() -> None:
    cal = load_calendar(extra_holidays=[date(2024, 9, 3)], extra_workdays=[date(2024, 9, 7)])
    assert cal.is_workday(date(2024, 9, 3)) is False
    assert cal.is_workday(date(2024, 9, 7)) is True
    assert cal.add_workdays(date(2024, 9, 2), 1) == date(2024, 9, 4)


def test_calendar_is_read_only(cn: WorkCalendar) -> None:
    with pytest.raises(AttributeError):
        cn.name = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        cn.anything = 1  # type: ignore[attr-defined]


# --- configuration errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("[years.2027\nholidays = []", "not valid TOML"),
        ('[years.2027]\nholidays = ["2027-02-30"]\n', "2027-02-30"),
        ('[years.2027]\nholidays = ["Jan 1"]\n', "Jan 1"),
        ('[years.2027]\nholidays = ["2027-02-11..2027-02-05"]\n', "ends before"),
        ('[years.2027]\nholidays = ["2027-01-01..2027-12-31"]\n', "longer than"),
        ('[years.2027]\nholidays = ["2028-01-01"]\n', "not in 2027"),
        ('[years.2027]\nholiday = ["2027-01-01"]\n', "unknown key"),
        ('[years.2027]\nholidays = "2027-01-01"\n', "must be a list"),
        ("[years.2027]\nholidays = [20270101]\n", "20270101"),
        ('[years.2027]\nholidays = ["2027-01-02"]\nworkdays = ["2027-01-02"]\n', "both"),
        ('[years.2027]\nofficial = "yes"\n', "official"),
        ("[years.next]\nholidays = []\n", "four-digit year"),
        ("years = 3\n", "'years' must be a table"),
        ('holidays = ["2027-01-01"]\n', "unknown top-level"),
    ],
)
def test_malformed_rules_file_names_the_file(tmp_path: Path, content: str, needle: str) -> None:
    path = write(tmp_path, content, "broken-calendar.toml")
    with pytest.raises(ConfigError) as caught:
        load_calendar("cn", rules_file=path)
    message = str(caught.value)
    assert str(path) in message
    assert needle in message


def test_missing_named_rules_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match=re.escape("nope.toml")):
        load_calendar("custom", rules_file=path)


def test_rules_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.toml"
    path.write_bytes(b"# \xe9\xe9\n")
    with pytest.raises(ConfigError, match=re.escape("latin.toml")):
        load_rules_file(path)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"kind": "moon"}, "unknown calendar kind"),
        ({"kind": "country"}, "needs a country code"),
        ({"kind": "country", "country": "ZZ"}, "ZZ"),
        ({"extra_holidays": [date(2024, 1, 2)], "extra_workdays": [date(2024, 1, 2)]}, "2024-01-02"),
    ],
)
def test_bad_configuration(kwargs: dict[str, object], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        load_calendar(**kwargs)  # type: ignore[arg-type]


# --- many lookups --------------------------------------------------------------------------------


def test_many_lookups_agree_with_counting_day_by_day(cn: WorkCalendar) -> None:
    """The calendar's fast path (its speed is in bench/, not here) gives what walking the days one
    by one gives, across holidays, make-up working days and year ends."""
    for i in range(3_000):
        start = date(2024, 1, 1) + timedelta(days=(i * 7) % 1400)
        count = i % 15
        day, left = start, count
        while left:
            day += timedelta(days=1)
            left -= cn.is_workday(day)
        assert cn.add_workdays(start, count) == day, (start, count)
