"""Reading the dates people write in meeting minutes: due dates and the meeting's own date/time.

People write `2024-09-15`, `9月15日前`, `本月底前完成流程文档定稿`, `3个工作日内` or `next Friday`
in the due-date cell, so the reader looks for one date *expression* inside the text and lets
the surrounding words (`完成时限：`, `前`, `之前`, `by`, `before`, `due`, `…前完成初稿`) be. A
wrong date silently accepted is worse than a question back to the recorder, so anything vague,
left over from the template, impossible or self-contradicting comes back as an error code with
no value — never a guess. ``dateparser`` is not used: it misses most of these forms and reads
`9月15日前` wrongly.

Input is hostile mail: the text is normalised once (NFKC, so full-width digits and punctuation
become ASCII; whitespace runs collapse to one space) and then scanned by a single regular
expression whose alternatives have only bounded quantifiers, so reading is linear in the length
of the text; and only the first 2,000 characters are searched (a date cell is a few words), so
even a megabyte of junk reads in milliseconds.

Resolution rules (relative to ``anchor``, the meeting date; replies pass the day they arrive):

- ``by X`` / ``before X`` / ``X前`` / ``X之前``: X itself, inclusive.
- Explicit dates: ``2024-09-15``, ``2024/9/15``, ``2024.9.15``, ``2024年9月15日``, ``24年9月15日``,
  ``15 Sep 2024``, ``September 15, 2024``, ``9/15/2024`` — returned as written, even if past.
- A date without a year (``9月15日``, ``9月15号``, ``九月十五日``, ``9/15``, ``Sep 15``): its next
  occurrence on or after the anchor — in the anchor's year, or the next year once passed. A day
  that does not exist there (``2月30日``, ``2月29日`` outside a leap year) is "invalid".
- A day of the month alone (``15号前``, ``15日``): its next occurrence on or after the anchor, in
  the anchor's month or the next one; "invalid" when that month is too short.
- ``本月15日`` / ``下月15日``: that day of the anchor's month / the next month.
- Numeric dates without a year first: ``9/15``, ``15/9``, ``9/15/2024``, ``15/09/2024``,
  ``15-09-2024``, ``15.09.2024``. Only one reading is taken, never a guess between two: when
  one number is over 12 it is the day (``9/15`` and ``15/9`` are both 15 September); when both
  are 12 or under and differ (``5/1``, ``05/01/2027``, ``01-05-2027``), month/day and day/month
  are both real dates and the text is refused as "two_readings" with both readings, so the
  writer can say which (``2027-05-01`` or ``2027年5月1日``). The same number twice (``12/12``) is
  one date. Both over 12 is "invalid". Year-first forms (``2027/05/01``) read one way only.
- ``本月底`` / ``月底`` / ``月末`` / ``本月内`` / ``end of month``: the last day of the anchor's month;
  ``下月底`` / ``end of next month``: the last day of the next month; ``9月底`` / ``end of September``:
  the last day of that month's next occurrence.
- Weeks are calendar weeks, Monday first. ``本周五`` / ``这周五`` / ``this Friday``: Friday of the
  anchor's week (even if already past); ``下周五`` / ``下周5`` / ``下星期五`` / ``next Friday``: Friday
  of the week after; ``下下周五``: two weeks after; ``上周五``: the week before.
- A bare weekday (``周五前``, ``星期五``, ``by Friday``): its next occurrence on or after the anchor.
  It is only used when the text holds no other date, so ``2024-09-15（周日）`` reads as the date.
- ``本周末`` / ``本周内`` / ``周末前`` / ``end of this week`` → Friday of the anchor's week;
  ``下周末`` / ``下周内`` / ``end of next week`` → Friday of the next week. Decision: a
  deadline "by the weekend" means the last day of the working week, not Sunday, when nobody
  reads mail. These are plain calendar Fridays, not moved off holidays.
- ``今天`` / ``当天`` / ``today``: the anchor; ``明天`` / ``明日`` / ``tomorrow``: the next day;
  ``后天`` / ``day after tomorrow``: two days after.
- ``N个工作日内`` / ``N工作日`` / ``within N working days`` / ``N business days``: the Nth working
  day after the anchor (the anchor is not counted) on the given calendar; ``provisional`` is set
  when that calendar answers the result's year provisionally. N in digits, Chinese numerals
  (一…九十九, 两) or English words (one…twelve).
- ``N天内`` / ``N日内`` / ``N自然日内`` / ``within N days``: N calendar days after the anchor;
  ``N周内`` / ``within N weeks``: 7·N days after.

Error codes (``DateReading.error``), stable for templates:

- ``"unreadable"``: empty, or no date expression found.
- ``"vague"``: ``尽快``, ``ASAP``, ``TBD``, ``待定``, ``下周``, ``月中``, ``中旬``, ``later``…, and no date.
- ``"placeholder"``: template left-overs such as ``X月X日``, ``YYYY-MM-DD``, ``2024年XX月XX日``, ``XX``.
- ``"invalid"``: a date that does not exist (``2月30日``, ``2024-13-01``, ``13/13``).
- ``"ambiguous"``: two date expressions that give different days (``9月15日前初稿，9月30日定稿``).
- ``"two_readings"``: one numeric date that reads as two days (``05/01/2027``: 1 May or 5 January);
  ``DateReading.readings`` holds both (month/day first) and ``DateReading.expression`` the date as
  written.

Before-the-anchor checks are the caller's job; this module only reads.
"""

from __future__ import annotations

import calendar as _calendar
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import cache

from mailbot.workdays import WorkCalendar

__all__ = ["DateReading", "plausible", "read_date", "read_meeting_when", "two_readings"]

# A date more than this many years from the meeting is a typo (9999, 0001, 2062 for 2026), not a
# plan: it is a quoted problem, never a due date or a meeting day (nor arithmetic on one).
PLAUSIBLE_YEARS = 5


def plausible(value: date, anchor: date) -> bool:
    return abs(value.year - anchor.year) <= PLAUSIBLE_YEARS


@dataclass(frozen=True)
class DateReading:
    """What a date cell said: a value, or a stable error code the reply template explains."""

    text: str  # the text as written, trimmed
    value: date | None
    # None, "unreadable", "vague", "placeholder", "invalid", "ambiguous", "two_readings", "out_of_range"
    error: str | None = None
    provisional: bool = False  # value computed on a provisional calendar
    # "two_readings": the month/day and the day/month reading, and the numeric date as written.
    readings: tuple[date, ...] = ()
    expression: str = ""


# --- numbers and names ------------------------------------------------------------------

_CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_EN_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_CN_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_EN_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def _cn_int(token: str) -> int | None:
    """Chinese numerals up to 99 (十, 十五, 二十, 二十五, 两); None for anything else."""
    if "十" not in token:
        if len(token) != 1:
            return None
        return _CN_DIGITS.get(token)
    tens_text, _, ones_text = token.partition("十")
    if "十" in ones_text:
        return None
    tens = 1 if tens_text == "" else _CN_DIGITS.get(tens_text)
    ones = 0 if ones_text == "" else _CN_DIGITS.get(ones_text)
    if tens is None or ones is None or len(tens_text) > 1 or len(ones_text) > 1:
        return None
    return tens * 10 + ones


def _int(token: str) -> int | None:
    if token.isascii() and token.isdigit():
        return int(token)
    if token in _EN_NUMBERS:
        return _EN_NUMBERS[token]
    return _cn_int(token)


# --- the scanner ------------------------------------------------------------------------

_CN = "[零〇一二两三四五六七八九十]{1,3}"
_NUM = rf"(?:\d{{1,3}}|{_CN})"
# Not the tail of a longer number, a decimal or a range: "1.5个工作日" and "3-5天内" are refused.
_NOT_NUM = r"(?<![\d零〇一二两三四五六七八九十])(?<!\d[.\-~])"
_EN_NUM = "(?:" + "|".join(sorted(_EN_NUMBERS, key=len, reverse=True)) + ")"
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?![a-z])"
)
_EN_WEEKDAY_FULL = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?![a-z])"
_EN_WEEKDAY_ANY = (
    r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?"
    r"|sat(?:urday)?|sun(?:day)?)(?![a-z])"
)
_CN_WEEKDAY = "[一二三四五六日天1-7]"
_WEEK_WORD = "(?:周|星期|礼拜)"
_THIS = "(?:本|这个?|当)"
_NEXT = "(?:下个?)"

# Each alternative: (group name, pattern). Group names are unique across the whole expression.
# At one position the first alternative that matches wins, so longer forms come first.
# Only bounded quantifiers and single optional spaces (whitespace is collapsed beforehand).
_DATE_ALTERNATIVES: list[tuple[str, str]] = [
    ("ymd", r"(?<!\d)(?P<ymd_y>\d{4})(?P<ymd_s>[-/.])(?P<ymd_m>\d{1,2})(?P=ymd_s)(?P<ymd_d>\d{1,2})(?!\d)"),
    ("ymdcn", rf"(?<!\d)(?P<ymdcn_y>\d{{4}}|\d{{2}}) ?年 ?(?P<ymdcn_m>\d{{1,2}}|{_CN}) ?月 ?"
              rf"(?P<ymdcn_d>\d{{1,2}}|{_CN})(?: ?[日号])?(?!\d)"),
    ("mdy", r"(?<![\d/.\-])(?P<mdy_a>\d{1,2})(?P<mdy_s>[/.\-])(?P<mdy_b>\d{1,2})(?P=mdy_s)(?P<mdy_y>\d{4})(?!\d)"),
    ("ymend", rf"(?<!\d)(?:(?P<ymend_y>\d{{4}}|\d{{2}}) ?年 ?)?(?P<ymend_m>\d{{1,2}}|{_CN}) ?月份? ?(?:底|末)"),
    ("mdcn", rf"(?<!\d)(?P<mdcn_m>\d{{1,2}}|{_CN}) ?月 ?(?P<mdcn_d>\d{{1,2}}|{_CN}) ?[日号]"),
    ("md", r"(?<!\d)(?P<md_m>\d{1,2}) ?月 ?(?P<md_d>\d{1,2})(?![\d月])"),
    ("md2", r"(?<![\d/.\-])(?P<md2_a>\d{1,2})/(?P<md2_b>\d{1,2})(?![\d/])"),
    ("enmdy", rf"(?<![a-z])(?P<enmdy_m>{_MONTH})\.? ?(?P<enmdy_d>\d{{1,2}})(?:st|nd|rd|th)?(?![\d])"
              r"(?:,? ?(?P<enmdy_y>\d{4})(?!\d))?"),
    ("endmy", rf"(?<![\d])(?P<endmy_d>\d{{1,2}})(?:st|nd|rd|th)?[ \-]?(?:of )?(?P<endmy_m>{_MONTH})\.?"
              r"(?:[ \-,]{1,2}(?P<endmy_y>\d{4})(?!\d))?"),
    ("enmend", rf"(?<![a-z])end of (?P<enmend_m>{_MONTH})(?:,? (?P<enmend_y>\d{{4}})(?!\d))?"),
    ("monthend", rf"{_THIS}?月(?:底|末)|{_THIS}月内"
                 r"|(?<![a-z])(?:end of (?:the |this )?month|month[- ]end|eom)(?![a-z])"),
    ("nextmonthend", rf"{_NEXT}月(?:底|末)|(?<![a-z])end of next month(?![a-z])"),
    ("thismonthday", rf"{_THIS}月 ?(?P<thismonthday_d>\d{{1,2}}|{_CN}) ?[日号]"),
    ("nextmonthday", rf"{_NEXT}月 ?(?P<nextmonthday_d>\d{{1,2}}|{_CN}) ?[日号]"),
    ("cnworkdays", rf"{_NOT_NUM}(?P<cnworkdays_n>{_NUM}) ?个? ?工作日"),
    ("enworkdays", rf"(?<![a-z\d])(?<!\d[.\-~])(?P<enworkdays_n>\d{{1,3}}|{_EN_NUM})"
                   r" (?:working|business|work) ?days?(?![a-z])"),
    ("cndays", rf"{_NOT_NUM}(?P<cndays_n>{_NUM}) ?个? ?(?:自然日|天|日)(?:之?内)"),
    ("endays", rf"(?<![a-z\d])(?:within|in) (?P<endays_n>\d{{1,3}}|{_EN_NUM}) (?:calendar )?days?(?![a-z])"),
    ("cnweeks", rf"{_NOT_NUM}(?P<cnweeks_n>{_NUM}) ?个? ?{_WEEK_WORD}(?:之?内)"),
    ("enweeks", rf"(?<![a-z])(?:within|in) (?P<enweeks_n>\d{{1,3}}|{_EN_NUM}) weeks?(?![a-z])"),
    ("cnweekday", rf"(?P<cnweekday_p>下下个?|{_NEXT}|{_THIS}|上个?){_WEEK_WORD}(?P<cnweekday_w>{_CN_WEEKDAY})"),
    ("enweekday", rf"(?<![a-z])(?P<enweekday_p>next|this|coming) (?P<enweekday_w>{_EN_WEEKDAY_ANY})"),
    ("weekend", rf"(?P<weekend_p>{_NEXT}|{_THIS}){_WEEK_WORD}(?:末|内)"
                r"|(?<![a-z])end of (?P<weekend_q>next |this |the )?week(?![a-z])|(?<![a-z])eow(?![a-z])"),
    ("relday", r"今天|今日|当天|当日|明天|明日|后天|(?<![a-z])(?:today|tomorrow|day after tomorrow)(?![a-z])"),
    ("dayonly", r"(?<![\d月])(?P<dayonly_d>\d{1,2}) ?[日号]"),
    # Weak: only used when the text holds no stronger date.
    ("bareweekday", rf"{_WEEK_WORD}(?P<bareweekday_w>{_CN_WEEKDAY})|(?<![a-z])(?P<bareweekday_e>{_EN_WEEKDAY_FULL})"),
    ("bareweekend", r"周末前"),
    # Not dates: remembered to choose the error code.
    ("placeholder", r"(?<![a-z])(?:yyyy|yy|mm|dd)(?![a-z])|(?<![a-z])[x×]{1,4}(?= ?[年月日号/\-.])"
                    r"|(?<=[年月/\-.])[x×]{1,4}(?![a-z])|^[x×]{1,4}$"),
    ("vague", r"尽快|尽早|待定|待确认|另行通知|另定|持续|长期|视情况|近期|月中|上旬|中旬|下旬|下周|本周|下个月"
              r"|(?<![a-z])(?:asap|as soon as possible|tbd|tbc|tba|ongoing|later|soon|next week|this week)(?![a-z])"),
]  # fmt: skip

_WEAK = frozenset({"bareweekday", "bareweekend"})


@cache
def _date_re() -> re.Pattern[str]:
    """All the alternatives in one pattern, compiled when a date is first read: compiling it takes
    about a hundredth of a second, in every process (`mailbot ingest -`), and a reply's may read
    no date at all."""
    return re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _DATE_ALTERNATIVES))


_EXPLICIT = frozenset({"ymd", "ymdcn", "mdy", "mdcn", "md", "md2", "enmdy", "endmy"})
_SPACES = re.compile(r"\s+")
# A date cell is a few words; hostile mail can be megabytes. The scan is linear but costs a few
# microseconds per character, so only the start of the text is searched.
_RAW_LIMIT = 20_000
_SCAN_LIMIT = 2_000


def _normalise(text: str) -> str:
    """One linear pass so the patterns see ASCII digits, one space, lower-case English."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text[:_RAW_LIMIT])).strip().lower()[:_SCAN_LIMIT]


class _Invalid(Exception):
    """A date expression that names a day that does not exist."""


class _TwoReadings(Exception):
    """A numeric date that is a real day read month/day and another read day/month."""

    def __init__(self, readings: tuple[date, date], expression: str) -> None:
        super().__init__(expression)
        self.readings = readings
        self.expression = expression


def _make(year: int, month: int | None, day: int | None) -> date:
    if month is None or day is None:
        raise _Invalid
    try:
        return date(year, month, day)
    except ValueError:
        raise _Invalid from None


def _month_num(token: str) -> int | None:
    if token[:3] in _MONTHS:
        return _MONTHS[token[:3]]
    return _int(token)


def _year(token: str) -> int:
    value = int(token)
    return 2000 + value if len(token) == 2 else value


def _next_occurrence(anchor: date, month: int | None, day: int | None) -> date:
    """On or after the anchor: this year, else next year; a day absent from both is invalid."""
    if month is None or day is None or not (1 <= month <= 12 and 1 <= day <= 31):
        raise _Invalid
    for year in (anchor.year, anchor.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= anchor:
            return candidate
    raise _Invalid


def _orders(first: int, second: int) -> list[tuple[int, int]]:
    """The (month, day) readings of `first/second`: one when a number is over 12 (15/9 and 9/15
    are 15 September) or both are the same, both orders when both could be the month."""
    if first > 12 and second <= 12:
        return [(second, first)]
    if second > 12 or first == second:
        return [(first, second)]
    return [(first, second), (second, first)]


def _one_reading(m: re.Match[str], kind: str, make: Callable[[int, int], date | None]) -> date:
    """The one day a numeric date names (`make` builds it from month and day, None or _Invalid
    when there is no such day); _TwoReadings when it names two, _Invalid when none."""
    values: list[date] = []
    for month, day in _orders(int(m.group(f"{kind}_a")), int(m.group(f"{kind}_b"))):
        try:
            value = make(month, day)
        except _Invalid:
            continue
        if value is not None and value not in values:
            values.append(value)
    if not values:
        raise _Invalid
    if len(values) > 1:
        raise _TwoReadings((values[0], values[1]), m.group(kind))
    return values[0]


def _month_end(year: int, month: int) -> date:
    return date(year, month, _calendar.monthrange(year, month)[1])


def _add_months(d: date, months: int) -> tuple[int, int]:
    index = d.year * 12 + d.month - 1 + months
    return index // 12, index % 12 + 1


def _week_day(anchor: date, weeks: int, weekday: int) -> date:
    monday = anchor - timedelta(days=anchor.weekday())
    return monday + timedelta(weeks=weeks, days=weekday)


def _on_or_after(anchor: date, weekday: int) -> date:
    return anchor + timedelta(days=(weekday - anchor.weekday()) % 7)


def _cn_weekday(token: str) -> int:
    if token.isdigit():
        return int(token) - 1
    return _CN_WEEKDAYS[token]


def _resolve(m: re.Match[str], kind: str, anchor: date, calendar: WorkCalendar | None) -> tuple[date, bool]:
    """(value, depends on the working-day calendar) for one matched expression, or _Invalid."""
    g = m.group
    if kind == "ymd":
        return _make(int(g("ymd_y")), int(g("ymd_m")), int(g("ymd_d"))), False
    if kind == "ymdcn":
        return _make(_year(g("ymdcn_y")), _int(g("ymdcn_m")), _int(g("ymdcn_d"))), False
    if kind == "mdy":
        year = int(g("mdy_y"))
        return _one_reading(m, kind, lambda month, day: _make(year, month, day)), False
    if kind == "mdcn":
        return _next_occurrence(anchor, _int(g("mdcn_m")), _int(g("mdcn_d"))), False
    if kind == "md":
        return _next_occurrence(anchor, int(g("md_m")), int(g("md_d"))), False
    if kind == "md2":
        return _one_reading(m, kind, lambda month, day: _next_occurrence(anchor, month, day)), False
    if kind in ("enmdy", "endmy"):
        month = _month_num(g(f"{kind}_m"))
        day = int(g(f"{kind}_d"))
        year_text = g(f"{kind}_y")
        if year_text:
            return _make(int(year_text), month, day), False
        return _next_occurrence(anchor, month, day), False
    if kind in ("ymend", "enmend"):
        month = _month_num(g(f"{kind}_m"))
        if month is None or not 1 <= month <= 12:
            raise _Invalid
        year_text = g(f"{kind}_y")
        if year_text:
            return _month_end(_year(year_text), month), False
        year = anchor.year if month >= anchor.month else anchor.year + 1
        return _month_end(year, month), False
    if kind == "monthend":
        return _month_end(anchor.year, anchor.month), False
    if kind == "nextmonthend":
        return _month_end(*_add_months(anchor, 1)), False
    if kind in ("thismonthday", "nextmonthday"):
        year, month = _add_months(anchor, 0 if kind == "thismonthday" else 1)
        return _make(year, month, _int(g(f"{kind}_d"))), False
    if kind == "dayonly":
        day = int(g("dayonly_d"))
        if not 1 <= day <= 31:
            raise _Invalid
        if day >= anchor.day:
            return _make(anchor.year, anchor.month, day), False
        return _make(*_add_months(anchor, 1), day), False
    if kind in ("cnworkdays", "enworkdays"):
        n = _int(g(f"{kind}_n"))
        if n is None or calendar is None:
            raise _Invalid
        return calendar.add_workdays(anchor, n), True
    if kind in ("cndays", "endays"):
        n = _int(g(f"{kind}_n"))
        if n is None:
            raise _Invalid
        return anchor + timedelta(days=n), False
    if kind in ("cnweeks", "enweeks"):
        n = _int(g(f"{kind}_n"))
        if n is None:
            raise _Invalid
        return anchor + timedelta(weeks=n), False
    if kind == "cnweekday":
        prefix = g("cnweekday_p")
        weeks = 2 if prefix.startswith("下下") else 1 if prefix.startswith("下") else -1 if prefix[0] == "上" else 0
        return _week_day(anchor, weeks, _cn_weekday(g("cnweekday_w"))), False
    if kind == "enweekday":
        weekday = _EN_WEEKDAYS[g("enweekday_w")[:3]]
        if g("enweekday_p") == "coming":
            return _on_or_after(anchor, weekday), False
        return _week_day(anchor, 1 if g("enweekday_p") == "next" else 0, weekday), False
    if kind == "weekend":
        prefix = g("weekend_p") or g("weekend_q") or ""
        return _week_day(anchor, 1 if prefix.startswith(("下", "next")) else 0, 4), False
    if kind == "relday":
        text = m.group(kind)
        offset = 2 if text in ("后天", "day after tomorrow") else 1 if text in ("明天", "明日", "tomorrow") else 0
        return anchor + timedelta(days=offset), False
    if kind == "bareweekday":
        token = g("bareweekday_w")
        weekday = _cn_weekday(token) if token else _EN_WEEKDAYS[g("bareweekday_e")[:3]]
        return _on_or_after(anchor, weekday), False
    if kind == "bareweekend":
        return _on_or_after(anchor, 4), False
    raise AssertionError(f"unhandled date kind {kind}")  # pragma: no cover


def read_date(text: str, anchor: date, calendar: WorkCalendar) -> DateReading:
    """Read one due-date cell relative to the meeting date (see the module docstring for rules)."""
    shown = text.strip()
    norm = _normalise(text)
    if not norm:
        return DateReading(shown, None, "unreadable")
    strong: dict[date, bool] = {}  # value -> depended on the calendar
    weak: dict[date, bool] = {}
    seen: set[tuple[str, str]] = set()
    invalid = placeholder = vague = False
    two: _TwoReadings | None = None
    for m in _date_re().finditer(norm):
        kind = m.lastgroup or ""
        if kind == "placeholder":
            placeholder = True
            continue
        if kind == "vague":
            vague = True
            continue
        key = (kind, m.group(kind))
        if key in seen:  # hostile repetition costs a set look-up, not a resolution
            continue
        seen.add(key)
        try:
            value, on_calendar = _resolve(m, kind, anchor, calendar)
        except (_Invalid, OverflowError):
            invalid = True
            continue
        except _TwoReadings as found:
            two = two or found
            continue
        target = weak if kind in _WEAK else strong
        target[value] = target.get(value, False) or on_calendar
        if len(strong) > 1:
            break
    if invalid:
        return DateReading(shown, None, "invalid")
    if any(not plausible(value, anchor) for value in (*strong, *weak, *(two.readings if two else ()))):
        return DateReading(shown, None, "out_of_range")
    if two is not None:
        return DateReading(shown, None, "two_readings", readings=two.readings, expression=two.expression)
    if len(strong) > 1:
        return DateReading(shown, None, "ambiguous")
    if strong:
        ((value, on_calendar),) = strong.items()
        return DateReading(shown, value, None, on_calendar and calendar.is_provisional(value))
    if placeholder:
        return DateReading(shown, None, "placeholder")
    if len(weak) == 1:
        ((value, _),) = weak.items()
        return DateReading(shown, value)
    if len(weak) > 1:
        return DateReading(shown, None, "ambiguous")
    return DateReading(shown, None, "vague" if vague else "unreadable")


# --- meeting date and time --------------------------------------------------------------

_PERIOD = "上午|早上|早晨|凌晨|中午|下午|傍晚|晚上|晚"


@cache
def _time_re() -> re.Pattern[str]:
    """Compiled when a meeting's time is first read (an agenda's or a draft's, never a reply's)."""
    return re.compile(
        rf"(?P<p1>{_PERIOD})? ?(?<![\d:.])(?P<h1>\d{{1,2}}):(?P<m1>\d{{2}})(?![\d])(?::\d{{2}})?"
        r"(?: ?(?P<s1>a\.?m\.?|p\.?m\.?)(?![a-z]))?"
        rf"|(?P<p2>{_PERIOD})? ?(?<![\d:.])(?P<h2>\d{{1,2}}|{_CN}) ?(?:点|时)"
        rf" ?(?:(?P<half>半)|(?P<m2>\d{{1,2}}|{_CN}) ?分?)?"
        r"|(?<![\d:.])(?P<h3>\d{1,2}) ?(?P<s3>a\.?m\.?|p\.?m\.?)(?![a-z])"
    )


_RANGE_SEP = re.compile(r" ?(?:[-–—~～至到]|to|until|till) ?")
_PM = frozenset({"下午", "傍晚", "晚上", "晚", "pm"})
_AM = frozenset({"上午", "早上", "早晨", "凌晨", "am"})


@dataclass(frozen=True)
class _Clock:
    hour: int
    minute: int
    period: str | None  # "am", "pm", "noon" or None


def _clock(m: re.Match[str]) -> _Clock | None:
    g = m.group
    if g("h1") is not None:
        hour, minute, period_text = int(g("h1")), int(g("m1")), g("p1") or (g("s1") or "").replace(".", "")
    elif g("h2") is not None:
        hour_value = _int(g("h2"))
        minute_value = 30 if g("half") else (_int(g("m2")) if g("m2") else 0)
        if hour_value is None or minute_value is None:
            return None
        hour, minute, period_text = hour_value, minute_value, g("p2") or ""
    else:
        hour, minute, period_text = int(g("h3")), 0, g("s3").replace(".", "")
    period = "pm" if period_text in _PM else "am" if period_text in _AM else "noon" if period_text else None
    return _Clock(hour, minute, period)


def _to_time(c: _Clock) -> time | None:
    hour = c.hour
    if (c.period == "pm" and hour < 12) or (c.period == "noon" and hour < 11):
        hour += 12
    elif c.period == "am" and hour == 12:
        hour = 0
    if not (0 <= hour <= 23 and 0 <= c.minute <= 59):
        return None
    return time(hour, c.minute)


def _nearest(anchor: date, month: int | None, day: int | None) -> date | None:
    """The occurrence of month/day closest to the anchor: minutes may follow the meeting by days."""
    if month is None or day is None:
        return None
    candidates = []
    for year in (anchor.year - 1, anchor.year, anchor.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    return min(candidates, key=lambda d: abs((d - anchor).days), default=None)


def _meeting_date(m: re.Match[str], kind: str, anchor: date | None) -> date | None:
    g = m.group
    try:
        if kind == "ymd":
            return _make(int(g("ymd_y")), int(g("ymd_m")), int(g("ymd_d")))
        if kind == "ymdcn":
            return _make(_year(g("ymdcn_y")), _int(g("ymdcn_m")), _int(g("ymdcn_d")))
        if kind == "mdy":
            year = int(g("mdy_y"))
            return _one_reading(m, kind, lambda month, day: _make(year, month, day))
        if kind in ("enmdy", "endmy") and g(f"{kind}_y"):
            return _make(int(g(f"{kind}_y")), _month_num(g(f"{kind}_m")), int(g(f"{kind}_d")))
        if kind == "md2" and anchor is not None:
            return _one_reading(m, kind, lambda month, day: _nearest(anchor, month, day))
    except (_Invalid, _TwoReadings):
        return None  # a day that does not exist, or a numeric date that names two: not a guess
    if anchor is None:
        return None
    if kind in ("mdcn", "md"):
        return _nearest(anchor, _int(g(f"{kind}_m")), _int(g(f"{kind}_d")))
    if kind in ("enmdy", "endmy"):
        return _nearest(anchor, _month_num(g(f"{kind}_m")), int(g(f"{kind}_d")))
    return None


def two_readings(text: str, anchor: date | None = None) -> tuple[str, date, date] | None:
    """The meeting date field's numeric date when it names two days (`会议日期：05/01/2027`):
    (the date as written, month/day reading, day/month reading); None otherwise.

    read_meeting_when gives no date for it (never a guess); this is for the problem that says why.
    Without a year the readings are the occurrences nearest the anchor, as read_meeting_when's.
    """
    norm = _normalise(text)
    m = next((m for m in _date_re().finditer(norm) if (m.lastgroup or "") in _EXPLICIT), None)
    if m is None or m.lastgroup not in ("mdy", "md2"):
        return None
    make: Callable[[int, int], date | None]
    if m.lastgroup == "mdy":
        year = int(m.group("mdy_y"))
        make = lambda month, day: _make(year, month, day)  # noqa: E731
    elif anchor is not None:
        near = anchor
        make = lambda month, day: _nearest(near, month, day)  # noqa: E731
    else:
        return None
    try:
        _one_reading(m, m.lastgroup, make)
    except _TwoReadings as found:
        return found.expression, found.readings[0], found.readings[1]
    except _Invalid:
        return None
    return None


def read_meeting_when(text: str, anchor: date | None = None) -> tuple[date | None, time | None, time | None]:
    """The 会议日期/会议时间 field: (date, start, end), each None when absent or unreadable.

    Only explicit dates count here (a meeting is not "next Friday" in its own minutes). A date
    without a year takes the occurrence nearest the anchor (the day the mail was sent), since
    minutes arrive after the meeting and agendas before it; without an anchor it is None.
    An end time without am/pm inherits the start's afternoon (`下午2点-4点` → 14:00–16:00);
    a start without one inherits the end's pm when that keeps it before the end
    (`2:00 - 4:00 PM`). The first date and the first time (range) are used.
    """
    norm = _normalise(text)
    found: date | None = None
    date_end = 0
    for m in _date_re().finditer(norm):
        kind = m.lastgroup or ""
        if kind in _EXPLICIT:
            found = _meeting_date(m, kind, anchor)
            date_end = m.end()
            break
    start: time | None = None
    end: time | None = None
    rest = norm[date_end:]  # the time follows the date, even one that could not be taken
    clocks = _time_re().finditer(rest)
    first = next(clocks, None)
    if first is not None:
        start_clock = _clock(first)
        second = next(clocks, None)
        end_clock = None
        if second is not None and _RANGE_SEP.fullmatch(rest, first.end(), second.start()):
            end_clock = _clock(second)
        if start_clock is not None and end_clock is not None:
            if end_clock.period is None and start_clock.period == "pm" and end_clock.hour < 12:
                end_clock = _Clock(end_clock.hour, end_clock.minute, "pm")
            if start_clock.period is None and end_clock.period == "pm" and start_clock.hour < 12:
                end_time = _to_time(end_clock)
                if end_time is not None and start_clock.hour + 12 <= end_time.hour:
                    start_clock = _Clock(start_clock.hour, start_clock.minute, "pm")
        start = _to_time(start_clock) if start_clock is not None else None
        end = _to_time(end_clock) if end_clock is not None else None
    return found, start, end
