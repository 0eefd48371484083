"""Every kind of mail the bot can decide, listed once.

A kind is the stable key a handler or job hands the outbox (`kind="reminder"`); the renderer
turns it into `KIND.txt` (subject line, then the text body) and `KIND.html`, looked up in the
language's folder of templates/, then the fallback language's, then templates/ itself (a layout
shared by every language). The renderer checks at start that every kind listed here has both
files in every language, so a missing template stops the start instead of failing a mail in the
middle of a handler; it refuses to render a kind that is not listed. tests/test_languages.py
checks that every `kind="…"` the code decides is listed here.

Adding a kind: a line here, `KIND.txt` in every language folder (or in the fallback's only, for a
language that may borrow it) and `KIND.html` there or once at templates/ root.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

KINDS: Mapping[str, str] = MappingProxyType(
    {
        # Answers to the mail in hand (handlers), threaded to it.
        "agenda_ack": "an agenda was read: what was stored, with any warnings",
        "agenda_rejected": "an agenda could not be read: what to fix",
        "minutes_ack": "a minutes draft was read: the actions and who was asked",
        "minutes_rejected": "a minutes draft could not be read: what to fix",
        "reply_result": "a reply's commands were applied",
        "reply_refused": "a reply's commands were refused, and why",
        "status": "the sender's open actions (the 我的任务 / status command)",
        "help": "what the bot reads (the 帮助 / help command, or a mail it did not understand)",
        "too_big": "a mail or draft over the limits",
        "processing_error": "a mail that failed inside the bot",
        "sender_check": "a mail that would change something, from a sender nothing proved: was it you?",
        # Mails to other people, decided by a handler.
        "agenda_notice": "an attendee is told of a new agenda, or of what a corrected one changed",
        "agenda_cancel": "someone a corrected agenda no longer lists: no need to attend, calendar entry cancelled",
        "confirm_request": "an owner is asked to confirm their actions (silence is consent)",
        "minutes_notice": "a party to the meeting receives the minutes draft",
        "objection_notice": "the host learns of an objection",
        "acceptance_request": "the requester is asked to verify delivered work (验收)",
        "acceptance_result": "the owner learns whether the work was verified",
        "final_minutes": "everyone receives the final minutes (正式版)",
        "delay_notice": "the host learns at once that an owner delayed an action (old date, new date, reason)",
        "note_notice": "the host and the owner get what someone wrote in words about an action (a note)",
        "away_notice": "the host learns an owner is away and the deadline moved",
        "bounce_notice": "the host learns mail to a person bounces",
        # Mails the periodic jobs decide.
        "objections_open": "the round closed with objections the host must decide",
        "minutes_late": "the recorder is reminded the minutes are late",
        "reminder": "an owner is reminded of a due date",
        "escalation": "an overdue action goes to the department head",
        "acceptance_reminder": "the requester is reminded to verify",
        "digest": "the Monday status mail",
        "forgery_notice": "the admin learns that someone sent a mail in another person's name",
        # From the outbox itself.
        "delivery_failed": "the admin learns a mail could not be delivered",
        # From the group robots' delivery (mailbot/groups.py).
        "group_post_failed": "the admin learns a project group's robot refused posts (at most once a day per robot)",
    }
)

# The two files every kind has, in every language (after fallback).
EXTENSIONS = ("txt", "html")
