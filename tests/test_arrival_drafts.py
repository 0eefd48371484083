"""Agendas and minutes however they arrive: a reply in the sender's own thread, a forward from
any client, a message attached whole. The body decides what a mail is, not its subject prefix;
a mail that answers one of OUR mails stays a reply.

The mails are built here the way each client writes them: header blocks, separators, charset
labels (Outlook's `gb2312` on GBK bytes), text and HTML alternatives, HTML-only web mail,
`message/rfc822` attachments. The drafts inside are the fixtures' own bodies (tests/mails/).
"""

from __future__ import annotations

import email
import html as html_lib
from datetime import date, datetime
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr

from sqlalchemy import select

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.message import InboundMail as ParsedMail
from mailbot.pipeline import Processed, process
from mailbot.store.models import Meeting, MinutesVersion
from tests.helpers import MAILS, SHANGHAI, actions, at, feed, meetings, outbox
from tests.replying import reply as reply_to_ours

BOT = "minutes@corp.example"
PEOPLE = {
    "li.na": "李娜",
    "wang.fang": "王芳",
    "zhang.wei": "张伟",
    "chen.zhe": "陈喆",
    "liu.yang": "刘洋",
    "zhao.min": "赵敏",
    "sun.lei": "孙磊",
    "zhou.ting": "周婷",
    "zhu.rong": "朱镕",
}
EN_NAMES = {
    "li.na": "Li Na",
    "wang.fang": "Wang Fang",
    "zhang.wei": "Zhang Wei",
    "chen.zhe": "Chen Zhe",
    "liu.yang": "Liu Yang",
    "zhao.min": "Zhao Min",
    "sun.lei": "Sun Lei",
    "zhou.ting": "Zhou Ting",
}

Q1 = "Q1 新品上市跨部门协作会"
EAST = "华东区渠道价格体系协调会"
COMPLAINTS = "客户投诉响应流程协调会"
BUDGET = "Q1 Launch Budget Review"
ESCALATION = "Customer Complaint Escalation Review"

# Meeting 1 in the line form: three actions, every owner with an address.
ZH_DRAFT = """会议名称：Q1 新品上市跨部门协作会
会议日期：2026-12-02
会议时间：2026年12月2日 14:00-16:00
会议地点：总部3楼第一会议室
主持人：市场部 李娜 <li.na@corp.example>
记录人：行政部 王芳 <wang.fang@corp.example>
参会人员：市场部 李娜、张伟；研发部 陈喆；销售部 赵敏

一、议程
1. 产品推广与技术支持协作流程（负责人：李娜，30分钟）
2. 销售提成预算分配方案（负责人：赵敏，30分钟）

二、决议事项
1. 新品上市日期定为2027年1月18日。

三、行动项
- 输出新品推广活动方案初稿；负责人：市场部 张伟 <zhang.wei@corp.example>；配合：研发部；截止：2026-12-15；交付：方案初稿 PDF
- 提供产品功能亮点说明；负责人：研发部 陈喆 <chen.zhe@corp.example>；配合：市场部；截止：2026-12-10；交付：功能亮点说明文档
- 制定销售培训计划；负责人：销售部 赵敏 <zhao.min@corp.example>；配合：市场部、研发部；截止：12月18日；交付：培训计划及课件
"""


def fixture(name: str) -> ParsedMail:
    return ParsedMail.from_bytes((MAILS / name).read_bytes())


def person(key: str, *, english: bool = False) -> tuple[str, str]:
    return (EN_NAMES if english else PEOPLE)[key], f"{key}@corp.example"


def header_value(value: str, charset: str) -> str | Header:
    return value if value.isascii() else Header(value, charset)


def addresses(keys: list[str], charset: str, *, english: bool = False) -> str:
    parts = []
    for key in keys:
        name, address = person(key, english=english)
        parts.append(formataddr((name, address), charset=charset))
    return ", ".join(parts)


def html_of(text: str, *, line: str = "<div>{}</div>") -> str:
    """Each line as the clients' editors write it (one block per line, &nbsp; for blank ones)."""
    return "".join(line.format(html_lib.escape(t) if t.strip() else "&nbsp;") for t in text.splitlines())


def mail(
    subject: str,
    sender: str,
    text: str | None,
    html: str | None = None,
    *,
    when: str,
    charset: str = "utf-8",
    to: tuple[str, ...] = (),
    cc: tuple[str, ...] = (),
    english: bool = False,
    message_id: str,
    in_reply_to: str | None = None,
    references: str | None = None,
    mailer: str | None = None,
    attached: list[MIMEBase] | None = None,
    gb2312_label: bool = False,
    to_bot: bool = True,
) -> bytes:
    """One mail as a client sends it; `gb2312_label` writes Outlook's lying label on GBK bytes."""
    parts: list[MIMEBase] = []
    if text is not None:
        parts.append(MIMEText(text, "plain", charset))
    if html is not None:
        parts.append(MIMEText(f"<html><body>{html}</body></html>", "html", charset))
    body: MIMEBase = parts[0] if len(parts) == 1 else MIMEMultipart("alternative", _subparts=parts)
    if attached:
        body = MIMEMultipart("mixed", _subparts=[body, *attached])
    name, address = person(sender, english=english)
    body["From"] = formataddr((name, address), charset=charset)
    recipients = [BOT] if to_bot else []
    body["To"] = ", ".join(recipients + ([addresses(list(to), charset, english=english)] if to else []))
    if cc:
        body["Cc"] = addresses(list(cc), charset, english=english)
    body["Subject"] = header_value(subject, charset)
    body["Date"] = format_datetime(datetime.fromisoformat(when).replace(tzinfo=SHANGHAI))
    body["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        body["In-Reply-To"] = f"<{in_reply_to}>"
        body["References"] = references or f"<{in_reply_to}>"
    if mailer:
        body["X-Mailer"] = mailer
    raw = body.as_bytes()
    if gb2312_label:
        raw = raw.replace(b"=?gbk?", b"=?gb2312?").replace(b'charset="gbk"', b'charset="gb2312"')
    return raw


def attached_message(raw: bytes, filename: str) -> MIMEBase:
    part = MIMEMessage(email.message_from_bytes(raw))
    part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", filename))
    return part


def versions(app: App, title: str) -> list[tuple[int, str]]:
    with app.db.session() as session:
        meeting_id = session.scalar(select(Meeting.id).where(Meeting.title == title))
        rows = session.scalars(
            select(MinutesVersion).where(MinutesVersion.meeting_id == meeting_id).order_by(MinutesVersion.number)
        )
        return [(v.number, v.status) for v in rows]


def the_meeting(app: App, title: str) -> Meeting:
    (meeting,) = [m for m in meetings(app) if m.title == title]
    return meeting


def answer_kinds(app: App, to: str) -> list[str]:
    return [m.kind for m in outbox(app) if m.to_address == to]


def open_actions(app: App, title: str) -> list[tuple[str, str, date]]:
    meeting = the_meeting(app, title)
    return [
        (a.ref, a.owner_address, a.due) for a in actions(app) if a.meeting_id == meeting.id and a.status != "cancelled"
    ]


def assert_minutes(
    app: App, result: Processed, *, title: str, day: date, count: int, version: int, sender: str
) -> None:
    assert (result.kind, result.outcome) == ("minutes", "processed"), result.error
    meeting = the_meeting(app, title)
    assert meeting.meeting_date == day
    assert len(open_actions(app, title)) == count
    assert versions(app, title)[-1] == (version, "active")
    assert [v for v in versions(app, title) if v[1] == "active"] == [(version, "active")]
    acks = [m for m in outbox(app, "minutes_ack") if m.meeting_id == meeting.id]
    assert acks and acks[-1].to_address == sender
    assert f"第 {version} 版" in acks[-1].subject or f"minutes v{version} received" in acks[-1].subject


def zh_quote_outlook(original: ParsedMail, when: str) -> str:
    """Outlook zh quoting an earlier mail (reply or forward): the -----原始邮件----- block."""
    to = "; ".join(f"{a.name} <{a.address}>" for a in original.to)
    return (
        f"-----原始邮件-----\n发件人: {original.sender.name} <{original.sender.address}>\n"  # type: ignore[union-attr]
        f"发送时间: {when}\n收件人: {to}\n主题: {original.subject}\n\n{original.text}"
    )


# --- replies in the sender's own thread ----------------------------------------------------------


def test_outlook_zh_answer_in_the_recorders_own_thread_is_a_new_version(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    assert feed(app, "outlook_zh_minutes_gbk_html.eml").outcome == "processed"
    original = fixture("outlook_zh_minutes_gbk_html.eml")
    at(clock, "2026-12-03 09:30")
    text = "各位好，纪要更正如下（去掉了第4项，已并入财务部例会）：\n\n" + ZH_DRAFT + "\n王芳\n行政部\n\n"
    text += zh_quote_outlook(original, "2026年12月2日 17:32")
    raw = mail(
        "答复: " + original.subject, "wang.fang", text, html_of(text, line="<p class=MsoNormal>{}<o:p></o:p></p>"),
        when="2026-12-03 09:28", charset="gbk", gb2312_label=True, cc=("li.na", "zhang.wei", "chen.zhe", "zhao.min"),
        message_id="003201db6571$aa10b3c0$fe321b40$@corp.example", in_reply_to=original.message_id,
        mailer="Microsoft Outlook 16.0",
    )  # fmt: skip
    result = process(app, raw)
    assert_minutes(app, result, title=Q1, day=date(2026, 12, 2), count=3, version=2, sender="wang.fang@corp.example")
    # The refs people have seen are kept; the dropped action is cancelled, not left open.
    assert [r for r, _, _ in open_actions(app, Q1)] == ["A-1", "A-2", "A-3"]


def test_outlook_en_RE_in_the_recorders_own_thread_is_a_new_version(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-09 16:10")
    assert feed(app, "outlook_en_minutes_tsv.eml").outcome == "processed"
    original = fixture("outlook_en_minutes_tsv.eml")
    corrected = original.text.replace("Dec 18\t", "Dec 21\t").replace(
        "Hi all,", "Hi all,\n\nCorrection: the on-call rota is due on Dec 21, not Dec 18."
    )
    quote = (
        "________________________________\nFrom: Wang Fang <wang.fang@corp.example>\n"
        "Sent: Wednesday, December 9, 2026 4:05 PM\n"
        "To: Chen Zhe <chen.zhe@corp.example>; Zhang Wei <zhang.wei@corp.example>; "
        "Liu Yang <liu.yang@corp.example>; Zhou Ting <zhou.ting@corp.example>\n"
        f"Subject: {original.subject}\n\n{original.text}"
    )
    at(clock, "2026-12-09 17:00")
    raw = mail(
        "RE: " + original.subject, "wang.fang", corrected + "\n" + quote, english=True, charset="us-ascii",
        when="2026-12-09 16:58", cc=("chen.zhe", "zhang.wei", "liu.yang", "zhou.ting"),
        message_id="002901db6b36$0c1d2e30$24575890$@corp.example", in_reply_to=original.message_id,
        mailer="Microsoft Outlook 16.0",
    )  # fmt: skip
    result = process(app, raw)
    assert_minutes(
        app, result, title=ESCALATION, day=date(2026, 12, 9), count=3, version=2, sender="wang.fang@corp.example"
    )
    assert ("A-2", "liu.yang@corp.example", date(2026, 12, 21)) in open_actions(app, ESCALATION)


def test_foxmail_回复_in_the_recorders_own_thread_is_a_new_version(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-03 18:10")
    assert feed(app, "qq_zh_minutes_utf8_lines.eml").outcome == "processed"
    original = fixture("qq_zh_minutes_utf8_lines.eml")
    corrected = original.text.replace("截止：2026/12/10", "截止：2026/12/11")
    quote = (
        '------------------ 原始邮件 ------------------\n发件人: "孙磊"<sun.lei@corp.example>;\n'
        "发送时间: 2026年12月3日(星期四) 晚上6:05\n"
        '收件人: "赵敏"<zhao.min@corp.example>;"张伟"<zhang.wei@corp.example>;"周婷"<zhou.ting@corp.example>;\n'
        f"主题: {original.subject}\n\n{original.text}"
    )
    at(clock, "2026-12-04 08:40")
    text = "更正：返点成本核算截止改为12月11日。\n\n" + corrected + "\n" + quote
    raw = mail(
        "回复：" + original.subject, "sun.lei", text, html_of(text), when="2026-12-04 08:37", charset="gbk",
        to=("zhao.min", "zhang.wei", "zhou.ting", "liu.yang", "li.na"), message_id="tencent_5F1C2A9B@qq.com",
        in_reply_to=original.message_id, mailer="Foxmail 7.2.25.228[cn]",
    )  # fmt: skip
    result = process(app, raw)
    assert_minutes(app, result, title=EAST, day=date(2026, 12, 3), count=5, version=2, sender="sun.lei@corp.example")
    assert ("A-3", "zhou.ting@corp.example", date(2026, 12, 11)) in open_actions(app, EAST)


def test_gmail_zh_Re_in_the_recorders_own_thread_is_the_first_version(app: App, clock: FixedClock) -> None:
    """She sent the minutes to the attendees only, then replied to her own mail adding the bot."""
    original = fixture("netease_zh_minutes_block.eml")
    quoted = "\n".join("> " + line for line in original.text.splitlines())
    text = (
        "补发给纪要机器人，内容同上一封：\n\n" + original.text.split("附上12月4日客户投诉响应流程协调会纪要，请审阅。\n\n")[1]
        + "\n在 2026年12月4日周五 17:12，王芳 <wang.fang@corp.example> 写道：\n\n" + quoted + "\n"
    )  # fmt: skip
    at(clock, "2026-12-04 17:40")
    raw = mail(
        "Re: " + original.subject, "wang.fang", text, html_of(text), when="2026-12-04 17:38",
        cc=("chen.zhe", "liu.yang", "zhang.wei", "sun.lei", "zhao.min"),
        message_id="CAF8x2kZ0q+Y1mN@mail.gmail.com", in_reply_to=original.message_id or "",
    )  # fmt: skip
    result = process(app, raw)
    assert_minutes(
        app, result, title=COMPLAINTS, day=date(2026, 12, 4), count=4, version=1, sender="wang.fang@corp.example"
    )


def test_Re_Minutes_colon_thunderbird_reply_to_herself(app: App, clock: FixedClock) -> None:
    """The issue's own example: "Re: Minutes: …", the corrected draft above her earlier one."""
    original = fixture("gmail_en_minutes_markdown.eml")
    earlier = original.text.replace("| Dec 16 |", "| Dec 15 |")
    quoted = "\n".join("> " + line for line in earlier.splitlines())
    text = original.text + "\nOn 12/7/26 7:40 PM, Li Na wrote:\n" + quoted + "\n"
    at(clock, "2026-12-07 20:00")
    raw = mail(
        f"Re: Minutes: {BUDGET}", "li.na", text, when="2026-12-07 19:58", english=True, charset="utf-8",
        to=("zhou.ting", "zhang.wei", "zhao.min", "chen.zhe"), message_id="0b6f1c2e-9d7a-4f1e@corp.example",
        in_reply_to="5d3c2b1a-earlier@corp.example", mailer="Mozilla Thunderbird",
    )  # fmt: skip
    result = process(app, raw)
    assert_minutes(app, result, title=BUDGET, day=date(2026, 12, 7), count=4, version=1, sender="li.na@corp.example")
    # Only what she wrote above the quote: Dec 16, not the quoted Dec 15.
    assert ("A-2", "zhao.min@corp.example", date(2026, 12, 16)) in open_actions(app, BUDGET)


def test_Re_bracket_Minutes_resend_supersedes_the_fresh_one(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-07 20:00")
    assert feed(app, "gmail_en_minutes_markdown.eml").outcome == "processed"
    original = fixture("gmail_en_minutes_markdown.eml")
    corrected = original.text.replace("| 2026-12-14 |", "| 2026-12-15 |")
    quoted = "\n".join("> " + line for line in original.text.splitlines())
    text = corrected + "\n\nOn Mon, Dec 7, 2026 at 7:52 PM Li Na <li.na@corp.example> wrote:\n\n" + quoted + "\n"
    at(clock, "2026-12-07 21:00")
    raw = mail(
        "Re: " + original.subject, "li.na", text, html_of(text), when="2026-12-07 20:55", english=True,
        to=("zhou.ting", "zhang.wei", "zhao.min", "chen.zhe"), message_id="CAHx7p0Q2@mail.gmail.com",
        in_reply_to=original.message_id,
    )  # fmt: skip
    assert ParsedMail.from_bytes(raw).subject.startswith("Re: [Minutes] ")
    result = process(app, raw)
    assert_minutes(app, result, title=BUDGET, day=date(2026, 12, 7), count=4, version=2, sender="li.na@corp.example")
    assert ("A-1", "zhou.ting@corp.example", date(2026, 12, 15)) in open_actions(app, BUDGET)


def test_apple_mail_Re_Agenda_corrected_agenda_in_own_thread(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-03 21:45")
    assert feed(app, "apple_mail_en_agenda_flowed.eml").outcome == "processed"
    original = fixture("apple_mail_en_agenda_flowed.eml")
    corrected = original.text.split("\n-- \n")[0].replace("Time: 10:00-11:30", "Time: 14:00-15:30")
    quoted = "\n".join("> " + line for line in original.text.splitlines())
    text = (
        "Sorry, the room is taken in the morning: we meet at 14:00.\n\n" + corrected
        + "\n\n> On 3 Dec 2026, at 21:40, Zhou Ting <zhou.ting@corp.example> wrote:\n> \n" + quoted + "\n"
    )  # fmt: skip
    at(clock, "2026-12-03 22:05")
    raw = mail(
        "Re: " + original.subject, "zhou.ting", text, when="2026-12-03 22:01", english=True,
        to=("li.na", "zhang.wei", "zhao.min", "chen.zhe", "wang.fang"), message_id="7A1B3C5D-APPLE@corp.example",
        in_reply_to=original.message_id, mailer="Apple Mail (2.3774.300.61.1.2)",
    )  # fmt: skip
    result = process(app, raw)
    assert (result.kind, result.outcome) == ("agenda", "processed"), result.error
    meeting = the_meeting(app, BUDGET)
    assert meeting.meeting_date == date(2026, 12, 7)
    assert meeting.start_time is not None and meeting.start_time.hour == 14
    assert len(meeting.topics) == 3
    assert answer_kinds(app, "zhou.ting@corp.example").count("agenda_ack") == 2


# --- forwards -------------------------------------------------------------------------------------


def outlook_zh_forward_text(original: ParsedMail, note: str) -> str:
    """Outlook 2016+ zh: a rule line, then 发件人/发送时间/收件人/抄送/主题, then the original."""
    to = "; ".join(f"{a.name} <{a.address}>" for a in original.to)
    return (
        f"{note}\n\n________________________________\n"
        f"发件人: {original.sender.name} <{original.sender.address}>\n"  # type: ignore[union-attr]
        f"发送时间: 2026年12月3日 9:12\n收件人: {to}\n主题: {original.subject}\n\n{original.text}"
    )


def test_outlook_zh_转发_by_the_host_is_read_past_the_header_block(app: App, clock: FixedClock) -> None:
    original = fixture("outlook_zh_minutes_gbk_html.eml")
    note = "王芳发的纪要，转给机器人跟进。"
    text = outlook_zh_forward_text(original, note)
    html_body = (
        f"<div class=WordSection1><p class=MsoNormal>{note}<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p>"
        "<div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'><p class=MsoNormal>"
        "<b>发件人<span lang=EN-US>:</span></b><span lang=EN-US> </span>王芳 <span lang=EN-US>"
        "&lt;wang.fang@corp.example&gt; <br></span><b>发送时间<span lang=EN-US>:</span></b><span lang=EN-US> 2026"
        "</span>年<span lang=EN-US>12</span>月<span lang=EN-US>3</span>日<span lang=EN-US> 9:12<br></span>"
        f"<b>主题<span lang=EN-US>:</span></b> {html_lib.escape(original.subject)}<o:p></o:p></p></div>"
        f"{original.html}</div>"
    )
    at(clock, "2026-12-03 09:20")
    raw = mail(
        "转发: " + original.subject, "li.na", text, html_body, when="2026-12-03 09:15", charset="gbk",
        gb2312_label=True, message_id="004a01db6571$5b2e8d30$1183a790$@corp.example", mailer="Microsoft Outlook 16.0",
    )  # fmt: skip
    result = process(app, raw)
    # The owners are named without addresses: the forwarded header block's 收件人 tell who they are.
    assert_minutes(app, result, title=Q1, day=date(2026, 12, 2), count=4, version=1, sender="li.na@corp.example")
    assert answer_kinds(app, "li.na@corp.example")[0] == "minutes_ack"  # then the host's notice


def test_outlook_zh_原始邮件_forward_by_the_recorder(app: App, clock: FixedClock) -> None:
    sent = mail(
        f"【纪要】{Q1}", "wang.fang", ZH_DRAFT, when="2026-12-02 17:32", charset="gbk", to_bot=False,
        to=("li.na", "zhang.wei", "chen.zhe", "zhao.min"), message_id="draft-1@corp.example",
    )  # fmt: skip
    original = ParsedMail.from_bytes(sent)
    text = "发给机器人存档。\n\n" + zh_quote_outlook(original, "2026年12月2日 17:32")
    at(clock, "2026-12-02 18:00")
    raw = mail(
        "转发: " + original.subject, "wang.fang", text, when="2026-12-02 17:58", charset="gbk", gb2312_label=True,
        message_id="005b01db64ab$1f2e3d40$5d8cb7c0$@corp.example", mailer="Microsoft Outlook 16.0",
    )  # fmt: skip
    result = process(app, raw)
    assert_minutes(app, result, title=Q1, day=date(2026, 12, 2), count=3, version=1, sender="wang.fang@corp.example")
    meeting = the_meeting(app, Q1)
    assert meeting.host_address == "li.na@corp.example" and meeting.recorder_address == "wang.fang@corp.example"


def test_outlook_en_FW_with_a_later_sent_date_keeps_the_meeting_date(app: App, clock: FixedClock) -> None:
    original = fixture("outlook_en_minutes_tsv.eml")
    text = (
        "Please track these.\n\nChen Zhe\n\n________________________________\n"
        "From: Wang Fang <wang.fang@corp.example>\nSent: Thursday, December 10, 2026 9:15 AM\n"
        "To: Chen Zhe <chen.zhe@corp.example>; Zhang Wei <zhang.wei@corp.example>; Liu Yang <liu.yang@corp.example>; "
        "Zhou Ting <zhou.ting@corp.example>\n"
        f"Subject: {original.subject}\n\n{original.text}"
    )
    at(clock, "2026-12-10 09:30")
    raw = mail(
        "FW: " + original.subject, "chen.zhe", text, when="2026-12-10 09:25", english=True, charset="us-ascii",
        message_id="00a101db6bc1$77aa3b10$66feb130$@corp.example", mailer="Microsoft Outlook 16.0",
    )  # fmt: skip
    result = process(app, raw)
    assert_minutes(
        app, result, title=ESCALATION, day=date(2026, 12, 9), count=3, version=1, sender="chen.zhe@corp.example"
    )


def gmail_forward(original: ParsedMail, note: str, sent: str) -> tuple[str, str]:
    to = ", ".join(f"{a.name} <{a.address}>" for a in original.to)
    sender = original.sender
    assert sender is not None
    text = (
        f"{note}\n\n---------- Forwarded message ---------\nFrom: {sender.name} <{sender.address}>\n"
        f"Date: {sent}\nSubject: {original.subject}\nTo: {to}\n\n\n{original.text}"
    )
    html_body = (
        f'<div dir="ltr">{html_lib.escape(note)}<br><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
        f'---------- Forwarded message ---------<br>From: <strong class="gmail_sendername" dir="auto">{sender.name}'
        f'</strong> <span dir="auto">&lt;<a href="mailto:{sender.address}">{sender.address}</a>&gt;</span><br>'
        f"Date: {sent}<br>Subject: {html_lib.escape(original.subject)}<br>To: {html_lib.escape(to)}<br></div><br><br>"
        f"{original.html}</div></div>"
    )
    return text, html_body


def test_gmail_Fwd_whose_header_date_is_not_the_meetings(app: App, clock: FixedClock) -> None:
    original = fixture("gmail_en_minutes_markdown.eml")
    text, html_body = gmail_forward(original, "Forwarding Li Na's minutes to the bot.", "Tue, Dec 8, 2026 at 9:03 AM")
    at(clock, "2026-12-08 09:30")
    raw = mail(
        "Fwd: " + original.subject, "zhou.ting", text, html_body, when="2026-12-08 09:28", english=True,
        message_id="CAJ9v+fwd01@mail.gmail.com",
    )  # fmt: skip
    result = process(app, raw)
    # The meeting is the draft's 2026-12-07, not the forwarded header's "Date: Tue, Dec 8".
    assert_minutes(
        app, result, title=BUDGET, day=date(2026, 12, 7), count=4, version=1, sender="zhou.ting@corp.example"
    )
    # The forwarded header's From (Li Na) is no attendee by being there: the draft's list decides.
    meeting = the_meeting(app, BUDGET)
    assert meeting.recorder_address == "li.na@corp.example"
    assert "sun.lei@corp.example" not in (meeting.attendees or [])


def foxmail_forward(original: ParsedMail, note: str) -> str:
    to = "".join(f'"{a.name}"<{a.address}>;' for a in original.to)
    sender = original.sender
    assert sender is not None
    return (
        f"{note}\n\n\n------------------ 原始邮件 ------------------\n"
        f'发件人: "{sender.name}"<{sender.address}>;\n发送时间: 2026年12月3日(星期四) 晚上6:05\n'
        f"收件人: {to}\n\n主题: {original.subject}\n\n\n\n{original.text}"
    )


def test_foxmail_转发_gbk_by_the_host(app: App, clock: FixedClock) -> None:
    original = fixture("qq_zh_minutes_utf8_lines.eml")
    text = foxmail_forward(original, "孙磊的纪要，请跟进。")
    at(clock, "2026-12-04 10:00")
    raw = mail(
        "转发：" + original.subject, "zhao.min", text, html_of(text), when="2026-12-04 09:55", charset="gbk",
        message_id="tencent_8C2D4E6F@qq.com", mailer="Foxmail 7.2.25.228[cn]",
    )  # fmt: skip
    result = process(app, raw)
    assert_minutes(app, result, title=EAST, day=date(2026, 12, 3), count=5, version=1, sender="zhao.min@corp.example")


def test_qq_mail_转发_html_only(app: App, clock: FixedClock) -> None:
    html_body = (
        "<div>李总，王芳的纪要转给机器人。</div><div><br></div><div><br></div>"
        '<div style="font-size: 12px;font-family: Arial Narrow;padding:2px 0 2px 0;">'
        "------------------&nbsp;原始邮件&nbsp;------------------</div>"
        '<div style="font-size: 12px;background:#efefef;padding:8px;">'
        '<div><b>发件人:</b>&nbsp;"王芳"&lt;wang.fang@corp.example&gt;;</div>'
        "<div><b>发送时间:</b>&nbsp;2026年12月5日(星期六) 上午10:12</div>"
        '<div><b>收件人:</b>&nbsp;"李娜"&lt;li.na@corp.example&gt;;</div><div></div>'
        f"<div><b>主题:</b>&nbsp;【纪要】{Q1}</div></div><div><br></div>" + html_of(ZH_DRAFT)
    )
    at(clock, "2026-12-05 10:30")
    raw = mail(
        f"转发：【纪要】{Q1}", "li.na", None, html_body, when="2026-12-05 10:26", message_id="tencent_0A1B2C3D@qq.com",
    )  # fmt: skip
    result = process(app, raw)
    assert_minutes(app, result, title=Q1, day=date(2026, 12, 2), count=3, version=1, sender="li.na@corp.example")


def test_apple_mail_Fwd_agenda_header_date_is_not_the_meeting_date(app: App, clock: FixedClock) -> None:
    original = fixture("apple_mail_en_agenda_flowed.eml")
    text = (
        "For the bot, so the invitations go out.\n\nLi Na\n\nBegin forwarded message:\n\n"
        "From: Zhou Ting <zhou.ting@corp.example>\nSubject: " + original.subject + "\n"
        "Date: 3 December 2026 at 21:40:03 GMT+8\n"
        "To: Li Na <li.na@corp.example>, Zhang Wei <zhang.wei@corp.example>, Zhao Min <zhao.min@corp.example>, "
        "Chen Zhe <chen.zhe@corp.example>, Wang Fang <wang.fang@corp.example>\n\n" + original.text
    )
    at(clock, "2026-12-04 08:00")
    raw = mail(
        "Fwd: " + original.subject, "li.na", text, when="2026-12-04 07:58", english=True,
        message_id="3E5F7A9B-FWD@corp.example", mailer="Apple Mail (2.3774.300.61.1.2)",
    )  # fmt: skip
    result = process(app, raw)
    assert (result.kind, result.outcome) == ("agenda", "processed"), result.error
    meeting = the_meeting(app, BUDGET)
    assert meeting.meeting_date == date(2026, 12, 7)  # the draft's Date:, not the header block's
    assert meeting.host_address == "zhou.ting@corp.example"
    assert len(meeting.topics) == 3
    assert answer_kinds(app, "li.na@corp.example") == ["agenda_ack"]


def test_thunderbird_Fwd_forwarded_message_block(app: App, clock: FixedClock) -> None:
    original = fixture("netease_zh_minutes_block.eml")
    to = ", ".join(f"{a.name} <{a.address}>" for a in original.to)
    text = (
        "转给机器人跟踪。\n\n-------- Forwarded Message --------\n"
        f"Subject: \t{original.subject}\nDate: \tFri, 4 Dec 2026 17:12:03 +0800\n"
        f"From: \t王芳 <wang.fang@corp.example>\nTo: \t{to}\n\n\n\n{original.text}"
    )
    at(clock, "2026-12-04 18:00")
    raw = mail(
        "Fwd: " + original.subject, "chen.zhe", text, when="2026-12-04 17:55",
        message_id="b1c2d3e4-fwd@corp.example", mailer="Mozilla Thunderbird",
    )  # fmt: skip
    result = process(app, raw)
    assert_minutes(
        app, result, title=COMPLAINTS, day=date(2026, 12, 4), count=4, version=1, sender="chen.zhe@corp.example"
    )


def test_outlook_FW_of_a_gmail_Fwd_nested_forward(app: App, clock: FixedClock) -> None:
    original = fixture("gmail_en_minutes_markdown.eml")
    inner, _ = gmail_forward(original, "FYI", "Mon, Dec 7, 2026 at 7:55 PM")
    text = (
        "Bot, please track.\n\n________________________________\nFrom: Zhang Wei <zhang.wei@corp.example>\n"
        "Sent: Tuesday, December 8, 2026 8:40 AM\nTo: Zhou Ting <zhou.ting@corp.example>\n"
        f"Subject: Fwd: {original.subject}\n\n{inner}"
    )
    at(clock, "2026-12-08 09:00")
    raw = mail(
        f"FW: Fwd: {original.subject}", "zhou.ting", text, when="2026-12-08 08:58", english=True,
        message_id="00c101db695a$0b1c2d30$213c4d50$@corp.example", mailer="Microsoft Outlook 16.0",
    )  # fmt: skip
    result = process(app, raw)
    assert_minutes(
        app, result, title=BUDGET, day=date(2026, 12, 7), count=4, version=1, sender="zhou.ting@corp.example"
    )


def test_outlook_zh_FW_of_a_foxmail_agenda(app: App, clock: FixedClock) -> None:
    original = fixture("foxmail_zh_agenda_gbk.eml")
    text = outlook_zh_forward_text(original, "李总的议程，转给机器人发通知。")
    at(clock, "2026-11-30 09:40")
    raw = mail(
        "FW: " + original.subject, "wang.fang", text, when="2026-11-30 09:35", charset="gbk", gb2312_label=True,
        message_id="001c01db62f0$6a7b8c90$3f72a5b0$@corp.example", mailer="Microsoft Outlook 16.0",
    )  # fmt: skip
    result = process(app, raw)
    assert (result.kind, result.outcome) == ("agenda", "processed"), result.error
    meeting = the_meeting(app, Q1)
    assert meeting.meeting_date == date(2026, 12, 2)
    assert meeting.host_address == "li.na@corp.example"
    assert len(meeting.topics) == 4
    assert answer_kinds(app, "wang.fang@corp.example") == ["agenda_ack"]


# --- a draft attached as a message ---------------------------------------------------------------


def test_outlook_forward_as_attachment_message_rfc822(app: App, clock: FixedClock) -> None:
    inner = (MAILS / "outlook_zh_minutes_gbk_html.eml").read_bytes()
    subject = fixture("outlook_zh_minutes_gbk_html.eml").subject
    at(clock, "2026-12-03 09:20")
    raw = mail(
        "FW: " + subject, "li.na", "纪要见附件。\n\n李娜\n", when="2026-12-03 09:18", charset="gbk", gb2312_label=True,
        message_id="006d01db6572$1a2b3c40$4e5f6070$@corp.example", mailer="Microsoft Outlook 16.0",
        attached=[attached_message(inner, subject + ".eml")],
    )  # fmt: skip
    result = process(app, raw)
    # Read from the attached mail's Word HTML tables: four actions, owners from its own headers.
    assert_minutes(app, result, title=Q1, day=date(2026, 12, 2), count=4, version=1, sender="li.na@corp.example")
    assert ("A-4", "zhu.rong@corp.example", date(2026, 12, 31)) in open_actions(app, Q1)


def test_an_attached_eml_under_a_plain_subject(app: App, clock: FixedClock) -> None:
    inner = (MAILS / "qq_zh_minutes_utf8_lines.eml").read_bytes()
    at(clock, "2026-12-04 10:00")
    raw = mail(
        "华东区会议纪要", "zhao.min", "纪要原件附上，请处理。\n", when="2026-12-04 09:58",
        message_id="tencent_AA11BB22@qq.com", attached=[attached_message(inner, "华东区渠道价格体系协调会纪要.eml")],
    )  # fmt: skip
    result = process(app, raw)
    assert_minutes(app, result, title=EAST, day=date(2026, 12, 3), count=5, version=1, sender="zhao.min@corp.example")


# --- versions, and what must stay a reply ---------------------------------------------------------


def test_a_forward_of_the_same_minutes_by_the_host_supersedes_like_a_fresh_resend(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    assert feed(app, "outlook_zh_minutes_gbk_html.eml").outcome == "processed"
    refs = [r for r, _, _ in open_actions(app, Q1)]
    original = fixture("outlook_zh_minutes_gbk_html.eml")
    text = outlook_zh_forward_text(original, "更正：朱镕的核算截止提前到12月30日。").replace("2026-12-31", "2026-12-30")
    at(clock, "2026-12-03 09:20")
    raw = mail(
        "转发: " + original.subject, "li.na", text, when="2026-12-03 09:15", charset="gbk", gb2312_label=True,
        message_id="007e01db6572$2b3c4d50$5f607180$@corp.example", mailer="Microsoft Outlook 16.0",
    )  # fmt: skip
    result = process(app, raw)
    assert_minutes(app, result, title=Q1, day=date(2026, 12, 2), count=4, version=2, sender="li.na@corp.example")
    assert versions(app, Q1) == [(1, "superseded"), (2, "active")]
    assert [r for r, _, _ in open_actions(app, Q1)] == refs
    assert ("A-4", "zhu.rong@corp.example", date(2026, 12, 30)) in open_actions(app, Q1)


def test_a_corrected_draft_in_reply_to_our_rejection_still_works(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-08 18:00")
    feed(app, "minutes_with_problems_zh.eml")
    (rejection,) = outbox(app, "minutes_rejected")
    corrected = (
        "各位好，已按要求修改：\n\n会议名称：12月营销活动复盘会\n会议日期：2026-12-08\n"
        "主持人：市场部 李娜 <li.na@corp.example>\n\n三、行动项\n"
        "- 整理活动数据复盘报告；负责人：市场部 张伟 <zhang.wei@corp.example>；截止：2026-12-15；交付：复盘报告\n"
        "- 补充渠道反馈意见；负责人：销售部 赵敏 <zhao.min@corp.example>；截止：12月20日\n\n王芳\n"
    )
    raw = reply_to_ours(app, rejection, corrected, style="outlook_zh", name="王芳")
    result = process(app, raw)
    assert_minutes(
        app, result, title="12月营销活动复盘会", day=date(2026, 12, 8), count=2, version=2,
        sender="wang.fang@corp.example",
    )  # fmt: skip
    assert [v[1] for v in versions(app, "12月营销活动复盘会")] == ["rejected", "active"]


def test_确认_in_reply_to_our_request_quoting_the_draft_stays_a_reply(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    request = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhang.wei@corp.example")
    original = fixture("outlook_zh_minutes_gbk_html.eml")
    # Above our request, he quotes the recorder's whole draft too: action lines and all.
    text = "确认\n\n张伟\n\n" + zh_quote_outlook(original, "2026年12月2日 17:32")
    at(clock, "2026-12-03 10:00")
    raw = reply_to_ours(app, request, text, style="outlook_zh", name="张伟")
    result = process(app, raw)
    assert result.kind == "reply" and result.outcome != "failed", result.error
    assert versions(app, Q1) == [(1, "active")]
    assert len(open_actions(app, Q1)) == 4
    assert answer_kinds(app, "zhang.wei@corp.example")[-1] == "reply_result"
    a1 = next(a for a in actions(app) if a.ref == "A-1")
    assert (a1.status, a1.consent) == ("accepted", "explicit")


def test_a_reply_all_quoting_the_draft_in_the_recorders_thread_is_no_new_version(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    original = fixture("outlook_zh_minutes_gbk_html.eml")
    text = "收到，谢谢王芳。\n\n李娜\n\n" + zh_quote_outlook(original, "2026年12月2日 17:32")
    at(clock, "2026-12-02 18:30")
    raw = mail(
        "答复: " + original.subject, "li.na", text, when="2026-12-02 18:28", charset="gbk", gb2312_label=True,
        to=("wang.fang",), cc=("zhang.wei", "chen.zhe"), message_id="008f01db64b0$3c4d5e60$6071a290$@corp.example",
        in_reply_to=original.message_id, mailer="Microsoft Outlook 16.0",
    )  # fmt: skip
    result = process(app, raw)
    assert result.kind != "minutes"
    assert versions(app, Q1) == [(1, "active")]
    assert "minutes_ack" not in answer_kinds(app, "li.na@corp.example")


def test_a_forward_of_our_own_minutes_notice_is_no_new_version(app: App, clock: FixedClock) -> None:
    """Our notices carry the whole minutes (title, action section): forwarded back, they are ours."""
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    notice = next(m for m in outbox(app, "minutes_notice") if m.to_address == "li.na@corp.example")
    text = (
        "这份纪要我这边看过了。\n\n________________________________\n发件人: Mailbot <minutes@corp.example>\n"
        f"发送时间: 2026年12月2日 18:01\n收件人: 李娜 <li.na@corp.example>\n主题: {notice.subject}\n\n"
        f"{notice.body_text}"
    )
    at(clock, "2026-12-02 19:00")
    raw = mail(
        "转发: " + notice.subject, "li.na", text, when="2026-12-02 18:58", charset="gbk", gb2312_label=True,
        message_id="009a01db64b4$4d5e6f70$e81b4a50$@corp.example", mailer="Microsoft Outlook 16.0",
    )  # fmt: skip
    result = process(app, raw)
    assert result.kind != "minutes"
    assert versions(app, Q1) == [(1, "active")]
    assert "minutes_ack" not in answer_kinds(app, "li.na@corp.example")


def test_our_own_notice_attached_whole_is_no_new_version(app: App, clock: FixedClock) -> None:
    from mailbot.outbox import build_message

    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    notice = next(m for m in outbox(app, "minutes_notice") if m.to_address == "li.na@corp.example")
    ours = build_message(notice, app.sender, app.now()).as_bytes()
    at(clock, "2026-12-02 19:00")
    raw = mail(
        "FW: " + notice.subject, "li.na", "见附件。\n", when="2026-12-02 18:58", charset="gbk", gb2312_label=True,
        message_id="00ab01db64b5$5e6f7080$f92c5b60$@corp.example", mailer="Microsoft Outlook 16.0",
        attached=[attached_message(ours, notice.subject + ".eml")],
    )  # fmt: skip
    result = process(app, raw)
    assert result.kind != "minutes"
    assert versions(app, Q1) == [(1, "active")]
