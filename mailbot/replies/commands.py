"""Reading command lines ("A-12 确认", "delay to Dec 30 because …") from what the person wrote.

Give it the output of quotes.strip_reply, never a raw body: a quoted "回复 确认" must not count.

One command per line. A line is read as: optional bullet, optional action ref(s), optional
filler ("OK,", "好的，"), a command word from rules/commands.toml, then the verb's arguments.
Lines are NFKC-folded first, so full-width letters, digits and colons ("Ａ－１２：确认") read as
half-width, and matched case-insensitively.

Decisions (the rules file repeats them for whoever edits the words):
  * Consent must be unambiguous: confirm/approve/verify/status/help accept nothing after the word but
    punctuation, refs and courtesy ("Confirm!", "确认。", "OK, confirmed", "确认，谢谢" are
    confirmations; "确认收到" and "confirm but …" are not and come back unrecognised).
  * in_progress/done take any note after a separator ("已完成，交付物见附件").
  * A command word must be a whole word in English ("confirmation" is not "confirm"); in Chinese
    an argument may follow the word directly ("转交张伟", "延期至12月30日"), a bare command
    must end or be followed by punctuation ("完成时限" is not "完成").
  * A command word followed by "?" is a question, not a command ("Done? Not yet.").
  * Several refs may share one line ("A-12、A-13 确认"); each gets its own Command.
  * Error codes for a command with missing parts (stable, they name template texts):
    object_needs_reason, reject_needs_reason, delay_needs_date, delay_needs_reason, delegate_needs_target,
    resolve_needs_target (reassign without a person), resolve_needs_date (reschedule without
    a date), resolve_needs_decision ("resolve A-12" alone).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_VOCABULARY_PATH = Path(__file__).resolve().parents[2] / "rules" / "commands.toml"

VERBS = (
    "confirm", "object", "in_progress", "done", "delay", "delegate", "status", "help", "approve", "resolve",
    "verify", "reject",
)  # fmt: skip
DECISIONS = ("reassign", "due", "withdraw", "overrule")
_BARE = frozenset({"confirm", "approve", "status", "help", "verify"})
_NOTE = frozenset({"in_progress", "done"})

# Separators people put between a word and what follows ("异议：…", "Confirm, thanks", "A-12 - done").
_SEP = " \t:;,.!?、。，；！？~-–—"
_BULLET_RE = re.compile(r"\s*(?:[-*•·+]+|\(?\d{1,2}[.)、]|\d{1,2}\s)\s*(?=\S)")
_MARKDOWN_RE = re.compile(r"[*_`]{1,3}")


@dataclass(frozen=True)
class Command:
    """One command read from one line."""

    verb: str  # one of VERBS
    line: str  # the line as written (for the transcript)
    ref: str | None  # "A-12" when the line named an action, upper-case and half-width
    reason: str = ""  # object/reject/delay reason (withdraw/overrule: optional; in_progress/done: the note)
    date_text: str = ""  # delay, resolve due: the new date as written; the caller reads it
    target: str = ""  # delegate: name or address; resolve: "reassign:<who>", "due:<date>", "withdraw", "overrule"
    error: str | None = None  # stable code when the line is a command but incomplete


@dataclass(frozen=True)
class CommandVocabulary:
    """The command words of rules/commands.toml, compiled."""

    words: dict[str, str]  # folded word -> verb, or "decision:<name>" for [resolve] words
    word_re: re.Pattern[str]
    ref_re: re.Pattern[str]
    refs_re: re.Pattern[str]
    filler_re: re.Pattern[str]
    courtesy: tuple[tuple[str, ...], ...]  # token sequences, longest first
    reason_re: re.Pattern[str]
    date_intro_re: re.Pattern[str]
    target_intro_re: re.Pattern[str]


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _key(word: str) -> str:
    return " ".join(_fold(word).casefold().split())


def _is_cjk(ch: str) -> bool:
    return ch > "\u2e80"


def _word_alternation(words: list[str]) -> str:
    """Alternation, longest first, with English words held to word boundaries."""
    parts = []
    for word in sorted({_key(w) for w in words}, key=len, reverse=True):
        body = r"\s+".join(re.escape(piece) for piece in word.split(" "))
        if word[-1].isascii() and word[-1].isalnum():
            body += r"(?![A-Za-z0-9])"
        parts.append(body)
    return "|".join(parts) if parts else "(?!)"


def _string_list(data: dict[str, object], key: str) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"commands rules: {key} must be a list of non-empty strings")
    return value


def load_command_vocabulary(path: Path | None = None) -> CommandVocabulary:
    """Read rules/commands.toml (or `path`) into a CommandVocabulary."""
    with (path or DEFAULT_VOCABULARY_PATH).open("rb") as fh:
        data = tomllib.load(fh)
    words: dict[str, str] = {}

    def add(table: str, name: str, target: str) -> None:
        for word in _string_list(data.get(table, {}), name):
            key = _key(word)
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

    prefixes = _string_list(data, "ref_prefixes") or ["A"]
    letters = "".join(re.escape(p.upper()) for p in prefixes)
    ref = rf"(?<![A-Za-z0-9])[{letters}]\s?-?\s?\d{{1,6}}(?![0-9])"
    return CommandVocabulary(
        words=words,
        word_re=re.compile(_word_alternation(list(words)), re.IGNORECASE),
        ref_re=re.compile(ref, re.IGNORECASE),
        refs_re=re.compile(rf"{ref}(?:\s*(?:[,、/&]|and|和)\s*{ref})*", re.IGNORECASE),
        filler_re=re.compile(rf"(?:{_word_alternation(_string_list(data, 'fillers'))})[\s,.!、，。！]+", re.IGNORECASE),
        courtesy=tuple(sorted({tuple(_key(w).split()) for w in _string_list(data, "courtesy")}, key=len, reverse=True)),
        reason_re=re.compile(_word_alternation(_string_list(data, "reason_intro")), re.IGNORECASE),
        date_intro_re=re.compile(_word_alternation(_string_list(data, "date_intro")), re.IGNORECASE),
        target_intro_re=re.compile(_word_alternation(_string_list(data, "target_intro")), re.IGNORECASE),
    )


_DEFAULT: CommandVocabulary | None = None


def _default_vocabulary() -> CommandVocabulary:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_command_vocabulary()
    return _DEFAULT


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
    """Nothing left but punctuation and courtesy words ("", "!", ", thanks", "，谢谢。")."""
    tokens = _key(re.sub(r"[\s,.!?、。，；;！？~:-]+", " ", text)).split()
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


def _tail_text(text: str) -> str:
    return text.strip(_SEP + " ")


def _decision(
    decision: str, rest: str, line: str, refs: list[str | None], vocab: CommandVocabulary
) -> list[Command] | None:
    reason, date_text, target, error = "", "", decision, None
    head = rest.lstrip(" \t")
    if decision in ("withdraw", "overrule") and head and head[0] not in _SEP and not vocab.reason_re.match(head):
        # "cancel the meeting" is prose; "withdraw, budget cut" / "撤销 因为…" carry a reason.
        return None
    if decision == "reassign":
        who = _tail_text(_strip_intro(rest, vocab.target_intro_re))
        target = f"reassign:{who}" if who else "reassign"
        error = None if who else "resolve_needs_target"
    elif decision == "due":
        date_text = _tail_text(_strip_intro(rest, vocab.date_intro_re))
        target = f"due:{date_text}" if date_text else "due"
        error = None if date_text else "resolve_needs_date"
    else:
        reason = _tail_text(_strip_intro(rest, vocab.reason_re))
        if reason and _is_bare_tail(reason, vocab):
            reason = ""
    return [
        Command("resolve", line, ref, reason=reason, date_text=date_text, target=target, error=error) for ref in refs
    ]


def _read_line(raw: str, vocab: CommandVocabulary) -> list[Command] | None:
    line = raw.strip()
    text = _MARKDOWN_RE.sub("", _fold(line)).strip()
    m = _BULLET_RE.match(text)
    if m and not vocab.ref_re.match(text):
        text = text[m.end() :]
    refs, text = _take_refs(text, vocab)
    text = text.lstrip(_SEP)
    m = vocab.filler_re.match(text)
    if m and vocab.word_re.match(text[m.end() :]):
        text = text[m.end() :]
    m = vocab.word_re.match(text)
    if not m:
        return None
    kind = vocab.words[_key(m.group(0))]
    rest = text[m.end() :]
    if kind != "help" and rest.lstrip().startswith(("?", "？")):
        return None  # "Done? Not yet." / "确认？" ask, they do not tell
    # A bare Chinese command must not run into more text: "完成时限" is not "完成".
    runs_on = bool(rest) and rest[0] not in _SEP and not rest[0].isspace()
    if not refs:
        refs, rest = _take_refs(rest, vocab)
        if refs:
            runs_on = False
    targets: list[str | None] = list(refs) or [None]

    if kind == "resolve":
        more, rest = _take_refs(rest, vocab)
        targets = list(refs or more) or [None]
        rest = rest.lstrip(_SEP)
        sub = vocab.word_re.match(rest)
        if sub and vocab.words[_key(sub.group(0))].startswith("decision:"):
            decision = vocab.words[_key(sub.group(0))].split(":", 1)[1]
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
        # Refs written after the word and the courtesy: "Confirm A-12, thanks".
        return [Command(kind, line, ref) for ref in targets]
    if kind in _NOTE:
        if runs_on:
            return None
        # The note ("已完成，方案见附件") travels with the command: the requester reads it.
        note = _tail_text(rest)
        return [Command(kind, line, ref, reason="" if _is_bare_tail(note, vocab) else note) for ref in targets]
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
    who = _tail_text(_strip_intro(rest, vocab.target_intro_re))
    error = None if who else "delegate_needs_target"
    return [Command("delegate", line, ref, target=who, error=error) for ref in targets]


def _as_written(piece: str, line: str) -> str:
    """The span of the original line that folds to `piece`: the reader matches on folded text,
    but a reason or a name is kept as the person wrote it (full-width punctuation and all)."""
    if not piece:
        return piece
    folded: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(line):
        for part in _fold(ch):
            folded.append(part)
            origin.append(index)
    start = "".join(folded).find(piece)
    if start < 0:
        return piece
    end = start + len(piece) - 1
    return line[origin[start] : origin[end] + 1]


def _keep_as_written(command: Command) -> Command:
    decision, colon, argument = command.target.partition(":")
    target = f"{decision}:{_as_written(argument, command.line)}" if colon else _as_written(command.target, command.line)
    if command.verb != "delegate" and not colon:
        target = command.target
    return replace(
        command,
        reason=_as_written(command.reason, command.line),
        date_text=_as_written(command.date_text, command.line),
        target=target,
    )


def read_commands(text: str, vocabulary: CommandVocabulary | None = None) -> tuple[list[Command], list[str]]:
    """Commands in `text`, one per line, and the non-empty lines that are not commands."""
    vocab = vocabulary or _default_vocabulary()
    commands: list[Command] = []
    unrecognised: list[str] = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        found = _read_line(raw, vocab)
        if found is None:
            unrecognised.append(raw.strip())
        else:
            commands.extend(_keep_as_written(command) for command in found)
    return commands, unrecognised
