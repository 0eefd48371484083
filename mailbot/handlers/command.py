"""Mails that ask something of the bot: `status`/`我的任务` (my open actions), `help`/`帮助`,
and anything the bot could not place, which gets the help text once (rate-limited)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from mailbot.handlers.base import HandlerContext, Outcome
from mailbot.lifecycle import OPEN, Status
from mailbot.meetings import action_view
from mailbot.replies.commands import CommandVocabulary, read_commands
from mailbot.store.models import ActionItem
from mailbot.workflow.reminders import overdue_working_days


def bare_command(line: str, vocabulary: CommandVocabulary) -> str | None:
    """ "status" or "help" when the line is only that command, read with the reply commands'
    own words (rules/commands.toml): one vocabulary for new mails and replies."""
    commands, rest = read_commands(line, vocabulary)
    if len(commands) == 1 and not rest and commands[0].ref is None and commands[0].verb in ("status", "help"):
        return commands[0].verb
    return None


def handle_command(ctx: HandlerContext) -> Outcome:
    first = next((line.strip() for line in ctx.mail.body_text.splitlines() if line.strip()), "")
    words = ctx.app.rules.commands
    if (bare_command(first, words) or bare_command(ctx.mail.subject, words)) == "status":
        context = {"actions": open_actions(ctx), "to_verify": to_verify(ctx), "today": ctx.app.today()}
        ctx.answer(kind="status", context=context)
        return Outcome("answered", "command")
    # The person asked for the guide ("帮助", "help"): it opens as one, not as "I did not understand".
    ctx.answer(kind="help", context={"reason": "asked"})
    return Outcome("answered", "command")


def open_actions(ctx: HandlerContext) -> list[dict[str, Any]]:
    """The sender's open actions, soonest due first, with working days overdue (derived, never
    stored; counted as reminders and escalations count them)."""
    today, calendar = ctx.app.today(), ctx.app.calendar
    rows = ctx.session.scalars(
        select(ActionItem)
        .where(ActionItem.owner_address == ctx.sender_address, ActionItem.status.in_(OPEN))
        .order_by(ActionItem.due, ActionItem.id)
    )
    return [{**action_view(a), "overdue_days": overdue_working_days(calendar, a.due, today)} for a in rows]


def to_verify(ctx: HandlerContext) -> list[dict[str, Any]]:
    """Done actions waiting for the sender's 验收, oldest first."""
    rows = ctx.session.scalars(
        select(ActionItem)
        .where(ActionItem.requester_address == ctx.sender_address, ActionItem.status == Status.DONE)
        .order_by(ActionItem.done_at, ActionItem.id)
    )
    return [{**action_view(a), "done_on": a.done_at.astimezone(ctx.app.config.tz).date() if a.done_at else None}
            for a in rows]  # fmt: skip


def handle_unknown(ctx: HandlerContext, reason: str) -> Outcome:
    """Recorded and answered once with the help text, within the per-address hourly limit."""
    sent = ctx.answer(kind="help", context={"reason": reason}, rate_limited=True)
    return Outcome("answered" if sent else "ignored", "unknown", error=reason)
