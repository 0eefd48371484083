"""Is this a mail address we can write to? One answer for drafts, headers and delivery.

The syntax rules (dot-atom local parts, no `a..b`, DNS labels, SMTPUTF8 local parts and IDN
domains, length limits) are email-validator's: a well-kept library that pydantic uses, rather
than another regular expression of our own. Deliverability (DNS) is never asked: the bot runs
beside its own mail server, often on an intranet.
"""

from __future__ import annotations

from functools import lru_cache

import email_validator

# email-validator refuses special-use domains (`.local`, `.localhost`, …) as not globally
# deliverable, and documents this list as the switch. Company intranets really use them
# (`corp.local` is Active Directory's old default), and the bot delivers through its own server.
email_validator.SPECIAL_USE_DOMAIN_NAMES.clear()

# RFC 5321: a path is at most 256 octets with its brackets, so an address 254.
MAX_ADDRESS_LENGTH = 254


@lru_cache(maxsize=4096)
def address_problem(address: str) -> str | None:
    """Why `address` cannot be written to (the library's own sentence), or None when it can."""
    if len(address) > MAX_ADDRESS_LENGTH:
        return f"longer than {MAX_ADDRESS_LENGTH} characters"
    try:
        email_validator.validate_email(
            address, check_deliverability=False, allow_smtputf8=True, globally_deliverable=False
        )
    except email_validator.EmailNotValidError as exc:
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
    try:
        checked = email_validator.validate_email(
            address, check_deliverability=False, allow_smtputf8=True, globally_deliverable=False
        )
    except email_validator.EmailNotValidError:
        return address
    return checked.ascii_email or checked.normalized
