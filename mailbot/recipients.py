"""Where the bot may write (reliability.md: "The bot writes only to allowed recipient domains").

An address is allowed when its domain is the bot's own, one of `[trust] recipient_domains`, or
the domain of someone in the directory (people imported with `mailbot people import`; people
only learnt from mail headers do not count: anyone can write a header). Everyone else named in a
draft is a problem in its answer (`recipient_problems`); the outbox refuses to queue a mail to
them whatever decided it (`mailbot.outbox`), so the bot never writes to a stranger, not even to
say no.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.config import Config
from mailbot.formats.model import ParsedMeeting, PersonRef, Problem
from mailbot.store.models import Person

# How many domains a problem text names ("corp.example、partner.example…").
SHOWN_DOMAINS = 5


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().rstrip(".").lower()


def configured_domains(bot_address: str, extra: Iterable[str]) -> tuple[str, ...]:
    """The bot's own domain first, then the configured ones, lower-cased, without repeats."""
    domains = [domain_of(bot_address), *(d.strip().lstrip("@").rstrip(".").lower() for d in extra)]
    return tuple(dict.fromkeys(d for d in domains if d))


def in_directory(session: Session, domain: str) -> bool:
    """Whether someone imported into the directory has an address at `domain`."""
    if not domain:
        return False
    query = select(Person.id).where(
        Person.source == "directory", Person.address.endswith(f"@{domain}", autoescape=True)
    )
    return session.scalar(query.limit(1)) is not None


def configured_allows(domain: str, configured: Iterable[str]) -> bool:
    """The bot's own or a configured domain, or a subdomain of one (`oa.corp.example`: nobody
    outside the organisation names hosts under its domain)."""
    return bool(domain) and any(domain == d or domain.endswith(f".{d}") for d in configured)


def allowed_domain(session: Session, domain: str, configured: Iterable[str]) -> bool:
    domain = domain.strip().rstrip(".").lower()
    return configured_allows(domain, configured) or in_directory(session, domain)


def allowed_recipient(session: Session, config: Config, address: str) -> bool:
    """Whether the bot may write to `address` (compared lower-cased)."""
    configured = configured_domains(config.bot.address, config.trust.recipient_domains)
    return allowed_domain(session, domain_of(address), configured)


def shown_domains(session: Session, config: Config) -> list[str]:
    """The allowed domains as a problem text names them: the bot's, the configured ones, then the
    directory's; at most SHOWN_DOMAINS, and "…" when there are more."""
    domains = list(configured_domains(config.bot.address, config.trust.recipient_domains))
    query = select(Person.address).where(Person.source == "directory").order_by(Person.id).limit(500)
    for address in session.scalars(query):
        domain = domain_of(address)
        if domain and domain not in domains:
            domains.append(domain)
    return [*domains[:SHOWN_DOMAINS], "…"] if len(domains) > SHOWN_DOMAINS else domains


def recipient_problems(session: Session, config: Config, parsed: ParsedMeeting) -> list[Problem]:
    """One error per person of a draft the bot may not write to: host, recorder, attendees, action
    owners and requesters (verifiers). An address named twice is one problem (its first role)."""
    named: list[tuple[str, PersonRef | None, str]] = [
        ("host", parsed.host, ""),
        ("recorder", parsed.recorder, ""),
        *(("attendee", person, "") for person in parsed.attendees),
    ]
    for action in parsed.actions:
        named.append(("owner", action.owner, action.line))
        named.append(("requester", action.requester, action.line))
    configured = configured_domains(config.bot.address, config.trust.recipient_domains)
    checked: dict[str, bool] = {}
    seen: set[str] = set()
    problems: list[Problem] = []
    for role, person, line in named:
        if person is None or not person.address:
            continue
        address = person.address.lower()
        domain = domain_of(address)
        if domain not in checked:
            checked[domain] = allowed_domain(session, domain, configured)
        if checked[domain] or address in seen:
            continue
        seen.add(address)
        problems.append(Problem("recipient_not_allowed", line, detail=f"{role}: {address}", section="people"))
    return problems


def recipient_refusal(session: Session, config: Config, address: str) -> dict[str, object] | None:
    """For a command that would make the bot write to a new person (`A-3 转交 someone@outside`):
    None when the bot may write to `address`, else what the answer says ({"address", "domains"})."""
    if allowed_recipient(session, config, address):
        return None
    return {"address": address.lower(), "domains": shown_domains(session, config)}
