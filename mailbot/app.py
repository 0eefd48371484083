"""Everything a command needs, built once from the config: database, clock, renderer, rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from mailbot.clock import Clock
from mailbot.config import Config

# Each part is imported when it is first built, so a command loads only the parts it uses (one
# `mailbot ingest -` process per mail: see mailbot/cli.py).
if TYPE_CHECKING:
    from mailbot.languages import Languages
    from mailbot.outbox import Sender
    from mailbot.policy import Policy
    from mailbot.render import Renderer
    from mailbot.rules import Rules
    from mailbot.store.db import Database
    from mailbot.workdays import WorkCalendar


@dataclass
class App:
    config: Config
    clock: Clock
    db: Database
    # DKIM's DNS lookup (mailbot.proof.DnsTxt); None = the resolver. Tests put a stub zone here.
    dns_txt: Callable[..., bytes] | None = field(default=None, repr=False)

    @classmethod
    def open(cls, config: Config, clock: Clock, *, migrate: bool = True) -> App:
        from mailbot.store.db import Database

        return cls(config=config, clock=clock, db=Database(config.database_url, migrate=migrate))

    @cached_property
    def rules(self) -> Rules:
        """Every rules file, from the configured folder (the shipped one per missing file)."""
        from mailbot.rules import load_rules

        return load_rules(self.config.rules_dir)

    @property
    def policy(self) -> Policy:
        return self.rules.policy

    @cached_property
    def calendar(self) -> WorkCalendar:
        from mailbot.workdays import load_calendar

        settings = self.config.calendar
        if settings.rules_file:
            rules_file: Path | None = self.config.resolve(settings.rules_file)
        else:
            # A named country's calendar takes no rules file unless one is named.
            rules_file = self.rules.calendar_file if settings.kind != "country" else None
        return load_calendar(settings.kind, rules_file=rules_file, country=settings.country or None)

    @cached_property
    def languages(self) -> Languages:
        """The language folders of the configured templates/, with their words and the fallback."""
        from mailbot.languages import load_languages

        return load_languages(self.config.templates_dir, self.config.bot.language)

    @cached_property
    def renderer(self) -> Renderer:
        """Checks at construction that every mail kind has its templates in every language."""
        from mailbot.render import Renderer

        return Renderer(self.config.templates_dir, self.rules.statuses, languages=self.languages)

    @cached_property
    def sender(self) -> Sender:
        from mailbot.outbox import Sender

        return Sender(
            address=self.config.bot.address.lower(),
            name=self.config.bot.name,
            secret=self.config.token_key,
            recipient_domains=tuple(self.config.trust.recipient_domains),
            zone=self.config.tz,
        )

    @cached_property
    def reply_markers(self) -> tuple[str, ...]:
        """The "reply above this line" lines our mails carry (every language's words.toml `marker`):
        the reply reader cuts at them, whichever language the mail was written in."""
        words = self.languages.words
        return tuple(dict.fromkeys(words[language].marker.strip() for language in self.languages.available))

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        """Today in the organisation's time zone: the day every rule counts from."""
        return self.clock.now().astimezone(self.config.tz).date()
