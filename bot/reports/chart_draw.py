"""Drawing a status chart with matplotlib: runs in the chart worker process, not in the bot.

``draw_png(spec)`` turns a ``ChartSpec`` (plain data: every text already translated, the
counts per status) into PNG bytes, with matplotlib's object API on the Agg canvas (no
pyplot, no global figure state) in DejaVu Sans, which matplotlib ships and which has every
Vietnamese glyph. ``python -m bot.reports.chart_draw`` is the worker: it reads framed
requests on stdin and answers PNGs on stdout (see ``serve``) until stdin closes.

This module imports only the standard library at the top, so the bot can import its
constants and ``ChartSpec``; matplotlib is imported by ``draw_png``, that is in the worker.
Nothing here may import the rest of ``bot`` (the worker stays small and starts fast).
"""

from __future__ import annotations

import io
import json
import logging
import resource
import struct
import sys
import textwrap
import warnings
from typing import IO, TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH_PX = 1080
HEIGHT_PX = 1080
DPI = 120
FONT = "DejaVu Sans"
STATUS_ORDER = ("done", "in_progress", "blocked", "not_started", "no_update")
COLOURS = {
    "done": "#2e7d32",  # green
    "in_progress": "#1976d2",  # blue
    "blocked": "#d32f2f",  # red
    "not_started": "#f9a825",  # amber
    "no_update": "#9e9e9e",  # grey
}
OVERDUE_HATCH = "///"
OVERDUE_EDGE = "#212121"
_POSITIONS = list(range(len(STATUS_ORDER)))[::-1]  # the first status on top


class ChartSpec(TypedDict):
    """One chart as plain data (JSON between the bot and the worker).

    The lists follow ``STATUS_ORDER``; ``overdue_notes`` are the "N overdue" captions
    (empty where nothing is overdue); ``legend`` is the hatch key's label, or None.
    """

    code: str
    title: str
    caption: str
    stamp: str | None
    labels: list[str]
    counts: list[int]
    overdue: list[int]
    overdue_notes: list[str]
    legend: str | None
    width_px: int
    height_px: int


def draw_png(spec: ChartSpec) -> bytes:
    """A horizontal bar per status (in a fixed order and colour) as PNG bytes; the overdue
    part of each bar hatched and counted at the bar's end."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"font.family": FONT, "font.size": 20, "hatch.linewidth": 2.0}):
        figure = Figure(figsize=(spec["width_px"] / DPI, spec["height_px"] / DPI), dpi=DPI)
        FigureCanvasAgg(figure)
        _draw(figure, spec)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _draw(figure: Figure, spec: ChartSpec) -> None:
    from matplotlib.patches import Patch

    counts, overdue = spec["counts"], spec["overdue"]
    ax = figure.add_axes((0.34, 0.12, 0.62, 0.62))
    _bars(ax, counts, overdue)
    ax.set_yticks(_POSITIONS, spec["labels"], fontsize=22)
    ax.set_xlim(0, max([*counts, 1]) * 1.6)
    ax.xaxis.set_visible(False)  # every bar carries its count
    for spine in ("top", "right", "bottom"):
        ax.spines[spine].set_visible(False)
    for pos, count, note in zip(_POSITIONS, counts, spec["overdue_notes"], strict=True):
        ax.text(count, pos, f" {count}", va="center", fontsize=22, fontweight="bold")
        if note:
            ax.text(count, pos - 0.42, " " + note, va="center", fontsize=16, color=OVERDUE_EDGE)
    _titles(figure, spec)
    if spec["legend"]:
        key = Patch(
            facecolor="white", edgecolor=OVERDUE_EDGE, hatch=OVERDUE_HATCH, label=spec["legend"]
        )
        figure.legend(
            handles=[key],
            loc="upper right",
            bbox_to_anchor=(0.96, 0.80),
            fontsize=18,
            frameon=False,
        )


def _bars(ax: Axes, counts: list[int], overdue: list[int]) -> None:
    """A bar per status: the part still in time plain, the overdue part hatched after it."""
    colours = [COLOURS[s] for s in STATUS_ORDER]
    timely = [count - late for count, late in zip(counts, overdue, strict=True)]
    ax.barh(_POSITIONS, timely, color=colours, height=0.7)
    ax.barh(
        _POSITIONS,
        overdue,
        left=timely,
        color=colours,
        height=0.7,
        hatch=OVERDUE_HATCH,
        edgecolor=OVERDUE_EDGE,
        linewidth=0,
    )


def _titles(figure: Figure, spec: ChartSpec) -> None:
    title = textwrap.fill(spec["title"], width=48, max_lines=3, placeholder=" …")
    figure.text(0.04, 0.96, spec["code"], fontsize=26, fontweight="bold", va="top")
    figure.text(0.04, 0.905, title, fontsize=20, va="top", linespacing=1.25)
    figure.text(0.04, 0.045, spec["caption"], fontsize=18, color="#424242")
    if spec["stamp"]:
        figure.text(0.96, 0.015, spec["stamp"], fontsize=14, color="#757575", ha="right")


# --- the worker ----------------------------------------------------------------------------
#
# A frame is a 4-byte big-endian length and that many bytes. A request is one JSON frame,
# a list of ``ChartSpec``. The answer is one JSON frame, {"ok": true, "count": N,
# "problems": [...], "peak_kib": K} (problems: warnings and log records raised while
# drawing, such as a missing glyph; peak_kib: the worker's peak resident memory), then N
# PNG frames; or {"ok": false, "error": "..."} and nothing else.


def read_frame(stream: IO[bytes]) -> bytes | None:
    """The next frame, or None at the end of the stream."""
    head = stream.read(4)
    if len(head) < 4:
        return None
    (size,) = struct.unpack(">I", head)
    body = stream.read(size)
    if len(body) < size:
        return None
    return body


def write_frame(stream: IO[bytes], body: bytes) -> None:
    stream.write(struct.pack(">I", len(body)))
    stream.write(body)


class _Problems(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.found.append(record.getMessage())


def answer(request: bytes) -> list[bytes]:
    """The frames answering one request (never raises: a failure is an error frame)."""
    problems = _Problems()
    logging.getLogger().addHandler(problems)
    try:
        specs: list[ChartSpec] = json.loads(request)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pngs = [draw_png(spec) for spec in specs]
    except Exception as exc:  # the bot logs it and sends its texts without charts
        return [json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"}).encode()]
    finally:
        logging.getLogger().removeHandler(problems)
    head: dict[str, Any] = {
        "ok": True,
        "count": len(pngs),
        "problems": [str(w.message) for w in caught] + problems.found,
        "peak_kib": peak_kib(),
    }
    return [json.dumps(head).encode(), *pngs]


def peak_kib() -> int:
    """This process's peak resident memory in KiB: VmHWM on Linux (``ru_maxrss`` would
    include the bot's memory at the fork that started the worker), else ``ru_maxrss``."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """Answer requests until ``requests`` ends."""
    while (request := read_frame(requests)) is not None:
        for frame in answer(request):
            write_frame(answers, frame)
        answers.flush()


def warm() -> None:
    """Import matplotlib and load its font list now: a worker started ahead of its first
    request does this while the bot is still reading the database."""
    from matplotlib import font_manager
    from matplotlib.backends import backend_agg  # noqa: F401
    from matplotlib.figure import Figure  # noqa: F401

    font_manager.findfont(FONT)


if __name__ == "__main__":
    warm()
    serve(sys.stdin.buffer, sys.stdout.buffer)
