"""What the chat commands and the command line call: ``/status``, ``/overdue``, ``/export``.

Each function takes the session, the plan and the time (the caller reads the clock) and
returns plain data: texts already cut to Telegram's limit, PNG bytes, or a file to send.

``/status`` comes in two steps, so that a chat can send the texts before the charts are
drawn: ``status_texts`` (the database and the texts, no drawing) and ``draw_charts`` (the
PNGs, by the chart worker process); ``status_reply`` does both. The exports' libraries
(openpyxl, python-docx) are imported by ``build_export`` only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlmodel import Session

from bot.i18n import TZ, Translator
from bot.reports import queries
from bot.reports.chart import ChartError, ChartRenderer, ChartSpec, chart_spec, plan_chart_specs
from bot.reports.chart import draw_charts as draw_chart_specs
from bot.reports.formats import ExportFormat
from bot.reports.status import PlanStatus, UnknownCode, due_end, plan_status, plan_summary
from bot.reports.text import CHAT_MAX_NAMES, TEXT_LIMIT, overdue_text, status_text

log = logging.getLogger(__name__)

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
class StatusTexts:
    """``/status`` before drawing: the texts to send, then what each chart will show."""

    texts: list[str]
    charts: list[tuple[str, ChartSpec]] = field(default_factory=list)


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


def status_texts(
    session: Session,
    *,
    plan_id: int,
    now: datetime,
    t: Translator,
    code: str | None = None,
    limit: int = TEXT_LIMIT,
) -> StatusTexts:
    """``/status [CODE]`` without drawing: the texts, and the specs of the charts to draw.

    The whole plan and one item are read as a ``plan_summary`` (counted in the database,
    only the names shown); one agency as its full status (with its on-time rate, no chart).
    The plan-wide reply has a chart per report item, an item's reply its own chart.
    Raises ``UnknownCode`` for a code that names nothing.
    """
    item_code, agency_code = _resolve(session, plan_id, code)
    return _status_texts(session, plan_id, now, t, item_code, agency_code, limit)


def _resolve(session: Session, plan_id: int, code: str | None) -> tuple[str | None, str | None]:
    return (None, None) if code is None else resolve_code(session, plan_id=plan_id, code=code)


def _status_texts(
    session: Session,
    plan_id: int,
    now: datetime,
    t: Translator,
    item_code: str | None,
    agency_code: str | None,
    limit: int,
) -> StatusTexts:
    if agency_code is not None:
        status = plan_status(session, plan_id=plan_id, now=now, agency_code=agency_code)
        return StatusTexts(texts=status_text(status, t, limit=limit))
    summary = plan_summary(
        session, plan_id=plan_id, now=now, item_code=item_code, shown=CHAT_MAX_NAMES
    )
    texts = status_text(summary, t, limit=limit, max_names=CHAT_MAX_NAMES)
    if item_code is not None:
        item = summary.items[0]
        return StatusTexts(texts, [(f"{item.code}.png", chart_spec(item, t, now=now))])
    return StatusTexts(texts, plan_chart_specs(summary, t))


def draw_charts(
    specs: list[tuple[str, ChartSpec]], renderer: ChartRenderer | None = None
) -> list[tuple[str, bytes]]:
    """The PNGs of ``status_texts(...).charts``, drawn by the chart worker. A failure is
    logged and gives no charts: the texts are the answer, the charts an illustration."""
    try:
        return draw_chart_specs(specs, renderer)
    except ChartError:
        log.exception("the status charts could not be drawn")
        return []


def status_reply(
    session: Session,
    *,
    plan_id: int,
    now: datetime,
    t: Translator,
    code: str | None = None,
    charts: bool = True,
    limit: int = TEXT_LIMIT,
    renderer: ChartRenderer | None = None,
) -> StatusReply:
    """``/status [CODE]``: ``status_texts`` and, with ``charts``, its charts drawn.

    The worker is started as soon as the code is known to want charts, so that its start
    overlaps the reading of the database and the writing of the texts. Raises
    ``UnknownCode`` for a code that names nothing.
    """
    item_code, agency_code = _resolve(session, plan_id, code)
    renderer = renderer or ChartRenderer()
    with renderer.session(start=charts and agency_code is None) as job:
        found = _status_texts(session, plan_id, now, t, item_code, agency_code, limit)
        pictures: list[tuple[str, bytes]] = []
        if charts and found.charts:
            try:
                pngs = job.render([spec for _name, spec in found.charts])
                pictures = [(name, png) for (name, _), png in zip(found.charts, pngs, strict=True)]
            except ChartError:
                log.exception("the status charts could not be drawn")
    return StatusReply(texts=found.texts, charts=pictures)


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
    from bot.reports.csv import export_csv
    from bot.reports.docx import export_docx  # python-docx: only when exporting
    from bot.reports.xlsx import export_xlsx  # openpyxl: only when exporting

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
