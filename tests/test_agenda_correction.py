"""A corrected agenda (issue 13, item 4: a repeat mail says what changed and who changed it).

The host sends the Foxmail agenda, then a correction from her phone: the meeting moves an hour
later to another room and 朱镕 is no longer needed. Everyone still invited gets one notice saying
what changed, by whom, with the same calendar entry updated; 朱镕 gets one mail saying she need
not come, with a cancellation her calendar applies; nobody else gets anything.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime

from icalendar import Calendar

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.outbox import build_message
from mailbot.pipeline import process
from tests.helpers import at, feed, outbox

HOST, RECORDER, DROPPED = "li.na@corp.example", "wang.fang@corp.example", "zhu.rong@corp.example"
STILL_INVITED = {"zhang.wei", "chen.zhe", "liu.yang", "zhao.min", "sun.lei", "zhou.ting", "wang.fang"}


def correction(app: App, finance: str = "财务部 周婷") -> bytes:
    mail = EmailMessage()
    mail["From"] = f"李娜 <{HOST}>"
    mail["To"] = ", ".join(f"{n}@corp.example" for n in sorted(STILL_INVITED - {"wang.fang"}))
    mail["Cc"] = RECORDER
    mail["Subject"] = "[议程] Q1 新品上市跨部门协作会 12月2日（更正）"
    mail["Date"] = format_datetime(app.now())
    mail["Message-ID"] = "<correction-1@corp.example>"
    mail.set_content(
        "各位：会议改到下午三点，换了会议室，财务部朱镕不用参加了。\n\n"
        "会议名称：Q1 新品上市跨部门协作会\n"
        "会议时间：2026年12月2日 15:00-17:00\n"
        "会议地点：总部5楼大会议室\n"
        "主持人：市场部 李娜 <li.na@corp.example>\n"
        "记录人：行政部 王芳 <wang.fang@corp.example>\n"
        "参会人员：市场部 张伟；研发部 陈喆、刘洋；销售部 赵敏、孙磊；" + finance + "\n"
        "会议目标：确定 Q1 新品上市的市场推广、技术支持、销售培训及预算分配协作方案\n\n"
        "发自我的iPhone\n"
    )
    return mail.as_bytes()


def calendar_of(app: App, row: object) -> tuple[str, Calendar]:
    message = build_message(row, app.sender, app.now())  # type: ignore[arg-type]
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return str(part.get_param("method")), Calendar.from_ical(part.get_content())


def test_a_corrected_agenda_says_what_changed_and_cancels_for_whoever_it_drops(app: App, clock: FixedClock) -> None:
    at(clock, "2026-11-30 09:20")
    assert feed(app, "foxmail_zh_agenda_gbk.eml").outcome == "processed"
    first = {m.to_address for m in outbox(app)}
    assert DROPPED in first
    at(clock, "2026-11-30 11:00")
    before = {m.id for m in outbox(app)}
    assert process(app, correction(app)).outcome == "processed"
    new = [m for m in outbox(app) if m.id not in before]

    # One mail per person: the host her acknowledgement, each attendee still invited a notice,
    # 朱镕 a cancellation.
    by_person = {m.to_address: m.kind for m in new}
    assert len(by_person) == len(new)
    assert by_person == {
        HOST: "agenda_ack",
        DROPPED: "agenda_cancel",
        **{f"{n}@corp.example": "agenda_notice" for n in STILL_INVITED},
    }

    notice = next(m for m in new if m.to_address == "zhang.wei@corp.example")
    assert notice.subject.startswith("【会议变更】Q1 新品上市跨部门协作会（2026年12月2日（周三） 15:00）")
    text = notice.body_text or ""
    assert "李娜 <li.na@corp.example> 更新了这次会议的议程" in text
    assert "- 开始时间：14:00 → 15:00" in text and "- 结束时间：16:00 → 17:00" in text
    assert "- 会议地点：总部3楼第一会议室（线上：腾讯会议 123-456-789） → 总部5楼大会议室" in text
    assert "会议日期" not in text.split("更新后的会议信息")[0]  # the day did not change
    assert "14:00 → 15:00" in (notice.body_html or "")
    method, ics = calendar_of(app, notice)
    (event,) = ics.walk("VEVENT")
    assert method == "REQUEST" and str(event["uid"]) == "M-1@corp.example" and int(event["sequence"]) > 0
    assert DROPPED not in ics.to_ical().decode()

    cancel = next(m for m in new if m.to_address == DROPPED)
    assert cancel.subject == "【会议变更】Q1 新品上市跨部门协作会（2026年12月2日（周三））：您不在更新后的参会名单中"
    assert "更新后的参会名单中已没有您，您无需参加" in (cancel.body_text or "")
    assert "会议时间：2026年12月2日（周三） 14:00-16:00" in (cancel.body_text or "")  # as her calendar had it
    assert "请在此线以上回复" not in (cancel.body_text or "")  # nothing to answer
    method, ics = calendar_of(app, cancel)
    (event,) = ics.walk("VEVENT")
    assert method == "CANCEL" and str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == "M-1@corp.example"  # the entry her calendar already holds
    assert [
        str(a) for a in ([event["attendee"]] if not isinstance(event["attendee"], list) else event["attendee"])
    ] == [f"mailto:{DROPPED}"]


def test_a_correction_that_adds_someone_invites_them_plainly(app: App, clock: FixedClock) -> None:
    """Somebody new to the meeting is invited; nothing "changed" for them."""
    at(clock, "2026-11-30 09:20")
    feed(app, "foxmail_zh_agenda_gbk.eml")
    at(clock, "2026-11-30 11:00")
    raw = correction(app, "财务部 周婷、朱镕 <zhu.rong@corp.example>、新人 <xin.ren@corp.example>")
    before = {m.id for m in outbox(app)}
    assert process(app, raw).outcome == "processed"
    new = {m.to_address: m for m in outbox(app) if m.id not in before}
    assert new["xin.ren@corp.example"].subject.startswith("【会议通知】")
    assert "您受邀参加以下会议" in (new["xin.ren@corp.example"].body_text or "")
    assert new[DROPPED].kind == "agenda_notice" and new[DROPPED].subject.startswith("【会议变更】")
