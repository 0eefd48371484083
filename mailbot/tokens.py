"""Reply tokens: an HMAC over (object, recipient), so an answer is tied to what was asked of whom.

A token looks like `A12.7k3m9q2x4d`: the object (an action `A12`, a meeting `M3`, or a mail
held until its sender confirms `H5`) and the first
10 base32 characters of HMAC-SHA256(key, "A-12|recipient"). It travels in the subject tag and in
the plus-address of Reply-To; a token shown by someone it was not issued to does not verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

TOKEN_PATTERN = re.compile(r"\b([AMH])(\d{1,9})\.([a-z2-7]{10})\b", re.IGNORECASE)


def _mac(key: bytes, obj: str, recipient: str) -> str:
    digest = hmac.new(key, f"{obj}|{recipient.lower()}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:10]


def issue(key: bytes, obj: str, recipient: str) -> str:
    """obj is a ref like "A-12" or "M-3"."""
    kind, number = obj.split("-", 1)
    return f"{kind}{number}.{_mac(key, obj, recipient)}"


def verify(key: bytes, token: str, recipient: str) -> str | None:
    """The object ref the token was issued for, if it was issued to this recipient; else None."""
    match = TOKEN_PATTERN.fullmatch(token.strip())
    if match is None:
        return None
    obj = f"{match.group(1).upper()}-{match.group(2)}"
    return obj if hmac.compare_digest(_mac(key, obj, recipient), match.group(3).lower()) else None


# The return path of each mail we send (VERP): `minutes+b<outbox row>.<mac>@corp.example`. A bounce
# comes back to it, naming which mail failed; the MAC makes it unforgeable.
BOUNCE_PATTERN = re.compile(r"\bb(\d{1,12})\.([a-z2-7]{10})\b", re.IGNORECASE)


def bounce_token(key: bytes, row_id: int) -> str:
    return f"b{row_id}.{_mac(key, f'bounce-{row_id}', '')}"


def verify_bounce(key: bytes, token: str) -> int | None:
    """The outbox row a return-path token was made for, or None."""
    match = BOUNCE_PATTERN.fullmatch(token.strip())
    if match is None:
        return None
    row_id = int(match.group(1))
    return row_id if hmac.compare_digest(_mac(key, f"bounce-{row_id}", ""), match.group(2).lower()) else None


def plus_address(bot_address: str, token: str) -> str:
    local, _, domain = bot_address.partition("@")
    return f"{local}+{token}@{domain}"


def plus_part(bot_address: str, address: str) -> str | None:
    """What follows "+" when `address` is one of the bot's plus-addresses (minutes+X@…), else None."""
    local, _, domain = bot_address.lower().partition("@")
    mailbox, _, at = address.lower().partition("@")
    if at != domain or not mailbox.startswith(local + "+"):
        return None
    return mailbox[len(local) + 1 :]
