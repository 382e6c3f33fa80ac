"""The chart worker: a child process draws the status charts, so the bot never imports
matplotlib.

Drawing in the bot's own process loaded matplotlib, numpy, Pillow and the fonts for good on
the first ``/status`` (about 57 MB that stayed resident). Here ``python -m
bot.reports.chart_draw`` is started for a ``/status`` and answers PNG bytes over a pipe
(framed, see ``chart_draw``); by default it exits as soon as its charts are drawn, so the
bot's memory after a ``/status`` is what it was before it. Its cost is its start (Python
and matplotlib, about a second on the benchmark machine), which ``start=True`` overlaps
with the bot's own work (reading the database, writing the texts).

``ChartRenderer(keep_alive=S)`` keeps one idle worker for ``S`` seconds after a job, so
that a follow-up ``/status`` within that time is drawn without the start; the idle worker's
memory (about 80 MB) is then resident beside the bot until it expires. Every job logs the
worker's process id and peak resident memory, so memory figures can include it.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.reports.chart_draw import ChartSpec, read_frame, write_frame

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]  # where ``bot`` is, for the worker's sys.path
COMMAND = (sys.executable, "-m", "bot.reports.chart_draw")


class ChartError(RuntimeError):
    """The worker could not draw the charts (it failed, died or took too long)."""


class _Worker:
    """One running ``chart_draw`` process."""

    def __init__(self, command: Sequence[str]) -> None:
        path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        try:
            self.process = subprocess.Popen(
                list(command),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env={**os.environ, "PYTHONPATH": path},
                # not in the bot's process group: a Ctrl-C meant for the bot does not reach
                # it; it ends when its stdin closes, which the bot's end does too
                start_new_session=True,
            )
        except OSError as exc:
            raise ChartError(f"the chart worker could not start: {exc}") from exc
        self.started = time.monotonic()
        self.jobs = 0

    @property
    def pid(self) -> int:
        return self.process.pid

    def draw(
        self, specs: Sequence[ChartSpec], timeout: float
    ) -> tuple[list[bytes], dict[str, Any]]:
        """The PNGs of ``specs`` and the answer's header; ``ChartError`` on any failure
        (the process is then killed: it is not to be used again)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        watchdog = threading.Timer(timeout, self.process.kill)  # a stuck read then ends
        watchdog.daemon = True
        watchdog.start()
        try:
            write_frame(self.process.stdin, json.dumps(list(specs)).encode())
            self.process.stdin.flush()
            head = read_frame(self.process.stdout)
            if head is None:
                raise ChartError(f"chart worker {self.pid} ended without an answer")
            answer = json.loads(head)
            if not answer.get("ok"):
                raise ChartError(f"chart worker {self.pid}: {answer.get('error')}")
            pngs = [read_frame(self.process.stdout) for _ in range(int(answer["count"]))]
            if any(png is None for png in pngs):
                raise ChartError(f"chart worker {self.pid} ended in the middle of an answer")
        except (OSError, ValueError) as exc:
            self.kill()
            raise ChartError(f"chart worker {self.pid}: {exc}") from exc
        except ChartError:
            self.kill()
            raise
        finally:
            watchdog.cancel()
        self.jobs += 1
        return [png for png in pngs if png is not None], answer

    def close(self, timeout: float = 10.0) -> None:
        """Let the worker end (its stdin closes) and reap it."""
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
            self.process.wait(timeout)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()
        finally:
            if self.process.stdout is not None:
                self.process.stdout.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def alive(self) -> bool:
        return self.process.poll() is None


class ChartRenderer:
    """Draws charts in a worker process; safe to share between threads.

    ``keep_alive`` (seconds): how long one idle worker is kept after a job (0: none, every
    job starts its own and it exits when the job ends). ``timeout``: the longest a job may
    take, the worker's start included. ``command`` runs the worker (tests replace it).
    """

    def __init__(
        self,
        *,
        keep_alive: float = 0.0,
        timeout: float = 60.0,
        command: Sequence[str] = COMMAND,
    ) -> None:
        self.keep_alive = keep_alive
        self.timeout = timeout
        self.command = tuple(command)
        self._lock = threading.Lock()
        self._idle: _Worker | None = None
        self._expiry: threading.Timer | None = None
        self._reapers: list[threading.Thread] = []

    @contextmanager
    def session(self, *, start: bool = True) -> Iterator[ChartJob]:
        """A job: ``start=True`` starts (or takes) a worker now, so its start overlaps what
        the caller does before ``render``; without it, ``render`` starts one when needed.
        Leaving the block ends the worker, or keeps it idle for ``keep_alive`` seconds."""
        job = ChartJob(self)
        if start:
            try:
                job.worker()
            except ChartError:
                log.warning("the chart worker could not start ahead", exc_info=True)
        try:
            yield job
        finally:
            if job.current is not None:
                self._release(job.current)

    def render(self, specs: Sequence[ChartSpec]) -> list[bytes]:
        """The PNGs of ``specs`` in one job (``ChartError`` on failure)."""
        with self.session(start=False) as job:
            return job.render(specs)

    def close(self) -> None:
        """End the idle worker, if any, and wait for the workers let go to have ended."""
        with self._lock:
            idle, self._idle = self._idle, None
            if self._expiry is not None:
                self._expiry.cancel()
                self._expiry = None
        if idle is not None:
            _retire(idle)
        self.join()

    def join(self, timeout: float | None = None) -> None:
        """Wait until the workers this renderer has let go have ended and been reaped."""
        with self._lock:
            reapers, self._reapers = self._reapers, []
        for reaper in reapers:
            reaper.join(timeout)

    def idle_pid(self) -> int | None:
        """The process id of the idle worker kept alive, if there is one."""
        with self._lock:
            return self._idle.pid if self._idle is not None else None

    @property
    def idle_expiry(self) -> threading.Timer | None:
        """The timer that will end the idle worker (``join`` it to wait for that)."""
        with self._lock:
            return self._expiry

    def _take(self) -> _Worker:
        with self._lock:
            idle, self._idle = self._idle, None
            if self._expiry is not None:
                self._expiry.cancel()
                self._expiry = None
        if idle is not None and idle.alive():
            return idle
        if idle is not None:
            idle.close()
        return _Worker(self.command)

    def _release(self, worker: _Worker) -> None:
        if not worker.alive():
            worker.close()
            return
        if self.keep_alive > 0:
            with self._lock:
                if self._idle is None:
                    self._idle = worker
                    self._expiry = threading.Timer(self.keep_alive, self._expire, (worker,))
                    self._expiry.daemon = True
                    self._expiry.start()
                    return
        self._let_go(worker)

    def _let_go(self, worker: _Worker) -> None:
        """End ``worker`` without waiting: its stdin closes, it exits, a thread reaps it
        (a reply does not wait for the worker's interpreter to shut down)."""
        reaper = threading.Thread(
            target=_retire, args=(worker,), name=f"chart-worker-{worker.pid}", daemon=True
        )
        with self._lock:
            self._reapers = [r for r in self._reapers if r.is_alive()] + [reaper]
        reaper.start()

    def _expire(self, worker: _Worker) -> None:
        with self._lock:
            if self._idle is not worker:
                return  # taken for a job meanwhile
            self._idle = None
            self._expiry = None
        _retire(worker)


class ChartJob:
    """One caller's use of a worker (see ``ChartRenderer.session``)."""

    def __init__(self, renderer: ChartRenderer) -> None:
        self.renderer = renderer
        self.current: _Worker | None = None

    def worker(self) -> _Worker:
        if self.current is None:
            self.current = self.renderer._take()
        return self.current

    def render(self, specs: Sequence[ChartSpec]) -> list[bytes]:
        """The PNGs of ``specs``, in order (``ChartError`` when the worker fails)."""
        if not specs:
            return []
        worker = self.worker()
        began = time.monotonic()
        try:
            pngs, answer = worker.draw(specs, self.renderer.timeout)
        except ChartError:
            self.current = None  # killed: not to be kept
            raise
        for problem in answer.get("problems", []):
            log.warning("chart worker %d: %s", worker.pid, problem)
        log.info(
            "chart worker %d: %d chart(s) in %.0f ms (%.0f ms since it started), peak %.0f MB",
            worker.pid,
            len(pngs),
            (time.monotonic() - began) * 1000,
            (time.monotonic() - worker.started) * 1000,
            int(answer.get("peak_kib", 0)) / 1024,
        )
        return pngs


def _retire(worker: _Worker) -> None:
    worker.close()
    log.debug("chart worker %d ended after %d job(s)", worker.pid, worker.jobs)
