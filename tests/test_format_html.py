"""Minutes pasted from Word into Outlook: the HTML body is read cell by cell, the text part is not."""

from __future__ import annotations

from datetime import date, time

from mailbot.formats.model import PersonRef, Problem
from mailbot.formats.reader import ReadContext, detect_kind, read_meeting
from mailbot.workdays import load_calendar

HEADERS = [("张伟(市场部)", "zhang.wei@corp.example"), ("王强", "wang.qiang@corp.example")]
CTX = ReadContext(calendar=load_calendar("cn"), anchor=date(2024, 9, 3), header_people=HEADERS)


def cell(text: str) -> str:
    return (
        "<td width=284 valign=top style='width:212.6pt;border:solid windowtext 1.0pt;"
        "mso-border-alt:solid windowtext .5pt;"
        f"padding:0cm 5.4pt 0cm 5.4pt'><p class=MsoNormal><span style='font-family:宋体;mso-ascii-font-family:Calibri'>"
        f"{text}<o:p></o:p></span></p></td>"
    )


def row(*cells: str) -> str:
    return "<tr style='mso-yfti-irow:0'>" + "".join(cell(c) for c in cells) + "</tr>"


WORD_HTML = (
    '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta charset=utf-8>'
    '<style>p.MsoNormal{mso-style-parent:"";margin:0cm}</style></head><body lang=ZH-CN>'
    "<div class=WordSection1>"
    "<p class=MsoNormal><span lang=EN-US>各位好，会议纪要初稿如下，请审阅。<o:p></o:p></span></p>"
    "<p class=MsoNormal><b><span style='font-family:宋体'>（一）会议基本信息表</span></b><o:p></o:p></p>"
    "<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0 style='border-collapse:collapse'>"
    + row("<b>项目</b>", "<b>内容</b>")
    + row("会议名称", "Q3&nbsp;新产品上市启动会")
    + row("会议时间", "2024年9月2日&nbsp;14:00-16:00")
    + row("会议地点", "总部3楼第一会议室")
    + row("主持人", "<span lang=EN-US>市场部</span>&nbsp;<span>张伟</span>")
    + row("记录人", "王强")
    + "</table>"
    "<p class=MsoNormal><b><span style='font-family:宋体'>（三）行动项跟踪表</span></b><o:p></o:p></p>"
    "<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0>"
    + row("序号", "任务描述", "负责人", "配合部门", "完成时限", "交付标准", "备注")
    + row(
        "1",
        "输出活动方案初稿",
        '张伟 &lt;<a href="mailto:zhang.wei@corp.example">zhang.wei@corp.example</a>&gt;',
        "研发部",
        "2024年9月15日",
        "方案初稿",
        "&nbsp;",
    )
    + row("2", "提供产品功能亮点说明", "王强", "&nbsp;", "9月10日前", "&nbsp;", "&nbsp;")
    + row("3", "核算推广成本", "财务部*主管", "&nbsp;", "尽快", "&nbsp;", "&nbsp;")
    + "</table>"
    "<p class=MsoNormal><span lang=EN-US><o:p>&nbsp;</o:p></span></p>"
    "</div></body></html>"
)

# What Outlook puts in the text/plain part of the same mail: the tables flattened, badly.
OUTLOOK_TEXT = (
    "各位好，会议纪要初稿如下，请审阅。\n\n（一）会议基本信息表\n\n项目\n\n内容\n\n会议名称\n\nQ3 新产品上市启动会\n"
)


def test_word_html_tables_are_read_cell_by_cell() -> None:
    parsed = read_meeting(OUTLOOK_TEXT, WORD_HTML, ctx=CTX)
    assert parsed.title == "Q3 新产品上市启动会"
    assert (parsed.date, parsed.start_time, parsed.end_time) == (date(2024, 9, 2), time(14, 0), time(16, 0))
    assert parsed.place == "总部3楼第一会议室"
    assert parsed.host == PersonRef("zhang.wei@corp.example", "张伟", "市场部")
    assert parsed.recorder == PersonRef("wang.qiang@corp.example", "王强", None)
    assert [(a.number, a.description, a.owner, a.due) for a in parsed.actions] == [
        ("1", "输出活动方案初稿", PersonRef("zhang.wei@corp.example", "张伟", None), date(2024, 9, 15)),
        ("2", "提供产品功能亮点说明", PersonRef("wang.qiang@corp.example", "王强", None), date(2024, 9, 10)),
        ("3", "核算推广成本", None, None),
    ]
    assert parsed.actions[0].support == "研发部"
    assert parsed.actions[0].deliverable == "方案初稿"
    assert [(p.code, p.detail) for p in parsed.problems] == [
        ("placeholder_person", "财务部*主管"),
        ("unreadable_date", "vague: 尽快"),
    ]
    assert parsed.problems[0].line.startswith("3 | 核算推广成本 | 财务部*主管")
    assert detect_kind(parsed) == "minutes"


def test_html_without_tables_uses_the_plain_text() -> None:
    html = "<html><body><p>会议名称：HTML 里的名字</p></body></html>"
    parsed = read_meeting("会议名称：纯文本里的名字\n", html, ctx=CTX)
    assert parsed.title == "纯文本里的名字"


def test_html_only_mail() -> None:
    html = (
        "<div dir=ltr><div>会议名称：周会</div><div>会议日期：2024-09-02</div><div><br></div>"
        "<div><b>行动项</b></div><ul><li>输出方案；负责人：王强；截止：9月20日</li></ul></div>"
    )
    parsed = read_meeting("", html, ctx=CTX)
    assert parsed.title == "周会"
    assert [(a.description, a.owner.address if a.owner else None, a.due) for a in parsed.actions] == [
        ("输出方案", "wang.qiang@corp.example", date(2024, 9, 20))
    ]
    assert parsed.problems == ()


def test_html_action_table_with_no_rows_is_no_actions() -> None:
    html = (
        "<table>"
        + row("序号", "任务描述", "负责人", "完成时限")
        + row("&nbsp;", "&nbsp;", "&nbsp;", "&nbsp;")
        + "</table>"
    )
    parsed = read_meeting("", html, ctx=CTX)
    assert parsed.has_action_section
    assert [p.code for p in parsed.problems] == ["missing_field", "no_actions"]
    assert parsed.problems[1] == Problem("no_actions", "", section="actions")
