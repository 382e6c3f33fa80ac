"""The XLSX export: a summary sheet, one sheet per report item, the tasks, and the history.

Times are written as real Excel date-times in Vietnam time (Excel has no time zones; the
summary says so), due dates as real dates; header rows are frozen and filterable. The
workbook is streamed (openpyxl write-only mode), so a long history costs time but not
memory; a history longer than a sheet holds (1,048,576 rows) continues on further sheets.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, TypeAlias

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.i18n import TZ, Translator
from bot.reports.messages import on_time_label, status_label
from bot.reports.queries import HistoryRow
from bot.reports.status import STATUSES, AgencyStatus, ItemStatus, PlanStatus, on_time_rates

DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
PERCENT_FORMAT = "0%"
SHEET_NAME_MAX = 31
FORBIDDEN_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")
HEADER_FILL = PatternFill("solid", fgColor="DDE7F0")
STATUS_FILLS = {
    "done": "C8E6C9",
    "in_progress": "BBDEFB",
    "blocked": "FFCDD2",
    "not_started": "FFF9C4",
    "no_update": "EEEEEE",
}
SHEET_ROWS_MAX = 1_048_576  # Excel's limit
Column = tuple[str, int]  # (header, width in characters)
Sheet: TypeAlias = WriteOnlyWorksheet


def export_xlsx(status: PlanStatus, history: Sequence[HistoryRow], t: Translator) -> bytes:
    """The workbook as bytes: summary, a sheet per report item, tasks, history."""
    book = Workbook(write_only=True)
    taken: set[str] = set()
    _summary_sheet(book.create_sheet(sheet_title(t._("Summary"), taken)), status, t)
    for item in status.report_items:
        _item_sheet(book.create_sheet(sheet_title(item.code, taken)), item, t)
    tasks = [item for item in status.items if not item.is_report]
    if tasks:
        _tasks_sheet(book.create_sheet(sheet_title(t._("Tasks"), taken)), tasks, t)
    per_sheet = SHEET_ROWS_MAX - 1
    for start in range(0, max(len(history), 1), per_sheet):
        sheet = book.create_sheet(sheet_title(t._("History"), taken))
        _history_sheet(sheet, history[start : start + per_sheet], t)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unique sheet name: no ``[]:*?/\\``, at most 31 characters."""
    base = FORBIDDEN_IN_SHEET_NAMES.sub("-", name).strip("'") or "Sheet"
    title, n = base[:SHEET_NAME_MAX], 1
    while title.lower() in taken:
        n += 1
        suffix = f"~{n}"
        title = base[: SHEET_NAME_MAX - len(suffix)] + suffix
    taken.add(title.lower())
    return title


def local(instant: datetime | None) -> datetime | None:
    """An aware instant as the naive Vietnam time Excel can store."""
    return instant.astimezone(TZ).replace(tzinfo=None) if instant else None


def _summary_sheet(ws: Sheet, status: PlanStatus, t: Translator) -> None:
    """Counts per item, then the on-time rate per agency across the report items."""
    columns = [
        (t._("Item"), 16),
        (t._("Title"), 60),
        (t._("Due date"), 12),
        (t._("Assigned"), 10),
        *((status_label(t, s), 14) for s in STATUSES),
        (t._("Overdue"), 10),
    ]
    _layout(ws, columns, freeze="A5")
    _title_rows(
        ws,
        t._("Plan {code}: {title}").format(code=status.code, title=status.title),
        t._("Status at {time}; times are Vietnam time (UTC+7).").format(
            time=t.datetime(status.now)
        ),
        "",
    )
    rows = [
        [
            item.code,
            item.title,
            item.due,
            len(item.agencies),
            *(item.counts[s] for s in STATUSES),
            len(item.overdue),
        ]
        for item in status.items
    ]
    _rows(ws, columns, rows)
    ws.append([])
    rate_columns = [
        (t._("Agency code"), 0),
        (t._("Agency"), 0),
        (t._("Report items on time"), 0),
        (t._("Report items due"), 0),
        (t._("On-time rate"), 0),
    ]
    names = {a.code: a.name for item in status.report_items for a in item.agencies}
    rates = [
        [code, names[code], on_time, decided, _percent(ws, on_time, decided)]
        for code, (on_time, decided) in on_time_rates(status).items()
    ]
    _rows(ws, rate_columns, rates)


def _percent(ws: Sheet, part: int, whole: int) -> WriteOnlyCell | None:
    if not whole:
        return None
    cell = WriteOnlyCell(ws, value=part / whole)
    cell.number_format = PERCENT_FORMAT
    return cell


def _agency_cells(agency: AgencyStatus, t: Translator) -> list[Any]:
    return [
        agency.code,
        agency.name,
        agency.group,
        ", ".join(agency.focal_points),
        status_label(t, agency.status),
        agency.note,
        local(agency.updated_at),
        on_time_label(t, agency.on_time),
        t._("Overdue") if agency.overdue else "",
    ]


def _agency_columns(t: Translator) -> list[Column]:
    return [
        (t._("Agency code"), 16),
        (t._("Agency"), 40),
        (t._("Group"), 24),
        (t._("Focal point"), 28),
        (t._("Status"), 16),
        (t._("Note"), 50),
        (t._("Updated at"), 17),
        (t._("On time or late"), 14),
        (t._("Overdue"), 10),
    ]


def _item_sheet(ws: Sheet, item: ItemStatus, t: Translator) -> None:
    columns = [("#", 5), *_agency_columns(t)]
    _layout(ws, columns, freeze="D4")
    due = t._("Due: {date}").format(date=t.date(item.due)) if item.due else ""
    _title_rows(ws, f"{item.code} — {item.title}", due)
    rows = [[n, *_agency_cells(a, t)] for n, a in enumerate(item.agencies, start=1)]
    _rows(
        ws, columns, rows, status_column=6, statuses=[a.status for a in item.agencies], first_row=3
    )


def _tasks_sheet(ws: Sheet, items: list[ItemStatus], t: Translator) -> None:
    columns = [
        (t._("Item"), 16),
        (t._("Section"), 8),
        (t._("Title"), 50),
        (t._("Due date"), 12),
        *_agency_columns(t),
    ]
    _layout(ws, columns, freeze="B2")
    rows = [
        [item.code, item.section, item.title, item.due, *_agency_cells(a, t)]
        for item in items
        for a in item.agencies
    ]
    statuses = [a.status for item in items for a in item.agencies]
    _rows(ws, columns, rows, status_column=9, statuses=statuses)


def _history_sheet(ws: Sheet, history: Sequence[HistoryRow], t: Translator) -> None:
    columns = [
        (t._("Time"), 17),
        (t._("Item"), 16),
        (t._("Title"), 50),
        (t._("Agency code"), 16),
        (t._("Agency"), 40),
        (t._("Person"), 24),
        (t._("Status"), 16),
        (t._("Status code"), 12),
        (t._("Note"), 60),
        (t._("Channel"), 10),
    ]
    _layout(ws, columns, freeze="A2")
    labels = {s: status_label(t, s) for s in STATUSES}
    rows = (
        [
            local(r.created_at),
            r.item_code,
            r.item_title,
            r.agency_code,
            r.agency_name,
            r.person_name,
            labels.get(r.status, r.status),
            r.status,
            r.note,
            r.channel,
        ]
        for r in history
    )
    _rows(ws, columns, rows, status_column=7, statuses=[r.status for r in history], wrap=False)


def _layout(ws: Sheet, columns: list[Column], *, freeze: str) -> None:
    """Column widths and frozen panes; write-only sheets need them before any row."""
    for index, (_header, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = freeze


def _title_rows(ws: Sheet, first: str, *more: str) -> None:
    title = WriteOnlyCell(ws, value=first)
    title.font = Font(bold=True, size=13)
    ws.append([title])
    for line in more:
        ws.append([line] if line else [])


def _rows(
    ws: Sheet,
    columns: list[Column],
    rows: Iterable[list[Any]],
    *,
    status_column: int = 0,
    statuses: Sequence[str] = (),
    first_row: int = 1,
    wrap: bool = True,
) -> None:
    """A bold header, then ``rows``; ``statuses`` (one per row) tints ``status_column``.

    ``first_row`` is the header's row number, for the auto-filter range.
    """
    ws.append([_header_cell(ws, header) for header, _width in columns])
    count = 0
    for count, values in enumerate(rows, start=1):
        cells = [_cell(ws, value, wrap) for value in values]
        if statuses and statuses[count - 1] in STATUS_FILLS:
            cells[status_column - 1] = _filled(
                ws, values[status_column - 1], STATUS_FILLS[statuses[count - 1]]
            )
        ws.append(cells)
    if first_row == 1 and count:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"


def _header_cell(ws: Sheet, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=text)
    cell.font = Font(bold=True)
    cell.fill = HEADER_FILL
    cell.alignment = Alignment(wrap_text=True, vertical="center")
    return cell


def _filled(ws: Sheet, value: Any, colour: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.fill = PatternFill("solid", fgColor=colour)
    return cell


def _cell(ws: Sheet, value: Any, wrap: bool) -> Any:
    """Plain values as they are (fast); dates, times and long text as styled cells."""
    if isinstance(value, datetime | date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATETIME_FORMAT if isinstance(value, datetime) else DATE_FORMAT
        return cell
    if wrap and isinstance(value, str) and len(value) > 40:
        cell = WriteOnlyCell(ws, value=value)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        return cell
    return value
