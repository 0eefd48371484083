"""The read-only pages (issue 14, items 1 and 2), over HTTP from the real server: uvicorn on a free
port in a thread, against a SQLite home where a realistic round has run — the Foxmail agenda and
the Outlook minutes of M-1 (zh), one owner confirmed, one delayed, one delivered and verified, one
silent; and M-2, the English budget review (A-5…A-8), to which 朱镕 is no party. The pages are
read on Wednesday 16 December 2026: A-1 (张伟, due the 15th) is one working day overdue, A-2 (陈喆,
delayed to the 20th) is due this week, A-8 (张伟's in M-2) still awaits his confirmation.

Links are made as mails would make them (`web_link`), then followed, altered, expired, revoked.
Headless Chromium (Debian's package) takes a screenshot of each page kind into test-output/.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import select, update

from mailbot.app import App
from mailbot.cli import main
from mailbot.clock import FixedClock
from mailbot.config import default_config_text, load_config
from mailbot.pipeline import process
from mailbot.store.models import Meeting, Person
from mailbot.web import web_link
from mailbot.web.links import issue, link_key, make_link, read
from mailbot.workflow.consent import run_consent_deadlines
from tests.conftest import need_server
from tests.helpers import SHANGHAI, at, feed, outbox
from tests.replying import reply

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
PROJECT = "Q1 新品上市"
HOST = "li.na@corp.example"
BAD_LINK_LIMIT = 6


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Site:
    app: App
    clock: FixedClock
    base: str
    home: Path

    def link(self, address: str, scope: str = "person") -> str:
        url = web_link(self.app, address, scope)
        assert url is not None and url.startswith(self.base)
        return url


def build_round(app: App, clock: FixedClock) -> None:
    def request_to(address: str):  # type: ignore[no-untyped-def]
        return next(m for m in outbox(app, "confirm_request") if m.to_address == address)

    at(clock, "2026-11-30 09:20")
    assert feed(app, "foxmail_zh_agenda_gbk.eml").outcome == "processed"
    at(clock, "2026-12-02 18:00")
    assert feed(app, "outlook_zh_minutes_gbk_html.eml").outcome == "processed"
    at(clock, "2026-12-03 10:00")
    process(app, reply(app, request_to("zhang.wei@corp.example"), "确认"))
    process(app, reply(app, request_to("chen.zhe@corp.example"), "延期至 2026-12-20，原因：等待供应商样机"))
    process(app, reply(app, request_to("zhao.min@corp.example"), "完成"))
    at(clock, "2026-12-04 11:00")
    (acceptance,) = outbox(app, "acceptance_request")
    process(app, reply(app, acceptance, "确认"))
    at(clock, "2026-12-07 09:00")
    assert run_consent_deadlines(app, app.now())["confirmed"] == 1
    at(clock, "2026-12-07 20:00")
    assert feed(app, "gmail_en_minutes_markdown.eml").outcome == "processed"
    with app.db.transaction() as session:
        session.execute(update(Meeting).values(project=PROJECT))
        session.add(Person(address="cfo@corp.example", name="CFO", department="财务部", role="head", language="en",
                           created_at=clock.now()))  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("web")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    text = (
        default_config_text("minutes@corp.example")
        .replace('url = "sqlite:///mailbot.db"', f'url = "sqlite:///{home / "mailbot.db"}"')
        .replace('unproven = "confirm"', 'unproven = "apply"')
        # Only the web pages on (the archive and the group robots keep their defaults).
        .replace("[web]\n# Read-only pages", "[web]\n# (test)\n# Read-only pages")
    )
    head, web = text.split("[web]\n# (test)\n", 1)
    web = web.replace("enabled = false", "enabled = true", 1).replace('base_url = ""', f'base_url = "{base}"', 1)
    web = web.replace(
        "[archive]", f'trusted_proxies = ["127.0.0.1"]\nbad_link_limit = {BAD_LINK_LIMIT}\n\n[archive]', 1
    )
    text = head + "[web]\n" + web
    (home / "config.toml").write_text(text, encoding="utf-8")
    clock = FixedClock(datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI))
    app = App.open(load_config(home / "config.toml"), clock)
    build_round(app, clock)
    at(clock, "2026-12-16 10:00")

    from mailbot.web.server import make_server

    server = make_server(app, "127.0.0.1", port)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the web server did not start"
        time.sleep(0.05)
    try:
        yield Site(app=app, clock=clock, base=base, home=home)
    finally:
        server.should_exit = True
        thread.join(10)
        app.db.dispose()


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str


def get(url: str, *, client: str | None = None, language: str | None = None) -> Answer:
    request = urllib.request.Request(url)
    if client:  # as the reverse proxy names the client (127.0.0.1 is a trusted proxy here)
        request.add_header("X-Forwarded-For", client)
    if language:
        request.add_header("Accept-Language", language)
    try:
        with _OPENER.open(request, timeout=30) as response:
            return Answer(response.status, {k.lower(): v for k, v in response.headers.items()},
                          response.read().decode())  # fmt: skip
    except urllib.error.HTTPError as error:
        return Answer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode())


class Refs(HTMLParser):
    """The data-ref of every element inside the element with id=`within` (or the whole page)."""

    def __init__(self, html: str, within: str | None = None) -> None:
        super().__init__()
        self.within, self.depth, self.refs = within, 0 if within else 1, []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if self.depth:
            self.depth += 1
        elif values.get("id") == self.within:
            self.depth = 1
        if self.depth and values.get("data-ref"):
            self.refs.append(values["data-ref"])

    def handle_endtag(self, tag: str) -> None:
        if self.depth and self.within:
            self.depth -= 1


def refs(html: str, within: str | None = None) -> list[str]:
    return Refs(html, within).refs


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="(/[^"]+)"', html)


# A person's page ---------------------------------------------------------------------------------


def test_a_person_follows_their_link_and_sees_exactly_their_actions(site: Site) -> None:
    page = get(site.link("zhu.rong@corp.example"), client="10.0.0.1")
    assert page.status == 200
    assert refs(page.text, "own") == ["A-4"]  # their one action, and no one else's
    assert refs(page.text, "meetings") == ["M-1"]  # M-2 is none of their business
    assert "朱镕的任务与会议" in page.text and 'lang="zh-CN"' in page.text

    zhang = get(site.link("zhang.wei@corp.example"), client="10.0.0.1")
    assert refs(zhang.text, "own") == ["A-1", "A-8"]  # overdue first, then the one to confirm
    assert refs(zhang.text, "meetings") == ["M-2", "M-1"]  # the latest first
    overdue, to_confirm = zhang.text.split('data-group="to_confirm"')
    assert 'data-group="overdue"' in overdue and "逾期 1 个工作日" in overdue and "A-8" in to_confirm

    chen = get(site.link("chen.zhe@corp.example"), client="10.0.0.1")
    # 陈喆: M-2's cost estimate (within 3 working days, never confirmed) is overdue; A-2, delayed
    # to Sunday the 20th with its reason, is due this week.
    assert refs(chen.text, "own") == ["A-7", "A-2"]
    this_week = chen.text.split('data-group="this_week"')[1]
    assert "A-2" in this_week and "等待供应商样机" in this_week and "A-7" not in this_week

    # The host verified A-3 and owns nothing: no action of theirs, both meetings they are party to.
    host = get(site.link(HOST), client="10.0.0.1")
    assert refs(host.text, "own") == []
    assert sorted(refs(host.text, "meetings")) == ["M-1", "M-2"]


def test_every_mail_carries_the_readers_own_link_and_it_opens_their_page(site: Site) -> None:
    """Issue 14, item 2: the link in the mail is the way in — 朱镕's confirmation request carries
    her page, in both parts, and following it shows her action; nobody else's link is in it."""
    from tests.helpers import outbox

    request = next(m for m in outbox(site.app, "confirm_request") if m.to_address == "zhu.rong@corp.example")
    text = request.body_text or ""
    found = re.search(r"个人链接，请勿转发）：(\S+)", text)
    assert found, text[-600:]
    link = found.group(1)
    assert link.startswith(site.base) and link in (request.body_html or "")
    page = get(link, client="10.0.0.2")
    assert page.status == 200 and refs(page.text, "own") == ["A-4"]


def test_a_department_head_sees_their_department_in_english(site: Site) -> None:
    page = get(site.link("cfo@corp.example"), client="10.0.0.2")
    assert page.status == 200 and 'lang="en"' in page.text
    assert "My meetings" in page.text and "department head" in page.text
    assert refs(page.text, "meetings") == ["M-1"]
    # ?lang= switches, and the links on the page keep it.
    zh = get(site.link("cfo@corp.example") + "?lang=zh", client="10.0.0.2")
    assert "我参与的会议" in zh.text and all(h.endswith("?lang=zh") for h in hrefs(zh.text) if h.startswith("/m/"))


def test_the_language_follows_the_browser_when_the_person_has_none(site: Site) -> None:
    # 张伟 has no language of their own: the browser's asks for English.
    page = get(site.link("zhang.wei@corp.example"), client="10.0.0.3", language="en-GB,en;q=0.8")
    assert "My action items" in page.text and "1 working day overdue" in page.text


# A meeting's page --------------------------------------------------------------------------------


def test_the_meeting_page_shows_the_minutes_table_and_history(site: Site) -> None:
    person = get(site.link("zhang.wei@corp.example"), client="10.0.1.1")
    (meeting_link,) = {h for h in hrefs(person.text) if h.startswith("/m/1/")}
    page = get(site.base + meeting_link, client="10.0.1.1")
    assert page.status == 200
    for text in ("一、会议基本信息", "二、议题与讨论要点", "三、决议事项", "四、行动项跟踪表", "五、处理记录",
                 "总部3楼第一会议室", "产品推广与技术支持协作流程", "新品上市日期定为2027年1月18日",
                 "逾期未回复，视为同意", "等待供应商样机", "验收通过"):  # fmt: skip
        assert text in page.text, text
    assert refs(page.text, "tracking") == ["A-1", "A-2", "A-3", "A-4"]
    assert 'class="late"' in page.text  # A-1 is overdue


def test_changing_the_url_to_another_meeting_gives_404(site: Site) -> None:
    url = site.link("zhu.rong@corp.example", "M-1")
    assert get(url, client="10.0.2.1").status == 200
    other = url.replace("/m/1/", "/m/2/")
    assert get(other, client="10.0.2.1").status == 404
    # A link to M-2 made for 朱镕 opens nothing either: they are not party to it. Same answer.
    not_party = get(site.link("zhu.rong@corp.example", "M-2"), client="10.0.2.1")
    assert not_party.status == 404
    unknown = get(site.link("zhu.rong@corp.example", "M-99"), client="10.0.2.1")
    assert unknown.status == 404 and unknown.text == not_party.text
    # A person link does not open a meeting page, nor a meeting link the person page.
    token = site.link("zhang.wei@corp.example").rsplit("/", 1)[1]
    assert get(f"{site.base}/m/1/{token}", client="10.0.2.1").status == 404
    meeting_token = url.rsplit("/", 1)[1]
    assert get(f"{site.base}/p/{meeting_token}", client="10.0.2.1").status == 404


def test_a_forged_or_tampered_token_gives_404(site: Site) -> None:
    url = site.link("zhang.wei@corp.example")
    body, mac = url.rsplit("/", 1)[1].split(".")
    key = link_key(site.app.config.token_key)
    other = issue(key, "chen.zhe@corp.example", "person", site.app.now() + timedelta(days=1), 0)
    spliced = f"{other.split('.')[0]}.{mac}"  # someone else's payload under 张伟's MAC
    assert read(key, spliced) is None
    paths = (f"/p/{spliced}", f"/p/{body}.AAAAAAAAAAAAAAAAAAAAAA", "/p/", "/", "/m/1", "/admin", "/p/x/y")
    for n, path in enumerate(paths):
        assert get(site.base + path, client=f"10.0.3.{10 + n}").status == 404, path
    wrong_key = issue(
        link_key(b"another key"), "zhang.wei@corp.example", "person", site.app.now() + timedelta(days=1), 0
    )
    assert get(f"{site.base}/p/{wrong_key}", client="10.0.3.2").status == 404  # a rotated key ends every link


def test_an_expired_link_is_refused(site: Site) -> None:
    early = make_link(site.app, "zhang.wei@corp.example", expires=site.app.now() - timedelta(seconds=1))
    page = get(early, client="10.0.4.1")
    assert page.status == 410 and "链接已失效" in page.text and "A-1" not in page.text


def test_a_revoked_link_is_refused_and_a_new_one_works(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    old = site.link("zhou.ting@corp.example")
    assert get(old, client="10.0.5.1").status == 200
    config = str(site.home / "config.toml")
    assert main(["--config", config, "--now", "2026-12-16T10:00", "web", "revoke", "Zhou.Ting@corp.example"]) == 0
    assert "zhou.ting@corp.example" in capsys.readouterr().out
    assert get(old, client="10.0.5.1").status == 410
    assert main(["--config", config, "--now", "2026-12-16T10:00", "web", "link", "zhou.ting@corp.example"]) == 0
    fresh = capsys.readouterr().out.strip()
    assert fresh.startswith(site.base + "/p/") and get(fresh, client="10.0.5.1").status == 200
    assert get(site.link("zhou.ting@corp.example"), client="10.0.5.1").status == 200


def test_security_headers_on_every_answer(site: Site) -> None:
    for url, status in ((site.link("zhang.wei@corp.example"), 200), (site.base + "/nothing", 404)):
        page = get(url, client="10.0.6.1")
        assert page.status == status
        csp = page.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp and "unsafe-inline" not in csp
        assert re.search(r"style-src 'sha256-[A-Za-z0-9+/=]{44}'", csp) and "frame-ancestors 'none'" in csp
        assert page.headers["referrer-policy"] == "no-referrer"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["cache-control"] == "no-store"
        assert "server" not in page.headers  # no banner
        assert "<script" not in page.text and "style=" not in page.text
    # The <style> block is the one the policy's hash allows.
    import base64
    import hashlib

    page = get(site.link("zhang.wei@corp.example"), client="10.0.6.1")
    css = page.text.split("<style>", 1)[1].split("</style>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in page.headers["content-security-policy"]
    assert get(site.base + "/robots.txt").text == "User-agent: *\nDisallow: /\n"


def test_bad_links_from_one_client_are_rate_limited(site: Site) -> None:
    good = site.link("zhang.wei@corp.example")
    for n in range(BAD_LINK_LIMIT):
        assert get(f"{site.base}/p/guess{n}", client="10.9.9.9").status == 404
    assert get(good, client="10.9.9.9").status == 429  # even a good link, until the window passes
    assert get(good, client="10.9.9.8").status == 200  # another client is not held back


def test_writes_are_refused(site: Site) -> None:
    request = urllib.request.Request(site.link("zhang.wei@corp.example"), data=b"x", method="POST")
    request.add_header("X-Forwarded-For", "10.0.7.1")
    with pytest.raises(urllib.error.HTTPError) as refused:
        _OPENER.open(request, timeout=30)
    assert refused.value.code == 405


# The tracking tables -----------------------------------------------------------------------------


def test_the_project_table_shows_the_host_what_they_are_party_to(site: Site) -> None:
    url = site.link(HOST, f"project:{PROJECT}")
    page = get(url, client="10.0.8.1")
    assert page.status == 200 and "<svg" in page.text
    every = refs(page.text, "tracking")
    assert {"A-1", "A-2", "A-3", "A-4"} <= set(every) and len(every) > 4  # M-2's actions too
    overdue = get(url + "?status=overdue", client="10.0.8.1")
    assert refs(overdue.text, "tracking") == ["A-7", "A-5", "A-1"]  # by due date
    by_owner = get(url + "?owner=chen.zhe%40corp.example", client="10.0.8.1")
    assert refs(by_owner.text, "tracking") == ["A-7", "A-2"]
    verified = get(url + "?status=verified&department=%E9%94%80%E5%94%AE%E9%83%A8", client="10.0.8.1")  # 销售部
    assert refs(verified.text, "tracking") == ["A-3"]
    latest_first = refs(get(url + "?sort=due&dir=desc", client="10.0.8.1").text, "tracking")
    assert latest_first == list(reversed(every))
    # The links on the table open the meetings, for the same person.
    assert get(site.base + next(h for h in hrefs(page.text) if h.startswith("/m/1/")), client="10.0.8.1").status == 200


def test_a_head_sees_only_their_department_in_a_table_and_a_meeting(site: Site) -> None:
    project = get(site.link("cfo@corp.example", f"project:{PROJECT}"), client="10.0.8.2")
    assert refs(project.text, "tracking") == ["A-4"]
    department = get(site.link("cfo@corp.example", "department:财务部"), client="10.0.8.2")
    assert refs(department.text, "tracking") == ["A-4"]
    meeting = get(site.link("cfo@corp.example", "M-1"), client="10.0.8.2")
    assert meeting.status == 200 and refs(meeting.text, "tracking") == ["A-4"]
    # Another department's table, or a project they have nothing in: nothing, as if it did not exist.
    assert get(site.link("cfo@corp.example", "department:研发部"), client="10.0.8.2").status == 404
    assert get(site.link("zhang.wei@corp.example", "project:Another"), client="10.0.8.2").status == 404


def test_web_link_is_none_while_the_pages_are_off(site: Site, tmp_path: Path) -> None:
    from dataclasses import replace

    off = App(config=replace(site.app.config, web=replace(site.app.config.web, enabled=False)),
              clock=site.clock, db=site.app.db)  # fmt: skip
    assert web_link(off, "zhang.wei@corp.example") is None


# Screenshots -------------------------------------------------------------------------------------


def screenshot(url: str, out: Path, size: str, profile: Path) -> None:
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         f"--user-data-dir={profile}", f"--screenshot={out}", f"--window-size={size}", url],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 15_000  # a blank page is a few kB


def test_each_page_kind_renders_in_chromium(site: Site, tmp_path: Path) -> None:
    if not os.access(CHROMIUM, os.X_OK):
        need_server(f"{CHROMIUM} not installed: the pages are not checked in a browser")
    (REPO / "test-output").mkdir(exist_ok=True)
    # Browsers send no X-Forwarded-For: they count as 127.0.0.1, whom no test above limited.
    shots = {
        "web-person-phone.png": (site.link("zhang.wei@corp.example") + "?lang=zh", "390,1100"),
        "web-person-host.png": (site.link(HOST), "1200,900"),
        "web-meeting.png": (site.link(HOST, "M-1") + "?lang=zh", "1280,3000"),
        "web-meeting-phone.png": (site.link("zhang.wei@corp.example", "M-1"), "390,2600"),
        "web-table.png": (site.link(HOST, f"project:{PROJECT}") + "?lang=zh&sort=status", "1280,1500"),
        "web-table-head-en.png": (site.link("cfo@corp.example", "department:财务部"), "1000,900"),
        "web-table-phone.png": (site.link(HOST, f"project:{PROJECT}") + "?status=open", "390,1800"),
    }
    for name, (url, size) in shots.items():
        shot = tmp_path / name
        screenshot(url, shot, size, tmp_path / "profile")
        shutil.copy(shot, REPO / "test-output" / name)  # for a person to look at


def test_the_revocation_table_is_in_the_schema(site: Site) -> None:
    from mailbot.store.models import WebLinkGeneration

    with site.app.db.session() as session:
        assert session.scalars(select(WebLinkGeneration)).all() is not None
