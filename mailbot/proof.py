"""Proof that a mail comes from the address in its `From:` (reliability.md: a From: header
proves nothing). Two kinds of proof live here; the third, a reply token or a Message-ID only the
recipient of our mail knows, is the reply handler's (handlers/reply.py).

- the organisation's own server vouches: an `Authentication-Results` header with the configured
  authserv-id saying DMARC pass, or DKIM/SPF pass aligned with the From: domain, or that the
  sender logged in as that very mailbox (auth=pass smtp.auth=…, mail written inside);
- a DKIM signature the bot verifies itself (dkimpy), aligned with the From: domain.

Why the care below: everything in a mail is written by its sender except what our own server
(and the hops after it) added on top. So an Authentication-Results header counts only if our
server's `Received:` is there, and only above the first `Received:` below it that our server
did not write: a forger's copy sits lower, under his own server's `Received:`. Hops above our
server's first `Received:` came later (Gmail's internal "by 2002:…") and do not end the search.
This still relies on the server removing inbound headers that carry its authserv-id (RFC 8601
section 5): a forger who adds a fake `Received: by <our server>` above his fake header is
otherwise not told apart.

A DKIM signature counts only if it covers `From:` and the whole body (no l=: text appended after
signing would ride along). The mail is hostile input: nothing here may raise or hang, and a
mail without a signature costs no DNS lookup.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

# authres and dkimpy (with dnspython under it) are imported when a mail needs them: a mail with
# no Authentication-Results from our server and no DKIM signature (most replies) loads neither.
if TYPE_CHECKING:
    from mailbot.config import TrustSection

# dkimpy's DNS hook: (name: bytes, timeout: int|float) -> the TXT record's bytes, or b"".
DnsTxt = Callable[..., bytes]


@cache
def _authres() -> Any:
    """The Authentication-Results parser: the core methods (auth, dkim, spf) plus dmarc."""
    import authres
    import authres.dmarc

    return authres.FeatureContext(authres.dmarc)


# dkimpy logs every signature it cannot verify at ERROR (lists rewrite bodies all the time); here a
# failed signature is an ordinary "no proof", which the mail's record and events say.
logging.getLogger("dkimpy").setLevel(logging.CRITICAL)
_MAX_AR_HEADERS = 20
_MAX_AR_LENGTH = 4096  # authres is a regex-substitution parser, quadratic in the header's length
_MAX_SIGNATURES = 5
_COMMENT = re.compile(r"\([^()]*\)")
_BY = re.compile(r"(?:^|\s)by\s+([^\s;()]+)", re.IGNORECASE)


@dataclass(frozen=True)
class SenderProof:
    method: str  # "authres" | "dkim"
    detail: str  # what vouched, for the audit trail: "dmarc=pass header.from=corp.example"


def prove_sender(
    raw: bytes, from_address: str, trust: TrustSection, dns_txt: DnsTxt | None = None
) -> SenderProof | None:
    """The proof this mail carries that `from_address` sent it, or None."""
    domain = _domain(from_address)
    if not domain:
        return None
    fields = _header_fields(raw)
    proof = _server_vouches(fields, from_address.lower(), domain, trust.authserv_id.strip().lower().rstrip("."))
    if proof is None and trust.verify_dkim and any(name == "dkim-signature" for name, _ in fields):
        proof = _dkim_verifies(raw, domain, trust.dns_timeout_seconds, dns_txt)
    return proof


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip().strip("<>").lower().rstrip(".")


def _aligned(a: str, b: str) -> bool:
    """Relaxed alignment, simplified: equal, or one a subdomain of the other (never a bare TLD)."""
    a, b = a.lower().rstrip("."), b.lower().rstrip(".")
    if not a or not b:
        return False
    shorter, longer = sorted((a, b), key=len)
    return a == b or ("." in shorter and longer.endswith("." + shorter))


def _header_fields(raw: bytes) -> list[tuple[str, str]]:
    """The header's fields top to bottom as (lower-cased name, unfolded value)."""
    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]
    fields: list[tuple[str, str]] = []
    for line in re.split(rb"\r?\n", head):
        text = line.decode("ascii", errors="replace")
        if text[:1] in (" ", "\t"):
            if fields:
                fields[-1] = (fields[-1][0], fields[-1][1] + text)
        elif ":" in text:
            name, _, value = text.partition(":")
            fields.append((name.strip().lower(), value))
    return fields


def _received_by(value: str) -> str:
    for _ in range(5):  # strip (nested) comments, which may say anything
        value = _COMMENT.sub(" ", value)
    match = _BY.search(value)
    return match.group(1).lower().rstrip(".") if match else ""


def other_login(raw: bytes, from_address: str, trust: TrustSection) -> str | None:
    """The mailbox our own server says this mail was sent from when that is not `from_address`:
    someone logged in (SMTP AUTH) as sun.lei@ and wrote `From: zhang.wei@`. The server's word
    outweighs any token the mail carries (a forwarded request puts the owner's token in a
    colleague's hands): such a mail proves nothing, and the claimed sender is told whose login it
    was. None when the server says nothing of a login, or names this very mailbox."""
    domain = _domain(from_address)
    results = _trusted_results(_header_fields(raw), trust.authserv_id.strip().lower().rstrip("."))
    if not domain or not results:
        return None
    from_address = from_address.lower()
    mailbox = from_address.partition("@")[0]
    for result in results:
        if str(getattr(result, "method", "")).lower() != "auth" or str(getattr(result, "result", "")).lower() != "pass":
            continue
        for prop in getattr(result, "properties", None) or []:
            if f"{prop.type}.{prop.name}".lower() != "smtp.auth":
                continue
            login = str(prop.value or "").strip().lower()
            if login and login not in (from_address, mailbox):
                return login if "@" in login else f"{login}@{domain}"
    return None


def _server_vouches(
    fields: list[tuple[str, str]], from_address: str, domain: str, authserv_id: str
) -> SenderProof | None:
    results = _trusted_results(fields, authserv_id)
    if results is None:
        return None
    verdicts = [_verdict(result, domain, from_address) for result in results]
    if "veto" in verdicts:  # the server applied the domain's own DMARC policy and it failed
        return None
    # DMARC is the domain's own policy applied: name it in the audit trail when there is one.
    for kind in ("dmarc", "auth", "dkim", "spf"):
        for verdict in verdicts:
            if verdict.startswith(kind + "="):
                return SenderProof("authres", verdict)
    return None


def _trusted_results(fields: list[tuple[str, str]], authserv_id: str) -> list[Any] | None:
    """The results of the Authentication-Results headers our own server wrote (see the module's
    docstring for where they may sit), or None when the mail did not come through it."""
    if not authserv_id:
        return None
    results = []
    parsed = 0
    ours = False  # seen our server's Received: yet
    for name, value in fields:
        if name == "received":
            if _received_by(value) == authserv_id:
                ours = True
            elif ours:
                break  # below here, anyone could have written it
            continue
        if name != "authentication-results" or parsed >= _MAX_AR_HEADERS:
            continue
        parsed += 1
        _authres()  # outside the try: a missing authres is an error, not "no proof"
        try:
            header = _parsed(value.strip()[:_MAX_AR_LENGTH])
        except Exception:  # hostile or broken: it does not count (RecursionError included)
            continue
        if header.authserv_id == authserv_id:
            results.extend(header.results)
    return results if ours else None


@lru_cache(maxsize=256)
def _parsed(value: str) -> Any:
    """One Authentication-Results value parsed (authres's header object, only read here). The
    server writes the same value for every mail a person sends it (`auth=pass smtp.auth=…`), and
    parsing it cost more than the rest of the proof; a value that does not parse raises, uncached."""
    return _authres().parse_value(value)


def _verdict(result: object, domain: str, from_address: str) -> str:
    """What one resinfo says for this From: domain: a detail text, "veto", or ""."""
    method = str(getattr(result, "method", "")).lower()
    outcome = str(getattr(result, "result", "")).lower()
    props = {
        f"{p.type}.{p.name}".lower(): str(p.value or "").lower() for p in getattr(result, "properties", None) or []
    }
    if method == "dmarc":
        if props.get("header.from", "").rstrip(".") != domain:
            return ""
        return f"dmarc=pass header.from={domain}" if outcome == "pass" else "veto" if outcome == "fail" else ""
    if outcome != "pass":
        return ""
    if method == "dkim":
        signer = props.get("header.d") or _domain(props.get("header.i", ""))
        return f"dkim=pass header.d={signer}" if _aligned(signer, domain) else ""
    if method == "auth":
        # RFC 8601 2.7.4: the sender logged in to our server (SMTP AUTH) as this mailbox — the
        # proof for mail written inside the organisation, which DMARC does not look at.
        login = props.get("smtp.auth", "")
        mailbox = from_address.partition("@")[0]
        return f"auth=pass smtp.auth={login}" if login and login in (from_address, mailbox) else ""
    if method == "spf":
        mailfrom = _domain(props.get("smtp.mailfrom", ""))
        return f"spf=pass smtp.mailfrom={mailfrom}" if _aligned(mailfrom, domain) else ""
    return ""


def _dkim_verifies(raw: bytes, domain: str, timeout: float, dns_txt: DnsTxt | None) -> SenderProof | None:
    import dkim  # outside the try: a missing dkimpy is an error, not "no proof"
    from dkim.util import parse_tag_value

    try:
        verifier = dkim.DKIM(raw, timeout=timeout)
        signatures = [value for name, value in verifier.headers if name.lower() == b"dkim-signature"]
    except Exception:
        return None
    for idx, value in enumerate(signatures[:_MAX_SIGNATURES]):
        try:
            tags = parse_tag_value(re.sub(rb"\r?\n", b"", value))
            signer = tags[b"d"].decode("ascii").lower()
            signed = {h.strip().lower() for h in tags[b"h"].split(b":")}
            if b"l" in tags or b"from" not in signed or not _aligned(signer, domain):
                continue  # checked before verifying: an unaligned signature costs no lookup
            ok = verifier.verify(idx=idx, dnsfunc=dns_txt) if dns_txt else verifier.verify(idx=idx)
            if ok:
                return SenderProof("dkim", f"dkim d={signer} s={tags[b's'].decode('ascii')}")
        except Exception:  # dkimpy, DNS, hostile bytes: this signature does not count
            continue
    return None
