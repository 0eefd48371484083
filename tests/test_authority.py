"""Who may change a meeting, whose names count, and where the bot may write (the trust issue,
points 3 and 4; reliability.md "Nobody acts where they don't belong").

- A new version or agenda of a meeting only from its recorder, its host or the sender of the
  version in force: a stranger naming M-1 is refused, a stranger with the same title and date
  starts a meeting of their own.
- Display names are learnt only from proven senders, never override the directory, and a name
  two addresses have carried resolves to nobody.
- The bot writes only to its own domain, `[trust] recipient_domains` and the directory's domains:
  a draft naming anyone else is refused with the reason, and the outbox queues nothing to them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy import select

from mailbot import people
from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.config import load_config
from mailbot.message import Address
from mailbot.outbox import enqueue, enqueue_many, outbox_values
from mailbot.pipeline import process
from mailbot.recipients import allowed_recipient, recipient_refusal
from mailbot.store.db import make_engine, upgrade
from mailbot.store.models import Event, MinutesVersion, OutboxMail, Person, PersonName
from tests.helpers import SHANGHAI, actions, at, meetings, outbox

TITLE = "渠道价格体系协调会"
RECORDER = "sun.lei@corp.example"
HOST = "li.na@corp.example"
SECRETARY = "zhou.ting@corp.example"  # sends the minutes for the recorder
OUTSIDER = "wu.gang@corp.example"  # a colleague, but no party to this meeting
ZHANG = "- 输出华东区价格调整方案；负责人：市场部 张伟 <zhang.wei@corp.example>；截止：2026-12-15"
CHEN = "- 整理经销商库存数据；负责人：销售部 陈哲 <chen.zhe@corp.example>；截止：2026-12-10"


def mail(
    body: str, *, sender: str, subject: str = f"【纪要】{TITLE}", message_id: str, in_reply_to: str | None = None
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "minutes@corp.example"
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime(2026, 12, 2, 18, 0, tzinfo=SHANGHAI))
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message.set_content(body)
    return message.as_bytes()


def minutes(
    *action_lines: str, host: str = f"市场部 李娜 <{HOST}>", recorder: str = f"销售部 孙磊 <{RECORDER}>"
) -> str:
    return "\n".join(
        [
            f"会议名称：{TITLE}",
            "会议时间：2026年12月2日 10:00-11:30",
            f"主持人：{host}",
            f"记录人：{recorder}",
            "",
            "一、决议事项",
            "1. 统一华东区经销商价格体系。",
            "",
            "二、行动项",
            *action_lines,
        ]
    )


def agenda(*, host: str, recorder: str, attendees: str) -> str:
    return "\n".join(
        [
            f"会议名称：{TITLE}",
            "会议时间：2026年12月9日 10:00-11:30",
            f"主持人：{host}",
            f"记录人：{recorder}",
            f"参会人员：{attendees}",
            "议程：",
            "1. 价格体系复盘（市场部 张伟，30分钟）",
        ]
    )


def send(app: App, body: str, *, sender: str, n: int, subject: str = f"【纪要】{TITLE}") -> str:
    result = process(app, mail(body, sender=sender, subject=subject, message_id=f"<a{n}@client.example>"))
    return result.outcome


def in_force(app: App, clock: FixedClock, sender: str = f"孙磊 <{RECORDER}>") -> None:
    """M-1's minutes, sent by `sender`, in force with two actions awaiting confirmation."""
    at(clock, "2026-12-02 18:00")
    assert send(app, minutes(ZHANG, CHEN), sender=sender, n=1) == "processed"
    (meeting,) = meetings(app)
    assert meeting.ref == "M-1"


def versions(app: App) -> list[tuple[int, int, str]]:
    with app.db.session() as session:
        rows = session.scalars(select(MinutesVersion).order_by(MinutesVersion.id))
        return [(v.meeting_id, v.number, v.status) for v in rows]


def events(app: App, what: str) -> list[Event]:
    with app.db.session() as session:
        return list(session.scalars(select(Event).where(Event.what == what).order_by(Event.id)))


def directory_person(app: App, address: str, name: str | None = None, department: str | None = None) -> None:
    """Someone as `mailbot people import` leaves them (source "directory", their name an alias too)."""
    with app.db.transaction() as session:
        person = Person(address=address, name=name, department=department, source="directory", created_at=app.now())
        session.add(person)
        session.flush()
        if name:
            session.add(PersonName(person_id=person.id, name=name))


# --- A. who may send a new version -----------------------------------------------------------------


@pytest.mark.parametrize(
    "who",
    [f"孙磊 <{RECORDER}>", f"李娜 <{HOST}>", f"周婷 <{SECRETARY}>"],
    ids=["recorder", "host", "sender of the version in force"],
)
def test_the_recorder_the_host_or_the_sender_of_the_version_in_force_may_supersede(
    app: App, clock: FixedClock, who: str
) -> None:
    in_force(app, clock, sender=f"周婷 <{SECRETARY}>")  # the secretary sent v1 for the recorder
    (meeting,) = meetings(app)
    assert meeting.version_sender == SECRETARY
    at(clock, "2026-12-03 09:00")
    assert send(app, minutes(ZHANG), sender=who, n=2, subject=f"【纪要】M-1 {TITLE}（修订）") == "processed"
    assert versions(app) == [(1, 1, "superseded"), (1, 2, "active")]
    assert [a.status for a in actions(app)] == ["awaiting_confirmation", "cancelled"]  # 陈哲's dropped
    (meeting,) = meetings(app)
    assert meeting.version_sender == who.split("<")[1].rstrip(">")


def test_the_recorder_resending_by_title_and_date_continues_the_meeting(app: App, clock: FixedClock) -> None:
    in_force(app, clock)
    assert send(app, minutes(ZHANG), sender=f"孙磊 <{RECORDER}>", n=2) == "processed"
    assert len(meetings(app)) == 1
    assert versions(app) == [(1, 1, "superseded"), (1, 2, "active")]


def test_an_outsider_naming_m1_is_refused_and_m1_is_untouched(app: App, clock: FixedClock) -> None:
    in_force(app, clock)
    before = outbox(app)
    at(clock, "2026-12-03 09:00")
    draft = minutes(
        "- 暂停华东区调价；负责人：吴刚 <wu.gang@corp.example>；截止：2026-12-20", host=f"吴刚 <{OUTSIDER}>"
    )
    result = process(
        app, mail(draft, sender=f"Wu Gang <{OUTSIDER}>", subject=f"【纪要】M-1 {TITLE}", message_id="<x1@c>")
    )
    assert (result.kind, result.outcome) == ("minutes", "rejected")
    assert result.error and result.error.startswith("version_not_allowed")

    (meeting,) = meetings(app)
    assert (meeting.host_address, meeting.recorder_address, meeting.version_sender) == (HOST, RECORDER, RECORDER)
    assert versions(app) == [(1, 1, "active")]  # nothing stored with M-1, not even a rejected version
    assert [(a.owner_address, a.status) for a in actions(app)] == [
        ("zhang.wei@corp.example", "awaiting_confirmation"),
        ("chen.zhe@corp.example", "awaiting_confirmation"),
    ]
    new = [m for m in outbox(app) if m.id not in {b.id for b in before}]
    assert [(m.kind, m.to_address) for m in new] == [("minutes_rejected", OUTSIDER)]
    body = new[0].body_text or ""
    assert (
        f"M-1（{TITLE}）的新版本和议程只能由它的记录人 孙磊 <{RECORDER}>、主持人 李娜 <{HOST}>或当前生效版本的发件人发送"
        in body
    )
    assert f"您（{OUTSIDER}）都不是，所以这封邮件没有改动 M-1" in body
    assert "李娜 &lt;li.na@corp.example&gt;" in (new[0].body_html or "")
    (refused,) = events(app, "minutes.refused")
    assert refused.meeting_id == 1 and refused.detail["sender"] == OUTSIDER


def test_an_outsider_replying_in_m1s_thread_is_refused(app: App, clock: FixedClock) -> None:
    """A corrected draft sent in reply to our answer about M-1 names M-1 as surely as its ref."""
    in_force(app, clock)
    bad = "- 输出华东区价格调整方案；负责人：市场部 张伟 <zhang.wei@corp.example>；截止：尽快"
    assert send(app, minutes(bad), sender=f"孙磊 <{RECORDER}>", n=2) == "rejected"  # kept as M-1's v2
    (rejection,) = outbox(app, "minutes_rejected")
    assert rejection.meeting_id == 1
    # Forwarded to a colleague, who "corrects" it by replying.
    raw = mail(minutes(ZHANG), sender=OUTSIDER, message_id="<x2@c>", in_reply_to=f"<{rejection.message_id}>")
    result = process(app, raw)
    assert (result.kind, result.outcome) == ("minutes", "rejected")
    assert versions(app) == [(1, 1, "active"), (1, 2, "rejected")]
    answer = outbox(app, "minutes_rejected")[-1]
    assert answer.to_address == OUTSIDER and "没有改动 M-1" in (answer.body_text or "")


def test_the_same_title_and_date_from_an_outsider_is_a_new_meeting(app: App, clock: FixedClock) -> None:
    in_force(app, clock)
    at(clock, "2026-12-03 09:00")
    assert send(app, minutes(ZHANG), sender=f"Wu Gang <{OUTSIDER}>", n=2) == "processed"
    first, second = meetings(app)
    assert (first.ref, second.ref) == ("M-1", "M-2")
    assert first.match_key == second.match_key
    assert (first.host_address, first.recorder_address, first.version_sender) == (HOST, RECORDER, RECORDER)
    assert second.version_sender == OUTSIDER
    assert versions(app) == [(1, 1, "active"), (2, 1, "active")]
    assert [(a.meeting_id, a.status) for a in actions(app)] == [
        (1, "awaiting_confirmation"), (1, "awaiting_confirmation"), (2, "awaiting_confirmation"),
    ]  # fmt: skip


def test_an_outsiders_agenda_naming_m1_changes_nobody_of_it(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 09:00")
    body = agenda(
        host=f"李娜 <{HOST}>",
        recorder=f"孙磊 <{RECORDER}>",
        attendees="张伟 <zhang.wei@corp.example>、陈哲 <chen.zhe@corp.example>",
    )
    assert send(app, body, sender=f"李娜 <{HOST}>", n=1, subject=f"【议程】{TITLE}") == "processed"
    (meeting,) = meetings(app)
    assert meeting.version_sender == HOST
    hijack = agenda(host=f"吴刚 <{OUTSIDER}>", recorder=f"吴刚 <{OUTSIDER}>", attendees="刘洋 <liu.yang@corp.example>")
    result = process(app, mail(hijack, sender=OUTSIDER, subject=f"【议程】M-1 {TITLE}", message_id="<x3@c>"))
    assert (result.kind, result.outcome) == ("agenda", "rejected")
    (meeting,) = meetings(app)
    assert (meeting.host_address, meeting.recorder_address) == (HOST, RECORDER)
    assert meeting.attendees == ["zhang.wei@corp.example", "chen.zhe@corp.example"]
    assert outbox(app, "agenda_notice") and all(n.to_address != "liu.yang@corp.example" for n in outbox(app))
    (answer,) = outbox(app, "agenda_rejected")
    assert answer.to_address == OUTSIDER
    assert f"记录人 孙磊 <{RECORDER}>、主持人 李娜 <{HOST}>或当前生效版本的发件人发送" in (answer.body_text or "")


def test_the_host_may_send_a_new_agenda(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 09:00")
    body = agenda(host=f"李娜 <{HOST}>", recorder=f"孙磊 <{RECORDER}>", attendees="张伟 <zhang.wei@corp.example>")
    assert send(app, body, sender=RECORDER, n=1, subject=f"【议程】{TITLE}") == "processed"
    moved = agenda(host=f"李娜 <{HOST}>", recorder=f"孙磊 <{RECORDER}>", attendees="刘洋 <liu.yang@corp.example>")
    assert send(app, moved, sender=HOST, n=2, subject=f"【议程】M-1 {TITLE}") == "processed"
    (meeting,) = meetings(app)
    assert meeting.attendees == ["liu.yang@corp.example"] and meeting.version_sender == HOST


def test_the_migration_keeps_who_sent_the_version_in_force(tmp_path: Path) -> None:
    engine = make_engine("sqlite:///" + str(tmp_path / "old.db"))
    upgrade(engine, "0003")
    now = "2026-12-02 10:00:00"
    with engine.begin() as c:
        for n, (sender, kind, outcome) in enumerate(
            [("Sun.Lei@corp.example", "minutes", "processed"), ("li.na@corp.example", "agenda", "processed")], start=1
        ):
            c.execute(
                sqlalchemy.text(
                    "INSERT INTO inbound_mails (id, content_hash, received_at, sender, subject, raw, kind, outcome)"
                    " VALUES (:id, :hash, :now, :sender, '', x'00', :kind, :outcome)"
                ),
                {"id": n, "hash": f"h{n}", "now": now, "sender": sender, "kind": kind, "outcome": outcome},
            )
        for meeting_id in (1, 2, 3):
            c.execute(
                sqlalchemy.text(
                    "INSERT INTO meetings (id, title, match_key, status, meeting_date, attendees, names, attendees_text,"
                    " absent_text, created_at, updated_at) VALUES (:id, 't', 'k', 'scheduled', '2026-12-02', '[]', '{}',"
                    " '', '', :now, :now)"
                ),
                {"id": meeting_id, "now": now},
            )
        c.execute(
            sqlalchemy.text(
                "INSERT INTO minutes_versions (meeting_id, number, inbound_mail_id, status, problems, created_at)"
                " VALUES (1, 1, 1, 'active', '[]', :now)"
            ),
            {"now": now},
        )
        c.execute(sqlalchemy.text("UPDATE inbound_mails SET meeting_id = 2 WHERE id = 2"))
    upgrade(engine)
    with engine.connect() as c:
        rows = c.execute(sqlalchemy.text("SELECT id, version_sender FROM meetings ORDER BY id")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(1, "sun.lei@corp.example"), (2, "li.na@corp.example"), (3, None)]


# --- B. names ------------------------------------------------------------------------------------


def lookup(app: App, name: str) -> list[str]:
    with app.db.session() as session:
        return [p.address for p in people.directory_lookup(session)(name, None)]


def learn(app: App, name: str, address: str, *, proven: bool) -> None:
    with app.db.transaction() as session:
        people.learn_from_headers(session, [Address(name, address)], app.now(), app.sender.address, proven=proven)


def test_learn_from_headers_makes_every_caller_say_whether_the_sender_is_proven(app: App) -> None:
    with app.db.transaction() as session, pytest.raises(TypeError):
        people.learn_from_headers(session, [Address("王强", "eve@corp.example")], app.now(), app.sender.address)  # type: ignore[call-arg]


def test_a_name_from_a_proven_sender_is_learnt_and_resolves_in_a_later_draft(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 17:00")
    process(app, mail("帮助", sender="王强 <wang.qiang@corp.example>", subject="帮助", message_id="<h1@c>"))
    assert lookup(app, "王强") == ["wang.qiang@corp.example"]
    at(clock, "2026-12-02 18:00")
    line = "- 输出华东区价格调整方案；负责人：王强；截止：2026-12-15"
    assert send(app, minutes(line), sender=f"孙磊 <{RECORDER}>", n=2) == "processed"
    assert [a.owner_address for a in actions(app)] == ["wang.qiang@corp.example"]


def test_a_name_from_an_unproven_sender_is_not_learnt(app: App) -> None:
    learn(app, "王强", "eve@corp.example", proven=False)
    assert lookup(app, "王强") == []
    with app.db.session() as session:
        assert session.scalar(select(Person).where(Person.address == "eve@corp.example")) is None
    learn(app, "王强", "eve@corp.example", proven=True)
    assert lookup(app, "王强") == ["eve@corp.example"]


def test_the_bot_itself_is_nobody_to_remember(app: App) -> None:
    """A reply goes to the bot's plus-address (minutes+token@…) and names it in To: as "Mailbot":
    neither that nor the bot's own address becomes a person (`mailbot people` lists people)."""
    local, _, domain = app.sender.address.partition("@")
    with app.db.transaction() as session:
        people.learn_from_headers(
            session,
            [Address("Mailbot", f"{local}+a1.x7k2m9@{domain}"), Address("Mailbot", app.sender.address),
             Address("张伟", "zhang.wei@corp.example")],
            app.now(), app.sender.address, proven=True,
        )  # fmt: skip
    with app.db.session() as session:
        assert list(session.scalars(select(Person.address))) == ["zhang.wei@corp.example"]


def test_a_header_name_never_overrides_the_directory(app: App, clock: FixedClock) -> None:
    directory_person(app, "wang.qiang@corp.example", "王强", "研发部")
    learn(app, "王强", "eve@corp.example", proven=True)  # a proven sender, but not the directory
    assert lookup(app, "王强") == ["wang.qiang@corp.example"]
    with app.db.session() as session:
        assert session.scalar(select(Person.name).where(Person.address == "wang.qiang@corp.example")) == "王强"
    at(clock, "2026-12-02 18:00")
    line = "- 输出华东区价格调整方案；负责人：王强；截止：2026-12-15"
    assert send(app, minutes(line), sender=f"孙磊 <{RECORDER}>", n=1) == "processed"
    assert [a.owner_address for a in actions(app)] == ["wang.qiang@corp.example"]


def test_a_name_two_addresses_have_carried_is_ambiguous(app: App, clock: FixedClock) -> None:
    learn(app, "王强", "wang.qiang@corp.example", proven=True)
    learn(app, "王强", "eve@corp.example", proven=True)
    assert sorted(lookup(app, "王强")) == ["eve@corp.example", "wang.qiang@corp.example"]
    at(clock, "2026-12-02 18:00")
    line = "- 输出华东区价格调整方案；负责人：王强；截止：2026-12-15"
    assert send(app, minutes(line), sender=f"孙磊 <{RECORDER}>", n=1) == "rejected"
    assert actions(app) == []
    (answer,) = outbox(app, "minutes_rejected")
    assert "负责人“王强”对应多个人（eve@corp.example, wang.qiang@corp.example），请写明邮箱地址" in (
        answer.body_text or ""
    )


# --- C. where the bot may write ----------------------------------------------------------------------


def test_an_owner_outside_the_allowed_domains_is_a_problem_and_gets_no_mail(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    line = "- 采购竞品样机；负责人：钱七 <qian.qi@evil.example>；截止：2026-12-15"
    assert send(app, minutes(ZHANG, line), sender=f"孙磊 <{RECORDER}>", n=1) == "rejected"
    assert actions(app) == []
    assert all(not m.to_address.endswith("@evil.example") for m in outbox(app))
    (answer,) = outbox(app)
    assert answer.kind == "minutes_rejected" and answer.to_address == RECORDER
    body = answer.body_text or ""
    assert (
        "负责人“qian.qi@evil.example”不在允许的收件域内（corp.example），机器人不会给此地址发邮件：请改用公司邮箱，"
        "或请管理员在 [trust] recipient_domains 加上该域" in body
    )
    assert line.lstrip("- ") in body  # the line is quoted


def test_fifty_one_strangers_named_in_one_draft_get_no_mail(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    strangers = "、".join(f"s{n}@stranger{n}.example" for n in range(51))
    body = minutes(ZHANG).replace("记录人：", f"参会人员：{strangers}\n记录人：")
    send(app, body, sender=f"孙磊 <{RECORDER}>", n=1)
    assert actions(app) == []
    assert [m.to_address for m in outbox(app)] == [RECORDER]


def test_an_answer_to_a_stranger_is_not_queued(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    result = process(app, mail("帮助", sender="Eve <eve@evil.example>", subject="帮助", message_id="<e1@evil.example>"))
    assert result.outcome != "failed"
    assert outbox(app) == []
    (event,) = events(app, "mail.not_queued")
    assert event.detail["to"] == "eve@evil.example" and event.detail["reason"] == "recipient domain not allowed"


def test_the_outbox_queues_nothing_to_a_stranger(app: App) -> None:
    fields = {
        "kind": "help", "to_name": None, "language": "zh", "now": app.now(),
        "context": {"reason": None, "original_subject": "你好", "token": None, "bot_name": "Mailbot",
                    "bot_address": "minutes@corp.example", "docs_url": ""},
    }  # fmt: skip
    with app.db.transaction() as session:
        assert not enqueue(session, app.renderer, app.sender, key="k1", to_address="Eve@Evil.Example", **fields)
        assert enqueue(session, app.renderer, app.sender, key="k2", to_address="zhang.wei@corp.example", **fields)
        assert enqueue(session, app.renderer, app.sender, key="k3", to_address="a@oa.corp.example", **fields)
        rows = [
            outbox_values(app.renderer, app.sender, key=f"m{n}", to_address=to, **fields)
            for n, to in enumerate(["x@evil.example", "li.na@corp.example"])
        ]
        assert enqueue_many(session, rows) == {"m1"}
    assert [(m.key, m.to_address, m.status) for m in outbox(app)] == [
        ("k2", "zhang.wei@corp.example", "pending"), ("k3", "a@oa.corp.example", "pending"),
        ("m1", "li.na@corp.example", "pending"),
    ]  # fmt: skip
    assert sorted(e.detail["to"] for e in events(app, "mail.not_queued")) == ["eve@evil.example", "x@evil.example"]
    # Someone in the directory opens their domain.
    directory_person(app, "buyer@partner.example", "采购")
    with app.db.transaction() as session:
        assert enqueue(session, app.renderer, app.sender, key="k4", to_address="desk@partner.example", **fields)
        assert allowed_recipient(session, app.config, "DESK@partner.example")
        assert not allowed_recipient(session, app.config, "eve@evil.example")
        assert recipient_refusal(session, app.config, "Eve@evil.example") == {
            "address": "eve@evil.example", "domains": ["corp.example", "partner.example"],
        }  # fmt: skip


def test_a_name_learnt_from_headers_opens_no_domain(app: App) -> None:
    learn(app, "Eve", "eve@evil.example", proven=True)
    with app.db.session() as session:
        assert not allowed_recipient(session, app.config, "eve@evil.example")


@pytest.fixture
def partner_app(home: Path, clock: FixedClock) -> Iterator[App]:
    """The deployment lists its partner's domain: `[trust] recipient_domains = ["partner.example"]`."""
    path = home / "config.toml"
    text = path.read_text(encoding="utf-8").replace("recipient_domains = []", 'recipient_domains = ["partner.example"]')
    path.write_text(text, encoding="utf-8")
    app = App.open(load_config(path), clock)
    yield app
    app.db.dispose()


def test_the_app_gives_the_outbox_the_configured_recipient_domains(partner_app: App) -> None:
    # mailbot/app.py builds the Sender: it must pass `config.trust.recipient_domains`.
    assert partner_app.sender.recipient_domains == ("partner.example",)


def test_recipient_domains_let_a_partner_through(partner_app: App, clock: FixedClock) -> None:
    app = partner_app
    at(clock, "2026-12-02 18:00")
    line = "- 提供渠道销量数据；负责人：渠道伙伴 <desk@partner.example>；截止：2026-12-15"
    assert send(app, minutes(ZHANG, line), sender=f"孙磊 <{RECORDER}>", n=1) == "processed"
    assert [a.owner_address for a in actions(app)] == ["zhang.wei@corp.example", "desk@partner.example"]
    assert "desk@partner.example" in {m.to_address for m in outbox(app, "confirm_request")}
    with app.db.session() as session:
        assert session.scalar(select(OutboxMail.id).where(OutboxMail.to_address.like("%@evil.example"))) is None
