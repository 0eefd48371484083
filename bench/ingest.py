"""Ingest speed on generated minutes mails: mails/s, actions/s and peak memory, beside the raw
parse rate of the stdlib on the same files.

    .venv/bin/python bench/ingest.py --mails 1000          # prints one line of figures
    .venv/bin/python bench/ingest.py --mails 1000 5000     # several sizes: memory should stay flat
    .venv/bin/python bench/ingest.py --mails 1000 --postgresql postgresql+psycopg://postgres@127.0.0.1:5432/test
                                                           # SQLite, and PostgreSQL beside it

`--postgresql URL` runs each size on SQLite and then on PostgreSQL, in a schema of its own made
for the run and dropped after it. `cpu` is the ingest loop's own CPU time per mail (user and
system of this process): on a shared machine it moves less than the rate does.

Each mail has 10 actions and 8 distinct owners; half are Chinese GBK HTML (Word-style tables,
labelled gb2312 as Outlook does), half English plain text with tab-separated tables. Every mail is
a new meeting, so each one writes a meeting, 10 actions, events and ~12 rendered outbox mails.

`stmts` is the SQL statements sent per mail (an executemany counts once), `flushes` the ORM
flushes per mail, `ctx` the outbox contexts' stored JSON per mail: what the work is, beside how
fast it went. `read only` is the rate of the reading alone (MIME, HTML, quote, draft) on the
same mails without any database: the ceiling of one process, before storage and outbox.
"""

from __future__ import annotations

import argparse
import email
import mailbox
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.config import default_config_text, load_config
from mailbot.pipeline import process
from mailbot.sources.maildir import MaildirSource

OWNERS = [(f"员工{n}", f"user{n}@corp.example") for n in range(8)]


def chinese_html(n: int) -> bytes:
    rows = "".join(
        f"<tr><td><p class=MsoNormal>{i}<o:p></o:p></p></td><td><p class=MsoNormal>第{n}次会议的任务{i}：整理材料并提交"
        f"<o:p></o:p></p></td><td><p class=MsoNormal>市场部 {OWNERS[i % 8][0]} &lt;{OWNERS[i % 8][1]}&gt;</p></td>"
        f"<td>研发部</td><td>2027-01-{10 + i:02d}</td><td>报告 PDF</td></tr>"
        for i in range(1, 11)
    )
    html = (
        "<html><body><div class=WordSection1>"
        f"<p class=MsoNormal>会议名称：跨部门协作会 第{n}次<o:p></o:p></p>"
        "<p class=MsoNormal>会议日期：2026-12-02</p><p class=MsoNormal>主持人：市场部 李娜 &lt;li.na@corp.example&gt;</p>"
        "<p class=MsoNormal><b>三、行动项</b></p><table border=1>"
        "<tr><td>序号</td><td>任务描述</td><td>负责人</td><td>配合部门</td><td>完成时限</td><td>交付标准</td></tr>"
        f"{rows}</table></div></body></html>"
    )
    headers = (
        f"{THROUGH_OUR_SERVER}From: =?gb2312?B?zfW3vA==?= <wang.fang@corp.example>\r\nTo: minutes@corp.example\r\n"
        f"Subject: =?gb2312?B?ocS8zdKqob8=?= {n}\r\nDate: Wed, 2 Dec 2026 17:32:10 +0800\r\n"
        f"Message-ID: <bench-zh-{n}@corp.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: text/html; charset="gb2312"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
    )
    return headers.encode() + html.encode("gbk")


def english_plain(n: int) -> bytes:
    rows = "\r\n".join(
        f"{i}\tTask {i} of meeting {n}: prepare the figures\t{OWNERS[i % 8][1]}\tFinance\t2027-01-{10 + i:02d}\tSheet"
        for i in range(1, 11)
    )
    body = (
        f"Meeting: Budget review {n}\r\nDate: 2026-12-02\r\nHost: Li Na <li.na@corp.example>\r\n\r\n"
        f"Action items:\r\nNo.\tAction\tOwner\tSupport\tDue\tDeliverable\r\n{rows}\r\n"
    )
    headers = (
        f"{THROUGH_OUR_SERVER}From: Wang Fang <wang.fang@corp.example>\r\nTo: minutes@corp.example\r\n"
        f"Subject: [Minutes] Budget review {n}\r\n"
        f"Date: Wed, 2 Dec 2026 17:32:10 +0800\r\nMessage-ID: <bench-en-{n}@corp.example>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    return (headers + body).encode()


# What the company's MX writes on top of every mail it takes: its Received line and its verdict.
THROUGH_OUR_SERVER = (
    "Received: from smtp.corp.example by mx.corp.example (Postfix) with ESMTPS id 4ZmQ1;\r\n"
    "\tWed, 2 Dec 2026 17:32:11 +0800 (CST)\r\n"
    "Authentication-Results: mx.corp.example; auth=pass smtp.auth=wang.fang@corp.example\r\n"
)


@contextmanager
def postgresql_schema(url: str) -> Iterator[str]:
    """A schema of its own on the server at `url` (as tests/conftest.py makes one), dropped after."""
    import sqlalchemy

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(url)
    with admin.begin() as connection:
        connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def measure(count: int, database_url: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        inbox = mailbox.Maildir(str(home / "inbox"), create=True)
        for n in range(count):
            inbox.add(chinese_html(n) if n % 2 == 0 else english_plain(n))
        files = [p.read_bytes() for p in (home / "inbox" / "new").iterdir()]
        started = time.perf_counter()
        for raw in files:
            email.message_from_bytes(raw)
        raw_rate = len(files) / (time.perf_counter() - started)

        # The mails came through the company's server, which vouches for their senders (README, "Who
        # may change what"): drafts are applied at once, the proof read on every mail.
        text = default_config_text().replace('authserv_id = ""', 'authserv_id = "mx.corp.example"')
        if database_url:
            text = text.replace('url = "sqlite:///mailbot.db"', f'url = "{database_url}"')
        (home / "config.toml").write_text(text)
        app = App.open(load_config(home / "config.toml"), FixedClock(datetime(2026, 12, 2, 10, 0, tzinfo=UTC)))
        read_rate = reading_rate(app, files)
        del files
        source = MaildirSource(home / "inbox")
        outcomes: dict[str, int] = {}
        counts = count_work(app)
        started, cpu_started = time.perf_counter(), time.process_time()
        for fetched in source.fetch_new():
            result = process(app, fetched.raw, source_key=fetched.key)
            source.mark_done(fetched.key, result.status)
            outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        context_bytes = stored_context_bytes(app)
        app.db.dispose()
        database = (database_url or "sqlite").partition(":")[0].partition("+")[0]
        print(
            f"mails={count:>6}  {database:<10}  ingest {count / elapsed:7.1f} mails/s  {count * 10 / elapsed:8.1f} "
            f"actions/s  cpu {cpu / count * 1000:5.1f} ms/mail  read only {read_rate:5.0f} mails/s  "
            f"stdlib parse {raw_rate:7.0f} mails/s  "
            f"peak RSS {peak_mb:6.1f} MB  stmts {counts['statements'] / count:5.1f}/mail  "
            f"flushes {counts['flushes'] / count:4.1f}/mail  ctx {context_bytes / count / 1024:5.1f} KB/mail  "
            f"outcomes {outcomes}",
            flush=True,
        )


def reading_rate(app: App, files: list[bytes]) -> float:
    """Mails/s of the reading alone, no database: parse the MIME mail, decode and read its HTML,
    cut the quote, read the draft (the work every mail needs before anything is stored). One
    process cannot ingest faster than this, whatever the storage costs."""
    from mailbot.formats.reader import ReadContext, read_meeting
    from mailbot.message import InboundMail
    from mailbot.pipeline import written_text

    anchor = app.now().date()
    started = time.perf_counter()
    for raw in files:
        mail = InboundMail.from_bytes(raw)
        written_text(app, mail.body_text)
        people = [(person.name, person.address) for person in mail.people()]
        context = ReadContext(
            calendar=app.calendar, anchor=anchor, header_people=people, vocabulary=app.rules.vocabulary
        )
        read_meeting(mail.text, mail.html, ctx=context, html_reading=mail.html_reading if mail.html.strip() else None)
    return len(files) / (time.perf_counter() - started)


def count_work(app: App) -> dict[str, int]:
    """Statements sent and ORM flushes run from now on, counted as they happen."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    counts = {"statements": 0, "flushes": 0}

    def statement(*_: object) -> None:
        counts["statements"] += 1

    def flushed(*_: object) -> None:
        counts["flushes"] += 1

    event.listen(app.db.engine, "before_cursor_execute", statement)
    event.listen(Session, "after_flush", flushed)
    return counts


def stored_context_bytes(app: App) -> int:
    """The outbox contexts as stored (JSON text, in characters), all rows together."""
    from sqlalchemy import Text, cast, func, select

    from mailbot.store.models import OutboxMail

    with app.db.transaction() as session:
        return int(session.scalar(select(func.sum(func.length(cast(OutboxMail.__table__.c.context, Text))))) or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mails", type=int, nargs="+", default=[1000])
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary folder")
    parser.add_argument(
        "--postgresql", metavar="URL", default=None,
        help="also run each size on this PostgreSQL server, in a schema made for the run (after SQLite)",
    )  # fmt: skip
    args = parser.parse_args()
    if len(args.mails) == 1 and not args.postgresql:
        measure(args.mails[0], args.database_url)
        return
    # One process per size and database: peak RSS is per process, so runs must not share one.
    for count in args.mails:
        extra = ["--database-url", args.database_url] if args.database_url else []
        subprocess.run([sys.executable, __file__, "--mails", str(count), *extra], check=True)
        if args.postgresql:
            with postgresql_schema(args.postgresql) as url:
                subprocess.run([sys.executable, __file__, "--mails", str(count), "--database-url", url], check=True)


if __name__ == "__main__":
    main()
