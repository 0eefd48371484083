"""The meeting page's versions of the minutes, each with what it changed from the one before
(issue 14, item 1), and the chart of open actions by due week (item 2), on SQLite and PostgreSQL.

The story: the recorder's Outlook minutes of M-1 (version 1); 张伟 confirms A-1, 陈喆 delays A-2;
a correction (version 2, tests/test_corrected_minutes.py) moves 朱镕's A-4 to 8 January and adds
孙磊's A-5; a draft with a problem is refused (version 3); a third text (version 4) drops A-5,
rewrites the line of A-2 (a new description is a new action to the bot: A-6 replaces it), names
another place and another decision.
"""

from __future__ import annotations

from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.pipeline import process
from mailbot.web.access import load_viewer
from mailbot.web.links import issue, link_key
from mailbot.web.pages import Today, meeting_page, today_of, week_chart
from mailbot.web.server import WebApp
from mailbot.web.versions import diff_versions
from tests.helpers import at, feed, outbox
from tests.replying import reply
from tests.test_corrected_minutes import ACTIONS_V2, corrected_minutes

HOST = "li.na@corp.example"

ACTIONS_V4 = (
    "1\t输出新品推广活动方案初稿\t市场部 张伟\t研发部\t2026-12-15\t方案初稿 PDF\n"
    "2\t提供产品功能亮点说明及对比表\t研发部 陈喆\t市场部\t2026-12-10\t功能亮点说明文档\n"
    "3\t制定销售培训计划\t销售部 赵敏\t市场部、研发部\t2026-12-18\t培训计划及课件\n"
    "4\t核算推广费用与提成预算占比\t财务部 朱镕\t销售部\t2027-01-08\t预算核算表\n"
)


def minutes(app: App, message_id: str, actions: str, *, place: str = "", decision: str = "") -> bytes:
    """The recorder's corrected minutes, as tests/test_corrected_minutes.py writes them."""
    mail = EmailMessage()
    mail["From"] = "王芳 <wang.fang@corp.example>"
    mail["To"] = "li.na@corp.example, zhang.wei@corp.example, chen.zhe@corp.example, zhu.rong@corp.example"
    mail["Subject"] = "【纪要】Q1 新品上市跨部门协作会（2026-12-02）更正版"
    mail["Date"] = format_datetime(app.now())
    mail["Message-ID"] = message_id
    mail.set_content(
        "各位好：纪要再次更正如下。\n\n"
        "项目\t内容\n会议名称\tQ1 新品上市跨部门协作会\n会议日期\t2026-12-02\n会议时间\t2026年12月2日 14:00-16:00\n"
        + (f"会议地点\t{place}\n" if place else "")
        + "主持人\t市场部 李娜 <li.na@corp.example>\n记录人\t行政部 王芳 <wang.fang@corp.example>\n\n"
        f"二、决议事项\n1. {decision or '新品上市日期定为2027年1月18日。'}\n\n"
        "三、行动项\n序号\t任务描述\t负责人\t配合部门\t完成时限\t交付标准\n" + actions + "\n王芳\n"
    )
    return mail.as_bytes()


def build_versions(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    assert feed(app, "outlook_zh_minutes_gbk_html.eml").outcome == "processed"
    at(clock, "2026-12-03 10:00")
    requests = {m.to_address: m for m in outbox(app, "confirm_request")}
    process(app, reply(app, requests["zhang.wei@corp.example"], "确认"))
    process(app, reply(app, requests["chen.zhe@corp.example"], "延期至 2026-12-20，原因：等待供应商样机"))
    at(clock, "2026-12-03 16:00")
    assert process(app, corrected_minutes(app)).outcome == "processed"
    at(clock, "2026-12-03 17:00")
    broken = ACTIONS_V2.replace("2026-12-22", "下下周")  # a due date the bot cannot read
    assert process(app, minutes(app, "<minutes-v3@corp.example>", broken)).outcome == "rejected"
    at(clock, "2026-12-04 09:00")
    fourth = minutes(app, "<minutes-v4@corp.example>", ACTIONS_V4, place="总部5楼大会议室",
                     decision="新品上市日期定为2027年1月25日。")  # fmt: skip
    assert process(app, fourth).outcome == "processed"


def page_of(app: App, address: str = HOST, language: str = "zh") -> dict[str, Any]:
    with app.db.session() as session:
        data = meeting_page(session, today_of(app, language), load_viewer(session, address), 1)
        assert data is not None
        return data


def test_the_meeting_page_lists_every_version_with_what_it_changed(app: App, clock: FixedClock) -> None:
    build_versions(app, clock)
    at(clock, "2026-12-07 10:00")
    versions = {v["number"]: v for v in page_of(app)["versions"]}
    assert [(n, v["status"]) for n, v in versions.items()] == [
        (1, "superseded"), (2, "superseded"), (3, "rejected"), (4, "active"),
    ]  # fmt: skip
    assert versions[1]["since"] is None and versions[1]["changes"] is None  # the first: nothing before it
    assert versions[3]["changes"] is None and versions[3]["problems"] >= 1  # refused: nothing took effect

    second = versions[2]["changes"]
    assert versions[2]["since"] == 1 and not second["empty"]
    assert [(a["ref"], a["owner"], a["due"]) for a in second["added"]] == [("A-5", "孙磊", "2026年12月22日（周二）")]
    changed = {c["ref"]: c["fields"] for c in second["changed"]}
    # 朱镕's date moved by the recorder: shown, both days. A-2's date moved by 陈喆's own delay, not
    # by the draft: not the recorder's change, so not listed (as the mails have it).
    assert changed["A-4"] == [{"field": "due", "old": "2026年12月31日（周四）", "new": "2027年1月8日（周五）"}]
    assert "A-2" not in changed
    assert second["removed"] == []
    # Version 2 lists one decision of the three: the other two are gone from the minutes.
    assert second["decisions_added"] == [] and len(second["decisions_removed"]) == 2

    # Version 4 is compared with version 2, the one in force before it (3 was refused).
    fourth = versions[4]["changes"]
    assert versions[4]["since"] == 2
    assert [a["ref"] for a in fourth["removed"]] == ["A-5"]
    rewritten = [c for c in fourth["changed"] if c["was_ref"]]
    assert [(c["ref"], c["was_ref"]) for c in rewritten] == [("A-6", "A-2")]
    assert {"field": "description", "old": "提供产品功能亮点说明", "new": "提供产品功能亮点说明及对比表"} in rewritten[
        0
    ]["fields"]
    assert fourth["decisions_added"] == ["新品上市日期定为2027年1月25日。"]
    assert fourth["decisions_removed"] == ["新品上市日期定为2027年1月18日。"]
    assert {
        "field": "place",
        "old": "总部3楼第一会议室（线上：腾讯会议 123-456-789）",
        "new": "总部5楼大会议室",
    } in fourth["meeting_fields"]


def test_the_versions_render_with_both_values_and_only_for_the_meetings_parties(app: App, clock: FixedClock) -> None:
    build_versions(app, clock)
    at(clock, "2026-12-07 10:00")
    web = WebApp(app)
    key = link_key(app.config.token_key)

    def html(address: str) -> str:
        token = issue(key, address, "meeting:1", app.now() + timedelta(days=1), 0)
        answer = web.handle(f"/m/1/{token}", "lang=zh")
        assert answer.status == 200
        return answer.body.decode()

    page = html(HOST)
    versions = page.split('id="versions"', 1)[1].split("</table>", 1)[0]
    assert versions.count("<tr data-version=") == 4
    fourth = versions.split('data-version="4"', 1)[1]
    assert "相对版本 2：" in fourth and 'data-change="removed"' in fourth and "整理华南区渠道名单" in fourth
    assert (
        "（原 A-2：" in fourth and "<del>提供产品功能亮点说明</del> → <ins>提供产品功能亮点说明及对比表</ins>" in fourth
    )
    assert "<del>总部3楼第一会议室（线上：腾讯会议 123-456-789）</del> → <ins>总部5楼大会议室</ins>" in fourth
    second = versions.split('data-version="2"', 1)[1].split('data-version="3"', 1)[0]
    assert "完成时限：<del>2026年12月31日（周四）</del> → <ins>2027年1月8日（周五）</ins>" in second
    assert "未通过校验，未生效。" in versions.split('data-version="3"', 1)[1].split('data-version="4"', 1)[0]
    assert "首个版本。" in versions.split('data-version="1"', 1)[1].split('data-version="2"', 1)[0]
    assert "style=" not in page and "<script" not in page


# The comparison itself: two snapshots as the outbox keeps them ---------------------------------


def action(ref: str, number: str, description: str, **more: Any) -> dict[str, Any]:
    return {"ref": ref, "number": number, "description": description, "owner": "a@corp.example",
            "owner_name": "甲", "department": "市场部", "support": "", "due": "2026-12-10", "deliverable": "",
            "requester": None, "status": "awaiting_confirmation", **more}  # fmt: skip


def snapshot(*actions: dict[str, Any], decisions: tuple[str, ...] = (), **meeting: Any) -> dict[str, Any]:
    return {"meeting": {"title": "周会", "date": "2026-12-02", "place": "3楼", "decisions": list(decisions),
                        "topics": [], **meeting}, "actions": list(actions)}  # fmt: skip


def test_the_comparison_names_what_changed_and_from_what() -> None:
    before = snapshot(
        action("A-1", "1", "方案"), action("A-2", "2", "预算", status="accepted"), action("A-3", "3", "名单"),
        decisions=("上市日期 1月18日",),
    )  # fmt: skip
    after = snapshot(
        action("A-1", "1", "方案", due=date(2026, 12, 17), owner="b@corp.example", owner_name="乙"),
        # A-2 was agreed: a date its owner moved is not the recorder's change; the deliverable is.
        action("A-2", "2", "预算", status="delayed", due="2026-12-20", deliverable="核算表"),
        action("A-4", "3", "渠道名单"),  # line 3 rewritten: a new ref
        action("A-5", "4", "培训"),
        decisions=("上市日期 1月25日",), place="5楼",
    )  # fmt: skip
    changes = diff_versions(before, after)
    assert [a["ref"] for a in changes.added] == ["A-5"] and changes.removed == []
    found = {c.ref: (c.was_ref, [(f.field, f.old, f.new) for f in c.fields]) for c in changes.changed}
    assert found["A-1"] == (None, [("owner", "a@corp.example", "b@corp.example"), ("due", "2026-12-10",
                                                                                  date(2026, 12, 17))])  # fmt: skip
    assert next(c for c in changes.changed if c.ref == "A-1").fields[0].new_name == "乙"
    assert found["A-2"] == (None, [("deliverable", "", "核算表")])
    assert found["A-4"] == ("A-3", [("description", "名单", "渠道名单")])
    assert changes.decisions_added == ["上市日期 1月25日"] and changes.decisions_removed == ["上市日期 1月18日"]
    assert [(f.field, f.old, f.new) for f in changes.meeting_fields] == [("place", "3楼", "5楼")]
    assert not changes.topics and not changes.empty
    # The same text again changes nothing (a date as a date or as ISO text is the same date).
    assert diff_versions(after, snapshot(*after["actions"], decisions=("上市日期 1月25日",), place="5楼")).empty


def test_an_action_dropped_with_nothing_in_its_place_is_removed() -> None:
    changes = diff_versions(snapshot(action("A-1", "", "方案"), action("A-2", "2", "预算")),
                            snapshot(action("A-2", "1", "预算")))  # fmt: skip
    assert [a["ref"] for a in changes.removed] == ["A-1"] and changes.changed == [] and changes.added == []


# Open actions by due week -----------------------------------------------------------------------


def test_open_actions_fall_into_their_due_weeks(app: App) -> None:
    # Wednesday 16 December 2026: this week runs from Monday the 14th to Sunday the 20th.
    now = Today(day=date(2026, 12, 16), week_end=date(2026, 12, 20), app=app, language="en")

    def row(due: date, status: str = "accepted") -> dict[str, Any]:
        return {"due": due, "status": status, "overdue": now.overdue(type("A", (), {"due": due, "status": status}))}

    rows = [
        row(date(2026, 12, 1)),  # before this week, overdue
        row(date(2026, 12, 10), "objected"),  # before this week, the host's move: open, not overdue
        row(date(2026, 12, 15)),  # this week, overdue
        row(date(2026, 12, 20), "delayed"),  # this week, Sunday
        row(date(2026, 12, 21)),  # next week
        row(date(2027, 1, 31)),  # the sixth week after this one: the last one by itself
        row(date(2027, 2, 1)),  # later
        row(date(2026, 12, 17), "done"),  # not open: not counted
        row(date(2026, 12, 17), "verified"),
    ]
    chart = week_chart(rows, now)
    counted = [(b["kind"], b["start"], b["open"], b["overdue"]) for b in chart["bars"]]
    assert counted == [
        ("earlier", "", 2, 1), ("this", "Dec 14", 2, 1), ("next", "Dec 21", 1, 0), ("from", "Dec 28", 0, 0),
        ("from", "Jan 4", 0, 0), ("from", "Jan 11", 0, 0), ("from", "Jan 18", 0, 0), ("from", "Jan 25", 1, 0),
        ("later", "Feb 1", 1, 0),
    ]  # fmt: skip
    assert chart["total"] == 7
    # Bars scale to the longest; the overdue part is drawn in front of its bar, never longer.
    widths = [(b["open_width"], b["overdue_width"]) for b in chart["bars"]]
    assert max(w for w, _ in widths) == 200 and all(late <= full for full, late in widths)
    assert chart["width"] == 430 and chart["height"] == 9 * 30
