"""An owner written by address still belongs to their department: the directory says which, so
the department's head hears of the action (escalations, the weekly mail). Found in a hand trial:
the English minutes named "Zhao Min <zhao.min@corp.example>" and 销售部's head never saw A-2."""

from __future__ import annotations

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.store.models import Person, PersonName
from tests.helpers import actions, at, feed


def directory_person(app: App, address: str, name: str, department: str) -> None:
    with app.db.transaction() as session:
        person = Person(address=address, name=name, department=department, source="directory", created_at=app.now())
        session.add(person)
        session.flush()
        session.add(PersonName(person_id=person.id, name=name))


def test_an_owner_written_by_address_takes_the_directorys_department(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-07 19:00")
    directory_person(app, "zhao.min@corp.example", "赵敏", "销售部")
    directory_person(app, "zhou.ting@corp.example", "周婷", "财务部")
    assert feed(app, "gmail_en_minutes_markdown.eml").outcome == "processed"
    by_ref = {a.ref: a for a in actions(app)}
    # Written as "Zhao Min <zhao.min@…>" and "Zhou Ting <zhou.ting@…>": the directory's departments.
    assert (by_ref["A-2"].owner_address, by_ref["A-2"].department) == ("zhao.min@corp.example", "销售部")
    assert (by_ref["A-1"].owner_address, by_ref["A-1"].department) == ("zhou.ting@corp.example", "财务部")
    # Someone the directory does not know keeps no department rather than a guess.
    assert by_ref["A-4"].department is None
