"""Line markers, section headings, fields and tables: the structure under agendas and minutes."""

from __future__ import annotations

import pytest

from mailbot.formats.fields import FieldCollector, parse_field_line
from mailbot.formats.lines import split_cells, strip_marker
from mailbot.formats.sections import read_heading, split_sections
from mailbot.formats.tables import TableSpec, find_text_tables, table_from_rows
from mailbot.formats.vocabulary import default_vocabulary

VOCAB = default_vocabulary()
ACTION_SPECS = (
    TableSpec("actions", VOCAB.action_columns, "description"),
    TableSpec("topics", VOCAB.topic_columns, "name"),
)


@pytest.mark.parametrize(
    ("line", "number", "content"),
    [
        ("1. 输出方案", "1", "输出方案"),
        ("1、输出方案", "1", "输出方案"),
        ("1.1 产品推广", "1.1", "产品推广"),
        ("（三）行动项", "三", "行动项"),
        ("三、行动项", "三", "行动项"),
        ("(2) Draft", "2", "Draft"),
        ("① 任务", "①", "任务"),
        ("- [ ] Draft plan", None, "Draft plan"),
        ("• 任务", None, "任务"),
        ("-输出方案", None, "输出方案"),
        ("1.5倍预算", None, "1.5倍预算"),
        ("2024.9.15 开会", None, "2024.9.15 开会"),
        ("10:00 开始", None, "10:00 开始"),
        ("**会议名称**：周会", None, "**会议名称**：周会"),
        ("---", None, "---"),
    ],
)
def test_strip_marker(line: str, number: str | None, content: str) -> None:
    marked = strip_marker(line)
    assert (marked.number, marked.content) == (number, content)


def test_split_cells() -> None:
    assert split_cells("| 会议名称 | 周会 |") == ["会议名称", "周会"]
    assert split_cells("1\t输出方案\t\t2024-09-15") == ["1", "输出方案", "", "2024-09-15"]
    assert split_cells("输出方案 | 负责人：张伟") is None  # one pipe: an action-line separator
    assert split_cells("普通的一行") is None


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("一、议程", "agenda"),
        ("（三）行动项", "actions"),
        ("## 行动项", "actions"),
        ("【行动项】", "actions"),
        ("Action items:", "actions"),
        ("3. Decisions", "decisions"),
        ("二、决议事项", "decisions"),
        ("**To-do**", "actions"),
        ("（二）会议议程与讨论记录表", "agenda"),
        ("四、行动项跟踪表", "actions"),
        ("行动项如下：", "actions"),
        ("行动项（请各负责人确认）", "actions"),
        ("(一)会议基本信息表", "info"),
        ("五、其他事项", "other"),
        ("## Next steps", "other"),
        ("【附件】", "other"),
    ],
)
def test_headings(line: str, kind: str) -> None:
    heading = read_heading(line, VOCAB)
    assert heading is not None
    assert heading.kind == kind


@pytest.mark.parametrize(
    "line",
    [
        "决议：自下月起，客户投诉响应流程分为两种",  # a decision line, not a heading
        "会议名称：行动项复盘会",  # a field line
        "- 输出活动方案初稿；负责人：张伟；截止：9月15日",  # an action line
        "1. 产品推广与技术支持协作流程",  # a numbered item
        "（一）产品推广",  # a second-level number inside a section
        "",
    ],
)
def test_not_headings(line: str) -> None:
    assert read_heading(line, VOCAB) is None


def test_heading_with_explicit_none() -> None:
    heading = read_heading("行动项：无", VOCAB)
    assert heading is not None
    assert (heading.kind, heading.inline) == ("actions", "无")


def test_split_sections_keeps_numbered_topics_inside_an_unnumbered_agenda() -> None:
    lines = ["会议名称：周会", "议程：", "一、产品推广", "二、预算", "## 行动项", "- 写方案", "## 其他", "谢谢"]
    sections = split_sections(lines, VOCAB)
    assert [(s.kind, s.lines) for s in sections] == [
        ("preamble", ["会议名称：周会"]),
        ("agenda", ["一、产品推广", "二、预算"]),
        ("actions", ["- 写方案"]),
        ("other", ["谢谢"]),
    ]


def test_cjk_numbered_block_items_stay_inside_a_bracketed_action_section() -> None:
    lines = ["【行动项】", "一、输出方案初稿", "负责人：张伟", "二、提供说明"]
    sections = split_sections(lines, VOCAB)
    assert [(s.kind, s.lines) for s in sections] == [
        ("preamble", []),
        ("actions", ["一、输出方案初稿", "负责人：张伟", "二、提供说明"]),
    ]


def test_cjk_numbered_heading_ends_a_cjk_numbered_section() -> None:
    lines = ["一、议程", "1. 产品推广", "二、会议总结", "大家辛苦了", "三、行动项", "- 写方案"]
    assert [s.kind for s in split_sections(lines, VOCAB)] == ["preamble", "agenda", "other", "actions"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("会议名称：2024年Q3启动会", ("title", "2024年Q3启动会")),
        ("会议名称:2024年Q3启动会", ("title", "2024年Q3启动会")),
        ("- **会议日期：** 2024年9月2日", ("date", "2024年9月2日")),
        ("**Date**: 2024-09-02", ("date", "2024-09-02")),
        ("Time: 14:00-16:00", ("time", "14:00-16:00")),
        ("MINUTES BY: Li Na", ("recorder", "Li Na")),
        ("| 会议地点 | 总部3楼第一会议室 |", ("place", "总部3楼第一会议室")),
        ("会议地点/形式\t线上（腾讯会议）", ("place", "线上（腾讯会议）")),
        ("3. 主持人：市场部 张伟", ("host", "市场部 张伟")),
        ("参会部门及人员", ("attendees", None)),
        ("确认截止：9月6日", ("confirm_by", "9月6日")),
    ],
)
def test_field_lines(line: str, expected: tuple[str, str | None]) -> None:
    assert parse_field_line(line, VOCAB) == expected


@pytest.mark.parametrize("line", ["负责人：张伟", "市场部：需研发部提供说明", "14:00 开始", "会议名称很长的一句话"])
def test_not_field_lines(line: str) -> None:
    assert parse_field_line(line, VOCAB) is None


def test_fields_first_wins_and_header_row_is_skipped() -> None:
    collector = FieldCollector(VOCAB)
    collector.add_lines(["项目\t内容", "会议名称\t周会", "会议名称\t第二个", "项目\tQ3 上市"])
    assert {k: v.value for k, v in collector.values.items()} == {"title": "周会", "project": "Q3 上市"}


def test_fields_one_cell_per_line_as_outlook_flattens_the_seed_table() -> None:
    lines = [
        "项目",
        "",
        "内容",
        "",
        "会议名称",
        "",
        "例：项目Q3启动会",
        "",
        "会议日期",
        "",
        "2024年9月2日",
        "",
        "参会部门及人员",
        "",
        "市场部：经理、专员；技术部：主管",
        "",
        "主持人",
        "张伟",
    ]
    collector = FieldCollector(VOCAB)
    collector.add_lines(lines)
    values = {k: v.value for k, v in collector.values.items()}
    assert values == {
        "title": "例：项目Q3启动会",
        "date": "2024年9月2日",
        "attendees": "市场部：经理、专员；技术部：主管",
        "host": "张伟",
    }
    assert "project" not in values
    assert collector.values["title"].is_template
    assert collector.values["date"].line == "会议日期 2024年9月2日"


def test_multiline_attendees_value() -> None:
    collector = FieldCollector(VOCAB)
    collector.add_lines(["参会人员：", "市场部：张伟、李娜", "研发部：王强", "", "地点：301"])
    assert collector.values["attendees"].value == "市场部：张伟、李娜；研发部：王强"
    assert collector.values["place"].value == "301"


def test_html_two_column_rows() -> None:
    collector = FieldCollector(VOCAB)
    collector.add_rows([["项目", "内容"], ["会议名称", "启动会"], ["主持人", "市场部\n张伟"], ["其他", "x"]])
    assert {k: v.value for k, v in collector.values.items()} == {"title": "启动会", "host": "市场部 张伟"}


def test_pipe_table_with_columns_in_any_order() -> None:
    lines = [
        "| 截止日期 | 负责人 | 任务 |",
        "|:--|---|---|",
        "| 9月15日 | 张伟 | 写方案 |",
        "",
        "| 9月20日 | 李娜 | 定预算 |",
        "这行不是表格",
    ]
    tables = find_text_tables(lines, ACTION_SPECS)
    assert len(tables) == 1
    table = tables[0]
    assert table.kind == "actions"
    assert [table.record(r) for r in table.rows] == [
        {"due": "9月15日", "owner": "张伟", "description": "写方案"},
        {"due": "9月20日", "owner": "李娜", "description": "定预算"},
    ]
    assert table.lines == {0, 1, 2, 4}


def test_flat_table_rows_anchor_on_their_number_so_an_empty_cell_shifts_only_its_row() -> None:
    lines = [
        "序号",
        "任务描述",
        "负责人",
        "完成时限",
        "1",
        "写方案",
        "张伟",
        "9月15日",
        "2",
        "定预算",
        "9月20日",
        "3",
        "复盘",
        "王强",
        "9月30日",
    ]
    table = find_text_tables(lines, ACTION_SPECS)[0]
    assert [table.record(r)["description"] for r in table.rows] == ["写方案", "定预算", "复盘"]
    assert table.record(table.rows[2]) == {"number": "3", "description": "复盘", "owner": "王强", "due": "9月30日"}


def test_html_rows_header_found_below_a_title_row() -> None:
    rows = [
        ["行动项跟踪表"],
        ["序号", "行动项", "负责人", "计划完成时间"],
        ["1", "写方案", "张伟", "9月15日"],
        ["", "", "", ""],
    ]
    table = table_from_rows(rows, ACTION_SPECS)
    assert table is not None
    assert table.rows == [["1", "写方案", "张伟", "9月15日"]]


def test_topic_table_is_not_an_action_table() -> None:
    rows = [["序号", "议题名称", "讨论内容（关键观点、分歧点、共识结论）", "负责人", "预计时长", "实际时长"]]
    table = table_from_rows(rows, ACTION_SPECS)
    assert table is not None
    assert table.kind == "topics"
    assert table.columns == {0: "number", 1: "name", 2: "discussion", 3: "owner", 4: "planned", 5: "actual"}
