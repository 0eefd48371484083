"""A piped mail handed to the running daemon instead of a whole bot started for it.

An MTA starts one `mailbot ingest -` per mail. Started cold, that process imports the ORM, the
templates and the rules and opens the database to handle one mail (about a second); the daemon
beside it has all of that warm and handles a mail in milliseconds. So when a daemon reads the
same Maildir, the pipe only makes the mail durable there (written to tmp/, fsynced, renamed into
new/: from then on the mail is ours, whatever crashes) and wakes the daemon through a FIFO in the
Maildir's root. It then waits a little for the daemon to move the file out of new/ (cur/ when
handled, .Failed/new/ when it could not be), so the MTA still hears "failed" as an exit status.

The FIFO also says whether a daemon listens: opening a FIFO for writing without blocking fails
(ENXIO) when no process holds it open for reading. Only the daemon's wait holds it open
(MaildirSource.wait_for_mail), not `run --once` nor another ingest, so a mail is never handed to a
process that will not read it. Nothing is processed twice: once handed over, the mail is the
daemon's; if the daemon is slow or stops, the mail waits in new/ for its next pass.

Standard library only: this module is all the fast path imports beyond the config.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from pathlib import Path
from typing import Literal

# In the Maildir's root, where a Maildir keeps its own files (Dovecot's dovecot-uidlist, maildirsize):
# not a folder (those begin with a dot), and not in tmp/, which Maildir readers clean.
WAKE_NAME = "mailbot.wake"

Outcome = Literal["done", "failed", "waiting"]


def wake_path(maildir: Path) -> Path:
    return maildir / WAKE_NAME


def listen(maildir: Path) -> int:
    """The daemon's end: the FIFO, made if missing, open for reading without blocking."""
    path = wake_path(maildir)
    with contextlib.suppress(FileNotFoundError):
        if not stat.S_ISFIFO(path.lstat().st_mode):
            path.unlink()  # our name, but not our FIFO (a file copied over it): made again below
    with contextlib.suppress(FileExistsError):
        os.mkfifo(path, 0o600)
    return os.open(path, os.O_RDONLY | os.O_NONBLOCK)


def drain(fd: int) -> None:
    """Empty the FIFO: one wake-up covers every mail that arrived before it was read."""
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        pass


def daemon_listening(maildir: Path) -> int | None:
    """A write end of the daemon's FIFO, or None when no daemon holds it open (or there is none)."""
    try:
        fd = os.open(wake_path(maildir), os.O_WRONLY | os.O_NONBLOCK)
    except OSError:  # ENXIO: nobody reads it; ENOENT, EACCES, EISDIR…: no daemon can be reached there
        return None
    if not stat.S_ISFIFO(os.fstat(fd).st_mode):  # a plain file by that name: no daemon behind it
        os.close(fd)
        return None
    return fd


def write_durably(maildir: Path, raw: bytes) -> str:
    """The mail as a new file in the Maildir, on disk before this returns; its base name."""
    # Unique without the clock: the process id, the host and random bits (Maildir's own names mix
    # in the time only for uniqueness; MaildirSource orders by the file's mtime, which the kernel sets).
    # (os.urandom and os.uname: the secrets and socket modules cost this short process ~10 ms.)
    host = os.uname().nodename.replace("/", "\\057").replace(":", "\\072")
    name = f"{os.urandom(8).hex()}.P{os.getpid()}.{host}"
    temporary = maildir / "tmp" / name
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(temporary, maildir / "new" / name)
    except BaseException:
        temporary.unlink(missing_ok=True)  # a full disk: no half mail left in tmp/ (the caller handles it)
        raise
    directory = os.open(maildir / "new", os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a power cut
    finally:
        os.close(directory)
    return name


def wake(fd: int) -> None:
    try:
        os.write(fd, b"\n")
    except BlockingIOError:
        pass  # the FIFO is full of wake-ups the daemon has not read yet: it will look anyway
    except BrokenPipeError:
        pass  # the daemon stopped a moment ago: the mail waits in new/ for its next start
    finally:
        os.close(fd)


def outcome(maildir: Path, name: str, seconds: float) -> Outcome:
    """Where the daemon put the mail within `seconds`: handled (cur/), kept as failed, or still waiting."""
    new = maildir / "new" / name
    failed = maildir / ".Failed" / "new" / name
    deadline = time.monotonic() + seconds  # an interval, not a reading of the wall clock
    pause = 0.001
    while new.exists():
        if time.monotonic() >= deadline:
            return "waiting"
        time.sleep(pause)
        pause = min(pause * 2, 0.02)
    return "failed" if failed.exists() else "done"


def hand_over(maildir: Path, raw: bytes, wait_seconds: float) -> Outcome | None:
    """Hand `raw` to the daemon reading `maildir`; None (and nothing written) when none listens."""
    fd = daemon_listening(maildir)
    if fd is None:
        return None
    try:
        name = write_durably(maildir, raw)
    except BaseException:
        os.close(fd)
        raise
    wake(fd)
    return outcome(maildir, name, wait_seconds)
