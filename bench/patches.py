"""Candidate product changes, applied by monkeypatching (the product is never edited here).

``python -m bench.patched_bot PATCH …`` runs ``baocao`` with them; ``PATCH`` is a comma
separated list of the names below.

``scheduled[=K]``: the rate gate spaces slots on a schedule instead of from the last grant.
Today ``RateGate._delay`` waits ``window / per_second`` after the *actual* time of the
previous grant, so every late wake-up of the event loop (``asyncio.sleep`` overshoot, a
busy loop, database threads holding the interpreter lock) is added to the interval and
never recovered: the rate drifts below ``per_second / window``. With a schedule the next
slot is one spacing after the previous *scheduled* slot (as long as the gate is late by
less than K spacings, default 1), so the lateness is absorbed and the long-run rate is
``per_second / window``. Only the spacing changes: the sliding-window check (the tree's own
log of sends), pauses and closing are the tree's ``RateGate``, subclassed.

``window=X``: ``Limits.window`` (and nothing else) set to X.

``lazy-reports``: ``bot.reports.api`` (and with it matplotlib, openpyxl and python-docx)
is imported on the first /status, /overdue or /export instead of when the core is
imported, as if ``bot/core/coordination.py`` imported it inside its functions.

``concurrent=N``: the Telegram ``Application`` handles up to N updates at once
(``ApplicationBuilder.concurrent_updates(N)``) instead of one after the other.

``sniffio``: ``import sniffio`` succeeds. httpcore 1.0.9 runs ``import sniffio`` whenever it
sets up a lock or a time-out (about a dozen times per request) to learn which async library
runs it; sniffio is not installed (anyio 4 no longer depends on it), so each of those is a
failed import that searches ``sys.path`` again. A stand-in module answering "asyncio" is
what installing sniffio would give an asyncio program. ``fake_sniffio()`` returns the undo.

``bulk-records``: the broadcast worker records a batch of sent deliveries with one
``UPDATE … WHERE id IN (…)`` instead of one ``UPDATE`` per delivery (the others, rare:
retries, blocks, failures, as before). ``bulk_records()`` returns the undo.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def apply(patch: str) -> None:
    """Apply ``patch``, e.g. "", "scheduled", "window=1.0", "lazy-reports,concurrent=8"."""
    for part in filter(None, (p.strip() for p in patch.split(","))):
        name, _, value = part.partition("=")
        if name == "scheduled":
            _schedule_slots(int(value or 1))
        elif name == "window":
            _set_window(float(value))
        elif name == "lazy-reports":
            _lazy_reports()
        elif name == "concurrent":
            _concurrent_updates(int(value))
        elif name == "bulk-records":
            bulk_records()
        elif name == "sniffio":
            fake_sniffio()
        else:
            raise ValueError(f"unknown patch {part!r}")


def _lazy_reports() -> None:
    import importlib.util
    import sys
    import types

    from bot.reports.formats import ExportFormat

    spec = importlib.util.find_spec("bot.reports.api")
    assert spec is not None and spec.origin is not None
    origin = spec.origin
    loaded: list[types.ModuleType] = []

    def real() -> types.ModuleType:
        if not loaded:
            real_spec = importlib.util.spec_from_file_location("bot.reports._api", origin)
            assert real_spec is not None and real_spec.loader is not None
            module = importlib.util.module_from_spec(real_spec)
            sys.modules["bot.reports._api"] = module
            real_spec.loader.exec_module(module)
            loaded.append(module)
        return loaded[0]

    def lazy(name: str) -> Callable[..., Any]:
        return lambda *args, **kwargs: getattr(real(), name)(*args, **kwargs)

    stub = types.ModuleType("bot.reports.api")
    stub.ExportFormat = ExportFormat  # type: ignore[attr-defined]
    for name in ("build_export", "overdue_reply", "status_reply", "resolve_code"):
        setattr(stub, name, lazy(name))
    sys.modules["bot.reports.api"] = stub


def fake_sniffio() -> Callable[[], None]:
    import sys
    import types

    module = types.ModuleType("sniffio")
    module.current_async_library = lambda: "asyncio"  # type: ignore[attr-defined]
    previous = sys.modules.get("sniffio")
    sys.modules["sniffio"] = module

    def undo() -> None:
        if previous is None:
            sys.modules.pop("sniffio", None)
        else:
            sys.modules["sniffio"] = previous

    return undo


def bulk_records() -> Callable[[], None]:
    from sqlalchemy import update
    from sqlmodel import col

    from scheduler import broadcasting
    from storage.db import session_scope
    from storage.models import Delivery, OutboxState

    original = broadcasting._record_all

    def _record_all(engine: Any, outcomes: list[Any], now: Any) -> None:
        sent: list[int] = []
        with session_scope(engine) as session:
            for delivery, chats, results in outcomes:
                state = broadcasting._state_for({r.outcome for r in results}, delivery.attempts)
                if state == OutboxState.SENT:
                    sent.append(delivery.id or 0)
                else:
                    broadcasting._record(session, delivery, chats, results, now)
            if sent:
                session.execute(
                    update(Delivery)
                    .where(col(Delivery.id).in_(sent))
                    .values(
                        state=OutboxState.SENT,
                        sent_at=now,
                        last_error=None,
                        attempts=Delivery.attempts + 1,
                    )
                )

    broadcasting._record_all = _record_all  # type: ignore[assignment]

    def undo() -> None:
        broadcasting._record_all = original  # type: ignore[assignment]

    return undo


def _concurrent_updates(count: int) -> None:
    from telegram.ext import ApplicationBuilder

    original = ApplicationBuilder.build

    def build(self: Any) -> Any:
        self.concurrent_updates(count)
        return original(self)

    ApplicationBuilder.build = build  # type: ignore[method-assign]


def _set_window(window: float) -> None:
    import dataclasses

    from scheduler.sending import Limits, PacedSender

    original = PacedSender.__init__

    def __init__(self: Any, transports: Any, limits: Any = None, *args: Any, **kw: Any) -> None:
        limits = dataclasses.replace(limits or Limits(), window=window)
        original(self, transports, limits, *args, **kw)

    PacedSender.__init__ = __init__  # type: ignore[method-assign]


def _scheduled_gate(base: type) -> type:
    """The tree's ``RateGate`` with only its spacing changed (see the module docstring):
    everything else (the sliding-window log, sends in transit, pauses, closing) is the
    tree's own, whatever its version."""

    class ScheduledGate(base):  # type: ignore[misc,valid-type]
        catch_up = 1  # how many spacings of lateness are made up (``scheduled=K``)

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._next_slot = float("-inf")
            self._seen_grant = float("-inf")
            self._was_idle = True

        async def acquire(self, priority: int) -> None:
            if self._runner is None or self._runner.done():
                self._was_idle = True  # nobody was waiting: nothing to catch up on
            await super().acquire(priority)

        def _delay(self) -> float:
            now = self.clock()
            window = self.limits.window
            step = window / self.per_second
            grant = self._last_grant
            if grant != self._seen_grant:  # a slot was granted since the last look
                late = max(self._next_slot, grant - self.catch_up * step)
                start = grant if self._was_idle else late
                self._next_slot, self._seen_grant, self._was_idle = start + step, grant, False
            while self._log and self._log[0] <= now - window:
                self._log.popleft()
            wait = max(self._paused_until - now, self._next_slot - now)
            if len(self._log) + self._in_transit >= self.per_second:
                oldest = self._log[0] + window - now if self._log else 0.005
                wait = max(wait, oldest, 0.005 if self._in_transit else 0.0)
            return float(wait)

    return ScheduledGate


def _schedule_slots(catch_up: int) -> None:
    from scheduler import sending

    gate = _scheduled_gate(sending.RateGate)
    gate.catch_up = catch_up  # type: ignore[attr-defined]
    sending.RateGate = gate  # type: ignore[misc]
