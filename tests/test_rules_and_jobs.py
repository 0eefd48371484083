"""One home for the rules folder and for the periodic jobs (issue 10): a word changed in a copied
rules folder takes effect — for every rules file — and every entry point runs the same jobs, so
`run --once` from cron sends the Monday status mail, once."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbot.app import App
from mailbot.cli import main
from mailbot.clock import FixedClock
from mailbot.config import PACKAGE_ROOT, load_config
from mailbot.pipeline import process
from mailbot.rules import FILES
from tests.helpers import SHANGHAI, actions, at, meetings, outbox
from tests.test_acceptance import LINES, minutes_mail
from tests.test_poison import draft, mail

SHIPPED = PACKAGE_ROOT / "rules"


def own_rules(home: Path, edit: Callable[[Path], None]) -> Path:
    """A copy of the shipped rules/ in the bot home, edited, and the config pointed at it."""
    folder = home / "myrules"
    shutil.copytree(SHIPPED, folder)
    edit(folder)
    config = home / "config.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[paths]\nrules = "myrules"\n', encoding="utf-8")
    return folder


def replace_in(name: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{name} no longer says {old!r}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return edit


def open_app(home: Path, clock: FixedClock) -> App:
    return App.open(load_config(home / "config.toml"), clock)


def check_commands(app: App) -> None:
    # The issue's own case: `status` renamed `zzstatus` in the folder's commands.toml.
    answered = process(app, mail("zzstatus", sender="zhang.wei@corp.example", subject="zzstatus"))
    assert answered.kind == "command"
    assert [r.kind for r in outbox(app)] == ["status"]
    process(app, mail("status", sender="li.na@corp.example", subject="status", message_id="<s2@x.example>"))
    assert [r.kind for r in outbox(app)] == ["status", "help"]  # the shipped word no longer counts


def check_routing(app: App) -> None:
    process(app, mail("帮助", sender="robot-notices@corp.example", subject="问一下"))
    assert outbox(app) == []  # a machine sender by the folder's routing.toml: never answered


def check_vocabulary(app: App) -> None:
    body = draft(LINES[1]).replace("主持人：", "主理人：")
    assert process(app, mail(body)).outcome == "processed"
    (meeting,) = meetings(app)
    assert meeting.host_address == "li.na@corp.example"


def check_policy(app: App) -> None:
    assert process(app, mail(draft(*LINES))).outcome == "rejected"
    (answer,) = outbox(app)
    assert "3 条行动项，超过了每份 2 条的上限" in (answer.body_text or "")


def check_quotes(app: App) -> None:
    at_clock(app, "2026-12-02 18:00")
    assert process(app, minutes_mail(*LINES)).outcome == "processed"
    (request,) = [r for r in outbox(app, "confirm_request") if r.to_address == "zhang.wei@corp.example"]
    # The company's own client writes this separator; the line under it is the quoted original.
    reply = mail("确认\n\n=== 以下为原邮件 ===\n异议：这是原邮件里的字", sender="zhang.wei@corp.example",
                 subject="回复：" + request.subject, message_id="<q1@x.example>",
                 extra=lambda m: thread(m, request.message_id))  # fmt: skip
    assert process(app, reply).outcome == "processed"
    assert {a.owner_address: a.status for a in actions(app)}["zhang.wei@corp.example"] == "accepted"


def check_statuses(app: App) -> None:
    at_clock(app, "2026-12-02 18:00")
    assert process(app, minutes_mail(*LINES)).outcome == "processed"
    ask = mail("我的任务", sender="zhang.wei@corp.example", subject="我的任务", message_id="<mine@x.example>")
    assert process(app, ask).outcome == "answered"
    (answer,) = outbox(app, "status")
    assert "等确认" in (answer.body_text or "") and "待确认" not in (answer.body_text or "")


def check_calendar(app: App) -> None:
    # 2027-03-01 is a Monday; the folder's calendar-cn.toml makes it a company holiday.
    assert app.calendar.is_workday(date(2027, 3, 1)) is False


def thread(message: EmailMessage, message_id: str) -> None:
    message["In-Reply-To"] = f"<{message_id}>"
    message["References"] = f"<{message_id}>"


def at_clock(app: App, text: str) -> None:
    assert isinstance(app.clock, FixedClock)
    at(app.clock, text)


EDIT_COMMANDS = replace_in(
    "commands.toml",
    'status = ["状态", "我的任务", "查询", "status"',
    'status = ["状态", "我的任务", "查询", "zzstatus"',
)
EDIT_ROUTING = replace_in(
    "routing.toml", 'machine_senders = ["mailer-daemon"', 'machine_senders = ["robot-notices", "mailer-daemon"'
)
EDIT_VOCABULARY = replace_in("vocabulary.toml", 'host = ["主持人"', 'host = ["主理人", "主持人"')
EDIT_POLICY = replace_in("policy.toml", "actions_per_draft = 200", "actions_per_draft = 2")
EDIT_CALENDAR = replace_in(
    "calendar-cn.toml",
    'holidays = [\n  "2027-01-01..2027-01-03",',
    'holidays = [\n  "2027-03-01",\n  "2027-01-01..2027-01-03",',
)
EDIT_STATUSES = replace_in("statuses.toml", 'awaiting_confirmation = "待确认"', 'awaiting_confirmation = "等确认"')
CASES: dict[str, tuple[Callable[[Path], None], Callable[[App], None]]] = {
    "commands.toml": (EDIT_COMMANDS, check_commands),
    "routing.toml": (EDIT_ROUTING, check_routing),
    "vocabulary.toml": (EDIT_VOCABULARY, check_vocabulary),
    "policy.toml": (EDIT_POLICY, check_policy),
    "quotes.toml": (lambda folder: add_boundary(folder, "=== 以下为原邮件 ==="), check_quotes),
    "calendar-cn.toml": (EDIT_CALENDAR, check_calendar),
    "statuses.toml": (EDIT_STATUSES, check_statuses),
}


def add_boundary(folder: Path, line: str) -> None:
    """A boundary kind of the company's own: a new key in [boundary], as the file's comments say."""
    path = folder / "quotes.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("[boundary]\n") + len("[boundary]\n")
    path.write_text(text[:start] + f"company_client = ['{line}']\n" + text[start:], encoding="utf-8")


def test_every_rules_file_has_a_case_here() -> None:
    assert set(CASES) == set(FILES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_word_changed_in_a_copied_rules_folder_takes_effect(home: Path, clock: FixedClock, name: str) -> None:
    edit, check = CASES[name]
    own_rules(home, edit)
    at(clock, "2026-12-02 18:00")
    app = open_app(home, clock)
    try:
        assert app.rules.origins[name] == home / "myrules" / name
        check(app)
    finally:
        app.db.dispose()


def test_a_rules_folder_with_only_some_files_falls_back_to_the_shipped_ones(home: Path, clock: FixedClock) -> None:
    folder = home / "myrules"
    folder.mkdir()
    (folder / "policy.toml").write_text("[limits]\nactions_per_draft = 5\n", encoding="utf-8")
    config = home / "config.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[paths]\nrules = "myrules"\n', encoding="utf-8")
    app = open_app(home, clock)
    try:
        assert app.policy.limits.actions_per_draft == 5
        assert app.rules.origins["commands.toml"] == SHIPPED / "commands.toml"
        assert "status" in app.rules.commands.words
    finally:
        app.db.dispose()


def test_rules_check_says_where_each_file_came_from(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    own_rules(home, replace_in("commands.toml", '"status", "my tasks"', '"zzstatus", "my tasks"'))
    (home / "myrules" / "quotes.toml").unlink()
    assert main(["--config", str(home / "config.toml"), "rules", "check"]) == 0
    out = capsys.readouterr().out
    assert f"commands.toml (reply commands): from the rules folder, {home / 'myrules' / 'commands.toml'}" in out
    assert "quotes.toml (quote and signature rules): shipped default (not in the rules folder)" in out
    status_line = next(line for line in out.splitlines() if line.startswith("reply command status:"))
    assert "zzstatus" in status_line and " status," not in status_line


# --- one list of jobs for every entry point -------------------------------------------------------


@pytest.mark.parametrize("command", [["run", "--once"], ["tick"]])
def test_run_once_and_tick_send_the_monday_status_mail_once(home: Path, clock: FixedClock, command: list[str]) -> None:
    at(clock, "2026-12-02 18:00")
    app = open_app(home, clock)
    try:
        assert process(app, minutes_mail(*LINES)).outcome == "processed"
    finally:
        app.db.dispose()
    config = ["--config", str(home / "config.toml")]
    # Monday before 09:00 (rules/policy.toml [digest]): nothing. 09:30: one per party; 09:31: none.
    assert main([*config, "--now", "2026-12-07T08:30", *command]) == 0
    assert main([*config, "--now", "2026-12-07T09:30", *command]) == 0
    assert main([*config, "--now", "2026-12-07T09:31", *command]) == 0
    app = open_app(home, clock)
    try:
        digests = outbox(app, "digest")
    finally:
        app.db.dispose()
    assert digests, "no Monday status mail"
    assert len({d.to_address for d in digests}) == len(digests)  # each person once
    assert all(d.created_at.astimezone(SHANGHAI) == datetime(2026, 12, 7, 9, 30, tzinfo=SHANGHAI) for d in digests)
