"""End-to-end story on real servers (issue 5, item 6): one meeting from agenda to Monday status.

Everything goes through the servers people use: the recorder's agenda and minutes and every
reply are sent over SMTP (aiosmtpd, relayed over LMTP into Dovecot) to the bot's mailbox; the
bot reads that mailbox over IMAP and sends over SMTP, exactly as the daemon's jobs do it; each
person reads what arrived in their own Dovecot mailbox, and answers the mail they received
(its Subject, Message-ID, Reply-To) the way their client writes a reply. Only the clock is
moved by hand, across a consent deadline, due dates and two Mondays.

The calendar (China's official one: November 2026 has no holiday and no adjusted weekend); the
daemon's jobs run at 09:30 and 17:30 every day in between, and every mailbox is read each evening:

    Tue 11-17  the agenda, for Fri 11-20 14:00-16:00; attendees get the notice and an .ics
    Sat 11-21  no minutes 24 hours after the meeting: the recorder is nudged
    Mon 11-23  08:30 the minutes: A-1 张伟 due 11-26, A-2 陈喆 due 12-18, A-3 赵敏 due 本月底前
               (11-30); confirmation requests to the owners, the minutes to the other parties
               09:30 the Monday status to all 6 parties
               10:00 张伟 confirms (Outlook zh), 陈喆 objects (Foxmail, GBK), 赵敏 asks for her
               status (Gmail en); the host gets the objection
    Tue 11-24  A-1 "before" reminder
    Wed 11-25  the last day of the confirmation round
    Thu 11-26  A-3 accepted by silent consent; the host is told the A-2 objection is open and
               overrules it (NetEase): the final minutes to everyone; A-1 due-day reminder,
               A-3 "before" reminder
    Mon 11-30  the Monday status (A-1 overdue first); A-3 due-day reminder
    Tue 12-01  A-1 overdue reminder (every 3 working days)
    Thu 12-03  A-1 escalated to the host (5 working days overdue); A-3 overdue reminder

The last test: minutes that arrive after Monday 09:00 wait for the next Monday's status (the week's
run is recorded, so no "weekly" mail goes out mid-week).
"""

from __future__ import annotations

import re
import smtplib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.cli import delivery_for, source_for
from mailbot.clock import FixedClock
from mailbot.config import load_config
from mailbot.daemon import Daemon
from mailbot.store.models import ActionItem, InboundMail, Meeting, OutboxMail
from tests.conftest import SHANGHAI
from tests.servers import imap_smtp_config

if TYPE_CHECKING:
    from tests.servers import Dovecot, SmtpServer

pytest_plugins = ["tests.servers"]
HOST = "127.0.0.1"
PASSWORD = "secret"  # tests.servers' static passdb: any user, this password
TITLE = "Q4 渠道合作协调会"


@dataclass
class Person:
    name: str
    department: str
    address: str
    seen: set[str] = field(default_factory=set)

    @property
    def who(self) -> str:
        """As the recorder writes a person into the agenda and the minutes."""
        return f"{self.department} {self.name} <{self.address}>"


@dataclass
class Story:
    app: App
    clock: FixedClock
    daemon: Daemon
    dovecot: Dovecot
    smtp: SmtpServer
    bot: str
    recorder: Person
    host: Person
    zhang: Person  # owner of A-1: confirms in Outlook (zh)
    chen: Person  # owner of A-2: objects in Foxmail
    zhao: Person  # owner of A-3: asks for status in Gmail, otherwise silent
    liu: Person  # attendee without an action
    log: list[tuple[str, str, str]] = field(default_factory=list)  # (day, name, tag) of mail that arrived

    @property
    def everyone(self) -> list[Person]:
        return [self.recorder, self.host, self.zhang, self.chen, self.zhao, self.liu]

    def at(self, text: str) -> None:
        self.clock.set(datetime.fromisoformat(text).replace(tzinfo=SHANGHAI))

    def run(self) -> None:
        """One turn of the daemon's two jobs: deadlines (+ digest), then poll the mailbox; each delivers.

        Then the IMAP session ends, as after `mailbot run --once`: the next turn logs in afresh. (A
        long-lived session learns of mail delivered meanwhile only with its next command's answer,
        which the daemon's own loop provides by asking before each wait; one turn here has no wait.)
        """
        self.daemon.deadlines()
        self.daemon.poll_and_deliver()
        self.daemon.source.close()

    def send(self, sender: Person, message: EmailMessage) -> None:
        """The person's client submits the mail to the company's SMTP server."""
        recipients = [parseaddr(str(value))[1] for value in message.get_all("To", []) + message.get_all("Cc", [])]
        with smtplib.SMTP(HOST, self.smtp.port, timeout=10) as client:
            client.send_message(message, from_addr=sender.address, to_addrs=recipients)

    def new_mail(self, person: Person) -> list[EmailMessage]:
        """What arrived in the person's mailbox since they last looked."""
        fresh = [m for m in self.dovecot.read_mailbox(person.address) if str(m["Message-ID"]) not in person.seen]
        person.seen.update(str(m["Message-ID"]) for m in fresh)
        return fresh

    def mailbox(self, person: Person) -> list[EmailMessage]:
        return self.dovecot.read_mailbox(person.address)

    def news(self) -> list[tuple[str, str]]:
        """Everybody's new mail (name, subject): what a test expects to be nothing."""
        return [(p.name, subject(m)) for p in self.everyone for m in self.new_mail(p)]

    def days(self, first: str, last: str) -> None:
        """The daemon left running: its jobs at 09:30 and 17:30 of each day (those still ahead of
        the clock), every mailbox read each evening; what arrived is logged by day."""
        day = date.fromisoformat(first)
        while day <= date.fromisoformat(last):
            for hour in (9, 17):
                moment = datetime(day.year, day.month, day.day, hour, 30, tzinfo=SHANGHAI)
                if moment > self.clock.now():
                    self.clock.set(moment)
                    self.run()
            self.log += [(day.isoformat(), p.name, tag(m)) for p in self.everyone for m in self.new_mail(p)]
            day += timedelta(days=1)

    def schedule(self) -> list[tuple[str, str, str]]:
        """What arrived during the days run since the last call, by day and person."""
        logged, self.log = self.log, []
        return logged


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None, f"no text/plain part in {message['Subject']}"
    return str(part.get_content())  # type: ignore[attr-defined]


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None, f"no text/html part in {message['Subject']}"
    return str(part.get_content())  # type: ignore[attr-defined]


@pytest.fixture
def story(
    tmp_path: Path,
    database_url: str,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Story]:
    bot = dovecot.new_user("minutes")  # a fresh bot mailbox: the Dovecot lives for the whole session
    text = imap_smtp_config(bot, database_url, dovecot, smtp_server, bot)
    text = text.replace("allowed_senders = []", 'allowed_senders = ["*@corp.example"]')
    assert "*@corp.example" in text, "config text changed"
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("MAILBOT_IMAP_PASSWORD", PASSWORD)
    clock = FixedClock(datetime(2026, 11, 13, 9, 0, tzinfo=SHANGHAI))
    app = App.open(load_config(tmp_path / "config.toml"), clock)
    daemon = Daemon(app, source_for(app), lambda: delivery_for(app), interval=0.1)

    def person(name: str, department: str, local: str) -> Person:
        return Person(name, department, dovecot.new_user(local))

    story = Story(
        app=app, clock=clock, daemon=daemon, dovecot=dovecot, smtp=smtp_server, bot=bot,
        recorder=person("王芳", "行政部", "wang.fang"), host=person("李娜", "市场部", "li.na"),
        zhang=person("张伟", "市场部", "zhang.wei"), chen=person("陈喆", "研发部", "chen.zhe"),
        zhao=person("赵敏", "销售部", "zhao.min"), liu=person("刘洋", "研发部", "liu.yang"),
    )  # fmt: skip
    try:
        yield story
    finally:
        daemon.source.close()
        app.db.dispose()


# --- what people write ---------------------------------------------------------------------------


def from_recorder(s: Story, subject: str) -> EmailMessage:
    """The headers of a mail from the recorder's Foxmail to the bot."""
    message = EmailMessage()
    message["From"] = formataddr((s.recorder.name, s.recorder.address))
    message["To"] = s.bot
    message["Subject"] = subject
    message["Date"] = format_datetime(s.app.now().astimezone(SHANGHAI))
    message["Message-ID"] = make_msgid(domain="corp.example")
    message["X-Mailer"] = "Foxmail 7.2.25.375[cn]"
    return message


def agenda(story: Story) -> EmailMessage:
    """The recorder's agenda, as Foxmail sends it: to the bot, the people named with their addresses."""
    s = story
    message = from_recorder(s, f"[议程] {TITLE} 11月20日")
    message.set_content(
        "各位同事：\n\n定于11月20日（周五）下午召开渠道合作协调会，议程如下。\n\n"
        f"会议名称：{TITLE}\n"
        "会议时间：2026年11月20日 14:00-16:00\n"
        "会议地点/形式：总部3楼第二会议室（线上：腾讯会议 321-654-987）\n"
        f"主持人：{s.host.who}\n"
        f"记录人：{s.recorder.who}\n"
        f"参会人员：{s.host.who}；{s.zhang.who}；{s.chen.who}；{s.liu.who}；{s.zhao.who}\n"
        "会议目标：确定 Q4 渠道合作的推广、技术对接与销售政策\n\n"
        "一、议程\n"
        "1. 渠道推广方案（负责人：李娜，30分钟）\n"
        "2. 技术对接排期（负责人：陈喆，30分钟）\n"
        "3. 销售返点政策（负责人：赵敏，30分钟）\n\n"
        "王芳\n行政部\n",
        charset="utf-8",
    )
    return message


def minutes(story: Story) -> EmailMessage:
    """The recorder's minutes draft: three actions for three owners, in the line form."""
    s = story
    message = from_recorder(s, f"【纪要】{TITLE}")
    message.set_content(
        "各位好，纪要初稿如下，请确认。\n\n"
        f"会议名称：{TITLE}\n"
        "会议时间：2026年11月20日 14:00-16:00\n"
        "会议地点：总部3楼第二会议室\n"
        f"主持人：{s.host.who}\n"
        f"记录人：{s.recorder.who}\n"
        f"参会人员：{s.host.who}；{s.zhang.who}；{s.chen.who}；{s.liu.who}；{s.zhao.who}\n\n"
        "一、决议事项\n"
        "1. Q4 渠道推广预算按方案 B 执行。\n\n"
        "二、行动项\n"
        f"- 输出渠道推广活动方案；负责人：{s.zhang.who}；配合：销售部；截止：11月26日；交付：方案 PDF\n"
        f"- 完成渠道系统接口对接；负责人：{s.chen.who}；配合：市场部；截止：2026-12-18；交付：接口联调报告\n"
        f"- 制定渠道返点政策；负责人：{s.zhao.who}；配合：财务部；截止：本月底前；交付：返点政策文件\n\n"
        "王芳\n",
        charset="utf-8",
    )
    return message


def reply_headers(story: Story, received: EmailMessage, sender: Person, prefix: str) -> EmailMessage:
    """What every client does when "Reply" is pressed: to the Reply-To, threaded, subject prefixed."""
    message = EmailMessage()
    message["From"] = formataddr((sender.name, sender.address))
    message["To"] = str(received["Reply-To"] or received["From"])
    message["Subject"] = prefix + str(received["Subject"])
    message["Date"] = format_datetime(story.app.now().astimezone(SHANGHAI))
    message["Message-ID"] = make_msgid(domain="client.example")
    message["In-Reply-To"] = str(received["Message-ID"])
    message["References"] = " ".join(filter(None, [str(received["References"] or ""), str(received["Message-ID"])]))
    return message


def sent_at(received: EmailMessage) -> datetime:
    return received["Date"].datetime.astimezone(SHANGHAI)  # type: ignore[no-any-return]


def outlook_zh(story: Story, received: EmailMessage, sender: Person, text: str) -> EmailMessage:
    """Outlook (Chinese UI): top-posted, the original under a -----原始邮件----- block, no '>'."""
    message = reply_headers(story, received, sender, "回复: ")
    message["X-Mailer"] = "Microsoft Outlook 16.0"
    when = sent_at(received)
    body = (
        f"{text}\n\n{sender.name}\n{sender.department}\n\n"
        "-----原始邮件-----\n"
        f"发件人: {received['From']}\n"
        f"发送时间: {when.year}年{when.month}月{when.day}日 {when:%H:%M}\n"
        f"收件人: {received['To']}\n"
        f"主题: {received['Subject']}\n\n{text_of(received)}"
    )
    message.set_content(body, charset="utf-8")
    return message


def foxmail(story: Story, received: EmailMessage, sender: Person, text: str) -> EmailMessage:
    """Foxmail: GBK bytes labelled GB2312, base64, the original under its dashed 原始邮件 banner."""
    message = reply_headers(story, received, sender, "回复：")
    message["X-Mailer"] = "Foxmail 7.2.25.375[cn]"
    when = sent_at(received)
    body = (
        f"{text}\n\n\n{sender.address}\n\n"
        "------------------ 原始邮件 ------------------\n"
        f'发件人: "Mailbot"<{story.bot}>;\n'
        f"发送时间: {when.year}年{when.month}月{when.day}日 {when:%H:%M}\n"
        f'收件人: "{sender.address}"<{sender.address}>;\n'
        f"主题: {received['Subject']}\n\n{text_of(received)}"
    )
    message.set_content(body.encode("gbk", errors="replace"), maintype="text", subtype="plain", cte="base64")
    message.set_param("charset", "GB2312")
    return message


def gmail_en(story: Story, received: EmailMessage, sender: Person, text: str) -> EmailMessage:
    """Gmail (English UI): text and HTML, the original quoted with '>' under "On … wrote:"."""
    message = reply_headers(story, received, sender, "Re: ")
    when = sent_at(received)
    header = (
        f"On {when:%a, %b} {when.day}, {when.year} at {when:%I:%M %p}".replace(" 0", " ")
        + f" Mailbot <{story.bot}> wrote:"
    )
    quoted = "\n".join("> " + line if line else ">" for line in text_of(received).splitlines())
    message.set_content(f"{text}\n\n{header}\n\n{quoted}\n", charset="utf-8")
    message.add_alternative(
        f'<div dir="ltr">{text}</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">{header}<br>'
        f'</div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid '
        f'rgb(204,204,204);padding-left:1ex">{html_of(received)}</blockquote></div>\n',
        subtype="html",
        charset="utf-8",
    )
    return message


def netease(story: Story, received: EmailMessage, sender: Person, text: str) -> EmailMessage:
    """NetEase / Coremail: the original under '在 …，"Mailbot" <…> 写道：'."""
    message = reply_headers(story, received, sender, "回复：")
    message["X-Mailer"] = "Coremail Webmail Server Version XT5.0.13"
    when = sent_at(received)
    body = f'{text}\n\n在 {when:%Y-%m-%d %H:%M:%S}，"Mailbot" <{story.bot}> 写道：\n{text_of(received)}'
    message.set_content(body, charset="utf-8")
    return message


# --- what the bot recorded, what people see ------------------------------------------------------


def statuses(app: App) -> dict[str, tuple[str, str | None]]:
    with app.db.session() as session:
        return {a.ref: (a.status, a.consent) for a in session.scalars(select(ActionItem).order_by(ActionItem.id))}


def meeting_status(app: App) -> str:
    with app.db.session() as session:
        (meeting,) = session.scalars(select(Meeting))
        return meeting.status


def inbound_outcomes(app: App) -> list[tuple[str, str]]:
    with app.db.session() as session:
        return [(r.kind, r.outcome) for r in session.scalars(select(InboundMail).order_by(InboundMail.id))]


def outbox_rows(app: App) -> list[OutboxMail]:
    with app.db.session() as session:
        return list(session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


TOKEN = re.compile(r"\s*\[#[AM]\d+\.[a-z0-9]+\]")


def subject(message: EmailMessage) -> str:
    """The subject as the person reads it, without the bot's reply token (random per run)."""
    return TOKEN.sub("", str(message["Subject"]))


def tag(message: EmailMessage) -> str:
    """What a mail is at a glance in the mailbox list, with the action it names: "【提醒】A-1",
    "【每周状态】", "Re: 【请确认】", "Re: [议程]"."""
    found = re.match(r"(Re: )?([【\[][^】\]]+[】\]])( ?A-\d+)?", subject(message))
    assert found, f"unexpected subject: {subject(message)}"
    return (found.group(1) or "") + found.group(2) + (found.group(3) or "")


def one(messages: list[EmailMessage], starts: str) -> EmailMessage:
    found = [m for m in messages if subject(m).startswith(starts)]
    assert len(found) == 1, f"{len(found)} mails starting {starts!r} in {[subject(m) for m in messages]}"
    return found[0]


def attachment_types(message: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in message.iter_attachments()]


def own_section(digest_text: str) -> str:
    """The part of a Monday status listing the recipient's own open actions."""
    return digest_text.split("== 您负责的未完成行动项 ==", 1)[1].split("\n== ", 1)[0]


def test_story_agenda_minutes_replies_consent_reminders_and_monday_status(story: Story) -> None:
    s = story
    recorder, host, zhang, chen, zhao, liu = s.everyone

    # --- Tue 11-17: the daemon starts on an empty mailbox; the recorder sends the agenda --------
    s.at("2026-11-17 09:30")
    s.run()
    s.at("2026-11-17 10:00")
    s.send(recorder, agenda(s))
    s.at("2026-11-17 10:01")
    s.run()
    assert inbound_outcomes(s.app) == [("agenda", "processed")]
    assert s.dovecot.read_mailbox(s.bot) == []  # handled and moved out of the INBOX
    assert len(s.dovecot.read_mailbox(s.bot, "Mailbot.Processed")) == 1
    (ack,) = s.new_mail(recorder)
    assert subject(ack).startswith(f"Re: [议程] {TITLE} 11月20日") and "已登记 M-1" in subject(ack)
    assert "会议时间：2026年11月20日（周五） 14:00-16:00" in text_of(ack)
    assert attachment_types(ack) == ["text/calendar"]
    for attendee in (host, zhang, chen, zhao, liu):
        (notice,) = s.new_mail(attendee)
        assert subject(notice) == f"【会议通知】{TITLE}（2026年11月20日（周五） 14:00）"
        assert notice["From"] == f"Mailbot <{s.bot}>" and notice["Auto-Submitted"] == "auto-generated"
        assert parseaddr(str(notice["To"]))[1] == attendee.address
        assert "请于 2026年11月19日（周四） 前准备好相关材料" in text_of(notice)
        assert attachment_types(notice) == ["text/calendar"]
        assert "BEGIN:VEVENT" in next(notice.iter_attachments()).get_content()  # type: ignore[attr-defined]
    assert meeting_status(s.app) == "scheduled"

    # --- the daemon runs on; Friday's meeting is held, its minutes are not in by Saturday 16:00 --
    s.days("2026-11-17", "2026-11-22")
    # 24 hours after the meeting ended is Saturday 16:00, outside the sending hours ([sending]):
    # nobody is chased at the weekend, and the minutes come on Monday before the opening, so the
    # nudge, decided from the state at the opening, is never sent.
    assert s.schedule() == []

    # --- Mon 11-23 08:30: the minutes; the confirmation round opens -----------------------------
    s.at("2026-11-23 08:30")
    s.send(recorder, minutes(s))
    s.at("2026-11-23 08:31")
    s.run()
    assert meeting_status(s.app) == "in_review"
    assert statuses(s.app) == {ref: ("awaiting_confirmation", None) for ref in ("A-1", "A-2", "A-3")}
    deadline = "2026年11月25日（周三）"  # 2 working days after the minutes arrived
    requests = {}
    for owner, ref, action in ((zhang, "A-1", "输出渠道推广活动方案"), (chen, "A-2", "完成渠道系统接口对接"),
                               (zhao, "A-3", "制定渠道返点政策")):  # fmt: skip
        (request,) = s.new_mail(owner)
        assert subject(request) == f"【请确认】{TITLE}：您负责的 1 项行动项，请于{deadline}前回复"
        token = str(request["Subject"]).rsplit("[#", 1)[1].rstrip("]")
        assert token.startswith(ref.replace("-", "") + ".")
        local, _, domain = s.bot.partition("@")
        assert request["Reply-To"] == f"Mailbot <{local}+{token}@{domain}>"  # the answer comes back tied to it
        assert f"{ref}  {action}" in text_of(request) and action in html_of(request)
        requests[owner.address] = request
    for party in (host, liu):
        mails = s.new_mail(party)
        notice = one(mails, f"【会议纪要】{TITLE}")
        assert f"请于 {deadline} 前反馈确认意见，逾期视为默认" in text_of(notice)
        assert all(ref in text_of(notice) for ref in ("A-1", "A-2", "A-3"))
        assert len(mails) == 1, [subject(m) for m in mails]
    # The recorder's one mail about her draft is its acknowledgement, not a notice of it besides.
    (ack,) = s.new_mail(recorder)
    assert "纪要第 1 版已收到（待确认），3 项行动项" in subject(ack) and subject(ack).startswith(f"Re: 【纪要】{TITLE}")

    # --- Mon 11-23 09:30: the first Monday status, at the start of the round ----------------------
    s.at("2026-11-23 09:30")
    s.run()
    assert sorted(s.news()) == sorted((p.name, subject(one(s.mailbox(p), "【每周状态】"))) for p in s.everyone)
    first = text_of(one(s.mailbox(zhao), "【每周状态】2026年11月23日"))
    assert "A-3  制定渠道返点政策（M-1）" in own_section(first) and "待确认" in own_section(first)

    # --- Mon 11-23 10:00: the owners answer the mail they received, each from their own client --
    s.at("2026-11-23 10:00")
    answer = outlook_zh(s, requests[zhang.address], zhang, "确认")
    s.send(zhang, answer)
    s.send(chen, foxmail(s, requests[chen.address], chen, "异议：接口文档尚未冻结，12月18日前无法完成联调"))
    s.send(zhao, gmail_en(s, requests[zhao.address], zhao, "status"))
    s.at("2026-11-23 10:01")
    s.run()
    assert inbound_outcomes(s.app)[2:] == [("reply", "processed")] * 3
    assert statuses(s.app) == {
        "A-1": ("accepted", "explicit"), "A-2": ("objected", None), "A-3": ("awaiting_confirmation", None)
    }  # fmt: skip
    (confirmed,) = s.new_mail(zhang)
    assert subject(confirmed).endswith("— 处理结果") and "✓ 已确认 A-1" in text_of(confirmed)
    assert confirmed["Auto-Submitted"] == "auto-replied"
    assert confirmed["In-Reply-To"] == answer["Message-ID"]  # threaded under the owner's own reply
    (objected,) = s.new_mail(chen)
    assert "✓ 已记录对 A-2 的异议（原因：接口文档尚未冻结，12月18日前无法完成联调）" in text_of(objected)
    assert f"已转主持人 {host.name} <{host.address}> 处理" in text_of(objected)
    (status,) = s.new_mail(zhao)
    # 赵敏 wrote "status" in English: the answer is in English (the task as the minutes wrote it).
    assert "Your open actions:\n  A-3  制定渠道返点政策" in text_of(status)
    (objection,) = s.new_mail(host)
    assert subject(objection) == f"【异议】{TITLE}：A-2 完成渠道系统接口对接"
    assert f"{chen.name} <{chen.address}> 对“{TITLE}”" in text_of(objection)
    assert "原因：接口文档尚未冻结，12月18日前无法完成联调" in text_of(objection)
    assert s.news() == []  # the recorder and the attendee hear nothing of it

    # --- to the end of the round (Wed 11-25): A-1 is reminded 2 working days before its due date --
    s.days("2026-11-23", "2026-11-25")
    assert s.schedule() == [("2026-11-24", "张伟", "【提醒】A-1")]
    s.at("2026-11-25 23:00")  # the last day of the round: A-3 is not yet consent
    s.run()
    assert statuses(s.app)["A-3"] == ("awaiting_confirmation", None)

    # --- Thu 11-26: the round is over. Silence is consent; the objection waits for the host ------
    s.at("2026-11-26 09:30")
    s.run()
    assert statuses(s.app)["A-3"] == ("accepted", "silent")
    assert meeting_status(s.app) == "disputed"
    (open_points,) = s.new_mail(host)
    assert subject(open_points) == f"【待处理异议】{TITLE}：确认已截止，1 项异议待您处理"
    assert "异议原因：接口文档尚未冻结" in text_of(open_points)
    assert [tag(m) for m in s.new_mail(zhang)] == ["【今天到期】A-1"]
    # Due Mon 11-30 (本月底前). 赵敏's one English word ("status") was answered in English, but one
    # command word does not make her an English reader: her reminder stays Chinese.
    assert [tag(m) for m in s.new_mail(zhao)] == ["【提醒】A-3"]
    assert s.news() == []  # no final minutes while an objection is open
    s.at("2026-11-26 10:00")
    s.send(host, netease(s, open_points, host, "A-2 维持"))
    s.at("2026-11-26 10:01")
    s.run()
    assert meeting_status(s.app) == "confirmed"
    assert statuses(s.app) == {
        "A-1": ("accepted", "explicit"), "A-2": ("accepted", "overruled"), "A-3": ("accepted", "silent")
    }  # fmt: skip
    # The host's one mail: the answer to her decision, with the official minutes inside it.
    (decided,) = s.new_mail(host)
    assert subject(decided).startswith("Re: 【待处理异议】") and subject(decided).endswith("— 纪要已生效")
    assert "✓" in text_of(decided)
    for party in s.everyone:
        final = decided if party is host else one(s.new_mail(party), f"【会议纪要·正式版】{TITLE}")
        body = text_of(final)
        assert "以下为正式版" in body
        assert body.count("确认方式：负责人已回复确认") == 1
        assert body.count("确认方式：异议经主持人裁决维持") == 1
        assert body.count("确认方式：逾期未回复，视为同意") == 1
    assert s.news() == []

    # --- then the daemon just runs: reminders on and after the due dates, the next Monday --------
    s.days("2026-11-26", "2026-12-03")
    assert s.schedule() == [
        ("2026-11-30", "王芳", "【每周状态】"),
        ("2026-11-30", "李娜", "【每周状态】"),
        ("2026-11-30", "张伟", "【每周状态】"),
        ("2026-11-30", "陈喆", "【每周状态】"),
        ("2026-11-30", "赵敏", "【今天到期】A-3"),
        ("2026-11-30", "赵敏", "【每周状态】"),
        ("2026-11-30", "刘洋", "【每周状态】"),
        ("2026-12-01", "张伟", "【已逾期 3 个工作日】A-1"),  # every 3 working days overdue, counted so
        ("2026-12-03", "李娜", "【逾期升级】A-1"),  # 5 working days overdue: the host is told
        ("2026-12-03", "赵敏", "【已逾期 3 个工作日】A-3"),
    ]
    escalation = one(s.mailbox(host), "【逾期升级】A-1")
    assert "建议组织专项复盘会" in text_of(escalation)

    # --- the Monday status of 11-30, as the owners, the attendee and the host read it ------------
    digest = one(s.mailbox(zhang), "【每周状态】2026年11月30日")
    assert subject(digest) == "【每周状态】2026年11月30日（周一）起的一周：1 个会议，1 项逾期，您有 1 项未完成"
    text, html = text_of(digest), html_of(digest)
    mine = own_section(text)
    assert "A-1  输出渠道推广活动方案（M-1）" in mine and "已逾期 2 个工作日" in mine  # Fri and Mon
    assert "A-2" not in mine and "A-3" not in mine  # only the recipient's own actions there
    # Each action once: his own overdue A-1 is not repeated under the meeting.
    assert text.count("A-1  输出渠道推广活动方案") == 1 and "【已逾期】" not in text
    assert "A-3  制定渠道返点政策" in text.split("【本周到期】", 1)[1]
    attendee = text_of(one(s.mailbox(liu), "【每周状态】2026年11月30日"))
    assert attendee.index("【已逾期】") < attendee.index("【本周到期】")  # overdue first
    assert "输出渠道推广活动方案" in html and "已逾期" in html
    own = own_section(text_of(one(s.mailbox(chen), "【每周状态】2026年11月30日")))
    assert "A-2  完成渠道系统接口对接（M-1）" in own and "A-1" not in own
    assert own_section(text_of(one(s.mailbox(liu), "【每周状态】2026年11月30日"))).strip() == "无。"
    hosted = one(s.mailbox(host), "【每周状态】2026年11月30日")
    assert [p.get_filename() for p in hosted.iter_attachments()] == ["行动项跟踪表.xlsx"]

    # --- nothing lost, nothing twice ---------------------------------------------------------------
    expected = {
        "王芳": ["Re: [议程]", "Re: 【纪要】", "【每周状态】", "【会议纪要·正式版】", "【每周状态】"],
        "李娜": ["【会议通知】", "【会议纪要】", "【每周状态】", "【异议】", "【待处理异议】",
                 "Re: 【待处理异议】", "【每周状态】", "【逾期升级】"],
        "张伟": ["【会议通知】", "【请确认】", "【每周状态】", "Re: 【请确认】", "【提醒】", "【今天到期】",
                 "【会议纪要·正式版】", "【每周状态】", "【已逾期 3 个工作日】"],
        "陈喆": ["【会议通知】", "【请确认】", "【每周状态】", "Re: 【请确认】", "【会议纪要·正式版】", "【每周状态】"],
        "赵敏": ["【会议通知】", "【请确认】", "【每周状态】", "Re: 【请确认】", "【提醒】", "【会议纪要·正式版】",
                 "【今天到期】", "【每周状态】", "【已逾期 3 个工作日】"],
        "刘洋": ["【会议通知】", "【会议纪要】", "【每周状态】", "【会议纪要·正式版】", "【每周状态】"],
    }  # fmt: skip
    rows = outbox_rows(s.app)
    assert {row.status for row in rows} == {"sent"}
    for person in s.everyone:
        mailbox = s.mailbox(person)
        assert [re.sub(r"A-\d+$", "", tag(m)) for m in mailbox] == expected[person.name], person.name
        ids = Counter(str(m["Message-ID"]).strip("<>") for m in mailbox)
        assert max(ids.values()) == 1, f"{person.name} got a mail twice"
        assert set(ids) == {row.message_id for row in rows if row.to_address == person.address}
        assert all(str(m["From"]) == f"Mailbot <{s.bot}>" for m in mailbox)
    assert len(rows) == sum(len(v) for v in expected.values())
    # The bot's mailbox: the 6 mails people sent, each handled once and filed; none failed.
    assert [kind for kind, _ in inbound_outcomes(s.app)] == ["agenda", "minutes", "reply", "reply", "reply", "reply"]
    assert {outcome for _, outcome in inbound_outcomes(s.app)} == {"processed"}
    assert s.dovecot.read_mailbox(s.bot) == []
    assert len(s.dovecot.read_mailbox(s.bot, "Mailbot.Processed")) == 6
    assert s.dovecot.read_mailbox(s.bot, "Mailbot.Failed") == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_minutes_arriving_mid_week_wait_for_next_monday_for_their_status(story: Story) -> None:
    s = story
    s.at("2026-11-23 09:30")  # Monday: the bot is up at this week's digest moment; no meeting is active yet
    s.run()
    s.days("2026-11-23", "2026-11-24")
    s.at("2026-11-25 10:00")  # Wednesday: the minutes of last Friday's meeting arrive
    s.send(s.recorder, minutes(s))
    s.at("2026-11-25 10:01")
    s.run()
    assert meeting_status(s.app) == "in_review"
    s.days("2026-11-25", "2026-11-29")
    weekly = [(day, name) for day, name, what in s.schedule() if what == "【每周状态】"]
    assert weekly == [], "a weekly status in the middle of the week"
    s.days("2026-11-30", "2026-11-30")
    weekly = [(day, name) for day, name, what in s.schedule() if what == "【每周状态】"]
    assert weekly == [("2026-11-30", p.name) for p in s.everyone]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_story_people_write_as_people_do(story: Story) -> None:
    """Over the real servers: the host forwards the recorder's draft from Outlook; an owner confirms
    with a comment; a delay reaches the host at once; the host answers an escalation with the very
    command it suggests."""
    s = story
    _, host, zhang, chen, zhao, liu = s.everyone
    s.at("2026-11-23 09:30")
    s.run()  # the bot is up before any of this arrives
    s.at("2026-11-23 10:00")
    draft = minutes(s)
    forward = EmailMessage()
    forward["From"] = formataddr((host.name, host.address))
    forward["To"] = s.bot
    forward["Subject"] = "FW: " + str(draft["Subject"])
    forward["Date"] = format_datetime(s.app.now().astimezone(SHANGHAI))
    forward["Message-ID"] = make_msgid(domain="corp.example")
    forward["X-Mailer"] = "Microsoft Outlook 16.0"
    forward.set_content(
        "王芳的纪要，请按此发出确认。\n\n李娜\n市场部\n\n"
        "-----原始邮件-----\n"
        f"发件人: {draft['From']}\n发送时间: 2026年11月21日 9:40\n收件人: {host.who}\n"
        f"主题: {draft['Subject']}\n\n{text_of(draft)}",
        charset="utf-8",
    )
    s.send(host, forward)
    s.at("2026-11-23 10:01")
    s.run()
    assert meeting_status(s.app) == "in_review"
    assert [m for m in s.new_mail(host) if "纪要第 1 版已收到" in subject(m)]  # the forwarder is answered
    requests = {p.address: one(s.new_mail(p), "【请确认】") for p in (zhang, chen, zhao)}
    assert "2026年11月20日" in text_of(requests[zhang.address])  # the meeting's day, not the forward's

    s.at("2026-11-23 11:00")
    s.send(zhang, outlook_zh(s, requests[zhang.address], zhang, "确认，月底前给到周总。"))
    s.send(chen, outlook_zh(s, requests[chen.address], chen, "延期至12月25日，原因：接口文档未冻结"))
    s.at("2026-11-23 11:01")
    s.run()
    assert statuses(s.app)["A-1"] == ("accepted", "explicit")
    assert "✓ 已确认 A-1" in text_of(one(s.new_mail(zhang), "Re:"))
    (delay,) = [m for m in s.new_mail(host) if subject(m).startswith("【延期】")]
    assert "原因：接口文档未冻结" in text_of(delay) and "新完成时限：2026年12月25日" in text_of(delay)

    # 赵敏 stays silent; A-3 (本月底前 = 11-30) is overdue 5 working days on 12-07: escalation.
    s.days("2026-11-23", "2026-12-07")
    escalation = next(m for m in s.mailbox(host) if subject(m).startswith("【逾期升级】A-3"))
    suggested = re.search(r"A-3 改派 姓名", text_of(escalation))
    assert suggested, "the escalation suggests a reassignment"
    s.at("2026-12-07 15:00")
    s.send(host, outlook_zh(s, escalation, host, suggested.group(0).replace("姓名", "刘洋")))
    s.at("2026-12-07 15:01")
    s.run()
    assert statuses(s.app)["A-3"][0] == "awaiting_confirmation"
    assert any(subject(m).startswith("【请确认】") for m in s.new_mail(liu))
