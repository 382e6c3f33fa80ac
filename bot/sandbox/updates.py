"""The bot's pending updates, with Telegram's getUpdates semantics.

Updates stay queued until confirmed: a ``getUpdates`` with ``offset`` confirms (drops)
every update whose id is below it, as Telegram does, so a poller that crashes before
confirming gets the same updates again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.sandbox.records import Signal


class UpdateQueue:
    """Pending updates plus the one long-polling request allowed at a time."""

    def __init__(self) -> None:
        self._items: list[dict[str, Any]] = []
        self._next_id = 1
        self.signal = Signal()
        self.poller: web.Request | None = None

    def put(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue an update of ``kind`` (``message``, ``callback_query``, ...)."""
        update_id = self._next_id
        self._next_id += 1
        self._items.append({"update_id": update_id, kind: payload})
        self.signal.fire()
        return update_id

    def pending(self) -> int:
        return len(self._items)

    def confirm(self, offset: int) -> None:
        """Apply ``offset``: positive drops ids below it; ``-n`` keeps only the last n."""
        if offset < 0:
            self._items = self._items[offset:]
        elif offset > 0:
            self._items = [u for u in self._items if u["update_id"] >= offset]

    def first(self) -> dict[str, Any] | None:
        return self._items[0] if self._items else None

    def drop(self, update_id: int) -> None:
        self._items = [u for u in self._items if u["update_id"] != update_id]

    def clear(self) -> None:
        self._items.clear()

    async def take(
        self, offset: int, limit: int, timeout: float, cancelled: Callable[[], bool]
    ) -> list[dict[str, Any]]:
        """Confirm ``offset`` and return up to ``limit`` updates, long-polling
        ``timeout`` seconds when none is pending; ``cancelled()`` (a webhook was set
        meanwhile) ends the poll empty, so no update goes both ways."""
        self.confirm(offset)
        await self.signal.wait_until(lambda: bool(self._items) or cancelled(), timeout)
        return [] if cancelled() else self._items[:limit]

    def poller_busy(self) -> bool:
        """Whether another getUpdates request is still waiting on a live connection.

        A client that gave up (cancelled, timed out) has closed its connection; its
        abandoned request must not lock out the next poller, as Telegram's doesn't.
        """
        poller = self.poller
        if poller is None:
            return False
        transport = poller.transport
        return transport is not None and not transport.is_closing()

    def close(self) -> None:
        """Wake long-polls so shutdown does not wait for their time-outs."""
        self.signal.close()
