"""What every handler gets (the mail, its record, one open transaction) and returns."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, func, select

from mailbot.addresses import is_valid_address
from mailbot.classify import REPLY_PREFIX
from mailbot.message import InboundMail
from mailbot.notify import Notifier
from mailbot.outbox import MAX_NAME_CHARS, Attachment, insert_one, one_line, outbox_values
from mailbot.proof import SenderProof
from mailbot.store.models import InboundMail as InboundRecord
from mailbot.store.models import OutboxMail

HAN = re.compile(r"[\u4e00-\u9fff]")
LETTERS = re.compile(r"[A-Za-z]{2,}")


def enough_words(written: str) -> bool:
    """Enough written to tell a person's language for good: three words, or four Han characters."""
    return len(LETTERS.findall(written)) >= 3 or len(HAN.findall(written)) >= 4


# An answer's subject quotes the mail's own: the first words, not a 2 MB subject back.
ECHOED_SUBJECT_CHARS = 120
# Answers to a draft that a person corrects and sends again: new words earn a new answer.
CORRECTABLE = ("minutes_rejected", "agenda_rejected")
ERROR_KINDS = ("help", "minutes_rejected", "agenda_rejected", "processing_error", "reply_refused", "too_big")


# Built once, the values bound at each execution (building a statement costs more than running it).
_ANSWERED_LANGUAGE = (
    select(OutboxMail.language).where(OutboxMail.message_id.in_(bindparam("ids", expanding=True))).limit(1)
)
_SAID_BEFORE = (
    select(InboundRecord.id)
    .where(
        InboundRecord.sender == bindparam("sender"),
        InboundRecord.body_hash == bindparam("body_hash"),
        InboundRecord.id != bindparam("record_id"),
        InboundRecord.received_at >= bindparam("since"),
    )
    .limit(1)
)
_ERROR_ANSWERS = select(func.count(OutboxMail.id)).where(
    OutboxMail.to_address == bindparam("to_address"),
    OutboxMail.kind.in_(ERROR_KINDS),
    OutboxMail.created_at >= bindparam("since"),
)


# What our answers add after the subject they echo (templates/*/KIND.txt): a reply to an answer
# echoes the person's subject, not a pile of our states ("— 未执行 — 处理结果").
OUR_SUFFIX = re.compile(
    r"\s+—\s+(?:处理结果|未执行|处理失败|议程未登记|请确认是您本人发送|已登记 M-\d+|纪要第 \d+ 版已生效.*|纪要第 \d+ 版已收到.*|纪要未生效.*"
    r"|您的未完成行动项.*|.*使用说明|正文过长.*|邮件过大.*|done|recorded|result|not applied|could not be processed"
    r"|agenda not recorded|minutes not accepted.*|minutes v\d+ in force.*|minutes v\d+ received.*|please confirm you sent this"
    r"|recorded as M-\d+|too (?:long|big).*|your open actions.*|how to use .*)$",
    re.IGNORECASE,
)


def echoed_subject(subject: str) -> str:
    """The person's subject as an answer echoes it: reply prefixes and the states our earlier
    answers added taken off (the token tag stays: a reply to the answer still names the request)."""
    text = REPLY_PREFIX.sub("", subject)
    while True:
        shorter = REPLY_PREFIX.sub("", OUR_SUFFIX.sub("", text)).strip()
        if shorter == text.strip():
            break
        text = shorter
    return one_line(text, ECHOED_SUBJECT_CHARS)


@dataclass(frozen=True)
class Outcome:
    outcome: str  # processed | rejected | ignored | answered | failed
    kind: str
    error: str | None = None
    meeting_id: int | None = None


@dataclass(kw_only=True)
class HandlerContext(Notifier):
    """A Notifier with a mail in hand: answers go to its sender, events name it."""

    mail: InboundMail
    record: InboundRecord
    _language: str | None = None
    _written: str | None = None
    # Set when the sender confirmed a held mail by answering our question (handlers/held.py):
    # that answer is the proof.
    confirmed_by_reply: bool = False
    _proof: SenderProof | bool | None = False  # False: not looked at yet

    def __post_init__(self) -> None:
        self.inbound_mail_id = self.record.id
        self.actor = self.sender_address or None

    @property
    def sender_address(self) -> str:
        return self.mail.sender.address if self.mail.sender else ""

    def sender_proof(self) -> SenderProof | None:
        """What proves the sender wrote this mail (mailbot/handlers/trust.py); looked at once."""
        if self._proof is False:
            from mailbot.handlers.trust import sender_proof

            self._proof = sender_proof(self)
        return self._proof  # type: ignore[return-value]

    def sender_proven(self) -> bool:
        return self.sender_proof() is not None

    def sender_language(self) -> str:
        """The directory's word first (a language with a folder); else the language the person just
        wrote in — what they wrote, not the mail of ours they quote nor its subject: Chinese when
        it holds Han characters, English when it holds other letters; with nothing written, the
        language they last wrote in, else of our mail they answer. `remember_language` keeps it
        for the next mails to them."""
        if self._language is None:
            languages = self.app.languages
            person = self.person(self.sender_address)
            if person is not None and person.language_from_directory and person.language in languages:
                self._language = person.language
                return self._language
            written = self.written_text()[:2000]
            if HAN.search(written):
                self._language = languages.pick("zh")
            elif LETTERS.search(written):
                self._language = languages.pick("en")
            elif person is not None and person.language in languages:
                self._language = person.language  # what they wrote in last time
            else:
                answered = self.answered_language()
                sample = f"{self.mail.subject}\n{self.mail.body_text[:2000]}"
                guess = "zh" if HAN.search(sample) else ("en" if sample.strip() else self.app.config.bot.language)
                self._language = languages.pick(answered or guess)
        return self._language

    def remember_language(self) -> None:
        """Keep the language the person wrote this mail in for the next mails to them, never over
        the directory's. Called for what people write to the bot themselves, not for a draft: an
        agenda or minutes is written in the meeting's language, for its audience (李娜 writing
        one English draft for a foreign partner still reads Chinese)."""
        if self._language is None:
            return  # nothing was said in a language of their own
        person = self.person(self.sender_address)
        # One command word ("status", "确认") is weak evidence: remembered from a few words on.
        if (
            person is not None
            and not person.language_from_directory
            and person.language != self._language
            and enough_words(self.written_text()[:2000])
            and self.sender_proven()
        ):
            person.language, person.language_source = self._language, "mail"

    def written_text(self) -> str:
        """What the person wrote: quotes, our marker and what follows cut (once per mail: the
        pipeline hands in what it cut for the record's hash)."""
        if self._written is None:
            from mailbot.replies.quotes import strip_reply

            self._written = strip_reply(
                self.mail.body_text, markers=self.app.reply_markers, rules=self.app.rules.quotes
            )
        return self._written

    def answered_language(self) -> str | None:
        """The language of our mail this one answers, if it answers one."""
        ids = [*self.mail.in_reply_to, *self.mail.references][-20:]
        if not ids:
            return None
        return self.session.scalar(_ANSWERED_LANGUAGE, {"ids": ids})

    def default_language(self) -> str:
        # People in a meeting whose minutes were written in English most likely read English.
        return self.sender_language()

    def answer(
        self,
        *,
        kind: str,
        context: dict[str, Any],
        token_for: str | None = None,
        meeting_id: int | None = None,
        rate_limited: bool = False,
        attachments: Sequence[Attachment] = (),
    ) -> bool:
        """The answer to the mail in hand: threaded to it, marked auto-replied, one per mail and kind."""
        values = self.prepare_answer(
            kind=kind, context=context, token_for=token_for, meeting_id=meeting_id, rate_limited=rate_limited,
            attachments=attachments,
        )  # fmt: skip
        if values is None:
            return False
        written = insert_one(self.session, values)
        if written:
            self.sent.append(f"answer:{kind}")
        return written

    def prepare_answer(
        self,
        *,
        kind: str,
        context: dict[str, Any],
        token_for: str | None = None,
        meeting_id: int | None = None,
        rate_limited: bool = False,
        attachments: Sequence[Attachment] = (),
    ) -> dict[str, Any] | None:
        """The answer's outbox row (as `answer` writes it), not yet written: for a handler that
        writes it with its other mails in one statement (Notifier.send_prepared). None when no
        answer may go (the event says why)."""
        to = self.sender_address
        if not is_valid_address(to):
            # No server takes it (`a@corp_x.example`): an answer would only fail, and tell the admin.
            self.event("answer.suppressed", detail={"kind": kind, "reason": "sender address cannot be written to"})
            return None
        if rate_limited and (reason := self.answer_limited(to, kind)):
            self.event("answer.suppressed", detail={"kind": kind, "reason": reason})
            return None
        token = self.token(token_for, to) if token_for else None
        references = (*self.mail.references, self.mail.message_id) if self.mail.message_id else self.mail.references
        return outbox_values(
            self.app.renderer,
            self.app.sender,
            key=f"answer:{kind}:{self.record.id}",
            kind=kind,
            to_address=to,
            to_name=one_line(self.mail.sender.name, MAX_NAME_CHARS)
            if self.mail.sender and self.mail.sender.name
            else None,
            language=self.sender_language(),
            context={
                **context,
                "token": token,
                "original_subject": echoed_subject(self.mail.subject),
                **self.common(to),
            },
            now=self.now,
            in_reply_to=self.mail.message_id,
            references=references[-10:],
            reply_token=token,
            auto_submitted="auto-replied",
            meeting_id=meeting_id,
            inbound_mail_id=self.record.id,
            attachments=attachments,
        )

    def answer_limited(self, address: str, kind: str) -> str | None:
        """Why an error answer to `address` is withheld now, or None to send it. The first few an
        hour go out whatever was written; after that only a draft's rejection with new words is
        answered (a recorder's fourth corrected draft), and the same words again are a loop. Help
        and failure answers stay at the first few: an auto-responder that numbers its tickets
        writes new words every time."""
        answers = self.app.policy.answers
        sent = self.error_answers_last_hour(address)
        if sent < answers.error_answers_per_hour:
            return None
        if kind not in CORRECTABLE or sent >= answers.new_content_answers_per_hour:
            return "rate limit"
        if self.record.body_hash is None or self.said_before(address, self.record.body_hash):
            return "repeated content"
        return None

    def said_before(self, address: str, body_hash: str) -> bool:
        since = self.now - timedelta(hours=1)
        values = {"sender": address, "body_hash": body_hash, "record_id": self.record.id, "since": since}
        return self.session.scalar(_SAID_BEFORE, values) is not None

    def error_answers_last_hour(self, address: str) -> int:
        since = self.now - timedelta(hours=1)
        return int(self.session.scalar(_ERROR_ANSWERS, {"to_address": address, "since": since}) or 0)
