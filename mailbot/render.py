"""Jinja2 over templates/: one template per mail kind and language, plain text plus HTML.

`KIND.LANG.txt` starts with the subject line, a blank line, then the body; `KIND.LANG.html`
is the HTML body (autoescaped). Handlers hand over data; nothing here decides what to say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

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

    def render(self, kind: str, language: str, context: dict[str, Any]) -> RenderedMail:
        values = {**context, "lang": language}
        self.env.filters["day"] = lambda value: format_day(value, language)
        try:
            text = self.env.get_template(f"{kind}.{language}.txt").render(values)
            html = self.env.get_template(f"{kind}.{language}.html").render(values)
        except OSError as exc:  # a missing template is a deployment error, named plainly
            raise MailbotError(f"template for {kind!r} in {language!r} is missing: {exc}") from exc
        subject, _, body = text.partition("\n")
        # A subject is one line, whatever the data said: no header injection through a title.
        subject = " ".join(subject.split())
        return RenderedMail(subject=subject, text=body.lstrip("\n"), html=html)
