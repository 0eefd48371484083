"""strip_reply: replies as each client writes them (tests/replies/) and the edge cases around them."""

from __future__ import annotations

import dataclasses
import random
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from mailbot.replies import quotes
from mailbot.replies.commands import read_commands
from mailbot.replies.quotes import load_quote_rules, strip_reply

REPLIES = Path(__file__).parent / "replies"
MARKERS = ["—— 请在此线以上回复 / reply above this line ——"]
FIXTURES = sorted(p.stem for p in REPLIES.glob("*.txt"))

# What read_commands must find in the kept text: (verb, ref, reason, date_text, target, error).
EXPECTED_COMMANDS: dict[str, list[tuple[str, str | None, str, str, str, str | None]]] = {
    "outlook_zh_original": [("confirm", "A-12", "", "", "", None)],
    "outlook_zh_fullwidth_block": [("confirm", None, "", "", "", None)],
    "outlook_en_original": [("object", "A-12", "the budget is not approved yet", "", "", None)],
    "outlook_en_html_block": [("done", "A-12", "", "", "", None)],
    "outlook_zh_bare_header_bold": [("in_progress", "A-12", "", "", "", None)],
    "foxmail": [("delay", "A-12", "供应商延迟", "12月30日", "", None)],
    "qq_mobile": [("confirm", None, "", "", "", None)],
    "netease_attribution": [("delegate", "A-12", "", "", "wang.qiang@corp.example", None)],
    "netease_original": [("done", None, "", "", "", None)],
    "gmail_zh_wrapped": [("object", None, "预算未批", "", "", None)],
    "gmail_zh_yu": [("confirm", "A-12", "", "", "", None), ("object", "A-13", "人手不足", "", "", None)],
    "gmail_en_wrapped": [("delay", None, "the vendor is late", "Dec 30", "", None)],
    "apple_zh": [("confirm", "A-12", "", "", "", None)],
    "apple_en": [("confirm", None, "", "", "", None)],
    "iphone_en": [("in_progress", "A-12", "", "", "", None)],
    "huawei_zh": [("done", "A-12", "交付物见附件", "", "", None)],
    "outlook_ios": [("in_progress", "A-13", "", "", "", None)],
    "interleaved_bottom_post": [
        ("confirm", "A-12", "", "", "", None),
        ("object", "A-13", "会场由行政部负责", "", "", None),
        ("delegate", "A-14", "", "", "王强", None),
    ],
    "quote_only_confirm": [],
    "outlook_empty_reply": [],
    "marker_top_post": [("confirm", None, "", "", "", None)],
    "from_line_text": [("approve", "A-12", "", "", "", None)],
}


def test_fixture_table_is_complete() -> None:
    assert len(FIXTURES) >= 14
    assert sorted(EXPECTED_COMMANDS) == FIXTURES
    for name in FIXTURES:
        assert (REPLIES / f"{name}.expected").is_file(), name


@pytest.mark.parametrize("name", FIXTURES)
def test_client_reply_keeps_exactly_what_was_written(name: str) -> None:
    body = (REPLIES / f"{name}.txt").read_text(encoding="utf-8")
    expected = (REPLIES / f"{name}.expected").read_text(encoding="utf-8").rstrip("\n")
    kept = strip_reply(body, markers=MARKERS)
    assert kept == expected
    # Our request in the quote says "Reply confirm" / "请回复 确认": no copy of it may survive.
    assert "reply confirm" not in kept.casefold()
    assert "请回复" not in kept
    assert "reply above this line" not in kept


@pytest.mark.parametrize("name", FIXTURES)
def test_client_reply_commands(name: str) -> None:
    body = (REPLIES / f"{name}.txt").read_text(encoding="utf-8")
    commands, _ = read_commands(strip_reply(body, markers=MARKERS))
    got = [(c.verb, c.ref, c.reason, c.date_text, c.target, c.error) for c in commands]
    assert got == EXPECTED_COMMANDS[name]


def test_confirm_only_in_the_quote_reads_no_command() -> None:
    body = (REPLIES / "quote_only_confirm.txt").read_text(encoding="utf-8")
    assert "A-12 确认" in body  # the quote really carries a command line
    assert strip_reply(body, markers=MARKERS) == ""
    assert read_commands(strip_reply(body, markers=MARKERS)) == ([], [])


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", ""),
        ("\n\n  \n", ""),
        ("确认\r\n\r\n-----Original Message-----\r\nFrom: x\r\n", "确认"),
        ("确认\r-- \rZhang", "确认"),
        # Nested quotes and a supercite quote are quoted lines.
        ("> > 回复 确认\n> 回复 确认\nC> 回复 确认\n确认", "确认"),
        # "From:" starting a sentence is text; only a header block ends the reply.
        ("From: the finance team, we confirm.\nThanks", "From: the finance team, we confirm.\nThanks"),
        ("From: finance\n\nA-12 done", "From: finance\n\nA-12 done"),
        # Full-width colons and full-width letters in an Outlook block.
        ("A-12 确认\nＦｒｏｍ： 会议助手\nＳｅｎｔ： 2026-12-03\nＴｏ： 张伟\n回复 确认", "A-12 确认"),
        ("A-12 确认\n发件人：会议助手\n日期：2026-12-03\n主题：确认请求\n回复 确认", "A-12 确认"),
        # Outlook's HTML-converted separator line.
        ("A-12 done\n________________________________\nFrom: Mailbot\nSent: today\n", "A-12 done"),
        # Gmail zh attribution split over two lines, and the newer "于 … 写道" form.
        ("确认\n在 2026年12月3日周四 09:12，会议助手 <bot@corp.example>\n写道：\n> 回复 确认", "确认"),
        ("确认\n会议助手 <bot@corp.example> 于2026年12月3日周四 上午9:12写道：\n> 回复 确认", "确认"),
        # Gmail en attribution wrapped over two lines, text below the quote is a bottom-post.
        ("On Thu, Dec 3, 2026 at 9:12 AM Mailbot <bot@corp.example>\nwrote:\n> reply confirm\n\ndone", "done"),
        # NetEase attribution over an unquoted original: everything below goes.
        ('确认\n在 2026-12-03 09:12:33，"助手" <bot@corp.example> 写道：\n\n回复 确认', "确认"),
        ('在 2026-12-03 09:12:33，"助手" <bot@corp.example> 写道：\n\n回复 确认\nA-12 确认', ""),
        # Apple Mail zh/en.
        ("A-12 确认\n\n> 2026年12月3日 09:12，助手 <bot@corp.example> 写道：\n> 回复 确认", "A-12 确认"),
        ("A-12 confirm\n\nOn 3 Dec 2026, at 09:12, Bot <b@corp.example> wrote:\n\n> reply confirm", "A-12 confirm"),
        # A sentence mentioning a date is not joined with a Gmail header further down.
        (
            "delay to Dec 30 because of the vendor\n\nOn Thu, Dec 3, 2026 at 9:12 AM Bot <b@c.example>\nwrote:\n> x",
            "delay to Dec 30 because of the vendor",
        ),
        # Markers: from the first unquoted marker line down; a quoted marker is just a quote.
        ("确认\n—— 请在此线以上回复 / reply above this line ——\n回复 确认", "确认"),
        ("> —— 请在此线以上回复 / reply above this line ——\n> 回复 确认\nA-12 确认", "A-12 确认"),
        ("确认\n——请在此线以上回复/Reply Above This Line——\n回复 确认", "确认"),
        # Leading whitespace inside the reply is kept; trailing rule lines are not.
        ("A-12 done:\n    - slides\n    - budget\n\n-----", "A-12 done:\n    - slides\n    - budget"),
    ],
)
def test_strip_reply_cases(body: str, expected: str) -> None:
    assert strip_reply(body, markers=MARKERS) == expected


@pytest.mark.parametrize(
    "signature",
    ["-- ", "--", "Sent from my iPhone", "发自我的iPhone", "发自我的华为手机", "Get Outlook for iOS",
     "从我的 iPhone 发送", "________________", "发自网易邮箱大师", "Sent from Outlook Mobile<https://x>"],
)  # fmt: skip
def test_signatures_end_the_reply(signature: str) -> None:
    assert strip_reply(f"A-12 确认\n\n{signature}\n张伟\n回复 确认") == "A-12 确认"


@pytest.mark.parametrize(
    "line",
    ["Sent the file to the vendor", "From my side this is fine", "来自供应商的延迟", "On Monday we agreed",
     "Subject: budget", "发件人要求周五前完成"],
)  # fmt: skip
def test_ordinary_sentences_are_kept(line: str) -> None:
    assert strip_reply(f"A-12 确认\n{line}\n收尾") == f"A-12 确认\n{line}\n收尾"


def _distinct_lines(make: Callable[[int], str], size: int = 1_000_000) -> str:
    # Distinct lines defeat the per-line cache; none of them ends the reply early.
    lines: list[str] = []
    total = 0
    while total < size:
        lines.append(make(len(lines)))
        total += len(lines[-1]) + 1
    return "\n".join(lines)


@pytest.mark.parametrize(
    "body",
    [
        "x" * 1_000_000,
        "\n" * 1_000_000,
        ("On " * 200 + "\n") * 1_600,
        ("> " * 100 + "\n") * 5_000,
        ("From: a\n" * 5 + "\n") * 25_000,
        _distinct_lines(lambda i: (f"On {i} " + "a@b 1:11 wrote schrieb am 写道 " * 14)[:398] + " x"),
        _distinct_lines(lambda i: (f"在 {i} " + "写道 1:11 @ " * 60)[:398] + " x"),
        _distinct_lines(lambda i: f"{i} " + "-" * 395),
        _distinct_lines(lambda i: (f"2016-10-24 15:36 GMT+02:00 {i} <" + "a " * 200)[:399]),
        _distinct_lines(lambda i: f"{i} <"),
        _distinct_lines(lambda i: f"From: {i}\nTo: x"),
    ],
    ids=["one-line", "empty-lines", "on-spam", "quotes", "from-blocks", "wrote-spam", "xiedao-spam", "dashes",
         "gmt", "wrapped-starts", "from-to"],
)  # fmt: skip
def test_hostile_body_strips_in_linear_time(body: str) -> None:
    """Ten times the text costs about ten times the work, not a hundred (a quadratic pattern on
    hostile input): CPU time of this process, compared within the test, so a loaded machine or a
    slow one does not decide it."""
    assert len(body) >= 900_000
    tenth = body[: len(body) // 10]

    def cost(text: str) -> float:
        started = time.process_time()
        strip_reply(text, markers=MARKERS)
        return time.process_time() - started

    small = min(cost(tenth) for _ in range(3))
    assert cost(body) < 25 * small + 0.05


def test_rules_file_is_editable(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parents[1] / "rules" / "quotes.toml"
    custom = tmp_path / "quotes.toml"
    text = source.read_text(encoding="utf-8").replace("common = [", "common = [\n  '此致敬礼\\s*$',", 1)
    custom.write_text(text, encoding="utf-8")
    rules = load_quote_rules(custom)
    assert strip_reply("A-12 确认\n此致敬礼\n张伟", rules=rules) == "A-12 确认"
    assert strip_reply("A-12 确认\n此致敬礼\n张伟") == "A-12 确认\n此致敬礼\n张伟"


def test_bad_pattern_is_reported(tmp_path: Path) -> None:
    custom = tmp_path / "quotes.toml"
    custom.write_text("[signature]\nmine = ['(unclosed']\n", encoding="utf-8")
    with pytest.raises(ValueError, match="signature"):
        load_quote_rules(custom)


# The attribution pattern is tried through a condition derived from it (mailbot/replies/quotes.py,
# "What an attribution needs") once a process has made enough plain pattern calls. Both ways must
# read every body alike: each case runs with the condition from the first body on, and without it.
@pytest.fixture(params=["shortcut", "plain"])
def reading(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(quotes, "_SHORTCUT_AFTER", 0 if request.param == "shortcut" else 1 << 62)
    return str(request.param)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # Gmail en, wrapped over 3 and 5 lines; past join_lines the first line stays text.
        ("A-12 done\n\nOn Thu, Dec 3, 2026 at 9:12 AM Mailbot\n<bot@corp.example>\nwrote:\n> reply confirm\n", "A-12 done"),
        ("A-12 done\n\nOn Thu, Dec 3,\n2026 at 9:12\nAM Mailbot\n<bot@corp.example>\nwrote:\n> reply confirm", "A-12 done"),
        ("A-12 done\n\nOn Thu, Dec 3,\n2026 at 9:12\nAM Mailbot\n<bot@corp.example>\n\nwrote:\n> x", "A-12 done\n\nOn Thu, Dec 3,"),
        # NetEase over an unquoted original, Gmail zh and Apple zh with ">" on the wrapped lines.
        ('确认\n在 2026-12-03 09:12:33，"助手"\n<bot@corp.example>\n写道：\n\n回复 确认\nA-12 确认', "确认"),
        ("确认\n在 2026年12月3日周四 09:12，会议助手\n> <bot@corp.example>\n> 写道：\n> 回复 确认", "确认"),
        ("A-12 确认\n\n2026年12月3日 09:12，助手\n> <bot@corp.example> 写道：\n> 回复 确认", "A-12 确认"),
        # German (bottom-post below the quote is kept) and Russian.
        ("Am 03.12.2026 um 09:12 schrieb Bot\n<b@corp.example>:\n> reply confirm\n\nA-12 erledigt", "A-12 erledigt"),
        ("A-12 erledigt\n\nBot <b@corp.example> schrieb am Do., 3. Dez. 2026,\n09:12:\n> reply confirm", "A-12 erledigt"),
        ("A-12 готово\n\n3 декабря 2026 г., в 09:12, Бот\n<b@corp.example>\nнаписал:\n> reply confirm", "A-12 готово"),
        # Letters the engine folds beyond str.lower: dotted and dotless i, a Cyrillic "с" variant.
        ("A-12 done\n\nOn 3 Dec 2026, at 09:12, Bot\n<b@corp.example> WRİTES:\n> reply confirm", "A-12 done"),
        ("A-12 done\n\nOn 3 Dec 2026, at 09:12, Bot\n<b@corp.example> wrıtes:\n> reply confirm", "A-12 done"),
        ("A-12 готово\n\n3 декабря 2026 г., в 09:12, Бот\n<b@corp.example>\nнапиᲃал:\n> reply confirm", "A-12 готово"),
        # A minutes table: every row is a wrapped_start, none is an attribution.
        (
            "1\tTask 1 of meeting 5: prepare the figures\tuser1@corp.example\tFinance\t2027-01-11\tSheet\n"
            "2\tTask 2 of meeting 5: prepare the figures\tuser2@corp.example\tFinance\t2027-01-12\tSheet",
            "1\tTask 1 of meeting 5: prepare the figures\tuser1@corp.example\tFinance\t2027-01-11\tSheet\n"
            "2\tTask 2 of meeting 5: prepare the figures\tuser2@corp.example\tFinance\t2027-01-12\tSheet",
        ),
    ],
)  # fmt: skip
def test_wrapped_attributions_either_way(reading: str, body: str, expected: str) -> None:
    assert strip_reply(body, markers=MARKERS) == expected


def _attribution_like_lines(seed: int, count: int) -> list[str]:
    """Attributions as clients write them, cased, wrapped and re-joined as the reader joins them,
    some with letters the regex engine folds (ı, İ, ſ, K, ᲃ) or minutes-table noise."""
    samples = [
        "On Thu, Dec 3, 2026 at 9:12 AM Mailbot <bot@corp.example> wrote:",
        "---- On Tue, 22 Dec 2015 14:17:36 +0530 Sam <sam@x.example> wrote ----",
        "codinghorror via Discourse Meta wrote:",
        "In message <123@x.example>, Someone writes:",
        "在 2026年12月3日周四 09:12,张伟 <zhang.wei@corp.example> 写道:",
        "2016-10-24 15:36 GMT+02:00 Foo bar <info@foo.bar>:",
        "2013/7/20 sam via Discourse Meta <info@discourse.org>",
        "вт, 5 янв. 2016 г. в 23:39, Erlend Sogge Heggen <info@discourse.org>:",
        "Le 3 déc. 2026 à 09:12, Bot <b@corp.example> a écrit :",
        "Am 03.12.2026 um 09:12 schrieb Bot <b@corp.example>:",
        "Dnia 3.12.2026 o 09:12 Bot <b@corp.example> napisał(a):",
        "3 декабря 2026 г., 09:12 пользователь Бот <b@corp.example> написал:",
        "søn. 3. dec. 2026 kl. 09:12 skrev Bot <b@corp.example>:",
        "1\tTask 1 of meeting 5: prepare the figures\tuser1@corp.example\tFinance\t2027-01-11\tSheet",
    ]
    twins = {"i": "ıİ", "s": "ſ", "k": "K", "с": "ᲃ", "e": "É"}
    rng = random.Random(seed)
    out: list[str] = []
    for _ in range(count):
        text = rng.choice(samples)
        text = rng.choice([text, text.upper(), text.lower(), text.swapcase()])
        text = "".join(rng.choice(twins[c.lower()]) if c.lower() in twins and rng.random() < 0.2 else c for c in text)
        if rng.random() < 0.3:
            text = f"{text} {rng.choice(samples)}"
        out.append(text)
    return out


def test_derived_condition_never_rules_out_a_match() -> None:
    rules = load_quote_rules()
    shortcuts = quotes._shortcuts(rules.attribution, rules.line_kind)
    condition, head = shortcuts.attribution, shortcuts.line_kind_head
    assert condition is not None and head is not None and shortcuts.line_kind_attribution is not None
    matched = 0
    for text in _attribution_like_lines(seed=7, count=3000):
        if rules.attribution.match(text):
            matched += 1
            assert condition.may_match(text, condition.caseless(text)), text
        if not shortcuts.line_kind_attribution.may_match(text, shortcuts.line_kind_attribution.caseless(text)):
            whole, first = rules.line_kind.match(text), head.match(text)
            assert (whole and whole.lastgroup) == (first and first.lastgroup), text
    assert matched > 500
    # What the shortcut is for: a minutes table row, joined with the rows below it, is ruled out.
    row = "1\tTask 1 of meeting 5: prepare the figures\tuser1@corp.example\tFinance\t2027-01-11\tSheet"
    zh_row = "1\t第5次会议的任务1:整理材料并提交\t市场部 员工1 <user1@corp.example>\t研发部\t2027-01-11\t报告 PDF"
    for window in (" ".join([row] * 5), " ".join([zh_row] * 5)):
        assert not condition.may_match(window, condition.caseless(window))


def test_site_patterns_read_alike_either_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rules are data: what a site adds (scoped flags, back references, atomic groups, possessive
    repeats) gives the same text with the derived condition as without."""
    source = Path(__file__).resolve().parents[1] / "rules" / "quotes.toml"
    site = (
        "site = ['(?-i:Wrote)\\s+by\\s+\\w+\\s*:\\s*$', '(\\w+) said \\1:$', "
        "'(?>\\d{2,3})[./](?:\\d\\d)++\\s+\\S+\\s+escribe:$', '.*(?:kirjoitti|skrifaði)\\s*:$']\n\n"
    )
    custom = tmp_path / "quotes.toml"
    custom.write_text(source.read_text(encoding="utf-8").replace("[wrapped_start]", site + "[wrapped_start]", 1))
    rules = load_quote_rules(custom)
    bodies = [
        "Wrote by bob:\n> x\ntail",
        "WROTE by bob:\n> x\ntail",
        "12.34 x\nescribe:\nrest",
        "3 bob\nsaid bob:\n> x",
        "3. joulukuuta 2026 Bot\nkirjoitti:\nrest",
        *_attribution_like_lines(seed=11, count=300),
    ]
    read: dict[int, list[str]] = {}
    for after in (0, 1 << 62):
        monkeypatch.setattr(quotes, "_SHORTCUT_AFTER", after)
        read[after] = [strip_reply(f"A-12 done\n{body}\n> x\nend", rules=rules) for body in bodies]
    assert read[0] == read[1 << 62]
    # As the plain path reads them: the case-sensitive "Wrote" is an attribution, "WROTE" text; the
    # back reference counts the groups of the whole alternation, so "said bob:" stays text.
    assert read[0][:5] == [
        "A-12 done\ntail\nend",
        "A-12 done\nWROTE by bob:\ntail\nend",
        "A-12 done",
        "A-12 done\n3 bob\nsaid bob:\nend",
        "A-12 done\n3. joulukuuta 2026 Bot",
    ]


@pytest.mark.parametrize(
    "line_kind",
    [
        r"(?P<signature>--\s*$)|(?=x|(?P<attribution>y))z",  # the group is not the last alternative
        r"(?P<attribution>on .* wrote:$)",  # nothing before it
        r"(?P<signature>--\s*$)|(?P<attribution>(\w+) wrote \3:$)",  # a back reference in it
    ],
)
def test_odd_line_kind_reads_alike_either_way(line_kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = dataclasses.replace(load_quote_rules(), line_kind=re.compile(line_kind, re.IGNORECASE))
    bodies = ["A-12 done\nbob wrote bob:\n> x\ntail", "A-12\nOn 3 Dec 2026 x wrote:\n--\nz", "y\nz\n-- \nend"]
    read: dict[int, list[str]] = {}
    for after in (0, 1 << 62):
        monkeypatch.setattr(quotes, "_SHORTCUT_AFTER", after)
        read[after] = [strip_reply(body, rules=rules) for body in bodies]
    assert read[0] == read[1 << 62]
