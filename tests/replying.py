"""Replies to the bot's mails, written the way each client writes them (quote header and all)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from mailbot.app import App
from mailbot.store.models import OutboxMail


def quoted(style: str, original: OutboxMail) -> str:
    body = original.body_text or ""
    bot = "Mailbot <minutes@corp.example>"
    if style == "outlook_zh":
        return (
            f"\n\n-----原始邮件-----\n发件人: {bot}\n发送时间: 2026年12月2日 18:01\n"
            f"收件人: {original.to_address}\n主题: {original.subject}\n\n{body}"
        )
    if style == "outlook_zh_fullwidth":
        return (
            f"\n\n发件人：{bot}\n发送时间：2026年12月2日 星期三 18:01\n收件人：{original.to_address}\n"
            f"主题：{original.subject}\n\n{body}"
        )
    if style == "foxmail":
        return (
            f'\n\n------------------ 原始邮件 ------------------\n发件人: "Mailbot"<minutes@corp.example>;\n'
            f'发送时间: 2026年12月2日(星期三) 晚上6:01\n收件人: "{original.to_address}"<{original.to_address}>;\n'
            f"主题: {original.subject}\n\n{body}"
        )
    if style == "netease":
        return f'\n\n在 2026-12-02 18:01:07，"Mailbot" <minutes@corp.example> 写道：\n{body}'
    if style == "gmail_en":
        lines = "\n".join("> " + line for line in body.splitlines())
        return f"\n\nOn Wed, Dec 2, 2026 at 6:01 PM Mailbot <minutes@corp.example> wrote:\n\n{lines}\n"
    if style == "gmail_zh":
        lines = "\n".join("> " + line for line in body.splitlines())
        return f"\n\n在 2026年12月2日周三 18:01，Mailbot <minutes@corp.example> 写道：\n\n{lines}\n"
    if style == "apple":
        lines = "\n".join("> " + line for line in body.splitlines())
        return f"\n\n> 2026年12月2日 18:01，Mailbot <minutes@corp.example> 写道：\n> \n{lines}\n"
    raise ValueError(style)


def reply(
    app: App,
    original: OutboxMail,
    text: str,
    *,
    style: str = "outlook_zh",
    sender: str | None = None,
    name: str = "",
    attachments: tuple[tuple[str, str, bytes], ...] = (),
) -> bytes:
    """The person's reply to one of our mails: threaded, to the Reply-To plus-address, quoting it."""
    message = EmailMessage()
    who = sender or original.to_address
    message["From"] = f"{name} <{who}>" if name else who
    local, _, domain = app.sender.address.partition("@")
    message["To"] = f"Mailbot <{local}+{original.reply_token}@{domain}>" if original.reply_token else app.sender.address
    prefix = "RE: " if style.startswith("outlook") else ("回复：" if style in ("foxmail", "netease") else "Re: ")
    message["Subject"] = prefix + original.subject
    message["Date"] = format_datetime(app.now())
    message["Message-ID"] = make_msgid(domain="client.example")
    message["In-Reply-To"] = f"<{original.message_id}>"
    message["References"] = f"<{original.message_id}>"
    message.set_content(text + quoted(style, original))
    for filename, content_type, payload in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()
