"""Who gets which mail per event: docs/who-gets-what.md is the contract, read here and played
event by event in one real round (issue 13, item 4: one mail per person per event).

The Foxmail agenda (sent by the host, 李娜), the Outlook minutes draft (sent by the recorder, 王芳;
A-1 张伟, A-2 陈喆, A-3 赵敏, A-4 朱镕), replies to the mails the owners received, then the clock
across the consent deadline, a reminder, an escalation and a Monday. After each event the new
mails are counted per person and compared with the table's row: each person in a role gets
exactly the row's kind in the leftmost column that applies to them, and nobody else gets anything.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import update

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.kinds import KINDS
from mailbot.outbox import build_message
from mailbot.pipeline import process
from mailbot.store.models import OutboxMail, Person
from mailbot.workflow.consent import run_consent_deadlines
from mailbot.workflow.digest import run_digest
from mailbot.workflow.reminders import run_reminders
from tests.helpers import at, feed, outbox
from tests.replying import reply

DOC = Path(__file__).resolve().parents[1] / "docs" / "who-gets-what.md"
ROW = re.compile(r"^\| `(?P<event>[a-z_]+)` [^|]*\|(?P<cells>.*)\|\s*$")

HOST, RECORDER = "li.na@corp.example", "wang.fang@corp.example"
OWNERS = {"A-1": "zhang.wei@corp.example", "A-2": "chen.zhe@corp.example", "A-3": "zhao.min@corp.example",
          "A-4": "zhu.rong@corp.example"}  # fmt: skip
OTHERS = ("liu.yang@corp.example", "sun.lei@corp.example", "zhou.ting@corp.example")
HEAD = "rd.head@corp.example"  # 研发部, 陈喆's department
EVERYONE = (HOST, RECORDER, *OWNERS.values(), *OTHERS)


def contract() -> tuple[list[str], dict[str, list[str]]]:
    """The table's columns and, per event, the kind each column gets ("" for —)."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    header = next(line for line in lines if line.startswith("| Event |"))
    columns = [c.strip() for c in header.strip("|").split("|")][1:]
    rows = {}
    for line in lines:
        found = ROW.match(line)
        if found:
            cells = [c.strip() for c in found["cells"].split("|")]
            assert len(cells) == len(columns), line
            rows[found["event"]] = ["" if c == "—" else c for c in cells]
    return columns, rows


def kinds_of(cell: str) -> list[str]:
    """A cell's kinds: "—" is none, "a + b" two mails (the one documented exception)."""
    return sorted(k.strip() for k in cell.split("+")) if cell else []


def test_the_table_names_only_kinds_the_bot_has() -> None:
    columns, rows = contract()
    assert columns == ["Sender", "Owner", "Verifier", "Host", "Recorder", "Parties", "Heads"]
    assert {"agenda", "minutes", "confirm", "remark", "object", "object_minutes", "delay", "done", "verify", "note",
            "reschedule", "overrule", "withdraw", "final", "reminder", "escalation", "monday"} <= set(rows)  # fmt: skip
    for cells in rows.values():
        assert all(kind in KINDS for cell in cells for kind in kinds_of(cell)), cells


class Round:
    def __init__(self, app: App, clock: FixedClock) -> None:
        self.app, self.clock = app, clock
        self.seen = {m.id for m in outbox(app)}
        self.columns, self.rows = contract()

    def new(self) -> list[OutboxMail]:
        mails = [m for m in outbox(self.app) if m.id not in self.seen]
        self.seen |= {m.id for m in mails}
        return mails

    def request(self, ref: str) -> OutboxMail:
        return next(m for m in outbox(self.app, "confirm_request") if m.to_address == OWNERS[ref])

    def check(self, event: str, roles: dict[str, list[str]], act: Callable[[], object]) -> None:
        """Play `act`, then compare each person's new mails with the row of `event`."""
        act()
        got: dict[str, list[str]] = defaultdict(list)
        for mail in self.new():
            got[mail.to_address].append(mail.kind)
        got = defaultdict(list, {person: sorted(kinds) for person, kinds in got.items()})
        expected: dict[str, list[str]] = {}
        for column, kind in zip(self.columns, self.rows[event], strict=True):
            for person in roles.get(column, []):
                if person not in expected:  # the leftmost column that applies
                    expected[person] = kinds_of(kind)
        expected = {person: kinds for person, kinds in expected.items() if kinds}
        assert dict(got) == expected, f"{event}: got {dict(got)}, the table says {expected}"


@pytest.fixture
def round_(app: App, clock: FixedClock) -> Round:
    with app.db.transaction() as session:
        session.add(Person(address=HEAD, name="研发部负责人", department="研发部", role="head",
                           created_at=clock.now()))  # fmt: skip
    return Round(app, clock)


def test_every_event_mails_each_person_as_the_table_says(round_: Round) -> None:
    r, app, clock = round_, round_.app, round_.clock
    parties = [*OTHERS, *OWNERS.values()]

    at(clock, "2026-11-30 09:20")
    r.check("agenda", {"Sender": [HOST], "Recorder": [RECORDER], "Parties": parties},
            lambda: feed(app, "foxmail_zh_agenda_gbk.eml"))  # fmt: skip

    at(clock, "2026-12-02 18:00")
    r.check("minutes", {"Sender": [RECORDER], "Owner": list(OWNERS.values()), "Host": [HOST], "Parties": parties},
            lambda: feed(app, "outlook_zh_minutes_gbk_html.eml"))  # fmt: skip

    at(clock, "2026-12-03 10:00")
    # A comment that says something reaches the host (who gets nothing else from this reply).
    r.check("remark", {"Sender": [OWNERS["A-1"]], "Host": [HOST]},
            lambda: process(app, reply(app, r.request("A-1"), "确认，月底前给到周总。")))  # fmt: skip
    (remark,) = outbox(app, "note_notice")
    assert "> 月底前给到周总" in (remark.body_text or "") and "回复本邮件：“A-1 改期 日期”" in (remark.body_text or "")
    r.check("delay", {"Sender": [OWNERS["A-2"]], "Host": [HOST]},
            lambda: process(app, reply(app, r.request("A-2"), "延期至 2026-12-11，原因：等待供应商样机")))  # fmt: skip
    r.check("object", {"Sender": [OWNERS["A-4"]], "Host": [HOST]},
            lambda: process(app, reply(app, r.request("A-4"), "异议：预算口径还没定")))  # fmt: skip
    (objection,) = outbox(app, "objection_notice")  # the host reads who objected by name
    assert "朱镕 <zhu.rong@corp.example> 对“Q1 新品上市跨部门协作会”" in (objection.body_text or "")
    assert "朱镕 &lt;zhu.rong@corp.example&gt; 对" in (objection.body_html or "")
    r.check("note", {"Sender": [OWNERS["A-3"]], "Host": [HOST]},
            lambda: process(app, reply(app, r.request("A-3"), "培训讲师下周才到岗，名单由我来提交。")))  # fmt: skip
    r.check("done", {"Sender": [OWNERS["A-3"]], "Verifier": [HOST]},
            lambda: process(app, reply(app, r.request("A-3"), "完成，培训计划见共享盘")))  # fmt: skip
    at(clock, "2026-12-04 11:00")
    (acceptance,) = outbox(app, "acceptance_request")
    r.check("verify", {"Sender": [HOST], "Owner": [OWNERS["A-3"]]},
            lambda: process(app, reply(app, acceptance, "验收通过")))  # fmt: skip

    # The host withdraws the objected A-4: nothing is left open, the minutes are final at once.
    everyone_final = {"Owner": list(OWNERS.values()), "Verifier": [HOST], "Host": [HOST], "Recorder": [RECORDER],
                      "Parties": list(OTHERS)}  # fmt: skip
    r.check("settle", {"Sender": [HOST], **everyone_final}, lambda: process(app, reply(app, objection, "A-4 撤销")))
    # The owner of A-4 reads plainly, in the official minutes, that it was withdrawn.
    (theirs_final,) = [m for m in outbox(app, "final_minutes") if m.to_address == OWNERS["A-4"]]
    assert "您负责的 A-4“核算推广费用与提成预算占比”已由主持人撤销，您无需再做。" in (theirs_final.body_text or "")
    assert "已由主持人撤销，您无需再做。" in (theirs_final.body_html or "")
    # The host's one mail: the answer to her reply, the official minutes inside it, with the .ics.
    answer = outbox(app, "reply_result")[-1]
    assert answer.to_address == HOST and answer.subject.endswith("— 纪要已生效")
    text = answer.body_text or ""
    assert text.index("A-4") < text.index("纪要已生效（正式版）") < text.index("行动项跟踪表")
    assert "确认方式：负责人已回复确认" in text and "行动项跟踪表" in (answer.body_html or "")
    message = build_message(answer, app.sender, app.now())
    # The files of the host's 正式版: every action as calendar tasks (the host follows them up) and
    # the Word minutes; the recorder, who owns nothing, gets the Word minutes alone.
    hosts = [part.get_filename() for part in message.iter_attachments()]
    finals = [m for m in outbox(app, "final_minutes") if m.to_address == RECORDER]
    theirs = [p.get_filename() for p in build_message(finals[-1], app.sender, app.now()).iter_attachments()]
    assert hosts == ["actions.ics", *theirs]
    assert len(theirs) == 1 and theirs[0].endswith(".docx")

    # Monday's status: every party with something open, once (the digest runs after the round closed).
    at(clock, "2026-12-07 09:30")
    r.check("monday", {**everyone_final, "Heads": [HEAD]}, lambda: run_digest(app, app.now()))

    # Fri 12-11: A-2 (delayed to that day) is due today, A-1 (12-15) two working days ahead.
    at(clock, "2026-12-11 09:30")
    r.check("reminder", {"Owner": [OWNERS["A-2"], OWNERS["A-1"]]}, lambda: run_reminders(app, app.now()))
    # Five working days overdue (Fri 12-18): the head of 研发部 and the host. (张伟 delivers A-1
    # first, so no reminder of his falls on the same morning.)
    process(app, reply(app, r.request("A-1"), "完成"))
    for day in ("2026-12-14", "2026-12-15", "2026-12-16", "2026-12-17"):
        at(clock, f"{day} 09:30")
        run_reminders(app, app.now())
    r.new()
    at(clock, "2026-12-18 09:30")
    r.check("escalation", {"Owner": [OWNERS["A-2"]], "Host": [HOST], "Heads": [HEAD]},
            lambda: run_reminders(app, app.now()))  # fmt: skip
    escalations = {m.to_address: m.body_text or "" for m in outbox(app, "escalation")}
    assert "回复“A-2 改期 日期”" in escalations[HOST]  # the host may decide; the head is told
    assert "回复“" not in escalations[HEAD].rsplit("\n--\n", 1)[-1]
    assert "一键回复" in escalations[HOST] and "一键回复" not in escalations[HEAD]  # a head's click would be refused


def test_the_round_running_out_sends_the_final_minutes_to_everyone_once(round_: Round) -> None:
    r, app, clock = round_, round_.app, round_.clock
    at(clock, "2026-11-30 09:20")
    feed(app, "foxmail_zh_agenda_gbk.eml")
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    at(clock, "2026-12-03 10:00")
    r.new()
    r.check("confirm", {"Sender": [OWNERS["A-1"]], "Host": [HOST]},
            lambda: process(app, reply(app, r.request("A-1"), "确认，谢谢！")))  # fmt: skip
    # Nobody else answers: silence is consent when the round runs out (Mon 12-07, 2 working days
    # after the draft, at the opening of the sending hours).
    at(clock, "2026-12-07 09:00")
    everyone = {"Owner": list(OWNERS.values()), "Host": [HOST], "Recorder": [RECORDER], "Parties": list(OTHERS)}
    r.check("final", everyone, lambda: run_consent_deadlines(app, app.now()))


def test_the_hosts_decisions_with_words_mail_each_person_as_the_table_says(round_: Round) -> None:
    """The host answers an objection with a new date and a sentence, then overrules the next one:
    the owner gets one mail each time, the host's words inside it (issue 14: a confirmation request
    and a 【留言】 note besides, and the final minutes and a note besides)."""
    r, app, clock = round_, round_.app, round_.clock
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    at(clock, "2026-12-03 10:00")
    process(app, reply(app, r.request("A-2"), "异议：研发排期已满，12月10日前来不及"))
    r.new()
    objection = outbox(app, "objection_notice")[-1]
    r.check("reschedule", {"Sender": [HOST], "Owner": [OWNERS["A-2"]]},
            lambda: process(app, reply(app, objection, "A-2 改期 2026-12-14\n\n陈喆，给你宽限到14号。")))  # fmt: skip
    again = [m for m in outbox(app, "confirm_request") if m.to_address == OWNERS["A-2"]][-1]
    assert "主持人留言：陈喆，给你宽限到14号。" in (again.body_text or "")
    assert "陈喆，给你宽限到14号。" in (again.body_html or "")
    r.check("object", {"Sender": [OWNERS["A-2"]], "Host": [HOST]},
            lambda: process(app, reply(app, again, "异议：14号也来不及，至少要到18号")))  # fmt: skip
    second = outbox(app, "objection_notice")[-1]
    r.check("overrule", {"Sender": [HOST], "Owner": [OWNERS["A-2"]]},
            lambda: process(app, reply(app, second, "A-2 维持\n\n按14号执行，有困难再找我。")))  # fmt: skip
    (told,) = outbox(app, "note_notice")
    body = told.body_text or ""
    assert told.subject.startswith("【异议未采纳】A-2")
    assert "您对 A-2 的异议未被采纳，主持人决定维持原安排。" in body and "按14号执行，有困难再找我。" in body
    assert "您的异议：14号也来不及，至少要到18号" in body
    assert "改期 日期" not in body.split("\n--\n")[0]  # the host's commands are not the owner's
    # The last answer settles the round: the official minutes go to everyone, once.
    process(app, reply(app, r.request("A-1"), "确认"))
    process(app, reply(app, r.request("A-3"), "确认"))
    r.new()
    everyone_final = {"Owner": list(OWNERS.values()), "Host": [HOST], "Recorder": [RECORDER], "Parties": list(OTHERS)}
    r.check("settle", {"Sender": [OWNERS["A-4"]], **everyone_final},
            lambda: process(app, reply(app, r.request("A-4"), "确认")))  # fmt: skip


def test_a_withdrawn_action_is_told_to_its_owner_with_or_without_the_hosts_words(round_: Round) -> None:
    """ "A-4 撤销" alone used to leave the owner uninformed (a note went out only when the host wrote
    a sentence, and then as a 【留言】): the owner must stop working on it, so they are told plainly."""
    r, app, clock = round_, round_.app, round_.clock
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    at(clock, "2026-12-03 10:00")
    process(app, reply(app, r.request("A-4"), "异议：预算口径还没定"))
    process(app, reply(app, r.request("A-2"), "异议：研发排期已满"))
    r.new()
    objection_4, objection_2 = sorted(outbox(app, "objection_notice"), key=lambda m: m.subject)[::-1][:2]
    assert "A-4" in objection_4.subject and "A-2" in objection_2.subject
    r.check("withdraw", {"Sender": [HOST], "Owner": [OWNERS["A-4"]]},
            lambda: process(app, reply(app, objection_4, "A-4 撤销")))  # fmt: skip
    (told,) = outbox(app, "note_notice")
    body = told.body_text or ""
    assert told.subject.startswith("【已撤销】A-4 核算推广费用与提成预算占比：主持人撤销了这项任务")
    assert "您好，主持人撤销了您负责的行动项 A-4，您无需再做。" in body and "A-4 当前状态：已取消。" in body
    assert "回复“" not in body.split("\n--\n")[1]  # nothing left to answer about A-4: no commands offered
    assert "主持人撤销了您负责的行动项 A-4" in (told.body_html or "")
    # The host sends it again with a reason: nothing to do, said as such, and her own commands below.
    process(app, reply(app, objection_4, "A-4 撤销，预算下季度再议"))
    again = outbox(app)[-1]
    assert again.to_address == HOST, again.to_address
    assert "未执行" not in again.subject and again.subject.endswith("处理结果"), again.subject
    text = again.body_text or ""
    assert "  · 无需操作：A-4 当前状态为“已取消”" in text and "未执行" not in text  # not marked as an error
    assert "“A-4 重新打开”" in text.split("\n--\n")[1] and "“确认”" not in text.split("\n--\n")[1]
    # Her reason still reaches the owner, as a note on the withdrawn action.
    (reason,) = [m for m in r.new() if m.to_address == OWNERS["A-4"]]
    assert reason.kind == "note_notice" and "> 预算下季度再议" in (reason.body_text or "")
    assert "A-4 当前状态：已取消" in (reason.body_text or "")
    assert "回复“" not in (reason.body_text or "").split("\n--\n")[1]  # nothing to answer about it
    # With the host's words, in English for an owner who writes English: one mail, both inside.
    with app.db.transaction() as session:
        session.execute(update(Person).where(Person.address == OWNERS["A-2"]).values(language="en"))
    r.check("withdraw", {"Sender": [HOST], "Owner": [OWNERS["A-2"]]},
            lambda: process(app, reply(app, objection_2, "A-2 撤销，研发排期下季度再议")))  # fmt: skip
    told_2 = outbox(app, "note_notice")[-1]
    body = told_2.body_text or ""
    assert told_2.to_address == OWNERS["A-2"]
    assert told_2.subject.startswith("[Withdrawn] A-2 "), told_2.subject
    assert "Hello, the host withdrew your action A-2: there is nothing more to do on it." in body
    assert "> 研发排期下季度再议" in body


def test_an_objection_to_the_minutes_mails_the_host_and_the_recorder_as_the_table_says(round_: Round) -> None:
    """An attendee's objection to the minutes as a whole reaches the host and the recorder; the
    host's own reaches the recorder alone (hand trial: it went back to the host, twice, and the
    recorder who had to correct the minutes heard nothing)."""
    r, app, clock = round_, round_.app, round_.clock
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    at(clock, "2026-12-03 10:00")
    r.new()

    def notice(to: str) -> OutboxMail:
        return next(m for m in outbox(app, "minutes_notice") if m.to_address == to)

    attendee = "sun.lei@corp.example"
    r.check("object_minutes", {"Sender": [attendee], "Host": [HOST], "Recorder": [RECORDER]},
            lambda: process(app, reply(app, notice(attendee), "异议：参会人员里漏了财务部的周婷")))  # fmt: skip
    r.check("object_minutes", {"Sender": [HOST], "Host": [HOST], "Recorder": [RECORDER]},
            lambda: process(app, reply(app, notice(HOST), "异议：决议第1条写错了，应为“由销售部牵头”，请王芳更正。")))  # fmt: skip
