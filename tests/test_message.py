"""InboundMail over mails as real clients write them (tests/mails/, see its README)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from mailbot.errors import MailbotError
from mailbot.htmltext import html_tables, html_to_text
from mailbot.message import Address, InboundMail
from mailbot.mimefix import decode_base64, decode_header, unflow
from tests.complexity import assert_linear

MAILS = Path(__file__).parent / "mails"
CST = timezone(timedelta(hours=8))


def load(name: str) -> InboundMail:
    return InboundMail.from_bytes((MAILS / name).read_bytes())


@dataclass(frozen=True)
class Expect:
    subject: str
    sender: tuple[str, str]
    body: tuple[str, ...]  # substrings of body_text
    attachments: tuple[tuple[str, str], ...] = ()  # (filename, content_type)
    defects: tuple[str, ...] = ()  # substrings, each must occur in some defect; () = no defects


EXPECTED: dict[str, Expect] = {
    "outlook_zh_minutes_gbk_html.eml": Expect(
        "【纪要】Q1 新品上市跨部门协作会（2026-12-02）",
        ("王芳", "wang.fang@corp.example"),
        (
            "4\t核算推广费用与提成预算占比\t财务部 朱镕\t销售部\t2026-12-31\t预算核算表",
            "研发部 陈喆",
            "二、决议事项",
        ),
    ),
    "foxmail_zh_agenda_gbk.eml": Expect(
        "[议程] Q1 新品上市跨部门协作会 12月2日",
        ("李娜", "li.na@corp.example"),
        ("会议名称：Q1 新品上市跨部门协作会", "3. 上市时间节点对齐（负责人：陈喆，40分钟）", "财务部 周婷、朱镕"),
        (("Q1新品上市背景资料.pdf", "application/octet-stream"),),
    ),
    "qq_zh_minutes_utf8_lines.eml": Expect(
        "【纪要】华东区渠道价格体系协调会",
        ("孙磊", "sun.lei@corp.example"),
        (
            "- 输出新品推广活动方案初稿；负责人：市场部 张伟 <zhang.wei@corp.example>；配合：研发部；"
            "截止：2026-12-15；交付：方案初稿 PDF",
            "- 更新经销商培训材料 | 负责人：孙磊",
        ),
    ),
    "gmail_en_minutes_markdown.eml": Expect(
        "[Minutes] Q1 Launch Budget Review – Dec 7",
        ("Li Na", "li.na@corp.example"),
        ("| 3 | R&D support cost estimate | Chen Zhe | Finance | within 3 working days | Cost estimate |",),
    ),
    "apple_mail_en_agenda_flowed.eml": Expect(
        "[Agenda] Q1 Launch Budget Review, Mon 7 Dec",
        ("Zhou Ting", "zhou.ting@corp.example"),
        (
            # three soft-wrapped lines (DelSp=yes, QP =20 at the ends) joined into one
            "Please read the attached cost summary before the meeting and bring your department\u2019s "
            "numbers for Q1 so that we can close the split in one session.",
            "\nFrom the sales side we need",  # space-stuffing undone
            "\n-- \nZhou Ting\n",  # the signature separator is not a soft break
        ),
        (("Q1-cost-summary.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),),
    ),
    "netease_zh_minutes_block.eml": Expect(
        "【纪要】客户投诉响应流程协调会",
        ("王芳", "wang.fang@corp.example"),
        ("2. 搭建7×24小时紧急技术支持接口\n    负责人：研发部 刘洋 <liu.yang@corp.example>", "完成时限：下周五"),
    ),
    "outlook_en_minutes_tsv.eml": Expect(
        "[Minutes] Customer Complaint Escalation Review",
        ("Wang Fang", "wang.fang@corp.example"),
        (
            "No.\tAction\tOwner\tSupport\tDue\tDeliverable\tStatus\n",
            # an empty Support cell and an empty trailing Status cell, as pasted from Excel
            "3\tReview refund approval limits\tZhou Ting <zhou.ting@corp.example>\t\t18 Dec 2026\t"
            "Approval limits memo\t\n",
        ),
        (("complaint-log-2026-11.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),),
    ),
    "minutes_with_problems_zh.eml": Expect(
        "【纪要】12月营销活动复盘会（初稿）",
        ("王芳", "wang.fang@corp.example"),
        (
            # Thunderbird soft-wrapped this line after "张伟 " (format=flowed, no DelSp)
            "- 整理活动数据复盘报告；负责人：市场部 张伟 <zhang.wei@corp.example>；截止：2026-12-15；",
            "负责人：市场部*经理；截止：本月底前",
            "截止：X月X日",
            "截止：尽快",
            "截止：2026-11-20",
            "- 补充渠道反馈意见；配合：销售部；截止：12月20日\n",
        ),
    ),
    "broken_multipart_no_boundary.eml": Expect(
        "[议程] 研发排期对齐会",
        ("陈喆", "chen.zhe@corp.example"),
        ("会议名称：研发排期对齐会", "2. 测试资源分配"),
        defects=("recovered boundary '=_mailbot_b1f0c9d2e3'",),
    ),
    "broken_truncated_base64.eml": Expect(
        "[议程] Q1 新品上市跨部门协作会",
        ("Li Na", "li.na@corp.example"),
        ("会议名称：Q1 新品上市跨部门协作会", "主持人：市场部 李娜 <li.na@corp.example>"),
        defects=("base64 cut off", "CloseBoundaryNotFoundDefect"),
    ),
    "broken_8bit_gbk_undeclared.eml": Expect(
        "会议室预订确认：总部3楼第一会议室",
        ("", "erp-notify@corp.example"),
        ("您预订的总部3楼第一会议室（12月10日 10:00-11:00）已确认。",),
        defects=("text/plain: 8-bit text without a usable charset; read as gb18030", "header subject"),
    ),
    "broken_display_name_linebreak.eml": Expect(
        "Re: 【纪要】Q1 新品上市跨部门协作会",
        ("张伟 (市场部)", "zhang.wei@corp.example"),
        ("A-12 确认",),
    ),
    "html_only_oa_zh_minutes.eml": Expect(
        "【纪要】Q1 新品上市跨部门协作会",
        ("OA 协同办公", "oa@corp.example"),
        (
            "会议时间\t2026年12月2日 14:00-16:00\n",
            "序号\t任务描述\t负责人\t完成时限\n1\t输出新品推广活动方案初稿\t市场部 张伟\t2026-12-15\n",
            "2\t提供产品功能亮点说明\t研发部 陈喆\t\n",
        ),
    ),
    "outlook_zh_autoreply.eml": Expect(
        "自动答复: 【纪要】Q1 新品上市跨部门协作会",
        ("赵敏", "zhao.min@corp.example"),
        ("12月7日至12月11日休假",),
    ),
    "postfix_dsn_bounce.eml": Expect(
        "Undelivered Mail Returned to Sender",
        ("Mail Delivery System", "mailer-daemon@smtp.corp.example"),
        ("Recipient address rejected: User unknown",),
        (("", "message/delivery-status"), ("", "text/rfc822-headers")),
    ),
}


def test_every_fixture_has_an_expectation() -> None:
    assert {p.name for p in MAILS.glob("*.eml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture(name: str) -> None:
    expect = EXPECTED[name]
    mail = load(name)
    assert mail.subject == expect.subject
    assert mail.sender == Address(*expect.sender)
    for snippet in expect.body:
        assert snippet in mail.body_text
    everything = mail.subject + mail.text + mail.html + "".join(a.name for a in mail.people())
    assert "\ufffd" not in everything
    assert "=?" not in everything
    assert [(a.filename, a.content_type) for a in mail.attachments] == list(expect.attachments)
    if expect.defects:
        for wanted in expect.defects:
            assert any(wanted in d for d in mail.defects), (wanted, mail.defects)
    else:
        assert mail.defects == ()
    assert "\r" not in mail.text and "\r" not in mail.html
    assert mail.date is not None and mail.date.tzinfo is not None
    assert mail.content_hash == __import__("hashlib").sha256(mail.raw).hexdigest()


def test_outlook_gbk_under_gb2312_label() -> None:
    mail = load("outlook_zh_minutes_gbk_html.eml")
    # 喆 and 镕 are not in GB2312: only a GB18030/GBK read gets them right
    assert [a.name for a in mail.to][2:3] == ["陈喆"]
    assert mail.to[-1] == Address("朱镕", "zhu.rong@corp.example")
    assert "财务部 朱镕" in mail.text
    assert mail.message_id == "001101db64a8$3c5e9f40$b51bddc0$@corp.example"
    assert mail.date == datetime(2026, 12, 2, 9, 32, 10, tzinfo=UTC)
    assert mail.date.utcoffset() == timedelta(hours=8)
    assert mail.headers["x-mailer"] == "Microsoft Outlook 16.0"
    assert mail.content_type == "multipart/alternative"
    # the Word HTML and Outlook's own text rendering read the same
    assert html_to_text(mail.html).splitlines()[-6:] == mail.text.rstrip("\n").splitlines()[-6:]


def test_outlook_word_tables() -> None:
    mail = load("outlook_zh_minutes_gbk_html.eml")
    info, actions = html_tables(mail.html)
    assert info[0] == ["项目", "内容"]
    assert info[5] == ["主持人", "市场部 李娜 <li.na@corp.example>"]
    assert actions == [
        ["序号", "任务描述", "负责人", "配合部门", "完成时限", "交付标准"],
        ["1", "输出新品推广活动方案初稿", "市场部 张伟", "研发部", "2026-12-15", "方案初稿 PDF"],
        ["2", "提供产品功能亮点说明", "研发部 陈喆", "市场部", "2026-12-10", "功能亮点说明文档"],
        ["3", "制定销售培训计划", "销售部 赵敏", "市场部、研发部", "2026-12-18", "培训计划及课件"],
        ["4", "核算推广费用与提成预算占比", "财务部 朱镕", "销售部", "2026-12-31", "预算核算表"],
    ]


def test_quoted_encoded_names_foxmail_qq_coremail() -> None:
    fox = load("foxmail_zh_agenda_gbk.eml")
    assert fox.cc == (Address("王芳", "wang.fang@corp.example"),)
    assert Address("陈喆", "chen.zhe@corp.example") in fox.to
    assert load("qq_zh_minutes_utf8_lines.eml").cc == (Address("李娜", "li.na@corp.example"),)
    assert load("netease_zh_minutes_block.eml").to[0] == Address("陈喆", "chen.zhe@corp.example")


def test_display_name_line_breaks_and_address_case() -> None:
    mail = load("broken_display_name_linebreak.eml")
    assert mail.sender == Address("张伟 (市场部)", "zhang.wei@corp.example")
    assert mail.to == (Address("李娜 市场部 总监", "li.na@corp.example"),)
    assert mail.subject == "Re: 【纪要】Q1 新品上市跨部门协作会"
    assert mail.in_reply_to == ("001101db64a8$3c5e9f40$b51bddc0$@corp.example",)
    assert mail.references == ("001101db64a8$3c5e9f40$b51bddc0$@corp.example", "mailbot.A-12.x7Kq@corp.example")


def test_attachment_payloads() -> None:
    fox = load("foxmail_zh_agenda_gbk.eml")
    assert fox.attachments[0].payload.startswith(b"%PDF-1.4") and fox.attachments[0].payload.endswith(b"%%EOF\n")
    apple = load("apple_mail_en_agenda_flowed.eml")
    assert apple.attachments[0].payload.startswith(b"PK\x03\x04") and len(apple.attachments[0].payload) == 292
    dsn = load("postfix_dsn_bounce.eml")
    assert dsn.content_type == "multipart/report"
    assert b"Status: 5.1.1" in dsn.attachments[0].payload
    assert b"mailbot.confirm.A-12.20261210@corp.example" in dsn.attachments[1].payload
    assert dsn.headers["auto-submitted"] == "auto-replied"


def test_headers_for_the_classifier() -> None:
    auto = load("outlook_zh_autoreply.eml")
    assert auto.headers["auto-submitted"] == "auto-replied"
    assert auto.headers["x-auto-response-suppress"] == "All"
    gmail = load("gmail_en_minutes_markdown.eml")
    assert gmail.headers["delivered-to"] == "mailbot@corp.example"
    assert "dkim=pass header.i=@corp.example" in gmail.headers["authentication-results"]
    assert "\n" not in gmail.headers["authentication-results"]
    oa = load("html_only_oa_zh_minutes.eml")
    assert oa.text == "" and oa.reply_to == (Address("王芳", "wang.fang@corp.example"),)


def test_people_dedupes_by_address_in_order() -> None:
    mail = load("gmail_en_minutes_markdown.eml")
    people = mail.people()
    assert people[0] == Address("Li Na", "li.na@corp.example")
    assert [p.address for p in people][-2:] == ["wang.fang@corp.example", "sun.lei@corp.example"]
    raw = b"From: A <a@x.example>\r\nTo: a@x.example, B <B@X.example>\r\nCc: b@x.example\r\n\r\nhi\r\n"
    assert InboundMail.from_bytes(raw).people() == (Address("A", "a@x.example"), Address("B", "b@x.example"))


def test_empty_input_raises_and_junk_does_not() -> None:
    for empty in (b"", b"  \r\n"):
        with pytest.raises(MailbotError):
            InboundMail.from_bytes(empty)
    junk = InboundMail.from_bytes(b"\x00\xff\xfe garbage without headers \x81\x82")
    assert junk.sender is None and junk.message_id is None and junk.date is None
    no_date = InboundMail.from_bytes(b"Subject: x\r\nDate: not a date\r\n\r\nbody\r\n")
    assert no_date.date is None and any("date" in d for d in no_date.defects)


def test_date_without_zone_is_utc() -> None:
    mail = InboundMail.from_bytes(b"Date: Wed, 2 Dec 2026 17:32:10\r\n\r\nx\r\n")
    assert mail.date is not None and mail.date.utcoffset() == timedelta(0)


def test_deep_mime_nesting_does_not_crash() -> None:
    raw = b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
    for i in range(1, 3000):
        raw += f"--b{i - 1}\r\nContent-Type: multipart/mixed; boundary=b{i}\r\n\r\n".encode()
    mail = InboundMail.from_bytes(raw)
    assert mail.defects


# --- repairs, one at a time -------------------------------------------------------------------


def test_decode_header_gb_superset_and_split_characters() -> None:
    defects: list[str] = []
    assert decode_header("=?gb2312?B?1uzpRg==?=", "t", defects) == "朱镕"
    # one UTF-8 character split across two encoded words
    data = "张伟".encode()
    import base64

    words = [f"=?utf-8?B?{base64.b64encode(part).decode()}?=" for part in (data[:2], data[2:])]
    assert decode_header(" ".join(words), "t", defects) == "张伟"
    assert decode_header('"=?gb2312?B?1cXOsA==?=" <x@y>', "t", defects) == '"张伟" <x@y>'
    assert decode_header("=?utf-8?Q?caf=C3=A9_ok?=", "t", defects) == "café ok"
    assert defects == []


def test_decode_base64_truncated() -> None:
    assert decode_base64(b"5byg5Lyf") == ("张伟".encode(), None)
    data, problem = decode_base64(b"5byg5Ly")
    assert problem == "truncated" and data == "张伟".encode()[:5]
    data, problem = decode_base64(b"5byg5")
    assert problem == "truncated" and data == "张".encode()


def test_unflow() -> None:
    assert unflow("a \nb\nc", delsp=False) == "a b\nc"
    assert unflow("中文 \n继续", delsp=True) == "中文继续"
    assert unflow("> quoted \n> more\nnew", delsp=False) == "> quoted more\nnew"
    assert unflow(" From me\n-- \nsig", delsp=False) == "From me\n-- \nsig"


def test_label_lies_the_other_way() -> None:
    raw = (
        b"Subject: x\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "负责人：张伟".encode()
    )
    mail = InboundMail.from_bytes(raw)
    assert mail.text == "负责人：张伟" and any("UTF-8" in d for d in mail.defects)


# --- html_to_text -----------------------------------------------------------------------------

WORD_TABLE = """<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0
 style='border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt;mso-yfti-tbllook:1184'>
 <tr style='mso-yfti-irow:0;mso-yfti-firstrow:yes'>
  <td width=38 valign=top style='width:28.5pt;border:solid windowtext 1.0pt;
  mso-border-alt:solid windowtext .5pt'>
  <p class=MsoNormal><b><span style='font-family:"微软雅黑",sans-serif'>序号<span
  lang=EN-US><o:p></o:p></span></span></b></p>
  </td>
  <td width=150 valign=top style='width:112.5pt'><p class=MsoNormal><b><span
  style='font-family:"微软雅黑",sans-serif'>任务描述<span lang=EN-US><o:p></o:p></span></span></b></p></td>
  <td width=85 valign=top><p class=MsoNormal><b><span
  style='font-family:"微软雅黑",sans-serif'>负责人</span></b></p></td>
 </tr>
 <tr style='mso-yfti-irow:1;mso-yfti-lastrow:yes'>
  <td valign=top><p class=MsoNormal><span lang=EN-US>1<o:p></o:p></span></p></td>
  <td valign=top><p class=MsoNormal><span
  style='mso-fareast-font-family:等线'>输出新品推广<br>活动方案&nbsp;&nbsp;初稿</span></p>
  <p class=MsoNormal><span lang=EN-US><o:p>&nbsp;</o:p></span></p></td>
  <td valign=top><p class=MsoNormal>市场部 张伟 &lt;<a href="mailto:zhang.wei@corp.example"><span
  lang=EN-US>zhang.wei@corp.example</span></a>&gt;<span lang=EN-US><o:p></o:p></span></p></td>
 </tr>
</table>"""


def test_html_to_text_word_table_rows_are_tab_joined() -> None:
    html = (
        "<html><head><style><!-- p.MsoNormal {margin:0cm;} --></style></head><body><div class=WordSection1>"
        "<p class=MsoNormal><b><span style='font-family:\"微软雅黑\"'>三、行动项<o:p></o:p></span></b></p>"
        + WORD_TABLE
        + "<p class=MsoNormal><span lang=EN-US><o:p>&nbsp;</o:p></span></p>"
        + "<p class=MsoNormal>王芳</p></div></body></html>"
    )
    assert html_to_text(html).split("\n") == [
        "三、行动项",
        "序号\t任务描述\t负责人",
        "1\t输出新品推广 活动方案 初稿\t市场部 张伟 <zhang.wei@corp.example>",
        "",
        "王芳",
    ]
    assert html_tables(html) == [
        [
            ["序号", "任务描述", "负责人"],
            ["1", "输出新品推广 活动方案 初稿", "市场部 张伟 <zhang.wei@corp.example>"],
        ]
    ]


def test_html_to_text_blocks_breaks_lists_and_entities() -> None:
    html = (
        '<div dir="ltr"><div>Hi&nbsp;all,</div><div><br></div><div>line<br>next</div>'
        "<script>alert('<div>x</div>')</script><ul><li>one</li><li>two</li></ul>"
        "<!--[if gte mso 9]><xml><o:x>hidden</o:x></xml><![endif]--><p>&nbsp;&nbsp;indented &amp; kept</p>"
        "<table><tr><td>a</td><td colspan=2>b</td><td></td></tr><tr><td></td><td></td></tr></table></div>"
    )
    assert html_to_text(html).split("\n") == [
        "Hi all,",
        "",
        "line",
        "next",
        "- one",
        "- two",
        "  indented & kept",
        "a\tb\t\t",
    ]


# Each hostile input as a function of its size, with the size the guard grows it to: patterns
# that made a naive scanner rescan the rest of the text at every "<", "&" or open element.
HOSTILE_HTML: dict[str, tuple[Callable[[int], str], int]] = {
    "lt": (lambda n: "<" * n, 1_000_000),
    "div": (lambda n: "<div>" * n, 200_000),
    "tables": (lambda n: "<table><tr><td>x" * n, 50_000),
    "lt-a": (lambda n: "<a" * n, 500_000),
    "lt-slash": (lambda n: "</" * n, 500_000),
    "comments": (lambda n: "<!--" * n, 250_000),
    "open-attr": (lambda n: "<a b='" + "x" * n, 1_000_000),
    "colspan": (lambda n: "<td colspan=9999>" * n, 60_000),
    "script": (lambda n: "<script>" + "<" * n, 1_000_000),
    "amp": (lambda n: "&" * n, 1_000_000),
    "lists": (lambda n: "<ol><li>" * n, 100_000),
}


@pytest.mark.parametrize("name", list(HOSTILE_HTML))
@pytest.mark.parametrize("read", [html_to_text, html_tables], ids=["text", "tables"])
def test_html_reading_of_hostile_input_grows_linearly(read: Callable[[str], object], name: str) -> None:
    make, size = HOSTILE_HTML[name]
    assert_linear(read, make, size // 8)


def test_html_to_text_keeps_a_megabyte_of_lt() -> None:
    # Its growth is guarded above ("lt"); here, that nothing of it is lost or taken for a tag.
    assert html_to_text("<" * 1_000_000) == "<" * 1_000_000
