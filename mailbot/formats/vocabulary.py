"""The labels the reader recognises, loaded from `rules/vocabulary.toml` so they are data, not code.

An organisation adds its own synonyms (a department that writes 牵头人 for owner) by editing
the file; the keys stay fixed because the reader's code is written against them.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from mailbot.errors import ConfigError

DEFAULT_VOCABULARY_FILE: Path = Path(__file__).resolve().parents[2] / "rules" / "vocabulary.toml"

# Every table and the keys the code reads from it. A key missing from the file, or one the
# code does not know, is a configuration error: a silent typo would make a label vanish.
TABLE_KEYS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "fields": frozenset(
            {
                "title",
                "date",
                "time",
                "place",
                "host",
                "recorder",
                "attendees",
                "absent",
                "goal",
                "project",
                "confirm_by",
            }
        ),
        "sections": frozenset({"info", "agenda", "decisions", "actions"}),
        "action_columns": frozenset(
            {"number", "description", "owner", "support", "due", "deliverable", "requester", "status", "notes"}
        ),
        "action_labels": frozenset(
            {"description", "owner", "support", "due", "deliverable", "requester", "status", "notes"}
        ),
        "topic_columns": frozenset({"number", "name", "discussion", "opinions", "owner", "planned", "actual"}),
        "topic_labels": frozenset({"owner", "planned", "actual"}),
        "markers": frozenset({"none", "decision_prefixes", "table_header_values", "confirm_phrases"}),
    }
)

_MAX_LABEL_CHARS = 40
# Characters that decorate a label without changing it: markdown bold/italics and spacing.
_DECORATION = frozenset("*_`")
_DROP_DECORATION = str.maketrans("", "", "".join(_DECORATION))


def norm_label(text: str) -> str:
    """The comparable form of a label: NFKC, case-folded, no spaces, no markdown, no trailing colon.

    NFKC folds full-width letters, digits, colons and parentheses to ASCII, so `ＯＷＮＥＲ：`
    and `owner:` compare equal.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    # split() drops exactly the characters isspace() names; C loops, not one Python step a
    # character (every cell of every table row is tried as a header).
    return "".join(folded.split()).translate(_DROP_DECORATION).rstrip(":")


class LabelTable:
    """One table of the vocabulary: key -> labels, and the reverse look-up by normalised label."""

    def __init__(self, name: str, entries: Mapping[str, tuple[str, ...]]) -> None:
        self.name = name
        self.labels: Mapping[str, tuple[str, ...]] = MappingProxyType(dict(entries))
        self._by_label: dict[str, str] = {}
        for key, labels in entries.items():
            for label in labels:
                self._by_label[norm_label(label)] = key
        self._pattern: re.Pattern[str] | None = None

    def inline_pattern(self) -> re.Pattern[str]:
        """Finds `label:` inside a line (`…；负责人：张伟；截止：9月15日`), group "label".

        A label counts only at the start or after a separator or space, so 完成任务： is not
        the label 任务. Longest labels first, so 配合部门 wins over 配合. The pattern is an
        alternation of literals with no nested repetition: linear time.
        """
        if self._pattern is None:
            raw = sorted({lab for labels in self.labels.values() for lab in labels}, key=len, reverse=True)
            alternation = "|".join(r"\s*".join(re.escape(part) for part in lab.split()) for lab in raw)
            self._pattern = re.compile(
                rf"(?:^|(?<=[\s；;|，,、\-—(（*]))(?:\*\*)?(?P<label>{alternation})[ \t]*(?:\*\*)?[ \t]*[:：]",
                re.IGNORECASE,
            )
        return self._pattern

    def key_of(self, label: str) -> str | None:
        """The key a label means, or None; `label` may be raw text (it is normalised here)."""
        return self.key_of_normed(norm_label(label))

    def key_of_normed(self, normed: str) -> str | None:
        """`key_of` for a label already normalised (`norm_label`): one cell tried against
        several tables is normalised once."""
        if not normed or len(normed) > _MAX_LABEL_CHARS:
            return None
        return self._by_label.get(normed)

    def __contains__(self, label: object) -> bool:
        return isinstance(label, str) and self.key_of(label) is not None


@dataclass(frozen=True)
class Vocabulary:
    fields: LabelTable
    sections: LabelTable
    action_columns: LabelTable
    action_labels: LabelTable
    topic_columns: LabelTable
    topic_labels: LabelTable
    none_markers: frozenset[str]
    decision_prefixes: LabelTable
    table_header_values: frozenset[str]
    confirm_phrases: tuple[str, ...] = ()  # case-folded
    source: Path | None = None

    def has_confirm_phrase(self, line: str) -> bool:
        folded = line.casefold()
        return any(phrase in folded for phrase in self.confirm_phrases)

    def is_none_marker(self, text: str) -> bool:
        normed = norm_label(text).rstrip("。.!！")
        return normed in self.none_markers


def _labels(path: Path, table: str, key: str, value: Any) -> tuple[str, ...]:
    where = f"{path}: [{table}] {key}"
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where} must be a non-empty list of labels")
    labels: list[str] = []
    for item in value:
        if not isinstance(item, str) or not norm_label(item):
            raise ConfigError(f"{where} has an entry that is not a non-empty string: {item!r}")
        if len(norm_label(item)) > _MAX_LABEL_CHARS:
            raise ConfigError(f"{where} has a label longer than {_MAX_LABEL_CHARS} characters: {item!r}")
        labels.append(item)
    return tuple(labels)


def _table(path: Path, data: Mapping[str, Any], name: str) -> dict[str, tuple[str, ...]]:
    raw = data.get(name)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: table [{name}] is missing or not a table")
    expected = TABLE_KEYS[name]
    unknown = sorted(set(raw) - expected)
    if unknown:
        raise ConfigError(f"{path}: [{name}] has unknown key {unknown[0]!r} (known: {', '.join(sorted(expected))})")
    missing = sorted(expected - set(raw))
    if missing:
        raise ConfigError(f"{path}: [{name}] is missing key {missing[0]!r}")
    entries = {key: _labels(path, name, key, raw[key]) for key in sorted(expected)}
    seen: dict[str, str] = {}
    for key, labels in entries.items():
        for label in labels:
            normed = norm_label(label)
            other = seen.setdefault(normed, key)
            if other != key:
                raise ConfigError(f"{path}: [{name}] label {label!r} is listed under both {other!r} and {key!r}")
    return entries


def vocabulary_from_data(data: Mapping[str, Any], path: Path) -> Vocabulary:
    """Validate parsed TOML and build a Vocabulary; `path` only names the file in errors."""
    unknown_tables = sorted(set(data) - set(TABLE_KEYS))
    if unknown_tables:
        raise ConfigError(f"{path}: unknown table [{unknown_tables[0]}]")
    tables = {name: _table(path, data, name) for name in TABLE_KEYS}
    markers = tables["markers"]
    return Vocabulary(
        fields=LabelTable("fields", tables["fields"]),
        sections=LabelTable("sections", tables["sections"]),
        action_columns=LabelTable("action_columns", tables["action_columns"]),
        action_labels=LabelTable("action_labels", tables["action_labels"]),
        topic_columns=LabelTable("topic_columns", tables["topic_columns"]),
        topic_labels=LabelTable("topic_labels", tables["topic_labels"]),
        none_markers=frozenset(norm_label(m) for m in markers["none"]),
        decision_prefixes=LabelTable("decision_prefixes", {"decision": markers["decision_prefixes"]}),
        table_header_values=frozenset(norm_label(m) for m in markers["table_header_values"]),
        confirm_phrases=tuple(m.casefold() for m in markers["confirm_phrases"]),
        source=path,
    )


def load_vocabulary(path: Path | str | None = None) -> Vocabulary:
    """Load and validate a vocabulary file; any defect is a ConfigError naming the file and key."""
    file = Path(path) if path is not None else DEFAULT_VOCABULARY_FILE
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the vocabulary file ({exc.strerror or exc})") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{file}: the vocabulary file is not UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML ({exc})") from exc
    return vocabulary_from_data(data, file)


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The shipped rules/vocabulary.toml, read once per process."""
    return load_vocabulary(DEFAULT_VOCABULARY_FILE)
