"""Start-up: a command imports what it needs when it needs it (issue 15, "Speed"). An MTA starts
one `mailbot ingest -` process per mail, so what every process imports is paid per mail: Alembic
only when the schema is behind, XlsxWriter, IMAP, `schedule`, DKIM only on the paths that use
them; Jinja's compiled templates are kept between processes (mailbot/render.py). These tests look
at which modules a fresh interpreter loaded and at what the cache gives back, never at a time
(bench/startup.py measures the times)."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import pytest
import sqlalchemy

from mailbot import render
from mailbot.cli import main
from mailbot.kinds import KINDS
from mailbot.render import RenderedMail, Renderer
from mailbot.store import db
from mailbot.store.db import Database, head_revisions, make_engine, schema_current, upgrade

ROOT = Path(__file__).resolve().parent.parent
# Loaded by none of the paths below: only `mailbot db upgrade` on an old schema, the digest, the
# IMAP source, the daemon and a DKIM-signed mail need them.
HEAVY = ("alembic", "xlsxwriter", "imapclient", "schedule", "dkim", "authres", "dns")


@cache
def loaded_after(code: str) -> set[str]:
    """The modules in sys.modules of a fresh interpreter that ran `code`, and their top-level packages."""
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    modules = set(json.loads(done.stdout.splitlines()[-1]))
    return modules | {name.split(".")[0] for name in modules}


@pytest.mark.parametrize(
    "package",
    [
        *HEAVY,
        "icalendar",
        "sqlalchemy",
        "jinja2",
        "babel",
    ],
)
def test_importing_the_command_line_loads_no_heavy_package(package: str) -> None:
    assert package not in loaded_after("import mailbot.cli")


def test_ingest_on_a_current_schema_loads_neither_alembic_nor_the_other_commands_packages(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path / "bot")]) == 0  # migrates: the schema is current from here on
    mail = tmp_path / "help.eml"
    mail.write_bytes(
        b"From: Zhang Wei <zhang.wei@corp.example>\r\nTo: minutes@corp.example\r\nSubject: help\r\n"
        b"Date: Wed, 2 Dec 2026 17:32:10 +0800\r\nMessage-ID: <startup-1@corp.example>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n\xe5\xb8\xae\xe5\x8a\xa9\r\n"
    )
    config = tmp_path / "bot" / "config.toml"
    code = (
        "from mailbot.cli import main\n"
        f"assert main(['--config', {str(config)!r}, '--now', '2026-12-02T18:00', 'ingest', {str(mail)!r}]) == 0"
    )
    loaded = loaded_after(code)
    assert "mailbot.pipeline" in loaded and "sqlalchemy" in loaded  # it did run
    assert sorted(loaded & set(HEAVY)) == []
    assert "mailbot.htmltext" not in loaded  # a plain-text mail: no HTML reader
    sent = list((tmp_path / "bot" / "sent" / "new").iterdir())
    assert len(sent) == 1  # the help answer: the mail was processed and the answer delivered
    assert sorted(loaded & set(ONLY_WHEN_NEEDED)) == []


# Loaded by the mails that need them: email-validator by an address that is not plainly valid
# (mailbot/addresses.py), the handlers of replies and of machine mail by those mails.
ONLY_WHEN_NEEDED = ("email_validator", "mailbot.handlers.reply", "mailbot.handlers.machine")


def test_ingesting_a_draft_loads_no_reply_handler_nor_the_address_validator(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path / "bot")]) == 0
    mail = ROOT / "tests" / "mails" / "outlook_zh_minutes_gbk_html.eml"
    config = tmp_path / "bot" / "config.toml"
    code = (
        "from mailbot.cli import main\n"
        f"assert main(['--config', {str(config)!r}, '--now', '2026-12-02T18:00', 'ingest', {str(mail)!r}]) == 0"
    )
    loaded = loaded_after(code)
    assert "mailbot.handlers.minutes" in loaded and "mailbot.htmltext" in loaded  # it read the draft
    assert sorted(loaded & set(ONLY_WHEN_NEEDED)) == []
    assert list((tmp_path / "bot" / "sent" / "new").iterdir())  # and answered it


def test_the_heads_read_from_the_migration_files_are_alembics() -> None:
    from alembic.script import ScriptDirectory

    assert head_revisions() == frozenset(ScriptDirectory(str(db.MIGRATIONS)).get_heads())


def version_rows(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sqlalchemy.text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()


def test_a_new_database_and_an_old_schema_are_migrated_a_current_one_is_only_asked(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert not schema_current(engine)  # no alembic_version table yet
        upgrade(engine, "0003")
        assert not schema_current(engine)
    finally:
        engine.dispose()
    Database(database_url).dispose()  # behind: Alembic upgrades it
    assert version_rows(database_url) == sorted(head_revisions() or ())
    engine = make_engine(database_url)
    try:
        assert schema_current(engine)
        with engine.connect() as connection:  # 0004's column is there
            connection.execute(sqlalchemy.text("SELECT version_sender FROM meetings"))
    finally:
        engine.dispose()


def test_a_database_newer_than_the_code_is_refused_by_alembic_as_before(tmp_path: Path) -> None:
    url = "sqlite:///" + str(tmp_path / "newer.db")
    Database(url).dispose()
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(Exception, match="9999"):
        Database(url)


def write_migration(folder: Path, name: str, revision: str, down: str) -> None:
    (folder / name).write_text(
        f'"""{name}\n\nRevision ID: {revision}\n"""\n\nrevision: str = {revision}\n'
        f"down_revision: str | None = {down}\n\n\ndef upgrade() -> None:\n    revision = 'not this one'\n",
        encoding="utf-8",
    )


@pytest.fixture
def migrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(db, "MIGRATIONS", tmp_path)
    (tmp_path / "versions").mkdir()
    head_revisions.cache_clear()
    yield tmp_path / "versions"
    head_revisions.cache_clear()


def test_the_heads_follow_branches_and_merges(migrations: Path) -> None:
    write_migration(migrations, "a.py", '"a"', "None")
    write_migration(migrations, "b.py", '"b"', '"a"')
    write_migration(migrations, "c.py", "'c'", '"a"')
    assert head_revisions() == frozenset({"b", "c"})
    head_revisions.cache_clear()
    write_migration(migrations, "d.py", '"d"', '("b", "c")')
    assert head_revisions() == frozenset({"d"})


def test_a_migration_file_not_read_that_way_leaves_the_decision_to_alembic(migrations: Path) -> None:
    write_migration(migrations, "a.py", '"a"', "None")
    write_migration(migrations, "b.py", "REVISION", '"a"')  # a name, not a literal
    assert head_revisions() is None
    engine = make_engine("sqlite://")
    try:
        assert not schema_current(engine)
    finally:
        engine.dispose()


def render_every_kind(renderer: Renderer) -> list[RenderedMail]:
    from tests.test_inert import COMMON, samples

    contexts = samples()
    return [
        renderer.render(kind, language, {**contexts[kind][0], **COMMON})
        for kind in sorted(contexts)
        for language in renderer.languages.available
    ]


def test_compiled_templates_come_back_from_the_cache_and_render_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_inert import TEMPLATES

    cache = render._BestEffortCache(str(tmp_path), "%s.jinja")
    monkeypatch.setattr(render, "bytecode_cache", lambda: cache)
    first = render_every_kind(Renderer(TEMPLATES))  # compiles, and keeps the code
    assert len(list(tmp_path.iterdir())) > 2 * len(KINDS)  # .html, and the .txt's subject and body

    compiled: list[str] = []
    compile_source = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: str, *args: Any, **kwargs: Any) -> Any:
        compiled.append(source)
        return compile_source(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    assert render_every_kind(Renderer(TEMPLATES)) == first
    assert compiled == []  # every template from the cache

    for entry in tmp_path.iterdir():
        entry.write_bytes(b"not a cache entry")
    assert render_every_kind(Renderer(TEMPLATES)) == first  # compiled afresh
    assert compiled


def test_a_cache_that_cannot_be_written_only_means_compiling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_inert import TEMPLATES

    monkeypatch.setattr(render, "bytecode_cache", lambda: render._BestEffortCache(str(tmp_path / "gone"), "%s.jinja"))
    with_cache = render_every_kind(Renderer(TEMPLATES))
    monkeypatch.setattr(render, "bytecode_cache", lambda: None)
    assert render_every_kind(Renderer(TEMPLATES)) == with_cache
    assert not (tmp_path / "gone").exists()
