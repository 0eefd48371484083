"""InboundMail.from_bytes on hostile mail: never raises, keeps the sender, stays linear."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import NamedTuple

import pytest

from mailbot.message import Address, Attachment, InboundMail
from tests.complexity import assert_linear

FROM = b"From: Li Na <li.na@corp.example>\r\nTo: bot@corp.example\r\n"
C0 = [chr(c) for c in range(32)] + ["\x7f"]


def mixed(*parts: bytes) -> bytes:
    body = b"".join(b"--b\r\n" + part + b"\r\n" for part in parts)
    return FROM + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + body + b"--b--\r\n"


# --- 1. control characters in a charset parameter ---------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        FROM + b'Content-Type: text/plain; charset="utf-8\x00"\r\n\r\n\xe4\xbc\x9a\xe8\xae\xae hello\r\n',
        FROM + b"Content-Type: text/plain; charset=utf-8\x01\x1f\r\n\r\n\xe4\xbc\x9a\xe8\xae\xae hello\r\n",
        mixed(b'Content-Type: text/plain; charset="utf-8\x00"\r\n\r\n\xe4\xbc\x9a\xe8\xae\xae hello'),
        FROM + b"Content-Type: text/plain; charset*=utf-8''gb%00k\r\n\r\n\xbb\xe1\xd2\xe9 hello\r\n",
    ],
    ids=["nul", "controls", "nul-in-part", "rfc2231-nul"],
)
def test_control_characters_in_charset_parameter(raw: bytes) -> None:
    mail = InboundMail.from_bytes(raw)
    assert mail.sender == Address("Li Na", "li.na@corp.example")
    assert mail.text.strip() == "会议 hello"
    assert any("charset" in d for d in mail.defects), mail.defects


def test_control_characters_in_other_charset_labels() -> None:
    raw = mixed(
        b"Content-Type: text/csv\r\nContent-Disposition: attachment; filename*=utf-8\x00''%E4%BC%9A.csv\r\n\r\na,b",
    ).replace(b"To: bot", b"Subject: =?utf-8\x00?B?5Lya6K6u?=\r\nTo: bot")
    mail = InboundMail.from_bytes(raw)
    assert mail.subject == "会议"
    assert mail.attachments[0].filename == "会.csv"
    assert mail.sender is not None


# --- 2. dates outside any sane range ----------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "Fri, 31 Dec 9999 23:59:59 +1400",
        "Fri, 31 Dec 9999 23:59:59 -1200",
        "Fri, 31 Dec 9999 23:59:59 +0000",
        "Mon, 1 Jan 0001 00:00:00 +1400",
        "Mon, 1 Jan 0001 00:00:00 -1200",
        "Mon, 1 Jan 1900 00:00:00 +0000",
        "Sat, 1 Jan 2201 00:00:00 +0000",
        "1 Jan 1989 23:00:00",
    ],
)
def test_dates_out_of_range_are_dropped(value: str) -> None:
    mail = InboundMail.from_bytes(FROM + f"Date: {value}\r\n\r\nx\r\n".encode())
    assert mail.date is None
    assert any(value in d for d in mail.defects), mail.defects
    assert mail.sender is not None


@pytest.mark.parametrize("value", ["Mon, 1 Jan 1990 00:00:00 +0000", "Wed, 31 Dec 2199 23:59:59 +1400"])
def test_dates_at_the_edges_of_the_range_are_kept_and_usable(value: str) -> None:
    mail = InboundMail.from_bytes(FROM + f"Date: {value}\r\n\r\nx\r\n".encode())
    assert mail.date is not None
    # what the workflow does with a date: no OverflowError
    for hours in (-14, 14):
        (mail.date + timedelta(days=30)).astimezone(__import__("datetime").timezone(timedelta(hours=hours)))


# --- 3. SMTPUTF8 addresses --------------------------------------------------------------------


def test_smtputf8_from_with_a_name() -> None:
    raw = "From: 测试 <测试@Corp.Example>\r\nTo: 李娜 <李娜@corp.example>, Bob@X.example\r\n\r\nx\r\n".encode()
    mail = InboundMail.from_bytes(raw)
    assert mail.sender == Address("测试", "测试@corp.example")
    assert mail.to == (Address("李娜", "李娜@corp.example"), Address("", "bob@x.example"))


def test_smtputf8_bare_from_and_cc() -> None:
    raw = "From: 测试@corp.example\r\nCc: 王芳@corp.example\r\n\r\nx\r\n".encode()
    mail = InboundMail.from_bytes(raw)
    assert mail.sender == Address("", "测试@corp.example")
    assert mail.cc == (Address("", "王芳@corp.example"),)


def test_idn_domain() -> None:
    mail = InboundMail.from_bytes("From: User@例子.公司\r\n\r\nx\r\n".encode())
    assert mail.sender == Address("", "user@例子.公司")


def test_unicode_local_part_is_nfc_and_only_ascii_is_lowered() -> None:
    raw = "From: Jose\u0301.Ärger@Corp.Example\r\n\r\nx\r\n".encode()
    assert InboundMail.from_bytes(raw).sender == Address("", "josé.Ärger@corp.example")


# --- 4. msg-id and header hygiene -------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        b"<" + b"a" * 5000 + b"@corp.example>",
        b"<a\x00b@corp.example>",
        b"<a\x01b@corp.example>",
        b"<a b@corp.example>",
        b"<\xe6\xb5\x8b@corp.example>",
        b"a b@corp.example",
        b"<" + b"a" * 238 + b"@corp.example>",  # 251 characters
    ],
    ids=["5kb", "nul", "control", "space", "8bit", "bare-space", "251"],
)
def test_invalid_message_id_is_dropped(value: bytes) -> None:
    mail = InboundMail.from_bytes(FROM + b"Message-ID: " + value + b"\r\n\r\nx\r\n")
    assert mail.message_id is None
    assert any("message-id" in d for d in mail.defects), mail.defects
    assert all(len(d) <= 300 for d in mail.defects)


def test_valid_message_ids_are_kept() -> None:
    longest = "a" * 237 + "@corp.example"
    raw = FROM + f"Message-ID: < {longest} >\r\nIn-Reply-To: bare@corp.example\r\n\r\nx\r\n".encode()
    mail = InboundMail.from_bytes(raw)
    assert mail.message_id == longest and len(longest) == 250
    assert mail.in_reply_to == ("bare@corp.example",)


def test_references_keep_the_last_twenty_valid_ids() -> None:
    ids = " ".join(f"<{i}@corp.example>" for i in range(30))
    raw = FROM + f"References: {ids} <bad\x00id@x> <{'x' * 300}@x>\r\n\r\nx\r\n".encode()
    mail = InboundMail.from_bytes(raw)
    assert mail.references == tuple(f"{i}@corp.example" for i in range(10, 30))
    assert any("references: 2 invalid" in d for d in mail.defects), mail.defects


def test_no_control_characters_in_subject_and_header_values() -> None:
    raw = (
        FROM
        + b"Subject: a\x00b\x01c\x1bd\x7fe\r\nX-Test: =?utf-8?Q?x=00y=07z?=\r\nContent-Type: text/pl\x00ain\r\n\r\nx"
    )
    mail = InboundMail.from_bytes(raw)
    assert mail.subject == "abcde"
    assert mail.headers["x-test"] == "xyz"
    for value in (*mail.headers.values(), mail.subject, mail.content_type):
        assert not any(c in value for c in C0), value


# --- 5. the declared charset of an attachment -------------------------------------------------


def test_attachment_keeps_its_declared_charset_and_bytes() -> None:
    csv = "负责人,截止\n张伟,2026-12-15\n".encode("gbk")
    raw = mixed(
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nsee attached",
        b'Content-Type: text/csv; charset="GBK"; name="a.csv"\r\nContent-Disposition: attachment\r\n'
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + csv,
        b"Content-Type: application/pdf; name=b.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=",
        b'Content-Type: text/csv; charset="utf-8\x00"; name=c.csv\r\n\r\na,b',
    )
    first, second, third = InboundMail.from_bytes(raw).attachments
    assert (first.filename, first.charset) == ("a.csv", "gbk")
    assert first.payload == csv  # as sent: never decoded, never re-encoded
    assert (second.charset, second.payload) == (None, b"%PDF-")
    assert third.charset == "utf-8"
    assert Attachment("x", "text/plain", b"").charset is None


# --- 6. anything else: generated hostile mail -------------------------------------------------


def _nested(levels: int) -> bytes:
    raw = FROM + b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
    return raw + b"".join(
        f"--b{i - 1}\r\nContent-Type: multipart/mixed; boundary=b{i}\r\n\r\n".encode() for i in range(1, levels)
    )


def _body(headers: bytes, body: bytes) -> bytes:
    return FROM + headers + b"\r\n" + body


class Hostile(NamedTuple):
    make: Callable[[int], bytes]  # the mail, as a function of the size of its hostile part
    size: int | None  # the size read; None: a fixed mail, nothing in it to grow
    readable: bool  # the From is readable


def _fixed(raw: bytes, readable: bool = True) -> Hostile:
    return Hostile(lambda _: raw, None, readable)


HOSTILE: dict[str, Hostile] = {
    "nested-5000": Hostile(_nested, 5000, True),
    "rfc822-nested-5000": Hostile(lambda n: FROM + b"Content-Type: message/rfc822\r\n\r\n" * n + b"x", 5000, True),
    "subject-2mb": Hostile(lambda n: FROM + b"Subject: " + b"x" * n + b"\r\n\r\nx", 2_000_000, True),
    "subject-encoded-words": Hostile(
        lambda n: FROM + b"Subject: " + b"=?utf-8?B?5byg?= " * n + b"\r\n\r\nx", 120_000, True
    ),
    "subject-folds": Hostile(lambda n: FROM + b"Subject: " + b"x\r\n " * n + b"\r\n\r\nx", 500_000, True),
    "subject-8bit-garbage": Hostile(lambda n: FROM + b"Subject: \x81\xff\xfe\x00\x80 " * n + b"\r\n\r\nx", 1000, True),
    "headers-100k": Hostile(lambda n: FROM + b"".join(b"X-H%d: v\r\n" % i for i in range(n)) + b"\r\nx", 100_000, True),
    "cc-100k-addresses": Hostile(
        lambda n: FROM + b"Cc: " + b", ".join(b"u%d@x.example" % i for i in range(n)) + b"\r\n\r\nx", 100_000, True
    ),
    "cc-delimiters": Hostile(lambda n: FROM + b"Cc: " + b'<<<<""((((' * n + b"\r\n\r\nx", 100_000, True),
    "from-8bit-garbage": _fixed(b"From: \xff\xfe\x80\x00 <li.na@corp.example>\r\n\r\nx"),
    "from-gbk-8bit": _fixed(b"From: \xd5\xc5\xce\xb0 <zhang.wei@corp.example>\r\n\r\nx"),
    "date-2mb": Hostile(lambda n: FROM + b"Date: " + b"1" * n + b"\r\n\r\nx", 2_000_000, True),
    "date-5000-digit-year": Hostile(
        lambda n: FROM + b"Date: Fri, 31 Dec " + b"9" * n + b" 23:59:59 +1400\r\n\r\nx", 5000, True
    ),
    "date-comments": Hostile(lambda n: FROM + b"Date: " + b"(" * n + b"\r\n\r\nx", 100_000, True),
    "references-100k": Hostile(
        lambda n: FROM + b"References: " + b" ".join(b"<%d@x>" % i for i in range(n)) + b"\r\n\r\nx", 100_000, True
    ),
    "references-lt": Hostile(lambda n: FROM + b"References: " + b"<" * n + b"\r\n\r\nx", 2_000_000, True),
    "base64-broken": Hostile(lambda n: _body(b"Content-Transfer-Encoding: base64\r\n", b"a=" * n), 1_000_000, True),
    "base64-binary-junk": Hostile(
        lambda n: _body(b"Content-Transfer-Encoding: base64\r\n", bytes(range(256)) * n), 8000, True
    ),
    "charset-base64": _fixed(
        _body(b"Content-Type: text/plain; charset=base64\r\nContent-Transfer-Encoding: base64\r\n", b"aGVsbG8")
    ),
    "charset-rot13": _fixed(_body(b"Content-Type: text/plain; charset=rot13\r\n", b"hello \xff")),
    "charset-unicode-escape": _fixed(_body(b"Content-Type: text/plain; charset=unicode_escape\r\n", b"\\ud800 \xff")),
    "charset-utf-7-half-pair": _fixed(_body(b"Content-Type: text/plain; charset=utf-7\r\n", b"+2D0-")),
    "charset-punycode": Hostile(
        lambda n: _body(b"Content-Type: text/plain; charset=punycode\r\n", b"a" * (2 * n) + b"-" + "ü".encode() * n),
        100_000,
        True,
    ),
    "charset-1mb": Hostile(
        lambda n: _body(b"Content-Type: text/plain; charset=" + b"u" * n + b"\r\n", b"x\xff"), 1_000_000, True
    ),
    "charset-lies-gbk-as-utf8": Hostile(
        lambda n: _body(b"Content-Type: text/plain; charset=utf-8\r\n", "会议".encode("gbk") * n), 100_000, True
    ),
    "encoded-word-utf-7": _fixed(FROM + b"Subject: =?utf-7?Q?+2D0-?=\r\n\r\nx"),
    "boundary-never-closes": Hostile(
        lambda n: FROM + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n" + b"line\r\n" * n,
        200_000,
        True,
    ),
    "boundary-missing-distinct-delimiters": Hostile(
        lambda n: FROM + b"Content-Type: multipart/mixed\r\n\r\n" + b"".join(b"--x%dy\r\nx\r\n" % i for i in range(n)),
        60_000,
        True,
    ),
    "parts-50k": Hostile(
        lambda n: FROM + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + b"--b\r\n\r\nx\r\n" * n, 50_000, True
    ),
    "content-type-160k-params": Hostile(
        lambda n: _body(b"Content-Type: text/plain" + b"; a=b" * n + b"\r\n", b"x"), 160_000, True
    ),
    "disposition-160k-params": Hostile(
        lambda n: _body(b"Content-Disposition: attachment" + b"; a=b" * n + b"\r\n", b"x"), 160_000, True
    ),
    "boundary-160k-params": Hostile(
        lambda n: _body(
            b"Content-Type: multipart/mixed; boundary=b" + b"; a=b" * n + b"\r\n", b"--b\r\n\r\nx\r\n--b--\r\n"
        ),
        160_000,
        True,
    ),
    "parts-with-many-params": Hostile(
        lambda n: (
            FROM
            + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
            + (b"--b\r\nContent-Type: text/plain" + b"; a=b" * 1000 + b"\r\n\r\nx\r\n") * n
        ),
        1000,
        True,
    ),
    "content-type-nul": _fixed(_body(b"Content-Type: text/pl\x00ain\r\n", b"x")),
    "nul-in-body": _fixed(_body(b"", b"hello\x00world")),
    "bare-cr": Hostile(lambda n: FROM + b"Subject: a\rb\r\n\r\n" + b"\r" * n, 1_000_000, True),
    "header-never-ends": Hostile(lambda n: FROM + b"X: " + b"y" * n, 3_000_000, True),
    "newlines-3m": Hostile(lambda n: FROM + b"\r\n" + b"\n" * n, 3_000_000, True),
    "quoted-printable-junk": Hostile(
        lambda n: _body(b"Content-Transfer-Encoding: quoted-printable\r\n", b"=" * n), 1_000_000, True
    ),
    "uuencode-junk": _fixed(
        _body(b"Content-Transfer-Encoding: x-uuencode\r\n", b"begin 644 a\r\n" + b"\xff" * 1000 + b"\r\nend\r\n")
    ),
    "flowed-quotes": Hostile(
        lambda n: _body(b"Content-Type: text/plain; format=flowed; delsp=yes\r\n", b"> " * n), 500_000, True
    ),
    "html-unclosed-tables": Hostile(
        lambda n: _body(b"Content-Type: text/html\r\n", b"<table><tr><td>" * n), 100_000, True
    ),
    "no-header-at-all": Hostile(lambda n: b"\x00\xff\xfe garbage \x81\x82" * n, 100_000, False),
    "from-unclosed-comment": Hostile(lambda n: b"From: li.na@corp.example " + b"(" * n + b"\r\n\r\nx", 100_000, False),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_mail_is_read_in_linear_time_and_keeps_the_sender(name: str) -> None:
    make, size, readable = HOSTILE[name]
    # Quadratic ones took 12 s and more at these sizes: the guard compares the size with an eighth of it.
    mail = InboundMail.from_bytes(make(0)) if size is None else assert_linear(InboundMail.from_bytes, make, size // 8)
    if readable:
        assert mail.sender is not None and mail.sender.address.endswith("@corp.example")
    assert not any(d.startswith("internal error") for d in mail.defects), mail.defects
    assert len(mail.defects) <= 101 and all(len(d) <= 300 for d in mail.defects)
    for text in (mail.subject, mail.text, mail.html, *mail.headers.values(), *(a.name for a in mail.people())):
        assert "\x00" not in text
        text.encode("utf-8")  # no lone surrogates: the database and the generator need valid text


def test_two_megabyte_subject_is_read_whole_in_linear_time() -> None:
    mail = assert_linear(
        InboundMail.from_bytes, lambda n: FROM + b"Subject: " + "会议 ".encode() * n + b"\r\n\r\nx", 500_000 // 8
    )
    assert len(mail.subject) == 1_499_999
