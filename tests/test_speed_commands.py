"""The reply-command vocabulary loads fast (issue 15, "Speed"): its patterns are compiled when
first used, neighbouring words share their word boundaries, and the character classes inside its
case-insensitive patterns are written so that they are not case-folded one character at a time.
Each of these must leave every match as it was: the rewritten pieces are checked against the
forms they replace, over every code point or over real lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mailbot.replies import commands
from mailbot.replies.commands import _ALNUM, _HAN, _HAN_CLASS, _is_han, _key, _word_alternation, load_command_vocabulary

ROOT = Path(__file__).resolve().parent.parent
PATTERNS = (
    "word_re", "ref_re", "refs_re", "reason_re", "date_intro_re", "target_intro_re", "contrast_re", "negation_re",
    "greeting_re", "sign_off_re", "thanks_re", "address_re",
)  # fmt: skip
# Every character but the surrogates, which a str from a mail never holds.
EVERY_CHARACTER = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)


def matched(pattern: str, flags: int = 0) -> set[str]:
    return set(re.findall(pattern, EVERY_CHARACTER, flags))


def test_the_classes_match_what_they_matched_case_insensitively() -> None:
    assert matched(f"(?i){_HAN_CLASS}") == matched(f"[{_HAN}]", re.IGNORECASE) == matched(f"[{_HAN}]")
    assert matched(f"(?i){_ALNUM}") == matched("[A-Za-z0-9]", re.IGNORECASE)


def test_han_is_told_as_the_class_told_it() -> None:
    han = re.compile(f"[{_HAN}]")
    assert all(_is_han(ch) == bool(han.match(ch)) for ch in EVERY_CHARACTER)
    assert not _is_han("") and _is_han("确x") and not _is_han("x确")


@pytest.mark.parametrize(
    "word", ["确认", "确 认", "确认 收到", "A-12 确认", "looks  good", "確 認 OK", "  ", "x 确", "确 x"]
)
def test_a_key_drops_only_the_spaces_between_two_han(word: str) -> None:
    gap = re.compile(f"(?<=[{_HAN}])\\s+(?=[{_HAN}])")
    assert _key(word) == gap.sub("", " ".join(commands._fold(word).casefold().split()))


def old_alternation(words: list[str], anywhere: bool = False) -> str:
    """_word_alternation as it was: every English word with its own boundaries."""
    parts = []
    for word in sorted(set(words), key=len, reverse=True):
        body = r"\s+".join(commands._han_spaced(piece) for piece in word.split(" "))
        if word[-1].isascii() and word[-1].isalnum():
            body += r"(?![A-Za-z0-9])"
        if anywhere and word[0].isascii() and word[0].isalnum():
            body = r"(?<![A-Za-z0-9])" + body
        parts.append(body)
    return "|".join(parts) if parts else "(?!)"


def corpus() -> list[str]:
    """Lines people write to the bot (the reply fixtures, whole and from each word on) and the
    bot's own words (the templates and the rules)."""
    lines: set[str] = set()
    for folder, cut in (("tests/replies", True), ("templates", False), ("rules", False)):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file():
                for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                    line = line.strip()
                    if 0 < len(line) < 200:
                        lines.add(line)
                        if cut:
                            lines.update(line[i + 1 :] for i, ch in enumerate(line) if ch == " ")
    return sorted(lines)


def test_shared_boundaries_match_as_each_word_with_its_own() -> None:
    vocabulary = load_command_vocabulary()
    words = list(vocabulary.words)
    lines = corpus()
    for anywhere in (False, True):
        new = re.compile(_word_alternation(words, anywhere), re.IGNORECASE)
        old = re.compile(old_alternation(words, anywhere), re.IGNORECASE)
        for line in lines:
            text = vocabulary.fold(line)
            assert [m and m.span() for m in (new.match(text), new.search(text))] == [
                m and m.span() for m in (old.match(text), old.search(text))
            ], line


def test_patterns_are_compiled_when_first_used() -> None:
    vocabulary = load_command_vocabulary()
    assert not [name for name in PATTERNS if name in vocabulary.__dict__]
    assert vocabulary.word_re.match("确认")
    assert [name for name in PATTERNS if name in vocabulary.__dict__] == ["word_re"]
    assert vocabulary.word_re is vocabulary.word_re  # compiled once
    assert {name: getattr(vocabulary, name).flags & re.IGNORECASE for name in PATTERNS} == dict.fromkeys(
        PATTERNS, re.IGNORECASE
    )
    assert load_command_vocabulary() == vocabulary  # compared by their words and pattern sources
