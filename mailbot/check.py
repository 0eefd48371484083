"""`mailbot check`: can the configured bot reach everything it needs? One plain line per part.

Read-only and harmless: nothing is migrated, no mail is fetched, moved or sent. Each part is
tried on its own, so one broken part (a wrong IMAP password) does not hide the state of the
others; the caller exits 1 if any failed. Passwords never appear in a line.
"""

from __future__ import annotations

import imaplib
import smtplib
import socket
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.exc import SQLAlchemyError

from mailbot.config import Config
from mailbot.delivery.smtp import SmtpDelivery
from mailbot.store.db import make_engine


@dataclass(frozen=True)
class CheckResult:
    label: str  # what was checked and where, e.g. "IMAP imap.corp.example:993 as minutes@corp.example"
    ok: bool
    detail: str
    warning: bool = False  # works, but something people will miss: said, without failing the check

    @property
    def line(self) -> str:
        if self.warning:
            return f"{self.label}: WARNING — {self.detail}"
        return f"{self.label}: {'OK, ' + self.detail if self.ok else 'FAILED — ' + self.detail}"


def check_all(config: Config, timeout: float = 15.0) -> list[CheckResult]:
    return [
        check_database(config), check_source(config, timeout), check_delivery(config, timeout), *check_settings(config),
    ]  # fmt: skip


def check_settings(config: Config) -> list[CheckResult]:
    """Settings whose absence no server reports and nobody notices until a mail goes nowhere."""
    found = []
    if not config.bot.admin.strip():
        found.append(CheckResult(
            "[bot] admin", True, "none set: a forgery someone denies, a mail that cannot be delivered and an overdue "
            "action its own host owns (with no department head in the directory) are told to nobody", warning=True,
        ))  # fmt: skip
    if not config.trust.authserv_id.strip() and config.trust.unproven != "apply":
        found.append(CheckResult(
            "[trust] authserv_id", True, "none set: an agenda, minutes or a new mail is applied only once its sender "
            "answers a question (replies to the bot's own mails prove themselves); set it to the name your mail "
            "server writes in Authentication-Results", warning=True,
        ))  # fmt: skip
    return found


# -- database ------------------------------------------------------------------------------------


def check_database(config: Config) -> CheckResult:
    engine = make_engine(config.database_url)
    label = f"database {engine.url.render_as_string(hide_password=True)}"
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            if not inspect(connection).has_table("alembic_version"):
                return CheckResult(label, True, "reachable, no schema yet (the first `mailbot run` creates it)")
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return CheckResult(label, True, f"schema revision {revision}")
    except SQLAlchemyError as exc:
        return CheckResult(label, False, _first_line(getattr(exc, "orig", None) or exc))
    finally:
        engine.dispose()


# -- source --------------------------------------------------------------------------------------


def check_source(config: Config, timeout: float = 15.0) -> CheckResult:
    if config.source.kind == "imap" and config.source.imap is not None:
        return check_imap(config, timeout)
    path = config.resolve(config.source.maildir.path)
    label = f"Maildir inbox {path}"
    if not (path / "new").is_dir() or not (path / "cur").is_dir():
        return CheckResult(label, False, "no such Maildir folder (needs new/ and cur/; `mailbot init` makes them)")
    problem = _not_writable(path / "new") or _not_writable(path / "cur")
    if problem:
        return CheckResult(label, False, problem)
    waiting = sum(1 for entry in (path / "new").iterdir() if not entry.name.startswith("."))
    return CheckResult(label, True, f"{waiting} {_mails(waiting)} waiting in new/")


def check_imap(config: Config, timeout: float) -> CheckResult:
    from imapclient.exceptions import IMAPClientError, LoginError

    from mailbot.sources.imap import open_imap

    imap = config.source.imap
    assert imap is not None
    label = f"IMAP {imap.host}:{imap.port} as {imap.username}"
    password = config.secret(imap.password, imap.password_env)
    if not password:
        return CheckResult(label, False, f"no password (set ${imap.password_env} or source.imap.password)")
    try:
        client = open_imap(imap.host, imap.port, imap.username, password, security=imap.security, timeout=timeout)
    except LoginError:
        return CheckResult(label, False, "login refused (check source.imap.username and the password)")
    except (OSError, IMAPClientError) as exc:
        return CheckResult(label, False, _network_problem(exc))
    try:
        try:
            selected = client.select_folder(imap.folder, readonly=True)  # readonly: no \Recent taken
        except imaplib.IMAP4.abort:
            raise
        except IMAPClientError as exc:
            return CheckResult(label, False, f"cannot open folder {imap.folder!r}: {_first_line(exc)}")
        count = int(selected.get(b"EXISTS", 0))
        return CheckResult(label, True, f"{imap.folder} has {count} {_mails(count)}")
    except (OSError, IMAPClientError) as exc:
        return CheckResult(label, False, _network_problem(exc))
    finally:
        try:
            client.logout()
        except (OSError, IMAPClientError):
            client.shutdown()


# -- delivery ------------------------------------------------------------------------------------


def check_delivery(config: Config, timeout: float = 15.0) -> CheckResult:
    if config.delivery.kind == "smtp" and config.delivery.smtp is not None:
        return check_smtp(config, timeout)
    path = config.resolve(config.delivery.maildir.path)
    label = f"Maildir outbox {path}"
    if not path.exists():
        # MaildirDelivery creates it on the first send; what matters is that it could.
        parent = next(p for p in path.parents if p.exists())
        problem = _not_writable(parent)
        return CheckResult(label, not problem, problem or f"will be created in {parent} on the first mail")
    problem = _not_writable(path / "tmp" if (path / "tmp").is_dir() else path)
    return CheckResult(label, not problem, problem or "writable")


def check_smtp(config: Config, timeout: float) -> CheckResult:
    smtp = config.delivery.smtp
    assert smtp is not None
    label = f"SMTP {smtp.host}:{smtp.port}" + (f" as {smtp.username}" if smtp.username else "")
    delivery = SmtpDelivery(
        smtp.host, smtp.port, security=smtp.security, username=smtp.username,
        password=config.secret(smtp.password, smtp.password_env), envelope_from=config.bot.address, timeout=timeout,
    )  # fmt: skip
    try:
        connection = delivery.open()
    except smtplib.SMTPAuthenticationError:
        return CheckResult(label, False, "login refused (check delivery.smtp.username and the password)")
    except (OSError, smtplib.SMTPException) as exc:
        return CheckResult(label, False, _network_problem(exc))
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()
    return CheckResult(
        label, True, "EHLO answered, logged in (no mail sent)" if smtp.username else "EHLO answered (no mail sent)"
    )


# -- helpers -------------------------------------------------------------------------------------


def _not_writable(folder: Path) -> str:
    """Empty when a file can be made in `folder`; the reason otherwise. Tried, not guessed from
    mode bits: root, ACLs and read-only mounts all make os.access lie one way or the other."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".mailbot-check-"):
            pass
    except OSError as exc:
        return f"cannot write in {folder}: {exc.strerror or exc}"
    return ""


def _network_problem(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.timeout | TimeoutError):
        return "no answer (timed out)"
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({exc.strerror})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return _first_line(exc)


def _first_line(exc: object) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _mails(count: int) -> str:
    return "mail" if count == 1 else "mails"


__all__ = ["CheckResult", "check_all", "check_database", "check_delivery", "check_source"]
