"""The minutes archive (过程留痕, "同步归档至共享文档库"): when minutes become official they are filed
into a folder tree a shared drive syncs —

    <[archive] path>/<project, or 跨部门协作>/<year>/<YYYY-MM-DD> <title> (M-n)/
        <title> 会议纪要.docx          the official minutes, laid out like the seed's 纪要 template
        <title> 会议纪要 v1.docx       an earlier official version, kept when a later one is filed
        行动项跟踪表.xlsx              the tracking table (mailbot.exports.to_xlsx)
        交付物/A-3/<file>              what owners sent with 完成 (Deliverable rows)
        审计记录.csv                   the audit history (events), UTF-8 for Excel

(English words for an English meeting, whose folder without a project is "Cross-department".)
The folder is built in a temporary folder beside it and renamed into place: a sync client never
sees half a folder. Files somebody added by hand on the shared drive are carried over into the new
folder.

Filing happens after the transaction that made the minutes official commits (`file_after_commit`),
reading back what was committed; a failure is logged and recorded as an `archive.failed` event, and
never touches the mail. The folder then follows the meeting: the periodic job `refresh` (each
minute, mailbot/jobs.py) files again every official meeting whose record moved on since its last
`archive.filed` event (later deliverables and states, the history). `mailbot archive` files every
official meeting again from the database.

python-docx and XlsxWriter load only when a file is built.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import shutil
import tempfile
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from mailbot.app import App
    from mailbot.languages import Languages
    from mailbot.lifecycle import StatusWords
    from mailbot.notify import Notifier
    from mailbot.store.models import Meeting

log = logging.getLogger(__name__)

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# What the archive folder of a meeting is called after its date and title; how it is found again.
# The folder of the meetings without a project, in the meeting's language.
NO_PROJECT = "跨部门协作"
NO_PROJECT_EN = "Cross-department"
MANIFEST = ".mailbot-archive.json"
# A title in a folder or file name: at most this many characters, then this many bytes (UTF-8:
# a Chinese character is three; most file systems and sync clients stop at 255 bytes a name).
TITLE_CHARS = 60
NAME_BYTES = 180
# The Word file's page: A4 (python-docx starts from US Letter), with Word's "moderate" margins
# (top and bottom 25.4 mm, left and right 19.1 mm), which leave the eight columns of the tracking
# table 172 mm.
PAGE_MM = (210, 297)
MARGINS = (25.4, 19.1)

# The words the Word file adds to those of words.toml (tracking columns, consent) and of
# rules/statuses.toml (status words): the seed's headings and labels, as the mails word them.
WORDS: Mapping[str, Mapping[str, str]] = {
    "zh": {
        "title": "{title} 会议纪要", "official": "正式版", "version": "第 {n} 版",
        "info": "一、会议基本信息", "topics": "二、议题与讨论要点", "decisions": "三、决议事项",
        "actions": "四、行动项跟踪表",
        "item": "项目", "content": "内容", "meeting": "会议名称", "project": "所属项目", "when": "会议时间",
        "place": "会议地点", "host": "主持人", "recorder": "记录人", "attendees": "参会部门及人员",
        "absent": "缺席人员及原因", "goal": "会议目标",
        "topic_number": "议题编号", "topic_name": "议题名称", "discussion": "讨论要点", "topic_owner": "负责人",
        "planned": "预计时长", "actual": "实际时长", "minutes": "{n} 分钟",
        "decision_number": "序号", "decision": "决议内容", "none": "（无）", "no_topics": "（纪要未列出议题）",
        "delayed": "原定 {old}，延期至 {new}", "reason": "原因：{reason}", "awaiting": "待 {who} 验收",
        "verifier": "验收人 {who}", "delay_consent": "负责人回复延期，按新时限执行",
        "footer": "本纪要经各行动项负责人确认后成为正式版（{when}），由 {bot} 依据邮件记录生成；确认与变更记录见审计记录。",
        "file": "{title} 会议纪要", "deliverables": "交付物", "history": "审计记录.csv",
        "history_columns": "时间,事件,操作人,行动项,来信编号,详情", "detail_sep": "；",
        "no_project": NO_PROJECT,
    },
    "en": {
        "title": "Minutes: {title}", "official": "Official version", "version": "version {n}",
        "info": "1. Meeting information", "topics": "2. Topics and discussion", "decisions": "3. Decisions",
        "actions": "4. Action tracking",
        "item": "Item", "content": "Details", "meeting": "Meeting", "project": "Project", "when": "When",
        "place": "Where", "host": "Host", "recorder": "Recorder", "attendees": "Attendees",
        "absent": "Absent (and why)", "goal": "Goal",
        "topic_number": "No.", "topic_name": "Topic", "discussion": "Discussion", "topic_owner": "Owner",
        "planned": "Planned", "actual": "Actual", "minutes": "{n} min",
        "decision_number": "No.", "decision": "Decision", "none": "(none)", "no_topics": "(no topics in the minutes)",
        "delayed": "from {old} to {new}", "reason": "Reason: {reason}", "awaiting": "awaiting verification by {who}",
        "verifier": "Verifier {who}", "delay_consent": "the owner answered with a new date",
        "footer": "These minutes became official once every action was settled ({when}); written by {bot} "
        "from the mail record. Confirmations and changes: see the audit history.",
        "file": "{title} minutes", "deliverables": "deliverables", "history": "history.csv",
        "history_columns": "time,event,actor,action,mail,detail", "detail_sep": "; ",
        "no_project": NO_PROJECT_EN,
    },
}  # fmt: skip


def words_for(language: str | None) -> Mapping[str, str]:
    return WORDS.get((language or "zh").split("-")[0], WORDS["en"])


# Names -------------------------------------------------------------------------------------------

# Separators and what Windows (and so SharePoint/OneDrive) refuses in a name.
_UNSAFE = re.compile(r'[/\\:*?"<>|]')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}


def safe_name(text: str | None, *, chars: int = TITLE_CHARS, fallback: str = "_") -> str:
    """`text` as one path component: no separators, no "..", no control or invisible characters,
    nothing Windows refuses, no leading or trailing dots and spaces, at most `chars` characters and
    NAME_BYTES bytes. Never empty, never "." or "..", never a reserved device name."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)
    text = _UNSAFE.sub(" ", text)
    text = re.sub(r"\.{2,}", ".", text)
    text = " ".join(text.split()).strip(" .")
    text = _clip(text[:chars], NAME_BYTES).strip(" .")
    if not text:
        return fallback
    if text.split(".")[0].upper() in _WINDOWS_RESERVED:
        text = "_" + text
    return text


def _clip(text: str, max_bytes: int) -> str:
    while len(text.encode("utf-8")) > max_bytes:
        text = text[:-1]
    return text


def folder_for(root: Path, meeting: Mapping[str, Any]) -> Path:
    """`<root>/<project, or 跨部门协作 / Cross-department>/<year>/<YYYY-MM-DD> <title> (M-n)` for a
    meeting view: a meeting without a project is filed under the words of its language."""
    day = _day(meeting["date"])
    none = words_for(meeting.get("language"))["no_project"]
    project = safe_name(meeting.get("project"), fallback=none) if meeting.get("project") else none
    name = f"{day.isoformat()} {safe_name(meeting.get('title'))} ({meeting['ref']})"
    folder = root / project / str(day.year) / name
    if not folder.resolve().is_relative_to(root.resolve()):  # never, by safe_name: but never is checked
        raise ValueError(f"archive folder {folder} is outside {root}")
    return folder


def minutes_filename(meeting: Mapping[str, Any], version: int | None = None) -> str:
    words = words_for(meeting.get("language"))
    base = words["file"].format(title=safe_name(meeting.get("title")))
    return f"{base} v{version}.docx" if version is not None else f"{base}.docx"


# The official minutes as a Word document ---------------------------------------------------------


def minutes_docx(
    meeting: Mapping[str, Any],
    actions: Sequence[Mapping[str, Any]],
    *,
    version: int | None,
    when: datetime | str | None,
    bot: str = "Mailbot",
    languages: Languages | None = None,
    words: StatusWords | None = None,
    tz: tzinfo | str | None = None,
) -> bytes:
    """The official minutes (正式版会议纪要) as the seed's 纪要核心内容模板 lays them out: a title,
    一、会议基本信息 (a 项目/内容 table), 二、议题与讨论要点 (a table), 三、决议事项, 四、行动项跟踪表 (a table with
    each action's state and consent). `meeting` and `actions` are the views of the final minutes
    mail (confirmation.official_actions), live or read back from JSON (dates as ISO text). `when`
    (the moment the minutes became official, stored in UTC) is written in `tz`, the bot's time
    zone (a zone or its name; without one, in UTC and saying so). A4, as Chinese offices print.
    The same arguments give the same bytes."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    from mailbot.exports import status_text
    from mailbot.languages import shipped_languages

    languages = languages or shipped_languages()
    language = languages.pick(meeting.get("language"))
    w, lw = words_for(language), languages.of(language)
    names: Mapping[str, str] = meeting.get("names") or {}

    def who(address: str | None) -> str:
        if not address:
            return ""
        return f"{names[address]} <{address}>" if names.get(address) else address

    document = Document()
    for section in document.sections:  # python-docx's blank document is US Letter
        section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
        section.top_margin = section.bottom_margin = Mm(MARGINS[0])
        section.left_margin = section.right_margin = Mm(MARGINS[1])
    normal = document.styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    stamp = _moment(when)
    properties = document.core_properties
    properties.title = w["title"].format(title=meeting.get("title") or "")
    properties.author, properties.last_modified_by, properties.revision = bot, bot, int(version or 1)
    utc = stamp.astimezone(UTC) if stamp and stamp.tzinfo else stamp  # core properties are UTC
    properties.created = properties.modified = utc.replace(tzinfo=None) if utc else datetime(2000, 1, 1)
    properties.identifier = str(meeting.get("ref") or "")

    document.add_heading(w["title"].format(title=meeting.get("title") or ""), level=0)
    edition = w["official"] + (f" · {w['version'].format(n=version)}" if version else "")
    subtitle = document.add_paragraph(f"{meeting.get('ref')} · {edition}")
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        grid = document.add_table(rows=1, cols=len(header))
        grid.style = "Table Grid"
        for cell, text in zip(grid.rows[0].cells, header, strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(text).bold = True
        for row in rows:
            cells = grid.add_row().cells
            for cell, text in zip(cells, row, strict=True):
                cell.text = _xml_safe(text)

    # 一、会议基本信息
    document.add_heading(w["info"], level=1)
    hours = "-".join(t for t in (meeting.get("start_time"), meeting.get("end_time")) if t)
    attendees = meeting.get("attendees_text") or "、".join(who(a) for a in meeting.get("attendees") or [])
    info = [
        (w["meeting"], f"{meeting.get('title') or ''}（{meeting.get('ref')}）" if language == "zh"
         else f"{meeting.get('title') or ''} ({meeting.get('ref')})"),
        *([(w["project"], meeting["project"])] if meeting.get("project") else []),
        (w["when"], " ".join(t for t in (lw.day(meeting.get("date")), hours) if t)),
        (w["place"], meeting.get("place") or "—"),
        (w["host"], who(meeting.get("host")) or "—"),
        (w["recorder"], who(meeting.get("recorder")) or "—"),
        (w["attendees"], attendees or "—"),
        (w["absent"], meeting.get("absent_text") or "—"),
        (w["goal"], meeting.get("goal") or "—"),
    ]  # fmt: skip
    table((w["item"], w["content"]), info)

    # 二、议题与讨论要点
    document.add_heading(w["topics"], level=1)
    topics = meeting.get("topics") or []
    if topics:
        minutes = w["minutes"]
        table(
            (w["topic_number"], w["topic_name"], w["discussion"], w["topic_owner"], w["planned"], w["actual"]),
            [
                (str(t.get("number") or n), t.get("name") or "", t.get("discussion") or "", t.get("owner") or "",
                 minutes.format(n=t["planned"]) if t.get("planned") else "",
                 minutes.format(n=t["actual"]) if t.get("actual") else "")
                for n, t in enumerate(topics, start=1)
            ],
        )  # fmt: skip
    else:
        document.add_paragraph(w["no_topics"])

    # 三、决议事项
    document.add_heading(w["decisions"], level=1)
    decisions = meeting.get("decisions") or []
    if decisions:
        table((w["decision_number"], w["decision"]), [(str(n), d) for n, d in enumerate(decisions, start=1)])
    else:
        document.add_paragraph(w["none"])

    # 四、行动项跟踪表: the tracking table's own words (words.toml) for the columns and the consent.
    document.add_heading(w["actions"], level=1)
    columns = lw.columns
    rows = []
    for a in actions:
        owner = " ".join(t for t in (a.get("department"), a.get("owner_name")) if t)
        state = [status_text(dict(a), language, words, languages)]
        status = a.get("status")
        if status == "delayed":
            if a.get("original_due"):
                state.append(w["delayed"].format(old=lw.day(a["original_due"]), new=lw.day(a.get("due"))))
            if a.get("delay_reason"):
                state.append(w["reason"].format(reason=a["delay_reason"]))
        elif status == "done":
            if a.get("done_on"):
                state.append(lw.day(a["done_on"]))
            if a.get("requester"):
                state.append(w["awaiting"].format(who=who(a["requester"])))
        elif status == "verified":
            if a.get("verified_on"):
                state.append(lw.day(a["verified_on"]))
            if a.get("verified_by") or a.get("requester"):
                state.append(w["verifier"].format(who=who(a.get("verified_by") or a.get("requester"))))
        elif a.get("requester") and a.get("requester") != a.get("owner"):
            state.append(w["verifier"].format(who=who(a["requester"])))
        consent = lw.consent.get(a.get("consent") or "") or (w["delay_consent"] if status == "delayed" else "—")
        rows.append((
            a.get("ref") or "", a.get("description") or "", "\n".join(t for t in (owner, a.get("owner") or "") if t),
            a.get("support") or "", lw.day(a.get("due")), a.get("deliverable") or "", "\n".join(state), consent,
        ))  # fmt: skip
    table(
        tuple(
            columns[k] for k in ("ref", "description", "owner", "support", "due", "deliverable", "status", "consent")
        ),
        rows,
    )
    confirmed = _local_minute(stamp, tz)
    document.add_paragraph(w["footer"].format(when=confirmed, bot=bot))
    buffer = io.BytesIO()
    document.save(buffer)
    return _steady_zip(buffer.getvalue())


def minutes_docx_built(args: Mapping[str, Any]) -> bytes:
    """The .docx from a stored recipe's arguments (mailbot.outbox.DeferredFile, build
    "minutes_docx", see `minutes_recipe`): {"meeting", "actions", "version", "now", "bot", "tz"}
    as the final minutes decided them, live or read back from the outbox row. (A recipe stored
    before "tz" was one writes the time in UTC, saying so.)"""
    return minutes_docx(
        args["meeting"], args["actions"], version=args.get("version"), when=args.get("now"),
        bot=args.get("bot") or "Mailbot", tz=args.get("tz"),
    )  # fmt: skip


def zone_name(tz: tzinfo) -> str:
    """The bot's time zone as a recipe stores it (JSON): its IANA name."""
    return str(getattr(tz, "key", None) or tz)


def _local_minute(stamp: datetime | None, tz: tzinfo | str | None) -> str:
    """The moment to the minute in the bot's time zone: "2026-12-07 11:00"."""
    if stamp is None:
        return "—"
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)  # stored instants are UTC
    if isinstance(tz, str) and tz:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            tz = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            tz = None
    if not isinstance(tz, tzinfo):
        return stamp.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return stamp.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _steady_zip(data: bytes) -> bytes:
    """The same package with every member stamped 1980-01-01: python-docx stamps the wall clock,
    so the same minutes would otherwise make different bytes each time."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, source.read(item.filename))
    return out.getvalue()


_XML_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")


def _xml_safe(text: Any) -> str:
    return _XML_ILLEGAL.sub("", str(text if text is not None else ""))


def _day(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _moment(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


# What goes into the folder -----------------------------------------------------------------------


@dataclass
class Filing:
    """Everything one meeting's folder holds, built before anything is written."""

    meeting: dict[str, Any]
    version: int | None
    docx: bytes
    xlsx: bytes
    xlsx_name: str
    history: bytes
    deliverables: list[tuple[str, str, bytes]]  # (action ref, file name, bytes)
    # What of the meeting's record the filing was built from (`record_marks`): the refresh job
    # (`refresh`) files the meeting again when the record has moved on since.
    mark: dict[str, int] | None = None


def official_view(
    app: App, session: Session, meeting: Meeting
) -> tuple[dict[str, Any], list[dict[str, Any]], int | None]:
    """The meeting view, the actions as the final minutes show them, and the version in force."""
    from sqlalchemy import select

    from mailbot.confirmation import official_actions
    from mailbot.lifecycle import LIVE
    from mailbot.meetings import meeting_view
    from mailbot.notify import Notifier
    from mailbot.store.models import MinutesVersion

    version = session.scalar(
        select(MinutesVersion.number)
        .where(MinutesVersion.meeting_id == meeting.id, MinutesVersion.status == "active")
        .order_by(MinutesVersion.number.desc())
        .limit(1)
    )
    notifier = Notifier(app=app, session=session, now=meeting.confirmed_at or app.now())
    actions = official_actions(notifier, [a for a in meeting.actions if a.status in LIVE])
    return meeting_view(meeting), actions, version


# The archive's own events: not part of what a filing shows, so not part of its mark.
ARCHIVE_EVENTS = ("archive.filed", "archive.failed")


def record_marks(session: Session, meeting_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Per meeting, where its record stands: how many events it has and the last one's id (the
    archive's own events left out). Both, not the id alone: on PostgreSQL an event can commit
    after one with a higher id was read, and the count still moves then. One query for them all."""
    from sqlalchemy import func, select

    from mailbot.store.models import Event

    if not meeting_ids:
        return {}
    marks: dict[int, dict[str, int]] = {}
    wanted = sorted(set(meeting_ids))
    for start in range(0, len(wanted), 500):
        for meeting_id, count, last in session.execute(
            select(Event.meeting_id, func.count(Event.id), func.max(Event.id))
            .where(Event.meeting_id.in_(wanted[start : start + 500]), Event.what.not_in(ARCHIVE_EVENTS))
            .group_by(Event.meeting_id)
        ):
            marks[meeting_id] = {"events": int(count), "last_event": int(last)}
    return marks


def gather(app: App, session: Session, meeting: Meeting) -> Filing:
    from sqlalchemy import false, or_, select

    from mailbot.exports import to_xlsx
    from mailbot.lifecycle import LIVE
    from mailbot.queries import action_rows
    from mailbot.store.models import ActionItem, Deliverable, Event

    mark = record_marks(session, [meeting.id]).get(meeting.id, {"events": 0, "last_event": 0})
    view, actions, version = official_view(app, session, meeting)
    language = app.languages.pick(meeting.language)
    tz = app.config.tz
    docx = minutes_docx(
        view, actions, version=version, when=meeting.confirmed_at, bot=app.config.bot.name,
        languages=app.languages, words=app.rules.statuses, tz=tz,
    )  # fmt: skip
    rows = [r for r in action_rows(session, meeting_id=meeting.id) if r["status"] in LIVE]
    xlsx = to_xlsx(rows, language, app.today(), app.rules.statuses, app.languages, calendar=app.calendar, tz=tz)
    ids = [a.id for a in meeting.actions]
    refs = {a.id: a.ref for a in meeting.actions}
    deliverables = [
        (refs[d.action_id], d.filename, d.payload)
        for d in session.scalars(
            select(Deliverable).join(ActionItem).where(ActionItem.meeting_id == meeting.id).order_by(Deliverable.id)
        )
    ]
    events = list(
        session.scalars(
            select(Event)
            .where(or_(Event.meeting_id == meeting.id, Event.action_id.in_(ids) if ids else false()))
            .order_by(Event.at, Event.id)
        )
    )
    # People by the names the minutes give them, else the directory's (as the meeting's page).
    from mailbot.web.pages import HISTORY_EVENTS, people_in
    from mailbot.workflow.digest import directory_names

    events = [e for e in events if e.what in HISTORY_EVENTS]
    names = {address.lower(): name for address, name in (meeting.names or {}).items() if name}
    names = {**directory_names(session, {a.lower() for e in events for a in people_in(e)} - set(names)), **names}
    return Filing(
        meeting=view, version=version, docx=docx, xlsx=xlsx, xlsx_name=app.languages.of(language).tracking_file,
        history=history_csv(app, events, refs, names, language), deliverables=deliverables, mark=mark,
    )  # fmt: skip


def history_csv(
    app: App, events: Sequence[Any], refs: Mapping[int, str], names: Mapping[str, str], language: str
) -> bytes:
    """审计记录.csv (UTF-8 with a BOM, which Excel needs to read it as UTF-8): the events the
    meeting's page shows, worded as the page words them — the event in words, the person by name
    (`names`: lower-cased address -> name), the details as "字段：值" — in the bot's time zone.
    The bot's own bookkeeping (group posts, filing, delivery) is not there, nor its keys and
    folders (`mailbot show` keeps them)."""
    from mailbot.web.pages import HISTORY_EVENTS, event_details, today_of
    from mailbot.web.server import PageWords, pages_folder

    t = PageWords.load(pages_folder(app) / "words", app.languages.fallback).of(language)
    now = today_of(app, language)
    w = words_for(language)
    tz = app.config.tz
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(w["history_columns"].split(","))
    for event in events:
        if event.what not in HISTORY_EVENTS:
            continue
        actor = event.actor or ""
        if "@" in actor:
            name = names.get(actor.lower())
            actor = f"{name} <{actor}>" if name else actor
        elif actor:
            actor = t("bot")
        details = event_details(event.what, event.detail or {}, now, names)
        writer.writerow([
            event.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"), t(f"event.{event.what}", default=event.what),
            actor, refs.get(event.action_id, "") if event.action_id else "", event.inbound_mail_id or "",
            w["detail_sep"].join(d.text(t) for d in details),
        ])  # fmt: skip
    return buffer.getvalue().encode("utf-8-sig")


# Writing the folder -------------------------------------------------------------------------------


def existing_folder(root: Path, ref: str) -> Path | None:
    """The meeting's folder filed before, wherever its project, year, date or title put it."""
    if not root.is_dir():
        return None
    found = sorted(p for p in root.glob(f"*/*/* ({ref})") if p.is_dir() and not p.name.startswith("."))
    return found[0] if found else None


def write_filing(root: Path, filing: Filing) -> Path:
    """The meeting's folder, replaced whole: built beside it, then renamed into place. An earlier
    official version's .docx is kept as `… vN.docx`; files somebody else put there stay."""
    target = folder_for(root, filing.meeting)
    target.parent.mkdir(parents=True, exist_ok=True)
    before = existing_folder(root, filing.meeting["ref"])
    staging = Path(tempfile.mkdtemp(prefix=".mailbot-new-", dir=target.parent))
    try:
        manifest = _read_manifest(before)
        written: list[str] = []

        def put(name: str, data: bytes) -> None:
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            written.append(name)

        minutes_name = minutes_filename(filing.meeting)
        earlier = list(manifest.get("earlier") or [])
        if before is not None:
            old_minutes, old_version = manifest.get("minutes"), manifest.get("version")
            if old_minutes and old_version not in (None, filing.version) and (before / old_minutes).is_file():
                kept = minutes_filename(filing.meeting, old_version)
                shutil.copy2(before / old_minutes, staging / kept)
                earlier.append(kept)
            ours = set(manifest.get("files") or []) | {MANIFEST}
            for path in sorted(before.rglob("*")):
                name = path.relative_to(before).as_posix()
                if path.is_file() and name not in ours and not (staging / name).exists():
                    (staging / name).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, staging / name)  # earlier versions, and whatever people added
        put(minutes_name, filing.docx)
        put(safe_name(filing.xlsx_name), filing.xlsx)
        w = words_for(filing.meeting.get("language"))
        put(w["history"], filing.history)
        used: set[str] = set()
        for ref, filename, data in filing.deliverables:
            name = f"{w['deliverables']}/{ref}/{safe_name(filename, chars=120, fallback='file')}"
            stem, dot, ext = name.rpartition(".")
            n = 2
            while name in used:
                name = f"{stem} ({n}).{ext}" if dot else f"{name} ({n})"
                n += 1
            used.add(name)
            put(name, data)
        earlier = sorted(set(earlier) - set(written))
        (staging / MANIFEST).write_text(
            json.dumps({"meeting": filing.meeting["ref"], "version": filing.version, "minutes": minutes_name,
                        "files": written, "earlier": earlier}, ensure_ascii=False, indent=1),
            encoding="utf-8",
        )  # fmt: skip
        _swap(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if before is not None and before.resolve() != target.resolve():
        # Moved (a new project, date or title; a meeting without a project filed under the old
        # Chinese name for all languages): one folder, where the names say, never two.
        shutil.rmtree(before, ignore_errors=True)
        _prune_empty(root, before.parent)
    return target


def _prune_empty(root: Path, folder: Path) -> None:
    """Remove `folder` and its parents up to `root` (not included) while they are empty: a move
    leaves no empty year or project folder behind on the shared drive."""
    root = root.resolve()
    folder = folder.resolve()
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()  # only when empty
        except OSError:
            return
        folder = folder.parent


def _read_manifest(folder: Path | None) -> dict[str, Any]:
    if folder is None or not (folder / MANIFEST).is_file():
        return {}
    try:
        found = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _swap(staging: Path, target: Path) -> None:
    """Put `staging` where `target` is: two renames on one file system, the old folder removed after."""
    if not target.exists():
        staging.rename(target)
        return
    old = Path(tempfile.mkdtemp(prefix=".mailbot-old-", dir=target.parent))
    old.rmdir()
    target.rename(old)
    try:
        staging.rename(target)
    except BaseException:
        old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)


# Entry points -------------------------------------------------------------------------------------


def archive_root(app: App) -> Path:
    return app.config.resolve(app.config.archive.path)


def file_meeting(app: App, meeting_id: int) -> Path | None:
    """File one official meeting from the database; None when it is not official (now)."""
    filed = _file(app, meeting_id)
    return filed[0] if filed is not None else None


def _file(app: App, meeting_id: int) -> tuple[Path, dict[str, int]] | None:
    """The folder filed and the mark of the record it was built from; None when not official."""
    from mailbot.lifecycle import MeetingStatus
    from mailbot.store.models import Meeting

    with app.db.session() as session:
        meeting = session.get(Meeting, meeting_id)
        if meeting is None or meeting.status not in (MeetingStatus.CONFIRMED, MeetingStatus.ARCHIVED):
            return None
        filing = gather(app, session, meeting)
    return write_filing(archive_root(app), filing), dict(filing.mark or {})


def file_safely(app: App, meeting_id: int) -> Path | None:
    """`file_meeting`, never raising: a failure is logged and recorded as an `archive.failed` event."""
    return _attempt(app, meeting_id)[1]


def _attempt(app: App, meeting_id: int, *, quiet_failure: bool = False) -> tuple[str, Path | None]:
    """File one meeting: ("filed", folder), ("failed", None) or ("not official", None). Each
    filing is recorded (`archive.filed`, with the mark of the record it was built from); a
    failure is logged and recorded (`archive.failed`), or only logged with `quiet_failure` (the
    refresh job trying again a failure recorded before: one event a failure, not one a minute)."""
    try:
        filed = _file(app, meeting_id)
    except Exception as exc:
        if quiet_failure:
            log.warning("archive: M-%s could still not be filed (tried again next minute): %s: %s",
                        meeting_id, type(exc).__name__, exc)  # fmt: skip
        else:
            log.exception("archive: meeting M-%s could not be filed", meeting_id)
            _record(app, "archive.failed", meeting_id, {"error": f"{type(exc).__name__}: {exc}"[:1000]})
        return "failed", None
    if filed is None:
        return "not official", None
    folder, mark = filed
    log.info("archive: M-%s filed in %s", meeting_id, folder)
    _record(app, "archive.filed", meeting_id, {"folder": str(folder), **mark})
    return "filed", folder


def _record(app: App, what: str, meeting_id: int, detail: dict[str, Any]) -> None:
    from mailbot.store.models import Event

    try:
        with app.db.transaction() as session:
            session.add(Event(at=app.now(), actor="mailbot", what=what, meeting_id=meeting_id, detail=detail))
    except Exception:
        log.exception("archive: the %s event of M-%s could not be recorded", what, meeting_id)


def file_after_commit(notifier: Notifier, meeting: Meeting) -> None:
    """The hook of confirmation.confirm_if_settled: once the transaction that made the minutes
    official commits, file them (a rollback files nothing). Nothing when [archive] is off."""
    if not notifier.app.config.archive.enabled:
        return
    from sqlalchemy import event

    app, meeting_id = notifier.app, meeting.id

    def after_commit(_session: Session) -> None:
        file_safely(app, meeting_id)

    event.listen(notifier.session, "after_commit", after_commit, once=True)


def minutes_recipe(notifier: Notifier, view: dict[str, Any], actions: list[dict[str, Any]], version: int | None):  # type: ignore[no-untyped-def]
    """The same .docx as a send-time recipe (the mail stores no bytes; `view` and `actions`, the
    very objects of the mail's context, are stored once, as references into it); built by the
    "minutes_docx" entry of mailbot.outbox.BUILDERS."""
    from mailbot.outbox import DeferredFile

    args = {"meeting": view, "actions": actions, "version": version, "now": notifier.now,
            "bot": notifier.app.config.bot.name, "tz": zone_name(notifier.app.config.tz)}  # fmt: skip
    return DeferredFile(minutes_filename(view), DOCX_TYPE, "minutes_docx", args)


def file_all(app: App, meeting_id: int | None = None) -> list[tuple[str, Path | None, str | None]]:
    """`mailbot archive`: every official meeting (or one) filed again; (ref, folder, error) each.
    Each filing is recorded (`archive.filed`), so the refresh job knows the folder is current."""
    from sqlalchemy import select

    from mailbot.lifecycle import MeetingStatus
    from mailbot.store.models import Meeting

    with app.db.session() as session:
        query = select(Meeting.id).order_by(Meeting.id)
        if meeting_id is not None:
            query = query.where(Meeting.id == meeting_id)
        else:
            query = query.where(Meeting.status.in_((MeetingStatus.CONFIRMED, MeetingStatus.ARCHIVED)))
        ids = list(session.scalars(query))
    results = []
    for found in ids:
        try:
            filed = _file(app, found)
        except Exception as exc:
            log.exception("archive: M-%s could not be filed", found)
            results.append((f"M-{found}", None, f"{type(exc).__name__}: {exc}"))
            continue
        if filed is not None:
            _record(app, "archive.filed", found, {"folder": str(filed[0]), **filed[1]})
        results.append((f"M-{found}", filed[0] if filed is not None else None, None))
    return results


# Keeping official meetings' folders current ----------------------------------------------------

# Meetings filed again per run of the job at most; the rest the next minute (the first run after
# the archive is turned on, or after an upgrade, may find every official meeting to file).
REFRESH_BATCH = 20


def stale_meetings(app: App) -> list[tuple[int, bool]]:
    """The official meetings whose folder is behind their record: (meeting id, whether the last
    attempt failed). Behind: never filed, the last filing failed, or events since the last filing
    (a 完成 with its files, a 验收, a delay, a reminder …). Three queries, whatever the number of
    meetings; nothing is built."""
    from sqlalchemy import func, select

    from mailbot.lifecycle import MeetingStatus
    from mailbot.store.models import Event, Meeting

    with app.db.session() as session:
        official = list(
            session.scalars(
                select(Meeting.id)
                .where(Meeting.status.in_((MeetingStatus.CONFIRMED, MeetingStatus.ARCHIVED)))
                .order_by(Meeting.id)
            )
        )
        if not official:
            return []
        marks = record_marks(session, official)
        last: dict[int, tuple[str, dict[str, Any]]] = {}
        for start in range(0, len(official), 500):
            chunk = official[start : start + 500]
            latest = (
                select(func.max(Event.id))
                .where(Event.meeting_id.in_(chunk), Event.what.in_(ARCHIVE_EVENTS))
                .group_by(Event.meeting_id)
            )
            for meeting_id, what, detail in session.execute(
                select(Event.meeting_id, Event.what, Event.detail).where(Event.id.in_(latest))
            ):
                last[meeting_id] = (what, detail or {})
    stale = []
    for meeting_id in official:
        what, detail = last.get(meeting_id, ("", {}))
        mark = marks.get(meeting_id, {"events": 0, "last_event": 0})
        if what == "archive.filed" and all(detail.get(k) == v for k, v in mark.items()):
            continue
        stale.append((meeting_id, what == "archive.failed"))
    return stale


def refresh(app: App, now: datetime | None = None) -> dict[str, int]:
    """The periodic job (mailbot/jobs.py, each minute): file again every official meeting whose
    record moved on since its folder was filed — the deliverables sent with 完成 after the minutes
    became official, the states that followed (已完成, 已验收, 延期), the history. Idempotent: a
    folder filed from the record as it stands is left alone. Nothing when [archive] is off. A
    failure is logged and recorded once (`archive.failed`), and tried again the next minute; it
    never touches the mail."""
    if not app.config.archive.enabled:
        return {}
    counts = {"archive_filed": 0, "archive_failed": 0}
    for meeting_id, failed_before in stale_meetings(app)[:REFRESH_BATCH]:
        outcome, _ = _attempt(app, meeting_id, quiet_failure=failed_before)
        if outcome != "not official":  # no longer official since it was listed: nothing to file
            counts[f"archive_{outcome}"] += 1
    return counts
