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
    window: float = 1.02
    per_chat_interval: float = 1.05
    retries: int = 4
    backoff: float = 0.5


class RateGate:
    """Hands out send slots by priority under a sliding-window overall limit."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.per_second = limits.per_second  # this instance's share of the bot's budget
        self.clock = clock
        self._log: deque[float] = deque()  # when granted sends actually started
        self._in_transit = 0  # granted, not started yet (their task has not run yet)
        self._last_grant = float("-inf")
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

    async def acquire(self, priority: int) -> None:
        if self.closed:
            return
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
        if not self.closed:
            self._started()  # the caller sends right after this returns, in the same task step

    async def _dispatch(self) -> None:
        while self._waiters:
            delay = self._delay()
            if delay > 0:
                await asyncio.sleep(delay)
                continue
            _, _, future = heapq.heappop(self._waiters)
            if not future.done() and not self.closed:
                self._in_transit += 1
                self._last_grant = self.clock()
                future.set_result(None)

    def _started(self) -> None:
        """The granted send is going out now. Windows count start times, not grant times:
        a task that waited for the busy event loop after its grant starts later, and the
        next grants move later with it instead of bunching up at the server."""
        self._in_transit = max(0, self._in_transit - 1)
        self._log.append(self.clock())

    def _delay(self) -> float:
        """Seconds until the next slot: sends are spaced evenly (a burst of 30 in the first
        milliseconds of a window reaches the server unevenly and trips its window), and
        never more than ``per_second`` fall in one ``window``."""
        now = self.clock()
        while self._log and self._log[0] <= now - self.limits.window:
            self._log.popleft()
        wait = self._paused_until - now
        latest = max(self._log[-1] if self._log else float("-inf"), self._last_grant)
        wait = max(wait, latest + self.limits.window / self.per_second - now)
        if len(self._log) + self._in_transit >= self.per_second:
            oldest = self._log[0] + self.limits.window - now if self._log else TRANSIT_POLL
            wait = max(wait, oldest, TRANSIT_POLL if self._in_transit else 0.0)
        return wait


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
            await self.gate.acquire(priority)
            if self.closed:
                return SendResult(Outcome.STOPPED, error="instance stopping")
            self._hold_chat(channel, chat_id)
            result = await transport.deliver(chat_id, reply)
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
        await self.gate.acquire(priority)
        self._hold_chat(channel, chat_id)
        return await transport.edit(chat_id, message_id, reply)

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
            self._chat_free_at[(channel, chat_id)] = self.clock() + result.retry_after
            return
        await asyncio.sleep(self.limits.backoff * (2**attempt))

    def _count(self, outcome: Outcome) -> None:
        self.stats[outcome.value] = self.stats.get(outcome.value, 0) + 1
