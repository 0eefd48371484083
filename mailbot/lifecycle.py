"""An action's life cycle: its statuses, the sets every rule is written against, and the table of
moves — which verb takes an action from which status to which, and who may give it.

Handlers and jobs ask `decide(verb, status, roles)` and set the status it returns; they never
spell a status tuple. `decide` answers with the new status, or with the refusal code the reply
templates already word (`wrong_state`, `not_owner`, …), checked in a fixed order: who asks, a
closed confirmation round, the command's own argument, then the status.

Adding a status: a member of `Status` (in life-cycle order), its place in the sets below and in
`DIGEST_ORDER` (or `DIGEST_LEAVES_OUT`), its rows in `MOVES`, its words in rules/statuses.toml.
Adding a reply verb: its rule in `VERBS` and rows in `MOVES` here, its words in
rules/commands.toml (and replies/commands.VERBS), its answer in templates/<lang>/_reply.txt, and an
effect in handlers/reply.EFFECTS only if it does more than change the status. tests/test_lifecycle.py fails until the life cycle's places are filled.

Meetings have a shorter life (`MeetingStatus`); their moves are still made where they happen.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from types import MappingProxyType

from mailbot.errors import ConfigError

STATUS_WORDS_FILE = Path(__file__).resolve().parent.parent / "rules" / "statuses.toml"


class Status(StrEnum):
    """An action's stored status. A StrEnum: it is the very string the database and every mail
    context hold, so rows written before this type existed read back unchanged."""

    # The spec's state for an action in a draft. Drafts are kept as versions, not as actions, so
    # none is stored today; the sets still place it, so one that appears is handled.
    PROPOSED = "proposed"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    ACCEPTED = "accepted"  # explicitly, silently (the round ran out) or by the host overruling an objection
    IN_PROGRESS = "in_progress"
    DONE = "done"
    VERIFIED = "verified"  # 验收: the requester accepted the delivered work
    OBJECTED = "objected"  # waits for the host's decision
    DELAYED = "delayed"  # a new due date with its reason
    CANCELLED = "cancelled"  # withdrawn by the host, or dropped from a corrected draft


S = Status

# Not cancelled: it counts in its meeting, in listings and in the tracking table.
LIVE = frozenset(Status) - {S.CANCELLED}
# Still to be answered or worked on: what status mails, listings, `--overdue` and digests call open.
OPEN = frozenset({S.AWAITING_CONFIRMATION, S.ACCEPTED, S.IN_PROGRESS, S.OBJECTED, S.DELAYED})
# Open and the owner's move next — an objection waits for the host, so it is not late: the digest
# lists these as overdue, due this week or awaiting an answer.
WAITING_ON_OWNER = OPEN - {S.OBJECTED}
# Taken on and not delivered: the due date binds. Reminders and escalations chase these, and the
# tracking table shades them when overdue.
UNDER_WAY = frozenset({S.ACCEPTED, S.IN_PROGRESS, S.DELAYED})
# Not yet agreed: while a live action is in it the minutes cannot become final, its confirmation
# round can run out, and a corrected draft still rewrites it (keeping its ref).
UNSETTLED = frozenset({S.PROPOSED, S.AWAITING_CONFIRMATION, S.OBJECTED})
# The work is delivered: a COMPLETED calendar task, "done last week" in the digest.
DELIVERED = frozenset({S.DONE, S.VERIFIED})

# The digest's counts by status, in this order.
DIGEST_ORDER = (S.AWAITING_CONFIRMATION, S.ACCEPTED, S.IN_PROGRESS, S.DELAYED, S.OBJECTED, S.DONE, S.VERIFIED)
# What the digest does not count: a cancelled action is gone, a proposed one was never asked.
DIGEST_LEAVES_OUT = frozenset({S.PROPOSED, S.CANCELLED})


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"  # an agenda, no minutes yet
    MINUTES_PENDING = "minutes_pending"  # minutes arrived but no valid draft yet
    IN_REVIEW = "in_review"  # the confirmation round runs
    CONFIRMED = "confirmed"  # every action settled: the 正式版 went out
    DISPUTED = "disputed"  # the round closed with objections the host has yet to decide
    ARCHIVED = "archived"  # the spec's last state; nothing archives a meeting yet


# The confirmation round is not over: an answer, a deadline or the host's decision can still settle it.
UNDER_REVIEW = frozenset({MeetingStatus.IN_REVIEW, MeetingStatus.DISPUTED})


class Role(StrEnum):
    """Who someone is to one action. A person can be several at once (the host who owns an action)."""

    OWNER = "owner"
    PROXY = "proxy"  # the owner's registered 代理人
    DELEGATE = "delegate"  # named by the owner to take the action over, not yet confirmed
    REQUESTER = "requester"  # verifies the delivered work (验收)
    HOST = "host"
    ADMIN = "admin"  # the bot's administrator: stands in for the owner, the requester and the host
    BOT = "bot"  # the bot's own deadline jobs


def roles_of(
    sender: str,
    *,
    owner: str,
    proxy: str | None = None,
    delegate: str | None = None,
    requester: str | None = None,
    host: str | None = None,
    admin: str | None = None,
) -> frozenset[Role]:
    """Every role `sender` holds for one action (addresses compared case-insensitively)."""
    me = sender.lower()
    named = {
        Role.OWNER: owner,
        Role.PROXY: proxy,
        Role.DELEGATE: delegate,
        Role.REQUESTER: requester,
        Role.HOST: host,
        Role.ADMIN: admin,
    }
    return frozenset(role for role, address in named.items() if address and address.lower() == me)


@dataclass(frozen=True)
class Verb:
    """Who may use a verb, and what a refusal is called (codes the reply templates word)."""

    by: frozenset[Role]
    not_allowed: str  # refusal when the sender holds none of `by`
    wrong_status: str  # refusal when MOVES has no row for the action's status
    never_by: frozenset[Role] = frozenset()  # refused even when also holding one of `by`
    already: frozenset[Status] = frozenset()  # statuses where the verb's end is already reached
    # An answer to the confirmation round: refused once the round closed — unless the action still
    # awaits its answer (the deadline job has not run yet, so the answer still counts).
    answers_round: bool = False


ACTORS = frozenset({Role.OWNER, Role.PROXY, Role.ADMIN})
HOSTS = frozenset({Role.HOST, Role.ADMIN})
# 验收 is the requester's; the host and an admin may stand in; nobody verifies their own work.
VERIFIERS = frozenset({Role.REQUESTER, Role.HOST, Role.ADMIN})
NOT_THE_OWNER = frozenset({Role.OWNER, Role.PROXY})

VERBS: Mapping[str, Verb] = MappingProxyType(
    {
        # The owner's replies (their proxy and an admin may give them too).
        "confirm": Verb(ACTORS, "not_owner", "already", answers_round=True),
        "object": Verb(ACTORS, "not_owner", "wrong_state", answers_round=True),
        "in_progress": Verb(ACTORS, "not_owner", "wrong_state"),
        "done": Verb(ACTORS, "not_owner", "wrong_state"),
        "delay": Verb(ACTORS, "not_owner", "wrong_state"),
        "delegate": Verb(ACTORS, "not_owner", "wrong_state"),
        # The delegate's "confirm": the action is theirs from now on.
        "take_over": Verb(frozenset({Role.DELEGATE}), "not_owner", "wrong_state"),
        # The delegate's "异议：原因": they will not take it; it stays with its owner.
        "decline": Verb(frozenset({Role.DELEGATE}), "not_owner", "wrong_state"),
        # 验收, or sending the work back.
        "verify": Verb(VERIFIERS, "not_requester", "not_done", never_by=NOT_THE_OWNER, already=frozenset({S.VERIFIED})),
        "reject": Verb(VERIFIERS, "not_requester", "not_done", never_by=NOT_THE_OWNER, already=frozenset({S.VERIFIED})),
        # The host's hand on any open action, objection or not (an overdue task taken off a
        # silent owner, a date moved); "维持" (overrule) only answers an objection.
        # A second "A-4 撤销" (the host adding a reason, a resent reply) is no mistake: nothing to do.
        "withdraw": Verb(HOSTS, "not_host", "wrong_state", already=frozenset({S.CANCELLED})),
        "overrule": Verb(HOSTS, "not_host", "no_objection"),
        "reschedule": Verb(HOSTS, "not_host", "wrong_state"),
        "reassign": Verb(HOSTS, "not_host", "wrong_state"),
        "reopen": Verb(HOSTS, "not_host", "wrong_state"),
        "approve_delay": Verb(HOSTS, "not_host", "wrong_state"),
        # The round's deadline passes in silence: consent.
        "lapse": Verb(frozenset({Role.BOT}), "not_bot", "wrong_state"),
        # The delegate's deadline passes in silence: the action is theirs, as a request's silence
        # is consent (the request said "逾期视为默认").
        "hand_over": Verb(frozenset({Role.BOT}), "not_bot", "wrong_state"),
    }
)


@dataclass(frozen=True)
class Move:
    verb: str
    source: Status
    to: Status
    # The owner's explicit yes is recorded on the way (consent, accepted_at): a "done" to a request
    # never answered is also its confirmation.
    accepts: bool = False
    # Work sent back returns to `delayed` when it had been delayed: the new date and reason stand.
    to_if_delayed: Status | None = None


# Where an owner may hand an action over (转交), and where the delegate's silence completes it.
DELEGABLE = (S.AWAITING_CONFIRMATION, S.ACCEPTED, S.IN_PROGRESS, S.DELAYED)
# Where the host may give an action a new date or owner: wherever work is still to be done.
HOST_MAY_MOVE = (S.AWAITING_CONFIRMATION, S.ACCEPTED, S.IN_PROGRESS, S.OBJECTED, S.DELAYED)
# …and cancel it: also delivered work not yet verified.
HOST_MAY_CANCEL = (*HOST_MAY_MOVE, S.DONE)

# fmt: off
MOVES: tuple[Move, ...] = (
    #    verb           from                      to                      …
    Move("confirm",     S.AWAITING_CONFIRMATION,  S.ACCEPTED,             accepts=True),
    Move("confirm",     S.OBJECTED,               S.ACCEPTED,             accepts=True),
    Move("object",      S.AWAITING_CONFIRMATION,  S.OBJECTED),
    Move("object",      S.ACCEPTED,               S.OBJECTED),
    Move("in_progress", S.AWAITING_CONFIRMATION,  S.IN_PROGRESS,          accepts=True),
    Move("in_progress", S.ACCEPTED,               S.IN_PROGRESS),
    Move("in_progress", S.DELAYED,                S.IN_PROGRESS),
    Move("done",        S.AWAITING_CONFIRMATION,  S.DONE,                 accepts=True),
    Move("done",        S.ACCEPTED,               S.DONE),
    Move("done",        S.IN_PROGRESS,            S.DONE),
    Move("done",        S.DELAYED,                S.DONE),
    Move("delay",       S.AWAITING_CONFIRMATION,  S.DELAYED),
    Move("delay",       S.ACCEPTED,               S.DELAYED),
    Move("delay",       S.IN_PROGRESS,            S.DELAYED),
    Move("delay",       S.DELAYED,                S.DELAYED),
    # Naming a delegate changes no status: the action waits for the delegate to take it over.
    *(Move("delegate",  s,                        s) for s in DELEGABLE),
    # Taking over keeps the work where it is, and answers a request still open.
    Move("take_over",   S.AWAITING_CONFIRMATION,  S.ACCEPTED,             accepts=True),
    Move("take_over",   S.OBJECTED,               S.ACCEPTED,             accepts=True),
    *(Move("take_over", s, s) for s in Status if s not in (S.AWAITING_CONFIRMATION, S.OBJECTED)),
    # Declining changes no status: only the pending delegation ends.
    *(Move("decline",   s, s) for s in Status),
    # Silence hands over only work still to be agreed or done, the statuses a delegation is made
    # from: done, objected or cancelled work has moved on since, and its delegation lapses. An
    # action still awaiting its answer keeps waiting: its round (`lapse`) records the new
    # owner's silent consent.
    *(Move("hand_over", s, s) for s in DELEGABLE),
    Move("verify",      S.DONE,                   S.VERIFIED),
    Move("reject",      S.DONE,                   S.IN_PROGRESS,          to_if_delayed=S.DELAYED),
    *(Move("withdraw",  s,                        S.CANCELLED) for s in HOST_MAY_CANCEL),
    Move("overrule",    S.OBJECTED,               S.ACCEPTED),
    # A new date or owner needs a fresh yes: a new, short round for this action.
    *(Move("reschedule", s,                       S.AWAITING_CONFIRMATION) for s in HOST_MAY_MOVE),
    *(Move("reassign",  s,                        S.AWAITING_CONFIRMATION) for s in HOST_MAY_MOVE),
    # Work taken up again: delivered or verified work goes back to its owner; a cancelled action
    # needs the owner's fresh yes.
    Move("reopen",      S.DONE,                   S.IN_PROGRESS),
    Move("reopen",      S.VERIFIED,               S.IN_PROGRESS),
    Move("reopen",      S.CANCELLED,              S.AWAITING_CONFIRMATION),
    # The host agrees to a delay the owner asked for (rules/policy.toml [delay]).
    *(Move("approve_delay", s, S.DELAYED) for s in (S.AWAITING_CONFIRMATION, S.ACCEPTED, S.IN_PROGRESS, S.DELAYED)),
    Move("lapse",       S.AWAITING_CONFIRMATION,  S.ACCEPTED),
)
# fmt: on

_MOVES: Mapping[tuple[str, str], Move] = MappingProxyType({(m.verb, m.source): m for m in MOVES})

# What a reply word means from someone who may verify, on delivered work: 验收 or sending it back.
AS_VERIFICATION = MappingProxyType({"confirm": "verify", "object": "reject"})


def meant(verb: str, status: str, roles: frozenset[Role]) -> str:
    """The move a reply word asks for, from this person on this action: a delegate's "confirm"
    takes the action over and their "异议" declines it (the two answers their request offers);
    the requester's "确认"/"异议" on a done action is 验收 or not."""
    if verb == "confirm" and Role.DELEGATE in roles:
        return "take_over"
    if verb == "object" and Role.DELEGATE in roles:
        return "decline"
    if verb in AS_VERIFICATION and status == S.DONE and may(AS_VERIFICATION[verb], roles):
        return AS_VERIFICATION[verb]
    return verb


def may(verb: str, roles: frozenset[Role]) -> bool:
    rule = VERBS.get(verb)
    return rule is not None and bool(roles & rule.by) and not roles & rule.never_by


@dataclass(frozen=True)
class Decision:
    move: str  # the move asked for, after `meant`
    to: Status | None = None  # the new status, when allowed
    refusal: str | None = None  # else why not: a code the reply templates word
    accepts: bool = False  # see Move.accepts

    @property
    def allowed(self) -> bool:
        return self.refusal is None


def decide(
    verb: str,
    status: str,
    roles: Iterable[Role],
    *,
    round_closed: bool = False,
    argument_error: str | None = None,
    was_delayed: bool = False,
) -> Decision:
    """May someone holding `roles` make this move on an action in `status` now, and to what status?

    `round_closed`: the action's confirmation deadline has passed. `argument_error`: what the
    command's own argument lacks (an unreadable date), told before the status but after who may.
    `was_delayed`: the action carries a delay (a new date and its reason)."""
    held = frozenset(roles)
    move = meant(verb, status, held)
    rule = VERBS.get(move)
    if rule is None:
        return Decision(move, refusal="not_here")
    if not may(move, held):
        return Decision(move, refusal=rule.not_allowed)
    if rule.answers_round and round_closed and status != S.AWAITING_CONFIRMATION:
        return Decision(move, refusal="too_late")
    if argument_error:
        return Decision(move, refusal=argument_error)
    if status in rule.already:
        return Decision(move, refusal="already")
    found = _MOVES.get((move, status))
    if found is None:
        return Decision(move, refusal=rule.wrong_status)
    to = found.to_if_delayed if was_delayed and found.to_if_delayed else found.to
    return Decision(move, to=to, accepts=found.accepts)


# The words (rules/statuses.toml) -------------------------------------------------------------

WORD_KINDS = ("label", "word", "table")
# The table's one key that is no status (see rules/statuses.toml).
DONE_AWAITING_VERIFICATION = "done_awaiting_verification"


@dataclass(frozen=True)
class StatusWords:
    """Language -> kind ("label", "word", "table") -> status -> text."""

    words: Mapping[str, Mapping[str, Mapping[str, str]]]

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.words)

    def text(self, status: str, language: str, kind: str = "label", fallback: str | None = None) -> str:
        """The status in `language`, else in `fallback` (a language this file does not name yet
        borrows the fallback language's words); an unknown status is shown as its code, readable."""
        table = self.words.get(language) or self.words.get(fallback or "", {})
        return table.get(kind, {}).get(status) or str(status).replace("_", " ")


def load_status_words(path: Path = STATUS_WORDS_FILE) -> StatusWords:
    """Read and check a statuses.toml: every kind of every language names every status, nothing else."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    statuses = {s.value for s in Status}
    words: dict[str, dict[str, dict[str, str]]] = {}
    for language, kinds in data.items():
        if not isinstance(kinds, dict):
            raise ConfigError(f"{path}: {language} must be a table of [{language}.label], [{language}.table] …")
        unknown = set(kinds) - set(WORD_KINDS)
        if unknown:
            raise ConfigError(f"{path}: [{language}] has unknown tables {sorted(unknown)}; known: {list(WORD_KINDS)}")
        # A language whose words do not change inside a sentence gives labels only.
        kinds = {"word": kinds.get("label"), **kinds}
        words[language] = {}
        for kind in WORD_KINDS:
            table = kinds.get(kind)
            if not isinstance(table, dict) or not all(isinstance(v, str) and v.strip() for v in table.values()):
                raise ConfigError(f"{path}: [{language}.{kind}] is missing or holds a value that is not a word")
            expected = statuses | ({DONE_AWAITING_VERIFICATION} if kind == "table" else set())
            if set(table) != expected:
                missing, extra = sorted(expected - set(table)), sorted(set(table) - expected)
                raise ConfigError(f"{path}: [{language}.{kind}] missing {missing}, unknown {extra}")
            words[language][kind] = MappingProxyType(dict(table))
    return StatusWords(MappingProxyType({k: MappingProxyType(v) for k, v in words.items()}))


@cache
def status_words() -> StatusWords:
    """The shipped words, read once per process."""
    return load_status_words()
