"""read_commands: one command per line, zh/en, refs, arguments and error codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.replies.commands import Command, load_command_vocabulary, read_commands, read_reply

Row = tuple[str, str | None, str, str, str, str | None, str]  # verb, ref, reason, date_text, target, error, note


def _rows(commands: list[Command]) -> list[Row]:
    return [(c.verb, c.ref, c.reason, c.date_text, c.target, c.error, c.note) for c in commands]


def ok(verb: str, ref: str | None = None, reason: str = "", date: str = "", target: str = "", note: str = "") -> Row:
    return (verb, ref, reason, date, target, None, note)


def err(verb: str, code: str, ref: str | None = None, reason: str = "", date: str = "", target: str = "") -> Row:
    return (verb, ref, reason, date, target, code, "")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # confirm, with and without refs, width- and case-folded
        ("A-12 确认", [ok("confirm", "A-12")]),
        ("A12 confirm", [ok("confirm", "A-12")]),
        ("确认 A-12", [ok("confirm", "A-12")]),
        ("a-12: done", [ok("done", "A-12")]),
        ("Ａ－１２：确认", [ok("confirm", "A-12")]),
        ("ＣＯＮＦＩＲＭ", [ok("confirm")]),
        ("确认", [ok("confirm")]),
        ("确认。", [ok("confirm")]),
        ("Confirm!", [ok("confirm")]),
        ("OK, confirmed", [ok("confirm")]),
        ("好的，确认", [ok("confirm")]),
        ("确认，谢谢", [ok("confirm")]),
        ("Confirm A-12, thank you!", [ok("confirm", "A-12")]),
        ("同意", [ok("confirm")]),
        ("accept", [ok("confirm")]),
        ("agree", [ok("confirm")]),
        ("A-12、A-13 确认", [ok("confirm", "A-12"), ok("confirm", "A-13")]),
        ("- A-12 确认", [ok("confirm", "A-12")]),
        ("1. A-12 确认", [ok("confirm", "A-12")]),
        ("**确认**", [ok("confirm")]),
        ("A-012 确认", [ok("confirm", "A-12")]),
        # object (reason required)
        ("异议：预算未批", [ok("object", reason="预算未批")]),
        ("A-13 object: the budget is not approved", [ok("object", "A-13", reason="the budget is not approved")]),
        ("反对，原因：人手不足", [ok("object", reason="人手不足")]),
        ("不同意，因为预算未批", [ok("object", reason="预算未批")]),
        ("disagree: wrong owner", [ok("object", reason="wrong owner")]),
        ("异议", [err("object", "object_needs_reason")]),
        ("A-12 object", [err("object", "object_needs_reason", "A-12")]),
        ("不同意。", [err("object", "object_needs_reason")]),
        # in progress / done
        ("进行中", [ok("in_progress")]),
        ("A-12 已开始", [ok("in_progress", "A-12")]),
        ("in progress", [ok("in_progress")]),
        ("Started.", [ok("in_progress")]),
        ("完成", [ok("done")]),
        ("已完成，交付物见附件", [ok("done", reason="交付物见附件", note="交付物见附件")]),
        ("Done, thanks!", [ok("done")]),
        ("进行中，预计周五完成", [ok("in_progress", reason="预计周五完成", note="预计周五完成")]),
        ("验收通过", [ok("verify")]),
        ("A-12 验收不通过：缺少测试报告", [ok("reject", "A-12", reason="缺少测试报告")]),
        ("reject", [err("reject", "reject_needs_reason")]),
        ("Verified, thanks", [ok("verify")]),
        ("Completed", [ok("done")]),
        # delay (date and reason required)
        ("延期至12月30日，原因：供应商延迟", [ok("delay", reason="供应商延迟", date="12月30日")]),
        ("delay to Dec 30 because the vendor is late", [ok("delay", reason="the vendor is late", date="Dec 30")]),
        ("延期到 2027-01-05 因为供应商延迟", [ok("delay", reason="供应商延迟", date="2027-01-05")]),
        ("A-12 延期至12月30日因供应商延迟", [ok("delay", "A-12", reason="供应商延迟", date="12月30日")]),
        ("延期至12月30日，供应商延迟", [ok("delay", reason="供应商延迟", date="12月30日")]),
        (
            "delay A-12 to Dec 30, 2026 because of the vendor",
            [ok("delay", "A-12", reason="of the vendor", date="Dec 30, 2026")],
        ),
        ("延期至12月30日", [err("delay", "delay_needs_reason", date="12月30日")]),
        ("delay to Jan 5", [err("delay", "delay_needs_reason", date="Jan 5")]),
        ("延期，原因：供应商延迟", [err("delay", "delay_needs_date", reason="供应商延迟")]),
        ("delay", [err("delay", "delay_needs_date")]),
        # delegate
        ("转交 张伟", [ok("delegate", target="张伟")]),
        ("转交给 zhang.wei@corp.example", [ok("delegate", target="zhang.wei@corp.example")]),
        ("delegate to Zhang Wei", [ok("delegate", target="Zhang Wei")]),
        ("A-12 转交张伟", [ok("delegate", "A-12", target="张伟")]),
        ("转交", [err("delegate", "delegate_needs_target")]),
        ("delegate to", [err("delegate", "delegate_needs_target")]),
        # queries and host
        ("状态", [ok("status")]),
        ("我的任务", [ok("status")]),
        ("Status", [ok("status")]),
        ("帮助", [ok("help")]),
        ("help", [ok("help")]),
        ("审核通过", [ok("approve")]),
        ("Approve.", [ok("approve")]),
        # resolve an objection
        ("resolve A-12 reassign to 王强", [ok("resolve", "A-12", target="reassign:王强")]),
        ("A-12 改派 王强", [ok("resolve", "A-12", target="reassign:王强")]),
        ("A-12 改期 2027-01-10", [ok("resolve", "A-12", date="2027-01-10", target="due:2027-01-10")]),
        ("A-12 撤销", [ok("resolve", "A-12", target="withdraw")]),
        ("A-12 withdraw", [ok("resolve", "A-12", target="withdraw")]),
        ("A-12 维持", [ok("resolve", "A-12", target="overrule")]),
        ("A-12 overrule", [ok("resolve", "A-12", target="overrule")]),
        ("A-12 withdraw, budget was cut", [ok("resolve", "A-12", reason="budget was cut", target="withdraw")]),
        ("resolve A-12", [err("resolve", "resolve_needs_decision", "A-12")]),
        ("A-12 改派", [err("resolve", "resolve_needs_target", "A-12", target="reassign")]),
        ("A-12 改期", [err("resolve", "resolve_needs_date", "A-12", target="due")]),
    ],
)
def test_command_lines(line: str, expected: list[Row]) -> None:
    commands, unrecognised = read_commands(line)
    assert _rows(commands) == expected
    assert unrecognised == []
    assert all(c.line == line for c in commands)


@pytest.mark.parametrize(
    "line",
    [
        "确认收到",  # receipt, not consent
        "confirm but the date is wrong",
        "confirmation pending",
        "完成时限改为周五",
        "cancel the meeting",
        "取消会议",
        "Thanks",
        "张伟",
        "回复 确认",
        "OK",
        "Done? Not yet.",
    ],
)
def test_not_commands(line: str) -> None:
    # read_commands hands back every line that is not a command; read_reply tells the
    # acknowledgements among them ("确认收到", "Thanks", "OK") apart: tests/test_commands_people.py.
    assert read_commands(line) == ([], [line])


def test_several_lines_and_unrecognised() -> None:
    text = "Hi,\n\nA-12 确认\nA-13 异议：预算未批\n\n  谢谢  \n张伟\n"
    commands, unrecognised = read_commands(text)
    assert _rows(commands) == [ok("confirm", "A-12"), ok("object", "A-13", reason="预算未批")]
    assert commands[1].line == "A-13 异议：预算未批"
    assert unrecognised == ["Hi,", "谢谢", "张伟"]


def test_empty_text() -> None:
    assert read_commands("") == ([], [])
    assert read_commands("\n \n") == ([], [])


def _rules_copy(tmp_path: Path, old: str, new: str) -> Path:
    source = Path(__file__).resolve().parents[1] / "rules" / "commands.toml"
    text = source.read_text(encoding="utf-8")
    assert old in text
    target = tmp_path / "commands.toml"
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def test_organisation_adds_a_synonym(tmp_path: Path) -> None:
    vocab = load_command_vocabulary(
        _rules_copy(tmp_path, 'confirm = ["确认",', 'confirm = ["收悉并同意", "roger", "确认",')
    )
    assert _rows(read_commands("A-12 收悉并同意", vocab)[0]) == [ok("confirm", "A-12")]
    assert _rows(read_commands("Roger!", vocab)[0]) == [ok("confirm")]
    assert read_commands("Roger!")[0] == []


def test_a_word_may_belong_to_one_verb_only(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="both"):
        load_command_vocabulary(_rules_copy(tmp_path, 'done = ["完成",', 'done = ["确认", "完成",'))


def test_unknown_verb_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown verbs"):
        load_command_vocabulary(_rules_copy(tmp_path, "[verbs]\n", '[verbs]\nsnooze = ["稍后"]\n'))


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("延期至 2026-12-11，原因：等待供应商样机，谢谢！", "等待供应商样机"),
        ("异议：预算口径还没定。谢谢李总", "预算口径还没定"),
        ("delay to 2026-12-11 because the supplier is late. Thanks, David", "the supplier is late"),
        ("object: budget not set yet - thanks a lot! Best regards, Li", "budget not set yet"),
        ("reject: the figures are wrong, thanks", "the figures are wrong"),
        # Thanks inside the reason, or a reason of nothing but thanks, stay as written.
        ("异议：谢谢，不过预算口径还没定", "谢谢，不过预算口径还没定"),
        ("异议：不同意，谢谢，再议", "不同意，谢谢，再议"),
        ("异议：谢谢", "谢谢"),
    ],
)
def test_a_reason_loses_the_thanks_it_closes_with(line: str, reason: str) -> None:
    """The reason is quoted to the host and kept in the action's history: "等待供应商样机，谢谢"
    there reads as if the thanks were part of the reason."""
    (command,) = read_reply(line).commands
    assert command.reason == reason
