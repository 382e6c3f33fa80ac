"""The status chart: a phone-sized PNG with every Vietnamese glyph and overdue bars marked.

Drawn by the chart worker (one kept alive for the module, so it starts once)."""

from __future__ import annotations

import io
import logging
import struct
import warnings
from collections.abc import Iterator

import pytest
from PIL import Image

from bot.i18n import Translator
from bot.reports.chart import (
    COLOURS,
    HEIGHT_PX,
    OVERDUE_EDGE,
    WIDTH_PX,
    ChartRenderer,
    item_chart,
    plan_charts,
)
from bot.reports.status import ItemStatus, PlanStatus, plan_status
from tests.reports.seed import NOW, Seeded

VI = Translator("vi")


@pytest.fixture(scope="module")
def renderer() -> Iterator[ChartRenderer]:
    kept = ChartRenderer(keep_alive=300.0)
    yield kept
    kept.close()


@pytest.fixture
def status(reported: Seeded) -> PlanStatus:
    with reported.session() as session:
        return plan_status(session, plan_id=reported.plan_id, now=NOW)


def report(status: PlanStatus, code: str = "BC-6T-2021") -> ItemStatus:
    return next(item for item in status.items if item.code == code)


def test_chart_is_a_png_of_the_phone_size(status: PlanStatus, renderer: ChartRenderer) -> None:
    png = item_chart(report(status), VI, now=NOW, renderer=renderer)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    assert (width, height) == (WIDTH_PX, HEIGHT_PX) == (1080, 1080)


def test_vietnamese_labels_render_without_missing_glyphs(
    status: PlanStatus, caplog: pytest.LogCaptureFixture, renderer: ChartRenderer
) -> None:
    # the worker's warnings and log records come back as the bot's log warnings
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        item_chart(report(status), VI, now=NOW, renderer=renderer)
    problems = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    assert not [p for p in problems if "glyph" in p.lower() or "findfont" in p.lower()], problems


def test_bars_use_the_status_colours_and_overdue_is_hatched(
    status: PlanStatus, renderer: ChartRenderer
) -> None:
    pixels = _pixels(item_chart(report(status), VI, renderer=renderer))
    for code in ("done", "in_progress", "blocked", "no_update"):  # not_started has 0
        assert pixels.get(_rgb(COLOURS[code]), 0) > 500, code
    assert pixels.get(_rgb(OVERDUE_EDGE), 0) > 2000  # the hatch lines over 25 agencies


def test_no_hatch_when_nothing_is_overdue(seeded: Seeded, renderer: ChartRenderer) -> None:
    with seeded.session() as session:
        early = plan_status(session, plan_id=seeded.plan_id, now=NOW.replace(month=5, day=1))
    png = item_chart(report(early), VI, renderer=renderer)
    assert _pixels(png).get(_rgb(OVERDUE_EDGE), 0) < 500  # text only


def test_status_sends_one_chart_per_report_item(
    status: PlanStatus, renderer: ChartRenderer
) -> None:
    charts = plan_charts(status, VI, renderer)
    assert [name for name, _png in charts] == ["BC-6T-2021.png", "BC-NAM-2021.png"]


def _pixels(png: bytes) -> dict[tuple[int, int, int], int]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return {colour: count for count, colour in image.getcolors(maxcolors=1 << 20)}


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
