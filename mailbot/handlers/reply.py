"""A reply: read only what the person wrote, apply each command line they had the right to give,
and answer with a transcript — every line echoed with what was done, or exactly why not.

Who may act (reliability.md): the owner, their registered proxy, the pending delegate (to take
the action over), the host for host decisions, an admin. A reply token proves which request was
answered, and only verifies for the address it was issued to: a token shown by anybody else
refuses the whole reply.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from sqlalchemy import select

from mailbot import groups, people, tokens
from mailbot.confirmation import ask_to_confirm, confirm_if_settled, hand_over, settle_requester
from mailbot.formats.dates import read_date
from mailbot.formats.reader import ReadContext, resolve_person
from mailbot.handlers import trust
from mailbot.handlers.base import HandlerContext, Outcome
from mailbot.handlers.command import open_actions
from mailbot.lifecycle import LIVE, UNDER_REVIEW, Decision, Role, Status, decide, roles_of
from mailbot.meetings import action_view, meeting_view
from mailbot.message import Attachment
from mailbot.notify import Notifier
from mailbot.outbox import OutgoingFile
from mailbot.recipients import recipient_refusal
from mailbot.replies.commands import Command, CommandVocabulary, Reading, is_courtesy, read_reply, thanks_in
from mailbot.store.models import ActionItem, Deliverable, Event, Meeting, OutboxMail
from mailbot.workdays import working_day_on_or_before

MAX_DELIVERABLE_BYTES = 10 * 1024 * 1024
MAX_DELIVERABLES = 10
# Deliverables forwarded to the requester with the 验收 request; bigger ones are named, not attached.
# 5 MB raw is ~6.8 MB in base64: under the 10 MB many company servers accept (a bounce would mark
# the requester as bouncing).
MAX_FORWARDED_BYTES = 5 * 1024 * 1024


@dataclass
class Thread:
    """What the reply answers: an object ref from a verified token or the mail it replies to."""

    obj: str | None = None
    answered: OutboxMail | None = None
    foreign_token: bool = False


@dataclass
class Result:
    """One transcript line: the command as written and what became of it."""

    line: str
    code: str
    ok: bool
    ref: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


def find_thread(ctx: HandlerContext) -> Thread:
    thread = Thread()
    key = ctx.app.config.token_key
    candidates = [*tokens.TOKEN_PATTERN.findall(ctx.mail.subject)]
    for recipient in (*ctx.mail.to, *ctx.mail.cc):
        found = tokens.TOKEN_PATTERN.search(tokens.plus_part(ctx.app.sender.address, recipient.address) or "")
        if found:
            candidates.append(found.groups())
    for kind, number, mac in candidates:
        obj = tokens.verify(key, f"{kind}{number}.{mac}", ctx.sender_address)
        if obj is None:
            thread.foreign_token = True
        else:
            thread.obj = obj
    for message_id in (*ctx.mail.in_reply_to, *reversed(ctx.mail.references)):
        row = ctx.session.scalar(select(OutboxMail).where(OutboxMail.message_id == message_id))
        if row is not None:
            thread.answered = row
            if thread.obj is None and row.reply_token and row.to_address == ctx.sender_address:
                thread.obj = tokens.verify(key, row.reply_token, ctx.sender_address)
            break
    return thread


def handle_reply(ctx: HandlerContext) -> Outcome:
    thread = find_thread(ctx)
    written = ctx.written_text()
    vocabulary = ctx.app.rules.commands
    reading = read_reply(written, vocabulary)
    commands = reading.commands
    # What the person wrote besides commands: a line that looks like a command and could not be
    # read comes back with ✗; the rest (not a signature) is a note passed to whom it concerns.
    signed = signature_lines(written, reading, sender_names(ctx), vocabulary)
    prose = [line for line in reading.unrecognised if line not in signed and not ADDRESSING.fullmatch(line)]
    echoed = [line for line in prose if looks_like_command(line, vocabulary)]
    # Thanks the reader has no word for ("辛苦大家了！") are courtesy too, not a note to pass on.
    polite = [line for line in prose if line not in echoed and is_courtesy(line, vocabulary)]
    notes = [line for line in prose if line not in echoed and line not in polite]
    if thread.foreign_token and thread.obj is None:
        results = [Result(c.line, "foreign_token", ok=False) for c in commands] or [Result("", "foreign_token", False)]
        return finish(ctx, thread, results, echoed)
    if thread.obj is not None and thread.obj.startswith("H-"):
        return answer_question(ctx, thread, commands, reading.other_lines)
    # A reason on the lines below makes a command whole: before the proof is asked for.
    commands, notes = reasons_below(commands, notes)
    # (A note alone needs no hold: it reaches an action only through the thread, whose token or
    # Message-ID is itself the proof.)
    if any(changes_something(c) for c in commands) and not ctx.sender_proven():
        return trust.hold(ctx, "reply", [c.line for c in commands])
    carrier = note_carrier(commands) if notes else None
    if carrier is not None and commands[carrier].verb in CARRY_NOTES:
        commands[carrier] = with_note(commands[carrier], notes)
    results = [apply(ctx, thread, command) for command in commands]
    settle_touched(ctx, results)
    keep_comments(ctx, commands, results)
    # What the person wrote besides their commands reaches whom it concerns, in the mail this reply
    # sends them anyway, else in a note of its own (`tell`).
    remarks = comments_of(ctx, commands, results)
    if (
        carrier is not None and commands[carrier].verb not in CARRY_NOTES and results[carrier].ok
        and not add_note(ctx, remarks, results[carrier], notes)
    ):  # fmt: skip
        results.append(Result("", "no_command", ok=False))
    results += tell(ctx, list(remarks.values()))
    # Greetings and sign-offs alone ("您好\n\n祝好") are an acknowledgement too; beside a note they are just courtesy.
    # So is a reply with nothing but the client's signature (Send pressed with nothing written).
    acknowledged = bool(
        reading.acknowledgements or ((reading.courtesy or signed or polite) and not notes and not echoed)
    )
    if not commands and (notes or acknowledged):
        # Thanks and nothing else ("收到，谢谢" to the final minutes): nothing to answer.
        courteous = not notes and not echoed and all(is_courtesy(a.line, vocabulary) for a in reading.acknowledgements)
        # A receipt that thanks nobody ("收到", "好的", "OK"): it reads as an answer to what was asked.
        receipt = bool(reading.acknowledgements) and not any(
            thanks_in(line, vocabulary) for line in (*(a.line for a in reading.acknowledgements), *polite)
        )
        return words_without_command(ctx, thread, notes, acknowledged, echoed, courteous=courteous, receipt=receipt)
    if not commands and thread.answered is not None and ctx.sender_address == thread.answered.to_address:
        results.append(Result("", "no_command", ok=False))
    return finish(ctx, thread, results, echoed)


def mailer(ctx: HandlerContext, meeting: Meeting) -> Notifier:
    """What sends the mails a reply causes about `meeting`: to each person in their own language
    (the directory's, or the one they last wrote in), else in the meeting's — never simply in the
    language the replier wrote (an English meeting's host got a Chinese objection notice). Shares
    the reply's count of mails and its memo of people."""
    return Notifier(
        app=ctx.app, session=ctx.session, now=ctx.now, inbound_mail_id=ctx.inbound_mail_id, actor=ctx.actor,
        fallback_language=meeting.language or ctx.sender_language(), sent=ctx.sent, _people=ctx._people,
    )  # fmt: skip


def settle_touched(ctx: HandlerContext, results: list[Result]) -> None:
    """Any answer may be the last one a round waited for — a delay or a delivery settles an action
    as surely as a confirmation: the minutes of every meeting touched become final once nothing in
    them awaits an answer (it used to take a confirmation, and a round ending in a delay never closed)."""
    seen: set[int] = set()
    for result in results:
        if not result.ok or not result.ref or not result.ref.startswith("A-"):
            continue
        action = ctx.session.get(ActionItem, int(result.ref[2:]))
        if action is not None and action.meeting_id not in seen:
            seen.add(action.meeting_id)
            confirm_if_settled(mailer(ctx, action.meeting), action.meeting)


def looks_like_command(line: str, vocabulary: CommandVocabulary) -> bool:
    """A line that starts like a command (a ref, or a command word) but could not be read as one."""
    start = vocabulary.fold(line.strip())[:12]
    return bool(vocabulary.ref_re.match(start) or vocabulary.word_re.match(start))


# Verbs whose own mail takes the note to whom it concerns: the verifier's 验收 request (done), the
# host's objection or delay notice, the owner's 验收 result (reject) — as part of the reason.
CARRY_NOTES = ("done", "object", "delay", "reject")


def keep_comments(ctx: HandlerContext, commands: list[Command], results: list[Result]) -> None:
    """A comment on the command's own line ("确认，月底前给到周总。") goes into the action's history
    (`mailbot show`); the verbs that carry notes already passed theirs on with their mail."""
    for command, result in zip(commands, results, strict=True):
        if not command.note or command.verb in CARRY_NOTES or not result.ok or not result.ref:
            continue
        action = ctx.session.get(ActionItem, int(result.ref[2:]))
        if action is not None:
            change(ctx, action, "action.note", note=command.note[:2000])


NEEDS_REASON = ("object_needs_reason", "delay_needs_reason", "reject_needs_reason")
REASON_LABEL = re.compile(r"^(?:原因|理由|reason|because)\s*[：:]?\s*", re.IGNORECASE)


def reasons_below(commands: list[Command], notes: list[str]) -> tuple[list[Command], list[str]]:
    """ "异议" or "延期至12月28日" with the reason on the next lines ("原因：讲师档期冲突"): those
    lines are the reason, not a note — the command is applied, not refused for lacking one."""
    for i, command in enumerate(commands):
        if command.error in NEEDS_REASON and notes:
            reason = REASON_LABEL.sub("", " ".join(notes)).strip()
            if reason:
                commands[i] = dataclasses.replace(command, reason=reason, error=None)
                return commands, []
    return commands, notes


def note_carrier(commands: list[Command]) -> int | None:
    """The command the lines around the commands go with: the first that changes something."""
    return next((i for i, c in enumerate(commands) if changes_something(c)), None)


def with_note(command: Command, notes: list[str]) -> Command:
    text = " ".join(notes)
    reason = f"{command.reason}；{text}" if command.reason else text
    return dataclasses.replace(command, reason=reason, note=f"{command.note} {text}".strip())


@dataclass
class Remark:
    """Words about an action someone wrote besides their commands (a comment on the command's line,
    lines of their own), or a decision its owner must hear of (their objection overruled, their
    action withdrawn)."""

    action: ActionItem
    refs: list[str]
    texts: list[str] = field(default_factory=list)
    overruled: bool = False
    withdrawn: bool = False
    keep: bool = False  # to be kept in the action's history here (not by the command itself)

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


def ok_refs(result: Result) -> list[str]:
    """The actions a line was applied to, or found already as it asked: its own, or the parts that
    went through."""
    if result.ref:
        return [result.ref] if result.ok or result.code == "already" else []
    return [p["ref"] for p in result.params.get("parts") or [] if p.get("ok") and p.get("ref")]


def remark_for(ctx: HandlerContext, remarks: dict[int, Remark], result: Result) -> Remark | None:
    refs = [ref for ref in ok_refs(result) if ref.startswith("A-") and ref[2:].isdigit()]
    action = ctx.session.get(ActionItem, int(refs[0][2:])) if refs else None
    if action is None:
        return None
    remark = remarks.setdefault(action.id, Remark(action, refs))
    remark.refs = list(dict.fromkeys([*remark.refs, *refs]))
    return remark


def comment_of(command: Command) -> str:
    """What a command line said besides the command: its comment ("确认，月底前给到周总"), the
    host's words after a decision ("A-2 维持，按原计划交付", "A-2 改期 12月14日，排期再给两周").
    The verbs that carry notes pass theirs on in their own mail (the reason of an objection…)."""
    if command.verb in CARRY_NOTES:
        return ""
    if command.verb == "resolve":
        return command.note if command.target.startswith("reassign") else command.reason
    return command.note


def comments_of(ctx: HandlerContext, commands: list[Command], results: list[Result]) -> dict[int, Remark]:
    """Per action, what its people must read of this reply besides the commands: comments that say
    something (not "谢谢", "收到", "辛苦了": courtesy stays with the bot), an overruled objection
    and a withdrawn action (its owner is told plainly, with or without the host's words: else
    "A-4 撤销" alone would leave the owner working on something nobody wants any more)."""
    remarks: dict[int, Remark] = {}
    vocabulary = ctx.app.rules.commands
    for command, result in zip(commands, results, strict=True):
        # A line that found its action already as it asked ("A-4 撤销，预算下季度再议" after "A-4
        # 撤销") changes nothing, but its words are still for the action's people.
        text = comment_of(command).strip() if result.ok or result.code == "already" else ""
        if text and is_courtesy(text, vocabulary):
            text = ""
        overruled = result.ok and result.code == "resolved_overrule"
        withdrawn = result.ok and result.code == "resolved_withdraw"
        if not text and not overruled and not withdrawn:
            continue
        remark = remark_for(ctx, remarks, result)
        if remark is None:
            continue
        if text and text not in remark.texts:
            remark.texts.append(text)
        # Kept by nothing else: a reason after a new date, a comment on a line that answered for
        # several actions (keep_comments keeps those of one action).
        remark.keep = remark.keep or command.target.startswith("due:") or not result.ref
        remark.overruled = remark.overruled or overruled
        remark.withdrawn = remark.withdrawn or withdrawn
    return remarks


def add_note(ctx: HandlerContext, remarks: dict[int, Remark], result: Result, notes: list[str]) -> bool:
    """A remark under a command that carries no notes of its own ("确认\n交付标准里的 PDF 需要盖章
    吗？", "A-2 改期 12月24日\n排期再给两周"): for the people of that command's action, kept in its
    history. False when the command named no action."""
    remark = remark_for(ctx, remarks, result)
    if remark is None:
        return False
    remark.texts.append("\n".join(notes))
    remark.keep = True
    return True


def words_without_command(
    ctx: HandlerContext,
    thread: Thread,
    notes: list[str],
    acknowledged: bool,
    echoed: list[str],
    *,
    courteous: bool = False,
    receipt: bool = False,
) -> Outcome:
    """A reply in words: "收到" / "谢谢" to a request is never consent — asked back, with one-click
    answers; a remark about an action ("马超这周出差，名单由我来提交") is a note for the host and
    the owner, kept in the action's history. Thanks and nothing else to a mail that asks nothing
    ("收到，谢谢" to the final minutes) is recorded and not answered: an answer would be noise.
    A bare receipt to the minutes notice while its round is open is answered (`noted_minutes`)."""
    action = thread_action(ctx, thread)
    results: list[Result] = []
    if notes and action is not None:
        results += tell(ctx, [Remark(action, [action.ref], ["\n".join(notes)], keep=True)])
    elif notes:
        results.append(Result("", "no_command", ok=False))
    asked = asked_kind(thread)
    if acknowledged and asked:
        results.append(Result("", "acknowledged", ok=False, params={"kind": asked}))
    elif acknowledged and not results:
        noted = noted_minutes(ctx, thread) if receipt else None
        if noted is not None:
            results.append(noted)
        elif courteous:
            return Outcome(
                "acknowledged", "reply", error="thanks only: not answered", meeting_id=thread_meeting(thread)
            )
        else:
            results.append(Result("", "acknowledged_nothing", ok=False))
    quick = asked or None
    # The answer to a receipt of the minutes says in its body what one may still answer; the owner's
    # commands of the usual footer are not an attendee's.
    return finish(ctx, thread, results, echoed, quick_kind=quick, answered_only=not notes,
                  commands=not any(r.code == "minutes_noted" for r in results))  # fmt: skip


def noted_minutes(ctx: HandlerContext, thread: Thread) -> Result | None:
    """ "收到" to the minutes notice, which asked "回复“确认”或“异议：原因”… 逾期视为默认": most
    likely "noted", but it could be meant as either answer, and every reply is answered. Said back
    once (a "收到" to this answer thanks a mail that asks nothing): read, no objection recorded,
    and how to object before the deadline. Thanks ("谢谢王芳整理！") are courtesy to the recorder, not
    an answer, and stay unanswered; so does a receipt once the round is over (the notice asks
    nothing any more)."""
    answered = thread.answered
    if answered is None or answered.kind != "minutes_notice" or answered.to_address != ctx.sender_address:
        return None
    meeting = ctx.session.get(Meeting, answered.meeting_id) if answered.meeting_id else None
    if meeting is None or meeting.status not in UNDER_REVIEW or meeting.confirm_by is None:
        return None
    if ctx.app.today() > meeting.confirm_by:
        return None
    return Result("", "minutes_noted", ok=False, params={"meeting": meeting.ref, "deadline": meeting.confirm_by})


# The mails that ask their reader for an answer: "收到" to one of them is asked back, with its
# one-click answers again (templates/_quick_words.html). To a notice ("同意延期" to a delay
# notice, "知悉" to an escalation) it is simply noted.
ASKING_KINDS = ("confirm_request", "acceptance_request", "reminder")


def asked_kind(thread: Thread) -> str:
    """The kind of request the mail answered asks about: its own kind, or, for our answer that
    asked back ("“收到”不算确认…", with the one-click answers), the request it asked about again."""
    answered = thread.answered
    if answered is None:
        return ""
    if answered.kind in ASKING_KINDS:
        return answered.kind
    asked = (answered.context or {}).get("quick_kind") if answered.kind == "reply_result" else None
    return asked if asked in ASKING_KINDS else ""


def thread_action(ctx: HandlerContext, thread: Thread) -> ActionItem | None:
    """The action a reply in words is about: the thread's, or the sender's only one in its meeting."""
    if thread.obj and thread.obj.startswith("A-"):
        return ctx.session.get(ActionItem, int(thread.obj[2:]))
    if thread.obj and thread.obj.startswith("M-"):
        mine = list(ctx.session.scalars(select(ActionItem).where(
            ActionItem.meeting_id == int(thread.obj[2:]), ActionItem.status.in_(LIVE),
            ActionItem.owner_address == ctx.sender_address)))  # fmt: skip
        return mine[0] if len(mine) == 1 else None
    return None


def thread_meeting(thread: Thread) -> int | None:
    if thread.obj and thread.obj.startswith("M-"):
        return int(thread.obj[2:])
    return thread.answered.meeting_id if thread.answered is not None else None


# The mails a reply causes that show what someone wrote besides their commands, and under which
# key of their context: a confirmation request (the host's words with a new date), the host's
# objection notice, the final minutes (an overruled objection), a note — as a list of remarks; a
# delay notice and a 验收 request under their `note` (说明). Any other (the 验收 result: its
# template shows no remarks yet) gets a note of its own beside it.
FOLDS = {
    "confirm_request": "remarks", "objection_notice": "remarks", "final_minutes": "remarks", "note_notice": "remarks",
    "delay_notice": "note", "acceptance_request": "note", "acceptance_result": "remarks",
}  # fmt: skip


def refs_of(row: OutboxMail) -> set[str]:
    """The actions a mail is about (its `action`, or the owner's own in a request): not the final
    minutes' whole table."""
    context = row.context or {}
    found = [context.get("action"), *(context.get("mine") or [])]
    return {a["ref"] for a in found if isinstance(a, dict) and a.get("ref")}


def tell(ctx: HandlerContext, remarks: list[Remark]) -> list[Result]:
    """Remarks to the people they concern — the action's host and owner, and whoever this reply
    sends a mail about that action (a new owner, a delegate) — never back to who wrote them. One
    mail per person: the remark travels inside the mail this reply sends them anyway (a new
    confirmation request carries "主持人留言：…", the final minutes say the objection was
    overruled); only someone who gets nothing else from this reply gets a note (note_notice).
    Returns the transcript lines: whom each remark went to."""
    if not remarks:
        return []
    writer, bot = ctx.sender_address.lower(), ctx.app.sender.address.lower()
    caused = list(ctx.session.scalars(
        select(OutboxMail).where(OutboxMail.inbound_mail_id == ctx.record.id).order_by(OutboxMail.id)))  # fmt: skip
    told: dict[int, list[str]] = {id(r): [] for r in remarks}
    theirs: dict[tuple[str, int], list[Remark]] = {}
    for remark in remarks:
        action = remark.action
        if remark.keep and remark.text:
            change(ctx, action, "action.note", note=remark.text[:2000])
        about = [row.to_address for row in caused if set(remark.refs) & refs_of(row)]
        for to in dict.fromkeys(a.lower() for a in (action.meeting.host_address, action.owner_address, *about) if a):
            if to not in (writer, bot):
                theirs.setdefault((to, action.meeting_id), []).append(remark)
    for (to, meeting_id), mine in theirs.items():
        views = [remark_view(ctx, r, to) for r in mine]
        refs = {ref for r in mine for ref in r.refs}
        rows = [row for row in caused if row.to_address == to and row.kind in FOLDS and row.meeting_id == meeting_id]
        row = next((row for row in rows if refs & refs_of(row)), None) or next(iter(rows), None)
        if row is not None:
            fold(row, views)
        else:
            note_notice(ctx, to, mine, views)
        for r in mine:
            told[id(r)].append(to)
    return [
        Result("", "note_passed", ok=True, ref=r.refs[0], params={"to": told[id(r)]}) for r in remarks if r.text
    ]  # fmt: skip


def remark_view(ctx: HandlerContext, remark: Remark, to: str) -> dict[str, Any]:
    """A remark as the mail that carries it shows it (plain values: it may join a stored context)."""
    action, meeting = remark.action, remark.action.meeting
    return {
        "ref": action.ref, "refs": remark.refs, "description": action.description, "text": remark.text[:2000],
        "overruled": remark.overruled, "objection": action.objection_reason if remark.overruled else None,
        "withdrawn": remark.withdrawn,
        "by": ctx.sender_address, "by_name": writer_name(ctx, meeting),
        "by_host": ctx.sender_address == (meeting.host_address or "").lower(),
        "yours": to == (action.owner_address or "").lower(),
        "status": str(action.status), "owner": action.owner_address, "owner_name": action.owner_name,
        "due": action.due.isoformat(),
    }  # fmt: skip


def writer_name(ctx: HandlerContext, meeting: Meeting) -> str:
    """The writer's name as the meeting knows it, else as their mail gives it."""
    return (meeting.names or {}).get(ctx.sender_address) or next(iter(sorted(sender_names(ctx))), "")


def fold(row: OutboxMail, views: list[dict[str, Any]]) -> None:
    """Add remarks to a mail decided by this reply and not yet sent (its body is rendered from the
    stored context when it leaves)."""
    context = dict(row.context or {})
    if FOLDS[row.kind] == "note":
        own = refs_of(row)
        colon = ": " if row.language == "en" else "："
        lines = [v["text"] if v["ref"] in own else f"{v['ref']}{colon}{v['text']}" for v in views if v["text"]]
        context["note"] = "\n".join(t for t in (context.get("note"), *lines) if t)
    else:
        context["remarks"] = [*(context.get("remarks") or []), *views]
    row.context = context


def note_notice(ctx: HandlerContext, to: str, remarks: list[Remark], views: list[dict[str, Any]]) -> None:
    """A note of its own, for someone this reply sends nothing else: what was written about the
    action(s), and for an owner whose objection was overruled or whose action was withdrawn, that
    it was. The host's copy says what the host can answer; the owner's does not, and an owner left
    with nothing to do is offered no command for it."""
    action = remarks[0].action
    meeting = action.meeting
    host = to == (meeting.host_address or "").lower()
    owner = to == (action.owner_address or "").lower()
    standing = [r for r in remarks if not r.withdrawn and r.action.status != Status.CANCELLED]
    audience = (
        "host" if host and not owner else "none" if not standing else "progress" if standing[0].overruled else "owner"
    )
    mailer(ctx, meeting).send(
        key=f"note_notice:{action.ref}:{to}:{ctx.record.id}", kind="note_notice", to=to,
        context={"meeting": meeting_view(meeting), "action": action_view(action), "note": views[0]["text"],
                 "writer": ctx.sender_address, "writer_name": writer_name(ctx, meeting),
                 # The host's copy lists the host's commands, the owner's the owner's.
                 "audience": audience, "host_copy": host, "remarks": views},
        token_for=action.ref, meeting_id=meeting.id,
    )  # fmt: skip


def changes_something(command: Command) -> bool:
    """A line that would change state if applied (status and help only read; a line the reader
    already refused changes nothing)."""
    return command.verb not in ("status", "help") and not command.error


def answer_question(ctx: HandlerContext, thread: Thread, commands: list[Command], unrecognised: list[str]) -> Outcome:
    """A reply to our "was it you?" question (trust.hold): yes applies the held mail."""
    assert thread.obj is not None
    answer = answer_to_question(commands, unrecognised)
    settled = trust.settle(ctx, int(thread.obj[2:]), answer, written=bool(commands or unrecognised))
    if settled.outcome is not None:
        # The held mail's own answers (its result, acknowledgement) tell the person what was done.
        return Outcome("processed", "confirmation", meeting_id=settled.outcome.meeting_id)
    line = next((c.line for c in commands), "")
    # "不是我发的" was understood: it is not echoed back as words we could not read.
    unread = [] if answer == "no" else unrecognised
    return finish(
        ctx, Thread(), [Result(line, settled.code, ok=settled.code == "held_declined", params=settled.params)], unread
    )


# "不是我发的", "not me", "cancel": a person telling us the held mail was not theirs.
DECLINES = re.compile(
    r"不是|没有?发|并非|非本人|冒用|取消|不要|别执行|\bnot me\b|\bdid(?:n'?t| not)\b|\bwas(?:n'?t| not)\b|\bcancel|\bdon'?t\b",
    re.IGNORECASE,
)


# "是我发的", "好的", "yes, that was me": assent to "was it you?" written in words, not the command.
_ASSENT = (
    r"(?:确认|確認|是|是的|对|对的|嗯|好|好的|可以|没问题|同意|收到|是我|是我发的|是我發的|是本人|本人发的|我发的|确实是我"
    r"|谢谢|多谢|confirm|confirmed|yes|yep|ok|okay|sure|correct|right|thanks|thank you|it was me|that was me|i sent it"
    r"|it's me)"
)
ASSENTS = re.compile(rf"{_ASSENT}(?:[\s,，.。!！~～、\-—–]+{_ASSENT})*[\s,，.。!！~～]*", re.IGNORECASE)


def answer_to_question(commands: list[Command], unrecognised: list[str]) -> Literal["yes", "no", "unclear"]:
    """ "was it you?" — yes: nothing written, "确认", or words of assent ("是我发的", "好的")
    with at most a short sign-off; no: anything that says it was not them; the rest (a question,
    another command, a paragraph) is unclear and applies nothing."""
    said = [*unrecognised, *(c.line for c in commands)]
    if any(DECLINES.search(line) for line in said):
        return "no"
    if any("?" in line or "？" in line for line in said):
        return "unclear"
    if commands:
        return "yes" if all(c.verb == "confirm" and c.ref is None for c in commands) else "unclear"
    if not unrecognised:
        return "yes"
    first, rest = unrecognised[0], unrecognised[1:]
    signed_off = len(rest) < SIGNATURE_LINES and all(len(line) <= SIGNATURE_LINE_CHARS for line in rest)
    return "yes" if ASSENTS.fullmatch(first) and signed_off else "unclear"


SIGNATURE_LINES = 4
SIGNATURE_LINE_CHARS = 40
# Lines a signature is made of besides the name: contacts, addresses, links.
# A line of contact details, as signatures have them: a labelled phone, address or mail ("电话：…",
# "T: +86 …", "Mobile 138…"), a bare number, address or link, or "|"-separated parts with a number.
# Not a sentence that mentions an address ("资料请发到 li.na@corp.example").
CONTACT_LINE = re.compile(
    r"^(?:电话|手机|座机|传真|地址|邮箱|部门|分机|微信|tel|phone|mobile|cell|fax|address|e-?mail|web|[tmfe])\s*[:：]"
    r"|^(?:电话|手机|座机|传真|分机|tel|phone|mobile|cell|fax)\.?\s*\+?\d"
    r"|^\+?\d[\d\s()（）+-]{6,}\d\s*$|^[\w.+-]+@[\w.-]+\s*$|^(?:https?://|www\.)\S+\s*$"
    r"|^[^|｜]*[|｜].*\d[\d\s()+-]{6,}\d",
    re.IGNORECASE,
)


def signature_lines(written: str, reading: Reading, names: set[str], vocabulary: CommandVocabulary) -> set[str]:
    """The lines of a signature or sign-off, with no "-- " above them: from the first line after
    the last command that is a sign-off ("祝好", "Best regards", "Thanks,"), or that starts a
    paragraph with the sender's own name ("张伟", "张伟 / 市场部", "Zhang Wei | Marketing") or a
    contact line — everything from there on (titles, phones, addresses, a disclaimer however long);
    plus Outlook's logo placeholders ("[cid:image001.png@…]") anywhere. A remark ("但截止日期需要
    推迟") is never one: it goes on as a note. With nothing but a signature, nothing was written."""
    # Outlook's logo placeholder stands where the picture was: it separates like a blank line.
    lines = ["" if LOGO_LINE.match(line.strip()) else line.strip() for line in written.splitlines()]
    said = {c.line.strip() for c in reading.commands}
    last = max((i for i, line in enumerate(lines) if line and line in said), default=-1)
    closing = {line.strip() for line in reading.courtesy} | {a.line.strip() for a in reading.acknowledgements}
    start = None
    for i in range(last + 1, len(lines)):
        line = lines[i]
        if not line:
            continue
        after_blank = i == 0 or not lines[i - 1]
        signs_off = i > 0 and line in closing and not vocabulary.greeting_re.fullmatch(vocabulary.fold(line))
        if signs_off or (after_blank and (is_name_line(line, names) or has_contact_line(lines, i))):
            start = i
            break
    dropped = {line.strip() for line in written.splitlines() if LOGO_LINE.match(line.strip())}
    if start is not None:
        dropped |= {line for line in lines[start:] if line}
    return dropped


# Outlook's inline logo placeholder in the text part of an HTML signature.
LOGO_LINE = re.compile(r"^\[cid:[^\]]{1,200}\]$", re.IGNORECASE)
# A first line that only addresses people: "李总好，", "王老师好！", "各位领导好，", "李总：", "Dear all,".
ADDRESSING = re.compile(
    r"^(?:[^\s，,。:：!！?？]{1,8}(?:好|您好|你好|们好)|[^\s，,。:：!！?？]{1,6}[：:]|dear [^,，]{1,30})[，,。!！~～\s]*$",
    re.IGNORECASE,
)


def has_contact_line(lines: list[str], start: int) -> bool:
    """The paragraph starting at `start` holds a contact line within its first few lines: a
    signature ("Zhang Wei | Marketing" above "T: +86 21 …"), whoever's name heads it."""
    for line in lines[start : start + SIGNATURE_LINES + 2]:
        if not line:
            return False
        if CONTACT_LINE.search(line):
            return True
    return False


def is_name_line(line: str, names: set[str]) -> bool:
    """ "张伟", "张伟 市场部", "Zhang Wei | Marketing", "王芳/行政部": the name, then nothing or a
    separator and a few more words — not a sentence that starts with the name ("张伟下周出差")."""
    for name in names:
        if name and line.startswith(name):
            rest = line[len(name) :]
            if not rest or rest[0] in " \t/|｜,，·-—–(（" or len(rest) <= 4:
                return True
    return False


def sender_names(ctx: HandlerContext) -> set[str]:
    names = {ctx.mail.sender.name.strip()} if ctx.mail.sender and ctx.mail.sender.name else set()
    person = ctx.person(ctx.sender_address)
    if person is not None and person.name:
        names.add(person.name.strip())
    return {n for n in names if n}


def finish(
    ctx: HandlerContext,
    thread: Thread,
    results: list[Result],
    unrecognised: list[str],
    *,
    quick_kind: str | None = None,
    answered_only: bool = False,
    commands: bool = True,
) -> Outcome:
    """The transcript answer. `quick_kind`: show that mail's one-click answers again (with the
    thread's token); `answered_only`: nothing was asked to change (an acknowledgement asked back);
    `commands`: False when the footer should list none (the body says what to answer)."""
    applied = any(r.ok for r in results)
    meeting_id = None
    if thread.obj and thread.obj.startswith("M-"):
        meeting_id = int(thread.obj[2:])
    elif thread.answered is not None:
        meeting_id = thread.answered.meeting_id
    names = names_in(ctx, results)
    context: dict[str, Any] = {
        "results": [
            {"line": r.line, "code": r.code, "ok": r.ok, "ref": r.ref, "params": r.params, "names": names}
            for r in results
        ],
        "unrecognised": unrecognised[:20],
        "open_actions": open_actions(ctx) if any(r.code == "status" for r in results) else [],
        "today": ctx.app.today(),
        "quick_kind": quick_kind,
        "quick_ref": thread.obj if thread.obj and thread.obj.startswith("A-") else "",
    }
    if not commands:
        context["commands"] = False
    token_for = thread.obj if quick_kind and thread.obj and not thread.obj.startswith("H-") else None
    final = take_own_final_minutes(ctx) if applied else None
    context["final"] = final
    # Every line found its action already as it asked ("确认" sent twice): nothing was refused and
    # nothing needs fixing, so the answer is a result, not "— 未执行" in the subject.
    settled = bool(results) and all(r.ok or r.code == "already" for r in results) and not unrecognised
    ctx.answer(
        kind="reply_result" if applied or answered_only or settled else "reply_refused",
        context=context, rate_limited=not applied, token_for=token_for,
        attachments=own_final_files(ctx, final) if final else [],
    )  # fmt: skip
    if answered_only and not applied:
        return Outcome("answered", "reply", error="acknowledged without a command", meeting_id=meeting_id)
    if settled and not applied:
        error = "; ".join(f"already: {r.line}" for r in results)[:1000]
        return Outcome("answered", "reply", error=error, meeting_id=meeting_id)
    outcome = "processed" if applied else "rejected"
    error = None if applied else "; ".join(f"{r.code}: {r.line}" for r in results)[:1000] or "nothing to apply"
    return Outcome(outcome, "reply", error=error, meeting_id=meeting_id)


# The people a result's answer names, by their keys in its params.
NAMED_PARAMS = ("to", "told", "sent_to", "owner", "host", "recorder", "requester", "previous")


def names_in(ctx: HandlerContext, results: list[Result]) -> dict[str, str]:
    """The names the meetings of these results know (the host, the recorder, the owners, the
    verifier), else the directory's: the answer says "已转主持人 李娜 <li.na@…>" and "已请 孙磊
    <sun.lei@…> 确认接手", not a bare address."""
    names: dict[str, str] = {}
    for result in results:
        meeting_ref = str(result.params.get("meeting") or "")
        if meeting_ref.startswith("M-") and meeting_ref[2:].isdigit():
            meeting = ctx.session.get(Meeting, int(meeting_ref[2:]))
            names.update((meeting.names or {}) if meeting is not None else {})
        refs = [result.ref, *(part.get("ref") for part in result.params.get("parts") or [])]
        for ref in refs:
            if not ref or not str(ref).startswith("A-") or not str(ref)[2:].isdigit():
                continue
            action = ctx.session.get(ActionItem, int(str(ref)[2:]))
            if action is None:
                continue
            names.update(action.meeting.names or {})
            for address, name in (
                (action.owner_address, action.owner_name),
                (action.requester_address, action.requester_name),
            ):
                if address and name:
                    names.setdefault(address, name)
    for result in results:
        for key in NAMED_PARAMS:
            value = result.params.get(key)
            for address in value if isinstance(value, list) else [value]:
                if isinstance(address, str) and "@" in address and address not in names:
                    person = ctx.person(address)
                    if person is not None and person.name:
                        names[address] = person.name
    return names


def own_final_files(ctx: HandlerContext, final: dict[str, Any]) -> list[Any]:
    """What everyone's 正式版 carries, for the copy inside the answer: the .ics and the .docx."""
    from mailbot.archive import minutes_recipe

    return [
        ctx.todo_file(final["actions"], final["meeting"]),
        minutes_recipe(ctx, final["meeting"], final["actions"], final["version"]),
    ]


def take_own_final_minutes(ctx: HandlerContext) -> dict[str, Any] | None:
    """The final minutes this very reply caused (it settled the last open action) for its own
    sender, taken back out of the outbox: one mail per person per event, so the sender gets them
    inside the answer to their reply (threaded to it, with the same .ics), not a second mail."""
    row = ctx.session.scalars(
        select(OutboxMail).where(
            OutboxMail.inbound_mail_id == ctx.record.id,
            OutboxMail.kind == "final_minutes",
            OutboxMail.to_address == ctx.sender_address,
        )
    ).first()
    if row is None:
        return None
    final = {key: row.context.get(key) for key in ("meeting", "actions", "version", "changes")}
    ctx.session.delete(row)
    return final


def apply(ctx: HandlerContext, thread: Thread, command: Command) -> Result:
    if command.verb in ("status", "help"):
        return Result(command.line, command.verb, ok=True)
    if command.error:
        return Result(command.line, command.error, ok=False, ref=command.ref)
    if command.ref is None and thread.obj is None:
        return Result(command.line, "no_target", ok=False)
    if command.verb == "approve":
        return approve(ctx, thread, command)
    targets = target_actions(ctx, thread, command)
    if isinstance(targets, Result):
        return targets
    if not targets:
        return minutes_level(ctx, thread, command)
    results = [act(ctx, action, command) for action in targets]
    if len(results) == 1:
        return results[0]
    return Result(
        command.line, "several", ok=any(r.ok for r in results),
        params={"parts": [{"ref": r.ref, "code": r.code, "ok": r.ok, "params": r.params} for r in results]},
    )  # fmt: skip


def target_actions(ctx: HandlerContext, thread: Thread, command: Command) -> list[ActionItem] | Result:
    """The actions a line is about: its own ref, the thread's action, or the sender's own
    actions in the thread's meeting (a confirmation request listing several)."""
    ref = command.ref or (thread.obj if thread.obj and thread.obj.startswith("A-") else None)
    if ref is not None:
        action = ctx.session.get(ActionItem, int(ref[2:]))
        if action is None:
            return Result(command.line, "unknown_action", ok=False, ref=ref)
        return [action]
    assert thread.obj is not None
    meeting_id = int(thread.obj[2:])
    me = ctx.sender_address
    return list(
        ctx.session.scalars(
            select(ActionItem)
            .where(
                ActionItem.meeting_id == meeting_id,
                ActionItem.status.in_(LIVE),
                (ActionItem.owner_address == me) | (ActionItem.delegate_address == me),
            )
            .order_by(ActionItem.id)
        )
    )


def proxy_of(ctx: HandlerContext, address: str) -> str | None:
    """The registered proxy (代理人) of `address`, lower-case, if the directory names one."""
    person = ctx.person(address)
    return person.proxy_address.lower() if person is not None and person.proxy_address else None


def is_host(ctx: HandlerContext, meeting: Meeting) -> bool:
    return ctx.sender_address in {(meeting.host_address or "").lower(), ctx.app.config.bot.admin.lower()} - {""}


def roles(ctx: HandlerContext, action: ActionItem) -> frozenset[Role]:
    """Who the sender is to this action; the life cycle's table says what each role may do."""
    return roles_of(
        ctx.sender_address, owner=action.owner_address, proxy=proxy_of(ctx, action.owner_address),
        delegate=action.delegate_address, requester=action.requester_address, host=action.meeting.host_address,
        admin=ctx.app.config.bot.admin,
    )  # fmt: skip


@dataclass(frozen=True)
class Step:
    """One command on one action that the life cycle allowed, with what was read from it."""

    command: Command
    decision: Decision
    new_date: date | None = None  # delay: the date read from the command


# The host's decisions on an objection ("resolve A-3 withdraw"), as the life cycle names the moves.
RESOLUTIONS = {
    "withdraw": "withdraw", "overrule": "overrule", "due": "reschedule", "reassign": "reassign", "reopen": "reopen",
    "approve_delay": "approve_delay",
}  # fmt: skip


def act(ctx: HandlerContext, action: ActionItem, command: Command) -> Result:
    today = ctx.app.today()
    verb = command.verb
    if verb == "resolve":
        verb = RESOLUTIONS.get(command.target.partition(":")[0], "")
        if not verb:  # the command reader answers a "resolve" without a decision itself
            return Result(command.line, "resolve_needs_decision", ok=False, ref=action.ref)
    new_date, problem = None, None
    if verb == "delay":
        new_date = read_date(command.date_text, today, ctx.app.calendar).value
        problem = "bad_date" if new_date is None else "past_date" if new_date < today else None
    decision = decide(
        verb, action.status, roles(ctx, action), argument_error=problem, was_delayed=bool(action.delay_reason),
        round_closed=action.confirm_by is not None and today > action.confirm_by,
    )  # fmt: skip
    if not decision.allowed:
        return refusal(action, command, decision, new_date)
    return EFFECTS.get(decision.move, on_move)(ctx, action, Step(command, decision, new_date))


def refusal(action: ActionItem, command: Command, decision: Decision, new_date: date | None) -> Result:
    """The refusal, with what its answer names (the owner, the host, the status it is in)."""
    code = decision.refusal or "not_here"
    params: dict[str, Any] = {
        "not_owner": {"owner": action.owner_address},
        "not_requester": {"requester": action.requester_address},
        "not_host": {"host": action.meeting.host_address},
        "too_late": {"closed": action.confirm_by},
        "bad_date": {"text": command.date_text},
        "past_date": {"date": new_date},
        "not_here": {},
    }.get(code, {"status": action.status})
    if decision.move in RESOLUTIONS.values() and code != "not_host":
        # The host's own decision, not taken ("A-4 撤销" twice): the answer's footer lists the
        # host's commands, not an owner's.
        params = {**params, "host_move": True}
    return Result(command.line, code, ok=False, ref=action.ref, params=params)


def move(ctx: HandlerContext, action: ActionItem, decision: Decision) -> None:
    """Take the status the life cycle decided, recording the owner's explicit yes first where the
    move includes one (a "done" to a request never answered)."""
    if decision.accepts:
        accept(ctx, action, "explicit")
    assert decision.to is not None
    action.status = decision.to


def on_confirm(ctx: HandlerContext, action: ActionItem, step: Step) -> Result:
    move(ctx, action, step.decision)
    return Result(step.command.line, "confirmed", ok=True, ref=action.ref)


def on_object(ctx: HandlerContext, action: ActionItem, step: Step) -> Result:
    line, ref, reason = step.command.line, action.ref, step.command.reason
    move(ctx, action, step.decision)
    action.objection_reason, action.consent = reason, None
    change(ctx, action, "action.objected", reason=reason)
    host = action.meeting.host_address
    if host:
        mailer(ctx, action.meeting).send(
            key=f"objection:{ref}:{ctx.record.id}", kind="objection_notice", to=host,
            context={"meeting": meeting_view(action.meeting), "action": action_view(action),
                     "reason": reason, "by": ctx.sender_address},
            token_for=ref, meeting_id=action.meeting_id,
        )  # fmt: skip
    return Result(line, "objected", ok=True, ref=ref, params={"reason": reason, "host": host})


def on_move(ctx: HandlerContext, action: ActionItem, step: Step) -> Result:
    """A move that does nothing besides its status ("in progress"): recorded and answered under its
    own name, so such a verb needs its row in the life cycle and its words, and no code here."""
    name = step.decision.move
    move(ctx, action, step.decision)
    change(ctx, action, f"action.{name}", note=step.command.reason)
    return Result(step.command.line, name, ok=True, ref=action.ref)


def on_done(ctx: HandlerContext, action: ActionItem, step: Step) -> Result:
    move(ctx, action, step.decision)
    stored, refused, blocked = keep_deliverables(ctx, action)
    action.done_at = ctx.now
    change(ctx, action, "action.done", files=[f.filename for f in stored], refused=refused, blocked=blocked)
    groups.post_done(ctx, action, [f.filename for f in stored])  # the project group, queued
    if action.requester_address:
        request_acceptance(ctx, action, note=step.command.reason)
    return Result(
        step.command.line, "done", ok=True, ref=action.ref,
        params={"files": [f.filename for f in stored], "refused": refused, "blocked": blocked,
                "requester": action.requester_address},
    )  # fmt: skip


def on_delay(ctx: HandlerContext, action: ActionItem, step: Step) -> Result:
    command, new_date = step.command, step.new_date
    assert new_date is not None
    old_due = action.due
    if ctx.app.policy.delay.needs_host_approval and Role.HOST not in roles(ctx, action):
        # Asked, not applied: the due date stands until the host agrees ("A-n 同意延期").
        change(ctx, action, "action.delay_requested", old_due=old_due.isoformat(), new_due=new_date.isoformat(),
               reason=command.reason, date_text=command.date_text)  # fmt: skip
        told = tell_host_of_delay(ctx, action, old_due, new_date, command.reason, approval=True)
        return Result(
            command.line, "delay_requested", ok=True, ref=action.ref,
            params={"date": new_date, "reason": command.reason, "told": told, **off_day(ctx, new_date)},
        )  # fmt: skip
    move(ctx, action, step.decision)
    action.due, action.due_text, action.delay_reason = new_date, command.date_text, command.reason
    change(ctx, action, "action.delayed", old_due=old_due.isoformat(), new_due=new_date.isoformat(),
           reason=command.reason)  # fmt: skip
    told = tell_host_of_delay(ctx, action, old_due, new_date, command.reason)
    return Result(
        command.line, "delayed", ok=True, ref=action.ref,
        params={"date": new_date, "reason": command.reason, "told": told, **off_day(ctx, new_date)},
    )  # fmt: skip


def off_day(ctx: HandlerContext, day: date) -> dict[str, Any]:
    """A new due date on a day off ("延期至12月20日", a Sunday) stands as the person wrote it; the
    answer says it is one, and that the due-day reminder comes on the last working day before it
    (as mailbot/workflow/reminders.py counts). Nothing for a working day."""
    calendar = ctx.app.calendar
    if calendar.is_workday(day):
        return {}
    return {
        "off_day": {"date": day, "weekend": day.weekday() >= 5, "remind_on": working_day_on_or_before(calendar, day)}
    }


def on_approve_delay(ctx: HandlerContext, action: ActionItem, step: Step) -> Result:
    """The host agrees to the delay the owner asked for (rules/policy.toml [delay]): the latest
    request not yet decided. Without one (the delay already stands) nothing changes."""
    decided = ("action.delayed", "action.rescheduled", "action.delay_approved")
    events = ctx.session.scalars(
        select(Event).where(Event.action_id == action.id).order_by(Event.id.desc())
    )  # fmt: skip
    request = None
    for event in events:
        if event.what in decided:
            break
        if event.what == "action.delay_requested":
            request = event
            break
    if request is None:
        # Agreeing to a delay that already stands: understood, nothing to change.
        return Result(step.command.line, "no_delay_request", ok=True, ref=action.ref, params={"due": action.due})
    old_due, new_due = action.due, date.fromisoformat(request.detail["new_due"])
    move(ctx, action, step.decision)
    action.due, action.delay_reason = new_due, request.detail.get("reason")
    action.due_text = request.detail.get("date_text") or action.due_text
    change(ctx, action, "action.delay_approved", old_due=old_due.isoformat(), new_due=new_due.isoformat(),
           reason=request.detail.get("reason"))  # fmt: skip
    return Result(
        step.command.line, "delay_approved", ok=True, ref=action.ref,
        params={"date": new_due, "owner": action.owner_name or action.owner_address},
    )  # fmt: skip


def tell_host_of_delay(
    ctx: HandlerContext, action: ActionItem, old_due: date, new_due: date, reason: str, *, approval: bool = False
) -> str | None:
    """The host hears of a delay when it happens, not on Monday, with what they can answer.
    Returns who was told."""
    meeting = action.meeting
    host = meeting.host_address
    if not host or host == ctx.sender_address:
        return None
    mailer(ctx, meeting).send(
        key=f"delay_notice:{action.ref}:{new_due.isoformat()}:{ctx.record.id}", kind="delay_notice", to=host,
        context={"meeting": meeting_view(meeting), "action": action_view(action), "old_due": old_due,
                 "new_due": new_due, "reason": reason, "note": None, "approval": approval},
        token_for=action.ref, meeting_id=meeting.id,
    )  # fmt: skip
    return host


def accept(ctx: HandlerContext, action: ActionItem, consent: str) -> None:
    action.status, action.consent, action.accepted_at, action.objection_reason = (
        Status.ACCEPTED, consent, ctx.now, None
    )  # fmt: skip
    change(ctx, action, "action.accepted", consent=consent)
    confirm_if_settled(mailer(ctx, action.meeting), action.meeting)


def change(ctx: HandlerContext, action: ActionItem, what: str, **detail: Any) -> None:
    action.updated_at = ctx.now
    ctx.event(what, meeting_id=action.meeting_id, action_id=action.id, detail={k: v for k, v in detail.items() if v})


def keep_deliverables(ctx: HandlerContext, action: ActionItem) -> tuple[list[Deliverable], list[str], list[str]]:
    """The files kept as the action's deliverable; those over the limits; those of a type that is
    never passed on (programs, disguised names: the bot would forward them in its own name)."""
    stored: list[Deliverable] = []
    refused: list[str] = []
    blocked: list[str] = []
    allowed = ctx.app.policy.deliverables.allowed_extensions
    for attachment in ctx.mail.attachments:
        if attachment.content_type.startswith("message/") or not attachment.filename:
            continue
        if attachment.deliverable_refusal(allowed):
            blocked.append(attachment.filename)
            continue
        if len(attachment.payload) > MAX_DELIVERABLE_BYTES or len(stored) >= MAX_DELIVERABLES:
            refused.append(attachment.filename)
            continue
        deliverable = Deliverable(
            action_id=action.id, inbound_mail_id=ctx.record.id, filename=attachment.filename,
            content_type=stored_type(attachment), size=len(attachment.payload), payload=attachment.payload,
            created_at=ctx.now,
        )  # fmt: skip
        ctx.session.add(deliverable)
        stored.append(deliverable)
    return stored, refused, blocked


def stored_type(attachment: Attachment) -> str:
    """The content type with its declared charset: a GBK .csv is forwarded as GBK, never re-read."""
    return f"{attachment.content_type}; charset={attachment.charset}" if attachment.charset else attachment.content_type


def rework_time(ctx: HandlerContext, action: ActionItem) -> None:
    """Sent back after its due date: the owner gets the policy's working days to rework it, so the
    days the requester took are not counted as the owner's delay (no instant "overdue"/escalation)."""
    today = ctx.app.today()
    rework_by = ctx.app.calendar.add_workdays(today, ctx.app.policy.acceptance.rework_working_days)
    if action.due < rework_by:
        old_due, action.due = action.due, rework_by
        change(ctx, action, "action.rescheduled", old_due=old_due.isoformat(), new_due=rework_by.isoformat(),
               reason="rework after 验收")  # fmt: skip


def request_acceptance(ctx: HandlerContext, action: ActionItem, *, note: str) -> None:
    """The requester gets the delivered action with this mail's deliverables attached, to verify."""
    assert action.requester_address is not None
    files, attached, total = [], [], 0
    for deliverable in ctx.session.scalars(
        select(Deliverable).where(Deliverable.action_id == action.id, Deliverable.inbound_mail_id == ctx.record.id)
    ):
        files.append(deliverable.filename)
        if total + deliverable.size <= MAX_FORWARDED_BYTES:
            total += deliverable.size
            attached.append(OutgoingFile(deliverable.filename, deliverable.content_type, deliverable.payload))
    mailer(ctx, action.meeting).send(
        key=f"acceptance_request:{action.ref}:{ctx.record.id}", kind="acceptance_request", to=action.requester_address,
        context={"meeting": meeting_view(action.meeting), "action": action_view(action), "owner": ctx.sender_address,
                 "note": note, "files": files, "attached": [f.filename for f in attached]},
        token_for=action.ref, meeting_id=action.meeting_id, attachments=attached,
    )  # fmt: skip


def on_verify(ctx: HandlerContext, action: ActionItem, step: Step) -> Result:
    """验收 given (verify) or refused (reject: the work goes back to its owner)."""
    line, ref, reason = step.command.line, action.ref, step.command.reason
    rejected = step.decision.move == "reject"
    move(ctx, action, step.decision)
    if rejected:
        action.done_at = None
        change(ctx, action, "action.rejected", reason=reason)
        rework_time(ctx, action)
    else:
        action.verified_at, action.verified_by = ctx.now, ctx.sender_address
        change(ctx, action, "action.verified")
    mailer(ctx, action.meeting).send(
        key=f"acceptance_result:{ref}:{ctx.record.id}", kind="acceptance_result", to=action.owner_address,
        context={"meeting": meeting_view(action.meeting), "action": action_view(action), "by": ctx.sender_address,
                 "rejected": rejected, "reason": reason},
        token_for=ref, meeting_id=action.meeting_id,
    )  # fmt: skip
    code = "rejected" if rejected else "verified"
    return Result(line, code, ok=True, ref=ref, params={"owner": action.owner_address, "reason": reason})


def resolve_target(ctx: HandlerContext, text: str, meeting: Meeting | None = None) -> str | None:
    """The person a 转交/改派 names: an address, or a name from the directory, this mail's headers,
    or the meeting's own people as its minutes wrote them ("A-3 改派 刘洋", 刘洋 an attendee)."""
    known = [(a.name, a.address) for a in ctx.mail.people()]
    if meeting is not None:
        known += [(name, address) for address, name in (meeting.names or {}).items()]
    person, problem = resolve_person(
        text,
        ReadContext(
            calendar=ctx.app.calendar, anchor=ctx.app.today(), directory=people.directory_lookup(ctx.session),
            header_people=known, vocabulary=ctx.app.rules.vocabulary,
        ),
    )  # fmt: skip
    return person.address if person is not None and problem is None else None


def on_delegate(ctx: HandlerContext, action: ActionItem, step: Step) -> Result:
    line, ref, target = step.command.line, action.ref, step.command.target
    new_owner = resolve_target(ctx, target, action.meeting)
    if new_owner is None:
        return Result(line, "unknown_person", ok=False, ref=ref, params={"text": target})
    if refusal := recipient_refusal(ctx.session, ctx.app.config, new_owner):
        return Result(line, "recipient_not_allowed", ok=False, ref=ref, params=refusal)
    move(ctx, action, step.decision)
    action.delegate_address = new_owner
    action.delegate_by = handover_deadline(ctx, action)
    if action.status == Status.AWAITING_CONFIRMATION:
        # The round waits for whoever will hold the action: the owner's "转交" is no consent, and
        # the minutes should not become final in the old owner's name while the new one is asked.
        action.confirm_by = max(action.confirm_by or action.delegate_by, action.delegate_by)
    change(ctx, action, "action.delegated", to=new_owner, deadline=action.delegate_by.isoformat())
    request_confirmation(ctx, action, new_owner, reason="delegated", confirm_by=action.delegate_by)
    return Result(line, "delegated", ok=True, ref=ref, params={"to": new_owner, "by": action.delegate_by})


def handover_deadline(ctx: HandlerContext, action: ActionItem) -> date:
    """How long the delegate has to answer: the policy's confirmation window in working days from
    today, as the first round gets from the day its minutes arrive and as a host's new owner or
    date gets (`reopen`) — the person is asked today, and their silence will count as taking the
    action over. Never the first round's deadline, which is usually long past (the request said
    "请于12月14日前回复" on 12-23). An action whose own round runs longer keeps that end."""
    fresh = ctx.app.calendar.add_workdays(ctx.app.today(), ctx.app.policy.consent.working_days)
    if action.status == Status.AWAITING_CONFIRMATION and action.confirm_by is not None:
        return max(fresh, action.confirm_by)
    return fresh


def request_confirmation(
    ctx: HandlerContext, action: ActionItem, to: str, *, reason: str, confirm_by: date | None = None, **was: Any
) -> None:
    """A repeat request says why it comes and who caused it: "李娜 改期为12月22日（原12月18日）".
    A delegate is asked to take the action over, by their own deadline."""
    by = next(iter(sorted(sender_names(ctx))), "") or ctx.sender_address
    why = {"reason": reason, "by": by, **{k: v for k, v in was.items() if v is not None}}
    ask_to_confirm(mailer(ctx, action.meeting), action.meeting, [action], to, key=f"confirm_request:{action.ref}:{reason}:{to}:{ctx.record.id}",
                   confirm_by=confirm_by or action.confirm_by, why=why, handover=reason == "delegated")  # fmt: skip


def name_of(ctx: HandlerContext, action: ActionItem, address: str, written: Collection[str] = ()) -> str | None:
    """A new owner's name: the directory's, else as the meeting's minutes wrote it, else as their
    own mail's From: gives it; None rather than somebody else's."""
    person = ctx.person(address)
    if person is not None and person.name:
        return person.name
    named = (action.meeting.names or {}).get(address)
    return named or next(iter(sorted(written)), None)


def on_take_over(ctx: HandlerContext, action: ActionItem, step: Step) -> Result:
    """The delegate confirms: the action is theirs from now on."""
    # The new owner's own name, never the old one's on the new address ("Kevin Wu <alex.zhao@…>").
    name = name_of(ctx, action, ctx.sender_address, written=sender_names(ctx))
    previous = hand_over(ctx, action, ctx.sender_address, name)
    change(ctx, action, "action.owner_changed", previous=previous, new=ctx.sender_address)
    move(ctx, action, step.decision)
    return Result(step.command.line, "taken_over", ok=True, ref=action.ref, params={"previous": previous})


def on_decline(ctx: HandlerContext, action: ActionItem, step: Step) -> Result:
    """The delegate will not take it over ("异议：原因" to their request): the delegation ends, and
    the owner — told "对方确认前仍由您负责" — hears that it stays theirs, and why."""
    reason = step.command.reason
    move(ctx, action, step.decision)
    action.delegate_address, action.delegate_by = None, None
    change(ctx, action, "action.delegation_declined", delegate=ctx.sender_address, reason=reason)
    tell_declined(ctx, action, reason)
    return Result(
        step.command.line, "declined", ok=True, ref=action.ref, params={"owner": action.owner_address, "reason": reason}
    )


def tell_declined(ctx: HandlerContext, action: ActionItem, reason: str) -> None:
    """The owner's note that the person they named will not take the action: theirs still, with
    their own commands below (an answer to the round while it awaits one, else their progress)."""
    owner, meeting = action.owner_address, action.meeting
    view = {**remark_view(ctx, Remark(action, [action.ref], [reason]), owner.lower()), "declined": True}
    mailer(ctx, meeting).send(
        key=f"note_notice:{action.ref}:{owner.lower()}:{ctx.record.id}", kind="note_notice", to=owner,
        context={"meeting": meeting_view(meeting), "action": action_view(action), "note": reason,
                 "writer": ctx.sender_address, "writer_name": writer_name(ctx, meeting), "host_copy": False,
                 "audience": "owner" if action.status == Status.AWAITING_CONFIRMATION else "progress",
                 "remarks": [view]},
        token_for=action.ref, meeting_id=meeting.id,
    )  # fmt: skip


def on_withdraw(ctx: HandlerContext, action: ActionItem, step: Step) -> Result:
    move(ctx, action, step.decision)
    change(ctx, action, "action.withdrawn", reason=step.command.reason)
    return resolved(ctx, action, step)


def on_overrule(ctx: HandlerContext, action: ActionItem, step: Step) -> Result:
    move(ctx, action, step.decision)
    action.consent, action.accepted_at = "overruled", ctx.now
    change(ctx, action, "action.overruled", reason=step.command.reason)
    return resolved(ctx, action, step)


def on_reschedule(ctx: HandlerContext, action: ActionItem, step: Step) -> Result:
    command, today = step.command, ctx.app.today()
    text = command.target.partition(":")[2] or command.date_text
    reading = read_date(text, today, ctx.app.calendar)
    if reading.value is None or reading.value < today:
        return Result(command.line, "bad_date", ok=False, ref=action.ref, params={"text": text})
    old_due, action.due = action.due, reading.value
    reopen(ctx, action, step.decision)
    change(ctx, action, "action.rescheduled", old_due=old_due.isoformat(), new_due=reading.value.isoformat())
    request_confirmation(ctx, action, action.owner_address, reason="rescheduled", old_due=old_due)
    result = resolved(ctx, action, step)
    result.params.update(off_day(ctx, reading.value))
    return result


def on_reassign(ctx: HandlerContext, action: ActionItem, step: Step) -> Result:
    text = step.command.target.partition(":")[2]
    new_owner = resolve_target(ctx, text, action.meeting)
    if new_owner is None:
        return Result(step.command.line, "unknown_person", ok=False, ref=action.ref, params={"text": text})
    if refusal := recipient_refusal(ctx.session, ctx.app.config, new_owner):
        return Result(step.command.line, "recipient_not_allowed", ok=False, ref=action.ref, params=refusal)
    previous, action.owner_address = action.owner_address, new_owner
    action.owner_name = name_of(ctx, action, new_owner)
    # The host decided who holds it: a handover the old owner asked for is over (else the named
    # delegate's confirmation, or their silence, would take it from the host's choice).
    action.delegate_address, action.delegate_by = None, None
    settle_requester(action)
    reopen(ctx, action, step.decision)
    change(ctx, action, "action.reassigned", previous=previous, new=new_owner)
    request_confirmation(ctx, action, new_owner, reason="reassigned", previous=name_of(ctx, action, previous))
    return resolved(ctx, action, step)


def resolved(ctx: HandlerContext, action: ActionItem, step: Step) -> Result:
    """The host decided: the minutes may be final now; the answer names the decision as written."""
    confirm_if_settled(mailer(ctx, action.meeting), action.meeting)
    decision = step.command.target.partition(":")[0]
    return Result(
        step.command.line, f"resolved_{decision}", ok=True, ref=action.ref,
        params={"owner": action.owner_address, "due": action.due},
    )  # fmt: skip


def on_reopen(ctx: HandlerContext, action: ActionItem, step: Step) -> Result:
    """The host takes up done, verified or cancelled work again: back to its owner, told by a
    fresh request when it had been cancelled (their yes is needed again)."""
    was = action.status
    if step.decision.to == Status.AWAITING_CONFIRMATION:
        reopen(ctx, action, step.decision)
        request_confirmation(ctx, action, action.owner_address, reason="reopened")
    else:
        move(ctx, action, step.decision)
        action.done_at = None
    change(ctx, action, "action.reopened", previous=was, reason=step.command.reason)
    return resolved(ctx, action, step)


def reopen(ctx: HandlerContext, action: ActionItem, decision: Decision) -> None:
    """A changed owner or date needs a fresh yes: a new, short confirmation round for this action."""
    move(ctx, action, decision)
    action.consent, action.objection_reason = None, None
    action.confirm_by = ctx.app.calendar.add_workdays(ctx.app.today(), ctx.app.policy.consent.working_days)


# What a move does besides taking its status from the life cycle (mailbot/lifecycle.MOVES); any
# other move is `on_move`.
EFFECTS: dict[str, Callable[[HandlerContext, ActionItem, Step], Result]] = {
    "confirm": on_confirm,
    "object": on_object,
    "done": on_done,
    "delay": on_delay,
    "delegate": on_delegate,
    "take_over": on_take_over,
    "decline": on_decline,
    "verify": on_verify,
    "reject": on_verify,
    "withdraw": on_withdraw,
    "overrule": on_overrule,
    "reschedule": on_reschedule,
    "reassign": on_reassign,
    "reopen": on_reopen,
    "approve_delay": on_approve_delay,
}


def approve(ctx: HandlerContext, thread: Thread, command: Command) -> Result:
    meeting = meeting_of(ctx, thread)
    if meeting is None:
        return Result(command.line, "no_target", ok=False)
    if not is_host(ctx, meeting):
        return Result(command.line, "not_host", ok=False, params={"host": meeting.host_address})
    ctx.event("minutes.approved", meeting_id=meeting.id)
    return Result(command.line, "approved", ok=True, params={"meeting": meeting.ref})


def meeting_of(ctx: HandlerContext, thread: Thread) -> Meeting | None:
    if thread.obj and thread.obj.startswith("M-"):
        return ctx.session.get(Meeting, int(thread.obj[2:]))
    if thread.obj and thread.obj.startswith("A-"):
        action = ctx.session.get(ActionItem, int(thread.obj[2:]))
        return action.meeting if action is not None else None
    return None


def minutes_level(ctx: HandlerContext, thread: Thread, command: Command) -> Result:
    """Confirm/object from someone who owns nothing here: an attendee, a department head, the host
    or the recorder speaking for the minutes as a whole. Recorded; an objection goes to whom it
    concerns (`objection_readers`)."""
    meeting = meeting_of(ctx, thread)
    if meeting is None or command.verb not in ("confirm", "object"):
        return Result(command.line, "nothing_yours", ok=False)
    if command.verb == "confirm":
        ctx.event("minutes.confirmed", meeting_id=meeting.id)
        return Result(command.line, "minutes_confirmed", ok=True, params={"meeting": meeting.ref})
    ctx.event("minutes.objected", meeting_id=meeting.id, detail={"reason": command.reason})
    readers = objection_readers(ctx, meeting)
    view = meeting_view(meeting)
    for to in readers:
        recorder = to.lower() == (meeting.recorder_address or "").lower() != (meeting.host_address or "").lower()
        mailer(ctx, meeting).send(
            # The host's key as it always was: a mail read again finds the notice already decided.
            key=f"objection:{meeting.ref}:{ctx.record.id}" + (":recorder" if recorder else ""),
            kind="objection_notice", to=to,
            context={"meeting": view, "action": None, "reason": command.reason, "by": ctx.sender_address,
                     "for_recorder": recorder, "also": [a for a in readers if a != to],
                     # The recorder's move is in the body (send the corrected minutes); the host's
                     # decisions on actions are not theirs to give.
                     **({"audience": "none"} if recorder else {})},
            token_for=meeting.ref, meeting_id=meeting.id,
        )  # fmt: skip
    return Result(
        command.line, "minutes_objected", ok=True,
        params={"meeting": meeting.ref, "reason": command.reason, "sent_to": readers,
                "host": meeting.host_address, "recorder": meeting.recorder_address},
    )  # fmt: skip


def objection_readers(ctx: HandlerContext, meeting: Meeting) -> list[str]:
    """Who hears of an objection to the minutes as a whole: the host, who decides, and the
    recorder, who corrects the minutes — never the writer themselves. The host's own objection
    ("决议第1条写错了，请王芳更正") is an instruction to the recorder; used to go back to the host alone,
    twice (a notice and the answer), and the recorder heard nothing."""
    readers: list[str] = []
    for address in (meeting.host_address, meeting.recorder_address):
        if address and address.lower() not in {ctx.sender_address.lower(), *(r.lower() for r in readers)}:
            readers.append(address)
    return readers
