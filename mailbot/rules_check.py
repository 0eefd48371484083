"""`mailbot rules check`: load every rules file the bot uses (each validated on load, so a
mistake stops here with the file and key named) and print the rules in effect, with the file each
one really came from (the configured folder's, or the shipped one where the folder has none).
It also builds the renderer, which checks that every mail kind has its templates in every
language folder (after fallback), and says what each language borrows from the fallback."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from mailbot.app import App
from mailbot.kinds import KINDS
from mailbot.rules import FILES, SHIPPED


def effective_rules(app: App) -> list[str]:
    rules = app.rules
    lines = [f"rules folder: {rules.folder}"]
    for name, what in FILES.items():
        origin = rules.origins[name]
        shipped = origin.parent == SHIPPED and rules.folder.resolve() != SHIPPED.resolve()
        where = "shipped default (not in the rules folder)" if shipped else "from the rules folder"
        lines.append(f"{name} ({what}): {where}, {origin}")
    for section, values in asdict(rules.policy).items():
        lines.append(f"[{section}] " + ", ".join(f"{key} = {value!r}" for key, value in values.items()))
    calendar = app.calendar
    today = app.today()
    provisional = [year for year in range(today.year, today.year + 3) if calendar.is_provisional(date(year, 6, 1))]
    lines.append(
        f"calendar: {calendar.name}"
        + (f"; provisional (not yet official) for {', '.join(map(str, provisional))}" if provisional else "")
    )
    lines.append(f"subject tags: agenda {list(rules.routing.agenda_tags)}, minutes {list(rules.routing.minutes_tags)}")
    by_verb: dict[str, list[str]] = {}
    for word, verb in rules.commands.words.items():
        by_verb.setdefault(verb, []).append(word)
    for verb, words in sorted(by_verb.items()):
        lines.append(f"reply command {verb}: {', '.join(sorted(words))}")
    return lines + template_lines(app)


def template_lines(app: App) -> list[str]:
    renderer = app.renderer  # raises ConfigError naming a missing template
    languages = renderer.languages
    lines = [
        f"templates: {languages.folder}; {len(KINDS)} mail kinds; languages {', '.join(languages.available)}; "
        f"fallback {languages.fallback}"
        + (f" (bot.language {languages.configured_missing!r} has no folder)" if languages.configured_missing else "")
    ]
    for language in languages.available:
        if language == languages.fallback:
            continue
        files, words = renderer.borrowed[language], languages.borrowed[language]
        statuses = language in renderer.borrowed_statuses
        if files or words or statuses:
            lines.append(
                f"language {language}: from {languages.fallback}: {len(files)} file(s)"
                + (f" ({', '.join(files)})" if files else "")
                + (f", words {', '.join(words)}" if words else "")
                + (", the status words (rules/statuses.toml)" if statuses else "")
            )
        else:
            lines.append(f"language {language}: complete")
    return lines
