"""strip_reply: replies as each client writes them (tests/replies/) and the edge cases around them."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

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
