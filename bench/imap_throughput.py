"""Backlog throughput: N mails waiting in the IMAP INBOX at start, processed and moved out.

    .venv/bin/python bench/imap_throughput.py --mails 5000   # prints mails/s, beside raw fetch

Two figures on the same mailbox of a local Dovecot: first imapclient alone (UID FETCH
BODY.PEEK[] in batches of 100, read-only, so the mailbox is left as it was), then the bot's own
pass (`run_once`: fetch, process each mail in its transaction, MOVE to Mailbot/Processed) until
the INBOX is empty. Every mail is a help request from its own sender, so each one writes an
inbound row and one answer into the outbox, delivered to a Maildir while the backlog is read (at
most once a second): the last figure says when the first sender's answer left.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

from imap_latency import bot_config, dovecot_server, help_mail  # same folder: the shared set-up
from imapclient import IMAPClient
from sqlalchemy import func, select

from mailbot.app import App
from mailbot.cli import run_once
from mailbot.clock import SystemClock
from mailbot.config import load_config
from mailbot.store.models import OutboxMail
from tests.servers import HOST, PASSWORD


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=5000)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="mailbot-bench-home-"))
    with dovecot_server() as dovecot:
        user = dovecot.new_user()
        tag = uuid.uuid4().hex[:8]
        with IMAPClient(HOST, dovecot.imap_port, ssl=False, timeout=60) as client:
            client.login(user, PASSWORD)
            # The backlog is new mail for a bot that ran before, not old mail for a first start.
            client.create_folder("Mailbot.Processed")
            began = time.monotonic()
            for n in range(args.mails):
                client.append("INBOX", help_mail(n, tag)[1])
            append_seconds = time.monotonic() - began

            # Raw: what the IMAP library alone does with the same mailbox.
            client.select_folder("INBOX", readonly=True)
            began = time.monotonic()
            uids = client.search(["NOT", "DELETED"])
            fetched = 0
            for start in range(0, len(uids), 100):
                fetched += len(client.fetch(uids[start : start + 100], ["BODY.PEEK[]"]))
            raw_seconds = time.monotonic() - began
            assert fetched == args.mails, (fetched, args.mails)

        os.environ["MAILBOT_IMAP_PASSWORD"] = PASSWORD
        app = App.open(load_config(bot_config(home, dovecot, user, None)), SystemClock())
        began = time.monotonic()
        began_at = app.now()
        handled = 0
        while True:  # one pass normally; a pass stopped short (reconnect) is simply run again
            counts = run_once(app)
            if not counts:
                break
            handled += sum(counts.values())
        bot_seconds = time.monotonic() - began
        # Answers go out while the backlog is read (issue 9): when did the first sender's leave?
        with app.db.session() as session:
            first_sent = session.scalar(select(func.min(OutboxMail.sent_at)))
            sent = session.scalar(select(func.count(OutboxMail.id)).where(OutboxMail.status == "sent"))
        app.db.dispose()
        with IMAPClient(HOST, dovecot.imap_port, ssl=False, timeout=60) as client:
            client.login(user, PASSWORD)
            client.select_folder("INBOX", readonly=True)
            left = len(client.search(["NOT", "DELETED"]))
    shutil.rmtree(home, ignore_errors=True)
    assert handled == args.mails and left == 0, (handled, left)
    print(
        f"{args.mails} mails waiting: bot {args.mails / bot_seconds:.0f} mails/s "
        f"({bot_seconds:.1f} s, fetch + process + MOVE, SQLite); "
        f"imapclient raw fetch {args.mails / raw_seconds:.0f} mails/s ({raw_seconds:.2f} s); "
        f"APPEND {args.mails / append_seconds:.0f} mails/s; first answer delivered "
        f"{(first_sent - began_at).total_seconds() if first_sent else float('nan'):.2f} s into the backlog, "
        f"{sent} answers delivered before the backlog was read"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
