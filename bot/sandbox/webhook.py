"""Webhook delivery: POST each pending update to the URL given in setWebhook.

Updates go one at a time, in order, as JSON, with ``X-Telegram-Bot-Api-Secret-Token``
when a secret was set. A non-2xx answer or a network error is retried with a doubling
back-off; after ``webhook_attempts`` tries the update is dropped and the error shows in
getWebhookInfo, roughly as Telegram does (it just retries for longer).

A :class:`Feed` says which channel a deliverer serves: the Telegram one here, the Zalo
one in ``zalo_routes`` (its own queue, settings, header and body shape).
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from bot.sandbox.state import SandboxState, StateRef
from bot.sandbox.updates import UpdateQueue

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class Hook(Protocol):
    """A channel's webhook settings, as the deliverer reads and annotates them."""

    url: str
    secret_token: str | None
    allowed_updates: list[str] | None
    last_error_date: int | None
    last_error_message: str | None


@dataclass(frozen=True)
class Feed:
    """One channel's webhook: its pending updates, settings, secret header and the
    JSON body to post for a queued update (computed once per update, not per try)."""

    updates: UpdateQueue
    hook: Hook
    header: str
    body: Callable[[dict[str, Any]], dict[str, Any]]


def telegram_feed(state: SandboxState) -> Feed:
    return Feed(state.updates, state.webhook, SECRET_HEADER, lambda update: update)


class WebhookDeliverer:
    """Background task feeding one channel's pending updates to its current webhook."""

    def __init__(
        self, ref: StateRef, feed_of: Callable[[SandboxState], Feed] = telegram_feed
    ) -> None:
        self._ref = ref
        self._feed_of = feed_of
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        # trust_env=False: a proxy from the environment must never see loopback traffic.
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=10), trust_env=False
        )
        self._task = asyncio.create_task(self._run(), name="sandbox-webhook")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    async def _run(self) -> None:
        while True:
            state = self._ref.current
            feed = self._feed_of(state)
            signal = feed.updates.signal
            if signal.closed and state is self._ref.current:
                return  # shutting down
            if await signal.wait_until(functools.partial(_ready, feed), timeout=1.0):
                await self._deliver_first(state, feed)

    async def _deliver_first(self, state: SandboxState, feed: Feed) -> None:
        update = feed.updates.first()
        if update is None:
            return
        hook = feed.hook
        if hook.allowed_updates and not set(update) & set(hook.allowed_updates):
            feed.updates.drop(update["update_id"])
            return
        body = feed.body(update)
        for attempt in range(max(1, state.config.webhook_attempts)):
            error = await self._post(hook.url, feed.header, hook.secret_token, body)
            if error is None:
                state.stats.webhook_deliveries += 1
                break
            state.stats.webhook_failures += 1
            hook.last_error_date, hook.last_error_message = int(time.time()), error
            await asyncio.sleep(state.config.webhook_backoff * 2**attempt)
            if not hook.url:
                return  # deleted meanwhile: keep the update for getUpdates
        feed.updates.drop(update["update_id"])

    async def _post(
        self, url: str, header: str, secret: str | None, update: dict[str, Any]
    ) -> str | None:
        """POST one update; return ``None`` on 2xx, else an error description."""
        assert self._session is not None
        headers = {header: secret} if secret else {}
        try:
            async with self._session.post(url, json=update, headers=headers) as response:
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"Connection failed: {exc.__class__.__name__}"


def _ready(feed: Feed) -> bool:
    return bool(feed.hook.url) and feed.updates.pending() > 0
