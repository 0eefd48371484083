"""The long-running service: poll the mailbox, handle each mail, run what falls due, deliver.

`schedule` says *when* a job runs (every N seconds, every minute); what a job finds due is
always a function of the injected clock. SIGTERM/SIGINT set a flag: the mail in hand is
finished and committed, then the loop leaves.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import InterfaceError, OperationalError

from mailbot.app import App
from mailbot.jobs import guarded, run_jobs
from mailbot.outbox import flush
from mailbot.pipeline import process
from mailbot.sources import Mark, Source

log = logging.getLogger("mailbot.daemon")


def run_deadlines(app: App) -> dict[str, int]:
    """Everything that falls due with time, as every entry point runs it (`mailbot.jobs`)."""
    return run_jobs(app)


def poll(
    app: App,
    source: Source,
    should_stop: Callable[[], bool] = lambda: False,
    after_group: Callable[[], object] = lambda: None,
) -> dict[str, int]:
    """Handle every new mail. `after_group` runs after each group is marked: the daemon delivers
    there, so during a burst the first senders are answered while the backlog is still read."""
    counts: dict[str, int] = {}
    # Handled mails are marked in groups of `source.mark_group` (IMAP: one MOVE per folder, not one
    # per mail), each after its own commit. A crash before a group is marked leaves its mails in the
    # mailbox: the next pass recognises each one ("duplicate", by its source key) and marks it then,
    # as after a crash between one commit and one move.
    committed: list[Mark] = []
    for fetched in source.fetch_new():
        try:
            result = process(app, fetched.raw, source_key=fetched.key, too_big=fetched.too_big)
        except (OperationalError, InterfaceError):
            # The database is away: every mail after this one would fail the same way. They all
            # stay in the mailbox for the next pass, with one log line instead of one per mail.
            log.exception("the database is unavailable; the rest of the mailbox waits for the next pass")
            counts["error"] = counts.get("error", 0) + 1
            break
        except Exception:
            # process() records every mail it can read, failures included; reaching here means even
            # that was refused (the database is away). The mail stays unmarked in the mailbox for
            # the next pass, and the mails after it are still tried.
            log.exception("mail %s could not be recorded; left in the mailbox for the next pass", fetched.key)
            counts["error"] = counts.get("error", 0) + 1
            continue
        committed.append((fetched.key, result.status))
        if len(committed) >= source.mark_group:
            source.mark_many_done(committed)
            committed = []
            after_group()
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
        if should_stop():
            break  # the mail in hand is committed and marked (below); the rest waits for the next start
    if committed:
        source.mark_many_done(committed)
    return counts


class Throttle:
    """Call `job` at most once per `seconds` of the process's monotonic time (an interval, never
    a wall-clock reading: rules of the bot never depend on it)."""

    def __init__(self, job: Callable[[], object], seconds: float) -> None:
        self.job, self.seconds = job, seconds
        self.last = time.monotonic()

    def __call__(self) -> None:
        if time.monotonic() - self.last >= self.seconds:
            self.job()
            self.last = time.monotonic()


# While a backlog is read, the outbox is delivered at most this often (each delivery pass opens
# an SMTP connection): the first sender of a burst of 5,000 waits about a second, not the burst.
DELIVER_DURING_BURST_SECONDS = 1.0


# The longest one wait for mail lasts (an IDLE round, never past the next scheduled job): a stop
# request is honoured within it, and each wait costs a check and an IDLE/DONE on the server, so 1 s
# rounds meant ~8 IMAP commands a second all day.
MAX_WAIT_SECONDS = 5.0


class Daemon:
    def __init__(
        self, app: App, source: Source, delivery_factory: Callable[[], Any], *, interval: float, web_workers: int = 1
    ) -> None:
        self.app, self.source, self.delivery_factory = app, source, delivery_factory
        self.interval = interval
        # 0: a `mailbot web --workers N` service of its own serves the pages (deploy/web.md).
        self.web_workers = web_workers
        self.stopping = False
        import schedule  # only the long-running service has a schedule; `run --once` and `tick` do not

        self.scheduler = schedule.Scheduler()
        self.scheduler.every(max(interval, 0.05)).seconds.do(self.poll_and_deliver)
        self.scheduler.every(1).minutes.do(self.deadlines)

    def request_stop(self, _signum: int = 0, _frame: Any = None) -> None:
        self.stopping = True

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)

    def poll_and_deliver(self) -> None:
        deliver_now = Throttle(self.deliver, DELIVER_DURING_BURST_SECONDS)
        counts = poll(self.app, self.source, lambda: self.stopping, after_group=deliver_now)
        if counts:
            log.info("job poll: %s", ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())))
        self.deliver()

    def deadlines(self) -> None:
        # Every job each minute, the weekly digest included rather than as a `schedule` weekday
        # job: each is a no-op until its moment (org time zone, not the host's) and idempotent,
        # so this sends on time, and once after downtime.
        counts = run_deadlines(self.app)
        log.info("job deadlines: %s", ", ".join(f"{n} {what}" for what, n in counts.items()))
        self.deliver()
        self.post_to_groups()

    def deliver(self) -> None:
        config = self.app.config
        counts = guarded(
            "deliver",
            lambda: flush(
                self.app.db, self.delivery_factory(), self.app.sender, self.app.renderer, self.app.clock,
                admin=config.bot.admin.lower(), admin_language=self.app.languages.fallback,
            ),
        )  # fmt: skip
        if counts.get("sent") or counts.get("retry") or counts.get("failed"):
            log.info("job deliver: %s", counts)

    def post_to_groups(self) -> None:
        """The project group's posts (mailbot/groups.py) with the minute's jobs, not with the mail:
        a robot that does not answer costs its timeout, and a burst of mail must not wait for it
        (deliver runs between groups of a burst). A post waits a minute at most."""
        if self.app.config.groups.enabled:
            from mailbot.groups import deliver

            guarded("group posts", lambda: deliver(self.app))

    def start_pages(self) -> Any:
        """The read-only web pages ([web] enabled) beside the mail loop, in a thread of their own:
        one service for the administrator to run. None when the pages are off, or served apart."""
        web = self.app.config.web
        if not web.enabled or self.web_workers < 1:
            return None
        import threading

        from mailbot.web.server import make_server

        server = make_server(self.app, web.host, web.port)
        thread = threading.Thread(target=server.run, name="mailbot-web", daemon=True)
        thread.start()
        log.info("web pages on http://%s:%d (links: %s)", web.host, web.port, web.base_url)
        return server, thread

    def run(self) -> None:
        pages = self.start_pages()
        try:
            self.run_mail()
        finally:
            if pages is not None:
                server, thread = pages
                server.should_exit = True
                thread.join(10)

    def run_mail(self) -> None:
        # After downtime: catch up once at start, before waiting for the first interval. The mail
        # first: replies that waited in the mailbox were written before the deadlines now due.
        self.poll_and_deliver()
        self.deadlines()
        wait_for_mail = getattr(self.source, "wait_for_mail", None)
        while not self.stopping:
            self.scheduler.run_pending()
            pause = min(max(self.scheduler.idle_seconds or 0.0, 0.0), MAX_WAIT_SECONDS)
            if wait_for_mail is not None and pause > 0:
                if wait_for_mail(pause):  # IDLE: new mail now, not at the next interval
                    self.poll_and_deliver()
            elif pause > 0:
                time.sleep(min(pause, 0.2))
        self.source.close()
        log.info("stopped")
