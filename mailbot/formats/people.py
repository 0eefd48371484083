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
_PEOPLE_SEPARATORS = re.compile(r"[、，,/／&＆]|\s+and\s+", re.IGNORECASE)
_GROUP_SEPARATORS = re.compile(r"[；;\n]")
_PARENTHETICAL = re.compile(r"^(?P<before>[^(（]*)[(（](?P<inside>[^()（）]{1,30})[)）]\s*$")
_QUOTES = "\"'“”‘’「」『』《》<>[]【】"


@dataclass(frozen=True)
class PersonText:
    """One person as written: any of the parts may be missing."""

    text: str
    name: str | None = None
    department: str | None = None
    address: str | None = None

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


def invalid_address(role: str, result: Resolution, line: str) -> Problem:
    """An address nobody's server would take: an error whatever the role, since the person would
    get no mail (and one mail that cannot be built must never reach the outbox)."""
    return Problem("invalid_address", line, detail=f"{role}: {result.candidates[0]}", section="people")


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


def _is_department(token: str) -> bool:
    token = token.strip()
    return 2 <= len(token) <= 12 and has_cjk(token) and token.endswith(_DEPT_SUFFIXES)


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


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"mailto:", "", text, flags=re.IGNORECASE)
    return " ".join(unbold(text).split()).strip(_QUOTES + " ")


def parse_one(text: str, department: str | None = None) -> PersonText:
    """Read one person's text; `department` is a hint from an enclosing `市场部：…` group."""
    raw = text.strip()
    addresses = find_addresses(raw)
    rest = raw
    for start, end, _ in reversed(addresses):
        rest = rest[:start] + " " + rest[end:]
    rest = _clean(rest.replace("<", " ").replace(">", " "))
    address = addresses[0][2] if addresses else None

    dept = department
    m = _PARENTHETICAL.match(rest)
    if m and m.group("before").strip():
        rest, dept = m.group("before").strip(), m.group("inside").strip()
    parts = re.split(r"\s*[:：\-—]\s*|\s+", rest, maxsplit=1) if rest else []
    if len(parts) == 2 and _is_department(parts[0]) and parts[1]:
        dept, rest = parts[0], parts[1].strip()
    elif rest and dept is None:
        glued_dept, name = _split_glued(rest)
        if glued_dept:
            dept, rest = glued_dept, name
    name = rest or None
    return PersonText(text=raw, name=name, department=dept, address=address)


def parse_people(text: str) -> list[PersonText]:
    """Every person in a cell or field: `市场部：张伟、李娜；研发部：王强`, `张伟 <a@x>, 李娜`.

    A group written `部门：names` lends its department to each name; a bare department
    followed by a name (`市场部/张伟`) is that name's department, not a person.
    """
    if _TEMPLATE_HINT.search(text) and not find_addresses(text):
        # The template's own instructions (`（姓名+部门，例：产品部*经理）`) are one placeholder.
        return [PersonText(text=text.strip(), name=text.strip())]
    people: list[PersonText] = []
    for group in _GROUP_SEPARATORS.split(text):
        # Collapsed first so that the `\s+and\s+` split never rescans a long run of spaces.
        group = " ".join(group.split())
        if not group:
            continue
        group_dept: str | None = None
        m = re.match(r"^(?P<dept>[^:：<>@]{2,12})[:：](?P<rest>.*)$", group)
        if m and _is_department(_clean(m.group("dept"))):
            group_dept, group = _clean(m.group("dept")), m.group("rest")
        pending_dept = group_dept
        for piece in _PEOPLE_SEPARATORS.split(group):
            piece = piece.strip()
            if not piece:
                continue
            if not find_addresses(piece) and _is_department(_clean(piece)) and _split_glued(_clean(piece))[0] is None:
                pending_dept = _clean(piece)
                continue
            people.append(parse_one(piece, pending_dept))
            pending_dept = group_dept
    return people


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
