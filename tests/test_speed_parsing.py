"""Reading a mail does each piece of work once (issue 15, "Speed"): the HTML body is tokenized
once for its text and the format reader's tables, short texts read again and again (owner
cells, header cells, From and To) are read once per process, and patterns a mail may not need
are compiled when first used. What each gives must be what it gave before."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot import htmltext, message
from mailbot.formats import people, tables
from mailbot.formats.people import named_in, parse_people
from mailbot.htmltext import html_tables, html_to_text, read_html
from mailbot.message import InboundMail
from mailbot.pipeline import process
from tests.helpers import printed_json

ROOT = Path(__file__).resolve().parent.parent
MAILS = sorted((ROOT / "tests" / "mails").glob("*.eml"))
HTML_MAILS = [path for path in MAILS if InboundMail.from_bytes(path.read_bytes()).html]


@pytest.mark.parametrize("path", HTML_MAILS, ids=lambda path: path.name)
def test_one_reading_gives_the_text_and_the_tables(path: Path) -> None:
    markup = InboundMail.from_bytes(path.read_bytes()).html
    reading = read_html(markup)
    assert reading.text == html_to_text(markup)
    assert reading.table_lists() == html_tables(markup)
    copy = reading.table_lists()
    if copy and copy[0]:
        copy[0].clear()
        assert reading.table_lists() == html_tables(markup)  # a copy: the reading is unchanged


def test_a_drafts_html_is_tokenized_once(app, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    runs: list[int] = []
    tokenize = htmltext._run

    def counting(markup: str) -> htmltext._Renderer:
        runs.append(len(markup))
        return tokenize(markup)

    monkeypatch.setattr(htmltext, "_run", counting)
    raw = (ROOT / "tests" / "mails" / "outlook_zh_minutes_gbk_html.eml").read_bytes()
    assert process(app, raw).kind == "minutes"
    assert len(runs) == 1  # the body text and the reader's tables and text, from one pass


CELLS = [
    "市场部 张伟 <zhang.wei@corp.example>",
    "张伟、李娜",
    "市场部/张伟",
    "张伟、市场部",
    "R&D: Li Na",
    "王志科",
    "",
]


@pytest.mark.parametrize("text", CELLS)
def test_people_read_again_come_back_the_same_and_apart(text: str) -> None:
    first = people._read_entries(text, loose_departments=True)
    assert people._entries(text, loose_departments=True) == first
    again = people._entries(text, loose_departments=True)
    assert again == first and again is not people._entries(text, loose_departments=True)
    again.clear()  # the caller's own list: the next reading is whole
    assert people._entries(text, loose_departments=True) == first
    assert parse_people(text) == parse_people(text)
    long = text + " " * 300 + "李娜"  # past the cached length: read each time, the same way
    assert people._entries(long, loose_departments=False) == people._read_entries(long, loose_departments=False)


def test_owner_cells_resolve_the_same_from_the_cache() -> None:
    seen: list[str] = []

    def resolve(person: people.PersonText) -> people.Resolution:
        seen.append(person.text)
        return people.Resolution("unresolved")

    assert named_in("市场、品牌部-张伟", resolve) == named_in("市场、品牌部-张伟", resolve)
    assert seen  # the resolver is asked each time: only the reading of the text is kept


@pytest.mark.parametrize("cell", ["负责人", "**负责人**", "任务描述（具体内容）", " Owner ", "x" * 81 + "（备注）"])
def test_header_cells_read_again_come_back_the_same(cell: str) -> None:
    assert tables._label_forms(cell) == tables._forms(cell) == tables._label_forms(cell)


@pytest.mark.parametrize("path", MAILS, ids=lambda path: path.name)
def test_a_mail_parsed_again_is_the_same_mail(path: Path) -> None:
    raw = path.read_bytes()
    message._cached_lexed.cache_clear()
    first = InboundMail.from_bytes(raw)
    again = InboundMail.from_bytes(raw)  # its address headers from the cache this time
    assert again == first and again.defects == first.defects


def test_an_address_header_the_lexer_gives_up_on_is_noted_with_its_diagnostics(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def failing(raw: str, *, defects: list[object]) -> list[tuple[str, str]]:
        defects.append("looked at it")
        raise ValueError("no")

    monkeypatch.setattr(message, "_mp_addresses", failing)
    message._cached_lexed.cache_clear()
    try:
        mail = InboundMail.from_bytes(b"From: A <a@corp.example>\r\nSubject: x\r\n\r\nbody\r\n")
    finally:
        message._cached_lexed.cache_clear()
    assert mail.sender is not None and mail.sender.address == "a@corp.example"  # the stdlib's reading
    assert "header from: unreadable address list (ValueError)" in mail.defects
    assert "header from: looked at it" in mail.defects


def test_patterns_a_mail_may_not_need_are_not_compiled_at_import() -> None:
    code = (
        "import json, sys\n"
        "import mailbot.pipeline\n"
        "from mailbot.formats import dates\n"
        "before = [dates._date_re.cache_info().currsize, dates._time_re.cache_info().currsize]\n"
        "handlers = sorted(m for m in sys.modules if m in ('mailbot.handlers.reply', 'mailbot.handlers.machine'))\n"
        "print(json.dumps([before, handlers, 'email_validator' in sys.modules]))\n"
    )
    assert printed_json(code) == [[0, 0], [], False]
