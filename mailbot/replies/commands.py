"""Reading command lines ("A-12 确认", "delay to Dec 30 because …") from what the person wrote.

Give it the output of quotes.strip_reply, never a raw body: a quoted "回复 确认" must not count.

One command per line. A line is read as: optional bullet, optional action ref(s), optional
leading words (greetings "Hi,", acknowledgements "好的，", "收到，", "Looks good,"), a command
word from rules/commands.toml, then the verb's arguments or a free comment. Lines are
NFKC-folded first, so full-width letters, digits and colons ("Ａ－１２：确认") read as half-width,
traditional characters are read as simplified ("確認" is "确认", rules [traditional]), and words
match case-insensitively. Whatever is kept (a note, a reason, a name) is kept as written.

Two entry points:
  * read_reply(text) -> Reading: commands, acknowledgements, courtesy lines and unrecognised
    lines, apart.
  * read_commands(text) -> (commands, other lines): the older contract, kept for its callers;
    "other lines" are all non-command lines (acknowledgements, courtesy and unrecognised
    alike), in order.

Decisions (the rules file repeats them for whoever edits the words):
  * Every verb may carry a free comment after the word, with punctuation, a space, an emoji or
    nothing between ("确认，月底前给到周总。", "Confirm - thanks David.", "确认👍"). For confirm,
    approve, verify, in_progress and done it is the Command's `note` (in_progress/done also keep
    it in `reason`, as before); object/reject/delay keep their `reason`.
  * Consent must be unambiguous: a confirm/approve/verify comment with a contrast ("但是", "but")
    or starting with a negation ("不", "not") is not consent and comes back unrecognised.
    "确认收到" (receipt) is an acknowledgement, not a confirmation.
  * status/help are questions to the bot: nothing after the word but punctuation, refs and
    courtesy ("Status: all good" is prose).
  * An acknowledgement ("收到", "好的", "谢谢", "Thanks David!", "OK") alone on a line is not consent:
    read_reply returns it in `acknowledgements` as a Command with verb "acknowledge" (never in
    `commands`), so the caller can ask back. Greetings and sign-offs go to `courtesy`.
  * A command word must be a whole word in English ("confirmation" is not "confirm"); in Chinese
    an argument may follow the word directly ("转交张伟", "延期至12月30日"), a word with no
    argument must not run into more Chinese ("完成时限" is not "完成", "确认不了" not "确认").
  * A command word followed by "?" is a question, not a command ("Done? Not yet.").
  * Several refs may share one line ("A-12、A-13 确认"); each gets its own Command.
  * Error codes for a command with missing parts (stable, they name template texts):
    object_needs_reason, reject_needs_reason, delay_needs_date, delay_needs_reason, delegate_needs_target,
    resolve_needs_target (reassign without a person), resolve_needs_date (reschedule without
    a date), resolve_needs_decision ("resolve A-12" alone).
"""

from __future__ import annotations

import itertools
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

DEFAULT_VOCABULARY_PATH = Path(__file__).resolve().parents[2] / "rules" / "commands.toml"

VERBS = (
    "confirm", "object", "in_progress", "done", "delay", "delegate", "status", "help", "approve", "resolve",
    "verify", "reject",
)  # fmt: skip
DECISIONS = ("reassign", "due", "withdraw", "overrule", "reopen", "approve_delay")
# The verb of the Commands in Reading.acknowledgements ("收到", "好的", "Thanks"): never in `commands`.
ACKNOWLEDGE = "acknowledge"
_BARE = frozenset({"status", "help"})
_CONSENT = frozenset({"confirm", "approve", "verify"})
_NOTE = frozenset({"in_progress", "done"})
# Kinds of the words that are not commands (rules: acknowledgements + courtesy, fillers, sign_offs).
_ACK, _FILLER, _SIGN_OFF = "ack", "filler", "sign_off"
_LEADERS = frozenset({_ACK, _FILLER})

# Separators people put between a word and what follows ("异议：…", "Confirm, thanks", "A-12 - done").
_SEP = " \t:;,.!?、。，；！？~-–—"
_BULLET_RE = re.compile(r"\s*(?:[-*•·+]+|\(?\d{1,2}[.)、]|\d{1,2}\s)\s*(?=\S)")
_MARKDOWN_RE = re.compile(r"[*_`]{1,3}")
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# The same characters inside the vocabulary's case-insensitive patterns. Han has no case, so the
# class matches the same characters either way (tests/test_speed_commands.py checks every code
# point), but compiled case-insensitively each of its 28,000 characters is case-folded one by one,
# a large part of the time the vocabulary took to compile.
_HAN_CLASS = f"(?-i:[{_HAN}])"
# Not a letter or digit next to an English word, inside a case-insensitive pattern: what
# `[A-Za-z0-9]` matches there (also İ, ı, ſ and the Kelvin sign, whose case folds into it),
# written out so that it is not case-folded again for every word.
_ALNUM = "(?-i:[0-9A-Za-z\u0130\u0131\u017f\u212a])"
# Emoji, their modifiers and joiners: decoration, like punctuation ("确认👍", "收到🙏🏻").
_MARK_CATEGORIES = frozenset({"So", "Sk", "Cf", "Mn", "Me"})
# A name next to a greeting or a sign-off: "Hi David,", "Dear all", "周总，您好", "Best, 张伟".
_NAME = rf"(?:[a-z][a-z.'-]*(?:\s+[a-z][a-z.'-]*){{0,2}}|{_HAN_CLASS}{{1,4}})"
# Typographic apostrophes read as "'" ("can’t"); one character for one, like the traditional table.
_QUOTES = {ord("’"): "'", ord("‘"): "'"}


@dataclass(frozen=True)
class Command:
    """One command read from one line."""

    verb: str  # one of VERBS; ACKNOWLEDGE only in Reading.acknowledgements
    line: str  # the line as written (for the transcript)
    ref: str | None  # "A-12" when the line named an action, upper-case and half-width
    # object/reject/delay reason; resolve withdraw/overrule: optional. in_progress/done: the note
    # as well (the same text as `note`, where the reply handler has always read it).
    reason: str = ""
    date_text: str = ""  # delay, resolve due: the new date as written; the caller reads it
    target: str = (
        ""  # delegate: name or address; resolve: "reassign:<who>", "due:<date>", "withdraw", "overrule", "reopen"
    )
    error: str | None = None  # stable code when the line is a command but incomplete
    # The free comment after confirm/approve/verify/in_progress/done ("月底前给到周总"), or the
    # remark of an acknowledgement ("马上办"), as written; "" when there was none or only thanks.
    note: str = ""


@dataclass(frozen=True)
class Reading:
    """What read_reply found in the written part of a reply, line by line."""

    commands: list[Command]
    # Lines that acknowledge without consenting ("收到", "好的，谢谢", "Thanks David!", "A-12 OK"):
    # Commands with verb ACKNOWLEDGE, their ref (or None) and `note`; the caller asks back.
    acknowledgements: list[Command]
    courtesy: list[str]  # greetings and sign-offs ("Hi David,", "周总，您好", "Best regards"), as written
    unrecognised: list[str]  # the lines that are none of the above, stripped
    # Every non-command line in order (acknowledgements, courtesy and unrecognised): read_commands' second value.
    other_lines: list[str]


class _Compiled:
    """A pattern of the vocabulary, compiled (case-insensitively) from `sources` the first time it
    is used, then kept on the instance. A mail uses a few of them (a new draft two), and compiling
    all of them took longer than handling the mail, in every `mailbot ingest -` process."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> re.Pattern[str]:
        if instance is None:
            raise AttributeError(f"{self.name} is a pattern of a CommandVocabulary")
        pattern = re.compile(instance.sources[self.name], re.IGNORECASE)
        instance.__dict__[self.name] = pattern  # from now on found before this descriptor
        return pattern


@dataclass(frozen=True)
class CommandVocabulary:
    """The command words of rules/commands.toml, compiled."""

    # folded word -> verb, "decision:<name>" for [resolve] words, "ack", "filler" or "sign_off"
    words: dict[str, str]
    courtesy: tuple[tuple[str, ...], ...]  # token sequences, longest first
    table: dict[int, str]  # traditional -> simplified (and typographic apostrophes), one character for one
    # Each pattern's source, by the name below (word_re, ref_re, …); compiled when first used.
    sources: Mapping[str, str] = field(repr=False)

    word_re = _Compiled()
    ref_re = _Compiled()
    refs_re = _Compiled()
    reason_re = _Compiled()
    date_intro_re = _Compiled()
    target_intro_re = _Compiled()
    contrast_re = _Compiled()  # searched anywhere in a comment
    negation_re = _Compiled()  # at the start of a comment (anywhere in an acknowledgement's remark)
    greeting_re = _Compiled()  # a whole greeting line
    sign_off_re = _Compiled()  # a whole sign-off line
    # One phrase of thanks or acknowledgement, with whom it addresses ("谢谢李总", "辛苦了", "Thanks David"),
    # or only an address ("李总", "David"): see `is_courtesy`.
    thanks_re = _Compiled()
    address_re = _Compiled()

    def fold(self, text: str) -> str:
        return _fold(text, self.table)


def _fold(text: str, table: dict[int, str] | None = None) -> str:
    text = unicodedata.normalize("NFKC", text)
    return text.translate(table) if table else text


def _key(word: str, table: dict[int, str] | None = None) -> str:
    """The word folded, casefolded, its spaces single, and none between two Han characters."""
    # Compared character by character rather than with a pattern: a class of the Han ranges
    # takes milliseconds to compile, which every process paid for the first word.
    tokens = _fold(word, table).casefold().split()
    key = tokens[0] if tokens else ""
    for before, token in itertools.pairwise(tokens):
        key += ("" if _is_han(before[-1]) and _is_han(token[0]) else " ") + token
    return key


def _is_cjk(ch: str) -> bool:
    return ch > "\u2e80"


def _is_han(ch: str) -> bool:
    """Whether `ch` (its first character) is in _HAN."""
    first = ch[:1]
    return "\u3400" <= first <= "\u4dbf" or "\u4e00" <= first <= "\u9fff" or "\uf900" <= first <= "\ufaff"


def _is_mark(ch: str) -> bool:
    """Punctuation between words, white space, or an emoji."""
    return ch in _SEP or ch.isspace() or unicodedata.category(ch) in _MARK_CATEGORIES


def _trim(text: str) -> str:
    start, end = 0, len(text)
    while start < end and _is_mark(text[start]):
        start += 1
    while end > start and _is_mark(text[end - 1]):
        end -= 1
    return text[start:end]


def _han_spaced(piece: str) -> str:
    """The pattern of one word piece, white space allowed between Chinese characters."""
    out = [re.escape(piece[0])] if piece else []
    for before, ch in itertools.pairwise(piece):
        out.append((r"\s*" if _is_han(before) and _is_han(ch) else "") + re.escape(ch))
    return "".join(out)


def _word_alternation(words: list[str], anywhere: bool = False) -> str:
    """Alternation, longest first, with English words held to word boundaries (on both sides when
    the pattern is searched `anywhere`); "确认收到" also matches "确认 收到"."""
    parts: list[tuple[str, str, str]] = []  # (boundary before, the word, boundary after)
    for word in sorted(set(words), key=len, reverse=True):
        body = r"\s+".join(_han_spaced(piece) for piece in word.split(" "))
        after = f"(?!{_ALNUM})" if word[-1].isascii() and word[-1].isalnum() else ""
        before = f"(?<!{_ALNUM})" if anywhere and word[0].isascii() and word[0].isalnum() else ""
        parts.append((before, body, after))
    # Neighbours with the same boundaries share them, `(?:a|b)(?!x)` for `a(?!x)|b(?!x)`: the
    # same alternatives tried in the same order, with one boundary to compile instead of one per
    # English word.
    runs = []
    for (before, after), run in itertools.groupby(parts, key=lambda part: (part[0], part[2])):
        bodies = [body for _, body, _ in run]
        runs.append(f"{before}(?:{'|'.join(bodies)}){after}" if before or after else "|".join(bodies))
    return "|".join(runs) if runs else "(?!)"


def _string_list(data: dict[str, object], key: str) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"commands rules: {key} must be a list of non-empty strings")
    return value


def _traditional_table(data: dict[str, object]) -> dict[int, str]:
    table = dict(_QUOTES)
    section = data.get("traditional", {})
    if not isinstance(section, dict):
        raise ValueError("commands rules: [traditional] must be a table with `from` and `to`")
    source, target = section.get("from", ""), section.get("to", "")
    if not isinstance(source, str) or not isinstance(target, str) or len(source) != len(target):
        raise ValueError("commands rules: [traditional] `from` and `to` must be strings of the same length")
    table.update({ord(a): b for a, b in zip(source, target, strict=True)})
    return table


def load_command_vocabulary(path: Path | None = None) -> CommandVocabulary:
    """Read rules/commands.toml (or `path`) into a CommandVocabulary."""
    with (path or DEFAULT_VOCABULARY_PATH).open("rb") as fh:
        data = tomllib.load(fh)
    table = _traditional_table(data)
    words: dict[str, str] = {}

    def keys(name: str, section: dict[str, object] = data) -> list[str]:
        return [_key(word, table) for word in _string_list(section, name)]

    def add(table_name: str, name: str, target: str) -> None:
        section = data.get(table_name, {}) if table_name else data
        assert isinstance(section, dict)
        for word, key in zip(_string_list(section, name), keys(name, section), strict=True):
            if words.setdefault(key, target) != target:
                raise ValueError(f"commands rules: {word!r} is listed for both {words[key]} and {target}")

    verbs = data.get("verbs", {})
    unknown = set(verbs) - set(VERBS)
    if unknown:
        raise ValueError(f"commands rules: unknown verbs {sorted(unknown)}; known: {', '.join(VERBS)}")
    for verb in verbs:
        add("verbs", verb, verb)
    decisions = data.get("resolve", {})
    unknown = set(decisions) - set(DECISIONS)
    if unknown:
        raise ValueError(f"commands rules: unknown [resolve] decisions {sorted(unknown)}")
    for decision in decisions:
        add("resolve", decision, f"decision:{decision}")
    add("", "acknowledgements", _ACK)
    add("", "courtesy", _ACK)
    add("", "fillers", _FILLER)
    add("", "sign_offs", _SIGN_OFF)

    prefixes = _string_list(data, "ref_prefixes") or ["A"]
    letters = "".join(re.escape(p.upper()) for p in prefixes)
    ref = rf"(?<![A-Za-z0-9])[{letters}]\s?-?\s?\d{{1,6}}(?![0-9])"
    greetings = _word_alternation(keys("fillers"))
    sign_offs = _word_alternation(keys("sign_offs"))
    sources = {
        "word_re": _word_alternation(list(words)),
        "ref_re": ref,
        "refs_re": rf"{ref}(?:\s*(?:[,、/&]|and|和)\s*{ref})*",
        "reason_re": _word_alternation(keys("reason_intro")),
        "date_intro_re": _word_alternation(keys("date_intro")),
        "target_intro_re": _word_alternation(keys("target_intro")),
        "contrast_re": _word_alternation(keys("contrast"), anywhere=True),
        "negation_re": _word_alternation(keys("negation"), anywhere=True),
        "greeting_re": rf"(?:{_NAME}\s*[,:]?\s*)?(?:{greetings})(?:\s*[,:]?\s*{_NAME})?",
        "sign_off_re": rf"(?:{sign_offs})(?:\s*[,:]?\s*{_NAME})?",
        "thanks_re": _thanks_pattern([k for k, kind in words.items() if kind == _ACK], keys("courtesy")),
        "address_re": _ADDRESS,
    }
    return CommandVocabulary(
        words=words,
        courtesy=tuple(sorted({tuple(k.split()) for k in keys("courtesy")}, key=len, reverse=True)),
        table=table,
        sources=MappingProxyType(sources),
    )


# Whom thanks address, next to the words ("谢谢李总", "王芳辛苦了", "Thanks David"): a few Chinese
# characters, or capitalised Latin names ("by Friday" is no name). A phrase that names a day or a
# time is never courtesy ("谢谢，月底前给", "好的明天给" promise something).
_HAN_NAME = rf"{_HAN_CLASS}{{1,4}}"
_LATIN_NAME = r"(?-i:[A-Z][A-Za-z.'-]*(?:\s+[A-Z][A-Za-z.'-]*){0,2})"
_ADDRESSEE = rf"(?:{_HAN_NAME}|{_LATIN_NAME})"
_TIME_WORDS = re.compile(r"\d|[月日号號前后後天点點时時年内內底]|[周週星][一二三四五六日天末期]|[下本这這上][周週]")
# A phrase that only addresses someone: "李总", "王老师", "各位".
_HONORIFICS = "总|總|老师|老師|经理|經理|主任|领导|領導|总监|總監|老板|老闆|哥|姐|工|兄"
_ADDRESS = rf"{_HAN_CLASS}{{1,3}}(?:{_HONORIFICS})|各位|大家"
# Where a remark's phrases part: punctuation, line breaks, a dash between spaces.
_PHRASE_BREAK = re.compile(r"[,，.。!！;；、~～…\n]+|\s[-–—]+\s")


def _thanks_pattern(acks: list[str], thanks: list[str]) -> str:
    """One phrase of thanks or acknowledgement words ("收到", "好的谢谢", "noted with thanks", "thanks
    a lot"), or thanks with whom they address before or after them ("李总辛苦了", "谢谢王芳整理",
    "Thanks David"); an acknowledgement takes no name ("可以试试" is not courtesy)."""
    word, thank = _word_alternation(acks), _word_alternation(thanks)
    words = (
        rf"(?:(?:with|and|many)\s+)?(?:{word})(?:\s*(?:(?:and|with)\s+|&\s*)?(?:{word}))*"
        r"(?:\s+(?:so much|a lot|very much|again))?"
    )
    addressed = rf"(?:{_ADDRESSEE}\s*)?(?:(?:{word})\s*)*(?:{thank})(?:\s*{_ADDRESSEE})?"
    # "Will do" after thanks promises nothing the command did not ("Confirm, thanks, will do").
    return rf"{words}|{addressed}|will do|on it"


def is_courtesy(text: str, vocabulary: CommandVocabulary | None = None) -> bool:
    """Nothing but courtesy: thanks, acknowledgements, greetings and sign-offs, with at most whom
    they address ("谢谢", "收到，辛苦了", "好的，谢谢李总安排", "Thanks David!", "Best regards").
    A remark that says anything more — a date, a promise, a condition, a question, praise with
    content ("月底前给到周总", "写得很清楚", "will send by Friday") — is not: whoever it concerns
    should read it. Empty text is courtesy (there is nothing to read)."""
    vocab = vocabulary or _default_vocabulary()
    folded = _MARKDOWN_RE.sub("", vocab.fold(text))
    thanked, named = False, False
    for piece in _PHRASE_BREAK.split(folded):
        phrase = _trim(piece)
        if not phrase or vocab.address_re.fullmatch(phrase):
            continue
        if _is_courtesy_line(phrase, vocab) or (vocab.thanks_re.fullmatch(phrase) and not _TIME_WORDS.search(phrase)):
            thanked = True
        elif re.fullmatch(_LATIN_NAME, phrase):
            named = True  # "David" alone: courtesy beside thanks ("Thanks. David"), else maybe a word ("Friday")
        else:
            return False
    return thanked or not named


def thanks_in(text: str, vocabulary: CommandVocabulary | None = None) -> bool:
    """Whether `text` thanks someone ("谢谢王芳整理！", "收到，辛苦了", "Thanks David"): a [courtesy]
    word anywhere in it. A bare receipt ("收到", "好的", "OK") has none: it reads as an answer to
    what was asked, thanks read as courtesy to the people."""
    vocab = vocabulary or _default_vocabulary()
    folded = _key(text, vocab.table)
    return any(" ".join(words) in folded or "".join(words) in folded for words in vocab.courtesy)


_DEFAULT: CommandVocabulary | None = None


def _default_vocabulary() -> CommandVocabulary:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_command_vocabulary()
    return _DEFAULT


def _kind(match: re.Match[str], vocab: CommandVocabulary) -> str:
    return vocab.words[_key(match.group(0))]


def _refs(text: str, vocab: CommandVocabulary) -> list[str]:
    return [f"{m.group(0)[0].upper()}-{int(re.sub(r'[^0-9]', '', m.group(0)))}" for m in vocab.ref_re.finditer(text)]


def _take_refs(text: str, vocab: CommandVocabulary) -> tuple[list[str], str]:
    """Refs at the very start of `text`, and what follows them."""
    stripped = text.lstrip(_SEP)
    m = vocab.refs_re.match(stripped)
    if not m:
        return [], text
    return _refs(m.group(0), vocab), stripped[m.end() :]


def _strip_intro(text: str, intro: re.Pattern[str]) -> str:
    """Drop separators, then one intro word ("至", "to", "原因") and the separators after it."""
    text = text.lstrip(_SEP)
    m = intro.match(text)
    if m:
        rest = text[m.end() :]
        # "to" must be a word of its own; a CJK intro like "给" may run into the name.
        if not rest or rest[0] in _SEP or _is_cjk(m.group(0)[-1]):
            text = rest
    return text.lstrip(_SEP)


def _is_bare_tail(text: str, vocab: CommandVocabulary) -> bool:
    """Nothing left but punctuation, emoji and courtesy words ("", "!", ", thanks", "，谢谢。👍")."""
    tokens = "".join(" " if _is_mark(ch) else ch for ch in text).casefold().split()
    i = 0
    while i < len(tokens):
        for phrase in vocab.courtesy:
            size = len(phrase)
            if tuple(tokens[i : i + size]) == phrase:
                i += size
                break
        else:
            return False
    return True


def _split_date_reason(text: str, vocab: CommandVocabulary) -> tuple[str, str]:
    """ "12月30日，原因：供应商延迟" -> ("12月30日", "供应商延迟")."""
    for m in vocab.reason_re.finditer(text):
        before = text[: m.start()]
        # A reason word counts only as a word of its own or right after a CJK date ("30日因…").
        if before and before[-1] not in _SEP and not _is_cjk(before[-1]) and not before[-1].isspace():
            continue
        return before.strip(_SEP), _strip_intro(text[m.end() :], vocab.reason_re).strip(_SEP + " ")
    # No reason word: a comma or semicolon ends the date ("延期至12月30日，供应商延迟"); an ASCII
    # comma before a digit is inside the date ("Dec 30, 2026").
    m = re.search(r"[，；;]|,(?!\s*\d)", text)
    if m:
        return text[: m.start()].strip(_SEP), text[m.end() :].strip(_SEP + " ")
    return text.strip(_SEP), ""


def _split_person(text: str, vocab: CommandVocabulary) -> tuple[str, str]:
    """ "张伟，他更熟悉" -> ("张伟", "他更熟悉"): a comma, semicolon or "。" ends a name or an address;
    what follows is a note (none when it is only thanks)."""
    m = re.search(r"[,;。]", text)
    if not m:
        return text, ""
    note = _trim(text[m.end() :])
    return _tail_text(text[: m.start()]), "" if _is_bare_tail(note, vocab) else note


def _tail_text(text: str) -> str:
    return text.strip(_SEP + " ")


def _decision(
    decision: str, rest: str, line: str, refs: list[str | None], vocab: CommandVocabulary
) -> list[Command] | None:
    reason, date_text, target, error, note = "", "", decision, None, ""
    head = rest.lstrip(" \t")
    if (
        decision in ("withdraw", "overrule", "reopen", "approve_delay")
        and head
        and head[0] not in _SEP
        and not vocab.reason_re.match(head)
    ):
        # "cancel the meeting" is prose; "withdraw, budget cut" / "撤销 因为…" carry a reason.
        return None
    if decision == "reassign":
        who, note = _split_person(_tail_text(_strip_intro(rest, vocab.target_intro_re)), vocab)
        target = f"reassign:{who}" if who else "reassign"
        error = None if who else "resolve_needs_target"
    elif decision == "due":
        date_text, reason = _split_date_reason(_strip_intro(rest, vocab.date_intro_re), vocab)
        target = f"due:{date_text}" if date_text else "due"
        error = None if date_text else "resolve_needs_date"
    else:
        reason = _tail_text(_strip_intro(rest, vocab.reason_re))
        if reason and _is_bare_tail(reason, vocab):
            reason = ""
    return [
        Command("resolve", line, ref, reason=reason, date_text=date_text, target=target, error=error, note=note)
        for ref in refs
    ]


def _skip_leaders(text: str, vocab: CommandVocabulary) -> str:
    """Drop greetings and acknowledgements that lead a command: "OK, confirmed", "收到，确认",
    "Looks good, verified.", "好的，A-12 确认". What leads nothing is left for the caller."""
    while True:
        m = vocab.word_re.match(text)
        if not m or _kind(m, vocab) not in _LEADERS:
            return text
        after = text[m.end() :]
        start = len(after) - len(after.lstrip(_SEP))
        while start < len(after) and _is_mark(after[start]) and after[start] != "?":
            start += 1
        after = after[start:]
        _, peek = _take_refs(after, vocab)
        nxt = vocab.word_re.match(peek.lstrip(_SEP))
        if not nxt or _kind(nxt, vocab) == _SIGN_OFF:
            return text
        text = after


def _agrees(comment: str, vocab: CommandVocabulary) -> bool:
    """A comment after confirm/approve/verify that leaves the consent standing: no contrast
    anywhere ("但是", "but"), no negation at its start ("不行", "not yet") unless the start is
    itself agreement or acknowledgement ("没问题", "no problem", "没有异议")."""
    m = vocab.word_re.match(comment)
    agreeing = m is not None and _kind(m, vocab) in (*_CONSENT, _ACK)
    if not agreeing and vocab.negation_re.match(comment):
        return False
    return not vocab.contrast_re.search(comment)


def _is_short(remark: str) -> bool:
    """A short address or remark after an acknowledgement: "周总", "David", "马上办", "will do"."""
    tokens = "".join(" " if _is_mark(ch) else ch for ch in remark).split()
    if any(ch.isdigit() for ch in remark):
        return False
    han = sum(1 for ch in remark if _is_han(ch))
    latin = sum(1 for token in tokens if not _is_han(token[0]))
    return han <= 8 and latin <= 3


def _acknowledgement(
    rest: str, runs_on: bool, line: str, refs: list[str | None], vocab: CommandVocabulary
) -> list[Command] | None:
    """An acknowledgement line ("收到", "好的，谢谢", "Thanks David!", "收到，马上办"), or None when
    it says more than that or turns against itself ("好的，但是日期不对")."""
    if runs_on:
        return None
    tail = _trim(rest)
    note = tail
    while tail:
        m = vocab.word_re.match(tail)
        if not m or _kind(m, vocab) != _ACK or tail[m.end() : m.end() + 1].isalnum():
            break
        tail = _trim(tail[m.end() :])
    if tail:
        if vocab.contrast_re.search(tail) or vocab.negation_re.search(tail) or not _is_short(tail):
            return None
    else:
        note = ""
    return [Command(ACKNOWLEDGE, line, ref, note=note) for ref in refs]


def _read_command(text: str, line: str, vocab: CommandVocabulary) -> tuple[str, list[Command]] | None:
    """("commands", …) or ("ack", …) for the folded `text` of `line`, or None."""
    refs, text = _take_refs(text, vocab)
    text = _skip_leaders(text.lstrip(_SEP), vocab)
    if not refs:
        refs, text = _take_refs(text, vocab)
        text = text.lstrip(_SEP)
    m = vocab.word_re.match(text)
    if not m:
        return None
    kind = _kind(m, vocab)
    if kind in (_FILLER, _SIGN_OFF):
        return None  # a greeting or a sign-off: read_reply looks at the whole line
    rest = text[m.end() :]
    if kind != "help" and rest.lstrip().startswith(("?", "？")):
        return None  # "Done? Not yet." / "确认？" ask, they do not tell
    # A Chinese word must not run into more Chinese: "完成时限" is not "完成", "确认不了" not "确认".
    runs_on = rest[:1].isalnum()
    if not refs:
        refs, rest = _take_refs(rest, vocab)
        if refs:
            runs_on = False
    targets: list[str | None] = list(refs) or [None]

    if kind == _ACK:
        # Thanks may run into whom they thank: "谢谢周总", "感谢各位".
        thanks = tuple(_key(m.group(0)).split()) in vocab.courtesy
        found = _acknowledgement(rest, runs_on and not thanks, line, targets, vocab)
        return None if found is None else ("ack", found)
    commands = _verb(kind, rest, runs_on, line, targets, vocab)
    return None if commands is None else ("commands", commands)


def _verb(
    kind: str, rest: str, runs_on: bool, line: str, targets: list[str | None], vocab: CommandVocabulary
) -> list[Command] | None:
    if kind == "resolve":
        more, rest = _take_refs(rest, vocab)
        if more and targets == [None]:
            targets = list(more)
        rest = rest.lstrip(_SEP)
        sub = vocab.word_re.match(rest)
        if sub and _kind(sub, vocab).startswith("decision:"):
            decision = _kind(sub, vocab).split(":", 1)[1]
            return _decision(decision, rest[sub.end() :], line, targets, vocab)
        if rest.strip(_SEP):
            return None
        return [Command("resolve", line, ref, error="resolve_needs_decision") for ref in targets]
    if kind.startswith("decision:"):
        decision = kind.split(":", 1)[1]
        return _decision(decision, rest, line, targets, vocab)

    if kind in _BARE:
        if runs_on or not _is_bare_tail(rest, vocab):
            return None
        # Refs written after the word and the courtesy: "status A-12, thanks".
        return [Command(kind, line, ref) for ref in targets]
    if kind in _CONSENT or kind in _NOTE:
        if runs_on:
            return None
        # The comment ("确认，月底前给到周总", "已完成，交付物见附件") travels with the command.
        note = _trim(rest)
        if kind in _CONSENT and note and not _agrees(note, vocab):
            return None  # "同意，但是需要推迟", "confirm but …": not consent, the person is told
        if _is_bare_tail(note, vocab):
            note = ""
        reason = note if kind in _NOTE else ""
        return [Command(kind, line, ref, reason=reason, note=note) for ref in targets]
    if kind in ("object", "reject"):
        reason = _tail_text(_strip_intro(rest, vocab.reason_re))
        error = None if reason else f"{kind}_needs_reason"
        return [Command(kind, line, ref, reason=reason, error=error) for ref in targets]
    if kind == "delay":
        more, rest = _take_refs(rest, vocab)
        if more and targets == [None]:
            targets = list(more)
        date_text, reason = _split_date_reason(_strip_intro(rest, vocab.date_intro_re), vocab)
        error = None
        if not date_text:
            error = "delay_needs_date"
        elif not reason:
            error = "delay_needs_reason"
        return [Command("delay", line, ref, reason=reason, date_text=date_text, error=error) for ref in targets]
    # delegate
    who, note = _split_person(_tail_text(_strip_intro(rest, vocab.target_intro_re)), vocab)
    error = None if who else "delegate_needs_target"
    return [Command("delegate", line, ref, target=who, error=error, note=note) for ref in targets]


def _is_courtesy_line(text: str, vocab: CommandVocabulary) -> bool:
    """A greeting ("Hi David,", "周总，您好！", "Dear all") or a sign-off ("Best regards", "祝好")."""
    text = _trim(text)
    return bool(text) and bool(vocab.greeting_re.fullmatch(text) or vocab.sign_off_re.fullmatch(text))


def _read_line(raw: str, vocab: CommandVocabulary) -> tuple[str, list[Command]] | None:
    """("commands", …), ("ack", …), ("courtesy", []) or None (unrecognised)."""
    line = raw.strip()
    text = _MARKDOWN_RE.sub("", vocab.fold(line)).strip()
    m = _BULLET_RE.match(text)
    if m and not vocab.ref_re.match(text):
        text = text[m.end() :]
    found = _read_command(text, line, vocab)
    if found is None and _is_courtesy_line(text, vocab):
        return ("courtesy", [])
    return found


def _as_written(piece: str, line: str, vocab: CommandVocabulary) -> str:
    """The span of the original line that folds to `piece`: the reader matches on folded text,
    but a reason or a name is kept as the person wrote it (full-width punctuation, traditional
    characters and all)."""
    if not piece:
        return piece
    folded: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(line):
        for part in vocab.fold(ch):
            folded.append(part)
            origin.append(index)
    start = "".join(folded).find(piece)
    if start < 0:
        return piece
    end = start + len(piece) - 1
    return line[origin[start] : origin[end] + 1]


_PHRASE_SPLIT = re.compile(r"([,，.。!！;；、~～…\n]+|\s[-–—]+\s)")
_TAIL_MARKS = " \t,，;；、~～-–—"


def _without_thanks(reason: str, vocab: CommandVocabulary) -> str:
    """A reason without the courtesy its writer closed it with ("等待供应商样机，谢谢！", "the
    supplier is late. Thanks, David"): the reason is quoted to the host and kept in the action's
    history, where "谢谢" reads as part of it. A reason that is nothing but courtesy stays as it is."""
    pieces = _PHRASE_SPLIT.split(reason)  # phrase, separator, phrase, …
    # The longest tail of whole phrases that is courtesy, with something more than courtesy before it.
    for start in range(2, len(pieces), 2):
        tail = "".join(pieces[start:])
        if tail.strip(_TAIL_MARKS + ".。!！…\n") and is_courtesy(tail, vocab):
            head = "".join(pieces[: start - 1]).rstrip(_TAIL_MARKS)
            return head if head and not is_courtesy(head, vocab) else reason
    return reason


def _keep_as_written(command: Command, vocab: CommandVocabulary) -> Command:
    """Arguments as the person wrote them; a date only with traditional characters read as
    simplified ("下週五" -> "下周五"), for the date reader."""
    decision, colon, argument = command.target.partition(":")
    written = _as_written(argument, command.line, vocab) if colon else _as_written(command.target, command.line, vocab)
    if decision == "due":
        written = written.translate(vocab.table)
    target = f"{decision}:{written}" if colon else written
    if command.verb != "delegate" and not colon:
        target = command.target
    return replace(
        command,
        reason=_without_thanks(_as_written(command.reason, command.line, vocab), vocab),
        date_text=_as_written(command.date_text, command.line, vocab).translate(vocab.table),
        target=target,
        note=_as_written(command.note, command.line, vocab),
    )


def read_reply(text: str, vocabulary: CommandVocabulary | None = None) -> Reading:
    """Commands, acknowledgements, courtesy lines and unrecognised lines in `text`, one per line."""
    vocab = vocabulary or _default_vocabulary()
    commands: list[Command] = []
    acknowledgements: list[Command] = []
    courtesy: list[str] = []
    unrecognised: list[str] = []
    other_lines: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        found = _read_line(raw, vocab)
        if found is not None and found[0] == "commands":
            commands.extend(_keep_as_written(command, vocab) for command in found[1])
            continue
        other_lines.append(line)
        if found is None:
            unrecognised.append(line)
        elif found[0] == "ack":
            acknowledgements.extend(_keep_as_written(command, vocab) for command in found[1])
        else:
            courtesy.append(line)
    return Reading(commands, acknowledgements, courtesy, unrecognised, other_lines)


def read_commands(text: str, vocabulary: CommandVocabulary | None = None) -> tuple[list[Command], list[str]]:
    """Commands in `text`, one per line, and the non-empty lines that are not commands (all of
    them: acknowledgements and courtesy lines too; read_reply tells them apart)."""
    reading = read_reply(text, vocabulary)
    return reading.commands, reading.other_lines
