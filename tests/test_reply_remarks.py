"""What people write besides their commands, and what they write instead of one (hand trial 14):

- the host's sentence after a decision travels inside the one mail the owner gets from that reply
  (the new confirmation request, the overrule notice, the final minutes), never as a second
  【留言】 note besides it; an owner whose objection is overruled is told so plainly;
- a comment on a command's own line that says something ("确认，月底前给到周总。") reaches the
  host; thanks ("确认，谢谢！") reach nobody;
- thanks alone to a mail that asks nothing ("收到，谢谢" to the final minutes) is not answered;
- every mail a reply causes is in its reader's language, else the meeting's;
- a new due date on a day off stands as written, and the answer says it is one.
"""

from __future__ import annotations

from datetime import date

import pytest

from mailbot.app import App
from mailbot.clock import FixedClock
from mailbot.pipeline import process
from mailbot.replies.commands import is_courtesy
from mailbot.store.models import OutboxMail
from tests.helpers import actions, at, feed, outbox
from tests.replying import reply

# The handling is the same on PostgreSQL (tests/test_people_corpus.py feeds replies there too).
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

HOST = "li.na@corp.example"
A1, A2, A3, A4 = ("zhang.wei@corp.example", "chen.zhe@corp.example", "zhao.min@corp.example",
                  "zhu.rong@corp.example")  # fmt: skip


@pytest.fixture
def round_open(app: App, clock: FixedClock) -> App:
    """Minutes of 2026-12-02 in force: A-1 张伟, A-2 陈喆, A-3 赵敏, A-4 朱镕; host 李娜; confirm by 12-04."""
    at(clock, "2026-12-02 18:00")
    assert feed(app, "outlook_zh_minutes_gbk_html.eml").outcome == "processed"
    at(clock, "2026-12-03 09:30")
    return app


def request_to(app: App, address: str) -> OutboxMail:
    return [m for m in outbox(app, "confirm_request") if m.to_address == address][-1]


def after(app: App, act: object) -> list[OutboxMail]:
    """The mails decided by `act` (a callable), in order."""
    seen = {m.id for m in outbox(app)}
    act()  # type: ignore[operator]
    return [m for m in outbox(app) if m.id not in seen]


def to(mails: list[OutboxMail], address: str) -> list[OutboxMail]:
    return [m for m in mails if m.to_address == address]


def before_footer(mail: OutboxMail) -> str:
    return (mail.body_text or "").split("\n--\n")[0]


def objected(app: App, text: str = "异议：研发排期已满，12月10日前来不及") -> OutboxMail:
    """陈喆 objects to A-2; the host's objection notice."""
    assert process(app, reply(app, request_to(app, A2), text)).outcome == "processed"
    return outbox(app, "objection_notice")[-1]


# --- 1. the host's words go inside the owner's one mail ------------------------------------------


@SQLITE
def test_a_new_date_with_a_sentence_is_one_request_carrying_the_hosts_words(round_open: App) -> None:
    app = round_open
    notice = objected(app)
    new = after(app, lambda: process(app, reply(app, notice, "A-2 改期 2026-12-14\n\n陈喆，给你宽限到14号。\n\n李娜")))
    (request,) = to(new, A2)  # not a confirmation request and a 【留言】 note besides
    assert request.kind == "confirm_request"
    assert "主持人留言：陈喆，给你宽限到14号。" in (request.body_text or "")
    assert "陈喆，给你宽限到14号。" in (request.body_html or "")
    assert not [m for m in new if m.kind == "note_notice"]
    answer = to(new, HOST)[-1]
    assert "已把您写的话转告 陈喆 <chen.zhe@corp.example>" in (answer.body_text or "")


@SQLITE
def test_the_words_on_the_decisions_own_line_travel_the_same_way(round_open: App) -> None:
    app = round_open
    notice = objected(app)
    new = after(app, lambda: process(app, reply(app, notice, "A-2 改期 2026-12-14，排期再给两天")))
    (request,) = to(new, A2)
    assert "主持人留言：排期再给两天" in (request.body_text or "")


@SQLITE
def test_an_overruled_owner_is_told_plainly_with_the_hosts_words_in_one_mail(round_open: App) -> None:
    app = round_open
    notice = objected(app)
    new = after(app, lambda: process(app, reply(app, notice, "A-2 维持\n\n按原计划12月10日交付，有困难再找我。")))
    (told,) = to(new, A2)
    assert told.kind == "note_notice" and told.subject.startswith("【异议未采纳】A-2")
    body = before_footer(told)
    assert "您对 A-2 的异议未被采纳，主持人决定维持原安排。" in body
    assert "您的异议：研发排期已满，12月10日前来不及" in body
    assert "按原计划12月10日交付，有困难再找我。" in body
    # What the host may answer is the host's: not in the owner's copy (hand trial 14, 07a).
    assert "改期 日期" not in body and "主持人如需调整" not in body
    assert "您对 A-2 的异议未被采纳" in (told.body_html or "")
    assert [m.kind for m in to(new, HOST)] == ["reply_result"]


@SQLITE
def test_an_overrule_without_words_is_told_too(round_open: App) -> None:
    app = round_open
    notice = objected(app)
    new = after(app, lambda: process(app, reply(app, notice, "A-2 维持")))
    (told,) = to(new, A2)
    assert "您对 A-2 的异议未被采纳，主持人决定维持原安排。" in (told.body_text or "")
    assert "留言" not in before_footer(told)


@SQLITE
def test_an_overrule_that_settles_the_round_says_so_in_the_owners_final_minutes(round_open: App) -> None:
    app = round_open
    for owner in (A1, A3, A4):
        process(app, reply(app, request_to(app, owner), "确认"))
    notice = objected(app)
    new = after(app, lambda: process(app, reply(app, notice, "A-2 维持\n\n按原计划交付。")))
    (final,) = to(new, A2)  # the official minutes, not the minutes and a note besides (07b)
    assert final.kind == "final_minutes"
    text = final.body_text or ""
    assert "您对 A-2 的异议未被采纳，主持人决定维持原安排。（异议：研发排期已满，12月10日前来不及）" in text
    assert "主持人就 A-2 留言：按原计划交付。" in text
    assert not [m for m in new if m.kind == "note_notice"]
    others = [m for m in new if m.kind == "final_minutes" and m.to_address != A2]
    assert others and not any("异议未被采纳" in (m.body_text or "") for m in others)


# --- 2. comments on a command's line -------------------------------------------------------------


@SQLITE
@pytest.mark.parametrize(
    ("owner", "text", "words"),
    [
        (A1, "确认，月底前给到周总。", "月底前给到周总"),
        (A2, "确认，14号前给到", "14号前给到"),
        (A3, "没有异议，按计划推进，12月15日先给初稿。", "12月15日先给初稿"),
        (A1, "进行中，周四前给到。", "周四前给到"),
    ],
)
def test_a_comment_that_says_something_reaches_the_host_in_one_note(
    round_open: App, owner: str, text: str, words: str
) -> None:
    app = round_open
    new = after(app, lambda: process(app, reply(app, request_to(app, owner), text)))
    (note,) = to(new, HOST)
    assert note.kind == "note_notice"
    assert words in before_footer(note) and "> " in before_footer(note)
    assert "如需调整，可直接回复本邮件" in (note.body_text or "")  # the host's copy says what the host can do
    (answer,) = to(new, owner)
    assert "已把您写的话转告 李娜 <li.na@corp.example>" in (answer.body_text or "")


@SQLITE
@pytest.mark.parametrize(
    ("text", "style"),
    [("确认，谢谢！", "outlook_zh"), ("确认，好的，辛苦了", "foxmail"), ("确认，谢谢李总安排。", "netease"),
     ("Confirm - thanks David.", "gmail_en"), ("确认👍\n\n祝好\n张伟", "apple")],
)  # fmt: skip
def test_thanks_after_a_command_go_nowhere(round_open: App, text: str, style: str) -> None:
    app = round_open
    new = after(app, lambda: process(app, reply(app, request_to(app, A1), text, style=style)))
    assert [(m.kind, m.to_address) for m in new] == [("reply_result", A1)]
    assert "转告" not in (new[0].body_text or "") and "told" not in (new[0].body_text or "")


@SQLITE
def test_a_comment_that_settles_the_round_travels_in_the_hosts_final_minutes(round_open: App) -> None:
    app = round_open
    for owner in (A1, A2, A3):
        process(app, reply(app, request_to(app, owner), "确认"))
    new = after(app, lambda: process(app, reply(app, request_to(app, A4), "确认，14号前给到")))
    (final,) = to(new, HOST)
    assert final.kind == "final_minutes"
    assert "朱镕 就 A-4 留言：14号前给到" in (final.body_text or "")
    assert not [m for m in new if m.kind == "note_notice"]


@SQLITE
def test_the_verifiers_words_reach_the_owner(round_open: App) -> None:
    app = round_open
    process(app, reply(app, request_to(app, A1), "完成，方案见共享盘"))
    acceptance = outbox(app, "acceptance_request")[-1]
    new = after(app, lambda: process(app, reply(app, acceptance, "验收通过，写得很清楚，谢谢！")))
    # One mail: the words travel inside the 验收 result, no note beside it.
    (result,) = to(new, A1)
    assert result.kind == "acceptance_result"
    assert "已验收通过您的行动项" in (result.body_text or "") and "留言：写得很清楚" in (result.body_text or "")


@SQLITE
def test_a_note_alone_from_the_host_gives_the_owner_no_host_commands(round_open: App) -> None:
    app = round_open
    notice = next(m for m in outbox(app, "minutes_notice") if m.to_address == HOST)
    new = after(app, lambda: process(app, reply(app, notice, "张伟，方案里请加一页竞品对比。")))
    assert not to(new, A1)  # the minutes notice is about the meeting, not one action of 张伟's
    escalated = after(
        app, lambda: process(app, reply(app, request_to(app, A1), "方案初稿需要市场调研数据，我已找孙磊要。"))
    )
    (note,) = to(escalated, HOST)
    assert "如需调整，可直接回复本邮件：“A-1 改期 日期”" in (note.body_text or "")


# --- 4. thanks alone ------------------------------------------------------------------------------


@SQLITE
def test_thanks_to_the_final_minutes_are_recorded_and_not_answered(round_open: App) -> None:
    app = round_open
    for owner in (A1, A2, A3, A4):
        process(app, reply(app, request_to(app, owner), "确认"))
    final = next(m for m in outbox(app, "final_minutes") if m.to_address == HOST)
    for text in ("收到，谢谢", "好的，辛苦了！\n\n李娜\n市场部", "Thanks!"):
        new = []
        result = None

        def send(text: str = text) -> None:
            nonlocal result
            result = process(app, reply(app, final, text))

        new = after(app, send)
        assert new == [], text
        assert result is not None and (result.kind, result.outcome) == ("reply", "acknowledged")


@SQLITE
def test_an_attendees_thanks_for_the_minutes_are_not_answered(round_open: App) -> None:
    app = round_open
    notice = next(m for m in outbox(app, "minutes_notice") if m.to_address == "sun.lei@corp.example")
    assert after(app, lambda: process(app, reply(app, notice, "谢谢王芳整理！\n\n孙磊\n销售部"))) == []


@SQLITE
def test_words_that_are_more_than_thanks_are_still_answered(round_open: App) -> None:
    app = round_open
    notice = next(m for m in outbox(app, "minutes_notice") if m.to_address == HOST)
    new = after(app, lambda: process(app, reply(app, notice, "收到，我来跟陈喆沟通。")))
    assert [m.kind for m in new] == ["reply_result"]


@SQLITE
def test_thanks_to_a_request_are_still_asked_back_and_again_in_its_thread(round_open: App) -> None:
    app = round_open
    first = after(app, lambda: process(app, reply(app, request_to(app, A1), "收到，谢谢")))
    (answer,) = first
    assert "“收到”“好的”“谢谢”不算确认" in (answer.body_text or "")
    again = after(app, lambda: process(app, reply(app, answer, "收到")))
    assert [m.kind for m in again] == ["reply_result"]
    assert "“收到”“好的”“谢谢”不算确认" in (again[0].body_text or "")


# --- 3. languages ----------------------------------------------------------------------------------


@pytest.fixture
def english_round(app: App, clock: FixedClock) -> App:
    """The English budget review of 2026-12-07: host Zhou Ting (A-1), A-2 Zhao Min, A-3 Chen Zhe,
    A-4 Zhang Wei; the minutes written in English."""
    at(clock, "2026-12-07 20:00")
    assert feed(app, "gmail_en_minutes_markdown.eml").outcome == "processed"
    at(clock, "2026-12-08 09:30")
    return app


@SQLITE
def test_an_english_meetings_host_hears_of_a_chinese_objection_in_english(english_round: App) -> None:
    app = english_round
    host, owner = "zhou.ting@corp.example", "zhao.min@corp.example"
    new = after(
        app,
        lambda: process(app, reply(app, request_to(app, owner), "异议：时间太紧，三套方案16号出不来，至少要到23号")),
    )
    (notice,) = to(new, host)
    assert (notice.kind, notice.language) == ("objection_notice", "en")
    assert notice.subject.startswith("[Objection]") and "Reason:" in (notice.body_text or "")
    assert to(new, owner)[0].language == "zh"  # the answer: in what she wrote
    # The host overrules in English: the owner, who writes Chinese, reads it in Chinese.
    decided = after(app, lambda: process(app, reply(
        app, notice, "A-2 overrule\n\nZhao Min, please stick to Dec 16; use last year's model as the base.",
        style="gmail_en")))  # fmt: skip
    (told,) = to(decided, owner)
    assert (told.kind, told.language) == ("note_notice", "zh")
    assert "您对 A-2 的异议未被采纳" in (told.body_text or "") and "last year's model" in (told.body_text or "")


@SQLITE
def test_a_request_caused_by_a_chinese_reply_goes_in_the_meetings_language(english_round: App) -> None:
    app = english_round
    new = after(
        app, lambda: process(app, reply(app, request_to(app, "chen.zhe@corp.example"), "转交 Zhang Wei，他更熟悉预算"))
    )
    (request,) = to(new, "zhang.wei@corp.example")  # never wrote: the meeting's language
    assert (request.kind, request.language) == ("confirm_request", "en")
    assert "wants to hand A-3 over to you" in (request.body_text or "")
    assert "Chen Zhe wrote: 他更熟悉预算" in (request.body_text or "")
    assert to(new, "chen.zhe@corp.example")[0].language == "zh"


# --- 5. a new date on a day off -------------------------------------------------------------------


@SQLITE
def test_a_delay_to_a_sunday_stands_and_the_answer_says_it_is_one(round_open: App) -> None:
    app = round_open
    new = after(app, lambda: process(app, reply(app, request_to(app, A3), "延期至12月20日，原因：讲师档期冲突")))
    assert next(a for a in actions(app) if a.ref == "A-3").due == date(2026, 12, 20)  # as written
    (answer,) = to(new, A3)
    for part in (answer.body_text or "", answer.body_html or ""):
        assert "2026年12月20日（周日）是周末，不是工作日" in part
        assert "到期提醒按此前最后一个工作日 2026年12月18日（周五） 发出" in part


@SQLITE
def test_a_delay_to_a_holiday_says_so_and_a_working_day_says_nothing(round_open: App) -> None:
    app = round_open
    new = after(app, lambda: process(app, reply(app, request_to(app, A4), "延期至2027年1月1日，原因：年度预算未批复")))
    assert app.calendar.is_workday(date(2027, 1, 1)) is False
    assert "2027年1月1日（周五）是法定节假日，不是工作日" in (to(new, A4)[0].body_text or "")
    new = after(app, lambda: process(app, reply(app, request_to(app, A3), "延期至12月21日，原因：讲师档期冲突")))
    assert "不是工作日" not in (to(new, A3)[0].body_text or "")


@SQLITE
def test_the_hosts_new_date_on_a_saturday_is_named_in_english_too(round_open: App) -> None:
    app = round_open
    notice = objected(app)
    new = after(app, lambda: process(app, reply(app, notice, "A-2 reschedule 2026-12-19\n\nThanks,\nLi Na",
                                                  style="gmail_en", name="Li Na")))  # fmt: skip
    answer = next(m for m in new if m.kind == "reply_result")
    assert answer.language == "en"
    assert "is a weekend day, not a working day" in (answer.body_text or "")


# --- courtesy, as the reply reader sees it ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["谢谢", "收到，谢谢", "好的", "辛苦了", "收到，辛苦王芳！", "好的，知道了", "谢谢王芳整理！", "谢谢李总安排。", "收到🙏",
     "thanks", "Thanks David!", "Noted with thanks.", "OK, got it.", "Best regards, Zhang Wei", "您好，谢谢！",
     "多谢周总！👍", ""],
)  # fmt: skip
def test_courtesy(text: str) -> None:
    assert is_courtesy(text)


@pytest.mark.parametrize(
    "text",
    ["月底前给到周总。", "14号前给到", "写得很清楚，谢谢！", "我来跟陈喆沟通。", "谢谢，周五给", "好的明天给", "好的，这周四前提交。",
     "will send by Friday", "ok by friday", "按原计划12月10日交付", "马上处理", "Friday."],
)  # fmt: skip
def test_not_courtesy(text: str) -> None:
    assert not is_courtesy(text)


# --- the new parts of the mails, rendered with hostile values --------------------------------------


def remark(**extra: object) -> dict[str, object]:
    return {"ref": "A-1", "refs": ["A-1"], "description": "输出新品推广活动方案初稿", "text": "月底前给到周总\n第二行",
            "overruled": False, "objection": None, "by": "li.na@corp.example", "by_name": "李娜", "by_host": True,
            "yours": True, "status": "accepted", "owner": "zhang.wei@corp.example", "owner_name": "张伟",
            "due": "2026-12-15", **extra}  # fmt: skip


def remark_samples() -> dict[str, list[dict[str, object]]]:
    from tests.test_inert import samples

    every = samples()
    overruled = remark(overruled=True, objection="排期已满")
    others = [remark(), remark(ref="A-2", refs=["A-2"], by_host=False)]
    off = {"date": "2026-12-20", "weekend": True, "remind_on": "2026-12-18"}
    result = {"line": "延期至12月20日，原因：讲师档期冲突", "code": "delayed", "ok": True, "ref": "A-1",
              "params": {"date": "2026-12-20", "reason": "讲师档期冲突", "told": "li.na@corp.example", "off_day": off},
              "names": {}}  # fmt: skip
    return {
        "note_notice": [
            {**every["note_notice"][0], "remarks": r, "host_copy": host, "audience": "owner"}
            for r in ([overruled], [remark(overruled=True, yours=False, by_host=False)], others, [overruled, *others])
            for host in (True, False)
        ],
        "confirm_request": [{**every["confirm_request"][0], "remarks": [overruled, *others]}],
        "objection_notice": [{**every["objection_notice"][0], "remarks": others}],
        "final_minutes": [{**every["final_minutes"][0], "remarks": [overruled, *others]}],
        "reply_result": [{**every["reply_result"][0], "results": [result]}],
    }


@pytest.mark.parametrize(
    "kind", ["note_notice", "confirm_request", "objection_notice", "final_minutes", "reply_result"]
)
def test_the_new_lines_render_in_both_languages_and_hostile_values_stay_inert(kind: str) -> None:
    from mailbot.config import PACKAGE_ROOT
    from mailbot.render import Renderer
    from tests.test_inert import COMMON, hostile

    renderer = Renderer(PACKAGE_ROOT / "templates")
    for language in renderer.languages.available:
        for sample in remark_samples()[kind]:
            mail = renderer.render(kind, language, {**sample, **COMMON})
            shown = mail.text if kind == "final_minutes" else mail.text + mail.html
            assert (
                ("不是工作日" if language == "zh" else "not a working day") in shown
                if kind == "reply_result"
                else ("月底前给到周总" in shown or "未被采纳" in shown or "not accepted" in shown)
            ), (kind, language)
            bad = renderer.render(kind, language, hostile({**sample, **COMMON}, True))
            assert "<img" not in bad.html and "<b>X" not in bad.html, (kind, language)
            assert "\n" not in bad.subject
