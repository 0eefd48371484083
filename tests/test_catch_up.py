"""A bot catching up after a gap (a daemon down for a day, a cron that ran late) sends each person
the latest mail due, never every mail it missed in the same second. Found in a hand trial: at
16:35 the recorder got 【请交纪要】 twice, the second saying "这是第二次提醒，之后将告知主持人"."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select, update

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.daemon import run_deadlines
from mailbot.pipeline import process
from mailbot.store.models import Event, Meeting, OutboxMail, Person
from tests.helpers import actions, at, feed, outbox
from tests.replying import reply
from tests.test_acceptance import LINES
from tests.test_acceptance import minutes_mail as acceptance_minutes

HOST, RECORDER = "li.na@corp.example", "wang.fang@corp.example"
RECORDER_WHO = "王芳 <wang.fang@corp.example>"


def nudges(app: App) -> list[OutboxMail]:
    return outbox(app, "minutes_late")


def tick(app: App, clock: FixedClock, when: str) -> list[OutboxMail]:
    """Run every job at `when` (twice: a re-run decides nothing) and return the mails it decided."""
    seen = {m.id for m in outbox(app)}
    at(clock, when)
    run_deadlines(app)
    run_deadlines(app)
    return [m for m in outbox(app) if m.id not in seen]


@pytest.fixture
def agenda(app: App, clock: FixedClock) -> App:
    """The Foxmail agenda: Wed 12-02 14:00-16:00, recorder 王芳, host 李娜. The nudges' moments:
    the first Thu 12-03 16:00, the second Fri 12-04 16:00, the host Mon 12-07 16:00."""
    at(clock, "2026-11-30 09:20")
    feed(app, "foxmail_zh_agenda_gbk.eml")
    return app


def test_a_late_tick_nudges_the_recorder_once_with_what_is_true(agenda: App, clock: FixedClock) -> None:
    app = agenda
    assert tick(app, clock, "2026-12-03 10:00") == []  # not yet 24 hours after the meeting
    # Nothing ran on Thursday afternoon: by Friday 17:00 both nudges' moments have passed.
    (nudge,) = tick(app, clock, "2026-12-04 17:00")
    assert (nudge.to_address, nudge.subject.split(" [#")[0]) == (
        RECORDER,
        "【请交纪要】Q1 新品上市跨部门协作会（2026年12月2日（周三））",
    )
    body = nudge.body_text or ""
    # The first mail they get: not "the second reminder", and the host is still to come.
    assert "第二次提醒" not in body
    assert "目前还没有收到。如仍未收到，将告知主持人。" in body
    with app.db.session() as session:
        skipped = session.scalars(select(Event).where(Event.what == "minutes.late_skipped")).all()
        assert [(e.detail["step"], e.detail["to"]) for e in skipped] == [("first", RECORDER)]
    assert tick(app, clock, "2026-12-04 17:30") == []  # the passed-over nudge never comes later
    # The host is told that the recorder was reminded: once, not "twice".
    (told,) = tick(app, clock, "2026-12-07 17:00")
    assert told.to_address == HOST
    assert f"纪要初稿至今未收到，已提醒记录人 {RECORDER_WHO}。请跟进。" in (told.body_text or "")
    assert tick(app, clock, "2026-12-08 17:00") == []
    assert [m.to_address for m in nudges(app)] == [RECORDER, HOST]


def test_on_time_ticks_still_nudge_twice_then_tell_the_host(agenda: App, clock: FixedClock) -> None:
    app = agenda
    for when in ("2026-12-03 16:30", "2026-12-04 16:30", "2026-12-07 16:30"):
        assert len(tick(app, clock, when)) == 1, when
    first, again, host = (m.body_text or "" for m in nudges(app))
    assert "第二次提醒" not in first and "主持人" not in first
    assert "这是第二次提醒，之后将告知主持人。" in again
    assert f"已两次提醒记录人 {RECORDER_WHO}。请跟进。" in host


@pytest.mark.parametrize(
    ("language", "recorder_says", "host_says"),
    [
        ("zh", "目前还没有收到。主持人也已收到通知。", f"纪要初稿至今未收到，已提醒记录人 {RECORDER_WHO}。请跟进。"),
        ("en", "has not arrived yet. The host has been told too.",
         f"which you hosted; the recorder {RECORDER_WHO} has been reminded. Please follow up."),
    ],
)  # fmt: skip
def test_after_a_long_gap_the_recorder_and_the_host_hear_once_each(
    agenda: App, clock: FixedClock, language: str, recorder_says: str, host_says: str
) -> None:
    app = agenda
    with app.db.transaction() as session:
        session.execute(
            update(Person).where(Person.address.in_([HOST, RECORDER])).values(language=language,
                                                                                language_source="directory")
        )  # fmt: skip
    # Down from Wednesday's meeting to the next Tuesday: every nudge's moment has passed.
    decided = tick(app, clock, "2026-12-08 10:00")
    assert sorted(m.to_address for m in decided) == [HOST, RECORDER]
    by_to = {m.to_address: m.body_text or "" for m in decided}
    assert recorder_says in by_to[RECORDER]
    assert "second" not in by_to[RECORDER] and "第二次" not in by_to[RECORDER]
    assert host_says in by_to[HOST]
    assert "twice" not in by_to[HOST] and "两次" not in by_to[HOST]


def test_a_host_who_records_the_meeting_is_nudged_as_the_recorder_only(agenda: App, clock: FixedClock) -> None:
    app = agenda
    with app.db.transaction() as session:
        session.execute(update(Meeting).values(recorder_address=HOST))
    for when in ("2026-12-03 16:30", "2026-12-04 16:30", "2026-12-07 16:30", "2026-12-08 16:30"):
        tick(app, clock, when)
    # Twice, as the recorder; no third mail telling them, as host, that "the recorder" (they) was reminded.
    first, again = nudges(app)
    assert (first.to_address, again.to_address) == (HOST, HOST)
    assert all(m.subject.startswith("【请交纪要】") for m in (first, again))
    assert "这是第二次提醒，请尽快发出。" in (again.body_text or "")
    assert "主持人" not in (again.body_text or "")


def minutes_mail() -> bytes:
    """The 验收 tests' Foxmail minutes (GBK plain text): A-1 张伟 (需求方 赵敏) due Tue 12-15, A-2 陈喆
    due Fri 12-18, A-3 李娜 (the host) due Mon 12-21."""
    return acceptance_minutes(*LINES)


def test_after_a_gap_each_clock_mail_comes_once_per_person_and_action(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    assert process(app, minutes_mail()).outcome == "processed"
    at(clock, "2026-12-03 09:30")
    for request in outbox(app, "confirm_request"):
        assert process(app, reply(app, request, "确认")).outcome == "processed"
    at(clock, "2026-12-07 10:00")
    a2 = next(m for m in outbox(app, "confirm_request") if m.to_address == "chen.zhe@corp.example")
    assert process(app, reply(app, a2, "完成")).outcome == "processed"  # 验收 by the host from 12-09
    tick(app, clock, "2026-12-07 11:00")
    # Down for two and a half weeks, then one tick: A-1 7 working days overdue (reminders every 3
    # working days, the escalation after 5), A-3 3 overdue, A-2's 验收 reminders all passed.
    decided = tick(app, clock, "2026-12-24 09:00")
    about = Counter((m.to_address, m.kind, m.subject.split(" [#")[0].split("】")[-1].split(" ")[0]) for m in decided)
    assert about and max(about.values()) == 1, about
    assert {key for key in about if key[1] != "digest"} == {
        ("zhang.wei@corp.example", "reminder", "A-1"),  # the latest overdue moment, 12-24
        (HOST, "escalation", "A-1"),
        (HOST, "reminder", "A-3"),  # 12-24: 3 working days overdue
    }
    # This week's status mail, missed on Monday, comes now: one each.
    digests = [m.to_address for m in decided if m.kind == "digest"]
    assert digests and len(digests) == len(set(digests))
    # The 验收 reminders' last moment (12-17) is staler than the late window: logged, not sent.
    assert not [m for m in decided if m.kind == "acceptance_reminder"]
    assert {a.ref: a.status for a in actions(app)}["A-2"] == "done"
