"""The people corpus (tests/people_corpus.py): replies, minutes and agendas written the way people
write them, each handled right. A case that shows a product bug is xfail(strict) with the bug."""

from __future__ import annotations

import pytest

from mailbot.app import App
from mailbot.clock import FixedClock
from tests.people_corpus import DRAFTS, REPLIES, Draft, Reply, check_draft, check_reply

# Twenty replies of every class, fed on PostgreSQL too.
ON_POSTGRES = [
    "confirm-outlook-signature", "confirm-question-below", "confirm-comment-same-line", "traditional-delay",
    "traditional-verify", "english-object", "english-thanks", "object-remark-below", "delay-reason-colon",
    "delegate-take-over", "progress-done-attachment", "host-reassign-objected", "host-withdraw-remark",
    "host-escalation-words", "verify-rejected-remark", "reminder-words", "ack-receipt-iphone",
    "greeting-attendee-thanks", "mixed-fullwidth-space-ref", "notes-words-after-silence",
]  # fmt: skip


def param(case: Reply | Draft) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("case", [param(c) for c in REPLIES])
def test_reply(app: App, clock: FixedClock, case: Reply) -> None:
    problems = check_reply(app, clock, case)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("case", [param(c) for c in DRAFTS])
def test_draft(app: App, clock: FixedClock, case: Draft) -> None:
    problems = check_draft(app, clock, case)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("case", [param(c) for c in REPLIES if c.id in ON_POSTGRES])
def test_reply_on_postgres(app: App, clock: FixedClock, case: Reply) -> None:
    problems = check_reply(app, clock, case)
    assert not problems, "\n".join(problems)


def test_the_corpus_is_big_enough() -> None:
    assert len(REPLIES) >= 150 and len(DRAFTS) >= 20
    assert len([c for c in REPLIES if c.id in ON_POSTGRES]) == len(ON_POSTGRES) == 20
    assert not [c.id for c in REPLIES if c.id in ON_POSTGRES and c.bug]
