"""The rules folder (`[paths] rules`): every file the bot reads from it, loaded once per App.

Each file is taken from the configured folder when it is there and from the shipped `rules/`
otherwise, so an organisation copies and edits only the files it changes. Everything that reads
rules is handed them from here (through `App.rules`): no module reads the shipped folder behind
the configuration's back, and `mailbot rules check` shows where each file really came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from mailbot.classify import Routing, load_routing
from mailbot.config import PACKAGE_ROOT
from mailbot.formats.vocabulary import Vocabulary, load_vocabulary
from mailbot.lifecycle import StatusWords, load_status_words
from mailbot.policy import Policy, load_policy
from mailbot.replies.commands import CommandVocabulary, load_command_vocabulary
from mailbot.replies.quotes import QuoteRules, load_quote_rules

SHIPPED = PACKAGE_ROOT / "rules"

# What each file holds, for `rules check` and for whoever adds a file: it must be read here.
FILES = {
    "policy.toml": "deadlines and limits",
    "routing.toml": "subject tags and machine mail",
    "vocabulary.toml": "the draft format's labels",
    "commands.toml": "reply commands",
    "quotes.toml": "quote and signature rules",
    "calendar-cn.toml": "working days beyond the official calendar",
    "statuses.toml": "the words for each action status",
}


@dataclass(frozen=True)
class Rules:
    folder: Path
    policy: Policy
    routing: Routing
    vocabulary: Vocabulary
    commands: CommandVocabulary
    quotes: QuoteRules
    statuses: StatusWords
    # File name -> the file actually read (the configured folder's, or the shipped one).
    origins: Mapping[str, Path]

    @property
    def calendar_file(self) -> Path:
        return self.origins["calendar-cn.toml"]


def rules_file(folder: Path, name: str) -> Path:
    configured = folder / name
    return configured if configured.is_file() else SHIPPED / name


def load_rules(folder: Path) -> Rules:
    """Every rules file, each validated as it loads: a mistake stops the start, naming file and key."""
    origins = {name: rules_file(folder, name) for name in FILES}
    return Rules(
        folder=folder,
        policy=load_policy(origins["policy.toml"]),
        routing=load_routing(origins["routing.toml"]),
        vocabulary=load_vocabulary(origins["vocabulary.toml"]),
        commands=load_command_vocabulary(origins["commands.toml"]),
        quotes=load_quote_rules(origins["quotes.toml"]),
        statuses=load_status_words(origins["statuses.toml"]),
        origins=MappingProxyType(origins),
    )
