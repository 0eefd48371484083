"""Languages as folders (templates/<lang>/ with words.toml, a fallback), the registry of mail kinds
checked at start, and dates from CLDR.

The acceptance test adds a third language as a fixture only: a copy of templates/ plus
tests/languages/fr/ (words.toml and four templates), a config pointing there, a person whose
directory language is fr — and no Python.
"""

from __future__ import annotations

import ast
import csv
import io
import logging
import shutil
from collections.abc import Iterator
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from mailbot.app import App
from mailbot.cli import main
from mailbot.clock import FixedClock
from mailbot.config import PACKAGE_ROOT, default_config_text, load_config
from mailbot.errors import ConfigError
from mailbot.exports import to_csv
from mailbot.kinds import KINDS
from mailbot.languages import load_languages, shipped_languages
from mailbot.pipeline import process
from mailbot.render import Renderer
from tests.helpers import outbox

# Of the two files per kind, those the French fixture does not borrow: the HTML layouts shared by
# every language at templates/ root and its own help.txt, help.html and status.txt.
OWN_OR_SHARED = len([p for p in (PACKAGE_ROOT / "templates").glob("*.html") if not p.name.startswith("_")]) + 3

TEMPLATES = PACKAGE_ROOT / "templates"
FRENCH = Path(__file__).resolve().parent / "languages" / "fr"
# The calls that decide a mail, and where their kind is.
MAIL_CALLS = {"answer", "prepare_answer", "send", "prepare", "enqueue", "outbox_values"}


def decided_kinds() -> set[str]:
    """Every kind the code hands the outbox as a literal: `kind="…"` (either side of an `if`), and
    tell_host's third argument."""
    kinds: set[str] = set()
    for path in (PACKAGE_ROOT / "mailbot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            values = [k.value for k in node.keywords if k.arg == "kind" and name in MAIL_CALLS]
            if name == "tell_host" and len(node.args) > 2:
                values.append(node.args[2])
            for value in values:
                kinds |= {c.value for c in ast.walk(value) if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    return kinds


def test_every_kind_the_code_decides_is_registered_and_every_registered_kind_is_decided() -> None:
    assert decided_kinds() == set(KINDS)


def test_the_shipped_templates_have_every_kind_in_every_language() -> None:
    renderer = Renderer(TEMPLATES)
    assert renderer.languages.available == ("zh", "en")
    assert renderer.borrowed == {"zh": [], "en": []}


def test_an_unregistered_kind_is_refused() -> None:
    with pytest.raises(Exception, match="unknown mail kind 'nonsense'"):
        Renderer(TEMPLATES).render_subject("nonsense", "zh", {})


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    copy = tmp_path / "templates"
    shutil.copytree(TEMPLATES, copy)
    return copy


def test_a_template_missing_from_the_fallback_stops_the_start_naming_the_file(templates: Path) -> None:
    (templates / "zh" / "help.txt").unlink()
    with pytest.raises(ConfigError, match=r"template for 'help' in 'zh' is missing: .*templates/zh/help\.txt"):
        Renderer(templates, language="zh")


def test_a_shared_layout_missing_is_named_too(templates: Path) -> None:
    (templates / "reminder.html").unlink()
    with pytest.raises(
        ConfigError, match=r"'reminder' in 'zh' is missing: .*zh/reminder\.html \(or .*/reminder\.html\)"
    ):
        Renderer(templates, language="zh")


def test_a_missing_template_stops_the_app_and_rules_check(
    templates: Path, home: Path, clock: FixedClock, capsys: pytest.CaptureFixture[str]
) -> None:
    (templates / "zh" / "status.txt").unlink()
    config = home / "config.toml"
    config.write_text(config.read_text(encoding="utf-8") + f'\n[paths]\ntemplates = "{templates}"\n', encoding="utf-8")
    app = App.open(load_config(config), clock)
    try:
        with pytest.raises(ConfigError, match=r"zh/status\.txt"):
            app.renderer  # noqa: B018 - building it is the check
    finally:
        app.db.dispose()
    assert main(["--config", str(config), "rules", "check"]) == 2
    assert "template for 'status' in 'zh' is missing" in capsys.readouterr().err


def test_a_language_lacking_a_template_borrows_the_fallbacks_with_a_warning(
    templates: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (templates / "en" / "help.txt").unlink()
    with caplog.at_level(logging.WARNING):
        renderer = Renderer(templates, language="zh")
    assert renderer.borrowed["en"] == ["help.txt"]
    total = 2 * len(KINDS)
    assert f"language 'en': 1 of {total} mail templates taken from 'zh' (the fallback): help.txt" in caplog.text
    context = {"reason": None, "original_subject": "hi", "bot_name": "Mailbot", "bot_address": "b@x", "docs_url": ""}
    assert renderer.render_subject("help", "en", context) == "Re: hi — Mailbot 使用说明"


def test_a_configured_language_without_a_folder_falls_back_to_english(
    templates: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        languages = load_languages(templates, "de")
    assert (languages.fallback, languages.configured_missing, languages.pick("de")) == ("en", "de", "en")
    assert "bot.language 'de' has no folder" in caplog.text
    shutil.rmtree(templates / "en")
    with pytest.raises(ConfigError, match=r"no folder for bot\.language 'de' nor for 'en'"):
        load_languages(templates, "de")


def test_the_fallback_must_name_every_word_and_no_file_may_name_an_unknown_one(templates: Path) -> None:
    words = templates / "zh" / "words.toml"
    text = words.read_text(encoding="utf-8")
    words.write_text(text.replace('file = "行动项跟踪表.xlsx"\n', ""), encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"zh/words\.toml: the fallback language must name every word; missing \['tracking\.file'\]"
    ):
        load_languages(templates, "zh")
    load_languages(templates, "en")  # not the fallback: it borrows the English file name
    words.write_text(text.replace("[html]", 'colour = "red"\n\n[html]'), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"zh/words\.toml: colour: unknown key"):
        load_languages(templates, "en")
    words.write_text(text.replace('date = "y年M月d日（EEE）"', 'date = "y-MM-dd HH:mm"'), encoding="utf-8")  # a time
    with pytest.raises(ConfigError, match="is not a CLDR date pattern"):
        load_languages(templates, "zh")


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh", "2026年12月11日（周五）"), ("en", "Fri 11 Dec 2026")],
)
def test_a_day_is_written_from_cldr_with_the_languages_pattern(language: str, expected: str) -> None:
    words = shipped_languages().words[language]
    assert words.day(date(2026, 12, 11)) == expected
    assert words.day(datetime(2026, 12, 11, 9, 30)) == expected
    assert words.day("2026-12-11") == expected  # as the outbox's JSON context holds it
    assert words.day(None) == words.day("") == "—"


def test_the_years_far_away_are_written_as_before() -> None:
    zh, en = shipped_languages().words["zh"], shipped_languages().words["en"]
    assert zh.day(date(1, 1, 1)) == "1年1月1日（周一）"
    assert en.day(date(9999, 12, 31)) == "Fri 31 Dec 9999"


def test_english_mails_show_english_days_in_their_macros() -> None:
    """The action lines come from macros imported without the mail's context: they once showed
    Chinese days in English mails. The day filter now belongs to the language's environment."""
    env = Renderer(TEMPLATES).environment("en")
    line = env.from_string('{% import "_macros.txt" as m %}{{ m.action_line(a) }}').render(
        a={
            "ref": "A-1",
            "description": "x",
            "owner": "o@corp.example",
            "owner_name": "",
            "department": "",
            "due": "2026-12-14",
            "due_provisional": False,
            "support": "",
            "deliverable": "",
        }
    )
    assert "Due: Mon 14 Dec 2026" in line


# The third language -------------------------------------------------------------------------


@pytest.fixture
def french_app(tmp_path: Path, templates: Path, database_url: str, clock: FixedClock) -> Iterator[App]:
    """A bot home whose templates are a copy of the shipped ones plus tests/languages/fr/."""
    shutil.copytree(FRENCH, templates / "fr")
    text = default_config_text("minutes@corp.example").replace(
        'url = "sqlite:///mailbot.db"', f'url = "{database_url}"'
    )
    text = text.replace('language = "zh" ', 'language = "en" ') + '\n[paths]\ntemplates = "templates"\n'
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    people = tmp_path / "people.csv"
    people.write_text(
        "name,address,department,role,language,proxy\nClaire Martin,claire.martin@corp.example,Ventes,,fr,\n",
        encoding="utf-8",
    )
    assert main(["--config", str(tmp_path / "config.toml"), "people", "import", str(people)]) == 0
    app = App.open(load_config(tmp_path / "config.toml"), clock)
    yield app
    app.db.dispose()


def mail_from_claire(app: App, subject: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Claire Martin <claire.martin@corp.example>"
    message["To"] = app.sender.address
    message["Subject"] = subject
    message["Date"] = format_datetime(app.now())
    message["Message-ID"] = f"<{abs(hash((subject, body)))}@client.example>"
    message.set_content(body)
    return message.as_bytes()


@pytest.mark.parametrize("word", ["帮助", "help"])
def test_a_third_language_is_one_folder_and_the_bot_answers_in_it(french_app: App, word: str) -> None:
    app = french_app
    assert app.languages.available == ("en", "fr", "zh")
    assert process(app, mail_from_claire(app, word, word)).outcome == "answered"
    (answer,) = outbox(app, "help")
    assert answer.language == "fr"  # the directory's word wins over the Han characters of "帮助"
    assert answer.subject == f"Re: {word} — mode d'emploi de Mailbot"
    assert "Bonjour, je suis Mailbot, le robot de suivi des réunions." in (answer.body_text or "")
    assert '<html lang="fr">' in (answer.body_html or "")
    assert "Ce que je lis" in (answer.body_html or "")
    # What fr does not have comes from the fallback (English): the footer (a help mail's lists no
    # commands: its body is the list), the marker.
    assert (answer.body_text or "").rstrip().endswith(f"\n--\nMailbot <{app.sender.address}>")
    assert (answer.body_text or "").startswith("—— 请在此线以上回复 / reply above this line ——")


def test_the_third_language_writes_its_days_and_borrows_what_it_lacks(
    french_app: App, caplog: pytest.LogCaptureFixture
) -> None:
    app = french_app
    with caplog.at_level(logging.WARNING):
        renderer = app.renderer
    # French has its own help and status; every HTML layout at templates/ root is shared: the rest
    # of the two files per kind are borrowed.
    total = 2 * len(KINDS)
    assert (
        f"language 'fr': {total - OWN_OR_SHARED} of {total} mail templates taken from 'en' (the fallback)"
        in caplog.text
    )
    assert renderer.borrowed_statuses == ["fr"]
    assert "language 'fr': no status words in rules/statuses.toml" in caplog.text
    assert process(app, mail_from_claire(app, "status", "status")).outcome == "answered"
    (answer,) = outbox(app, "status")
    assert answer.subject == "Re: status — vos actions ouvertes (0)"
    assert "Bonjour, vous n'avez aucune action ouverte au lun. 7 déc. 2026." in (answer.body_text or "")
    # status.html is one layout at templates/ root; fr gives only its words (_status_words.html).
    assert "Bonjour, vous n'avez aucune action ouverte au lun. 7 déc. 2026." in (answer.body_html or "")
    # The tracking table: the columns fr names, the others (and the status words) in English.
    rows = [
        {
            "ref": "A-1",
            "meeting": "M-1",
            "description": "x",
            "owner": "o@corp.example",
            "due": date(2026, 12, 11),
            "status": "in_progress",
        }
    ]
    table = list(csv.reader(io.StringIO(to_csv(rows, "fr", app.rules.statuses, app.languages).decode("utf-8-sig"))))
    assert table[0][:4] == ["Réf.", "Meeting", "Tâche", "Responsable"]
    assert table[1][8] == "in progress"
    assert app.languages.of("fr").tracking_file == "suivi-des-actions.xlsx"


def test_rules_check_lists_the_languages_and_what_each_borrows(
    french_app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    config = french_app.config.base_dir / "config.toml"
    capsys.readouterr()
    assert main(["--config", str(config), "rules", "check"]) == 0
    out = capsys.readouterr().out
    assert "languages en, fr, zh; fallback en" in out
    assert f"language fr: from en: {2 * len(KINDS) - OWN_OR_SHARED} file(s)" in out
    assert "language zh: complete" in out


def test_a_directory_language_without_a_folder_is_refused_naming_the_folders(
    french_app: App, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = tmp_path / "more.csv"
    people.write_text("name,address,language\nHans,hans@corp.example,de\n", encoding="utf-8")
    assert main(["--config", str(tmp_path / "config.toml"), "people", "import", str(people)]) == 2
    assert f"{people}:2: language must be en, fr or zh, not 'de'" in capsys.readouterr().err
