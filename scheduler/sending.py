"""The paced sender shared by reminders and broadcasts.

Policy (DESIGN.md principle 3 and Telegram's published limits):
- stay under the limits instead of discovering them through 429s: at most
  ``per_second`` sends in any window of ``window`` seconds overall (a sliding log, a
  little wider than one second to absorb loopback jitter), and one send per
  ``per_chat_interval`` seconds to the same chat;
- a 429 is honoured: the chat waits ``retry_after`` and so does everyone (Telegram's
  flood control is per bot);
- network errors and 5xx are retried here with exponential backoff, a few times;
- 403 (blocked, deactivated) is permanent and never retried; 400 is a bug: not retried;
- reminders are never starved by a broadcast: every send names a priority and the
  next free slot always goes to the most urgent waiter.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.core.replies import Reply

PRIORITY_REMINDER = 0
PRIORITY_BROADCAST = 10
TRANSIT_POLL = 0.005  # seconds: how soon to look again while granted sends have not started
CATCH_UP_SLOTS = 3  # how many spacings of event-loop lateness the rate gate makes up
WIDEN_ON_429 = 0.01  # seconds added to the gate's window after each 429 answer...
MAX_WINDOW = 1.1  # ...up to this: the margin grows to fit this network's jitter


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # transient: 429, 5xx, network; try again later
    BLOCKED = "blocked"  # 403: the person blocked the bot or was deactivated
    FAILED = "failed"  # 400 and other permanent errors
    INVALID_TOKEN = "invalid_token"  # 401/404 on the bot's own token: stop everything
    STOPPED = "stopped"  # not attempted: this instance is stopping (give the row back)


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    message_id: str | None = None
    retry_after: float | None = None
    error: str | None = None


class Transport(Protocol):
    """One channel's way to deliver a reply; maps its errors onto ``Outcome``s."""

    channel: str

    async def deliver(self, chat_id: str, reply: Reply) -> SendResult: ...

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> SendResult:
        """Replace the text of a message sent earlier (progress reports)."""
        ...


@dataclass(frozen=True)
class Limits:
    per_second: int = 30
    # 25 ms wider than Telegram's second: the margin for the delay between the moment the
    # gate counts a send and the moment the server receives it (measured up to 5 ms on
    # loopback under load; bench 1), so 30 sends never land inside one server second.
    window: float = 1.025
    # The server counts a send when it arrives, somewhere between our start and its answer.
    # The 31st send waits until one server second after the answer to the 1st came back
    # (so even a send delayed in transit cannot squeeze 31 into the server's second), but
    # never longer than ``transit_cap`` past that send's start. On loopback the answer comes
    # within milliseconds and the cap costs nothing; it covers a pause of the bot between
    # counting a send and writing it (a garbage collection, a preempted process: 60 ms was
    # exceeded once in CI). On a slow link (Telegram from far away, 150-250 ms) it caps the
    # rate at 30 / (1 + cap) = 0.87 of the limit, with ``widen`` as the backstop.
    transit_cap: float = 0.15
    server_window: float = 1.001
    per_chat_interval: float = 1.05
    retries: int = 4
    backoff: float = 0.5


@dataclass(slots=True)
class SendSlot:
    """One granted send in the gate's log: when it started and the latest moment the
    server can have received it (its answer, or ``transit_cap`` after the start)."""

    started: float
    arrived_by: float

    def expires(self, window: float, server_window: float) -> float:
        """When this send stops counting against the next ``per_second`` sends."""
        return max(self.started + window, self.arrived_by + server_window)


class RateGate:
    """Hands out send slots by priority under a sliding-window overall limit."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.per_second = limits.per_second  # this instance's share of the bot's budget
        self.window = limits.window  # widened by ``widen`` when the server still says 429
        self.clock = clock
        self._log: deque[SendSlot] = deque()  # granted sends, in the order they started
        self._in_transit = 0  # granted, not started yet (their task has not run yet)
        self._next_slot = float("-inf")  # when the next slot is scheduled to open
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._paused_until = 0.0
        self._runner: asyncio.Task[None] | None = None
        self.closed = False

    def release_all(self) -> None:
        """Wake every waiter at once, without a slot (the sender is closing: they give up)."""
        self.closed = True
        while self._waiters:
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)

    def pause(self, seconds: float) -> None:
        """Flood control: nobody sends for ``seconds``."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    def widen(self) -> None:
        """A 429 despite the gate means sends reached the server closer together than the
        gate spaced them (transit jitter larger than the window's margin): widen the margin
        a little for the rest of the run, so one jittery network costs one 429, not many."""
        self.window = min(MAX_WINDOW, self.window + WIDEN_ON_429)

    async def acquire(self, priority: int) -> SendSlot | None:
        """Wait for a slot; the caller sends at once and reports back with ``finished``.
        None when the gate is closing (the caller must not send)."""
        if self.closed:
            return None
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._order), future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._dispatch())
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._in_transit = max(0, self._in_transit - 1)  # granted, never used
            raise
        if self.closed:
            return None
        return self._started()  # the caller sends right after this returns, in the same step

    def finished(self, slot: SendSlot | None) -> None:
        """The answer to ``slot``'s send came back: the server had it by now."""
        if slot is not None:
            slot.arrived_by = min(slot.arrived_by, self.clock())

    async def _dispatch(self) -> None:
        idle = True  # the first grant of a run opens a fresh schedule: nothing to make up
        while self._waiters:
            delay = self._delay()
            if delay > 0:
                await asyncio.sleep(delay)
                continue
            _, _, future = heapq.heappop(self._waiters)
            if not future.done() and not self.closed:
                self._in_transit += 1
                self._schedule_next(self.clock(), idle)
                idle = False
                future.set_result(None)

    def _schedule_next(self, granted_at: float, idle: bool) -> None:
        """Slots open on a schedule, one spacing after the previous *scheduled* slot, not
        after the previous grant: the event loop always wakes a little late (sleep overshoot,
        other tasks, database threads holding the GIL), and timing each slot from the last
        grant would add that lateness to every interval and never make it up (measured:
        0.956 of the limit instead of 0.98). Lateness of up to ``CATCH_UP_SLOTS`` spacings is
        made up; beyond that (a long stall) the schedule restarts from now rather than
        releasing a burst. The sliding-window check in ``_delay`` still bounds every window."""
        step = self.window / self.per_second
        scheduled = granted_at if idle else max(self._next_slot, granted_at - CATCH_UP_SLOTS * step)
        self._next_slot = scheduled + step

    def _started(self) -> SendSlot:
        """The granted send is going out now. Windows count start times, not grant times:
        a task that waited for the busy event loop after its grant starts later, and the
        next grants move later with it instead of bunching up at the server."""
        self._in_transit = max(0, self._in_transit - 1)
        now = self.clock()
        slot = SendSlot(started=now, arrived_by=now + self.limits.transit_cap)
        self._log.append(slot)
        return slot

    def _delay(self) -> float:
        """Seconds until the next slot: sends are spaced evenly (a burst of 30 in the first
        milliseconds of a window reaches the server unevenly and trips its window), and
        never more than ``per_second`` fall in one ``window``."""
        now = self.clock()
        window, server_window = self.window, self.limits.server_window
        while self._log and self._log[0].expires(window, server_window) <= now:
            self._log.popleft()  # the cheap part: the oldest usually expires first
        wait = max(self._paused_until - now, self._next_slot - now)
        if len(self._log) + self._in_transit >= self.per_second:
            expiries = self._live_expiries(now)
            if len(expiries) + self._in_transit >= self.per_second:
                soonest = min(expiries) - now if expiries else TRANSIT_POLL
                wait = max(wait, soonest, TRANSIT_POLL if self._in_transit else 0.0)
        return wait

    def _live_expiries(self, now: float) -> list[float]:
        """Expiry times of the sends that still count, dropping the expired ones. The log
        is ordered by start, not by expiry (answers come back out of order), so it is
        scanned whole: it holds about ``per_second`` entries."""
        window, server_window = self.window, self.limits.server_window
        live = [slot for slot in self._log if slot.expires(window, server_window) > now]
        if len(live) != len(self._log):
            self._log = deque(live)
        return [slot.expires(window, server_window) for slot in live]


class PacedSender:
    """Send through the right transport, within the limits, retrying what is transient."""

    def __init__(
        self,
        transports: dict[str, Transport],
        limits: Limits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.transports = transports
        self.limits = limits or Limits()
        self.clock = clock
        self.gate = RateGate(self.limits, clock)
        self._chat_free_at: dict[tuple[str, str], float] = {}
        self.stats: dict[str, int] = {}
        self.closed = False

    async def send(
        self, channel: str, chat_id: str, reply: Reply, priority: int = PRIORITY_REMINDER
    ) -> SendResult:
        transport = self.transports.get(channel)
        if transport is None:
            return SendResult(Outcome.FAILED, error=f"no transport for channel {channel!r}")
        result = SendResult(Outcome.RETRY, error="not attempted")
        for attempt in range(self.limits.retries + 1):
            await self._wait_for_chat(channel, chat_id)
            slot = await self.gate.acquire(priority)
            if self.closed:
                return SendResult(Outcome.STOPPED, error="instance stopping")
            self._hold_chat(channel, chat_id)
            try:
                result = await transport.deliver(chat_id, reply)
            finally:
                self.gate.finished(slot)
            self._count(result.outcome)
            if result.outcome is not Outcome.RETRY or attempt == self.limits.retries:
                return result
            await self._back_off(channel, chat_id, result, attempt)
        return result

    def close(self) -> None:
        """Stop sending: sends still waiting for a slot return ``STOPPED`` untried, so a
        stopping instance can give their rows back instead of racing the other instances."""
        self.closed = True
        self.gate.release_all()

    def batch_size(self, seconds: float, *, least: int = 16, most: int = 500) -> int:
        """How many messages this instance sends in ``seconds`` at its current share of the
        rate, within [least, most]: what a worker should claim at a time."""
        return max(least, min(most, int(self.gate.per_second * seconds)))

    def share(self, instances: int) -> None:
        """Telegram's limits are per bot: with ``instances`` sending, each takes its share."""
        self.gate.per_second = max(1, self.limits.per_second // max(1, instances))

    async def edit(
        self,
        channel: str,
        chat_id: str,
        message_id: str,
        reply: Reply,
        priority: int = PRIORITY_REMINDER,
    ) -> SendResult:
        """Edit a message within the same limits (edits count as sends on Telegram)."""
        transport = self.transports.get(channel)
        if transport is None:
            return SendResult(Outcome.FAILED, error=f"no transport for channel {channel!r}")
        await self._wait_for_chat(channel, chat_id)
        slot = await self.gate.acquire(priority)
        self._hold_chat(channel, chat_id)
        try:
            return await transport.edit(chat_id, message_id, reply)
        finally:
            self.gate.finished(slot)

    def _hold_chat(self, channel: str, chat_id: str) -> None:
        """The send goes out now: the chat's next slot is an interval away (never earlier
        than a slot another send already reserved)."""
        key = (channel, chat_id)
        ready = self.clock() + self.limits.per_chat_interval
        self._chat_free_at[key] = max(self._chat_free_at.get(key, 0.0), ready)

    async def _wait_for_chat(self, channel: str, chat_id: str) -> None:
        """Reserve this chat's next slot before waiting for it, so concurrent sends to one
        chat (a person's several reminders in one tick) queue up instead of going together."""
        key, now = (channel, chat_id), self.clock()
        start = max(now, self._chat_free_at.get(key, 0.0))
        self._chat_free_at[key] = start + self.limits.per_chat_interval
        if start > now:
            await asyncio.sleep(start - now)

    async def _back_off(self, channel: str, chat_id: str, result: SendResult, attempt: int) -> None:
        if result.retry_after is not None:  # 429: honour it, for everyone
            self.gate.pause(result.retry_after)
            self.gate.widen()
            self._chat_free_at[(channel, chat_id)] = self.clock() + result.retry_after
            return
        await asyncio.sleep(self.limits.backoff * (2**attempt))

    def _count(self, outcome: Outcome) -> None:
        self.stats[outcome.value] = self.stats.get(outcome.value, 0) + 1
