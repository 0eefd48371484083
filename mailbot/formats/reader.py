"""Read an agenda or a minutes draft into a ParsedMeeting: the one entry point of formats/.

Source choice: when the HTML body carries tables (Word, Outlook), the tables are read cell by
cell through `html_tables` and everything else through `html_to_text`; otherwise the plain
body is read (its tables may be pipe-, TAB- or one-cell-per-line-shaped). Nothing here raises
on bad input: whatever cannot be accepted comes back as a Problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, time
from typing import TYPE_CHECKING, Literal

from mailbot.formats.actions import (
    RawAction,
    actions_from_lines,
    actions_from_table,
    check_action,
)
from mailbot.formats.dates import plausible, read_date, read_meeting_when
from mailbot.formats.fields import FieldCollector, FieldValue
from mailbot.formats.invitation import with_invitation
from mailbot.formats.model import ParsedAction, ParsedMeeting, PersonRef, Problem, Topic
from mailbot.formats.people import DirectoryLookup, PersonText, Resolution, Resolver, invalid_address, parse_people
from mailbot.formats.sections import Section, split_sections
from mailbot.formats.tables import Table, TableSpec, find_text_tables, table_from_rows
from mailbot.formats.topics import (
    decisions_from_lines,
    decisions_in_discussion,
    topics_from_lines,
    topics_from_table,
)
from mailbot.formats.vocabulary import Vocabulary, default_vocabulary
from mailbot.workdays import WorkCalendar

if TYPE_CHECKING:
    from mailbot.htmltext import HtmlReading

__all__ = ["DirectoryLookup", "ReadContext", "detect_kind", "draft_kind", "read_meeting", "resolve_person"]

# Characters that only get in the way: zero-width spaces, BOMs; NBSP and the ideographic space
# are ordinary spaces for our purposes (Word pads cells with &nbsp;).
_SPACE_TRANSLATION = str.maketrans({"\u200b": "", "\ufeff": "", "\u200e": "", "\u200f": "", "\xa0": " ", "\r": ""})


@dataclass(frozen=True)
class ReadContext:
    calendar: WorkCalendar
    anchor: date  # fallback meeting date: the day the mail arrived (organisation time zone)
    header_people: Sequence[tuple[str, str]] = ()  # (display name, address) from From/To/Cc
    directory: DirectoryLookup | None = None
    vocabulary: Vocabulary | None = None  # None -> the default rules/vocabulary.toml (cached)
    # The meeting's day and times from an attached calendar invitation (formats.invitation), used
    # only where the body gives none.
    invitation: tuple[date, time | None, time | None] | None = None

    @property
    def vocab(self) -> Vocabulary:
        return self.vocabulary if self.vocabulary is not None else default_vocabulary()

    @property
    def resolver(self) -> Resolver:
        return Resolver(directory=self.directory, header_people=tuple(self.header_people))


def _specs(vocab: Vocabulary) -> tuple[TableSpec, ...]:
    return (
        TableSpec("actions", vocab.action_columns, "description"),
        TableSpec("topics", vocab.topic_columns, "name"),
    )


_ROLE_CODES: dict[str, dict[str, str]] = {
    # Owners are errors with owner-specific codes; everyone else is a warning.
    "owner": {"placeholder": "placeholder_person", "unresolved": "unresolved_owner", "ambiguous": "ambiguous_owner"},
    "other": {"placeholder": "placeholder_person", "unresolved": "unresolved_person", "ambiguous": "ambiguous_person"},
}


def _problem_for(result: Resolution, person: PersonText, line: str, role: str) -> Problem | None:
    if result.outcome == "ok":
        return None
    if result.outcome == "empty":
        return Problem("missing_owner", line, section="actions") if role == "owner" else None
    if result.outcome == "invalid":
        return invalid_address(role, result, line)
    codes = _ROLE_CODES["owner" if role == "owner" else "other"]
    detail = person.text if result.outcome != "ambiguous" else f"{person.text}: {', '.join(result.candidates)}"
    if role != "owner":
        detail = f"{role}: {detail}"
    return Problem(
        codes[result.outcome], line, detail=detail, section="people", severity="error" if role == "owner" else "warning"
    )


def resolve_person(text: str, ctx: ReadContext) -> tuple[PersonRef | None, Problem | None]:
    """One person (`市场部 张伟`, `张伟 <a@x>`, `zhang.wei@corp.example`, `Zhang Wei`) to an address.

    Problems use the owner codes (`missing_owner`, `placeholder_person`, `unresolved_owner`,
    `ambiguous_owner`) and quote `text`; when `text` names several people, the first counts.
    """
    people = parse_people(text)
    if not people:
        return None, Problem("missing_owner", text.strip(), section="actions")
    result = ctx.resolver.resolve(people[0])
    return result.person, _problem_for(result, people[0], text.strip(), "owner")


@dataclass
class _Source:
    lines: list[str]
    html_tables: list[list[list[str]]] = field(default_factory=list)


def _source(text: str, html: str, html_reading: HtmlReading | None) -> _Source:
    tables: list[list[list[str]]] = []
    if html and html.strip():
        if html_reading is None:
            # Imported here so that reading a plain-text body never loads the HTML machinery.
            from mailbot.htmltext import read_html

            html_reading = read_html(html)
        tables = html_reading.table_lists()
        if tables or not text.strip():
            return _Source(html_reading.text.translate(_SPACE_TRANSLATION).split("\n"), tables)
    return _Source(text.translate(_SPACE_TRANSLATION).split("\n"))


@dataclass
class _Reading:
    """Everything collected from the body before people and dates are checked."""

    fields: FieldCollector
    raw_actions: list[RawAction] = field(default_factory=list)
    topics: list[Topic] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    action_heading: str = ""
    has_agenda: bool = False
    has_decisions: bool = False
    has_actions: bool = False
    actions_none: bool = False


def _read_html_tables(source: _Source, reading: _Reading, vocab: Vocabulary) -> set[str]:
    """Action/topic tables and the basic-info table from the HTML; returns the kinds found."""
    kinds: set[str] = set()
    for rows in source.html_tables:
        table = table_from_rows(rows, _specs(vocab))
        if table is None:
            reading.fields.add_rows(rows)
        else:
            _take_table(table, reading)
            kinds.add(table.kind)
    return kinds


def _take_table(table: Table, reading: _Reading) -> None:
    if table.kind == "actions":
        reading.has_actions = True
        reading.raw_actions.extend(actions_from_table(table))
    else:
        reading.has_agenda = True
        reading.topics.extend(topics_from_table(table))


# Fields that may follow the action list (`确认截止：9月6日`); other labels there belong to items.
_ITEM_SECTION_FIELDS = frozenset({"confirm_by"})


def _read_section(section: Section, reading: _Reading, vocab: Vocabulary, html_kinds: set[str]) -> None:
    lines = section.lines
    tables = find_text_tables(lines, _specs(vocab), flat=section.kind in ("actions", "agenda", "info", "preamble"))
    in_tables: set[int] = set()
    for table in tables:
        in_tables |= table.lines
        if table.kind not in html_kinds:  # the HTML already gave this table cell by cell
            _take_table(table, reading)
    inside_items = section.kind in ("actions", "decisions")
    field_lines = reading.fields.add_lines(
        lines, skip=in_tables, pending_ok=not inside_items, only=_ITEM_SECTION_FIELDS if inside_items else None
    )
    rest = [line for i, line in enumerate(lines) if i not in in_tables and i not in field_lines]
    if section.kind == "agenda":
        reading.has_agenda = True
        reading.topics.extend(topics_from_lines(rest, vocab))
        reading.decisions.extend(decisions_in_discussion(rest, vocab))
    elif section.kind == "decisions":
        reading.has_decisions = True
        reading.decisions.extend(decisions_from_lines(rest, vocab))
    elif section.kind == "actions":
        reading.has_actions = True
        reading.action_heading = reading.action_heading or section.heading
        if vocab.is_none_marker(section.inline):
            reading.actions_none = True
        found = actions_from_lines(rest, vocab, labelled_only=any(t.kind == "actions" for t in tables))
        reading.raw_actions.extend(found.actions)
        reading.actions_none = reading.actions_none or found.explicitly_none


def _meeting_when(
    fields: dict[str, FieldValue], ctx: ReadContext
) -> tuple[date | None, time | None, time | None, list[Problem]]:
    problems: list[Problem] = []
    day: date | None = None
    start: time | None = None
    end: time | None = None
    date_field = fields.get("date")
    if date_field is not None:
        day, start, end = read_meeting_when(date_field.value, ctx.anchor)
        if day is not None and not plausible(day, ctx.anchor):
            problems.append(
                Problem("unreadable_date", date_field.line, detail=f"out_of_range: {date_field.value}", section="dates")
            )
            day = None
        elif day is None:
            problems.append(
                Problem(
                    "unreadable_date",
                    date_field.line,
                    detail=f"date: {date_field.value}",
                    section="dates",
                    severity="warning",
                )
            )
    time_field = fields.get("time")
    if time_field is not None:
        t_day, t_start, t_end = read_meeting_when(time_field.value, day or ctx.anchor)
        day = day or t_day
        start, end = t_start or start, t_end or end
    return day, start, end, problems


def _person_field(value: FieldValue | None, ctx: ReadContext, role: str) -> tuple[PersonRef | None, list[Problem]]:
    if value is None:
        return None, []
    people = parse_people(value.value)
    if not people:
        return None, []
    result = ctx.resolver.resolve(people[0])
    problem = _problem_for(result, people[0], value.line, role)
    return result.person, [problem] if problem else []


def _with_written_people(
    ctx: ReadContext, fields: dict[str, FieldValue], raw_actions: Sequence[RawAction]
) -> ReadContext:
    """`ctx`, where a bare name also resolves to the address the draft gives that name in another
    line: `法务部 钱进 <qian.jin@…>` as an owner makes `钱进` among the attendees him, as the
    mail's own To/Cc would (the recorder wrote the address once, not in every line)."""
    texts = [fields[key].value for key in ("host", "recorder", "attendees") if key in fields]
    texts += [raw.fields.get(key, "") for raw in raw_actions for key in ("owner", "requester")]
    written = {
        (person.name, person.address)
        for text in texts
        if "@" in text
        for person in parse_people(text)
        if person.name and person.address
    }
    if not written:
        return ctx
    return replace(ctx, header_people=(*ctx.header_people, *sorted(written)))


def _attendees(value: FieldValue | None, ctx: ReadContext) -> tuple[tuple[PersonRef, ...], list[Problem]]:
    if value is None:
        return (), []
    refs: dict[str, PersonRef] = {}
    problems: list[Problem] = []
    for person in parse_people(value.value):
        result = ctx.resolver.resolve(person)
        if result.person is not None:
            refs.setdefault(result.person.address, result.person)
        problem = _problem_for(result, person, value.line, "attendee")
        if problem:
            problems.append(problem)
    return tuple(refs.values()), problems


def _confirm_sentence(lines: Sequence[str], vocab: Vocabulary) -> FieldValue | None:
    """`请各部门于9月6日前反馈确认意见，逾期视为默认` stands in for a missing 确认截止 field."""
    for line in lines:
        if vocab.has_confirm_phrase(line):
            return FieldValue("confirm_by", line.strip(), line.strip())
    return None


def read_meeting(
    text: str, html: str = "", *, ctx: ReadContext, html_reading: HtmlReading | None = None
) -> ParsedMeeting:
    """Read a plain body (and its HTML alternative, if any) into a ParsedMeeting.

    `ctx` is keyword-only. Problems name the line they came from and the docs section.
    `html_reading`: `html` already read (InboundMail.html_reading), so that it is not read again.
    """
    vocab = ctx.vocab
    source = _source(text, html, html_reading)
    reading = _Reading(fields=FieldCollector(vocab))
    html_kinds = _read_html_tables(source, reading, vocab)
    for section in split_sections(source.lines, vocab):
        _read_section(section, reading, vocab, html_kinds)

    fields = reading.fields.values
    problems: list[Problem] = []
    for value in fields.values():
        if value.is_template:
            problems.append(
                Problem("placeholder_field", value.line, detail=value.key, section="fields", severity="warning")
            )
    fields = {k: v for k, v in fields.items() if not v.is_template}

    ctx = _with_written_people(ctx, fields, reading.raw_actions)
    day, start, end, when_problems = _meeting_when(fields, ctx)
    day, start, end = with_invitation(day, start, end, ctx.invitation)
    problems.extend(when_problems)
    if day is None:
        problems.append(Problem("missing_field", "", detail="date", section="fields", severity="warning"))
    meeting_date = day or ctx.anchor

    host, host_problems = _person_field(fields.get("host"), ctx, "host")
    recorder, recorder_problems = _person_field(fields.get("recorder"), ctx, "recorder")
    attendees, attendee_problems = _attendees(fields.get("attendees"), ctx)
    problems.extend(host_problems + recorder_problems + attendee_problems)

    confirm_by: date | None = None
    provisional = False
    confirm = fields.get("confirm_by") or _confirm_sentence(source.lines, vocab)
    if confirm is not None:
        reading_ = read_date(confirm.value, meeting_date, ctx.calendar)
        if reading_.value is None:
            problems.append(
                Problem(
                    "unreadable_date",
                    confirm.line,
                    detail=f"{reading_.error or 'unreadable'}: {confirm.value}",
                    section="dates",
                    severity="warning",
                )
            )
        elif reading_.value < meeting_date:
            problems.append(
                Problem(
                    "past_due",
                    confirm.line,
                    detail=f"{reading_.value.isoformat()}: {confirm.value}",
                    section="dates",
                    severity="warning",
                )
            )
        else:
            confirm_by, provisional = reading_.value, reading_.provisional

    actions: list[ParsedAction] = []
    resolver = ctx.resolver
    for raw in reading.raw_actions:
        checked = check_action(raw, meeting_date=meeting_date, calendar=ctx.calendar, resolve=resolver.resolve)
        actions.append(checked.action)
        problems.extend(checked.problems)
        provisional = provisional or checked.action.due_provisional
    if reading.has_actions and not actions and not reading.actions_none:
        problems.append(Problem("no_actions", reading.action_heading, section="actions"))

    def text_of(key: str) -> str | None:
        value = fields.get(key)
        return value.value if value is not None else None

    return ParsedMeeting(
        title=text_of("title"),
        project=text_of("project"),
        date=meeting_date,
        start_time=start,
        end_time=end,
        place=text_of("place"),
        host=host,
        recorder=recorder,
        attendees=attendees,
        attendees_text=text_of("attendees") or "",
        absent_text=text_of("absent") or "",
        goal=text_of("goal"),
        confirm_by=confirm_by,
        topics=tuple(reading.topics),
        decisions=tuple(dict.fromkeys(reading.decisions)),
        actions=tuple(actions),
        has_agenda_section=reading.has_agenda,
        has_decision_section=reading.has_decisions,
        has_action_section=reading.has_actions,
        actions_explicitly_none=reading.actions_none and not actions,
        provisional_calendar=provisional,
        problems=tuple(problems),
    )


def detect_kind(parsed: ParsedMeeting) -> Literal["agenda", "minutes"] | None:
    """The kind by content, for a mail whose subject carries no tag."""
    if parsed.has_action_section or parsed.has_decision_section or parsed.actions:
        return "minutes"
    if parsed.has_agenda_section:
        return "agenda"
    return None


def draft_kind(parsed: ParsedMeeting) -> Literal["agenda", "minutes"] | None:
    """The kind when a body reads as a complete draft by itself: the test for a mail that arrived
    any other way than as a fresh draft (a reply in some thread, a forward, an attached message),
    where neither the subject nor the thread may decide.

    Minutes: a title and an action section (an action table, or a heading, even `行动项：无`).
    Agenda: a title, a meeting date written in the draft (not the arrival day filled in), and an
    agenda section, with neither an action nor a decision section (decisions make it minutes,
    as in `detect_kind`). Stricter than `detect_kind` on purpose: a reply saying "收到，议程见下"
    or quoting a heading is no draft, while a draft with mistakes in its actions is still one,
    and its sender is told what to fix. None is no verdict: a new mail still goes by
    `detect_kind` (and is answered with what its draft lacks)."""
    if not parsed.title:
        return None
    if parsed.has_action_section:
        return "minutes"
    if parsed.has_decision_section or not parsed.has_agenda_section:
        return None
    dated = not any(p.code == "missing_field" and p.detail == "date" for p in parsed.problems)
    return "agenda" if dated else None
