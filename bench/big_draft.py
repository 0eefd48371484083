"""What one large minutes draft costs: seconds, peak memory, mails decided and their size.

    .venv/bin/python bench/big_draft.py --actions 1000 50000            # 8 owners
    .venv/bin/python bench/big_draft.py --actions 1000 --owners 1000    # an owner per action

Each size is a fresh bot home on SQLite: one plain-text Chinese minutes draft with N action lines
(each owner written with an address), fed through the whole pipeline, then the
outbox rendered as delivery would render it. Before issue 9 a 50,000-line draft took ~57 s and
1.1 GB and produced a 120 MB mail; with the draft limits it is refused with one short answer.
Each size runs in its own process, so peak memory is that size's own.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path


def draft(actions: int, owners: int) -> bytes:
    lines = [
        "会议名称：跨部门协作会",
        "会议时间：2026年12月2日 10:00-11:30",
        "主持人：市场部 李娜 <li.na@corp.example>",
        "记录人：销售部 孙磊 <sun.lei@corp.example>",
        "",
        "一、决议事项",
        "1. 按计划推进。",
        "",
        "二、行动项",
    ]
    lines += [
        f"- 第{i}项任务：整理材料并提交；负责人：市场部 员工{i % owners} <user{i % owners}@corp.example>；截止：2027-01-15"
        for i in range(1, actions + 1)
    ]
    body = "\r\n".join(lines).encode("utf-8")
    headers = (
        "From: =?utf-8?B?5a2Z56OK?= <sun.lei@corp.example>\r\nTo: minutes@corp.example\r\n"
        "Subject: =?utf-8?B?44CQ57qq6KaB44CR?=\r\nDate: Wed, 2 Dec 2026 17:32:10 +0800\r\n"
        f"Message-ID: <big-{actions}@corp.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
    )
    return headers.encode() + body


def one(actions: int, owners: int) -> str:
    from sqlalchemy import func, select

    from mailbot.app import App
    from mailbot.clock import FixedClock
    from mailbot.config import default_config_text, load_config
    from mailbot.outbox import render_row
    from mailbot.pipeline import process
    from mailbot.store.models import OutboxMail

    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        (home / "config.toml").write_text(default_config_text("minutes@corp.example"), encoding="utf-8")
        app = App.open(load_config(home / "config.toml"), FixedClock(datetime(2026, 12, 2, 10, tzinfo=UTC)))
        raw = draft(actions, owners)
        started = time.perf_counter()
        result = process(app, raw)
        handled = time.perf_counter() - started
        with app.db.session() as session:
            rows = list(session.scalars(select(OutboxMail)))
            for row in rows:
                render_row(row, app.renderer)
            largest = max((len(r.body_text or "") + len(r.body_html or "") for r in rows), default=0)
            total = sum(len(r.body_text or "") + len(r.body_html or "") for r in rows)
            count = session.scalar(select(func.count(OutboxMail.id)))
            session.rollback()
        rendered = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        app.db.dispose()
    # The format reader alone on the same body, past the line limit: parsing must stay linear.
    from datetime import date

    from mailbot.formats.reader import ReadContext, read_meeting
    from mailbot.message import InboundMail

    body = InboundMail.from_bytes(raw).text
    started = time.perf_counter()
    parsed = read_meeting(body, ctx=ReadContext(calendar=app.calendar, anchor=date(2026, 12, 2)))
    parse_seconds = time.perf_counter() - started
    return (
        f"reader alone: {len(parsed.actions)} actions in {parse_seconds:.2f} s "
        f"({parse_seconds / max(actions, 1) * 1e6:.0f} µs a line); pipeline: "
        f"{actions:>6} action lines, {owners} owners ({len(raw) / 1e6:.1f} MB): {result.kind} {result.outcome} in {handled:.2f} s "
        f"(+render {rendered - handled:.2f} s), {count} mail(s), largest {largest / 1e6:.2f} MB, "
        f"all {total / 1e6:.1f} MB, peak RSS {peak:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--actions", type=int, nargs="+", default=[1000, 50000])
    parser.add_argument("--owners", type=int, default=8, help="distinct owners (1000 ≈ the hostile run's draft)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(one(args.one, args.owners))
        return
    for size in args.actions:
        subprocess.run([sys.executable, __file__, "--one", str(size), "--owners", str(args.owners)], check=True)


if __name__ == "__main__":
    main()
