"""`mailbot rules check`: load every rules file the bot uses (each validated on load, so a
mistake stops here with the file and key named) and print the rules in effect."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from mailbot.app import App
from mailbot.classify import load_routing
from mailbot.formats.vocabulary import load_vocabulary
from mailbot.replies.commands import load_command_vocabulary
from mailbot.replies.quotes import load_quote_rules


def effective_rules(app: App) -> list[str]:
    rules_dir = app.config.rules_dir
    lines = [f"rules folder: {rules_dir}"]
    for section, values in asdict(app.policy).items():
        lines.append(f"[{section}] " + ", ".join(f"{key} = {value!r}" for key, value in values.items()))
    calendar = app.calendar
    today = app.today()
    provisional = [year for year in range(today.year, today.year + 3) if calendar.is_provisional(date(year, 6, 1))]
    lines.append(
        f"calendar: {calendar.name}"
        + (f"; provisional (not yet official) for {', '.join(map(str, provisional))}" if provisional else "")
    )
    routing = load_routing(rules_dir / "routing.toml")
    lines.append(f"subject tags: agenda {list(routing.agenda_tags)}, minutes {list(routing.minutes_tags)}")
    vocabulary = load_vocabulary(rules_dir / "vocabulary.toml")
    lines.append(f"vocabulary: {type(vocabulary).__name__} loaded from {rules_dir / 'vocabulary.toml'}")
    load_command_vocabulary(rules_dir / "commands.toml")
    lines.append(f"reply commands: loaded from {rules_dir / 'commands.toml'}")
    load_quote_rules(rules_dir / "quotes.toml")
    lines.append(f"quote rules: loaded from {rules_dir / 'quotes.toml'}")
    return lines
