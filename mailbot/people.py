"""The people the bot knows: the directory, and names learnt from mail headers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from mailbot.addresses import is_valid_address
from mailbot.formats.model import PersonRef
from mailbot.message import Address
from mailbot.store.models import Person, PersonName
from mailbot.tokens import plus_part

# A display name longer than this is not a name (the people table keeps 200).
NAME_CHARS = 200

# The two statements every mail from a proven sender runs, built once with their values bound at
# each execution: building one (and working out its cache key) costs more than SQLite takes to
# run it.
_PEOPLE = select(Person).where(Person.address.in_(bindparam("addresses", expanding=True)))
_NAMES = select(PersonName.person_id, PersonName.name).where(
    PersonName.person_id.in_(bindparam("person_ids", expanding=True))
)


def learn_from_headers(session: Session, people: Sequence[Address], now: datetime, skip: str, *, proven: bool) -> None:
    """Remember display names people's own clients write, so a later minutes draft that names
    them resolves; a directory entry is never overwritten by a header. Two queries per mail.

    Only from a mail whose sender is proven (`HandlerContext.sender_proven()`): anyone can write
    `王强 <eve@evil.example>` in a header, and a name learnt from it would give 王强's actions
    to eve. There is no default: every caller says whether the mail in hand is proven."""
    if not proven:
        return
    # An address no server takes is nobody to remember (and no row for the database to refuse);
    # nor is the bot, by its own address or the plus-addresses its mails carry (a reply is sent
    # to minutes+token@…, and its To: header names that address).
    wanted = [
        p for p in people
        if p.address and p.address != skip and plus_part(skip, p.address) is None and is_valid_address(p.address)
    ]  # fmt: skip
    if not wanted:
        return
    known = {p.address: p for p in session.scalars(_PEOPLE, {"addresses": list({w.address for w in wanted})})}
    for person in wanted:
        if person.address not in known:
            known[person.address] = Person(
                address=person.address, name=person.name[:NAME_CHARS] or None, source="headers", created_at=now
            )
            session.add(known[person.address])
        elif known[person.address].source == "headers" and person.name and not known[person.address].name:
            known[person.address].name = person.name[:NAME_CHARS]
    session.flush()
    ids = {known[w.address].id for w in wanted}
    rows = session.execute(_NAMES, {"person_ids": list(ids)})
    seen = {(person_id, name) for person_id, name in rows}
    for person in wanted:
        name = person.name.strip()
        key = (known[person.address].id, name)
        if name and "@" not in name and len(name) <= NAME_CHARS and key not in seen:
            seen.add(key)
            session.add(PersonName(person_id=key[0], name=name))


def _lookups(department: bool) -> tuple[Select[tuple[Person]], Select[tuple[Person]]]:
    """The directory's people by name, and everyone the name was learnt for (or who carries it as
    another name), with the department too when `department`: built once, a draft asks for many."""
    wanted = bindparam("name")
    directory = select(Person).where(Person.source == "directory", Person.name == wanted)
    by_alias = select(PersonName.person_id).where(PersonName.name == wanted)
    learnt = select(Person).where((Person.name == wanted) | Person.id.in_(by_alias))
    if department:
        directory = directory.where(Person.department == bindparam("department"))
        learnt = learnt.where(Person.department == bindparam("department"))
    return directory, learnt


_BY_NAME = _lookups(department=False)
_BY_DEPARTMENT = _lookups(department=True)


def directory_lookup(session: Session):  # type: ignore[no-untyped-def]
    """A lookup by name (and department when given), for the format reader.

    The directory's own names come first: when someone imported into the directory carries the
    name, only they are returned, whatever addresses the name was learnt for from headers (a
    header never overrides the directory). Otherwise every person the name was learnt for (or
    who carries it as another name) is returned: a name two addresses have carried comes back
    twice, which the reader reports as ambiguous rather than picking one."""

    def lookup(name: str, department: str | None) -> Sequence[PersonRef]:
        wanted = name.strip()
        values = {"name": wanted, "department": department.strip() if department else None}
        directory, learnt = _BY_DEPARTMENT if department else _BY_NAME
        found = list(session.scalars(directory, values)) or list(session.scalars(learnt, values))
        # The name as the draft wrote it: the team's own way of naming the person.
        return [PersonRef(address=p.address, name=wanted, department=p.department) for p in found]

    return lookup


def find(session: Session, address: str) -> Person | None:
    return session.scalar(select(Person).where(Person.address == address.lower()))
