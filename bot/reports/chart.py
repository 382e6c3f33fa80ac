"""One PNG per report item: agencies by status, overdue ones hatched, sized for a phone.

This module says *what* a chart shows (``chart_spec``: counts per status, the overdue part,
every text translated); ``bot.reports.chart_draw`` draws it with matplotlib, in a worker
process (``bot.reports.chart_worker``) so that the bot never imports matplotlib. Neither
this module nor ``chart_worker`` imports it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from bot.i18n import Translator
from bot.reports.chart_draw import (
    COLOURS,
    DPI,
    FONT,
    HEIGHT_PX,
    OVERDUE_EDGE,
    OVERDUE_HATCH,
    STATUS_ORDER,
    WIDTH_PX,
    ChartSpec,
)
from bot.reports.chart_worker import ChartError, ChartRenderer
from bot.reports.messages import status_label
from bot.reports.status import NO_UPDATE, STATUSES, ItemView, PlanStatus, PlanSummary

__all__ = [
    "COLOURS",
    "DPI",
    "FONT",
    "HEIGHT_PX",
    "OVERDUE_EDGE",
    "OVERDUE_HATCH",
    "WIDTH_PX",
    "ChartError",
    "ChartRenderer",
    "ChartSpec",
    "chart_spec",
    "draw_charts",
    "item_chart",
    "plan_chart_specs",
    "plan_charts",
]
assert tuple(STATUSES) == STATUS_ORDER  # the drawing's fixed order and colours
log = logging.getLogger(__name__)


def chart_spec(
    item: ItemView,
    t: Translator,
    *,
    now: datetime | None = None,
    width_px: int = WIDTH_PX,
    height_px: int = HEIGHT_PX,
) -> ChartSpec:
    """What the chart of ``item`` shows: a bar per status (the five, in a fixed order), the
    overdue part of each and its caption, the title, the due date and "reported N/M"; ``now``
    is only used for the time stamp in the corner."""
    overdue = item.overdue_by_status()
    reported = item.total - item.counts[NO_UPDATE]
    caption = t._("Reported: {reported}/{total} agencies").format(
        reported=reported, total=item.total
    )
    if item.due is not None:
        caption = t._("Due {date} · reported {reported}/{total}").format(
            date=t.date(item.due), reported=reported, total=item.total
        )
    return ChartSpec(
        code=item.code,
        title=item.title,
        caption=caption,
        stamp=t.datetime(now) if now is not None else None,
        labels=[status_label(t, s) for s in STATUSES],
        counts=[item.counts[s] for s in STATUSES],
        overdue=[overdue[s] for s in STATUSES],
        overdue_notes=[
            t._("{n} overdue").format(n=overdue[s]) if overdue[s] else "" for s in STATUSES
        ],
        legend=t._("Overdue") if any(overdue.values()) else None,
        width_px=width_px,
        height_px=height_px,
    )


def plan_chart_specs(
    status: PlanStatus | PlanSummary, t: Translator
) -> list[tuple[str, ChartSpec]]:
    """``(file name, spec)`` for each report item of ``status``, as ``/status`` sends them."""
    items: list[ItemView] = list(status.report_items)
    return [(f"{_file_stem(item.code)}.png", chart_spec(item, t, now=status.now)) for item in items]


def draw_charts(
    specs: Sequence[tuple[str, ChartSpec]], renderer: ChartRenderer | None = None
) -> list[tuple[str, bytes]]:
    """``(file name, PNG)`` for each spec, drawn by the chart worker; raises ``ChartError``
    when the worker fails (callers that can do without the charts catch it)."""
    if not specs:
        return []
    pngs = (renderer or ChartRenderer()).render([spec for _name, spec in specs])
    return [(name, png) for (name, _spec), png in zip(specs, pngs, strict=True)]


def item_chart(
    item: ItemView,
    t: Translator,
    *,
    now: datetime | None = None,
    width_px: int = WIDTH_PX,
    height_px: int = HEIGHT_PX,
    renderer: ChartRenderer | None = None,
) -> bytes:
    """The chart of one item as PNG bytes (drawn by the chart worker)."""
    spec = chart_spec(item, t, now=now, width_px=width_px, height_px=height_px)
    return draw_charts([("chart.png", spec)], renderer)[0][1]


def plan_charts(
    status: PlanStatus | PlanSummary, t: Translator, renderer: ChartRenderer | None = None
) -> list[tuple[str, bytes]]:
    """``(file name, PNG)`` for each report item of ``status`` (drawn by the chart worker)."""
    return draw_charts(plan_chart_specs(status, t), renderer)


def _file_stem(code: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in code)
