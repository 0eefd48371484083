"""The people directory from a CSV an administrator exports: name, address, department, role,
language, proxy. Directory rows win over names learnt from mail headers."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.errors import MailbotError
from mailbot.languages import Languages, shipped_languages
from mailbot.store.models import Person, PersonName

COLUMNS = ("name", "address", "department", "role", "language", "proxy")
ROLES = ("", "member", "head", "admin", "observer")


@dataclass(frozen=True)
class ImportReport:
    added: int
    updated: int


def read_rows(path: Path, languages: Languages | None = None) -> list[dict[str, str]]:
    """The CSV's rows, checked; a language must be one with a folder (`languages`, the shipped
    templates' when None)."""
    languages = languages or shipped_languages()
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):  # Excel on a Chinese Windows saves CSV as GBK
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise MailbotError(f"{path}: cannot decode the file")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in ("name", "address") if c not in header]
    if missing:
        raise MailbotError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise MailbotError(f"{path}: unknown column(s) {', '.join(unknown)}; expected {', '.join(COLUMNS)}")
    rows = []
    for number, raw in enumerate(reader, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        if "@" not in row.get("address", ""):
            raise MailbotError(f"{path}:{number}: {row.get('address', '')!r} is not an email address")
        if row.get("language", "") and row["language"] not in languages:
            raise MailbotError(f"{path}:{number}: language must be {languages.spelled()}, not {row['language']!r}")
        if row.get("role", "") not in ROLES:
            raise MailbotError(f"{path}:{number}: role must be one of {', '.join(r for r in ROLES if r)}")
        rows.append(row)
    return rows


def import_people(session: Session, path: Path, now: datetime, languages: Languages | None = None) -> ImportReport:
    rows = read_rows(path, languages)
    added = updated = 0
    for row in rows:
        address = row["address"].lower()
        person = session.scalar(select(Person).where(Person.address == address))
        if person is None:
            person = Person(address=address, created_at=now)
            session.add(person)
            added += 1
        else:
            updated += 1
        person.name = row["name"] or person.name
        person.department = row.get("department") or None
        person.role = row.get("role") or None
        if row.get("language"):
            person.language, person.language_source = row["language"], "directory"
        elif person.language_from_directory:
            # The directory no longer says it: the language they write in is learnt again.
            person.language, person.language_source = None, None
        person.proxy_address = (row.get("proxy") or "").lower() or None
        person.source = "directory"
        session.flush()
        if (
            person.name
            and session.scalar(
                select(PersonName.id).where(PersonName.person_id == person.id, PersonName.name == person.name)
            )
            is None
        ):
            session.add(PersonName(person_id=person.id, name=person.name))
    return ImportReport(added=added, updated=updated)


def department_heads(session: Session, department: str) -> list[Person]:
    """Who escalations about this department's people go to."""
    return list(session.scalars(select(Person).where(Person.department == department, Person.role == "head")))
