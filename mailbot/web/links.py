"""Signed links to the read-only pages: no accounts, a link is the permission.

A link's token is `<payload>.<mac>`, both base64url without padding. The payload is compact JSON:
the person's address ("a"), the one scope it opens ("s": `person`, `meeting:12`, `project:<name>`,
`department:<name>`), when it expires ("e", Unix seconds) and the person's revocation generation
when it was issued ("g"). The MAC is HMAC-SHA256 over the payload, cut to 128 bits, keyed with a
key derived from the bot's secret ([security] token_key) for this use only, so a web token and a
reply token (mailbot/tokens.py) can never stand for one another.

A link is refused when its MAC does not verify (a new key ends every link), when it has expired,
or when its generation is behind the person's (`mailbot web revoke ADDRESS`, table
web_link_generations). What it opens is decided afresh on every request (mailbot/web/access.py):
a link to a meeting someone has since left opens nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.errors import MailbotError
from mailbot.store.models import WebLinkGeneration

if TYPE_CHECKING:
    from mailbot.app import App

KINDS = ("person", "meeting", "project", "department")
MAC_BYTES = 16
# Longer tokens are refused before any work (a payload holds an address and a project name).
MAX_TOKEN = 1200
_DERIVE = b"mailbot web link v1"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,1100}\.[A-Za-z0-9_-]{22}")


@dataclass(frozen=True)
class Link:
    address: str
    scope: str  # "person" | "meeting:12" | "project:<name>" | "department:<name>"
    expires: datetime
    generation: int

    @property
    def kind(self) -> str:
        return self.scope.partition(":")[0]

    @property
    def target(self) -> str:
        return self.scope.partition(":")[2]


def link_key(secret: bytes) -> bytes:
    """The key the links are signed with: derived from the bot's secret, for this use only."""
    return hmac.new(secret, _DERIVE, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, body: str) -> str:
    return _b64(hmac.new(key, body.encode(), hashlib.sha256).digest()[:MAC_BYTES])


def normal_scope(scope: str) -> str:
    """ "person", "meeting:12", "M-12", "project:X", "department:X" -> the stored form; else MailbotError."""
    scope = scope.strip()
    ref = re.fullmatch(r"[Mm]-?(\d{1,9})", scope)
    if ref:
        return f"meeting:{int(ref.group(1))}"
    kind, _, target = scope.partition(":")
    if kind == "person" and not target:
        return "person"
    if kind == "meeting" and target.isdigit() and len(target) <= 9:
        return f"meeting:{int(target)}"
    if kind in ("project", "department") and target.strip():
        return f"{kind}:{target.strip()}"
    raise MailbotError(f"web link scope {scope!r}: use person, M-3, project:NAME or department:NAME")


def issue(key: bytes, address: str, scope: str, expires: datetime, generation: int) -> str:
    payload = {"a": address.lower(), "s": normal_scope(scope), "e": int(expires.timestamp()), "g": generation}
    body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{body}.{_mac(key, body)}"


def read(key: bytes, token: str) -> Link | None:
    """The link a token stands for when its MAC verifies (expiry and revocation not checked here)."""
    if len(token) > MAX_TOKEN or not _TOKEN.fullmatch(token):
        return None
    body, _, mac = token.partition(".")
    if not hmac.compare_digest(_mac(key, body), mac):
        return None
    try:
        data: Any = json.loads(_unb64(body))
        link = Link(
            address=str(data["a"]),
            scope=normal_scope(str(data["s"])),
            expires=datetime.fromtimestamp(int(data["e"]), UTC),
            generation=int(data["g"]),
        )
    except (ValueError, KeyError, TypeError, binascii.Error, MailbotError, OverflowError, OSError):
        return None
    return link


def generation_of(session: Session, address: str) -> int:
    found = session.scalar(select(WebLinkGeneration.generation).where(WebLinkGeneration.address == address.lower()))
    return found or 0


def revoke(session: Session, address: str, now: datetime) -> int:
    """End every link of `address` issued so far; the new generation (later links carry it)."""
    row = session.scalar(select(WebLinkGeneration).where(WebLinkGeneration.address == address.lower()))
    if row is None:
        row = WebLinkGeneration(address=address.lower(), generation=0, revoked_at=now)
        session.add(row)
    row.generation = (row.generation or 0) + 1
    row.revoked_at = now
    session.flush()
    return row.generation


def path_for(token: str, scope: str) -> str:
    """The page's path: /p/<token>, /m/<meeting id>/<token>, /project/<token>, /department/<token>."""
    kind, _, target = scope.partition(":")
    if kind == "meeting":
        return f"/m/{target}/{token}"
    if kind == "person":
        return f"/p/{token}"
    return f"/{kind}/{token}"


def make_link(
    app: App,
    address: str,
    scope: str = "person",
    *,
    session: Session | None = None,
    expires: datetime | None = None,
    generation: int | None = None,
) -> str:
    """A full URL (the configured base_url) to `scope` for `address`, valid for [web] link_days.
    `generation`: the person's link generation when the caller loaded it already (a batch of
    mails: Notifier.know), else it is looked up."""
    web = app.config.web
    if not web.base_url:
        raise MailbotError(f"{app.config.origin}: web.base_url is empty: links need the public address")
    scope = normal_scope(scope)
    expires = expires or app.now() + timedelta(days=web.link_days)
    if generation is None and session is not None:
        generation = generation_of(session, address)
    elif generation is None:
        with app.db.session() as own:
            generation = generation_of(own, address)
    token = issue(link_key(app.config.token_key), address, scope, expires, generation)
    return web.base_url.rstrip("/") + path_for(token, scope)


def web_link(app: App, address: str, scope: str = "person", *, session: Session | None = None) -> str | None:
    """The link a mail to `address` carries to their page (scope "person") or a meeting's ("M-3"),
    or None when the pages are off ([web] enabled = false): mails then carry no link.

    For mail handlers: pass the handler's session so the lookup of the person's generation joins
    it. The link is fixed when the mail is decided, like the rest of its context."""
    if not app.config.web.enabled or not app.config.web.base_url:
        return None
    return make_link(app, address, scope, session=session)
