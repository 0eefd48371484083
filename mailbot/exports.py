"""The tracking table (行动项跟踪表) as people use it: a spreadsheet with the seed's columns, a
CSV Excel opens correctly, or calendar tasks."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from mailbot.calendar_files import action_todos

COLUMNS = {
    "zh": ("编号", "会议", "任务描述", "负责人", "部门", "配合部门", "完成时限", "交付标准", "状态", "延期原因"),
    "en": ("Ref", "Meeting", "Task", "Owner", "Department", "Support", "Due", "Deliverable", "Status", "Delay reason"),
}
STATUS = {
    "zh": {"awaiting_confirmation": "待确认", "accepted": "未开始", "in_progress": "进行中", "done": "已完成",
           "verified": "已验收", "objected": "有异议", "delayed": "延期", "cancelled": "已取消"},
    "en": {},
}  # fmt: skip


def tracking_rows(actions: list[dict[str, Any]], language: str) -> list[tuple[Any, ...]]:
    names = STATUS.get(language, {})
    return [
        (
            a["ref"], a.get("meeting_title") or a.get("meeting", ""), a["description"],
            f"{a.get('owner_name') or ''} <{a['owner']}>".strip(), a.get("department") or "", a.get("support") or "",
            a["due"], a.get("deliverable") or "", names.get(a["status"], a["status"].replace("_", " ")),
            a.get("delay_reason") or "",
        )
        for a in actions
    ]  # fmt: skip


def to_xlsx(actions: list[dict[str, Any]], language: str, today: Any) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "行动项跟踪表" if language == "zh" else "Action tracking"
    sheet.append(COLUMNS[language])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    overdue = PatternFill(start_color="FFF4CCCC", end_color="FFF4CCCC", fill_type="solid")
    for row, action in zip(tracking_rows(actions, language), actions, strict=True):
        sheet.append(row)
        if action["status"] in ("accepted", "in_progress", "delayed") and action["due"] < today:
            for cell in sheet[sheet.max_row]:
                cell.fill = overdue
    for column, width in zip("ABCDEFGHIJ", (8, 24, 40, 32, 12, 16, 12, 24, 10, 24), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_csv(actions: list[dict[str, Any]], language: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS[language])
    writer.writerows(tracking_rows(actions, language))
    # A BOM, or Excel on Windows reads UTF-8 Chinese as mojibake.
    return buffer.getvalue().encode("utf-8-sig")


def to_ics(actions: list[dict[str, Any]], domain: str, now: datetime) -> bytes:
    meeting = {"title": "Mailbot", "ref": "all"}
    return action_todos(actions, meeting, domain, now)
