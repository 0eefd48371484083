"""Writing outbox rows and audit events inside one transaction, with or without a mail in hand.

Handlers (answering a mail) and periodic jobs (a deadline passing) both decide mails to people;
this is the one place that knows how: the person's language and name, the reply token, the
common template values, the unique key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from mailbot import people, tokens
from mailbot.app import App
from mailbot.errors import MailbotError
from mailbot.outbox import Attachment, DeferredFile, enqueue_many, insert_one, outbox_values
from mailbot.store.db import insert_later
from mailbot.store.models import Event, Person, WebLinkGeneration

# Built once, the values bound at each execution: building a statement per mail (and its cache
# key) costs more than running it.
_PEOPLE = select(Person).where(Person.address.in_(bindparam("addresses", expanding=True)))
_GENERATIONS = select(WebLinkGeneration.address, WebLinkGeneration.generation).where(
    WebLinkGeneration.address.in_(bindparam("addresses", expanding=True))
)


class TooMuchMail(MailbotError):
    """One inbound mail would decide more mails than policy allows."""


@dataclass(kw_only=True)
class Notifier:
    app: App
    session: Session
    now: datetime
    inbound_mail_id: int | None = None
    actor: str | None = None
    # The language for people whose own is unknown (e.g. the language a meeting was written in).
    fallback_language: str | None = None
    sent: list[str] = field(default_factory=list)
    # Memo for this transaction: one lookup per person however many mails go to them.
    _people: dict[str, Person | None] = field(default_factory=dict)
    # The web-link generation of each address `know` was given (lower-cased), when mails carry links.
    _generations: dict[str, int] = field(default_factory=dict)

    def person(self, address: str) -> Person | None:
        if address not in self._people:
            self._people[address] = people.find(self.session, address)
        return self._people[address]

    def know(self, addresses: Iterable[str]) -> None:
        """Load everyone a batch of mails will go to in one query instead of one each."""
        missing = {a for a in addresses if a and a not in self._people}
        if not missing:
            return
        # Stored lower-cased, as `person` (people.find) asks for them.
        wanted = {a.lower() for a in missing}
        found = {p.address: p for p in self.session.scalars(_PEOPLE, {"addresses": sorted(wanted)})}
        self._people.update({a: found.get(a.lower()) for a in missing})
        if self.links_on():
            # Each mail's own link names the person's generation: one query for the batch, not one a mail.
            rows = self.session.execute(_GENERATIONS, {"addresses": sorted(wanted)})
            self._generations.update(dict.fromkeys(wanted, 0))
            self._generations.update({address: generation or 0 for address, generation in rows})

    def links_on(self) -> bool:
        """Whether the mails carry links to the web pages ([web] on, with a base_url)."""
        return bool(self.app.config.web.enabled and self.app.config.web.base_url)

    def default_language(self) -> str:
        return self.app.languages.pick(self.fallback_language or self.app.config.bot.language)

    def language_of(self, address: str) -> str:
        """The directory's language for the person when there is a folder for it, else the default."""
        person = self.person(address)
        if person is not None and person.language in self.app.languages:
            return person.language
        return self.default_language()

    def token(self, obj: str, recipient: str) -> str:
        return tokens.issue(self.app.config.token_key, obj, recipient)

    def common(self, to: str | None = None) -> dict[str, Any]:
        """What every mail's layout shows: the bot, the format guide and, where the web pages are on,
        the reader's own signed link to their actions and meetings (fixed when the mail is decided)."""
        config = self.app.config
        common = {"bot_address": config.bot.address, "bot_name": config.bot.name, "docs_url": config.bot.docs_url}
        if to and self.links_on():
            common["my_page"] = self.my_page(to)
        return common

    def my_page(self, to: str) -> str:
        """The link to `to`'s own page, with the generation `know` loaded for it, else looked up now."""
        from mailbot.web.links import make_link  # only where the pages are on

        return make_link(self.app, to, "person", session=self.session, generation=self._generations.get(to.lower()))

    def count_mails(self, adding: int) -> None:
        """The safety net behind the draft limits: one inbound mail decides at most so many mails.
        Raises TooMuchMail, which rolls its whole transaction back (nothing half-done)."""
        limit = self.app.policy.limits.mails_per_mail
        if self.inbound_mail_id is not None and len(self.sent) + adding > limit:
            raise TooMuchMail(f"this mail would make more than {limit} mails")

    def send(self, **mail: Any) -> bool:
        """A new mail (not an answer) to one person (`mail` as `prepare` takes it); False when that
        key was decided before."""
        self.count_mails(1)
        values = self.prepare(**mail)
        written = insert_one(self.session, values)
        if written:
            self.sent.append(values["key"])
        return written

    def prepare(
        self,
        *,
        key: str,
        kind: str,
        to: str,
        context: dict[str, Any],
        language: str | None = None,
        token_for: str | None = None,
        meeting_id: int | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> dict[str, Any]:
        """The outbox row of a new mail to one person, not yet written (see `send_prepared`)."""
        token = self.token(token_for, to) if token_for else None
        person = self.person(to)
        # A language asked for (a meeting's) is kept only where there is a folder for it.
        language = self.app.languages.pick(language) if language else self.language_of(to)
        return outbox_values(
            self.app.renderer, self.app.sender, key=key, kind=kind, to_address=to,
            to_name=person.name if person is not None else None, language=language,
            context={**context, "token": token, **self.common(to)}, now=self.now, reply_token=token,
            meeting_id=meeting_id, inbound_mail_id=self.inbound_mail_id, attachments=attachments,
        )  # fmt: skip

    def send_prepared(self, rows: Sequence[dict[str, Any]]) -> set[str]:
        """Write prepared mails in one statement; the keys that were new (the others were decided before)."""
        self.count_mails(len(rows))
        written = enqueue_many(self.session, rows)
        self.sent.extend(row["key"] for row in rows if row["key"] in written)
        return written

    def todo_file(self, actions: Sequence[dict[str, Any]], meeting: dict[str, Any]) -> DeferredFile:
        """The actions as calendar tasks (.ics), for the mail that asks about or fixes them: built
        when the mail is sent (calendar_files.action_todos), stamped with this decision's time."""
        args = {"actions": actions, "meeting": meeting, "domain": self.app.sender.domain, "now": self.now}
        return DeferredFile("actions.ics", "text/calendar", "action_todos", args)

    def event(
        self,
        what: str,
        *,
        meeting_id: int | None = None,
        action_id: int | None = None,
        detail: dict[str, Any] | None = None,
        actor: str | None = None,
    ) -> None:
        """An event of the audit trail: written with the session's next statement, together with
        the other events decided since (store.db.insert_later), within this transaction."""
        insert_later(
            self.session,
            Event.__table__,  # type: ignore[arg-type]
            {
                "at": self.now,
                "actor": actor or self.actor,
                "what": what,
                "meeting_id": meeting_id,
                "action_id": action_id,
                "inbound_mail_id": self.inbound_mail_id,
                "detail": detail or {},
            },
        )
