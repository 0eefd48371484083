"""Configuration: one TOML file read with tomllib into frozen dataclasses, validated at start.

An unknown key, a missing key or a wrong type stops the program with one line naming the key
and the file, because a typo silently ignored is a bot that quietly does the wrong thing.
Relative paths are resolved against the config file's folder, so the bot runs from anywhere.
"""

from __future__ import annotations

import os
import tomllib
import types
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mailbot.errors import ConfigError
from mailbot.languages import is_language_tag

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class BotSection:
    address: str
    name: str = "Mailbot"
    admin: str = ""
    # The language for people whose own is unknown, and the fallback that fills in what another
    # language's folder lacks (templates/<language>/; "en" when this one has no folder).
    language: str = "zh"
    timezone: str = "Asia/Shanghai"
    # Who may send agendas and minutes: addresses or "*@domain"; empty list = anyone.
    allowed_senders: list[str] = field(default_factory=list)
    docs_url: str = ""


@dataclass(frozen=True)
class DatabaseSection:
    url: str = "sqlite:///mailbot.db"


@dataclass(frozen=True)
class MaildirSourceSection:
    path: str = "inbox"


@dataclass(frozen=True)
class ImapSection:
    host: str
    username: str
    port: int = 993
    security: Literal["ssl", "starttls", "none"] = "ssl"
    password: str = ""
    password_env: str = "MAILBOT_IMAP_PASSWORD"
    folder: str = "INBOX"
    processed_folder: str = "Mailbot/Processed"
    failed_folder: str = "Mailbot/Failed"


@dataclass(frozen=True)
class SourceSection:
    kind: Literal["maildir", "imap"] = "maildir"
    maildir: MaildirSourceSection = field(default_factory=MaildirSourceSection)
    imap: ImapSection | None = None
    max_message_bytes: int = 25_000_000


@dataclass(frozen=True)
class SmtpSection:
    host: str
    port: int = 465
    security: Literal["ssl", "starttls", "none"] = "ssl"
    username: str = ""
    password: str = ""
    password_env: str = "MAILBOT_SMTP_PASSWORD"
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class MaildirDeliverySection:
    path: str = "sent"


@dataclass(frozen=True)
class DeliverySection:
    kind: Literal["maildir", "smtp"] = "maildir"
    maildir: MaildirDeliverySection = field(default_factory=MaildirDeliverySection)
    smtp: SmtpSection | None = None


@dataclass(frozen=True)
class SecuritySection:
    # The reply-token key; prefer the environment variable in production.
    token_key: str = ""
    token_key_env: str = "MAILBOT_TOKEN_KEY"


@dataclass(frozen=True)
class TrustSection:
    """Proof of who sent a mail (reliability.md): a `From:` header proves nothing.

    A reply to one of our mails proves itself (its token or the Message-ID it answers is known
    only to whom we wrote). Anything else needs the organisation's server to vouch for the sender
    (`authserv_id`), or a DKIM signature we verify (`verify_dkim`); without either, `unproven`
    says what happens: "confirm" mails the claimed address a one-time question and applies
    nothing until it is answered; "apply" trusts `From:` — only for a server that itself refuses
    mail to the bot from outside and from unauthenticated senders."""

    # The authserv-id of the organisation's Authentication-Results header ("mail.corp.example");
    # "" = no server vouches.
    authserv_id: str = ""
    verify_dkim: bool = True
    dns_timeout_seconds: float = 5.0
    unproven: Literal["confirm", "apply"] = "confirm"
    # A held mail waits this many days for its sender's confirmation, then lapses.
    confirm_within_days: int = 7
    # Besides the bot's own domain and the domains of the directory's people: where the bot may
    # write ("partner.example"). Anyone else named in a draft is a problem in its answer.
    recipient_domains: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CalendarSection:
    kind: Literal["cn", "country", "custom"] = "cn"
    country: str = ""
    rules_file: str = ""


@dataclass(frozen=True)
class PathsSection:
    rules: str = ""
    templates: str = ""


@dataclass(frozen=True)
class WebSection:
    """The read-only pages (`mailbot web`): where the server listens, the public address the
    links in mails use, and how long a link lasts. Links are signed with [security] token_key."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 8470
    # What people's browsers reach, e.g. "https://minutes.corp.example" (the reverse proxy).
    base_url: str = ""
    link_days: int = 30
    # Proxies whose X-Forwarded-For names the client (the rate limit counts per client).
    trusted_proxies: list[str] = field(default_factory=lambda: ["127.0.0.1", "::1"])
    # A client that shows this many bad links within the window is refused until it passes.
    bad_link_limit: int = 20
    bad_link_window_seconds: int = 600


@dataclass(frozen=True)
class ArchiveSection:
    """The minutes archive (mailbot/archive.py): official minutes filed into a folder tree a
    shared drive syncs, `<path>/<project or 跨部门协作>/<year>/<date> <title> (M-n)/`."""

    enabled: bool = False
    path: str = "archive"


# What a project group hears of (mailbot/groups.py).
GROUP_EVENTS = ("official", "done", "escalated")


@dataclass(frozen=True)
class GroupRobotSection:
    """One group robot: `[groups.robots."项目名"]` (or `"*"` for every other project)."""

    service: Literal["dingtalk", "wecom", "feishu"]
    # The webhook URL holds the robot's token: prefer the environment variable.
    webhook: str = ""
    webhook_env: str = ""
    # DingTalk's 加签 and Feishu's 签名校验 secret; WeCom signs nothing.
    secret: str = ""
    secret_env: str = ""
    events: list[str] = field(default_factory=lambda: list(GROUP_EVENTS))


@dataclass(frozen=True)
class GroupsSection:
    """Posts to a project's DingTalk, WeCom or Feishu group (mailbot/groups.py): queued with the
    decision, delivered by the daemon's and `tick`'s delivery step, retried with backoff."""

    enabled: bool = False
    max_attempts: int = 6
    timeout_seconds: float = 10.0
    # Project name (or "*") -> a table as GroupRobotSection reads it; checked at load.
    robots: dict = field(default_factory=dict)  # type: ignore[type-arg]

    def robot_tables(self, origin: str = "<config>") -> dict[str, GroupRobotSection]:
        return {
            str(name): GroupRobotSection(
                **build_dataclass(GroupRobotSection, raw, Path(origin), f"groups.robots.{name}.")
            )
            for name, raw in self.robots.items()
        }


@dataclass(frozen=True)
class Config:
    bot: BotSection
    database: DatabaseSection = field(default_factory=DatabaseSection)
    source: SourceSection = field(default_factory=SourceSection)
    delivery: DeliverySection = field(default_factory=DeliverySection)
    security: SecuritySection = field(default_factory=SecuritySection)
    calendar: CalendarSection = field(default_factory=CalendarSection)
    trust: TrustSection = field(default_factory=TrustSection)
    paths: PathsSection = field(default_factory=PathsSection)
    web: WebSection = field(default_factory=WebSection)
    archive: ArchiveSection = field(default_factory=ArchiveSection)
    groups: GroupsSection = field(default_factory=GroupsSection)
    # The folder relative paths are resolved against (the config file's folder).
    base_dir: Path = Path(".")
    origin: str = "<defaults>"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.bot.timezone)

    def resolve(self, path: str) -> Path:
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else (self.base_dir / candidate)

    @property
    def rules_dir(self) -> Path:
        return self.resolve(self.paths.rules) if self.paths.rules else PACKAGE_ROOT / "rules"

    @property
    def templates_dir(self) -> Path:
        return self.resolve(self.paths.templates) if self.paths.templates else PACKAGE_ROOT / "templates"

    @property
    def database_url(self) -> str:
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.resolve(url[len(prefix) :]))
        return url

    def secret(self, value: str, env_name: str) -> str:
        return os.environ.get(env_name, "") or value

    @property
    def token_key(self) -> bytes:
        key = self.secret(self.security.token_key, self.security.token_key_env)
        if not key:
            raise ConfigError(
                f"{self.origin}: security.token_key is empty and ${self.security.token_key_env} is not set"
            )
        return key.encode()


def load_config(path: Path) -> Config:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (create one with `mailbot init DIR`)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    values = build_dataclass(Config, raw, path, prefix="", skip={"base_dir", "origin"})
    config = Config(**values, base_dir=path.resolve().parent, origin=str(path))
    _check(config)
    return config


def _check(config: Config) -> None:
    origin = config.origin
    try:
        ZoneInfo(config.bot.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{origin}: bot.timezone: unknown time zone {config.bot.timezone!r}") from None
    if not is_language_tag(config.bot.language):
        raise ConfigError(f"{origin}: bot.language: {config.bot.language!r} is not a language code such as zh or en")
    if "@" not in config.bot.address:
        raise ConfigError(f"{origin}: bot.address: {config.bot.address!r} is not an email address")
    if config.source.kind == "imap" and config.source.imap is None:
        raise ConfigError(f"{origin}: source.imap: missing section [source.imap] for source.kind = 'imap'")
    if config.delivery.kind == "smtp" and config.delivery.smtp is None:
        raise ConfigError(f"{origin}: delivery.smtp: missing section [delivery.smtp] for delivery.kind = 'smtp'")
    if config.calendar.kind == "country" and not config.calendar.country:
        raise ConfigError(f"{origin}: calendar.country: required when calendar.kind = 'country'")
    _check_web(config)
    _check_groups(config)


def _check_web(config: Config) -> None:
    origin, web = config.origin, config.web
    if web.base_url and not web.base_url.startswith(("https://", "http://")):
        raise ConfigError(f"{origin}: web.base_url: {web.base_url!r} is not an http(s) URL")
    if web.enabled and not web.base_url:
        raise ConfigError(f"{origin}: web.base_url: required when web.enabled = true (the address links use)")
    if not 1 <= web.link_days <= 366:
        raise ConfigError(f"{origin}: web.link_days: {web.link_days} is not between 1 and 366")
    if not 0 < web.port < 65536:
        raise ConfigError(f"{origin}: web.port: {web.port} is not a TCP port")
    if web.bad_link_limit < 1 or web.bad_link_window_seconds < 1:
        raise ConfigError(f"{origin}: web.bad_link_limit and web.bad_link_window_seconds must be at least 1")


def _check_groups(config: Config) -> None:
    origin, groups = config.origin, config.groups
    if groups.max_attempts < 1 or groups.timeout_seconds <= 0:
        raise ConfigError(f"{origin}: groups.max_attempts must be at least 1 and groups.timeout_seconds above 0")
    for name, robot in groups.robot_tables(origin).items():
        unknown = sorted(set(robot.events) - set(GROUP_EVENTS))
        if unknown:
            raise ConfigError(f"{origin}: groups.robots.{name}.events: {unknown} not among {list(GROUP_EVENTS)}")
        if robot.webhook and not robot.webhook.startswith(("https://", "http://")):
            raise ConfigError(f"{origin}: groups.robots.{name}.webhook: {robot.webhook!r} is not an http(s) URL")
        if groups.enabled and not robot.webhook and not robot.webhook_env:
            raise ConfigError(f"{origin}: groups.robots.{name}: needs webhook or webhook_env")


def build_dataclass(cls: type, raw: Any, path: Path, prefix: str, skip: set[str] = frozenset()) -> dict[str, Any]:  # type: ignore[assignment]
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: {prefix.rstrip('.') or 'top level'}: expected a table")
    hints = get_type_hints(cls)
    known = {f.name: f for f in fields(cls) if f.name not in skip}
    for key in raw:
        if key not in known:
            raise ConfigError(f"{path}: {prefix}{key}: unknown key")
    values: dict[str, Any] = {}
    for name, spec in known.items():
        key = prefix + name
        if name not in raw:
            if spec.default is MISSING and spec.default_factory is MISSING:
                raise ConfigError(f"{path}: {key}: missing key")
            continue
        values[name] = _coerce(hints[name], raw[name], path, key)
    return values


def _coerce(hint: Any, value: Any, path: Path, key: str) -> Any:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
        return _coerce(options[0], value, path, key)
    if is_dataclass(hint):
        return hint(**build_dataclass(hint, value, path, key + "."))
    if origin is Literal:
        allowed = get_args(hint)
        if value not in allowed:
            choices = ", ".join(repr(a) for a in allowed)
            raise ConfigError(f"{path}: {key}: {value!r} is not one of {choices}")
        return value
    if origin is list:
        (item,) = get_args(hint)
        if not isinstance(value, list) or not all(isinstance(v, item) for v in value):
            raise ConfigError(f"{path}: {key}: expected a list of {item.__name__}")
        return list(value)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
        raise ConfigError(f"{path}: {key}: expected {hint.__name__}, got {type(value).__name__} {value!r}")
    return value


def default_config_text(bot_address: str = "minutes@corp.example") -> str:
    """The config `mailbot init` writes: the embedded default (SQLite, Maildir in and out)."""
    return f"""\
# Mailbot configuration. Every key is documented in config.example.toml.
[bot]
address = "{bot_address}"
name = "Mailbot"
admin = ""
language = "zh"              # default language of mails: a folder of the templates (zh, en)
timezone = "Asia/Shanghai"
allowed_senders = ["*@{bot_address.rpartition("@")[2]}"]  # who may send agendas/minutes (the bot's own domain); [] = anyone

[database]
url = "sqlite:///mailbot.db"

[source]
kind = "maildir"

[source.maildir]
path = "inbox"

[delivery]
kind = "maildir"

[delivery.maildir]
path = "sent"

[trust]
# A From: header proves nothing. Replies to the bot's mails prove themselves; any other mail
# that would change something is held and its sender asked to confirm by replying, unless your
# mail server vouches for it (its Authentication-Results authserv-id here) or its DKIM signature verifies.
authserv_id = ""
verify_dkim = true
unproven = "confirm"
recipient_domains = []       # where else the bot may write, besides its own domain and the directory's

[security]
# Set the key with the environment variable MAILBOT_TOKEN_KEY in production.
# It also signs the web links: a new key ends every link already mailed.
token_key = "{os.urandom(16).hex()}"

[web]
# Read-only pages (`mailbot web`): every mail can carry a signed link to the reader's page.
enabled = false
host = "127.0.0.1"           # listen here, behind a reverse proxy with TLS (deploy/web.md)
port = 8470
base_url = ""                # what browsers reach, e.g. "https://minutes.corp.example"; required when enabled
link_days = 30               # a link expires after this many days; `mailbot web revoke ADDR` ends one person's links

[archive]
# Official minutes filed into a folder a shared drive syncs (docs/archive-and-groups.md).
enabled = false
path = "archive"

[groups]
# Posts to a project's DingTalk, WeCom or Feishu group when minutes become official, an action is
# done or escalated. One table per project name, or "*" for any project:
#   [groups.robots."*"]
#   service = "dingtalk"        # dingtalk | wecom | feishu
#   webhook_env = "MAILBOT_GROUP_WEBHOOK"
#   secret_env = "MAILBOT_GROUP_SECRET"
enabled = false
"""
