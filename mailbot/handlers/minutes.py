"""A minutes draft: validate it whole; store the meeting, its version and actions; open the
confirmation round (one request per owner, the minutes to every other party)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import bindparam, func, select

from mailbot.confirmation import ACTION_FIELDS, changes_since
from mailbot.formats.model import ParsedAction, ParsedMeeting, Problem
from mailbot.handlers.agenda import draft_problems, problem_view, problem_views, refuse_change
from mailbot.handlers.base import HandlerContext, Outcome
from mailbot.lifecycle import DELIVERED, LIVE, UNSETTLED, MeetingStatus, Status
from mailbot.limits import draft_over_limits
from mailbot.meetings import (
    action_view,
    find_meeting,
    match_key,
    may_change,
    meeting_view,
    remember_names,
    verifier,
)
from mailbot.store.db import insert_objects
from mailbot.store.models import ActionItem, Decision, Meeting, MinutesVersion, Topic

# The mails that carried a draft to people: a corrected one is compared with the last of them.
DRAFT_KINDS = ("minutes_notice", "confirm_request")
DOCUMENT_SUFFIXES = (".doc", ".docx", ".wps", ".pdf", ".odt")


def attachment_only(ctx: HandlerContext, parsed: ParsedMeeting) -> Problem | None:
    """Minutes sent only as a Word file: say so plainly instead of listing a dozen missing fields."""
    if parsed.title or parsed.actions or parsed.has_action_section:
        return None
    names = [a.filename for a in ctx.mail.attachments if a.filename.lower().endswith(DOCUMENT_SUFFIXES)]
    if not names:
        return None
    return Problem("attachment_only", line="", detail=", ".join(names), section="fields")


def validation_errors(ctx: HandlerContext, parsed: ParsedMeeting) -> list[Problem]:
    errors = draft_problems(ctx, parsed)
    if not parsed.title:
        errors.append(Problem("missing_field", line="", detail="title", section="fields"))
    if not parsed.actions and not parsed.actions_explicitly_none and not any(p.code == "no_actions" for p in errors):
        errors.append(Problem("no_actions", line="", detail="", section="actions"))
    return errors


def handle_minutes(ctx: HandlerContext, parsed: ParsedMeeting) -> Outcome:
    day = parsed.date or ctx.app.today()
    meeting = find_meeting(ctx.session, ctx.mail, parsed.title, day, sender=ctx.sender_address)
    if meeting is not None and not may_change(meeting, ctx.sender_address):
        # Only a meeting the mail names comes back to a sender who may not change it.
        return refuse_change(ctx, meeting, "minutes")
    # Everyone the draft names, in one query: the sender's language and every mail below read them.
    ctx.know(named_people(ctx, parsed, meeting))
    created = meeting is None and bool(parsed.title)
    if meeting is None and parsed.title:
        # Whoever starts a meeting holds it until a version is in force. Not written yet: once
        # complete, with its first version, in one flush (start_meeting).
        meeting = Meeting(
            title=parsed.title, match_key=match_key(parsed.title, day), status=MeetingStatus.MINUTES_PENDING,
            meeting_date=day, created_at=ctx.now, updated_at=ctx.now, version_sender=ctx.sender_address.lower(),
        )  # fmt: skip

    only_attached = attachment_only(ctx, parsed)
    # Over a limit, that is the answer: not one line per action of a 50,000-line draft.
    errors = draft_over_limits(parsed, ctx.app.policy.limits)
    errors = errors or ([only_attached] if only_attached else validation_errors(ctx, parsed))
    if meeting is None or errors:
        return reject(ctx, meeting, errors, created=created)

    update_meeting(ctx, meeting, parsed, day)
    meeting.version_sender = ctx.sender_address.lower()
    confirm_by = parsed.confirm_by or ctx.app.calendar.add_workdays(
        ctx.app.today(), ctx.app.policy.consent.working_days
    )
    meeting.status = MeetingStatus.IN_REVIEW
    meeting.confirm_by = confirm_by
    if created:
        # Nothing can be under a meeting this mail begins: no earlier version, action or mail.
        version, superseded = start_meeting(ctx, meeting, status="active", problems=[]), {}
    else:
        version = new_version(ctx, meeting, status="active", problems=[])
        superseded = supersede_previous(ctx, meeting, version)
    actions = store_actions(ctx, meeting, version, parsed.actions, superseded, confirm_by)
    ctx.event("minutes.accepted", meeting_id=meeting.id, detail={"version": version.number, "actions": len(actions)})

    view = meeting_view(meeting)
    action_views = [action_view(a) for a in actions]
    # A corrected draft says what changed since the draft people last had (not its states: an
    # answer since then is not the recorder's change).
    changes = None
    if not created:
        changes = changes_since(
            ctx.session, meeting, DRAFT_KINDS, version.number, view, action_views,
            action_fields=tuple(f for f in ACTION_FIELDS if f != "status"),
        )  # fmt: skip
    if changes:
        # A kept action's date or owner moved by its owner's own answer (a delay, a hand-over), not
        # by this draft: not the recorder's change.
        kept = {a.ref for a in actions if a.status != Status.AWAITING_CONFIRMATION}
        for ref in kept & set(changes["actions"]):
            fields = [f for f in changes["actions"][ref] if f not in ("due", "owner", "department")]
            changes["actions"][ref] = fields
            if not fields:
                del changes["actions"][ref]
    early = due_before_start(actions, confirm_by)
    if early:
        ctx.event("minutes.due_before_start", meeting_id=meeting.id,
                  detail={"refs": [a["ref"] for a in early], "confirm_by": confirm_by.isoformat()})  # fmt: skip
    ack = ctx.prepare_answer(
        kind="minutes_ack",
        context={
            "meeting": view, "actions": action_views, "version": version.number,
            "warnings": [problem_view(p) for p in parsed.warnings], "provisional": parsed.provisional_calendar,
            "due_before_start": early,
        },
        token_for=meeting.ref, meeting_id=meeting.id,
    )  # fmt: skip
    notices = party_mails(ctx, meeting, version, actions, view, action_views, early, changes)
    # The answer and every party's mail: one INSERT.
    ctx.send_prepared([*([ack] if ack is not None else []), *notices])
    return Outcome("processed", "minutes", meeting_id=meeting.id)


def named_people(ctx: HandlerContext, parsed: ParsedMeeting, meeting: Meeting | None) -> list[str]:
    """The addresses the draft's mails will go to or ask about: its sender, host, recorder,
    attendees and owners, and the meeting's own where it has them."""
    named = [ctx.sender_address, *(p.address for p in (parsed.host, parsed.recorder, *parsed.attendees) if p)]
    named += [a.owner.address for a in parsed.actions if a.owner is not None]
    if meeting is not None:
        named += [meeting.host_address or "", meeting.recorder_address or "", *(meeting.attendees or [])]
    return named


def start_meeting(ctx: HandlerContext, meeting: Meeting, *, status: str, problems: list[dict]) -> MinutesVersion:  # type: ignore[type-arg]
    """A meeting this draft begins, written with its first version (one flush, the meeting's row
    complete at once), and the event that records it."""
    version = MinutesVersion(
        meeting=meeting, number=1, inbound_mail_id=ctx.record.id, status=status, problems=problems,
        created_at=ctx.now,
    )  # fmt: skip
    ctx.session.add(meeting)
    ctx.session.flush()
    ctx.event("meeting.created", meeting_id=meeting.id)
    return version


def due_before_start(actions: list[ActionItem], confirm_by: date) -> list[dict[str, Any]]:
    """Actions due on or before the day the minutes take effect (the round's deadline, confirm_by):
    due before anyone has agreed to them, so flagged at once — to the recorder in the answer, to
    the host and the recorder with the minutes, to the owner in their confirmation request —
    rather than first heard of as "overdue" the day after the round closes."""
    return [
        {"ref": a.ref, "description": a.description, "owner": a.owner_address, "owner_name": a.owner_name,
         "due": a.due, "same_day": a.due == confirm_by}
        for a in actions
        if a.due <= confirm_by
    ]  # fmt: skip


def reject(ctx: HandlerContext, meeting: Meeting | None, errors: list[Problem], *, created: bool = False) -> Outcome:
    """Nothing becomes active; the draft is kept as a rejected version when its meeting is known
    (`created`: begun by this draft, and written now, with that version)."""
    views = problem_views(ctx, errors)
    if meeting is not None and created:
        start_meeting(ctx, meeting, status="rejected", problems=views)
    elif meeting is not None:
        new_version(ctx, meeting, status="rejected", problems=views)
    ctx.event(
        "minutes.rejected", meeting_id=meeting.id if meeting else None, detail={"problems": [p.code for p in errors]}
    )
    ctx.answer(
        kind="minutes_rejected",
        context={
            "problems": views,
            "sections": sorted({p.section for p in errors}),
            "meeting": meeting_view(meeting) if meeting is not None else None,
        },
        token_for=meeting.ref if meeting is not None else None,
        meeting_id=meeting.id if meeting is not None else None,
        rate_limited=True,
    )
    return Outcome(
        "rejected", "minutes", error="; ".join(f"{p.code}: {p.line or p.detail}" for p in errors),
        meeting_id=meeting.id if meeting else None,
    )  # fmt: skip


def update_meeting(ctx: HandlerContext, meeting: Meeting, parsed: ParsedMeeting, day: date) -> None:
    meeting.title = parsed.title or meeting.title
    meeting.meeting_date = day
    meeting.match_key = match_key(meeting.title, day)
    meeting.project = parsed.project or meeting.project
    meeting.start_time = parsed.start_time or meeting.start_time
    meeting.end_time = parsed.end_time or meeting.end_time
    meeting.place = parsed.place or meeting.place
    if parsed.host:
        meeting.host_address = parsed.host.address
    meeting.recorder_address = parsed.recorder.address if parsed.recorder else ctx.sender_address
    meeting.goal = parsed.goal or meeting.goal
    if parsed.attendees:
        meeting.attendees = [p.address for p in parsed.attendees]
        meeting.attendees_text = parsed.attendees_text
    meeting.absent_text = parsed.absent_text or meeting.absent_text
    remember_names(meeting, parsed.host, parsed.recorder, *parsed.attendees, *(a.owner for a in parsed.actions))
    meeting.updated_at = ctx.now
    meeting.language = ctx.sender_language()
    meeting.decisions.clear()
    for position, text in enumerate(parsed.decisions):
        meeting.decisions.append(Decision(position=position, text=text))
    if parsed.topics:
        keep_topics(meeting, parsed)


def keep_topics(meeting: Meeting, parsed: ParsedMeeting) -> None:
    """The minutes' 议题与讨论要点 replace the agenda's topics (the record of what was discussed);
    what the minutes leave out of a topic the agenda had (its planned time, its owner) is kept."""
    agenda = {(t.number or t.name): t for t in meeting.topics}
    meeting.topics.clear()
    for position, topic in enumerate(parsed.topics):
        earlier = agenda.get(topic.number or topic.name)
        meeting.topics.append(
            Topic(
                position=position, number=topic.number, name=topic.name,
                owner_text=topic.owner_text or (earlier.owner_text if earlier else ""),
                planned_minutes=topic.planned_minutes or (earlier.planned_minutes if earlier else None),
                actual_minutes=topic.actual_minutes, discussion=topic.discussion,
            )
        )  # fmt: skip


# Built once, the values bound at each execution (building a statement costs more than running it).
_LAST_VERSION = select(func.max(MinutesVersion.number)).where(MinutesVersion.meeting_id == bindparam("meeting_id"))
_OTHER_ACTIVE = select(MinutesVersion).where(
    MinutesVersion.meeting_id == bindparam("meeting_id"),
    MinutesVersion.status == "active",
    MinutesVersion.id != bindparam("version_id"),
)


def new_version(ctx: HandlerContext, meeting: Meeting, *, status: str, problems: list[dict]) -> MinutesVersion:  # type: ignore[type-arg]
    last = ctx.session.scalar(_LAST_VERSION, {"meeting_id": meeting.id})
    version = MinutesVersion(
        meeting_id=meeting.id, number=(last or 0) + 1, inbound_mail_id=ctx.record.id, status=status,
        problems=problems, created_at=ctx.now,
    )  # fmt: skip
    ctx.session.add(version)
    ctx.session.flush()
    return version


def supersede_previous(ctx: HandlerContext, meeting: Meeting, version: MinutesVersion) -> dict[str, ActionItem]:
    """Older active versions give way; their live actions are returned by description so a
    corrected resend keeps the refs people have already seen — and, for what was already agreed
    or delivered, its state (store_actions): a correction after A-1 was confirmed is the same A-1,
    not a second one beside it. An action still being answered wins over a settled namesake."""
    open_actions: dict[str, ActionItem] = {}
    for old in ctx.session.scalars(_OTHER_ACTIVE, {"meeting_id": meeting.id, "version_id": version.id}):
        old.status = "superseded"
        ctx.event("minutes.superseded", meeting_id=meeting.id, detail={"version": old.number, "by": version.number})
    for action in sorted(meeting.actions, key=lambda a: (a.status not in UNSETTLED, a.id or 0)):
        if action.status in LIVE:
            open_actions.setdefault(fold(action.description), action)
    return open_actions


def still_agreed(action: ActionItem, parsed: ParsedAction) -> bool:
    """Whether a corrected draft leaves a settled action as its owner agreed to it: delivered work
    stays delivered; agreed work stays agreed while the owner and the due date are the same (a
    delayed one keeps the date its owner moved it to). Otherwise the owner is asked again."""
    assert parsed.owner is not None
    if action.status is None or action.status in UNSETTLED:  # new, or never agreed
        return False
    if action.status in DELIVERED:
        return True
    same_owner = action.owner_address.lower() == parsed.owner.address.lower()
    return same_owner and (action.status == Status.DELAYED or action.due == parsed.due)


def fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


def store_actions(
    ctx: HandlerContext,
    meeting: Meeting,
    version: MinutesVersion,
    parsed_actions: tuple[ParsedAction, ...],
    previous: dict[str, ActionItem],
    confirm_by: date,
) -> list[ActionItem]:
    stored: list[ActionItem | None] = []  # None: a new action, written below with the other new ones
    new: list[dict[str, Any]] = []
    for parsed in parsed_actions:
        assert parsed.owner is not None and parsed.due is not None  # a draft with errors never gets here
        action = previous.pop(fold(parsed.description), None)
        if action is None:
            new.append(new_action(ctx, meeting, version, parsed, confirm_by))
            stored.append(None)
            continue
        kept = still_agreed(action, parsed)
        action.version_id = version.id
        action.number = parsed.number
        action.support = parsed.support
        action.deliverable = parsed.deliverable
        action.notes = parsed.notes
        action.source_line = parsed.line
        action.updated_at = ctx.now
        stored.append(action)
        if kept:
            continue  # what the owner agreed to, or delivered, stands: not asked again
        ask_again(ctx, meeting, action, parsed, confirm_by)
    # One INSERT for every new action, their ids (the refs) returned by it.
    made = iter(insert_objects(ctx.session, ActionItem, new))
    actions = [action if action is not None else next(made) for action in stored]
    for action in actions:
        if action.status == Status.AWAITING_CONFIRMATION:
            ctx.event("action.proposed", meeting_id=meeting.id, action_id=action.id, detail={"version": version.number})
        else:
            ctx.event("action.kept", meeting_id=meeting.id, action_id=action.id,
                      detail={"version": version.number, "status": str(action.status)})  # fmt: skip
    for dropped in previous.values():
        if dropped.status in DELIVERED:
            continue  # delivered work stays on the record whatever a later version lists
        dropped.status = Status.CANCELLED
        dropped.updated_at = ctx.now
        ctx.event("action.cancelled", meeting_id=meeting.id, action_id=dropped.id, detail={"reason": "superseded"})
    return actions


def ask_again(
    ctx: HandlerContext, meeting: Meeting, action: ActionItem, parsed: ParsedAction, confirm_by: date
) -> None:
    """An action the draft keeps but its owner has not agreed to as it now stands: asked anew."""
    assert parsed.owner is not None and parsed.due is not None
    action.owner_address = parsed.owner.address
    action.owner_name = parsed.owner.name
    action.department = department_of(ctx, parsed)
    action.due = parsed.due
    action.due_text = parsed.due_text
    action.due_provisional = parsed.due_provisional
    action.requester_address, action.requester_name = requester_of(ctx, meeting, parsed)
    action.status = Status.AWAITING_CONFIRMATION
    action.consent = None
    action.confirm_by = confirm_by


def new_action(
    ctx: HandlerContext, meeting: Meeting, version: MinutesVersion, parsed: ParsedAction, confirm_by: date
) -> dict[str, Any]:
    """The row of an action the draft brings: the same values a kept one is given, asked of its owner."""
    assert parsed.owner is not None and parsed.due is not None
    requester_address, requester_name = requester_of(ctx, meeting, parsed)
    return {
        "meeting_id": meeting.id, "created_at": ctx.now, "description": parsed.description,
        "version_id": version.id, "number": parsed.number, "support": parsed.support,
        "deliverable": parsed.deliverable, "notes": parsed.notes, "source_line": parsed.line, "updated_at": ctx.now,
        "owner_address": parsed.owner.address, "owner_name": parsed.owner.name,
        "department": department_of(ctx, parsed), "due": parsed.due, "due_text": parsed.due_text,
        "due_provisional": parsed.due_provisional, "requester_address": requester_address,
        "requester_name": requester_name, "status": Status.AWAITING_CONFIRMATION, "consent": None,
        "confirm_by": confirm_by,
    }  # fmt: skip


def department_of(ctx: HandlerContext, parsed: ParsedAction) -> str | None:
    """The department the draft writes for the owner, else the directory's: an owner written by
    address ("zhao.min@corp.example") still belongs to 销售部, whose head the escalation and the
    weekly mail must reach (the people were loaded with the draft: no query here)."""
    assert parsed.owner is not None
    if parsed.owner.department:
        return parsed.owner.department
    person = ctx.person(parsed.owner.address)
    return person.department if person is not None and person.source == "directory" else None


def requester_of(ctx: HandlerContext, meeting: Meeting, parsed: ParsedAction) -> tuple[str | None, str | None]:
    """Who verifies the action once done (验收): its 需求方, else the policy's default (see verifier)."""
    assert parsed.owner is not None
    if parsed.requester is not None:
        wanted, name = parsed.requester.address, parsed.requester.name
    elif ctx.app.policy.acceptance.default_requester == "host":
        wanted, name = meeting.host_address, None
    else:
        return None, None
    address = verifier(wanted, parsed.owner.address, meeting.host_address)
    return address, name if address == (wanted or "").lower() else None


def party_mails(
    ctx: HandlerContext,
    meeting: Meeting,
    version: MinutesVersion,
    actions: list[ActionItem],
    view: dict,  # type: ignore[type-arg]
    action_views: list[dict],  # type: ignore[type-arg]
    early: Sequence[dict[str, Any]] = (),
    changes: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The mails to the parties, prepared (Notifier.prepare) for the caller to write together.
    Owners get one request for their own actions (with the whole minutes below it); every other
    party gets the minutes with the consent notice. One mail per person, never two.

    `early` (see `due_before_start`): each owner's request names their own; the host's and the
    recorder's mail, whichever it is, lists the others' too. `changes`: what a corrected draft
    changed since the previous one (mailbot.confirmation.changes_since), told to everyone; an owner
    whose agreed actions it leaves as they were is not asked again, and gets the notice instead."""
    revision = {"version": version.number, "by": ctx.sender_address} if changes else None
    bot = ctx.app.sender.address
    flagged = {p for p in (meeting.host_address, meeting.recorder_address) if p}
    by_owner: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for action, action_data in zip(actions, action_views, strict=True):
        if action.status == Status.AWAITING_CONFIRMATION:  # kept, agreed actions are not asked again
            by_owner.setdefault(action.owner_address, []).append(action_data)
    owners = [a.owner_address for a in actions]
    ctx.know([*owners, *(p for p in (*meeting.attendees, meeting.host_address, meeting.recorder_address) if p)])
    mails: list[dict[str, Any]] = []
    for owner, mine in by_owner.items():
        mails.append(ctx.prepare(
            key=f"confirm_request:{meeting.ref}:v{version.number}:{owner}",
            kind="confirm_request", to=owner,
            context={"meeting": view, "mine": mine, "actions": action_views,
                     "mine_due_before_start": [a for a in early if a["owner"] == owner], "revision": revision,
                     "changes": changes,
                     "due_before_start": [a for a in early if a["owner"] != owner] if owner in flagged else []},
            token_for=mine[0]["ref"] if len(mine) == 1 else meeting.ref, meeting_id=meeting.id,
            attachments=[ctx.todo_file(mine, view)],
        ))  # fmt: skip
    parties = [*meeting.attendees, meeting.host_address, meeting.recorder_address, *owners]
    # One mail per person per draft: whoever sent it has its acknowledgement (with the actions and
    # the version), not a notice of the same draft besides.
    seen = set(by_owner) | {bot, "", ctx.sender_address}
    for party in parties:
        if not party or party in seen:
            continue
        seen.add(party)
        mails.append(ctx.prepare(
            key=f"minutes_notice:{meeting.ref}:v{version.number}:{party}",
            kind="minutes_notice", to=party,
            context={"meeting": view, "actions": action_views, "revision": revision,
                     "changes": changes, "due_before_start": early if party in flagged else []},
            token_for=meeting.ref, meeting_id=meeting.id,
        ))  # fmt: skip
    return mails
