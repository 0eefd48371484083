"""People as they really write (the issue "Understand people as they really write"): a corpus of
replies to the bot's mails and of minutes/agendas sent in, each with what must come of it.

Replies (`REPLIES`): who answers which of our mails from which client (tests/replying.py writes
the quote header the way that client does), what they wrote — greetings, comments after commands,
sign-offs with name, department and phone, "发自我的iPhone", traditional script, English, mixed,
full-width punctuation, emoji, the host's 改派/改期/撤销/维持 on any open action, 验收 after a done,
answers to reminders in words, bare 收到/好的/谢谢 — and what must follow: the status each named
action ends in (every other action unchanged), its owner, delegate and due date where named, who
gets a note_notice (exactly), whether the host gets a delay_notice, whether the answer shows the
one-click answers again, and that the answer never says "没有读懂"/"not understood"/"没有读到任何命令".

Every reply case starts from the same round (`open_round`: the Outlook minutes of 2026-12-02, in
force with A-1 张伟, A-2 陈喆, A-3 赵敏, A-4 朱镕; host 李娜, recorder 王芳; the confirmation
round open until 12-04), then its scene (`SCENES`: an action done, objected, delayed, delegated;
a reminder or an escalation sent by the deadline job), then the reply.

Drafts (`DRAFTS`): minutes and agendas as new mails from each client, answers in the sender's own
thread (Re:/RE:/回复:/答复:), forwards (Fwd:/FW:/转发:) from several clients, a message attached
whole — and mails that must stay replies (no new version). Their builders are the ones of
tests/test_arrival_drafts.py.

`check_reply` / `check_draft` return the list of what went wrong (empty: handled right), so the
same corpus can be counted on another version of the code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from sqlalchemy import func, select

from mailbot.app import App
from mailbot.cli import run_deadlines
from mailbot.clock import FixedClock
from mailbot.outbox import render_row
from mailbot.pipeline import process
from mailbot.store.models import Event, Meeting, MinutesVersion, OutboxMail
from tests.helpers import MAILS, actions, at, feed
from tests.replying import reply
from tests.test_arrival_drafts import (
    BUDGET,
    COMPLAINTS,
    EAST,
    ESCALATION,
    Q1,
    ZH_DRAFT,
    attached_message,
    fixture,
    foxmail_forward,
    gmail_forward,
    html_of,
    mail,
    outlook_zh_forward_text,
    zh_quote_outlook,
)

DOMAIN = "corp.example"
HOST = "li.na"
NAMES = {
    "li.na": "李娜",
    "wang.fang": "王芳",
    "zhang.wei": "张伟",
    "chen.zhe": "陈喆",
    "liu.yang": "刘洋",
    "zhao.min": "赵敏",
    "sun.lei": "孙磊",
    "zhou.ting": "周婷",
    "zhu.rong": "朱镕",
}
# What an answer must never say to a greeting, a sign-off or an acknowledgement (zh and en).
NOT_UNDERSTOOD = ("没有读懂", "没有读到任何命令", "not understood", "No command found")
ANSWERS = ("reply_result", "reply_refused")
# The answer to an acknowledgement that is no answer: asked again, with the one-click answers.
ASKED_BACK = ("“收到”“好的”“谢谢”不算", '"OK", "got it" or "thanks" is not')


def address(key: str) -> str:
    return f"{key}@{DOMAIN}"


# --- scenes: what happened before the reply ------------------------------------------------------


@dataclass(frozen=True)
class Say:
    """A reply by `who` to the last mail of `kind` we sent them (it must not fail)."""

    who: str
    kind: str
    text: str


@dataclass(frozen=True)
class Tick:
    """The deadline job's morning run at this Shanghai wall-clock time."""

    when: str


@dataclass(frozen=True)
class At:
    when: str


Step = Say | Tick | At

SCENES: dict[str, tuple[Step, ...]] = {
    # 2026-12-03 09:30: every action awaits its owner's answer.
    "round": (),
    # 12-07: the round ran out, all four accepted by silence.
    "silent": (Tick("2026-12-07 09:00"), At("2026-12-07 10:00")),
    "a1_in_progress": (Say("zhang.wei", "confirm_request", "进行中"),),
    # A-1 done: its 验收 request went to the host (the requester by default).
    "a1_done": (Say("zhang.wei", "confirm_request", "完成"),),
    # A-2 objected: the host has the objection notice.
    "a2_objected": (Say("chen.zhe", "confirm_request", "异议：研发排期已满，12月10日前来不及"),),
    # A-3 delayed to 12-28: the host has the delay notice.
    "a3_delayed": (Say("zhao.min", "confirm_request", "延期至12月28日，原因：培训讲师档期冲突"),),
    # A-4 handed to 周婷: she has a confirmation request of her own.
    "a4_delegated": (Say("zhu.rong", "confirm_request", "转交 周婷"),),
    # 张伟 answered "收到": asked back with the one-click answers; 赵敏 objected without a reason.
    "a1_acknowledged": (Say("zhang.wei", "confirm_request", "收到"),),
    "a3_no_reason": (Say("zhao.min", "confirm_request", "异议"),),
    # 12-08: all accepted by silence, 陈喆 reminded that A-2 is due on 12-10.
    "reminder": (Tick("2026-12-08 09:00"), At("2026-12-08 10:00")),
    # 12-17: A-2 a week overdue, escalated to the host.
    "escalation": (Tick("2026-12-17 09:00"), At("2026-12-17 10:00")),
}


# What every App builds alike from the same shipped files: built once per test run and shared, so a
# case costs its mails, not Jinja compiling every template again for each fresh bot. Nothing of it
# is written per mail (the database is each case's own).
SHARED_PARTS = ("rules", "calendar", "languages", "renderer")
_shared: dict[str, dict[str, object]] = {}


def share_parts(app: App) -> App:
    config = app.config
    key = repr([getattr(config, name, None) for name in ("templates_dir", "rules_dir", "bot", "calendar")])
    built = _shared.setdefault(key, {})
    for name in SHARED_PARTS:
        if not isinstance(getattr(type(app), name, None), cached_property):
            continue
        if name in built:
            app.__dict__[name] = built[name]
        else:
            built[name] = getattr(app, name)
    return app


def open_round(app: App, clock: FixedClock) -> None:
    at(clock, "2026-12-02 18:00")
    result = feed(app, "outlook_zh_minutes_gbk_html.eml")
    assert result.outcome == "processed", result.error
    at(clock, "2026-12-03 09:30")


def rows(app: App, *, after: int = 0, kind: str | None = None, to: str | None = None) -> list[OutboxMail]:
    """Outbox rows as stored (bodies not rendered: see `rendered`), newest last."""
    with app.db.session() as session:
        query = select(OutboxMail).where(OutboxMail.id > after).order_by(OutboxMail.id)
        if kind:
            query = query.where(OutboxMail.kind == kind)
        if to:
            query = query.where(OutboxMail.to_address == to)
        found = list(session.scalars(query))
        session.expunge_all()
        return found


def rendered(app: App, row: OutboxMail) -> OutboxMail:
    render_row(row, app.renderer)
    return row


def last_id(app: App) -> int:
    with app.db.session() as session:
        return session.scalar(select(func.max(OutboxMail.id))) or 0


def last_mail(app: App, kind: str, to: str) -> OutboxMail:
    found = rows(app, kind=kind, to=address(to))
    assert found, f"no {kind} to {to}"
    return rendered(app, found[-1])


def play(app: App, clock: FixedClock, scene: str) -> None:
    for step in SCENES[scene]:
        if isinstance(step, Tick):
            at(clock, step.when)
            run_deadlines(app)
        elif isinstance(step, At):
            at(clock, step.when)
        else:
            raw = reply(app, last_mail(app, step.kind, step.who), step.text, name=NAMES[step.who])
            result = process(app, raw)
            assert result.outcome != "failed", (scene, result.error)


# --- replies --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One reply and what must come of it. `status`, `owner`, `delegate`, `due`: per ref, what it
    must be after (a ref not named in `status` keeps the status it had before the reply).
    `notes_to`: exactly who gets a note_notice (None: not checked); `kept`: words that must be in
    the action's history (an action.note event). `asked_back`: the answer shows the one-click
    answers again, as to an acknowledgement (None: not checked). `refused`: nothing applied."""

    id: str
    cls: str
    answers: tuple[str, str]  # (kind of our mail, its recipient)
    text: str
    style: str = "outlook_zh"
    scene: str = "round"
    sender: str | None = None  # default: the recipient of the mail answered
    name: str | None = None  # display name in From; default the person's name
    status: dict[str, str] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)
    delegate: dict[str, str] = field(default_factory=dict)
    due: dict[str, str] = field(default_factory=dict)
    notes_to: tuple[str, ...] | None = ()
    kept: dict[str, str] = field(default_factory=dict)  # ref -> words that must be in its history
    delay_notice: bool = False
    asked_back: bool | None = False
    refused: bool = False
    plain: bool = True  # the answer must not say "not understood" (False: not checked)
    # False: thanks or a receipt to a mail that asks nothing — recorded ("acknowledged"), no answer.
    answered: bool = True
    says: tuple[str, ...] = ()
    attachments: tuple[tuple[str, str, bytes], ...] = ()
    bug: str = ""  # a product bug this case shows: the test is xfail(strict) with this reason

    @property
    def who(self) -> str:
        return self.sender or self.answers[1]


def check_reply(app: App, clock: FixedClock, case: Reply) -> list[str]:
    """Run one case on a fresh bot; what went wrong (empty: handled right)."""
    share_parts(app)
    open_round(app, clock)
    play(app, clock, case.scene)
    before = {a.ref: a.status for a in actions(app)}
    answered = last_mail(app, *case.answers)
    seen = last_id(app)
    name = NAMES.get(case.who, "") if case.name is None else case.name
    raw = reply(app, answered, case.text, style=case.style, sender=address(case.who), name=name,
                attachments=case.attachments)  # fmt: skip
    result = process(app, raw)
    problems: list[str] = []
    if result.kind != "reply" or result.outcome == "failed":
        problems.append(f"read as {result.kind}/{result.outcome}: {result.error}")
    after = {a.ref: a for a in actions(app)}
    for ref, action in after.items():
        want = case.status.get(ref, before.get(ref))
        if action.status != want:
            problems.append(f"{ref} is {action.status}, should be {want}")
    for ref, key in case.owner.items():
        if after[ref].owner_address != address(key):
            problems.append(f"{ref} owner {after[ref].owner_address}, should be {address(key)}")
    for ref, key in case.delegate.items():
        if after[ref].delegate_address != address(key):
            problems.append(f"{ref} delegate {after[ref].delegate_address}, should be {address(key)}")
    for ref, day in case.due.items():
        if after[ref].due.isoformat() != day:
            problems.append(f"{ref} due {after[ref].due}, should be {day}")
    new = rows(app, after=seen)
    notes = [rendered(app, m) for m in new if m.kind == "note_notice"]
    told = sorted(m.to_address for m in notes)
    if case.notes_to is not None and told != sorted(address(k) for k in case.notes_to):
        said = [line for m in notes for line in (m.body_text or "").splitlines() if line.startswith("> ")]
        problems.append(f"notes to {told} saying {said}, should be to {sorted(case.notes_to)}")
    for ref, words in case.kept.items():
        if not any(words in note for note in history(app, ref)):
            problems.append(f"{ref}'s history {history(app, ref)} lacks {words!r}")
    delays = [m.to_address for m in new if m.kind == "delay_notice"]
    if delays != ([address(HOST)] if case.delay_notice else []):
        problems.append(f"delay notices to {delays}, should be {'the host' if case.delay_notice else 'none'}")
    answers = [m for m in new if m.kind in ANSWERS and m.to_address == address(case.who)]
    if not case.answered:
        if answers or result.outcome != "acknowledged":
            problems.append(f"answered {[m.kind for m in answers]} (outcome {result.outcome}); thanks need no answer")
        return problems
    if len(answers) != 1:
        return [*problems, f"{len(answers)} answers to {case.who}: {[m.kind for m in new]}"]
    answer = rendered(app, answers[0])
    body = answer.body_text or ""
    if answer.kind != ("reply_refused" if case.refused else "reply_result"):
        problems.append(f"answered with {answer.kind}")
    for phrase in NOT_UNDERSTOOD if case.plain else ():
        if phrase in body:
            problems.append(f"the answer says {phrase!r}")
    asked = "mailto:minutes+" in body and any(phrase in body for phrase in ASKED_BACK)
    if case.asked_back is not None and case.asked_back != asked:
        problems.append("not asked back with the one-click answers" if case.asked_back else "asked back")
    problems += [f"the answer lacks {text!r}" for text in case.says if text not in body]
    if problems:
        problems.append("answer: " + body.split("\n--\n")[0][-700:])
    return problems


def history(app: App, ref: str) -> list[str]:
    """The notes kept in an action's history (`mailbot show`)."""
    with app.db.session() as session:
        events = session.scalars(
            select(Event).where(Event.action_id == int(ref[2:]), Event.what == "action.note").order_by(Event.id)
        )
        return [str((event.detail or {}).get("note", "")) for event in events]


def _r(cls: str, label: str, answers: tuple[str, str], text: str, **kw: object) -> Reply:
    return Reply(id=f"{cls}-{label}", cls=cls, answers=answers, text=text, **kw)  # type: ignore[arg-type]


# The mails answered: (kind, recipient). The owners' confirmation requests first.
ZW = ("confirm_request", "zhang.wei")
CZ = ("confirm_request", "chen.zhe")
ZM = ("confirm_request", "zhao.min")
ZR = ("confirm_request", "zhu.rong")
HOST_MINUTES = ("minutes_notice", HOST)
OBJECTION = ("objection_notice", HOST)
DELAY = ("delay_notice", HOST)
ESCALATED = ("escalation", HOST)
ACCEPTANCE = ("acceptance_request", HOST)
REMINDED = ("reminder", "chen.zhe")
HANDOVER = ("confirm_request", "zhou.ting")
ATTENDEE = ("minutes_notice", "sun.lei")

ACCEPTED = "accepted"
# Bugs, each shown by the cases that carry it.
SIGN_OFF_NAME = (
    "BUG: a signature headed by a sign-off ('祝好' / '顺祝商祺' / 'Best regards,' / 'Thanks,' / 'BR' above "
    "the name) is not taken for a signature: the name and department lines under it go to the host as a "
    "note_notice"
)
SALUTATION = (
    "BUG: a Chinese salutation line that is not one of the listed greetings ('李总好，', '李总：', "
    "'王老师好！', '各位领导好，') goes to the host as a note_notice"
)
LONG_SIGNATURE = (
    "BUG: a company signature longer than four lines (name, title, department, phones, address), a "
    "confidentiality disclaimer under it, or the '[cid:image001.png@…]' line Outlook writes for the logo "
    "in its text part is not taken for a signature: it goes to the host as a note_notice"
)
OTHER_NAME_SIGNATURE = (
    "BUG: a signature in the other script than the From name ('Zhang Wei | Marketing' / 'T: … | M: …' "
    "from 张伟 <zhang.wei@…>) is not taken for a signature: it goes to the host as a note_notice"
)
MOBILE_FOOTER = (
    "BUG: Outlook mobile's Chinese footer '获取 Outlook for iOS' is not cut like 'Get Outlook for iOS': "
    "it goes to the host as a note_notice"
)
REASON_BELOW = (
    "BUG: the reason written on the line or paragraph under the command word ('异议' / '延期至12月28日' "
    "then '原因：…' or the reason below) is not read: refused for a missing reason, and the reason is "
    "dropped (not applied, not echoed, not passed on)"
)

# fmt: off
CONFIRM = [
    _r("confirm", "outlook-signature", ZW, "确认，谢谢！\n\n张伟\n市场部", status={"A-1": ACCEPTED}),
    _r("confirm", "outlook-greeting-contacts", ZW,
       "李总好，\n\n确认。\n\n张伟\n市场部 | 华东区\n电话：021-6888 1234\n手机：138 1234 5678", status={"A-1": ACCEPTED}),
    _r("confirm", "foxmail-tel", CZ, "确认\n\n陈喆\n研发部 | 产品研发中心\nTel: 010-8888 6666", style="foxmail",
       status={"A-2": ACCEPTED}),
    _r("confirm", "netease-greeting", ZM, "您好，\n确认。\n\n赵敏", style="netease", status={"A-3": ACCEPTED}),
    _r("confirm", "apple-emoji-iphone", ZR, "确认👍\n\n发自我的iPhone", style="apple", status={"A-4": ACCEPTED}),
    _r("confirm", "gmail-dashdash-signature", ZW, "已确认\n\n--\n张伟 | 市场部\nzhang.wei@corp.example", style="gmail_zh",
       status={"A-1": ACCEPTED}),
    _r("confirm", "fullwidth-outlook", CZ, "确认无误。\n\n陈喆", style="outlook_zh_fullwidth", status={"A-2": ACCEPTED}),
    _r("confirm", "receipt-then-confirm", ZM, "收到，确认！\n\n赵敏\n销售部\n手机：139-0000-1234", style="foxmail",
       status={"A-3": ACCEPTED}),
    _r("confirm", "ok-then-confirm", ZR, "好的，确认\n\n朱镕\n财务部", style="netease", status={"A-4": ACCEPTED}),
    _r("confirm", "agree", ZW, "同意！\n\n张伟", status={"A-1": ACCEPTED}),
    _r("confirm", "no-objection", CZ, "无异议\n\n陈喆", style="foxmail", status={"A-2": ACCEPTED}),
    _r("confirm", "huawei-phone", ZW, "嗯嗯，确认\n\n发自我的华为手机", style="apple", status={"A-1": ACCEPTED}),
    _r("confirm", "thanks-next-line", CZ, "确认了\n谢谢", status={"A-2": ACCEPTED}),
    _r("confirm", "with-ref", ZM, "A-3 确认\n\n赵敏\n销售部", style="gmail_zh", status={"A-3": ACCEPTED}),
    _r("confirm", "fullwidth-ref", ZR, "Ａ－４：确认", style="outlook_zh_fullwidth", status={"A-4": ACCEPTED}),
    _r("confirm", "greeting-sign-off", ZW, "各位好，\n\n确认，谢谢。\n\n祝好\n张伟", status={"A-1": ACCEPTED}),
    _r("confirm", "cizhi-jingli", CZ, "确认。\n\n此致\n敬礼\n\n陈喆\n研发部", status={"A-2": ACCEPTED}),
    _r("confirm", "netease-master", ZM, "确认～\n\n来自网易邮箱大师", style="netease", status={"A-3": ACCEPTED}),
    _r("confirm", "address-signature", ZR,
       "确认，谢谢！\n\n朱镕 | 财务部\n电话：021-6888 5678\n地址：上海市浦东新区世纪大道100号",
       style="outlook_zh_fullwidth", status={"A-4": ACCEPTED}),
    _r("confirm", "question-below", ZW, "确认\n\n交付标准里的 PDF 需要盖章吗？\n\n张伟\n市场部",
       status={"A-1": ACCEPTED}, notes_to=(HOST,), kept={"A-1": "需要盖章吗"},
       says=("已把您写的话转告 李娜 <li.na@corp.example>",)),
    _r("confirm", "remark-below", CZ, "确认\n\n接口文档下周三前会先发给张伟。\n\n陈喆", style="foxmail",
       status={"A-2": ACCEPTED}, notes_to=(HOST,)),
    _r("confirm", "remark-below-iphone", ZR, "确认\n\n预算核算表沿用上季度的模板。\n\n发自我的iPhone", style="apple",
       status={"A-4": ACCEPTED}, notes_to=(HOST,)),
    _r("confirm", "hello-li-zong", ZM, "李总，您好：\n确认，谢谢！", style="outlook_zh", status={"A-3": ACCEPTED}),
    _r("confirm", "morning-inline", ZW, "早上好！确认。", status={"A-1": ACCEPTED}),
    _r("confirm", "shunzhu-shangqi", ZM, "各位好：\n\n确认\n\n顺祝商祺\n赵敏\n销售部", style="foxmail",
       status={"A-3": ACCEPTED}),
    _r("confirm", "accept-task", CZ, "接受，谢谢李总安排。\n\n陈喆", status={"A-2": ACCEPTED}, notes_to=None),
    # A comment on the command's own line that says something (a date, a condition) is kept in the
    # action's history and passed on to the host; thanks alone are not (accept-task above).
    _r("confirm", "comment-same-line", ZW, "确认，月底前给到周总。\n\n张伟", status={"A-1": ACCEPTED},
       kept={"A-1": "月底前给到周总"}, notes_to=(HOST,)),
    _r("confirm", "no-objection-comment-same-line", ZM, "没有异议，按计划推进，12月15日先给初稿。", style="netease",
       status={"A-3": ACCEPTED}, kept={"A-3": "12月15日先给初稿"}, notes_to=(HOST,)),
    _r("confirm", "signature-block-under-sign-off", ZR, "确认。\n\n祝好！\n朱镕\n财务部 预算科", style="foxmail",
       status={"A-4": ACCEPTED}),
    _r("confirm", "salutation-colon", ZW, "李总：\n\n确认。\n\n张伟", status={"A-1": ACCEPTED}),
    _r("confirm", "salutation-teacher", CZ, "王老师好！\n确认\n\n陈喆", style="foxmail", status={"A-2": ACCEPTED}),
    _r("confirm", "salutation-leaders", ZM, "各位领导好，\n\n确认，谢谢！", style="netease", status={"A-3": ACCEPTED}),
    _r("confirm", "salutation-hi-name", ZR, "Hi 李总，\n\n确认", style="gmail_zh", status={"A-4": ACCEPTED}),
    _r("confirm", "one-click-iphone", ZW, "确认\n\n\n发自我的iPhone", style="apple", status={"A-1": ACCEPTED}),
]

TRADITIONAL = [
    _r("traditional", "confirm", ZW, "確認，謝謝！\n\n張偉\n市場部", name="張偉", status={"A-1": ACCEPTED}),
    _r("traditional", "already-confirmed", CZ, "已確認\n\n陳喆", name="陳喆", style="foxmail", status={"A-2": ACCEPTED}),
    _r("traditional", "no-problem-confirm", ZM, "沒問題，確認", name="趙敏", style="netease", status={"A-3": ACCEPTED}),
    _r("traditional", "correct", ZR, "確認無誤。\n\n朱鎔\n財務部", name="朱鎔", status={"A-4": ACCEPTED}),
    _r("traditional", "object", CZ, "異議：研發排期已滿，12月10日前來不及", name="陳喆", status={"A-2": "objected"}),
    _r("traditional", "delay", ZM, "延期至12月28號，原因：培訓講師檔期衝突", name="趙敏", status={"A-3": "delayed"},
       due={"A-3": "2026-12-28"}, delay_notice=True),
    _r("traditional", "delegate", ZR, "轉交 周婷", name="朱鎔", delegate={"A-4": "zhou.ting"}),
    _r("traditional", "in-progress", ZW, "進行中", name="張偉", status={"A-1": "in_progress"}),
    _r("traditional", "done", ZW, "已完成，方案見附件", name="張偉", status={"A-1": "done"},
       attachments=(("活動方案初稿.pdf", "application/pdf", b"%PDF-1.4 plan"),)),
    _r("traditional", "host-overrule", OBJECTION, "A-2 維持", name="李娜", scene="a2_objected",
       status={"A-2": ACCEPTED}, notes_to=("chen.zhe",)),
    _r("traditional", "host-withdraw", HOST_MINUTES, "A-3 撤銷", name="李娜", status={"A-3": "cancelled"},
       notes_to=("zhao.min",)),
    _r("traditional", "verify", ACCEPTANCE, "驗收通過，謝謝！", name="李娜", scene="a1_done",
       status={"A-1": "verified"}),
    _r("traditional", "reject", ACCEPTANCE, "驗收不通過：缺少競品對比部分", name="李娜", scene="a1_done",
       status={"A-1": "in_progress"}),
    _r("traditional", "received-thanks", ZW, "收到，謝謝", name="張偉", asked_back=True),
]

ENGLISH = [
    _r("english", "confirmed-best-regards", ZW, "Confirmed.\n\nBest regards,\nZhang Wei", style="gmail_en",
       name="Zhang Wei", status={"A-1": ACCEPTED}),
    _r("english", "hi-confirm-thanks", CZ, "Hi,\n\nConfirm - thanks.\n\nChen Zhe", style="gmail_en", name="Chen Zhe",
       status={"A-2": ACCEPTED}),
    _r("english", "i-confirm-iphone", ZM, "I confirm.\n\nSent from my iPhone", style="apple", name="Zhao Min",
       status={"A-3": ACCEPTED}),
    _r("english", "agreed-regards", ZR, "Agreed!\n\nRegards,\nZhu Rong", style="gmail_en", name="Zhu Rong",
       status={"A-4": ACCEPTED}),
    _r("english", "looks-good-confirmed", ZW, "Looks good, confirmed.", style="gmail_en", name="Zhang Wei",
       status={"A-1": ACCEPTED}),
    _r("english", "sign-off-name-department", ZM, "Confirmed, thanks!\n\nBest regards,\nZhao Min\nSales Department",
       style="gmail_en", status={"A-3": ACCEPTED}),
    _r("english", "object", CZ, "Object: the feature freeze is on Dec 15, we can't deliver by Dec 10.",
       style="gmail_en", name="Chen Zhe", status={"A-2": "objected"}),
    _r("english", "delay-because", ZM, "Delay to Dec 28 because the trainer is not available.", style="gmail_en",
       name="Zhao Min", status={"A-3": "delayed"}, due={"A-3": "2026-12-28"}, delay_notice=True),
    _r("english", "delegate-address", ZR, "Delegate to zhou.ting@corp.example\n\nThanks,\nZhu Rong", style="gmail_en",
       name="Zhu Rong", delegate={"A-4": "zhou.ting"}),
    _r("english", "in-progress", ZW, "In progress.\n\nSent from Outlook for iOS", style="gmail_en", name="Zhang Wei",
       status={"A-1": "in_progress"}),
    _r("english", "done-see-attached", ZW, "Done, see attached.\n\nZhang Wei", style="gmail_en", name="Zhang Wei",
       status={"A-1": "done"}, attachments=(("launch-plan.pdf", "application/pdf", b"%PDF-1.4 plan"),)),
    _r("english", "thanks", CZ, "Thanks!", style="gmail_en", name="Chen Zhe", asked_back=True),
    _r("english", "ok-got-it", ZM, "OK, got it.\n\nZhao Min", style="gmail_en", name="Zhao Min", asked_back=True),
    _r("english", "noted-with-thanks", ZR, "Noted with thanks.", style="gmail_en", name="Zhu Rong", asked_back=True),
    _r("english", "verified-thanks", ACCEPTANCE, "Verified, thanks.", style="gmail_en", name="Li Na",
       scene="a1_done", status={"A-1": "verified"}),
    _r("english", "reject-reason", ACCEPTANCE, "Rejected: the competitor comparison is missing.", style="gmail_en",
       name="Li Na", scene="a1_done", status={"A-1": "in_progress"}),
    _r("english", "hi-thanks-iphone", ZW, "Hi,\n\nThanks!\n\nSent from my iPhone", style="apple", name="Zhang Wei",
       asked_back=True),
]

OBJECT = [
    _r("object", "reason-colon", CZ, "异议：12月10日前来不及，研发排期已满", style="foxmail",
       status={"A-2": "objected"}),
    _r("object", "disagree-because-signature", CZ, "不同意，因为接口文档还没冻结\n\n陈喆\n研发部",
       status={"A-2": "objected"}),
    _r("object", "oppose", ZR, "反对：预算核算需要等财务部年度预算批复\n\n朱镕", style="netease",
       status={"A-4": "objected"}),
    _r("object", "have-objection", CZ, "有异议：需求还没定，无法评估工作量\n\n发自我的iPhone", style="apple",
       status={"A-2": "objected"}),
    _r("object", "i-disagree-reason", ZM, "我不同意，理由是销售培训应由人力资源部牵头", style="gmail_zh",
       status={"A-3": "objected"}),
    _r("object", "remark-below", CZ, "异议：研发排期已满\n\n如果能延到1月10日可以接。\n\n陈喆", status={"A-2": "objected"}),
    _r("object", "emoji", ZR, "异议：预算还没批复😅", style="apple", status={"A-4": "objected"}),
    _r("object", "no-reason", CZ, "异议", style="foxmail", refused=True, says=("提出异议必须写明原因",)),
    _r("object", "reason-next-paragraph", ZM, "异议\n\n培训讲师档期未定，12月18日完成不了。\n\n赵敏",
       status={"A-3": "objected"}),
    _r("object", "english-disagree", ZR, "I disagree: the budget isn't approved yet.", style="gmail_en",
       name="Zhu Rong", status={"A-4": "objected"}),
]

DELAY_CASES = [
    _r("delay", "reason-colon", ZM, "延期至12月28日，原因：培训讲师档期冲突", status={"A-3": "delayed"},
       due={"A-3": "2026-12-28"}, delay_notice=True),
    _r("delay", "postpone-because-signature", ZW, "推迟到12月22日，因为设计资源被抽调\n\n张伟\n市场部",
       status={"A-1": "delayed"}, due={"A-1": "2026-12-22"}, delay_notice=True),
    _r("delay", "iso-date", CZ, "延期至2026-12-20，原因：接口文档未冻结", style="foxmail", status={"A-2": "delayed"},
       due={"A-2": "2026-12-20"}, delay_notice=True),
    _r("delay", "next-year", ZR, "延后至1月8日，原因：年度预算尚未批复\n\n朱镕\n财务部", style="netease",
       status={"A-4": "delayed"}, due={"A-4": "2027-01-08"}, delay_notice=True),
    _r("delay", "weekday-in-brackets", ZM, "延期至12月25日（周五），原因：讲师出差", style="gmail_zh",
       status={"A-3": "delayed"}, due={"A-3": "2026-12-25"}, delay_notice=True),
    _r("delay", "no-reason", ZM, "延期至12月28日", refused=True, says=("延期必须写明原因",)),
    _r("delay", "remark-below", ZM, "延期至12月28日，原因：培训讲师档期冲突\n\n已和李总口头沟通过。",
       status={"A-3": "delayed"}, due={"A-3": "2026-12-28"}, delay_notice=True),
    _r("delay", "fullwidth-digits", CZ, "延期至１２月２０日，原因：测试环境故障", style="outlook_zh_fullwidth",
       status={"A-2": "delayed"}, due={"A-2": "2026-12-20"}, delay_notice=True),
    _r("delay", "after-in-progress", ZW, "延期至12月22日，原因：设计资源被抽调", scene="a1_in_progress",
       status={"A-1": "delayed"}, due={"A-1": "2026-12-22"}, delay_notice=True),
    _r("delay", "reason-next-line", ZM, "延期至12月28日\n原因：培训讲师档期冲突\n\n赵敏", status={"A-3": "delayed"},
       due={"A-3": "2026-12-28"}, delay_notice=True),
]

DELEGATE = [
    _r("delegate", "plain", ZR, "转交 周婷", style="netease", delegate={"A-4": "zhou.ting"}),
    _r("delegate", "to-with-signature", ZR, "转交给周婷\n\n朱镕\n财务部", delegate={"A-4": "zhou.ting"}),
    _r("delegate", "attendee", ZM, "转交 刘洋\n\n发自我的iPhone", style="apple", delegate={"A-3": "liu.yang"}),
    _r("delegate", "take-over", HANDOVER, "确认", scene="a4_delegated", status={"A-4": ACCEPTED},
       owner={"A-4": "zhou.ting"}),
    _r("delegate", "take-over-signature", HANDOVER, "好的，确认！\n\n周婷\n财务部", scene="a4_delegated",
       style="foxmail", status={"A-4": ACCEPTED}, owner={"A-4": "zhou.ting"}),
    _r("delegate", "delegate-receipt", HANDOVER, "收到", scene="a4_delegated", asked_back=True,
       owner={"A-4": "zhu.rong"}),
    _r("delegate", "take-over-remark", HANDOVER, "确认\n\n我下周一开始接手，需要朱镕把模板发我。\n\n周婷",
       scene="a4_delegated", status={"A-4": ACCEPTED}, owner={"A-4": "zhou.ting"}, notes_to=(HOST,)),
]

PROGRESS = [
    _r("progress", "in-progress", ZW, "进行中", status={"A-1": "in_progress"}),
    _r("progress", "in-progress-remark-below", ZW, "进行中\n\n海报初稿周一出。\n\n张伟", status={"A-1": "in_progress"},
       notes_to=(HOST,)),
    _r("progress", "started-same-line", ZW, "已开始，预计下周完成初稿。", status={"A-1": "in_progress"},
       kept={"A-1": "预计下周完成初稿"}, notes_to=(HOST,)),
    _r("progress", "done", ZW, "完成", status={"A-1": "done"}),
    _r("progress", "done-attachment", ZW, "A-1 已完成，方案见附件\n\n张伟\n市场部", status={"A-1": "done"},
       attachments=(("活动方案初稿.pdf", "application/pdf", b"%PDF-1.4 plan"),), says=("活动方案初稿.pdf",)),
    _r("progress", "done-comment", CZ, "已完成，功能亮点说明已发张伟。", style="foxmail", status={"A-2": "done"}),
    _r("progress", "done-after-silence", ZR, "完成了\n\n朱镕\n财务部\n电话：021-6888 5678", scene="silent",
       status={"A-4": "done"}),
    _r("progress", "in-progress-after-silence", ZM, "处理中\n\n发自我的小米手机", scene="silent", style="apple",
       status={"A-3": "in_progress"}),
    _r("progress", "done-remark-below", ZW, "完成\n\n方案已放共享盘，纸质版周五交李总。", scene="a1_in_progress",
       status={"A-1": "done"}),
    _r("progress", "done-english-mixed", CZ, "Done，文档已上传。", style="gmail_zh", status={"A-2": "done"}),
]

HOST_HAND = [
    # The owner whose objection is overruled is told so, with the host's words (one mail).
    _r("host", "overrule", OBJECTION, "A-2 维持", scene="a2_objected", status={"A-2": ACCEPTED},
       notes_to=("chen.zhe",)),
    _r("host", "overrule-no-ref", OBJECTION, "维持\n\n李娜\n市场部", scene="a2_objected", status={"A-2": ACCEPTED},
       notes_to=("chen.zhe",)),
    _r("host", "overrule-comment", OBJECTION, "A-2 维持，按原计划12月10日交付", scene="a2_objected",
       status={"A-2": ACCEPTED}, notes_to=("chen.zhe",)),
    _r("host", "withdraw-objected", OBJECTION, "A-2 撤销", scene="a2_objected", status={"A-2": "cancelled"},
       notes_to=("chen.zhe",)),
    _r("host", "reschedule-objected", OBJECTION, "A-2 改期 2026-12-20", scene="a2_objected",
       status={"A-2": "awaiting_confirmation"}, due={"A-2": "2026-12-20"}),
    _r("host", "reassign-objected", OBJECTION, "A-2 改派 刘洋", scene="a2_objected",
       status={"A-2": "awaiting_confirmation"}, owner={"A-2": "liu.yang"}),
    _r("host", "reschedule-remark", OBJECTION, "A-2 改期 12月24日\n\n陈喆说的情况属实，排期再给两周。\n\n李娜",
       scene="a2_objected", status={"A-2": "awaiting_confirmation"}, due={"A-2": "2026-12-24"},
       notes_to=()),
    _r("host", "withdraw-remark", HOST_MINUTES, "A-3 撤销\n\n这项并入财务部例会跟进。", status={"A-3": "cancelled"},
       notes_to=("zhao.min",)),
    _r("host", "reschedule-open", HOST_MINUTES, "A-1 改期 2026-12-22", status={"A-1": "awaiting_confirmation"},
       due={"A-1": "2026-12-22"}),
    _r("host", "reassign-open", HOST_MINUTES, "A-4 改派 周婷\n\n李娜", style="foxmail",
       status={"A-4": "awaiting_confirmation"}, owner={"A-4": "zhou.ting"}),
    _r("host", "two-lines", HOST_MINUTES, "各位好，\n\nA-1 改期 2026-12-22\nA-3 撤销\n\n李娜", status={
        "A-1": "awaiting_confirmation", "A-3": "cancelled"}, due={"A-1": "2026-12-22"}, notes_to=("zhao.min",)),
    _r("host", "thanks-recorder", HOST_MINUTES, "收到，辛苦王芳！", answered=False),
    _r("host", "approve", HOST_MINUTES, "审核通过\n\n李娜", style="netease"),
    _r("host", "delay-reschedule", DELAY, "A-3 改期 2026-12-22", scene="a3_delayed",
       status={"A-3": "awaiting_confirmation"}, due={"A-3": "2026-12-22"}),
    _r("host", "delay-reassign", DELAY, "A-3 改派 孙磊\n\n发自我的iPhone", scene="a3_delayed", style="apple",
       status={"A-3": "awaiting_confirmation"}, owner={"A-3": "sun.lei"}),
    _r("host", "escalation-reschedule-english", ESCALATED, "A-2 reschedule 2027-01-08\n\nThanks,\nLi Na",
       scene="escalation", style="gmail_en", name="Li Na", status={"A-2": "awaiting_confirmation"},
       due={"A-2": "2027-01-08"}),
    # To a notice (nothing is asked of the host) an acknowledgement is noted, not asked back.
    _r("host", "delay-ok", DELAY, "好的，知道了", scene="a3_delayed", answered=False),
    _r("host", "delay-agree", DELAY, "同意延期。\n\n李娜", scene="a3_delayed", says=("无需批准",)),
    _r("host", "escalation-reassign", ESCALATED, "A-2 改派 刘洋", scene="escalation",
       status={"A-2": "awaiting_confirmation"}, owner={"A-2": "liu.yang"}),
    _r("host", "escalation-reschedule", ESCALATED, "A-2 改期 2027-01-08\n\n李娜\n市场部", scene="escalation",
       status={"A-2": "awaiting_confirmation"}, due={"A-2": "2027-01-08"}),
    _r("host", "escalation-withdraw", ESCALATED, "A-2 撤销", scene="escalation", style="gmail_zh",
       status={"A-2": "cancelled"}, notes_to=("chen.zhe",)),
    _r("host", "escalation-words", ESCALATED, "陈喆这周在外地出差，我已经安排刘洋支援。\n\n李娜", scene="escalation",
       notes_to=("chen.zhe",)),
    _r("host", "escalation-ack", ESCALATED, "收到，我来跟陈喆沟通。", scene="escalation", says=("没有需要处理的命令",)),
    _r("host", "overrule-not-objected", HOST_MINUTES, "A-1 维持", refused=True, says=("没有待处理的异议",)),
    _r("host", "not-the-host", ATTENDEE, "A-1 撤销", refused=True, says=("只有主持人",)),
    _r("host", "reassign-in-progress", HOST_MINUTES, "A-1 改派 刘洋", scene="a1_in_progress",
       status={"A-1": "awaiting_confirmation"}, owner={"A-1": "liu.yang"}),
    _r("host", "withdraw-done", HOST_MINUTES, "A-1 撤销", scene="a1_done", status={"A-1": "cancelled"},
       notes_to=("zhang.wei",)),
]

VERIFY = [
    _r("verify", "passed", ACCEPTANCE, "验收通过", scene="a1_done", status={"A-1": "verified"}),
    _r("verify", "passed-signature", ACCEPTANCE, "验收通过，辛苦了！\n\n李娜\n市场部", scene="a1_done",
       status={"A-1": "verified"}),
    _r("verify", "rejected", ACCEPTANCE, "验收不通过：缺少竞品对比部分", scene="a1_done", status={"A-1": "in_progress"}),
    _r("verify", "rejected-remark", ACCEPTANCE, "验收不通过：缺少竞品对比部分\n\n补充后直接发我即可。", scene="a1_done",
       status={"A-1": "in_progress"}),
    _r("verify", "confirm-means-verify", ACCEPTANCE, "确认", scene="a1_done", status={"A-1": "verified"}),
    _r("verify", "receipt", ACCEPTANCE, "收到", scene="a1_done", asked_back=True),
    _r("verify", "will-look", ACCEPTANCE, "好的，我看一下", scene="a1_done", style="foxmail", asked_back=True),
    _r("verify", "passed-remark-below", ACCEPTANCE, "A-1 验收通过\n\n方案很完整，下周例会上过一遍。", scene="a1_done",
       status={"A-1": "verified"}),
    _r("verify", "passed-comment-same-line", ACCEPTANCE, "验收通过，方案很完整，下周例会上过一遍。", scene="a1_done",
       status={"A-1": "verified"}, kept={"A-1": "方案很完整"}),
    _r("verify", "iphone", ACCEPTANCE, "已验收\n\n发自我的iPhone", scene="a1_done", style="apple",
       status={"A-1": "verified"}),
]

REMINDER = [
    _r("reminder", "in-progress-comment", REMINDED, "进行中，周四前给到。", scene="reminder",
       status={"A-2": "in_progress"}, kept={"A-2": "周四前给到"}, notes_to=(HOST,)),
    _r("reminder", "receipt", REMINDED, "收到", scene="reminder", asked_back=True),
    _r("reminder", "thanks-for-reminding", REMINDED, "好的，谢谢提醒", scene="reminder", asked_back=True),
    _r("reminder", "words", REMINDED, "在做了，周四前能给到市场部。\n\n陈喆", scene="reminder", notes_to=(HOST,)),
    _r("reminder", "done-signature", REMINDED, "已完成\n\n陈喆\n研发部", scene="reminder", status={"A-2": "done"}),
    _r("reminder", "delay", REMINDED, "延期至12月17日，原因：测试环境故障", scene="reminder", style="foxmail",
       status={"A-2": "delayed"}, due={"A-2": "2026-12-17"}, delay_notice=True),
    _r("reminder", "done-path", REMINDED, "完成了，文档放在共享盘 /研发/Q1/功能亮点说明.docx", scene="reminder",
       status={"A-2": "done"}),
    _r("reminder", "on-it", REMINDED, "马上处理\n\n发自我的iPhone", scene="reminder", style="apple", notes_to=(HOST,)),
    _r("reminder", "working-on-it", REMINDED, "Working on it, will send by Thursday.", scene="reminder",
       style="gmail_en", name="Chen Zhe", status={"A-2": "in_progress"}, notes_to=None),
    _r("reminder", "receipt-emoji", REMINDED, "收到🙏\n\n发自我的iPhone", scene="reminder", style="apple",
       asked_back=True),
    _r("reminder", "ok-will-do", REMINDED, "好的，这周四前提交。\n\n陈喆\n研发部", scene="reminder", style="netease",
       asked_back=True),
]

ACK_TEXTS = [
    ("receipt", ZW, "收到", "outlook_zh"),
    ("receipt-bang", CZ, "收到！", "foxmail"),
    ("receipt-thanks", ZM, "收到，谢谢", "netease"),
    ("ok", ZR, "好的", "apple"),
    ("ok-thanks", ZW, "好的，谢谢！", "gmail_zh"),
    ("thanks", CZ, "谢谢", "outlook_zh_fullwidth"),
    ("thanks-li-zong", ZM, "谢谢李总", "outlook_zh"),
    ("ok-latin", ZR, "OK", "foxmail"),
    ("ok-receipt", ZW, "ok，收到", "netease"),
    ("receipt-emoji", CZ, "收到🙏", "apple"),
    ("mm", ZM, "嗯嗯", "gmail_zh"),
    ("ok-emoji", ZR, "好的👌", "apple"),
    ("got-it", ZW, "Got it, thanks.", "gmail_en"),
    ("received-hard-work", CZ, "收到了，辛苦", "outlook_zh"),
    ("received-signature", ZM, "已收到，谢谢！\n\n赵敏\n销售部", "outlook_zh"),
    ("receipt-iphone", ZR, "收到\n\n发自我的iPhone", "apple"),
    ("receipt-will-do", ZW, "收到，马上办", "foxmail"),
    ("understood", CZ, "了解", "netease"),
    ("know", ZM, "知道了", "outlook_zh_fullwidth"),
    ("noted-formal", ZR, "收悉", "outlook_zh"),
    ("read", ZW, "已阅", "outlook_zh"),
    ("thumbs-up", CZ, "👍", "apple"),
    ("greeting-thanks-sign-off", ZM, "您好，\n\n谢谢！\n\n此致\n敬礼", "outlook_zh"),
    ("receipt-tilde", ZR, "收到～", "netease"),
    ("receipt-confirm-receipt", ZW, "确认收到", "outlook_zh"),
]
ACK = [_r("ack", label, answers, text, style=style, asked_back=True) for label, answers, text, style in ACK_TEXTS]

GREETING = [
    _r("greeting", "hello-confirm-wishes", ZW, "您好！\n\n确认。\n\n祝好\n张伟", status={"A-1": ACCEPTED}),
    _r("greeting", "hi-mailbot-best", ZW, "Hi Mailbot,\n\nConfirmed.\n\nBest,\nZhang Wei", style="gmail_en",
       name="Zhang Wei", status={"A-1": ACCEPTED}),
    _r("greeting", "dear-all-kind-regards", CZ, "Dear all,\n\nConfirm.\n\nKind regards\nChen Zhe", style="gmail_en",
       name="Chen Zhe", status={"A-2": ACCEPTED}),
    _r("greeting", "only-greeting-and-sign-off", ZM, "您好\n\n祝好", style="outlook_zh", asked_back=True),
    _r("greeting", "only-signature", ZR, "朱镕\n财务部\n电话：021-6888 5678", style="outlook_zh", asked_back=True,
       plain=False),
    _r("greeting", "morning-everyone-ok", CZ, "大家好！\n\n好的，谢谢。\n\n陈喆\n研发部", style="foxmail",
       asked_back=True),
    _r("greeting", "good-afternoon-confirm", ZR, "下午好，确认。\n\nBR\n朱镕", style="netease",
       status={"A-4": ACCEPTED}),
    _r("greeting", "attendee-thanks", ATTENDEE, "谢谢王芳整理！\n\n孙磊\n销售部", answered=False),
    # A bare receipt could be either answer the notice asks for: said back once, with how to object.
    _r("greeting", "attendee-receipt-iphone", ("minutes_notice", "liu.yang"), "收到\n\n发自我的iPhone", style="apple",
       says=("收到，视为您已阅读 M-1 纪要", "请于 2026年12月4日（周五） 前回复“异议：原因”")),
    _r("greeting", "attendee-confirm-minutes", ("minutes_notice", "zhou.ting"), "确认\n\n周婷\n财务部",
       says=("已记录您对 M-1 纪要的确认",)),
]

MIXED = [
    _r("mixed", "fullwidth-ok-confirm", ZW, "ＯＫ，确认！", style="outlook_zh_fullwidth", status={"A-1": ACCEPTED}),
    _r("mixed", "check-mark", CZ, "确认✅", style="apple", status={"A-2": ACCEPTED}),
    _r("mixed", "ref-emoji", ZM, "A-3 确认 👍", style="gmail_zh", status={"A-3": ACCEPTED}),
    _r("mixed", "confirm-latin-thanks-zh", ZR, "confirm，谢谢", style="foxmail", status={"A-4": ACCEPTED}),
    _r("mixed", "fullwidth-space-ref", ZW, "Ａ－１　确认", style="outlook_zh_fullwidth", status={"A-1": ACCEPTED}),
    _r("mixed", "exclamations", CZ, "确认!!!", style="netease", status={"A-2": ACCEPTED}),
    _r("mixed", "tilde-receipt-confirm", ZM, "收到～确认～", style="netease", status={"A-3": ACCEPTED}),
    _r("mixed", "ok-confirm", ZR, "OK 确认", style="gmail_zh", status={"A-4": ACCEPTED}),
    _r("mixed", "bullet", ZW, "- 确认\n\n张伟", style="gmail_zh", status={"A-1": ACCEPTED}),
    _r("mixed", "fullwidth-colon-object", CZ, "异议：预算未批复，无法启动", style="outlook_zh_fullwidth",
       status={"A-2": "objected"}),
    _r("mixed", "confirm-english-name-signature", ZM, "确认，谢谢！\n\nBest regards,\n赵敏 Zhao Min\n销售部",
       style="outlook_zh", status={"A-3": ACCEPTED}),
    _r("mixed", "bare-address", ZR, "确认\n\n朱镕", name="", status={"A-4": ACCEPTED}),
]

SIGNATURE = [
    _r("signature", "four-lines-with-name", ZW,
       "确认\n\n张伟 Zhang Wei\n高级经理 | 市场部\nM: 138-1234-5678\nE: zhang.wei@corp.example",
       status={"A-1": ACCEPTED}),
    _r("signature", "contact-lines-only", CZ, "确认\n\nTel: 010-8888 6666\nchen.zhe@corp.example", style="foxmail",
       status={"A-2": ACCEPTED}),
    _r("signature", "dash-dash-long", ZM,
       "确认\n\n-- \n赵敏\n销售部 华东大区\n电话：021-6888 2222\n手机：139 0000 1234\n地址：上海市浦东新区世纪大道100号",
       style="gmail_zh", status={"A-3": ACCEPTED}),
    _r("signature", "blank-lines-around", ZR, "确认！\n\n\n\n朱镕\n财务部\n\n\n", status={"A-4": ACCEPTED}),
    _r("signature", "six-lines", ZW,
       "确认\n\n张伟\n高级经理\n市场部\n电话：021-6888 1234\n手机：138 1234 5678\n地址：上海市浦东新区世纪大道100号",
       status={"A-1": ACCEPTED}),
    _r("signature", "disclaimer", CZ,
       "确认\n\n陈喆\n研发部\n\n本邮件及其附件含有公司的保密信息，仅限于发送给上面地址中列出的个人或群组。",
       status={"A-2": ACCEPTED}),
    _r("signature", "outlook-logo", ZM, "确认\n\n[cid:image001.png@01DB64A8.3C5E9F40]\n赵敏\n销售部",
       status={"A-3": ACCEPTED}),
    _r("signature", "english-signature-chinese-from", ZW,
       "确认\n\nZhang Wei | Marketing\nT: +86 21 6888 1234 | M: +86 138 1234 5678", status={"A-1": ACCEPTED}),
    _r("signature", "outlook-ios-zh", ZR, "确认\n\n获取 Outlook for iOS", status={"A-4": ACCEPTED}),
    _r("signature", "outlook-ios-en", CZ, "确认\n\nGet Outlook for iOS", status={"A-2": ACCEPTED}),
]

OWN_THREAD = [
    # Answers to the bot's own answer, in the thread the person started.
    _r("own-thread", "confirm-after-asked-back", ("reply_result", "zhang.wei"), "确认\n\n张伟",
       scene="a1_acknowledged", status={"A-1": ACCEPTED}),
    _r("own-thread", "object-after-refusal", ("reply_refused", "zhao.min"), "异议：培训讲师档期未定",
       scene="a3_no_reason", status={"A-3": "objected"}),
    _r("own-thread", "receipt-after-asked-back-iphone", ("reply_result", "zhang.wei"), "收到\n\n发自我的iPhone",
       scene="a1_acknowledged", style="apple", asked_back=None),
    _r("own-thread", "done-after-in-progress", ("reply_result", "zhang.wei"), "已完成，方案初稿已发李总。",
       scene="a1_in_progress", status={"A-1": "done"}),
]

NOTES = [
    _r("notes", "words-to-request", ZW, "李总，这个方案需要先和研发部对一下接口，我周五前回复您。\n\n张伟",
       notes_to=(HOST,), kept={"A-1": "对一下接口"}, says=("已把您写的话转告 李娜 <li.na@corp.example>",)),
    _r("notes", "question-to-request", CZ, "请问功能亮点说明需要中英文两个版本吗？\n\n陈喆\n研发部", style="foxmail",
       notes_to=(HOST,)),
    _r("notes", "words-iphone", ZR, "我在出差，下周一回来后再确认具体时间。\n\n发自我的iPhone", style="apple",
       notes_to=(HOST,)),
    _r("notes", "words-after-silence", ZM, "讲师已经定了，下周三开始第一次培训。\n\n赵敏", scene="silent",
       notes_to=(HOST,)),
    _r("notes", "greeting-words-sign-off", ZW,
       "李总，您好：\n\n方案初稿需要市场调研数据，我已找孙磊要。\n\n祝好\n张伟\n市场部", notes_to=(HOST,)),
]
# fmt: on

REPLIES: list[Reply] = [
    *CONFIRM,
    *TRADITIONAL,
    *ENGLISH,
    *OBJECT,
    *DELAY_CASES,
    *DELEGATE,
    *PROGRESS,
    *HOST_HAND,
    *VERIFY,
    *REMINDER,
    *ACK,
    *GREETING,
    *MIXED,
    *SIGNATURE,
    *OWN_THREAD,
    *NOTES,
]
assert len({c.id for c in REPLIES}) == len(REPLIES), "duplicate case ids"


# --- drafts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """A draft arriving: `build` sets the scene (an earlier version, the clock) and returns the mail.
    `kind`: "minutes"/"agenda" for what it must be read as ("reply": it must stay one, no new
    version of `title`); `version`: the minutes version in force after it; `count`: live actions
    (minutes) or topics (agenda); `owner`: (ref, owner key, due) that must be among the actions."""

    id: str
    cls: str
    build: Callable[[App, FixedClock], bytes]
    kind: str
    title: str
    day: date | None = None
    count: int = 0
    version: int = 1
    sender: str = ""
    owner: tuple[str, str, str] | None = None
    host: str | None = None
    bug: str = ""


def _versions(app: App, title: str) -> list[tuple[int, str]]:
    with app.db.session() as session:
        meeting_id = session.scalar(select(Meeting.id).where(Meeting.title == title))
        rows = session.scalars(
            select(MinutesVersion).where(MinutesVersion.meeting_id == meeting_id).order_by(MinutesVersion.number)
        )
        return [(v.number, v.status) for v in rows]


def _meeting(app: App, title: str) -> Meeting | None:
    with app.db.session() as session:
        meeting = session.scalar(select(Meeting).where(Meeting.title == title))
        if meeting is not None:
            _ = list(meeting.topics)
        return meeting


def check_draft(app: App, clock: FixedClock, case: Draft) -> list[str]:
    share_parts(app)
    raw = case.build(app, clock)
    before = _versions(app, case.title)
    seen = last_id(app)
    result = process(app, raw)
    problems: list[str] = []
    if case.kind == "reply":
        if result.kind in ("minutes", "agenda") or result.outcome == "failed":
            problems.append(f"read as {result.kind}/{result.outcome}: {result.error}")
        if _versions(app, case.title) != before:
            problems.append(f"versions {before} became {_versions(app, case.title)}")
        if any(m.kind in ("minutes_ack", "agenda_ack") for m in rows(app, after=seen)):
            problems.append("acknowledged as a draft")
        return problems
    if (result.kind, result.outcome) != (case.kind, "processed"):
        return [f"read as {result.kind}/{result.outcome}: {result.error}"]
    meeting = _meeting(app, case.title)
    if meeting is None:
        return [f"no meeting {case.title!r}"]
    if case.day and meeting.meeting_date != case.day:
        problems.append(f"meeting day {meeting.meeting_date}, should be {case.day}")
    if case.host and meeting.host_address != address(case.host):
        problems.append(f"host {meeting.host_address}, should be {address(case.host)}")
    acks = rows(app, after=seen, kind=f"{case.kind}_ack")
    if [m.to_address for m in acks] != [address(case.sender)]:
        problems.append(f"acknowledged to {[m.to_address for m in acks]}, should be {case.sender}")
    if case.kind == "agenda":
        if len(meeting.topics) != case.count:
            problems.append(f"{len(meeting.topics)} topics, should be {case.count}")
        return problems
    live = [
        (a.ref, a.owner_address, a.due.isoformat())
        for a in actions(app)
        if a.meeting_id == meeting.id and a.status != "cancelled"
    ]
    if len(live) != case.count:
        problems.append(f"{len(live)} actions, should be {case.count}: {live}")
    active = [v for v in _versions(app, case.title) if v[1] == "active"]
    if active != [(case.version, "active")]:
        problems.append(f"versions {_versions(app, case.title)}, should have {case.version} active")
    if case.owner:
        ref, key, due = case.owner
        if (ref, address(key), due) not in live:
            problems.append(f"no {(ref, key, due)} among {live}")
    return problems


def fixture_as_sent(name: str, clock_at: str) -> Callable[[App, FixedClock], bytes]:
    def build(app: App, clock: FixedClock) -> bytes:
        at(clock, clock_at)
        return (MAILS / name).read_bytes()

    return build


def _zh_draft_new(note: str, sign: str, *, charset: str, mailer: str, html: bool, mid: str) -> Callable[..., bytes]:
    def build(app: App, clock: FixedClock) -> bytes:
        at(clock, "2026-12-02 18:00")
        text = f"{note}{ZH_DRAFT}{sign}"
        return mail(
            f"【纪要】{Q1}", "wang.fang", text, html_of(text) if html else None, when="2026-12-02 17:50",
            charset=charset, to=("li.na", "zhang.wei", "chen.zhe", "zhao.min"), message_id=mid, mailer=mailer,
        )  # fmt: skip

    return build


def _first_zh_draft(app: App, clock: FixedClock, mid: str) -> bytes:
    """王芳's first version of ZH_DRAFT, sent to the bot and to the attendees; returns the mail."""
    at(clock, "2026-12-02 18:00")
    sent = mail(
        f"【纪要】{Q1}", "wang.fang", ZH_DRAFT, when="2026-12-02 17:32", charset="gbk",
        to=("li.na", "zhang.wei", "chen.zhe", "zhao.min"), message_id=mid,
    )  # fmt: skip
    assert process(app, sent).outcome == "processed"
    at(clock, "2026-12-03 09:30")
    return sent


def _corrected() -> str:
    return ZH_DRAFT.replace("截止：2026-12-15", "截止：2026-12-16")


def own_thread_outlook(app: App, clock: FixedClock) -> bytes:
    original = fixture("outlook_zh_minutes_gbk_html.eml")
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    at(clock, "2026-12-03 09:30")
    text = "李总、各位：\n\n更正如下，第4项并入财务部例会。\n\n" + ZH_DRAFT + "\n王芳\n行政部\n电话：021-6888 0000\n\n"
    text += zh_quote_outlook(original, "2026年12月2日 17:32")
    return mail(
        "答复: " + original.subject, "wang.fang", text, html_of(text, line="<p class=MsoNormal>{}<o:p></o:p></p>"),
        when="2026-12-03 09:25", charset="gbk", gb2312_label=True, cc=("li.na", "zhang.wei"),
        message_id="00aa01db6571$aa10b3c0$fe321b40$@corp.example", in_reply_to=original.message_id,
        mailer="Microsoft Outlook 16.0",
    )  # fmt: skip


def own_thread_foxmail(app: App, clock: FixedClock) -> bytes:
    _first_zh_draft(app, clock, "202612021732-fox@corp.example")
    quote = (
        '\n\n------------------ 原始邮件 ------------------\n发件人: "王芳"<wang.fang@corp.example>;\n'
        '发送时间: 2026年12月2日(星期三) 下午5:32\n收件人: "李娜"<li.na@corp.example>;\n'
        f"主题: 【纪要】{Q1}\n\n{ZH_DRAFT}"
    )
    text = "各位好，张伟的截止日期改为16日，其余不变：\n\n" + _corrected() + "\n王芳" + quote
    return mail(
        f"回复：【纪要】{Q1}", "wang.fang", text, html_of(text), when="2026-12-03 09:20", charset="gbk",
        to=("li.na",), cc=("zhang.wei", "chen.zhe", "zhao.min"), message_id="tencent_FOX0001@qq.com",
        in_reply_to="202612021732-fox@corp.example", mailer="Foxmail 7.2.25.228[cn]",
    )  # fmt: skip


def own_thread_netease(app: App, clock: FixedClock) -> bytes:
    _first_zh_draft(app, clock, "202612021732-163@corp.example")
    quote = f'\n\n在 2026-12-02 17:32:11，"王芳" <wang.fang@corp.example> 写道：\n{ZH_DRAFT}'
    text = "更正：张伟的截止日期为12月16日。\n\n" + _corrected() + "\n王芳\n行政部\n\n来自网易邮箱大师" + quote
    return mail(
        f"回复:【纪要】{Q1}", "wang.fang", text, when="2026-12-03 09:20", to=("li.na",),
        message_id="4d5e6f70.163.wang.fang@corp.example", in_reply_to="202612021732-163@corp.example",
        mailer="Coremail Webmail Server Version XT5.0.13",
    )  # fmt: skip


def own_thread_gmail(app: App, clock: FixedClock) -> bytes:
    at(clock, "2026-12-07 20:00")
    feed(app, "gmail_en_minutes_markdown.eml")
    original = fixture("gmail_en_minutes_markdown.eml")
    corrected = original.text.replace("| 2026-12-14 |", "| 2026-12-15 |")
    quoted = "\n".join("> " + line for line in original.text.splitlines())
    text = "Small fix: A-1 is due on the 15th.\n\n" + corrected
    text += "\n\nOn Mon, Dec 7, 2026 at 7:52 PM Li Na <li.na@corp.example> wrote:\n\n" + quoted + "\n"
    at(clock, "2026-12-07 21:00")
    return mail(
        "Re: " + original.subject, "li.na", text, html_of(text), when="2026-12-07 20:58", english=True,
        to=("zhou.ting", "zhang.wei"), message_id="CAHx7p0Q2-people@mail.gmail.com", in_reply_to=original.message_id,
    )  # fmt: skip


def own_thread_outlook_en(app: App, clock: FixedClock) -> bytes:
    at(clock, "2026-12-09 16:10")
    feed(app, "outlook_en_minutes_tsv.eml")
    original = fixture("outlook_en_minutes_tsv.eml")
    corrected = original.text.replace("Dec 18\t", "Dec 21\t")
    quote = (
        "________________________________\nFrom: Wang Fang <wang.fang@corp.example>\n"
        "Sent: Wednesday, December 9, 2026 4:05 PM\nTo: Chen Zhe <chen.zhe@corp.example>\n"
        f"Subject: {original.subject}\n\n{original.text}"
    )
    at(clock, "2026-12-09 17:00")
    return mail(
        "RE: " + original.subject, "wang.fang", "Corrected below.\n\n" + corrected + "\n" + quote, english=True,
        charset="us-ascii", when="2026-12-09 16:58", cc=("chen.zhe",),
        message_id="002901db6b36$people$@corp.example", in_reply_to=original.message_id,
        mailer="Microsoft Outlook 16.0",
    )  # fmt: skip


def own_thread_apple_agenda(app: App, clock: FixedClock) -> bytes:
    at(clock, "2026-12-03 21:45")
    feed(app, "apple_mail_en_agenda_flowed.eml")
    original = fixture("apple_mail_en_agenda_flowed.eml")
    corrected = original.text.split("\n-- \n")[0].replace("Time: 10:00-11:30", "Time: 14:00-15:30")
    quoted = "\n".join("> " + line for line in original.text.splitlines())
    text = (
        "Room moved, we start at 14:00.\n\n" + corrected
        + "\n\nSent from my iPad\n\n> On 3 Dec 2026, at 21:40, Zhou Ting <zhou.ting@corp.example> wrote:\n> \n"
        + quoted + "\n"
    )  # fmt: skip
    at(clock, "2026-12-03 22:05")
    return mail(
        "Re: " + original.subject, "zhou.ting", text, when="2026-12-03 22:01", english=True, to=("li.na",),
        message_id="7A1B3C5D-PEOPLE@corp.example", in_reply_to=original.message_id,
        mailer="Apple Mail (2.3774.300.61.1.2)",
    )  # fmt: skip


def forward_outlook_zh(app: App, clock: FixedClock) -> bytes:
    sent = mail(
        f"【纪要】{Q1}", "wang.fang", ZH_DRAFT, when="2026-12-02 17:32", charset="gbk", to_bot=False,
        to=("li.na", "zhang.wei", "chen.zhe", "zhao.min"), message_id="draft-people-1@corp.example",
    )  # fmt: skip
    from mailbot.message import InboundMail as ParsedMail

    text = outlook_zh_forward_text(ParsedMail.from_bytes(sent), "王芳的纪要，麻烦机器人发一下确认。\n\n李娜\n市场部")
    at(clock, "2026-12-02 18:30")
    return mail(
        f"转发: 【纪要】{Q1}", "li.na", text, when="2026-12-02 18:25", charset="gbk", gb2312_label=True,
        message_id="004a01db6571$people$@corp.example", mailer="Microsoft Outlook 16.0",
    )  # fmt: skip


def forward_outlook_en(app: App, clock: FixedClock) -> bytes:
    original = fixture("outlook_en_minutes_tsv.eml")
    text = (
        "Hi bot, please track these.\n\nThanks,\nChen Zhe\n\n________________________________\n"
        "From: Wang Fang <wang.fang@corp.example>\nSent: Thursday, December 10, 2026 9:15 AM\n"
        "To: Chen Zhe <chen.zhe@corp.example>; Zhang Wei <zhang.wei@corp.example>; Liu Yang <liu.yang@corp.example>; "
        f"Zhou Ting <zhou.ting@corp.example>\nSubject: {original.subject}\n\n{original.text}"
    )
    at(clock, "2026-12-10 09:30")
    return mail(
        "FW: " + original.subject, "chen.zhe", text, when="2026-12-10 09:25", english=True, charset="us-ascii",
        message_id="00a101db6bc1$people$@corp.example", mailer="Microsoft Outlook 16.0",
    )  # fmt: skip


def forward_gmail(app: App, clock: FixedClock) -> bytes:
    original = fixture("gmail_en_minutes_markdown.eml")
    text, html_body = gmail_forward(original, "FYI - for the bot.\n\nZhou Ting", "Tue, Dec 8, 2026 at 9:03 AM")
    at(clock, "2026-12-08 09:30")
    return mail(
        "Fwd: " + original.subject, "zhou.ting", text, html_body, when="2026-12-08 09:28", english=True,
        message_id="CAJ9v+people@mail.gmail.com",
    )  # fmt: skip


def forward_foxmail(app: App, clock: FixedClock) -> bytes:
    original = fixture("qq_zh_minutes_utf8_lines.eml")
    text = foxmail_forward(original, "孙磊的纪要，请跟进。谢谢！\n\n赵敏\n销售部")
    at(clock, "2026-12-04 10:00")
    return mail(
        "转发：" + original.subject, "zhao.min", text, html_of(text), when="2026-12-04 09:55", charset="gbk",
        message_id="tencent_PEOPLE01@qq.com", mailer="Foxmail 7.2.25.228[cn]",
    )  # fmt: skip


def forward_qq_html(app: App, clock: FixedClock) -> bytes:
    html_body = (
        "<div>转给机器人，谢谢。</div><div><br></div>"
        '<div style="font-size: 12px;font-family: Arial Narrow;padding:2px 0 2px 0;">'
        "------------------&nbsp;原始邮件&nbsp;------------------</div>"
        '<div style="font-size: 12px;background:#efefef;padding:8px;">'
        '<div><b>发件人:</b>&nbsp;"王芳"&lt;wang.fang@corp.example&gt;;</div>'
        "<div><b>发送时间:</b>&nbsp;2026年12月5日(星期六) 上午10:12</div>"
        '<div><b>收件人:</b>&nbsp;"李娜"&lt;li.na@corp.example&gt;;</div><div></div>'
        f"<div><b>主题:</b>&nbsp;【纪要】{Q1}</div></div><div><br></div>" + html_of(ZH_DRAFT)
    )
    at(clock, "2026-12-05 10:30")
    return mail(
        f"转发：【纪要】{Q1}", "li.na", None, html_body, when="2026-12-05 10:26", message_id="tencent_PEOPLE02@qq.com"
    )


def forward_apple_agenda(app: App, clock: FixedClock) -> bytes:
    original = fixture("apple_mail_en_agenda_flowed.eml")
    text = (
        "For the bot.\n\nSent from my iPhone\n\nBegin forwarded message:\n\n"
        "From: Zhou Ting <zhou.ting@corp.example>\nSubject: " + original.subject + "\n"
        "Date: 3 December 2026 at 21:40:03 GMT+8\nTo: Li Na <li.na@corp.example>\n\n" + original.text
    )
    at(clock, "2026-12-04 08:00")
    return mail(
        "Fwd: " + original.subject, "li.na", text, when="2026-12-04 07:58", english=True,
        message_id="3E5F7A9B-PEOPLE@corp.example", mailer="iPhone Mail (20B101)",
    )  # fmt: skip


def forward_thunderbird(app: App, clock: FixedClock) -> bytes:
    """Thunderbird zh-CN: "-------- 转发的消息 --------", tab after the labels, its From: left in English."""
    original = fixture("netease_zh_minutes_block.eml")
    to = ", ".join(f"{a.name} <{a.address}>" for a in original.to)
    text = (
        "转给机器人跟踪。\n\n-------- 转发的消息 --------\n"
        f"主题: \t{original.subject}\n日期: \tFri, 4 Dec 2026 17:12:03 +0800\n"
        f"From: \t王芳 <wang.fang@corp.example>\n收件人: \t{to}\n\n\n\n{original.text}"
    )
    at(clock, "2026-12-04 18:00")
    return mail(
        "Fwd: " + original.subject, "chen.zhe", text, when="2026-12-04 17:55", message_id="tb-people@corp.example",
        mailer="Mozilla Thunderbird",
    )  # fmt: skip


def forward_outlook_agenda(app: App, clock: FixedClock) -> bytes:
    original = fixture("foxmail_zh_agenda_gbk.eml")
    text = outlook_zh_forward_text(original, "李总的议程，请发通知。\n\n王芳")
    at(clock, "2026-11-30 09:40")
    return mail(
        "FW: " + original.subject, "wang.fang", text, when="2026-11-30 09:35", charset="gbk", gb2312_label=True,
        message_id="001c01db62f0$people$@corp.example", mailer="Microsoft Outlook 16.0",
    )  # fmt: skip


def forward_nested(app: App, clock: FixedClock) -> bytes:
    original = fixture("gmail_en_minutes_markdown.eml")
    inner, _ = gmail_forward(original, "FYI", "Mon, Dec 7, 2026 at 7:55 PM")
    text = (
        "Bot, please track.\n\n________________________________\nFrom: Zhang Wei <zhang.wei@corp.example>\n"
        "Sent: Tuesday, December 8, 2026 8:40 AM\nTo: Zhou Ting <zhou.ting@corp.example>\n"
        f"Subject: Fwd: {original.subject}\n\n{inner}"
    )
    at(clock, "2026-12-08 09:00")
    return mail(
        f"FW: Fwd: {original.subject}", "zhou.ting", text, when="2026-12-08 08:58", english=True,
        message_id="00c101db695a$people$@corp.example", mailer="Microsoft Outlook 16.0",
    )  # fmt: skip


def attached_outlook(app: App, clock: FixedClock) -> bytes:
    inner = (MAILS / "outlook_zh_minutes_gbk_html.eml").read_bytes()
    subject = fixture("outlook_zh_minutes_gbk_html.eml").subject
    at(clock, "2026-12-03 09:20")
    return mail(
        "FW: " + subject, "li.na", "纪要见附件，请处理。\n\n李娜\n市场部\n", when="2026-12-03 09:18", charset="gbk",
        gb2312_label=True, message_id="006d01db6572$people$@corp.example", mailer="Microsoft Outlook 16.0",
        attached=[attached_message(inner, subject + ".eml")],
    )  # fmt: skip


def attached_plain_subject(app: App, clock: FixedClock) -> bytes:
    inner = (MAILS / "qq_zh_minutes_utf8_lines.eml").read_bytes()
    at(clock, "2026-12-04 10:00")
    return mail(
        "华东区会议纪要", "zhao.min", "纪要原件附上。\n\n发自我的iPhone\n", when="2026-12-04 09:58",
        message_id="tencent_PEOPLE03@qq.com", attached=[attached_message(inner, "华东区渠道价格体系协调会纪要.eml")],
    )  # fmt: skip


def attached_agenda_gmail(app: App, clock: FixedClock) -> bytes:
    inner = (MAILS / "apple_mail_en_agenda_flowed.eml").read_bytes()
    subject = fixture("apple_mail_en_agenda_flowed.eml").subject
    at(clock, "2026-12-04 08:00")
    return mail(
        "Fwd: " + subject, "li.na", "Attached, for the invitations.\n\nLi Na\n", when="2026-12-04 07:58",
        english=True, message_id="CAJ9v+people-att@mail.gmail.com",
        attached=[attached_message(inner, "Agenda.eml")],
    )  # fmt: skip


def reply_all_thanks(app: App, clock: FixedClock) -> bytes:
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    original = fixture("outlook_zh_minutes_gbk_html.eml")
    text = "收到，谢谢王芳。\n\n李娜\n市场部\n\n" + zh_quote_outlook(original, "2026年12月2日 17:32")
    at(clock, "2026-12-02 18:30")
    return mail(
        "答复: " + original.subject, "li.na", text, when="2026-12-02 18:28", charset="gbk", gb2312_label=True,
        to=("wang.fang",), cc=("zhang.wei", "chen.zhe"), message_id="008f01db64b0$people$@corp.example",
        in_reply_to=original.message_id, mailer="Microsoft Outlook 16.0",
    )  # fmt: skip


def our_notice_forwarded(app: App, clock: FixedClock) -> bytes:
    at(clock, "2026-12-02 18:00")
    feed(app, "outlook_zh_minutes_gbk_html.eml")
    notice = last_mail(app, "minutes_notice", "li.na")
    text = (
        "这份纪要我看过了，没问题。\n\n李娜\n\n-----原始邮件-----\n发件人: Mailbot <minutes@corp.example>\n"
        f"发送时间: 2026年12月2日 18:01\n收件人: 李娜 <li.na@corp.example>\n主题: {notice.subject}\n\n"
        f"{notice.body_text}"
    )
    at(clock, "2026-12-02 19:00")
    return mail(
        "转发: " + notice.subject, "li.na", text, when="2026-12-02 18:58", charset="gbk", gb2312_label=True,
        message_id="009a01db64b4$people$@corp.example", mailer="Microsoft Outlook 16.0",
    )  # fmt: skip


def confirm_quoting_the_draft(app: App, clock: FixedClock) -> bytes:
    open_round(app, clock)
    request = last_mail(app, "confirm_request", "zhang.wei")
    original = fixture("outlook_zh_minutes_gbk_html.eml")
    text = "确认，谢谢！\n\n张伟\n市场部\n\n" + zh_quote_outlook(original, "2026年12月2日 17:32")
    return reply(app, request, text, style="outlook_zh", name="张伟")


# fmt: off
DRAFTS: list[Draft] = [
    # New mails, as each client sends them.
    Draft("new-outlook-zh-minutes", "new", fixture_as_sent("outlook_zh_minutes_gbk_html.eml", "2026-12-02 18:00"),
          "minutes", Q1, date(2026, 12, 2), 4, 1, "wang.fang", ("A-4", "zhu.rong", "2026-12-31"), "li.na"),
    Draft("new-foxmail-agenda", "new", fixture_as_sent("foxmail_zh_agenda_gbk.eml", "2026-11-30 09:30"),
          "agenda", Q1, date(2026, 12, 2), 4, sender="li.na", host="li.na"),
    Draft("new-gmail-minutes", "new", fixture_as_sent("gmail_en_minutes_markdown.eml", "2026-12-07 20:00"),
          "minutes", BUDGET, date(2026, 12, 7), 4, 1, "li.na", host="zhou.ting"),
    Draft("new-qq-minutes", "new", fixture_as_sent("qq_zh_minutes_utf8_lines.eml", "2026-12-03 18:10"),
          "minutes", EAST, date(2026, 12, 3), 5, 1, "sun.lei", host="zhao.min"),
    Draft("new-netease-minutes", "new", fixture_as_sent("netease_zh_minutes_block.eml", "2026-12-04 17:15"),
          "minutes", COMPLAINTS, date(2026, 12, 4), 4, 1, "wang.fang", host="chen.zhe"),
    Draft("new-outlook-en-minutes", "new", fixture_as_sent("outlook_en_minutes_tsv.eml", "2026-12-09 16:10"),
          "minutes", ESCALATION, date(2026, 12, 9), 3, 1, "wang.fang"),
    Draft("new-apple-agenda", "new", fixture_as_sent("apple_mail_en_agenda_flowed.eml", "2026-12-03 21:45"),
          "agenda", BUDGET, date(2026, 12, 7), 3, sender="zhou.ting", host="zhou.ting"),
    Draft("new-foxmail-greeting-signature", "new",
          _zh_draft_new("各位好：\n\n以下为会议纪要，请查收。\n\n", "\n王芳\n行政部\n电话：021-6888 0000\n", charset="gbk",
                        mailer="Foxmail 7.2.25.228[cn]", html=True, mid="tencent_PEOPLE10@qq.com"),
          "minutes", Q1, date(2026, 12, 2), 3, 1, "wang.fang", ("A-1", "zhang.wei", "2026-12-15"), "li.na"),
    Draft("new-netease-phone", "new",
          _zh_draft_new("", "\n\n发自我的iPhone\n", charset="utf-8", mailer="NetEase Mail Master", html=False,
                        mid="people-163-phone@corp.example"),
          "minutes", Q1, date(2026, 12, 2), 3, 1, "wang.fang", ("A-3", "zhao.min", "2026-12-18"), "li.na"),
    # Answers in the sender's own thread.
    Draft("own-thread-outlook-zh-dafu", "own-thread", own_thread_outlook, "minutes", Q1, date(2026, 12, 2), 3, 2,
          "wang.fang"),
    Draft("own-thread-foxmail-huifu", "own-thread", own_thread_foxmail, "minutes", Q1, date(2026, 12, 2), 3, 2,
          "wang.fang", ("A-1", "zhang.wei", "2026-12-16")),
    Draft("own-thread-netease-huifu", "own-thread", own_thread_netease, "minutes", Q1, date(2026, 12, 2), 3, 2,
          "wang.fang", ("A-1", "zhang.wei", "2026-12-16")),
    Draft("own-thread-gmail-Re", "own-thread", own_thread_gmail, "minutes", BUDGET, date(2026, 12, 7), 4, 2, "li.na",
          ("A-1", "zhou.ting", "2026-12-15")),
    Draft("own-thread-outlook-en-RE", "own-thread", own_thread_outlook_en, "minutes", ESCALATION, date(2026, 12, 9),
          3, 2, "wang.fang", ("A-2", "liu.yang", "2026-12-21")),
    Draft("own-thread-apple-agenda-Re", "own-thread", own_thread_apple_agenda, "agenda", BUDGET, date(2026, 12, 7),
          3, sender="zhou.ting"),
    # Forwards.
    Draft("forward-outlook-zh-zhuanfa", "forward", forward_outlook_zh, "minutes", Q1, date(2026, 12, 2), 3, 1, "li.na",
          host="li.na"),
    Draft("forward-outlook-en-FW", "forward", forward_outlook_en, "minutes", ESCALATION, date(2026, 12, 9), 3, 1,
          "chen.zhe"),
    Draft("forward-gmail-Fwd", "forward", forward_gmail, "minutes", BUDGET, date(2026, 12, 7), 4, 1, "zhou.ting"),
    Draft("forward-foxmail-zhuanfa", "forward", forward_foxmail, "minutes", EAST, date(2026, 12, 3), 5, 1, "zhao.min"),
    Draft("forward-qq-html-zhuanfa", "forward", forward_qq_html, "minutes", Q1, date(2026, 12, 2), 3, 1, "li.na"),
    Draft("forward-iphone-agenda-Fwd", "forward", forward_apple_agenda, "agenda", BUDGET, date(2026, 12, 7), 3,
          sender="li.na", host="zhou.ting"),
    Draft("forward-thunderbird-zh-Fwd", "forward", forward_thunderbird, "minutes", COMPLAINTS, date(2026, 12, 4), 4,
          1, "chen.zhe"),

    Draft("forward-outlook-zh-FW-agenda", "forward", forward_outlook_agenda, "agenda", Q1, date(2026, 12, 2), 4,
          sender="wang.fang", host="li.na"),
    Draft("forward-nested-FW-Fwd", "forward", forward_nested, "minutes", BUDGET, date(2026, 12, 7), 4, 1,
          "zhou.ting"),
    # A message attached whole.
    Draft("attached-outlook-minutes", "attached", attached_outlook, "minutes", Q1, date(2026, 12, 2), 4, 1, "li.na",
          ("A-4", "zhu.rong", "2026-12-31")),
    Draft("attached-plain-subject", "attached", attached_plain_subject, "minutes", EAST, date(2026, 12, 3), 5, 1,
          "zhao.min"),
    Draft("attached-agenda-gmail", "attached", attached_agenda_gmail, "agenda", BUDGET, date(2026, 12, 7), 3,
          sender="li.na", host="zhou.ting"),
    # What must stay a reply: no new version.
    Draft("stays-reply-all-thanks", "stays-reply", reply_all_thanks, "reply", Q1),
    Draft("stays-our-notice-forwarded", "stays-reply", our_notice_forwarded, "reply", Q1),
    Draft("stays-confirm-quoting-draft", "stays-reply", confirm_quoting_the_draft, "reply", Q1),
]
# fmt: on
assert len({d.id for d in DRAFTS}) == len(DRAFTS), "duplicate draft ids"
