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
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import quopri
import re
from email.message import Message

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


def codec_for(label: str | None) -> str | None:
    """Python codec to decode bytes labelled `label`, or None when the label tells us nothing."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    if name in _NO_PROMISE:
        return None
    if name in _GB:
        return "gb18030"
    name = _SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, label: str | None, where: str, defects: list[str], *, truncated: bool = False) -> str:
    """Decode text bytes, never raising, with the fallbacks the module docstring lists.

    `truncated` means the bytes were cut off: a trailing partial character is dropped instead of
    making the whole part fail.
    """
    if not data:
        return ""
    codec = codec_for(label)
    if codec is None and data.isascii():
        return data.decode("ascii")
    if codec and codec.replace("_", "-") in _SINGLE_BYTE and not data.isascii():
        # Single-byte labels decode anything, so a wrong one is silent; valid UTF-8 with
        # non-ASCII is overwhelmingly what the sender really wrote.
        text = _try(data, "utf-8", truncated)
        if text is not None:
            defects.append(f"{where}: labelled {label!r} but the bytes are UTF-8; read as UTF-8")
            return text
    if codec:
        text = _try(data, codec, truncated)
        if text is not None:
            return text
        defects.append(f"{where}: bytes are not valid {label!r}")
    elif label and label.strip().lower() not in _NO_PROMISE:
        defects.append(f"{where}: unknown charset {label!r}")
    for fallback in ("utf-8", "gb18030"):
        if fallback == codec:
            continue
        text = _try(data, fallback, truncated)
        if text is not None:
            if not label or label.strip().lower() in _NO_PROMISE or codec is None:
                defects.append(f"{where}: 8-bit text without a usable charset; read as {fallback}")
            else:
                defects.append(f"{where}: read as {fallback} instead")
            return text
    defects.append(f"{where}: text in no known charset; read as latin-1")
    return data.decode("latin-1")


def _try(data: bytes, codec: str, truncated: bool) -> str | None:
    try:
        if truncated:
            return codecs.getincrementaldecoder(codec)().decode(data, final=False)
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


# --- headers ----------------------------------------------------------------------------------

_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,75})\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_LINE_BREAKS = re.compile(r"[\r\n\t\v\f\x85\u2028\u2029]+")
_SPACES = re.compile(r" {2,}")
_SURROGATE = re.compile(r"[\udc80-\udcff]")


def decode_header(value: str | None, where: str, defects: list[str]) -> str:
    """Decode a raw header value: RFC 2047 words anywhere (also inside quotes), raw 8-bit bytes.

    Unfolds, but keeps any CR/LF that an encoded word itself produced; `single_line` removes
    those where one line is required.
    """
    if not value:
        return ""
    value = _FOLD.sub("", value)
    if _SURROGATE.search(value):
        raw = value.encode("ascii", "surrogateescape")
        try:
            value = raw.decode("utf-8")  # legal since RFC 6532 (SMTPUTF8): not a defect
        except UnicodeDecodeError:
            value = decode_bytes(raw, None, where, defects)
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


def single_line(text: str) -> str:
    """One line: line breaks and tabs become spaces, runs of spaces shrink, ends stripped."""
    return _SPACES.sub(" ", _LINE_BREAKS.sub(" ", text)).strip()


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
    for match in _DELIMITER.finditer(body):
        candidate = match.group(1)
        if candidate.endswith("--"):
            candidate = candidate[:-2]
        rest = body[match.end() :]
        if f"\n--{candidate}" not in rest:
            continue
        part.set_param("boundary", candidate)
        head = f"Content-Type: {part.get('content-type')}\r\n\r\n".encode("ascii", "replace")
        rebuilt = email.message_from_bytes(head + raw_payload(part))
        if not rebuilt.is_multipart():
            return False
        part.set_payload(rebuilt.get_payload())
        part.preamble = rebuilt.preamble
        part.epilogue = rebuilt.epilogue
        defects.append(f"{where}: multipart without a boundary parameter; recovered boundary {candidate!r}")
        return True
    return False
