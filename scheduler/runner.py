"""APScheduler as the clock: a few interval jobs, no job store, no pickles.

- ``tick`` (every ``tick_seconds``): re-materialize reminder rows when plans, people or the
  calendar changed; send due reminders; send the daily digests.
- ``broadcasts`` (every couple of seconds): work through due broadcasts. Its own job, so a
  long broadcast never delays reminders (which also go first in the paced sender).
- ``liveness`` (every few seconds, wall clock): renew this instance's lease, take its share
  of the channel's rate budget (Telegram's limits are per bot, not per process), and put
  back the claims of instances that died.

The database holds all state, so the jobs can be killed and restarted at any point. A
clean stop stops claiming, lets the sends in flight finish and gives back what is left.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from scheduler.broadcasting import run_broadcasts
from scheduler.clock import Clock
from scheduler.digest import prepare_digests
from scheduler.reminders import materialize
from scheduler.sending import PRIORITY_REMINDER, PacedSender
from scheduler.tick import TickReport, run_tick
from storage import leases, outbox
from storage.db import session_scope
from storage.models import CalendarDay, ItemAgency, Person, Plan, PlanItem
from storage.recovery import release_claims_of

log = logging.getLogger(__name__)
BROADCAST_POLL_SECONDS = 2.0
LIVENESS_SECONDS = 5.0
LIVENESS_TTL = timedelta(seconds=20)
ROUND_BEAT = "round"  # heartbeat: a whole round (reminders and digests) finished
STOP_GRACE_SECONDS = 15.0


class SchedulerService:
    """Owns the APScheduler instance and the jobs; started and stopped by the bot's lifecycle."""

    def __init__(
        self, engine: Engine, sender: PacedSender, clock: Clock, *, holder: str, tick_seconds: float
    ) -> None:
        self.engine = engine
        self.sender = sender
        self.clock = clock
        self.holder = holder
        self.tick_seconds = tick_seconds
        self.stopping = False
        self._fingerprint: tuple[object, ...] | None = None
        self._scheduler: AsyncIOScheduler | None = None
        self._lock = asyncio.Lock()
        self._broadcasting = asyncio.Lock()

    def start(self) -> None:
        with session_scope(self.engine) as session:
            released = release_claims_of(session, holder=self.holder)
        if released:
            log.info("released %d claims left by this instance's previous run", released)
        instances, _rescued = self._liveness_round()  # announce ourselves before any send
        self.sender.share(instances)
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        jobs = (
            (self.liveness, LIVENESS_SECONDS),
            (self.send_broadcasts, min(self.tick_seconds, BROADCAST_POLL_SECONDS)),
            (self.tick, self.tick_seconds),
        )
        for job, seconds in jobs:
            self._scheduler.add_job(
                job,
                "interval",
                seconds=seconds,
                max_instances=1,
                coalesce=True,
                next_run_time=datetime.now(UTC),
            )
        self._scheduler.start()

    async def stop(self) -> None:
        """Stop claiming, let in-flight sends finish (bounded), give back the rest."""
        self.stopping = True
        self.sender.close()
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.pause()  # no new runs; shutting down now would cancel running ones
        for lock in (self._lock, self._broadcasting):
            try:
                await asyncio.wait_for(lock.acquire(), STOP_GRACE_SECONDS)
            except TimeoutError:
                log.warning("stopping with work still in flight")
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        await asyncio.to_thread(self._release_everything)

    def _release_everything(self) -> None:
        now = datetime.now(UTC)
        with session_scope(self.engine) as session:
            release_claims_of(session, holder=self.holder)
            leases.release(
                session, name=leases.INSTANCE_PREFIX + self.holder, holder=self.holder, now=now
            )

    async def tick(self) -> TickReport | None:
        """One reminder round at the clock's ``now``; never raises (failures are logged)."""
        if self.stopping:
            return None
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
        await asyncio.to_thread(self._beat_round, now)
        if report.claimed:
            log.info("tick %s: %s", now.isoformat(timespec="minutes"), report)
        return report

    def _beat_round(self, now: datetime) -> None:
        """The whole round at ``now`` is done: reminders *and* the daily digests (the
        ``tick`` heartbeat is written by the reminders alone). The demo waits for this."""
        with session_scope(self.engine) as session:
            outbox.beat(session, name=ROUND_BEAT, at=now, holder=self.holder)

    async def send_broadcasts(self) -> None:
        """Work through due broadcasts."""
        if self.stopping:
            return
        async with self._broadcasting:
            try:
                await run_broadcasts(
                    self.engine,
                    self.sender,
                    now=self.clock.now(),
                    holder=self.holder,
                    should_stop=lambda: self.stopping,
                )
            except Exception:
                log.exception("broadcast round failed")

    async def liveness(self) -> None:
        """Renew this instance's lease, share the rate budget, rescue a dead instance's work."""
        try:
            instances, rescued = await asyncio.to_thread(self._liveness_round)
        except Exception:
            log.exception("liveness round failed")
            return
        self.sender.share(instances)
        if rescued:
            log.warning("took back %d claims of an instance that stopped answering", rescued)

    def _liveness_round(self) -> tuple[int, int]:
        now = datetime.now(UTC)
        with session_scope(self.engine) as session:
            leases.acquire(
                session,
                name=leases.INSTANCE_PREFIX + self.holder,
                holder=self.holder,
                now=now,
                ttl=LIVENESS_TTL,
            )
            return (
                leases.live_instances(session, now=now),
                leases.release_claims_of_dead(session, now=now),
            )

    def _materialize_if_changed(self, now: datetime) -> None:
        with session_scope(self.engine) as session:
            fingerprint = _fingerprint(session)
            if fingerprint == self._fingerprint:
                return
            rows = materialize(session, now=now)
        self._fingerprint = fingerprint
        log.info("reminder rows materialized: %d", rows)


def _fingerprint(session: Session) -> tuple[object, ...]:
    """Cheap summary of what reminders depend on; a change triggers re-materialization."""
    queries = (
        select(func.count(), func.max(Person.id), func.count(col(Person.archived_at))),
        select(func.max(Plan.updated_at), func.count(col(Plan.archived_at))),
        select(func.max(PlanItem.updated_at), func.count(col(PlanItem.archived_at))),
        select(func.count(), func.count(col(ItemAgency.archived_at))),
        select(func.count(), func.max(CalendarDay.day)),
    )
    return tuple(tuple(session.exec(q).one()) for q in queries)
