"""The embedded default: each sent mail becomes one file in a Maildir a person can open."""

from __future__ import annotations

import mailbox
from email import policy
from email.message import EmailMessage
from pathlib import Path


class MaildirDelivery:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._box = mailbox.Maildir(str(path), create=True)

    def send(self, message: EmailMessage, recipient: str) -> None:
        # Delivered-To records the envelope recipient, as an MTA's local delivery would.
        self._box.add(f"Delivered-To: {recipient}\n".encode() + message.as_bytes(policy=policy.default))

    def close(self) -> None:
        self._box.close()
