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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

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
from tests.conftest import need_server, postgres_schema_url
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
    database: str

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


def open_site(home: Path, database_url: str) -> tuple[Site, object]:
    """The round on `database_url`, and the pages served from it; (site, the server)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    text = (
        default_config_text("minutes@corp.example")
        .replace('url = "sqlite:///mailbot.db"', f'url = "{database_url}"')
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
    return Site(app=app, clock=clock, base=base, home=home, database=database_url.split(":")[0]), (server, thread)


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Site]]:
    """One site per database, built when a test first asks for it and kept for the module."""
    opened: dict[str, Site] = {}
    stops: list[Callable[[], None]] = []

    def site_on(database: str) -> Site:
        if database not in opened:
            home = tmp_path_factory.mktemp(f"web-{database}")
            if database == "sqlite":
                url = f"sqlite:///{home / 'mailbot.db'}"
            else:
                schema = postgres_schema_url()
                url = next(schema)  # skips (or fails in CI) when there is no server

                def drop(schema: Iterator[str] = schema) -> None:
                    next(schema, None)

                stops.append(drop)
            site, (server, thread) = open_site(home, url)

            def stop(site: Site = site, server: Any = server, thread: threading.Thread = thread) -> None:
                server.should_exit = True
                thread.join(10)
                site.app.db.dispose()

            stops.insert(0, stop)  # the server before its schema
            opened[database] = site
        return opened[database]

    try:
        yield site_on
    finally:
        for stop in stops:
            stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, sites: Callable[[str], Site]) -> Site:
    """The round's pages on each database: what a page shows, and to whom, is read by SQL."""
    return sites(request.param)


@pytest.fixture(scope="module")
def sqlite_site(sites: Callable[[str], Site]) -> Site:
    """For what the database does not decide (headers, tokens, the rate limit, the browser)."""
    return sites("sqlite")


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
    found = re.search(r"个人链接，请勿转发）：\n(\S+)\n", text)
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
    # The history says how each was agreed in words, not the stored key.
    history = page.text.split("五、处理记录", 1)[1]
    assert "本人确认" in history and "explicit" not in history and "silent" not in history
    # Its one version of the minutes, as received (the changes of later ones: test_web_versions.py).
    versions = page.text.split('id="versions"', 1)[1].split("</table>", 1)[0]
    assert versions.count("<tr data-version=") == 1 and "首个版本。" in versions and "王芳" in versions


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


def test_a_forged_or_tampered_token_gives_404(sqlite_site: Site) -> None:
    url = sqlite_site.link("zhang.wei@corp.example")
    body, mac = url.rsplit("/", 1)[1].split(".")
    key = link_key(sqlite_site.app.config.token_key)
    other = issue(key, "chen.zhe@corp.example", "person", sqlite_site.app.now() + timedelta(days=1), 0)
    spliced = f"{other.split('.')[0]}.{mac}"  # someone else's payload under 张伟's MAC
    assert read(key, spliced) is None
    paths = (f"/p/{spliced}", f"/p/{body}.AAAAAAAAAAAAAAAAAAAAAA", "/p/", "/", "/m/1", "/admin", "/p/x/y")
    for n, path in enumerate(paths):
        assert get(sqlite_site.base + path, client=f"10.0.3.{10 + n}").status == 404, path
    wrong_key = issue(
        link_key(b"another key"), "zhang.wei@corp.example", "person", sqlite_site.app.now() + timedelta(days=1), 0
    )
    assert get(f"{sqlite_site.base}/p/{wrong_key}", client="10.0.3.2").status == 404  # a rotated key ends every link


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


def test_security_headers_on_every_answer(sqlite_site: Site) -> None:
    for url, status in ((sqlite_site.link("zhang.wei@corp.example"), 200), (sqlite_site.base + "/nothing", 404)):
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

    page = get(sqlite_site.link("zhang.wei@corp.example"), client="10.0.6.1")
    css = page.text.split("<style>", 1)[1].split("</style>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in page.headers["content-security-policy"]
    assert get(sqlite_site.base + "/robots.txt").text == "User-agent: *\nDisallow: /\n"


def test_bad_links_from_one_client_are_rate_limited(sqlite_site: Site) -> None:
    good = sqlite_site.link("zhang.wei@corp.example")
    for n in range(BAD_LINK_LIMIT):
        assert get(f"{sqlite_site.base}/p/guess{n}", client="10.9.9.9").status == 404
    assert get(good, client="10.9.9.9").status == 429  # even a good link, until the window passes
    assert get(good, client="10.9.9.8").status == 200  # another client is not held back


def test_writes_are_refused(sqlite_site: Site) -> None:
    request = urllib.request.Request(sqlite_site.link("zhang.wei@corp.example"), data=b"x", method="POST")
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


def test_the_table_pages_through_the_filtered_and_sorted_rows(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the rows of the page shown are read whole; the pages together are the whole table, in
    its order, and the counts and charts cover every row whatever the page."""
    from mailbot.web import pages
    from mailbot.web.access import load_viewer

    whole = refs(get(site.link(HOST, f"project:{PROJECT}") + "?sort=owner", client="10.0.8.4").text, "tracking")
    monkeypatch.setattr(pages, "PAGE_SIZE", 3)
    with site.app.db.session() as session:
        viewer = load_viewer(session, HOST)

        def page(n: str) -> dict[str, Any]:
            found = pages.table_page(session, pages.today_of(site.app, "zh"), viewer, "project", PROJECT,
                                     {"sort": "owner", "page": n})  # fmt: skip
            assert found is not None
            return found

        first = page("1")
        assert first["pages"] == 3 and first["total"] == len(whole) and first["shown"] == len(whole)
        assert [r["ref"] for n in ("1", "2", "3") for r in page(n)["rows"]] == whole
        assert [r["ref"] for r in page("99")["rows"]] == whole[6:]  # past the end: the last page
        assert page("2")["weeks"] == first["weeks"] and page("2")["chart"] == first["chart"]


def test_the_project_table_charts_open_actions_by_due_week(site: Site) -> None:
    """Issue 14: open actions week by week, drawn on the server — the counts are text in the
    picture, in its description and in a table beneath; they add up to the table's open rows."""
    url = site.link(HOST, f"project:{PROJECT}")
    page = get(url + "?lang=zh", client="10.0.8.3")
    chart = page.text.split('id="weeks-chart"', 1)[1].split("</section>", 1)[0]
    svg = chart.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert 'role="img"' in svg and 'aria-labelledby="weeks-title weeks-desc"' in svg and 'viewBox="0 0 ' in svg
    assert '<desc id="weeks-desc">' in svg and "本周" in svg
    weeks = [
        (kind, int(open_), int(late))
        for kind, open_, late in re.findall(
            r'<tr data-week="(\w+)"><td>[^<]*(?:<span[^>]*>[^<]*</span>)?</td><td class="nw">(\d+)</td>'
            r'<td class="nw">(\d+)</td></tr>',
            chart,
        )
    ]
    kinds = [kind for kind, _, _ in weeks]
    assert kinds == ["earlier", "this", "next", "from", "from", "from", "from", "from", "later"], weeks
    opened = refs(get(url + "?status=open", client="10.0.8.3").text, "tracking")
    overdue = refs(get(url + "?status=overdue", client="10.0.8.3").text, "tracking")
    assert sum(n for _, n, _ in weeks) == len(opened)
    assert sum(late for _, _, late in weeks) == len(overdue)
    # Wednesday 16 December: A-1 (due Tuesday the 15th, overdue) and A-2 (delayed to Sunday the
    # 20th) fall in this week; the bar's label says so.
    _, this_week, late_this_week = weeks[1]
    assert this_week >= 2 and late_this_week >= 1
    assert re.search(r'<g data-week="this">\s*<title>本周：未完成 \d+ 项，其中逾期 \d+ 项</title>', svg)


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


def test_web_link_refuses_a_link_that_would_open_nothing(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    """Hand trial 14: `web link … --scope project:跨部门协作` printed a link that gave 404, and exited 0."""
    config = str(site.home / "config.toml")

    def link(address: str, scope: str) -> tuple[int, str, str]:
        code = main(["--config", config, "--now", "2026-12-16T10:00", "web", "link", address, "--scope", scope])
        out, err = capsys.readouterr()
        return code, out.strip(), err

    # 跨部门协作 is the archive's folder for meetings without a project, not a project.
    code, out, err = link(HOST, "project:跨部门协作")
    assert (code, out) == (1, "") and "no meeting of project '跨部门协作'" in err and PROJECT in err
    code, out, err = link("zhu.rong@corp.example", "M-2")  # no party to M-2
    assert (code, out) == (1, "") and "zhu.rong@corp.example is not party to M-2" in err
    code, out, err = link("zhu.rong@corp.example", "M-99")
    assert (code, out) == (1, "") and "there is no meeting M-99" in err
    code, out, err = link("cfo@corp.example", "department:研发部")  # heads 财务部 only
    assert (code, out) == (1, "") and "may see none of the action items of department '研发部'" in err
    # What they may see still gets its link, and it opens.
    for address, scope in (("zhu.rong@corp.example", "M-1"), ("cfo@corp.example", f"project:{PROJECT}"),
                           ("cfo@corp.example", "department:财务部"), (HOST, f"project:{PROJECT}"),
                           ("nobody@corp.example", "person")):  # fmt: skip
        code, out, err = link(address, scope)
        assert code == 0 and err == "" and get(out, client="10.0.8.9").status == 200, (address, scope)


def test_web_link_is_none_while_the_pages_are_off(sqlite_site: Site, tmp_path: Path) -> None:
    from dataclasses import replace

    off = App(config=replace(sqlite_site.app.config, web=replace(sqlite_site.app.config.web, enabled=False)),
              clock=sqlite_site.clock, db=sqlite_site.app.db)  # fmt: skip
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


def test_each_page_kind_renders_in_chromium(sqlite_site: Site, tmp_path: Path) -> None:
    if not os.access(CHROMIUM, os.X_OK):
        need_server(f"{CHROMIUM} not installed: the pages are not checked in a browser")
    (REPO / "test-output").mkdir(exist_ok=True)
    # Browsers send no X-Forwarded-For: they count as 127.0.0.1, whom no test above limited.
    shots = {
        "web-person-phone.png": (sqlite_site.link("zhang.wei@corp.example") + "?lang=zh", "390,1100"),
        "web-person-host.png": (sqlite_site.link(HOST), "1200,900"),
        "web-meeting.png": (sqlite_site.link(HOST, "M-1") + "?lang=zh", "1280,3000"),
        "web-meeting-phone.png": (sqlite_site.link("zhang.wei@corp.example", "M-1"), "390,2600"),
        "web-table.png": (sqlite_site.link(HOST, f"project:{PROJECT}") + "?lang=zh&sort=status", "1280,1500"),
        "web-table-head-en.png": (sqlite_site.link("cfo@corp.example", "department:财务部"), "1000,900"),
        "web-table-phone.png": (sqlite_site.link(HOST, f"project:{PROJECT}") + "?status=open", "390,1800"),
    }
    for name, (url, size) in shots.items():
        shot = tmp_path / name
        screenshot(url, shot, size, tmp_path / "profile")
        shutil.copy(shot, REPO / "test-output" / name)  # for a person to look at


def test_the_revocation_table_is_in_the_schema(site: Site) -> None:
    from mailbot.store.models import WebLinkGeneration

    with site.app.db.session() as session:
        assert session.scalars(select(WebLinkGeneration)).all() is not None
