""" "我的任务" counts overdue in working days, as reminders and escalations do (issue 13, item 2):
an owner told "已逾期 4 天" on Monday and "3 个工作日" by the reminder would not know which to trust."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.pipeline import process
from tests.helpers import at, feed, outbox


def asks_status(app: App, words: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = "陈喆 <chen.zhe@corp.example>"
    mail["To"] = app.sender.address
    mail["Subject"] = words
    mail["Date"] = format_datetime(app.now())
    mail["Message-ID"] = "<status-1@corp.example>"
    mail.set_content(words + "\n\n陈喆\n研发部")
    return mail.as_bytes()


def test_the_status_answer_counts_working_days_overdue(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")  # A-2 陈喆, due Thu 12-10
    at(clock, "2026-12-14 10:00")  # Monday: Fri 12-11 and Mon 12-14 are past due, 4 calendar days
    assert process(app, asks_status(app, "我的任务")).outcome in ("processed", "answered")
    (answer,) = outbox(app, "status")
    assert "（已逾期 2 个工作日）" in (answer.body_text or "")
    assert "已逾期 2 个工作日" in (answer.body_html or "") and "4 天" not in (answer.body_html or "")
