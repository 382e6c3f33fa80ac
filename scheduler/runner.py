"""APScheduler as the clock: one interval job that runs the tick. No job store, no pickles.

Every ``tick_seconds`` the job reads the clock once and then: re-materializes reminder
rows when plans, people or the calendar changed; sends due reminders; sends the daily
digests; and works through due broadcasts. The database holds all state, so the job
itself can be killed and restarted at any point.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine, func
from sqlmodel import col, select

from scheduler.broadcasting import run_broadcasts
from scheduler.clock import Clock
from scheduler.digest import prepare_digests
from scheduler.reminders import materialize
from scheduler.sending import PRIORITY_REMINDER, PacedSender
from scheduler.tick import TickReport, run_tick
from storage.db import session_scope
from storage.models import CalendarDay, ItemAgency, Person, Plan, PlanItem
from storage.recovery import release_claims_of

log = logging.getLogger(__name__)
BROADCAST_POLL_SECONDS = 2.0


class SchedulerService:
    """Owns the APScheduler instance and the tick; started and stopped by the bot's lifecycle."""

    def __init__(
        self,
        engine: Engine,
        sender: PacedSender,
        clock: Clock,
        *,
        holder: str,
        tick_seconds: float,
    ) -> None:
        self.engine = engine
        self.sender = sender
        self.clock = clock
        self.holder = holder
        self.tick_seconds = tick_seconds
        self._fingerprint: tuple[object, ...] | None = None
        self._scheduler: AsyncIOScheduler | None = None
        self._lock = asyncio.Lock()

    def start(self) -> None:
        with session_scope(self.engine) as session:
            released = release_claims_of(session, holder=self.holder)
        if released:
            log.info("released %d claims left by this instance's previous run", released)
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._scheduler.add_job(
            self.send_broadcasts,
            "interval",
            seconds=min(self.tick_seconds, BROADCAST_POLL_SECONDS),
            id="baocao-broadcasts",
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now().astimezone(),
        )
        self._scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.tick_seconds,
            id="baocao-tick",
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now().astimezone(),
        )
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def tick(self) -> TickReport | None:
        """One full round at the clock's ``now``; never raises (a failed round is logged)."""
        async with self._lock:
            try:
                return await self._round(self.clock.now())
            except Exception:
                log.exception("tick failed")
                return None

    async def _round(self, now: datetime) -> TickReport:
        await asyncio.to_thread(self._materialize_if_changed, now)
        report = await run_tick(self.engine, self.sender, now=now, holder=self.holder)
        for channel, chat_id, reply in await asyncio.to_thread(
            prepare_digests, self.engine, now=now, holder=self.holder
        ):
            await self.sender.send(channel, chat_id, reply, PRIORITY_REMINDER)
        if report.claimed:
            log.info("tick %s: %s", now.isoformat(timespec="minutes"), report)
        return report

    async def send_broadcasts(self) -> None:
        """Work through due broadcasts (its own job, so a long one never delays reminders)."""
        try:
            await run_broadcasts(self.engine, self.sender, now=self.clock.now(), holder=self.holder)
        except Exception:
            log.exception("broadcast round failed")

    def _materialize_if_changed(self, now: datetime) -> None:
        with session_scope(self.engine) as session:
            fingerprint = _fingerprint(session)
            if fingerprint == self._fingerprint:
                return
            rows = materialize(session, now=now)
        self._fingerprint = fingerprint
        log.info("reminder rows materialized: %d", rows)


def _fingerprint(session: object) -> tuple[object, ...]:
    """Cheap summary of what reminders depend on; a change triggers re-materialization."""
    queries = (
        select(func.count(), func.max(Person.id), func.count(col(Person.archived_at))),
        select(func.max(Plan.updated_at), func.count(col(Plan.archived_at))),
        select(func.max(PlanItem.updated_at), func.count(col(PlanItem.archived_at))),
        select(func.count(), func.count(col(ItemAgency.archived_at))),
        select(func.count(), func.max(CalendarDay.day)),
    )
    return tuple(tuple(session.exec(q).one()) for q in queries)  # type: ignore[attr-defined]
