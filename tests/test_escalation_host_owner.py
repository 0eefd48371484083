"""An overdue action its meeting's host owns is escalated too: to the heads of the owner's department
when the directory names them, else to the admin in the host's place. Found in a hand trial: A-8
(周婷, who hosted the meeting) was 6 working days overdue and nobody above her heard of it, while
the host was the only one an escalation would have gone to and the owner is never told of her own."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import update

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.config import load_config
from mailbot.pipeline import process
from mailbot.store.models import Meeting, Person
from tests.helpers import actions, at, outbox
from tests.replying import reply
from tests.test_catch_up import minutes_mail
from tests.test_reminders import run_days

HOST = "li.na@corp.example"  # hosts the meeting and owns A-3 (市场部, due Mon 12-21)
ADMIN = "it@corp.example"
HEAD = "mkt.head@corp.example"

# 5 working days after Mon 12-21: Tue 12-22 … Mon 12-28.
ESCALATED_ON = "2026-12-28"


@pytest.fixture
def with_admin(home: Path, clock: FixedClock) -> App:
    config = home / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('admin = ""', f'admin = "{ADMIN}"', 1),
                      encoding="utf-8")  # fmt: skip
    app = App.open(load_config(config), clock)
    yield app
    app.db.dispose()


def confirmed(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    assert process(app, minutes_mail()).outcome == "processed"
    at(clock, "2026-12-03 09:30")
    for request in outbox(app, "confirm_request"):
        assert process(app, reply(app, request, "确认")).outcome == "processed"


def directory(app: App, clock: FixedClock, address: str, name: str, **fields: str) -> None:
    with app.db.transaction() as session:
        session.add(Person(address=address, name=name, source="directory", created_at=clock.now(), **fields))


@pytest.mark.parametrize(
    ("language", "why", "commands", "directory_hint"),
    [
        ("zh", "您收到这封邮件，是因为负责人本人就是这次会议的主持人，而人员名录中没有市场部的负责人："
               "除您之外，没有人会收到这次逾期升级。请转告其上级；您也可以代主持人直接回复本邮件处理。",
         "您可以回复“A-3 改派 姓名”或“A-3 改期 日期”。", "登记其部门负责人（role 为 head）后，今后的升级会发给部门负责人"),
        ("en", "You get this mail because the owner is the meeting's host themselves and the people directory names "
               "no head of 市场部: nobody but you is told of this escalation. Please pass it on to the person "
               "they report to; you may also answer this mail in the host's place.",
         'You can reply "A-3 reassign NAME" or "A-3 reschedule DATE".', "names their department's head (role head)"),
    ],
)  # fmt: skip
def test_the_hosts_own_late_action_goes_to_the_admin_when_no_head_is_named(
    with_admin: App, clock: FixedClock, language: str, why: str, commands: str, directory_hint: str
) -> None:
    app = with_admin
    directory(app, clock, ADMIN, "IT", language=language, language_source="directory")
    confirmed(app, clock)
    decided = run_days(app, clock, date(2026, 12, 7), date(2026, 12, 29))
    about_a3 = [(d, k, to) for d, k, to, s in decided if "A-3 " in s]
    # The owner is reminded as any owner; the escalation goes to the admin, once, never to the owner.
    assert [(d, k, to) for d, k, to in about_a3 if k == "escalation"] == [(ESCALATED_ON, "escalation", ADMIN)]
    assert ("2026-12-24", "reminder", HOST) in about_a3
    # Another owner's escalation still goes to the host, not to the admin.
    assert [(k, to) for d, k, to, s in decided if "A-1" in s and k == "escalation"] == [("escalation", HOST)]

    (mail,) = [m for m in outbox(app, "escalation") if m.to_address == ADMIN]
    body = mail.body_text or ""
    assert why in body and commands in body and directory_hint in body
    # Its own paragraph, the usual suggestion after it.
    assert body.index(directory_hint) < body.index("\n\n", body.index(directory_hint)) < body.index(commands)
    assert ("主持人可回复" not in body) and ("The host can reply" not in body)
    # The admin may decide in the host's place: their copy has the host's one-click answers.
    assert "mailto:" in body.rsplit("\n--\n", 1)[0]

    # And the answer the mail suggests works when sent back as written.
    at(clock, "2026-12-28 11:00")
    line = "A-3 改期 2027-01-08" if language == "zh" else "A-3 reschedule 2027-01-08"
    assert process(app, reply(app, mail, line)).outcome == "processed"
    assert next(a for a in actions(app) if a.ref == "A-3").due == date(2027, 1, 8)


def test_a_head_of_the_hosts_department_hears_of_the_hosts_late_action(with_admin: App, clock: FixedClock) -> None:
    app = with_admin
    directory(app, clock, HEAD, "王总", department="市场部", role="head")
    confirmed(app, clock)
    decided = run_days(app, clock, date(2026, 12, 7), date(2026, 12, 29))
    escalated = [(d, to) for d, k, to, s in decided if k == "escalation" and "A-3" in s]
    assert escalated == [(ESCALATED_ON, HEAD)]  # someone above the owner: no need for the admin
    (mail,) = [m for m in outbox(app, "escalation") if m.to_address == HEAD and "A-3" in m.subject]
    body = mail.body_text or ""
    assert "负责人即本次会议的主持人，改派或改期由其本人回复“A-3 改派 姓名”或“A-3 改期 日期”。" in body
    assert "主持人可回复" not in body and "管理员" not in body and "您收到这封邮件" not in body
    assert "mailto:" not in body  # a head may not decide: no buttons that would be refused


@pytest.mark.parametrize(
    ("language", "says"),
    [("zh", "而人员名录中市场部的负责人只有其本人：除您之外，没有人会收到这次逾期升级。"),
     ("en", "the people directory names them as the only head of 市场部: nobody but you is told")],
)  # fmt: skip
def test_a_host_who_heads_their_own_department_is_escalated_to_the_admin(
    with_admin: App, clock: FixedClock, language: str, says: str
) -> None:
    app = with_admin
    directory(app, clock, ADMIN, "IT", language=language, language_source="directory")
    directory(app, clock, HOST, "李娜", department="市场部", role="head")
    confirmed(app, clock)
    decided = run_days(app, clock, date(2026, 12, 7), date(2026, 12, 29))
    assert [(d, to) for d, k, to, s in decided if k == "escalation" and "A-3 " in s] == [(ESCALATED_ON, ADMIN)]
    (mail,) = [m for m in outbox(app, "escalation") if m.to_address == ADMIN]
    body = mail.body_text or ""
    assert says in body
    assert "\n\n建议组织专项复盘会" in body or "\n\nConsider a special review meeting" in body
    assert "role" not in body  # naming a head in the directory would change nothing: not suggested


def test_without_a_host_an_owner_with_no_head_is_escalated_to_the_admin(with_admin: App, clock: FixedClock) -> None:
    app = with_admin
    confirmed(app, clock)
    with app.db.transaction() as session:
        session.execute(update(Meeting).values(host_address=None))
    decided = run_days(app, clock, date(2026, 12, 7), date(2026, 12, 22))
    # A-1 张伟, due 12-15: 5 working days overdue on 12-22; no host, no head of 市场部.
    assert [(d, to) for d, k, to, s in decided if k == "escalation"] == [("2026-12-22", ADMIN)]
    (mail,) = outbox(app, "escalation")
    assert "您收到这封邮件，是因为这次会议没有主持人，而人员名录中没有市场部的负责人" in (mail.body_text or "")
    assert "负责人本人就是这次会议的主持人" not in (mail.body_text or "")
