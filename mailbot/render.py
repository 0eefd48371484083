"""Jinja2 over templates/: one template per mail kind and language, plain text plus HTML.

`KIND.LANG.txt` starts with the subject line, a blank line, then the body; `KIND.LANG.html`
is the HTML body (autoescaped). Handlers hand over data; nothing here decides what to say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context

from mailbot.errors import MailbotError
from mailbot.lifecycle import StatusWords, status_words

WEEKDAYS_ZH = "一二三四五六日"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_day(value: date | datetime | str | None, language: str) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):  # contexts travel through the outbox as JSON: dates as ISO strings
        value = date.fromisoformat(value[:10])
    day = value.date() if isinstance(value, datetime) else value
    if language == "zh":
        return f"{day.year}年{day.month}月{day.day}日（周{WEEKDAYS_ZH[day.weekday()]}）"
    return f"{WEEKDAYS_EN[day.weekday()]} {day.day} {MONTHS_EN[day.month - 1]} {day.year}"


@pass_context
def day_filter(context: Context, value: date | datetime | str | None) -> str:
    """`{{ a.due | day }}` in the mail's own language."""
    return format_day(value, context.get("lang", "zh"))


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


class Renderer:
    def __init__(self, templates_dir: Path, statuses: StatusWords | None = None) -> None:
        self.templates_dir = templates_dir
        self.env = Environment(
            loader=FileSystemLoader(str(templates_dir)),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )

        self.env.filters["day"] = day_filter
        # `{{ a.status | status_label("zh") }}`, `{{ p.status | status_word("en") }}`: the words of
        # rules/statuses.toml. The language is an argument, not the context's `lang`: the macro
        # files that use them are imported without context, and each is written for one language.
        words = statuses or status_words()
        self.env.filters["status_label"] = lambda status, language: words.text(status, language, "label")
        self.env.filters["status_word"] = lambda status, language: words.text(status, language, "word")
        self._compiled: dict[str, tuple[Template, Template]] = {}

    def render(self, kind: str, language: str, context: dict[str, Any]) -> RenderedMail:
        text, html = self.render_body(kind, language, context)
        return RenderedMail(subject=self.render_subject(kind, language, context), text=text, html=html)

    def render_subject(self, kind: str, language: str, context: dict[str, Any]) -> str:
        """Rendered on its own and folded to one line, whatever the data held: a title with a
        line break can neither spill into the body nor inject a header."""
        subject_template, _ = self._text_templates(kind, language)
        return " ".join(subject_template.render(self._values(language, context)).split())

    def render_body(self, kind: str, language: str, context: dict[str, Any]) -> tuple[str, str]:
        _, body_template = self._text_templates(kind, language)
        values = {**self._values(language, context), "kind": kind}
        try:
            html = self.env.get_template(f"{kind}.{language}.html").render(values)
        except TemplateNotFound as exc:  # a missing template is a deployment error, named plainly
            raise MailbotError(f"template for {kind!r} in {language!r} is missing: {exc}") from exc
        return body_template.render(values).lstrip("\n"), html

    def _values(self, language: str, context: dict[str, Any]) -> dict[str, Any]:
        return {**context, "lang": language}

    def _text_templates(self, kind: str, language: str) -> tuple[Template, Template]:
        """Split a .txt template's source: its first line after the imports is the subject."""
        name = f"{kind}.{language}.txt"
        if name not in self._compiled:
            try:
                source, _, _ = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
            except TemplateNotFound as exc:
                raise MailbotError(f"template for {kind!r} in {language!r} is missing: {exc}") from exc
            lines = source.split("\n")
            imports = [line for line in lines if line.startswith("{% import")]
            rest = [line for line in lines if not line.startswith("{% import")]
            head = "\n".join(imports)
            self._compiled[name] = (
                self.env.from_string(head + "\n" + rest[0]),
                self.env.from_string(head + "\n" + "\n".join(rest[1:])),
            )
        return self._compiled[name]
