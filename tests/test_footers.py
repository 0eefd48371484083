"""The command footer lists the commands of the person reading it (issue 13, item 4): the host's
decisions on mails that bring the host a decision, the verifier's on a 验收 request, the owner's
on what asks an owner, and nothing on a mail that expects no reply."""

from __future__ import annotations

from typing import Any

import pytest

from mailbot.kinds import KINDS
from mailbot.render import Renderer
from tests.test_inert import ACTION, COMMON, PARAMS, TEMPLATES, samples

OWNER = {"zh": "回复“确认”“异议：原因”", "en": 'reply "confirm", "object: reason"'}
HOST = {"zh": "回复“A-1 改期 日期”“A-1 改派 姓名”", "en": 'reply "A-1 reschedule DATE", "A-1 reassign NAME"'}
VERIFIER = {"zh": "回复“验收通过”或“验收不通过：原因”", "en": 'reply "verified" or "rejected: reason"'}
PROGRESS = {"zh": "回复“进行中”“完成”“延期至 日期", "en": 'reply "in progress", "done", "delay to DATE'}
HOST_KINDS = {"objection_notice", "delay_notice", "away_notice", "bounce_notice", "objections_open"}
VERIFIER_KINDS = {"acceptance_request", "acceptance_reminder"}
# Work already agreed: the owner's progress commands, not "confirm" or "object" again.
PROGRESS_KINDS = {"reminder", "final_minutes", "acceptance_result"}
# An owner's reply, as the transcript lists it (handlers/reply.py: finish).
OWNER_REPLY = {"line": "确认", "code": "confirmed", "ok": True, "ref": "A-2", "params": {}}
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
    if kind in {"reply_result", "reply_refused"}:
        context = {**context, "results": [OWNER_REPLY]}  # the samples' results hold every code
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


# Hand trial 14, item 3 -------------------------------------------------------------------------------

# What a host may answer to each mail (hand trial 21: "同意延期" under a delay that needed no
# approval answered "Nothing to approve"): 改期, 改派 and 撤销 always; 维持 where an objection waits;
# 同意延期 where a delay waits for approval; 重新打开 where a withdrawn action may come back.
A2_OBJECTION = {
    "zh": "回复“A-2 改期 日期”“A-2 改派 姓名”“A-2 撤销”“A-2 维持”，",
    "en": 'reply "A-2 reschedule DATE", "A-2 reassign NAME", "A-2 overrule" or "A-2 withdraw", or',
}
A2_MOVES = {
    "zh": "回复“A-2 改期 日期”“A-2 改派 姓名”“A-2 撤销”，",
    "en": 'reply "A-2 reschedule DATE", "A-2 reassign NAME" or "A-2 withdraw", or',
}
A2_APPROVAL = {
    "zh": "回复“A-2 改期 日期”“A-2 改派 姓名”“A-2 撤销”“同意延期”，",
    "en": 'reply "A-2 reschedule DATE", "A-2 reassign NAME", "approve delay" or "A-2 withdraw", or',
}
A2 = {"zh": "回复“A-2 改期 日期”“A-2 改派 姓名”“A-2 撤销”“A-2 维持”“同意延期”“A-2 重新打开”，",
      "en": 'reply "A-2 reschedule DATE", "A-2 reassign NAME", "A-2 overrule", "approve delay", "A-2 reopen" or '
            '"A-2 withdraw", or'}  # fmt: skip
EXPECTED = {"objection_notice": A2_OBJECTION, "objections_open": A2_OBJECTION, "delay_notice": A2_MOVES,
            "escalation": A2_MOVES, "away_notice": A2_MOVES, "bounce_notice": A2_MOVES, "note_notice": A2}  # fmt: skip
PLACEHOLDER = {
    "zh": "回复“A-编号 改期 日期”“A-编号 改派 姓名”",
    "en": 'reply "A-n reschedule DATE", "A-n reassign NAME"',
}
A_2 = {**ACTION, "ref": "A-2"}


def both(renderer: Renderer, kind: str, language: str, context: dict[str, Any]) -> str:
    text, html = footer(renderer, kind, language, context)
    return text + "\n" + html.replace("&#34;", '"')


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("objection_notice", {"action": A_2}),
        ("delay_notice", {"action": A_2}),
        ("escalation", {"action": A_2, "audience": "host"}),
        ("note_notice", {"action": A_2, "audience": "host"}),
        ("away_notice", {"action": None, "actions": [A_2]}),
        ("bounce_notice", {"actions": [A_2]}),
        ("objections_open", {"objections": [A_2]}),
    ],
)
def test_the_hosts_commands_name_the_action_the_mail_is_about(
    renderer: Renderer, kind: str, extra: dict[str, Any], language: str
) -> None:
    """A mail about A-2 in a meeting where A-1 is a real action: "A-2 改期", not "A-1 改期"."""
    words = both(renderer, kind, language, {**samples()[kind][0], **extra})
    assert EXPECTED[kind][language] in words and "A-1 " not in words, words


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_delay_waiting_for_approval_offers_to_approve_it_one_in_force_does_not(
    renderer: Renderer, language: str
) -> None:
    notice = {**samples()["delay_notice"][0], "action": A_2}
    assert A2_APPROVAL[language] in both(renderer, "delay_notice", language, {**notice, "approval": True})
    words = both(renderer, "delay_notice", language, notice)
    assert A2_MOVES[language] in words and ("同意延期" not in words if language == "zh" else "approve" not in words)


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("objection_notice", {"action": None}),  # an objection to the minutes as a whole
        ("away_notice", {"action": None, "actions": [ACTION, A_2]}),
        ("bounce_notice", {"actions": []}),
        ("objections_open", {"objections": [ACTION, A_2]}),
    ],
)
def test_without_one_action_the_hosts_commands_carry_a_placeholder(
    renderer: Renderer, kind: str, extra: dict[str, Any], language: str
) -> None:
    words = both(renderer, kind, language, {**samples()[kind][0], **extra})
    assert PLACEHOLDER[language] in words and "A-1 " not in words and "A-2 " not in words, words


def reply_footer(renderer: Renderer, language: str, kind: str, codes: list[str], **extra: object) -> str:
    results = [{"line": f"A-2 {code}", "code": code, "ok": kind == "reply_result", "ref": "A-2",
                "params": {**PARAMS, "parts": []}}
               for code in codes]  # fmt: skip
    context = {**samples()[kind][0], "results": results, **extra}
    return both(renderer, kind, language, context)


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("kind", ["reply_result", "reply_refused"])
def test_the_answer_to_a_reply_lists_the_commands_of_what_the_reply_did(
    renderer: Renderer, kind: str, language: str
) -> None:
    """A host's decisions get the host's commands (about the action decided), a verifier's 验收 the
    verifier's, an owner's answers the owner's; a context's own `audience` wins."""
    for codes in (["resolved_withdraw"], ["delay_approved"], ["resolved_due", "confirmed"], ["resolve_needs_date"]):
        words = reply_footer(renderer, language, kind, codes)
        assert A2[language] in words and OWNER[language] not in words, (codes, words)
    for codes in (["verified"], ["rejected"], ["reject_needs_reason"]):
        words = reply_footer(renderer, language, kind, codes)
        assert VERIFIER[language] in words and OWNER[language] not in words, (codes, words)
    for codes in (["confirmed"], ["objected"], ["done"], ["delayed"], ["object_needs_reason"]):
        words = reply_footer(renderer, language, kind, codes)
        assert OWNER[language] in words and HOST[language] not in words, (codes, words)
    several = [{"line": "A-2 撤销\nA-3 撤销", "code": "several", "ok": True, "ref": None,
                "params": {"parts": [{"code": "resolved_withdraw", "ref": "A-2", "params": {}},
                                     {"code": "resolved_withdraw", "ref": "A-3", "params": {}}]}}]  # fmt: skip
    words = both(renderer, kind, language, {**samples()[kind][0], "results": several})
    assert PLACEHOLDER[language] in words, words
    words = reply_footer(renderer, language, kind, ["resolved_withdraw"], audience="owner")
    assert OWNER[language] in words and HOST[language] not in words


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_owners_reply_that_made_the_minutes_final_lists_progress(renderer: Renderer, language: str) -> None:
    final = samples()["reply_result"][1]["final"]
    words = reply_footer(renderer, language, "reply_result", ["confirmed"], final=final)
    assert PROGRESS[language] in words and OWNER[language] not in words, words


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_verified_action_is_closed_no_progress_commands_a_rejected_one_keeps_them(
    renderer: Renderer, language: str
) -> None:
    verified, rejected = (
        both(renderer, "acceptance_result", language, {**samples()["acceptance_result"][0], "rejected": r})
        for r in (False, True)
    )
    for words in (OWNER, HOST, VERIFIER, PROGRESS):
        assert words[language] not in verified, verified
    assert PROGRESS[language] in rejected
