"""The languages the bot writes: one folder each under templates/, with a fallback.

    templates/            what every language shares: layouts (_base.html), styles, people macros,
                          and a kind's HTML where its layout is written once (reminder.html …)
    templates/zh/         one language: its mail templates (KIND.txt, KIND.html, partials) and
    templates/en/         words.toml, what Python writes in that language (see below)

The set of languages is the set of folders (a folder named like a language tag: zh, en, fr,
pt-BR). A language need not be complete: the fallback language — `[bot] language` when it has a
folder, else "en" — fills in every template and word it lacks, and the start says so in a
warning. The fallback itself must be complete: a word it lacks stops the start, naming the file.

words.toml holds what the code used to spell per language: the CLDR pattern of a day (formatted
by Babel, so weekday and month names come from CLDR), the "reply above this line" marker, the
HTML `lang` and font stack, and the tracking table's sheet, file and column names. A mail's own
sentences stay in its templates. Status words stay in rules/statuses.toml (already per language);
a language missing there falls back too (see `StatusWords.text`).
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from mailbot.errors import ConfigError

if TYPE_CHECKING:  # Babel is imported where a day is formatted or a locale read, not with the module
    from babel import Locale

log = logging.getLogger(__name__)

PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
WORDS_FILE = "words.toml"
# The fallback when the configured language has no folder.
DEFAULT_FALLBACK = "en"
# A folder that is a language: "zh", "en", "fr", "pt-BR", "zh-TW" (at most 5 characters: the
# database keeps a person's and a mail's language in a String(5)).
LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,3})?")
MAX_TAG = 5

# The tracking table's columns in their order (mailbot/exports.py): words.toml names each one.
TRACKING_COLUMNS = (
    "ref", "meeting", "description", "owner", "department", "support", "due", "deliverable", "status", "delay_reason",
)  # fmt: skip
# After the seed's ten, the columns people following the work up asked for (issue 13).
MORE_COLUMNS = ("meeting_date", "overdue_days", "consent", "verifier", "done_on", "verified_on")
# How an accepted action was agreed (ActionItem.consent), as the tracking table says it.
CONSENT_KINDS = ("explicit", "silent", "overruled")
FONTS = ("cjk", "latin")

# What words.toml may hold: key -> the keys of its table, or None for a string.
SCHEMA: Mapping[str, Any] = {
    "locale": None,
    "date": None,
    "marker": None,
    "html": {"lang": None, "fonts": None},
    "tracking": {
        "sheet": None,
        "file": None,
        "columns": dict.fromkeys((*TRACKING_COLUMNS, *MORE_COLUMNS)),
        "consent": dict.fromkeys(CONSENT_KINDS),
    },
}


def is_language_tag(name: str) -> bool:
    return len(name) <= MAX_TAG and LANGUAGE_TAG.fullmatch(name) is not None


@dataclass(frozen=True)
class Words:
    """One language's words.toml, completed from the fallback's."""

    language: str
    locale: Locale
    date_pattern: str
    marker: str
    html_lang: str
    fonts: str  # "cjk" | "latin": which font stack of templates/_styles.html leads
    tracking_sheet: str
    tracking_file: str
    columns: Mapping[str, str]
    consent: Mapping[str, str]
    # A mail shows the same few days many times (a digest: every action's due date): formatted once.
    _days: dict[date, str] = field(default_factory=dict, repr=False, compare=False)

    def day(self, value: date | datetime | str | None) -> str:
        """A day as this language's mails show it: `2026年12月11日（周五）`, `Fri 11 Dec 2026`."""
        if value is None or value == "":
            return "—"
        if isinstance(value, str):  # contexts travel through the outbox as JSON: dates as ISO strings
            value = date.fromisoformat(value[:10])
        day = value.date() if isinstance(value, datetime) else value
        text = self._days.get(day)
        if text is None:
            from babel.dates import format_date

            text = self._days[day] = format_date(day, self.date_pattern, locale=self.locale)
        return text

    def headers(self) -> tuple[str, ...]:
        """The tracking table's header row: the seed's columns, then MORE_COLUMNS."""
        return tuple(self.columns[key] for key in (*TRACKING_COLUMNS, *MORE_COLUMNS))


@dataclass(frozen=True)
class Languages:
    """The language folders of one templates/ folder, their words, and the fallback."""

    folder: Path
    # The languages there are, the fallback first (then by name): "zh or en" reads as configured.
    available: tuple[str, ...]
    fallback: str
    words: Mapping[str, Words]
    # Language -> the words it takes from the fallback (for the start's warning and `rules check`).
    borrowed: Mapping[str, tuple[str, ...]]
    # The configured `[bot] language`, when it has no folder (the fallback stands in for it).
    configured_missing: str | None = None

    def __contains__(self, language: object) -> bool:
        return language in self.words

    def __iter__(self) -> Iterator[str]:
        return iter(self.available)

    def pick(self, language: str | None) -> str:
        """`language` when there is a folder for it, else the fallback."""
        return language if language is not None and language in self.words else self.fallback

    def of(self, language: str | None) -> Words:
        return self.words[self.pick(language)]

    def search_path(self, language: str) -> list[Path]:
        """Where a template for `language` is looked for: its folder, the fallback's, the shared root."""
        return list(dict.fromkeys((self.folder / language, self.folder / self.fallback, self.folder)))

    def spelled(self) -> str:
        """The languages for a message: "zh or en", "zh, en or fr"."""
        if len(self.available) == 1:
            return self.available[0]
        return ", ".join(self.available[:-1]) + " or " + self.available[-1]


def language_folders(folder: Path) -> list[str]:
    if not folder.is_dir():
        raise ConfigError(f"{folder}: the templates folder is not there (config [paths] templates)")
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and is_language_tag(p.name))


def load_languages(folder: Path, configured: str) -> Languages:
    """Every language folder of `folder`, each one's words completed from the fallback's.

    Raises ConfigError when there is no fallback (neither the configured language nor "en" has a
    folder), when the fallback's words.toml lacks a word, or when a words.toml holds an unknown key.
    """
    found = language_folders(folder)
    if configured in found:
        fallback, missing = configured, None
    elif DEFAULT_FALLBACK in found:
        fallback, missing = DEFAULT_FALLBACK, configured
        log.warning(
            "bot.language %r has no folder in %s: mails in it are written in %r, which also fills in "
            "what other languages lack",
            configured, folder, fallback,
        )  # fmt: skip
    else:
        raise ConfigError(
            f"{folder}: no folder for bot.language {configured!r} nor for {DEFAULT_FALLBACK!r} to fall back on "
            f"(language folders found: {', '.join(found) or 'none'})"
        )
    base = read_words(folder / fallback / WORDS_FILE)
    absent = [key for key in flatten(SCHEMA) if key not in flatten(base) and key != "locale"]
    if absent:
        raise ConfigError(
            f"{folder / fallback / WORDS_FILE}: the fallback language must name every word; missing {absent}"
        )
    words: dict[str, Words] = {}
    borrowed: dict[str, tuple[str, ...]] = {}
    for language in found:
        own = read_words(folder / language / WORDS_FILE)
        borrowed[language] = tuple(key for key in flatten(SCHEMA) if key not in flatten(own) and key != "locale")
        merged = merge(base, own)
        # A language's CLDR locale is its folder's name unless words.toml names another.
        if "locale" not in own:
            merged["locale"] = language.replace("-", "_")
        words[language] = make_words(language, merged, folder / language / WORDS_FILE)
        if language != fallback and borrowed[language]:
            log.warning(
                "language %r: %d word(s) of %s taken from %r (the fallback): %s",
                language, len(borrowed[language]), folder / language / WORDS_FILE, fallback,
                ", ".join(borrowed[language]),
            )  # fmt: skip
    available = (fallback, *(language for language in found if language != fallback))
    return Languages(
        folder=folder,
        available=available,
        fallback=fallback,
        words=MappingProxyType(words),
        borrowed=MappingProxyType(borrowed),
        configured_missing=missing,
    )


def read_words(path: Path) -> dict[str, Any]:
    """One words.toml (an absent file is no words: all borrowed), its keys checked against SCHEMA."""
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    check(data, SCHEMA, path, "")
    return data


def check(data: dict[str, Any], schema: Mapping[str, Any], path: Path, prefix: str) -> None:
    for key, value in data.items():
        if key not in schema:
            raise ConfigError(f"{path}: {prefix}{key}: unknown key; known: {', '.join(schema)}")
        if schema[key] is None:
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{path}: {prefix}{key}: expected words (a non-empty string), got {value!r}")
        elif not isinstance(value, dict):
            raise ConfigError(f"{path}: {prefix}{key}: expected a table [{prefix}{key}]")
        else:
            check(value, schema[key], path, f"{prefix}{key}.")


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"html": {"lang": "en"}} -> {"html.lang": "en"}."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def merge(base: Mapping[str, Any], own: Mapping[str, Any]) -> dict[str, Any]:
    """`own` over `base`, table by table: a language may give one column name and borrow the rest."""
    merged = dict(base)
    for key, value in own.items():
        merged[key] = merge(base.get(key, {}), value) if isinstance(value, Mapping) else value
    return merged


def make_words(language: str, data: dict[str, Any], path: Path) -> Words:
    from babel import Locale, UnknownLocaleError

    try:
        locale = Locale.parse(data["locale"])
    except (UnknownLocaleError, ValueError) as exc:
        raise ConfigError(f"{path}: locale: {data['locale']!r} is not a CLDR locale ({exc})") from None
    if data["html"]["fonts"] not in FONTS:
        raise ConfigError(f"{path}: html.fonts: {data['html']['fonts']!r} is not one of {', '.join(FONTS)}")
    words = Words(
        language=language,
        locale=locale,
        date_pattern=data["date"],
        marker=data["marker"],
        html_lang=data["html"]["lang"],
        fonts=data["html"]["fonts"],
        tracking_sheet=data["tracking"]["sheet"],
        tracking_file=data["tracking"]["file"],
        columns=MappingProxyType(dict(data["tracking"]["columns"])),
        consent=MappingProxyType(dict(data["tracking"]["consent"])),
    )
    try:  # a pattern Babel cannot read stops the start, not the first mail with a date
        words.day(date(2026, 12, 11))
    except Exception as exc:
        raise ConfigError(f"{path}: date: {data['date']!r} is not a CLDR date pattern ({exc})") from None
    return words


@cache
def shipped_languages() -> Languages:
    """The shipped templates/ folder's languages (for callers without a configured App: tests, tools)."""
    return load_languages(PACKAGE_TEMPLATES, DEFAULT_FALLBACK)
