"""Calendar files people can import (mailbot/calendar_files.py): the meeting as an invitation
(METHOD:REQUEST, VTIMEZONE, ORGANIZER, ATTENDEE), the due dates as all-day events Outlook and
Google Calendar import, and VTODOs whose status is the action's (done awaiting 验收 is not
COMPLETED). Every file is read back with icalendar and held to RFC 5545's basics: CRLF, lines
folded at 75 octets, VERSION and PRODID, a UID and a UTC DTSTAMP per component, every TZID defined.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from mailbot.app import App
from mailbot.calendar_files import action_todos, meeting_event, todo_status
from mailbot.clock import FixedClock
from mailbot.outbox import build_message
from mailbot.pipeline import process
from mailbot.store.models import OutboxMail
from mailbot.workflow.consent import run_consent_deadlines
from tests.helpers import at, feed, outbox
from tests.replying import reply

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 30, 9, 20, tzinfo=SHANGHAI)
DOMAIN = "corp.example"
HOST, RECORDER = "li.na@corp.example", "wang.fang@corp.example"

MEETING: dict[str, Any] = {
    "ref": "M-1", "title": "Q1 新品上市跨部门协作会", "project": None, "date": "2026-12-02", "start_time": "14:00",
    "end_time": "16:00", "place": "总部3楼第一会议室（线上：腾讯会议 123-456-789）", "host": HOST, "recorder": RECORDER,
    "goal": "明确 Q1 新品上市涉及的市场推广、技术支持、销售培训与预算分配的跨部门协作方案",
    "attendees": [HOST, "zhang.wei@corp.example", "chen.zhe@corp.example"],
    "names": {HOST: "李娜", RECORDER: "王芳", "zhang.wei@corp.example": "张伟"},
    "attendees_text": "", "absent_text": "研发部 刘洋（客户拜访）", "confirm_by": None, "status": "scheduled",
    "language": "zh", "sequence": 0,
    "topics": [{"number": "1", "name": "产品推广与技术支持协作流程", "owner": "李娜", "planned": 30},
               {"number": "2", "name": "销售提成预算分配方案", "owner": "赵敏", "planned": 45}],
    "decisions": [],
}  # fmt: skip


def action(ref: str, status: str, **more: Any) -> dict[str, Any]:
    return {
        "ref": ref, "description": "输出新品推广活动方案初稿", "owner": "zhang.wei@corp.example", "owner_name": "张伟",
        "department": "市场部", "support": "研发部", "due": "2026-12-15", "due_text": "", "due_provisional": False,
        "deliverable": "方案初稿 PDF", "status": status, "consent": "explicit", "requester": HOST,
        "requester_name": None, "sequence": 0, **more,
    }  # fmt: skip


def attached(app: App, row: OutboxMail) -> list[tuple[str | None, str, bytes]]:
    """The files of a decided mail as it goes out (built at send time from the row's recipe):
    (filename, content type with its method, bytes)."""
    message = build_message(row, app.sender, app.now())
    return [
        (part.get_filename(), part.get("Content-Type", ""), part.get_payload(decode=True))
        for part in message.iter_attachments()
    ]


def rfc5545(data: bytes) -> Calendar:
    """The basics every importer relies on, then the file read back."""
    assert data.endswith(b"\r\n")
    lines = data.split(b"\r\n")[:-1]
    assert b"\n" not in b"".join(lines), "bare LF"
    for line in lines:
        assert len(line) <= 75, f"not folded: {line!r}"
        line.decode("utf-8")  # a fold never splits a character
    unfolded = data.replace(b"\r\n ", b"").replace(b"\r\n\t", b"").split(b"\r\n")[:-1]
    assert unfolded[0] == b"BEGIN:VCALENDAR" and unfolded[-1] == b"END:VCALENDAR"
    begins = [line[6:] for line in unfolded if line.startswith(b"BEGIN:")]
    ends = [line[4:] for line in unfolded if line.startswith(b"END:")]
    assert sorted(begins) == sorted(ends)
    calendar = Calendar.from_ical(data)
    assert str(calendar["version"]) == "2.0" and calendar.get("prodid")
    defined = {str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")}
    for component in (*calendar.walk("VEVENT"), *calendar.walk("VTODO")):
        assert component.get("uid"), component
        assert component.decoded("dtstamp").tzinfo is not None
        assert component["dtstamp"].to_ical().endswith(b"Z")  # UTC, as RFC 5545 3.8.7.2 requires
        for name in ("dtstart", "dtend", "due"):
            tzid = component[name].params.get("TZID") if name in component else None
            assert tzid is None or tzid in defined, f"{name}: TZID {tzid} without its VTIMEZONE"
    return calendar


# The meeting invitation ----------------------------------------------------------------------------


def test_the_meeting_is_an_invitation_with_its_time_zone_organizer_and_attendees() -> None:
    data = meeting_event({**MEETING, "sequence": 7}, DOMAIN, SHANGHAI, NOW, sender="minutes@corp.example")
    calendar = rfc5545(data)
    assert str(calendar["method"]) == "REQUEST"
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["tzid"]) == "Asia/Shanghai"
    (standard,) = zone.walk("STANDARD")
    assert standard.decoded("tzoffsetto") == timedelta(hours=8)
    (event,) = calendar.walk("VEVENT")
    assert b"DTSTART;TZID=Asia/Shanghai:20261202T140000\r\n" in data
    assert event.decoded("dtstart") == datetime(2026, 12, 2, 14, 0, tzinfo=SHANGHAI)
    assert event.decoded("dtend") == datetime(2026, 12, 2, 16, 0, tzinfo=SHANGHAI)
    assert event.decoded("dtstamp") == datetime(2026, 11, 30, 1, 20, tzinfo=UTC)
    assert (str(event["uid"]), event["sequence"]) == ("M-1@corp.example", 7)
    assert str(event["location"]) == MEETING["place"] and str(event["status"]) == "CONFIRMED"
    organizer = event["organizer"]
    assert str(organizer) == "mailto:li.na@corp.example"
    assert organizer.params["CN"] == "李娜" and organizer.params["SENT-BY"] == "mailto:minutes@corp.example"
    attendees = {str(a): a.params for a in event["attendee"]}
    # The host (named among the attendees too) once, as CHAIR; the recorder, though not named there.
    assert list(attendees) == [
        "mailto:li.na@corp.example", "mailto:wang.fang@corp.example", "mailto:zhang.wei@corp.example",
        "mailto:chen.zhe@corp.example",
    ]  # fmt: skip
    assert dict(attendees["mailto:li.na@corp.example"]) == {
        "CN": "李娜", "CUTYPE": "INDIVIDUAL", "ROLE": "CHAIR", "PARTSTAT": "ACCEPTED", "RSVP": "FALSE",
    }  # fmt: skip
    assert dict(attendees["mailto:zhang.wei@corp.example"]) == {
        "CN": "张伟", "CUTYPE": "INDIVIDUAL", "ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE",
    }  # fmt: skip
    assert "CN" not in attendees["mailto:chen.zhe@corp.example"]  # no name given: the address alone
    description = str(event["description"])
    assert "会议目标：明确 Q1 新品上市" in description and "  1. 产品推广与技术支持协作流程 (李娜)" in description
    assert "缺席人员及原因：研发部 刘洋（客户拜访）" in description


def test_without_the_bots_address_the_organizer_is_the_host_alone_and_without_a_host_the_recorder() -> None:
    (event,) = Calendar.from_ical(meeting_event(MEETING, DOMAIN, SHANGHAI, NOW)).walk("VEVENT")
    assert "SENT-BY" not in event["organizer"].params
    (event,) = Calendar.from_ical(meeting_event({**MEETING, "host": None}, DOMAIN, SHANGHAI, NOW)).walk("VEVENT")
    assert str(event["organizer"]) == "mailto:wang.fang@corp.example"
    assert all(a.params["ROLE"] == "REQ-PARTICIPANT" for a in event["attendee"])


def test_nobody_to_invite_makes_a_plain_published_entry() -> None:
    lone = {**MEETING, "host": None, "recorder": None, "attendees": []}
    calendar = rfc5545(meeting_event(lone, DOMAIN, SHANGHAI, NOW))
    assert str(calendar["method"]) == "PUBLISH"  # REQUEST needs an ORGANIZER (RFC 5546)
    (event,) = calendar.walk("VEVENT")
    assert "organizer" not in event and "attendee" not in event


def test_a_meeting_without_times_is_an_all_day_event_without_a_time_zone() -> None:
    data = meeting_event({**MEETING, "start_time": None, "end_time": None}, DOMAIN, SHANGHAI, NOW)
    calendar = rfc5545(data)
    assert calendar.walk("VTIMEZONE") == []
    (event,) = calendar.walk("VEVENT")
    assert b"DTSTART;VALUE=DATE:20261202\r\n" in data
    assert (event.decoded("dtstart"), event.decoded("dtend")) == (date(2026, 12, 2), date(2026, 12, 3))


@pytest.mark.parametrize(
    ("start", "end", "expected_end"),
    [
        ("14:00", None, datetime(2026, 12, 2, 15, 15, tzinfo=SHANGHAI)),  # the topics' 30 + 45 minutes
        ("23:00", "01:00", datetime(2026, 12, 3, 1, 0, tzinfo=SHANGHAI)),  # past midnight
    ],
)
def test_the_end_of_a_meeting(start: str, end: str | None, expected_end: datetime) -> None:
    data = meeting_event({**MEETING, "start_time": start, "end_time": end}, DOMAIN, SHANGHAI, NOW)
    (event,) = rfc5545(data).walk("VEVENT")
    assert event.decoded("dtend") == expected_end


def test_another_time_zone_gets_its_own_definition_with_daylight_saving() -> None:
    new_york = ZoneInfo("America/New_York")
    calendar = rfc5545(meeting_event(MEETING, DOMAIN, new_york, NOW))
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["tzid"]) == "America/New_York" and zone.walk("DAYLIGHT")
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == datetime(2026, 12, 2, 14, 0, tzinfo=new_york)


def test_the_agenda_sends_the_invitation_and_a_corrected_agenda_updates_the_same_entry(
    app: App, clock: FixedClock
) -> None:
    at(clock, "2026-11-30 09:20")
    assert feed(app, "foxmail_zh_agenda_gbk.eml").outcome == "processed"
    (ack,) = outbox(app, "agenda_ack")
    first = rfc5545(attached(app, ack)[0][2])
    assert str(first["method"]) == "REQUEST" and [str(z["tzid"]) for z in first.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    (event,) = first.walk("VEVENT")
    assert str(event["organizer"]) == "mailto:li.na@corp.example" and event["organizer"].params["CN"] == "李娜"
    invited = {str(a) for a in event["attendee"]}
    notices = outbox(app, "agenda_notice")
    assert {f"mailto:{n.to_address}" for n in notices} <= invited  # everyone notified is invited
    assert attached(app, notices[0])[0][2] == attached(app, ack)[0][2]

    corrected = EmailMessage()
    corrected["From"] = "李娜 <li.na@corp.example>"
    corrected["To"] = "minutes@corp.example"
    corrected["Subject"] = "[议程] Q1 新品上市跨部门协作会（改时间）"
    corrected["Date"] = format_datetime(app.now())
    corrected["Message-ID"] = make_msgid(domain="client.example")
    corrected.set_content(
        "会议名称：Q1 新品上市跨部门协作会\n会议日期：2026-12-02\n会议时间：15:00-17:00\n会议地点：总部5楼大会议室\n"
        "主持人：市场部 李娜 <li.na@corp.example>\n记录人：行政部 王芳 <wang.fang@corp.example>\n"
        "参会人员：张伟 <zhang.wei@corp.example>、陈喆 <chen.zhe@corp.example>\n会议目标：明确协作方案\n\n"
        "议程：\n1. 产品推广与技术支持协作流程（负责人：李娜，30分钟）\n"
    )
    at(clock, "2026-11-30 15:00")
    assert process(app, corrected.as_bytes()).outcome == "processed"
    ack2 = outbox(app, "agenda_ack")[-1]
    (updated,) = rfc5545(attached(app, ack2)[0][2]).walk("VEVENT")
    assert str(updated["uid"]) == str(event["uid"]) == "M-1@corp.example"  # the same entry…
    assert updated["sequence"] > event["sequence"]  # …updated, not a second one
    assert updated.decoded("dtstart") == datetime(2026, 12, 2, 15, 0, tzinfo=SHANGHAI)
    assert str(updated["location"]) == "总部5楼大会议室"


# The due dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "more", "todo", "word"),
    [
        ("awaiting_confirmation", {}, "NEEDS-ACTION", "待确认"),
        ("accepted", {}, "NEEDS-ACTION", "已确认"),
        ("in_progress", {}, "IN-PROCESS", "进行中"),
        ("delayed", {"delay_reason": "等待供应商样机"}, "NEEDS-ACTION", "已延期"),
        ("done", {}, "IN-PROCESS", "已完成，待验收"),  # delivered, not yet verified: not COMPLETED
        ("done", {"requester": None}, "COMPLETED", "已完成"),  # nobody verifies: done is final
        ("verified", {}, "COMPLETED", "已验收"),
        ("cancelled", {}, "CANCELLED", "已取消"),
    ],
)
def test_each_due_date_is_an_all_day_event_and_a_task_with_the_actions_state(
    status: str, more: dict[str, Any], todo: str, word: str
) -> None:
    data = action_todos([action("A-1", status, sequence=42, **more)], MEETING, DOMAIN, NOW)
    calendar = rfc5545(data)
    assert str(calendar["method"]) == "PUBLISH"
    (event,) = calendar.walk("VEVENT")
    assert str(event["uid"]) == "A-1.due@corp.example" and event["sequence"] == 42
    assert b"DTSTART;VALUE=DATE:20261215\r\n" in data and b"DTEND;VALUE=DATE:20261216\r\n" in data
    assert str(event["transp"]) == "TRANSPARENT"  # a deadline blocks no time
    assert str(event["summary"]) == f"截止：A-1 输出新品推广活动方案初稿 [{word}]"
    assert str(event["status"]) == ("CANCELLED" if status == "cancelled" else "CONFIRMED")
    description = str(event["description"])
    assert f"状态：{word}" in description and "负责人：市场部 张伟 <zhang.wei@corp.example>" in description
    assert "交付标准：方案初稿 PDF" in description and "会议：Q1 新品上市跨部门协作会 (M-1)" in description
    if status == "delayed":
        assert "延期原因：等待供应商样机" in description
    (task,) = calendar.walk("VTODO")
    assert str(task["uid"]) == "A-1@corp.example" and task.decoded("due") == date(2026, 12, 15)
    assert str(task["status"]) == todo == todo_status(action("A-1", status, **more))
    assert str(task["description"]) == description


def test_completed_work_says_when() -> None:
    verified = action("A-1", "verified", done_at="2026-12-03T02:00:00+00:00", verified_at="2026-12-04T03:00:00+00:00")
    (task,) = rfc5545(action_todos([verified], MEETING, DOMAIN, NOW)).walk("VTODO")
    assert task.decoded("completed") == datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    assert task["percent-complete"] == 100


def test_an_english_meeting_writes_english_words() -> None:
    data = action_todos([action("A-1", "done")], {**MEETING, "language": "en"}, DOMAIN, NOW)
    (event,) = rfc5545(data).walk("VEVENT")
    assert str(event["summary"]) == "Due: A-1 输出新品推广活动方案初稿 [done, awaiting verification]"
    assert "Verifier: 李娜 <li.na@corp.example>" in str(event["description"])


def test_long_and_hostile_text_is_folded_and_escaped() -> None:
    text = "跨部门；协作,\n方案\\" * 40
    data = action_todos([action("A-1", "accepted", description=text, deliverable=text)], MEETING, DOMAIN, NOW)
    calendar = rfc5545(data)
    (task,) = calendar.walk("VTODO")
    assert str(task["summary"]) == f"A-1 {text}"


def test_the_final_minutes_carry_the_due_dates_in_their_state(app: App, clock: FixedClock) -> None:
    """A-3 delivered and awaiting 验收 is IN-PROCESS, never COMPLETED; A-2 delayed has its new date."""
    at(clock, "2026-12-02 18:00")
    assert feed(app, "outlook_zh_minutes_gbk_html.eml").outcome == "processed"
    at(clock, "2026-12-03 10:00")
    requests = {m.to_address: m for m in outbox(app, "confirm_request")}
    process(app, reply(app, requests["zhao.min@corp.example"], "完成"))
    process(app, reply(app, requests["chen.zhe@corp.example"], "延期至 2026-12-20，原因：等待供应商样机"))
    at(clock, "2026-12-07 09:00")
    run_consent_deadlines(app, app.now())
    final = next(m for m in outbox(app, "final_minutes") if m.to_address == HOST)
    ((content_type, data),) = [(kind, data) for name, kind, data in attached(app, final) if name == "actions.ics"]
    assert content_type.startswith("text/calendar")
    calendar = rfc5545(data)
    tasks = {str(t["uid"]): t for t in calendar.walk("VTODO")}
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert str(tasks["A-3@corp.example"]["status"]) == "IN-PROCESS"
    assert str(events["A-3.due@corp.example"]["summary"]).endswith("[已完成，待验收]")
    assert events["A-2.due@corp.example"].decoded("dtstart") == date(2026, 12, 20)
    assert "延期原因：等待供应商样机" in str(events["A-2.due@corp.example"]["description"])
    assert {str(t["status"]) for uid, t in tasks.items() if uid != "A-3@corp.example"} == {"NEEDS-ACTION"}
    # The host's file holds every action; an owner's only their own; someone who owns none gets none.
    assert set(tasks) == {f"A-{n}@corp.example" for n in range(1, 5)}
    zhao = next(m for m in outbox(app, "final_minutes") if m.to_address == "zhao.min@corp.example")
    ((_, own),) = [(kind, data) for name, kind, data in attached(app, zhao) if name == "actions.ics"]
    assert {str(t["uid"]) for t in rfc5545(own).walk("VTODO")} == {"A-3@corp.example"}
    bystander = next(m for m in outbox(app, "final_minutes") if m.to_address == "liu.yang@corp.example")
    names = [name for name, _, _ in attached(app, bystander)]
    assert len(names) == 1 and names[0].endswith(".docx")
