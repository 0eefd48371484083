"""People as written in mail (`市场部 张伟 <zhang.wei@corp.example>`, `张伟（市场部）`, `Zhang Wei`)
and their resolution to one address through the directory and the mail's own headers.

Resolution never guesses: a name that matches nobody is unresolved, a name that matches two
different addresses is ambiguous, and the templates' anonymised `市场部*经理` is a placeholder.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import pairwise
from typing import Literal

from mailbot.addresses import is_valid_address
from mailbot.formats.lines import has_cjk, is_cjk, unbold
from mailbot.formats.model import PersonRef, Problem

DirectoryLookup = Callable[[str, str | None], Sequence[PersonRef]]

Outcome = Literal["ok", "empty", "placeholder", "unresolved", "ambiguous", "invalid"]

_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-'")
_DOMAIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
# Department names end in one of these; used to split `市场部张伟` and `市场部 张伟`.
_DEPT_SUFFIXES = ("事业部", "委员会", "办公室", "中心", "小组", "团队", "部", "组", "科", "处", "室", "院", "所")
# What the templates put where a name belongs: `市场部*经理`, `XXX`, `某某`, `(姓名+部门…)`.
_PLACEHOLDER = re.compile(r"[*＊]|[xX×]{2,}|某某|姓名|^某|…")
_TEMPLATE_HINT = re.compile(r"例[:：]|姓名")
_GROUP_SEPARATORS = re.compile(r"[；;\n]")
_PARENTHETICAL = re.compile(r"^(?P<before>[^(（]*)[(（](?P<inside>[^()（）]{1,30})[)）]\s*$")
# `【市场部】张伟`, `(R&D) Li Na`: a department in brackets before the name.
_LEADING_BRACKET = re.compile(r"^[(（\[【](?P<inside>[^()（）\[\]【】]{1,30})[)）\]】]\s*(?P<after>\S.*)$")
# Between two people in a list. `/` and `&` are separators too, but only outside brackets and,
# for `&`, not inside a word: `R&D` is a department, `张伟&李娜` and `Zhang Wei & Li Na` two people.
_LIST_SEPARATORS = frozenset("、，,")
_PAIR_SEPARATORS = frozenset("/／")
_OPENING = "([（【《「"
_CLOSING = ")]）】》」"
# What joins a department to a name inside one person: `市场部-张伟`, `R&D: Li Na`, `张伟 —— 市场部`.
_DEPT_JOINERS = ":：-—–/／|"
# Beyond this a "person" is prose or hostile input: only the plain readings apply.
_PERSON_LIMIT = 80
# English department names: `R&D`, `HR`, `Marketing`, `Customer Service`, `Data Team`, `Sales Dept.`
_EN_DEPT_WORDS = frozenset({
    "marketing", "sales", "finance", "financial", "accounting", "accounts", "treasury", "tax", "audit", "legal",
    "compliance", "risk", "hr", "it", "engineering", "product", "products", "design", "research", "development",
    "operations", "ops", "admin", "administration", "procurement", "purchasing", "logistics", "supply", "chain",
    "quality", "qa", "support", "service", "services", "customer", "pr", "communications", "branding", "strategy",
    "business", "manufacturing", "production", "security", "facilities", "technology", "tech", "data", "analytics",
    "infrastructure", "platform", "training", "growth", "partnerships", "human", "resources", "software",
    "hardware", "r&d",
})  # fmt: skip
_EN_DEPT_TAILS = frozenset({"dept", "department", "team", "group", "office", "division", "unit", "center", "centre"})
_EN_DEPT_ACRONYMS = frozenset({"HR", "IT", "QA", "PR", "BD", "PMO", "IR", "GTM", "UX", "OPS", "RD"})
_EN_DEPT_JOINERS = frozenset({"and", "&", "of"})
_EN_WORD = re.compile(r"^[A-Za-z][A-Za-z&.'\-]{0,29}$")
_AMPERSAND_ACRONYM = re.compile(r"^[A-Z]{1,3}&[A-Z]{1,3}$")
_QUOTES = "\"'“”‘’「」『』《》<>[]【】"


@dataclass(frozen=True)
class PersonText:
    """One person as written: any of the parts may be missing."""

    text: str
    name: str | None = None
    department: str | None = None
    address: str | None = None
    # What was meant as an address and is none (`zhang.wei@corp`, `zhao.min@@corp.example`): the
    # person gets no mail, which the draft's answer says, quoting it.
    broken_address: str | None = None

    @property
    def is_placeholder(self) -> bool:
        # Only a `**…**` wrapper is markdown; the `*` of `*经理` is the template's blank.
        text = self.text.strip()
        if len(text) > 4 and text.startswith("**") and text.endswith("**"):
            text = text[2:-2]
        return self.address is None and bool(_PLACEHOLDER.search(text))


@dataclass(frozen=True)
class Resolution:
    outcome: Outcome
    person: PersonRef | None = None
    candidates: tuple[str, ...] = ()  # the addresses a name matched (two or more when ambiguous)
    # For an invalid address: the one the name beside it has elsewhere (the mail's Cc, the
    # directory, the draft's other lines), which the answer offers ("是否应为 …？").
    suggestion: str | None = None


def invalid_address(role: str, result: Resolution, line: str) -> Problem:
    """An address nobody's server would take: an error whatever the role, since the person would
    get no mail (and one mail that cannot be built must never reach the outbox)."""
    return Problem(
        "invalid_address", line, detail=f"{role}: {result.candidates[0]}", section="people",
        hint=result.suggestion or "",
    )  # fmt: skip


# A Chinese input method in full-width mode writes `zhang.wei＠corp．example` and `＜…＞`: the
# same address, read as such.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
# Something meant as an address that is none: an "@" with what is glued to it.
_BROKEN_ADDRESS = re.compile(r"[^\s<>()（）\[\]【】,，;；、]*@[^\s<>()（）\[\]【】,，;；、]*")


def find_addresses(text: str) -> list[tuple[int, int, str]]:
    """Every e-mail address in text as (start, end, lower-cased address), in order.

    Expands outwards from each "@" instead of running a regex from every position, which
    stays linear on a hostile 100 kB run of letters.
    """
    found: list[tuple[int, int, str]] = []
    pos = text.find("@")
    floor = 0
    while pos != -1:
        start = pos
        while start > floor and text[start - 1] in _LOCAL_CHARS:
            start -= 1
        end = pos + 1
        while end < len(text) and text[end] in _DOMAIN_CHARS:
            end += 1
        local = text[start:pos].strip(".'")
        domain = text[pos + 1 : end].rstrip(".-")
        if local and "." in domain and not domain.startswith("."):
            found.append((start, pos + 1 + len(domain), f"{local}@{domain}".lower()))
        floor = max(pos + 1, end)
        pos = text.find("@", floor)
    return found


def _is_english_department(token: str) -> bool:
    """`R&D`, `HR`, `Marketing`, `Research and Development`, `Data Team`, `Sales Dept.`"""
    words = token.split()
    if not 1 <= len(words) <= 5 or len(token) > 40 or not all(_EN_WORD.match(w) or w == "&" for w in words):
        return False
    if len(words) == 1 and (_AMPERSAND_ACRONYM.match(words[0]) or words[0] in _EN_DEPT_ACRONYMS):
        return True
    lower = [w.casefold().rstrip(".") for w in words]
    if len(words) >= 2 and lower[-1] in _EN_DEPT_TAILS:
        return True
    named = [w for w in lower if w not in _EN_DEPT_JOINERS]
    return bool(named) and all(w in _EN_DEPT_WORDS for w in named) and lower[0] not in _EN_DEPT_JOINERS


def _is_department(token: str) -> bool:
    """A department name: Chinese ending in 部/中心/办公室…, or English (`R&D`, `Marketing`).

    A one-character suffix needs two characters before it (`财务部`, `IT部`): `李科` is a person."""
    token = token.strip()
    if not has_cjk(token):
        return _is_english_department(token)
    if not 2 <= len(token) <= 12 or any(ch.isspace() or ch in _DEPT_JOINERS or ch in "()（）" for ch in token):
        return False  # `张伟 - 市场部` is a person with a department, not a department
    suffix = next((s for s in _DEPT_SUFFIXES if token.endswith(s)), None)
    return suffix is not None and len(token) >= len(suffix) + (2 if len(suffix) == 1 else 1)


def _split_glued(text: str) -> tuple[str | None, str]:
    """`市场部张伟` -> (`市场部`, `张伟`): split after the last department suffix when what
    follows is a plausible Chinese name (2–4 ideographs)."""
    if len(text) > 20 or not all(is_cjk(ch) for ch in text):
        return None, text
    for cut in range(len(text) - 2, 1, -1):
        head, tail = text[:cut], text[cut:]
        if 2 <= len(tail) <= 4 and head.endswith(_DEPT_SUFFIXES):
            return head, tail
    return None, text


def _tidy(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"mailto:", "", text, flags=re.IGNORECASE)
    return " ".join(unbold(text).split())


def _clean(text: str) -> str:
    return _tidy(text).strip(_QUOTES + " ")


def _department_split(text: str) -> tuple[str, str] | None:
    """(department, name) for one person written with both: `市场部-张伟`, `R&D: Li Na`,
    `市场部 张伟`, `张伟 - 市场部`, `Li Na / R&D`, `Human Resources Li Na`; None otherwise."""
    if len(text) > _PERSON_LIMIT:
        return None
    first = next((i for i, ch in enumerate(text) if ch in _DEPT_JOINERS), -1)
    if first > 0:
        head, tail = text[:first].strip(), text[first:].strip(_DEPT_JOINERS + " ")
        if tail and _is_department(head) and not _is_department(tail):
            return head, tail
        last = max(text.rfind(ch) for ch in _DEPT_JOINERS)
        head, tail = text[:last].strip(_DEPT_JOINERS + " "), text[last + 1 :].strip()
        if head and _is_department(tail) and not _is_department(head):
            return tail, head
    words = text.split()
    for k in range(min(3, len(words) - 1), 0, -1):
        head, tail = " ".join(words[:k]), " ".join(words[k:])
        if _is_department(head) and not _is_department(tail):
            return head, tail
    for k in range(min(3, len(words) - 1), 0, -1):
        head, tail = " ".join(words[:-k]), " ".join(words[-k:])
        if _is_department(tail) and not _is_department(head):
            return tail, head
    return None


def parse_one(text: str, department: str | None = None) -> PersonText:
    """Read one person's text; `department` is a hint from an enclosing `市场部：…` group.

    The department may stand before or after the name, in brackets or joined by a symbol:
    `张伟（市场部）`, `Li Na (R&D)`, `【市场部】张伟`, `市场部-张伟`, `市场部/张伟`, `张伟 - 市场部`,
    `R&D: Li Na`, `市场部 张伟`, `市场部张伟`; with or without an address in `<>`.
    """
    raw = text.strip()
    if "＠" in raw:
        raw = raw.translate(_FULL_WIDTH)
    addresses = find_addresses(raw)
    rest = raw
    for start, end, _ in reversed(addresses):
        rest = rest[:start] + " " + rest[end:]
    broken = None
    if not addresses and "@" in rest:
        found = _BROKEN_ADDRESS.search(rest)
        token = found.group(0) if found is not None else ""
        if token.startswith("@") and "@" not in token[1:] and "." not in token:
            rest = rest.replace(token, token[1:], 1)  # `@张伟`, as a chat mentions a person: the name
        elif found is not None and token.strip("@"):
            broken = token
            rest = rest[: found.start()] + " " + rest[found.end() :]
    rest = _tidy(rest.replace("<", " ").replace(">", " "))
    address = addresses[0][2] if addresses else None

    dept = department
    lead = _LEADING_BRACKET.match(rest) if len(rest) <= _PERSON_LIMIT else None
    rest = _clean(rest)
    m = _PARENTHETICAL.match(rest)
    if lead:
        rest, dept = _clean(lead.group("after")), lead.group("inside").strip()
    elif m and m.group("before").strip():
        rest, dept = m.group("before").strip(), m.group("inside").strip()
    elif rest:
        split = _department_split(rest)
        if split:
            dept, rest = split
        elif dept is None:
            glued_dept, name = _split_glued(rest)
            if glued_dept:
                dept, rest = glued_dept, name
    name = rest or None
    return PersonText(text=raw, name=name, department=dept, address=address, broken_address=broken)


def _separator_at(group: str, i: int) -> tuple[str, int] | None:
    """The people separator starting at group[i] (outside brackets) and its width, or None."""
    ch = group[i]
    if ch in _LIST_SEPARATORS or ch in _PAIR_SEPARATORS:
        return ch, 1
    if ch in "&＆":
        inside_word = 0 < i < len(group) - 1 and group[i - 1].isascii() and group[i + 1].isascii()
        if not (inside_word and group[i - 1].isalpha() and group[i + 1].isalpha()) and not _joins_department(
            group, i + 1
        ):
            return "&", 1  # `张伟&李娜`, `Zhang Wei & Li Na`; not `R&D` nor `Sales & Marketing`
    if ch == " " and group[i + 1 : i + 5].casefold() == "and " and not _joins_department(group, i + 5):
        return "and", 5  # `Zhang Wei and Li Na`; not `Research and Development`
    return None


def _joins_department(group: str, i: int) -> bool:
    """Whether the word starting at (or after spaces from) group[i] continues a department name."""
    m = re.match(r"\s*([A-Za-z&]{1,30})", group[i : i + 40])
    return m is not None and m.group(1).casefold() in _EN_DEPT_WORDS


def _split_group(group: str) -> list[tuple[str, str]]:
    """The pieces of one group as (text, the separator before it: "" for the first). Separators
    inside brackets do not count (`Li Na (R&D)`, `张伟（市场、品牌部）`); a piece holding two
    different addresses with nothing between them (`张伟 <a@x> 李娜 <b@x>`) is two pieces."""
    pieces: list[tuple[str, str]] = []
    depth, start, before, i = 0, 0, "", 0
    while i < len(group):
        ch = group[i]
        if ch in _OPENING:
            depth += 1
        elif ch in _CLOSING:
            depth = max(depth - 1, 0)
        elif depth == 0 and (found := _separator_at(group, i)) is not None:
            pieces.append((group[start:i], before))
            before, width = found
            start = i = i + width
            continue
        i += 1
    pieces.append((group[start:], before))
    out: list[tuple[str, str]] = []
    for piece, sep in pieces:
        addresses = find_addresses(piece)
        cut = 0
        for (_, end, address), (_, _, following) in pairwise(addresses):
            if following != address:
                end += 1 if piece[end : end + 1] == ">" else 0
                out.append((piece[cut:end].strip(), sep))
                cut, sep = end, " "
        out.append((piece[cut:].strip(), sep))
    expanded = [(name, s if i == 0 else " ") for p, s in out if p for i, name in enumerate(_spaced_names(p))]
    return _join_last_first(expanded)


def _spaced_names(piece: str) -> list[str]:
    """`张伟 李娜` (and `市场部 张伟 李娜`, `张伟 李娜 <b@x>`) names two people; any other piece
    is itself. An address at the end belongs to the last name."""
    addresses = find_addresses(piece)
    tail = ""
    if len(addresses) == 1 and not piece[addresses[0][1] :].strip(" >"):
        cut = piece.rfind("<", 0, addresses[0][0])
        cut = cut if cut != -1 and not piece[cut + 1 : addresses[0][0]].strip() else addresses[0][0]
        piece, tail = piece[:cut].rstrip(), " " + piece[cut:].strip()
    elif addresses:
        return [piece]
    tokens = piece.split()
    whole = [piece + tail]
    if len(tokens) < 2 or len(piece) > _PERSON_LIMIT or not all(all(is_cjk(ch) for ch in t) for t in tokens):
        return whole
    lead = 0
    while lead < len(tokens) and _is_department(tokens[lead]):
        lead += 1
    names = tokens[lead:]
    if len(names) < 2 or not all(2 <= len(n) <= 4 and not _is_department(n) for n in names):
        return whole
    prefix = " ".join(tokens[:lead])
    people = [f"{prefix} {name}".strip() for name in names]
    people[-1] += tail
    return people


_ONE_WORD = re.compile(r"^[A-Za-z][A-Za-z'\-]{0,29}$")
_BRACKETED = re.compile(r"[(（][^()（）]{0,40}[)）]")


def _join_last_first(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Outlook's `Li, Na <li.na@corp.example>` is one person, not `Li` and `Na`."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(pieces):
        piece, sep = pieces[i]
        if i + 1 < len(pieces) and pieces[i + 1][1] == "," and _ONE_WORD.match(piece):
            following = pieces[i + 1][0]
            addresses = find_addresses(following)
            if addresses and _ONE_WORD.match(_BRACKETED.sub(" ", following[: addresses[0][0]]).strip(" <")):
                out.append((f"{piece}, {following}", sep))
                i += 2
                continue
        out.append((piece, sep))
        i += 1
    return out


_GROUP_PREFIX = re.compile(r"^(?P<dept>[^:：<>@]{2,40})[:：](?P<rest>.*)$")


def _group_department(group: str) -> tuple[str | None, str]:
    """`市场部：张伟、李娜` lends 市场部 to both. A prefix listing several things (`张伟、市场部：李娜`)
    lends nothing unless every one of them is a department: 张伟 must not vanish."""
    m = _GROUP_PREFIX.match(group)
    if not m:
        return None, group
    dept = _clean(m.group("dept"))
    parts = [p for p in re.split(r"[、，,]", dept)]
    if _is_department(dept) and all(_is_department(p) for p in parts):
        return dept, m.group("rest")
    return None, group


@dataclass(frozen=True)
class _Entry:
    person: PersonText
    separator: str  # what stood before it in its group: "" (first), "、", ",", "/", "&", "and", " "
    department_only: bool = False


# A cell or field this short is read once per process: the same owners and hosts come back in
# every draft (a minutes mail reads each owner cell twice, and a pipeline reads many drafts).
# Longer text is read each time, so that nothing big is kept.
_CACHED_TEXT = 200


def _entries(text: str, *, loose_departments: bool) -> list[_Entry]:
    if len(text) > _CACHED_TEXT:
        return _read_entries(text, loose_departments=loose_departments)
    return list(_cached_entries(text, loose_departments))


@lru_cache(maxsize=4096)
def _cached_entries(text: str, loose_departments: bool) -> tuple[_Entry, ...]:
    return tuple(_read_entries(text, loose_departments=loose_departments))


def _read_entries(text: str, *, loose_departments: bool) -> list[_Entry]:
    """People in order. A department alone before a name is that name's (`市场部/张伟`); after a
    name and joined by `/` it is the name's too (`张伟/市场部`). With `loose_departments`, a
    department listed beside a person (`张伟、市场部`) is an entry of its own, so that a role
    taking one person sees two."""
    if _TEMPLATE_HINT.search(text) and not find_addresses(text):
        # The template's own instructions (`（姓名+部门，例：产品部*经理）`) are one placeholder.
        return [_Entry(PersonText(text=text.strip(), name=text.strip()), "")]
    entries: list[_Entry] = []
    for raw_group in _GROUP_SEPARATORS.split(text):
        group = " ".join(raw_group.split())
        if not group:
            continue
        group_dept, group = _group_department(group)
        pieces = _split_group(group)
        pending: str | None = None  # a department waiting for the name after it
        first_in_group = len(entries)
        for index, (piece, sep) in enumerate(pieces):
            cleaned = _clean(piece)
            if find_addresses(piece) or not _is_department(cleaned) or _split_glued(cleaned)[0] is not None:
                entries.append(_Entry(parse_one(piece, pending or group_dept), sep))
                pending = None
                continue
            following = pieces[index + 1][1] if index + 1 < len(pieces) else None
            previous = entries[-1] if len(entries) > first_in_group else None
            if following is not None and (following in _PAIR_SEPARATORS or not loose_departments):
                pending = cleaned  # `市场部/张伟`, and `市场部、张伟` outside one-person cells
            elif sep in _PAIR_SEPARATORS and previous is not None and previous.person.department in (None, group_dept):
                entries[-1] = replace(previous, person=replace(previous.person, department=cleaned))  # `张伟/市场部`
            elif loose_departments and len(pieces) > 1:
                entries.append(_Entry(PersonText(piece, None, cleaned), sep, department_only=True))  # `张伟、市场部`
    return entries


def parse_people(text: str) -> list[PersonText]:
    """Every person in a cell or field: `市场部：张伟、李娜；研发部：王强`, `张伟 <a@x>, 李娜`.

    A group written `部门：names` lends its department to each name; a bare department
    followed by a name (`市场部/张伟`) is that name's department, not a person.
    """
    return [e.person for e in _entries(text, loose_departments=False) if not e.department_only]


def named_in(text: str, resolve: Callable[[PersonText], Resolution]) -> list[PersonText]:
    """Everyone a one-person cell (an action's owner) names, departments listed beside a person
    included (`张伟、市场部` names two), so that the caller can refuse two instead of taking one.

    `市场、品牌部-张伟`: a first part that resolves to nobody and is joined by `、` to the
    department that opens the next part is part of that department's name, not a person.
    """
    entries = _entries(text, loose_departments=True)
    if not entries:
        # A name that ends like a department (`王志科`, `李国处`) is a person when someone has it;
        # a department alone (`市场部`) names no owner.
        lone = PersonText(text=text.strip(), name=_clean(text) or None)
        if lone.name and _is_department(lone.name) and resolve(lone).outcome == "ok":
            return [lone]
        return []
    out: list[PersonText] = []
    i = 0
    while i < len(entries):
        entry = entries[i]
        if i + 1 < len(entries) and _department_stem(entry, entries[i + 1], resolve):
            following = entries[i + 1].person
            department = f"{entry.person.text}、{following.department}"
            out.append(replace(following, text=f"{entry.person.text}、{following.text}", department=department))
            i += 2
            continue
        out.append(entry.person)
        i += 1
    return out


def _department_stem(entry: _Entry, following: _Entry, resolve: Callable[[PersonText], Resolution]) -> bool:
    person, after = entry.person, following.person
    return (
        following.separator == "、"
        and not entry.department_only
        and not following.department_only
        and person.address is None
        and person.department is None
        and person.name is not None
        and has_cjk(person.name)
        and len(person.name) <= 6
        and after.department is not None
        and _clean(after.text).startswith(after.department)
        and _is_department(f"{person.name}、{after.department}")
        and resolve(person).outcome == "unresolved"
    )


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _without_brackets(display: str) -> str:
    return _norm(re.sub(r"[(（\[【][^()（）\[\]【】]{0,40}[)）\]】]", " ", display))


def _letters(text: str) -> str:
    return "".join(ch for ch in _norm(text) if ch.isalnum())


def _display_matches(display: str, address: str, name: str) -> bool:
    """Whether a header display name (or its address) denotes `name`."""
    wanted = _norm(name)
    if not wanted:
        return False
    shown = _norm(display)
    if shown == wanted or _without_brackets(display) == wanted:
        return True
    if has_cjk(wanted):
        # `张伟(市场部)` and `市场部-张伟` denote 张伟, but `张伟明` does not.
        start = shown.find(wanted)
        while start != -1:
            after = shown[start + len(wanted) : start + len(wanted) + 1]
            if not (after and is_cjk(after)):
                return True
            start = shown.find(wanted, start + 1)
        return False
    words = [_letters(w) for w in wanted.split()]
    if len(words) > 1 and sorted(_without_brackets(display).split()) == sorted(wanted.split()):
        return True  # "Wei Zhang" for "Zhang Wei"
    # The address itself: zhang.wei@ / wei_zhang@ for "Zhang Wei".
    local = _letters(address.partition("@")[0])
    return bool(local) and local in {"".join(words), "".join(reversed(words))}


@dataclass(frozen=True)
class Resolver:
    directory: DirectoryLookup | None = None
    header_people: Sequence[tuple[str, str]] = ()

    def _directory(self, name: str, department: str | None) -> list[PersonRef]:
        if self.directory is None:
            return []
        found = list(self.directory(name, department))
        if not found and department is not None:
            # Departments are written loosely (市场部 / 市场营销部); a unique name still resolves.
            found = list(self.directory(name, None))
        return found

    def _headers(self, name: str) -> list[PersonRef]:
        found: list[PersonRef] = []
        for display, address in self.header_people:
            addrs = find_addresses(address or "")
            if addrs and _display_matches(display or "", addrs[0][2], name):
                found.append(PersonRef(address=addrs[0][2], name=name))
        return found

    def resolve(self, person: PersonText) -> Resolution:
        if person.broken_address and not person.address:
            # The name beside it may be known (the mail's Cc, the directory): offered, never taken.
            found = self.resolve(replace(person, broken_address=None)) if person.name else None
            suggestion = found.person.address if found is not None and found.person is not None else None
            return Resolution("invalid", candidates=(person.broken_address,), suggestion=suggestion)
        if person.address:
            if not is_valid_address(person.address):
                # `a..b@corp.example` reads as an address but no server takes it: a problem to quote
                # in the answer now, not a mail that cannot be built later.
                return Resolution("invalid", candidates=(person.address,))
            return Resolution("ok", PersonRef(person.address, person.name, person.department))
        if not person.name:
            return Resolution("empty")
        if person.is_placeholder:
            return Resolution("placeholder")
        candidates: dict[str, PersonRef] = {}
        lookups = [person.name]
        if person.department and person.text.strip() != person.name:
            lookups.append(_clean(person.text))  # the directory may know "市场部张伟" whole
        for ref in self._directory(person.name, person.department) + self._headers(person.name):
            candidates.setdefault(ref.address.lower(), ref)
        if not candidates and len(lookups) > 1:
            for ref in self._directory(lookups[1], None):
                candidates.setdefault(ref.address.lower(), ref)
        if not candidates:
            return Resolution("unresolved")
        if len(candidates) > 1:
            return Resolution("ambiguous", candidates=tuple(sorted(candidates)))
        address, ref = next(iter(candidates.items()))
        return Resolution(
            "ok",
            replace(ref, address=address, name=ref.name or person.name, department=ref.department or person.department),
            candidates=(address,),
        )
