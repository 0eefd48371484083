"""People as written in minutes, resolved through the directory and the mail's own headers."""

from __future__ import annotations

from datetime import date

import pytest

from mailbot.formats.model import PersonRef, Problem
from mailbot.formats.people import PersonText, Resolver, find_addresses, parse_one, parse_people
from mailbot.formats.reader import ReadContext, resolve_person
from mailbot.workdays import load_calendar

DIRECTORY = [
    PersonRef("wang.qiang@corp.example", "王强", "研发部"),
    PersonRef("li.na@corp.example", "李娜", "市场部"),
    PersonRef("li.na2@corp.example", "李娜", "财务部"),
    PersonRef("chen.jing@corp.example", "陈静", "销售部"),
]


def directory(name: str, department: str | None) -> list[PersonRef]:
    return [p for p in DIRECTORY if p.name == name and (department is None or p.department == department)]


HEADERS = [
    ("张伟(市场部)", "zhang.wei@corp.example"),
    ("Zhou Min", "Zhou.Min@Corp.Example"),
    ("", "liu.yang@corp.example"),
    ("张伟明", "zhang.weiming@corp.example"),
]


@pytest.fixture
def ctx() -> ReadContext:
    return ReadContext(
        calendar=load_calendar("cn"), anchor=date(2024, 9, 2), header_people=HEADERS, directory=directory
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "市场部 张伟 <zhang.wei@corp.example>",
            PersonText("市场部 张伟 <zhang.wei@corp.example>", "张伟", "市场部", "zhang.wei@corp.example"),
        ),
        (
            "张伟 <Zhang.Wei@Corp.Example>",
            PersonText("张伟 <Zhang.Wei@Corp.Example>", "张伟", None, "zhang.wei@corp.example"),
        ),
        ("<li.na@corp.example>", PersonText("<li.na@corp.example>", None, None, "li.na@corp.example")),
        ("li.na@corp.example", PersonText("li.na@corp.example", None, None, "li.na@corp.example")),
        ("张伟（市场部）", PersonText("张伟（市场部）", "张伟", "市场部", None)),
        ("市场部：张伟", PersonText("市场部：张伟", "张伟", "市场部", None)),
        ("市场部张伟", PersonText("市场部张伟", "张伟", "市场部", None)),
        ("Zhang Wei (Marketing)", PersonText("Zhang Wei (Marketing)", "Zhang Wei", "Marketing", None)),
        ("**王强**", PersonText("**王强**", "王强", None, None)),
        (
            "张伟 zhang.wei@corp.example<mailto:zhang.wei@corp.example>",
            PersonText(
                "张伟 zhang.wei@corp.example<mailto:zhang.wei@corp.example>", "张伟", None, "zhang.wei@corp.example"
            ),
        ),
    ],
)
def test_parse_one(text: str, expected: PersonText) -> None:
    assert parse_one(text) == expected


@pytest.mark.parametrize(
    ("text", "name", "address", "broken"),
    [
        # A Chinese input method in full-width mode: the same address.
        ("张伟 <zhang.wei＠corp．example>", "张伟", "zhang.wei@corp.example", None),
        ("张伟＜zhang.wei＠corp.example＞", "张伟", "zhang.wei@corp.example", None),
        # Meant as an address, and none: kept apart from the name, to be quoted.
        ("市场部 张伟 <zhang.wei@corp>", "张伟", None, "zhang.wei@corp"),
        ("销售部 赵敏 <zhao.min@@corp.example>", "赵敏", None, "zhao.min@@corp.example"),
        ("张伟 zhang.wei@", "张伟", None, "zhang.wei@"),
        # A chat's mention is the name.
        ("@张伟", "张伟", None, None),
    ],
)
def test_an_address_as_people_really_mistype_it(text: str, name: str, address: str | None, broken: str | None) -> None:
    person = parse_one(text)
    assert (person.name, person.address, person.broken_address) == (name, address, broken)


def test_a_broken_address_is_a_problem_offering_the_address_the_name_has_elsewhere(ctx: ReadContext) -> None:
    """张伟 is in the mail's Cc: the answer offers his address; 赵敏 is known nowhere: no guess."""
    ref, problem = resolve_person("市场部 张伟 <zhang.wei@corp>", ctx)
    assert ref is None and problem is not None
    assert (problem.code, problem.detail, problem.hint) == (
        "invalid_address",
        "owner: zhang.wei@corp",
        "zhang.wei@corp.example",
    )
    ref, problem = resolve_person("赵敏 <zhao.min@@corp.example>", ctx)
    assert problem is not None and (problem.code, problem.hint) == ("invalid_address", "")


def test_parse_people_groups_lend_their_department() -> None:
    people = parse_people("市场部：张伟、李娜；研发部：王强")
    assert [(p.name, p.department) for p in people] == [("张伟", "市场部"), ("李娜", "市场部"), ("王强", "研发部")]


def test_parse_people_department_then_name_with_slash() -> None:
    assert [(p.name, p.department) for p in parse_people("市场部/张伟")] == [("张伟", "市场部")]


def test_parse_people_english_list() -> None:
    people = parse_people("Zhang Wei <zhang.wei@corp.example>, Li Na and Zhou Min")
    assert [(p.name, p.address) for p in people] == [
        ("Zhang Wei", "zhang.wei@corp.example"),
        ("Li Na", None),
        ("Zhou Min", None),
    ]


def test_find_addresses_is_linear_on_hostile_input() -> None:
    assert find_addresses("a" * 200_000) == []
    assert find_addresses("@" * 50_000 + "x") == []
    assert find_addresses("联系 zhang.wei@corp.example。谢谢") == [(3, 25, "zhang.wei@corp.example")]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("市场部 张伟 <zhang.wei@corp.example>", "zhang.wei@corp.example"),
        ("张伟", "zhang.wei@corp.example"),  # header display name "张伟(市场部)"
        ("市场部 张伟", "zhang.wei@corp.example"),
        ("张伟（市场部）", "zhang.wei@corp.example"),
        ("王强", "wang.qiang@corp.example"),  # the directory
        ("研发部 王强", "wang.qiang@corp.example"),
        ("市场部王强", "wang.qiang@corp.example"),  # department written loosely: the unique name resolves
        ("市场部 李娜", "li.na@corp.example"),  # the department picks one of two 李娜
        ("zhou min", "zhou.min@corp.example"),  # English display names are case-insensitive
        ("Min Zhou", "zhou.min@corp.example"),  # either name order
        ("Liu Yang", "liu.yang@corp.example"),  # the address local part
    ],
)
def test_resolved(ctx: ReadContext, text: str, address: str) -> None:
    person, problem = resolve_person(text, ctx)
    assert problem is None
    assert person is not None
    assert person.address == address


def test_resolved_keeps_directory_department(ctx: ReadContext) -> None:
    assert resolve_person("王强", ctx) == (PersonRef("wang.qiang@corp.example", "王强", "研发部"), None)


def test_ambiguous_name(ctx: ReadContext) -> None:
    assert resolve_person("李娜", ctx) == (
        None,
        Problem("ambiguous_owner", "李娜", detail="李娜: li.na2@corp.example, li.na@corp.example", section="people"),
    )


def test_unresolved_name(ctx: ReadContext) -> None:
    assert resolve_person("赵六", ctx) == (None, Problem("unresolved_owner", "赵六", detail="赵六", section="people"))


def test_a_longer_display_name_is_not_a_match(ctx: ReadContext) -> None:
    # 张伟明's display name contains 张伟 but is someone else; only 张伟(市场部) matches.
    resolver = Resolver(header_people=[("张伟明", "zhang.weiming@corp.example")])
    assert resolver.resolve(parse_one("张伟")).outcome == "unresolved"


@pytest.mark.parametrize("text", ["市场部*经理", "*经理", "行政部＊专员", "（姓名+部门，例：产品部*经理）", "XXX"])
def test_placeholders(ctx: ReadContext, text: str) -> None:
    assert resolve_person(text, ctx) == (None, Problem("placeholder_person", text, detail=text, section="people"))


def test_empty_text(ctx: ReadContext) -> None:
    assert resolve_person("  ", ctx) == (None, Problem("missing_owner", "", section="actions"))


def test_several_people_first_counts(ctx: ReadContext) -> None:
    person, problem = resolve_person("王强、陈静", ctx)
    assert (person, problem) == (PersonRef("wang.qiang@corp.example", "王强", "研发部"), None)


def test_bad_header_entries_are_ignored() -> None:
    resolver = Resolver(header_people=[("张伟", ""), ("张伟\r\n", "not an address"), ("张伟 ", "zw@corp.example")])
    result = resolver.resolve(parse_one("张伟"))
    assert (result.outcome, result.person) == ("ok", PersonRef("zw@corp.example", "张伟", None))
