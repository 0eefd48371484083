"""Sending hours (rules/policy.toml [sending]): the mails the clock causes leave within working hours
of working days in the organisation's time zone; answers to a person's mail, and what a person's
mail sets off, leave at once. The jobs that chase people (reminders, nudges, the weekly status)
decide within the hours only; a deadline that passes outside them (the confirmation round) is
decided at once and its mails wait on the outbox row (`next_attempt_at`), so a restart in between
neither loses nor repeats a mail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.config import load_config
from mailbot.errors import ConfigError
from mailbot.jobs import JOBS, next_opening, run_jobs
from mailbot.outbox import flush
from mailbot.pipeline import process
from mailbot.policy import SendingPolicy
from tests.helpers import SHANGHAI, at, feed, outbox
from tests.replying import reply
from tests.test_rules_and_jobs import own_rules, replace_in


def shanghai(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@dataclass
class Recording:
    """A delivery that notes what left, and when (the clock's time at the flush)."""

    clock: FixedClock
    sent: list[tuple[str, str, datetime]] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)

    def send(self, message: EmailMessage, recipient: str, *, return_path: str | None = None) -> None:
        self.sent.append((str(message["X-Mailbot-Kind"]), recipient, self.clock.now()))
        self.message_ids.append(str(message["Message-ID"]))

    def close(self) -> None:
        pass


def deliver(app: App, delivery: Recording) -> list[tuple[str, str]]:
    """One delivery pass at the clock's time; what it sent."""
    before = len(delivery.sent)
    flush(app.db, delivery, app.sender, app.renderer, app.clock)
    return [(kind, to) for kind, to, _ in delivery.sent[before:]]


def held(app: App, kind: str) -> set[datetime]:
    return {row.next_attempt_at for row in outbox(app, kind)}


# --- the next opening ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decided", "leaves"),
    [
        ("2026-12-08 00:05", "2026-12-08 09:00"),  # Tuesday after midnight: the same morning
        ("2026-12-08 08:59", "2026-12-08 09:00"),
        ("2026-12-08 09:00", "2026-12-08 09:00"),  # within the hours: at once
        ("2026-12-08 17:59", "2026-12-08 17:59"),
        ("2026-12-08 18:00", "2026-12-09 09:00"),  # closed: the next working morning
        ("2026-12-04 23:00", "2026-12-07 09:00"),  # Friday night: Monday
        ("2026-12-05 00:05", "2026-12-07 09:00"),  # Saturday: Monday
        ("2026-12-06 15:00", "2026-12-07 09:00"),  # Sunday afternoon: Monday
        ("2026-09-19 10:00", "2026-09-20 09:00"),  # Saturday before an adjusted working Sunday (调休)
        ("2026-09-20 10:00", "2026-09-20 10:00"),  # that Sunday is a working day: at once
        ("2026-09-24 20:00", "2026-09-28 09:00"),  # Mid-Autumn Friday 09-25 off, then the weekend
        ("2026-09-30 18:30", "2026-10-08 09:00"),  # the National Day holiday week
        ("2026-10-09 18:30", "2026-10-10 09:00"),  # Friday night: the adjusted working Saturday
        ("2026-10-10 12:00", "2026-10-10 12:00"),
    ],
)
def test_the_next_opening_follows_the_hours_and_the_calendar(app: App, decided: str, leaves: str) -> None:
    assert next_opening(app, shanghai(decided)) == shanghai(leaves)


def test_the_hours_are_validated_and_may_be_the_whole_day() -> None:
    assert SendingPolicy().opens.isoformat() == "09:00:00" and SendingPolicy().closes is not None
    assert SendingPolicy(hours="00:00-24:00").closes is None
    for wrong in ("18:00-09:00", "9-18", "09:00", "09:00-09:00", "morning"):
        with pytest.raises(ConfigError, match=r"sending\.hours"):
            SendingPolicy(hours=wrong)


def test_a_site_may_send_every_day_at_any_hour(home: Path, clock: FixedClock) -> None:
    own_rules(
        home,
        replace_in("policy.toml", 'hours = "09:00-18:00"\nworking_days_only = true',
                   'hours = "00:00-24:00"\nworking_days_only = false'),
    )  # fmt: skip
    app = App.open(load_config(home / "config.toml"), clock)
    try:
        for moment in ("2026-12-05 00:05", "2026-12-08 23:59", "2026-10-03 03:00"):
            assert next_opening(app, shanghai(moment)) == shanghai(moment)
    finally:
        app.db.dispose()


# --- the mails ----------------------------------------------------------------------------------


def test_midnight_decisions_leave_at_the_opening_and_a_restart_changes_nothing(
    app: App, clock: FixedClock, home: Path
) -> None:
    delivery = Recording(clock)

    def restart(bot: App) -> App:
        """A new process over the same database."""
        bot.db.dispose()
        return App.open(load_config(home / "config.toml"), clock)

    at(clock, "2026-12-02 18:00")  # the minutes arrive at closing time: the round's mails go at once
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    assert outbox(app, "confirm_request") and held(app, "confirm_request") == {shanghai("2026-12-02 18:00")}
    assert len(deliver(app, delivery)) == len(outbox(app))

    # Saturday just after midnight the round closes (confirm_by Fri 12-04): silence is consent at
    # once, and the final minutes wait for Monday 09:00.
    at(clock, "2026-12-05 00:05")
    assert run_jobs(app)["confirmed"] == 1
    finals = outbox(app, "final_minutes")
    assert finals and held(app, "final_minutes") == {shanghai("2026-12-07 09:00")}
    assert deliver(app, delivery) == []

    # Restarted on Sunday: the round is not closed again, the final minutes still wait, once each.
    at(clock, "2026-12-06 11:00")
    bot = restart(app)
    try:
        assert run_jobs(bot)["confirmed"] == 0
        assert [(m.key, m.status) for m in outbox(bot, "final_minutes")] == [(m.key, "pending") for m in finals]
        assert deliver(bot, delivery) == []
        at(clock, "2026-12-07 08:59")
        run_jobs(bot)
        assert outbox(bot, "digest") == [] and deliver(bot, delivery) == []

        # Monday 09:00: the final minutes leave, and the weekly status, decided at its time, with them.
        at(clock, "2026-12-07 09:00")
        assert run_jobs(bot)["digests"] > 0
        digests = outbox(bot, "digest")
        assert held(bot, "digest") == {shanghai("2026-12-07 09:00")}
        assert sorted(deliver(bot, delivery)) == sorted(
            [("final_minutes", m.to_address) for m in finals] + [("digest", m.to_address) for m in digests]
        )

        # Tuesday: A-2 (due Thu 12-10) is reminded two working days before. The tick at 00:05 chases
        # nobody (reminders wait for the hours, to say what is true then); the tick at 09:00 does.
        at(clock, "2026-12-08 00:05")
        assert "reminders" not in run_jobs(bot)
        assert outbox(bot, "reminder") == [] and deliver(bot, delivery) == []
        at(clock, "2026-12-08 03:00")
        bot = restart(bot)
        run_jobs(bot)
        assert outbox(bot, "reminder") == [] and deliver(bot, delivery) == []
        at(clock, "2026-12-08 09:00")
        assert run_jobs(bot)["reminders"] >= 1
        reminders = outbox(bot, "reminder")
        assert "A-2" in reminders[0].subject and held(bot, "reminder") == {shanghai("2026-12-08 09:00")}
        assert sorted(deliver(bot, delivery)) == sorted(("reminder", m.to_address) for m in reminders)
        at(clock, "2026-12-08 09:01")
        assert run_jobs(bot)["reminders"] == 0
        assert deliver(bot, delivery) == []
    finally:
        bot.db.dispose()
    # Each mail left once, and every mail the clock caused left within the hours of a working day.
    assert len(delivery.message_ids) == len(set(delivery.message_ids))
    for kind, _, when in delivery.sent:
        if kind in ("final_minutes", "digest", "reminder", "escalation"):
            local = when.astimezone(SHANGHAI)
            assert 9 <= local.hour < 18 and local.weekday() < 5, (kind, local)


def test_an_answer_to_a_persons_mail_at_night_leaves_at_once(app: App, clock: FixedClock) -> None:
    delivery = Recording(clock)
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    deliver(app, delivery)
    requests = {m.to_address: m for m in outbox(app, "confirm_request")}

    at(clock, "2026-12-03 23:00")
    process(app, reply(app, requests["zhang.wei@corp.example"], "确认"))
    # An objection at night: the answer to the owner and the notice to the host both leave now —
    # a person's mail set them off, not the clock.
    process(app, reply(app, requests["chen.zhe@corp.example"], "异议：排期冲突，需要研发部先评估"))
    decided = [m for m in outbox(app) if m.created_at == clock.now()]
    assert {m.kind for m in decided} >= {"reply_result", "objection_notice"}
    assert {m.next_attempt_at for m in decided} == {clock.now()}
    sent = deliver(app, delivery)
    assert ("reply_result", "zhang.wei@corp.example") in sent
    assert ("objection_notice", "li.na@corp.example") in sent


def test_a_nudge_due_at_night_is_not_sent_for_minutes_that_came_before_the_opening(app: App, clock: FixedClock) -> None:
    at(clock, "2026-11-30 09:20")
    feed(app, "foxmail_zh_agenda_gbk.eml")  # Wed 12-02 14:00-16:00: minutes due by Thu 16:00
    at(clock, "2026-12-03 20:00")
    run_jobs(app)  # the nudge's moment has passed, but nobody is chased at night
    assert outbox(app, "minutes_late") == []
    at(clock, "2026-12-04 08:30")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    at(clock, "2026-12-04 09:00")
    run_jobs(app)
    assert outbox(app, "minutes_late") == []  # decided at the opening, from the state then: no nudge


def test_a_digest_set_before_the_opening_waits_for_it(home: Path, clock: FixedClock) -> None:
    own_rules(home, replace_in("policy.toml", 'time = "09:00"', 'time = "07:30"'))
    app = App.open(load_config(home / "config.toml"), clock)
    try:
        at(clock, "2026-12-02 18:00")
        feed(app, "outlook_zh_minutes_gbk_html.eml")
        digest = [job for job in JOBS if job.name == "digest"]
        at(clock, "2026-12-07 07:30")
        assert run_jobs(app, jobs=digest) == {}
        at(clock, "2026-12-07 09:00")
        assert run_jobs(app, jobs=digest)["digests"] > 0
        assert held(app, "digest") == {shanghai("2026-12-07 09:00")}
    finally:
        app.db.dispose()


def test_a_deadline_job_runs_at_any_hour_and_the_chasing_jobs_do_not() -> None:
    # The archive sends no mail: it files at any hour, as the consent deadline decides at any hour.
    assert {job.name for job in JOBS if not job.chases} == {"consent", "archive"}
