"""Updates of different chats handled at once, those of one chat one after the other.

python-telegram-bot handles one update at a time by default: a reply that waits on the
network holds up every other chat, and one person pressing buttons quickly delays
everybody's replies. ``concurrent_updates(N)`` lifts that but handles two updates of the
same chat at once too (a double tap), so the steps of one dialogue could interleave. This
processor keeps each chat's updates in the order they arrived and lets different chats run
side by side, up to ``limit`` at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Hashable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# PTB's own gate (``max_concurrent_updates``) is taken before ``do_process_update`` is called.
# Kept out of the way: an update waiting for its chat while holding one of a few slots would
# let one busy chat take them all. Here a slot is taken once the chat's turn has come.
_UNGATED = 1 << 30


class PerChatProcessor(BaseUpdateProcessor):
    """Different chats concurrently (at most ``limit`` updates running), each chat in order."""

    def __init__(self, limit: int = 64) -> None:
        super().__init__(max_concurrent_updates=_UNGATED)
        self.limit = limit
        self._slots: asyncio.Semaphore | None = None
        self._last: dict[Hashable, asyncio.Future[None]] = {}  # chat → its latest update's end

    async def initialize(self) -> None:
        self._slots = asyncio.Semaphore(self.limit)

    async def shutdown(self) -> None:
        """Nothing to free: updates still running finish on their own."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if self._slots is None:  # not initialized through the Application
            await self.initialize()
        assert self._slots is not None
        key = chat_key(update)
        before = self._last.get(key)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._last[key] = done
        done.add_done_callback(lambda _: self._forget(key, done))
        started = False
        try:
            if before is not None:
                await asyncio.shield(before)  # cancelling us must not cancel the chain
            async with self._slots:
                started = True
                await coroutine
        finally:
            if not started and asyncio.iscoroutine(coroutine):
                coroutine.close()  # cancelled while waiting: never ran
            _after(before, done)

    def _forget(self, key: Hashable, done: asyncio.Future[None]) -> None:
        if self._last.get(key) is done:
            del self._last[key]

    @property
    def chats_waiting(self) -> int:
        """Chats with an update running or queued (for tests and diagnostics)."""
        return len(self._last)


def _after(before: asyncio.Future[None] | None, done: asyncio.Future[None]) -> None:
    """Mark this update finished, but not before the previous one of its chat (when this
    one was cancelled while waiting for it, the next must still wait for that one)."""
    if before is None or before.done():
        done.set_result(None)
    else:
        before.add_done_callback(lambda _: done.set_result(None))


def chat_key(update: object) -> Hashable:
    """The chat an update belongs to (its user's for a button without a message); None for
    an update without either, which then all go one after the other."""
    if not isinstance(update, Update):
        return None
    try:
        chat = update.effective_chat
        key = chat.id if chat is not None else getattr(update.effective_user, "id", None)
    except Exception:  # a malformed update PTB could not fully parse
        return None
    return key if isinstance(key, int | str) else None
