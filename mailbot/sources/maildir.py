"""A local Maildir as the bot's mailbox: the embedded default, and what an MTA can deliver to.

New mail is read from `new/`; once its outcome is committed it moves to `cur/` flagged seen
(done) or to the `.Failed` sub-folder, so a person can look at what the bot could not handle.
"""

from __future__ import annotations

import hashlib
import logging
import mailbox
import os
import select
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

from mailbot import handoff
from mailbot.sources import FetchedMail, Mark

log = logging.getLogger(__name__)

# The longest one wait lasts: the daemon's loop checks for a stop request and due jobs between
# waits (a signal does not cut a select short), and new/ is looked at again.
WAIT_SLICE_SECONDS = 1.0


class MaildirSource:
    def __init__(self, path: Path) -> None:
        self.path = path
        mailbox.Maildir(str(path), create=True).close()  # creates new/, cur/, tmp/ when missing
        self._files: dict[str, Path] = {}
        # The daemon's ends of the wake FIFO (mailbot/handoff.py), opened by its first wait.
        self._wake: tuple[int, int] | None = None
        self._no_fifo = False
        self._new_seen: int | None = None

    def fetch_new(self) -> Iterator[FetchedMail]:
        new_dir = self.path / "new"
        # Oldest first: mail is handled in the order it arrived (a resend after its original).
        entries = sorted(new_dir.iterdir(), key=lambda p: (p.stat().st_mtime, p.name))
        for entry in entries:
            if entry.name.startswith("."):
                continue
            raw = entry.read_bytes()
            # An MTA never reuses a name in a Maildir, but a person dropping files by hand may
            # ("reply.eml" twice): the key holds the content too, so a second mail under a used
            # name is a new mail, not a duplicate of the first (the same file again still is).
            key = f"maildir:{entry.name.split(':', 1)[0]}:{hashlib.sha256(raw).hexdigest()[:16]}"
            self._files[key] = entry
            yield FetchedMail(key=key, raw=raw)

    mark_group = 1  # a rename is cheap: each mail leaves new/ as soon as it is handled

    def mark_many_done(self, marks: Sequence[Mark]) -> None:
        for key, status in marks:
            self.mark_done(key, status)

    def mark_done(self, key: str, status: Literal["done", "failed"]) -> None:
        source = self._files.pop(key, None)
        if source is None or not source.exists():
            return
        base = source.name.split(":", 1)[0]
        if status == "failed":
            folder = self.path / ".Failed"
            mailbox.Maildir(str(folder), create=True).close()
            source.rename(_unused(folder / "new", base, "", key))  # unread there, so a person notices it
            return
        # A rename from new/ to cur/ with the Seen flag (Maildir's own way of saying "read").
        source.rename(_unused(self.path / "cur", base, ":2,S", key))

    def wait_for_mail(self, timeout: float) -> bool:
        """Block until new/ may hold mail (True) or `timeout` passed (False); the daemon's wait.

        Woken at once by a piped mail (`mailbot ingest -` writes the mail, then a byte into the
        FIFO); mail an MTA delivered into new/ itself is seen by new/'s changed mtime within a slice.
        """
        if self._wake is None and not self._no_fifo:
            try:
                reader = handoff.listen(self.path)
                # The daemon's own write end: with no writer left, a FIFO reads as at end of file
                # and select would return at once forever after the first ingest closed its end.
                self._wake = (reader, os.open(handoff.wake_path(self.path), os.O_WRONLY | os.O_NONBLOCK))
            except OSError as exc:  # a read-only Maildir root, a file system without FIFOs
                self._no_fifo = True
                log.warning("no wake FIFO in %s (%s): piped mail is handled in its own process", self.path, exc)
        if self._new_changed():
            return True
        pause = max(0.0, min(timeout, WAIT_SLICE_SECONDS))
        if self._wake is None:
            time.sleep(pause)
            return self._new_changed()
        ready, _, _ = select.select([self._wake[0]], [], [], pause)
        if ready:
            handoff.drain(self._wake[0])
            self._new_changed()
            return True
        return self._new_changed()

    def _new_changed(self) -> bool:
        """Whether new/ changed since the last look (a file added, or one moved out by a pass)."""
        stamp = (self.path / "new").stat().st_mtime_ns
        changed = stamp != self._new_seen
        self._new_seen = stamp
        return changed

    def close(self) -> None:
        self._files.clear()
        if self._wake is not None:
            for fd in self._wake:
                os.close(fd)
            self._wake = None


def _unused(folder: Path, base: str, flags: str, key: str) -> Path:
    """`folder/base+flags`, or, when a mail handled earlier holds that name (one dropped by hand
    under a used name), the name with the key's content part added: a rename never replaces it."""
    target = folder / f"{base}{flags}"
    return target if not target.exists() else folder / f"{base}.{key.rsplit(':', 1)[1]}{flags}"
