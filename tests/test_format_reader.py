"""Whole agendas and minutes as people paste them, read into a ParsedMeeting."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, time

import pytest

from mailbot.formats.model import ParsedMeeting, PersonRef, Problem, Topic
from mailbot.formats.reader import ReadContext, detect_kind, read_meeting
from mailbot.workdays import load_calendar
from tests.complexity import assert_linear

CAL = load_calendar("cn")
HEADERS = [
    ("张伟(市场部)", "zhang.wei@corp.example"),
    ("王强", "wang.qiang@corp.example"),
    ("Li Na", "li.na@corp.example"),
    ("=?utf-8?b?5p2O5aic?=", "garbled@corp.example"),
]


def directory(name: str, department: str | None) -> list[PersonRef]:
    people = [
        PersonRef("chen.jing@corp.example", "陈静", "财务部"),
        PersonRef("zhao.lei@corp.example", "赵磊", "销售部"),
        PersonRef("li.na@corp.example", "李娜", "市场部"),
    ]
    return [p for p in people if p.name == name and (department is None or p.department == department)]


CTX = ReadContext(calendar=CAL, anchor=date(2024, 9, 3), header_people=HEADERS, directory=directory)

# The standard minutes template (跨部门沟通协作会议纪要标准化模板), filled in and pasted from Word
# into a plain-text body: Outlook renders each table cell on its own line.
SEED_MINUTES = """各位好，附会议纪要初稿，请审阅。

三、纪要核心内容模板

（一）会议基本信息表

项目

内容

会议名称

2024年Q3新产品“星云”上市跨部门协作启动会

会议时间

2024年9月2日14:00-16:00

会议地点

总部3楼第一会议室（线上：腾讯会议，会议号 123-456）

主持人

市场部 张伟

记录人

行政部*专员

参会部门及人员

市场部：张伟、李娜；研发部：王强；财务部：陈静；销售部：经理

缺席人员及原因

研发部总监（客户拜访，已安排工程师代参会）

会议主题

明确“星云”新产品上市涉及的市场推广、技术研发、销售支持、预算分配等跨部门协作方案

（二）议题与讨论记录表

议题编号

议题名称

讨论要点

各部门意见

1.1

产品推广与技术支持协作流程

如何明确市场部推广活动与研发部技术支持的对接节点及响应标准？

市场部：需研发部提供“产品功能亮点说明”（9月10日前）；研发部：要求市场部提前7天提交推广需求。

1.2

销售提成预算分配方案

推广费用与销售提成的预算占比如何确定？

销售部：建议推广费用占比30%；财务部：推广费用应控制在25%。

（三）决议事项

决议：自下月起，客户投诉响应流程分为“常规流程（48小时）”与“紧急流程（12小时）”两种

（四）行动项跟踪表

序号

任务描述

负责人

配合部门

完成时限

交付标准

1

提供产品功能亮点说明

研发部 王强

市场部

9月10日前

功能亮点说明文档

2

完成流程文档定稿

市场部*经理

研发部

本月底前完成流程文档定稿

流程文档

3

核算推广费用占比

财务部 陈静

销售部

X月X日

成本核算表

请各部门于9月6日前反馈确认意见，逾期视为默认。
"""


def test_the_seed_minutes_pasted_as_plain_text() -> None:
    parsed = read_meeting(SEED_MINUTES, ctx=CTX)
    assert parsed.title == "2024年Q3新产品“星云”上市跨部门协作启动会"
    assert (parsed.date, parsed.start_time, parsed.end_time) == (date(2024, 9, 2), time(14, 0), time(16, 0))
    assert parsed.place == "总部3楼第一会议室（线上：腾讯会议，会议号 123-456）"
    assert parsed.host == PersonRef("zhang.wei@corp.example", "张伟", "市场部")
    assert parsed.recorder is None
    assert parsed.attendees == (
        PersonRef("zhang.wei@corp.example", "张伟", "市场部"),
        PersonRef("li.na@corp.example", "李娜", "市场部"),
        PersonRef("wang.qiang@corp.example", "王强", "研发部"),
        PersonRef("chen.jing@corp.example", "陈静", "财务部"),
    )
    assert parsed.absent_text == "研发部总监（客户拜访，已安排工程师代参会）"
    assert parsed.goal == "明确“星云”新产品上市涉及的市场推广、技术研发、销售支持、预算分配等跨部门协作方案"
    assert parsed.topics == (
        Topic(
            number="1.1",
            name="产品推广与技术支持协作流程",
            discussion="如何明确市场部推广活动与研发部技术支持的对接节点及响应标准？\n"
            "市场部：需研发部提供“产品功能亮点说明”（9月10日前）；研发部：要求市场部提前7天提交推广需求。",
        ),
        Topic(
            number="1.2",
            name="销售提成预算分配方案",
            discussion="推广费用与销售提成的预算占比如何确定？\n销售部：建议推广费用占比30%；财务部：推广费用应控制在25%。",
        ),
    )
    assert parsed.decisions == ("自下月起，客户投诉响应流程分为“常规流程（48小时）”与“紧急流程（12小时）”两种",)
    assert [(a.number, a.description, a.owner, a.due, a.support, a.deliverable) for a in parsed.actions] == [
        (
            "1",
            "提供产品功能亮点说明",
            PersonRef("wang.qiang@corp.example", "王强", "研发部"),
            date(2024, 9, 10),
            "市场部",
            "功能亮点说明文档",
        ),
        ("2", "完成流程文档定稿", None, date(2024, 9, 30), "研发部", "流程文档"),
        ("3", "核算推广费用占比", PersonRef("chen.jing@corp.example", "陈静", "财务部"), None, "销售部", "成本核算表"),
    ]
    assert parsed.problems == (
        Problem(
            "placeholder_person",
            "记录人 行政部*专员",
            detail="recorder: 行政部*专员",
            section="people",
            severity="warning",
        ),
        Problem(
            "unresolved_person",
            "参会部门及人员 市场部：张伟、李娜；研发部：王强；财务部：陈静；销售部：经理",
            detail="attendee: 经理",
            section="people",
            severity="warning",
        ),
        Problem(
            "placeholder_person",
            "2 | 完成流程文档定稿 | 市场部*经理 | 研发部 | 本月底前完成流程文档定稿 | 流程文档",
            detail="市场部*经理",
            section="people",
        ),
        Problem(
            "unreadable_date",
            "3 | 核算推广费用占比 | 财务部 陈静 | 销售部 | X月X日 | 成本核算表",
            detail="placeholder: X月X日",
            section="dates",
        ),
    )
    assert [p.code for p in parsed.errors] == ["placeholder_person", "unreadable_date"]
    assert parsed.confirm_by == date(2024, 9, 6)  # from "请各部门于9月6日前反馈确认意见，逾期视为默认。"
    assert detect_kind(parsed) == "minutes"


# The tracking template (跨部门协作项目会议记录与跟踪模板) as an agenda: basic-info table pasted
# from Excel (TAB-separated) and the agenda table with planned durations.
SEED_AGENDA = (
    "项目\t内容\n"
    "会议名称\t市场活动与技术部需求对接会\n"
    "会议日期\t2024年9月5日\n"
    "会议时间\t10:00-11:30\n"
    "会议地点/形式\t线上（腾讯会议）\n"
    "主持人\t产品部 赵磊\n"
    "记录人\tLi Na\n"
    "参会部门及人员\t市场部：张伟；技术部：王强\n"
    "缺席人员及原因\t无\n"
    "会议目标\t明确Q3产品上线功能清单、排期及各部门职责分工\n"
    "\n"
    "（二）会议议程与讨论记录表\n"
    "序号\t议题名称\t讨论内容（关键观点、分歧点、共识结论）\t负责人\t预计时长\t实际时长\n"
    "1\t项目背景与目标回顾\t\t张伟\t15分钟\t\n"
    "2\t功能清单评审\t\t王强\t45分钟\t\n"
)


def test_the_seed_agenda_pasted_from_excel() -> None:
    parsed = read_meeting(SEED_AGENDA, ctx=CTX)
    assert parsed.title == "市场活动与技术部需求对接会"
    assert (parsed.date, parsed.start_time, parsed.end_time) == (date(2024, 9, 5), time(10, 0), time(11, 30))
    assert parsed.place == "线上（腾讯会议）"
    assert parsed.host == PersonRef("zhao.lei@corp.example", "赵磊", "销售部")
    assert parsed.recorder == PersonRef("li.na@corp.example", "Li Na", None)
    assert [a.address for a in parsed.attendees] == ["zhang.wei@corp.example", "wang.qiang@corp.example"]
    assert parsed.goal == "明确Q3产品上线功能清单、排期及各部门职责分工"
    assert parsed.project is None
    assert parsed.topics == (
        Topic(number="1", name="项目背景与目标回顾", owner_text="张伟", planned_minutes=15),
        Topic(number="2", name="功能清单评审", owner_text="王强", planned_minutes=45),
    )
    assert parsed.problems == ()
    assert (parsed.has_agenda_section, parsed.has_action_section, detect_kind(parsed)) == (True, False, "agenda")


def test_agenda_lines_with_owners_and_durations() -> None:
    body = (
        "【议程】\n"
        "会议名称：Q3 上市周会\n"
        "会议时间：2024年9月9日（周一）14:00-15:30\n"
        "议程：\n"
        "1. 产品推广与技术支持协作流程（市场部 张伟，30分钟）\n"
        "   分歧：是否增设紧急响应通道\n"
        "   共识：技术部设置7×24小时紧急接口\n"
        "   决议：自下月起分常规与紧急两种流程\n"
        "2. 预算分配 — 负责人：陈静；预计时长：1小时；实际时长：75 min\n"
    )
    parsed = read_meeting(body, ctx=CTX)
    assert parsed.date == date(2024, 9, 9)
    assert parsed.topics == (
        Topic(
            number="1",
            name="产品推广与技术支持协作流程",
            owner_text="市场部 张伟",
            planned_minutes=30,
            discussion="分歧：是否增设紧急响应通道\n共识：技术部设置7×24小时紧急接口\n决议：自下月起分常规与紧急两种流程",
        ),
        Topic(number="2", name="预算分配", owner_text="陈静", planned_minutes=60, actual_minutes=75),
    )
    assert parsed.decisions == ("自下月起分常规与紧急两种流程",)
    assert detect_kind(parsed) == "agenda"


ENGLISH_MINUTES = """Hi all, minutes below.

**Meeting:** Q3 launch sync
**Date:** 2 Sep 2024
**Time:** 2:00 pm - 3:00 pm
**Location:** Room 301 / Zoom
**Chair:** Zhang Wei <zhang.wei@corp.example>
**Minutes by:** li.na@corp.example
**Attendees:** Li Na, wang.qiang@corp.example, Unknown Person
**Confirm by:** within 3 working days

## Decisions
1. Launch on Oct 8
2. Budget split 25/55

## Action items
- Draft launch plan; owner: Li Na; due: Sep 15; deliverable: plan v1
- Pricing sheet
  - owner: wang.qiang@corp.example
  - due: next Friday
"""


def test_english_minutes_with_markdown_bold_labels() -> None:
    parsed = read_meeting(ENGLISH_MINUTES, ctx=CTX)
    assert parsed.title == "Q3 launch sync"
    assert (parsed.date, parsed.start_time, parsed.end_time) == (date(2024, 9, 2), time(14, 0), time(15, 0))
    assert parsed.place == "Room 301 / Zoom"
    assert parsed.host == PersonRef("zhang.wei@corp.example", "Zhang Wei", None)
    assert parsed.recorder == PersonRef("li.na@corp.example", None, None)
    assert [a.address for a in parsed.attendees] == ["li.na@corp.example", "wang.qiang@corp.example"]
    assert parsed.confirm_by == date(2024, 9, 5)
    assert parsed.decisions == ("Launch on Oct 8", "Budget split 25/55")
    assert [(a.description, a.owner.address if a.owner else None, a.due) for a in parsed.actions] == [
        ("Draft launch plan", "li.na@corp.example", date(2024, 9, 15)),
        ("Pricing sheet", "wang.qiang@corp.example", date(2024, 9, 13)),
    ]
    assert parsed.problems == (
        Problem(
            "unresolved_person",
            "**Attendees:** Li Na, wang.qiang@corp.example, Unknown Person",
            detail="attendee: Unknown Person",
            section="people",
            severity="warning",
        ),
    )
    assert parsed.errors == ()


def test_missing_meeting_date_falls_back_to_the_arrival_day_with_a_warning() -> None:
    parsed = read_meeting("行动项：\n- 输出方案；负责人：王强；截止：3个工作日内\n", ctx=CTX)
    assert parsed.date == date(2024, 9, 3)
    assert parsed.actions[0].due == date(2024, 9, 6)
    assert parsed.problems == (Problem("missing_field", "", detail="date", section="fields", severity="warning"),)


def test_template_values_left_in_place_are_flagged_not_used() -> None:
    parsed = read_meeting(
        "会议名称\t例：项目Q3启动会\n会议日期\tYYYY年MM月DD日\n"
        "会议时间\t2024年9月2日 14:00-16:00\n主持人\t(姓名+部门，例：产品部*经理)\n",
        ctx=CTX,
    )
    assert (parsed.title, parsed.date, parsed.host) == (None, date(2024, 9, 2), None)
    assert parsed.problems == (
        Problem(
            "placeholder_field", "会议名称\t例：项目Q3启动会", detail="title", section="fields", severity="warning"
        ),
        Problem("placeholder_field", "会议日期\tYYYY年MM月DD日", detail="date", section="fields", severity="warning"),
        Problem(
            "placeholder_field",
            "主持人\t(姓名+部门，例：产品部*经理)",
            detail="host",
            section="fields",
            severity="warning",
        ),
    )


def test_unreadable_meeting_date_and_confirm_by() -> None:
    parsed = read_meeting("会议日期：下周某天\n确认截止：尽快\n", ctx=CTX)
    assert parsed.date == date(2024, 9, 3)
    assert parsed.confirm_by is None
    assert parsed.problems == (
        Problem("unreadable_date", "会议日期：下周某天", detail="date: 下周某天", section="dates", severity="warning"),
        Problem("missing_field", "", detail="date", section="fields", severity="warning"),
        Problem("unreadable_date", "确认截止：尽快", detail="vague: 尽快", section="dates", severity="warning"),
    )


def test_confirm_by_relative_to_the_meeting_date() -> None:
    parsed = read_meeting("会议日期：2024-09-27\n反馈截止：3个工作日内\n", ctx=CTX)
    # 9月27日 (Fri) + 3 working days across 国庆: Sunday 9/29 is an adjusted working day, then
    # 9/30, then 10/8 (10/1–10/7 off).
    assert parsed.confirm_by == date(2024, 10, 8)


def test_kind_by_sections() -> None:
    assert detect_kind(read_meeting("议程：\n1. 预算\n", ctx=CTX)) == "agenda"
    assert detect_kind(read_meeting("议程：\n1. 预算\n决议事项：\n- 通过\n", ctx=CTX)) == "minutes"
    assert detect_kind(read_meeting("你好，请问下周会议的会议室定了吗？\n", ctx=CTX)) is None
    assert detect_kind(ParsedMeeting()) is None


def test_empty_and_whitespace_bodies() -> None:
    for body in ("", "   \n\n", "\ufeff\u200b"):
        parsed = read_meeting(body, ctx=CTX)
        assert (parsed.actions, parsed.topics, detect_kind(parsed)) == ((), (), None)


def test_hostile_garbage_never_raises() -> None:
    rng = random.Random(20240902)
    alphabet = "行动项负责人截止：:;；|\t\n-*#【】（）()一、1.X月X日@<>张伟 议程决议无\r\xa0"
    for _ in range(300):
        body = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400)))
        read_meeting(body, ctx=CTX)


# Each hostile body as a function of its size, with the size the guard grows it to.
HOSTILE_BODIES: dict[str, tuple[Callable[[int], str], int]] = {
    "owner-letters": (lambda n: "行动项：\n- 任务；负责人：" + "a" * n + "\n", 200_000),
    "owner-labels": (lambda n: "行动项：\n" + "负责人：" * n + "\n", 20_000),
    "owner-han": (lambda n: "行动项：\n- 任务；负责人：" + "张" * n + "\n", 200_000),
    "owner-and-due-spaces": (
        lambda n: "行动项：\n- 任务；负责人：a" + " " * (2 * n) + "b；截止：" + " " * n + "9月\n",
        100_000,
    ),
    "host-parentheses": (lambda n: "主持人：" + "(" * n + "张伟" + ")" * n + "\n", 50_000),
    "table-rows": (lambda n: "行动项\n序号\t任务\t负责人\t截止\n" + "1\t写\t张伟\t9月15日\n" * n, 5_000),
    "agenda-open-brackets": (lambda n: "议程\n" + "1. 议题（" * n + "\n", 20_000),
    "title-tabs": (lambda n: "会议名称" + "\t" * n + "x\n", 100_000),
    "pipes": (lambda n: "|" * n + "\n", 100_000),
    "section-numbers": (lambda n: "一、\n" * n + "行动项\n", 20_000),
    "at-signs": (lambda n: "@" * n + "a" * n, 50_000),
    "newlines": (lambda n: "\n" * n, 200_000),
}


def _read(body: str) -> ParsedMeeting:
    return read_meeting(body, ctx=CTX)


@pytest.mark.parametrize("name", list(HOSTILE_BODIES))
def test_hostile_sizes_read_in_linear_time(name: str) -> None:
    make, size = HOSTILE_BODIES[name]
    assert_linear(_read, make, size // 8)


def test_the_templates_confirm_sentence_left_unfilled_is_flagged() -> None:
    parsed = read_meeting("会议日期：2024-09-02\n请各部门于X月X日前反馈确认意见，逾期视为默认。\n", ctx=CTX)
    assert parsed.confirm_by is None
    assert parsed.problems == (
        Problem(
            "unreadable_date",
            "请各部门于X月X日前反馈确认意见，逾期视为默认。",
            detail="placeholder: 请各部门于X月X日前反馈确认意见，逾期视为默认。",
            section="dates",
            severity="warning",
        ),
    )


def test_labels_inside_an_action_block_are_not_meeting_fields() -> None:
    body = "Action items:\n- Draft plan\n  Owner: Li Na\n  Due date: Sep 20\n  Date: Sep 19\nConfirm by: Sep 6\n"
    parsed = read_meeting(body, ctx=CTX)
    assert parsed.date == date(2024, 9, 3)  # not "Date: Sep 19" from inside the block
    assert parsed.confirm_by == date(2024, 9, 6)
    assert [(a.description, a.due, a.notes) for a in parsed.actions] == [
        ("Draft plan", date(2024, 9, 20), "Date: Sep 19")
    ]
