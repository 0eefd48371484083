"""The parsed inbound mail as plain data: what every rule and handler reads.

Where each piece comes from, and why:

- MIME tree: the stdlib parser with the `compat32` policy. It is about 5x faster than
  `policy.default`, never raises on an unknown charset, and keeps 8-bit bytes (as surrogates)
  so they can be decoded later with a better guess than the label.
- Bodies, attachments, subject and display names: our own walk over that tree, with the
  repairs in `mailbot.mimefix`. mail-parser 4.8.0 decodes with the declared charset and gives
  up with U+FFFD or mojibake (a `gb2312` label on GBK bytes turned `【纪要】朱镕 喆` into `ҪF`),
  leaves encoded words in quoted names, drops the body of a multipart without a boundary, and
  returns a truncated base64 body as base64 text.
- Date and the splitting of address lists: mail-parser's own readers (`mailparser.dates`,
  `mailparser.utils.get_addresses`), called on the raw header values. Its date reader handles
  obsolete RFC 5322 forms and reports bad ones; its address lexer copes with groups, quoted
  commas and ambiguous mailboxes. Building a whole `MailParser` object instead was measured at
  60% of the parse time, spent mostly decoding bodies we decode again anyway.
- HTML to text: `mailbot.htmltext` (linear-time, tables as TAB-separated rows).

Nothing here raises on a broken mail: what was repaired or could not be read is listed in
`defects`. The one exception is empty input, which is not a mail at all. Hostile input is read in
linear time and within bounds (MIME depth and parts, address header length, msg-id length and
count, number and length of defects); every string handed on is valid Unicode without NUL, so
the database and the mail generator accept it. Dates outside 1990-2200 are dropped: a year 9999
date overflowed later date arithmetic.
"""

from __future__ import annotations

import email
import email.errors
import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from functools import cached_property, lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from mailbot import mimefix
from mailbot.errors import MailbotError
from mailbot.inert import clean_text, deliverable_refusal

if TYPE_CHECKING:
    from mailbot.htmltext import HtmlReading, html_tables, html_to_text

__all__ = ["Address", "Attachment", "InboundMail", "html_tables", "html_to_text"]


def __getattr__(name: str) -> Any:
    """`html_tables` and `html_to_text` (mailbot.htmltext) are imported when first asked for: a
    plain-text mail, most replies, never loads the HTML reader."""
    if name in ("html_tables", "html_to_text"):
        from mailbot import htmltext

        return getattr(htmltext, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


try:  # mail-parser's RFC 5322 readers, used without its MailParser object (see module docstring)
    from mailparser.dates import parse_mail_date as _mp_date
    from mailparser.utils import get_addresses as _mp_addresses
except ImportError:  # older mail-parser: the stdlib readers are the fallback
    _mp_date = None  # type: ignore[assignment]
    _mp_addresses = None  # type: ignore[assignment]

# Hostile structure limits: a mail deeper or wider than this is read up to the limit.
MAX_MIME_DEPTH = 32
MAX_MIME_PARTS = 1000
# mail-parser reads about 50,000 addresses a second; nobody writes to more than this holds.
MAX_ADDRESS_HEADER = 256 * 1024
MAX_MSG_ID = 250
MAX_REFERENCES = 20
MAX_DEFECTS = 100
MAX_DEFECT_LENGTH = 300
# Times the workflow can add deadlines to and convert to any zone without overflowing.
EARLIEST_DATE = datetime(1990, 1, 1, tzinfo=UTC)
LATEST_DATE = datetime(2200, 1, 1, tzinfo=UTC)

_ADDRESS_FIELDS = ("from", "to", "cc", "reply-to")
_BRACKETED = re.compile(r"<([^<>]*)>")
_VALID_MSG_ID = re.compile(r"[\x21-\x3b\x3d\x3f-\x7e]+")  # printable ASCII without < >
_FOLDING = re.compile(r"\r?\n")
_NEWLINES = re.compile(r"\r\n?")
_CTYPE = re.compile(r"[a-z0-9!#$%&'*+.^_`{|}~-]{1,127}/[a-z0-9!#$%&'*+.^_`{|}~-]{1,127}")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class Attachment:
    # Decoded, without bidi controls or invisible characters (what to show, store and forward);
    # '' for unnamed parts (delivery reports, inline images without a name).
    filename: str
    content_type: str  # lower-case
    payload: bytes  # transfer-decoded, never charset-decoded
    # The declared charset parameter, lower-case and cleaned; None if absent. Whoever reads or
    # forwards the payload as text must use it (a GBK text/csv is not UTF-8).
    charset: str | None = None
    # The name as the mail wrote it, when cleaning changed it (`invoice\u202egpj.exe`): the
    # disguise is itself the evidence, so it is what `deliverable_refusal` judges.
    raw_filename: str | None = field(default=None, compare=False, repr=False)

    def deliverable_refusal(self, allowed_extensions: Sequence[str]) -> str | None:
        """Why this file may not be forwarded as a deliverable, or None (see mailbot.inert)."""
        name = self.raw_filename if self.raw_filename is not None else self.filename
        return deliverable_refusal(name, self.content_type, allowed_extensions)


@dataclass(frozen=True)
class Address:
    name: str  # decoded display name, single line, stripped, no bidi or invisible characters ('' if none)
    address: str  # addr-spec, ASCII letters lower-cased, Unicode (RFC 6532) kept as NFC


@dataclass(frozen=True)
class InboundMail:
    raw: bytes
    message_id: str | None  # angle brackets stripped; printable ASCII, at most 250 characters
    subject: str  # decoded, single line, without bidi controls or invisible characters
    sender: Address | None  # From
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    date: datetime | None  # tz-aware: the sender's offset, or UTC if the header had none
    in_reply_to: tuple[str, ...]  # message ids, brackets stripped
    references: tuple[str, ...]  # the last 20
    # lower-case header name -> decoded, single-line value of its first occurrence
    headers: Mapping[str, str] = field(hash=False)
    # Both bodies without bidi controls or invisible characters: `确\u200b认` is read as 确认.
    text: str  # plain-text body, LF line ends, format=flowed joined; '' if none
    html: str  # HTML body; '' if none
    attachments: tuple[Attachment, ...]
    defects: tuple[str, ...]  # what was repaired or could not be read, for people
    content_type: str  # top-level, lower-case, e.g. "multipart/report"
    content_hash: str  # sha256 hex of raw: the dedupe key of mails without a Message-ID

    @classmethod
    def from_bytes(cls, raw: bytes) -> InboundMail:
        """Parse one mail as it came off the wire; raises MailbotError only for empty input."""
        if not raw or not raw.strip():
            raise MailbotError("The mail is empty: there is nothing to read.")
        try:
            return _parse(bytes(raw))
        except Exception as exc:  # a parser bug on a hostile body must not cost us the sender
            head = _header_block(bytes(raw))
            if head == bytes(raw):
                raise
            mail = _parse(head)
            defect = f"internal error reading the body ({exc.__class__.__name__}); headers only"
            return replace(mail, raw=bytes(raw), content_hash=hashlib.sha256(raw).hexdigest(),
                           defects=(defect, *mail.defects))  # fmt: skip

    @cached_property
    def body_text(self) -> str:
        """The text to read: the plain part if it says anything, else the HTML rendered to text."""
        if self.text.strip():
            return self.text
        if not self.html:
            return ""
        # Entities (&#8203;, &zwnj;) become characters only here.
        return clean_text(self.html_reading.text)

    @cached_property
    def html_reading(self) -> HtmlReading:
        """The HTML body's text and tables (mailbot.htmltext.read_html), read once for the body
        text and the format reader alike."""
        from mailbot.htmltext import read_html

        return read_html(self.html)

    def people(self) -> tuple[Address, ...]:
        """From, To and Cc, first occurrence of each address kept, in that order."""
        seen: set[str] = set()
        out: list[Address] = []
        for person in ((self.sender,) if self.sender else ()) + self.to + self.cc:
            if person.address not in seen:
                seen.add(person.address)
                out.append(person)
        return tuple(out)


# --- parsing ----------------------------------------------------------------------------------


@dataclass
class _Walk:
    defects: list[str]
    texts: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    parts: int = 0


def _header_block(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]


def _parse(raw: bytes) -> InboundMail:
    defects: list[str] = []
    try:
        msg = email.message_from_bytes(raw, policy=mimefix.POLICY)
    except RecursionError:
        # The stdlib recurses once per multipart level; keep the headers at least.
        defects.append("MIME nesting too deep to read; body ignored")
        msg = email.parser.BytesHeaderParser(policy=mimefix.POLICY).parsebytes(raw)
        msg.set_payload("")

    walk = _Walk(defects)
    _walk(msg, "", 0, walk)
    headers = _headers(msg, defects)
    addresses = {name: _addresses(msg, name, defects) for name in _ADDRESS_FIELDS}
    senders = addresses["from"]
    message_ids = _msg_ids(msg, "message-id", defects)
    return InboundMail(
        raw=raw,
        message_id=message_ids[0] if message_ids else None,
        subject=clean_text(headers.get("subject", "")),
        sender=senders[0] if senders else None,
        to=addresses["to"],
        cc=addresses["cc"],
        reply_to=addresses["reply-to"],
        date=_date(_raw_header(msg, "date"), defects),
        in_reply_to=_msg_ids(msg, "in-reply-to", defects)[-MAX_REFERENCES:],
        references=_msg_ids(msg, "references", defects)[-MAX_REFERENCES:],
        headers=MappingProxyType(headers),
        text=clean_text(_no_nul("\n".join(walk.texts), "text body", defects)),
        html=clean_text(_no_nul("\n".join(walk.htmls), "HTML body", defects)),
        attachments=tuple(walk.attachments),
        defects=_bounded(defects),
        content_type=_content_type(msg, "", defects),
        content_hash=hashlib.sha256(raw).hexdigest(),
    )


def _walk(part: Message, path: str, depth: int, walk: _Walk) -> None:
    """Sort each leaf into text, HTML or attachment; message/* parts stay whole attachments."""
    walk.parts += 1
    if walk.parts > MAX_MIME_PARTS:
        if walk.parts == MAX_MIME_PARTS + 1:
            walk.defects.append(f"more than {MAX_MIME_PARTS} MIME parts; the rest ignored")
        return
    ctype = _content_type(part, path, walk.defects)
    where = f"part {path} {ctype}" if path else ctype
    for defect in part.defects:
        walk.defects.append(f"{where}: {_describe(defect)}")
    for name in mimefix.params_cut(part):
        walk.defects.append(f"{where}: more than {mimefix.MAX_PARAMS} parameters in {name}; the rest ignored")
    maintype = ctype.split("/", 1)[0]

    if maintype == "multipart":
        if not part.is_multipart() and not mimefix.repair_boundary(part, where, walk.defects):
            walk.defects.append(f"{where}: no boundary and no parts found; body read as plain text")
            _take_text(part, "text/plain", where, walk)
            return
        if depth >= MAX_MIME_DEPTH:
            walk.defects.append(f"{where}: nested deeper than {MAX_MIME_DEPTH}; inner parts ignored")
            return
        for i, sub in enumerate(part.get_payload(), 1):
            if isinstance(sub, Message):
                _walk(sub, f"{path}.{i}" if path else str(i), depth + 1, walk)
        return

    filename = _filename(part, where, walk.defects)
    disposition = (part.get_content_disposition() or "").lower()
    if ctype in ("text/plain", "text/html") and not filename and disposition != "attachment":
        _take_text(part, ctype, where, walk)
        return
    if part.is_multipart():  # message/rfc822, message/delivery-status: kept as one file
        payload = _message_bytes(part, where, walk.defects)
    else:
        payload, _ = mimefix.transfer_decode(part, where, walk.defects)
    charset = mimefix.declared_charset(part, where, walk.defects)
    shown = clean_text(filename)
    walk.attachments.append(
        Attachment(filename=shown, content_type=ctype, payload=payload, charset=charset,
                   raw_filename=filename if shown != filename else None)
    )  # fmt: skip


def _content_type(part: Message, path: str, defects: list[str]) -> str:
    ctype = part.get_content_type().lower()
    if _CTYPE.fullmatch(ctype):
        return ctype
    # compat32 passes any type/subtype through, NUL and all; the rest of the bot trusts this value.
    fallback = "multipart/mixed" if part.is_multipart() else "application/octet-stream"
    where = f"part {path}" if path else "content type"
    defects.append(f"{where}: invalid content type {mimefix.shown(ctype)}; read as {fallback}")
    return fallback


def _take_text(part: Message, ctype: str, where: str, walk: _Walk) -> None:
    data, truncated = mimefix.transfer_decode(part, where, walk.defects)
    charset = mimefix.declared_charset(part, where, walk.defects)
    text = mimefix.decode_bytes(data, charset, where, walk.defects, truncated=truncated)
    text = _NEWLINES.sub("\n", text).removeprefix("\ufeff")
    if ctype == "text/html":
        if text.strip():
            walk.htmls.append(text)
        return
    if str(part.get_param("format", "")).lower() == "flowed":
        text = mimefix.unflow(text, delsp=str(part.get_param("delsp", "")).lower() == "yes")
    if text.strip():
        walk.texts.append(text)


def _filename(part: Message, where: str, defects: list[str]) -> str:
    value = part.get_param("filename", None, "content-disposition")
    if value is None:
        value = part.get_param("name", None, "content-type")
    if value is None:
        return ""
    return mimefix.decode_param(value, where, defects)  # type: ignore[arg-type]


def _message_bytes(part: Message, where: str, defects: list[str]) -> bytes:
    chunks: list[bytes] = []
    for sub in part.get_payload():
        try:
            chunks.append(sub.as_bytes())
        except Exception as exc:  # the generator can fail on what the parser accepted
            defects.append(f"{where}: could not re-serialise an enclosed part ({exc.__class__.__name__})")
    return b"\n".join(chunks)


def _describe(defect: object) -> str:
    doc = (type(defect).__doc__ or "").strip().splitlines()
    return f"{type(defect).__name__}: {doc[0]}" if doc else type(defect).__name__


def _headers(msg: Message, defects: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in msg.raw_items():
        key = name.strip().lower()
        if key and key not in headers:
            headers[key] = mimefix.single_line(mimefix.decode_header(str(value), f"header {key}", defects))
    return headers


def _raw_header(msg: Message, name: str) -> str | None:
    for key, value in msg.raw_items():
        if key.strip().lower() == name:
            return str(value)
    return None


def _addresses(msg: Message, name: str, defects: list[str]) -> tuple[Address, ...]:
    raw = _raw_header(msg, name)
    if raw is None:
        return ()
    if len(raw) > MAX_ADDRESS_HEADER:
        defects.append(f"header {name}: longer than {MAX_ADDRESS_HEADER} characters; the rest ignored")
        raw = raw[:MAX_ADDRESS_HEADER]
    # SMTPUTF8 mail carries raw UTF-8 (RFC 6532); compat32 keeps it as surrogates, which
    # mail-parser's lexer rightly calls invalid, so `测试@corp.example` had no sender at all.
    raw = mimefix.decode_8bit(raw, f"header {name}", defects)
    # Names stay encoded here (decode_names=False): mail-parser would decode them with the
    # declared charset; decode_header below reads GB labels as GB18030 and quoted words too.
    pairs: Sequence[tuple[str, str]] = ()
    diagnostics: Sequence[object] = ()
    error: str | None = None
    if _mp_addresses is not None:
        pairs, diagnostics, error = _address_list(raw)
    else:
        try:
            pairs = getaddresses([raw])
        except Exception as exc:
            error = exc.__class__.__name__
    if error is not None:
        defects.append(f"header {name}: unreadable address list ({error})")
        try:
            pairs = getaddresses([raw])
        except Exception:  # the stdlib's recursive comment parser, for one
            pairs = []
    defects.extend(f"header {name}: {entry}" for entry in diagnostics)
    out: list[Address] = []
    for display, addr in pairs:
        address = _normalise_address(mimefix.single_line(str(addr)))
        if not address:
            continue
        shown = mimefix.decode_header(str(display), f"header {name}", defects)
        out.append(Address(name=clean_text(mimefix.single_line(shown)).strip("\"' "), address=address))
    return tuple(out)


# The same From and To come back in mail after mail: a header value this short is lexed once per
# process (longer ones, hostile lists included, each time, so that nothing big is kept).
_CACHED_ADDRESS_HEADER = 2000


def _address_list(raw: str) -> tuple[tuple[tuple[str, str], ...], tuple[object, ...], str | None]:
    """mail-parser's (display name, address) pairs of one header value, its diagnostics, and the
    name of the exception it raised (its diagnostics up to then kept), else None."""
    return _lexed(raw) if len(raw) > _CACHED_ADDRESS_HEADER else _cached_lexed(raw)


def _lexed(raw: str) -> tuple[tuple[tuple[str, str], ...], tuple[object, ...], str | None]:
    diagnostics: list[object] = []
    try:
        pairs = tuple(_mp_addresses(raw, defects=diagnostics))
    except Exception as exc:  # a dependency's lexer on sender-controlled text
        return (), tuple(diagnostics), exc.__class__.__name__
    return pairs, tuple(diagnostics), None


_cached_lexed = lru_cache(maxsize=1024)(_lexed)


def _normalise_address(address: str) -> str:
    # Only ASCII is case-folded: Unicode local parts are case-sensitive, and the same address
    # typed on two systems may arrive composed or decomposed.
    return unicodedata.normalize("NFC", address).translate(_ASCII_LOWER)


def _date(value: str | None, defects: list[str]) -> datetime | None:
    if not value:
        return None
    when: datetime | None = None
    offset: timezone | None = None
    if _mp_date is not None:
        try:
            result = _mp_date(value)
        except Exception as exc:  # a dependency's reader on sender-controlled text
            defects.append(f"header date: unreadable ({exc.__class__.__name__})")
            return None
        when = result.value
        defects.extend(f"header date: {reason}" for reason in result.reasons)
        if when is None and {"date-out-of-range", "invalid-calendar-date"} & set(result.reasons):
            # Read but impossible: the lenient reading below would turn year 0001 into 2001.
            defects.append(f"header date: impossible date {mimefix.shown(value)}")
            return None
        try:
            hours = float(result.timezone)
        except (TypeError, ValueError):
            hours = 0.0
        if hours and -14 <= hours <= 14:
            # mail-parser normalises to UTC; the sender's offset is kept (same instant).
            offset = timezone(timedelta(hours=hours))
    if when is None:
        # Lenient second reading: clients that omit the zone or mangle the syntax still mean a
        # date, and the meeting/reply logic is better off with it than without.
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            when = None
    if when is None:
        defects.append(f"header date: unreadable date {mimefix.shown(value)}")
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        in_range = EARLIEST_DATE <= when <= LATEST_DATE
        when = when.astimezone(offset) if offset else when
    except (OverflowError, ValueError):
        in_range = False
    if not in_range:
        defects.append(f"header date: out of range {mimefix.shown(value)}; ignored")
        return None
    return when


def _msg_ids(msg: Message, name: str, defects: list[str]) -> tuple[str, ...]:
    """The valid msg-ids of a header, in order, without repeats; the invalid ones noted once.

    Read from the raw value, before decoding: a msg-id is ASCII, and a NUL or 8-bit byte in it
    makes it a different id, not one to clean up into a valid-looking one.
    """
    value = _raw_header(msg, name)
    if not value:
        return ()
    value = _FOLDING.sub("", value)
    found = [inner.strip(" \t") for inner in _BRACKETED.findall(value)]
    if not found and name == "message-id":  # one bare id, as some clients write it
        found = [value.strip(" \t<>")] if value.strip(" \t<>") else []
    elif not found:  # bare ids in a list
        found = [token for token in (t.strip("<>,") for t in value.split()) if token]
    good: list[str] = []
    bad: list[str] = []
    for candidate in found:
        if len(candidate) <= MAX_MSG_ID and _VALID_MSG_ID.fullmatch(candidate):
            good.append(candidate)
        else:
            bad.append(candidate)
    if bad:
        defects.append(f"header {name}: {len(bad)} invalid msg-id(s) dropped, e.g. {mimefix.shown(bad[0])}")
    return tuple(dict.fromkeys(good))


def _no_nul(text: str, where: str, defects: list[str]) -> str:
    if "\x00" not in text:
        return text
    defects.append(f"{where}: NUL characters removed")
    return text.replace("\x00", "")


def _bounded(defects: list[str]) -> tuple[str, ...]:
    """Unique, each cut short, at most MAX_DEFECTS: a hostile mail makes one per header."""
    unique = list(dict.fromkeys(defects))
    kept = [d if len(d) <= MAX_DEFECT_LENGTH else d[: MAX_DEFECT_LENGTH - 3] + "..." for d in unique[:MAX_DEFECTS]]
    if len(unique) > MAX_DEFECTS:
        kept.append(f"... and {len(unique) - MAX_DEFECTS} more defects")
    return tuple(kept)
