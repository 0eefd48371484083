"""What changed from one version of a meeting's minutes to the next, for the meeting page.

A version row (MinutesVersion) keeps only its number, status, problems and the mail it came
from; what a version said is what the bot read from it, and that is kept in the outbox: the
acknowledgement to the recorder (`answer:minutes_ack:<inbound mail id>`) holds the meeting and its
actions exactly as that version put them (the confirmation requests and notices of the version,
keyed `…:M-1:v<n>:…`, hold the same when no acknowledgement could be written).

mailbot.confirmation.changes_since compares the draft in hand with the last one *mailed*; it reads
the outbox itself and answers "which fields", not "from what to what". The page compares any two
stored versions and shows both values, so the comparison is done here on the two snapshots, with
the same fields the mails compare (confirmation.ACTION_FIELDS, MEETING_FIELDS, TOPIC_FIELDS).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.confirmation import ACTION_FIELDS, MEETING_FIELDS, TOPIC_FIELDS
from mailbot.store.models import OutboxMail

# A version's status says nothing the recorder wrote; an answer since then changes it.
COMPARED = tuple(f for f in ACTION_FIELDS if f != "status")
# A kept action's date and owner move by its owner's own answer (a delay, a hand-over), not by the
# recorder's new version: the mails leave those out (handlers/minutes.py), and so does the page.
MOVED_BY_OWNER = ("due", "owner", "department")
# The kinds that carried a version to people, besides the recorder's acknowledgement.
VERSION_MAIL_KINDS = ("minutes_notice", "confirm_request")


@dataclass
class FieldChange:
    field: str
    old: Any
    new: Any
    # The names the minutes gave a person field's two addresses (owner_name, requester_name).
    old_name: str | None = None
    new_name: str | None = None


@dataclass
class ActionChange:
    ref: str
    description: str
    fields: list[FieldChange]
    # The ref the same line of the minutes had before, when the bot had to give it a new one (its
    # description changed, so it is another action to the bot: the old one was cancelled).
    was_ref: str | None = None


@dataclass
class VersionChanges:
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[ActionChange] = field(default_factory=list)
    decisions_added: list[str] = field(default_factory=list)
    decisions_removed: list[str] = field(default_factory=list)
    meeting_fields: list[FieldChange] = field(default_factory=list)
    topics: bool = False

    @property
    def empty(self) -> bool:
        return not (
            self.added or self.removed or self.changed or self.decisions_added or self.decisions_removed
            or self.meeting_fields or self.topics
        )  # fmt: skip


def plain(value: Any) -> Any:
    """A value as the outbox stores it (dates as ISO text), so two snapshots compare."""
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _actions(snapshot: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {a["ref"]: a for a in snapshot.get("actions") or [] if isinstance(a, Mapping) and a.get("ref")}


def _differences(old: Mapping[str, Any], new: Mapping[str, Any], fields: Iterable[str]) -> list[FieldChange]:
    return [
        FieldChange(f, old.get(f), new.get(f), old.get(f"{f}_name"), new.get(f"{f}_name"))
        for f in fields
        if plain(old.get(f)) != plain(new.get(f))
    ]


def _topics(snapshot: Mapping[str, Any], keys: Sequence[str]) -> list[tuple[Any, ...]]:
    topics = (snapshot.get("meeting") or {}).get("topics") or []
    return [tuple(plain(t.get(k)) for k in keys) for t in topics if isinstance(t, Mapping)]


def diff_versions(before: Mapping[str, Any], after: Mapping[str, Any]) -> VersionChanges:
    """What `after` changed from `before`, each a snapshot {"meeting": meeting_view, "actions":
    [action_view, …]} as the outbox keeps it. Actions are matched by ref (a corrected draft keeps
    the ref of an action whose description it keeps); an action dropped and one added at the same
    number of the minutes are one line rewritten, shown as a change of description."""
    old_actions, new_actions = _actions(before), _actions(after)
    changes = VersionChanges()
    for ref, new in new_actions.items():
        old = old_actions.get(ref)
        if old is None:
            continue
        fields = COMPARED
        if new.get("status") != "awaiting_confirmation":  # kept as agreed: see MOVED_BY_OWNER
            fields = tuple(f for f in COMPARED if f not in MOVED_BY_OWNER)
        found = _differences(old, new, fields)
        if found:
            changes.changed.append(ActionChange(ref, str(new.get("description") or ""), found))
    gone = [old_actions[ref] for ref in old_actions if ref not in new_actions]
    fresh = [new_actions[ref] for ref in new_actions if ref not in old_actions]
    by_number = {str(a.get("number")): a for a in gone if a.get("number")}
    paired: set[str] = set()
    for new in fresh:
        old = by_number.pop(str(new.get("number")), None) if new.get("number") else None
        if old is None:
            changes.added.append(dict(new))
            continue
        paired.add(old["ref"])
        found = _differences(old, new, COMPARED)
        changes.changed.append(ActionChange(new["ref"], str(new.get("description") or ""), found, was_ref=old["ref"]))
    changes.removed = [dict(a) for a in gone if a["ref"] not in paired]
    changes.changed.sort(key=lambda c: _ref_order(c.ref))

    old_meeting, new_meeting = before.get("meeting") or {}, after.get("meeting") or {}
    old_decisions = [str(d) for d in old_meeting.get("decisions") or []]
    new_decisions = [str(d) for d in new_meeting.get("decisions") or []]
    changes.decisions_added = [d for d in new_decisions if d not in old_decisions]
    changes.decisions_removed = [d for d in old_decisions if d not in new_decisions]
    for name, keys in MEETING_FIELDS.items():
        if any(plain(old_meeting.get(k)) != plain(new_meeting.get(k)) for k in keys):
            # The first key is the one people read ("attendees_text" before the address list).
            shown = keys[0] if keys[0] != "start_time" else None
            old_value = _time_range(old_meeting) if shown is None else old_meeting.get(shown)
            new_value = _time_range(new_meeting) if shown is None else new_meeting.get(shown)
            changes.meeting_fields.append(FieldChange(name, old_value, new_value))
    # Topics compare by the fields both snapshots hold (an older mail held no discussion).
    sample = [t for t in (old_meeting.get("topics") or [])[:1] if isinstance(t, Mapping)]
    keys = [k for k in TOPIC_FIELDS if not sample or k in sample[0]]
    changes.topics = _topics(before, keys) != _topics(after, keys)
    return changes


def _time_range(meeting: Mapping[str, Any]) -> str:
    start, end = meeting.get("start_time") or "", meeting.get("end_time") or ""
    return f"{start}–{end}" if start and end else start or end


def _ref_order(ref: str) -> tuple[int, str]:
    number = ref.partition("-")[2]
    return (int(number), ref) if number.isdigit() else (0, ref)


def version_snapshots(
    session: Session, meeting_id: int, meeting_ref: str, versions: Sequence[tuple[int, int]]
) -> dict[int, dict[str, Any]]:
    """Version number -> what the bot read from it ({"meeting", "actions"}), for the given
    (number, inbound mail id) pairs; a version with no mail left to read it from is absent."""
    if not versions:
        return {}
    by_key = {f"answer:minutes_ack:{mail_id}": number for number, mail_id in versions}
    found: dict[int, dict[str, Any]] = {}
    for key, context in session.execute(
        select(OutboxMail.key, OutboxMail.context).where(OutboxMail.key.in_(sorted(by_key)))
    ):
        if isinstance(context, dict):
            found[by_key[key]] = {"meeting": context.get("meeting") or {}, "actions": context.get("actions") or []}
    for number, _ in versions:
        if number in found:
            continue
        # No acknowledgement (the recorder's address could not be written to): any mail of the
        # version holds the same snapshot. One row, by the key's version part.
        context = session.scalar(
            select(OutboxMail.context)
            .where(
                OutboxMail.meeting_id == meeting_id,
                OutboxMail.kind.in_(VERSION_MAIL_KINDS),
                OutboxMail.key.like(f"%:{meeting_ref}:v{number}:%"),
            )
            .order_by(OutboxMail.id)
            .limit(1)
        )
        if isinstance(context, dict):
            found[number] = {"meeting": context.get("meeting") or {}, "actions": context.get("actions") or []}
    return found
