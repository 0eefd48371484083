"""A reminder says the day it is: never "today" about another day.

The clock moves across the days as the daemon's would (a tick just after midnight, when a round
closes, and one at the sending hours' opening); every mail each person gets is counted, and the
reminders' subject and first line read back word for word.

- The due-day moment missed (the action taken on by silence only that night, or the bot down on
  the day) and caught up the day after: one mail, worded as overdue — not "[Due today]" a day late.
- A due date on a Sunday or a holiday: the due-day reminder goes the working day before and says
  so (the due date, not a working day, today the last working day); the "before" reminder goes N
  working days before that one and counts the working days left correctly.
- A normal working-day due date: as before.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from mailbot.app import App
from mailbot.cli import run_deadlines
from mailbot.clock import FixedClock
from mailbot.pipeline import process
from mailbot.store.models import OutboxMail
from mailbot.workflow.reminders import latest_reminder, reminder_facts
from tests.helpers import SHANGHAI, actions, at, outbox
from tests.hostile import action, draft_body
from tests.replying import reply

ZHANG = "zhang.wei@corp.example"
ZHAO = "zhao.min@corp.example"
HOST = "li.na@corp.example"
RECORDER = "wang.fang@corp.example"


def draft_zh(app: App, day: str, *items: str) -> None:
    draft = EmailMessage()
    draft["From"] = "王芳 <wang.fang@corp.example>"
    draft["To"] = "minutes@corp.example"
    draft["Subject"] = "【纪要】渠道季度复盘会"
    draft["Date"] = format_datetime(app.now())
    draft["Message-ID"] = make_msgid(domain="corp.example")
    draft.set_content(draft_body("渠道季度复盘会", list(items), day=day))
    assert process(app, draft.as_bytes()).outcome == "processed"


def draft_en(app: App, day: str, due: str) -> None:
    message = EmailMessage()
    message["From"] = "Wang Fang <wang.fang@corp.example>"
    message["To"] = f"minutes@corp.example, Zhang Wei <{ZHANG}>"
    message["Subject"] = "[Minutes] Launch check"
    message["Message-ID"] = make_msgid(domain="corp.example")
    message.set_content(
        f"Meeting: Launch check\nDate: {day}\nHost: Li Na <li.na@corp.example>\n\n"
        f"Action items:\n- Ship the campaign; owner: Zhang Wei <{ZHANG}>; due: {due}\n"
    )
    assert process(app, message.as_bytes()).outcome == "processed"


def run_days(app: App, clock: FixedClock, first: date, last: date, down: tuple[date, ...] = ()) -> list[OutboxMail]:
    """Tick at 00:05 and 09:01 every day from `first` to `last` (not on the `down` days); the mails
    decided meanwhile, in order."""
    seen = {m.id for m in outbox(app)}
    day = first
    while day <= last:
        if day not in down:
            for hour, minute in ((0, 5), (9, 1)):
                clock.set(datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI))
                run_deadlines(app)
                run_deadlines(app)  # a second tick decides nothing new
        day += timedelta(days=1)
    return [m for m in outbox(app) if m.id not in seen]


def reminders(mails: list[OutboxMail]) -> list[tuple[str, str, str, str]]:
    """(day decided, recipient, subject without the token, first line) of each reminder."""
    found = []
    for mail in mails:
        if mail.kind == "reminder":
            subject = mail.subject.split(" [#")[0]
            first = next(line for line in mail.body_text.splitlines() if line.startswith(("您好", "Hello")))
            found.append((mail.created_at.astimezone(SHANGHAI).date().isoformat(), mail.to_address, subject, first))
    return found


def per_person(mails: list[OutboxMail]) -> Counter[tuple[str, str]]:
    return Counter((m.to_address, m.kind) for m in mails)


def mondays(owner: str, weeks: int) -> Counter[tuple[str, str]]:
    """The Monday status each week, to the host, the recorder and the owner."""
    return Counter({(to, "digest"): weeks for to in (HOST, RECORDER, owner)})


def no_stale_today(mails: list[OutboxMail]) -> None:
    for mail in mails:
        if mail.kind != "reminder":
            continue
        sent_on = mail.created_at.astimezone(SHANGHAI).date()
        says_today = "今天到期" in mail.subject or "[Due today]" in mail.subject
        if says_today:
            assert mail.context["action"]["due"] == sent_on.isoformat(), mail.subject


# --- (a) the due-day moment missed --------------------------------------------------------------


def test_taken_on_by_silence_the_night_after_the_due_date_one_overdue_mail_not_due_today(
    app: App, clock: FixedClock
) -> None:
    # Tue 12-08 18:00: the round runs to the end of Thu 12-10, the action's own due date. Its owner
    # never answers: the action is hers at 00:05 on Fri 12-11 — when the due-day moment has passed.
    at(clock, "2026-12-08 18:00")
    draft_zh(app, "2026-12-08", action("整理渠道销量数据", f"销售部 赵敏 <{ZHAO}>", due="2026-12-10"))
    mails = run_days(app, clock, date(2026, 12, 9), date(2026, 12, 16))
    assert actions(app)[0].consent == "silent"
    assert reminders(mails) == [
        ("2026-12-11", ZHAO, "【已逾期 1 个工作日】A-1 整理渠道销量数据",
         "您好，您负责的行动项已逾期 1 个工作日（完成时限 2026年12月10日（周四））："),
        ("2026-12-15", ZHAO, "【已逾期 3 个工作日】A-1 整理渠道销量数据",
         "您好，您负责的行动项已逾期 3 个工作日（完成时限 2026年12月10日（周四））："),
    ]  # fmt: skip
    # The round's close: the final minutes to everyone (at the opening, as the reminder); one
    # reminder that morning, not a stale "due today" and no second one.
    assert per_person(mails) == mondays(ZHAO, 1) + Counter(
        {(HOST, "final_minutes"): 1, (RECORDER, "final_minutes"): 1, (ZHAO, "final_minutes"): 1, (ZHAO, "reminder"): 2}
    )
    assert not any("今天" in m.subject for m in mails if m.kind == "reminder")


def test_the_bot_down_on_the_due_day_the_next_morning_says_overdue_in_english(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    draft_en(app, "2026-12-02", "2026-12-10")  # Thu; the round closes at the end of Fri 12-04
    run_days(app, clock, date(2026, 12, 3), date(2026, 12, 9))
    mails = run_days(app, clock, date(2026, 12, 10), date(2026, 12, 11), down=(date(2026, 12, 10),))
    assert reminders(mails) == [
        ("2026-12-11", ZHANG, "[1 working day overdue] A-1 Ship the campaign",
         "Hello, your action is 1 working day overdue (due Thu 10 Dec 2026):"),
    ]  # fmt: skip
    assert per_person(mails) == Counter({(ZHANG, "reminder"): 1})


def test_a_before_moment_caught_up_a_day_late_counts_from_that_day(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    draft_en(app, "2026-12-02", "2026-12-10")
    run_days(app, clock, date(2026, 12, 3), date(2026, 12, 7))
    # Down on Tue 12-08 (the "before" moment): Wed 12-09 sends it, one working day left.
    mails = run_days(app, clock, date(2026, 12, 8), date(2026, 12, 10), down=(date(2026, 12, 8),))
    assert [(d, s, line) for d, to, s, line in reminders(mails)] == [
        ("2026-12-09", "[Reminder] A-1 is due Thu 10 Dec 2026",
         "Hello, your action is due on Thu 10 Dec 2026, 1 working day from today:"),
        ("2026-12-10", "[Due today] A-1 Ship the campaign", "Hello, your action is due today (Thu 10 Dec 2026):"),
    ]  # fmt: skip


def test_a_friday_due_date_missed_is_skipped_on_monday_not_sent_as_today(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    draft_en(app, "2026-12-02", "2026-12-11")  # Fri
    run_days(app, clock, date(2026, 12, 3), date(2026, 12, 10))
    mails = run_days(app, clock, date(2026, 12, 11), date(2026, 12, 16), down=(date(2026, 12, 11),))
    # Mon 12-14 is 3 days after the moment (past the 1-day window): skipped, logged; then the
    # overdue reminder at 3 working days (Wed 12-16).
    assert [(d, s) for d, to, s, line in reminders(mails)] == [
        ("2026-12-16", "[3 working days overdue] A-1 Ship the campaign"),
    ]


# --- (b) a due date on a non-working day ---------------------------------------------------------


def test_due_on_a_sunday_the_friday_mail_says_sunday_and_the_before_mail_counts_two_days(
    app: App, clock: FixedClock
) -> None:
    at(clock, "2026-12-08 18:00")
    draft_zh(app, "2026-12-08", action("制定销售培训计划", f"销售部 赵敏 <{ZHAO}>", due="2026-12-20"))
    run_days(app, clock, date(2026, 12, 9), date(2026, 12, 13))
    mails = run_days(app, clock, date(2026, 12, 14), date(2026, 12, 24))
    assert reminders(mails) == [
        ("2026-12-16", ZHAO, "【提醒】A-1 将于2026年12月20日（周日）到期",
         "您好，您负责的行动项将于 2026年12月20日（周日） 到期，当天不是工作日，"
         "到期前最后一个工作日为 2026年12月18日（周五），还有 2 个工作日："),
        ("2026-12-18", ZHAO, "【2026年12月20日（周日）到期】A-1 制定销售培训计划",
         "您好，您负责的行动项将于 2026年12月20日（周日） 到期，当天不是工作日；"
         "今天 2026年12月18日（周五） 是到期前最后一个工作日，请在今天下班前完成或回复延期："),
        # Mon 12-21, Tue 12-22, Wed 12-23: 3 working days after the Sunday.
        ("2026-12-23", ZHAO, "【已逾期 3 个工作日】A-1 制定销售培训计划",
         "您好，您负责的行动项已逾期 3 个工作日（完成时限 2026年12月20日（周日））："),
    ]  # fmt: skip
    assert per_person(mails) == mondays(ZHAO, 2) + Counter({(ZHAO, "reminder"): 3})
    friday = next(m for m in mails if m.kind == "reminder" and "到期】" in m.subject)
    assert "今天到期" not in friday.body_html
    assert "今天 2026年12月18日（周五） 是到期前最后一个工作日" in friday.body_html
    no_stale_today(mails)


def test_delayed_to_a_sunday_in_english(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    draft_en(app, "2026-12-02", "2026-12-11")
    at(clock, "2026-12-03 10:00")
    request = next(m for m in outbox(app, "confirm_request") if m.to_address == ZHANG)
    process(app, reply(app, request, "delay to 2026-12-20 because the venue moved"))
    assert actions(app)[0].due == date(2026, 12, 20)
    run_days(app, clock, date(2026, 12, 4), date(2026, 12, 13))
    mails = run_days(app, clock, date(2026, 12, 14), date(2026, 12, 21))
    assert [(d, s, line) for d, to, s, line in reminders(mails)] == [
        ("2026-12-16", "[Reminder] A-1 is due Sun 20 Dec 2026",
         "Hello, your action is due on Sun 20 Dec 2026, not a working day, so the last working day for it is "
         "Fri 18 Dec 2026, 2 working days from today:"),
        ("2026-12-18", "[Due Sun 20 Dec 2026] A-1 Ship the campaign",
         "Hello, your action is due on Sun 20 Dec 2026, not a working day, so today (Fri 18 Dec 2026) is the last "
         "working day for it; please finish it by the end of today or ask for a delay:"),
    ]  # fmt: skip
    assert per_person(mails) == mondays(ZHANG, 2) + Counter({(ZHANG, "reminder"): 2})


def test_due_on_new_years_day(app: App, clock: FixedClock) -> None:
    # Fri 2027-01-01 is a holiday: the last working day is Thu 12-31, two working days before it Tue 12-29.
    at(clock, "2026-12-21 18:00")
    draft_zh(app, "2026-12-21", action("提交年度总结", f"销售部 赵敏 <{ZHAO}>", due="2027-01-01"))
    run_days(app, clock, date(2026, 12, 22), date(2026, 12, 27))
    mails = run_days(app, clock, date(2026, 12, 28), date(2027, 1, 6))
    assert reminders(mails) == [
        ("2026-12-29", ZHAO, "【提醒】A-1 将于2027年1月1日（周五）到期",
         "您好，您负责的行动项将于 2027年1月1日（周五） 到期，当天不是工作日，"
         "到期前最后一个工作日为 2026年12月31日（周四），还有 2 个工作日："),
        ("2026-12-31", ZHAO, "【2027年1月1日（周五）到期】A-1 提交年度总结",
         "您好，您负责的行动项将于 2027年1月1日（周五） 到期，当天不是工作日；"
         "今天 2026年12月31日（周四） 是到期前最后一个工作日，请在今天下班前完成或回复延期："),
        ("2027-01-06", ZHAO, "【已逾期 3 个工作日】A-1 提交年度总结",
         "您好，您负责的行动项已逾期 3 个工作日（完成时限 2027年1月1日（周五））："),
    ]  # fmt: skip
    assert per_person(mails) == mondays(ZHAO, 2) + Counter({(ZHAO, "reminder"): 3})
    no_stale_today(mails)


def test_due_in_the_spring_festival_in_english(app: App, clock: FixedClock) -> None:
    # 2027: Fri 02-05 to Sun 02-14 off, Sun 01-31 a working day. Due Wed 02-10: the last working
    # day is Thu 02-04, two working days before it Tue 02-02.
    at(clock, "2027-01-18 18:00")
    draft_en(app, "2027-01-18", "2027-02-10")
    run_days(app, clock, date(2027, 1, 19), date(2027, 1, 31))
    mails = run_days(app, clock, date(2027, 2, 1), date(2027, 2, 17))
    assert [(d, s, line) for d, to, s, line in reminders(mails)] == [
        ("2027-02-02", "[Reminder] A-1 is due Wed 10 Feb 2027",
         "Hello, your action is due on Wed 10 Feb 2027, not a working day, so the last working day for it is "
         "Thu 4 Feb 2027, 2 working days from today:"),
        ("2027-02-04", "[Due Wed 10 Feb 2027] A-1 Ship the campaign",
         "Hello, your action is due on Wed 10 Feb 2027, not a working day, so today (Thu 4 Feb 2027) is the last "
         "working day for it; please finish it by the end of today or ask for a delay:"),
        # Mon 02-15, Tue 02-16, Wed 02-17.
        ("2027-02-17", "[3 working days overdue] A-1 Ship the campaign",
         "Hello, your action is 3 working days overdue (due Wed 10 Feb 2027):"),
    ]  # fmt: skip
    # Mondays 02-01 and 02-15 (the week of 02-08 is off entirely: no status mail that week).
    assert per_person(mails) == mondays(ZHANG, 2) + Counter({(ZHANG, "reminder"): 3})


# --- a normal working-day due date: as before -----------------------------------------------------


def test_a_working_day_due_date_before_today_and_overdue(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    draft_zh(app, "2026-12-02", action("整理渠道销量数据", f"销售部 赵敏 <{ZHAO}>", due="2026-12-10"))
    run_days(app, clock, date(2026, 12, 3), date(2026, 12, 6))
    mails = run_days(app, clock, date(2026, 12, 7), date(2026, 12, 16))
    assert reminders(mails) == [
        ("2026-12-08", ZHAO, "【提醒】A-1 将于2026年12月10日（周四）到期",
         "您好，您负责的行动项将于 2026年12月10日（周四） 到期，还有 2 个工作日："),
        ("2026-12-10", ZHAO, "【今天到期】A-1 整理渠道销量数据", "您好，您负责的行动项今天（2026年12月10日（周四））到期："),
        ("2026-12-15", ZHAO, "【已逾期 3 个工作日】A-1 整理渠道销量数据",
         "您好，您负责的行动项已逾期 3 个工作日（完成时限 2026年12月10日（周四））："),
    ]  # fmt: skip
    assert per_person(mails) == mondays(ZHAO, 2) + Counter({(ZHAO, "reminder"): 3})
    no_stale_today(mails)


# --- the facts, day by day -------------------------------------------------------------------------


def test_every_day_around_a_sunday_due_date_is_worded_for_that_day(app: App) -> None:
    due = date(2026, 12, 20)
    worded = {}
    for offset in range(-6, 4):
        today = due + timedelta(days=offset)
        facts = reminder_facts(app.calendar, due, today)
        worded[today.isoformat()] = (facts["when"], facts["days_left"], facts["overdue_days"])
    assert worded == {
        "2026-12-14": ("before", 4, 0), "2026-12-15": ("before", 3, 0), "2026-12-16": ("before", 2, 0),
        "2026-12-17": ("before", 1, 0), "2026-12-18": ("last_day", 0, 0), "2026-12-19": ("before", 0, 0),
        "2026-12-20": ("due", 0, 0), "2026-12-21": ("overdue", 0, 1), "2026-12-22": ("overdue", 0, 2),
        "2026-12-23": ("overdue", 0, 3),
    }  # fmt: skip
    assert latest_reminder(app, due, date(2026, 12, 15)) is None
    assert latest_reminder(app, due, date(2026, 12, 16)) == ("before", date(2026, 12, 16))
    assert latest_reminder(app, due, date(2026, 12, 18)) == ("due", date(2026, 12, 18))
