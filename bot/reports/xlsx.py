"""The XLSX export: a summary sheet, one sheet per report item, the tasks, and the history.

Times are written as real Excel date-times in Vietnam time (Excel has no time zones; the
summary says so), due dates as real dates; header rows are frozen and filterable.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

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
Column = tuple[str, int]  # (header, width in characters)


def export_xlsx(status: PlanStatus, history: Sequence[HistoryRow], t: Translator) -> bytes:
    """The workbook as bytes: summary, a sheet per report item, tasks, history."""
    book = Workbook()
    taken: set[str] = set()
    summary = book.active
    assert summary is not None
    summary.title = sheet_title(t._("Summary"), taken)
    _summary_sheet(summary, status, t)
    for item in status.report_items:
        _item_sheet(book.create_sheet(sheet_title(item.code, taken)), item, t)
    tasks = [item for item in status.items if not item.is_report]
    if tasks:
        _tasks_sheet(book.create_sheet(sheet_title(t._("Tasks"), taken)), tasks, t)
    _history_sheet(book.create_sheet(sheet_title(t._("History"), taken)), history, t)
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


def _summary_sheet(ws: Worksheet, status: PlanStatus, t: Translator) -> None:
    ws["A1"] = t._("Plan {code}: {title}").format(code=status.code, title=status.title)
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = t._("Status at {time}; times are Vietnam time (UTC+7).").format(
        time=t.datetime(status.now)
    )
    columns = (
        [(t._("Item"), 16), (t._("Title"), 60), (t._("Due date"), 12), (t._("Assigned"), 10)]
        + [(status_label(t, s), 14) for s in STATUSES]
        + [(t._("Overdue"), 10)]
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
    end = _table(ws, 4, columns, rows)
    _rates_table(ws, end + 2, status, t)
    ws.freeze_panes = "A5"


def _rates_table(ws: Worksheet, top: int, status: PlanStatus, t: Translator) -> None:
    """On-time rate per agency across the report items, under the item counts."""
    rates = on_time_rates(status)
    agencies = {a.code: a.name for item in status.report_items for a in item.agencies}
    rate_rows = [
        [code, agencies[code], on_time, decided, on_time / decided if decided else None]
        for code, (on_time, decided) in rates.items()
    ]
    rate_columns = [
        (t._("Agency code"), 16),
        (t._("Agency"), 60),
        (t._("Report items on time"), 12),
        (t._("Report items due"), 12),
        (t._("On-time rate"), 10),
    ]
    _table(ws, top, rate_columns, rate_rows, set_widths=False)
    for row in ws.iter_rows(min_row=top + 1, min_col=5, max_col=5):
        row[0].number_format = PERCENT_FORMAT


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


def _item_sheet(ws: Worksheet, item: ItemStatus, t: Translator) -> None:
    ws["A1"] = f"{item.code} — {item.title}"
    ws["A1"].font = Font(bold=True, size=13)
    if item.due is not None:
        ws["A2"] = t._("Due: {date}").format(date=t.date(item.due))
    columns = [("#", 5), *_agency_columns(t)]
    rows = [[n, *_agency_cells(a, t)] for n, a in enumerate(item.agencies, start=1)]
    _table(ws, 3, columns, rows, status_column=6, statuses=[a.status for a in item.agencies])
    ws.freeze_panes = "D4"


def _tasks_sheet(ws: Worksheet, items: list[ItemStatus], t: Translator) -> None:
    columns = [
        (t._("Item"), 16),
        (t._("Section"), 8),
        (t._("Title"), 50),
        (t._("Due date"), 12),
        *_agency_columns(t),
    ]
    rows = [
        [item.code, item.section, item.title, item.due, *_agency_cells(a, t)]
        for item in items
        for a in item.agencies
    ]
    _table(
        ws,
        1,
        columns,
        rows,
        status_column=9,
        statuses=[a.status for item in items for a in item.agencies],
    )
    ws.freeze_panes = "B2"


def _history_sheet(ws: Worksheet, history: Sequence[HistoryRow], t: Translator) -> None:
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
    rows = [
        [
            local(row.created_at),
            row.item_code,
            row.item_title,
            row.agency_code,
            row.agency_name,
            row.person_name,
            status_label(t, row.status),
            row.status,
            row.note,
            row.channel,
        ]
        for row in history
    ]
    _table(ws, 1, columns, rows, status_column=7, statuses=[row.status for row in history])
    ws.freeze_panes = "A2"


def _table(
    ws: Worksheet,
    top: int,
    columns: list[Column],
    rows: Iterable[list[Any]],
    *,
    status_column: int = 0,
    statuses: Sequence[str] = (),
    set_widths: bool = True,
) -> int:
    """Write a header at row ``top`` and ``rows`` under it; return the last row written.

    ``statuses`` (one status code per row) tints the cells of ``status_column``.
    """
    for index, (header, width) in enumerate(columns, start=1):
        cell = ws.cell(row=top, column=index, value=header)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if set_widths:
            ws.column_dimensions[get_column_letter(index)].width = width
    last = top
    for last, values in enumerate(rows, start=top + 1):
        for index, value in enumerate(values, start=1):
            _write(ws, last, index, value)
        if statuses:
            colour = STATUS_FILLS.get(statuses[last - top - 1])
            if colour:
                ws.cell(row=last, column=status_column).fill = PatternFill("solid", fgColor=colour)
    if last > top:
        ws.auto_filter.ref = f"A{top}:{get_column_letter(len(columns))}{last}"
    return last


def _write(ws: Worksheet, row: int, column: int, value: Any) -> None:
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT
    elif isinstance(value, str) and len(value) > 40:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
