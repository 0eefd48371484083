"""Write the fixture mails in this folder, byte for byte as each client sends them.

Run it with `.venv/bin/python tests/mails/make_fixtures.py`; the .eml files it writes are
committed too, so the tests never depend on this script. It exists because several fixtures
must hold bytes a text editor cannot be trusted with: GBK bytes under a `gb2312` label (the
lie Outlook and Foxmail tell), quoted-printable and base64 of those bytes, raw 8-bit headers,
a base64 part cut off mid-line. The stdlib's email generator cannot write them either: it
normalises charsets (`email.header.Header(s, "gb2312")` emits `=?eucgb2312_cn?b?...?=`), so
the encoded words and MIME structure are assembled by hand here.

Everything is CRLF, as the clients write it on the wire. The people are the same across all
mails (see README.md), so a directory or the To/Cc headers can resolve every owner.
"""

from __future__ import annotations

import base64
import quopri
from pathlib import Path

HERE = Path(__file__).resolve().parent


# --- encoding helpers -----------------------------------------------------------------------


def folded(words: str) -> str:
    """Fold a header between encoded words, as clients do past ~76 columns."""
    return words.replace(" =?", "\n\t=?")


def ew(text: str, label: str, codec: str | None = None, limit: int = 45) -> str:
    """RFC 2047 B-words as clients write them: the label as given, split on character boundaries.

    `codec` is what actually produced the bytes (GBK under a `gb2312` label, for Outlook/Foxmail).
    """
    codec = codec or label
    words: list[str] = []
    chunk = ""
    for ch in text:
        if len((chunk + ch).encode(codec)) > limit:
            words.append(chunk)
            chunk = ""
        chunk += ch
    if chunk:
        words.append(chunk)
    return " ".join(f"=?{label}?B?{base64.b64encode(w.encode(codec)).decode()}?=" for w in words)


def b64(data: bytes, width: int = 76) -> bytes:
    enc = base64.b64encode(data)
    return b"\r\n".join(enc[i : i + width] for i in range(0, len(enc), width)) + b"\r\n"


def qp(data: bytes) -> bytes:
    """Quoted-printable with soft breaks at 76, CRLF line ends (what Outlook and Apple Mail emit)."""
    lines = data.replace(b"\r\n", b"\n").split(b"\n")
    enc = quopri.encodestring(b"\n".join(lines))
    return enc.replace(b"\n", b"\r\n") + (b"" if enc.endswith(b"\n") else b"\r\n")


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def head(lines: list[str]) -> bytes:
    """Header block; lines may hold folded continuations written with '\\n\\t'."""
    return crlf("\n".join(lines) + "\n").encode("ascii")


def write(name: str, data: bytes) -> None:
    (HERE / name).write_bytes(data)


# --- people (kept identical across every fixture) --------------------------------------------

LI_NA = ("李娜", "li.na@corp.example")  # 市场部, host of the Q1 launch meeting
WANG_FANG = ("王芳", "wang.fang@corp.example")  # 行政部, recorder
ZHANG_WEI = ("张伟", "zhang.wei@corp.example")  # 市场部
CHEN_ZHE = ("陈喆", "chen.zhe@corp.example")  # 研发部 director; 喆 is outside GB2312
LIU_YANG = ("刘洋", "liu.yang@corp.example")  # 研发部 engineer
ZHAO_MIN = ("赵敏", "zhao.min@corp.example")  # 销售部
SUN_LEI = ("孙磊", "sun.lei@corp.example")  # 销售部
ZHOU_TING = ("周婷", "zhou.ting@corp.example")  # 财务部
ZHU_RONG = ("朱镕", "zhu.rong@corp.example")  # 财务部; 镕 is outside GB2312

PINYIN = {
    LI_NA: "Li Na",
    WANG_FANG: "Wang Fang",
    ZHANG_WEI: "Zhang Wei",
    CHEN_ZHE: "Chen Zhe",
    LIU_YANG: "Liu Yang",
    ZHAO_MIN: "Zhao Min",
    SUN_LEI: "Sun Lei",
    ZHOU_TING: "Zhou Ting",
    ZHU_RONG: "Zhu Rong",
}


def addr_quoted(people: list[tuple[str, str]], label: str, codec: str) -> str:
    """Foxmail/QQ/Coremail style: the encoded word inside double quotes (not RFC 2047 legal)."""
    return ",\n\t".join(f'"{ew(n, label, codec)}" <{a}>' for n, a in people)


def addr_outlook(people: list[tuple[str, str]]) -> str:
    """Outlook style: bare encoded word, no quotes, gb2312 label on GBK bytes."""
    return ",\n\t".join(f"{ew(n, 'gb2312', 'gbk')} <{a}>" for n, a in people)


def addr_en(people: list[tuple[str, str]]) -> str:
    return ",\n ".join(f"{PINYIN[p]} <{p[1]}>" for p in people)


# --- meeting 1: Q1 新品上市跨部门协作会, 2026-12-02 (agenda by Foxmail, minutes by Outlook) ---------

M1_TITLE = "Q1 新品上市跨部门协作会"

M1_AGENDA_TEXT = """各位同事：

定于12月2日（周三）下午召开 Q1 新品上市跨部门协作会，议程如下，请提前准备。

会议名称：Q1 新品上市跨部门协作会
会议时间：2026年12月2日 14:00-16:00
会议地点/形式：总部3楼第一会议室（线上：腾讯会议 123-456-789）
主持人：市场部 李娜 <li.na@corp.example>
记录人：行政部 王芳 <wang.fang@corp.example>
参会人员：市场部 张伟；研发部 陈喆、刘洋；销售部 赵敏、孙磊；财务部 周婷、朱镕
会议目标：确定 Q1 新品上市的市场推广、技术支持、销售培训及预算分配协作方案

一、议程
1. 产品推广与技术支持协作流程（负责人：李娜，30分钟）
2. 销售提成预算分配方案（负责人：赵敏，30分钟）
3. 上市时间节点对齐（负责人：陈喆，40分钟）
4. 行动项确认（负责人：李娜，10分钟）

背景资料见附件，请于12月1日前阅读。



li.na@corp.example
"""


def foxmail_html(text: str, signature: str) -> str:
    """Foxmail 7.2 HTML: one <div> per line, signature under a short <hr>."""
    body = "".join(
        "<div>" + (line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") or "<br>") + "</div>"
        for line in text.rstrip("\n").split("\n")
    )
    return (
        '<html><head><meta http-equiv="content-type" content="text/html; charset=GB2312">'
        "<style>body { line-height: 1.5; }body { font-size: 14px; font-family: 'Microsoft YaHei UI'; "
        "color: rgb(0, 0, 0); line-height: 1.5; }</style></head><body>\n"
        f"{body}\n"
        '<hr style="width: 210px; height: 1px;" color="#b5c4df" size="1" align="left">\n'
        f'<div><span><div style="MARGIN: 10px; FONT-FAMILY: verdana; FONT-SIZE: 10pt"><div>{signature}</div>'
        "</div></span></div></body></html>"
    )


def make_foxmail_agenda() -> None:
    text = M1_AGENDA_TEXT
    html = foxmail_html(text.rsplit("\n\n\n\n", 1)[0], "li.na@corp.example")
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    att_name = ew("Q1新品上市背景资料.pdf", "gb2312", "gbk")
    outer = "----=_001_NextPart572182624333_=----"
    inner = "----=_002_NextPart871334582155_=----"
    headers = head(
        [
            "Return-Path: <li.na@corp.example>",
            "Received: from NB-LINA (unknown [10.20.3.41])\n\tby smtp.corp.example (Postfix) with ESMTPA id "
            "4Zk3pQ1xYbz9sWm;"
            "\n\tMon, 30 Nov 2026 09:15:23 +0800 (CST)",
            "Date: Mon, 30 Nov 2026 09:15:22 +0800",
            f'From: "{ew("李娜", "gb2312", "gbk")}" <li.na@corp.example>',
            "To: "
            + addr_quoted([ZHANG_WEI, CHEN_ZHE, LIU_YANG, ZHAO_MIN, SUN_LEI, ZHOU_TING, ZHU_RONG], "gb2312", "gbk"),
            "Cc: " + addr_quoted([WANG_FANG], "gb2312", "gbk"),
            "Subject: " + folded(ew("[议程] Q1 新品上市跨部门协作会 12月2日", "gb2312", "gbk", limit=30)),
            "X-Priority: 3",
            "X-GUID: 8A5C1E2F-3B4D-4E6F-9A1B-2C3D4E5F6A7B",
            "X-Has-Attach: yes",
            "X-Mailer: Foxmail 7.2.25.375[cn]",
            "Mime-Version: 1.0",
            "Message-ID: <202611300915219786541@corp.example>",
            f'Content-Type: multipart/mixed;\n\tboundary="{outer}"',
        ]
    )
    body = (
        crlf("\nThis is a multi-part message in MIME format.\n\n").encode()
        + f'--{outer}\r\nContent-Type: multipart/alternative;\r\n\tboundary="{inner}"\r\n\r\n\r\n'.encode()
        + f'--{inner}\r\nContent-Type: text/plain;\r\n\tcharset="GB2312"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n".encode()
        + b64(crlf(text).encode("gbk"))
        + b"\r\n"
        + f'--{inner}\r\nContent-Type: text/html;\r\n\tcharset="GB2312"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n".encode()
        + b64(crlf(html).encode("gbk"))
        + b"\r\n"
        + f"--{inner}--\r\n\r\n".encode()
        + f'--{outer}\r\nContent-Type: application/octet-stream;\r\n\tname="{att_name}"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: attachment;\r\n\tfilename="{att_name}"\r\n\r\n'.encode()
        + b64(pdf)
        + b"\r\n"
        + f"--{outer}--\r\n\r\n\r\n".encode()
    )
    write("foxmail_zh_agenda_gbk.eml", headers + body)


M1_ACTIONS = [
    ("1", "输出新品推广活动方案初稿", "市场部 张伟", "研发部", "2026-12-15", "方案初稿 PDF"),
    ("2", "提供产品功能亮点说明", "研发部 陈喆", "市场部", "2026-12-10", "功能亮点说明文档"),
    ("3", "制定销售培训计划", "销售部 赵敏", "市场部、研发部", "2026-12-18", "培训计划及课件"),
    ("4", "核算推广费用与提成预算占比", "财务部 朱镕", "销售部", "2026-12-31", "预算核算表"),
]
M1_ACTION_HEADER = ("序号", "任务描述", "负责人", "配合部门", "完成时限", "交付标准")
M1_INFO = [
    ("项目", "内容"),
    ("会议名称", M1_TITLE),
    ("会议日期", "2026-12-02"),
    ("会议时间", "2026年12月2日 14:00-16:00"),
    ("会议地点/形式", "总部3楼第一会议室（线上：腾讯会议 123-456-789）"),
    ("主持人", "市场部 李娜 <li.na@corp.example>"),
    ("记录人", "行政部 王芳 <wang.fang@corp.example>"),
    ("参会部门及人员", "市场部：李娜、张伟；研发部：陈喆、刘洋；销售部：赵敏、孙磊；财务部：周婷、朱镕"),
    ("缺席人员及原因", "无"),
    ("会议主题", "明确 Q1 新品上市涉及的市场推广、技术支持、销售培训与预算分配的跨部门协作方案"),
]
M1_AGENDA_LINES = [
    "1.1 产品推广与技术支持协作流程（负责人：李娜，计划30分钟，实际35分钟）",
    "市场部：需研发部在12月10日前提供产品功能亮点说明，用于推广素材制作。",
    "研发部：要求市场部提前7天提交推广需求，预留技术调试时间。",
    "共识：推广需求统一经市场部张伟提交，研发部陈喆负责对接。",
    "1.2 销售提成预算分配方案（负责人：赵敏，计划30分钟，实际30分钟）",
    "分歧：销售部建议推广费用占比30%，财务部建议控制在25%。",
    "共识：推广费用占比25%，提成占比55%，由财务部复核。",
    "1.3 上市时间节点对齐（负责人：陈喆，计划40分钟，实际45分钟）",
]
M1_DECISIONS = [
    "1. 新品上市日期定为2027年1月18日。",
    "2. 推广费用占比25%，销售提成占比55%，由财务部复核后执行。",
    "3. 研发部设置7×24小时紧急技术支持接口，市场部需提交书面申请。",
]


def word_p(text: str, bold: bool = False, font: str = "微软雅黑") -> str:
    """One Word paragraph as Outlook's editor saves it: spans with mso- styles and an <o:p>."""
    esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    esc = esc.replace("  ", " &nbsp;")
    # Word wraps the ASCII runs in lang=EN-US spans and autolinks addresses.
    for _, address in [LI_NA, WANG_FANG, ZHANG_WEI, CHEN_ZHE, ZHU_RONG]:
        esc = esc.replace(address, f'<a href="mailto:{address}"><span lang=EN-US>{address}</span></a>')
    inner = f'<span style=\'font-family:"{font}",sans-serif;mso-bidi-font-family:"Times New Roman"\'>{esc}'
    inner += "<span lang=EN-US><o:p></o:p></span></span>"
    if bold:
        inner = f"<b>{inner}</b>"
    return f"<p class=MsoNormal>{inner}</p>\n"


def word_table(rows: list[tuple[str, ...]], widths: list[int]) -> str:
    out = [
        "<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0 style='border-collapse:collapse;"
        "border:none;mso-border-alt:solid windowtext .5pt;mso-yfti-tbllook:1184;\nmso-padding-alt:0cm 5.4pt 0cm "
        "5.4pt'>\n"
    ]
    for r, row in enumerate(rows):
        attrs = f"mso-yfti-irow:{r}" + (";mso-yfti-firstrow:yes" if r == 0 else "")
        attrs += ";mso-yfti-lastrow:yes" if r == len(rows) - 1 else ""
        out.append(f"<tr style='{attrs}'>")
        for c, cell in enumerate(row):
            border = (
                "border:solid windowtext 1.0pt"
                if r == 0 and c == 0
                else (
                    "border:solid windowtext 1.0pt;border-left:none"
                    if r == 0
                    else "border:solid windowtext 1.0pt;border-top:none"
                    if c == 0
                    else "border-top:none;border-left:none;border-bottom:solid windowtext 1.0pt;"
                    "border-right:solid windowtext 1.0pt"
                )
            )
            w = widths[c]
            out.append(
                f"<td width={w} valign=top style='width:{w * 0.75:.1f}pt;{border};\n"
                "mso-border-alt:solid windowtext .5pt;padding:0cm 5.4pt 0cm 5.4pt'>\n"
                + word_p(cell, bold=(r == 0)).rstrip("\n")
                + "</td>\n"
            )
        out.append("</tr>\n")
    out.append("</table>\n")
    return "".join(out)


WORD_HEAD = """<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" \
xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" \
xmlns="http://www.w3.org/TR/REC-html40"><head><meta http-equiv=Content-Type content="text/html; charset={cs}">\
<meta name=Generator content="Microsoft Word 15 (filtered medium)"><style><!--
/* Font Definitions */
@font-face
\t{{font-family:宋体;
\tpanose-1:2 1 6 0 3 1 1 1 1 1;}}
@font-face
\t{{font-family:"微软雅黑";
\tpanose-1:2 11 5 3 2 2 4 2 2 4;}}
/* Style Definitions */
p.MsoNormal, li.MsoNormal, div.MsoNormal
\t{{margin:0cm;
\ttext-align:justify;
\ttext-justify:inter-ideograph;
\tfont-size:10.5pt;
\tfont-family:等线;}}
a:link, span.MsoHyperlink
\t{{mso-style-priority:99;
\tcolor:#0563C1;
\ttext-decoration:underline;}}
span.EmailStyle17
\t{{mso-style-type:personal-compose;
\tfont-family:等线;
\tcolor:windowtext;}}
.MsoChpDefault
\t{{mso-style-type:export-only;
\tfont-family:等线;}}
/* Page Definitions */
@page WordSection1
\t{{size:612.0pt 792.0pt;
\tmargin:72.0pt 90.0pt 72.0pt 90.0pt;}}
div.WordSection1
\t{{page:WordSection1;}}
--></style><!--[if gte mso 9]><xml>
<o:shapedefaults v:ext="edit" spidmax="1026" />
</xml><![endif]--><!--[if gte mso 9]><xml>
<o:shapelayout v:ext="edit">
<o:idmap v:ext="edit" data="1" />
</o:shapelayout></xml><![endif]--></head><body lang=ZH-CN link="#0563C1" vlink="#954F72" \
style='text-justify-trim:punctuation'><div class=WordSection1>
"""


def m1_minutes_html() -> str:
    blank = "<p class=MsoNormal><span lang=EN-US><o:p>&nbsp;</o:p></span></p>\n"
    parts = [WORD_HEAD.format(cs="gb2312")]
    parts.append(word_p("各位好："))
    parts.append(word_p("以下为12月2日 Q1 新品上市跨部门协作会的会议纪要初稿，请审阅。如有异议请于12月4日前回复。"))
    parts.append(blank)
    parts.append(word_table(M1_INFO, [132, 421]))
    parts.append(blank)
    parts.append(word_p("一、议程", bold=True))
    parts.extend(word_p(line) for line in M1_AGENDA_LINES)
    parts.append(blank)
    parts.append(word_p("二、决议事项", bold=True))
    parts.extend(word_p(line) for line in M1_DECISIONS)
    parts.append(blank)
    parts.append(word_p("三、行动项", bold=True))
    parts.append(word_table([M1_ACTION_HEADER, *M1_ACTIONS], [38, 150, 85, 85, 85, 110]))
    parts.append(blank)
    parts.append(word_p("王芳"))
    parts.append(word_p("行政部  分机 8021"))
    parts.append("</div></body></html>\n")
    return "".join(parts)


def m1_minutes_text() -> str:
    """Outlook's own text/plain rendering of the same mail: table cells separated by tabs."""
    lines = [
        "各位好：",
        "",
        "以下为12月2日 Q1 新品上市跨部门协作会的会议纪要初稿，请审阅。如有异议请于12月4日前回复。",
        "",
    ]
    lines += ["\t".join(row) for row in M1_INFO]
    lines += ["", "一、议程", *M1_AGENDA_LINES, "", "二、决议事项", *M1_DECISIONS, "", "三、行动项"]
    lines += ["\t".join(row) for row in [M1_ACTION_HEADER, *M1_ACTIONS]]
    lines += ["", "王芳", "行政部  分机 8021", ""]
    return "\n".join(lines)


def make_outlook_minutes() -> None:
    boundary = "----=_NextPart_000_0011_01DB64A8.3C5E9F40"
    to = [LI_NA, ZHANG_WEI, CHEN_ZHE, LIU_YANG, ZHAO_MIN, SUN_LEI, ZHOU_TING, ZHU_RONG]
    headers = head(
        [
            "Return-Path: <wang.fang@corp.example>",
            "Received: from PC-WANGFANG (unknown [10.20.5.17])\n\tby smtp.corp.example (Postfix) with ESMTPSA id"
            " 4Zm8Lk2RwHz1xQp;\n\tWed,  2 Dec 2026 17:32:11 +0800 (CST)",
            "From: " + addr_outlook([WANG_FANG]),
            "To: " + addr_outlook(to),
            "Subject: " + folded(ew("【纪要】Q1 新品上市跨部门协作会（2026-12-02）", "gb2312", "gbk", limit=33)),
            "Date: Wed, 2 Dec 2026 17:32:10 +0800",
            "Message-ID: <001101db64a8$3c5e9f40$b51bddc0$@corp.example>",
            "MIME-Version: 1.0",
            f'Content-Type: multipart/alternative;\n\tboundary="{boundary}"',
            "X-Mailer: Microsoft Outlook 16.0",
            "Thread-Index: AdtkqDxel6fe6VYySZ2XwnEiMtAfKQ==",
            "Content-Language: zh-cn",
        ]
    )
    body = (
        crlf("\nThis is a multipart message in MIME format.\n\n").encode()
        + f'--{boundary}\r\nContent-Type: text/plain;\r\n\tcharset="gb2312"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n".encode()
        + qp(crlf(m1_minutes_text()).encode("gbk"))
        + b"\r\n"
        + f'--{boundary}\r\nContent-Type: text/html;\r\n\tcharset="gb2312"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n".encode()
        + qp(crlf(m1_minutes_html()).encode("gbk"))
        + b"\r\n"
        + f"--{boundary}--\r\n\r\n".encode()
    )
    write("outlook_zh_minutes_gbk_html.eml", headers + body)


# --- meeting 2: 华东区渠道价格体系协调会, 2026-12-03 (minutes by QQ Mail, line-form actions) --------

M2_TEXT = """各位好，

12月3日华东区渠道价格体系协调会纪要初稿如下，请各位确认，有异议请直接回复本邮件。

会议名称：华东区渠道价格体系协调会
会议时间：2026年12月3日 10:00-11:30
会议地点：总部5楼502会议室
主持人：销售部 赵敏 <zhao.min@corp.example>
记录人：销售部 孙磊 <sun.lei@corp.example>
参会人员：销售部 赵敏、孙磊；市场部 张伟；财务部 周婷；研发部 刘洋
会议目标：统一华东区经销商价格体系，明确返点政策

一、议程
1. 华东区现行价格体系问题梳理（孙磊，20分钟）
2. 渠道返点政策调整（赵敏，40分钟）
3. 新品渠道版本规格（刘洋，20分钟）

二、决议事项
1. 华东区一级经销商统一执行新价格表，2027年1月1日起生效。
2. 返点比例由财务部核算后报销售部审批。

三、行动项
{a1}
{a2}
- 核算渠道返点成本；负责人：财务部 周婷 <zhou.ting@corp.example>；配合：销售部；截止：2026/12/10；交付：成本核算表
- 提供新品渠道版本技术规格; 负责人: 研发部 刘洋; 配合: 无; 截止: 12月11日; 交付: 规格说明
- 更新经销商培训材料 | 负责人：孙磊 | 配合：市场部 | 截止：12月18日前 | 交付：培训 PPT

孙磊
销售部 华东区
""".format(
    a1="- 输出新品推广活动方案初稿；负责人：市场部 张伟 <zhang.wei@corp.example>；配合：研发部；"
    "截止：2026-12-15；交付：方案初稿 PDF",
    a2="- 输出华东区渠道价格调整方案；负责人：销售部 赵敏 <zhao.min@corp.example>；配合：财务部；"
    "截止：2026-12-15；交付：价格调整方案 PDF",
)


def qq_html(text: str) -> str:
    lines = text.rstrip("\n").split("\n")
    body = "".join(
        "<div>" + (ln.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") or "<br>") + "</div>"
        for ln in lines
    )
    return (
        '<meta http-equiv="Content-Type" content="text/html; charset=GB18030">'
        f'<div style="font-family: &quot;Microsoft YaHei&quot;; font-size: 14px;">{body}</div>'
    )


def make_qq_minutes() -> None:
    boundary = "----=_NextPart_6929A3F2_0F4C6A48_1B2D3E4F"
    to = [ZHAO_MIN, ZHANG_WEI, ZHOU_TING, LIU_YANG]
    headers = head(
        [
            "X-QQ-mid: bizesmtp92t1764727522t5pq9k2v",
            "X-QQ-Originating-IP: 9MyF3kK0o5zk2cE3RvQnYw1Pq2M0ZgQm7dVQy9m5Ucg=",
            "Received: from NB-SUNLEI ( [10.20.7.33])\n\tby bizesmtp.qq.com (ESMTP) with SMTP id 0;"
            "\n\tThu, 03 Dec 2026 18:05:21 +0800 (CST)",
            "X-QQ-SSF: 00400000000000F0\nX-QQ-FEAT: 3+Ah7vEqv7Kk9mT+oF2y0rRzL9BQ8bW1t4aT5Xj1m9o=",
            "X-QQ-GoodBg: 0",
            "X-BIZMAIL-ID: 6512873309187642431",
            f'From: "{ew("孙磊", "utf-8")}" <sun.lei@corp.example>',
            "To: " + addr_quoted(to, "utf-8", "utf-8"),
            "Cc: " + addr_quoted([LI_NA], "utf-8", "utf-8"),
            "Subject: " + ew("【纪要】华东区渠道价格体系协调会", "utf-8"),
            "Mime-Version: 1.0",
            f'Content-Type: multipart/alternative;\n\tboundary="{boundary}"',
            "Content-Transfer-Encoding: 8Bit",
            "Date: Thu, 3 Dec 2026 18:05:22 +0800",
            "X-Priority: 3",
            "Message-ID: <tencent_3F1A2B3C4D5E6F708192A3B4C5D6E7F8A909@qq.com>",
            "X-QQ-MIME: TCMime 1.0 by Tencent",
            "X-Mailer: QQMail 2.x",
            "X-QQ-Mailer: QQMail 2.x",
        ]
    )
    body = (
        crlf("\nThis is a multi-part message in MIME format.\n\n").encode()
        + f'--{boundary}\r\nContent-Type: text/plain;\r\n\tcharset="utf-8"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n".encode()
        + b64(crlf(M2_TEXT).encode("utf-8"))
        + b"\r\n"
        + f'--{boundary}\r\nContent-Type: text/html;\r\n\tcharset="utf-8"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n".encode()
        + b64(qq_html(M2_TEXT).encode("utf-8"))
        + b"\r\n"
        + f"--{boundary}--\r\n\r\n".encode()
    )
    write("qq_zh_minutes_utf8_lines.eml", headers + body)


# --- meeting 3: Q1 Launch Budget Review, 2026-12-07 (agenda by Apple Mail, minutes by Gmail) ------

M3_AGENDA_LOGICAL = [
    "Hi all,",
    "",
    "Here is the agenda for Monday\u2019s budget review. Please read the attached cost summary before the "
    "meeting and bring your department\u2019s numbers for Q1 so that we can close the split in one session.",
    "",
    "Meeting: Q1 Launch Budget Review",
    "Date: 2026-12-07",
    "Time: 10:00-11:30",
    "Location: HQ 5F Room 502 / Tencent Meeting 987-654-321",
    "Host: Zhou Ting <zhou.ting@corp.example>",
    "Recorder: Li Na <li.na@corp.example>",
    "Attendees: Zhou Ting, Li Na, Zhang Wei, Zhao Min, Chen Zhe",
    "Goal: agree the Q1 launch budget split between promotion, sales commission and R&D support",
    "",
    "Agenda:",
    "1. Promotion budget split (Zhou Ting, 30 min)",
    "2. Sales commission model (Zhao Min, 30 min)",
    "3. R&D support costs (Chen Zhe, 20 min)",
    "",
    "From the sales side we need the commission scenarios by Friday; Zhao Min has agreed to circulate them "
    "\u2013 thanks!",
    "",
    "-- ",
    "Zhou Ting",
    "Finance | corp.example",
]


def flow(line: str, width: int = 72) -> list[str]:
    """RFC 3676 with DelSp=yes: a soft break is a space added before CRLF (deleted on reading).

    Lines starting with a space or "From " are space-stuffed; the signature separator is not wrapped.
    """
    if line == "-- ":
        return [line]
    out: list[str] = []
    while len(line) > width:
        cut = line.rfind(" ", 0, width)
        if cut <= 0:
            break
        out.append(line[: cut + 1] + " ")  # keep the word's space, add the DelSp marker
        line = line[cut + 1 :]
    out.append(line)
    return [(" " + seg) if seg.startswith((" ", "From ")) else seg for seg in out]


def make_apple_agenda() -> None:
    flowed = "\n".join(seg for line in M3_AGENDA_LOGICAL for seg in flow(line)) + "\n"
    boundary = "Apple-Mail=_5B0C2C1E-7A3F-4E0B-9C55-2E6A0D7F3B18"
    xlsx = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(range(256)) + b"PK\x05\x06" + b"\x00" * 18
    headers = head(
        [
            "Return-Path: <zhou.ting@corp.example>",
            "Received: from smtpclient.apple (unknown [10.20.9.12])\n\tby smtp.corp.example (Postfix) with ESMTPSA id "
            "4Zn1Qx7bKpz5vLt;\n\tThu,  3 Dec 2026 21:40:05 +0800 (CST)",
            f'Content-Type: multipart/mixed;\n\tboundary="{boundary}"',
            "Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3826.300.87.4.3\\))",
            "Subject: [Agenda] Q1 Launch Budget Review, Mon 7 Dec",
            "From: Zhou Ting <zhou.ting@corp.example>",
            "Date: Thu, 3 Dec 2026 21:40:03 +0800",
            "Cc: Wang Fang <wang.fang@corp.example>",
            "Message-Id: <8F3C2A1B-4D5E-4F60-9A7B-1C2D3E4F5A6B@corp.example>",
            "To: " + addr_en([LI_NA, ZHANG_WEI, ZHAO_MIN, CHEN_ZHE]),
            "X-Mailer: Apple Mail (2.3826.300.87.4.3)",
        ]
    )
    body = (
        b"\r\n"
        + f"--{boundary}\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Type: text/plain;\r\n"
        "\tcharset=utf-8;\r\n\tdelsp=yes;\r\n\tformat=flowed\r\n\r\n".encode()
        + qp(crlf(flowed).encode("utf-8"))
        + b"\r\n"
        + f"--{boundary}\r\nContent-Disposition: attachment;\r\n\tfilename=Q1-cost-summary.xlsx\r\n"
        "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;\r\n"
        '\tx-unix-mode=0644;\r\n\tname="Q1-cost-summary.xlsx"\r\nContent-Transfer-Encoding: base64\r\n\r\n'.encode()
        + b64(xlsx)
        + f"--{boundary}--\r\n".encode()
    )
    write("apple_mail_en_agenda_flowed.eml", headers + body)


M3_MINUTES_TEXT = """Hi all,

Draft minutes from today's budget review below. Please reply "confirm" on your actions, or object, by Dec 9.

Meeting: Q1 Launch Budget Review
Date: 2026-12-07
Time: 10:00-11:30
Location: HQ 5F Room 502 / Tencent Meeting 987-654-321
Host: Zhou Ting <zhou.ting@corp.example>
Recorder: Li Na <li.na@corp.example>
Attendees: Zhou Ting, Li Na, Zhang Wei, Zhao Min, Chen Zhe
Absent: Sun Lei (customer visit)

## Agenda
1. Promotion budget split (Zhou Ting, 30 min)
2. Sales commission model (Zhao Min, 30 min)
3. R&D support costs (Chen Zhe, 20 min)

## Decisions
1. Promotion 25%, commission 55%, reserve 20%.
2. R&D support costs are booked to the launch project code.

## Action items
| No. | Action | Owner | Support | Due | Deliverable |
|---|---|---|---|---|---|
| 1 | Final promotion budget sheet | Zhou Ting <zhou.ting@corp.example> | Marketing | 2026-12-14 | Budget sheet (xlsx) |
{row2}
| 3 | R&D support cost estimate | Chen Zhe | Finance | within 3 working days | Cost estimate |
| 4 | Update the launch plan with the agreed budget | Zhang Wei | Sales, R&D | end of month | Launch plan v2 |

Thanks,
Li Na
""".format(
    row2="| 2 | Commission model with three scenarios | Zhao Min <zhao.min@corp.example> | Finance | Dec 16 "
    "| Model + one-page summary |"
)


def gmail_html(text: str) -> str:
    out = []
    for line in text.rstrip("\n").split("\n"):
        esc = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
        for _, address in [ZHOU_TING, LI_NA, ZHAO_MIN]:
            esc = esc.replace(address, f'<a href="mailto:{address}">{address}</a>')
        out.append(f"<div>{esc}</div>" if esc else "<div><br></div>")
    return '<div dir="ltr">' + "".join(out) + "</div>\n"


def make_gmail_minutes() -> None:
    boundary = "000000000000d3f1a805f2c9e1b7"
    headers = head(
        [
            "Delivered-To: mailbot@corp.example",
            "Received: by 2002:a05:7010:8c4a:b0:3f1:2a6c:9d1e with SMTP id h10csp2290133mdq;"
            "\n        Mon, 7 Dec 2026 03:52:40 -0800 (PST)",
            "Return-Path: <li.na@corp.example>",
            "Authentication-Results: mx.google.com;\n       dkim=pass header.i=@corp.example header.s=google "
            "header.b=Qm4sT1vA;\n       spf=pass (google.com: domain of li.na@corp.example designates "
            "209.85.220.41 as permitted sender) smtp.mailfrom=li.na@corp.example;\n       dmarc=pass (p=QUARANTINE "
            "sp=QUARANTINE dis=NONE) header.from=corp.example",
            "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\n        d=corp.example; s=google; t=1796644360; "
            "x=1797249160; dara=google.com;\n        h=to:subject:message-id:date:from:mime-version:from:to:cc:subject"
            "\n         :date:message-id:reply-to;\n        bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\n"
            "        b=Qm4sT1vAx9Lk2RwHz1xQp4Zm8Lk2RwHz1xQp4Zm8Lk2RwHz1xQp4Zm8Lk2RwHz1xQp\n"
            "         4Zm8Lk2RwHz1xQp4Zm8Lk2RwHz1xQp==",
            "X-Gm-Message-State: AOJu0Yx7kW2m9d1pLq3vT8nB5cR4sE6fG0hJ2kL1mN3oP5qR7sT9uV==",
            "MIME-Version: 1.0",
            "From: Li Na <li.na@corp.example>",
            "Date: Mon, 7 Dec 2026 19:52:28 +0800",
            "Message-ID: <CAJ8x9LbQ2wE4rT6yU8iO0pA1sD3fG5hJ7kL9zX2cV4bN6mQ@mail.gmail.com>",
            "Subject: =?UTF-8?Q?=5BMinutes=5D_Q1_Launch_Budget_Review_=E2=80=93_Dec_7?=",
            "To: " + addr_en([ZHOU_TING, ZHANG_WEI, ZHAO_MIN, CHEN_ZHE]),
            "Cc: Wang Fang <wang.fang@corp.example>, Sun Lei <sun.lei@corp.example>",
            f'Content-Type: multipart/alternative; boundary="{boundary}"',
        ]
    )
    body = (
        b"\r\n"
        + f'--{boundary}\r\nContent-Type: text/plain; charset="UTF-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n".encode()
        + qp(crlf(M3_MINUTES_TEXT).encode("utf-8"))
        + b"\r\n"
        + f'--{boundary}\r\nContent-Type: text/html; charset="UTF-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n".encode()
        + qp(crlf(gmail_html(M3_MINUTES_TEXT)).encode("utf-8"))
        + b"\r\n"
        + f"--{boundary}--\r\n".encode()
    )
    write("gmail_en_minutes_markdown.eml", headers + body)


# --- meeting 4: 客户投诉响应流程协调会, 2026-12-04 (minutes by NetEase/Coremail, block form) -------

M4_TEXT = """各位领导、同事：

附上12月4日客户投诉响应流程协调会纪要，请审阅。

会议名称：客户投诉响应流程协调会
会议日期：2026年12月4日
会议时间：15:00-16:30
会议地点：总部2楼第三会议室
主持人：研发部 陈喆 <chen.zhe@corp.example>
记录人：行政部 王芳 <wang.fang@corp.example>
与会人员：研发部 陈喆、刘洋；市场部 张伟；销售部 孙磊；行政部 王芳
缺席人员：销售部 赵敏（客户拜访，孙磊代为参会）

一、会议议程
1. 近期客户投诉响应超时原因分析
2. 紧急响应通道设置
3. 响应流程文档更新

二、决议事项
1. 客户投诉响应流程分为常规流程（48小时）与紧急流程（12小时）。
2. 研发部设置7×24小时紧急接口，市场部提交书面紧急申请。

三、行动项
1. 梳理客户投诉分级标准
    负责人：市场部 张伟
    配合部门：销售部
    完成时限：12月15日前
    交付标准：分级标准文档
2. 搭建7×24小时紧急技术支持接口
    负责人：研发部 刘洋 <liu.yang@corp.example>
    配合部门：市场部
    完成时限：下周五
    交付标准：接口上线并通过演练
3. 更新客户投诉响应流程文档
    负责人：行政部 王芳
    完成时限：本月底前
    交付标准：流程文档定稿
4. 统计近三个月投诉响应时长
    负责人：销售部 孙磊
    配合部门：市场部
    完成时限：3个工作日内
    交付标准：统计报表

王芳
"""


def netease_html(text: str) -> str:
    rows = []
    for line in text.rstrip("\n").split("\n"):
        stripped = line.lstrip(" ")
        indent = "&nbsp;" * (len(line) - len(stripped))
        esc = stripped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        rows.append(f"<div>{indent}{esc}</div>" if line else "<div><br></div>")
    return (
        '<div style="line-height:1.7;color:#000000;font-size:14px;font-family:Arial">'
        + "".join(rows)
        + '</div><br><br><span title="neteasefooter"><p>&nbsp;</p></span>'
    )


def make_netease_minutes() -> None:
    boundary = "----=_Part_127746_1096473855.1764832323590"
    to = [CHEN_ZHE, LIU_YANG, ZHANG_WEI, SUN_LEI]
    headers = head(
        [
            "Received: from wang.fang$corp.example ( [10.20.5.17] ) by\n ajax-webmail-wmsvr-40-112 (Coremail) ;"
            " Fri, 4 Dec 2026 17:12:03 +0800\n (CST)",
            "X-Originating-IP: [10.20.5.17]",
            "Date: Fri, 4 Dec 2026 17:12:03 +0800 (CST)",
            f'From: "{ew("王芳", "GBK")}" <wang.fang@corp.example>',
            "To: " + addr_quoted(to, "GBK", "gbk"),
            "Cc: " + addr_quoted([ZHAO_MIN], "GBK", "gbk"),
            "Subject: " + ew("【纪要】客户投诉响应流程协调会", "GBK"),
            "X-Priority: 3",
            "X-Mailer: Coremail Webmail Server Version XT5.0.14 build 20240801(9da12a7b)\n"
            " Copyright (c) 2002-2026 www.mailtech.cn 163com",
            "X-NTES-SC: AL_Qu2bBP2ZuE0p4yKaY+kfmk0Xg+0=",
            f'Content-Type: multipart/alternative; \n\tboundary="{boundary}"',
            "MIME-Version: 1.0",
            "Message-ID: <3c2b1a09.1a2b.18c3d4e5f6a.Coremail.wang.fang@corp.example>",
            "X-Coremail-Locale: zh_CN",
            "X-CM-TRANSID:KigvCgA3X3xDx3BnmDkCAA--.8803W2",
            "X-CM-SenderInfo: xzdqwsxgbsqw5ufhqzxdlhhuqqrwthudrp/1tbiAQ4GDGdwl8ABqQAAsd",
            "X-Coremail-Antispam: 1U5529EdanIXcx71UUUUU7vcSsGvfC2KfnxnUU==",
        ]
    )
    body = (
        b"\r\n"
        + f"--{boundary}\r\nContent-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: base64\r\n\r\n".encode()
        + b64(crlf(M4_TEXT).encode("gbk"))
        + f"--{boundary}\r\nContent-Type: text/html; charset=GBK\r\nContent-Transfer-Encoding: base64\r\n\r\n".encode()
        + b64(netease_html(M4_TEXT).encode("gbk"))
        + f"--{boundary}--\r\n".encode()
    )
    write("netease_zh_minutes_block.eml", headers + body)


# --- meeting 6: Customer Complaint Escalation Review, 2026-12-09 (Outlook plain text, TSV) --------

M6_TEXT = """Hi all,

Minutes of today's escalation review are below; the complaint log is attached.

Meeting: Customer Complaint Escalation Review
Date: 2026-12-09
Time: 14:00-15:00
Location: HQ 3F Room 1
Chair: Chen Zhe <chen.zhe@corp.example>
Minutes by: Wang Fang <wang.fang@corp.example>
Attendees: Chen Zhe, Zhang Wei, Liu Yang, Zhou Ting, Wang Fang

Decisions:
1. Complaints open for more than 48 hours go to the R&D on-call engineer.
2. Refunds above 5,000 CNY need Finance approval.

Action items:
No.\tAction\tOwner\tSupport\tDue\tDeliverable\tStatus
1\tDraft the escalation matrix\tZhang Wei <zhang.wei@corp.example>\tSales\t2026-12-16\tEscalation matrix v1\tNot started
2\tSet up the on-call rota for R&D\tLiu Yang <liu.yang@corp.example>\tMarketing\tDec 18\tOn-call rota\t
3\tReview refund approval limits\tZhou Ting <zhou.ting@corp.example>\t\t18 Dec 2026\tApproval limits memo\t

Best regards,
Wang Fang
Administration | ext. 8021
"""


def make_outlook_en_tsv() -> None:
    boundary = "----=_NextPart_000_0027_01DB6B2E.91A4C6D0"
    xlsx = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00complaint-log" + b"\x00\xff" * 64 + b"PK\x05\x06"
    headers = head(
        [
            "Return-Path: <wang.fang@corp.example>",
            "Received: from PC-WANGFANG (unknown [10.20.5.17])\n\tby smtp.corp.example (Postfix) with ESMTPSA id"
            " 4Zq2Tb6MvNz3kWr;\n\tWed,  9 Dec 2026 16:05:44 +0800 (CST)",
            'From: "Wang Fang" <wang.fang@corp.example>',
            'To: "Chen Zhe" <chen.zhe@corp.example>,\n\t"Zhang Wei" <zhang.wei@corp.example>,\n'
            '\t"Liu Yang" <liu.yang@corp.example>,\n\t"Zhou Ting" <zhou.ting@corp.example>',
            "Subject: [Minutes] Customer Complaint Escalation Review",
            "Date: Wed, 9 Dec 2026 16:05:43 +0800",
            "Message-ID: <002701db6b2e$91a4c6d0$b4ee5470$@corp.example>",
            "MIME-Version: 1.0",
            f'Content-Type: multipart/mixed;\n\tboundary="{boundary}"',
            "X-Mailer: Microsoft Outlook 16.0",
            "Thread-Index: AdtrLpGkxtCvTVQ8RWS0L7jYm+1Qdw==",
            "Content-Language: en-us",
        ]
    )
    body = (
        crlf("\nThis is a multipart message in MIME format.\n\n").encode()
        + f'--{boundary}\r\nContent-Type: text/plain;\r\n\tcharset="us-ascii"\r\n'
        "Content-Transfer-Encoding: 7bit\r\n\r\n".encode()
        + crlf(M6_TEXT).encode("ascii")
        + b"\r\n"
        + f"--{boundary}\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;\r\n"
        '\tname="complaint-log-2026-11.xlsx"\r\nContent-Transfer-Encoding: base64\r\n'
        'Content-Disposition: attachment;\r\n\tfilename="complaint-log-2026-11.xlsx"\r\n\r\n'.encode()
        + b64(xlsx)
        + b"\r\n"
        + f"--{boundary}--\r\n\r\n".encode()
    )
    write("outlook_en_minutes_tsv.eml", headers + body)


# --- meeting 5: 12月营销活动复盘会, 2026-12-08 (Thunderbird, a draft with validation problems) ------

M5_LOGICAL = """各位好：

12月营销活动复盘会纪要初稿如下，部分行动项信息还不完整，请大家补充。

会议名称：12月营销活动复盘会
会议时间：2026年12月8日 09:30-10:30
会议地点：总部3楼第一会议室
主持人：市场部 李娜 <li.na@corp.example>
记录人：行政部 王芳 <wang.fang@corp.example>
参会人员：市场部 李娜、张伟；研发部 陈喆、刘洋；财务部 周婷

一、议程
1. 双十二活动数据回顾
2. 活动预算执行情况

二、决议事项
1. 下季度活动预算审批流程由市场部牵头优化。

三、行动项
- 整理活动数据复盘报告；负责人：市场部 张伟 <zhang.wei@corp.example>；截止：2026-12-15；交付：复盘报告（含渠道数据）
- 补充渠道反馈意见；配合：销售部；截止：12月20日
- 优化活动预算审批流程；负责人：市场部*经理；截止：本月底前
- 输出下季度活动排期；负责人：研发部 陈喆；截止：X月X日
- 修复活动页面加载慢的问题；负责人：研发部 刘洋 <liu.yang@corp.example>；截止：尽快
- 提交活动费用报销单据；负责人：财务部 周婷；截止：2026-11-20

请在 12 月 10 日前回复确认，逾期视为默认。如有行动项的负责人或截止日期需要调整，请直接在本邮件中回复说明，谢谢。

--
王芳
行政部
""".replace("\n--\n", "\n-- \n")  # the signature separator's trailing space is part of the format


def thunderbird_flow(text: str, width: int = 72) -> str:
    """format=flowed without DelSp: soft breaks only after an existing space (Thunderbird)."""
    out: list[str] = []
    for line in text.split("\n"):
        while len(line) > width and line.rfind(" ", 0, width) > 0:
            cut = line.rfind(" ", 0, width)
            out.append(line[: cut + 1])
            line = line[cut + 1 :]
        out.append(line)
    return "\n".join(out)


def make_problems() -> None:
    headers = head(
        [
            "Return-Path: <wang.fang@corp.example>",
            "Received: from [10.20.5.17] (unknown [10.20.5.17])\n\tby smtp.corp.example (Postfix) with ESMTPSA id "
            "4Zp0Hc3NwTz7mQs;\n\tTue,  8 Dec 2026 17:45:04 +0800 (CST)",
            "Message-ID: <3b1f2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d@corp.example>",
            "Date: Tue, 8 Dec 2026 17:45:03 +0800",
            "MIME-Version: 1.0",
            "User-Agent: Mozilla Thunderbird",
            "Content-Language: zh-CN",
            "To: "
            + ",\n ".join(f"{ew(n, 'UTF-8')} <{a}>" for n, a in [LI_NA, ZHANG_WEI, CHEN_ZHE, LIU_YANG, ZHOU_TING]),
            "From: " + f"{ew('王芳', 'UTF-8')} <wang.fang@corp.example>",
            "Subject: " + ew("【纪要】12月营销活动复盘会（初稿）", "UTF-8"),
            "Content-Type: text/plain; charset=UTF-8; format=flowed",
            "Content-Transfer-Encoding: 8bit",
        ]
    )
    write("minutes_with_problems_zh.eml", headers + b"\r\n" + crlf(thunderbird_flow(M5_LOGICAL)).encode("utf-8"))


# --- broken clients ---------------------------------------------------------------------------

BROKEN_AGENDA = """会议名称：研发排期对齐会
会议时间：2026年12月10日 10:00-11:00
主持人：研发部 陈喆 <chen.zhe@corp.example>

一、议程
1. Q1 研发排期
2. 测试资源分配
"""


def make_broken() -> None:
    # A relay that unfolded and then dropped the continuation line of Content-Type: the
    # boundary parameter is gone, the body still carries the parts.
    boundary = "=_mailbot_b1f0c9d2e3"
    write(
        "broken_multipart_no_boundary.eml",
        head(
            [
                "From: " + ew("陈喆", "utf-8") + " <chen.zhe@corp.example>",
                "To: " + ew("刘洋", "utf-8") + " <liu.yang@corp.example>",
                "Subject: " + ew("[议程] 研发排期对齐会", "utf-8"),
                "Date: Mon, 7 Dec 2026 09:00:00 +0800",
                "Message-ID: <no-boundary-1@corp.example>",
                "MIME-Version: 1.0",
                "Content-Type: multipart/alternative;",
            ]
        )
        + b"\r\n"
        + f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n".encode()
        + b"Content-Transfer-Encoding: base64\r\n\r\n"
        + b64(crlf(BROKEN_AGENDA).encode("utf-8"))
        + f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".encode()
        + ("<p>" + BROKEN_AGENDA.strip().replace("\n", "<br>") + "</p>\r\n").encode("utf-8")
        + f"--{boundary}--\r\n".encode(),
    )

    # A size-limiting relay cut the mail off mid-line inside the base64 text part.
    enc = b64(crlf(M1_AGENDA_TEXT).encode("utf-8"))
    lines = enc.split(b"\r\n")
    half = len(lines) // 2
    # Full 76-char lines are whole base64 quanta; 37 more chars leave one over, which is the
    # case the stdlib gives up on and hands back the base64 text itself.
    cut = b"\r\n".join(lines[:half]) + b"\r\n" + lines[half][:37]
    write(
        "broken_truncated_base64.eml",
        head(
            [
                'From: "Li Na" <li.na@corp.example>',
                'To: "Zhang Wei" <zhang.wei@corp.example>',
                "Subject: " + ew("[议程] Q1 新品上市跨部门协作会", "utf-8"),
                "Date: Mon, 30 Nov 2026 09:20:00 +0800",
                "Message-ID: <truncated-1@corp.example>",
                "MIME-Version: 1.0",
                'Content-Type: multipart/mixed; boundary="b1_trunc"',
            ]
        )
        + b"\r\n--b1_trunc\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + cut,
    )

    # An ERP notification script on a Chinese Windows box: no MIME headers, raw GBK bytes in
    # the Subject and the body.
    write(
        "broken_8bit_gbk_undeclared.eml",
        b"Received: from erp.corp.example (erp.corp.example [10.20.1.8])\r\n"
        b"\tby smtp.corp.example (Postfix) with SMTP id 4Zr5Wd1KpLz2nXt;\r\n\tThu, 10 Dec 2026 08:00:02 +0800 (CST)\r\n"
        b"From: erp-notify@corp.example\r\n"
        b"To: wang.fang@corp.example\r\n"
        + "Subject: 会议室预订确认：总部3楼第一会议室\r\n".encode("gbk")
        + b"Date: Thu, 10 Dec 2026 08:00:01 +0800\r\n"
        b"Message-ID: <erp.20261210080001.4711@erp.corp.example>\r\n\r\n"
        + crlf(
            "王芳 您好：\n\n您预订的总部3楼第一会议室（12月10日 10:00-11:00）已确认。\n预订人：行政部 王芳\n"
        ).encode("gbk"),
    )

    # A display name whose encoded word carries CRLF (seen from address-book exports).
    write(
        "broken_display_name_linebreak.eml",
        head(
            [
                'From: "=?utf-8?B?' + base64.b64encode("张伟\r\n(市场部)".encode()).decode() + '?="'
                " <Zhang.Wei@Corp.Example>",
                'To: "=?utf-8?B?' + base64.b64encode("李娜\n市场部 总监".encode()).decode() + '?="'
                " <li.na@corp.example>",
                "Subject: =?utf-8?B?"
                + base64.b64encode("Re: 【纪要】Q1 新品上市跨部门协作会\r\n".encode()).decode()
                + "?=",
                "Date: Thu, 3 Dec 2026 09:01:00 +0800",
                "Message-ID: <name-break-1@corp.example>",
                "In-Reply-To: <001101db64a8$3c5e9f40$b51bddc0$@corp.example>",
                "References: <001101db64a8$3c5e9f40$b51bddc0$@corp.example>\n <mailbot.A-12.x7Kq@corp.example>",
                "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=utf-8",
                "Content-Transfer-Encoding: 8bit",
            ]
        )
        + b"\r\n"
        + crlf("A-12 确认\n\n张伟\n").encode("utf-8"),
    )

    # HTML only: an OA system forwarding minutes that were written in its rich-text editor.
    html = (
        '<html><head><meta charset="utf-8"><title>会议纪要</title><style>td{border:1px solid #ccc}</style>'
        "<script>window.track&&track('mail')</script></head><body>"
        "<p>各位好：</p><p>以下为 Q1 新品上市跨部门协作会纪要（OA 系统转发）。</p>"
        "<table><tbody><tr><th>项目</th><th>内容</th></tr>"
        "<tr><td>会议名称</td><td>Q1 新品上市跨部门协作会</td></tr>"
        "<tr><td>会议时间</td><td>2026年12月2日&nbsp;14:00-16:00</td></tr>"
        "<tr><td>主持人</td><td>市场部 李娜 &lt;li.na@corp.example&gt;</td></tr></tbody></table>"
        "<h3>三、行动项</h3><table><tr><th>序号</th><th>任务描述</th><th>负责人</th><th>完成时限</th></tr>"
        "<tr><td>1</td><td>输出新品推广活动方案初稿</td><td>市场部 张伟</td><td>2026-12-15</td></tr>"
        "<tr><td>2</td><td>提供产品功能亮点说明</td><td>研发部 陈喆</td><td></td></tr></table>"
        "<p>此邮件由 OA 系统自动转发，请勿直接回复。</p></body></html>"
    )
    write(
        "html_only_oa_zh_minutes.eml",
        head(
            [
                "From: =?utf-8?B?" + base64.b64encode("OA 协同办公".encode()).decode() + "?= <oa@corp.example>",
                "Sender: oa@corp.example",
                "Reply-To: =?utf-8?B?546L6Iqz?= <wang.fang@corp.example>",
                "To: mailbot@corp.example",
                "Subject: =?utf-8?B?" + base64.b64encode("【纪要】Q1 新品上市跨部门协作会".encode()).decode() + "?=",
                "Date: Wed, 2 Dec 2026 18:00:00 +0800",
                "Message-ID: <oa-20261202180000-9913@oa.corp.example>",
                "MIME-Version: 1.0",
                'Content-Type: text/html; charset="utf-8"',
                "Content-Transfer-Encoding: base64",
            ]
        )
        + b"\r\n"
        + b64(html.encode("utf-8")),
    )


# --- mail the bot must recognise and never answer ---------------------------------------------


def make_auto() -> None:
    boundary = "_000_TYAPR01MB5869A1B2C3D4E5F6A7B8C9D0TYAPR01MB5869jpnp_"
    text = "您好，我12月7日至12月11日休假，期间邮件回复会延迟。紧急事务请联系 张伟 zhang.wei@corp.example。\n\n赵敏\n"
    write(
        "outlook_zh_autoreply.eml",
        head(
            [
                "From: " + ew("赵敏", "gb2312", "gbk") + " <zhao.min@corp.example>",
                "To: mailbot@corp.example",
                "Subject: " + folded(ew("自动答复: 【纪要】Q1 新品上市跨部门协作会", "gb2312", "gbk", limit=36)),
                "Date: Mon, 7 Dec 2026 09:00:12 +0800",
                "Message-ID: <TYAPR01MB5869A1B2C3D4E5F6A7B8C9D0@TYAPR01MB5869.jpnprd01.prod.outlook.com>",
                "Auto-Submitted: auto-replied",
                "X-Auto-Response-Suppress: All",
                "X-MS-Exchange-Inbox-Rules-Loop: zhao.min@corp.example",
                "Content-Language: zh-CN",
                "X-MS-Has-Attach:",
                f'Content-Type: multipart/alternative;\n\tboundary="{boundary}"',
                "MIME-Version: 1.0",
            ]
        )
        + b"\r\n"
        + f'--{boundary}\r\nContent-Type: text/plain; charset="gb2312"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n".encode()
        + b64(crlf(text).encode("gbk"))
        + b"\r\n"
        + f'--{boundary}\r\nContent-Type: text/html; charset="gb2312"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n".encode()
        + qp(
            (
                '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body>'
                f"<div>{text.replace(chr(10), '<br>')}</div></body></html>"
            ).encode("gbk")
        )
        + b"\r\n"
        + f"--{boundary}--\r\n".encode(),
    )

    boundary = "4Zs8Vb2MnQz6pRt.1765327202/smtp.corp.example"
    original = head(
        [
            "Return-Path: <mailbot@corp.example>",
            "From: Mailbot <mailbot@corp.example>",
            "To: former.employee@corp.example",
            "Subject: [A-12] =?utf-8?B?6K+356Gu6K6k6KGM5Yqo6aG5?=",
            "Date: Thu, 10 Dec 2026 08:40:00 +0800",
            "Message-ID: <mailbot.confirm.A-12.20261210@corp.example>",
            "Auto-Submitted: auto-generated",
            "X-Auto-Response-Suppress: All",
        ]
    )
    write(
        "postfix_dsn_bounce.eml",
        head(
            [
                "Return-Path: <>",
                "Date: Thu, 10 Dec 2026 08:40:02 +0800 (CST)",
                "From: MAILER-DAEMON@smtp.corp.example (Mail Delivery System)",
                "Subject: Undelivered Mail Returned to Sender",
                "To: mailbot@corp.example",
                "Auto-Submitted: auto-replied",
                "MIME-Version: 1.0",
                f'Content-Type: multipart/report; report-type=delivery-status;\n\tboundary="{boundary}"',
                "Content-Transfer-Encoding: 8bit",
                "Message-Id: <20261210004002.4Zs8Vb2MnQz6pRt@smtp.corp.example>",
            ]
        )
        + b"\r\nThis is a MIME-encapsulated message.\r\n\r\n"
        + f"--{boundary}\r\nContent-Description: Notification\r\n".encode()
        + b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        + crlf(
            "This is the mail system at host smtp.corp.example.\n\nI'm sorry to have to inform you that your message"
            " could not\nbe delivered to one or more recipients. It's attached below.\n\n"
            "<former.employee@corp.example>: host mx.corp.example[10.20.0.5] said: 550 5.1.1\n"
            "    <former.employee@corp.example>: Recipient address rejected: User unknown\n\n"
        ).encode()
        + f"--{boundary}\r\nContent-Description: Delivery report\r\n".encode()
        + b"Content-Type: message/delivery-status\r\n\r\n"
        + crlf(
            "Reporting-MTA: dns; smtp.corp.example\nX-Postfix-Queue-ID: 4Zs8Vb2MnQz6pRt\n"
            "Arrival-Date: Thu, 10 Dec 2026 08:40:00 +0800 (CST)\n\n"
            "Final-Recipient: rfc822; former.employee@corp.example\n"
            "Original-Recipient: rfc822;former.employee@corp.example\n"
            "Action: failed\nStatus: 5.1.1\nRemote-MTA: dns; mx.corp.example\n"
            "Diagnostic-Code: smtp; 550 5.1.1 <former.employee@corp.example>: Recipient\n"
            "    address rejected: User unknown\n\n"
        ).encode()
        + f"--{boundary}\r\nContent-Description: Undelivered Message Headers\r\n".encode()
        + b"Content-Type: text/rfc822-headers\r\n\r\n"
        + original
        + f"\r\n--{boundary}--\r\n".encode(),
    )


def main() -> None:
    make_foxmail_agenda()
    make_outlook_minutes()
    make_qq_minutes()
    make_apple_agenda()
    make_gmail_minutes()
    make_netease_minutes()
    make_outlook_en_tsv()
    make_problems()
    make_broken()
    make_auto()


if __name__ == "__main__":
    main()
