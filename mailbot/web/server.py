"""The read-only pages as a plain ASGI application, served by uvicorn (`mailbot web`).

    /p/<token>             a person's page: their actions, then their meetings
    /m/<id>/<token>        a meeting's page: the minutes, the tracking table, each action's history
    /project/<token>       a project's tracking table (filter and sort by query parameters)
    /department/<token>    a department's tracking table

Every page needs a link (mailbot/web/links.py) whose scope is that very page; what it shows is
decided from the stored state on each request (mailbot/web/access.py). Anything not allowed — a
bad MAC, a scope that is not this page, a meeting the person is not party to, an unknown path — is
the same 404, so no answer tells whether something exists. An expired or revoked link whose MAC
verifies gets 410 with a word on where to find a fresh one (its holder had it anyway). A client
showing too many bad links in a window gets 429 for everything until the window has passed.

Security headers on every answer: a Content-Security-Policy that allows no script at all and one
style block, the page's own <style> by its SHA-256 (no `style=` attributes anywhere, no
'unsafe-inline'); Referrer-Policy no-referrer (a token never leaves in a Referer); nosniff;
X-Frame-Options DENY and frame-ancestors 'none'; Cache-Control no-store (pages are personal).
Tokens are never logged: the access log shows paths with the token cut.

Database work runs in a small thread pool, so the event loop keeps accepting while pages render.
Rendering is Python work, one core per process: `mailbot web --workers N` runs N processes on one
port (uvicorn's supervisor; `serve`), each with its own share of the bad-link limit (BadLinks).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import logging
import math
import os
import time
import tomllib
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from mailbot.app import App
from mailbot.config import PACKAGE_ROOT
from mailbot.errors import ConfigError
from mailbot.languages import flatten
from mailbot.web.access import Viewer, load_viewer
from mailbot.web.links import Link, generation_of, issue, link_key, path_for, read
from mailbot.web.pages import meeting_page, person_page, table_page, today_of

log = logging.getLogger("mailbot.web")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

ROBOTS = b"User-agent: *\nDisallow: /\n"
MAX_QUERY = 2000


def pages_folder(app: App) -> Path:
    """templates/webpages/ of the configured templates, else the shipped one. (Not templates/web/:
    a folder named like a language tag, as "web" is, would be read as a language of the mails.)"""
    own = app.config.templates_dir / "webpages"
    return own if own.is_dir() else PACKAGE_ROOT / "templates" / "webpages"


@dataclass
class PageWords:
    """templates/webpages/words/<language>.toml: the pages' words, a language's missing ones taken
    from the fallback's (the mails' fallback language, else English)."""

    words: dict[str, dict[str, str]]
    fallback: str

    @classmethod
    def load(cls, folder: Path, fallback: str) -> PageWords:
        words: dict[str, dict[str, str]] = {}
        for path in sorted(folder.glob("*.toml")):
            try:
                words[path.stem] = {k: str(v) for k, v in flatten(tomllib.loads(path.read_text("utf-8"))).items()}
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"{path}: {exc}") from exc
        if fallback not in words:
            fallback = "en"
        if fallback not in words:
            raise ConfigError(f"{folder}: no words for the fallback language (en.toml)")
        return cls(words=words, fallback=fallback)

    def of(self, language: str) -> Callable[..., str]:
        own, base = self.words.get(language, {}), self.words[self.fallback]

        def t(key: str, default: str | None = None, **values: Any) -> str:
            text = own.get(key) or base.get(key) or (default if default is not None else key)
            return text.format(**values) if values else text

        return t


class BadLinks:
    """Bad links per client within a sliding window: at `limit`, the client is refused until the
    oldest one leaves the window. Kept in memory (one process); bounded in size."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self.hits: dict[str, deque[float]] = {}

    def _recent(self, client: str) -> deque[float] | None:
        hits = self.hits.get(client)
        if hits is None:
            return None
        edge = self.clock() - self.window
        while hits and hits[0] <= edge:
            hits.popleft()
        if not hits:
            del self.hits[client]
            return None
        return hits

    def blocked(self, client: str) -> bool:
        hits = self._recent(client)
        return hits is not None and len(hits) >= self.limit

    def record(self, client: str) -> None:
        if len(self.hits) > 100_000:  # a flood of clients: forget the quiet ones
            for known in list(self.hits):
                self._recent(known)
        self.hits.setdefault(client, deque()).append(self.clock())


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    bad: bool = False  # counts against the client's bad links
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)


class WebApp:
    """The ASGI application. `app` is the bot's App (config, database, clock, rules, languages).
    `processes`: how many server processes share the port, each counting bad links on its own."""

    def __init__(self, app: App, *, workers: int = 8, processes: int = 1) -> None:
        self.app = app
        folder = pages_folder(app)
        self.css = (folder / "style.css").read_text(encoding="utf-8")
        digest = base64.b64encode(hashlib.sha256(self.css.encode()).digest()).decode()
        self.csp = (
            f"default-src 'none'; style-src 'sha256-{digest}'; form-action 'self'; "
            "base-uri 'none'; frame-ancestors 'none'"
        )
        self.env = Environment(
            loader=FileSystemLoader(str(folder)),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.words = PageWords.load(folder / "words", app.languages.fallback)
        self.key = link_key(app.config.token_key)
        web = app.config.web
        # The counts live in each process's memory and a client's requests spread over the
        # processes: each allows its share, so a client guessing links gets at most about
        # bad_link_limit tries in all before every process refuses it (deploy/web.md).
        self.bad_links = BadLinks(math.ceil(web.bad_link_limit / max(1, processes)), web.bad_link_window_seconds)
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mailbot-web")
        self.headers = [
            (b"content-security-policy", self.csp.encode()),
            (b"referrer-policy", b"no-referrer"),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"cache-control", b"no-store"),
            (b"x-robots-tag", b"noindex, nofollow"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"cross-origin-resource-policy", b"same-origin"),
        ]
        if web.base_url.startswith("https://"):
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))
        # Built before the first request, not by the first few at once in the pool's threads.
        _ = app.rules, app.languages, app.calendar

    # ASGI ----------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        client = (scope.get("client") or ("-", 0))[0]
        method = scope["method"]
        if self.bad_links.blocked(client):
            response = self.plain(429, "Too many bad links; try again later.\n")
            response.headers.append((b"retry-after", str(int(self.bad_links.window)).encode()))
        elif method not in ("GET", "HEAD"):
            response = self.plain(405, "Read-only.\n")
            response.headers.append((b"allow", b"GET, HEAD"))
        else:
            query = scope.get("query_string", b"").decode("latin-1")
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            loop = asyncio.get_running_loop()
            try:
                response = await loop.run_in_executor(
                    self.pool, self.handle, scope["path"], query, headers.get("accept-language", "")
                )
            except Exception:
                log.exception("web: page failed")
                response = self.plain(500, "Something went wrong; the administrator has the details.\n")
            if response.bad:
                self.bad_links.record(client)
        await self._send(send, response, head=method == "HEAD")
        log.info(
            "web %s %s %s %d %.1f ms",
            client, method, redacted(scope["path"]), response.status, (time.perf_counter() - started) * 1000,
        )  # fmt: skip

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.pool.shutdown(wait=False, cancel_futures=True)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _send(self, send: Send, response: Response, *, head: bool) -> None:
        headers = [
            (b"content-type", response.content_type.encode()),
            (b"content-length", str(len(response.body)).encode()),
            *self.headers,
            *response.headers,
        ]
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else response.body})

    # Pages ---------------------------------------------------------------------------------------

    def plain(self, status: int, text: str, *, bad: bool = False) -> Response:
        return Response(status, text.encode(), "text/plain; charset=utf-8", bad=bad)

    def handle(self, path: str, query_string: str, accept_language: str = "") -> Response:
        """One request, in a worker thread: (status, body) and whether it was a bad link."""
        if path == "/robots.txt":
            return Response(200, ROBOTS, "text/plain; charset=utf-8")
        if path == "/favicon.ico":  # browsers ask on their own: not a bad link
            return self.plain(404, "Not found.\n")
        query = (
            dict(parse_qsl(query_string, encoding="utf-8", errors="replace")) if len(query_string) <= MAX_QUERY else {}
        )
        parts = path.strip("/").split("/")
        kind, meeting_id, token = _route(parts)
        if kind is None or token is None:
            return self.not_found(query, accept_language)
        link = read(self.key, token)
        if link is None or link.kind != kind or (kind == "meeting" and link.target != meeting_id):
            return self.not_found(query, accept_language)
        app = self.app
        with app.db.session() as session:
            viewer = load_viewer(session, link.address)
            language = self.language(query, viewer, accept_language)
            if link.expires <= app.now() or generation_of(session, link.address) != link.generation:
                return self.page(410, "gone.html", language, {"viewer": viewer}, bad=True)
            now = today_of(app, language)
            if kind == "person":
                data, template = person_page(session, now, viewer), "person.html"
            elif kind == "meeting":
                data, template = meeting_page(session, now, viewer, int(link.target)), "meeting.html"
            else:
                data, template = table_page(session, now, viewer, kind, link.target, query), "table.html"
            if data is None:
                return self.not_found(query, accept_language)
            data["link"] = self.child_links(link, query)
            data["expires"] = link.expires.astimezone(app.config.tz).date()
            data["query"] = query
            return self.page(200, template, language, data)

    def not_found(self, query: Mapping[str, str], accept_language: str) -> Response:
        language = self.language(query, None, accept_language)
        return self.page(404, "not_found.html", language, {"viewer": None}, bad=True)

    def language(self, query: Mapping[str, str], viewer: Viewer | None, accept_language: str) -> str:
        """?lang=, else the person's own language, else the browser's, else the bot's fallback."""
        languages = self.app.languages
        wanted = query.get("lang")
        if wanted in languages:
            return wanted  # type: ignore[return-value]
        if viewer is not None and viewer.language in languages:
            return viewer.language  # type: ignore[return-value]
        for part in accept_language.split(","):
            tag = part.split(";")[0].strip().lower()
            for candidate in (tag, tag.split("-")[0]):
                if candidate in languages:
                    return candidate
        return languages.fallback

    def child_links(self, link: Link, query: Mapping[str, str]) -> Callable[..., str]:
        """Links from this page to the pages it names, for the same person, expiring with it: a
        page never hands out more time than its own link had."""
        keep = {"lang": query["lang"]} if query.get("lang") in self.app.languages else {}

        made: dict[str, str] = {}

        def to(scope: str) -> str:
            if scope not in made:
                token = issue(self.key, link.address, scope, link.expires, link.generation)
                made[scope] = path_for(token, scope) + ("?" + urlencode(keep) if keep else "")
            return made[scope]

        return to

    def page(self, status: int, template: str, language: str, data: dict[str, Any], *, bad: bool = False) -> Response:
        words = self.app.languages.of(language)
        values = {
            **data,
            "t": self.words.of(language),
            "language": language,
            "languages": self.app.languages.available,
            "html_lang": words.html_lang,
            "day": words.day,
            "columns": words.columns,
            "css": self.css,
            "status_word": lambda status: self.app.rules.statuses.text(status, language, "label",
                                                                       self.app.languages.fallback),
            "bot_name": self.app.config.bot.name,
            "bot_address": self.app.config.bot.address,
        }  # fmt: skip
        query = values.setdefault("query", {})

        def query_with(**changes: Any) -> str:
            """The page's query with `changes` (None removes a key), for links to the same page."""
            merged = {**query, **changes}
            return urlencode({k: v for k, v in merged.items() if v not in (None, "")})

        values["query_with"] = query_with
        values["language_names"] = {
            code: self.words.of(code)("self_name", default=code) for code in values["languages"]
        }
        body = self.env.get_template(template).render(values)
        return Response(status, body.encode(), bad=bad)


def _route(parts: list[str]) -> tuple[str | None, str | None, str | None]:
    """(page kind, meeting id, token) of a path's parts; (None, …) for no page."""
    if len(parts) == 2 and parts[0] == "p":
        return "person", None, parts[1]
    if len(parts) == 3 and parts[0] == "m" and parts[1].isdigit() and len(parts[1]) <= 9:
        return "meeting", str(int(parts[1])), parts[2]
    if len(parts) == 2 and parts[0] in ("project", "department"):
        return parts[0], None, parts[1]
    return None, None, None


def redacted(path: str) -> str:
    """A path fit for a log: every long part (a token) cut to its first characters."""
    return "/".join(part if len(part) <= 16 else part[:6] + "…" for part in path.split("/"))


def server_options(app: App) -> dict[str, Any]:
    web = app.config.web
    return {
        "http": "h11",
        "lifespan": "on",
        "proxy_headers": True,
        "forwarded_allow_ips": ",".join(web.trusted_proxies) or None,
        "server_header": False,
        "access_log": False,  # uvicorn's would log tokens; WebApp logs paths with them cut
        "log_config": None,
        "timeout_keep_alive": 5,
    }


def make_server(app: App, host: str, port: int, **options: Any) -> Any:
    """A uvicorn.Server for the pages in this process (run it with .run(), or in a thread, as the
    daemon and the tests do)."""
    import uvicorn

    config = uvicorn.Config(WebApp(app), host=host, port=port, **{**server_options(app), **options})
    return uvicorn.Server(config)


def default_workers() -> int:
    """One process per CPU this one may run on (taskset and cpusets count), at most 8: the pages
    are CPU work, and a process more than there are cores only waits for one."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


# What a worker process needs to open the same App as the command that started it (uvicorn starts
# workers fresh, by import: nothing of the parent's memory is passed on).
WORKER_ENV = "MAILBOT_WEB_WORKER"


def serve(
    app: App, host: str, port: int, *, workers: int = 1, now: str | None = None, log_json: bool = False,
    verbose: bool = False,
) -> None:  # fmt: skip
    """Serve the pages until stopped: in this process, or in `workers` processes on one socket
    under uvicorn's supervisor (it restarts a worker that dies and stops them all on SIGTERM)."""
    if workers <= 1:
        make_server(app, host, port).run()
        return
    import uvicorn

    os.environ[WORKER_ENV] = json.dumps(
        {"config": str(Path(app.config.origin).resolve()), "now": now, "log_json": log_json, "verbose": verbose,
         "workers": workers}
    )  # fmt: skip
    uvicorn.run(f"{__name__}:worker_app", factory=True, host=host, port=port, workers=workers, **server_options(app))


def worker_app() -> WebApp:
    """The application of one worker process of `serve` (uvicorn calls it by its import path)."""
    from mailbot.cli import configure_logging, make_clock
    from mailbot.config import load_config

    settings = json.loads(os.environ[WORKER_ENV])
    configure_logging(log_json=settings["log_json"], verbose=settings["verbose"])
    config = load_config(Path(settings["config"]))
    clock = make_clock(argparse.Namespace(now=settings["now"]), config)
    # The command that started the workers brought the database up to date already.
    return WebApp(App.open(config, clock, migrate=False), processes=int(settings["workers"]))
