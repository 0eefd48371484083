"""One-click answers: every mail that asks something carries mailto: links (text and HTML) with the
reply token and the command filled in; opening one and sending it does what its label says."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.pipeline import process
from tests.helpers import actions, at, feed, outbox, proof_required

LINK = re.compile(r"mailto:[^\s<>\"]+")


def links(text: str) -> list[str]:
    return [m.replace("&amp;", "&") for m in LINK.findall(text) if "?" in m]  # not the footer's plain address


def sent_from_link(link: str, sender: str, added: str = "") -> bytes:
    """What Outlook, Foxmail or Gmail send when the link is opened and "Send" pressed: To, Subject
    and body as the link gives them (RFC 6068, UTF-8), the person's words appended."""
    parts = urlsplit(link)
    query = parse_qs(parts.query)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = unquote(parts.path)
    message["Subject"] = query["subject"][0]
    message["Date"] = "Thu, 3 Dec 2026 09:00:00 +0800"
    message["Message-ID"] = make_msgid(domain="client.example")
    message.set_content(query["body"][0] + added + "\n\n发自我的iPhone\n")
    return message.as_bytes()


def status_of(app: App, ref: str) -> str:
    return next(a.status for a in actions(app) if a.ref == ref)


def test_the_confirmation_requests_links_confirm_and_object(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    zhang = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhang.wei@corp.example")
    chen = next(m for m in outbox(app, "confirm_request") if m.to_address == "chen.zhe@corp.example")
    text_links, html_links = links(zhang.body_text or ""), links(zhang.body_html or "")
    assert text_links == html_links and len(text_links) == 2
    assert all(
        "%E7%A1%AE%E8%AE%A4" in link or "%E5%BC%82%E8%AE%AE" in link for link in text_links
    )  # 确认 / 异议 in UTF-8
    assert process(app, sent_from_link(text_links[0], "zhang.wei@corp.example")).outcome == "processed"
    assert status_of(app, "A-1") == "accepted"
    objection = links(chen.body_html or "")[1]
    assert process(app, sent_from_link(objection, "chen.zhe@corp.example", "接口文档未冻结")).outcome == "processed"
    a2 = next(a for a in actions(app) if a.ref == "A-2")
    assert (a2.status, a2.objection_reason) == ("objected", "接口文档未冻结")
    # A link forwarded to someone else is no proof for them: the token is the recipient's.
    assert process(app, sent_from_link(text_links[0], "eve@corp.example")).outcome == "rejected"


def test_the_senders_question_has_yes_and_not_me_links(home, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    from mailbot.config import load_config

    app = App.open(load_config(proof_required(home / "config.toml")), clock)
    try:
        at(clock, "2026-12-02 18:00")
        assert feed(app, "outlook_zh_minutes_gbk_html.eml").outcome == "held"
        (question,) = outbox(app, "sender_check")
        yes, not_me = links(question.body_text or "")
        assert process(app, sent_from_link(yes, "wang.fang@corp.example")).outcome == "processed"
        assert len(actions(app)) == 4
        assert process(app, sent_from_link(not_me, "wang.fang@corp.example")).outcome == "rejected"  # already applied
    finally:
        app.db.dispose()
