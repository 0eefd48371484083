"""The weekly mail lists each action once, in the section of where it stands; a department head
sees every item they are counted for; people by name; overdue in working days."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.lifecycle import DIGEST_ORDER
from mailbot.store.models import ActionItem, Event, Meeting, MinutesVersion, Person
from mailbot.workflow.digest import SECTIONS, build_digest, run_digest
from tests.helpers import SHANGHAI, at, feed
from tests.test_digest import digest_mails

MONDAY = date(2026, 12, 21)  # the week of 12-21 to 12-27

# ref -> (status, due, the section it belongs in; None: closed before last week, counted only)
PLAN: dict[str, tuple[str, date, str | None]] = {
    "A-1": ("accepted", date(2026, 12, 10), "overdue"),
    "A-2": ("in_progress", date(2026, 12, 23), "due_this_week"),
    "A-3": ("delayed", date(2026, 12, 24), "delayed"),  # due this week too: listed once, as delayed
    "A-4": ("awaiting_confirmation", date(2026, 12, 30), "awaiting"),
    "A-5": ("objected", date(2026, 12, 31), "objections"),
    "A-6": ("done", date(2026, 12, 18), "acceptance"),  # done last week, not verified: awaiting 验收 only
    "A-7": ("in_progress", date(2027, 1, 15), "later"),
    "A-8": ("verified", date(2026, 12, 15), "done"),  # verified last week
    "A-9": ("verified", date(2026, 12, 4), None),  # verified long before last week
    "A-10": ("cancelled", date(2026, 12, 30), None),  # gone: not even counted
    "A-11": ("done", date(2026, 12, 17), "done"),  # no requester: done is final
}
RD = ("A-2", "A-7", "A-9")  # 研发部's actions


def at_day(clock: FixedClock, day: date, hour: int = 9) -> None:
    clock.set(datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI))


def one_of_each(app: App, clock: FixedClock) -> None:
    """M-1 (from the GBK Outlook minutes, four actions) with seven more, every action in its own
    state; a head for 研发部; a directory name for an owner the minutes did not name."""
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    at_day(clock, date(2026, 12, 4))
    now = clock.now()
    with app.db.transaction() as session:
        meeting = session.get(Meeting, 1)
        assert meeting is not None and len(meeting.actions) == 4
        meeting.status = "confirmed"
        version = meeting.actions[0].version_id
        for number in range(5, 12):
            session.add(ActionItem(
                meeting_id=1, version_id=version, number=str(number), description=f"任务{number}",
                owner_address="sun.lei@corp.example", owner_name="孙磊", department="销售部",
                due=date(2026, 12, 30), status="accepted", created_at=now, updated_at=now,
            ))  # fmt: skip
        session.flush()
        by_ref = {a.ref: a for a in session.query(ActionItem)}
        for ref, (status, due, _) in PLAN.items():
            by_ref[ref].status, by_ref[ref].due = status, due
        for ref in RD:
            by_ref[ref].department = "研发部"
        by_ref["A-7"].owner_address, by_ref["A-7"].owner_name = "qian.qi@corp.example", None  # the directory names them
        by_ref["A-5"].objection_reason = "排期已满"
        by_ref["A-3"].delay_reason = "等待培训场地确认"
        by_ref["A-6"].requester_address = "li.na@corp.example"  # the host verifies; the meeting names her

        def delivered(ref: str, what: str, day: date) -> None:
            when = datetime(day.year, day.month, day.day, 10, tzinfo=SHANGHAI)
            if what == "action.done":
                by_ref[ref].done_at = when
            session.add(Event(at=when, actor=by_ref[ref].owner_address, what=what, meeting_id=1,
                              action_id=by_ref[ref].id, detail={}))  # fmt: skip

        delivered("A-6", "action.done", date(2026, 12, 17))
        delivered("A-8", "action.done", date(2026, 12, 9))
        delivered("A-8", "action.verified", date(2026, 12, 18))  # closed last week by the 验收
        delivered("A-9", "action.done", date(2026, 12, 5))
        delivered("A-9", "action.verified", date(2026, 12, 8))
        delivered("A-11", "action.done", date(2026, 12, 16))
        session.add(Person(address="rd.head@corp.example", name="研发部负责人", department="研发部", role="head",
                           created_at=now))  # fmt: skip
        session.add(Person(address="qian.qi@corp.example", name="钱七", department="研发部", created_at=now))
        assert session.query(MinutesVersion).count() == 1


def where(context: dict, ref: str) -> list[str]:
    """Every place of the mail's context `ref` is listed in."""
    places = [part for part in ("mine", "to_verify") if any(r["ref"] == ref for r in context[part])]
    for meeting in context["meetings"]:
        places += [name for name in SECTIONS if any(r["ref"] == ref for r in meeting[name])]
    return places


def test_each_action_once_in_the_section_of_its_state(app: App, clock: FixedClock) -> None:
    one_of_each(app, clock)
    with app.db.session() as session:
        # An attendee who owns nothing and verifies nothing: the whole meeting, each action once.
        context = build_digest(session, app, "liu.yang@corp.example", MONDAY)
    assert context is not None and context["mine"] == [] and context["to_verify"] == []
    for ref, (_, _, section) in PLAN.items():
        assert where(context, ref) == ([section] if section else []), ref
    (meeting,) = context["meetings"]
    # Counted: every action but the cancelled one; the one closed before last week is said to be left out.
    assert meeting["total"] == 10 and meeting["closed_earlier"] == 1 and meeting["yours"] == 0
    assert sum(len(meeting[name]) for name in SECTIONS) + meeting["closed_earlier"] == meeting["total"]
    assert [c["status"] for c in meeting["counts"]] == list(DIGEST_ORDER)  # every status, in that order
    assert {c["status"]: c["count"] for c in meeting["counts"]} == {
        "awaiting_confirmation": 1, "accepted": 1, "in_progress": 2, "delayed": 1, "objected": 1, "done": 2,
        "verified": 2,
    }  # fmt: skip
    # Overdue in working days: 12-11 to 12-21 holds 7 (two weekends), the escalation's count.
    assert meeting["overdue"][0]["overdue_days"] == 7 and meeting["overdue_count"] == 1
    # Done awaiting 验收 is not "done": it waits under its own heading, with the verifier by name.
    assert meeting["acceptance"][0]["requester_name"] == "李娜"


def test_the_mail_lists_each_action_once_and_in_order(app: App, clock: FixedClock) -> None:
    one_of_each(app, clock)
    at_day(clock, MONDAY)
    assert run_digest(app, clock.now())["digests"] > 0
    mail = next(m for m in digest_mails(app) if m.to_address == "liu.yang@corp.example")
    headings = ["【已逾期】", "【本周到期】", "【已延期】", "【待确认】", "【异议待处理】", "【待验收】"]
    headings += ["【后续到期】", "【上周完成】"]
    for language, words in (("zh", headings), ("en", None)):
        text, html = app.renderer.render_body("digest", language, mail.context)
        refs = re.findall(r"^(A-\d+)  ", text, flags=re.MULTILINE)
        assert sorted(refs) == sorted(ref for ref, (_, _, section) in PLAN.items() if section), language
        for ref in refs:
            assert f">{ref}<" in html, (language, ref)
        if words:
            assert [text.index(w) for w in words] == sorted(text.index(w) for w in words)
            assert "（另有 1 项在上周之前已完成，这里不再列出）" in text
            assert "已逾期 7 个工作日" in text
        else:
            assert "[Due later]" in text and "7 working days overdue" in text
            assert "(1 more closed before last week, not listed)" in text


def test_names_not_addresses_where_a_name_is_known(app: App, clock: FixedClock) -> None:
    one_of_each(app, clock)
    at_day(clock, MONDAY)
    run_digest(app, clock.now())
    mail = next(m for m in digest_mails(app) if m.to_address == "liu.yang@corp.example")
    text = mail.body_text or ""
    assert "负责人：研发部 钱七　完成时限：2027年1月15日" in text  # the directory's name
    assert "（由主持人 李娜 处理）" in text and "验收人：李娜" in text
    assert "负责人：销售部 赵敏　新完成时限" in text
    assert "<zhao.min@corp.example>" not in text and "<li.na@corp.example>" not in text
    assert "钱七" in (mail.body_html or "") and "qian.qi@corp.example" not in (mail.body_html or "")


def test_a_head_sees_the_items_they_are_counted_for(app: App, clock: FixedClock) -> None:
    one_of_each(app, clock)
    at_day(clock, MONDAY)
    run_digest(app, clock.now())
    mail = next(m for m in digest_mails(app) if m.to_address == "rd.head@corp.example")
    (meeting,) = mail.context["meetings"]
    assert meeting["scope"] == ["研发部"] and meeting["total"] == 3
    listed = [r["ref"] for name in SECTIONS for r in meeting[name]]
    assert sorted(listed) == ["A-2", "A-7"] and meeting["closed_earlier"] == 1  # A-9, verified 12-08
    text = mail.body_text or ""
    assert "行动项 3 项：进行中 2、已验收 1" in text
    assert "【本周到期】\nA-2  " in text and "【后续到期】\nA-7  " in text
    assert "（另有 1 项在上周之前已完成，这里不再列出）" in text
    for other in ("A-1", "A-3", "A-4", "A-5", "A-6", "A-8", "A-11"):
        assert f"{other}  " not in text


def test_the_owner_and_the_verifier_find_theirs_above_not_again(app: App, clock: FixedClock) -> None:
    one_of_each(app, clock)
    at_day(clock, MONDAY)
    run_digest(app, clock.now())
    mails = {m.to_address: m for m in digest_mails(app)}
    # 孙磊 owns A-5 (objected) and, A-11 (delivered): the open one leads his mail.
    sun = mails["sun.lei@corp.example"]
    assert [r["ref"] for r in sun.context["mine"]] == ["A-5"]
    assert where(sun.context, "A-5") == ["mine"] and sun.context["meetings"][0]["yours"] == 1
    assert "（您的 1 项已列在上文，这里不再重复）" in (sun.body_text or "")
    # The host verifies A-6: in "待您验收", not again under the meeting.
    host = mails["li.na@corp.example"]
    assert where(host.context, "A-6") == ["to_verify"]
    assert (host.body_text or "").count("A-6  ") == 1
    # Nobody's mail lists an action twice.
    for mail in mails.values():
        refs = re.findall(r"^(A-\d+)  ", mail.body_text or "", flags=re.MULTILINE)
        assert len(refs) == len(set(refs)), mail.to_address


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_context_stored_before_the_new_sections_still_renders(app: App, language: str) -> None:
    """A digest decided before this change waits in the outbox with the old context's shape."""
    row = {"ref": "A-1", "description": "x", "owner": "a@corp.example", "owner_name": None, "department": None,
           "due": "2026-12-10", "overdue_days": 11, "escalated": False, "status": "accepted",
           "requester": "h@corp.example", "done_on": "2026-12-16", "objection_reason": None, "delay_reason": None}  # fmt: skip
    old = {name: [row] for name in ("overdue", "due_this_week", "delayed", "awaiting", "objections", "done",
                                     "acceptance")}  # fmt: skip
    old["overdue"] = [{k: v for k, v in row.items() if k != "status"}]
    meeting = {"ref": "M-1", "title": "t", "date": "2026-12-02", "status": "confirmed", "host": "h@corp.example",
               "scope": None, "counts": [], "overdue_count": 1, "total": 1, **old}  # fmt: skip
    context = {"today": "2026-12-21", "week": "2026-W52", "week_start": "2026-12-21", "week_end": "2026-12-27",
               "recipient": "x@corp.example", "mine": [], "to_verify": [], "meetings": [meeting],
               "overdue_total": 1, "mine_overdue": 0, "meeting_language": "zh", "token": None,
               "bot_address": "minutes@corp.example", "bot_name": "Mailbot", "docs_url": ""}  # fmt: skip
    text, html = app.renderer.render_body("digest", language, context)
    assert "a@corp.example" in text and "h@corp.example" in html


def test_done_last_week_is_a_function_of_the_day(app: App, clock: FixedClock) -> None:
    """A week later, last week's deliveries are closed earlier: counted, no longer listed."""
    one_of_each(app, clock)
    with app.db.session() as session:
        context = build_digest(session, app, "liu.yang@corp.example", MONDAY + timedelta(days=7))
    assert context is not None
    (meeting,) = context["meetings"]
    assert meeting["done"] == [] and meeting["closed_earlier"] == 3


def test_every_new_field_renders_inert(app: App, clock: FixedClock) -> None:
    """Names, reasons and descriptions people wrote, in every section (the new ones too): shown
    as text in the HTML, never as markup."""
    hostile = "<img src=x onerror=alert(1)><b>X</b>"
    one_of_each(app, clock)
    with app.db.transaction() as session:
        for action in session.query(ActionItem):
            action.description, action.owner_name, action.department = hostile, hostile, hostile
        meeting = session.get(Meeting, 1)
        assert meeting is not None
        meeting.names = {**meeting.names, "li.na@corp.example": hostile}
    at_day(clock, MONDAY)
    run_digest(app, clock.now())
    mail = next(m for m in digest_mails(app) if m.to_address == "liu.yang@corp.example")
    assert all(mail.context["meetings"][0][name] for name in SECTIONS)
    for language in ("zh", "en"):
        _, html = app.renderer.render_body("digest", language, mail.context)
        assert "<img" not in html and "<b>X" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
