"""Send due broadcasts through the paced sender, one durable delivery row per recipient.

A delivery row is claimed before the send and finished after it, so a crash or restart
resumes where it stopped: nobody is skipped, and only the sends in flight at the moment
of the crash can go out twice (their claims go stale and are released).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import Engine

from bot.core.replies import Reply
from scheduler.sending import PRIORITY_BROADCAST, Outcome, PacedSender, SendResult
from scheduler.unreachable import mark_blocked
from storage import broadcasts, people
from storage.db import session_scope
from storage.models import Broadcast, Delivery, OutboxState

CLAIM_BATCH = 200
CONCURRENCY = 64
MAX_ATTEMPTS = 5
ProgressHook = Callable[[Broadcast, dict[str, int]], Awaitable[None]]


async def run_broadcasts(
    engine: Engine,
    sender: PacedSender,
    *,
    now: datetime,
    holder: str,
    on_progress: ProgressHook | None = None,
) -> int:
    """Work through every due broadcast; returns how many deliveries were attempted."""
    due = await asyncio.to_thread(_start_due, engine, now)
    attempted = 0
    for broadcast in due:
        attempted += await _run_one(engine, sender, broadcast, now, holder, on_progress)
    return attempted


def _start_due(engine: Engine, now: datetime) -> list[Broadcast]:
    with session_scope(engine) as session:
        due = broadcasts.due_broadcasts(session, now=now)
        for broadcast in due:
            if broadcast.state == "scheduled":
                broadcast.state, broadcast.started_at = "sending", now
                session.add(broadcast)
        return due


async def _run_one(
    engine: Engine,
    sender: PacedSender,
    broadcast: Broadcast,
    now: datetime,
    holder: str,
    on_progress: ProgressHook | None,
) -> int:
    seen: set[int] = set()
    gate = asyncio.Semaphore(CONCURRENCY)
    reply = Reply(broadcast.text)
    while True:
        batch = await asyncio.to_thread(_claim, engine, broadcast.id or 0, now, holder)
        fresh = [d for d in batch if d.id not in seen]
        if not fresh:
            break
        seen.update(d.id or 0 for d in fresh)
        await asyncio.gather(*(_deliver(engine, sender, d, reply, now, gate) for d in fresh))
        if on_progress is not None:
            await on_progress(broadcast, await asyncio.to_thread(_counts, engine, broadcast))
    await asyncio.to_thread(_close_if_done, engine, broadcast, now)
    return len(seen)


def _claim(engine: Engine, broadcast_id: int, now: datetime, holder: str) -> list[Delivery]:
    with session_scope(engine) as session:
        return broadcasts.claim_deliveries(
            session, broadcast_id=broadcast_id, now=now, holder=holder, limit=CLAIM_BATCH
        )


async def _deliver(
    engine: Engine,
    sender: PacedSender,
    delivery: Delivery,
    reply: Reply,
    now: datetime,
    gate: asyncio.Semaphore,
) -> None:
    async with gate:
        chats = await asyncio.to_thread(_chats, engine, delivery.person_id)
        results = [
            await sender.send(channel, chat_id, reply, PRIORITY_BROADCAST)
            for channel, chat_id in chats
        ]
        await asyncio.to_thread(_record, engine, delivery, chats, results, now)


def _chats(engine: Engine, person_id: int) -> list[tuple[str, str]]:
    with session_scope(engine) as session:
        return [(i.channel, i.chat_id) for i in people.identities(session, person_ids=[person_id])]


def _record(
    engine: Engine,
    delivery: Delivery,
    chats: list[tuple[str, str]],
    results: list[SendResult],
    now: datetime,
) -> None:
    outcomes = {r.outcome for r in results}
    error = "; ".join(r.error or "" for r in results) or None
    with session_scope(engine) as session:
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
        return OutboxState.BLOCKED  # nobody reachable: every chat blocked before
    if Outcome.RETRY in outcomes:
        return OutboxState.PENDING if attempts + 1 < MAX_ATTEMPTS else OutboxState.FAILED
    if Outcome.BLOCKED in outcomes:
        return OutboxState.BLOCKED
    return OutboxState.FAILED


def _counts(engine: Engine, broadcast: Broadcast) -> dict[str, int]:
    with session_scope(engine) as session:
        return broadcasts.delivery_counts(session, broadcast_id=broadcast.id or 0)


def _close_if_done(engine: Engine, broadcast: Broadcast, now: datetime) -> None:
    with session_scope(engine) as session:
        counts = broadcasts.delivery_counts(session, broadcast_id=broadcast.id or 0)
        if counts.get(OutboxState.PENDING, 0) or counts.get(OutboxState.CLAIMED, 0):
            return
        row = session.get(Broadcast, broadcast.id)
        if row is not None and row.state != "done":
            row.state, row.finished_at = "done", now
            session.add(row)
