"""The hostile corpus of tests/trust_corpus.py against `mailbot init`'s own trust default
(`unproven = "confirm"`, the server named `mx.corp.example`), on SQLite and PostgreSQL.

One bot, one meeting in force and the corpus's SETUP around it; then every case in order, and
after each mail what reliability.md promises:

- no state change without proof (an unproven mail leaves the whole snapshot as it was; a proven
  one leaves what its case keeps, and did what its case says);
- no mail to an address outside the allowed domain (corp.example), none at all for a machine's mail;
- no value of a mail rendered as markup in an HTML body of ours;
- no bidi control or invisible character in what is sent (subject, name, bodies, file names) or
  stored (titles, action lines, names, reasons);
- no program kept or forwarded as a deliverable.

At the end: the corpus is big enough, every class is there, and the real people were asked
"was it you?" at most `QUESTIONS_PER_HOUR` times in any hour however many forgeries came.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.config import load_config
from mailbot.handlers.trust import QUESTIONS_PER_HOUR
from mailbot.inert import deliverable_refusal
from mailbot.outbox import build_message, render_row
from mailbot.pipeline import process
from mailbot.store.models import (
    ActionItem,
    Deliverable,
    HeldMail,
    Meeting,
    MinutesVersion,
    OutboxMail,
    Person,
    PersonName,
)
from tests.helpers import SHANGHAI, at, proof_required
from tests.test_trust import minutes_draft
from tests.trust_corpus import (
    AUTHSERV,
    BOT,
    CHEN,
    CLASSES,
    PDF,
    SUN,
    ZHANG,
    ZHAO,
    ZHU,
    Case,
    corpus,
    dkim_dns,
    mail,
    threaded,
)

ALLOWED_DOMAIN = "corp.example"  # the bot's own; no directory, no [trust] recipient_domains
# Bidi controls and invisible characters none of our mails or rows may carry.
HIDDEN = re.compile("[\u202a-\u202e\u2066-\u2069\u200b-\u200f\u2060\ufeff]")
# Markup a mail could smuggle into an HTML body of ours. Our templates use <b> themselves, so
# the corpus's <b> carries its own words.
MARKUP = re.compile(
    r"<\s*(?:img|script|svg|iframe|object|embed)\b|<[^<>]*\son[a-z]+\s*=|<b>粗体注入|href\s*=\s*[\"']?\s*javascript:",
    re.IGNORECASE,
)
DANGEROUS = ("executable", "double_extension")
START = "2026-12-03 08:00"  # the first class; each class starts an hour after the last
STEP = timedelta(seconds=30)
MIN_CASES = 100


# --- the bot and its setup ------------------------------------------------------------------------


@pytest.fixture
def bot(home: Path, clock: FixedClock) -> Iterator[App]:
    """The bot as `mailbot init` writes it (From: proves nothing), its server named, DKIM keys of
    corp.example served by a stub zone."""
    app = App.open(load_config(proof_required(home / "config.toml", AUTHSERV)), clock)
    app.dns_txt = dkim_dns()
    yield app
    app.db.dispose()


def rows_after(app: App, last_id: int) -> list[OutboxMail]:
    """The outbox rows decided since `last_id`, rendered as delivery renders them."""
    with app.db.session() as session:
        rows = list(session.scalars(select(OutboxMail).where(OutboxMail.id > last_id).order_by(OutboxMail.id)))
        for row in rows:
            render_row(row, app.renderer)
        session.expunge_all()
        return rows


def request_to(rows: list[OutboxMail], who: str) -> OutboxMail:
    return next(r for r in rows if r.kind == "confirm_request" and r.to_address == who)


def setup(app: App, clock: FixedClock) -> None:
    """trust_corpus's SETUP: M-1 in force and moved on by its people's real (threaded) replies."""
    at(clock, "2026-12-02 18:00")
    assert process(app, minutes_draft(vouched=True)).outcome == "processed"
    rows = rows_after(app, 0)
    steps = [
        ("18:20", threaded("setup_chen_confirms", request_to(rows, CHEN), "确认")),
        (
            "18:25",
            threaded(
                "setup_zhao_done",
                request_to(rows, ZHAO),
                "A-3 完成，交付物见附件",
                attachments=(("推广费用测算.pdf", "application/pdf", PDF),),
            ),
        ),
        ("18:30", threaded("setup_zhu_objects", request_to(rows, ZHU), "A-4 异议：预算还没有批下来")),
    ]
    for when, raw in steps:
        at(clock, f"2026-12-02 {when}")
        assert process(app, raw).outcome == "processed", when
    # A real bounce: the MTA returns the minutes notice to 孙磊 with its Message-ID.
    notice = next(r for r in rows if r.kind == "minutes_notice" and r.to_address == SUN)
    dsn = (
        f"From: MAILER-DAEMON@{AUTHSERV} (Mail Delivery System)\r\nTo: {BOT}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <setup-dsn@mx.corp.example>\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        "--r\r\nContent-Type: text/plain\r\n\r\nUser unknown\r\n"
        "--r\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: <{notice.message_id}>\r\nSubject: x\r\n--r--\r\n"
    ).encode()
    at(clock, "2026-12-02 18:40")
    assert process(app, dsn).kind == "bounce"
    # One forgery held, its question mailed to 张伟.
    at(clock, "2026-12-02 19:00")
    forged = mail("setup_forged_confirm", sender=ZHANG, name="张伟", body="A-1 确认")
    assert process(app, forged).outcome == "held"
    state = snapshot(app)
    assert [state[f"A-{n}"][0] for n in range(1, 5)] == ["awaiting_confirmation", "accepted", "done", "objected"]
    assert state[f"P-{SUN}"][1] is True
    assert state["D-3"] == ("推广费用测算.pdf",)


# --- what is checked ----------------------------------------------------------------------------


def snapshot(app: App) -> dict[str, Any]:
    """The state a mail may change, by key: M-<id> meeting, V-<id> its versions, A-<id> action,
    D-<action id> its deliverables, P-<address> person, N-<address> their learnt names; and
    `texts`, every stored text a person will see again."""
    state: dict[str, Any] = {}
    texts: list[str] = []
    state["deliverables"] = []  # (filename, content type) of every deliverable, oldest first
    with app.db.session() as session:
        for m in session.scalars(select(Meeting).order_by(Meeting.id)):
            people = (m.host_address, m.recorder_address, *(m.attendees or ()))
            state[f"M-{m.id}"] = (m.status, m.title, m.host_address, m.recorder_address, m.version_sender, people)
            texts += [m.title, m.goal or "", *(m.names or {}).values()]
        versions: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for v in session.scalars(select(MinutesVersion).order_by(MinutesVersion.id)):
            versions[v.meeting_id].append((v.number, v.status))
        state.update({f"V-{k}": tuple(v) for k, v in versions.items()})
        for a in session.scalars(select(ActionItem).order_by(ActionItem.id)):
            state[f"A-{a.id}"] = (
                a.status,
                a.owner_address,
                a.delegate_address,
                a.requester_address,
                a.due,
                a.confirm_by,
                a.consent,
            )
            texts += [a.description, a.owner_name or "", a.objection_reason or "", a.delay_reason or ""]
        state.update({f"D-{a}": () for a in range(1, 5)})
        files: dict[int, list[str]] = defaultdict(list)
        for d in session.scalars(select(Deliverable).order_by(Deliverable.id)):
            files[d.action_id].append(d.filename)
            state["deliverables"].append((d.filename, d.content_type))
        state.update({f"D-{k}": tuple(v) for k, v in files.items()})
        ids: dict[int, str] = {}
        for p in session.scalars(select(Person).order_by(Person.id)):
            ids[p.id] = p.address
            state[f"P-{p.address}"] = (p.name, p.bouncing, p.away_until, p.proxy_address, p.source)
            texts.append(p.name or "")
        names: dict[str, list[str]] = defaultdict(list)
        for n in session.scalars(select(PersonName).order_by(PersonName.id)):
            names[ids[n.person_id]].append(n.name)
            texts.append(n.name)
        state.update({f"N-{k}": tuple(v) for k, v in names.items()})
    state["texts"] = texts
    return state


def domain_allowed(address: str) -> bool:
    domain = address.rpartition("@")[2].lower()
    return domain == ALLOWED_DOMAIN or domain.endswith("." + ALLOWED_DOMAIN)


def state_keys(state: dict[str, Any]) -> set[str]:
    return {k for k in state if k not in ("texts", "deliverables")}


def violations(app: App, case: Case, before: dict[str, Any], after: dict[str, Any], new: list[OutboxMail]) -> list[str]:
    found: list[str] = []
    # No state change without proof; a proven mail keeps what its case keeps, and does its part.
    if not case.proven:
        changed = sorted(k for k in state_keys(before) | state_keys(after) if before.get(k) != after.get(k))
        found += [f"changed without proof: {k}: {before.get(k)!r} -> {after.get(k)!r}" for k in changed]
    for key in case.keep or ():
        if before.get(key) != after.get(key):
            found.append(f"changed {key}: {before.get(key)!r} -> {after.get(key)!r}")
    for key, want in case.then.items():
        if key.startswith("title:"):
            statuses = [v[0] for k, v in after.items() if k.startswith("M-") and v[1] == key[6:]]
            if want not in statuses:
                found.append(f"meeting {key[6:]!r}: {statuses} instead of {want}")
        elif key.startswith("D-"):
            if after.get(key, ())[-1:] != (want,):
                found.append(f"{key}: {after.get(key)!r}, expected {want} last")
        elif after.get(key, ("missing",))[0] != want:
            found.append(f"{key}: {after.get(key, ('missing',))[0]} instead of {want}")
    # What this mail stored stays inert and writes to nobody outside.
    stored = set(before["texts"])
    found += [f"stored text hides characters: {t!r}" for t in after["texts"] if t not in stored and HIDDEN.search(t)]
    for key in sorted(k for k in state_keys(after) if after[k] != before.get(k)):
        if key.startswith("M-"):
            found += [f"{key} names {p}" for p in after[key][5] if p and not domain_allowed(p)]
        if key.startswith("A-"):
            found += [f"{key} goes to {p}" for p in after[key][1:4] if p and not domain_allowed(p)]
            found += [f"{key} given to {p}" for p in after[key][1:3] if p in case.never_to]
    allowed = app.policy.deliverables.allowed_extensions
    for filename, content_type in after["deliverables"][len(before["deliverables"]) :]:
        if deliverable_refusal(filename, content_type, allowed) in DANGEROUS:
            found.append(f"program kept as a deliverable: {filename!r}")
    # What is sent.
    if case.silent and new:
        found.append(f"a machine's mail was answered: {[(r.kind, r.to_address) for r in new]}")
    for row in new:
        what = f"{row.kind} to {row.to_address}"
        if not domain_allowed(row.to_address):
            found.append(f"queued outside the allowed domain: {what}")
        if row.to_address in case.never_to:
            found.append(f"queued to {row.to_address}: {row.kind}")
        for part, value in (
            ("subject", row.subject),
            ("to_name", row.to_name or ""),
            ("body_text", row.body_text or ""),
            ("body_html", row.body_html or ""),
        ):
            if HIDDEN.search(value):
                found.append(f"{what}: {part} carries {HIDDEN.findall(value)!r}")
        for part, value in (("subject", row.subject), ("to_name", row.to_name or "")):
            if "\r" in value or "\n" in value:
                found.append(f"{what}: line break in {part}")
        markup = MARKUP.findall(row.body_html or "")
        if markup:
            found.append(f"{what}: markup in the HTML body: {markup!r}")
        for attached in row.attachments or []:
            if deliverable_refusal(attached["filename"], attached["content_type"], allowed) in DANGEROUS:
                found.append(f"{what}: forwards a program: {attached['filename']!r}")
        # The mail as it would leave: its headers, and its files' names and (text) contents.
        message = build_message(row, app.sender, app.now())
        shown = " ".join(str(message[h] or "") for h in ("To", "Subject", "Reply-To"))
        if HIDDEN.search(shown):
            found.append(f"{what}: built headers {shown!r}")
        for part in message.iter_attachments():
            filename = part.get_filename() or ""
            if HIDDEN.search(filename):
                found.append(f"{what}: attachment name {filename!r}")
            if part.get_content_maintype() == "text":
                hidden = HIDDEN.findall(part.get_payload(decode=True).decode("utf-8", "replace"))
                if hidden:
                    found.append(f"{what}: attachment {filename} carries {hidden!r}")
    return found


def feed(app: App, case: Case, last_id: int) -> tuple[list[str], int, str]:
    """Process one case; what it broke, the last outbox id, and its outcome."""
    before = snapshot(app)
    result = process(app, case.raw)
    new = rows_after(app, last_id)
    after = snapshot(app)
    return violations(app, case, before, after, new), (new[-1].id if new else last_id), result.outcome


def questions_per_hour(app: App) -> dict[str, int]:
    """For each address, the most sender_check questions it got within any one hour."""
    with app.db.session() as session:
        rows = list(
            session.execute(
                select(OutboxMail.to_address, OutboxMail.created_at).where(OutboxMail.kind == "sender_check")
            )
        )
    times: dict[str, list[datetime]] = defaultdict(list)
    for address, created in rows:
        times[address].append(created)
    most: dict[str, int] = {}
    for address, moments in times.items():
        moments.sort()
        most[address] = max(sum(1 for t in moments if m - timedelta(hours=1) <= t <= m) for m in moments)
    return most


def held_per_hour(app: App, address: str) -> int:
    with app.db.session() as session:
        moments = sorted(session.scalars(select(HeldMail.held_at).where(HeldMail.address == address)))
    return max((sum(1 for t in moments if m - timedelta(hours=1) <= t <= m) for m in moments), default=0)


# --- the tests ----------------------------------------------------------------------------------


def test_hostile_corpus(bot: App, clock: FixedClock) -> None:
    app = bot
    setup(app, clock)
    last_id = rows_after(app, 0)[-1].id
    cases = corpus(app, rows_after(app, 0))
    assert len(cases) >= MIN_CASES
    per_class = Counter(case.klass for case in cases)
    assert set(per_class) == set(CLASSES), per_class
    assert all(per_class[k] >= 5 for k in CLASSES), per_class

    start = datetime.fromisoformat(START).replace(tzinfo=SHANGHAI)
    broken: list[str] = []
    outcomes: Counter[tuple[str, str]] = Counter()
    klass, hour, step = "", -1, 0
    for case in cases:
        if case.klass != klass:  # each class in an hour of its own
            klass, hour, step = case.klass, hour + 1, 0
        clock.set(start + timedelta(hours=hour) + step * STEP)
        step += 1
        found, last_id, outcome = feed(app, case, last_id)
        outcomes[(case.klass, outcome)] += 1
        broken += [f"{case.id}: {problem}" for problem in found]
    assert broken == [], "\n".join(broken)

    # The forgeries were held, not applied: the real people were asked, a few times an hour at most.
    questions = questions_per_hour(app)
    assert max(questions.values()) <= QUESTIONS_PER_HOUR, questions
    assert questions[ZHANG] == QUESTIONS_PER_HOUR, questions  # the limit was reached, and held
    assert held_per_hour(app, ZHANG) > QUESTIONS_PER_HOUR
    assert outcomes[("spoof", "held")] >= 50, outcomes
    assert all(domain_allowed(address) for address in questions)


def test_the_corpus_is_the_same_for_the_same_state(bot: App, clock: FixedClock) -> None:
    app = bot
    setup(app, clock)
    rows = rows_after(app, 0)
    first, second = corpus(app, rows), corpus(app, rows)
    assert [(c.id, c.raw) for c in first] == [(c.id, c.raw) for c in second]
    assert sum(c.proven for c in first) < len(first) // 3  # most carry no proof
