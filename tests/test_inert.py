"""Hostile content stays inert (reliability.md): what a mail carries reaches other mails escaped and
without bidi controls or invisible characters, and only safe files are forwarded as deliverables.

The rendering test hands every mail kind, in every shipped language, a context whose every string
is hostile, and reads the HTML part: no tag of the sender's may survive, only its escaped text.
The contexts have the shape the handlers and jobs store (meeting_view, action_view, the digest's
rows, problem_view, reply results); every problem and reply-result code the templates know is
listed, so each branch that writes a value is rendered once.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.config import PACKAGE_ROOT
from mailbot.errors import ConfigError
from mailbot.inert import clean_text, deliverable_refusal
from mailbot.kinds import KINDS
from mailbot.message import InboundMail
from mailbot.outbox import one_line
from mailbot.policy import DEFAULT_DELIVERABLE_EXTENSIONS, load_policy
from mailbot.render import Renderer
from mailbot.replies.commands import read_commands
from mailbot.store.models import Person

TEMPLATES = PACKAGE_ROOT / "templates"
ALLOWED = DEFAULT_DELIVERABLE_EXTENSIONS

HOSTILE = "<img src=x onerror=alert(1)><b>X</b>\u202e\u200b\"'&"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;&lt;b&gt;X&lt;/b&gt;"
INVISIBLE = ("\u202e", "\u200b")


# Sample contexts, as the code stores them --------------------------------------------------------

DAY = "2026-12-15"
MEETING: dict[str, Any] = {
    "ref": "M-1", "title": "Q1 新品上市跨部门协作会", "project": "Q1 新品上市", "date": "2026-12-02",
    "start_time": "14:00", "end_time": "16:00", "place": "总部3楼第一会议室", "host": "li.na@corp.example",
    "recorder": "wang.fang@corp.example", "goal": "明确协作方案", "attendees": ["zhang.wei@corp.example"],
    "names": {"li.na@corp.example": "李娜", "wang.fang@corp.example": "王芳", "zhang.wei@corp.example": "张伟"},
    "attendees_text": "市场部 张伟；研发部 陈喆", "confirm_by": "2026-12-04", "status": "in_review",
    "topics": [{"number": "1", "name": "产品推广与技术支持协作流程", "owner": "李娜", "planned": 30}],
    "decisions": ["新品上市日期定为2027年1月18日。"],
}  # fmt: skip
# action_view, with what the digest, status, objection and agenda rows add to it.
ACTION: dict[str, Any] = {
    "ref": "A-1", "description": "输出新品推广活动方案初稿", "owner": "zhang.wei@corp.example", "owner_name": "张伟",
    "department": "市场部", "support": "研发部", "due": DAY, "due_text": "12月15日", "due_provisional": True,
    "deliverable": "方案初稿 PDF", "status": "in_progress", "consent": "explicit", "requester": "li.na@corp.example",
    "requester_name": "李娜", "meeting_ref": "M-1", "meeting_title": "Q1 新品上市跨部门协作会", "meeting": "M-1",
    "overdue_days": 3, "escalated": True, "delay_reason": "供应商延迟", "objection_reason": "排期已满",
    "reason": "排期已满", "done_on": "2026-12-07",
}  # fmt: skip
# action_view as the person it is handed over to (转交) is asked about it (confirmation.handover_view).
HANDOVER: dict[str, Any] = {
    **ACTION, "owner": "sun.lei@corp.example", "owner_name": "孙磊", "department": None,
    "status": "awaiting_confirmation", "consent": None, "handover_from": "zhang.wei@corp.example",
    "handover_from_name": "张伟",
}  # fmt: skip
COMMON: dict[str, Any] = {
    "token": "A1.qb2iqfzvhd", "original_subject": "任务更新", "bot_address": "minutes@corp.example",
    "bot_name": "Mailbot", "docs_url": "https://wiki.corp.example/mailbot",
}  # fmt: skip


def codes(pattern: str, *names: str) -> list[str]:
    """The codes a macro tells apart, in every language's templates (`p.code == "…"`, `in (…)`)."""
    found: dict[str, None] = {}
    for path in sorted(p for name in names for p in TEMPLATES.rglob(name)):
        for group in re.findall(pattern + r' (?:== "(\w+)"|in \(([^)]*)\))', path.read_text(encoding="utf-8")):
            found.update(dict.fromkeys(re.findall(r"\w+", " ".join(group))))
    return list(found)


# The problems whose detail is not the reader's "qualifier: text" (handlers/agenda.py).
DETAILS: dict[str, Any] = {
    "short_notice": {"days": 2, "working_days": 1, "rule_days": 3, "rule_working_days": 1},
    "version_not_allowed": {
        "ref": "M-1", "title": "Q1 新品上市跨部门协作会", "kind": "minutes", "sender": "chen.zhe@corp.example",
        "recorder": "wang.fang@corp.example", "recorder_name": "王芳", "host": "li.na@corp.example", "host_name": "李娜",
    },
    "missing_field": "title",
    "placeholder_field": "title",
}  # fmt: skip


def problems() -> list[dict[str, Any]]:
    """problem_view of every problem code, with each qualifier the sentences tell apart."""
    out = []
    for code in [*codes(r"p\.code", "_macros.txt"), "some_new_code"]:
        for qualifier in ("ambiguous", "out_of_range", "负责人") if code == "unreadable_date" else ("host",):
            out.append({"code": code, "line": "| 3 | 核算推广成本 | 财务部*主管 |",
                        "detail": DETAILS.get(code, f"{qualifier}: 尽快"), "qualifier": qualifier, "text": "尽快",
                        "section": "actions", "domains": ["corp.example"]})  # fmt: skip
    return out


PARAMS: dict[str, Any] = {
    "reason": "缺少测试报告", "host": "li.na@corp.example", "files": ["活动方案.pdf"], "refused": ["大文件.zip"],
    "requester": "li.na@corp.example", "owner": "zhang.wei@corp.example", "date": "2026-12-30", "to": "陈喆",
    "previous": "zhang.wei@corp.example", "meeting": "M-1 Q1 新品上市跨部门协作会", "expires": "2026-12-10",
    "status": "done", "closed": "2026-12-04", "due": "2027-01-10", "text": "下下周",
    "blocked": ["报告.pdf.exe"], "address": "eve@evil.example", "domains": ["corp.example"], "by": DAY,
    "deadline": DAY, "sent_to": ["li.na@corp.example", "wang.fang@corp.example"], "recorder": "wang.fang@corp.example",
    "parts": [{"code": "objected", "ref": "A-2", "params": {"reason": "排期已满", "host": "li.na@corp.example"}}],
}  # fmt: skip


def results() -> list[dict[str, Any]]:
    return [
        {"line": f"A-1 {code}", "code": code, "ok": i % 2 == 0, "ref": "A-1", "params": PARAMS}
        for i, code in enumerate([*codes(r"r\.code", "_reply.txt"), "some_new_code"])
    ]


def digest_meeting() -> dict[str, Any]:
    rows = {name: [ACTION] for name in ("overdue", "due_this_week", "delayed", "awaiting", "objections", "done",
                                        "acceptance")}  # fmt: skip
    return {"ref": "M-1", "title": MEETING["title"], "date": "2026-12-02", "status": "confirmed",
            "host": "li.na@corp.example", **rows, "scope": ["市场部", "研发部"],
            "counts": [{"status": "in_progress", "count": 4}], "overdue_count": 1, "total": 4}  # fmt: skip


# A host who also heads 市场部 (digest.glance): nine departments and one action without one, so
# the chart folds the smallest into "other"; every week of the due-week chart filled but one.
GLANCE: dict[str, Any] = {
    "hosted": 2, "headed": ["市场部"], "open": 47, "overdue": 9,
    "by_department": [{"name": n, "overdue": o, "open": c} for n, o, c in (
        ("研发部", 4, 12), ("市场部", 3, 9), ("销售部", 1, 8), ("财务部", 1, 3), ("人力资源与行政管理部", 0, 6),
        ("法务部", 0, 3), (None, 0, 1))],
    "other": {"departments": 3, "overdue": 0, "open": 5},
    "by_week": [{"key": "overdue", "from": None, "count": 9}, {"key": "this_week", "from": "2026-12-21", "count": 7},
                {"key": "next_week", "from": "2026-12-28", "count": 12}, {"key": "week", "from": "2027-01-04", "count": 0},
                {"key": "week", "from": "2027-01-11", "count": 4}, {"key": "later", "from": "2027-01-18", "count": 15}],
}  # fmt: skip


# A corrected draft: what changed since the one people had (mailbot.confirmation.changes_since).
REVISION: dict[str, Any] = {
    "revision": {"version": 2, "by": "wang.fang@corp.example"},
    "changes": {"since": 1, "actions": {"A-1": ["due", "deliverable"], "A-5": ["new"]},
                "removed": [{"ref": "A-3", "description": "制定销售培训计划"}], "fields": ["place"], "topics": True,
                "decisions_added": ["上市日期定为1月18日"], "decisions_removed": []},
}  # fmt: skip


def samples() -> dict[str, list[dict[str, Any]]]:
    """Per kind, the contexts that take each branch of its templates."""
    meeting_action = {"meeting": MEETING, "action": ACTION}
    return {
        "agenda_ack": [{"meeting": MEETING, "warnings": problems(), "updated": u, "open_points": [ACTION]}
                       for u in (True, False)],
        "agenda_rejected": [{"problems": problems(), "sections": ["fields", "actions", "people", "dates"]}],
        "minutes_ack": [{"meeting": MEETING, "actions": [ACTION], "version": 2, "warnings": problems(),
                         "provisional": True}],
        "minutes_rejected": [{"problems": problems(), "sections": ["fields", "actions"], "meeting": m}
                             for m in (MEETING, None)],
        "reply_result": [{"results": results(), "unrecognised": ["今天下午开会"], "open_actions": [ACTION],
                          "today": "2026-12-03"},
                         {"results": results(), "unrecognised": [], "open_actions": [], "today": "2026-12-03",
                          "final": {"meeting": MEETING, "actions": [ACTION], "version": 2,
                                    "changes": REVISION["changes"]}}],
        "reply_refused": [{"results": results(), "unrecognised": ["今天下午开会"], "open_actions": [ACTION],
                           "today": "2026-12-03"}],
        "status": [{"actions": a, "to_verify": [ACTION], "today": "2026-12-07"} for a in ([ACTION], [])],
        "help": [{"reason": r} for r in (None, "not_allowed")],
        "too_big": [{"lines": 5010, "line_limit": 3000}, {"limit": 10485760}],
        "processing_error": [{"error": "RuntimeError: 磁盘已满"}],
        "agenda_notice": [{"meeting": MEETING, "open_points": [ACTION], "materials_by": "2026-12-01", "update": u}
                          for u in (None, {"by": "wang.fang@corp.example", "changes": []},
                                    {"by": "wang.fang@corp.example",
                                     "changes": [{"field": f, "old": o, "new": n} for f, o, n in (
                                         ("date", "2026-12-02", "2026-12-03"), ("start_time", "14:00", "15:00"),
                                         ("end_time", None, "16:00"), ("place", "3楼", "5楼"),
                                         ("host", "li.na@corp.example", "zhou.jianguo@corp.example"))]})],
        "agenda_cancel": [{"meeting": MEETING, "by": "wang.fang@corp.example", "no_reply": True}],
        "confirm_request": [{"meeting": MEETING, "mine": m, "actions": [ACTION, ACTION]}
                            for m in ([ACTION], [ACTION, ACTION])]
                           + [{"meeting": MEETING, "mine": [ACTION], "actions": [ACTION],
                               "why": {"reason": r, "by": "李娜", "old_due": DAY, "previous": "赵敏"}}
                              for r in ("rescheduled", "reassigned", "delegated", "reopened")]
                           # To the person an action is handed over to (转交): shown as theirs-to-be.
                           + [{"meeting": MEETING, "mine": [HANDOVER], "actions": [ACTION, HANDOVER],
                               "why": {"reason": "delegated", "by": "赵敏"}}]
                           + [{"meeting": MEETING, "mine": [ACTION], "actions": [ACTION], **REVISION}],
        "minutes_notice": [{"meeting": MEETING, "actions": [ACTION]},
                           {"meeting": MEETING, "actions": [{**ACTION, "status": "accepted"}], **REVISION}],
        "objection_notice": [{"meeting": MEETING, "action": a, "reason": "排期已满", "by": "chen.zhe@corp.example"}
                             for a in (ACTION, None)]
                            # To the minutes as a whole: the host's copy, and the recorder's.
                            + [{"meeting": MEETING, "action": None, "reason": "决议第1条写错了", "by": by,
                                "for_recorder": recorder, "also": also}
                               for by, recorder, also in (("sun.lei@corp.example", False, ["wang.fang@corp.example"]),
                                                          ("li.na@corp.example", True, []),
                                                          ("sun.lei@corp.example", True, ["li.na@corp.example"]))],
        "acceptance_request": [{**meeting_action, "owner": "zhang.wei@corp.example", "note": "方案见附件",
                                "files": ["活动方案.pdf"], "attached": ["活动方案.pdf"]}],
        "acceptance_result": [{**meeting_action, "by": "zhao.min@corp.example", "rejected": r,
                               "reason": "缺少华南区的对比数据"} for r in (True, False)],
        "final_minutes": [{"meeting": MEETING, "actions": [ACTION]}],
        "away_notice": [{**meeting_action, "actions": [ACTION], "owner": "zhao.min@corp.example", "away_until": "2026-12-09",
                         "new_deadline": "2026-12-11", "proxy": p} for p in (None, "sun.lei@corp.example")],
        "bounce_notice": [{"meeting": MEETING, "owner": "zhu.rong@corp.example", "actions": [ACTION],
                           "bounced_kind": "confirm_request"}],
        "objections_open": [{"meeting": MEETING, "objections": [ACTION]}],
        "minutes_late": [{"meeting": MEETING, "step": s, "recorder": "wang.fang@corp.example"}
                         for s in ("first", "again", "host")],
        # The first (the screenshot's): Fri 12-18, the last working day before a Sunday due date.
        "reminder": [{"meeting": MEETING, "action": {**ACTION, "due": due}, "when": w, "today": today,
                      "due_is_workday": workday, "last_workday": last, "days_left": left, "overdue_days": late}
                     for w, due, today, workday, last, left, late in (
                         ("last_day", "2026-12-20", "2026-12-18", False, "2026-12-18", 0, 0),
                         ("before", "2026-12-20", "2026-12-16", False, "2026-12-18", 2, 0),
                         ("before", "2026-12-15", "2026-12-11", True, "2026-12-15", 2, 0),
                         ("due", "2026-12-15", "2026-12-15", True, "2026-12-15", 0, 0),
                         ("overdue", "2026-12-15", "2026-12-18", True, "2026-12-15", 0, 3),
                         ("overdue", "2026-12-18", "2026-12-19", True, "2026-12-18", 0, 0))]
                    # as stored before the day's facts were in the context: still renders
                    + [{**meeting_action, "when": w, "overdue_days": 3, "today": "2026-12-11"}
                       for w in ("before", "due", "overdue")],
        "escalation": [{**meeting_action, "overdue_days": 7, "today": "2026-12-22"}],
        "acceptance_reminder": [{**meeting_action, "done_at": "2026-12-03", "waiting_days": 4, "number": 2}],
        "digest": [{"today": "2026-12-21", "week": "2026-W52", "week_start": "2026-12-21", "week_end": "2026-12-27",
                    "recipient": "li.na@corp.example", "mine": [ACTION], "to_verify": [ACTION],
                    "meetings": [digest_meeting()], "overdue_total": 1, "mine_overdue": 1,
                    "meeting_language": "zh", "glance": GLANCE}],
        "delivery_failed": [{"to": "nobody@corp.example", "subject": "Re: 你好", "error": "550 5.1.1 no such user",
                             "failed_kind": "help"}],
        "group_post_failed": [{"robot": "新品发布", "service": "dingtalk", "service_name": "DingTalk (钉钉)",
                               "title": "正式版会议纪要：新品发布协调会（M-3）", "event": "official", "meeting_ref": r,
                               "meeting_title": "新品发布协调会", "attempts": 6, "queued_at": "2026-12-07 10:00",
                               "error": "HTTP 400: {\"errcode\":310000,\"errmsg\":\"sign not match\"}",
                               "pending": p, "no_reply": True} for r, p in (("M-3", 2), (None, 0))],
        "sender_check": [{"what": w, "lines": ["A-1 完成"], "more_lines": 2, "expires": "2026-12-10",
                          "received_at": "2026-12-07T10:00:00+08:00", "address": "zhang.wei@corp.example",
                          "sent_by_login": login}
                         for w, login in (("reply", None), ("minutes", None), ("agenda", None),
                                          ("reply", "sun.lei@corp.example"))],
        "delay_notice": [{**meeting_action, "old_due": "2026-12-18", "new_due": "2026-12-28", "reason": "档期冲突",
                          "note": n} for n in (None, "讲师下周到岗")],
        "note_notice": [{**meeting_action, "note": "马超这周出差\n名单由我来提交", "writer": "zhao.min@corp.example",
                         "writer_name": w} for w in ("赵敏", "")]
                       # The person named in a 转交 declined: the owner keeps it.
                       + [{**meeting_action, "note": "下周休假", "writer": "zhou.ting@corp.example", "writer_name": "周婷",
                           "audience": "progress", "host_copy": False,
                           "remarks": [{**ACTION, "refs": ["A-1"], "text": "下周休假", "overruled": False,
                                        "withdrawn": False, "declined": True, "by": "zhou.ting@corp.example",
                                        "by_name": "周婷", "by_host": False, "yours": True}]}],
        "forgery_notice": [{"address": "zhang.wei@corp.example", "subject": "A-1 完成", "received_at": "2026-12-07 10:00",
                            "inbound_id": 7, "commands": False}],
    }  # fmt: skip


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
CODE = re.compile(r"[a-z][a-z0-9_]*")


def hostile(value: Any, keep_codes: bool) -> Any:
    """Every string made hostile, but days (the `day` filter reads them; no mail writes one) and,
    with `keep_codes`, the snake_case codes that choose a template's branch (no markup in those)."""
    if isinstance(value, str):
        return value if ISO_DAY.match(value) or (keep_codes and CODE.fullmatch(value)) else HOSTILE
    if isinstance(value, dict):
        return {key: hostile(item, keep_codes) for key, item in value.items()}
    if isinstance(value, list):
        return [hostile(item, keep_codes) for item in value]
    return value


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(TEMPLATES)


def test_every_kind_has_a_sample() -> None:
    assert set(samples()) == set(KINDS)


@pytest.mark.parametrize("keep_codes", [True, False], ids=["branches", "all-hostile"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_renders_hostile_values_inert(renderer: Renderer, kind: str, keep_codes: bool) -> None:
    for language in renderer.languages.available:
        for sample in samples()[kind]:
            context = hostile({**sample, **COMMON}, keep_codes)
            mail = renderer.render(kind, language, context)
            where = f"{kind} in {language}: {sample}"
            assert "<img" not in mail.html and "<b>X" not in mail.html, where
            assert ESCAPED in mail.html, where  # the value is shown, as text
            for char in INVISIBLE:
                assert char not in mail.html and char not in mail.text and char not in mail.subject, where
            assert "\n" not in mail.subject, where


def test_text_from_text_templates_is_escaped_once_in_html(renderer: Renderer) -> None:
    """The kinds whose HTML shows their text body, and the reply results' sentences: escaped, and
    only once (an address in angle brackets reads as one, not as `&amp;lt;`)."""
    context = {**samples()["objections_open"][0], **COMMON}
    html = renderer.render(
        "objections_open", "zh", {**context, "objections": [{**ACTION, "description": "A < B & C"}]}
    ).html
    assert "A &lt; B &amp; C" in html
    assert "&lt;zhang.wei@corp.example&gt;" in html and "&amp;lt;" not in html
    context = {**samples()["reply_result"][0], **COMMON}
    html = renderer.render("reply_result", "en", context).html
    assert "&amp;lt;" not in html and "&amp;quot;" not in html


# clean_text ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("王强\u202e", "王强"),
        ("\u202e王强\u202c", "王强"),
        ("张\u200b伟", "张伟"),
        ("确\u200b认", "确认"),
        ("\ufeff【纪要】Q1 会议", "【纪要】Q1 会议"),
        ("季度\u00ad报告\u2060\u2066.pdf\u2069", "季度报告.pdf"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("\u200e\u200f\u061c\u180e\u200c\u200d", ""),
        ("Zhang Wei\u3164", "Zhang Wei"),
        ("a\U000e0041\U000e0042b", "ab"),  # tag characters: text no reader sees
        ("👨\u200d👩\u200d👧", "👨👩👧"),  # the price: an emoji family falls apart
    ],
)
def test_clean_text_removes_bidi_controls_and_invisible_characters(text: str, expected: str) -> None:
    assert clean_text(text) == expected


def test_clean_text_keeps_what_shows() -> None:
    for text in (
        "王强",
        "欧阳 娜娜",
        "A-12 延期至 12月30日，原因：供应商延迟",
        "Zoë Ørsted",
        "שלום",
        "مرحبا",
        "😀",
        "a\tb\nc",
    ):
        assert clean_text(text) is text  # untouched, not even copied


def test_a_zero_width_character_inside_a_command_word_does_not_hide_the_command() -> None:
    message = EmailMessage()
    message["From"] = "张伟 <zhang.wei@corp.example>"
    message["To"] = "minutes@corp.example"
    message["Subject"] = "Re: 确认请求"
    message.set_content("确\u200b认\nA-1 完\u2060成\n")
    mail = InboundMail.from_bytes(message.as_bytes())
    assert mail.body_text == "确认\nA-1 完成\n"
    commands, unrecognised = read_commands(mail.body_text)
    assert len(commands) == 2 and unrecognised == []


# deliverable_refusal -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "content_type", "reason"),
    [
        ("季度报告.pdf", "application/pdf", None),
        ("图片.JPG", "image/jpeg", None),
        ("行动项跟踪表.xlsx", "application/octet-stream", None),
        ("会议纪要（正式版）.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", None),
        ("电子发票.ofd", "application/ofd", None),
        ("设计稿 v1.2.zip", "application/zip", None),
        ("acme.com.pdf", "application/pdf", None),  # a domain in a name is not an extension
        ("报告.pdf.exe", "application/octet-stream", "double_extension"),
        ("报告.docx.scr", "application/octet-stream", "double_extension"),
        ("invoice.pdf          .exe", "application/pdf", "double_extension"),
        ("invoice.pdf\u3000.exe", "application/pdf", "double_extension"),
        ("invoice\u202egpj.exe", "image/jpeg", "double_extension"),  # shows as invoiceexe.jpg
        ("photo\u202egnp.zip", "application/zip", "double_extension"),  # shows as photopiz.png
        ("setup.exe.zip", "application/zip", "double_extension"),
        ("setup.EXE", "application/octet-stream", "executable"),
        ("run.bat", "text/plain", "executable"),
        ("report.exe.", "application/pdf", "executable"),  # Windows drops the trailing dot
        ("宏.docm", "application/octet-stream", "executable"),
        ("季度报告.pdf", "application/x-msdownload", "executable"),  # whatever the name says
        ("报表.xlsx", "application/x-dosexec; charset=binary", "executable"),
        ("tool.jar.txt", "application/java-archive", "executable"),
        ("script.txt", "application/x-sh", "executable"),
        ("page.pdf", "application/hta", "executable"),
        ("archive.tar.gz", "application/gzip", "type_not_allowed"),
        ("备份.7z", "application/x-7z-compressed", "type_not_allowed"),
        ("page.html", "text/html", "type_not_allowed"),
        ("logo.svg", "image/svg+xml", "type_not_allowed"),
        ("README", "text/plain", "type_not_allowed"),
        ("", "application/pdf", "no_name"),
        ("\u202e\u200b", "application/pdf", "no_name"),
        (" . ", "application/pdf", "no_name"),
    ],
)
def test_deliverable_refusal(filename: str, content_type: str, reason: str | None) -> None:
    assert deliverable_refusal(filename, content_type, ALLOWED) == reason


def test_the_allowed_list_is_read_in_any_case_with_or_without_a_dot() -> None:
    assert deliverable_refusal("plan.MPP", "application/octet-stream", [".Mpp"]) is None
    assert deliverable_refusal("plan.pdf", "application/pdf", []) == "type_not_allowed"


def test_a_parsed_attachment_is_judged_by_the_name_it_came_with_and_shown_by_the_clean_one() -> None:
    message = EmailMessage()
    message["From"] = "王强\u202e <wang.qiang@corp.example>"
    message["To"] = "minutes@corp.example"
    message["Subject"] = "A-1 完成\u202e\u200b"
    message.set_content("A-1 完成")
    message.add_attachment(b"MZ", maintype="image", subtype="jpeg", filename="invoice\u202egpj.exe")
    message.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="季度\u200b报告.pdf")
    mail = InboundMail.from_bytes(message.as_bytes())
    assert mail.subject == "A-1 完成"
    assert mail.sender is not None and mail.sender.name == "王强"
    disguised, report = mail.attachments
    assert disguised.filename == "invoicegpj.exe" and disguised.raw_filename == "invoice\u202egpj.exe"
    assert disguised.deliverable_refusal(ALLOWED) == "double_extension"
    assert report.filename == "季度报告.pdf"
    assert report.deliverable_refusal(ALLOWED) is None


# Policy --------------------------------------------------------------------------------------------


def test_the_shipped_policy_allows_documents_and_zip_and_nothing_that_runs() -> None:
    allowed = load_policy(PACKAGE_ROOT / "rules" / "policy.toml").deliverables.allowed_extensions
    assert allowed == list(DEFAULT_DELIVERABLE_EXTENSIONS)
    assert {"pdf", "docx", "xlsx", "pptx", "jpg", "png", "txt", "csv", "md", "zip"} <= set(allowed)
    assert not {"exe", "js", "html", "svg", "7z", "rar"} & set(allowed)


@pytest.mark.parametrize(
    ("section", "error"),
    [
        ('allowed_extensions = ["PDF", ".Docx"]', None),
        ('allowed_extensions = ["pdf", "exe"]', r"deliverables\.allowed_extensions: 'exe' runs code"),
        ('allowed_extensions = ["svg"]', r"'svg' runs code"),
        ('allowed_extensions = ["*.pdf"]', r"'\*\.pdf' is not an extension"),
        ('allowed_extensions = "pdf"', r"deliverables\.allowed_extensions: expected a list of str"),
        ('allowed_extensions = ["pdf"]\nforward_all = true', r"deliverables\.forward_all: unknown key"),
    ],
)
def test_the_deliverables_section_is_checked_at_start(tmp_path: Path, section: str, error: str | None) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(f"[deliverables]\n{section}\n", encoding="utf-8")
    if error is None:
        assert load_policy(path).deliverables.allowed_extensions == ["pdf", "docx"]
        return
    with pytest.raises(ConfigError, match=error):
        load_policy(path)


# Headers and the database ----------------------------------------------------------------------------


def test_header_values_lose_bidi_controls_and_invisible_characters() -> None:
    assert one_line("【提醒】A-1\u202e 方案\u200b初稿\n", 250) == "【提醒】A-1 方案初稿"
    assert one_line("王\u2066强\u2069", 80) == "王强"


def test_every_stored_string_loses_bidi_controls_and_invisible_characters(app: App) -> None:
    with app.db.session() as session:
        session.add(
            Person(
                address="wang.qiang@corp.example",
                name="王强\u202e\u200b",
                department="市\u2060场部",
                created_at=app.now(),
            )
        )
        session.commit()
    with app.db.session() as session:
        person = session.scalar(select(Person).where(Person.address == "wang.qiang@corp.example"))
        assert person is not None and (person.name, person.department) == ("王强", "市场部")
