"""The action life cycle as a table: every (verb, status, role) allowed or refused, and every status
with its words in every language and its place in the digest and the tracking table.

The grid below is the specification written out by hand; mailbot/lifecycle.py must agree with it
cell by cell. A change of the life cycle changes both, on purpose.
"""

from __future__ import annotations

import ast
import csv
import io
from datetime import date
from pathlib import Path

import pytest

from mailbot import exports, lifecycle
from mailbot.config import PACKAGE_ROOT
from mailbot.errors import ConfigError
from mailbot.lifecycle import (
    DIGEST_LEAVES_OUT,
    DIGEST_ORDER,
    MOVES,
    VERBS,
    Role,
    Status,
    decide,
    load_status_words,
    status_words,
)
from mailbot.render import Renderer

S = Status
SHORT = {
    "PRO": S.PROPOSED, "AWA": S.AWAITING_CONFIRMATION, "ACC": S.ACCEPTED, "PRG": S.IN_PROGRESS, "DON": S.DONE,
    "VER": S.VERIFIED, "OBJ": S.OBJECTED, "DEL": S.DELAYED, "CAN": S.CANCELLED,
}  # fmt: skip

# What a role that may use the verb gets, per status: a new status (upper case; "*": the owner's
# explicit yes is recorded on the way; "PRG|DEL": DEL when the action had been delayed) or a
# refusal code (lower case). `=` keeps the status.
GRID = """
             PRO        AWA        ACC        PRG        DON        VER        OBJ        DEL        CAN
confirm      already    ACC*       already    already    already    already    ACC*       already    already
object       wrong      OBJ        OBJ        wrong      wrong      wrong      wrong      wrong      wrong
in_progress  wrong      PRG*       PRG        wrong      wrong      wrong      wrong      PRG        wrong
done         wrong      DON*       DON        DON        wrong      wrong      wrong      DON        wrong
delay        wrong      DEL        DEL        DEL        wrong      wrong      wrong      DEL        wrong
delegate     wrong      =          =          =          wrong      wrong      wrong      =          wrong
take_over    =          ACC*       =          =          =          =          ACC*       =          =
decline      =          =          =          =          =          =          =          =          =
verify       not_done   not_done   not_done   not_done   VER        already    not_done   not_done   not_done
reject       not_done   not_done   not_done   not_done   PRG|DEL    already    not_done   not_done   not_done
withdraw     wrong      CAN        CAN        CAN        CAN        wrong      CAN        CAN        already
overrule     no_obj     no_obj     no_obj     no_obj     no_obj     no_obj     ACC        no_obj     no_obj
reschedule   wrong      AWA        AWA        AWA        wrong      wrong      AWA        AWA        wrong
reassign     wrong      AWA        AWA        AWA        wrong      wrong      AWA        AWA        wrong
reopen       wrong      wrong      wrong      wrong      PRG        PRG        wrong      wrong      AWA
approve_delay wrong     DEL        DEL        DEL        wrong      wrong      wrong      DEL        wrong
lapse        wrong      ACC        wrong      wrong      wrong      wrong      wrong      wrong      wrong
hand_over    wrong      =          =          =          wrong      wrong      wrong      =          wrong
"""
CODES = {"wrong": "wrong_state", "no_obj": "no_objection"}

OWNERS = {Role.OWNER, Role.PROXY, Role.ADMIN}
VERIFIERS = {Role.REQUESTER, Role.HOST, Role.ADMIN}
HOSTS = {Role.HOST, Role.ADMIN}
# Who may use each verb, and the refusal everyone else gets.
WHO = {
    "confirm": (OWNERS, "not_owner"), "object": (OWNERS, "not_owner"), "in_progress": (OWNERS, "not_owner"),
    "done": (OWNERS, "not_owner"), "delay": (OWNERS, "not_owner"), "delegate": (OWNERS, "not_owner"),
    "take_over": ({Role.DELEGATE}, "not_owner"), "decline": ({Role.DELEGATE}, "not_owner"),
    "verify": (VERIFIERS, "not_requester"), "reject": (VERIFIERS, "not_requester"),
    "withdraw": (HOSTS, "not_host"), "overrule": (HOSTS, "not_host"), "reschedule": (HOSTS, "not_host"),
    "reassign": (HOSTS, "not_host"), "reopen": (HOSTS, "not_host"), "approve_delay": (HOSTS, "not_host"),
    "lapse": ({Role.BOT}, "not_bot"), "hand_over": ({Role.BOT}, "not_bot"),
}  # fmt: skip


def grid() -> dict[tuple[str, Status], str]:
    lines = [line.split() for line in GRID.strip().splitlines()]
    columns = [SHORT[c] for c in lines[0]]
    return {(row[0], status): cell for row in lines[1:] for status, cell in zip(columns, row[1:], strict=True)}


CELLS = grid()


def meant(verb: str, status: Status, role: Role) -> str:
    """The reply words that mean another move from this person: a delegate's confirm takes the
    action over and their object declines it; a verifier's confirm/object on done work is 验收
    given or refused."""
    if verb == "confirm" and role == Role.DELEGATE:
        return "take_over"
    if verb == "object" and role == Role.DELEGATE:
        return "decline"
    if verb in ("confirm", "object") and status == S.DONE and role in VERIFIERS:
        return {"confirm": "verify", "object": "reject"}[verb]
    return verb


def expected(verb: str, status: Status, role: Role, *, was_delayed: bool = False) -> tuple[str, Status | str, bool]:
    """(move, new status or refusal code, explicit yes recorded)."""
    move = meant(verb, status, role)
    who, refusal = WHO[move]
    if role not in who:
        return move, refusal, False
    cell = CELLS[(move, status)]
    if cell == "=":
        return move, status, False
    if cell.islower():
        return move, CODES.get(cell, cell), False
    plain, _, delayed = cell.partition("|")
    chosen = (delayed or plain) if was_delayed else plain
    return move, SHORT[chosen.rstrip("*")], chosen.endswith("*")


CASES = [(verb, status, role) for verb in WHO for status in Status for role in Role]


def test_the_grid_and_the_module_name_the_same_verbs_and_statuses() -> None:
    assert set(WHO) == set(VERBS)
    assert {verb for verb, _ in CELLS} == set(VERBS)
    assert {m.verb for m in MOVES} <= set(VERBS)
    assert len({(m.verb, m.source) for m in MOVES}) == len(MOVES), "one row per verb and status"


@pytest.mark.parametrize(("verb", "status", "role"), CASES, ids=[f"{v}-{s}-{r}" for v, s, r in CASES])
def test_every_move_by_every_role(verb: str, status: Status, role: Role) -> None:
    for was_delayed in (False, True):
        move, outcome, accepts = expected(verb, status, role, was_delayed=was_delayed)
        decision = decide(verb, status, {role}, was_delayed=was_delayed)
        assert decision.move == move
        if isinstance(outcome, Status):
            assert (decision.allowed, decision.to, decision.accepts) == (True, outcome, accepts)
        else:
            assert (decision.allowed, decision.refusal) == (False, outcome)


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("verb", ["confirm", "object"])
def test_a_closed_round_refuses_an_answer_unless_the_action_still_awaits_it(verb: str, status: Status) -> None:
    decision = decide(verb, status, {Role.OWNER}, round_closed=True)
    if status == S.AWAITING_CONFIRMATION:
        assert decision.allowed
    else:
        assert decision.refusal == "too_late"
    # From someone who may not answer for the owner, that is the answer, closed round or not.
    assert decide(verb, status, {Role.BOT}, round_closed=True).refusal == "not_owner"


def test_a_closed_round_does_not_touch_verification_or_work() -> None:
    assert decide("confirm", S.DONE, {Role.REQUESTER}, round_closed=True).to == S.VERIFIED
    assert decide("done", S.ACCEPTED, {Role.OWNER}, round_closed=True).to == S.DONE


def test_nobody_verifies_their_own_work() -> None:
    # The host who owns the action, or the requester who is the owner's proxy, answers as the owner.
    assert decide("confirm", S.DONE, {Role.OWNER, Role.HOST}).refusal == "already"
    assert decide("verify", S.DONE, {Role.OWNER, Role.HOST}).refusal == "not_requester"
    assert decide("object", S.DONE, {Role.PROXY, Role.REQUESTER}).refusal == "wrong_state"
    assert decide("verify", S.DONE, {Role.PROXY, Role.REQUESTER}).refusal == "not_requester"


def test_the_delegate_takes_over_even_when_also_the_requester() -> None:
    assert decide("confirm", S.DONE, {Role.DELEGATE, Role.REQUESTER}).move == "take_over"
    assert decide("object", S.DONE, {Role.DELEGATE, Role.REQUESTER}).move == "decline"


def test_a_bad_argument_is_told_after_who_and_before_the_status() -> None:
    assert decide("delay", S.DONE, {Role.REQUESTER}, argument_error="bad_date").refusal == "not_owner"
    assert decide("delay", S.DONE, {Role.OWNER}, argument_error="bad_date").refusal == "bad_date"
    assert decide("delay", S.ACCEPTED, {Role.OWNER}, argument_error="past_date").refusal == "past_date"


def test_an_unknown_verb_is_not_a_move() -> None:
    assert decide("approve", S.ACCEPTED, {Role.HOST}).refusal == "not_here"


def test_roles_are_read_case_insensitively_and_a_person_can_hold_several() -> None:
    roles = lifecycle.roles_of(
        "Li.Na@corp.example", owner="li.na@corp.example", host="LI.NA@CORP.EXAMPLE", proxy=None, admin=""
    )
    assert roles == {Role.OWNER, Role.HOST}


# --- every status has its words and its places ---------------------------------------------

LANGUAGES = ("zh", "en")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", lifecycle.WORD_KINDS)
def test_every_status_has_its_words_in_every_language(language: str, kind: str) -> None:
    words = status_words()
    assert language in words.languages
    for status in Status:
        assert words.words[language][kind][status].strip(), (language, kind, status)


def test_the_words_are_those_the_mails_always_used() -> None:
    words = status_words()
    assert [words.text(s, "zh") for s in (S.ACCEPTED, S.DELAYED)] == ["已确认", "已延期"]
    assert [words.text(s, "zh", "table") for s in (S.ACCEPTED, S.DELAYED)] == ["未开始", "延期"]
    assert words.text(S.IN_PROGRESS, "en") == "In progress"
    assert words.text(S.IN_PROGRESS, "en", "word") == "in progress"


def test_a_status_left_without_words_stops_the_start(tmp_path: Path) -> None:
    text = (PACKAGE_ROOT / "rules" / "statuses.toml").read_text(encoding="utf-8")
    missing = tmp_path / "missing.toml"
    missing.write_text(text.replace('delayed = "Delayed"\n', ""), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"en\.label.*missing \['delayed'\]"):
        load_status_words(missing)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text(
        text.replace('delayed = "Delayed"\n', 'delayed = "Delayed"\npaused = "Paused"\n'), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"unknown \['paused'\]"):
        load_status_words(unknown)


def test_every_status_has_a_place_in_the_digest() -> None:
    assert len(DIGEST_ORDER) == len(set(DIGEST_ORDER))
    assert not set(DIGEST_ORDER) & DIGEST_LEAVES_OUT
    assert set(DIGEST_ORDER) | DIGEST_LEAVES_OUT == set(Status)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_status_has_a_place_in_the_tracking_table(language: str) -> None:
    rows = [
        {"ref": f"A-{n}", "description": "x", "owner": "o@corp.example", "due": date(2026, 12, 1), "status": status}
        for n, status in enumerate(Status, start=1)
    ]
    cells = [row[8] for row in csv.reader(io.StringIO(exports.to_csv(rows, language).decode("utf-8-sig")))][1:]
    assert cells == [status_words().words[language]["table"][s] for s in Status]
    done_with_requester = {**rows[0], "status": S.DONE, "requester": "r@corp.example"}
    assert exports.status_text(done_with_requester, language) == status_words().text(
        lifecycle.DONE_AWAITING_VERIFICATION, language, "table"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_templates_take_the_words_from_the_data(language: str) -> None:
    env = Renderer(PACKAGE_ROOT / "templates").environment(language)
    for ext in ("txt", "html"):
        macros = env.from_string(f'{{% import "_macros.{ext}" as m %}}{{{{ m.status_name(s) }}}}')
        for status in Status:
            assert macros.render(s=status) == status_words().text(status, language)
    words = env.from_string('{% import "_reply.txt" as r %}{{ r.status_word(s) }}')
    for status in Status:
        assert words.render(s=status) == status_words().text(status, language, "word")


STATUS_NAMES = {s.value for s in Status}


def test_no_module_spells_a_status_tuple() -> None:
    """Handlers, jobs, queries and exports use the named sets of mailbot/lifecycle.py. (The reply
    commands share words with statuses — "done", "in_progress" — and are not statuses.)"""
    spelled = []
    for path in sorted((PACKAGE_ROOT / "mailbot").rglob("*.py")):
        if path.name == "lifecycle.py" or "replies" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Tuple | ast.List | ast.Set):
                names = [e.value for e in node.elts if isinstance(e, ast.Constant) and e.value in STATUS_NAMES]
                if len(names) >= 2:
                    spelled.append(f"{path.relative_to(PACKAGE_ROOT)}:{node.lineno} {names}")
    assert spelled == []


def test_the_reply_handler_names_only_moves_of_the_life_cycle() -> None:
    from mailbot.handlers.reply import EFFECTS

    assert set(EFFECTS) <= {verb for verb, rule in VERBS.items() if Role.BOT not in rule.by}
