"""Shapes real mail takes, each found wrong before: owners with their department in brackets or
joined by a symbol, two owners in one action, numeric dates that read two ways, and a meeting
whose date and time are only in the attached Outlook invitation."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date, time
from pathlib import Path

import pytest

from mailbot.formats.actions import date_problem
from mailbot.formats.dates import read_date, read_meeting_when, two_readings
from mailbot.formats.invitation import invitation_times, with_invitation
from mailbot.formats.model import ParsedMeeting, PersonRef, Problem
from mailbot.formats.people import PersonText, Resolver, named_in, parse_one, parse_people
from mailbot.formats.reader import ReadContext, read_meeting
from mailbot.handlers.agenda import problem_view
from mailbot.message import Attachment, InboundMail
from mailbot.render import Renderer
from mailbot.workdays import load_calendar
from tests.complexity import assert_linear

ZW = "zhang.wei@corp.example"
LN = "li.na@corp.example"
WQ = "wang.qiang@corp.example"
HEADERS = [("张伟(市场部)", ZW), ("李娜", LN), ("Li Na (R&D)", LN), ("王强", WQ)]


def directory(name: str, department: str | None) -> list[PersonRef]:
    people = [PersonRef(WQ, "王强", "研发部")]
    return [p for p in people if p.name == name and (department is None or p.department == department)]


CAL = load_calendar("cn")
# Minutes of a meeting on Tuesday 8 December 2026, sent the day after.
CTX = ReadContext(calendar=CAL, anchor=date(2026, 12, 9), header_people=HEADERS, directory=directory)
ZH_HEAD = "会议名称：Q4 渠道复盘会\n会议日期：2026年12月8日\n会议时间：14:00-16:00\n\n三、行动项\n"
EN_HEAD = "Meeting: Q4 channel review\nDate: 8 Dec 2026\nTime: 14:00-16:00\n\nAction items\n"


def read(body: str, html: str = "") -> ParsedMeeting:
    return read_meeting(body, html, ctx=CTX)


def owners(parsed: ParsedMeeting) -> list[PersonRef | None]:
    return [a.owner for a in parsed.actions]


# --- 1. an owner with a department, in brackets or joined by a symbol ------------------------------


@pytest.mark.parametrize(
    ("text", "name", "department", "address"),
    [
        ("Li Na (R&D)", "Li Na", "R&D", None),
        ("Li Na (R&D) <li.na@corp.example>", "Li Na", "R&D", LN),
        ("张伟（市场部）", "张伟", "市场部", None),
        ("张伟（市场部） <zhang.wei@corp.example>", "张伟", "市场部", ZW),
        ("张伟（市场、品牌部）", "张伟", "市场、品牌部", None),  # a 、 inside the brackets is the department's
        ("市场部-张伟", "张伟", "市场部", None),
        ("市场部-张伟 <zhang.wei@corp.example>", "张伟", "市场部", ZW),
        ("市场部——张伟", "张伟", "市场部", None),
        ("市场部/张伟", "张伟", "市场部", None),
        ("市场部／张伟 <zhang.wei@corp.example>", "张伟", "市场部", ZW),
        ("张伟 - 市场部", "张伟", "市场部", None),
        ("张伟/市场部", "张伟", "市场部", None),
        ("张伟 市场部", "张伟", "市场部", None),
        ("【市场部】张伟", "张伟", "市场部", None),
        ("R&D: Li Na", "Li Na", "R&D", None),
        ("R&D: Li Na <li.na@corp.example>", "Li Na", "R&D", LN),
        ("R&D - Li Na", "Li Na", "R&D", None),
        ("Li Na - R&D", "Li Na", "R&D", None),
        ("Li Na/R&D", "Li Na", "R&D", None),
        ("(R&D) Li Na", "Li Na", "R&D", None),
        ("Research and Development: Li Na", "Li Na", "Research and Development", None),
        ("Li Na - Research and Development", "Li Na", "Research and Development", None),
        ("Sales & Marketing: Li Na", "Li Na", "Sales & Marketing", None),
        ("Marketing/Zhang Wei", "Zhang Wei", "Marketing", None),
        ("HR Li Na", "Li Na", "HR", None),
        ("IT部 王强", "王强", "IT部", None),
        # Outlook's "Last, First" display name with the address: one person, not "Li" and "Na".
        ("Li, Na (R&D) <li.na@corp.example>", "Li, Na", "R&D", LN),
    ],
)
def test_one_person_with_a_department(text: str, name: str, department: str, address: str | None) -> None:
    (person,) = parse_people(text)
    assert (person.name, person.department, person.address) == (name, department, address)


@pytest.mark.parametrize("text", ["Jean-Pierre Martin", "李科", "Zhang Wei", "Na LI"])
def test_names_that_look_a_little_like_departments_stay_names(text: str) -> None:
    assert [(p.name, p.department) for p in parse_people(text)] == [(text, None)]


def test_an_owner_whose_name_ends_like_a_department() -> None:
    # 王志科 ends like 财务科: as the only owner, he is who the directory says he is.
    resolver = Resolver(header_people=[("王志科", "wang.zhike@corp.example")])
    assert [p.name for p in named_in("王志科", resolver.resolve)] == ["王志科"]
    assert named_in("财务科", resolver.resolve) == []  # a department alone names no owner
    assert [p.text for p in named_in("张伟、王志科", resolver.resolve)] == ["张伟", "王志科"]  # two, not one


def test_parse_one_takes_the_department_either_side() -> None:
    assert parse_one("张伟 - 市场部").department == "市场部"
    assert parse_one("R&D: Li Na").name == "Li Na"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Li Na (R&D)", PersonRef(LN, "Li Na", "R&D")),
        ("张伟（市场部）", PersonRef(ZW, "张伟", "市场部")),
        ("市场部-张伟", PersonRef(ZW, "张伟", "市场部")),
        ("市场部/张伟", PersonRef(ZW, "张伟", "市场部")),
        ("张伟 - 市场部", PersonRef(ZW, "张伟", "市场部")),
        ("R&D: Li Na", PersonRef(LN, "Li Na", "R&D")),
        ("R&D: Li Na <li.na@corp.example>", PersonRef(LN, "Li Na", "R&D")),
        ("市场部-张伟 <zhang.wei@corp.example>", PersonRef(ZW, "张伟", "市场部")),
        ("市场、品牌部-张伟", PersonRef(ZW, "张伟", "市场、品牌部")),  # 市场 is nobody: part of the department
        ("研发部/王强", PersonRef(WQ, "王强", "研发部")),  # the directory's department agrees
    ],
)
def test_owner_with_department_in_a_plain_text_line(cell: str, expected: PersonRef) -> None:
    line = f"- 输出渠道复盘报告；负责人：{cell}；截止：2026-12-18"
    parsed = read(ZH_HEAD + line + "\n")
    assert parsed.problems == ()
    assert owners(parsed) == [expected]


def test_owners_with_departments_in_a_pipe_table() -> None:
    body = ZH_HEAD + (
        "| 序号 | 任务描述 | 负责人 | 配合部门 | 完成时限 | 交付标准 |\n"
        "| 1 | 输出渠道复盘报告 | 张伟（市场部） | 研发部 | 2026-12-18 | 报告 PDF |\n"
        "| 2 | 评估接口改造工作量 | Li Na (R&D) <li.na@corp.example> | 市场部 | 12月21日 | 评估表 |\n"
        "| 3 | 核对渠道返利 | 市场部-张伟 | 财务部 | 3个工作日内 | 核对表 |\n"
    )
    parsed = read(body)
    assert parsed.problems == ()
    assert owners(parsed) == [
        PersonRef(ZW, "张伟", "市场部"),
        PersonRef(LN, "Li Na", "R&D"),
        PersonRef(ZW, "张伟", "市场部"),
    ]


def test_owners_with_departments_in_an_excel_tab_table_in_english() -> None:
    body = EN_HEAD + (
        "No.\tTask\tOwner\tSupport\tDue\tDeliverable\n"
        "1\tPrepare the channel review report\tR&D: Li Na\tMarketing\t2026-12-18\tReport (PDF)\n"
        "2\tCheck the rebate figures\tZhang Wei (Marketing) <zhang.wei@corp.example>\tFinance\tDec 21\tChecklist\n"
        "3\tEstimate the API work\tLi Na - Research and Development\t\twithin 3 working days\tEstimate\n"
    )
    parsed = read(body)
    assert parsed.problems == ()
    assert owners(parsed) == [
        PersonRef(LN, "Li Na", "R&D"),
        PersonRef(ZW, "Zhang Wei", "Marketing"),
        PersonRef(LN, "Li Na", "Research and Development"),
    ]


def test_owners_in_a_block_written_in_english() -> None:
    body = EN_HEAD + (
        "1. Prepare the channel review report\n"
        "   Owner: Li Na (R&D) <li.na@corp.example>\n"
        "   Due: 2026-12-18\n"
        "2. Check the rebate figures\n"
        "   Owner: Marketing/Zhang Wei\n"
        "   Due: Dec 21\n"
    )
    parsed = read(body)
    assert parsed.problems == ()
    assert owners(parsed) == [PersonRef(LN, "Li Na", "R&D"), PersonRef(ZW, "Zhang Wei", "Marketing")]


def _cell(text: str) -> str:
    return (
        "<td width=142 valign=top style='width:106.3pt;border:solid windowtext 1.0pt;"
        "mso-border-alt:solid windowtext .5pt;padding:0cm 5.4pt 0cm 5.4pt'><p class=MsoNormal>"
        f"<span style='font-family:宋体;mso-ascii-font-family:Calibri'>{text}<o:p></o:p></span></p></td>"
    )


def _row(*cells: str) -> str:
    return "<tr style='mso-yfti-irow:1'>" + "".join(_cell(c) for c in cells) + "</tr>"


def word_html(*rows: tuple[str, ...], english: bool = False) -> str:
    """Minutes pasted from Word into Outlook: the action table as Word's HTML writes it."""
    header = (
        ("No.", "Task", "Owner", "Support", "Due")
        if english
        else ("序号", "任务描述", "负责人", "配合部门", "完成时限")
    )
    info = (
        ("Meeting", "Q4 channel review", "Date", "8 Dec 2026")
        if english
        else ("会议名称", "Q4&nbsp;渠道复盘会", "会议日期", "2026年12月8日")
    )
    return (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta charset=utf-8></head>'
        "<body lang=ZH-CN><div class=WordSection1>"
        "<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0 style='border-collapse:collapse'>"
        + _row(info[0], info[1])
        + _row(info[2], info[3])
        + "</table><p class=MsoNormal><b>"
        + ("Action items" if english else "四、行动项跟踪表")
        + "</b><o:p></o:p></p>"
        "<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0 style='border-collapse:collapse'>"
        + _row(*header)
        + "".join(_row(*r) for r in rows)
        + "</table></div></body></html>"
    )


def test_owners_with_departments_in_outlook_word_html() -> None:
    html = word_html(
        ("1", "输出渠道复盘报告", "张伟（市场部）", "研发部", "2026-12-18"),
        (
            "2",
            "评估接口改造工作量",
            "Li Na (R&amp;D) &lt;<a href='mailto:li.na@corp.example'>li.na@corp.example</a>&gt;",
            "市场部",
            "12月21日",
        ),
        ("3", "核对渠道返利", "<span lang=EN-US>市场部</span>-<span>张伟</span>", "财务部", "2026-12-21"),
    )
    parsed = read("会议纪要见下表。\n", html)
    assert parsed.problems == ()
    assert owners(parsed) == [
        PersonRef(ZW, "张伟", "市场部"),
        PersonRef(LN, "Li Na", "R&D"),
        PersonRef(ZW, "张伟", "市场部"),
    ]


# --- 2. two owners in one action: refused, naming both --------------------------------------------


@pytest.mark.parametrize(
    ("cell", "detail"),
    [
        ("张伟、李娜", "2: 张伟 / 李娜"),
        ("张伟/李娜", "2: 张伟 / 李娜"),
        ("张伟，李娜", "2: 张伟 / 李娜"),
        ("张伟,李娜", "2: 张伟 / 李娜"),
        ("张伟 李娜", "2: 张伟 / 李娜"),
        ("张伟&李娜", "2: 张伟 / 李娜"),
        ("Zhang Wei and Li Na", "2: Zhang Wei / Li Na"),
        ("Zhang Wei & Li Na", "2: Zhang Wei / Li Na"),
        ("张伟（市场部）、李娜（研发部）", "2: 张伟（市场部） / 李娜（研发部）"),
        ("市场部：张伟、李娜", "2: 张伟 / 李娜"),
        (
            "张伟 <zhang.wei@corp.example> 李娜 <li.na@corp.example>",
            "2: 张伟 <zhang.wei@corp.example> / 李娜 <li.na@corp.example>",
        ),
        ("张伟、市场部", "2: 张伟 / 市场部"),  # a person and a department: which one owns it?
        ("张伟、赵六", "2: 张伟 / 赵六"),  # one of them unknown: still two, not "赵六 not found"
        ("张伟、李娜、王强", "3: 张伟 / 李娜 / 王强"),
    ],
)
def test_two_owners_are_a_quoted_problem_naming_all(cell: str, detail: str) -> None:
    line = f"- 联合推广方案；负责人：{cell}；截止：2026-12-18"
    parsed = read(ZH_HEAD + line + "\n")
    assert parsed.errors == (Problem("multiple_owners", line, detail=detail, section="people"),)
    assert owners(parsed) == [None]
    assert parsed.actions[0].owner_text == cell  # kept as written, nobody dropped


def test_two_owners_in_a_table_and_in_word_html() -> None:
    body = EN_HEAD + (
        "| No. | Task | Owner | Due |\n"
        "| 1 | Joint launch plan | Zhang Wei and Li Na | 2026-12-18 |\n"
        "| 2 | Rebate check | Zhang Wei (Marketing) | 2026-12-18 |\n"
    )
    parsed = read(body)
    assert parsed.errors == (
        Problem(
            "multiple_owners",
            "1 | Joint launch plan | Zhang Wei and Li Na | 2026-12-18",
            detail="2: Zhang Wei / Li Na",
            section="people",
        ),
    )
    assert owners(parsed) == [None, PersonRef(ZW, "Zhang Wei", "Marketing")]

    html = word_html(("1", "联合推广方案", "张伟、李娜", "研发部", "2026-12-18"))
    (problem,) = read("", html).errors
    assert (problem.code, problem.detail) == ("multiple_owners", "2: 张伟 / 李娜")


@pytest.mark.parametrize(
    "cell",
    [
        "市场部-张伟",  # department-name, not two owners
        "市场部/张伟",
        "张伟/市场部",
        "张伟（市场、品牌部）",
        "市场、品牌部-张伟",
        "张伟，zhang.wei@corp.example",  # the same person twice is one owner
        "张伟 zhang.wei@corp.example<mailto:zhang.wei@corp.example>",  # Word's autolinked address
    ],
)
def test_one_owner_however_written(cell: str) -> None:
    parsed = read(ZH_HEAD + f"- 联合推广方案；负责人：{cell}；截止：2026-12-18\n")
    assert parsed.errors == ()
    assert owners(parsed)[0] is not None
    assert owners(parsed)[0].address == ZW  # type: ignore[union-attr]


def test_a_stem_before_a_department_is_a_person_when_it_resolves() -> None:
    # 李娜 is somebody: `李娜、市场部-张伟` names two people, it is not a department "李娜、市场部".
    resolver = Resolver(header_people=HEADERS)
    assert [p.name for p in named_in("李娜、市场部-张伟", resolver.resolve)] == ["李娜", "张伟"]
    # Outside one-person cells (attendees) a department before a name is still that name's.
    assert [(p.name, p.department) for p in parse_people("市场部、张伟")] == [("张伟", "市场部")]


# --- 3. numeric dates that read two ways ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "readings", "expression"),
    [
        ("05/01/2027", (date(2027, 5, 1), date(2027, 1, 5)), "05/01/2027"),
        ("5/1", (date(2027, 5, 1), date(2027, 1, 5)), "5/1"),
        ("01-05-2027", (date(2027, 1, 5), date(2027, 5, 1)), "01-05-2027"),
        ("05.01.2027", (date(2027, 5, 1), date(2027, 1, 5)), "05.01.2027"),
        ("05/01/2027前", (date(2027, 5, 1), date(2027, 1, 5)), "05/01/2027"),
        ("by 1/5", (date(2027, 1, 5), date(2027, 5, 1)), "1/5"),
    ],
)
def test_a_date_that_reads_two_ways_is_refused(text: str, readings: tuple[date, date], expression: str) -> None:
    reading = read_date(text, date(2026, 12, 8), CAL)
    assert (reading.value, reading.error, reading.readings, reading.expression) == (
        None,
        "two_readings",
        readings,
        expression,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13/01/2027", date(2027, 1, 13)),  # 13 can only be the day
        ("01/13/2027", date(2027, 1, 13)),
        ("13-01-2027", date(2027, 1, 13)),
        ("2027/05/01", date(2027, 5, 1)),  # year first: one reading
        ("2027-05-01", date(2027, 5, 1)),
        ("2027年5月1日", date(2027, 5, 1)),
        ("12/12", date(2026, 12, 12)),  # the same both ways
        ("12/20", date(2026, 12, 20)),
        ("20/12", date(2026, 12, 20)),
    ],
)
def test_dates_that_read_one_way_keep_working(text: str, expected: date) -> None:
    assert read_date(text, date(2026, 12, 8), CAL).value == expected


def test_two_way_due_date_in_a_draft_is_a_quoted_problem() -> None:
    line = "- 输出渠道复盘报告；负责人：张伟（市场部）；截止：05/01/2027"
    parsed = read(ZH_HEAD + line + "\n")
    assert parsed.errors == (
        Problem("ambiguous_date", line, detail="2027-05-01 2027-01-05: 05/01/2027", section="dates"),
    )
    assert parsed.actions[0].due is None


def test_two_way_due_date_in_an_english_table() -> None:
    body = EN_HEAD + "| No. | Task | Owner | Due |\n| 1 | Rebate check | Li Na (R&D) | 01-05-2027 |\n"
    (problem,) = read(body).errors
    assert (problem.code, problem.detail) == ("ambiguous_date", "2027-01-05 2027-05-01: 01-05-2027")


def test_two_way_meeting_date_gives_no_date_and_says_why() -> None:
    # read_meeting_when never guesses; two_readings tells the reader why (for its problem text).
    assert read_meeting_when("05/01/2027 14:00-16:00", date(2027, 1, 6)) == (None, time(14, 0), time(16, 0))
    assert two_readings("05/01/2027 14:00-16:00", date(2027, 1, 6)) == (
        "05/01/2027",
        date(2027, 5, 1),
        date(2027, 1, 5),
    )
    assert two_readings("5/1", date(2027, 1, 6)) == ("5/1", date(2027, 5, 1), date(2027, 1, 5))
    assert two_readings("13/01/2027") is None
    assert two_readings("2027/05/01") is None
    assert read_meeting_when("13/01/2027 14:00", None) == (date(2027, 1, 13), time(14, 0), None)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(Path(__file__).resolve().parent.parent / "templates")


@pytest.mark.parametrize(
    ("language", "problem", "text"),
    [
        (
            "zh",
            Problem("ambiguous_date", "x", detail="2027-05-01 2027-01-05: 05/01/2027", section="dates"),
            "日期“05/01/2027”有两种读法（5月1日 / 1月5日），请写成 2027-05-01 或 2027年5月1日",
        ),
        (
            "en",
            Problem("ambiguous_date", "x", detail="2027-05-01 2027-01-05: 05/01/2027", section="dates"),
            'The date "05/01/2027" reads two ways (May 1 or January 5): write 2027-05-01 or 1 May 2027',
        ),
        (
            "zh",
            Problem("multiple_owners", "x", detail="2: 张伟 / 李娜", section="people"),
            "一项任务只能有一位负责人，这里写了 2 个（张伟 / 李娜）：请只保留一位负责人，"
            "其他人或部门写进“配合部门”；确实要各自负责的，请拆成几项任务",
        ),
        (
            "en",
            Problem("multiple_owners", "x", detail="2: Zhang Wei / Li Na", section="people"),
            "An action has exactly one owner, and this one names 2 (Zhang Wei / Li Na): keep one owner and put "
            "the other people or departments under Support; if each really owns a part, split it into separate actions",
        ),
        (
            "zh",
            date_problem(read_date("确认截止：5/1", date(2026, 12, 8), CAL), "确认截止：5/1"),
            "日期“5/1”有两种读法（5月1日 / 1月5日），请写成 2027-05-01 或 2027年5月1日",
        ),
        (
            "zh",
            Problem("unreadable_date", "x", detail="two_readings: 5/1", section="dates", severity="warning"),
            "日期“5/1”有两种读法（月/日 或 日/月），请写成 2026-12-15 或 2026年12月15日 这样只有一种读法的写法",
        ),
    ],
)
def test_problem_texts(renderer: Renderer, language: str, problem: Problem, text: str) -> None:
    macros = renderer.environment(language).get_template("_macros.txt").module
    assert macros.problem_text(problem_view(problem)).strip() == text  # type: ignore[attr-defined]


# --- 4. the meeting's date and time only in the attached Outlook invitation -----------------------

# As Outlook 2016 (Windows, Chinese) writes a meeting request: CRLF lines, a Windows zone name
# quoted in TZID, its VTIMEZONE, a folded UID, a VALARM.
OUTLOOK_2016_ICS = (
    "BEGIN:VCALENDAR\r\n"
    "PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\n"
    "VERSION:2.0\r\n"
    "METHOD:REQUEST\r\n"
    "X-MS-OLK-FORCEINSPECTOROPEN:TRUE\r\n"
    "BEGIN:VTIMEZONE\r\n"
    "TZID:China Standard Time\r\n"
    "BEGIN:STANDARD\r\n"
    "DTSTART:16010101T000000\r\n"
    "TZOFFSETFROM:+0800\r\n"
    "TZOFFSETTO:+0800\r\n"
    "END:STANDARD\r\n"
    "END:VTIMEZONE\r\n"
    "BEGIN:VEVENT\r\n"
    'ATTENDEE;CN="张伟";RSVP=TRUE:mailto:zhang.wei@corp.example\r\n'
    'ATTENDEE;CN="Li Na (R&D)";RSVP=TRUE:mailto:li.na@corp.example\r\n'
    "CLASS:PUBLIC\r\n"
    "CREATED:20261201T031502Z\r\n"
    "DESCRIPTION:Q4 渠道复盘会，请准时参加。\\n\\n\r\n"
    'DTEND;TZID="China Standard Time":20261208T160000\r\n'
    "DTSTAMP:20261201T031502Z\r\n"
    'DTSTART;TZID="China Standard Time":20261208T140000\r\n'
    "LAST-MODIFIED:20261201T031502Z\r\n"
    "LOCATION:总部 3 楼第一会议室\r\n"
    'ORGANIZER;CN="王芳":mailto:wang.fang@corp.example\r\n'
    "PRIORITY:5\r\n"
    "SEQUENCE:0\r\n"
    "SUMMARY;LANGUAGE=zh-cn:Q4 渠道复盘会\r\n"
    "TRANSP:OPAQUE\r\n"
    "UID:040000008200E00074C5B7101A82E00800000000A0B1C2D3E4F5DB01000000000000000\r\n"
    " 010000000F1E2D3C4B5A69788796A5B4C3D2E1F00\r\n"
    "X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE\r\n"
    "X-MICROSOFT-CDO-IMPORTANCE:1\r\n"
    "X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY\r\n"
    "X-MICROSOFT-DISALLOW-COUNTER:FALSE\r\n"
    "X-MS-OLK-AUTOSTARTCHECK:FALSE\r\n"
    "X-MS-OLK-CONFTYPE:0\r\n"
    "BEGIN:VALARM\r\n"
    "TRIGGER:-PT15M\r\n"
    "ACTION:DISPLAY\r\n"
    "DESCRIPTION:Reminder\r\n"
    "END:VALARM\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)
MINUTES_WITHOUT_DATE = (
    "各位好，附件是会议邀请，纪要初稿如下。\r\n\r\n会议名称：Q4 渠道复盘会\r\n主持人：王芳 <wang.fang@corp.example>\r\n\r\n"
    "三、行动项\r\n- 输出渠道复盘报告；负责人：张伟（市场部）；截止：12月18日\r\n"
)


def b64(data: bytes) -> str:
    text = base64.b64encode(data).decode()
    return "\r\n".join(text[i : i + 76] for i in range(0, len(text), 76))


def outlook_mail(calendar_part: str) -> bytes:
    return (
        "From: =?gb2312?B?zfW3vA==?= <wang.fang@corp.example>\r\n"
        "To: minutes@corp.example\r\n"
        "Subject: =?utf-8?B?44CQ57qq6KaB44CRUTQg5rig6YGT5aSN55uY5Lya?=\r\n"
        "Date: Wed, 9 Dec 2026 10:12:31 +0800\r\n"
        "Message-ID: <000001db4a2b$1c2d3e40$5f6a7b80$@corp.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="----=_NextPart_000_0001_01DB4A2B.1C2D3E40"\r\n'
        "X-Mailer: Microsoft Outlook 16.0\r\n"
        "Content-Language: zh-cn\r\n"
        "\r\n"
        "------=_NextPart_000_0001_01DB4A2B.1C2D3E40\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n" + b64(MINUTES_WITHOUT_DATE.encode()) + "\r\n"
        "------=_NextPart_000_0001_01DB4A2B.1C2D3E40\r\n"
        + calendar_part
        + "------=_NextPart_000_0001_01DB4A2B.1C2D3E40--\r\n"
    ).encode()


ICS_ATTACHMENT = (
    'Content-Type: text/calendar; charset="utf-8"; name="=?utf-8?B?UTQg5rig6YGT5aSN55uY5LyaLmljcw==?="\r\n'
    "Content-Transfer-Encoding: base64\r\n"
    'Content-Disposition: attachment; filename="=?utf-8?B?UTQg5rig6YGT5aSN55uY5LyaLmljcw==?="\r\n'
    "\r\n" + b64(OUTLOOK_2016_ICS.encode()) + "\r\n"
)
METHOD_REQUEST_PART = (
    'Content-Type: text/calendar; charset="utf-8"; method=REQUEST\r\n'
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n" + b64(OUTLOOK_2016_ICS.encode()) + "\r\n"
)


@pytest.mark.parametrize("part", [ICS_ATTACHMENT, METHOD_REQUEST_PART], ids=["ics-attachment", "method-request"])
def test_outlook_invitation_gives_the_meeting_date_and_time(part: str) -> None:
    mail = InboundMail.from_bytes(outlook_mail(part))
    assert invitation_times(mail.attachments, "Asia/Shanghai") == (date(2026, 12, 8), time(14, 0), time(16, 0))
    # The body says nothing: the reader falls back to the arrival day, the invitation corrects it.
    parsed = read_meeting(mail.text, mail.html, ctx=CTX)
    assert (parsed.date, parsed.start_time) == (date(2026, 12, 9), None)
    day, start, end = read_meeting_when("", CTX.anchor)
    assert with_invitation(day, start, end, invitation_times(mail.attachments)) == (
        date(2026, 12, 8),
        time(14, 0),
        time(16, 0),
    )


def ics(event: str, timezones: str = "", method: str = "REQUEST") -> Attachment:
    text = (
        "BEGIN:VCALENDAR\r\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\nVERSION:2.0\r\n"
        f"METHOD:{method}\r\n{timezones}BEGIN:VEVENT\r\nUID:x1\r\nSUMMARY:Q4 渠道复盘会\r\n{event}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    return Attachment(filename="invite.ics", content_type="application/ics", payload=text.encode(), charset=None)


PACIFIC = (
    "BEGIN:VTIMEZONE\r\nTZID:Pacific Standard Time\r\n"
    "BEGIN:STANDARD\r\nDTSTART:16011104T020000\r\nRRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11\r\n"
    "TZOFFSETFROM:-0700\r\nTZOFFSETTO:-0800\r\nEND:STANDARD\r\n"
    "BEGIN:DAYLIGHT\r\nDTSTART:16010311T020000\r\nRRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3\r\n"
    "TZOFFSETFROM:-0800\r\nTZOFFSETTO:-0700\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
)
CUSTOM = (
    "BEGIN:VTIMEZONE\r\nTZID:Customized Time Zone\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\n"
    "TZOFFSETFROM:+0800\r\nTZOFFSETTO:+0800\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
)


@pytest.mark.parametrize(
    ("attachment", "expected"),
    [
        (
            ics("DTSTART;TZID=Asia/Shanghai:20261208T140000\r\nDTEND;TZID=Asia/Shanghai:20261208T160000\r\n"),
            (date(2026, 12, 8), time(14, 0), time(16, 0)),
        ),
        (
            ics("DTSTART:20261208T060000Z\r\nDTEND:20261208T080000Z\r\n"),  # UTC
            (date(2026, 12, 8), time(14, 0), time(16, 0)),
        ),
        (
            ics("DTSTART:20261208T140000\r\nDURATION:PT1H30M\r\n"),  # floating: the organisation's zone
            (date(2026, 12, 8), time(14, 0), time(15, 30)),
        ),
        (
            # A colleague in California: 22:00 on the 7th there is 14:00 on the 8th in Shanghai.
            ics(
                'DTSTART;TZID="Pacific Standard Time":20261207T220000\r\n'
                'DTEND;TZID="Pacific Standard Time":20261208T000000\r\n',
                PACIFIC,
            ),
            (date(2026, 12, 8), time(14, 0), time(16, 0)),
        ),
        (
            ics(  # a zone name known nowhere but defined by the mail's own VTIMEZONE
                'DTSTART;TZID="Customized Time Zone":20261208T140000\r\n'
                'DTEND;TZID="Customized Time Zone":20261208T160000\r\n',
                CUSTOM,
            ),
            (date(2026, 12, 8), time(14, 0), time(16, 0)),
        ),
        (
            ics(  # old Outlook writes the display name as TZID, without a VTIMEZONE
                'DTSTART;TZID="(UTC+08:00) Beijing, Chongqing, Hong Kong, Urumqi":20261208T140000\r\n'
                'DTEND;TZID="(UTC+08:00) Beijing, Chongqing, Hong Kong, Urumqi":20261208T160000\r\n'
            ),
            (date(2026, 12, 8), time(14, 0), time(16, 0)),
        ),
        (ics("DTSTART;VALUE=DATE:20261208\r\nDTEND;VALUE=DATE:20261209\r\n"), (date(2026, 12, 8), None, None)),
        (
            ics("DTSTART:20261208T150000Z\r\nDTEND:20261208T170000Z\r\n"),  # ends past midnight in Shanghai
            (date(2026, 12, 8), time(23, 0), None),
        ),
    ],
)
def test_invitation_zones(attachment: Attachment, expected: tuple[date, time | None, time | None]) -> None:
    assert invitation_times([attachment], "Asia/Shanghai") == expected


@pytest.mark.parametrize(
    "attachment",
    [
        ics('DTSTART;TZID="Nowhere Standard Time":20261208T140000\r\n'),  # a zone known nowhere
        ics("DTSTART:20261208T060000Z\r\n", method="CANCEL"),  # a cancelled meeting
        ics("DTSTART:20261208T060000Z\r\nSTATUS:CANCELLED\r\n"),
        ics("DTSTART:20261208T060000Z\r\nRRULE:FREQ=WEEKLY;COUNT=10\r\n"),  # which occurrence?
        ics("SUMMARY:no start\r\n"),
        Attachment(filename="invite.ics", content_type="text/calendar", payload=b"\xff\xfe garbage BEGIN:VCAL"),
        Attachment(filename="minutes.docx", content_type="application/octet-stream", payload=b"PK\x03\x04"),
    ],
)
def test_no_invitation_time_without_a_clear_one(attachment: Attachment) -> None:
    assert invitation_times([attachment]) is None


def test_with_invitation_never_overrides_the_body() -> None:
    invitation = (date(2026, 12, 8), time(14, 0), time(16, 0))
    assert with_invitation(None, None, None, None) == (None, None, None)
    assert with_invitation(None, None, None, invitation) == invitation
    assert with_invitation(date(2026, 12, 8), None, None, invitation) == invitation
    assert with_invitation(None, time(15, 0), None, invitation) == (date(2026, 12, 8), time(15, 0), None)
    assert with_invitation(date(2026, 12, 10), None, None, invitation) == (date(2026, 12, 10), None, None)
    assert with_invitation(date(2026, 12, 8), time(14, 0), None, invitation) == invitation


# Each hostile people field as a function of its size, with the size the guard grows it to.
HOSTILE_PEOPLE: dict[str, tuple[Callable[[int], str], int]] = {
    "open-parentheses": (lambda n: "(" * n + "张伟", 50_000),
    "enumeration-commas": (lambda n: "张伟、" * n, 20_000),
    "department-colons": (lambda n: "R&D: " * n, 20_000),
    "hyphens": (lambda n: "a-" * n, 50_000),
    "ands": (lambda n: " and " * n, 20_000),
}


def read_people(text: str) -> tuple[list[PersonText], list[PersonText]]:
    return parse_people(text), named_in(text, Resolver().resolve)


@pytest.mark.parametrize("name", list(HOSTILE_PEOPLE))
def test_hostile_people_text_reads_in_linear_time(name: str) -> None:
    make, size = HOSTILE_PEOPLE[name]
    assert_linear(read_people, make, size // 8)


@pytest.mark.parametrize("part", [ICS_ATTACHMENT, METHOD_REQUEST_PART], ids=["ics-attachment", "method-request"])
def test_minutes_dated_only_by_their_invitation_are_stored_with_its_day_and_times(app, clock, part: str) -> None:  # type: ignore[no-untyped-def]
    """Through the pipeline: the body names no day; the Outlook invitation attached does, and its
    lines (DESCRIPTION:, ACTION:DISPLAY) are never read as the draft's."""
    from mailbot.pipeline import process
    from tests.helpers import at, meetings

    with_address = MINUTES_WITHOUT_DATE.replace("张伟（市场部）", "张伟（市场部） <zhang.wei@corp.example>")
    raw = outlook_mail(part).replace(b64(MINUTES_WITHOUT_DATE.encode()).encode(), b64(with_address.encode()).encode())
    at(clock, "2026-12-09 10:00")
    result = process(app, raw)
    assert result.outcome == "processed", result.error
    (meeting,) = meetings(app)
    assert meeting.meeting_date == date(2026, 12, 8)
    assert (meeting.start_time.isoformat(), meeting.end_time.isoformat()) == ("14:00:00", "16:00:00")
