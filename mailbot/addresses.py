"""Is this a mail address we can write to? One answer for drafts, headers and delivery.

The syntax rules (dot-atom local parts, no `a..b`, DNS labels, SMTPUTF8 local parts and IDN
domains, length limits) are email-validator's: a well-kept library that pydantic uses, rather
than another regular expression of our own. Deliverability (DNS) is never asked: the bot runs
beside its own mail server, often on an intranet.

The library is imported by the first address that needs it. Nearly every address the bot sees is
lower-case ASCII (mailbot.message and the format reader lower-case what they read) and plainly
valid: `_plain` answers those without it, as the library would (tests/test_speed_addresses.py
compares the two). Importing it compiles patterns over the whole of Unicode, about a twentieth of
a second, which every `mailbot ingest -` process paid.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from types import ModuleType

# RFC 5321: a path is at most 256 octets with its brackets, so an address 254.
MAX_ADDRESS_LENGTH = 254

# Runs of lower-case letters and digits joined by single `.`, `_`, `+` or `-` before the @ (a
# dot-atom), and DNS labels (no hyphen at either end, none doubled: no Punycode) after it, two or
# more. email-validator takes such an address as valid and gives it back unchanged, as its
# normalised and its ASCII form alike.
_PLAIN = re.compile(r"[a-z0-9]+(?:[._+-][a-z0-9]+)*@[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)+")


def _plain(address: str) -> bool:
    """An address email-validator accepts as it is: `_PLAIN`, and within its length limits."""
    if len(address) > MAX_ADDRESS_LENGTH or _PLAIN.fullmatch(address) is None:
        return False
    local, _, domain = address.partition("@")
    return len(local) <= 64 and len(domain) <= 253 and all(len(label) <= 63 for label in domain.split("."))


@cache
def _validator() -> ModuleType:
    import email_validator

    # email-validator refuses special-use domains (`.local`, `.localhost`, …) as not globally
    # deliverable, and documents this list as the switch. Company intranets really use them
    # (`corp.local` is Active Directory's old default), and the bot delivers through its own server.
    email_validator.SPECIAL_USE_DOMAIN_NAMES.clear()
    return email_validator


@lru_cache(maxsize=4096)
def address_problem(address: str) -> str | None:
    """Why `address` cannot be written to (the library's own sentence), or None when it can."""
    if len(address) > MAX_ADDRESS_LENGTH:
        return f"longer than {MAX_ADDRESS_LENGTH} characters"
    if _plain(address):
        return None
    validator = _validator()
    try:
        validator.validate_email(address, check_deliverability=False, allow_smtputf8=True, globally_deliverable=False)
    except validator.EmailNotValidError as exc:
        return str(exc)
    return None


def is_valid_address(address: str) -> bool:
    return address_problem(address) is None


def needs_smtputf8(address: str) -> bool:
    """A local part outside ASCII travels only where the server says SMTPUTF8."""
    return not address.partition("@")[0].isascii()


@lru_cache(maxsize=4096)
def deliverable_address(address: str) -> str:
    """The form servers take without SMTPUTF8 where there is one: a Unicode domain as its
    punycode (`user@例子.公司` -> `user@xn--fsqu00a.xn--55qx5d`). A Unicode local part has no
    such form; it stays, and needs SMTPUTF8."""
    if _plain(address):
        return address
    validator = _validator()
    try:
        checked = validator.validate_email(
            address, check_deliverability=False, allow_smtputf8=True, globally_deliverable=False
        )
    except validator.EmailNotValidError:
        return address
    return checked.ascii_email or checked.normalized
