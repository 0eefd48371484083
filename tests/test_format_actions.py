"""Action items in their three shapes (table, line, block) and every reason to reject one."""

from __future__ import annotations

from datetime import date

import pytest

from mailbot.formats.model import ParsedAction, ParsedMeeting, PersonRef, Problem
from mailbot.formats.reader import ReadContext, read_meeting
from mailbot.workdays import load_calendar

WQ = PersonRef("wang.qiang@corp.example", "王强", "研发部")
LN = PersonRef("li.na@corp.example", "Li Na", None)

HEADERS = [
    ("张伟(市场部)", "zhang.wei@corp.example"),
    ("Li Na", "li.na@corp.example"),
    ("王强", "wang.qiang@corp.example"),
]


def directory(name: str, department: str | None) -> list[PersonRef]:
    people = [WQ, PersonRef("li.na@corp.example", "李娜", "市场部"), PersonRef("li.na2@corp.example", "李娜", "财务部")]
    return [p for p in people if p.name == name and (department is None or p.department == department)]


CTX = ReadContext(calendar=load_calendar("cn"), anchor=date(2024, 9, 3), header_people=HEADERS, directory=directory)
CONTRACT_LINE = (
    "- 输出活动方案初稿；负责人：市场部 张伟 <zhang.wei@corp.example>；"
    "配合：研发部；截止：2024-09-15；交付：方案初稿 PDF"
)
MEETING = "会议名称：Q3 上市启动会\n会议日期：2024年9月2日\n"


def read(body: str, ctx: ReadContext = CTX) -> ParsedMeeting:
    return read_meeting(MEETING + body, ctx=ctx)


def brief(parsed: ParsedMeeting) -> list[tuple[str, str | None, date | None]]:
    return [(a.description, a.owner.address if a.owner else None, a.due) for a in parsed.actions]


def test_line_shape_the_contract_example() -> None:
    parsed = read(f"三、行动项\n{CONTRACT_LINE}\n")
    assert parsed.actions == (
        ParsedAction(
            description="输出活动方案初稿",
            owner=PersonRef("zhang.wei@corp.example", "张伟", "市场部"),
            owner_text="市场部 张伟 <zhang.wei@corp.example>",
            due=date(2024, 9, 15),
            due_text="2024-09-15",
            line=CONTRACT_LINE,
            support="研发部",
            deliverable="方案初稿 PDF",
        ),
    )
    assert parsed.problems == ()
    assert parsed.has_action_section


def test_line_shape_separators_and_english_labels() -> None:
    parsed = read(
        "Action items:\n"
        "1. Draft FAQ; owner: Li Na; support: R&D; due: Sep 15; deliverable: FAQ v1\n"
        "2. 提供功能亮点说明 | 执行人：王强 | 截止日期：9月10日前 | 状态：进行中\n"
        "3. Book venue (owner: Li Na, due: next Friday)\n"
        "- **任务**：整理预算；**负责人**：王强；**截止**：本月底前\n"
    )
    assert brief(parsed) == [
        ("Draft FAQ", "li.na@corp.example", date(2024, 9, 15)),
        ("提供功能亮点说明", "wang.qiang@corp.example", date(2024, 9, 10)),
        ("Book venue", "li.na@corp.example", date(2024, 9, 13)),
        ("整理预算", "wang.qiang@corp.example", date(2024, 9, 30)),
    ]
    first, second = parsed.actions[:2]
    assert (first.number, first.support, first.deliverable) == ("1", "R&D", "FAQ v1")
    assert (second.number, second.status_text, second.due_text) == ("2", "进行中", "9月10日前")
    assert parsed.problems == ()


def test_block_shape_zh_and_en() -> None:
    parsed = read(
        "## 行动项\n"
        "1. 输出活动方案初稿\n"
        "   负责人：市场部 张伟\n"
        "   截止：9月15日\n"
        "   交付标准：方案初稿经主持人审核\n"
        "2. 研发部提供产品功能亮点说明\n"
        "   - 负责人：王强\n"
        "   - 配合部门：市场部\n"
        "   - 完成时限：3个工作日内\n"
        "* Review pricing\n"
        "  Owner: Li Na\n"
        "  Due: 15 Sep 2024\n"
        "  Notes: needs finance input\n"
    )
    assert brief(parsed) == [
        ("输出活动方案初稿", "zhang.wei@corp.example", date(2024, 9, 15)),
        ("研发部提供产品功能亮点说明", "wang.qiang@corp.example", date(2024, 9, 5)),
        ("Review pricing", "li.na@corp.example", date(2024, 9, 15)),
    ]
    assert [a.line for a in parsed.actions] == [
        "1. 输出活动方案初稿",
        "2. 研发部提供产品功能亮点说明",
        "* Review pricing",
    ]
    assert parsed.actions[0].deliverable == "方案初稿经主持人审核"
    assert parsed.actions[1].support == "市场部"
    assert parsed.actions[2].notes == "needs finance input"
    assert parsed.problems == ()


def test_block_wrapped_description_line() -> None:
    parsed = read("行动项：\n- 梳理客户投诉响应流程，\n  明确各部门职责\n  负责人：王强\n  截止：9月20日\n")
    assert brief(parsed) == [("梳理客户投诉响应流程， 明确各部门职责", "wang.qiang@corp.example", date(2024, 9, 20))]


def test_tab_table_pasted_from_excel_with_empty_cells() -> None:
    parsed = read(
        "【行动项跟踪表】\n"
        "序号\t行动项\t负责人\t配合部门\t计划完成时间\t交付标准\t状态\t备注\n"
        "1\t输出活动方案初稿\t市场部 张伟\t研发部\t2024/9/15\t方案初稿\t未开始\t\n"
        "2\t提供功能亮点说明\t王强\t\t9月10日前\t\t\t\n"
        "3\t\t\t\t\t\t\t\n"
    )
    assert brief(parsed) == [
        ("输出活动方案初稿", "zhang.wei@corp.example", date(2024, 9, 15)),
        ("提供功能亮点说明", "wang.qiang@corp.example", date(2024, 9, 10)),
    ]
    assert [a.line for a in parsed.actions] == [
        "1 | 输出活动方案初稿 | 市场部 张伟 | 研发部 | 2024/9/15 | 方案初稿 | 未开始",
        "2 | 提供功能亮点说明 | 王强 |  | 9月10日前",
    ]
    assert parsed.actions[0].status_text == "未开始"
    assert parsed.problems == ()


def test_markdown_table_with_columns_in_another_order() -> None:
    parsed = read(
        "### Actions\n\n"
        "| Due | Owner | Task | Deliverable |\n"
        "|-----|-------|------|-------------|\n"
        "| Sep 15 | Li Na | Draft plan | plan v1 |\n"
        "| within 3 working days | **王强** | Review | |\n"
    )
    assert brief(parsed) == [
        ("Draft plan", "li.na@corp.example", date(2024, 9, 15)),
        ("Review", "wang.qiang@corp.example", date(2024, 9, 5)),
    ]
    assert parsed.actions[1].owner_text == "王强"
    assert parsed.actions[1].line == "within 3 working days | **王强** | Review"


def test_flattened_word_table_one_cell_per_line() -> None:
    parsed = read(
        "（三）行动项跟踪表\n\n序号\n\n行动项\n\n负责人\n\n计划完成时间\n\n交付标准\n\n"
        "1\n\n输出活动方案初稿\n\n市场部 张伟\n\n2024年9月15日\n\n方案初稿\n\n"
        "2\n\n提供功能亮点说明\n\n王强\n\n9月10日前\n\n功能说明文档\n"
    )
    assert brief(parsed) == [
        ("输出活动方案初稿", "zhang.wei@corp.example", date(2024, 9, 15)),
        ("提供功能亮点说明", "wang.qiang@corp.example", date(2024, 9, 10)),
    ]
    assert parsed.actions[1].deliverable == "功能说明文档"


@pytest.mark.parametrize("none", ["无", "None", "N/A", "暂无。"])
def test_explicitly_no_actions(none: str) -> None:
    parsed = read(f"三、行动项\n{none}\n")
    assert (parsed.actions, parsed.actions_explicitly_none, parsed.problems) == ((), True, ())


def test_explicitly_no_actions_on_the_heading_line() -> None:
    parsed = read("行动项：无\n")
    assert (parsed.has_action_section, parsed.actions_explicitly_none, parsed.problems) == (True, True, ())


def test_empty_action_section_is_a_problem() -> None:
    parsed = read("三、行动项\n\n四、其他\n谢谢\n")
    assert parsed.problems == (Problem("no_actions", "三、行动项", section="actions"),)


def test_missing_owner_due_and_description() -> None:
    parsed = read("行动项：\n1. 整理会议纪要\n2. 负责人：王强；截止：9月20日\n")
    assert parsed.problems == (
        Problem("missing_owner", "1. 整理会议纪要", section="actions"),
        Problem("missing_due", "1. 整理会议纪要", section="actions"),
        Problem("missing_description", "2. 负责人：王强；截止：9月20日", section="actions"),
    )


def test_bullet_continued_block() -> None:
    parsed = read("行动项：\n- 整理会议纪要\n- 负责人：王强\n- 截止：9月20日\n")
    assert brief(parsed) == [("整理会议纪要", "wang.qiang@corp.example", date(2024, 9, 20))]
    assert parsed.actions[0].line == "- 整理会议纪要"


@pytest.mark.parametrize(
    ("due", "detail"),
    [
        ("尽快", "vague: 尽快"),
        ("ASAP", "vague: ASAP"),
        ("X月X日", "placeholder: X月X日"),
        ("2月30日", "invalid: 2月30日"),
        ("等通知", "unreadable: 等通知"),
    ],
)
def test_unreadable_due(due: str, detail: str) -> None:
    line = f"- 输出方案；负责人：王强；截止：{due}"
    parsed = read(f"行动项：\n{line}\n")
    assert parsed.problems == (Problem("unreadable_date", line, detail=detail, section="dates"),)
    assert parsed.actions[0].due is None
    assert parsed.actions[0].due_text == due


def test_past_due_is_relative_to_the_meeting_date_not_the_arrival() -> None:
    line = "- 输出方案；负责人：王强；截止：2024-08-30"
    parsed = read(f"行动项：\n{line}\n")
    assert parsed.problems == (Problem("past_due", line, detail="2024-08-30: 2024-08-30", section="dates"),)
    # 9月2日 is the meeting day itself: allowed, although the mail arrived on 9月3日.
    assert read("行动项：\n- 输出方案；负责人：王强；截止：9月2日\n").problems == ()


def test_placeholder_unresolved_and_ambiguous_owners() -> None:
    body = (
        "行动项\n"
        "序号\t任务描述\t负责人\t完成时限\n"
        "1\t明确对接节点\t市场部*经理\t本月底前\n"
        "2\t核算成本\t赵六\t9月20日\n"
        "3\t整理预算\t李娜\t9月20日\n"
    )
    assert read(body).problems == (
        Problem(
            "placeholder_person", "1 | 明确对接节点 | 市场部*经理 | 本月底前", detail="市场部*经理", section="people"
        ),
        Problem("unresolved_owner", "2 | 核算成本 | 赵六 | 9月20日", detail="赵六", section="people"),
        Problem(
            "ambiguous_owner",
            "3 | 整理预算 | 李娜 | 9月20日",
            detail="李娜: li.na2@corp.example, li.na@corp.example",
            section="people",
        ),
    )


def test_several_owners_are_refused_naming_all_of_them() -> None:
    # One owner per action: two are a quoted error naming both, never the first one taken.
    line = "- 联合推广方案；负责人：张伟、王强；截止：9月20日"
    parsed = read(f"行动项：\n{line}\n")
    action = parsed.actions[0]
    assert action.owner is None
    assert action.notes == ""
    assert parsed.problems == (Problem("multiple_owners", line, detail="2: 张伟 / 王强", section="people"),)


def test_provisional_calendar_is_reported() -> None:
    ctx = ReadContext(calendar=load_calendar("cn"), anchor=date(2030, 12, 27), header_people=HEADERS)
    parsed = read_meeting("会议日期：2030年12月27日\n行动项：\n- 年终盘点；负责人：王强；截止：3个工作日内\n", ctx=ctx)
    assert parsed.actions[0].due == date(2031, 1, 1)
    assert parsed.actions[0].due_provisional
    assert parsed.provisional_calendar


def test_lead_in_and_rules_are_not_actions() -> None:
    parsed = read("行动项：\n以下行动项请各负责人确认：\n---\n- 输出方案；负责人：王强；截止：9月20日\n")
    assert brief(parsed) == [("输出方案", "wang.qiang@corp.example", date(2024, 9, 20))]
