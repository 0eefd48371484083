"""rules/policy.toml: the organisation's deadlines and limits, as validated frozen data."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import time as clock_time
from pathlib import Path

from mailbot.config import build_dataclass
from mailbot.errors import ConfigError
from mailbot.inert import EXECUTABLE_EXTENSIONS, SCRIPTED_EXTENSIONS


@dataclass(frozen=True)
class AgendaPolicy:
    notice_days: int = 3
    notice_working_days: int = 1


@dataclass(frozen=True)
class ConsentPolicy:
    working_days: int = 2
    away_extension_working_days: int = 3
    # The longest absence an out-of-office reply can stand for: "back on 2027-12-31" moves a
    # deadline at most this many working days past the day the reply was written.
    max_away_working_days: int = 10


@dataclass(frozen=True)
class AnswersPolicy:
    # Error and help answers to one address in an hour, whatever it wrote…
    error_answers_per_hour: int = 3
    # …and beyond that, only to words it has not sent within the hour (a person correcting a
    # draft again), up to this many. The same words again are a loop and get no answer.
    new_content_answers_per_hour: int = 20


@dataclass(frozen=True)
class LimitsPolicy:
    """The most work one mail may make: past these it is refused whole, with a clear answer."""

    actions_per_draft: int = 200
    # Distinct people a draft names (host, recorder, attendees, owners, requesters): each may get mail.
    people_per_draft: int = 100
    # Lines of the body read as an agenda or minutes draft.
    lines_per_draft: int = 3000
    # Title, place, project, and each action's owner, support, deliverable and due text.
    field_chars: int = 200
    # The safety net behind the others: mails one inbound mail may decide in all.
    mails_per_mail: int = 400

    def __post_init__(self) -> None:
        for name in ("actions_per_draft", "people_per_draft", "lines_per_draft", "field_chars", "mails_per_mail"):
            if getattr(self, name) < 1:
                raise ConfigError(f"limits.{name}: must be at least 1")


@dataclass(frozen=True)
class RemindersPolicy:
    before_due_working_days: int = 2
    on_due_day: bool = True
    overdue_every_working_days: int = 3
    late_window_days: int = 1


@dataclass(frozen=True)
class DelayPolicy:
    # False: an owner's delay stands at once and the host is told (delay_notice); True: it waits
    # for the host's "A-n 同意延期" (or a new date: "A-n 改期 …"), the due date unchanged meanwhile.
    needs_host_approval: bool = False


@dataclass(frozen=True)
class MinutesPolicy:
    first_after_hours: int = 24
    repeat_after_working_days: int = 2
    host_after_working_days: int = 3


REQUESTER_DEFAULTS = ("host", "none")


@dataclass(frozen=True)
class AcceptancePolicy:
    """验收: who verifies a done action when the minutes name no 需求方, and how they are chased."""

    default_requester: str = "host"
    remind_after_working_days: int = 2
    repeat_every_working_days: int = 3
    max_reminders: int = 3
    # Sent back (验收不通过) after its due date: working days the owner gets to rework it.
    rework_working_days: int = 3

    def __post_init__(self) -> None:
        if self.default_requester not in REQUESTER_DEFAULTS:
            raise ConfigError(
                f"acceptance.default_requester: {self.default_requester!r} is not one of {', '.join(REQUESTER_DEFAULTS)}"
            )
        if self.remind_after_working_days < 1 or self.repeat_every_working_days < 1:
            raise ConfigError("acceptance: remind_after_working_days and repeat_every_working_days must be at least 1")


# The extensions a deliverable may have when rules/policy.toml names none (see its [deliverables]).
DEFAULT_DELIVERABLE_EXTENSIONS = (
    "pdf", "ofd", "doc", "docx", "odt", "rtf", "wps", "txt", "md", "csv",
    "xls", "xlsx", "ods", "et", "ppt", "pptx", "odp", "dps",
    "png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff", "heic",
    "zip",
)  # fmt: skip
_EXTENSION = re.compile(r"[a-z0-9]{1,10}")


@dataclass(frozen=True)
class DeliverablesPolicy:
    """The files a done action may bring that the bot forwards to the requester (验收): the final
    extension must be one of these (any case). A program's extension can never be one of them,
    and programs, double extensions and disguised names are refused whatever this list says
    (mailbot/inert.py)."""

    allowed_extensions: list[str] = field(default_factory=lambda: list(DEFAULT_DELIVERABLE_EXTENSIONS))

    def __post_init__(self) -> None:
        normalised = [ext.strip().lstrip(".").lower() for ext in self.allowed_extensions]
        for ext in normalised:
            if not _EXTENSION.fullmatch(ext):
                raise ConfigError(f'deliverables.allowed_extensions: {ext!r} is not an extension like "pdf"')
            if ext in EXECUTABLE_EXTENSIONS or ext in SCRIPTED_EXTENSIONS:
                raise ConfigError(f"deliverables.allowed_extensions: {ext!r} runs code and cannot be allowed")
        object.__setattr__(self, "allowed_extensions", list(dict.fromkeys(normalised)))


@dataclass(frozen=True)
class EscalationPolicy:
    after_overdue_working_days: int = 5


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class DigestPolicy:
    """When the weekly status mail goes out: a weekday and a wall-clock time in the org's zone."""

    weekday: str = "monday"
    time: str = "09:00"

    def __post_init__(self) -> None:
        # Checked at load, like every other rule: a typo must stop the bot, not silence the digest.
        if self.weekday.lower() not in WEEKDAYS:
            raise ConfigError(f"digest.weekday: {self.weekday!r} is not one of {', '.join(WEEKDAYS)}")
        try:
            clock_time.fromisoformat(self.time)
        except ValueError:
            raise ConfigError(f'digest.time: {self.time!r} is not a time like "09:00"') from None

    @property
    def weekday_index(self) -> int:
        """Monday is 0, as `date.weekday()` counts."""
        return WEEKDAYS.index(self.weekday.lower())

    @property
    def at(self) -> clock_time:
        return clock_time.fromisoformat(self.time)


@dataclass(frozen=True)
class SendingPolicy:
    """When the mails the clock causes (reminders, escalations, the round's outcome, nudges, the
    weekly status) may leave: within `hours` (org time zone) of working days on the configured
    calendar. The jobs that chase people run within them only; the mails of a deadline passed
    outside them wait for the next opening (mailbot/jobs.py). Answers to a person's mail, and what
    a person's mail sets off, leave at once."""

    hours: str = "09:00-18:00"
    # False: every day of the week is a sending day (the hours still apply).
    working_days_only: bool = True

    def __post_init__(self) -> None:
        # Checked at load: a typo must stop the bot, not send at midnight.
        sending_window(self.hours)

    @property
    def opens(self) -> clock_time:
        return sending_window(self.hours)[0]

    @property
    def closes(self) -> clock_time | None:
        """None: at the end of the day ("24:00")."""
        return sending_window(self.hours)[1]


def sending_window(hours: str) -> tuple[clock_time, clock_time | None]:
    """ "09:00-18:00" -> (09:00, 18:00); "00:00-24:00" -> (00:00, None): the whole day."""
    start, sep, end = (part.strip() for part in hours.partition("-"))
    try:
        opens = clock_time.fromisoformat(start)
        closes = None if end == "24:00" else clock_time.fromisoformat(end)
    except ValueError:
        sep = ""
    if not sep or (closes is not None and closes <= opens):
        raise ConfigError(f'sending.hours: {hours!r} is not a span of the day like "09:00-18:00"')
    return opens, closes


@dataclass(frozen=True)
class Policy:
    agenda: AgendaPolicy = field(default_factory=AgendaPolicy)
    consent: ConsentPolicy = field(default_factory=ConsentPolicy)
    answers: AnswersPolicy = field(default_factory=AnswersPolicy)
    limits: LimitsPolicy = field(default_factory=LimitsPolicy)
    reminders: RemindersPolicy = field(default_factory=RemindersPolicy)
    escalation: EscalationPolicy = field(default_factory=EscalationPolicy)
    acceptance: AcceptancePolicy = field(default_factory=AcceptancePolicy)
    delay: DelayPolicy = field(default_factory=DelayPolicy)
    minutes: MinutesPolicy = field(default_factory=MinutesPolicy)
    digest: DigestPolicy = field(default_factory=DigestPolicy)
    sending: SendingPolicy = field(default_factory=SendingPolicy)
    deliverables: DeliverablesPolicy = field(default_factory=DeliverablesPolicy)


def load_policy(path: Path) -> Policy:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Policy()
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return Policy(**build_dataclass(Policy, raw, path, prefix=""))
