"""What the mails say, where a reviewer found them saying something untrue or unhelpful: a delay
that waits for the host reads as a request and offers "同意延期"; the help a person asked for does
not open with "I did not understand"; the sender check says how to report a forgery; the recorder
is not asked to confirm; a host told of an objection to the minutes learns what to do; command hints
carry placeholders, not dates; one-click answers say whom they answer for.

Rendered with the samples of the hostile-rendering test (tests/test_inert.py), in both languages;
where a one-click answer is new, the command it writes is read back with the reply reader, and the
delay button is sent back to the bot as a mail client would send it.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.config import PACKAGE_ROOT
from mailbot.handlers.reply import answer_to_question
from mailbot.pipeline import process
from mailbot.render import RenderedMail, Renderer
from mailbot.replies.commands import read_reply
from tests.helpers import actions, at, feed, outbox
from tests.replying import reply
from tests.test_inert import COMMON, MEETING, TEMPLATES, samples
from tests.test_one_click import links, sent_from_link
from tests.test_pipeline import plain_mail

LANGUAGES = ("zh", "en")


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(TEMPLATES)


def render(renderer: Renderer, kind: str, language: str, index: int = 0, **extra: Any) -> RenderedMail:
    return renderer.render(kind, language, {**samples()[kind][index], **COMMON, **extra})


def commands(text: str) -> list[str]:
    """The commands the one-click links of a mail part write (each link's body)."""
    return [parse_qs(urlsplit(link).query)["body"][0] for link in links(text)]


def both_parts(mail: RenderedMail) -> list[str]:
    """The one-click commands, the same in the text part and the HTML part."""
    text, html = commands(mail.text), commands(mail.html)
    assert text == html
    return text


# 1. A delay that waits for the host ------------------------------------------------------------------

APPROVE = {"zh": "A-1 同意延期", "en": "A-1 approve delay"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_delay_waiting_for_the_host_is_a_request_with_an_approve_button(renderer: Renderer, language: str) -> None:
    mail = render(renderer, "delay_notice", language, approval=True)
    asks = {"zh": "申请延期至", "en": "asks to move it to"}[language]
    assert asks in mail.subject
    assert {"zh": "已延期", "en": "moved it to"}[language] not in mail.subject
    for body in (mail.text, mail.html):
        assert {"zh": "申请延期至：", "en": "Requested due date:"}[language] in body
        assert {"zh": "新完成时限", "en": "Now due"}[language] not in body
        assert {"zh": "负责人 张伟 已延期", "en": "has delayed"}[language] not in body
    assert both_parts(mail)[0] == APPROVE[language]
    assert {"zh": ">同意延期</a>", "en": ">Approve delay</a>"}[language] in mail.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_delay_that_stands_has_no_approve_button(renderer: Renderer, language: str) -> None:
    mail = render(renderer, "delay_notice", language, approval=False)
    assert {"zh": "：张伟 延期至", "en": "moved it to"}[language] in mail.subject
    assert {"zh": "新完成时限：", "en": "Now due:"}[language] in mail.text
    assert APPROVE[language] not in both_parts(mail)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_approve_buttons_command_reads_as_approving_that_actions_delay(language: str) -> None:
    reading = read_reply(APPROVE[language])
    assert reading.unrecognised == [] and len(reading.commands) == 1
    (command,) = reading.commands
    assert (command.verb, command.ref, command.target, command.error) == ("resolve", "A-1", "approve_delay", None)


def test_the_host_approves_a_requested_delay_with_one_click(home, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    from mailbot.config import load_config

    rules = home / "rules"
    rules.mkdir()
    policy = (PACKAGE_ROOT / "rules" / "policy.toml").read_text(encoding="utf-8")
    (rules / "policy.toml").write_text(policy.replace("needs_host_approval = false", "needs_host_approval = true"))
    config = home / "config.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[paths]\nrules = "rules"\n', encoding="utf-8")
    app = App.open(load_config(config), clock)
    try:
        at(clock, "2026-12-02 18:00")
        feed(app, "outlook_zh_minutes_gbk_html.eml")
        zhao = next(m for m in outbox(app, "confirm_request") if m.to_address == "zhao.min@corp.example")
        at(clock, "2026-12-03 09:00")
        assert process(app, reply(app, zhao, "延期至12月28日，原因：培训讲师档期冲突")).outcome == "processed"
        (notice,) = outbox(app, "delay_notice")
        assert "申请延期至 2026年12月28日" in notice.subject
        assert "当前完成时限：2026年12月18日" in (notice.body_text or "")
        approve = links(notice.body_html or "")[0]
        assert process(app, sent_from_link(approve, "li.na@corp.example")).outcome == "processed"
        a3 = next(a for a in actions(app) if a.ref == "A-3")
        assert (a3.due, a3.status) == (date(2026, 12, 28), "delayed")
    finally:
        app.db.dispose()


# 2. Help -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_help_that_was_asked_for_opens_as_a_guide(renderer: Renderer, language: str) -> None:
    asked = renderer.render("help", language, {"reason": "asked", **COMMON})
    opening = {"zh": "以下是 Mailbot 的用法", "en": "Here is how to use Mailbot"}[language]
    not_understood = {"zh": "没有看懂", "en": "did not understand"}[language]
    for body in (asked.text, asked.html):
        assert opening in body and not_understood not in body
    unknown = renderer.render("help", language, {"reason": None, **COMMON})
    for body in (unknown.text, unknown.html):
        assert not_understood in body and opening not in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_helps_html_lists_the_verifiers_commands_as_its_text_does(renderer: Renderer, language: str) -> None:
    mail = renderer.render("help", language, {"reason": "asked", **COMMON})
    for words in {"zh": ("验收通过", "验收不通过：原因"), "en": ("verified", "rejected: reason")}[language]:
        assert words in mail.text and words in mail.html


def test_a_person_who_sends_help_is_not_told_the_mail_was_not_understood(app: App) -> None:
    assert process(app, plain_mail(app, "帮助", "帮助")).outcome == "answered"
    (answer,) = outbox(app, "help")
    assert "以下是 Mailbot 的用法" in (answer.body_text or "") and "没有看懂" not in (answer.body_text or "")
    assert "以下是 Mailbot 的用法" in (answer.body_html or "")


# 3. The sender check ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_sender_check_says_to_answer_not_me_so_the_admin_is_told(renderer: Renderer, language: str) -> None:
    mail = render(renderer, "sender_check", language)
    told = {"zh": "请回复“不是我”", "en": 'reply "not me"'}[language]
    admin = {"zh": "通知管理员", "en": "the administrator is told"}[language]
    for body in (mail.text, mail.html.replace("&#34;", '"')):
        assert told in body and admin in body
        assert {"zh": "请不要回复", "en": "do not reply"}[language] not in body
    assert {"zh": "不是我发的", "en": "not me"}[language] in both_parts(mail)


@pytest.mark.parametrize("answer", ["不是我", "not me", "不是我发的"])
def test_the_words_the_sender_check_suggests_decline_the_held_mail(answer: str) -> None:
    reading = read_reply(answer)
    assert answer_to_question(reading.commands, reading.other_lines) == "no"


# 4. The recorder's acknowledgement ---------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_recorder_is_told_the_owners_deadline_and_no_rules_folder(renderer: Renderer, language: str) -> None:
    mail = render(renderer, "minutes_ack", language)
    deadline = {"zh": "负责人须于 2026年12月4日（周五） 前确认或提出异议，逾期视为同意",
                "en": "Owners have until Fri 4 Dec 2026 to confirm or object; silence counts as consent"}  # fmt: skip
    holidays = {"zh": "公司登记的节假日", "en": "the company holiday list"}[language]
    for body in (mail.text, re.sub(r"</?b>", "", mail.html)):
        assert "rules/" not in body and holidays in body
        assert {"zh": "请于", "en": "Reply to confirm"}[language] not in body
    assert deadline[language] in mail.text, mail.text


# 5. An objection to the minutes as a whole --------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_objection_to_the_minutes_tells_the_host_what_can_be_done(renderer: Renderer, language: str) -> None:
    mail = render(renderer, "objection_notice", language, index=1)  # action None
    steps = {
        "zh": ("作为新邮件发送（主题带【纪要】和 M-1）", "“A-1 改期 日期”", "记录人 王芳 <wang.fang@corp.example>"),
        "en": ("as a new mail (with [Minutes] and M-1 in the subject)", '"A-1 reschedule DATE"',
               "the recorder (王芳 <wang.fang@corp.example>)"),
    }[language]  # fmt: skip
    html = mail.html.replace("&lt;", "<").replace("&gt;", ">")
    for body in (mail.text, html):
        for step in steps:
            assert step in body, (step, body)
    greeting = {"zh": "<p style=\"margin:0 0 12px 0;font-size:14px;line-height:22px;color:#1f2328;\">您好，",
                "en": "<p style=\"margin:0 0 12px 0;font-size:14px;line-height:22px;color:#1f2328;\">Hello, "}  # fmt: skip
    assert greeting[language] in mail.html
    if language == "zh":
        assert "原因：" in mail.html and "原因:" not in mail.html


def test_the_host_who_is_also_the_recorder_is_not_named_twice(renderer: Renderer) -> None:
    meeting = {**MEETING, "recorder": MEETING["host"]}
    mail = render(renderer, "objection_notice", "zh", index=1, meeting=meeting)
    assert "由您把更正后的纪要" in mail.text and "记录人" not in mail.text


# 6. Placeholders, not dates, in command hints ----------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", ["objection_notice", "objections_open", "digest"])
def test_command_hints_carry_placeholders_not_dates(renderer: Renderer, kind: str, language: str) -> None:
    mail = render(renderer, kind, language)
    for body in (mail.text, mail.html):
        assert "2027-01-10" not in body and "12月30日" not in body and "2026-12-30" not in body
    placeholder = {"zh": "日期", "en": "DATE"}[language]
    hint = {"objection_notice": "改期" if language == "zh" else "reschedule",
            "objections_open": "改期" if language == "zh" else "reschedule",
            "digest": "延期至" if language == "zh" else "delay to"}[kind]  # fmt: skip
    assert f"{hint} {placeholder}" in mail.text and f"{hint} {placeholder}" in mail.html


# 7. The verification reminder ------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_verification_reminder_has_the_requests_buttons_and_the_footers_words(
    renderer: Renderer, language: str
) -> None:
    reminder = render(renderer, "acceptance_reminder", language)
    request = render(renderer, "acceptance_request", language)
    assert both_parts(reminder) == both_parts(request) != []
    rejected = {"zh": "验收不通过：原因", "en": '"rejected: reason"'}[language]
    assert rejected in reminder.text
    assert "reject: REASON" not in reminder.text


# 8. Object to one, object to all ---------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_object_button_says_it_answers_for_all_actions(renderer: Renderer, language: str) -> None:
    one, many = (render(renderer, "confirm_request", language, index=i) for i in (0, 1))
    assert len(samples()["confirm_request"][1]["mine"]) == 2
    all_label = {"zh": ">全部提出异议</a>", "en": ">Object to all</a>"}[language]
    one_label = {"zh": ">提出异议</a>", "en": ">Object</a>"}[language]
    assert all_label in many.html and all_label not in one.html and one_label in one.html
    assert {"zh": "全部提出异议：", "en": "Object to all: "}[language] in many.text
    # The same commands: a command without a ref answers for every action of the reader's.
    assert both_parts(one) == both_parts(many)


# 9. Whom to call about a cancellation ------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_cancellation_names_both_the_host_and_the_recorder(renderer: Renderer, language: str) -> None:
    mail = render(renderer, "agenda_cancel", language)
    expected = {
        "zh": "请联系主持人（李娜 <li.na@corp.example>）或记录人（王芳 <wang.fang@corp.example>）。",
        "en": "please contact the host (李娜 <li.na@corp.example>) or the recorder (王芳 <wang.fang@corp.example>).",
    }[language]
    assert expected in mail.text
    assert expected.replace("<", "&lt;").replace(">", "&gt;") in mail.html


# 10. English quotes ----------------------------------------------------------------------------------


def test_english_templates_use_straight_quotes() -> None:
    curly = [p.name for p in sorted((TEMPLATES / "en").glob("*.html")) if re.search("[“”]", p.read_text("utf-8"))]
    assert curly == []
