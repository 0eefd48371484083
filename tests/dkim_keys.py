"""DKIM keys and signatures for tests, without DNS and without openssl.

`make_key` makes an RSA key in pure Python (neither `cryptography` nor openssl is a dependency:
dkimpy does RSA itself) and returns a stub DNS resolver serving its public key; `sign` puts a
real dkimpy signature on a mail. Together they let a test sign a mail as corp.example and have
mailbot.proof verify it end to end:

    pem, dns_txt = make_key("sel1", "corp.example")
    raw = sign(raw, "sel1", "corp.example", pem)
    prove_sender(raw, "alice@corp.example", trust, dns_txt)
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from functools import cache

import dkim
from dkim.canonicalization import CanonicalizationPolicy
from dkim.crypto import parse_pem_private_key

KEY_BITS = 1024  # dkimpy's minimum (minkey); pure-Python generation stays well under a second
_SMALL_PRIMES = [p for p in range(3, 2000, 2) if all(p % d for d in range(3, int(p**0.5) + 1, 2))]
_RSA_OID = bytes.fromhex("06092a864886f70d010101")  # 1.2.840.113549.1.1.1 rsaEncryption


class DnsStub:
    """dkimpy's `dnsfunc`: serves the TXT records it was given, b"" for any other name; remembers
    what it was asked (`calls`), so a test can say that no lookup happened."""

    def __init__(self, records: dict[str, bytes] | None = None) -> None:
        self.records = dict(records or {})
        self.calls: list[bytes] = []

    def __call__(self, name: bytes, timeout: float = 5) -> bytes:
        self.calls.append(name)
        return self.records.get(name.decode("ascii", "replace").lower().rstrip("."), b"")


def make_key(selector: str, domain: str) -> tuple[bytes, DnsStub]:
    """A PEM private key, and a stub resolver serving `<selector>._domainkey.<domain>` its public
    key ("v=DKIM1; k=rsa; p=…"). Keys are made once per (selector, domain) in a test run."""
    private_pem, public_b64 = _keypair(selector.lower(), domain.lower())
    record = b"v=DKIM1; k=rsa; p=" + public_b64
    return private_pem, DnsStub({f"{selector}._domainkey.{domain}".lower(): record})


def sign(
    raw: bytes,
    selector: str,
    domain: str,
    private_pem: bytes,
    *,
    length: bool = False,
    include_headers: list[bytes] | None = None,
) -> bytes:
    """The mail with a DKIM-Signature (d=domain, s=selector, relaxed/simple) on top.

    `length=True` adds the l= body-length tag. `include_headers` chooses the signed fields; a list
    without b"from" makes a valid signature that does not cover From: (dkimpy refuses to make
    one, RFC 6376 forbids it; a forger could, so the tests need one)."""
    if include_headers is None or b"from" in [h.lower() for h in include_headers]:
        header = dkim.sign(
            raw, selector.encode(), domain.encode(), private_pem, include_headers=include_headers, length=length
        )
        return header + raw
    return _sign_without_from(raw, selector.encode(), domain.encode(), private_pem, include_headers)


def _sign_without_from(raw: bytes, selector: bytes, domain: bytes, private_pem: bytes, headers: list[bytes]) -> bytes:
    """What DKIM.sign does, minus its check that From: is signed."""
    signer = dkim.DKIM(raw)
    signer.hasher = hashlib.sha256
    policy = CanonicalizationPolicy.from_c_value(b"relaxed/simple")
    body_hash = base64.b64encode(hashlib.sha256(policy.canonicalize_body(signer.body)).digest())
    names = [h.lower() for h in headers]
    fields = [
        (b"v", b"1"),
        (b"a", b"rsa-sha256"),
        (b"c", b"relaxed/simple"),
        (b"d", domain),
        (b"s", selector),
        (b"t", str(int(time.time())).encode()),
        (b"h", b" : ".join(names)),
        (b"bh", body_hash),
        (b"b", b"0" * 60),
    ]
    value = signer.gen_header(fields, names, policy, b"DKIM-Signature", parse_pem_private_key(private_pem))
    return b"DKIM-Signature: " + value + raw


@cache
def _keypair(selector: str, domain: str) -> tuple[bytes, bytes]:
    """(PKCS#1 PEM private key, base64 SubjectPublicKeyInfo) of a fresh RSA key."""
    e = 65537
    while True:
        p, q = _prime(KEY_BITS // 2), _prime(KEY_BITS // 2)
        n, phi = p * q, (p - 1) * (q - 1)
        if p != q and n.bit_length() == KEY_BITS and phi % e:
            break
    d = pow(e, -1, phi)
    private = _der(0x30, b"".join(_int(x) for x in (0, n, e, d, p, q, d % (p - 1), d % (q - 1), pow(q, -1, p))))
    public = _der(0x30, _int(n) + _int(e))
    spki = _der(0x30, _der(0x30, _RSA_OID + _der(0x05, b"")) + _der(0x03, b"\x00" + public))
    body = base64.encodebytes(private).replace(b"\n", b"")
    lines = b"\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    pem = b"-----BEGIN RSA PRIVATE KEY-----\n" + lines + b"\n-----END RSA PRIVATE KEY-----\n"
    return pem, base64.b64encode(spki)


def _prime(bits: int) -> int:
    while True:
        candidate = secrets.randbits(bits) | (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        if all(candidate % p for p in _SMALL_PRIMES) and _probably_prime(candidate):
            return candidate


def _probably_prime(n: int, rounds: int = 40) -> bool:
    """Miller-Rabin."""
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _int(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))  # leading 0: never negative
