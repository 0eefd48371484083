"""Small readers for what the bot stored and what it would send, used by the handler tests."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.outbox import render_row
from mailbot.pipeline import Processed, process
from mailbot.store.models import ActionItem, InboundMail, Meeting, OutboxMail

MAILS = Path(__file__).resolve().parent / "mails"
SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOT = MAILS.parent.parent


def printed_json(code: str) -> Any:
    """What `code`, run in a fresh interpreter (nothing imported yet), prints as JSON: for what a
    process loads or compiles on its own."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def at(clock: FixedClock, text: str) -> None:
    """Set the clock to a Shanghai wall-clock time, e.g. "2026-12-02 18:00"."""
    clock.set(datetime.fromisoformat(text).replace(tzinfo=SHANGHAI))


def feed(app: App, name: str) -> Processed:
    return process(app, (MAILS / name).read_bytes())


def outbox(app: App, kind: str | None = None) -> list[OutboxMail]:
    """The decided mails, with their bodies rendered as delivery would render them."""
    with app.db.session() as session:
        query = select(OutboxMail).order_by(OutboxMail.id)
        if kind:
            query = query.where(OutboxMail.kind == kind)
        rows = list(session.scalars(query))
        for row in rows:
            render_row(row, app.renderer)
        session.expunge_all()  # rendered for reading here, not written back
        return rows


def actions(app: App) -> list[ActionItem]:
    with app.db.session() as session:
        return list(session.scalars(select(ActionItem).order_by(ActionItem.id)))


def meetings(app: App) -> list[Meeting]:
    with app.db.session() as session:
        return list(
            session.scalars(
                select(Meeting)
                .options(selectinload(Meeting.topics), selectinload(Meeting.decisions))
                .order_by(Meeting.id)
            )
        )


def inbound(app: App) -> list[InboundMail]:
    with app.db.session() as session:
        return list(session.scalars(select(InboundMail).order_by(InboundMail.id)))


def server_refuses_outsiders(config: Path) -> Path:
    """Turn a `mailbot init` config into the deployment the handler tests assume (tests/conftest.py
    `home`): the mail server itself refuses outsiders and unauthenticated senders to the bot, so
    `From:` is trusted (`[trust] unproven = "apply"`). tests/test_trust.py keeps init's default."""
    text = config.read_text(encoding="utf-8")
    assert 'unproven = "confirm"' in text, "mailbot init's [trust] default changed"
    config.write_text(text.replace('unproven = "confirm"', 'unproven = "apply"'), encoding="utf-8")
    return config


def proof_required(config: Path, authserv_id: str = "") -> Path:
    """Back to `mailbot init`'s own trust default on a config the fixtures switched to "apply"
    (From: proves nothing: unproven mail is held), naming the server whose verdict counts."""
    text = config.read_text(encoding="utf-8").replace('unproven = "apply"', 'unproven = "confirm"')
    if authserv_id:
        text = text.replace('authserv_id = ""', f'authserv_id = "{authserv_id}"')
    assert 'unproven = "confirm"' in text and authserv_id in text
    config.write_text(text, encoding="utf-8")
    return config
