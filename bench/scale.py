"""The periodic jobs on a large database: a quiet tick, a tick with ~2,000 reminders due, and the
Monday digest for every recipient, with peak memory.

    .venv/bin/python bench/scale.py                                  # 1,000 meetings, 100,000 actions, 5,000 people
    .venv/bin/python bench/scale.py --meetings 100 --actions 10000 --people 500
    .venv/bin/python bench/scale.py --database-url postgresql+psycopg://u:p@host/db   # an empty database

The data is written straight into the tables (Core executemany inserts), not through the mail
pipeline: meetings "confirmed" (most) or "in_review", 5-10 attendees each; actions mostly
"accepted", owners mostly among their meeting's attendees, due dates spread over +-60 days around
a fixed Monday (2026-12-21, Asia/Shanghai); 2 department heads per department.

The ticks run before the spread starts, so only the actions placed on purpose can fall due:

  quiet tick   `run_consent_deadlines` + `run_reminders` where no reminder moment falls
               (aim: < 0.5 s); it still loads every open action due within the 60-day horizon.
  due tick     the same at the working day exactly 2 working days before `--due-soon` actions'
               due date: one "before" reminder each (outbox rows counted); then the same tick
               again, which must write nothing.
  digest       `run_digest` on the Monday at 09:00 for every party of an active meeting
               (aim, issue 15: >= 500 recipients/s, peak RSS < 300 MB); with its CPU time (the
               machine may be shared: wall time alone is noisy) and the bytes it stored per mail
               (contexts, the meeting parts they share, attachments, as JSON), which most of its
               time grows with.

Peak RSS is the process's: "before the run" is what generating the data left (its high mark).
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import LargeBinary, Text, func, insert, select, text

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.config import default_config_text, load_config
from mailbot.store.models import (
    ActionItem,
    Event,
    InboundMail,
    Meeting,
    MinutesVersion,
    OutboxMail,
    OutboxPart,
    Person,
)
from mailbot.workflow.consent import run_consent_deadlines
from mailbot.workflow.digest import run_digest
from mailbot.workflow.reminders import run_reminders

MONDAY = date(2026, 12, 21)
DEPARTMENTS = [f"部门{n:02d}" for n in range(40)]
CHUNK = 10_000
# Cumulative shares of the settled statuses.
STATUS_SHARES = ((0.88, "accepted"), (0.93, "in_progress"), (0.98, "done"), (1.01, "delayed"))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def outbox_count(app: App) -> int:
    with app.db.transaction() as session:
        return session.scalar(select(func.count(OutboxMail.id))) or 0


def digest_sizes(app: App) -> tuple[int, int, int, int]:
    """The bytes the digest run stored: its rows' contexts and attachments, and the meeting parts
    the rows share (outbox_parts; the digest is the only writer of parts here), all JSON text; and
    how many parts."""
    with app.db.transaction() as session:
        if session.get_bind().dialect.name == "sqlite":  # no octet_length before SQLite 3.43

            def size(column: Any) -> Any:
                return func.length(func.cast(column, LargeBinary))
        else:

            def size(column: Any) -> Any:
                return func.octet_length(func.cast(column, Text))

        context, attachments = session.execute(
            select(func.sum(size(OutboxMail.context)), func.sum(size(OutboxMail.attachments))).where(
                OutboxMail.kind == "digest"
            )
        ).one()
        shared, parts = session.execute(select(func.sum(size(OutboxPart.value)), func.count(OutboxPart.key))).one()
    return context or 0, attachments or 0, shared or 0, parts


def generate(app: App, meetings: int, actions: int, people: int, due_soon_day: date, due_soon: int) -> None:
    """Fill the tables; `due_soon` of the actions fall due on `due_soon_day`, the rest around MONDAY."""
    rng = random.Random(42)
    tz = app.config.tz
    created = datetime.combine(MONDAY - timedelta(days=90), datetime.min.time(), tzinfo=tz).replace(hour=10)
    person_rows = []
    for n in range(people):
        department = DEPARTMENTS[n % len(DEPARTMENTS)]
        person_rows.append(
            {
                "address": f"user{n}@corp.example",
                "name": f"员工{n}" if n % 3 else f"User {n}",
                "department": department,
                "role": "head" if n < 2 * len(DEPARTMENTS) else None,
                "language": ("zh", "en", None)[n % 3],
                "proxy_address": None,
                "bouncing": False,
                "away_until": None,
                "source": "directory",
                "created_at": created,
            }
        )
    addresses = [p["address"] for p in person_rows]
    department_of = {p["address"]: p["department"] for p in person_rows}

    meeting_rows, inbound_rows, version_rows, attendees_of, status_of = [], [], [], {}, {}
    for m in range(1, meetings + 1):
        attendees = rng.sample(addresses, rng.randint(5, 10))
        status = "in_review" if m % 5 == 0 else "confirmed"
        attendees_of[m], status_of[m] = attendees, status
        meeting_rows.append(
            {
                "id": m, "title": f"跨部门协作会 第{m}次", "match_key": f"bench-{m}", "project": None,
                "status": status, "language": "zh" if m % 2 else "en",
                "meeting_date": MONDAY - timedelta(days=rng.randint(7, 80)), "start_time": None, "end_time": None,
                "place": None, "host_address": attendees[0], "recorder_address": attendees[1], "goal": None,
                "attendees": attendees, "attendees_text": "、".join(attendees), "absent_text": "",
                "confirm_by": None, "confirmed_at": created if status == "confirmed" else None,
                "created_at": created, "updated_at": created,
            }
        )  # fmt: skip
        inbound_rows.append(
            {
                "id": m, "message_id": f"<bench-{m}@corp.example>", "content_hash": f"{m:064d}",
                "source_key": f"bench:{m}", "received_at": created, "sender": attendees[1],
                "subject": f"会议纪要 {m}", "raw": b"", "kind": "minutes", "outcome": "processed",
                "error": None, "meeting_id": None,
            }
        )  # fmt: skip
        version_rows.append(
            {"id": m, "meeting_id": m, "number": 1, "inbound_mail_id": m, "status": "active", "problems": [],
             "created_at": created}
        )  # fmt: skip

    # In review: half the actions still await confirmation, with a deadline after every tick here.
    confirm_by = MONDAY + timedelta(days=3)
    action_rows, event_rows = [], []
    for n in range(1, actions + 1):
        m = (n - 1) % meetings + 1
        owner = rng.choice(attendees_of[m]) if rng.random() < 0.9 else rng.choice(addresses)
        if n <= due_soon:
            due, status = due_soon_day, "accepted"
        else:
            due = MONDAY + timedelta(days=rng.randint(-60, 60))
            roll = rng.random()
            if status_of[m] == "in_review" and roll < 0.5:
                status = "awaiting_confirmation"
            else:
                status = next(s for limit, s in STATUS_SHARES if roll < limit)
        if status == "done":
            at = datetime.combine(MONDAY - timedelta(days=rng.randint(0, 14)), datetime.min.time(), tzinfo=tz)
            event_rows.append(
                {"at": at, "actor": owner, "what": "action.done", "meeting_id": m, "action_id": n,
                 "inbound_mail_id": None, "detail": {}}
            )  # fmt: skip
        action_rows.append(
            {
                "id": n, "meeting_id": m, "version_id": m, "number": str(n), "description": f"第{m}次会议的任务{n}：整理材料并提交",
                "owner_address": owner, "owner_name": None, "department": department_of[owner], "support": "",
                "due": due, "due_text": due.isoformat(), "due_provisional": False, "deliverable": "报告 PDF", "notes": "",
                "status": status, "consent": None if status == "awaiting_confirmation" else "explicit",
                "confirm_by": confirm_by if status == "awaiting_confirmation" else None,
                "accepted_at": None if status == "awaiting_confirmation" else created,
                "objection_reason": None, "delegate_address": None,
                "delay_reason": "等待供应商" if status == "delayed" else None, "source_line": "",
                "created_at": created, "updated_at": created,
            }
        )  # fmt: skip

    with app.db.engine.begin() as connection:
        for model, rows in (
            (Person, person_rows),
            (Meeting, meeting_rows),
            (InboundMail, inbound_rows),
            (MinutesVersion, version_rows),
            (ActionItem, action_rows),
            (Event, event_rows),
        ):
            for batch in chunks(rows):
                connection.execute(insert(model), batch)
        if connection.dialect.name == "postgresql":
            # Explicit ids leave the sequences behind: move them past the rows written here.
            for table in ("meetings", "inbound_mails", "minutes_versions", "action_items"):
                connection.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
        if connection.dialect.name == "sqlite":
            connection.execute(text("ANALYZE"))


def tick(app: App, now: datetime) -> tuple[float, dict[str, int], dict[str, int], int]:
    """Consent deadlines and reminders at `now`: seconds, their counts and outbox rows written."""
    app.clock.set(now)  # type: ignore[attr-defined]
    before = outbox_count(app)
    started = time.perf_counter()
    consent = run_consent_deadlines(app, now)
    reminders = run_reminders(app, now)
    elapsed = time.perf_counter() - started
    return elapsed, consent, reminders, outbox_count(app) - before


def measure(meetings: int, actions: int, people: int, due_soon: int, database_url: str | None) -> None:
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        config_text = default_config_text()
        if database_url:
            config_text = config_text.replace('url = "sqlite:///mailbot.db"', f'url = "{database_url}"')
        (home / "config.toml").write_text(config_text)
        config = load_config(home / "config.toml")
        tz = config.tz
        app = App.open(config, FixedClock(datetime(2026, 12, 21, 1, 0, tzinfo=UTC)))
        with app.db.transaction() as session:
            if session.scalar(select(func.count(Meeting.id))):
                raise SystemExit(f"{app.db.engine.url.render_as_string()} holds meetings: give an empty database")
        calendar = app.calendar

        # The due tick: a working day 9 weeks before the Monday, before the spread of due dates.
        due_tick_day = MONDAY - timedelta(days=63)
        while not calendar.is_workday(due_tick_day):
            due_tick_day -= timedelta(days=1)
        due_soon_day = calendar.add_workdays(due_tick_day, app.policy.reminders.before_due_working_days)
        quiet_day = due_tick_day - timedelta(days=3)

        started = time.perf_counter()
        generate(app, meetings, actions, people, due_soon_day, min(due_soon, actions))
        generated = time.perf_counter() - started
        print(
            f"meetings={meetings} actions={actions} people={people} on {app.db.engine.dialect.name}: "
            f"generated in {generated:.1f} s, peak RSS {peak_mb():.1f} MB"
        )

        at_nine = datetime.min.time().replace(hour=9)
        quiet = datetime.combine(quiet_day, at_nine, tzinfo=tz)
        elapsed, consent, reminders, written = tick(app, quiet)
        print(
            f"quiet tick {quiet_day}: consent+reminders {elapsed:6.3f} s  outbox +{written}  "
            f"consent {consent}  reminders {reminders}  peak RSS {peak_mb():.1f} MB"
        )

        due_now = datetime.combine(due_tick_day, at_nine, tzinfo=tz)
        elapsed, consent, reminders, written = tick(app, due_now)
        print(
            f"due tick {due_tick_day} (dues {due_soon_day}): consent+reminders {elapsed:6.3f} s  outbox +{written}  "
            f"{written / elapsed:7.1f} mails/s  reminders {reminders}  peak RSS {peak_mb():.1f} MB"
        )
        elapsed, consent, reminders, written = tick(app, due_now + timedelta(minutes=1))
        print(f"due tick re-run: consent+reminders {elapsed:6.3f} s  outbox +{written}  reminders {reminders}")

        digest_now = datetime.combine(MONDAY, at_nine, tzinfo=tz)
        app.clock.set(digest_now)  # type: ignore[attr-defined]
        before = outbox_count(app)
        peak_before = peak_mb()
        started, cpu_started = time.perf_counter(), time.process_time()
        counts = run_digest(app, digest_now)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        written = outbox_count(app) - before
        peak = peak_mb()
        context_bytes, attachment_bytes, shared_bytes, parts = digest_sizes(app)
        mails = max(written, 1)
        print(
            f"digest {MONDAY}: {counts['digests']} recipients in {elapsed:6.2f} s (CPU {cpu:6.2f} s)  "
            f"{counts['digests'] / elapsed:7.1f} recipients/s ({counts['digests'] / cpu:7.1f} per CPU s)  "
            f"outbox +{written}  peak RSS {peak:.1f} MB (before the run {peak_before:.1f} MB)\n"
            f"  stored per mail: context {context_bytes / mails:,.0f} B + shared parts {shared_bytes / mails:,.0f} B"
            f" ({parts} parts), attachments {attachment_bytes / mails:,.0f} B "
            f"(total {(context_bytes + shared_bytes + attachment_bytes) / 2**20:.1f} MB)"
        )
        app.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--meetings", type=int, default=1000)
    parser.add_argument("--actions", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--due-soon", type=int, default=2000, help="actions due 2 working days after the due tick")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary folder")
    args = parser.parse_args()
    measure(args.meetings, args.actions, args.people, args.due_soon, args.database_url)


if __name__ == "__main__":
    main()
