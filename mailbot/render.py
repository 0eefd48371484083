"""Jinja2 over templates/: one template per mail kind and language, plain text plus HTML.

`KIND.LANG.txt` starts with the subject line, a blank line, then the body; `KIND.LANG.html`
is the HTML body (autoescaped). Handlers hand over data; nothing here decides what to say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, TemplateNotFound, select_autoescape

from mailbot.errors import MailbotError

WEEKDAYS_ZH = "一二三四五六日"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_day(value: date | datetime | None, language: str) -> str:
    if value is None:
        return "—"
    day = value.date() if isinstance(value, datetime) else value
    if language == "zh":
        return f"{day.year}年{day.month}月{day.day}日（周{WEEKDAYS_ZH[day.weekday()]}）"
    return f"{WEEKDAYS_EN[day.weekday()]} {day.day} {MONTHS_EN[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


class Renderer:
    def __init__(self, templates_dir: Path) -> None:
        self.templates_dir = templates_dir
        self.env = Environment(
            loader=FileSystemLoader(str(templates_dir)),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )

        self._compiled: dict[str, tuple[Template, Template]] = {}

    def render(self, kind: str, language: str, context: dict[str, Any]) -> RenderedMail:
        values = {**context, "lang": language}
        self.env.filters["day"] = lambda value: format_day(value, language)
        try:
            subject_template, body_template = self._text_templates(f"{kind}.{language}.txt")
            html = self.env.get_template(f"{kind}.{language}.html").render(values)
        except TemplateNotFound as exc:  # a missing template is a deployment error, named plainly
            raise MailbotError(f"template for {kind!r} in {language!r} is missing: {exc}") from exc
        # The subject is rendered on its own and folded to one line, whatever the data held:
        # a title with a line break can neither spill into the body nor inject a header.
        subject = " ".join(subject_template.render(values).split())
        return RenderedMail(subject=subject, text=body_template.render(values).lstrip("\n"), html=html)

    def _text_templates(self, name: str) -> tuple[Template, Template]:
        """Split a .txt template's source: its first line after the imports is the subject."""
        if name not in self._compiled:
            source, _, _ = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
            lines = source.split("\n")
            imports = [line for line in lines if line.startswith("{% import")]
            rest = [line for line in lines if not line.startswith("{% import")]
            head = "\n".join(imports)
            self._compiled[name] = (
                self.env.from_string(head + "\n" + rest[0]),
                self.env.from_string(head + "\n" + "\n".join(rest[1:])),
            )
        return self._compiled[name]
