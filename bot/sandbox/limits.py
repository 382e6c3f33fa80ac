"""Flood limits modelled on Telegram's Bots FAQ (see :class:`LimitsConfig`).

Exact rule, checked for every sending call (send*/editMessage*) in this order, and
consumed only when all three pass, so a refused call costs no quota:

1. overall: fewer than ``overall_per_second`` accepted calls in the last
   ``overall_window`` seconds (a sliding window; ``allow_paid_broadcast`` calls use a
   separate window of ``paid_per_second``);
2. private chat (chat id > 0): a token bucket per chat holding at most
   ``private_burst`` tokens, refilled continuously at ``private_per_second`` tokens per
   second; a call needs one whole token. Defaults: 3 messages at once, then 1/s;
3. group chat (integer chat id < 0): fewer than ``group_per_minute`` accepted calls to that chat
   in the last ``group_window`` seconds.

A refused call gets ``retry_after`` = the seconds until the blocking limit frees up,
rounded up to a whole second (at least 1), as Telegram sends integers.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from bot.sandbox.config import LimitsConfig

Clock = Callable[[], float]


class SlidingWindow:
    """At most ``limit`` events in any ``window`` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._stamps: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        """Seconds until one more event would fit (0 if it fits now)."""
        while self._stamps and self._stamps[0] <= now - self.window:
            self._stamps.popleft()
        if len(self._stamps) < self.limit:
            return 0.0
        return self._stamps[-self.limit] + self.window - now

    def add(self, now: float) -> None:
        self._stamps.append(now)


class TokenBucket:
    """``capacity`` tokens, refilled at ``rate`` tokens per second."""

    def __init__(self, capacity: int, rate: float, now: float) -> None:
        self.capacity = capacity
        self.rate = rate
        self._tokens = float(capacity)
        self._stamp = now

    def wait_time(self, now: float) -> float:
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        return 0.0 if self._tokens >= 1.0 else (1.0 - self._tokens) / self.rate

    def take(self) -> None:
        self._tokens -= 1.0


class RateLimiter:
    """Decides whether a sending call to ``chat_id`` is allowed right now."""

    def __init__(self, config: LimitsConfig, clock: Clock = time.monotonic) -> None:
        self.config = config
        self._clock = clock
        self._overall = SlidingWindow(config.overall_per_second, config.overall_window)
        self._paid = SlidingWindow(config.paid_per_second, config.overall_window)
        # Zalo chat ids are strings and always private chats here.
        self._private: dict[int | str, TokenBucket] = {}
        self._groups: dict[int, SlidingWindow] = {}

    def acquire(self, chat_id: int | str, paid: bool = False) -> int | None:
        """Consume quota and return ``None``, or return ``retry_after`` seconds."""
        if not self.config.enabled:
            return None
        now = self._clock()
        overall = self._paid if paid else self._overall
        chat_limit = self._chat_limit(chat_id, now)
        wait = max(overall.wait_time(now), chat_limit.wait_time(now))
        if wait > 0:
            return max(1, math.ceil(wait))
        overall.add(now)
        if isinstance(chat_limit, TokenBucket):
            chat_limit.take()
        else:
            chat_limit.add(now)
        return None

    def _chat_limit(self, chat_id: int | str, now: float) -> TokenBucket | SlidingWindow:
        if isinstance(chat_id, int) and chat_id < 0:
            window = self._groups.get(chat_id)
            if window is None:
                window = SlidingWindow(self.config.group_per_minute, self.config.group_window)
                self._groups[chat_id] = window
            return window
        bucket = self._private.get(chat_id)
        if bucket is None:
            bucket = TokenBucket(self.config.private_burst, self.config.private_per_second, now)
            self._private[chat_id] = bucket
        return bucket
