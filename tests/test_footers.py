"""The command footer lists the commands of the person reading it (issue 13, item 4): the host's
decisions on mails that bring the host a decision, the verifier's on a 验收 request, the owner's
on what asks an owner, and nothing on a mail that expects no reply."""

from __future__ import annotations

import pytest

from mailbot.kinds import KINDS
from mailbot.render import Renderer
from tests.test_inert import COMMON, TEMPLATES, samples

OWNER = {"zh": "回复“确认”“异议：原因”", "en": 'reply "confirm", "object: reason"'}
HOST = {"zh": "回复“A-1 改期 日期”“A-1 改派 姓名”", "en": 'reply "A-1 reschedule DATE", "A-1 reassign NAME"'}
VERIFIER = {"zh": "回复“验收通过”或“验收不通过：原因”", "en": 'reply "verified" or "rejected: reason"'}
PROGRESS = {"zh": "回复“进行中”“完成”“延期至 日期", "en": 'reply "in progress", "done", "delay to DATE'}
HOST_KINDS = {"objection_notice", "delay_notice", "away_notice", "bounce_notice", "objections_open"}
VERIFIER_KINDS = {"acceptance_request", "acceptance_reminder"}
# Work already agreed: the owner's progress commands, not "confirm" or "object" again.
PROGRESS_KINDS = {"reminder", "final_minutes", "acceptance_result"}
# Mails that ask nothing, or a question of their own (the sender check has its own yes/no).
BARE_KINDS = {"agenda_notice", "agenda_cancel", "escalation", "minutes_late", "digest", "sender_check",
              "forgery_notice", "delivery_failed", "group_post_failed", "agenda_ack", "minutes_ack", "agenda_rejected",
              "minutes_rejected", "too_big", "processing_error", "status", "help", "minutes_notice"}  # fmt: skip


def footer(renderer: Renderer, kind: str, language: str, context: dict) -> tuple[str, str]:  # type: ignore[type-arg]
    text, html = renderer.render_body(kind, language, {**context, **COMMON})
    return text.rsplit("\n--\n", 1)[-1], html.rsplit("<p style=", 1)[-1]


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(TEMPLATES)


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_footer_lists_the_readers_commands(renderer: Renderer, kind: str, language: str) -> None:
    context = samples()[kind][0]
    if kind in {"agenda_notice", "digest"}:
        context = {**context, "no_reply": True}
    text, html = footer(renderer, kind, language, context)
    expected = (
        HOST
        if kind in HOST_KINDS
        else VERIFIER
        if kind in VERIFIER_KINDS
        else PROGRESS
        if kind in PROGRESS_KINDS
        else None
    )
    if kind in BARE_KINDS:
        for words in (OWNER, HOST, VERIFIER, PROGRESS):
            assert words[language] not in text and words[language] not in html.replace("&#34;", '"'), (kind, text)
        return
    expected = expected or OWNER
    assert expected[language] in text and expected[language] in html.replace("&#34;", '"'), (kind, text)
    for other in (OWNER, HOST, VERIFIER, PROGRESS):
        if other is not expected:
            assert other[language] not in text, (kind, text)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_note_goes_to_the_host_with_the_hosts_commands_and_to_the_owner_with_the_owners(
    renderer: Renderer, language: str
) -> None:
    note = samples()["note_notice"][0]
    host_text, _ = footer(renderer, "note_notice", language, {**note, "audience": "host"})
    owner_text, _ = footer(renderer, "note_notice", language, {**note, "audience": "owner"})
    assert HOST[language] in host_text and OWNER[language] not in host_text
    assert OWNER[language] in owner_text and HOST[language] not in owner_text


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_hosts_copy_of_an_escalation_lists_the_hosts_commands_the_heads_none(
    renderer: Renderer, language: str
) -> None:
    escalation = samples()["escalation"][0]
    host_text, _ = footer(renderer, "escalation", language, {**escalation, "audience": "host"})
    head_text, _ = footer(renderer, "escalation", language, {**escalation, "audience": "none"})
    assert HOST[language] in host_text
    assert all(words[language] not in head_text for words in (OWNER, HOST, VERIFIER))
