"""The embedded default: each sent mail becomes one file in a Maildir a person can open."""

from __future__ import annotations

import email.errors
import mailbox
from email.message import EmailMessage
from pathlib import Path

from mailbot.addresses import needs_smtputf8
from mailbot.outbox import PermanentDeliveryError, TemporaryDeliveryError


class MaildirDelivery:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._box = mailbox.Maildir(str(path), create=True)

    def send(self, message: EmailMessage, recipient: str, *, return_path: str | None = None) -> None:
        # A Unicode address is written as UTF-8, as an SMTPUTF8 server would have delivered it.
        smtputf8 = needs_smtputf8(recipient)
        try:
            data = message.as_bytes(policy=message.policy.clone(utf8=True) if smtputf8 else message.policy)
        except (ValueError, TypeError, LookupError, email.errors.MessageError) as exc:
            raise PermanentDeliveryError(f"cannot be written as a mail: {exc}") from exc
        # Return-Path and Delivered-To record the envelope, as an MTA's local delivery would.
        envelope = (f"Return-Path: <{return_path}>\n" if return_path else "") + f"Delivered-To: {recipient}\n"
        try:
            self._box.add(envelope.encode() + data)
        except OSError as exc:  # a full disk, a folder gone: try again later
            raise TemporaryDeliveryError(f"cannot write to {self.path}: {exc}") from exc

    def close(self) -> None:
        self._box.close()
