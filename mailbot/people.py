"""The people the bot knows: the directory, and names learnt from mail headers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.formats.model import PersonRef
from mailbot.message import Address
from mailbot.store.models import Person


def learn_from_headers(session: Session, people: Sequence[Address], now: datetime, skip: str) -> None:
    """Remember display names people's own clients write, so a later minutes draft that names
    them resolves; a directory entry is never overwritten by a header."""
    for person in people:
        if not person.address or person.address == skip:
            continue
        known = session.scalar(select(Person).where(Person.address == person.address))
        if known is None:
            session.add(Person(address=person.address, name=person.name or None, source="headers", created_at=now))
            session.flush()
        elif known.source == "headers" and person.name and not known.name:
            known.name = person.name


def directory_lookup(session: Session):  # type: ignore[no-untyped-def]
    """A lookup by name (and department when given) over the directory, for the format reader."""

    def lookup(name: str, department: str | None) -> Sequence[PersonRef]:
        query = select(Person).where(Person.name == name.strip())
        if department:
            query = query.where(Person.department == department.strip())
        return [PersonRef(address=p.address, name=p.name, department=p.department) for p in session.scalars(query)]

    return lookup


def find(session: Session, address: str) -> Person | None:
    return session.scalar(select(Person).where(Person.address == address.lower()))


def language_of(session: Session, address: str, default: str) -> str:
    person = find(session, address)
    return person.language if person is not None and person.language in ("zh", "en") else default


def name_of(session: Session, address: str) -> str | None:
    person = find(session, address)
    return person.name if person is not None else None
