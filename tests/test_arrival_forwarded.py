"""The forward inside a body (formats/forwarded.py) and when a body reads as a complete draft
(reader.draft_kind): the two readings that let a draft arrive any way at all."""

from __future__ import annotations

from datetime import date

import pytest

from mailbot.formats.forwarded import forwards, split_forward
from mailbot.formats.reader import ReadContext, draft_kind, read_meeting
from mailbot.workdays import load_calendar

DRAFT = (
    "Meeting: Budget Review\nDate: 2026-12-07\n\nAction items:\n- Budget sheet; owner: a@corp.example; due: Dec 14\n"
)


@pytest.mark.parametrize(
    ("name", "block"),
    [
        (
            "outlook_zh",
            "________________________________\n发件人: 王芳 <wang.fang@corp.example>\n发送时间: 2026年12月8日 9:12\n"
            "收件人: 李娜 <li.na@corp.example>; 张伟 <zhang.wei@corp.example>\n主题: 【纪要】Budget Review\n\n",
        ),
        (
            "outlook_zh_fullwidth",
            "发件人：王芳 <wang.fang@corp.example>\n发送时间：2026年12月8日 星期二 9:12\n"
            "收件人：李娜 <li.na@corp.example>\n抄送：张伟 <zhang.wei@corp.example>\n主题：【纪要】Budget Review\n\n",
        ),
        (
            "outlook_zh_original",
            "-----原始邮件-----\n发件人: 王芳 <wang.fang@corp.example>\n发送时间: 2026年12月8日 9:12\n"
            "收件人: 李娜 <li.na@corp.example>\n主题: 【纪要】Budget Review\n\n",
        ),
        (
            "outlook_en",
            "-----Original Message-----\nFrom: Wang Fang <wang.fang@corp.example>\nSent: Tuesday, December 8, 2026 9:12 AM\n"
            "To: Li Na <li.na@corp.example>\nSubject: [Minutes] Budget Review\n\n",
        ),
        (
            "outlook_en_bold_html",
            "**From:** Wang Fang <wang.fang@corp.example>\n**Sent:** Tuesday, December 8, 2026 9:12 AM\n"
            "**To:** Li Na <li.na@corp.example>;\nZhang Wei <zhang.wei@corp.example>\n**Subject:** [Minutes] Budget\n\n",
        ),
        (
            "gmail",
            "---------- Forwarded message ---------\nFrom: Wang Fang <wang.fang@corp.example>\n"
            "Date: Tue, Dec 8, 2026 at 9:12 AM\nSubject: [Minutes] Budget Review\nTo: <li.na@corp.example>\n\n\n",
        ),
        (
            "thunderbird",
            "-------- Forwarded Message --------\nSubject: \t[Minutes] Budget Review\nDate: \tTue, 8 Dec 2026 09:12:00 +0800\n"
            "From: \tWang Fang <wang.fang@corp.example>\nTo: \tLi Na <li.na@corp.example>\n\n",
        ),
        (
            "foxmail_qq",
            '------------------ 原始邮件 ------------------\n发件人: "王芳"<wang.fang@corp.example>;\n'
            '发送时间: 2026年12月8日(星期二) 上午9:12\n收件人: "李娜"<li.na@corp.example>;\n\n主题: 【纪要】Budget\n\n\n',
        ),
        (
            "apple_mail",
            "Begin forwarded message:\n\nFrom: Wang Fang <wang.fang@corp.example>\nSubject: [Minutes] Budget Review\n"
            "Date: 8 December 2026 at 09:12:00 GMT+8\nTo: Li Na <li.na@corp.example>\n\n",
        ),
        (
            "netease",
            '-------- 转发邮件信息 --------\n发件人："王芳" <wang.fang@corp.example>\n发送日期：2026-12-08 09:12:00\n'
            '收件人："李娜" <li.na@corp.example>\n主题：【纪要】Budget Review\n\n',
        ),
    ],
)
def test_each_clients_forward_gives_the_original_without_its_header_block(name: str, block: str) -> None:
    forwarded = split_forward("Please track.\n\nLi Na\n\n" + block + DRAFT)
    assert forwarded is not None, name
    assert forwarded.text.strip() == DRAFT.strip()
    assert forwarded.note.strip().startswith("Please track.")
    assert forwarded.sender == "wang.fang@corp.example"
    assert ("wang.fang@corp.example" in {a for _, a in forwarded.people}) and any(
        a == "li.na@corp.example" for _, a in forwarded.people
    )


def test_no_forward_in_a_plain_draft_or_a_sentence_starting_with_from() -> None:
    assert split_forward(DRAFT) is None
    assert split_forward("From the sales side we need the numbers.\nTo do: nothing\n\n" + DRAFT) is None


def test_a_forward_of_a_forward_is_read_to_the_bottom() -> None:
    inner = "---------- Forwarded message ---------\nFrom: A <a@corp.example>\nDate: Mon\nSubject: x\n\n\n" + DRAFT
    outer = "FYI\n\nFrom: B <b@corp.example>\nSent: Tuesday\nTo: C <c@corp.example>\nSubject: Fwd: x\n\nsee below\n\n"
    chain = forwards(outer + inner)
    assert [f.sender for f in chain] == ["b@corp.example", "a@corp.example"]
    assert chain[-1].text.strip() == DRAFT.strip()


CTX = ReadContext(calendar=load_calendar(), anchor=date(2026, 12, 8))


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (DRAFT, "minutes"),
        ("Meeting: Budget Review\n\nAction items: none\n", "minutes"),  # explicitly no actions: still minutes
        ("Meeting: Budget Review\n\nAction items:\n- something; due: ASAP\n", "minutes"),  # wrong, but a draft
        ("Date: 2026-12-07\n\nAction items:\n- Budget sheet; owner: a@corp.example\n", None),  # no title
        ("Meeting: Budget Review\n\nDecisions:\n1. Promotion 25%.\n", None),  # no action section
        ("Meeting: Budget Review\nDate: 2026-12-14\n\nAgenda:\n1. Budget split\n", "agenda"),
        ("Meeting: Budget Review\n\nAgenda:\n1. Budget split\n", None),  # an agenda needs its date
        # Decisions without actions: minutes lacking their actions (answered so), never an agenda.
        ("Meeting: Budget Review\nDate: 2026-12-07\n\nAgenda:\n1. Split\n\nDecisions:\n1. 25%.\n", None),
        ("收到，谢谢。\n\n行动项我这边没问题。\n", None),
    ],
)
def test_what_reads_as_a_complete_draft(body: str, kind: str | None) -> None:
    assert draft_kind(read_meeting(body, ctx=CTX)) == kind
