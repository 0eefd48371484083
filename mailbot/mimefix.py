"""Repairs for what real mail clients write and mail-parser (or the stdlib below it) reads wrong.

Each function fixes one habit seen in the wild and says so in `defects`, so a person looking at
a stored mail can tell what was guessed. Measured against mail-parser 4.8.0 on the fixtures in
tests/mails/:

- Outlook, Foxmail and Coremail label GBK (even GB18030) bytes `gb2312`; decoding with the label
  turns the whole body or subject into U+FFFD or mojibake. Every GB label is read as GB18030,
  the superset, which decodes all of them identically where they agree.
- Foxmail, QQ and Coremail put RFC 2047 encoded words inside quoted display names
  (`"=?gb2312?B?1cXOsA==?=" <zhang.wei@corp.example>`); mail-parser leaves them encoded.
- Encoded names can hold CR/LF; a display name must be one line.
- A multipart whose `boundary=` was lost (a relay dropped the folded line) has its whole body
  discarded; the boundary is recovered from the body's own delimiter lines.
- A base64 part cut short comes back as the raw base64 text; the longest decodable prefix is
  kept instead, without a half character at the end.
- `format=flowed` (RFC 3676, with or without DelSp) is joined back into logical lines.
- Bodies and headers with 8-bit bytes and no charset are tried as UTF-8, then GB18030, then
  Latin-1 (which never fails).
- A charset label is sender-controlled text handed to `codecs.lookup`: control characters in it
  (a NUL made `lookup` raise ValueError) are dropped, and only text codecs meant for mail are
  used (`charset=base64` raised from binascii, `unicode_escape` made lone surrogates,
  `punycode` decodes in quadratic time).
- The stdlib re-reads a Content-Type or Content-Disposition on every `get_param`, in time
  quadratic in its number of parameters (160,000 `; a=b` took 12 s); `POLICY`, the compat32
  policy every parse here uses, shows at most `MAX_PARAMS` of them.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import email.utils
import quopri
import re
from email._policybase import Compat32
from email.message import Message

# --- the parser policy ------------------------------------------------------------------------

MAX_PARAMS = 64
_PARAM_HEADERS = frozenset({"content-type", "content-disposition"})


def cut_params(value: str) -> str:
    """`value` up to its MAX_PARAMS+1st semicolon: the type and MAX_PARAMS parameters."""
    pos = -1
    for _ in range(MAX_PARAMS + 1):
        pos = value.find(";", pos + 1)
        if pos < 0:
            return value
    return value[:pos]


class _BoundedParams(Compat32):
    """compat32, with at most MAX_PARAMS parameters visible in the headers that have them.

    `Message.get_param` (the parser's own boundary lookup included) slices the value once per
    parameter; the cut is linear, and is made on every read because the stored value stays raw.
    """

    def header_fetch_parse(self, name: str, value: str) -> str:  # type: ignore[override]
        if isinstance(value, str) and name.lower() in _PARAM_HEADERS:
            value = cut_params(value)
        return super().header_fetch_parse(name, value)  # type: ignore[no-any-return]


POLICY = _BoundedParams()


def params_cut(part: Message) -> list[str]:
    """The names of the part's headers that POLICY shows cut short."""
    return [
        name.lower()
        for name, value in part.raw_items()
        if name.lower() in _PARAM_HEADERS and isinstance(value, str) and len(cut_params(value)) < len(value)
    ]


# --- charsets ---------------------------------------------------------------------------------

_GB = frozenset({"gb2312", "gbk", "x-gbk", "cp936", "ms936", "euc-cn", "euccn", "gb_2312-80", "csgb2312",
                 "x-euc-cn", "gb18030", "chinese", "936", "windows-936"})  # fmt: skip
# Labels whose real-world bytes are routinely a superset; decode with the superset.
_SUPERSETS = {
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso-8859-15": "cp1252",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "tis-620": "cp874",
}
# Labels that promise nothing about 8-bit bytes: treat non-ASCII under them as undeclared.
_NO_PROMISE = frozenset({"us-ascii", "ascii", "ansi_x3.4-1968", "unknown-8bit", "x-unknown", "default", ""})
_SINGLE_BYTE = frozenset({"cp1252", "iso8859-2", "cp1250", "cp1251", "koi8-r"})
# Text codecs Python has that no mail charset means, each harmful on sender bytes: escape
# decoders build any code point (lone surrogates break every later encode), punycode is
# quadratic, `undefined` and `charmap` are not charsets.
_NOT_MAIL_CODECS = frozenset({"unicode-escape", "raw-unicode-escape", "punycode", "idna", "undefined", "charmap"})
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]+")
_CHARSET_NAME = re.compile(r"[a-z0-9!#$%&'+^_`{}~.:()-]{1,64}")  # RFC 2978 mime-charset, bounded
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_label(label: str) -> str:
    """A charset label without the quotes, spaces and control characters senders put around it."""
    return _CONTROL_OR_SPACE.sub("", label).strip("\"'").lower()


def codec_for(label: str | None) -> str | None:
    """Python codec to decode bytes labelled `label`, or None when the label tells us nothing."""
    if not label:
        return None
    name = clean_label(label)
    if name in _NO_PROMISE or not _CHARSET_NAME.fullmatch(name):
        return None
    if name in _GB:
        return "gb18030"
    name = _SUPERSETS.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    # base64, rot13, zlib and friends are bytes-to-bytes or str-to-str transforms, not charsets.
    if not info._is_text_encoding or info.name in _NOT_MAIL_CODECS:
        return None
    return info.name


def declared_charset(part: Message, where: str, defects: list[str]) -> str | None:
    """The part's `charset` parameter as a clean lower-case name; None when absent or unusable."""
    value = part.get_param("charset")
    if value is None:
        return None
    if isinstance(value, tuple):  # RFC 2231 charset*=
        value = email.utils.collapse_rfc2231_value(value)
    value = str(value)
    name = clean_label(value)
    if not _CHARSET_NAME.fullmatch(name):
        defects.append(f"{where}: unusable charset parameter {shown(value)}; ignored")
        return None
    if name != value.strip().strip("\"'").lower():
        defects.append(f"{where}: control characters or spaces in charset {shown(value)} removed")
    return name


def shown(value: str, limit: int = 80) -> str:
    """repr() of sender text for a defect, cut short: a 2 MB header must not become a 2 MB note."""
    return repr(value) if len(value) <= limit else repr(value[:limit]) + f"... ({len(value)} characters)"


def decode_bytes(data: bytes, label: str | None, where: str, defects: list[str], *, truncated: bool = False) -> str:
    """Decode text bytes, never raising, with the fallbacks the module docstring lists.

    `truncated` means the bytes were cut off: a trailing partial character is dropped instead of
    making the whole part fail.
    """
    if not data:
        return ""
    text = _decode_bytes(data, label, where, defects, truncated)
    if _LONE_SURROGATE.search(text):  # utf-7 and utf-16 can decode to half a pair
        defects.append(f"{where}: unpaired surrogates in the decoded text replaced")
        text = _LONE_SURROGATE.sub("\ufffd", text)
    return text


def _decode_bytes(data: bytes, label: str | None, where: str, defects: list[str], truncated: bool) -> str:
    if label and _CONTROL_OR_SPACE.search(label.strip()):
        defects.append(f"{where}: control characters or spaces in charset {shown(label)} ignored")
    codec = codec_for(label)
    if codec is None and data.isascii():
        return data.decode("ascii")
    if codec and codec.replace("_", "-") in _SINGLE_BYTE and not data.isascii():
        # Single-byte labels decode anything, so a wrong one is silent; valid UTF-8 with
        # non-ASCII is overwhelmingly what the sender really wrote.
        text = _try(data, "utf-8", truncated)
        if text is not None:
            defects.append(f"{where}: labelled {shown(str(label))} but the bytes are UTF-8; read as UTF-8")
            return text
    if codec:
        text = _try(data, codec, truncated)
        if text is not None:
            return text
        defects.append(f"{where}: bytes are not valid {shown(label)}")
    elif label and clean_label(label) not in _NO_PROMISE:
        defects.append(f"{where}: unknown charset {shown(label)}")
    for fallback in ("utf-8", "gb18030"):
        if fallback == codec:
            continue
        text = _try(data, fallback, truncated)
        if text is not None:
            if not label or clean_label(label) in _NO_PROMISE or codec is None:
                defects.append(f"{where}: 8-bit text without a usable charset; read as {fallback}")
            else:
                defects.append(f"{where}: read as {fallback} instead")
            return text
    defects.append(f"{where}: text in no known charset; read as latin-1")
    return data.decode("latin-1")


def _try(data: bytes, codec: str, truncated: bool) -> str | None:
    try:
        decoder = codecs.getincrementaldecoder(codec)() if truncated else None
        text = decoder.decode(data, final=False) if decoder else data.decode(codec)
    except (ValueError, LookupError, TypeError):  # UnicodeError, and whatever a codec raises
        return None
    return text if isinstance(text, str) else None


# --- headers ----------------------------------------------------------------------------------

_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,75})\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_LINE_BREAKS = re.compile(r"[\r\n\t\v\f\x85\u2028\u2029]+")
# The other C0 controls and DEL: never meant in a header, and a NUL breaks PostgreSQL text.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]+")
_SPACES = re.compile(r" {2,}")
_SURROGATE = re.compile(r"[\udc80-\udcff]")


def decode_header(value: str | None, where: str, defects: list[str]) -> str:
    """Decode a raw header value: RFC 2047 words anywhere (also inside quotes), raw 8-bit bytes.

    Unfolds, but keeps any CR/LF that an encoded word itself produced; `single_line` removes
    those where one line is required.
    """
    if not value:
        return ""
    value = decode_8bit(_FOLD.sub("", value), where, defects)
    if "=?" not in value:
        return value
    out: list[str] = []
    pending: list[tuple[str, bytes]] = []  # adjacent words, joined before decoding

    def drain() -> None:
        if not pending:
            return
        groups: list[tuple[str, bytearray]] = []
        for label, data in pending:
            if groups and groups[-1][0] == label:
                groups[-1][1].extend(data)  # a character may be split across two words
            else:
                groups.append((label, bytearray(data)))
        for label, data in groups:
            out.append(decode_bytes(bytes(data), label, where, defects))
        pending.clear()

    pos = 0
    for match in _ENCODED_WORD.finditer(value):
        gap = value[pos : match.start()]
        if gap and not (pending and gap.isspace()):
            drain()
            out.append(gap)
        label = match.group(1).split("*", 1)[0].lower()  # RFC 2231 language suffix
        payload = match.group(3)
        if match.group(2) in "bB":
            data, _ = decode_base64(payload.encode("ascii", "replace"))
        else:
            data = quopri.decodestring(payload.replace("_", " ").encode("ascii", "replace"), header=False)
        pending.append((label, data))
        pos = match.end()
    drain()
    out.append(value[pos:])
    return "".join(out)


def decode_8bit(value: str, where: str, defects: list[str]) -> str:
    """Raw 8-bit header bytes (kept by compat32 as surrogates) as text; encoded words untouched."""
    if not _SURROGATE.search(value):
        return value
    try:
        raw = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate the parser did not make: nothing to recover
        return _LONE_SURROGATE.sub("\ufffd", value)
    try:
        return raw.decode("utf-8")  # legal since RFC 6532 (SMTPUTF8): not a defect
    except UnicodeDecodeError:
        return decode_bytes(raw, None, where, defects)


def single_line(text: str) -> str:
    """One line: line breaks and tabs become spaces, other controls go, runs of spaces shrink."""
    return _SPACES.sub(" ", _CONTROLS.sub("", _LINE_BREAKS.sub(" ", text))).strip()


def decode_param(value: str | tuple[str, str | None, str] | None, where: str, defects: list[str]) -> str:
    """A MIME parameter (filename, name): RFC 2231 tuples, or RFC 2047 words as Outlook and
    Foxmail put them (`filename="=?gb2312?B?...?="`, not allowed by the RFC, universal in practice).
    """
    if value is None:
        return ""
    if isinstance(value, tuple):
        charset, _, text = value
        raw = text.encode("latin-1", "surrogateescape") if isinstance(text, str) else bytes(text)
        return single_line(decode_bytes(raw, charset or None, where, defects))
    return single_line(decode_header(value, where, defects))


# --- transfer encodings -----------------------------------------------------------------------

_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/=]")


def decode_base64(data: bytes) -> tuple[bytes, str | None]:
    """Base64 that never fails: returns (bytes, problem or None).

    Non-alphabet characters are dropped; a last group cut short keeps what it can decode. The
    stdlib returns the encoded text itself when the length is 1 mod 4, which is how a body
    truncated mid-line reached the reader as base64.
    """
    compact = bytes(data).translate(None, b" \t\r\n")
    try:
        return base64.b64decode(compact, validate=True), None
    except (binascii.Error, ValueError):
        pass
    problem = None
    cleaned = _B64_JUNK.sub(b"", compact)
    if len(cleaned) != len(compact):
        problem = "characters outside base64 dropped"
    out = bytearray()
    pieces = [p for p in re.split(rb"=+", cleaned) if p]
    for i, piece in enumerate(pieces):
        extra = len(piece) % 4
        if extra == 1:
            piece = piece[:-1]  # six bits are not a byte
        if extra and i == len(pieces) - 1 and not cleaned.endswith(b"="):
            problem = "truncated"
        try:
            out += base64.b64decode(piece + b"=" * (-len(piece) % 4))
        except (binascii.Error, ValueError):
            problem = problem or "undecodable"
    return bytes(out), problem


def raw_payload(part: Message) -> bytes:
    """The part's body bytes as they were on the wire (still transfer-encoded).

    Reads `_payload` because `get_payload()` decodes 8-bit bodies with the declared charset and
    `errors="replace"`, destroying exactly the bytes the fallbacks need.
    """
    payload = part._payload
    if isinstance(payload, bytes):
        return payload
    if not isinstance(payload, str):
        return b""
    try:
        return payload.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return payload.encode("utf-8", "surrogateescape")


def transfer_decode(part: Message, where: str, defects: list[str]) -> tuple[bytes, bool]:
    """(decoded body bytes, truncated?). Tolerates padding, stray spaces and case in the CTE."""
    cte = str(part.get("content-transfer-encoding", "")).strip().lower()
    raw = raw_payload(part)
    if cte == "base64":
        data, problem = decode_base64(raw)
        if problem == "truncated":
            defects.append(f"{where}: base64 cut off; kept the {len(data)} bytes that decode")
            return data, True
        if problem:
            defects.append(f"{where}: base64 {problem}")
        return data, False
    if cte == "quoted-printable":
        return quopri.decodestring(raw), False
    if cte in ("x-uuencode", "uuencode", "x-uue", "uue"):
        decoded = part.get_payload(decode=True)
        return (decoded if isinstance(decoded, bytes) else raw), False
    return raw, False


# --- format=flowed ----------------------------------------------------------------------------

_QUOTE = re.compile(r">+")


def unflow(text: str, delsp: bool) -> str:
    """Join RFC 3676 soft line breaks. `text` has LF line ends.

    A line ending in a space continues on the next line of the same quote depth; with DelSp=yes
    that space was added by the sender and is removed. Space-stuffing is undone. The signature
    separator `-- ` is never joined.
    """
    out: list[str] = []
    buf: list[str] = []
    depth_of_buf = -1

    def flush() -> None:
        nonlocal depth_of_buf
        if depth_of_buf >= 0:
            prefix = ">" * depth_of_buf + (" " if depth_of_buf else "")
            out.append(prefix + "".join(buf))
        buf.clear()
        depth_of_buf = -1

    for line in text.split("\n"):
        match = _QUOTE.match(line)
        depth = len(match.group(0)) if match else 0
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]
        flowed = content.endswith(" ") and content != "-- "
        if depth != depth_of_buf:
            flush()
        if flowed and delsp:
            content = content[:-1]
        buf.append(content)
        depth_of_buf = depth
        if not flowed:
            flush()
    flush()
    return "\n".join(out)


# --- structure --------------------------------------------------------------------------------

_DELIMITER = re.compile(r"^--([0-9A-Za-z'()+_,./:=?-][0-9A-Za-z'()+_,./:=? -]{0,68}[0-9A-Za-z'()+_,./:=?-])[ \t]*\r?$",
                        re.MULTILINE)  # fmt: skip


def repair_boundary(part: Message, where: str, defects: list[str]) -> bool:
    """Give a multipart without `boundary=` its parts back; False if no delimiter is in the body.

    The boundary is the first `--xyz` line that recurs, as a delimiter or closing `--xyz--`.
    """
    body = part.get_payload()
    if not isinstance(body, str):
        return False
    # One pass over the delimiter lines: searching the rest of the body for each candidate was
    # quadratic on a body of many distinct `--x` lines.
    first: dict[str, int] = {}
    recurring: set[str] = set()
    for match in _DELIMITER.finditer(body):
        candidate = match.group(1)
        if candidate.endswith("--"):
            candidate = candidate[:-2]
        if candidate in first:
            recurring.add(candidate)
        else:
            first[candidate] = match.start()
    if not recurring:
        return False
    candidate = min(recurring, key=first.__getitem__)
    part.set_param("boundary", candidate)
    head = f"Content-Type: {part.get('content-type')}\r\n\r\n".encode("ascii", "replace")
    rebuilt = email.message_from_bytes(head + raw_payload(part), policy=POLICY)
    if not rebuilt.is_multipart():
        return False
    part.set_payload(rebuilt.get_payload())
    part.preamble = rebuilt.preamble
    part.epilogue = rebuilt.epilogue
    defects.append(f"{where}: multipart without a boundary parameter; recovered boundary {candidate!r}")
    return True
