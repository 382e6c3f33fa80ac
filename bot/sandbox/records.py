"""What the sandbox remembers for the control API: sent log, callback answers, stats.

Waiting is event-driven (:class:`Signal`), so tests block on ``/control/wait`` until
the bot has acted instead of sleeping and hoping.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


class Signal:
    """Wakes every waiter whenever something changed; waiters re-check a predicate."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.closed = False

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    def close(self) -> None:
        """End every wait now (shutdown or reset) instead of at its time-out."""
        self.closed = True
        self.fire()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``predicate()`` holds; ``False`` if ``timeout`` passed first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, timeout)
        while not predicate():
            if self.closed:
                return False
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self._event.wait(), remaining)
            except TimeoutError:
                return predicate()
        return True


@dataclass
class SentRecord:
    """One bot call that produced or changed a message (Zalo ids are strings)."""

    id: int
    method: str
    chat_id: int | str
    message_id: int | str
    channel: str = "telegram"
    text: str | None = None
    caption: str | None = None
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    file: dict[str, Any] | None = None
    ts: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class SentLog:
    """Ordered, append-only log of sends and edits with long-poll waiting."""

    def __init__(self) -> None:
        self.records: list[SentRecord] = []
        self.signal = Signal()

    def add(self, **fields: Any) -> SentRecord:
        record = SentRecord(id=len(self.records) + 1, **fields)
        self.records.append(record)
        self.signal.fire()
        return record

    def query(
        self,
        chat_id: int | str | None = None,
        since_id: int = 0,
        method: str | None = None,
        channel: str | None = None,
    ) -> list[SentRecord]:
        """Records after ``since_id``, optionally for one chat, method and/or channel.

        Chat ids compare as text, so ``"100001"`` from a query string finds chat 100001.
        """
        chat = None if chat_id is None else str(chat_id)
        return [
            r
            for r in self.records[max(0, since_id) :]
            if (chat is None or str(r.chat_id) == chat)
            and (method is None or r.method == method)
            and (channel is None or r.channel == channel)
        ]

    @property
    def last_id(self) -> int:
        return len(self.records)


@dataclass
class Stats:
    """Counters for ``/control/stats`` (benchmarks derive rates from them)."""

    requests: Counter[str] = field(default_factory=Counter)
    errors: Counter[int] = field(default_factory=Counter)  # Bot API errors by HTTP status
    sent_messages: int = 0
    edited_messages: int = 0
    rate_limited: int = 0  # 429s answered (limits and storms)
    server_errors: int = 0  # injected 5xx answered
    timeouts: int = 0
    resets: int = 0
    forbidden: int = 0
    bad_requests: int = 0
    webhook_deliveries: int = 0
    webhook_failures: int = 0
    first_send_ts: float | None = None
    last_send_ts: float | None = None

    def count_send(self, edit: bool) -> None:
        now = time.time()
        if edit:
            self.edited_messages += 1
        else:
            self.sent_messages += 1
        self.first_send_ts = self.first_send_ts or now
        self.last_send_ts = now

    def count_error(self, code: int) -> None:
        self.errors[code] += 1
        if code == 429:
            self.rate_limited += 1
        elif code >= 500:
            self.server_errors += 1
        elif code == 403:
            self.forbidden += 1
        elif code == 400:
            self.bad_requests += 1

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["requests"] = dict(self.requests)
        data["errors"] = {str(code): n for code, n in sorted(self.errors.items())}
        data["total_requests"] = sum(self.requests.values())
        return data
