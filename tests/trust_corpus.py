"""A hostile corpus for the proof of senders (reliability.md "Nobody acts where they don't belong"):
forged mails of every kind the issue's hostile run used, built byte by byte, each with an id and
what must hold once the bot has read it. Fed in order by tests/test_trust_corpus.py to one bot
with one meeting in force (王芳's Outlook minutes, M-1) and the setup below it describes.

The world the corpus assumes (SETUP: tests/test_trust_corpus.py `setup`, before `corpus` is called):

- M-1 "Q1 新品上市跨部门协作会", host 李娜, recorder 王芳; A-1 张伟 awaiting confirmation,
  A-2 陈喆 accepted, A-3 赵敏 done (a PDF kept, 李娜 to verify it), A-4 朱镕 objected;
- a real bounce of the minutes notice to 孙磊 (he is marked bouncing);
- one forged "A-1 确认" held, and its question (sender_check) mailed to 张伟.

Classes (the id's prefix, before the first "_"):

- spoof: From-only forgeries of every reply verb, each in seven disguises;
- thread: forged threads (guessed Message-IDs, tags with a wrong MAC, real tokens of others);
- bounce, ooo: forged delivery reports and out-of-office replies answering no mail of ours;
- authres: Authentication-Results and DKIM forgeries;
- outsider: drafts rewriting M-1 from people who may not;
- amplify: drafts and commands naming recipients outside the allowed domain;
- names: display names that would teach the bot who "王强" is;
- content: markup, bidi controls and disguised programs, most of them WITH proof so they are
  applied, to test that what is stored and sent stays inert.

`proven` says whether the mail carries valid proof of its sender. An unproven mail changes
nothing at all (`keep` None); a proven one may change what its `keep` leaves out, and its `then`
says what it must have done. Nothing here is random: the same bot state gives the same bytes.
"""

from __future__ import annotations

import hashlib
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field

from mailbot.app import App
from mailbot.store.models import OutboxMail
from tests.dkim_keys import DnsStub, make_key, sign
from tests.hostile import assemble, b64_lines, word

BOT = "minutes@corp.example"
AUTHSERV = "mx.corp.example"
DATE = "Thu, 03 Dec 2026 09:00:00 +0800"
M1_TITLE = "Q1 新品上市跨部门协作会"
DKIM_SELECTOR = "corp2026"

CLASSES = ("spoof", "thread", "bounce", "ooo", "authres", "outsider", "amplify", "names", "content")

# The people of M-1 (tests/mails/outlook_zh_minutes_gbk_html.eml).
ZHANG, CHEN, ZHAO, ZHU = (
    "zhang.wei@corp.example",
    "chen.zhe@corp.example",
    "zhao.min@corp.example",
    "zhu.rong@corp.example",
)
LI, WANG, LIU, SUN, ZHOU = (
    "li.na@corp.example",
    "wang.fang@corp.example",
    "liu.yang@corp.example",
    "sun.lei@corp.example",
    "zhou.ting@corp.example",
)
NAMES = {ZHANG: "张伟", CHEN: "陈喆", ZHAO: "赵敏", ZHU: "朱镕", LI: "李娜", WANG: "王芳", LIU: "刘洋", SUN: "孙磊"}
TRADITIONAL_NAMES = {ZHANG: "張偉", CHEN: "陳喆", ZHAO: "趙敏", ZHU: "朱鎔", LI: "李娜"}
# Attackers: inside the organisation (an allowed domain: the dangerous ones) and outside it.
EVE = "eve@evil.example"
EVE_CORP = "eve.sales@corp.example"
EVE_WANG_CORP = "eve.wang@corp.example"
EVE_WANG_EVIL = "eve.wang@evil.example"

# What the snapshot keys of M-1 are (tests/test_trust_corpus.py `snapshot`): a proven mail that
# is not M-1's to change must leave all of them as they were.
M1_KEYS = ("M-1", "V-1", *(f"A-{n}" for n in range(1, 5)), *(f"D-{n}" for n in range(1, 5)))

# Markup a mail may carry; none of it may reach an HTML body of ours as markup.
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"
BOLD = "<b>粗体注入</b>"
SVG = "<svg onload=alert(3)>"


# --- what the organisation's server writes on top ---------------------------------------------


def _received(frm: str, by: str = AUTHSERV) -> str:
    return (
        f"Received: from {frm} ({frm} [203.0.113.7])\r\n\tby {by} (Postfix) with ESMTPS id 4ZmQ1;\r\n\t{DATE} (CST)\r\n"
    )


OUR_HOP = _received("smtp.corp.example")
OUTSIDE_HOP = _received("mail.evil.example")
FOREIGN_HOP = "Received: from eve-pc (unknown [198.51.100.9])\r\n\tby mail.evil.example (Postfix); " + DATE + "\r\n"


def _ar(result: str, authserv: str = AUTHSERV) -> str:
    return f"Authentication-Results: {authserv}; {result}\r\n"


# A spoof from outside: the server lets it in with the domain's DMARC policy failing (p=none);
# the envelope sender's own SPF passes (a bulk mailer's, aligned with nobody here).
STAMP_OUTSIDE = OUTSIDE_HOP + _ar(
    "spf=pass smtp.mailfrom=bulkmailer.example; dkim=none; dmarc=fail (p=none) header.from=corp.example"
)
# A colleague at her own desk, logged in as herself, writing someone else's From:.
STAMP_INSIDE = OUR_HOP + _ar("auth=pass smtp.auth=eve.sales; dmarc=none header.from=corp.example")
# A mail whose From: nobody vouches for either way.
STAMP_NONE = OUTSIDE_HOP
# Via a list or forwarder: its own domain passes, unaligned with From:.
STAMP_UNALIGNED = OUTSIDE_HOP + _ar("spf=pass smtp.mailfrom=evil.example; dkim=pass header.d=evil.example")
# Proof: the organisation's server vouches (DMARC pass for corp.example).
STAMP_PROVEN = OUR_HOP + _ar("dmarc=pass (p=reject) header.from=corp.example")
# The server vouches that evil.example really sent it: proof of the sender, who is an outsider.
STAMP_EVIL_PROVEN = OUTSIDE_HOP + _ar("dmarc=pass (p=reject) header.from=evil.example")
# A threaded reply: the thread is the proof; the server adds its Received and no verdict.
STAMP_THREAD = OUR_HOP


@dataclass(frozen=True)
class Case:
    id: str
    raw: bytes
    proven: bool = False
    # Snapshot keys (tests/test_trust_corpus.py) that must not change; None: nothing may change.
    keep: tuple[str, ...] | None = None
    # A machine's mail (bounce, auto-reply): nothing at all may be queued.
    silent: bool = False
    # Addresses that may neither get mail nor own or take over an action because of this mail.
    never_to: tuple[str, ...] = ()
    # What a proven mail must have done: snapshot key (or "title:<meeting title>") -> status.
    then: dict[str, str] = field(default_factory=dict)

    @property
    def klass(self) -> str:
        return self.id.split("_", 1)[0]


# --- building mails -----------------------------------------------------------------------------


def _addr(name: str, address: str) -> str:
    if not name:
        return address
    shown = name if name.isascii() and not any(c in name for c in '"<>,;@()') else word(name)
    return f"{shown} <{address}>"


def _filename_param(filename: str) -> bytes:
    if filename.isascii():
        return f'filename="{filename}"'.encode()
    return f"filename*=utf-8''{urllib.parse.quote(filename, safe='')}".encode()


BOUNDARY = "=_corpus_7f3a"


def _body(
    text: str, attachments: Sequence[tuple[str, str, bytes]], subtype: str = "plain"
) -> tuple[list[tuple[str, str]], bytes]:
    """The MIME headers and body: UTF-8 text (or HTML), or multipart/mixed with the files (base64)."""
    if not attachments:
        return [
            ("MIME-Version", "1.0"),
            ("Content-Type", f"text/{subtype}; charset=utf-8"),
            ("Content-Transfer-Encoding", "8bit"),
        ], text.encode()
    parts = [
        f"--{BOUNDARY}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".encode()
        + text.encode()
        + b"\r\n"
    ]
    for filename, ctype, payload in attachments:
        parts.append(
            f"--{BOUNDARY}\r\nContent-Type: {ctype}\r\nContent-Disposition: attachment; ".encode()
            + _filename_param(filename)
            + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + b64_lines(payload)
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()
    return [("MIME-Version", "1.0"), ("Content-Type", f'multipart/mixed; boundary="{BOUNDARY}"')], body


def mail(
    case_id: str,
    *,
    sender: str | None,
    body: str,
    subject: str = "",
    name: str = "",
    stamp: str = STAMP_OUTSIDE,
    to: str = f"Mailbot <{BOT}>",
    extra: Sequence[tuple[str, str | bytes]] = (),
    from_header: str | bytes | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
    html: bool = False,
) -> bytes:
    """A new mail (no thread unless `extra` says so) under the server's `stamp`; `html`: the body
    is HTML only (an OA system's or Outlook's draft)."""
    headers: list[tuple[str, str | bytes]] = []
    if from_header is not None:
        headers.append(("From", from_header))
    elif sender is not None:
        headers.append(("From", _addr(name, sender)))
    headers.append(("To", to))
    shown = subject or body.splitlines()[0][:40]
    headers.append(("Subject", shown if shown.isascii() else word(shown)))
    headers += [("Date", DATE), ("Message-ID", f"<{case_id}@client.example>")]
    headers += list(extra)
    mime, data = _body(body, attachments, "html" if html else "plain")
    return stamp.encode() + assemble([*headers, *mime], data)


def threaded(
    case_id: str,
    row: OutboxMail,
    text: str,
    *,
    sender: str | None = None,
    name: str = "",
    stamp: str = STAMP_THREAD,
    tag: bool = True,
    plus: bool = True,
    in_reply_to: bool = True,
    extra: Sequence[tuple[str, str | bytes]] = (),
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> bytes:
    """A reply to one of our mails as a client writes it: `RE:` its subject (with its token tag),
    to its Reply-To plus-address, In-Reply-To and References its Message-ID, quoting it. From its
    recipient unless `sender` says otherwise (someone it was forwarded to, or a forger)."""
    who = sender or row.to_address
    subject = "RE: " + (row.subject if tag else row.subject.split(" [#")[0])
    to = f"Mailbot <minutes+{row.reply_token}@corp.example>" if plus and row.reply_token else f"Mailbot <{BOT}>"
    headers: list[tuple[str, str | bytes]] = [("From", _addr(name or NAMES.get(who, ""), who)), ("To", to)]
    headers += [("Subject", word(subject)), ("Date", DATE), ("Message-ID", f"<{case_id}@client.example>")]
    if in_reply_to:
        headers += [("In-Reply-To", f"<{row.message_id}>"), ("References", f"<{row.message_id}>")]
    headers += list(extra)
    quote = f"\n\n-----原始邮件-----\n发件人: Mailbot <{BOT}>\n收件人: {row.to_address}\n主题: {row.subject}\n"
    mime, data = _body(text + quote, attachments)
    return stamp.encode() + assemble([*headers, *mime], data)


def old_message_id(key: str) -> str:
    """The Message-ID the bot once derived from a mail's key alone: anyone could compute it."""
    return hashlib.sha256(key.encode()).hexdigest()[:24] + "@corp.example"


def wrong_mac(token: str) -> str:
    """The token's object with another MAC: what a forger who saw the pattern writes."""
    obj, _, mac = token.partition(".")
    return f"{obj}.{'abcdefghij' if mac != 'abcdefghij' else 'bcdefghijk'}"


def draft(
    title: str,
    actions: Sequence[tuple[str, str]],
    *,
    day: str = "2026-12-03",
    host: str = f"市场部 李娜 <{LI}>",
    recorder: str = f"行政部 王芳 <{WANG}>",
    attendees: str = f"市场部 李娜 <{LI}>；市场部 张伟 <{ZHANG}>；研发部 陈喆 <{CHEN}>",
    goal: str = "对齐下一步工作",
) -> str:
    """A minutes draft in the documented format (docs/format.zh.md): actions as (task, owner)."""
    lines = [
        "各位好，会议纪要初稿如下，请确认。",
        "",
        f"会议名称：{title}",
        f"会议日期：{day}",
        "会议时间：14:00-15:00",
        f"主持人：{host}",
        f"记录人：{recorder}",
        f"参会人员：{attendees}",
        f"会议目标：{goal}",
        "",
        "二、决议事项",
        "1. 按计划推进。",
        "",
        "三、行动项",
        *(f"- {task}；负责人：{owner}；截止：2026-12-20；交付：报告" for task, owner in actions),
        "",
        "谢谢",
    ]
    return "\n".join(lines) + "\n"


def html_draft(title: str, hostile: str) -> str:
    """An HTML-only minutes draft whose title and action cells carry `hostile` (HTML source:
    entities as the sender wrote them)."""
    return (
        f"<html><body><p>会议名称：{title}</p><p>会议日期：2026-12-03</p>"
        f"<p>主持人：李娜 &lt;{LI}&gt;</p><p>记录人：王芳 &lt;{WANG}&gt;</p><p>会议目标：对齐{hostile}</p>"
        "<p>三、行动项</p><table><tr><td>任务</td><td>负责人</td><td>截止</td><td>交付标准</td></tr>"
        f"<tr><td>整理{hostile}数据</td><td>张伟 &lt;{ZHANG}&gt;</td><td>2026-12-20</td><td>报告{hostile}</td></tr>"
        f"<tr><td>准备材料</td><td>陈喆{hostile} &lt;{CHEN}&gt;</td><td>2026-12-21</td><td>清单</td></tr>"
        "</table></body></html>"
    )


PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"


def dkim_dns() -> DnsStub:
    """The stub DNS zone serving corp.example's DKIM key (the test gives it to the bot)."""
    return make_key(DKIM_SELECTOR, "corp.example")[1]


# --- the corpus -------------------------------------------------------------------------------


class Rows:
    """The bot's outbox as the corpus needs it: the mail of a kind to an address."""

    def __init__(self, rows: Sequence[OutboxMail]) -> None:
        self.rows = list(rows)

    def get(self, kind: str, to: str) -> OutboxMail:
        found = [r for r in self.rows if r.kind == kind and r.to_address == to]
        assert found, f"setup: no {kind} to {to}"
        return found[0]


# (id, claimed address, command, the same in traditional script, attachments)
VERBS: tuple[tuple[str, str, str, str, tuple[tuple[str, str, bytes], ...]], ...] = (
    ("confirm", ZHANG, "A-1 确认", "A-1 確認", ()),
    ("object", ZHANG, "A-1 异议：预算不足，请改派给 eve.sales@corp.example", "A-1 異議：預算不足", ()),
    ("delay", CHEN, "A-2 延期至12月31日，原因：人手不足", "A-2 延後至12月31日，原因：人手不足", ()),
    ("delegate", ZHANG, f"A-1 转交 {EVE_CORP}", f"A-1 轉交 {EVE_CORP}", ()),
    ("inprogress", CHEN, "A-2 进行中", "A-2 進行中", ()),
    (
        "done",
        CHEN,
        "A-2 完成，交付物见附件",
        "A-2 完成，交付物見附件",
        (("推广方案.pdf", "application/pdf", PDF),),
    ),
    ("verify", LI, "A-3 验收通过", "A-3 驗收通過", ()),
    ("reject", LI, "A-3 验收不通过：数据缺失", "A-3 驗收不通過：數據缺失", ()),
    ("reassign", LI, f"A-4 改派 {EVE_CORP}", f"A-4 改派給 {EVE_CORP}", ()),
    ("reschedule", LI, "A-4 改期至12月31日", "A-4 改期至12月31日", ()),
    ("withdraw", LI, "A-4 撤销", "A-4 撤銷", ()),
    ("overrule", LI, "A-4 维持", "A-4 維持", ()),
    ("enconfirm", ZHANG, "A-1 confirm", "A-1 confirm", ()),
    ("enobject", ZHANG, "A-1 object: no budget for this", "A-1 object: no budget for this", ()),
    ("endone", CHEN, "A-2 done", "A-2 done", ()),
)


def spoofs() -> list[Case]:
    """Every reply verb, From: only, in seven disguises: plain, an upper-cased address, a Sender:
    that is someone else, several From: addresses, the owner's display name on another address,
    traditional script, and from inside the organisation (a colleague logged in as herself)."""
    cases: list[Case] = []
    for n, (verb, who, command, traditional, files) in enumerate(VERBS):
        name = NAMES[who]
        body = command + "\n\n" + name + "\n"

        def add(variant: str, raw: bytes, verb: str = verb) -> None:
            cases.append(Case(f"spoof_{verb}_{variant}", raw))

        add("plain", mail(f"spoof_{verb}_plain", sender=who, name=name, body=body, attachments=files))
        add(
            "upper",
            mail(f"spoof_{verb}_upper", sender=who.upper(), name=name, body=body, attachments=files),
        )
        add(
            "sender",
            mail(
                f"spoof_{verb}_sender",
                sender=who,
                name=name,
                body=body,
                stamp=STAMP_UNALIGNED,
                extra=[("Sender", f"Eve <{EVE}>")],
                attachments=files,
            ),
        )
        if n % 2:
            several = mail(
                f"spoof_{verb}_several",
                sender=None,
                from_header=f"{_addr(name, who)}, Eve <{EVE}>",
                body=body,
                stamp=STAMP_NONE,
                attachments=files,
            )
        else:
            several = mail(
                f"spoof_{verb}_several",
                sender=who,
                name=name,
                body=body,
                stamp=STAMP_NONE,
                extra=[("From", f"Eve <{EVE}>")],
                attachments=files,
            )
        add("several", several)
        # The owner's name on the forger's address, the owner's address as a display name, or a
        # display name and no address at all.
        shown = (
            _addr(name, EVE).encode(),
            f'"{who}" <{EVE}>'.encode(),
            word(name).encode(),
        )[n % 3]
        add(
            "name",
            mail(f"spoof_{verb}_name", sender=None, from_header=shown, body=body, stamp=STAMP_NONE, attachments=files),
        )
        add(
            "traditional",
            mail(
                f"spoof_{verb}_traditional",
                sender=who,
                name=TRADITIONAL_NAMES[who],
                body=traditional + "\n\n" + TRADITIONAL_NAMES[who] + "\n",
                attachments=files,
            ),
        )
        add(
            "inside",
            mail(f"spoof_{verb}_inside", sender=who, name=name, body=body, stamp=STAMP_INSIDE, attachments=files),
        )
    # 孙磊's address bounces (SETUP): a forged mail in his name proves nothing about it either.
    cases.append(Case("spoof_bouncing_help", mail("spoof_bouncing_help", sender=SUN, name="孙磊", body="帮助")))
    cases.append(
        Case(
            "spoof_bouncing_status",
            mail("spoof_bouncing_status", sender=SUN, name="孙磊", subject="状态", body="状态", stamp=STAMP_INSIDE),
        )
    )
    return cases


def threads(rows: Rows) -> list[Case]:
    """Forged threads: Message-IDs in the old guessable form or made up, a token-looking tag
    with a wrong MAC, a real token (or Message-ID) of a mail we sent to somebody else."""
    zhang_request = rows.get("confirm_request", ZHANG)
    chen_request = rows.get("confirm_request", CHEN)
    li_objection = rows.get("objection_notice", LI)
    question = rows.get("sender_check", ZHANG)
    assert zhang_request.reply_token and chen_request.reply_token and question.reply_token
    old = {who: old_message_id(f"confirm_request:M-1:v1:{who}") for who in (ZHANG, CHEN, ZHAO, ZHU)}
    old_notice = old_message_id(f"minutes_notice:M-1:v1:{LI}")
    c: list[Case] = []

    def new(case_id: str, who: str, body: str, *, subject: str = "", extra=(), to: str = f"Mailbot <{BOT}>") -> None:
        raw = mail(case_id, sender=who, name=NAMES.get(who, ""), body=body, subject=subject, extra=extra, to=to)
        c.append(Case(case_id, raw))

    irt = [("In-Reply-To", f"<{old[ZHANG]}>"), ("References", f"<{old[ZHANG]}>")]
    new("thread_oldform_confirm", ZHANG, "确认", subject="RE: 【请确认】" + M1_TITLE, extra=irt)
    new("thread_oldform_ref_confirm", ZHANG, "A-1 确认", subject="RE: 请确认", extra=irt)
    new(
        "thread_oldform_done",
        CHEN,
        "完成",
        subject="回复：【请确认】" + M1_TITLE,
        extra=[("References", f"<{old[CHEN]}>")],
    )
    new(
        "thread_oldform_host_withdraw",
        LI,
        "A-4 撤销",
        subject="RE: 【会议纪要】" + M1_TITLE,
        extra=[("In-Reply-To", f"<{old_notice}>")],
    )
    new(
        "thread_madeup_id",
        ZHANG,
        "确认",
        subject="RE: 【请确认】" + M1_TITLE,
        extra=[("In-Reply-To", "<mailbot.confirm.A-1.20261202@corp.example>")],
    )
    new(
        "thread_madeup_references",
        ZHU,
        "A-4 确认",
        subject="RE: 请确认",
        extra=[("References", " ".join(f"<confirm.A-{n}.v1@corp.example>" for n in range(1, 6)))],
    )
    tag = wrong_mac(zhang_request.reply_token)
    new("thread_tag_wrong_mac", ZHANG, "确认", subject=f"RE: [#{tag}] 请确认")
    new("thread_tag_wrong_mac_upper", ZHANG, "A-1 确认", subject=f"RE: [#{tag.upper()}] 请确认")
    new("thread_plus_wrong_mac", ZHANG, "确认", subject="RE: 请确认", to=f"Mailbot <minutes+{tag}@corp.example>")
    new("thread_tag_meeting_wrong_mac", LI, "A-4 撤销", subject="RE: [#M1.zzzzzzzzzz] 会议纪要")
    new(
        "thread_token_of_other_tag",
        ZHANG,
        "A-1 确认",
        subject=f"RE: [#{chen_request.reply_token}] 请确认",
    )
    new(
        "thread_token_of_other_plus",
        ZHANG,
        "确认",
        subject="RE: 请确认",
        to=f"Mailbot <minutes+{chen_request.reply_token}@corp.example>",
    )
    c.append(
        Case(
            "thread_token_of_other_full", threaded("thread_token_of_other_full", chen_request, "A-2 完成", sender=ZHANG)
        )
    )
    c.append(
        Case(
            "thread_message_id_of_other",
            threaded("thread_message_id_of_other", chen_request, "A-1 确认", sender=ZHANG, tag=False, plus=False),
        )
    )
    c.append(
        Case(
            "thread_host_token_by_owner",
            threaded("thread_host_token_by_owner", li_objection, "A-4 确认", sender=ZHU),
        )
    )
    c.append(
        Case(
            "thread_owner_token_by_host",
            threaded("thread_owner_token_by_host", zhang_request, "A-1 确认", sender=LI, in_reply_to=False),
        )
    )
    c.append(
        Case(
            "thread_token_lowercase_other",
            mail(
                "thread_token_lowercase_other",
                sender=CHEN,
                name="陈喆",
                body="A-2 进行中",
                subject=f"RE: [#{zhang_request.reply_token.lower()}] 请确认",
            ),
        )
    )
    # The question we asked 张伟 (SETUP), answered by others, or with a guessed token.
    c.append(Case("thread_question_by_other", threaded("thread_question_by_other", question, "确认", sender=CHEN)))
    c.append(
        Case(
            "thread_question_irt_by_other",
            threaded("thread_question_irt_by_other", question, "", sender=EVE_CORP, tag=False, plus=False),
        )
    )
    guessed = wrong_mac(question.reply_token)
    new(
        "thread_question_wrong_mac",
        ZHANG,
        "确认",
        subject=f"RE: [#{guessed}] 我们收到了",
        to=f"Mailbot <minutes+{guessed}@corp.example>",
    )
    new(
        "thread_reply_to_outside",
        ZHANG,
        "A-1 确认",
        subject="RE: 请确认",
        extra=[*irt, ("Reply-To", f"Eve <{EVE}>")],
    )
    return c


def _report(case_id: str, sender: str, message_ids: Sequence[str], *, part: str = "text/rfc822-headers") -> bytes:
    originals = "\r\n".join(f"Message-ID: <{m}>" for m in message_ids)
    if part == "message/rfc822":
        original = f"From: Mailbot <{BOT}>\r\nTo: someone@corp.example\r\n{originals}\r\nSubject: x\r\n\r\nbody\r\n"
    else:
        original = f"From: Mailbot <{BOT}>\r\n{originals}\r\nSubject: x\r\n"
    body = (
        "--r1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nYour message could not be delivered.\r\n"
        "--r1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.evil.example\r\n\r\n"
        "Final-Recipient: rfc822; zhang.wei@corp.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"--r1\r\nContent-Type: {part}\r\n\r\n{original}--r1--\r\n"
    )
    headers: list[tuple[str, str | bytes]] = [
        ("From", f"Mail Delivery System <{sender}>"),
        ("To", BOT),
        ("Subject", "Undelivered Mail Returned to Sender"),
        ("Date", DATE),
        ("Message-ID", f"<{case_id}@mx.evil.example>"),
        ("Auto-Submitted", "auto-replied"),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/report; report-type=delivery-status; boundary="r1"'),
    ]
    return STAMP_NONE.encode() + assemble(headers, body)


def bounces() -> list[Case]:
    """Delivery reports naming a Message-ID the forger guessed: nobody may be marked bouncing."""
    old = {who: old_message_id(f"confirm_request:M-1:v1:{who}") for who in (ZHANG, CHEN, ZHAO, ZHU)}
    old_li = old_message_id(f"minutes_notice:M-1:v1:{LI}")
    c = [
        Case(
            "bounce_oldform_headers", _report("bounce_oldform_headers", "MAILER-DAEMON@mx.evil.example", [old[ZHANG]])
        ),
        Case(
            "bounce_oldform_rfc822",
            _report("bounce_oldform_rfc822", "mailer-daemon@mx.evil.example", [old[CHEN]], part="message/rfc822"),
        ),
        Case(
            "bounce_madeup_id",
            _report("bounce_madeup_id", "MAILER-DAEMON@mx.evil.example", ["mailbot.confirm.A-1.20261202@corp.example"]),
        ),
        Case("bounce_host_oldform", _report("bounce_host_oldform", "postmaster@corp.example", [old_li])),
        Case(
            "bounce_many_guesses",
            _report("bounce_many_guesses", "MAILER-DAEMON@mx.evil.example", list(old.values()) * 5),
        ),
        Case("bounce_report_from_owner", _report("bounce_report_from_owner", ZHANG, [old[ZHANG]])),
    ]
    c.append(
        Case(
            "bounce_pasted_headers",
            mail(
                "bounce_pasted_headers",
                sender="mailer-daemon@corp.example",
                name="Mail Delivery System",
                subject="Undelivered Mail Returned to Sender",
                body=f"Delivery failed.\n\nMessage-ID: <{old[ZHU]}>\nSubject: 请确认\n",
                stamp=STAMP_NONE,
            ),
        )
    )
    c.append(
        Case(
            "bounce_subject_in_reply_to",
            mail(
                "bounce_subject_in_reply_to",
                sender="postmaster@mx.evil.example",
                subject="退信：无法送达",
                body="您发送的邮件无法送达。",
                stamp=STAMP_NONE,
                extra=[("In-Reply-To", f"<{old[ZHANG]}>")],
            ),
        )
    )
    return [Case(x.id, x.raw, silent=True) for x in c]


def absences(rows: Rows) -> list[Case]:
    """Out-of-office replies that answer no mail the bot sent to their sender: no deadline moves."""
    chen_request = rows.get("confirm_request", CHEN)
    zhang_request = rows.get("confirm_request", ZHANG)
    assert chen_request.reply_token and zhang_request.reply_token
    old = old_message_id(f"confirm_request:M-1:v1:{ZHANG}")
    away = "您好，我正在休假，2027年12月31日返回，期间不便回复邮件。"
    auto = [("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All")]
    subject = "自动答复: 【请确认】" + M1_TITLE
    c: list[Case] = []

    def ooo(case_id: str, *, extra=(), subj: str = subject, body: str = away, to: str = f"Mailbot <{BOT}>") -> None:
        raw = mail(case_id, sender=ZHANG, name="张伟", subject=subj, body=body, extra=extra, to=to, stamp=STAMP_OUTSIDE)
        c.append(Case(case_id, raw, silent=True))

    ooo("ooo_no_thread", extra=auto)
    ooo("ooo_oldform_irt", extra=[*auto, ("In-Reply-To", f"<{old}>"), ("References", f"<{old}>")])
    ooo("ooo_madeup_irt", extra=[*auto, ("In-Reply-To", "<mailbot.confirm.A-1@corp.example>")])
    ooo("ooo_tag_wrong_mac", extra=auto, subj=f"自动答复: [#{wrong_mac(zhang_request.reply_token)}] 请确认")
    ooo("ooo_token_of_other", extra=auto, subj=f"自动答复: [#{chen_request.reply_token}] 请确认")
    ooo("ooo_plus_of_other", extra=auto, to=f"Mailbot <minutes+{chen_request.reply_token}@corp.example>")
    ooo("ooo_message_id_of_other", extra=[*auto, ("In-Reply-To", f"<{chen_request.message_id}>")])
    ooo("ooo_x_autoreply", extra=[("X-Autoreply", "yes")])
    ooo("ooo_subject_only", subj="自动回复：我不在办公室")
    ooo("ooo_precedence", extra=[("Precedence", "auto_reply")])
    ooo(
        "ooo_english_until",
        extra=auto,
        subj="Automatic reply: [Minutes] Q1",
        body="I am out of the office until Friday, December 31, 2027 with no access to email.",
    )
    return c


def authres() -> list[Case]:
    """A command in 张伟's or 陈喆's name under Authentication-Results (or DKIM) that must not
    count: another server's verdict, ours below a foreign hop, a failing or unaligned one, a
    login as someone else, headers the parser cannot read, signatures that do not verify."""
    c: list[Case] = []

    def forged(case_id: str, stamp: str, who: str = ZHANG) -> None:
        body = ("A-1 确认" if who == ZHANG else "A-2 进行中") + f"\n\n{case_id}\n"
        c.append(Case(case_id, mail(case_id, sender=who, name=NAMES[who], body=body, stamp=stamp)))

    pass_ = "dmarc=pass (p=reject) header.from=corp.example"
    forged("authres_other_authserv", OUR_HOP + _ar(pass_, "mx.evil.example"))
    forged("authres_other_authserv_chen", OUR_HOP + _ar("dkim=pass header.d=corp.example", "mail.evil.example"), CHEN)
    forged("authres_below_foreign_hop", OUR_HOP + FOREIGN_HOP + _ar(pass_))
    forged("authres_forged_our_hop_below", OUR_HOP + FOREIGN_HOP + _received("eve-pc") + _ar(pass_))
    forged("authres_no_hop_of_ours", _ar(pass_))
    # Our server's own verdict (fail) on top; the forger's "pass" under it, as if ours.
    forged(
        "authres_forged_pass_under_our_fail",
        _ar("dmarc=fail (p=none) header.from=corp.example") + OUR_HOP + _ar(pass_),
    )
    forged("authres_only_foreign_hops", FOREIGN_HOP + _ar(pass_))
    forged("authres_dmarc_fail", OUR_HOP + _ar("dmarc=fail (p=none) header.from=corp.example"))
    forged(
        "authres_dmarc_fail_dkim_pass",
        OUR_HOP + _ar("dkim=pass header.d=corp.example; dmarc=fail (p=none) header.from=corp.example"),
    )
    forged(
        "authres_dmarc_fail_spf_pass",
        OUR_HOP + _ar("spf=pass smtp.mailfrom=corp.example") + _ar("dmarc=fail header.from=corp.example"),
        CHEN,
    )
    forged("authres_dmarc_none", OUR_HOP + _ar("dmarc=none header.from=corp.example"))
    forged("authres_dmarc_temperror", OUR_HOP + _ar("dmarc=temperror header.from=corp.example"), CHEN)
    forged("authres_dmarc_other_domain", OUR_HOP + _ar("dmarc=pass header.from=evil.example"))
    forged("authres_dkim_evil", OUR_HOP + _ar("dkim=pass header.d=evil.example"))
    forged("authres_dkim_suffix", OUR_HOP + _ar("dkim=pass header.d=corp.example.evil.example"), CHEN)
    forged("authres_dkim_lookalike", OUR_HOP + _ar("dkim=pass header.d=evilcorp.example"))
    forged("authres_dkim_tld", OUR_HOP + _ar("dkim=pass header.d=example"), CHEN)
    forged("authres_dkim_identity_evil", OUR_HOP + _ar("dkim=pass header.i=@evil.example"))
    forged("authres_dkim_fail", OUR_HOP + _ar("dkim=fail header.d=corp.example"), CHEN)
    forged("authres_spf_unaligned", OUR_HOP + _ar("spf=pass smtp.mailfrom=evil.example"))
    forged("authres_spf_suffix", OUR_HOP + _ar("spf=pass smtp.mailfrom=bounce.corp.example.evil.example"), CHEN)
    forged("authres_spf_softfail", OUR_HOP + _ar("spf=softfail smtp.mailfrom=corp.example"))
    forged("authres_auth_other_login", OUR_HOP + _ar("auth=pass smtp.auth=eve.sales"))
    forged("authres_auth_other_user", OUR_HOP + _ar("auth=pass smtp.auth=li.na@corp.example"))
    forged("authres_auth_prefix", OUR_HOP + _ar("auth=pass smtp.auth=zhang"))
    forged("authres_auth_fail", OUR_HOP + _ar("auth=fail smtp.auth=zhang.wei"), ZHANG)
    # Headers the parser cannot read (or must not read as a pass), under our own authserv-id.
    forged("authres_garbage_open_comment", OUR_HOP + FOREIGN_HOP + _ar("dmarc=pass (p=reject header.from=corp.example"))
    forged("authres_garbage_semicolons", OUR_HOP + "Authentication-Results: ;;;; =pass; dmarc=\r\n")
    forged("authres_garbage_unquoted", OUR_HOP + _ar('dmarc=pass header.from="corp.example'), CHEN)
    forged("authres_garbage_long", OUR_HOP + _ar("dmarc=pass " + "(" * 3000 + " header.from=corp.example"))
    forged("authres_garbage_no_semicolon", OUR_HOP + "Authentication-Results: mx.evil.example dmarc=pass\r\n")
    forged("authres_garbage_version_word", OUR_HOP + _ar("dmarc=pass header.from=corp.example", "mx.corp.example.evil"))
    c += dkim_forgeries()
    return c


def dkim_forgeries() -> list[Case]:
    """Signatures with corp.example's own key (served to the bot by `dkim_dns`) that still prove
    nothing: body-length tag with text appended, From: not signed, a body or From: changed after
    signing; and a signature of another domain."""
    pem = make_key(DKIM_SELECTOR, "corp.example")[0]

    def unsigned(case_id: str, sender: str, body: str) -> bytes:
        return mail(case_id, sender=sender, name=NAMES.get(sender, ""), body=body, stamp="")

    c: list[Case] = []
    raw = sign(unsigned("authres_dkim_sig_length", ZHANG, "你好\n"), DKIM_SELECTOR, "corp.example", pem, length=True)
    c.append(Case("authres_dkim_sig_length", OUR_HOP.encode() + raw + "A-1 确认\r\n".encode()))
    raw = sign(
        unsigned("authres_dkim_sig_no_from", ZHANG, "A-1 确认\n"),
        DKIM_SELECTOR,
        "corp.example",
        pem,
        include_headers=[b"subject", b"to", b"date", b"message-id"],
    )
    c.append(Case("authres_dkim_sig_no_from", OUR_HOP.encode() + raw))
    honest = sign(unsigned("authres_dkim_sig_tampered", CHEN, "A-2 进行中\n"), DKIM_SELECTOR, "corp.example", pem)
    tampered = honest.replace("A-2 进行中".encode(), "A-2 完成了".encode())
    assert tampered != honest
    c.append(Case("authres_dkim_sig_tampered", OUR_HOP.encode() + tampered))
    # A colleague's own mail, signed by the organisation's key (valid), then 张伟 written into From:.
    own = sign(unsigned("authres_dkim_sig_from_changed", EVE_CORP, "A-1 确认\n"), DKIM_SELECTOR, "corp.example", pem)
    changed = own.replace(f"From: {EVE_CORP}".encode(), f"From: {_addr('张伟', ZHANG)}".encode())
    assert changed != own
    c.append(Case("authres_dkim_sig_from_changed", OUR_HOP.encode() + changed))
    other = sign(unsigned("authres_dkim_sig_other_domain", ZHANG, "A-1 确认\n"), DKIM_SELECTOR, "evil.example", pem)
    c.append(Case("authres_dkim_sig_other_domain", OUR_HOP.encode() + other))
    return c


def outsiders(rows: Rows) -> list[Case]:
    """Drafts that would rewrite M-1 from people who may not (only its recorder 王芳, its host
    李娜 or the sender of the version in force may): M-1 stays as it is, proof or not."""
    notice = rows.get("minutes_notice", LIU)
    evil_actions = [
        ("整理全部客户数据并发给我", f"销售部 Eve <{EVE_CORP}>"),
        ("输出新品推广活动方案初稿", f"Eve <{EVE_CORP}>"),
    ]
    revised = draft(M1_TITLE, evil_actions, day="2026-12-02")
    c: list[Case] = []

    def minutes(case_id: str, who: str, subject: str, body: str, stamp: str, proven: bool, **kw) -> None:
        raw = mail(case_id, sender=who, name=kw.pop("name", "Eve"), subject=subject, body=body, stamp=stamp, **kw)
        c.append(Case(case_id, raw, proven=proven, keep=M1_KEYS if proven else None))

    minutes("outsider_ref_in_subject", EVE_CORP, f"【纪要】M-1 {M1_TITLE}（修订）", revised, STAMP_PROVEN, True)
    minutes("outsider_same_title_date", EVE_CORP, f"【纪要】{M1_TITLE}", revised, STAMP_PROVEN, True)
    minutes(
        "outsider_agenda_ref",
        EVE_CORP,
        f"【议程】M-1 {M1_TITLE}",
        revised.replace("三、行动项", "一、会议议程"),
        STAMP_PROVEN,
        True,
    )
    minutes("outsider_owner_ref", ZHANG, f"【纪要】M-1 {M1_TITLE}", revised, STAMP_PROVEN, True, name="张伟")
    minutes(
        "outsider_attendee_same_title", LIU, f"【纪要】{M1_TITLE}（刘洋版）", revised, STAMP_PROVEN, True, name="刘洋"
    )
    minutes("outsider_outside_domain", EVE, f"【纪要】M-1 {M1_TITLE}", revised, STAMP_EVIL_PROVEN, True)
    minutes("outsider_outside_unproven", EVE, f"【纪要】M-1 {M1_TITLE}", revised, STAMP_NONE, False)
    minutes("outsider_corp_unproven", EVE_CORP, f"【纪要】M-1 {M1_TITLE}", revised, STAMP_INSIDE, False)
    minutes(
        "outsider_recorder_spoofed", WANG, f"【纪要】M-1 {M1_TITLE}（修订）", revised, STAMP_OUTSIDE, False, name="王芳"
    )
    minutes("outsider_host_spoofed_agenda", LI, f"【议程】M-1 {M1_TITLE}", revised, STAMP_NONE, False, name="李娜")
    # A party forwarded the minutes to Eve; she answers in its thread with her own version.
    raw = threaded(
        "outsider_forwarded_thread",
        notice,
        revised,
        sender=EVE_CORP,
        name="Eve",
        stamp=STAMP_PROVEN,
        tag=False,
        plus=False,
    )
    c.append(Case("outsider_forwarded_thread", raw, proven=True, keep=M1_KEYS))
    return c


def amplifiers(rows: Rows) -> list[Case]:
    """Drafts and commands naming people outside the allowed domain (corp.example), even proven:
    nothing may be queued to them, nothing may be given to them."""
    chen_request = rows.get("confirm_request", CHEN)
    li_objection = rows.get("objection_notice", LI)
    zhang_request = rows.get("confirm_request", ZHANG)
    c: list[Case] = []

    def wang_draft(case_id: str, title: str, actions, *, proven: bool = True, **kw) -> None:
        extra = kw.pop("extra", ())
        body = draft(title, actions, **kw)
        stamp = STAMP_PROVEN if proven else STAMP_OUTSIDE
        raw = mail(case_id, sender=WANG, name="王芳", subject=f"【纪要】{title}", body=body, stamp=stamp, extra=extra)
        c.append(Case(case_id, raw, proven=proven, keep=M1_KEYS if proven else None))

    wang_draft("amplify_owner_evil", "渠道拓展会", [("整理客户名单", f"Eve <{EVE}>")])
    wang_draft(
        "amplify_owner_gmail",
        "渠道拓展会二",
        [("整理客户名单", "王小明 <wang.xiaoming@gmail.com>")],
        host="李娜 <li.na.private@gmail.com>",
    )
    wang_draft(
        "amplify_lookalike_domains",
        "渠道拓展会三",
        [
            ("整理名单一", "Eve <eve@corp.example.evil.example>"),
            ("整理名单二", "Eve <eve@evilcorp.example>"),
            ("整理名单三", "Eve <eve@corp.exаmple>"),
            ("整理名单四", "Eve <eve@corp-example.com>"),
        ],
    )
    wang_draft(
        "amplify_attendees_outside",
        "渠道拓展会四",
        [("整理客户名单", f"张伟 <{ZHANG}>")],
        attendees=f"张伟 <{ZHANG}>；Eve <{EVE}>；Mallory <mallory@gmail.com>",
        extra=[("Cc", f"Eve <{EVE}>, Mallory <mallory@gmail.com>")],
    )
    wang_draft(
        "amplify_many_owners",
        "渠道拓展会五",
        [(f"第{n}项任务", f"客户{n} <client{n}@evil.example>") for n in range(30)],
    )
    wang_draft("amplify_unproven_draft", "渠道拓展会六", [("整理客户名单", f"Eve <{EVE}>")], proven=False)
    c.append(
        Case(
            "amplify_delegate_outside",
            threaded("amplify_delegate_outside", chen_request, f"A-2 转交 {EVE}"),
            proven=True,
            keep=M1_KEYS,
        )
    )
    c.append(
        Case(
            "amplify_reassign_outside",
            threaded("amplify_reassign_outside", li_objection, "A-4 改派 someone@gmail.com"),
            proven=True,
            keep=M1_KEYS,
        )
    )
    c.append(
        Case(
            "amplify_outside_sender_draft",
            mail(
                "amplify_outside_sender_draft",
                sender=EVE,
                name="Eve",
                subject="【纪要】外部会议",
                body=draft("外部会议", [("整理数据", f"张伟 <{ZHANG}>")]),
                stamp=STAMP_EVIL_PROVEN,
            ),
            proven=True,
            keep=M1_KEYS,
        )
    )
    c.append(
        Case(
            "amplify_status_cc_outside",
            mail(
                "amplify_status_cc_outside",
                sender=ZHANG,
                name="张伟",
                subject="状态",
                body="状态",
                stamp=STAMP_PROVEN,
                extra=[("Cc", f"Eve <{EVE}>"), ("Reply-To", f"Eve <{EVE}>")],
            ),
            proven=True,
            keep=M1_KEYS,
        )
    )
    c.append(
        Case(
            "amplify_thread_reply_to_outside",
            threaded(
                "amplify_thread_reply_to_outside",
                zhang_request,
                "状态",
                extra=[("Reply-To", f"Eve <{EVE}>"), ("Cc", f"Eve <{EVE}>")],
            ),
            proven=True,
            keep=M1_KEYS,
        )
    )
    return c


def name_poisoning() -> list[Case]:
    """Eve calls herself 王强 (a colleague the bot has never heard of) in headers nobody vouches
    for; then 王芳 sends a draft naming 王强 without an address: it must not become Eve's."""
    c: list[Case] = []
    eves = (EVE_WANG_CORP, EVE_WANG_EVIL)

    def poison(case_id: str, who: str, body: str, *, proven: bool = False, **kw) -> None:
        stamp = kw.pop("stamp", STAMP_EVIL_PROVEN if proven else STAMP_OUTSIDE)
        raw = mail(case_id, sender=who, name=kw.pop("name", "王强"), body=body, stamp=stamp, **kw)
        c.append(Case(case_id, raw, proven=proven, keep=M1_KEYS if proven else None))

    poison("names_help_inside", EVE_WANG_CORP, "帮助", stamp=STAMP_INSIDE)
    poison("names_held_inside", EVE_WANG_CORP, "A-1 确认", stamp=STAMP_INSIDE)
    poison("names_question_outside", EVE_WANG_EVIL, "你好，请问这个机器人怎么用？", stamp=STAMP_NONE)
    poison("names_in_to_header", EVE_WANG_CORP, "你好", to=f"王强 <{EVE_WANG_CORP}>, Mailbot <{BOT}>")
    poison(
        "names_in_cc_of_spoof",
        WANG,
        "帮助",
        name="王芳",
        extra=[("Cc", f"{word('王强')} <{EVE_WANG_CORP}>, {word('研发部 王强')} <{EVE_WANG_EVIL}>")],
    )
    poison("names_display_dept", EVE_WANG_CORP, "状态", name="研发部 王强", stamp=STAMP_INSIDE)
    body = draft("研发预备会", [("评估新品技术方案", "研发部 王强")], attendees=f"研发部 王强；市场部 张伟 <{ZHANG}>")
    raw = mail(
        "names_draft_before_proof",
        sender=WANG,
        name="王芳",
        subject="【纪要】研发预备会",
        body=body,
        stamp=STAMP_PROVEN,
    )
    c.append(Case("names_draft_before_proof", raw, proven=True, keep=M1_KEYS, never_to=eves))
    # Proven as eve.wang@evil.example: the name is hers to give, but she is outside, so a draft
    # naming 王强 must still write to nobody there.
    poison("names_proven_outside", EVE_WANG_EVIL, "你好，我是研发部王强。", proven=True)
    body = draft(
        "研发协作会",
        [("评估新品技术方案", "研发部 王强"), ("整理测试数据", f"张伟 <{ZHANG}>")],
        attendees=f"研发部 王强；市场部 张伟 <{ZHANG}>",
    )
    raw = mail(
        "names_draft_names_him", sender=WANG, name="王芳", subject="【纪要】研发协作会", body=body, stamp=STAMP_PROVEN
    )
    c.append(Case("names_draft_names_him", raw, proven=True, keep=M1_KEYS, never_to=eves))
    body = draft("研发协作会二", [("评估新品技术方案", "王强")], attendees="王强、张伟")
    raw = mail(
        "names_draft_bare_name", sender=WANG, name="王芳", subject="【纪要】研发协作会二", body=body, stamp=STAMP_PROVEN
    )
    c.append(Case("names_draft_bare_name", raw, proven=True, keep=M1_KEYS, never_to=eves))
    return c


def hostile_content(rows: Rows) -> list[Case]:
    """Markup, bidi controls and invisible characters in what the bot stores and sends on, and
    programs sent as deliverables. Most are proven (the owner in their thread, 王芳 vouched for
    by the server) so that they are applied: what they leave behind must be inert."""
    zhang_request = rows.get("confirm_request", ZHANG)
    chen_request = rows.get("confirm_request", CHEN)
    li_acceptance = rows.get("acceptance_request", LI)
    li_objection = rows.get("objection_notice", LI)
    zhou_notice = rows.get("minutes_notice", ZHOU)
    liu_notice = rows.get("minutes_notice", LIU)
    c: list[Case] = []

    def keep_but(*changing: str) -> tuple[str, ...]:
        return tuple(k for k in M1_KEYS if k not in changing)

    # Unproven first: held, the question shows the lines.
    c.append(
        Case(
            "content_held_markup_lines",
            mail(
                "content_held_markup_lines",
                sender=CHEN,
                name="陈喆",
                body=f"A-2 异议：{IMG}{SCRIPT}{BOLD}\nA-2 延期至12月31日，原因：{SVG}\n",
            ),
        )
    )
    c.append(
        Case(
            "content_held_bidi_lines",
            mail(
                "content_held_bidi_lines",
                sender=ZHU,
                name="朱\u202e镕",
                subject="\u2066A-4\u2069 确\u200b认\u202e",
                body="A-4 确认\nA-4 延期至12月31日，原因：预算\u202e不足\u2066x\u2069\u200b\n",
            ),
        )
    )
    c.append(
        Case(
            "content_help_bidi_name",
            mail(
                "content_help_bidi_name",
                sender="new.colleague@corp.example",
                name="Eve\u202elive\u200b",
                subject="帮助\u2066\u202e\u2067",
                body="帮助",
            ),
        )
    )
    c.append(
        Case(
            "content_unknown_markup_subject",
            mail(
                "content_unknown_markup_subject",
                sender="another.colleague@corp.example",
                name=f"{BOLD}同事",
                subject=f"{SCRIPT}{IMG}你好",
                body=f"{BOLD}你好，请问这个怎么用？{IMG}",
            ),
        )
    )
    c.append(
        Case(
            "content_held_markup_draft",
            mail(
                "content_held_markup_draft",
                sender=WANG,
                name=f"王芳{IMG}",
                subject=f"【纪要】{IMG}发布会",
                body=draft(f"{IMG}发布会", [(f"{BOLD}整理数据", f"张伟 <{ZHANG}>")]),
            ),
        )
    )
    c.append(
        Case(
            "content_held_markup_name",
            mail("content_held_markup_name", sender=ZHANG, name=f"{IMG}\u202e张伟", body="A-1 确认"),
        )
    )
    # Proven: applied, and inert.
    title = f"{IMG}新品发布会{SCRIPT}"
    body = draft(
        title,
        [(f"{BOLD}整理发布会数据", f"张伟 <{ZHANG}>"), (f"准备{SVG}材料", f"陈喆 <{CHEN}>")],
        goal=f"{SCRIPT}对齐发布节奏",
    )
    c.append(
        Case(
            "content_draft_markup",
            mail(
                "content_draft_markup",
                sender=WANG,
                name="王芳",
                subject=f"【纪要】{title}",
                body=body,
                stamp=STAMP_PROVEN,
            ),
            proven=True,
            keep=M1_KEYS,
            then={f"title:{title}": "in_review"},
        )
    )
    bidi_title = "季度\u202e复盘\u200b会\u2066议\u2069"
    body = draft(
        bidi_title,
        [("整理\u202egpj.exe数据", f"张\u200b伟 <{ZHANG}>"), ("复\u2067盘\u2069材料", f"陈喆 <{CHEN}>")],
        attendees=f"张\u202e伟 <{ZHANG}>；陈喆 <{CHEN}>",
        goal="对\u202e齐",
    )
    c.append(
        Case(
            "content_draft_bidi",
            mail(
                "content_draft_bidi",
                sender=WANG,
                name="王\u202e芳",
                subject=f"【纪要】\u2066{bidi_title}\u202c",
                body=body,
                stamp=STAMP_PROVEN,
            ),
            proven=True,
            keep=M1_KEYS,
            then={"title:季度复盘会议": "in_review"},
        )
    )
    # HTML only, as an OA system writes it: markup and bidi controls as entities, in the fields
    # and in the action table's cells.
    c.append(
        Case(
            "content_html_draft_markup",
            mail(
                "content_html_draft_markup",
                sender=WANG,
                name="王芳",
                subject="【纪要】网页版发布会",
                body=html_draft(
                    "网页版发布会&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;"
                ),
                stamp=STAMP_PROVEN,
                html=True,
            ),
            proven=True,
            keep=M1_KEYS,
            then={"title:网页版发布会<script>alert(1)</script>": "in_review"},
        )
    )
    c.append(
        Case(
            "content_html_draft_bidi_entities",
            mail(
                "content_html_draft_bidi_entities",
                sender=WANG,
                name="王芳",
                subject="【纪要】网页版复盘会",
                body=html_draft("网页版&#x202E;复盘会&#x2066;", "&#x202E;gpj.exe&#x2067;"),
                stamp=STAMP_PROVEN,
                html=True,
            ),
            proven=True,
            keep=M1_KEYS,
            then={"title:网页版复盘会": "in_review"},
        )
    )
    c.append(
        Case(
            "content_object_markup",
            threaded(
                "content_object_markup",
                zhang_request,
                f"A-1 异议：{SCRIPT}{IMG}预算\u202e不足{BOLD}",
                name=f"张伟{BOLD}\u202e",
            ),
            proven=True,
            keep=keep_but("A-1"),
            then={"A-1": "objected"},
        )
    )
    c.append(
        Case(
            "content_confirm_after_objection",
            threaded("content_confirm_after_objection", zhang_request, "A-1 确认", name="张\u2066伟\u2069"),
            proven=True,
            keep=keep_but("A-1"),
            then={"A-1": "accepted"},
        )
    )
    c.append(
        Case(
            "content_done_programs_only",
            threaded(
                "content_done_programs_only",
                zhang_request,
                "A-1 完成，交付物见附件",
                attachments=(
                    ("invoice\u202egpj.exe", "image/jpeg", EXE),
                    ("报告.pdf.exe", "application/octet-stream", EXE),
                    ("setup.exe.zip", "application/zip", b"PK\x03\x04" + EXE),
                    ("方案.docx      .exe", "application/octet-stream", EXE),
                    ("说明.pdf\u202e.scr", "application/pdf", EXE),
                    ("交付\u200b清单.pdf", "application/pdf", PDF),
                ),
            ),
            proven=True,
            keep=keep_but("A-1", "D-1"),
            then={"A-1": "done", "D-1": "交付清单.pdf"},
        )
    )
    c.append(
        Case(
            "content_delay_markup",
            threaded("content_delay_markup", chen_request, f"A-2 延期至12月31日，原因：{BOLD}等\u200b数据{IMG}"),
            proven=True,
            keep=keep_but("A-2"),
            then={"A-2": "delayed"},
        )
    )
    c.append(
        Case(
            "content_done_program_and_pdf",
            threaded(
                "content_done_program_and_pdf",
                chen_request,
                "A-2 完成",
                attachments=(
                    ("报告.pdf.exe", "application/octet-stream", EXE),
                    ("进度报告.pdf", "application/pdf", PDF),
                    ("invoice\u202egpj.exe", "image/jpeg", EXE),
                ),
            ),
            proven=True,
            keep=keep_but("A-2", "D-2"),
            then={"A-2": "done", "D-2": "进度报告.pdf"},
        )
    )
    c.append(
        Case(
            "content_reject_markup",
            threaded("content_reject_markup", li_acceptance, f"A-3 验收不通过：{SCRIPT}缺少\u202e数据{BOLD}"),
            proven=True,
            keep=keep_but("A-3"),
            then={"A-3": "in_progress"},
        )
    )
    c.append(
        Case(
            "content_overrule_markup",
            threaded("content_overrule_markup", li_objection, f"A-4 维持，原因：{IMG}已有预算\u2067"),
            proven=True,
            keep=keep_but("A-4", "M-1"),  # the last open question settled: M-1 is confirmed
            then={"A-4": "accepted", "M-1": "confirmed"},
        )
    )
    c.append(
        Case(
            "content_minutes_objection_markup",
            threaded("content_minutes_objection_markup", liu_notice, f"异议：{SCRIPT}{IMG}决议\u202e有误{BOLD}"),
            proven=True,
            keep=M1_KEYS,
        )
    )
    c.append(
        Case(
            "content_minutes_objection_english",
            threaded("content_minutes_objection_english", zhou_notice, f"object: {SVG} the \u202edecision is wrong"),
            proven=True,
            keep=M1_KEYS,
        )
    )
    c.append(
        Case(
            "content_status_markup_name",
            mail(
                "content_status_markup_name",
                sender=ZHANG,
                name=f"张伟{BOLD}\u202e{IMG}",
                subject=f"状态{IMG}\u2066",
                body="状态",
                stamp=STAMP_PROVEN,
            ),
            proven=True,
            keep=M1_KEYS,
        )
    )
    return c


def corpus(app: App, rows: Sequence[OutboxMail]) -> list[Case]:
    """The whole corpus, in the order it is meant to be fed (class by class, as CLASSES), for
    the bot in the SETUP state whose outbox is `rows`."""
    assert app.sender.address == BOT
    outbox = Rows(rows)
    cases = [
        *spoofs(),
        *threads(outbox),
        *bounces(),
        *absences(outbox),
        *authres(),
        *outsiders(outbox),
        *amplifiers(outbox),
        *name_poisoning(),
        *hostile_content(outbox),
    ]
    ids = [case.id for case in cases]
    assert len(ids) == len(set(ids)), "case ids repeat"
    assert all(case.klass in CLASSES for case in cases)
    assert [c for c in dict.fromkeys(case.klass for case in cases)] == list(CLASSES)
    return cases
