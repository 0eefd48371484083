"""Jinja2 over templates/: one template per mail kind and language, plain text plus HTML.

`KIND.txt` starts with the subject line, a blank line, then the body; `KIND.html` is the HTML
body (autoescaped). Each is looked up in the language's folder, then the fallback language's,
then templates/ itself (mailbot/languages.py), and so is every template they include or import:
`{% include "_footer.txt" %}` finds the language's own footer. Handlers hand over data; nothing
here decides what to say.

Escaping: text made by a `.txt` template is escaped nowhere (and once captured by an HTML template,
in a block set or as a macro's output, Jinja counts it as Markup), so an HTML template that shows
it (an included `_KIND_body.txt`, a macro of `_macros.txt` or `_reply.txt`) passes it through
`forceescape`. Every value any template writes first loses its bidi controls and invisible
characters (`inert`, the environment's finalize). tests/test_inert.py renders every kind, in every
language, with hostile values.

One Jinja environment per language: its filters (`day`, `status_label`, `status_word`) and its
`words` (the language's words.toml) belong to the environment, not to the render call, so macros
imported without context write the right language too.

Compiled templates are kept on disk (Jinja's bytecode cache, in the user's private temporary
folder): compiling the ~30 templates one minutes mail needs cost more than the rest of its
rendering, in every `mailbot ingest -` process. An entry is used only for the same template file
with the same source text (Jinja checks a checksum), the same Python and Jinja, and this file as it
is (the environment's options live here); a cache that cannot be read or written is no cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    select_autoescape,
)
from jinja2.bccache import Bucket
from markupsafe import Markup

from mailbot.errors import ConfigError, MailbotError
from mailbot.inert import clean_text
from mailbot.kinds import EXTENSIONS, KINDS
from mailbot.languages import Languages, Words, load_languages
from mailbot.lifecycle import StatusWords, status_words
from mailbot.tokens import plus_address

log = logging.getLogger(__name__)


def inert(value: Any) -> Any:
    """Every `{{ … }}` of every template, before it is escaped (HTML) or written (text and
    subject): without bidi controls or invisible characters, whatever the context held."""
    if isinstance(value, Markup):  # already escaped (a macro's or block's output): stays so
        return Markup(clean_text(str(value)))
    return clean_text(value) if isinstance(value, str) else value


class _BestEffortCache(FileSystemBytecodeCache):
    """Jinja's file cache, but a cache file that cannot be read or written only means compiling."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # unreadable, truncated, corrupt: compiled afresh (and written again)
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):  # a full or read-only disk: the next start compiles again
            super().dump_bytecode(bucket)


@cache
def bytecode_cache() -> BytecodeCache | None:
    """The cache of compiled templates shared by this user's processes, or None where there is no
    safe folder for it. Its file names carry a fingerprint of this file and of Jinja's version, so
    a change to the environment's options (here) or to Jinja never reads code compiled before."""
    try:
        fingerprint = hashlib.sha256(Path(__file__).read_bytes() + jinja2.__version__.encode()).hexdigest()[:16]
        return _BestEffortCache(pattern=f"mailbot-{fingerprint}-%s.jinja")
    except (OSError, RuntimeError):  # RuntimeError: Jinja found no private temporary folder
        return None


def from_source(env: Environment, source: str, filename: str | None, part: str) -> Template:
    """`env.from_string(source)`, its compiled code kept in the bytecode cache under the template
    file and `part` (a .txt template is compiled as two strings: its subject and its body)."""
    bcc = env.bytecode_cache
    if bcc is None:
        return env.from_string(source)
    bucket = bcc.get_bucket(env, part, filename, source)
    if bucket.code is None:
        bucket.code = env.compile(source)
        bcc.set_bucket(bucket)
    return env.template_class.from_code(env, bucket.code, env.make_globals(None), None)


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


class Renderer:
    def __init__(
        self,
        templates_dir: Path,
        statuses: StatusWords | None = None,
        *,
        language: str = "zh",
        languages: Languages | None = None,
    ) -> None:
        """`language`: the configured `[bot] language` (the fallback), used when `languages` is
        not given. Raises ConfigError when a registered kind lacks a template in a language."""
        self.templates_dir = templates_dir
        self.languages = languages or load_languages(templates_dir, language)
        self.statuses = statuses or status_words()
        self.envs = {language: self._environment(language) for language in self.languages.available}
        # Language -> the kinds' files it takes from the fallback (for the warning and `rules check`).
        self.borrowed = self.check()
        # The languages rules/statuses.toml does not name: they show the fallback's status words.
        self.borrowed_statuses = [lang for lang in self.languages.available if lang not in self.statuses.languages]
        for language in self.borrowed_statuses:
            log.warning("language %r: no status words in rules/statuses.toml; those of %r (the fallback) are used",
                        language, self.languages.fallback)  # fmt: skip
        self._compiled: dict[tuple[str, str], tuple[Template, Template]] = {}

    def _environment(self, language: str) -> Environment:
        env = Environment(
            loader=FileSystemLoader([str(p) for p in self.languages.search_path(language)]),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            finalize=inert,
            bytecode_cache=bytecode_cache(),
        )
        words: Words = self.languages.words[language]
        fallback, statuses = self.languages.fallback, self.statuses
        env.globals["words"] = words
        env.globals["mailto"] = mailto
        env.filters["plural"] = plural
        # `{{ a.due | day }}`: the day as words.toml's CLDR pattern writes it.
        env.filters["day"] = words.day
        # `{{ a.status | status_label }}`, `{{ p.status | status_word }}`: rules/statuses.toml.
        env.filters["status_label"] = lambda status: statuses.text(status, language, "label", fallback)
        env.filters["status_word"] = lambda status: statuses.text(status, language, "word", fallback)
        return env

    def check(self) -> dict[str, list[str]]:
        """Every registered kind has its .txt and .html in every language, after fallback: a
        missing one stops the start here (ConfigError naming the file), not a mail mid-handler.
        Returns, per language, the files it borrows from the fallback, and warns about them."""
        root, fallback = self.languages.folder, self.languages.fallback
        borrowed: dict[str, list[str]] = {}
        for language in self.languages.available:
            borrowed[language] = []
            for kind in KINDS:
                for ext in EXTENSIONS:
                    name = f"{kind}.{ext}"
                    found = next((p for p in self.languages.search_path(language) if (p / name).is_file()), None)
                    if found is None:
                        where = f"{root / fallback / name}" + (f" (or {root / name})" if ext == "html" else "")
                        raise ConfigError(f"template for {kind!r} in {language!r} is missing: {where}")
                    if found == root / fallback and language != fallback:
                        borrowed[language].append(name)
            if borrowed[language] and language != fallback:
                log.warning(
                    "language %r: %d of %d mail templates taken from %r (the fallback): %s",
                    language, len(borrowed[language]), len(KINDS) * len(EXTENSIONS), fallback,
                    ", ".join(borrowed[language]),
                )  # fmt: skip
        return borrowed

    def environment(self, language: str) -> Environment:
        return self.envs[self.languages.pick(language)]

    def render(self, kind: str, language: str, context: dict[str, Any]) -> RenderedMail:
        text, html = self.render_body(kind, language, context)
        return RenderedMail(subject=self.render_subject(kind, language, context), text=text, html=html)

    def render_subject(self, kind: str, language: str, context: dict[str, Any]) -> str:
        """Rendered on its own and folded to one line, whatever the data held: a title with a
        line break can neither spill into the body nor inject a header."""
        language = self.languages.pick(language)
        subject_template, _ = self._text_templates(kind, language)
        subject = " ".join(subject_template.render(self._values(language, context)).split())
        # An answer to a mail that had no subject: "Re:  — 您的未完成行动项" reads as a glitch.
        return EMPTY_ECHO.sub("", subject)

    def render_body(self, kind: str, language: str, context: dict[str, Any]) -> tuple[str, str]:
        language = self.languages.pick(language)
        _, body_template = self._text_templates(kind, language)
        values = {**self._values(language, context), "kind": kind}
        try:
            html = self.envs[language].get_template(f"{kind}.html").render(values)
        except TemplateNotFound as exc:  # a partial deleted after the start: named plainly
            raise MailbotError(f"template for {kind!r} in {language!r} is missing: {exc}") from exc
        return body_template.render(values).lstrip("\n"), html

    def _values(self, language: str, context: dict[str, Any]) -> dict[str, Any]:
        return {**context, "lang": language}

    def _text_templates(self, kind: str, language: str) -> tuple[Template, Template]:
        """Split a .txt template's source: its first line after the imports is the subject."""
        if kind not in KINDS:  # a kind the code decides but nobody registered: a programming error
            raise MailbotError(f"unknown mail kind {kind!r}: list it in mailbot/kinds.py")
        key = (language, kind)
        if key not in self._compiled:
            env = self.envs[language]
            try:
                source, filename, _ = env.loader.get_source(env, f"{kind}.txt")  # type: ignore[union-attr]
            except TemplateNotFound as exc:
                raise MailbotError(f"template for {kind!r} in {language!r} is missing: {exc}") from exc
            lines = source.split("\n")
            imports = [line for line in lines if line.startswith("{% import")]
            rest = [line for line in lines if not line.startswith("{% import")]
            head = "\n".join(imports)
            self._compiled[key] = (
                from_source(env, head + "\n" + rest[0], filename, "subject"),
                from_source(env, head + "\n" + "\n".join(rest[1:]), filename, "body"),
            )
        return self._compiled[key]


EMPTY_ECHO = re.compile(r"^Re:\s*—\s*")


def plural(count: int, word: str, many: str | None = None) -> str:
    """English counts: "1 action", "2 actions" (never "1 action(s)")."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def mailto(bot_address: str, token: str | None, command: str) -> str:
    """A one-click answer (RFC 6068): to the plus-address that carries the reply token, the token
    in the subject too (Outlook keeps it), the command as the body. UTF-8 percent-encoded, spaces
    as %20 and line ends as %0D%0A, so Outlook, Foxmail and Gmail open it with the Chinese intact."""
    to = plus_address(bot_address, token) if token else bot_address
    subject = f"{command.split('：')[0].split(':')[0].strip()} [#{token}]" if token else command
    query = f"subject={quote(subject, safe='')}&body={quote(command, safe='')}"
    return f"mailto:{quote(to, safe='@+')}?{query}"
