"""The weekly mail's at-a-glance block (issue 14): a host's and a department head's copy show
overdue and open actions per department and open actions by due week, drawn with table cells so
Outlook and Gmail show it; an owner's or bystander's copy has none."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.store.models import ActionItem, Meeting, Person
from mailbot.workflow.digest import GLANCE_DEPARTMENTS, build_digest, run_digest
from tests.conftest import need_server
from tests.helpers import at, feed
from tests.test_digest import CHROMIUM, REPO, digest_mails
from tests.test_digest_sections import MONDAY, at_day, one_of_each

# M-2 (赵敏 hosts it), each action where the test wants it on Monday 12-21: one overdue, an
# objection past its due date (the host's to settle: this week, not overdue), and the rest spread
# over the coming weeks. ref -> (status, due, department).
M2: dict[str, tuple[str, date, str | None]] = {
    "A-12": ("accepted", date(2026, 12, 15), "市场部"),  # overdue
    "A-13": ("in_progress", date(2027, 1, 6), "销售部"),  # the week of 01-04
    "A-14": ("objected", date(2026, 12, 10), "财务部"),  # past due, waiting for the host: this week
    "A-15": ("accepted", date(2027, 2, 1), "研发部"),  # later
    "A-16": ("accepted", date(2026, 12, 27), None),  # Sunday: this week; no department named
}


def two_meetings(app: App, clock: FixedClock) -> None:
    """M-1 with an action in every state (tests/test_digest_sections.py, 李娜 hosts it, a head for
    研发部), and M-2 from the QQ Mail minutes, its actions as M2 says."""
    one_of_each(app, clock)
    at(clock, "2026-12-04 18:00")
    feed(app, "qq_zh_minutes_utf8_lines.eml")
    with app.db.transaction() as session:
        for action in session.query(ActionItem).filter(ActionItem.meeting_id == 2):
            action.status, action.due, action.department = M2[action.ref]
        meeting = session.get(Meeting, 2)
        assert meeting is not None and meeting.host_address == "zhao.min@corp.example" and len(meeting.actions) == 5


# What the outbox adds to a context it stores (the footer's), for rendering one built here.
FOOTER = {"token": None, "bot_address": "minutes@corp.example", "bot_name": "Mailbot", "docs_url": ""}


def weeks(*counts: int) -> list[dict[str, Any]]:
    """The due-week chart as the context holds it, for the week of MONDAY."""
    keys = [("overdue", None), ("this_week", "2026-12-21"), ("next_week", "2026-12-28"), ("week", "2027-01-04"),
            ("week", "2027-01-11"), ("later", "2027-01-18")]  # fmt: skip
    return [{"key": k, "from": f, "count": n} for (k, f), n in zip(keys, counts, strict=True)]


def department(name: str | None, overdue: int, open_: int) -> dict[str, Any]:
    return {"name": name, "overdue": overdue, "open": open_}


class Rows(HTMLParser):
    """The text of each row of the HTML's tables, cell by cell (nested tables' rows too)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.cells: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.cells.append([])
        elif tag in ("td", "th") and self.cells:
            self.cells[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self.cells:
            row = [c.strip() for c in self.cells.pop()]
            if any(row):
                self.rows.append(row)

    def handle_data(self, data: str) -> None:
        if self.cells and self.cells[-1]:
            self.cells[-1][-1] += data.replace("\xa0", " ")


def glance_html(html: str) -> str:
    """The glance's box: from its heading to the recipient's own items."""
    start = html.index(">一览<") if ">一览<" in html else html.index(">At a glance<")
    return html[start : html.index("</table>\n</td></tr>\n</table>", start)]


def table_rows(html: str) -> list[list[str]]:
    parser = Rows()
    parser.feed(html)
    return [[c for c in row if c] for row in parser.rows]


def text_glance(text: str) -> str:
    """The plain text's block, from its heading to the next one."""
    start = text.index("== 一览 ==") if "== 一览 ==" in text else text.index("== At a glance ==")
    return text[start : text.index("\n== ", start + 1) + 1]


HOST_TEXT = """== 一览 ==
您主持的会议的未完成行动项共 6 项，其中逾期 1 项。
按部门：
  市场部          逾期 1 / 未完成 1
  研发部          逾期 0 / 未完成 2
  销售部          逾期 0 / 未完成 2
  财务部          逾期 0 / 未完成 1
未完成项按完成时限：
  已逾期          1
  本周            2
  下周            2
  1月4日起一周    0
  1月11日起一周   1
  更晚            0

"""


def test_the_host_and_the_head_get_the_picture_and_the_owner_does_not(app: App, clock: FixedClock) -> None:
    two_meetings(app, clock)
    at_day(clock, MONDAY)
    run_digest(app, clock.now())
    mails = {m.to_address: m for m in digest_mails(app)}

    # 李娜 hosts M-1: its six open actions (A-1 overdue since 12-10; A-2 and the delayed A-3 due this
    # week; A-4 and the objected A-5 next week; A-7 on 01-15), not M-2's, where she is no party.
    host = mails["li.na@corp.example"]
    assert host.context["glance"] == {
        "hosted": 1, "headed": [], "open": 6, "overdue": 1,
        "by_department": [department("市场部", 1, 1), department("研发部", 0, 2), department("销售部", 0, 2),
                          department("财务部", 0, 1)],
        "other": None, "by_week": weeks(1, 2, 2, 0, 1, 0),
    }  # fmt: skip
    text = host.body_text or ""
    assert text_glance(text) == HOST_TEXT
    assert text.index("== 一览 ==") < text.index("== 您负责的未完成行动项 ==")  # near the top
    html = host.body_html or ""
    box = glance_html(html)
    assert table_rows(box) == [
        ["按部门", "逾期", "未完成"],
        ["市场部", "1", "1"], ["研发部", "0", "2"], ["销售部", "0", "2"], ["财务部", "0", "1"],
        ["未完成项按完成时限", "未完成"],
        ["已逾期", "1"], ["本周", "2"], ["下周", "2"], ["1月4日起一周", "0"], ["1月11日起一周", "1"],
        ["更晚", "0"],
    ]  # fmt: skip
    assert "您主持的会议的未完成行动项共 6 项" in box
    assert '<span style="color:#d1242f;font-weight:bold;">，其中逾期 1 项</span>' in box  # red in text too
    # The bars: a share of the longest (2 open), the colour as bgcolor for Outlook and as style.
    assert '<td width="50%" height="14" bgcolor="#d1242f" style="width:50%;height:14px;background-color:#d1242f;' in box
    assert box.count('bgcolor="#d1242f"') == 2  # 市场部's overdue, and the overdue week
    # What mail clients drop or refuse, nowhere in the block.
    for banned in ("<svg", "<img", "class=", "<style", "flex", "<div"):
        assert banned not in box, banned

    # 赵敏 hosts M-2: its five; the objection past its due date waits for her this week, not overdue.
    # Her own delayed A-3 of M-1 leads her mail as her item; M-1 is not hers to oversee.
    assert mails["zhao.min@corp.example"].context["glance"] == {
        "hosted": 1, "headed": [], "open": 5, "overdue": 1,
        "by_department": [department("市场部", 1, 1), department("研发部", 0, 1), department("财务部", 0, 1),
                          department("销售部", 0, 1), department(None, 0, 1)],
        "other": None, "by_week": weeks(1, 2, 0, 1, 0, 1),
    }  # fmt: skip
    assert "  未填部门        逾期 0 / 未完成 1\n" in (mails["zhao.min@corp.example"].body_text or "")
    assert "A-3" in [r["ref"] for r in mails["zhao.min@corp.example"].context["mine"]]

    # The head of 研发部 hosts nothing: 研发部's actions of both meetings, and only those.
    head = mails["rd.head@corp.example"]
    assert head.context["glance"] == {
        "hosted": 0, "headed": ["研发部"], "open": 3, "overdue": 0,
        "by_department": [department("研发部", 0, 3)], "other": None, "by_week": weeks(0, 1, 0, 0, 1, 1),
    }  # fmt: skip
    assert text_glance(head.body_text or "").startswith(
        "== 一览 ==\n您负责的部门（研发部）的未完成行动项共 3 项，没有逾期。\n按部门：\n  研发部          逾期 0 / 未完成 3\n"
    )
    assert [r for r in table_rows(glance_html(head.body_html or "")) if r[0] in ("研发部", "销售部", "市场部")] == [
        ["研发部", "0", "3"]
    ]

    # Owners and bystanders oversee nothing: no block, in either part.
    for address in ("chen.zhe@corp.example", "sun.lei@corp.example", "liu.yang@corp.example"):
        mail = mails[address]
        assert mail.context["glance"] is None, address
        assert "一览" not in (mail.body_text or "") and "一览" not in (mail.body_html or ""), address
        assert 'bgcolor="#d1242f"' not in (mail.body_html or ""), address


def test_the_picture_in_english(app: App, clock: FixedClock) -> None:
    two_meetings(app, clock)
    with app.db.transaction() as session:
        li_na = session.query(Person).filter_by(address="li.na@corp.example").one()
        li_na.department, li_na.role, li_na.language = "市场部", "head", "en"
    at_day(clock, MONDAY)
    run_digest(app, clock.now())
    mail = next(m for m in digest_mails(app) if m.to_address == "li.na@corp.example")
    assert mail.language == "en"
    # She hosts M-1 and heads 市场部: M-1's six open actions, and M-2's one of 市场部 (A-12, overdue).
    glance = mail.context["glance"]
    assert (glance["hosted"], glance["headed"], glance["open"], glance["overdue"]) == (1, ["市场部"], 7, 2)
    assert glance["by_department"][0] == department("市场部", 2, 2)
    assert glance["by_week"] == weeks(2, 2, 2, 0, 1, 0)
    assert text_glance(mail.body_text or "") == (
        "== At a glance ==\n"
        "Open action items in the meeting you host and your department (市场部): 7, 2 of them overdue.\n"
        "By department:\n"
        "  市场部            2 overdue / 2 open\n"
        "  研发部            0 overdue / 2 open\n"
        "  销售部            0 overdue / 2 open\n"
        "  财务部            0 overdue / 1 open\n"
        "Open items by due week:\n"
        "  Overdue           2\n"
        "  This week         2\n"
        "  Next week         2\n"
        "  Week of 4 Jan     0\n"
        "  Week of 11 Jan    1\n"
        "  Later             0\n\n"
    )
    rows = table_rows(glance_html(mail.body_html or ""))
    assert rows[0] == ["By department", "Overdue", "Open"] and rows[1] == ["市场部", "2", "2"]
    assert rows[5:] == [["Open items by due week", "Open"], ["Overdue", "2"], ["This week", "2"], ["Next week", "2"],
                        ["Week of 4 Jan", "0"], ["Week of 11 Jan", "1"], ["Later", "0"]]  # fmt: skip
    # The same stored context in Chinese, as a resend in the other language would draw it.
    text, html = app.renderer.render_body("digest", "zh", mail.context)
    assert "您主持的会议及您负责的部门（市场部）的未完成行动项共 7 项，其中逾期 2 项。" in text
    assert ">市场部<" in glance_html(html)


def test_many_departments_fold_into_other(app: App, clock: FixedClock) -> None:
    """Past GLANCE_DEPARTMENTS rows, the smallest departments are one "other" row: the block
    stays a screen high for a head of many, and every action is still counted."""
    one_of_each(app, clock)
    with app.db.transaction() as session:
        template = session.get(ActionItem, 2)
        assert template is not None
        for n in range(1, 7):  # six more departments, D1 with the most open actions
            for k in range(7 - n):
                session.add(ActionItem(
                    meeting_id=1, version_id=template.version_id, number=str(100 + 10 * n + k), description="任务",
                    owner_address="sun.lei@corp.example", department=f"D{n}", due=date(2027, 1, 20),
                    status="accepted", created_at=clock.now(), updated_at=clock.now(),
                ))  # fmt: skip
    with app.db.session() as session:
        context = build_digest(session, app, "li.na@corp.example", MONDAY)
    assert context is not None
    glance = context["glance"]
    names = [d["name"] for d in glance["by_department"]]
    # Overdue first (市场部, A-1), then by open count (D1 6 … D4 3), a tie by name (D5, 研发部 and
    # 销售部 have 2): seven rows and "other" make GLANCE_DEPARTMENTS; 销售部, D6 and 财务部 fold.
    assert names == ["市场部", "D1", "D2", "D3", "D4", "D5", "研发部"] and len(names) + 1 == GLANCE_DEPARTMENTS
    assert glance["other"] == {"departments": 3, "overdue": 0, "open": 2 + 1 + 1}
    assert sum(d["open"] for d in glance["by_department"]) + glance["other"]["open"] == glance["open"] == 6 + 21
    assert glance["by_week"][-1]["count"] == 21  # 01-20: past the four weeks shown
    text, html = app.renderer.render_body("digest", "zh", {**context, **FOOTER})
    assert table_rows(glance_html(html))[8] == ["其他 3 个部门", "0", "4"]
    assert "\n  研发部          逾期 0 / 未完成 2\n  其他 3 个部门   逾期 0 / 未完成 4\n未完成项按完成时限：\n" in text


def test_a_context_stored_before_the_glance_still_renders(app: App, clock: FixedClock) -> None:
    two_meetings(app, clock)
    at_day(clock, MONDAY)
    run_digest(app, clock.now())
    mail = next(m for m in digest_mails(app) if m.to_address == "li.na@corp.example")
    old = {k: v for k, v in mail.context.items() if k != "glance"}
    for language in ("zh", "en"):
        text, html = app.renderer.render_body("digest", language, old)
        assert "== " in text and "一览" not in text and "At a glance" not in text
        assert 'bgcolor="#d1242f"' not in html


def width_in_chromium(page: Path, width: int, tmp_path: Path) -> int:
    """The width the page's content takes in a `width` px column (a phone's screen; headless
    Chromium's window is no narrower than 500 px): the column's scrollWidth, written into the
    title by a script added to a copy for the purpose (mails carry none)."""
    probe = tmp_path / f"probe-{width}.html"
    html = page.read_text(encoding="utf-8")
    html = re.sub(r"(<body[^>]*>)", rf'\1<div id="phone" style="width:{width}px">', html, count=1)
    script = "document.title = 'W' + document.getElementById('phone').scrollWidth;"
    probe.write_text(html.replace("</body>", f"</div><script>{script}</script></body>"), encoding="utf-8")
    dom = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
         f"--window-size={width},900", "--dump-dom", probe.as_uri()],
        check=True, capture_output=True, text=True, timeout=120,
    ).stdout  # fmt: skip
    found = re.search(r"<title>W(\d+)</title>", dom)
    assert found, dom[:300]
    return int(found.group(1))


def test_the_picture_in_a_browser_and_on_a_phone(app: App, clock: FixedClock, tmp_path: Path) -> None:
    if not os.access(CHROMIUM, os.X_OK):
        need_server(f"{CHROMIUM} not installed: the glance is not checked in a browser")
    two_meetings(app, clock)
    at_day(clock, MONDAY)
    run_digest(app, clock.now())
    mail = next(m for m in digest_mails(app) if m.to_address == "li.na@corp.example")
    (REPO / "test-output").mkdir(exist_ok=True)
    for language in ("zh", "en"):
        _, html = app.renderer.render_body("digest", language, mail.context)
        page, shot = tmp_path / f"digest.{language}.html", tmp_path / f"glance.{language}.png"
        page.write_text(html, encoding="utf-8")
        subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=800,900", page.as_uri()],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
        shutil.copy(shot, REPO / "test-output" / f"digest-glance.{language}.png")  # for a person to look at
        # On a 390 px phone the block fits the screen: the glance alone (the mail's other tables
        # are theirs to fit) is no wider than the window.
        alone = {**mail.context, "mine": [], "to_verify": [], "meetings": []}
        _, html = app.renderer.render_body("digest", language, alone)
        page.write_text(html, encoding="utf-8")
        assert width_in_chromium(page, 390, tmp_path) <= 390, language


def test_no_glance_for_who_hosts_nothing_and_heads_nothing(app: App, clock: FixedClock) -> None:
    two_meetings(app, clock)
    with app.db.session() as session:
        context = build_digest(session, app, "zhang.wei@corp.example", MONDAY)  # owner of
    assert context is not None and context["mine"] and context["glance"] is None
