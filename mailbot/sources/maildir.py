"""A local Maildir as the bot's mailbox: the embedded default, and what an MTA can deliver to.

New mail is read from `new/`; once its outcome is committed it moves to `cur/` flagged seen
(done) or to the `.Failed` sub-folder, so a person can look at what the bot could not handle.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from mailbot.sources import FetchedMail


class MaildirSource:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._box = mailbox.Maildir(str(path), create=True)

    def fetch_new(self) -> Iterator[FetchedMail]:
        new_dir = self.path / "new"
        # Oldest first: mail is handled in the order it arrived (a resend after its original).
        for entry in sorted(new_dir.iterdir(), key=lambda p: (p.stat().st_mtime, p.name)) if new_dir.exists() else []:
            if entry.name.startswith("."):
                continue
            key = entry.name.split(":", 1)[0]
            yield FetchedMail(key=f"maildir:{key}", raw=entry.read_bytes())

    def mark_done(self, key: str, status: Literal["done", "failed"]) -> None:
        message_key = key.removeprefix("maildir:")
        try:
            message = self._box[message_key]
        except KeyError:
            return
        if status == "failed":
            failed = self._failed_folder()
            failed.add(message)
            self._box.discard(message_key)
            return
        message.set_subdir("cur")
        message.add_flag("S")
        self._box[message_key] = message

    def _failed_folder(self) -> mailbox.Maildir:
        if "Failed" not in self._box.list_folders():
            return self._box.add_folder("Failed")
        return self._box.get_folder("Failed")

    def close(self) -> None:
        self._box.close()
