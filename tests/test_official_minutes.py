"""The official minutes (正式版会议纪要), as the seed template lays them out: basic information (with
地点, 参会人员, 缺席人员及原因, 会议目标), 议题与讨论要点, 决议事项 and the 行动项跟踪表 with each
action's current state and how it was settled — HTML tables and a text part saying the same; a
later version marks what changed since the previous official one.

A realistic round: the Foxmail agenda, the Outlook minutes draft (GBK, HTML tables), one owner
confirms, one delays, one delivers and has it verified, one stays silent; the deadline job closes
the round and the final minutes go out.
"""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.pipeline import process
from mailbot.render import Renderer
from mailbot.store.models import ActionItem, Decision, Meeting, MinutesVersion, OutboxMail
from mailbot.workflow.consent import run_consent_deadlines
from tests.helpers import actions, at, feed, outbox
from tests.replying import reply

HOST, RECORDER = "li.na@corp.example", "wang.fang@corp.example"


class Tables(HTMLParser):
    """The data tables of an HTML part (bordered, as the seed's tables are): rows of cell texts,
    a <br> read as a line break."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._in_table = False
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("border", "1") in attrs:
            self._in_table = True
            self.tables.append([])
        elif self._in_table and tag == "tr":
            self.tables[-1].append([])
        elif self._in_table and tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._in_table = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def headed(self, *header: str) -> list[list[str]]:
        """The rows (header left out) of the one table whose header row starts with `header`."""
        (table,) = [t for t in self.tables if t and tuple(t[0][: len(header)]) == header]
        return table[1:]


def tick(app: App, clock: FixedClock, when: str) -> dict[str, int]:
    at(clock, when)
    return run_consent_deadlines(app, app.now())


def request_to(app: App, address: str) -> OutboxMail:
    return next(m for m in outbox(app, "confirm_request") if m.to_address == address)


@pytest.fixture
def zh_final(app: App, clock: FixedClock) -> OutboxMail:
    """The Chinese round: A-1 confirmed, A-2 delayed, A-3 done and verified, A-4 silent."""
    at(clock, "2026-11-30 09:20")
    assert feed(app, "foxmail_zh_agenda_gbk.eml").outcome == "processed"
    at(clock, "2026-12-02 18:00")
    assert feed(app, "outlook_zh_minutes_gbk_html.eml").outcome == "processed"
    at(clock, "2026-12-03 10:00")
    process(app, reply(app, request_to(app, "zhang.wei@corp.example"), "确认"))
    process(app, reply(app, request_to(app, "chen.zhe@corp.example"), "延期至 2026-12-20，原因：等待供应商样机"))
    process(app, reply(app, request_to(app, "zhao.min@corp.example"), "完成"))
    at(clock, "2026-12-04 11:00")
    (acceptance,) = outbox(app, "acceptance_request")
    process(app, reply(app, acceptance, "确认"))
    assert outbox(app, "final_minutes") == []  # A-4 still awaits its answer
    assert tick(app, clock, "2026-12-07 09:00")["confirmed"] == 1
    return next(m for m in outbox(app, "final_minutes") if m.to_address == HOST)


def test_the_final_minutes_carry_every_section_and_field_of_the_seed_in_the_text_part(zh_final: OutboxMail) -> None:
    text = zh_final.body_text or ""
    assert "以下为正式版" in text and "（第" not in text.split("\n\n")[1]  # the first version says no number
    # 一、会议基本信息, every field of the seed's table.
    for line in (
        "一、会议基本信息",
        "会议名称：Q1 新品上市跨部门协作会（M-1）",
        "会议时间：2026年12月2日（周三） 14:00-16:00",
        "会议地点：总部3楼第一会议室（线上：腾讯会议 123-456-789）",
        "主持人：李娜 <li.na@corp.example>",
        "记录人：王芳 <wang.fang@corp.example>",
        "参会部门及人员：市场部：李娜、张伟；研发部：陈喆、刘洋；销售部：赵敏、孙磊；财务部：周婷、朱镕",
        "缺席人员及原因：无",
        "会议目标：明确 Q1 新品上市涉及的市场推广、技术支持、销售培训与预算分配的跨部门协作方案",
    ):
        assert f"\n{line}\n" in text, line
    # 二、议题与讨论要点: each topic with its owner and planned time, and what was said.
    topics = text.split("二、议题与讨论要点\n")[1].split("\n\n三、")[0]
    # The minutes' own topics (what was discussed) replace the agenda's, with the times written.
    assert "1.1 产品推广与技术支持协作流程\n    负责人：李娜；预计时长：30 分钟" in topics
    assert "1.3 上市时间节点对齐\n    负责人：陈喆；预计时长：40 分钟" in topics
    assert "      共识：推广费用占比25%，提成占比55%，由财务部复核。\n" in topics
    assert "行动项确认" not in topics  # an agenda item the minutes do not record
    # 三、决议事项.
    assert "三、决议事项\n  1. 新品上市日期定为2027年1月18日。\n  2. 推广费用占比25%" in text
    # 四、行动项跟踪表: per action its owner, support, due date, deliverable, verifier, state and settlement.
    table = text.split("四、行动项跟踪表\n")[1]
    entries = {block.split()[0]: block for block in table.split("\n\n") if block.startswith("A-")}
    assert set(entries) == {"A-1", "A-2", "A-3", "A-4"}
    assert entries["A-1"] == (
        "A-1  输出新品推广活动方案初稿\n"
        "    负责人：市场部 张伟 <zhang.wei@corp.example>\n"
        "    配合部门：研发部\n"
        "    完成时限：2026年12月15日（周二）\n"
        "    交付标准：方案初稿 PDF\n"
        "    验收人：李娜 <li.na@corp.example>\n"
        "    当前状态：已确认\n"
        "    确认方式：负责人已回复确认"
    )
    # Delayed: the new date, the one it replaced and the reason — never "确认方式：已延期".
    assert "    完成时限：2026年12月20日（周日）\n" in entries["A-2"]
    assert (
        "    当前状态：已延期：原定 2026年12月10日（周四），延期至 2026年12月20日（周日）；原因：等待供应商样机\n"
        "    确认方式：负责人回复延期，按新时限执行"
    ) in entries["A-2"]
    assert "确认方式：已延期" not in text
    # Delivered and verified (验收): when and by whom; the owner's "done" was also their yes.
    assert (
        "    当前状态：已验收，2026年12月4日（周五）由 李娜 <li.na@corp.example> 验收\n    确认方式：负责人已回复确认"
    ) in entries["A-3"]
    assert "    确认方式：逾期未回复，视为同意" in entries["A-4"]
    # Only the work still to do is asked for: the verified action is not under 请按时完成.
    assert "请以下行动项的负责人按时完成：A-1、A-2、A-4；" in text
    assert "待验收" not in text and "A-3" not in text.split("请以下行动项的负责人按时完成")[1]


def test_the_final_minutes_html_part_is_the_seed_tables(zh_final: OutboxMail) -> None:
    html = zh_final.body_html or ""
    assert "<pre" not in html and "white-space:pre-wrap" not in html  # tables, not the text part in a box
    tables = Tables(html)
    info = dict(tables.headed("项目", "内容"))
    assert info == {
        "会议名称": "Q1 新品上市跨部门协作会（M-1）",
        "会议时间": "2026年12月2日（周三） 14:00-16:00",
        "会议地点": "总部3楼第一会议室（线上：腾讯会议 123-456-789）",
        "主持人": "李娜 <li.na@corp.example>",
        "记录人": "王芳 <wang.fang@corp.example>",
        "参会部门及人员": "市场部：李娜、张伟；研发部：陈喆、刘洋；销售部：赵敏、孙磊；财务部：周婷、朱镕",
        "缺席人员及原因": "无",
        "会议目标": "明确 Q1 新品上市涉及的市场推广、技术支持、销售培训与预算分配的跨部门协作方案",
    }
    topics = tables.headed("议题编号", "议题名称", "讨论要点", "负责人", "预计时长", "实际时长")
    assert [row[:2] for row in topics] == [
        ["1.1", "产品推广与技术支持协作流程"], ["1.2", "销售提成预算分配方案"], ["1.3", "上市时间节点对齐"],
    ]  # fmt: skip
    assert topics[0][3:] == ["李娜", "30 分钟", "35 分钟"]  # "（负责人：李娜，计划30分钟，实际35分钟）"
    assert topics[1][2].startswith("分歧：销售部建议推广费用占比30%")
    decisions = tables.headed("序号", "决议内容")
    assert decisions[0] == ["1", "新品上市日期定为2027年1月18日。"] and len(decisions) == 3
    header = ["编号", "任务描述", "负责人", "配合部门", "完成时限", "交付标准", "状态", "确认方式"]
    rows = {row[0]: row for row in tables.headed(*header)}
    assert set(rows) == {"A-1", "A-2", "A-3", "A-4"}
    assert rows["A-1"][1:6] == [
        "输出新品推广活动方案初稿", "市场部 张伟\nzhang.wei@corp.example", "研发部", "2026年12月15日（周二）", "方案初稿 PDF",
    ]  # fmt: skip
    assert rows["A-1"][6:] == ["已确认\n验收人 李娜 <li.na@corp.example>", "负责人已回复确认"]
    assert rows["A-2"][4] == "2026年12月20日（周日）"
    assert rows["A-2"][6:] == [
        "已延期\n原定 2026年12月10日（周四），延期至 2026年12月20日（周日）\n原因：等待供应商样机",
        "负责人回复延期，按新时限执行",
    ]
    assert rows["A-3"][6:] == ["已验收\n2026年12月4日（周五）\n验收人 李娜 <li.na@corp.example>", "负责人已回复确认"]
    assert rows["A-4"][6:] == ["已确认\n验收人 李娜 <li.na@corp.example>", "逾期未回复，视为同意"]
    assert "请以下行动项的负责人按时完成：<b>A-1、A-2、A-4</b>" in html


def test_english_final_minutes_say_the_same_in_english(app: App, clock: FixedClock) -> None:
    """Zhou Ting hosts and owns A-1: her "done" is final (nobody verifies their own work)."""
    at(clock, "2026-12-07 20:00")
    assert feed(app, "gmail_en_minutes_markdown.eml").outcome == "processed"
    at(clock, "2026-12-08 10:00")
    process(app, reply(app, request_to(app, "zhou.ting@corp.example"), "done", style="gmail_en"))
    process(app, reply(app, request_to(app, "zhao.min@corp.example"), "confirm", style="gmail_en"))
    process(
        app,
        reply(app, request_to(app, "chen.zhe@corp.example"), "delay to 2026-12-18 because vendor quotes are late",
              style="gmail_en"),
    )  # fmt: skip
    assert tick(app, clock, "2026-12-10 09:00")["confirmed"] == 1
    final = next(m for m in outbox(app, "final_minutes") if m.to_address == "zhou.ting@corp.example")
    assert final.language == "en"
    text = final.body_text or ""
    for line in (
        "1. Meeting information",
        "Meeting: Q1 Launch Budget Review (M-1)",
        "When: Mon 7 Dec 2026 10:00-11:30",
        "Where: HQ 5F Room 502 / Tencent Meeting 987-654-321",
        "Host: Zhou Ting <zhou.ting@corp.example>",
        "Recorder: Li Na <li.na@corp.example>",
        "Attendees: Zhou Ting, Li Na, Zhang Wei, Zhao Min, Chen Zhe",
        "Absent (and why): Sun Lei (customer visit)",
        "2. Topics and discussion",
        "3. Decisions",
        "  1. Promotion 25%, commission 55%, reserve 20%.",
        "4. Action tracking",
        "    Status: Done on Tue 8 Dec 2026",
        "    Accepted: confirmed by the owner",
        "    Status: Delayed from Thu 10 Dec 2026 to Fri 18 Dec 2026; reason: vendor quotes are late",
        "    Accepted: the owner answered with a new date",
        "    Accepted: no reply by the deadline: silent consent",
    ):
        assert f"\n{line}\n" in text, line
    assert "Owners, please complete on time: A-2, A-3, A-4." in text  # A-1 is done: not asked for
    tables = Tables(final.body_html or "")
    info = dict(tables.headed("Item", "Details"))
    assert info["Where"] == "HQ 5F Room 502 / Tencent Meeting 987-654-321"
    assert info["Absent (and why)"] == "Sun Lei (customer visit)"
    assert len(tables.headed("No.", "Decision")) == 2
    rows = {r[0]: r for r in tables.headed("No.", "Task", "Owner", "Support", "Due", "Deliverable", "Status")}
    assert rows["A-1"][6:] == ["Done\nTue 8 Dec 2026", "confirmed by the owner"]
    assert rows["A-3"][6].startswith("Delayed\nfrom Thu 10 Dec 2026 to Fri 18 Dec 2026\nReason: vendor quotes")
    assert rows["A-4"][7] == "no reply by the deadline: silent consent"


def test_a_done_action_awaiting_verification_is_asked_of_its_verifier_not_of_its_owner(
    app: App, clock: FixedClock
) -> None:
    at(clock, "2026-12-02 18:00")
    assert feed(app, "outlook_zh_minutes_gbk_html.eml").outcome == "processed"
    at(clock, "2026-12-03 10:00")
    process(app, reply(app, request_to(app, "zhao.min@corp.example"), "完成"))
    tick(app, clock, "2026-12-07 09:00")
    final = next(m for m in outbox(app, "final_minutes") if m.to_address == HOST)
    text = final.body_text or ""
    assert "    当前状态：已完成，2026年12月3日（周四） 交付，待 李娜 <li.na@corp.example> 验收\n" in text
    assert "请以下行动项的负责人按时完成：A-1、A-2、A-4；" in text
    said = "待验收：A-3（验收人 李娜 <li.na@corp.example>）。验收人回复“A-3 验收通过”即验收通过，回复“A-3 验收不通过：原因”"
    assert said in text
    rows = {r[0]: r for r in Tables(final.body_html or "").headed("编号", "任务描述")}
    assert rows["A-3"][6] == "已完成\n2026年12月3日（周四）\n待 李娜 <li.na@corp.example> 验收"
    # Doing as the mail says, in reply to it, is what verifies the work ("确认" alone confirmed the
    # minutes and left A-3 waiting: hand trial 21, item 2).
    assert process(app, reply(app, final, "A-3 验收通过")).outcome == "processed"
    assert next(a.status for a in actions(app) if a.ref == "A-3") == "verified"


def test_a_later_official_version_marks_what_changed_since_the_previous_one(
    zh_final: OutboxMail, app: App, clock: FixedClock
) -> None:
    """A corrected draft after the 正式版 went out (v2): A-4 gets a new date, A-3 is dropped, A-5 is
    new, the place and a decision change. (Rows set as a corrected draft leaves them: the minutes
    handler's own matching of settled actions is not what this tests.)"""
    at(clock, "2026-12-08 09:00")
    with app.db.transaction() as session:
        meeting = session.scalars(select(Meeting)).one()
        v1 = session.scalars(select(MinutesVersion)).one()
        v1.status = "superseded"
        v2 = MinutesVersion(
            meeting_id=meeting.id, number=2, inbound_mail_id=v1.inbound_mail_id, status="active", created_at=app.now()
        )
        session.add(v2)
        session.flush()
        by_ref = {a.ref: a for a in meeting.actions}
        by_ref["A-4"].due, by_ref["A-4"].status, by_ref["A-4"].consent = date(2027, 1, 8), "awaiting_confirmation", None
        by_ref["A-4"].confirm_by = date(2026, 12, 10)
        by_ref["A-3"].status = "cancelled"
        session.add(
            ActionItem(
                meeting_id=meeting.id, version_id=v2.id, description="筹备上市发布会", owner_address="zhang.wei@corp.example",
                owner_name="张伟", department="市场部", due=date(2027, 1, 10), status="awaiting_confirmation",
                confirm_by=date(2026, 12, 10), requester_address=HOST, created_at=app.now(), updated_at=app.now(),
            )
        )  # fmt: skip
        meeting.place = "总部5楼大会议室"
        meeting.decisions.append(Decision(position=3, text="上市发布会由市场部牵头。"))
        meeting.status = "in_review"
    assert tick(app, clock, "2026-12-11 09:00")["confirmed"] == 1
    finals = [m for m in outbox(app, "final_minutes") if m.to_address == HOST]
    assert [f.key for f in finals] == [
        "final_minutes:M-1:v1:li.na@corp.example",
        "final_minutes:M-1:v2:li.na@corp.example",
    ]
    text = finals[1].body_text or ""
    assert "以下为正式版（第 2 版）。" in text
    assert (
        "与上一正式版（第 1 版）相比，本版的变化：\n"
        "  · 新增行动项：A-5\n"
        "  · 修改行动项：A-4\n"
        "  · 取消行动项：A-3 制定销售培训计划\n"
        "  · 会议基本信息：会议地点有更新\n"
        "  · 新增决议：上市发布会由市场部牵头。\n"
    ) in text
    assert "A-4  核算推广费用与提成预算占比  【已修改：完成时限】\n" in text
    assert "A-5  筹备上市发布会  【新增】\n" in text
    assert "A-3  制定销售培训计划  【本版已取消】" in text
    assert "A-1  输出新品推广活动方案初稿\n" in text  # unchanged: no mark
    html = finals[1].body_html or ""
    assert "与上一正式版（第 1 版）相比，本版的变化：" in html
    rows = {r[0].split("\n")[0]: r for r in Tables(html).headed("编号", "任务描述")}
    assert rows["A-4"][0] == "A-4\n已修改：完成时限" and rows["A-5"][0] == "A-5\n新增"
    assert rows["A-3"][2] == "本版已取消" and rows["A-1"][0] == "A-1"
    # The English reader gets the same changes in English.
    context: dict[str, Any] = finals[1].context
    english = app.renderer.render("final_minutes", "en", context)
    assert "What changed since the previous official version (version 1):" in english.text
    assert "  - changed actions: A-4\n" in english.text and "[changed: due date]" in english.text


def test_values_in_the_new_fields_stay_inert(app: App) -> None:
    """What people wrote (discussion, absentees, delay reasons, notes, changed decisions) reaches
    the HTML escaped, in both languages."""
    hostile = "<img src=x onerror=alert(1)>\u202e"
    meeting = {
        "ref": "M-1", "title": "T", "project": None, "date": "2026-12-02", "start_time": None, "end_time": None,
        "place": hostile, "host": HOST, "recorder": RECORDER, "goal": hostile, "attendees": [HOST], "names": {},
        "attendees_text": "", "absent_text": hostile, "confirm_by": "2026-12-04", "status": "confirmed",
        "topics": [{"number": "1", "name": hostile, "owner": hostile, "planned": 30, "actual": 35,
                    "discussion": f"{hostile}\n共识：{hostile}"}],
        "decisions": [hostile],
    }  # fmt: skip
    action = {
        "ref": "A-1", "description": hostile, "owner": "zhang.wei@corp.example", "owner_name": hostile,
        "department": None, "support": "", "due": "2026-12-20", "due_text": "", "due_provisional": False,
        "deliverable": "", "status": "delayed", "consent": None, "requester": HOST, "requester_name": None,
        "notes": hostile, "delay_reason": hostile, "original_due": "2026-12-10", "done_on": None, "verified_on": None,
    }  # fmt: skip
    changes = {"since": 1, "actions": {"A-1": ["due"]}, "removed": [{"ref": "A-2", "description": hostile}],
               "fields": ["place"], "topics": True, "decisions_added": [hostile], "decisions_removed": [hostile]}  # fmt: skip
    renderer: Renderer = app.renderer
    for language in ("zh", "en"):
        mail = renderer.render(
            "final_minutes", language,
            {"meeting": meeting, "actions": [action], "version": 2, "changes": changes, "token": None,
             "bot_address": "minutes@corp.example", "bot_name": "Mailbot", "docs_url": ""},
        )  # fmt: skip
        assert "<img" not in mail.html and mail.html.count("&lt;img src=x onerror=alert(1)&gt;") >= 10
        assert "\u202e" not in mail.html and "\u202e" not in mail.text


def test_a_mail_decided_before_the_new_fields_still_renders(app: App) -> None:
    """A final minutes row decided by the previous release (no absentees, discussion, version or
    changes in its context) is rendered at send time by this one."""
    meeting = {
        "ref": "M-1", "title": "T", "project": None, "date": "2026-12-02", "start_time": "14:00", "end_time": None,
        "place": None, "host": HOST, "recorder": RECORDER, "goal": None, "attendees": [], "names": {},
        "attendees_text": "", "confirm_by": "2026-12-04", "status": "confirmed",
        "topics": [{"number": "1", "name": "议题", "owner": "李娜", "planned": 30}], "decisions": [],
    }  # fmt: skip
    action = {
        "ref": "A-1", "description": "任务", "owner": "zhang.wei@corp.example", "owner_name": "张伟", "department": None,
        "support": "", "due": "2026-12-20", "due_text": "", "due_provisional": False, "deliverable": "",
        "status": "accepted", "consent": "silent", "requester": None, "requester_name": None,
    }  # fmt: skip
    for language in ("zh", "en"):
        mail = app.renderer.render(
            "final_minutes", language,
            {"meeting": meeting, "actions": [action], "token": None, "bot_address": "minutes@corp.example",
             "bot_name": "Mailbot", "docs_url": ""},
        )  # fmt: skip
        assert "A-1" in mail.text and "A-1" in mail.html


def test_the_discussion_written_in_the_minutes_draft_reaches_the_official_version(zh_final: OutboxMail) -> None:
    text = zh_final.body_text or ""
    assert "1.1 产品推广与技术支持协作流程" in text
    assert "共识：推广需求统一经市场部张伟提交，研发部陈喆负责对接。" in text
    assert "分歧：销售部建议推广费用占比30%，财务部建议控制在25%。" in text
