"""What every match of a compiled regular expression must contain, read off the pattern itself,
and a cheap test of it: the reply reader's shortcut past its attribution patterns
(mailbot/replies/quotes.py). The test never rules out a text the pattern matches; whatever it
cannot understand it treats as "may match", so a wrong answer costs time, never a result.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# What an attribution needs. A minutes table row ("1\tTask 1 …") starts with a digit, so it is a
# wrapped_start: the reader joins up to join_lines lines below it and tries the attribution pattern
# after each join, a big alternation whose lookaheads each scan the whole joined text; that was most
# of the reader's time on a minutes mail. Nearly always no alternative can match, because each needs
# some fixed text ("wrote", "写道", a "\d:\d\d" time) that the window does not hold. That text is
# read off the compiled pattern itself (rules are data: a site may add its own) as a condition every
# string the pattern matches satisfies. A construct that is not understood adds nothing to the
# condition, and a pattern of which nothing could be derived keeps the plain path.

try:  # the parser behind `re`; private, so its absence only means there is no shortcut
    from re import _constants as _sre
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover
    _sre = _sre_parse = None

_ASCII_CHARS = "".join(map(chr, range(128)))
_ASCII_BY_LOWER = {low: {char for char in _ASCII_CHARS if char.lower() == low} for low in _ASCII_CHARS.lower()}
# Bounds that keep the derived condition small; past them it gets weaker, never wrong.
_MAX_RUNS = 16  # alternatives of one fixed stretch ("wrote"/"writes", "写道"/"寫道")
_MAX_WORDS = 32  # words one check may try with `in`
_MAX_REPEAT = 8  # copies of a fixed piece written out for x{n} / x{n,}
_MAX_PROJECTED = 1 << 16  # characters one projection table remembers
# What a projection writes for a character whose match the words cannot tell: texts holding it are
# decided by the regex searches alone (so one that held it already is too).
_UNSURE = "\x00"
_CATEGORIES: dict[object, str] = (
    {
        _sre.CATEGORY_DIGIT: r"\d",
        _sre.CATEGORY_NOT_DIGIT: r"\D",
        _sre.CATEGORY_SPACE: r"\s",
        _sre.CATEGORY_NOT_SPACE: r"\S",
        _sre.CATEGORY_WORD: r"\w",
        _sre.CATEGORY_NOT_WORD: r"\W",
    }
    if _sre is not None
    else {}
)


# The condition, as derived: None stands for "nothing known" (always true).
@dataclass(frozen=True)
class _Contains:
    """The text holds a stretch matching one of `runs`, each a sequence of one-character patterns."""

    runs: frozenset[tuple[str, ...]]


@dataclass(frozen=True)
class _All:
    parts: tuple[_Need, ...]


@dataclass(frozen=True)
class _AnyOf:
    parts: tuple[_Need, ...]


_Need = _Contains | _All | _AnyOf | None


def _all_of(needs: Iterable[_Need]) -> _Need:
    parts: list[_Need] = []
    for need in needs:
        for part in need.parts if isinstance(need, _All) else (need,):
            if part is not None and part not in parts:
                parts.append(part)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else _All(tuple(parts))


def _any_of(needs: Iterable[_Need]) -> _Need:
    parts: list[_Need] = []
    for need in needs:
        if need is None:
            return None
        for part in need.parts if isinstance(need, _AnyOf) else (need,):
            if part not in parts:
                parts.append(part)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else _AnyOf(tuple(parts))


@lru_cache(maxsize=1024)
def _parsed(source: str, flags: int) -> list[Any]:
    return list(_sre_parse.parse(source, flags).data)


def _atom_source(op: object, av: Any, flags: int) -> str | None:
    """A pattern for the one-character node (op, av), checked to parse back into that very node
    (so it matches exactly the same characters under the same flags); None for any other node."""
    if op is _sre.LITERAL:
        return f"\\U{av:08x}"  # the parser's own spelling of a code point
    if op is _sre.ANY:
        return "."
    if op is _sre.IN or op is _sre.NOT_LITERAL:
        return _set_source(op, tuple(av) if op is _sre.IN else av, flags)
    return None


@lru_cache(maxsize=1024)
def _set_source(op: object, av: Any, flags: int) -> str | None:
    if op is _sre.NOT_LITERAL:
        source = f"[^\\U{av:08x}]"
    elif op is _sre.IN:
        items: list[str] = []
        for position, (item, value) in enumerate(av):
            if item is _sre.NEGATE and position == 0:
                items.append("^")
            elif item is _sre.LITERAL:
                items.append(f"\\U{value:08x}")
            elif item is _sre.RANGE:
                items.append(f"\\U{value[0]:08x}-\\U{value[1]:08x}")
            elif item is _sre.CATEGORY and value in _CATEGORIES:
                items.append(_CATEGORIES[value])
            else:
                return None
        source = f"[{''.join(items)}]"
    try:
        return source if _parsed(source, flags) == [(op, list(av) if op is _sre.IN else av)] else None
    except re.error:
        return None


class _Sequence:
    """Walks one sequence of parsed nodes. One-character nodes that stand side by side in every
    match form a stretch; each stretch, and what lookaheads and repeated groups need, is a part of
    what the sequence needs."""

    def __init__(self, flags: int) -> None:
        self.flags = flags
        self.run: set[tuple[str, ...]] = {()}
        self.needs: list[_Need] = []
        self.fixed = True  # no cut yet: `run` is everything the sequence can match

    def cut(self) -> None:
        if all(self.run):  # a stretch that may be empty says nothing
            self.needs.append(_Contains(frozenset(self.run)))
        self.run = {()}
        self.fixed = False

    def extend(self, pieces: frozenset[tuple[str, ...]]) -> None:
        joined = {run + piece for run in self.run for piece in pieces}
        if len(joined) > _MAX_RUNS:
            self.cut()
            joined = set(pieces) if len(pieces) <= _MAX_RUNS else {()}
        self.run = joined

    def node(self, op: object, av: Any) -> None:
        sre = _sre
        if op is sre.AT or op is sre.ASSERT_NOT:
            return  # zero width: the characters on either side stay side by side
        if op is sre.ASSERT:
            # What a lookahead (or lookbehind) matches lies in the text too.
            self.needs.append(_derive(av[1], self.flags).need)
            return
        source = _atom_source(op, av, self.flags)
        if source is not None:
            self.extend(frozenset({(source,)}))
        elif (op is sre.SUBPATTERN and not av[1] and not av[2]) or op is sre.ATOMIC_GROUP:
            # A group is its content in place; one with flags of its own ((?-i:…)) stays unknown.
            for item in av[3] if op is sre.SUBPATTERN else av:
                self.node(*item)
        elif op is sre.BRANCH:
            branches = [_derive(branch, self.flags) for branch in av[1]]
            fixed = [branch.fixed for branch in branches]
            if all(f is not None for f in fixed):
                self.extend(frozenset(run for f in fixed if f is not None for run in f))
            else:
                self.cut()
                self.needs.append(_any_of(branch.need for branch in branches))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            self.repeat(*av)
        else:  # back references, conditionals, unknown nodes: nothing is known of them
            self.cut()

    def repeat(self, low: int, high: int, item: Any) -> None:
        if high == 0:
            return  # x{0} matches the empty string
        inner = _derive(item, self.flags)
        if inner.fixed is not None and low == high and low <= _MAX_REPEAT:
            for _ in range(low):
                self.extend(inner.fixed)
            return
        if low == 0:
            self.cut()
        elif inner.fixed is not None:
            # The first copies follow what came before, the last ones precede what comes after.
            copies = min(low, _MAX_REPEAT)
            for _ in range(copies):
                self.extend(inner.fixed)
            self.cut()
            for _ in range(copies):
                self.extend(inner.fixed)
        else:
            self.cut()
            self.needs.append(inner.need)

    def result(self) -> _Derived:
        fixed = frozenset(self.run) if self.fixed else None
        self.cut()
        return _Derived(_all_of(self.needs), fixed)


@dataclass(frozen=True)
class _Derived:
    need: _Need
    fixed: frozenset[tuple[str, ...]] | None  # every text the nodes match is one of these


def _derive(nodes: Any, flags: int) -> _Derived:
    walk = _Sequence(flags)
    for op, av in nodes:
        walk.node(op, av)
    return walk.result()


def _as_contains(need: _Need) -> _Contains | None:
    """One _Contains implied by `need` (the strongest found), or None."""
    if isinstance(need, _Contains) or need is None:
        return need
    found = [_as_contains(part) for part in need.parts]
    if isinstance(need, _AnyOf):
        if any(part is None for part in found):
            return None
        return _Contains(frozenset(run for part in found if part is not None for run in part.runs))
    candidates = [part for part in found if part is not None]
    return max(candidates, key=lambda part: min(map(len, part.runs)), default=None)


# Checking the condition. On a folded copy of the text (ASCII lower-cased, or projected as below)
# a stretch is looked for with `in` among a few words; a regex search, slow in comparison, is left
# for what the words cannot say.


@lru_cache(maxsize=1024)
def _compiled(source: str, flags: int) -> re.Pattern[str]:
    return re.compile(source, flags)


@lru_cache(maxsize=1024)
def _letters(source: str, flags: int) -> frozenset[str] | None:
    """The characters that stand for the one-character pattern in a folded text, or None.

    Asked of the engine, not assumed: ASCII characters qualify only if the pattern matches exactly
    those whose lower case is in the answer ("w" under IGNORECASE gives {"w"}, "\\d" ten digits);
    the lower case of a character the pattern names ("写", "é") is added if the pattern matches it.
    A pattern matching "k" but not "K" gets None."""
    pattern = _compiled(source, flags)
    matched = frozenset(pattern.findall(_ASCII_CHARS))
    letters = {char.lower() for char in matched}
    if matched != {char for letter in letters for char in _ASCII_BY_LOWER[letter]}:
        return None
    named: list[int] = []  # the characters the pattern names, in _atom_source's spelling
    if source.startswith("\\U"):
        named = [int(source[2:], 16)]
    elif source.startswith("[") and not source.startswith("[^"):
        named = [value for item, value in _parsed(source, flags)[0][1] if item is _sre.LITERAL]
    for code in named:
        lowered = chr(code).lower()
        if len(lowered) == 1 and pattern.fullmatch(lowered):
            letters.add(lowered)
    return frozenset(letters)


def _words(run: tuple[str, ...], flags: int) -> set[str] | None:
    """Every folded spelling of a stretch matching `run`, or None when there are too many."""
    choices: list[list[str]] = []
    count = 1
    for source in run:
        letters = _letters(source, flags)
        if letters is None:
            return None
        choices.append(sorted(letters))
        count *= len(letters)
    if count > _MAX_WORDS:
        return None
    return {"".join(spelling) for spelling in itertools.product(*choices)}


def _hint(run: tuple[str, ...], flags: int) -> tuple[tuple[str, ...], set[str]] | None:
    """The longest piece of `run` of characters each folded one way, with its spelling."""
    best: tuple[str, ...] = ()
    piece: list[str] = []
    for source in (*run, "."):  # "." ends the last piece
        letters = _letters(source, flags) if source != "." else None
        if letters is not None and len(letters) == 1:
            piece.append(source)
            continue
        if len(piece) > len(best):
            best = tuple(piece)
        piece = []
    if not best:
        return None
    words = _words(best, flags)
    return (best, words) if words else None


@dataclass(frozen=True)
class _Check:
    """One part of an alternative: the text holds a stretch matching `source`."""

    source: str
    words: tuple[str, ...] | None  # on a folded text: one of these is in it whenever the part holds
    exact: bool  # ... and only then (the search is skipped)
    atoms: frozenset[str]  # the one-character patterns the words spell

    def rank(self) -> tuple[int, int]:
        # The first check to fail ends an alternative: words (an `in` each) before searches, the
        # longest words, the rarest, first.
        return (0, -min(map(len, self.words))) if self.words else (1, 0)


def _check(part: _Contains, flags: int) -> _Check:
    source = "|".join("".join(run) for run in sorted(part.runs))
    spelled = [_words(run, flags) for run in part.runs]
    exact = {word for found in spelled if found is not None for word in found}
    hints = [_hint(run, flags) for run in part.runs]
    hinted = {word for hint in hints if hint is not None for word in hint[1]}
    if all(hint is not None for hint in hints) and (
        any(found is None for found in spelled) or (len(hinted) < len(exact) and min(map(len, hinted)) >= 3)
    ):
        # Each `in` costs about as much as a short scan: "écrit" rules out what "\\sécrit" would in
        # ten spellings; a found word is then confirmed by the search.
        atoms = frozenset(atom for hint in hints if hint is not None for atom in hint[0])
        return _Check(source, tuple(sorted(hinted, key=len, reverse=True)), False, atoms)
    if all(found is not None for found in spelled):
        atoms = frozenset(atom for run in part.runs for atom in run)
        return _Check(source, tuple(sorted(exact, key=len, reverse=True)), True, atoms)
    return _Check(source, None, False, frozenset())


class _Projection(dict[int, str]):
    """A str.translate table folding a non-ASCII text like the words: ASCII lower-cased; a character
    that matches none of the words' one-character patterns kept; one that matches some kept as its
    lower case only if that stands for exactly the patterns it matches (so found words mean what
    they mean on ASCII text); anything else _UNSURE. Filled as characters are first met."""

    def __init__(self, atoms: frozenset[str], flags: int) -> None:
        super().__init__((code, chr(code).lower()) for code in range(128))
        self.atoms = sorted(atoms)
        self.flags = flags
        self.any_atom = _compiled("|".join(self.atoms), flags) if atoms else None

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = char
        if self.any_atom is not None and self.any_atom.fullmatch(char):
            matched = {atom for atom in self.atoms if _compiled(atom, self.flags).fullmatch(char)}
            lowered = char.lower()
            standing = {atom for atom in self.atoms if lowered in (_letters(atom, self.flags) or ())}
            folded = lowered if len(lowered) == 1 and matched == standing else _UNSURE
        if len(self) < _MAX_PROJECTED:
            self[code] = folded
        return folded


class Shortcut:
    """A condition every text the attribution pattern matches satisfies; cheap where it fails."""

    def __init__(self, alternatives: list[list[_Check]], flags: int) -> None:
        ordered = [sorted(checks, key=_Check.rank) for checks in alternatives]
        self.alternatives = [[(c.words, c.exact, _Lazy(c.source, flags)) for c in checks] for checks in ordered]
        atoms = frozenset(atom for checks in alternatives for check in checks for atom in check.atoms)
        self.projection = _Projection(atoms, flags)
        # Most alternatives fail on their first check, a word or two ("wrote", "写道"): when none
        # of those words is in the text, only the other alternatives need going through.
        gated = [n for n, checks in enumerate(ordered) if checks[0].words and min(map(len, checks[0].words)) >= 3]
        self.gate = tuple(sorted({word for n in gated for word in ordered[n][0].words or ()}))
        self.ungated = [self.alternatives[n] for n in range(len(ordered)) if n not in gated]

    def caseless(self, text: str) -> str:
        """The text as the words spell it. Character by character, so the caseless copy of a
        joined text is the caseless copies of its pieces, joined the same way."""
        return text.lower() if text.isascii() else text.translate(self.projection)

    def may_match(self, text: str, caseless: str) -> bool:
        """False only if the pattern cannot match `text`; `caseless` is self.caseless(text)."""
        spelled = _UNSURE not in caseless
        contains = caseless.__contains__
        alternatives = self.alternatives
        if spelled and not any(map(contains, self.gate)):
            alternatives = self.ungated
        for checks in alternatives:
            for words, exact, search in checks:
                if spelled and words is not None:
                    if not any(map(contains, words)):
                        break  # this part fails, and with it the alternative
                    if exact:
                        continue
                if search(text) is None:
                    break
            else:
                return True
        return False


class _Lazy:
    """A regex search compiled on first use: most checks are never searched with."""

    __slots__ = ("flags", "pattern", "source")

    def __init__(self, source: str, flags: int) -> None:
        self.source = source
        self.flags = flags
        self.pattern: re.Pattern[str] | None = None

    def __call__(self, text: str) -> re.Match[str] | None:
        if self.pattern is None:
            try:
                self.pattern = re.compile(self.source, self.flags)
            except (re.error, RecursionError, OverflowError):
                self.pattern = re.compile("")  # found in every text: the check rules nothing out
        return self.pattern.search(text)


_UNDERIVABLE = (RecursionError, re.error, TypeError, ValueError, AttributeError, IndexError, KeyError)


@lru_cache(maxsize=8)
def _shortcut_for(need: _Need, flags: int) -> Shortcut | None:
    """The checks for `need`, or None if nothing was derived."""
    alternatives: list[list[_Check]] = []
    for alternative in need.parts if isinstance(need, _AnyOf) else (need,):
        parts = alternative.parts if isinstance(alternative, _All) else (alternative,)
        checks = [_check(found, flags) for found in map(_as_contains, parts) if found is not None]
        if not checks:
            return None  # an alternative that needs nothing: every text may match
        alternatives.append(checks)
    return Shortcut(alternatives, flags)


def _line_kind_parts(
    line_kind: re.Pattern[str], flags: int, attribution: re.Pattern[str], derived: Shortcut | None
) -> tuple[re.Pattern[str], Shortcut] | None:
    """line_kind less its last alternative, the attribution group, and the condition that group
    needs; None unless line_kind is built so (an alternation ending with that group), checked on
    the parsed patterns: the head must parse into the very alternatives line_kind starts with."""
    group = line_kind.groupindex.get("attribution")
    cut = line_kind.pattern.rfind("|(?P<attribution>")
    if group is None or cut < 0:
        return None
    whole = _sre_parse.parse(line_kind.pattern, line_kind.flags)
    if len(whole.data) != 1 or whole.data[0][0] is not _sre.BRANCH:
        return None
    branches = whole.data[0][1][1]
    last = branches[-1].data
    if len(last) != 1 or last[0][0] is not _sre.SUBPATTERN or tuple(last[0][1][:3]) != (group, 0, 0):
        return None
    head = _sre_parse.parse(line_kind.pattern[:cut], line_kind.flags)
    kept = branches[:-1]
    # Parsed nodes print as nested lists and tuples of opcode names and numbers: equal text, equal nodes.
    wanted = repr(kept[0].data) if len(kept) == 1 else repr([(_sre.BRANCH, (None, kept))])
    if repr(head.data) != wanted or head.state.flags != whole.state.flags:
        return None
    compiled = re.compile(line_kind.pattern[:cut], line_kind.flags)
    if any(line_kind.groupindex.get(name) != index for name, index in compiled.groupindex.items()):
        return None
    if line_kind.pattern[cut:] == f"|(?P<attribution>{attribution.pattern})" and attribution.flags == line_kind.flags:
        # The same pattern text under the same flags needs the same (group numbers differ, and
        # back references, which they would change, are not followed anyway).
        condition = derived
    else:
        condition = _shortcut_for(_derive(last[0][1][3], flags).need, flags)
    return None if condition is None else (compiled, condition)


@dataclass(frozen=True)
class Shortcuts:
    """What the reader may skip for one set of rules (None where nothing was derived)."""

    attribution: Shortcut | None  # fails only where rules.attribution.match fails
    # rules.line_kind less its attribution alternative, and the condition that alternative needs:
    # where that fails, line_kind matches (or not) exactly as the head does.
    line_kind_head: re.Pattern[str] | None
    line_kind_attribution: Shortcut | None


@lru_cache(maxsize=8)
def shortcuts(attribution: re.Pattern[str], line_kind: re.Pattern[str]) -> Shortcuts:
    if _sre_parse is None:
        return Shortcuts(None, None, None)
    found: Shortcut | None = None
    parts: tuple[re.Pattern[str], Shortcut] | None = None
    with suppress(*_UNDERIVABLE):
        flags = attribution.flags & ~(re.VERBOSE | re.DEBUG)
        found = _shortcut_for(_derive(_sre_parse.parse(attribution.pattern, attribution.flags), flags).need, flags)
    with suppress(*_UNDERIVABLE):
        parts = _line_kind_parts(line_kind, line_kind.flags & ~(re.VERBOSE | re.DEBUG), attribution, found)
    return Shortcuts(found, *(parts or (None, None)))
