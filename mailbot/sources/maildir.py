"""A local Maildir as the bot's mailbox: the embedded default, and what an MTA can deliver to.

New mail is read from `new/`; once its outcome is committed it moves to `cur/` flagged seen
(done) or to the `.Failed` sub-folder, so a person can look at what the bot could not handle.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

from mailbot.sources import FetchedMail, Mark


class MaildirSource:
    def __init__(self, path: Path) -> None:
        self.path = path
        mailbox.Maildir(str(path), create=True).close()  # creates new/, cur/, tmp/ when missing
        self._files: dict[str, Path] = {}

    def fetch_new(self) -> Iterator[FetchedMail]:
        new_dir = self.path / "new"
        # Oldest first: mail is handled in the order it arrived (a resend after its original).
        entries = sorted(new_dir.iterdir(), key=lambda p: (p.stat().st_mtime, p.name))
        for entry in entries:
            if entry.name.startswith("."):
                continue
            key = f"maildir:{entry.name.split(':', 1)[0]}"
            self._files[key] = entry
            yield FetchedMail(key=key, raw=entry.read_bytes())

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
            source.rename(folder / "new" / base)  # unread there, so a person notices it
            return
        # A rename from new/ to cur/ with the Seen flag (Maildir's own way of saying "read").
        source.rename(self.path / "cur" / f"{base}:2,S")

    def close(self) -> None:
        self._files.clear()
