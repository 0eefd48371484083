"""A corrected draft after the round began keeps what was agreed (issue 13: a repeat request says
what changed; nobody is asked twice for the same thing).

The recorder resends the minutes after 张伟 confirmed A-1, 陈喆 delayed A-2 and 赵敏 delivered A-3
and had it verified: the correction moves 朱镕's A-4 to a later date and adds an action for 孙磊.
The meeting still has five actions, not nine; A-1, A-2 and A-3 keep their state and nobody asks
their owners again; 朱镕 is asked about the new date and 孙磊 about his new action.
"""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage
from email.utils import format_datetime

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.pipeline import process
from mailbot.store.models import OutboxMail
from tests.helpers import actions, at, feed, outbox
from tests.replying import reply

ACTIONS_V2 = (
    "1\t输出新品推广活动方案初稿\t市场部 张伟\t研发部\t2026-12-15\t方案初稿 PDF\n"
    "2\t提供产品功能亮点说明\t研发部 陈喆\t市场部\t2026-12-10\t功能亮点说明文档\n"
    "3\t制定销售培训计划\t销售部 赵敏\t市场部、研发部\t2026-12-18\t培训计划及课件\n"
    "4\t核算推广费用与提成预算占比\t财务部 朱镕\t销售部\t2027-01-08\t预算核算表\n"
    "5\t整理华南区渠道名单\t销售部 孙磊\t市场部\t2026-12-22\t渠道名单 Excel\n"
)


def corrected_minutes(app: App) -> bytes:
    mail = EmailMessage()
    mail["From"] = "王芳 <wang.fang@corp.example>"
    mail["To"] = ", ".join(
        f"{n}@corp.example"
        for n in ("li.na", "zhang.wei", "chen.zhe", "liu.yang", "zhao.min", "sun.lei", "zhou.ting", "zhu.rong")
    )
    mail["Subject"] = "【纪要】Q1 新品上市跨部门协作会（2026-12-02）更正版"
    mail["Date"] = format_datetime(app.now())
    mail["Message-ID"] = "<minutes-v2@corp.example>"
    mail.set_content(
        "各位好：纪要更正如下，朱镕的预算核算延到明年1月8日，另加孙磊一项。\n\n"
        "项目\t内容\n会议名称\tQ1 新品上市跨部门协作会\n会议日期\t2026-12-02\n会议时间\t2026年12月2日 14:00-16:00\n"
        "主持人\t市场部 李娜 <li.na@corp.example>\n记录人\t行政部 王芳 <wang.fang@corp.example>\n\n"
        "二、决议事项\n1. 新品上市日期定为2027年1月18日。\n\n"
        "三、行动项\n序号\t任务描述\t负责人\t配合部门\t完成时限\t交付标准\n" + ACTIONS_V2 + "\n王芳\n"
    )
    return mail.as_bytes()


def request_to(app: App, address: str) -> OutboxMail:
    return next(m for m in outbox(app, "confirm_request") if m.to_address == address)


def test_a_correction_after_answers_keeps_what_was_agreed_and_asks_only_about_what_changed(
    app: App, clock: FixedClock
) -> None:
    at(clock, "2026-12-02 18:00")
    assert feed(app, "outlook_zh_minutes_gbk_html.eml").outcome == "processed"
    at(clock, "2026-12-03 10:00")
    process(app, reply(app, request_to(app, "zhang.wei@corp.example"), "确认"))
    process(app, reply(app, request_to(app, "chen.zhe@corp.example"), "延期至 2026-12-20，原因：等待供应商样机"))
    process(app, reply(app, request_to(app, "zhao.min@corp.example"), "完成"))
    (acceptance,) = outbox(app, "acceptance_request")
    process(app, reply(app, acceptance, "确认"))
    before = {m.id for m in outbox(app)}

    at(clock, "2026-12-03 16:00")
    assert process(app, corrected_minutes(app)).outcome == "processed"

    stored = {a.ref: (a.description, a.owner_address, a.status, a.due) for a in actions(app)}
    assert stored == {
        "A-1": ("输出新品推广活动方案初稿", "zhang.wei@corp.example", "accepted", date(2026, 12, 15)),
        "A-2": ("提供产品功能亮点说明", "chen.zhe@corp.example", "delayed", date(2026, 12, 20)),
        "A-3": ("制定销售培训计划", "zhao.min@corp.example", "verified", date(2026, 12, 18)),
        "A-4": ("核算推广费用与提成预算占比", "zhu.rong@corp.example", "awaiting_confirmation", date(2027, 1, 8)),
        "A-5": ("整理华南区渠道名单", "sun.lei@corp.example", "awaiting_confirmation", date(2026, 12, 22)),
    }
    new = [m for m in outbox(app) if m.id not in before]
    # One mail per person; only the owners with something to answer are asked.
    assert len({m.to_address for m in new}) == len(new)
    asked = {m.to_address for m in new if m.kind == "confirm_request"}
    assert asked == {"zhu.rong@corp.example", "sun.lei@corp.example"}
    for owner in ("zhang.wei", "chen.zhe", "zhao.min"):
        (mail,) = [m for m in new if m.to_address == f"{owner}@corp.example"]
        assert mail.kind == "minutes_notice"
    request = next(m for m in new if m.to_address == "zhu.rong@corp.example")
    assert "A-4  核算推广费用与提成预算占比" in (request.body_text or "")
    text = request.body_text or ""
    assert text.index(
        "这是更正后的纪要第 2 版（王芳 <wang.fang@corp.example> 发送），与您收到的第 1 版相比："
    ) < text.index("A-4  核算")
    assert "  · 新增行动项：A-5\n" in text and "  · 修改行动项：A-4\n" in text
    assert "A-4  核算推广费用与提成预算占比  【已修改：完成时限】" in text  # in the minutes below, marked
    assert "A-1  输出新品推广活动方案初稿\n" in text and "    当前状态：已确认（无需再次确认）\n" in text
    html = request.body_html or ""
    assert "这是更正后的纪要第 2 版" in html and "已修改" in html and "已确认（无需再次确认）" in html
    # 张伟, whose A-1 stands as he confirmed it, is told what changed and that he need not answer.
    notice = next(m for m in new if m.to_address == "zhang.wei@corp.example")
    assert "与您收到的第 1 版相比" in (notice.body_text or "")
    assert "无需再次回复" in (notice.body_text or "")
