"""The `mailbot` command: `mailbot [--config PATH] [--now ISO-DATETIME] COMMAND`."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailbot.app import App
from mailbot.clock import Clock, FixedClock, SystemClock
from mailbot.config import Config, default_config_text, load_config
from mailbot.errors import MailbotError
from mailbot.lifecycle import DONE_AWAITING_VERIFICATION, LIVE, Status, StatusWords

# Each command imports what it needs when it runs (start-up time: an MTA starts one `mailbot
# ingest -` per mail): Alembic, the deadline jobs, the exports, IMAP, `schedule` load only on the
# paths that use them. tests/test_startup_imports.py keeps `import mailbot.cli` light.
if TYPE_CHECKING:
    from mailbot.sources import Source

log = logging.getLogger("mailbot")


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging(log_json=args.log_json, verbose=args.verbose)
    try:
        return int(args.func(args) or 0)
    except MailbotError as exc:
        print(f"mailbot: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `mailbot outbox | head`: the reader left, nothing is wrong
        sys.stderr.close()
        return 0


def configure_logging(*, log_json: bool, verbose: bool) -> None:
    """Also called by each process of `mailbot web --workers N` (mailbot.web.server.worker_app)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_json else logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logging.basicConfig(level=logging.INFO if verbose or log_json else logging.WARNING, handlers=[handler], force=True)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {"time": self.formatTime(record), "level": record.levelname, "logger": record.name,
             "message": record.getMessage()},
            ensure_ascii=False,
        )  # fmt: skip


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="mailbot", description="Meeting follow-up by email.")
    top.add_argument(
        "--config", type=Path, default=None, help="config file (default: $MAILBOT_CONFIG or ./config.toml)"
    )
    top.add_argument("--now", default=None, help="pretend it is this instant (ISO 8601; without zone: the bot's zone)")
    top.add_argument("-v", "--verbose", action="store_true", help="log one line per mail, delivery and job")
    top.add_argument("--log-json", action="store_true", help="log lines as JSON objects (implies -v)")
    sub = top.add_subparsers(dest="command", required=True)

    init = sub.add_parser("init", help="write a working config and folders for the embedded default")
    init.add_argument("dir", type=Path)
    init.add_argument("--address", default="minutes@corp.example", help="the bot's own address")
    init.set_defaults(func=cmd_init)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)

    ingest = sub.add_parser("ingest", help="process mail files, or '-' for one mail on stdin (as an MTA pipes it)")
    ingest.add_argument("files", nargs="+")
    ingest.add_argument("--no-flush", action="store_true", help="leave the answers in the outbox")
    ingest.add_argument(
        "--inline", action="store_true",
        help="process '-' in this process even when a running daemon reads the Maildir (the default hands it over)",
    )  # fmt: skip
    ingest.add_argument(
        "--wait", type=float, default=30.0, metavar="SECONDS",
        help="how long a mail handed to the daemon waits for its outcome before this exits 0 (it stays queued)",
    )  # fmt: skip
    ingest.set_defaults(func=cmd_ingest)

    run = sub.add_parser("run", help="poll the mailbox, process mail, deliver the outbox")
    run.add_argument("--once", action="store_true", help="one pass, then exit")
    run.add_argument("--interval", type=float, default=30.0, help="seconds between polls")
    run.add_argument(
        "--since", type=date.fromisoformat, metavar="YYYY-MM-DD",
        help="first start on an IMAP mailbox: process the old mail received on or after this day (default: none)",
    )  # fmt: skip
    run.add_argument(
        "--web-workers", type=int, choices=(0, 1), default=1,
        help="1: serve the pages ([web] on) in this process; 0: a `mailbot web --workers N` serves them (deploy/web.md)",
    )  # fmt: skip
    run.set_defaults(func=cmd_run)

    check = sub.add_parser("check", help="try the database, the mailbox and the mail server; send nothing")
    check.set_defaults(func=cmd_check)

    tick = sub.add_parser("tick", help="run the deadline work that is due (idempotent), then deliver")
    tick.add_argument("--no-flush", action="store_true", help="leave the mails in the outbox")
    tick.set_defaults(func=cmd_tick)

    digest = sub.add_parser("digest", help="decide this week's status digests and deliver, or --preview one")
    digest.add_argument("--preview", action="store_true", help="render one person's digest to a file; decide nothing")
    digest.add_argument("--to", metavar="ADDR", help="whose digest to preview (required with --preview)")
    digest.add_argument("--out", type=Path, default=Path("digest-preview.html"), help="preview file (HTML)")
    digest.add_argument("--no-flush", action="store_true", help="leave the mails in the outbox")
    digest.set_defaults(func=cmd_digest)

    meetings = sub.add_parser("meetings", help="list meetings")
    meetings.add_argument("--json", action="store_true")
    meetings.set_defaults(func=cmd_meetings)

    actions = sub.add_parser("actions", help="list action items")
    actions.add_argument("--owner")
    actions.add_argument(
        "--status",
        help=f"one of {', '.join(Status)}; or overdue (as --overdue); the status words of the mails work too",
    )
    actions.add_argument("--overdue", action="store_true", help="open and past the due date")
    actions.add_argument("--json", action="store_true")
    actions.set_defaults(func=cmd_actions)

    export = sub.add_parser("export", help="the action tracking table as xlsx, csv or ics")
    export.add_argument("--format", choices=("xlsx", "csv", "ics"), default="xlsx")
    export.add_argument("--out", type=Path, default=None, help="default: actions.FORMAT")
    export.add_argument("--meeting", default=None, help="only this meeting (M-3)")
    export.add_argument(
        "--language", default=None, help="the language of the column names and status words (default: bot.language)"
    )
    export.set_defaults(func=cmd_export)

    show = sub.add_parser("show", help="one action (A-12) with its history, or a meeting (M-3)")
    show.add_argument("ref")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_show)

    people_cmd = sub.add_parser("people", help="the people directory: list, or `people import FILE.csv`")
    people_cmd.add_argument("--json", action="store_true")
    people_sub = people_cmd.add_subparsers(dest="people_command")
    people_import = people_sub.add_parser("import", help="CSV columns: name,address,department,role,language,proxy")
    people_import.add_argument("file", type=Path)
    people_cmd.set_defaults(func=cmd_people)

    rules = sub.add_parser("rules", help="`rules check`: validate rules/ and print the rules in effect")
    rules.add_argument("rules_command", choices=("check",))
    rules.set_defaults(func=cmd_rules)

    web = sub.add_parser(
        "web", help="serve the read-only pages ([web] in config.toml); `web revoke ADDR` ends a person's links"
    )
    web.add_argument("--host", default=None, help="listen on this address (default: web.host)")
    web.add_argument("--port", type=int, default=None, help="listen on this port (default: web.port)")
    web.add_argument(
        "--workers", type=int, default=None,
        help="server processes (default: one per CPU this may use, at most 8; deploy/web.md)",
    )  # fmt: skip
    web_sub = web.add_subparsers(dest="web_command")
    web_revoke = web_sub.add_parser("revoke", help="end every link mailed to ADDRESS so far (new mails carry new ones)")
    web_revoke.add_argument("address")
    web_link = web_sub.add_parser("link", help="print a link for ADDRESS (their page, or --scope)")
    web_link.add_argument("address")
    web_link.add_argument("--scope", default="person", help="person (default), M-3, project:NAME or department:NAME")
    web.set_defaults(func=cmd_web)

    groups = sub.add_parser("groups", help="the project groups' robots: `groups retry` sends failed posts again")
    groups_sub = groups.add_subparsers(dest="groups_command", required=True)
    groups_retry = groups_sub.add_parser(
        "retry", help="put the posts that failed back in the queue (attempts reset), once the robot is fixed"
    )
    groups_retry.add_argument(
        "--robot", default=None, help='only this robot ([groups.robots."NAME"]; "*": the default)'
    )
    groups.set_defaults(func=cmd_groups)

    archive = sub.add_parser("archive", help="file every official meeting's minutes into [archive] path again")
    archive.add_argument("--meeting", default=None, help="only this meeting (M-3)")
    archive.set_defaults(func=cmd_archive)

    outbox = sub.add_parser("outbox", help="mails decided, sent or pending")
    outbox.add_argument("--status", choices=("pending", "sent", "failed"))
    outbox.add_argument("--json", action="store_true")
    outbox.set_defaults(func=cmd_outbox)
    return top


def load(args: argparse.Namespace) -> Config:
    path = args.config or Path(os.environ.get("MAILBOT_CONFIG", "config.toml"))
    return load_config(path)


def make_clock(args: argparse.Namespace, config: Config) -> Clock:
    if not args.now:
        return SystemClock()
    try:
        instant = datetime.fromisoformat(args.now)
    except ValueError:
        raise MailbotError(f"--now: {args.now!r} is not an ISO 8601 date or datetime") from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=config.tz)
    return FixedClock(instant)


def open_app(args: argparse.Namespace) -> App:
    config = load(args)
    return App.open(config, make_clock(args, config))


def cmd_init(args: argparse.Namespace) -> int:
    target: Path = args.dir
    config_path = target / "config.toml"
    if config_path.exists():
        raise MailbotError(f"{config_path} exists already; not overwritten")
    for folder in ("inbox/new", "inbox/cur", "inbox/tmp", "sent/new", "sent/cur", "sent/tmp"):
        (target / folder).mkdir(parents=True, exist_ok=True)
    config_path.write_text(default_config_text(args.address), encoding="utf-8")
    config_path.chmod(0o600)  # it holds the token key
    config = load_config(config_path)
    App.open(config, SystemClock()).db.dispose()
    print(f"wrote {config_path}; drop mail into {target / 'inbox/new'}; sent mail appears in {target / 'sent/new'}")
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    app = open_app(args)
    print(f"database at {app.config.database_url.split('@')[-1]} is up to date")
    return 0


def delivery_for(app: App):  # type: ignore[no-untyped-def]
    config = app.config
    if config.delivery.kind == "smtp":
        from mailbot.delivery.smtp import SmtpDelivery

        smtp = config.delivery.smtp
        assert smtp is not None
        return SmtpDelivery(
            smtp.host, smtp.port, security=smtp.security, username=smtp.username,
            password=config.secret(smtp.password, smtp.password_env), envelope_from=config.bot.address,
            timeout=smtp.timeout_seconds,
        )  # fmt: skip
    from mailbot.delivery.maildir import MaildirDelivery

    return MaildirDelivery(config.resolve(config.delivery.maildir.path))


def source_for(app: App, since: date | None = None) -> Source:
    config = app.config
    if config.source.kind == "imap":
        # Imported here, like SMTP delivery: only an IMAP setup loads imapclient.
        from sqlalchemy import select

        from mailbot.sources.imap import ImapSource
        from mailbot.store.models import InboundMail

        imap = config.source.imap
        assert imap is not None  # load_config refuses kind = "imap" without [source.imap]
        with app.db.session() as session:
            # A range, not LIKE 'imap:%': both databases answer it from source_key's unique index
            # (PostgreSQL uses an index for LIKE only under the C collation). ";" follows ":".
            seen_imap = session.scalar(
                select(InboundMail.id)
                .where(InboundMail.source_key >= "imap:", InboundMail.source_key < "imap;")
                .limit(1)
            )
        return ImapSource(
            imap.host, imap.port, imap.username, config.secret(imap.password, imap.password_env),
            security=imap.security, folder=imap.folder, processed_folder=imap.processed_folder,
            failed_folder=imap.failed_folder, max_message_bytes=config.source.max_message_bytes,
            first_start=seen_imap is None, since=since,
        )  # fmt: skip
    if since is not None:
        raise MailbotError('--since applies to an IMAP mailbox (source.kind = "imap") only')
    if config.source.kind != "maildir":
        raise MailbotError(f"{config.origin}: source.kind = {config.source.kind!r} is not available in this version")
    from mailbot.sources.maildir import MaildirSource

    return MaildirSource(config.resolve(config.source.maildir.path))


def unreadable(name: str) -> str | None:
    """Why the mail file `name` cannot be read ("no such file", …), or None when it can."""
    if name == "-":
        return None
    path = Path(name)
    if not path.exists():
        return "no such file"
    if path.is_dir():
        return "is a directory, not a mail file"
    if not os.access(path, os.R_OK):
        return "not readable (permission denied)"
    return None


def cmd_ingest(args: argparse.Namespace) -> int:
    # Every file checked before any is processed: a typo processes nothing, so running the
    # corrected command again processes nothing twice.
    for name in args.files:
        if (why := unreadable(name)) is not None:
            raise MailbotError(f"ingest: {name}: {why}; nothing was processed")
    handed = hand_over_piped_mail(args)
    if handed is not None:
        return handed
    if len(args.files) == 1:
        # One mail, then the process ends: the cycle collector's passes over the hundreds of
        # thousands of objects the imports make cost ~0.13 s and would free nothing worth it.
        import gc

        gc.disable()
    from mailbot.pipeline import process

    app = open_app(args)
    failed = 0
    for name in args.files:
        try:
            if name == "-":
                raw = sys.stdin.buffer.read() if args.piped_mail is None else args.piped_mail
            else:
                raw = Path(name).read_bytes()
        except OSError as exc:  # gone or locked since the check
            failed += 1
            print(f"{name}: not read ({exc.strerror or exc})", file=sys.stderr)
            continue
        result = process(app, raw)
        failed += result.outcome == "failed"
        print(f"{name}: {result.kind} {result.outcome}" + (f" ({result.error})" if result.error else ""))
    if not args.no_flush:
        report_flush(app)
    return 1 if failed else 0


def hand_over_piped_mail(args: argparse.Namespace) -> int | None:
    """`ingest -` while a daemon reads the Maildir source: the mail goes to it (mailbot/handoff.py)
    and this process never opens the database; the exit status, or None to process it here.

    Only a piped mail without --now: files named on the command line are a person's, who wants to
    see each outcome; --now sets this process's clock, which the daemon's would not honour."""
    args.piped_mail = None
    if args.files != ["-"] or args.now or args.inline:
        return None
    config = load(args)
    if config.source.kind != "maildir":
        return None
    from mailbot import handoff

    maildir = config.resolve(config.source.maildir.path)
    args.piped_mail = sys.stdin.buffer.read()
    try:
        outcome = handoff.hand_over(maildir, args.piped_mail, args.wait)
    except OSError as exc:  # the Maildir not writable, a full disk: this process tries it itself
        log.warning("could not hand the mail to the daemon (%s); processing it here", exc)
        return None
    if outcome is None:
        return None
    if outcome == "failed":
        print(f"-: handed to the daemon: failed (kept in {maildir / '.Failed'}; the sender is told why)")
        return 1
    if outcome == "waiting":
        print(f"-: handed to the daemon: queued in {maildir / 'new'} (it handles it when it gets there)")
        return 0
    print("-: handed to the daemon: handled")
    return 0


def report_flush(app: App) -> None:
    counts = flush_quietly(app)
    where = app.config.delivery.kind
    if where == "maildir":
        where = str(app.config.resolve(app.config.delivery.maildir.path) / "new")
    print(f"sent {counts['sent']} mail(s) to {where}; {counts['retry']} to retry, {counts['failed']} failed")


def cmd_check(args: argparse.Namespace) -> int:
    from mailbot.check import check_all

    # The config only, not open_app: a check must not migrate the database it is checking.
    results = check_all(load(args))
    for result in results:
        print(result.line)
    return 0 if all(result.ok for result in results) else 1


def run_deadlines(app: App) -> dict[str, int]:
    """Everything that falls due with time, as the daemon runs it (mailbot.jobs, imported here:
    `mailbot tick` from cron loads the jobs, not the mail pipeline)."""
    from mailbot.jobs import run_jobs

    return run_jobs(app)


def cmd_tick(args: argparse.Namespace) -> int:
    app = open_app(args)
    counts = run_deadlines(app)
    print(", ".join(f"{n} {what.replace('_', ' ')}" for what, n in counts.items()))
    if not args.no_flush:
        report_flush(app)
        deliver_group_posts(app)
    # A job that failed was logged and the others ran; cron still hears about it.
    return 1 if any(what.endswith(" failed") for what in counts) else 0


def cmd_digest(args: argparse.Namespace) -> int:
    from mailbot.notify import Notifier
    from mailbot.workflow.digest import build_digest, digest_language, run_digest

    app = open_app(args)
    if not args.preview:
        from mailbot.jobs import next_opening
        from mailbot.outbox import not_before

        # Sent by hand outside the sending hours, it still leaves at the next opening.
        with not_before(next_opening(app, app.now())):
            counts = run_digest(app, app.now())
        print(f"{counts['digests']} digest(s) decided")
        if not args.no_flush:
            report_flush(app)
        return 0
    if not args.to:
        raise MailbotError("digest --preview needs --to ADDR: whose digest to show")
    # A read-only session: the preview renders what the mail would say and decides nothing.
    with app.db.session() as session:
        context = build_digest(session, app, args.to, app.today())
        if context is None:
            raise MailbotError(f"{args.to} is party to no active meeting: no digest would be sent")
        language = digest_language(Notifier(app=app, session=session, now=app.now()), args.to.lower(), context)
    values = {**context, "token": None, "bot_address": app.config.bot.address, "bot_name": app.config.bot.name,
              "docs_url": app.config.bot.docs_url}  # fmt: skip
    # Through JSON as the outbox stores it, so the preview renders exactly what delivery would.
    values = json.loads(json.dumps(values, default=lambda v: v.isoformat()))
    _, html = app.renderer.render_body("digest", language, values)
    args.out.write_text(html, encoding="utf-8")
    print(args.out.resolve())
    return 0


def run_once(app: App, since: date | None = None) -> dict[str, int]:
    from mailbot.daemon import DELIVER_DURING_BURST_SECONDS, Throttle, poll

    source = source_for(app, since)
    try:
        # As the daemon does: a backlog's first senders are answered while the rest is read.
        return poll(app, source, after_group=Throttle(lambda: flush_quietly(app), DELIVER_DURING_BURST_SECONDS))
    finally:
        source.close()


def flush_quietly(app: App) -> dict[str, int]:
    from mailbot.outbox import flush

    return flush(
        app.db, delivery_for(app), app.sender, app.renderer, app.clock,
        admin=app.config.bot.admin.lower(), admin_language=app.languages.fallback,
    )  # fmt: skip


def deliver_group_posts(app: App) -> dict[str, int]:
    """The project group's posts that are due ([groups]; mailbot.groups loads only when on)."""
    if not app.config.groups.enabled:
        return {}
    from mailbot.groups import deliver
    from mailbot.jobs import guarded

    counts = guarded("group posts", lambda: deliver(app))
    if any(counts.values()):
        print(", ".join(f"{n} group post(s) {what}" for what, n in counts.items()))
    return counts


def cmd_run(args: argparse.Namespace) -> int:
    app = open_app(args)
    if args.once:
        # The mail first: a reply written before a deadline is read before the deadline's job
        # (silent consent) runs. Then what fell due (a function of now: each pass catches up).
        counts = run_once(app, args.since)
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "no new mail"
        print(f"processed: {summary}")
        jobs = run_deadlines(app)
        report_flush(app)
        deliver_group_posts(app)
        return 1 if any(what.endswith(" failed") for what in jobs) else 0
    from mailbot.daemon import Daemon

    daemon = Daemon(app, source_for(app, args.since), lambda: delivery_for(app), interval=args.interval,
                    web_workers=args.web_workers)  # fmt: skip
    daemon.install_signal_handlers()
    daemon.run()
    return 0


def print_json(value: Any) -> None:
    def default(obj: Any) -> str:
        if isinstance(obj, date | datetime):
            return obj.isoformat()
        raise TypeError(type(obj).__name__)

    print(json.dumps(value, ensure_ascii=False, indent=2, default=default))


def print_table(rows: list[dict[str, Any]], columns: Sequence[str]) -> None:
    if not rows:
        print("(none)")
        return
    cells = [[str(row.get(c) if row.get(c) is not None else "") for c in columns] for row in rows]
    widths = [max(display_width(c), *(display_width(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print("  ".join(pad(c, w) for c, w in zip(columns, widths, strict=True)))
    for row in cells:
        print("  ".join(pad(v, w) for v, w in zip(row, widths, strict=True)))


def display_width(text: str) -> int:
    # CJK characters take two terminal columns; a table of Chinese names must still line up.
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def cmd_meetings(args: argparse.Namespace) -> int:
    from mailbot.queries import meeting_rows

    app = open_app(args)
    with app.db.session() as session:
        rows = meeting_rows(session)
    if args.json:
        print_json(rows)
    else:
        print_table(rows, ("ref", "date", "status", "title", "actions", "confirm_by"))
    return 0


# What `actions --status` takes besides the statuses: "overdue" is derived, never stored, but
# people ask for it by that name.
OVERDUE_WORDS = frozenset({"overdue", "late", "逾期", "已逾期"})


def status_filter(text: str, words: StatusWords) -> tuple[str | None, bool]:
    """`--status` read: (the status, or None for every status; whether only overdue ones). A
    status is its code (in_progress, in-progress, "in progress") or one of its words in any
    language (进行中, 未开始); anything else is refused, naming the statuses."""
    wanted = " ".join(text.strip().lower().replace("_", " ").replace("-", " ").split())
    if wanted in OVERDUE_WORDS:
        return None, True
    for status in Status:
        if wanted == status.value.replace("_", " "):
            return status.value, False
    for kinds in words.words.values():
        for table in kinds.values():
            for status, word in table.items():
                if wanted == " ".join(word.lower().split()):
                    return (Status.DONE.value if status == DONE_AWAITING_VERIFICATION else status), False
    raise MailbotError(f"--status: {text!r} is no status; use one of {', '.join(Status)}, or overdue")


def cmd_actions(args: argparse.Namespace) -> int:
    from mailbot.queries import action_rows

    app = open_app(args)
    status, overdue = status_filter(args.status, app.rules.statuses) if args.status else (None, False)
    with app.db.session() as session:
        rows = action_rows(
            session, owner=args.owner, status=status, overdue_on=app.today() if args.overdue or overdue else None
        )
    if args.json:
        print_json(rows)
    else:
        print_table(rows, ("ref", "meeting", "owner_name", "owner", "due", "status", "description"))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from mailbot.exports import to_csv, to_ics, to_xlsx
    from mailbot.queries import action_rows, find_meeting

    app = open_app(args)
    if args.language and args.language not in app.languages:
        raise MailbotError(f"--language: {args.language!r} has no templates folder; one of {app.languages.spelled()}")
    language = app.languages.pick(args.language or app.config.bot.language)
    with app.db.session() as session:
        meeting_id = None
        if args.meeting:
            meeting = find_meeting(session, args.meeting)
            if meeting is None:
                raise MailbotError(f"--meeting: no meeting {args.meeting!r} (refs look like M-3)")
            meeting_id = meeting.id
        rows = [r for r in action_rows(session, meeting_id=meeting_id) if r["status"] in LIVE]
    out = args.out or Path(f"actions.{args.format}")
    today, words, where = app.today(), app.rules.statuses, {"calendar": app.calendar, "tz": app.config.tz}
    if args.format == "xlsx":
        data = to_xlsx(rows, language, today, words, app.languages, **where)
    elif args.format == "csv":
        data = to_csv(rows, language, words, app.languages, today=today, **where)
    else:
        data = to_ics(rows, app.sender.domain, app.now())
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise MailbotError(f"--out: {out}: {exc.strerror or exc}") from None
    print(f"wrote {len(rows)} action(s) to {out}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from mailbot.queries import find_action, find_meeting, parse_ref, show_action, show_meeting

    app = open_app(args)
    tz = app.config.tz  # the history as the organisation reads it: its own zone
    parsed = parse_ref(args.ref)
    if parsed is None:
        raise MailbotError(f"{args.ref!r} is no ref: an action looks like A-12, a meeting like M-3")
    with app.db.session() as session:
        if parsed[0] == "meeting":
            if find_meeting(session, args.ref) is None:
                raise MailbotError(f"no meeting {args.ref!r} (see `mailbot meetings`)")
            detail = show_meeting(session, args.ref, tz)
        else:
            if find_action(session, args.ref) is None:
                raise MailbotError(f"no action {args.ref!r} (refs look like A-12; see `mailbot actions`)")
            detail = show_action(session, args.ref, tz)
    if args.json:
        print_json(detail)
        return 0
    if parsed[0] == "meeting":
        print_meeting(detail)
    else:
        action = detail["action"]
        for key in ("ref", "meeting", "description", "owner_name", "owner", "department", "support", "due",
                    "deliverable", "status", "consent", "confirm_by", "requester", "done_at", "verified_at",
                    "verified_by"):  # fmt: skip
            print(f"{key:>12}: {action.get(key) if action.get(key) is not None else ''}")
    print_history(detail["history"])
    return 0


def print_meeting(detail: dict[str, Any]) -> None:
    meeting = detail["meeting"]
    names = meeting.get("names") or {}

    def who(address: str | None) -> str:
        return f"{names[address]} <{address}>" if address and names.get(address) else address or ""

    hours = "–".join(t for t in (meeting["start_time"], meeting["end_time"]) if t)
    lines = {
        "ref": meeting["ref"], "title": meeting["title"], "project": meeting["project"], "date": meeting["date"],
        "time": hours, "place": meeting["place"], "status": meeting["status"], "host": who(meeting["host"]),
        "recorder": who(meeting["recorder"]), "attendees": ", ".join(who(a) for a in meeting["attendees"]),
        "confirm_by": meeting["confirm_by"], "confirmed_at": meeting["confirmed_at"],
    }  # fmt: skip
    for key, value in lines.items():
        print(f"{key:>12}: {value if value is not None else ''}")
    print("actions:")
    print_table(detail["actions"], ("ref", "owner_name", "owner", "due", "status", "description"))


# Changes the audit trail keeps as a pair of values (old, new), and what each pair is of.
CHANGES = (("old_due", "new_due", "due"), ("previous", "new", "owner"), ("from", "to", "confirm by"))
# What people wrote in their own words: shown one line each, as written.
WRITTEN = ("note", "reason")


def print_history(history: list[dict[str, Any]]) -> None:
    print("history:")
    for event in history:
        print(f"  {event['at']}  {event['what']:<22} {event['actor'] or '-':<28} mail #{event['mail'] or '-'}")
        for line in detail_lines(event.get("detail") or {}):
            print(f"      {line}")


def detail_lines(detail: dict[str, Any]) -> list[str]:
    """An event's detail as lines: old → new for a change, then the other values, then notes."""
    rest = dict(detail)
    lines = []
    for old, new, what in CHANGES:
        if old in rest and new in rest:
            lines.append(f"{what}: {shown(rest.pop(old))} → {shown(rest.pop(new))}")
    lines.extend(
        f"{key}: {shown(value)}" for key, value in rest.items() if key not in WRITTEN and value not in ("", [])
    )
    for key in WRITTEN:
        if rest.get(key):
            lines.extend(f"{key}: {line}" for line in str(rest[key]).splitlines())
    return lines


def shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(shown(v) for v in value) or "—"
    return str(value)


def cmd_people(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from mailbot.directory import import_people
    from mailbot.store.models import Person

    app = open_app(args)
    if args.people_command == "import":
        with app.db.transaction() as session:
            report = import_people(session, args.file, app.now(), app.languages)
        print(f"{args.file}: {report.added} added, {report.updated} updated")
        return 0
    with app.db.session() as session:
        rows = [
            {"address": p.address, "name": p.name, "department": p.department, "role": p.role,
             "language": p.language, "proxy": p.proxy_address, "source": p.source}
            for p in session.scalars(select(Person).order_by(Person.department, Person.name, Person.address))
        ]  # fmt: skip
    if args.json:
        print_json(rows)
    else:
        print_table(rows, ("address", "name", "department", "role", "language", "proxy", "source"))
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    from mailbot.rules_check import effective_rules

    config = load(args)
    # Rules need no database: check them even where the database is not reachable yet.
    app = App(config=config, clock=make_clock(args, config), db=None)  # type: ignore[arg-type]
    for line in effective_rules(app):
        print(line)
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    # The pages and uvicorn load here only: every other command stays light.
    app = open_app(args)
    if args.web_command == "revoke":
        from mailbot.web.links import revoke

        with app.db.transaction() as session:
            generation = revoke(session, args.address, app.now())
        print(f"every link mailed to {args.address.lower()} so far is refused now (generation {generation})")
        return 0
    if args.web_command == "link":
        from mailbot.web.access import load_viewer
        from mailbot.web.links import make_link, normal_scope
        from mailbot.web.pages import link_refusal

        scope = normal_scope(args.scope)
        with app.db.session() as session:
            refusal = link_refusal(session, load_viewer(session, args.address), scope)
        if refusal is not None:
            # The page would answer 404 to this very person: no link that cannot work.
            print(f"mailbot: no link made: {refusal}", file=sys.stderr)
            return 1
        print(make_link(app, args.address, scope))
        return 0
    web = app.config.web
    if not web.enabled:
        raise MailbotError(f"{app.config.origin}: web.enabled is false: set [web] enabled = true and base_url first")
    from mailbot.web.server import default_workers, serve

    workers = default_workers() if args.workers is None else args.workers
    if workers < 1:
        raise MailbotError(f"--workers: {workers} is not a number of processes (1 or more)")
    host, port = args.host or web.host, args.port or web.port
    print(
        f"serving the pages on http://{host}:{port}/ for links to {web.base_url} "
        f"({workers} process{'es' if workers > 1 else ''})",
        flush=True,
    )
    if workers > 1:
        app.db.dispose()  # this process only watches over the workers; each opens its own
    serve(app, host, port, workers=workers, now=args.now, log_json=args.log_json, verbose=args.verbose)
    return 0


def cmd_groups(args: argparse.Namespace) -> int:
    from mailbot.groups import retry_failed

    app = open_app(args)
    groups = app.config.groups
    if not groups.enabled:
        raise MailbotError(f"{app.config.origin}: groups.enabled is false: no post is sent while [groups] is off")
    robots = groups.robot_tables(app.config.origin)
    if args.robot is not None and args.robot not in robots:
        named = ", ".join(f'"{name}"' for name in robots) or "none"
        raise MailbotError(f'--robot: no [groups.robots."{args.robot}"] in {app.config.origin} (robots: {named})')
    count = retry_failed(app, args.robot)
    which = f' of robot "{args.robot}"' if args.robot is not None else ""
    if not count:
        print(f"no failed group post{which}: nothing to send again")
        return 0
    print(f"{count} failed group post(s){which} back in the queue: the daemon sends them within a minute "
          "(or `mailbot tick` now)")  # fmt: skip
    return 0


def cmd_archive(args: argparse.Namespace) -> int:
    from mailbot.archive import archive_root, file_all
    from mailbot.queries import parse_ref

    parsed = parse_ref(args.meeting) if args.meeting else None
    if args.meeting and (parsed is None or parsed[0] != "meeting"):
        raise MailbotError(f"--meeting: {args.meeting!r} is no meeting ref (refs look like M-3)")
    app = open_app(args)
    results = file_all(app, parsed[1] if parsed else None)
    if args.meeting and results and results[0][1] is None and results[0][2] is None:
        raise MailbotError(f"{args.meeting}: its minutes are not official (yet): nothing to file")
    if args.meeting and not results:
        raise MailbotError(f"--meeting: no meeting {args.meeting!r} (see `mailbot meetings`)")
    for ref, folder, error in results:
        print(f"{ref}: {folder}" if folder else f"{ref}: not filed ({error})")
    print(f"{sum(1 for _, folder, _ in results if folder)} meeting(s) filed under {archive_root(app)}")
    return 1 if any(error for _, _, error in results) else 0


def cmd_outbox(args: argparse.Namespace) -> int:
    from mailbot.queries import outbox_rows

    app = open_app(args)
    with app.db.session() as session:
        rows = outbox_rows(session, status=args.status)
    if args.json:
        print_json(rows)
    else:
        print_table(rows, ("id", "status", "kind", "to", "subject"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
