"""What every handler gets (the mail, its record, one open transaction) and returns."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailbot import people, tokens
from mailbot.app import App
from mailbot.message import InboundMail
from mailbot.outbox import enqueue
from mailbot.store.models import Event, OutboxMail, Person
from mailbot.store.models import InboundMail as InboundRecord

HAN = re.compile(r"[\u4e00-\u9fff]")
ERROR_KINDS = ("help", "minutes_rejected", "agenda_rejected", "processing_error")


@dataclass(frozen=True)
class Outcome:
    outcome: str  # processed | rejected | ignored | answered | failed
    kind: str
    error: str | None = None
    meeting_id: int | None = None


@dataclass
class HandlerContext:
    app: App
    session: Session
    mail: InboundMail
    record: InboundRecord
    now: datetime
    sent: list[str] = field(default_factory=list)
    # Per-mail memo: one lookup per person however many mails go to them.
    _people: dict[str, Person | None] = field(default_factory=dict)
    _language: str | None = None

    def person(self, address: str) -> Person | None:
        if address not in self._people:
            self._people[address] = people.find(self.session, address)
        return self._people[address]

    def know(self, addresses: Iterable[str]) -> None:
        """Load everyone a batch of mails will go to in one query instead of one each."""
        missing = {a for a in addresses if a not in self._people}
        if missing:
            found = {p.address: p for p in self.session.scalars(select(Person).where(Person.address.in_(missing)))}
            self._people.update({a: found.get(a) for a in missing})

    @property
    def sender_address(self) -> str:
        return self.mail.sender.address if self.mail.sender else ""

    def sender_language(self) -> str:
        """The directory's word first; else the language the person just wrote in."""
        if self._language is None:
            person = self.person(self.sender_address)
            sample = f"{self.mail.subject}\n{self.mail.body_text[:2000]}"
            if person is not None and person.language in ("zh", "en"):
                self._language = person.language
            elif HAN.search(sample):
                self._language = "zh"
            else:
                self._language = "en" if sample.strip() else self.app.config.bot.language
        return self._language

    def language_of(self, address: str) -> str:
        """The person's registered language; else the language this mail was written in, since
        the people in a meeting written in English most likely read English."""
        person = self.person(address)
        if person is not None and person.language in ("zh", "en"):
            return person.language
        return self.sender_language()

    def token(self, obj: str, recipient: str) -> str:
        return tokens.issue(self.app.config.token_key, obj, recipient)

    def send(
        self,
        *,
        key: str,
        kind: str,
        to: str,
        context: dict[str, Any],
        language: str | None = None,
        token_for: str | None = None,
        meeting_id: int | None = None,
    ) -> bool:
        """A new mail (not an answer) to one person."""
        token = self.token(token_for, to) if token_for else None
        written = enqueue(
            self.session,
            self.app.renderer,
            self.app.sender,
            key=key,
            kind=kind,
            to_address=to,
            to_name=person.name if (person := self.person(to)) is not None else None,
            language=language or self.language_of(to),
            context={**context, "token": token, **self._common()},
            now=self.now,
            reply_token=token,
            meeting_id=meeting_id,
            inbound_mail_id=self.record.id,
        )
        if written:
            self.sent.append(key)
        return written

    def answer(
        self,
        *,
        kind: str,
        context: dict[str, Any],
        token_for: str | None = None,
        meeting_id: int | None = None,
        rate_limited: bool = False,
    ) -> bool:
        """The answer to the mail in hand: threaded to it, marked auto-replied, one per mail and kind."""
        to = self.sender_address
        if rate_limited and self.error_answers_last_hour(to) >= self.app.policy.answers.error_answers_per_hour:
            self.event("answer.suppressed", detail={"kind": kind, "reason": "rate limit"})
            return False
        token = self.token(token_for, to) if token_for else None
        references = (*self.mail.references, self.mail.message_id) if self.mail.message_id else self.mail.references
        written = enqueue(
            self.session,
            self.app.renderer,
            self.app.sender,
            key=f"answer:{kind}:{self.record.id}",
            kind=kind,
            to_address=to,
            to_name=self.mail.sender.name if self.mail.sender and self.mail.sender.name else None,
            language=self.sender_language(),
            context={**context, "token": token, "original_subject": self.mail.subject, **self._common()},
            now=self.now,
            in_reply_to=self.mail.message_id,
            references=references[-10:],
            reply_token=token,
            auto_submitted="auto-replied",
            meeting_id=meeting_id,
            inbound_mail_id=self.record.id,
        )
        if written:
            self.sent.append(f"answer:{kind}")
        return written

    def error_answers_last_hour(self, address: str) -> int:
        since = self.now - timedelta(hours=1)
        query = select(func.count(OutboxMail.id)).where(
            OutboxMail.to_address == address, OutboxMail.kind.in_(ERROR_KINDS), OutboxMail.created_at >= since
        )
        return int(self.session.scalar(query) or 0)

    def event(
        self,
        what: str,
        *,
        meeting_id: int | None = None,
        action_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.session.add(
            Event(
                at=self.now,
                actor=self.sender_address or None,
                what=what,
                meeting_id=meeting_id,
                action_id=action_id,
                inbound_mail_id=self.record.id,
                detail=detail or {},
            )
        )

    def _common(self) -> dict[str, Any]:
        config = self.app.config
        return {"bot_address": config.bot.address, "bot_name": config.bot.name, "docs_url": config.bot.docs_url}
