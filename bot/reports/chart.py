"""One PNG per report item: agencies by status, overdue ones hatched, sized for a phone.

Rendered with matplotlib's object API on the Agg canvas (no pyplot, no global figure
state, safe to call from worker threads) in DejaVu Sans, which matplotlib ships and which
has every Vietnamese glyph.
"""

from __future__ import annotations

import io
import textwrap
from datetime import datetime

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from bot.i18n import Translator
from bot.reports.messages import status_label
from bot.reports.status import NO_UPDATE, STATUSES, ItemStatus, PlanStatus

WIDTH_PX = 1080
HEIGHT_PX = 1080
DPI = 120
FONT = "DejaVu Sans"
COLOURS = {
    "done": "#2e7d32",  # green
    "in_progress": "#1976d2",  # blue
    "blocked": "#d32f2f",  # red
    "not_started": "#f9a825",  # amber
    NO_UPDATE: "#9e9e9e",  # grey
}
OVERDUE_HATCH = "///"
OVERDUE_EDGE = "#212121"


def item_chart(
    item: ItemStatus,
    t: Translator,
    *,
    now: datetime | None = None,
    width_px: int = WIDTH_PX,
    height_px: int = HEIGHT_PX,
) -> bytes:
    """A horizontal bar per status (the five, in a fixed order and colour) as PNG bytes.

    The overdue part of each bar is hatched and counted at the bar's end; ``now`` is only
    used for the caption's time stamp.
    """
    with matplotlib.rc_context({"font.family": FONT, "font.size": 20, "hatch.linewidth": 2.0}):
        figure = Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI)
        FigureCanvasAgg(figure)
        _draw(figure, item, t, now)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def plan_charts(status: PlanStatus, t: Translator) -> list[tuple[str, bytes]]:
    """``(file name, PNG)`` for each report item of ``status``, as ``/status`` sends them."""
    return [
        (f"{_file_stem(item.code)}.png", item_chart(item, t, now=status.now))
        for item in status.report_items
    ]


def _file_stem(code: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in code)


def _draw(figure: Figure, item: ItemStatus, t: Translator, now: datetime | None) -> None:
    overdue = {s: sum(1 for a in item.agencies if a.status == s and a.overdue) for s in STATUSES}
    ax = figure.add_axes((0.34, 0.12, 0.62, 0.62))
    _bars(ax, item, overdue)
    ax.set_yticks(_POSITIONS, [status_label(t, s) for s in STATUSES], fontsize=22)
    ax.set_xlim(0, max([*item.counts.values(), 1]) * 1.6)
    ax.xaxis.set_visible(False)  # every bar carries its count
    for spine in ("top", "right", "bottom"):
        ax.spines[spine].set_visible(False)
    for pos, status in zip(_POSITIONS, STATUSES, strict=True):
        _annotate(ax, pos, item.counts[status], overdue[status], t)
    _titles(figure, item, t, now)
    if any(overdue.values()):
        key = Patch(
            facecolor="white", edgecolor=OVERDUE_EDGE, hatch=OVERDUE_HATCH, label=t._("Overdue")
        )
        figure.legend(
            handles=[key],
            loc="upper right",
            bbox_to_anchor=(0.96, 0.80),
            fontsize=18,
            frameon=False,
        )


_POSITIONS = list(range(len(STATUSES)))[::-1]  # the first status on top


def _bars(ax: Axes, item: ItemStatus, overdue: dict[str, int]) -> None:
    """A bar per status: the part still in time plain, the overdue part hatched after it."""
    colours = [COLOURS[s] for s in STATUSES]
    timely = [item.counts[s] - overdue[s] for s in STATUSES]
    late = [overdue[s] for s in STATUSES]
    ax.barh(_POSITIONS, timely, color=colours, height=0.7)
    ax.barh(
        _POSITIONS,
        late,
        left=timely,
        color=colours,
        height=0.7,
        hatch=OVERDUE_HATCH,
        edgecolor=OVERDUE_EDGE,
        linewidth=0,
    )


def _annotate(ax: Axes, pos: int, count: int, overdue: int, t: Translator) -> None:
    ax.text(count, pos, f" {count}", va="center", fontsize=22, fontweight="bold")
    if overdue:
        ax.text(
            count,
            pos - 0.42,
            " " + t._("{n} overdue").format(n=overdue),
            va="center",
            fontsize=16,
            color=OVERDUE_EDGE,
        )


def _titles(figure: Figure, item: ItemStatus, t: Translator, now: datetime | None) -> None:
    title = textwrap.fill(item.title, width=48, max_lines=3, placeholder=" …")
    figure.text(0.04, 0.96, item.code, fontsize=26, fontweight="bold", va="top")
    figure.text(0.04, 0.905, title, fontsize=20, va="top", linespacing=1.25)
    reported = len(item.agencies) - item.counts[NO_UPDATE]
    caption = t._("Reported: {reported}/{total} agencies").format(
        reported=reported, total=len(item.agencies)
    )
    if item.due is not None:
        caption = t._("Due {date} · reported {reported}/{total}").format(
            date=t.date(item.due), reported=reported, total=len(item.agencies)
        )
    figure.text(0.04, 0.045, caption, fontsize=18, color="#424242")
    if now is not None:
        figure.text(0.96, 0.015, t.datetime(now), fontsize=14, color="#757575", ha="right")
