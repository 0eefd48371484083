"""The project group (issue 14, item 4): posts to a DingTalk, WeCom or Feishu group robot when the
minutes become official, an action is done and one is escalated — each service's message format
and signing, checked by a local HTTP server standing in for the three services; retries with
backoff; failures told to the admin; mail never waits for a robot."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.cli import main
from mailbot.clock import FixedClock
from mailbot.config import load_config
from mailbot.errors import ConfigError
from mailbot.groups import backoff, deliver
from mailbot.pipeline import process
from mailbot.store.models import Event, GroupPost, Meeting
from mailbot.workflow.consent import run_consent_deadlines
from mailbot.workflow.reminders import run_reminders
from tests.helpers import SHANGHAI, at, feed, outbox
from tests.replying import reply

DING_SECRET = "SEC0123456789abcdef"
FEISHU_SECRET = "feishu-secret-key"


@dataclass
class Robots:
    """One local server for the three services: /dingtalk, /wecom, /feishu. It checks what each
    documents (the token or key in the URL, the signature, the JSON shape) and answers as that
    service does; `fail` answers HTTP 500 to the next N requests."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    fail: int = 0
    problems: list[str] = field(default_factory=list)

    def of(self, service: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["service"] == service]


def expected_sign(key: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def check(service: str, query: dict[str, list[str]], body: dict[str, Any]) -> str | None:
    """Why the service would refuse this request, or None."""
    now = time.time()
    if service == "dingtalk":
        if query.get("access_token") != ["ding-token"]:
            return "access_token"
        stamp = int(query["timestamp"][0])
        if abs(now * 1000 - stamp) > 3600_000:
            return "timestamp"
        if query["sign"][0] != expected_sign(DING_SECRET.encode(), f"{stamp}\n{DING_SECRET}".encode()):
            return "sign"
        if body.get("msgtype") != "markdown" or not {"title", "text"} <= set(body["markdown"]):
            return "shape"
    elif service == "wecom":
        if query.get("key") != ["wecom-key"]:
            return "key"
        if body.get("msgtype") != "markdown" or not body["markdown"].get("content"):
            return "shape"
    elif service == "feishu":
        stamp = int(body.get("timestamp", "0"))
        if abs(now - stamp) > 3600:
            return "timestamp"
        if body.get("sign") != expected_sign(f"{stamp}\n{FEISHU_SECRET}".encode(), b""):
            return "sign"
        if body.get("msg_type") != "post" or "zh_cn" not in body["content"]["post"]:
            return "shape"
    return None


@pytest.fixture
def robots() -> Iterator[Robots]:
    state = Robots()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            service = parts.path.strip("/").split("/")[0]
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            body = json.loads(raw)
            query = parse_qs(parts.query)
            state.requests.append({"service": service, "query": query, "body": body,
                                   "content_type": self.headers["Content-Type"]})  # fmt: skip
            if state.fail > 0:
                state.fail -= 1
                self.answer(500, b"busy")
                return
            problem = check(service, query, body)
            if problem:
                state.problems.append(f"{service}: {problem}")
            if service == "feishu":
                answer = {"code": 19021, "msg": "sign match fail"} if problem else {"code": 0, "msg": "success"}
            else:
                answer = {"errcode": 310000, "errmsg": problem} if problem else {"errcode": 0, "errmsg": "ok"}
            self.answer(200, json.dumps(answer).encode())

        def answer(self, status: int, data: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def with_groups(home: Path, body: str) -> Path:
    config = home / "config.toml"
    text, found = re.subn(r"\[groups\]\n(?:#.*\n)*enabled = false\n", "", config.read_text(encoding="utf-8"))
    assert found == 1, "mailbot init's [groups] section changed"
    config.write_text(text + "\n[groups]\n" + body, encoding="utf-8")
    return config


def robot_config(url: str, service: str, project: str = "*", **extra: str) -> str:
    lines = [f'[groups.robots."{project}"]', f'service = "{service}"']
    webhook = {
        "dingtalk": f"{url}/dingtalk/robot/send?access_token=ding-token",
        "wecom": f"{url}/wecom/cgi-bin/webhook/send?key=wecom-key",
        "feishu": f"{url}/feishu/open-apis/bot/v2/hook/abc",
    }[service]
    lines.append(f'webhook = "{webhook}"')
    if service in ("dingtalk", "feishu"):
        lines.append(f'secret = "{DING_SECRET if service == "dingtalk" else FEISHU_SECRET}"')
    lines.extend(f"{key} = {value}" for key, value in extra.items())
    return "\n".join(lines) + "\n"


def open_app(home: Path, clock: FixedClock, body: str) -> App:
    return App.open(load_config(with_groups(home, body)), clock)


def request_to(app: App, address: str):  # type: ignore[no-untyped-def]
    return next(m for m in outbox(app, "confirm_request") if m.to_address == address)


def zh_round(app: App, clock: FixedClock) -> None:
    """The Chinese round: A-3 delivered with a file (done), the deadline makes the minutes official."""
    at(clock, "2026-12-02 18:00")
    assert feed(app, "outlook_zh_minutes_gbk_html.eml").outcome == "processed"
    at(clock, "2026-12-03 10:00")
    process(app, reply(app, request_to(app, "zhang.wei@corp.example"), "确认"))
    plan = ("销售培训计划.pdf", "application/pdf", b"%PDF-1.4 plan")
    process(app, reply(app, request_to(app, "zhao.min@corp.example"), "完成", attachments=(plan,)))
    at(clock, "2026-12-07 09:00")
    assert run_consent_deadlines(app, app.now())["confirmed"] == 1


def posts(app: App) -> list[GroupPost]:
    with app.db.session() as session:
        return list(session.scalars(select(GroupPost).order_by(GroupPost.id)))


@pytest.mark.parametrize("service", ["dingtalk", "wecom", "feishu"])
def test_each_service_gets_its_documented_payload_and_signature(
    home: Path, clock: FixedClock, robots: Robots, service: str
) -> None:
    app = open_app(home, clock, "enabled = true\n" + robot_config(robots.url, service))
    try:
        zh_round(app, clock)
        assert [(p.event, p.status) for p in posts(app)] == [("done", "pending"), ("official", "pending")]
        assert deliver(app) == {"posted": 2, "retry": 0, "failed": 0}
    finally:
        app.db.dispose()
    assert robots.problems == []
    done, official = robots.of(service)
    assert done["content_type"] == "application/json; charset=utf-8"
    if service == "dingtalk":
        text = official["body"]["markdown"]["text"]
        assert official["body"]["markdown"]["title"] == "正式版会议纪要：Q1 新品上市跨部门协作会（M-1）"
        assert "A-3" in done["body"]["markdown"]["title"] and "销售培训计划.pdf" in done["body"]["markdown"]["text"]
    elif service == "wecom":
        text = official["body"]["markdown"]["content"]
        assert text.startswith("**正式版会议纪要：Q1 新品上市跨部门协作会（M-1）**\n")
        assert "交付物：销售培训计划.pdf" in done["body"]["markdown"]["content"]
    else:
        post = official["body"]["content"]["post"]["zh_cn"]
        assert post["title"] == "正式版会议纪要：Q1 新品上市跨部门协作会（M-1）"
        text = "\n".join(run["text"] for line in post["content"] for run in line)
        assert all(run["tag"] == "text" for line in post["content"] for run in line)
    assert "会议：Q1 新品上市跨部门协作会（M-1），2026年12月2日（周三）" in text
    assert "A-1 输出新品推广活动方案初稿 — 张伟 — 2026年12月15日（周二） — 未开始" in text
    with app.db.session() as session:
        assert {p.status for p in session.scalars(select(GroupPost))} == {"sent"}


def test_an_escalation_is_posted_once(home: Path, clock: FixedClock, robots: Robots) -> None:
    app = open_app(home, clock, "enabled = true\n" + robot_config(robots.url, "wecom", events='["escalated"]'))
    try:
        zh_round(app, clock)
        assert posts(app) == []  # this robot takes escalations only
        at(clock, "2027-01-20 10:00")
        assert run_reminders(app, app.now())["escalations"] >= 1
        assert run_reminders(app, app.now())["escalations"] == 0  # a re-run decides nothing again
        escalated = posts(app)
        assert escalated and {p.event for p in escalated} == {"escalated"}
        assert len({p.key for p in escalated}) == len(escalated)
        counts = deliver(app)
        assert counts["posted"] == len(escalated)
    finally:
        app.db.dispose()
    first = robots.of("wecom")[0]["body"]["markdown"]["content"]
    assert first.startswith("**行动项逾期升级：A-") and "个工作日" in first


def test_a_500_is_retried_with_backoff_and_the_post_goes_through(home: Path, clock: FixedClock, robots: Robots) -> None:
    app = open_app(home, clock, "enabled = true\n" + robot_config(robots.url, "dingtalk", events='["official"]'))
    try:
        zh_round(app, clock)
        robots.fail = 1
        assert deliver(app) == {"posted": 0, "retry": 1, "failed": 0}
        (post,) = posts(app)
        assert (post.status, post.attempts) == ("pending", 1) and post.last_error.startswith("HTTP 500")
        assert post.next_attempt_at == app.now() + timedelta(minutes=1)
        assert deliver(app) == {"posted": 0, "retry": 0, "failed": 0}  # not before its time
        clock.set(clock.now() + timedelta(minutes=1))
        assert deliver(app) == {"posted": 1, "retry": 0, "failed": 0}
        (post,) = posts(app)
        assert (post.status, post.attempts, post.last_error) == ("sent", 2, None)
    finally:
        app.db.dispose()
    assert len(robots.of("dingtalk")) == 2 and robots.problems == []


def test_mail_is_decided_while_the_robot_is_down_and_the_admin_hears_after_the_last_attempt(
    home: Path, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    gone = "http://127.0.0.1:9/feishu/open-apis/bot/v2/hook/abc"  # the discard port: nothing listens
    body = f'enabled = true\nmax_attempts = 3\ntimeout_seconds = 2.0\n[groups.robots."*"]\nservice = "feishu"\nwebhook = "{gone}"\n'
    config = home / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('admin = ""', 'admin = "it@corp.example"', 1))
    app = open_app(home, clock, body)
    try:
        zh_round(app, clock)
        assert len(outbox(app, "final_minutes")) >= 5  # the 正式版 went to everyone regardless
        assert len(outbox(app, "acceptance_request")) == 1
        results = []
        for _ in range(3):
            results.append(deliver(app))
            clock.set(clock.now() + timedelta(hours=1))
        # Both posts tried once a pass (the second of a pass waits: the robot is down)...
        assert [r["retry"] + r["failed"] for r in results] == [1, 1, 1]
        results.append(deliver(app))
        clock.set(clock.now() + timedelta(hours=1))
        results.append(deliver(app))
        clock.set(clock.now() + timedelta(hours=1))
        results.append(deliver(app))
        assert sum(r["failed"] for r in results) == 2
        assert {p.status for p in posts(app)} == {"failed"}
        failed_post = posts(app)[0]
        with app.db.session() as session:
            failed = list(session.scalars(select(Event).where(Event.what == "group_post.failed")))
        assert len(failed) == 2 and failed[0].detail["attempts"] == 3
        assert "not reachable" in failed[0].detail["error"]
        assert "failed after 3 attempts" in caplog.text
        # The admin hears once that day, however many posts the robot refused.
        told = outbox(app, "group_post_failed")
        assert [m.to_address for m in told] == ["it@corp.example"]
        # The default robot by its meaning, not as "“*”"; the first failed post is A-3's (done): its
        # failure is recorded on the action, so the mail points to `mailbot show A-3`.
        assert told[0].subject == "【群通知失败】Feishu (飞书) 默认机器人（*）未能发出群消息"
        assert "机器人：默认机器人（*），Feishu (飞书)" in told[0].body_text
        assert "尝试 3 次后仍未发出" in told[0].body_text and "not reachable" in told[0].body_text
        assert "邮件不受影响" in told[0].body_text and "行动项的历史中（mailbot show A-3）" in told[0].body_text
        assert "mailbot show M-1" not in told[0].body_text
        assert 'mailbot groups retry --robot "*"' in told[0].body_text
        # The next day's failure is news again.
        clock.set(clock.now() + timedelta(days=1))
        with app.db.transaction() as session:
            session.add(GroupPost(**{**{c: getattr(failed_post, c) for c in ("event", "robot", "service", "language",
                                    "message", "meeting_id")}, "key": "again", "status": "pending", "attempts": 2,
                                    "created_at": clock.now(), "next_attempt_at": clock.now()}))  # fmt: skip
        assert deliver(app)["failed"] == 1
        assert len(outbox(app, "group_post_failed")) == 2
    finally:
        app.db.dispose()


def test_a_projects_own_robot_comes_before_the_default_and_a_key_posts_once(
    home: Path, clock: FixedClock, robots: Robots
) -> None:
    body = "enabled = true\n" + robot_config(robots.url, "dingtalk") + robot_config(robots.url, "wecom", "Q1 新品")
    app = open_app(home, clock, body)
    try:
        at(clock, "2026-12-02 18:00")
        assert feed(app, "outlook_zh_minutes_gbk_html.eml").outcome == "processed"
        with app.db.transaction() as session:
            session.scalars(select(Meeting)).one().project = "Q1 新品"
        at(clock, "2026-12-03 10:00")
        process(app, reply(app, request_to(app, "zhao.min@corp.example"), "完成"))
        at(clock, "2026-12-07 09:00")
        run_consent_deadlines(app, app.now())
        run_consent_deadlines(app, app.now())
        assert [(p.event, p.robot, p.service) for p in posts(app)] == [
            ("done", "Q1 新品", "wecom"), ("official", "Q1 新品", "wecom"),
        ]  # fmt: skip
        deliver(app)
    finally:
        app.db.dispose()
    assert [r["service"] for r in robots.requests] == ["wecom", "wecom"]


def test_tick_delivers_the_posts(home: Path, clock: FixedClock, robots: Robots) -> None:
    app = open_app(home, clock, "enabled = true\n" + robot_config(robots.url, "feishu"))
    try:
        zh_round(app, clock)
    finally:
        app.db.dispose()
    config = str(home / "config.toml")
    assert main(["--config", config, "--now", "2026-12-07T09:05", "tick"]) == 0
    assert len(robots.of("feishu")) == 2 and robots.problems == []


def test_the_daemon_posts_with_the_minutes_jobs_not_between_mails(
    home: Path, clock: FixedClock, robots: Robots
) -> None:
    """A robot that does not answer costs its timeout: the daemon's delivery between groups of a
    burst of mail sends mail only, and the posts go with the minute's jobs."""
    from mailbot.daemon import Daemon
    from mailbot.delivery.maildir import MaildirDelivery
    from mailbot.sources.maildir import MaildirSource

    app = open_app(home, clock, "enabled = true\n" + robot_config(robots.url, "dingtalk"))
    try:
        zh_round(app, clock)
        daemon = Daemon(app, MaildirSource(home / "inbox"), lambda: MaildirDelivery(home / "sent"), interval=1)
        daemon.poll_and_deliver()
        assert robots.requests == [] and {p.status for p in posts(app)} == {"pending"}
        assert len(list((home / "sent" / "new").iterdir())) > 0  # the mail went
        daemon.deadlines()
        assert len(robots.of("dingtalk")) == 2 and {p.status for p in posts(app)} == {"sent"}
    finally:
        app.db.dispose()


def test_nothing_is_queued_when_groups_are_off(app: App, clock: FixedClock) -> None:
    zh_round(app, clock)
    assert posts(app) == []


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [backoff(n).total_seconds() / 60 for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[groups.robots."*"]\nservice = "slack"\nwebhook = "https://x"\n', "is not one of"),
        ('[groups.robots."*"]\nservice = "wecom"\nwebhook = "ftp://x"\n', "is not an http(s) URL"),
        ('enabled = true\n[groups.robots."*"]\nservice = "wecom"\n', "needs webhook or webhook_env"),
        ('[groups.robots."*"]\nservice = "wecom"\nwebhook = "https://x"\nevents = ["lunch"]\n', "not among"),
        ('[groups.robots."*"]\nservice = "wecom"\nwebhok = "https://x"\n', "groups.robots.*.webhok: unknown key"),
    ],
)
def test_a_wrong_group_config_stops_the_start(home: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(with_groups(home, body))


def test_secrets_come_from_the_environment(
    home: Path, clock: FixedClock, robots: Robots, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_DING_WEBHOOK", f"{robots.url}/dingtalk/robot/send?access_token=ding-token")
    monkeypatch.setenv("TEST_DING_SECRET", DING_SECRET)
    body = (
        'enabled = true\n[groups.robots."*"]\nservice = "dingtalk"\nwebhook_env = "TEST_DING_WEBHOOK"\n'
        'secret_env = "TEST_DING_SECRET"\nevents = ["official"]\n'
    )
    app = open_app(home, clock, body)
    try:
        zh_round(app, clock)
        assert deliver(app, wall_clock=lambda: datetime.now().timestamp())["posted"] == 1
    finally:
        app.db.dispose()
    assert robots.problems == []
    with app.db.session() as session:
        assert "ding-token" not in json.dumps([p.message for p in session.scalars(select(GroupPost))])


# Trial 14 ---------------------------------------------------------------------------------------


def test_a_post_the_clock_caused_waits_for_the_sending_hours_and_follows_its_mails(
    home: Path, clock: FixedClock, robots: Robots
) -> None:
    """The confirmation round closes at 00:05 on Saturday: the 正式版 mails wait for Monday 09:00,
    and so does the post saying they went out — it is not in the group at 00:05."""
    from mailbot.jobs import run_jobs

    app = open_app(home, clock, "enabled = true\n" + robot_config(robots.url, "wecom", events='["official"]'))
    try:
        at(clock, "2026-12-02 18:00")
        assert feed(app, "outlook_zh_minutes_gbk_html.eml").outcome == "processed"
        at(clock, "2026-12-03 10:00")
        process(app, reply(app, request_to(app, "zhang.wei@corp.example"), "确认"))
        at(clock, "2026-12-05 00:05")
        assert run_jobs(app)["confirmed"] == 1
        (post,) = posts(app)
        opening = datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI)
        assert post.next_attempt_at == opening
        assert {m.next_attempt_at for m in outbox(app, "final_minutes")} == {opening}
        assert deliver(app) == {"posted": 0, "retry": 0, "failed": 0}
        at(clock, "2026-12-07 08:59")
        assert deliver(app)["posted"] == 0 and robots.requests == []
    finally:
        app.db.dispose()
    # Monday 09:00, as the daemon's minute runs it: the mails first, then the post.
    assert main(["--config", str(home / "config.toml"), "--now", "2026-12-07T09:00", "tick"]) == 0
    (official,) = robots.of("wecom")
    assert "正式版已邮件发送给全体参会人员。" in official["body"]["markdown"]["content"]
    assert {m.status for m in outbox(app, "final_minutes")} == {"sent"}


def test_a_post_a_person_caused_is_not_held(home: Path, clock: FixedClock, robots: Robots) -> None:
    """A 完成 at 20:00 is posted with its answer, at once (only the clock's decisions wait)."""
    app = open_app(home, clock, "enabled = true\n" + robot_config(robots.url, "wecom", events='["done"]'))
    try:
        at(clock, "2026-12-02 18:00")
        assert feed(app, "outlook_zh_minutes_gbk_html.eml").outcome == "processed"
        at(clock, "2026-12-03 20:00")
        process(app, reply(app, request_to(app, "zhao.min@corp.example"), "完成"))
        (post,) = posts(app)
        assert post.next_attempt_at == clock.now()
        assert deliver(app)["posted"] == 1
    finally:
        app.db.dispose()


def test_groups_retry_sends_the_failed_posts_again_once_the_robot_is_fixed(
    home: Path, clock: FixedClock, robots: Robots, capsys: pytest.CaptureFixture[str]
) -> None:
    body = "enabled = true\nmax_attempts = 2\n" + robot_config(robots.url, "dingtalk")
    app = open_app(home, clock, body)
    config = str(home / "config.toml")
    try:
        zh_round(app, clock)
        robots.fail = 100  # the robot answers 500 to everything: its webhook was reset
        deliver(app)
        clock.set(clock.now() + timedelta(minutes=1))
        deliver(app)
        assert [(p.status, p.attempts) for p in posts(app)] == [("failed", 2), ("failed", 2)]
        robots.fail = 0  # fixed
        assert main(["--config", config, "groups", "retry", "--robot", "Q1 新品"]) == 2
        assert 'no [groups.robots."Q1 新品"]' in capsys.readouterr().err
        assert main(["--config", config, "--now", clock.now().isoformat(), "groups", "retry", "--robot", "*"]) == 0
        assert '2 failed group post(s) of robot "*" back in the queue' in capsys.readouterr().out
        assert [(p.status, p.attempts) for p in posts(app)] == [("pending", 0), ("pending", 0)]
        assert deliver(app) == {"posted": 2, "retry": 0, "failed": 0}
        assert {p.status for p in posts(app)} == {"sent"}
        assert main(["--config", config, "groups", "retry"]) == 0  # nothing failed: nothing to do
        assert "no failed group post" in capsys.readouterr().out
        assert {p.status for p in posts(app)} == {"sent"}  # a post sent is never sent again
    finally:
        app.db.dispose()
    assert robots.problems == []


def test_groups_retry_needs_the_groups_on(app: App, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(app.config.origin), "groups", "retry"]) == 2
    assert "groups.enabled is false" in capsys.readouterr().err
