"""Commands as people write them (the trial's issue, item 1): a free comment after every verb,
agreement forms, traditional script, phone-style lines without punctuation, emoji; and what must
stay apart from consent: receipt, bare acknowledgements, negated or contradicted agreement."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.replies.commands import ACKNOWLEDGE, Command, load_command_vocabulary, read_commands, read_reply

# verb, ref, note, reason, date_text, target — a line read as commands, none of them in error.
Got = tuple[str, str | None, str, str, str, str]

CONSENT = ("confirm", "verify", "approve")
RULES = Path(__file__).resolve().parents[1] / "rules" / "commands.toml"


def _got(commands: list[Command]) -> list[Got]:
    assert all(c.error is None for c in commands)
    return [(c.verb, c.ref, c.note, c.reason, c.date_text, c.target) for c in commands]


def cmd(verb: str, ref: str | None = None, note: str = "", reason: str = "", date: str = "", target: str = "") -> Got:
    # in_progress/done keep their note in `reason` too, where the reply handler reads it.
    if verb in ("in_progress", "done"):
        reason = reason or note
    return (verb, ref, note, reason, date, target)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # The trial's own refused lines: a confirmation with a word more.
        ("确认，月底前给到周总。", [cmd("confirm", note="月底前给到周总")]),
        ("确认。测试环境已跑通，下周一上线…", [cmd("confirm", note="测试环境已跑通，下周一上线")]),
        ("Confirm - thanks David.", [cmd("confirm", note="thanks David")]),
        ("Looks good, verified.", [cmd("verify")]),
        ("已确认", [cmd("confirm")]),
        ("收到，确认", [cmd("confirm")]),
        ("确认，谢谢周总", [cmd("confirm", note="谢谢周总")]),
        ("确认，会按时完成", [cmd("confirm", note="会按时完成")]),
        ("confirmed, will do", [cmd("confirm", note="will do")]),
        ("进行中，海报初稿周一出。", [cmd("in_progress", note="海报初稿周一出")]),
        ("已完成，修订稿见附件。", [cmd("done", note="修订稿见附件")]),
        # Agreement forms.
        ("确认无误", [cmd("confirm")]),
        ("没问题，确认", [cmd("confirm")]),
        ("OK to confirm", [cmd("confirm")]),
        ("同意！", [cmd("confirm")]),
        ("Agreed!", [cmd("confirm")]),
        ("无异议", [cmd("confirm")]),
        ("没有异议，按计划推进", [cmd("confirm", note="按计划推进")]),
        ("No objection.", [cmd("confirm")]),
        ("Yes, confirmed", [cmd("confirm")]),
        ("Sounds good, confirmed.", [cmd("confirm")]),
        ("嗯嗯，确认", [cmd("confirm")]),
        ("确认了", [cmd("confirm")]),
        ("好的，A-12 确认", [cmd("confirm", "A-12")]),
        ("Hi, confirmed", [cmd("confirm")]),
        ("确认收到，同意", [cmd("confirm")]),
        ("Confirmed, no changes needed", [cmd("confirm", note="no changes needed")]),
        ("确认，没问题", [cmd("confirm", note="没问题")]),
        ("agreed - see you Monday", [cmd("confirm", note="see you Monday")]),
        ("I agree, thanks Li", [cmd("confirm", note="thanks Li")]),
        # Refs, several refs, the comment after the ref.
        ("A-12 确认，周五前给到", [cmd("confirm", "A-12", note="周五前给到")]),
        ("确认 A-12，月底前给到", [cmd("confirm", "A-12", note="月底前给到")]),
        ("A-12、A-13 确认，谢谢", [cmd("confirm", "A-12"), cmd("confirm", "A-13")]),
        ("Ａ－１２ 确认，谢谢！", [cmd("confirm", "A-12")]),
        # Phone style: no punctuation, a space or nothing but an emoji.
        ("确认 月底前给到", [cmd("confirm", note="月底前给到")]),
        ("确认 谢谢", [cmd("confirm")]),
        ("收到 确认", [cmd("confirm")]),
        ("ok confirmed", [cmd("confirm")]),
        ("done thx", [cmd("done")]),
        ("完成 见附件", [cmd("done", note="见附件")]),
        ("确认👍", [cmd("confirm")]),
        ("确认👍🏻 周五前给到", [cmd("confirm", note="周五前给到")]),
        ("已完成👍", [cmd("done")]),
        ("Confirmed 🙂 will send the deck tonight", [cmd("confirm", note="will send the deck tonight")]),
        # Full width, as Chinese keyboards write it; the note keeps what was written.
        ("ＣＯＮＦＩＲＭＥＤ，ｔｈａｎｋｓ", [cmd("confirm")]),
        ("确认：预算（含税）已走完流程", [cmd("confirm", note="预算（含税）已走完流程")]),
        # Comments after every other verb.
        ("A-3 完成，修订稿见附件", [cmd("done", "A-3", note="修订稿见附件")]),
        ("完成了，请查收", [cmd("done", note="请查收")]),
        ("Done - uploaded to the share", [cmd("done", note="uploaded to the share")]),
        ("进行中 预计周三出初稿", [cmd("in_progress", note="预计周三出初稿")]),
        ("Started, first draft by Wed", [cmd("in_progress", note="first draft by Wed")]),
        ("延期至下周五，原因：供应商", [cmd("delay", reason="供应商", date="下周五")]),
        ("推迟到下周三 因为评审没排上", [cmd("delay", reason="评审没排上", date="下周三")]),
        ("异议 时间太紧", [cmd("object", reason="时间太紧")]),
        ("不同意，人手不够", [cmd("object", reason="人手不够")]),
        ("A-12 转交张伟，他更熟悉", [cmd("delegate", "A-12", note="他更熟悉", target="张伟")]),
        (
            "delegate to Zhang Wei, he knows the vendor",
            [cmd("delegate", note="he knows the vendor", target="Zhang Wei")],
        ),
        ("转交给 zhang.wei@corp.example，谢谢", [cmd("delegate", target="zhang.wei@corp.example")]),
        ("审核通过，可以发了", [cmd("approve", note="可以发了")]),
        ("Approve, nice work", [cmd("approve", note="nice work")]),
        ("验收通过，辛苦了", [cmd("verify")]),
        ("验收通过，文档齐全", [cmd("verify", note="文档齐全")]),
        ("Verified - all tests pass", [cmd("verify", note="all tests pass")]),
        ("验收不通过，缺少测试报告", [cmd("reject", reason="缺少测试报告")]),
        ("A-12 改派 王强，他有空", [cmd("resolve", "A-12", note="他有空", target="reassign:王强")]),
        (
            "A-12 改期 2027-01-10，因为评审推迟",
            [cmd("resolve", "A-12", reason="评审推迟", date="2027-01-10", target="due:2027-01-10")],
        ),
        # Traditional script: words read, what was written kept (a date read for the date reader).
        ("確認", [cmd("confirm")]),
        ("確認，月底前給到", [cmd("confirm", note="月底前給到")]),
        ("已確認", [cmd("confirm")]),
        ("確認無誤", [cmd("confirm")]),
        ("我確認", [cmd("confirm")]),
        ("收到，確認", [cmd("confirm")]),
        ("異議：預算未批", [cmd("object", reason="預算未批")]),
        ("A-7 完成，修訂稿見附件", [cmd("done", "A-7", note="修訂稿見附件")]),
        ("進行中，預計週五完成", [cmd("in_progress", note="預計週五完成")]),
        ("延期至下週五，原因：供應商延遲", [cmd("delay", reason="供應商延遲", date="下周五")]),
        ("轉交 張偉", [cmd("delegate", target="張偉")]),
        ("轉交給 王強，謝謝", [cmd("delegate", target="王強")]),
        ("驗收通過", [cmd("verify")]),
        ("驗收不通過：缺少測試報告", [cmd("reject", reason="缺少測試報告")]),
        ("審核通過", [cmd("approve")]),
        ("狀態", [cmd("status")]),
        ("幫助", [cmd("help")]),
    ],
)
def test_commands_as_people_write_them(line: str, expected: list[Got]) -> None:
    reading = read_reply(line)
    assert _got(reading.commands) == expected
    assert reading.acknowledgements == [] and reading.courtesy == [] and reading.unrecognised == []
    assert all(c.line == line for c in reading.commands)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # A bare acknowledgement: not consent, not "nothing understood" — the caller asks back.
        ("收到", [(None, "")]),
        ("好的", [(None, "")]),
        ("谢谢", [(None, "")]),
        ("thanks", [(None, "")]),
        ("Thanks!", [(None, "")]),
        ("没问题", [(None, "")]),
        ("OK", [(None, "")]),
        ("ok.", [(None, "")]),
        ("收到，谢谢", [(None, "")]),
        ("好的 谢谢", [(None, "")]),
        ("收到🙏", [(None, "")]),
        ("👍", [(None, "")]),
        ("Looks good", [(None, "")]),
        ("LGTM", [(None, "")]),
        ("Yes", [(None, "")]),
        ("Noted, thanks.", [(None, "")]),
        ("知道了", [(None, "")]),
        ("謝謝", [(None, "")]),
        ("沒問題", [(None, "")]),
        # Receipt is not consent.
        ("确认收到", [(None, "")]),
        ("确认 收到", [(None, "")]),
        ("確認收到", [(None, "")]),
        ("已收到，谢谢", [(None, "")]),
        ("Confirm receipt, thanks", [(None, "")]),
        # With whom they thank, or a short remark that asks nothing of the bot.
        ("谢谢周总", [(None, "周总")]),
        ("Thanks David!", [(None, "David")]),
        ("收到，马上办", [(None, "马上办")]),
        ("OK, will do", [(None, "will do")]),
        # About one action, or several.
        ("A-12 收到", [("A-12", "")]),
        ("A-12、A-13 收到，谢谢", [("A-12", ""), ("A-13", "")]),
    ],
)
def test_acknowledgements_are_not_consent(line: str, expected: list[tuple[str | None, str]]) -> None:
    reading = read_reply(line)
    assert reading.commands == [] and reading.unrecognised == [] and reading.courtesy == []
    assert [(a.ref, a.note) for a in reading.acknowledgements] == expected
    assert all(a.verb == ACKNOWLEDGE and a.line == line and a.error is None for a in reading.acknowledgements)
    # The older reader still hands these lines back as "not commands", as its callers expect.
    assert read_commands(line) == ([], [line])


@pytest.mark.parametrize(
    "line",
    [
        "确认不了",
        "确认不了，人手不够",
        "confirm? no",
        "确认？",
        "同意吗",
        "同意，但是需要推迟",
        "同意，不过预算要再议",
        "确认，但截止日期需要推迟",
        "confirm but the date is wrong",
        "Agreed, however the date must move",
        "Confirmed, unless the budget is cut",
        "确认，不行",
        "确认，没法按时完成",
        "confirm - not yet",
        "Confirm, cannot make it",
        "Confirm, can’t make it by Friday",
        "通过，但第三条要改",
        "验收通过，不过文档还差一页",
        "好的，但是日期不对",
        "好的，不行",
        "收到，没空",
        "OK?",
        "Thanks for the minutes. The date for A-3 is wrong, it should be Friday.",
        "Status: all good",
        "完成时限改为周五",
        "确认收到了吗",
    ],
)
def test_negated_or_contradicted_lines_are_not_consent(line: str) -> None:
    reading = read_reply(line)
    assert reading.commands == [] and reading.acknowledgements == []
    assert reading.unrecognised == [line]


@pytest.mark.parametrize(
    "line",
    ["Hi,", "Hi David,", "Dear all,", "Good morning all,", "您好！", "周总，您好！", "各位好", "早上好，张总",
     "Best regards,", "Regards", "Best, 张伟", "祝好！", "此致", "敬礼", "顺祝商祺"],
)  # fmt: skip
def test_greetings_and_sign_offs_are_neither_commands_nor_errors(line: str) -> None:
    reading = read_reply(line)
    assert reading.courtesy == [line]
    assert reading.commands == [] and reading.acknowledgements == [] and reading.unrecognised == []


def test_no_acknowledgement_or_receipt_is_ever_consent() -> None:
    # Every acknowledgement and thanks word of the rules, alone and with punctuation.
    import tomllib

    rules = tomllib.loads(RULES.read_text(encoding="utf-8"))
    for word in [*rules["acknowledgements"], *rules["courtesy"]]:
        for line in (word, f"{word}!", f"{word}，谢谢", f"A-12 {word}"):
            reading = read_reply(line)
            assert not [c for c in reading.commands if c.verb in CONSENT], line
            assert reading.acknowledgements, line


def test_a_whole_reply_line_by_line() -> None:
    text = (
        "周总，您好！\n\n收到，确认\nA-13 完成，修订稿见附件。\nA-14 异议：会场由行政部负责\n"
        "好的，但是 A-15 的日期不对\n谢谢\n\nBest regards,\n张伟\n"
    )
    reading = read_reply(text)
    assert _got(reading.commands) == [
        cmd("confirm"),
        cmd("done", "A-13", note="修订稿见附件"),
        cmd("object", "A-14", reason="会场由行政部负责"),
    ]
    assert [(a.line, a.ref) for a in reading.acknowledgements] == [("谢谢", None)]
    assert reading.courtesy == ["周总，您好！", "Best regards,"]
    assert reading.unrecognised == ["好的，但是 A-15 的日期不对", "张伟"]
    # read_commands: the same commands, and every other line in order (its callers' contract).
    commands, others = read_commands(text)
    assert commands == reading.commands
    assert others == ["周总，您好！", "好的，但是 A-15 的日期不对", "谢谢", "Best regards,", "张伟"]
    assert reading.other_lines == others


def test_only_an_acknowledgement_and_a_signature() -> None:
    reading = read_reply("收到，谢谢！\n\n王芳\n行政部\n")
    assert reading.commands == []
    assert [a.verb for a in reading.acknowledgements] == [ACKNOWLEDGE]
    assert reading.unrecognised == ["王芳", "行政部"]


def _rules_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = RULES.read_text(encoding="utf-8")
    assert old in text
    target = tmp_path / "commands.toml"
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def test_organisation_adds_an_acknowledgement(tmp_path: Path) -> None:
    vocab = load_command_vocabulary(
        _rules_copy(tmp_path, 'acknowledgements = ["收到",', 'acknowledgements = ["收悉了", "收到",')
    )
    assert [a.verb for a in read_reply("收悉了", vocab).acknowledgements] == [ACKNOWLEDGE]
    assert _got(read_reply("收悉了，确认", vocab).commands) == [cmd("confirm")]
    assert read_reply("收悉了").unrecognised == ["收悉了"]


def test_organisation_adds_a_traditional_character(tmp_path: Path) -> None:
    # 镇/鎮 is in no shipped word: an organisation whose command word uses it adds the pair.
    text = RULES.read_text(encoding="utf-8")
    path = tmp_path / "commands.toml"
    path.write_text(
        text.replace('confirm = ["确认",', 'confirm = ["镇定确认", "确认",', 1)
        .replace('from = "確', 'from = "鎮確', 1)
        .replace('to   = "确', 'to   = "镇确', 1),
        encoding="utf-8",
    )
    vocab = load_command_vocabulary(path)
    assert _got(read_reply("鎮定確認", vocab).commands) == [cmd("confirm")]


def test_traditional_table_must_pair_every_character(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="same length"):
        load_command_vocabulary(_rules_copy(tmp_path, 'from = "確', 'from = "鎮確'))


def test_a_receipt_word_may_not_also_be_a_command(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="both"):
        load_command_vocabulary(
            _rules_copy(tmp_path, 'acknowledgements = ["收到",', 'acknowledgements = ["确认", "收到",')
        )
