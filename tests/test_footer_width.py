"""Nothing in a mail's footer is wider than the mail (hand trial 14, item 1): the reader's personal
link ([web] on: `my_page`, a ~140-character signed URL) is a few words in the HTML part, never the
URL printed as one unbreakable word that set the width of the whole mail — on a 390 px phone it cut
tables, numbers and buttons off on the right, and at 800 px it hid the final minutes' columns. The
text part keeps the whole URL, on a line of its own (plain-text readers need it).

Every kind, in both languages, with the samples of the hostile-rendering test (tests/test_inert.py):
the structure for every sample, and the width in headless Chromium for the first one (one page per
language, each mail in a 390 px frame).
"""

from __future__ import annotations

import html as markup
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mailbot.kinds import KINDS
from mailbot.render import Renderer
from tests.conftest import need_server
from tests.test_inert import COMMON, TEMPLATES, samples

CHROMIUM = "/usr/bin/chromium"
PHONE = 390
LANGUAGES = ("zh", "en")
# A real person link as mailbot.web.links makes it (/p/<signed token>): 140 characters.
MY_PAGE = (
    "https://minutes.corp.example/p/eyJhIjoiemhhbmcud2VpQGNvcnAuZXhhbXBsZSIsInMiOiJwZXJzb24iLCJlIjox"
    "ODAzODU5MjAwLCJnIjozfQ.TLQYIYtnEdfKFazPH44UKA"
)
LINK_WORDS = {"zh": "打开我的任务与会议", "en": "Open my actions and meetings"}
NOT_FORWARD = {"zh": "个人链接，请勿转发", "en": "a personal link, do not forward"}
# Mails whose own tables are wider than a phone whatever the footer says (the final minutes'
# eight-column tracking table, the weekly mail's row tables, the English minutes table): outside
# the footer, so here they are only held to "the footer adds no width".
WIDER_BODIES = {
    ("zh", "digest"), ("zh", "final_minutes"), ("en", "digest"), ("en", "final_minutes"),
    ("en", "confirm_request"), ("en", "minutes_ack"), ("en", "minutes_notice"), ("en", "objection_notice"),
}  # fmt: skip


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(TEMPLATES)


def context(kind: str, index: int = 0, **extra: Any) -> dict[str, Any]:
    return {**samples()[kind][index], **COMMON, "my_page": MY_PAGE, **extra}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_html_links_the_page_in_words_and_the_text_gives_the_url_on_its_own_line(
    renderer: Renderer, kind: str, language: str
) -> None:
    for index in range(len(samples()[kind])):
        mail = renderer.render(kind, language, context(kind, index))
        where = f"{kind}[{index}] in {language}"
        # In the HTML the URL is only ever an href, never text a reader sees.
        assert mail.html.count(MY_PAGE) == 1, where
        assert f'<a href="{MY_PAGE}" style="color:#0969da;text-decoration:underline;">{LINK_WORDS[language]}</a>' in (
            mail.html
        ), where
        assert NOT_FORWARD[language] in mail.html, where
        # Every other address the footer shows may break: after its slashes, before its dots.
        footer = mail.html.rsplit("<p style=", 1)[-1]
        assert "minutes<wbr>@corp<wbr>.example</a>" in footer and "https://<wbr>wiki<wbr>.corp" in footer, where
        # The text part: the whole URL, alone on its line, under the words that say what it is.
        lines = mail.text.splitlines()
        assert MY_PAGE in lines, where
        assert NOT_FORWARD[language] in lines[lines.index(MY_PAGE) - 1], where


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_link_no_words(renderer: Renderer, language: str) -> None:
    mail = renderer.render("reminder", language, {**samples()["reminder"][0], **COMMON})
    assert LINK_WORDS[language] not in mail.html and NOT_FORWARD[language] not in mail.text


def widths(pages: dict[str, str], tmp_path: Path, name: str) -> dict[str, int]:
    """Each page's document.documentElement.scrollWidth in a PHONE px frame: one Chromium for
    them all (headless Chromium's window is no narrower than 500 px; a frame is what a phone is)."""
    frames = "".join(
        f'<iframe data-key="{key}" style="width:{PHONE}px;height:300px;border:0;display:block" '
        f'srcdoc="{markup.escape(html, quote=True)}"></iframe>'
        for key, html in pages.items()
    )
    script = (
        "window.addEventListener('load', function () { var out = {};"
        " document.querySelectorAll('iframe').forEach(function (f) {"
        " out[f.dataset.key] = f.contentDocument.documentElement.scrollWidth; });"
        " document.title = 'W' + JSON.stringify(out); });"
    )
    probe = tmp_path / f"{name}.html"
    probe.write_text(
        f"<!DOCTYPE html><html><head><title>-</title></head><body>{frames}<script>{script}</script></body></html>",
        encoding="utf-8",
    )
    dom = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
         "--window-size=800,900", "--virtual-time-budget=10000", "--dump-dom", probe.as_uri()],
        check=True, capture_output=True, text=True, timeout=180,
    ).stdout  # fmt: skip
    found = re.search(r"<title>W(.*?)</title>", dom, re.DOTALL)
    assert found, dom[:300]
    measured: dict[str, int] = json.loads(markup.unescape(found.group(1)))
    assert set(measured) == set(pages)
    return measured


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_mail_with_the_personal_link_fits_a_phone(renderer: Renderer, language: str, tmp_path: Path) -> None:
    if not os.access(CHROMIUM, os.X_OK):
        need_server(f"{CHROMIUM} not installed: the mails' width is not checked in a browser")
    pages = {}
    for kind in sorted(KINDS):
        pages[f"{kind}+link"] = renderer.render(kind, language, context(kind)).html
        pages[kind] = renderer.render(kind, language, {**samples()[kind][0], **COMMON}).html
    measured = widths(pages, tmp_path, language)
    for kind in sorted(KINDS):
        with_link, without = measured[f"{kind}+link"], measured[kind]
        # The footer never widens a mail, whatever its body does.
        assert with_link <= max(PHONE, without), (kind, language, with_link, without)
        if (language, kind) not in WIDER_BODIES:
            assert with_link <= PHONE, (kind, language, with_link)
