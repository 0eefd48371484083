"""Hostile content stays inert (reliability.md): invisible characters out of what mails carry on,
and attachments forwarded as deliverables only when their type and name are safe to open.

`clean_text` removes the characters that make text show something other than what it holds:
bidi controls (U+202E turns `invoice\u202egpj.exe` into "invoiceexe.jpg" on screen, or a name
into one that reads backwards) and zero-width or otherwise invisible characters (`确\u200b认`
looks like 确认 but is not the same word; `王强\u200b` looks like a known name but is not one).
It runs where text enters (the parsed mail: subject, display names, file names, bodies), where it
is stored (every String/Text column) and where it leaves (every rendered value, every header).

The zero-width joiner and non-joiner go too. Their only uses are emoji sequences (👨‍👩‍👧 falls
apart into 👨👩👧) and the shaping of some Persian and Indic words (which then show their letters
unjoined, still readable): a fair price for names, subjects and task lines that mean what they show.

`deliverable_refusal` decides whether a file may be forwarded to the requester as a deliverable
(验收): the policy's list of extensions allows, a name or content type that runs code refuses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Bidi controls: embeddings and overrides, isolates, and the implicit marks.
_BIDI = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
# Invisible: zero-width space, non-joiner, joiner, word joiner, BOM, Mongolian vowel separator,
# soft hyphen, the invisible operators, the deprecated format controls, the interlinear
# annotation marks, the Hangul fillers (a "name" that shows as blank), and the tag characters
# (invisible look-alikes of ASCII, used to smuggle text past a reader).
_INVISIBLE = (
    "\u200b\u200c\u200d\u2060\ufeff\u180e\u00ad\u2061-\u2064\u206a-\u206f\ufff9-\ufffb"
    "\u115f\u1160\u3164\uffa0\U000e0000-\U000e007f"
)
_HIDDEN = re.compile(f"[{_BIDI}{_INVISIBLE}]+")
_BIDI_ONLY = re.compile(f"[{_BIDI}]")


def clean_text(value: str) -> str:
    """`value` without bidi controls and invisible characters; the same object when it has none."""
    # Every hidden character is outside ASCII, and CPython knows a string is ASCII without reading
    # it: addresses, keys and English text (most of what is stored and rendered) skip the regex.
    if value.isascii() or _HIDDEN.search(value) is None:
        return value
    return _HIDDEN.sub("", value)


# fmt: off
# Extensions Windows (or a double-click elsewhere) runs, opens as a program or installs.
EXECUTABLE_EXTENSIONS = frozenset({
    "exe", "com", "scr", "pif", "bat", "cmd", "msi", "msp", "mst", "msc", "cpl", "dll", "ocx", "sys", "drv", "inf",
    "reg", "lnk", "url", "scf", "hta", "chm", "js", "jse", "vbs", "vbe", "wsf", "wsh", "ws", "wsc", "sct", "ps1",
    "ps1xml", "psm1", "psd1", "psc1", "vb", "vba", "application", "appref-ms", "gadget", "jar", "class", "sh", "bash",
    "csh", "ksh", "zsh", "command", "run", "bin", "elf", "app", "dmg", "pkg", "apk", "ipa", "deb", "rpm", "appx",
    "appxbundle", "msix", "msixbundle", "iso", "img", "vhd", "vhdx", "xll", "xla", "xlam", "ppam", "docm", "dotm",
    "xlsm", "xltm", "pptm", "potm", "sldm", "py", "pyw", "pl", "rb", "php", "settingcontent-ms", "library-ms",
    "search-ms",
})

# Content types of programs, refused whatever the name says.
EXECUTABLE_TYPES = frozenset({
    "application/x-msdownload", "application/x-dosexec", "application/x-msdos-program", "application/x-executable",
    "application/x-ms-dos-executable", "application/vnd.microsoft.portable-executable", "application/x-winexe",
    "application/x-sh", "application/x-shellscript", "application/x-csh", "application/x-bat",
    "application/x-msbatch", "application/java-archive", "application/x-java-archive", "application/x-java-applet",
    "application/x-java-jnlp-file", "application/x-msi", "application/x-ms-installer",
    "application/x-ole-storage-msi", "application/x-ms-application", "application/hta", "application/x-hta",
    "application/x-ms-shortcut", "application/x-mswinurl", "application/javascript", "application/x-javascript",
    "text/javascript", "application/ecmascript", "text/ecmascript", "application/x-vbscript", "text/vbscript",
    "application/x-powershell", "application/x-apple-diskimage", "application/vnd.android.package-archive",
    "application/x-debian-package", "application/x-rpm", "application/x-elf", "application/x-sharedlib",
    "application/x-mach-binary", "application/vnd.ms-excel.addin.macroenabled.12",
    "application/vnd.ms-word.document.macroenabled.12", "application/vnd.ms-excel.sheet.macroenabled.12",
    "application/vnd.ms-powerpoint.presentation.macroenabled.12",
})

# Documents a browser opens with their scripts: not programs, but never worth allowing either.
SCRIPTED_EXTENSIONS = frozenset({"html", "htm", "xhtml", "xht", "shtml", "mht", "mhtml", "svg", "svgz", "xml", "xsl"})

# A program's extension inside a name (`setup.exe.zip`), less the ones that are also words or
# domains in ordinary names (`acme.com.pdf`, `dry.run.xlsx`).
_INNER_EXECUTABLE = EXECUTABLE_EXTENSIONS - {
    "com", "app", "bin", "run", "img", "url", "ws", "class", "inf", "sys", "py", "pl", "rb", "vb", "application",
}
# fmt: on
# What the part before a program's extension looks like when it poses as a document's (report.pdf.exe).
_EXTENSION_LIKE = re.compile(r"[a-z0-9]{1,5}")


def deliverable_refusal(filename: str, content_type: str, allowed_extensions: Sequence[str]) -> str | None:
    """Why a file may not be forwarded as a deliverable, or None when it may.

    `filename` as the mail gave it (before clean_text: a bidi control in it is itself a disguise);
    `content_type` as declared; `allowed_extensions` the policy's list (`pdf`, `.docx`: any case,
    with or without the dot). The reasons:

    - "no_name": nothing left of the name once cleaned (nothing to show, nothing to judge);
    - "executable": a program by its content type, or by its (final) extension;
    - "double_extension": an extension posing as another — a program behind a document's
      extension (`报告.pdf.exe`, `invoice.pdf      .exe`), a program's extension inside the name
      (`setup.exe.zip`), or bidi controls that make the name show another ending than it has;
    - "type_not_allowed": the final extension is not in the list (or there is none).

    Windows drops trailing dots and spaces (`report.exe.` runs as report.exe), so they are
    dropped here too before the extension is read.
    """
    allowed = {ext.strip().lstrip(".").lower() for ext in allowed_extensions}
    disguised = _BIDI_ONLY.search(filename) is not None
    name = clean_text(filename).strip().rstrip(". \t")
    if not name.strip(". \t"):
        return "no_name"
    ctype = content_type.partition(";")[0].strip().lower()
    stem, dot, final = name.rpartition(".")
    final = final.strip().lower() if dot else ""
    # The extension before the final one, if the stem has one (`报告.pdf` in `报告.pdf.exe`).
    _, inner_dot, inner = stem.rpartition(".")
    inner = inner.strip().lower() if inner_dot else ""
    if final in EXECUTABLE_EXTENSIONS:
        posing = disguised or _EXTENSION_LIKE.fullmatch(inner) is not None
        return "double_extension" if posing else "executable"
    if ctype in EXECUTABLE_TYPES:
        return "executable"
    if disguised or inner in _INNER_EXECUTABLE:
        return "double_extension"
    if not final or final not in allowed:
        return "type_not_allowed"
    return None
