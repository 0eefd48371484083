"""The history of a meeting's page as its readers see it (hand trial 14, screenshot 09): after a
month of use the page is open to every participant, and showed the bot's internals — reminder keys
("key：reminder:before:A-1:…"), "group_post.failed" with the robot's error JSON and the admin's
address, "archive.filed folder：/srv/…". Here the round of tests/test_web.py runs on, with the
archive and a broken group robot on: reminders go out, 张伟 reports A-1 done (the group post fails,
the admin is told), the archive files the meeting. The page then shows people what happened to
the minutes and the actions, in their language, and nothing of the bot's own bookkeeping."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.config import load_config
from mailbot.groups import deliver
from mailbot.jobs import run_jobs
from mailbot.pipeline import process
from mailbot.store.models import Event
from tests.helpers import at, outbox
from tests.replying import reply
from tests.test_web import Site, get, hrefs, open_site

GONE = "http://127.0.0.1:9/dingtalk/robot/send?access_token=t"  # the discard port: nothing listens
ADMIN = "it@corp.example"


@dataclass
class Trial:
    site: Site
    folder: Path


@pytest.fixture(scope="module")
def trial(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trial]:
    home = tmp_path_factory.mktemp("web-history")
    site, (server, thread) = open_site(home, f"sqlite:///{home / 'mailbot.db'}")
    config = home / "config.toml"
    text = config.read_text(encoding="utf-8").replace('admin = ""', f'admin = "{ADMIN}"', 1)
    text = re.sub(r"(\[archive\]\n(?:#.*\n)*)enabled = false", r"\1enabled = true", text)
    text, found = re.subn(r"\[groups\]\n(?:#.*\n)*enabled = false\n", "", text)
    assert found == 1
    text += (
        f'\n[groups]\nenabled = true\nmax_attempts = 1\n[groups.robots."*"]\nservice = "dingtalk"\nwebhook = "{GONE}"\n'
    )
    config.write_text(text, encoding="utf-8")
    clock = site.clock
    bot = App.open(load_config(config), clock)  # the daemon, with the archive and the robot on
    try:
        at(clock, "2026-12-11 09:00")
        assert run_jobs(bot)["reminders"] >= 1  # A-1 (due 12-15) two working days before
        at(clock, "2026-12-11 10:00")
        request = next(m for m in outbox(bot, "confirm_request") if m.to_address == "zhang.wei@corp.example")
        process(bot, reply(bot, request, "完成"))
        # The group posts (M-2 official, A-1 done) fail: the robot is gone. One is tried a pass.
        assert deliver(bot)["failed"] + deliver(bot)["failed"] == 2
        at(clock, "2026-12-11 10:01")
        assert run_jobs(bot)["archive_filed"] >= 1  # M-1 (official before the archive was on), M-2
        with bot.db.session() as session:
            internal = {e.what: e.detail for e in session.scalars(select(Event).where(Event.meeting_id == 1))}
        assert {"reminder.sent", "group_post.failed", "archive.filed"} <= set(internal)
        folder = Path(internal["archive.filed"]["folder"])
        assert folder.is_dir()
    finally:
        bot.db.dispose()
    at(clock, "2026-12-16 10:00")
    yield Trial(site, folder)
    server.should_exit = True  # type: ignore[attr-defined]
    thread.join(10)  # type: ignore[attr-defined]
    site.app.db.dispose()


def meeting_page(trial: Trial, address: str, language: str | None = None) -> str:
    person = get(trial.site.link(address), client="10.0.9.1", language=language)
    (link,) = {h for h in hrefs(person.text) if h.startswith("/m/1/")}
    page = get(trial.site.base + link, client="10.0.9.1", language=language)
    assert page.status == 200
    return page.text


def test_the_history_shows_people_what_happened_and_nothing_of_the_bots_bookkeeping(trial: Trial) -> None:
    page = meeting_page(trial, "zhu.rong@corp.example")  # an attendee, party to A-4 only
    history = page.split("五、处理记录", 1)[1]
    a1 = history.split('data-ref="A-1"', 1)[1].split("</details>", 1)[0]
    assert "发出提醒" in a1 and "提醒类型：到期前提醒" in a1
    assert "完成" in a1 and "张伟" in a1
    for internal in ("reminder:", "key", "group_post", "group:done", "errcode", "Connection refused",
                     "archive", "folder", str(trial.folder.parent.parent), ADMIN, "dingtalk", "robot"):  # fmt: skip
        assert internal not in history, internal
    # The meeting's own events: the minutes and their confirmation, not the archive's filing.
    own = history.split("会议本身", 1)[1]
    assert "收到纪要" in own and "纪要确认，发出正式版" in own and "归档" not in own


def test_the_details_are_worded_in_the_readers_language(trial: Trial) -> None:
    page = meeting_page(trial, "zhang.wei@corp.example", language="en")  # his browser reads English
    history = re.sub(r"<[^>]+>", "", page.split("5. History", 1)[1])
    assert "reminder sent" in history and "reminder: before the due date" in history
    assert "was due: Thu 10 Dec 2026" in history and "now due: Sun 20 Dec 2026" in history
    assert "consent: silent consent" in history and "reply by: Fri 4 Dec 2026" in history  # not "2026-12-04"
    for internal in ("reminder:before", "A-1:2026", "silent,", "explicit", "archive", "group_post", "folder", "key"):
        assert internal not in history, internal


def test_every_event_shown_has_words_in_every_language() -> None:
    """A new kind of event must be given words before it is shown (else its key would be)."""
    import tomllib

    from mailbot.web.pages import DETAIL_KEYS, HISTORY_EVENTS

    folder = Path(__file__).resolve().parent.parent / "templates" / "webpages" / "words"
    for path in sorted(folder.glob("*.toml")):
        words = tomllib.loads(path.read_text(encoding="utf-8"))
        assert set(words["event"]) >= HISTORY_EVENTS, (path.name, HISTORY_EVENTS - set(words["event"]))
        assert set(DETAIL_KEYS) <= set(words["detail"]), (path.name, set(DETAIL_KEYS) - set(words["detail"]))
        assert {"before", "due", "overdue"} <= set(words["reminder_kind"])
