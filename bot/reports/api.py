"""What the chat commands and the command line call: ``/status``, ``/overdue``, ``/export``.

Each function takes the session, the plan and the time (the caller reads the clock) and
returns plain data: texts already cut to Telegram's limit, PNG bytes, or a file to send.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlmodel import Session

from bot.i18n import TZ, Translator
from bot.reports import queries
from bot.reports.chart import item_chart, plan_charts
from bot.reports.csv import export_csv
from bot.reports.docx import export_docx
from bot.reports.formats import ExportFormat
from bot.reports.status import PlanStatus, UnknownCode, due_end, plan_status
from bot.reports.text import TEXT_LIMIT, overdue_text, status_text
from bot.reports.xlsx import export_xlsx

MEDIA_TYPES = {
    ExportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ExportFormat.csv: "text/csv; charset=utf-8",
}


@dataclass(frozen=True)
class StatusReply:
    """``/status``: the texts to send in order, then the charts as ``(file name, PNG)``."""

    texts: list[str]
    charts: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass(frozen=True)
class ExportFile:
    """A produced export: what to call it, its bytes and its media type."""

    filename: str
    content: bytes
    media_type: str


def resolve_code(session: Session, *, plan_id: int, code: str) -> tuple[str | None, str | None]:
    """``/status CODE``: ``(item_code, None)`` or ``(None, agency_code)``, case-insensitively.

    Raises ``UnknownCode`` when ``code`` names neither a reported item nor an agency.
    """
    wanted = code.strip().casefold()
    for item in queries.reported_items(session, plan_id=plan_id):
        if item.code.casefold() == wanted:
            return item.code, None
    agency = queries.plan_agency(session, plan_id=plan_id, code=code.strip())
    if agency is not None:
        return None, agency.code
    raise UnknownCode(code)


def status_reply(
    session: Session,
    *,
    plan_id: int,
    now: datetime,
    t: Translator,
    code: str | None = None,
    charts: bool = True,
    limit: int = TEXT_LIMIT,
) -> StatusReply:
    """``/status [CODE]``: the whole plan, one item (with its chart) or one agency.

    The plan-wide reply carries a chart per report item; an agency's reply has its
    on-time rate and no chart. Raises ``UnknownCode`` for a code that names nothing.
    """
    item_code, agency_code = (
        (None, None) if code is None else resolve_code(session, plan_id=plan_id, code=code)
    )
    status = plan_status(
        session,
        plan_id=plan_id,
        now=now,
        item_code=item_code,
        agency_code=agency_code,
        with_on_time=agency_code is not None,
    )
    pictures: list[tuple[str, bytes]] = []
    if charts and agency_code is None:
        pictures = (
            [(f"{status.items[0].code}.png", item_chart(status.items[0], t, now=now))]
            if item_code is not None
            else plan_charts(status, t)
        )
    return StatusReply(texts=status_text(status, t, limit=limit), charts=pictures)


def overdue_reply(
    session: Session, *, plan_id: int, now: datetime, t: Translator, limit: int = TEXT_LIMIT
) -> list[str]:
    """``/overdue``: overdue agencies per item with their focal points, as chat texts."""
    status = plan_status(session, plan_id=plan_id, now=now, with_on_time=False)
    return overdue_text(status, t, limit=limit)


def build_export(
    session: Session,
    *,
    plan_id: int,
    fmt: ExportFormat | str,
    now: datetime,
    t: Translator,
    item_code: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> ExportFile:
    """``/export`` and ``baocao export``: the file in ``fmt`` for the plan (or one item).

    ``since``/``until`` are Vietnam dates, both included, and filter the update history
    (XLSX history sheet, CSV); the status part is the status at ``now``.
    """
    fmt = ExportFormat(fmt)
    status = plan_status(session, plan_id=plan_id, now=now, item_code=item_code)
    if fmt is ExportFormat.docx:
        content = export_docx(status)
    else:
        history = queries.update_history(
            session,
            plan_id=plan_id,
            item_code=status.item,
            since=day_start(since) if since else None,
            until=due_end(until) if until else None,
        )
        content = (
            export_xlsx(status, history, t) if fmt is ExportFormat.xlsx else export_csv(history, t)
        )
    return ExportFile(
        filename=export_filename(status, fmt), content=content, media_type=MEDIA_TYPES[fmt]
    )


def day_start(day: date) -> datetime:
    """The instant (UTC) a Vietnam date begins."""
    return datetime.combine(day, time(0), TZ).astimezone(UTC)


def export_filename(status: PlanStatus, fmt: ExportFormat) -> str:
    """``baocao-68-KH-UBND-20210601-0900.xlsx`` (plan code, local time of the status)."""
    code = "".join(c if c.isalnum() else "-" for c in (status.item or status.code))
    stamp = status.now.astimezone(TZ).strftime("%Y%m%d-%H%M")
    return f"baocao-{code}-{stamp}.{fmt.value}"
