"""One tick of the clock: claim due reminder rows, coalesce, send, record.

The database is the truth: a tick owns only the rows it claimed, so a second tick, a
restart or another instance cannot send them again. Rows claimed for the same person and
item in one tick (several offsets missed during an outage) become one catch-up message.

A tick's database work does not grow with the number of reminders it sends: the claim,
the preparation of every message (``tick_prepare``) and the rows that need no send are
one transaction; the results of the sends are recorded as they come in, a few messages
per transaction (``tick_record``), so that a crash (SIGKILL) between a send and its
record can repeat only the few sends not recorded yet.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import Engine

from scheduler.sending import PRIORITY_REMINDER, PacedSender, SendResult
from scheduler.tick_prepare import Message, prepare
from scheduler.tick_record import Effects, Sent, TickReport, record, skipped
from storage import outbox
from storage.db import session_scope

__all__ = ["CLAIM_BATCH", "TickReport", "run_tick"]

CLAIM_BATCH = 500  # the most one round claims (limits off)
CLAIM_SECONDS = 4.0  # otherwise: what this instance sends in this long, at its share
RECORD_BATCH = 16  # sent-but-unrecorded messages are what a crash can repeat: keep it small
RECORD_EVERY = 0.25  # seconds a sent message may wait for its record at most (about)
Finished = asyncio.Queue[tuple[Message, list[SendResult] | Exception]]


async def run_tick(
    engine: Engine, sender: PacedSender, *, now: datetime, holder: str
) -> TickReport:
    """Claim what is due at ``now`` and send it; returns what happened (for logs and tests).

    The tick's heartbeat is written with its last record: when it is there, everything
    claimed at ``now`` has been sent and recorded.

    The tick works in rounds of about ``CLAIM_SECONDS`` of this instance's sending, so
    that with several instances sharing the bot's rate each claims its part of a busy
    morning instead of one claiming it all and sending it alone at its share.
    """
    report = TickReport()
    first = True
    while True:
        limit = sender.batch_size(CLAIM_SECONDS, most=CLAIM_BATCH)
        messages, last = await asyncio.to_thread(
            _claim_and_prepare, engine, now, report, holder=holder, limit=limit, first=first
        )
        first = False
        if messages:
            beat = holder if last else None
            await _send_and_record(engine, sender, messages, now, beat, report)
        if last or sender.closed:  # a stopping instance gives the rest back, claims no more
            return report


def _claim_and_prepare(
    engine: Engine, now: datetime, report: TickReport, *, holder: str, limit: int, first: bool
) -> tuple[list[Message], bool]:
    """Claim up to ``limit`` for ``holder`` (stale claims released first, in the tick's
    first round), prepare and record what needs no send, in one transaction; returns the
    messages to send and whether this was the last round (the claim was not full: nothing
    due is left for this instance). Should preparing fail as a whole (the database), the
    claim is rolled back with it and the rows wait for the next tick."""
    with session_scope(engine) as session:
        if first:
            outbox.release_stale_claims(session, now=now)
        claimed = outbox.claim_due(session, now=now, holder=holder, limit=limit)
        last = len(claimed) < limit
        messages = prepare(session, claimed, now)
        effects = Effects(now)
        for message in messages:
            if message.reply is None:
                skipped(effects, message)
        effects.write(session)
        to_send = [m for m in messages if m.reply is not None]
        if not to_send and last:
            outbox.beat(session, name="tick", at=now, holder=holder)
    report.claimed += len(claimed)
    report.add(effects.counts, effects.outcomes)
    return to_send, last


async def _send_and_record(
    engine: Engine,
    sender: PacedSender,
    messages: list[Message],
    now: datetime,
    beat: str | None,
    report: TickReport,
) -> None:
    """Send every message concurrently through the paced sender (it keeps the pace and the
    priorities) and record results as they complete: once ``RECORD_BATCH`` wait, or the
    oldest has waited ``RECORD_EVERY``, or all are done. One record runs at a time; the
    sends go on meanwhile."""
    finished: Finished = asyncio.Queue()
    tasks = [asyncio.create_task(_send(sender, m, finished)) for m in messages]
    batch = _Batch(engine, now, report)
    try:
        remaining = len(messages)
        while remaining:
            for item in await _finished(finished, batch.time_left()):
                batch.add(item)
                remaining -= 1
            if remaining and batch.due():  # the last record also writes the heartbeat
                await batch.record()
    finally:
        for task in tasks:
            task.cancel()  # no-op once all are done; when the tick itself is cancelled, stop
    await batch.record(beat=beat)
    batch.raise_error()


async def _send(sender: PacedSender, message: Message, finished: Finished) -> None:
    """Send one message to each of its chats in turn; put the results (or the error) on
    ``finished``."""
    assert message.reply is not None
    try:
        results = [
            await sender.send(channel, chat_id, message.reply, PRIORITY_REMINDER)
            for channel, chat_id in message.chats
        ]
    except Exception as exc:
        finished.put_nowait((message, exc))
        return
    finished.put_nowait((message, results))


async def _finished(
    finished: Finished, timeout: float | None
) -> list[tuple[Message, list[SendResult] | Exception]]:
    """Every send finished by now, waiting up to ``timeout`` for the first (none if that
    passes: the batch waiting has to be recorded first)."""
    items = []
    if finished.empty():  # (a get with timeout 0 would not even take what is there)
        try:
            items.append(await asyncio.wait_for(finished.get(), timeout))
        except TimeoutError:
            return []
    while not finished.empty():
        items.append(finished.get_nowait())
    return items


class _Batch:
    """Sent messages waiting to be recorded, and the first error of a send or a record.

    An error does not stop the tick: the rows of a send that raised stay claimed (released
    once stale, then sent again), as they did when an error ended the tick, and everything
    else is still sent and recorded; the error is raised at the end, and the tick writes
    no heartbeat.
    """

    def __init__(self, engine: Engine, now: datetime, report: TickReport) -> None:
        self.engine, self.now, self.report = engine, now, report
        self.done: list[Sent] = []
        self.since: float | None = None
        self.error: Exception | None = None

    def add(self, item: tuple[Message, list[SendResult] | Exception]) -> None:
        message, results = item
        if isinstance(results, Exception):
            self.error = self.error or results
            return
        if self.since is None:
            self.since = asyncio.get_running_loop().time()
        self.done.append((message, results))

    def time_left(self) -> float | None:
        """Seconds until the oldest waiting message has to be recorded (None: none waits)."""
        if self.since is None:
            return None
        return max(0.0, self.since + RECORD_EVERY - asyncio.get_running_loop().time())

    def due(self) -> bool:
        return len(self.done) >= RECORD_BATCH or self.time_left() == 0.0

    async def record(self, beat: str | None = None) -> None:
        """Record what waits (with the tick's heartbeat for the holder ``beat`` if given and
        nothing failed)."""
        done, self.done, self.since = self.done, [], None
        holder = beat if self.error is None else None
        if not done and holder is None:
            return
        try:
            await asyncio.to_thread(record, self.engine, done, self.now, self.report, holder)
        except Exception as exc:
            self.error = self.error or exc

    def raise_error(self) -> None:
        if self.error is not None:
            raise self.error
