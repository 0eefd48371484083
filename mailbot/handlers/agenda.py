"""An agenda: store the meeting as `scheduled` and tell the sender what the bot understood."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from mailbot.calendar_files import meeting_method
from mailbot.formats.model import ParsedMeeting, Problem
from mailbot.handlers.base import HandlerContext, Outcome
from mailbot.lifecycle import MeetingStatus, Status
from mailbot.limits import draft_over_limits
from mailbot.meetings import action_view, find_meeting, match_key, may_change, meeting_view, remember_names
from mailbot.outbox import DeferredFile
from mailbot.recipients import recipient_problems, shown_domains
from mailbot.store.models import ActionItem, Meeting, Topic
from mailbot.workdays import working_day_on_or_before


def problem_view(problem: Problem) -> dict[str, Any]:
    """The reader writes details as "qualifier: text" (e.g. "vague: 尽快", "host: 市场部*经理");
    templates want the two halves apart."""
    qualifier, separator, text = problem.detail.partition(": ")
    if not separator:
        qualifier, text = "", problem.detail
    return {
        "code": problem.code, "line": problem.line, "detail": problem.detail, "qualifier": qualifier,
        "text": text, "section": problem.section, "hint": problem.hint,
    }  # fmt: skip


def problem_views(ctx: HandlerContext, problems: Sequence[Problem]) -> list[dict[str, Any]]:
    """The problems as templates show them; a recipient outside the allowed domains comes with
    the domains that are allowed."""
    domains = (
        shown_domains(ctx.session, ctx.app.config) if any(p.code == "recipient_not_allowed" for p in problems) else []
    )
    return [
        {**problem_view(p), "domains": domains} if p.code == "recipient_not_allowed" else problem_view(p)
        for p in problems
    ]


def draft_problems(ctx: HandlerContext, parsed: ParsedMeeting) -> list[Problem]:
    """The draft's errors, and every person named in it the bot may not write to."""
    return [*parsed.errors, *recipient_problems(ctx.session, ctx.app.config, parsed)]


def refuse_change(ctx: HandlerContext, meeting: Meeting, kind: str) -> Outcome:
    """A draft naming a meeting (its ref in the subject, or a reply in its thread) from someone who
    may not change it (meetings.may_change): nothing of the meeting changes, nothing is stored
    with it, and the answer says who may send a new version."""
    sender = ctx.sender_address.lower()
    names = dict(meeting.names or {})
    problem = {
        "code": "version_not_allowed", "line": "", "qualifier": meeting.ref, "text": "", "section": "fields",
        "detail": {
            "ref": meeting.ref, "title": meeting.title, "kind": kind, "sender": sender,
            "recorder": meeting.recorder_address, "recorder_name": names.get(meeting.recorder_address or ""),
            "host": meeting.host_address, "host_name": names.get(meeting.host_address or ""),
        },
    }  # fmt: skip
    ctx.event(f"{kind}.refused", meeting_id=meeting.id, detail={"reason": "version_not_allowed", "sender": sender})
    context: dict[str, Any] = {"problems": [problem], "sections": []}
    if kind == "minutes":
        # Not this meeting's draft: the answer does not present it as a version of it.
        context["meeting"] = None
    rejected = {"minutes": "minutes_rejected", "agenda": "agenda_rejected"}[kind]
    ctx.answer(kind=rejected, context=context, rate_limited=True)
    return Outcome(
        "rejected", kind, error=f"version_not_allowed: {sender} may not change {meeting.ref} "
        f"(recorder {meeting.recorder_address}, host {meeting.host_address}, sent by {meeting.version_sender})",
    )  # fmt: skip


def handle_agenda(ctx: HandlerContext, parsed: ParsedMeeting) -> Outcome:
    errors = draft_over_limits(parsed, ctx.app.policy.limits) or draft_problems(ctx, parsed)
    if not parsed.title:
        errors.append(Problem("missing_field", line="", detail="title", section="fields"))
    if parsed.date is None:
        errors.append(Problem("missing_field", line="", detail="date", section="fields"))
    if errors:
        ctx.answer(
            kind="agenda_rejected",
            context={"problems": problem_views(ctx, errors), "sections": sorted({p.section for p in errors})},
            rate_limited=True,
        )
        ctx.event("agenda.rejected", detail={"problems": [p.code for p in errors]})
        return Outcome("rejected", "agenda", error="; ".join(f"{p.code}: {p.line or p.detail}" for p in errors))
    assert parsed.title and parsed.date  # checked above

    meeting = find_meeting(ctx.session, ctx.mail, parsed.title, parsed.date, sender=ctx.sender_address)
    if meeting is not None and not may_change(meeting, ctx.sender_address):
        return refuse_change(ctx, meeting, "agenda")
    created = meeting is None
    # What people already had in their calendars: a corrected agenda says what changed, and
    # whoever it no longer lists gets their entry cancelled.
    before = None if meeting is None else {**meeting_view(meeting), "party": party_of(meeting)}
    if meeting is None:
        meeting = Meeting(
            title=parsed.title, match_key="", status=MeetingStatus.SCHEDULED, meeting_date=parsed.date,
            created_at=ctx.now, updated_at=ctx.now,
        )  # fmt: skip
        ctx.session.add(meeting)
    meeting.version_sender = ctx.sender_address.lower()
    meeting.title = parsed.title
    meeting.meeting_date = parsed.date
    meeting.match_key = match_key(parsed.title, parsed.date)
    meeting.project = parsed.project or meeting.project
    meeting.start_time, meeting.end_time = parsed.start_time, parsed.end_time
    meeting.place = parsed.place
    meeting.host_address = parsed.host.address if parsed.host else meeting.host_address
    meeting.recorder_address = parsed.recorder.address if parsed.recorder else ctx.sender_address
    meeting.goal = parsed.goal
    meeting.attendees = [p.address for p in parsed.attendees]
    remember_names(meeting, parsed.host, parsed.recorder, *parsed.attendees)
    meeting.attendees_text = parsed.attendees_text
    meeting.absent_text = parsed.absent_text
    meeting.updated_at = ctx.now
    meeting.language = ctx.sender_language()
    meeting.topics.clear()
    for position, topic in enumerate(parsed.topics):
        meeting.topics.append(
            Topic(
                position=position, number=topic.number, name=topic.name, owner_text=topic.owner_text,
                planned_minutes=topic.planned_minutes, actual_minutes=topic.actual_minutes,
                discussion=topic.discussion,
            )
        )  # fmt: skip
    ctx.session.flush()

    warnings = [problem_view(p) for p in parsed.warnings]
    notice = short_notice(ctx, parsed)
    if notice:
        warnings.append(notice)
    ctx.event("meeting.scheduled" if created else "meeting.updated", meeting_id=meeting.id)
    open_points = open_objections(ctx, meeting)
    ctx.answer(
        kind="agenda_ack",
        context={
            "meeting": meeting_view(meeting),
            "warnings": warnings,
            "updated": not created,
            "open_points": open_points,
            # Who reads it: the minutes are the recorder's to send, said to them by name.
            "you": ctx.sender_address,
        },
        token_for=meeting.ref,
        meeting_id=meeting.id,
        # The sender is in the meeting too: their calendar gets it with the acknowledgement (one
        # mail, not an acknowledgement and a notice).
        attachments=[invitation(ctx, meeting)],
    )  # fmt: skip
    notify_attendees(ctx, meeting, open_points, before)
    return Outcome("processed", "agenda", meeting_id=meeting.id)


def party_of(meeting: Meeting) -> list[str]:
    """Everyone in the meeting: the host and the recorder whether or not the attendee line names them."""
    return [
        a for a in dict.fromkeys([meeting.host_address or "", meeting.recorder_address or "", *meeting.attendees]) if a
    ]


# What a corrected agenda can change that people plan around, as meeting_view names it.
CHANGED_FIELDS = ("date", "start_time", "end_time", "place", "host")


def agenda_changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"field": name, "old": before.get(name), "new": after.get(name)}
        for name in CHANGED_FIELDS
        if before.get(name) != after.get(name)
    ]


def notify_attendees(
    ctx: HandlerContext, meeting: Meeting, open_points: list[dict[str, Any]], before: dict[str, Any] | None
) -> None:
    """Attendees get the meeting (with an .ics), the materials-due day and the open points of the
    project; each agenda mail is a new notice, so a corrected agenda reaches them too, saying what
    changed and who changed it. Whoever the correction no longer lists is told so, with the
    calendar entry cancelled — not left to find an outdated meeting in their calendar."""
    view = meeting_view(meeting)
    # Seeds: materials are sent out the day before (the last working day before the meeting).
    materials_by = working_day_on_or_before(ctx.app.calendar, meeting.meeting_date - timedelta(days=1))
    skip = {ctx.sender_address, ctx.app.sender.address, ""}
    party = party_of(meeting)
    ctx.know(party)
    update = None
    if before is not None:
        update = {"changes": agenda_changes(before, view), "by": ctx.sender_address}
    for attendee in party:
        if attendee in skip:
            continue
        # Someone added by the correction gets a plain invitation: nothing "changed" for them.
        was_invited = before is not None and attendee in before["party"]
        context = {
            "meeting": view, "open_points": open_points, "materials_by": materials_by, "no_reply": True, "you": attendee,
        }  # fmt: skip
        context["update"] = update if was_invited else None
        ctx.send(
            key=f"agenda_notice:{meeting.ref}:{ctx.record.id}:{attendee}", kind="agenda_notice", to=attendee,
            context=context, token_for=meeting.ref, meeting_id=meeting.id, attachments=[invitation(ctx, meeting, view=view)],
        )  # fmt: skip
    for dropped in before["party"] if before is not None else []:
        if dropped in party or dropped in skip:
            continue
        ctx.send(
            key=f"agenda_cancel:{meeting.ref}:{ctx.record.id}:{dropped}", kind="agenda_cancel", to=dropped,
            # The meeting as it stood in their calendar: the time they would otherwise keep free.
            context={"meeting": {k: v for k, v in before.items() if k != "party"}, "by": ctx.sender_address,
                     "no_reply": True},
            meeting_id=meeting.id, attachments=[invitation(ctx, meeting, cancel_for=dropped, view=view)],
        )  # fmt: skip


def invitation(
    ctx: HandlerContext, meeting: Meeting, cancel_for: str | None = None, *, view: dict[str, Any] | None = None
) -> DeferredFile:
    """The meeting as a calendar entry (calendar_files.meeting_event), built when the mail is sent
    and stamped with this decision's time. `view`: the meeting_view the mail's context already
    holds (then stored once, with the context), else the meeting's now."""
    view = meeting_view(meeting) if view is None else view
    args = {
        "meeting": view, "domain": ctx.app.sender.domain, "tz": ctx.app.config.tz.key, "now": ctx.now,
        "sender": ctx.app.sender.address, "cancel_for": cancel_for,
    }  # fmt: skip
    method = meeting_method(view, cancel_for)
    return DeferredFile("meeting.ics", f"text/calendar; method={method}", "meeting_event", args)


def open_objections(ctx: HandlerContext, meeting: Meeting) -> list[dict[str, Any]]:
    """Objections still open in earlier meetings of the same project: the next meeting should
    discuss them, so the agenda's acknowledgement lists them as open points."""
    if not meeting.project:
        return []
    rows = ctx.session.scalars(
        select(ActionItem)
        .join(Meeting, ActionItem.meeting_id == Meeting.id)
        .where(Meeting.project == meeting.project, Meeting.id != meeting.id, ActionItem.status == Status.OBJECTED)
        .order_by(ActionItem.id)
    )
    return [{**action_view(a), "reason": a.objection_reason, "meeting_ref": a.meeting.ref} for a in rows]


def short_notice(ctx: HandlerContext, parsed: ParsedMeeting) -> dict[str, Any] | None:
    """Seeds: notify 3 days ahead, and at least 1 working day ahead; either shortfall is worth saying."""
    assert parsed.date is not None
    rule = ctx.app.policy.agenda
    # The notice people got runs from when the agenda was sent, not from when the bot read it
    # (a daemon that was down must not blame the sender); a Date in the future is not believed.
    sent = ctx.mail.date if ctx.mail.date is not None and ctx.mail.date <= ctx.now else ctx.now
    today = sent.astimezone(ctx.app.config.tz).date()
    days = (parsed.date - today).days
    working = ctx.app.calendar.workdays_between(today, parsed.date)
    if days >= rule.notice_days and working >= rule.notice_working_days:
        return None
    return {
        "code": "short_notice",
        "line": "",
        "detail": {"days": days, "working_days": working, "rule_days": rule.notice_days,
                   "rule_working_days": rule.notice_working_days},
        "section": "fields",
    }  # fmt: skip
