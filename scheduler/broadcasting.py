"""Send due broadcasts through the paced sender, one durable delivery row per recipient.

A delivery row is claimed before the send and finished after it, so a crash or restart
resumes where it stopped: nobody is skipped, and only the sends in flight at the moment
of the crash can go out twice (an instance releases its own claims when it starts again;
another instance's claims are released once they are stale).

Deliveries are sent by a bounded pool of concurrent sends fed continuously from the
queue, so one slow recipient (a time-out) never holds up the others; the paced sender
keeps the whole flow under the channel's limits. The admin who started a broadcast in
chat sees a progress message that is edited as it goes, then a final report.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from bot.core.broadcast_text import final_reply, progress_reply
from bot.core.replies import Reply
from bot.i18n import translator
from scheduler.sending import PRIORITY_BROADCAST, Outcome, PacedSender, SendResult
from scheduler.unreachable import mark_blocked
from storage import broadcasts, people
from storage.db import session_scope
from storage.models import Broadcast, Delivery, OutboxState

CLAIM_BATCH = 200  # the most one claim takes (limits off)
CLAIM_SECONDS = 4.0  # otherwise: what this instance can send in this long, at its share
CONCURRENCY = 64
MAX_ATTEMPTS = 5
PROGRESS_EVERY_SECONDS = 3.0
# Sent-but-unrecorded rows are what a crash (SIGKILL) can repeat: record sends at most this
# old (at Telegram's 30/s, about 8 of them), or this many at a time when sending faster.
RECORD_BATCH = 64
RECORD_SECONDS = 0.25


async def run_broadcasts(
    engine: Engine,
    sender: PacedSender,
    *,
    now: datetime,
    holder: str,
    should_stop: Callable[[], bool] = lambda: False,
) -> int:
    """Work through every due broadcast; returns how many deliveries were attempted.

    ``should_stop`` is checked before each claim: a stopping instance claims nothing new
    and lets what it has in flight finish.
    """
    due = await asyncio.to_thread(_start_due, engine, now)
    attempted = 0
    for broadcast in due:
        run = BroadcastRun(engine, sender, broadcast, now, holder, should_stop)
        attempted += await run.run()
    return attempted


def _start_due(engine: Engine, now: datetime) -> list[Broadcast]:
    with session_scope(engine) as session:
        due = broadcasts.due_broadcasts(session, now=now)
        for broadcast in due:
            if broadcast.state == "scheduled":
                broadcast.state, broadcast.started_at = "sending", now
                session.add(broadcast)
        return due


class BroadcastRun:
    """One pass over a broadcast's pending deliveries."""

    def __init__(
        self,
        engine: Engine,
        sender: PacedSender,
        broadcast: Broadcast,
        now: datetime,
        holder: str,
        should_stop: Callable[[], bool],
    ) -> None:
        self.engine, self.sender, self.broadcast = engine, sender, broadcast
        self.should_stop = should_stop
        self.now, self.holder = now, holder
        self.reply = Reply(broadcast.text)
        self.gate = asyncio.Semaphore(CONCURRENCY)
        self.claimed = 0  # deliveries this pass took (a pass never claims a row twice)
        self.cursor = 0  # the highest delivery id this pass has claimed
        self.last_progress = 0.0
        self.chats: dict[int, list[tuple[str, str]]] = {}
        self.outcomes: list[tuple[Delivery, list[tuple[str, str]], list[SendResult]]] = []
        self.oldest_outcome = 0.0  # monotonic time of the oldest unrecorded outcome

    async def run(self) -> int:
        await self._report_progress(force=True)
        in_flight: set[asyncio.Task[None]] = set()
        while True:
            if len(in_flight) < self._claim_size() // 2 and not self.should_stop():
                fresh = await self._claim_fresh()
                in_flight.update(asyncio.create_task(self._deliver(d)) for d in fresh)
                if not fresh and not in_flight:
                    break
            elif not in_flight:
                break
            if in_flight:
                _done, in_flight = await asyncio.wait(
                    in_flight, return_when=asyncio.FIRST_COMPLETED
                )
            if self._record_due() or not in_flight:
                await self._flush()
            await self._report_progress()
        await self._flush()
        if await asyncio.to_thread(_close_if_done, self.engine, self.broadcast, self.now):
            await self._report_final()
        return self.claimed

    def _claim_size(self) -> int:
        """Claim about ``CLAIM_SECONDS`` of this instance's sending: with several instances
        sharing the rate, one that claims everything would send it alone at its share while
        the others wait."""
        return self.sender.batch_size(CLAIM_SECONDS, most=CLAIM_BATCH)

    def _record_due(self) -> bool:
        if not self.outcomes:
            return False
        age = time.monotonic() - self.oldest_outcome
        return len(self.outcomes) >= RECORD_BATCH or age >= RECORD_SECONDS

    async def _claim_fresh(self) -> list[Delivery]:
        batch, chats = await asyncio.to_thread(
            _claim,
            self.engine,
            self.broadcast.id or 0,
            self.now,
            self.holder,
            self._claim_size(),
            self.cursor,  # forward only: rows given back for a retry wait for the next pass
        )
        self.claimed += len(batch)
        self.cursor = max((d.id or 0 for d in batch), default=self.cursor)
        self.chats.update(chats)
        return batch

    async def _deliver(self, delivery: Delivery) -> None:
        async with self.gate:
            chats = self.chats.get(delivery.person_id, [])
            results = [
                await self.sender.send(channel, chat_id, self.reply, PRIORITY_BROADCAST)
                for channel, chat_id in chats
            ]
            if not self.outcomes:
                self.oldest_outcome = time.monotonic()
            self.outcomes.append((delivery, chats, results))

    async def _flush(self) -> None:
        """Record finished sends in one transaction. Per-send transactions would cost the
        event loop its timing: database work in threads competes for the interpreter."""
        if self.outcomes:
            outcomes, self.outcomes = self.outcomes, []
            await asyncio.to_thread(_record_all, self.engine, outcomes, self.now)

    async def _report_progress(self, force: bool = False) -> None:
        chat = _progress_chat(self.broadcast)
        if chat is None or (
            not force and time.monotonic() - self.last_progress < PROGRESS_EVERY_SECONDS
        ):
            return
        self.last_progress = time.monotonic()
        counts = await asyncio.to_thread(_counts, self.engine, self.broadcast)
        reply = progress_reply(translator("vi"), broadcast_id=self.broadcast.id or 0, counts=counts)
        await self._show(chat, reply)

    async def _show(self, chat: tuple[str, str], reply: Reply) -> None:
        message_id = self.broadcast.progress_message_id
        if message_id:
            await self.sender.edit(*chat, message_id, reply)
            return
        result = await self.sender.send(*chat, reply)
        if result.message_id:
            self.broadcast.progress_message_id = result.message_id
            await asyncio.to_thread(_save_progress_id, self.engine, self.broadcast)

    async def _report_final(self) -> None:
        chat = _progress_chat(self.broadcast)
        if chat is None:
            return
        counts = await asyncio.to_thread(_counts, self.engine, self.broadcast)
        t = translator("vi")
        await self._show(
            chat, progress_reply(t, broadcast_id=self.broadcast.id or 0, counts=counts)
        )
        await self.sender.send(
            *chat, final_reply(t, broadcast_id=self.broadcast.id or 0, counts=counts)
        )


def _progress_chat(broadcast: Broadcast) -> tuple[str, str] | None:
    if broadcast.progress_channel and broadcast.progress_chat_id:
        return broadcast.progress_channel, broadcast.progress_chat_id
    return None


def _save_progress_id(engine: Engine, broadcast: Broadcast) -> None:
    with session_scope(engine) as session:
        row = session.get(Broadcast, broadcast.id)
        if row is not None:
            row.progress_message_id = broadcast.progress_message_id
            session.add(row)


def _claim(
    engine: Engine,
    broadcast_id: int,
    now: datetime,
    holder: str,
    limit: int,
    after_id: int,
) -> tuple[list[Delivery], dict[int, list[tuple[str, str]]]]:
    """Claim a batch and look up the recipients' chats in the same transaction."""
    with session_scope(engine) as session:
        batch = broadcasts.claim_deliveries(
            session,
            broadcast_id=broadcast_id,
            now=now,
            holder=holder,
            limit=limit,
            after_id=after_id,
        )
        chats = people.chats_by_person(session, person_ids={d.person_id for d in batch})
        return batch, {d.person_id: chats.get(d.person_id, []) for d in batch}


def _record_all(
    engine: Engine,
    outcomes: list[tuple[Delivery, list[tuple[str, str]], list[SendResult]]],
    now: datetime,
) -> None:
    with session_scope(engine) as session:
        sent: list[int] = []
        for delivery, chats, results in outcomes:
            if all(r.outcome is Outcome.SENT for r in results) and results:
                sent.append(delivery.id or 0)  # the common case: one statement for all
            else:
                _record(session, delivery, chats, results, now)
        broadcasts.finish_deliveries(
            session, delivery_ids=sent, state=OutboxState.SENT, now=now, error=None
        )


def _record(
    session: Session,
    delivery: Delivery,
    chats: list[tuple[str, str]],
    results: list[SendResult],
    now: datetime,
) -> None:
    outcomes = {r.outcome for r in results}
    error = "; ".join(r.error or "" for r in results) or None
    for (channel, chat_id), result in zip(chats, results, strict=True):
        if result.outcome is Outcome.BLOCKED:
            mark_blocked(session, channel=channel, chat_id=chat_id, now=now)
    state = _state_for(outcomes, delivery.attempts)
    if state == OutboxState.PENDING:
        broadcasts.release_delivery(session, delivery_id=delivery.id or 0, error=error or "")
    else:
        broadcasts.finish_delivery(
            session,
            delivery_id=delivery.id or 0,
            state=state,
            now=now,
            error=error if state != OutboxState.SENT else None,
        )


def _state_for(outcomes: set[Outcome], attempts: int) -> str:
    if Outcome.SENT in outcomes:
        return OutboxState.SENT
    if not outcomes:
        return OutboxState.BLOCKED  # nobody reachable: every chat was blocked before
    if Outcome.STOPPED in outcomes:
        return OutboxState.PENDING  # never tried: another instance sends it
    if Outcome.RETRY in outcomes:
        return OutboxState.PENDING if attempts + 1 < MAX_ATTEMPTS else OutboxState.FAILED
    if Outcome.BLOCKED in outcomes:
        return OutboxState.BLOCKED
    return OutboxState.FAILED


def _counts(engine: Engine, broadcast: Broadcast) -> dict[str, int]:
    with session_scope(engine) as session:
        return broadcasts.delivery_counts(session, broadcast_id=broadcast.id or 0)


def _close_if_done(engine: Engine, broadcast: Broadcast, now: datetime) -> bool:
    """Mark the broadcast done when no delivery is left; True when this call closed it."""
    with session_scope(engine) as session:
        counts = broadcasts.delivery_counts(session, broadcast_id=broadcast.id or 0)
        if counts.get(OutboxState.PENDING, 0) or counts.get(OutboxState.CLAIMED, 0):
            return False
        row = session.get(Broadcast, broadcast.id)
        if row is None or row.state == "done":
            return False
        row.state, row.finished_at = "done", now
        session.add(row)
        return True
