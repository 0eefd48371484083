"""The working-day calendar behind every "within N working days" and every reminder schedule.

Due dates in minutes are often written as working days (`3个工作日内`), and China moves
working days around public holidays (调休: a Saturday or Sunday becomes a working day), so a
plain Monday–Friday count is wrong several times a year. Three kinds of calendar exist:

- ``"cn"`` (default): China's official calendar from the ``chinesecalendar`` package for the
  years it knows; for later (or earlier) years the organisation-editable rules file
  (``rules/calendar-cn.toml``) and, beyond it, the bare Monday–Friday rule. Answers that do not
  come from the official source are *provisional* so replies can say so: meetings in December
  routinely set due dates in a January the package does not know yet.
- ``"country"``: ``holidays.country_holidays(country)`` plus that country's weekend. The
  ``holidays`` package computes every year by rule, so nothing is provisional; it knows no
  adjusted working weekends, which is why it is not used for China.
- ``"custom"``: weekends plus the rules file only — for an organisation that keeps its own
  calendar. That calendar *is* the authority, so nothing is provisional.

``extra_holidays`` / ``extra_workdays`` (e.g. a company's own day off) override every kind.

Lookups are answered from a per-year table built once (a byte per day plus running totals), so
100,000 actions cost dictionary look-ups, and ``workdays_between`` / ``add_workdays`` jump
whole years instead of walking day by day.

The rules file format is documented in ``rules/calendar-cn.toml`` itself and in
``load_rules_file`` below.
"""

from __future__ import annotations

import tomllib
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any, Literal

from mailbot.errors import ConfigError

__all__ = [
    "DEFAULT_RULES_FILE",
    "RulesYear",
    "WorkCalendar",
    "load_calendar",
    "load_rules_file",
]

DEFAULT_RULES_FILE: Path = Path(__file__).resolve().parent.parent / "rules" / "calendar-cn.toml"

Kind = Literal["cn", "country", "custom"]

# A range longer than this is almost certainly a typo (a wrong year or month), not a holiday.
_MAX_RANGE_DAYS = 62
_WEEKEND: frozenset[int] = frozenset({5, 6})  # Saturday, Sunday (date.weekday())


@dataclass(frozen=True)
class RulesYear:
    """One year of the rules file: the days that differ from the plain weekend rule."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    official: bool = False  # True once an admin copied the published official notice


@dataclass(frozen=True)
class _Year:
    """A year's answers precomputed: flags[i] is 1 when day i (0 = Jan 1) is a working day."""

    flags: bytes
    cumulative: tuple[int, ...]  # cumulative[i] = working days among days 0..i
    provisional: bool

    @property
    def total(self) -> int:
        return self.cumulative[-1]


class WorkCalendar:
    """Which days are working days; immutable once built (the per-year cache is internal).

    Build it with ``load_calendar``: the constructor takes a function answering one whole year
    because every source (official package, rules file, ``holidays``) is cheapest asked that way.
    """

    __slots__ = ("_extra_holidays", "_extra_workdays", "_name", "_year_source", "_years")

    def __init__(
        self,
        name: str,
        year_source: Callable[[int], tuple[Callable[[date], bool], bool]],
        *,
        extra_holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
    ) -> None:
        """`year_source(year)` returns (is_workday for that year's days, provisional)."""
        self._name = name
        self._year_source = year_source
        self._extra_holidays = frozenset(extra_holidays)
        self._extra_workdays = frozenset(extra_workdays)
        both = self._extra_holidays & self._extra_workdays
        if both:
            listed = ", ".join(sorted(d.isoformat() for d in both))
            raise ConfigError(f"calendar {name}: {listed} listed both as extra holiday and extra workday")
        self._years: dict[int, _Year] = {}

    @property
    def name(self) -> str:
        """A stable identifier for logs and replies ("cn", "country:US", "custom")."""
        return self._name

    def __repr__(self) -> str:
        return f"WorkCalendar({self._name!r})"

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is not None:
            return cached
        if not date.min.year <= year <= date.max.year:
            raise OverflowError(f"year {year} is out of range")
        is_work, provisional = self._year_source(year)
        first = date(year, 1, 1)
        length = (date(year, 12, 31) - first).days + 1
        flags = bytearray(length)
        for i in range(length):
            d = first + timedelta(days=i)
            if d in self._extra_workdays:
                flags[i] = 1
            elif d in self._extra_holidays:
                flags[i] = 0
            else:
                flags[i] = 1 if is_work(d) else 0
        built = _Year(bytes(flags), tuple(accumulate(flags)), provisional)
        self._years[year] = built
        return built

    def is_workday(self, d: date) -> bool:
        return self._year(d.year).flags[d.timetuple().tm_yday - 1] == 1

    def is_provisional(self, d: date) -> bool:
        """True when d's year is answered by the rules file or weekday rule, not an official source."""
        return self._year(d.year).provisional

    def _rank_in_year(self, d: date) -> int:
        """Working days from Jan 1 of d's year up to and including d."""
        return self._year(d.year).cumulative[d.timetuple().tm_yday - 1]

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: the meeting day itself is never counted."""
        if end <= start:
            return 0
        if start.year == end.year:
            return self._rank_in_year(end) - self._rank_in_year(start)
        count = self._year(start.year).total - self._rank_in_year(start)
        for year in range(start.year + 1, end.year):
            count += self._year(year).total
        return count + self._rank_in_year(end)

    def add_workdays(self, start: date, n: int) -> date:
        """The nth working day after start (start not counted); n == 0 gives start itself.

        Raises ValueError for negative n (a due date is never counted backwards) and
        OverflowError past year 9999.
        """
        if n < 0:
            raise ValueError(f"add_workdays needs n >= 0, got {n}")
        if n == 0:
            return start
        year = start.year
        target = self._rank_in_year(start) + n
        data = self._year(year)
        while target > data.total:
            target -= data.total
            year += 1
            data = self._year(year)
        index = bisect_left(data.cumulative, target)
        return date(year, 1, 1) + timedelta(days=index)


def working_day_on_or_before(calendar: WorkCalendar, day: date) -> date:
    """`day` if it is a working day, else the last one before it (a reminder, a materials deadline)."""
    while not calendar.is_workday(day):
        day -= timedelta(days=1)
    return day


# --- rules file -------------------------------------------------------------------------


def _parse_day(value: Any, where: str, path: Path) -> list[date]:
    """One list entry: a TOML date, "YYYY-MM-DD", or an inclusive range "YYYY-MM-DD..YYYY-MM-DD"."""
    if isinstance(value, date):
        return [value]
    if not isinstance(value, str):
        raise ConfigError(f"{path}: {where}: expected a date or a 'YYYY-MM-DD..YYYY-MM-DD' range, got {value!r}")
    text = value.strip()
    try:
        if ".." in text:
            first_text, last_text = (part.strip() for part in text.split("..", 1))
            first, last = date.fromisoformat(first_text), date.fromisoformat(last_text)
        else:
            first = last = date.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"{path}: {where}: {value!r} is not a date (YYYY-MM-DD) or a range (YYYY-MM-DD..YYYY-MM-DD)"
        ) from None
    span = (last - first).days
    if span < 0:
        raise ConfigError(f"{path}: {where}: range {value!r} ends before it starts")
    if span >= _MAX_RANGE_DAYS:
        raise ConfigError(f"{path}: {where}: range {value!r} is longer than {_MAX_RANGE_DAYS} days")
    return [first + timedelta(days=i) for i in range(span + 1)]


def _parse_year(key: str, table: Any, path: Path) -> RulesYear:
    if not (key.isascii() and key.isdigit() and len(key) == 4):
        raise ConfigError(f"{path}: [years.{key}]: the key must be a four-digit year")
    year = int(key)
    if not isinstance(table, Mapping):
        raise ConfigError(f"{path}: years.{key} must be a table ([years.{key}])")
    unknown = set(table) - {"holidays", "workdays", "official", "note"}
    if unknown:
        raise ConfigError(
            f"{path}: [years.{key}]: unknown key(s) {', '.join(sorted(unknown))} "
            "(expected holidays, workdays, official, note)"
        )
    official = table.get("official", False)
    if not isinstance(official, bool):
        raise ConfigError(f"{path}: [years.{key}]: official must be true or false")
    lists: dict[str, set[date]] = {}
    for field in ("holidays", "workdays"):
        entries = table.get(field, [])
        if not isinstance(entries, list):
            raise ConfigError(f"{path}: [years.{key}]: {field} must be a list")
        days: set[date] = set()
        for entry in entries:
            for d in _parse_day(entry, f"[years.{key}] {field}", path):
                if d.year != year:
                    raise ConfigError(f"{path}: [years.{key}] {field}: {d.isoformat()} is not in {year}")
                days.add(d)
        lists[field] = days
    both = lists["holidays"] & lists["workdays"]
    if both:
        listed = ", ".join(sorted(d.isoformat() for d in both))
        raise ConfigError(f"{path}: [years.{key}]: {listed} listed both in holidays and workdays")
    return RulesYear(year, frozenset(lists["holidays"]), frozenset(lists["workdays"]), official)


def load_rules_file(path: Path) -> dict[int, RulesYear]:
    """Read the holiday rules file; every mistake is a ConfigError naming the file.

    Format (TOML)::

        [years.2027]
        official = false                      # optional; true once copied from the official notice
        note = "free text"                    # optional
        holidays = ["2027-01-01", "2027-02-05..2027-02-13"]   # days off; ranges inclusive
        workdays = ["2027-01-31"]             # weekend days that are working days (调休)

    Entries may also be bare TOML dates (2027-01-01). Weekend days need not be listed as
    holidays; listing them is harmless.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the calendar rules file: {exc.strerror or exc}") from None
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the calendar rules file is not UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: the calendar rules file is not valid TOML: {exc}") from None
    unknown = set(document) - {"years"}
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key(s) {', '.join(sorted(unknown))} (expected [years.YYYY])")
    years = document.get("years", {})
    if not isinstance(years, Mapping):
        raise ConfigError(f"{path}: 'years' must be a table of [years.YYYY] tables")
    parsed = [_parse_year(str(key), table, path) for key, table in years.items()]
    return {entry.year: entry for entry in parsed}


# --- year sources -----------------------------------------------------------------------


def _weekday_rule(rules: RulesYear | None) -> Callable[[date], bool]:
    if rules is None:
        return lambda d: d.weekday() not in _WEEKEND
    holidays, workdays = rules.holidays, rules.workdays
    return lambda d: d in workdays or (d.weekday() not in _WEEKEND and d not in holidays)


def _cn_source(rules: Mapping[int, RulesYear]) -> Callable[[int], tuple[Callable[[date], bool], bool]]:
    import chinese_calendar

    def source(year: int) -> tuple[Callable[[date], bool], bool]:
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            listed = rules.get(year)
            return _weekday_rule(listed), not (listed is not None and listed.official)
        return chinese_calendar.is_workday, False

    return source


def _country_source(
    country: str, rules: Mapping[int, RulesYear]
) -> Callable[[int], tuple[Callable[[date], bool], bool]]:
    import holidays

    try:
        probe = holidays.country_holidays(country)
    except NotImplementedError:
        raise ConfigError(f"calendar country {country!r} is not known to the holidays package") from None
    weekend = frozenset(getattr(probe, "weekend", _WEEKEND) or _WEEKEND)

    def source(year: int) -> tuple[Callable[[date], bool], bool]:
        days_off = frozenset(holidays.country_holidays(country, years=year))
        listed = rules.get(year)
        extra_off = listed.holidays if listed else frozenset()
        extra_on = listed.workdays if listed else frozenset()

        def is_work(d: date) -> bool:
            if d in extra_on:
                return True
            return d.weekday() not in weekend and d not in days_off and d not in extra_off

        return is_work, False

    return source


def _custom_source(rules: Mapping[int, RulesYear]) -> Callable[[int], tuple[Callable[[date], bool], bool]]:
    def source(year: int) -> tuple[Callable[[date], bool], bool]:
        return _weekday_rule(rules.get(year)), False

    return source


def load_calendar(
    kind: str = "cn",
    *,
    rules_file: Path | None = None,
    country: str | None = None,
    extra_holidays: Iterable[date] = (),
    extra_workdays: Iterable[date] = (),
) -> WorkCalendar:
    """Build the configured calendar; configuration mistakes are ConfigError, never a silent default.

    For "cn" and "custom" the rules file defaults to the repository's ``rules/calendar-cn.toml``;
    when that default is absent (e.g. an installed wheel) the calendar simply has no rules, but a
    file named explicitly must exist. For "country" a rules file is applied only when named.
    """
    if kind == "country":
        if not country:
            raise ConfigError("calendar kind 'country' needs a country code (e.g. country = \"US\")")
        rules = load_rules_file(rules_file) if rules_file is not None else {}
        return WorkCalendar(
            f"country:{country}",
            _country_source(country, rules),
            extra_holidays=extra_holidays,
            extra_workdays=extra_workdays,
        )
    if kind not in ("cn", "custom"):
        raise ConfigError(f"unknown calendar kind {kind!r} (expected 'cn', 'country' or 'custom')")
    if rules_file is None:
        rules = load_rules_file(DEFAULT_RULES_FILE) if DEFAULT_RULES_FILE.is_file() else {}
    else:
        rules = load_rules_file(rules_file)
    source = _cn_source(rules) if kind == "cn" else _custom_source(rules)
    return WorkCalendar(kind, source, extra_holidays=extra_holidays, extra_workdays=extra_workdays)
