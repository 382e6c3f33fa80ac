"""The chart worker: charts are drawn in a child process, the bot never imports matplotlib,
a worker ends with its job (or idles for ``keep_alive``), and a failing worker costs the
charts, never the texts."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from pathlib import Path

import pytest

from bot.i18n import Translator
from bot.reports.api import status_reply, status_texts
from bot.reports.chart import ChartError, ChartRenderer, ChartSpec
from bot.reports.chart_draw import answer
from tests.fresh_python import run_fresh
from tests.reports.seed import NOW, Seeded

VI = Translator("vi")
PNG = b"\x89PNG\r\n\x1a\n"


def specs(seeded: Seeded) -> list[ChartSpec]:
    with seeded.session() as session:
        found = status_texts(session, plan_id=seeded.plan_id, now=NOW, t=VI)
    return [spec for _name, spec in found.charts]


def worker_pids(caplog: pytest.LogCaptureFixture) -> list[int]:
    return [
        int(m.group(1))
        for r in caplog.records
        if (m := re.match(r"chart worker (\d+): \d+ chart", r.getMessage()))
    ]


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_bot_process_never_imports_matplotlib(reported: Seeded) -> None:
    script = f"""
import sys
import bot.cli, bot.run  # everything `baocao run` imports
from sqlmodel import Session
from storage.db import make_engine
from bot.i18n import Translator
from bot.reports.api import status_reply
from tests.reports.seed import NOW
with Session(make_engine({reported.url!r})) as session:
    reply = status_reply(session, plan_id={reported.plan_id}, now=NOW, t=Translator("vi"))
print(len(reply.charts), all(png.startswith(b"\\x89PNG") for _n, png in reply.charts))
print(sorted(m for m in ("matplotlib", "numpy", "PIL", "openpyxl", "docx") if m in sys.modules))
"""
    assert run_fresh(script) == ["2 True", "[]"]


def test_a_worker_ends_with_its_job(reported: Seeded, caplog: pytest.LogCaptureFixture) -> None:
    renderer = ChartRenderer()
    with caplog.at_level(logging.INFO, logger="bot.reports.chart_worker"):
        pngs = renderer.render(specs(reported))
    assert len(pngs) == 2 and all(png.startswith(PNG) for png in pngs)
    (pid,) = worker_pids(caplog)
    renderer.join(timeout=30)
    assert not running(pid)
    assert renderer.idle_pid() is None


def test_a_kept_worker_draws_the_next_job_then_expires(
    reported: Seeded, caplog: pytest.LogCaptureFixture
) -> None:
    renderer = ChartRenderer(keep_alive=60.0)
    try:
        with caplog.at_level(logging.INFO, logger="bot.reports.chart_worker"):
            renderer.render(specs(reported))
            renderer.render(specs(reported)[:1])
        first, second = worker_pids(caplog)
        assert first == second == renderer.idle_pid() and running(first)
    finally:
        renderer.close()
    assert renderer.idle_pid() is None and not running(first)

    short = ChartRenderer(keep_alive=0.05)
    short.render(specs(reported)[:1])
    idle, expiry = short.idle_pid(), short.idle_expiry
    assert idle is not None and expiry is not None
    expiry.join(timeout=30)  # the timer ends the idle worker, then finishes
    assert short.idle_pid() is None and not running(idle)


def test_the_worker_starts_ahead_only_when_charts_are_wanted(
    reported: Seeded, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    marker = tmp_path / "started"
    # a stand-in worker that notes its start and answers nothing
    command = [sys.executable, "-c", f"open({str(marker)!r}, 'w').close()"]
    renderer = ChartRenderer(command=command)
    with reported.session() as session:
        agency = status_reply(session, plan_id=reported.plan_id, now=NOW, t=VI, code="SNV",
                              renderer=renderer)  # fmt: skip
        renderer.join(timeout=30)
        assert agency.texts and agency.charts == [] and not marker.exists()
        with caplog.at_level(logging.ERROR, logger="bot.reports.api"):
            plan = status_reply(session, plan_id=reported.plan_id, now=NOW, t=VI,
                                renderer=renderer)  # fmt: skip
        renderer.join(timeout=30)
    assert marker.exists()
    # the worker failed: the texts go out all the same, without charts, and it is logged
    assert plan.texts and plan.charts == []
    assert "could not be drawn" in caplog.text


def test_a_stuck_worker_is_killed_after_the_timeout(reported: Seeded) -> None:
    # reads its requests and never answers
    stuck = ChartRenderer(
        timeout=1.0, command=[sys.executable, "-c", "import sys; sys.stdin.buffer.read()"]
    )
    with pytest.raises(ChartError, match="ended without an answer"):
        stuck.render(specs(reported))


def test_a_worker_that_cannot_start_is_a_chart_error(reported: Seeded) -> None:
    missing = ChartRenderer(command=["/nonexistent/python", "-m", "bot.reports.chart_draw"])
    with pytest.raises(ChartError, match="could not start"):
        missing.render(specs(reported))
    with reported.session() as session:
        reply = status_reply(session, plan_id=reported.plan_id, now=NOW, t=VI, renderer=missing)
    assert reply.texts and reply.charts == []


def test_a_bad_request_gets_an_error_answer() -> None:
    (head,) = answer(b"not json")
    assert json.loads(head)["ok"] is False
    (head,) = answer(json.dumps([{"code": "X"}]).encode())  # a spec without its fields
    assert "KeyError" in json.loads(head)["error"]
