"""Webhook delivery: POST each pending update to the URL given in setWebhook.

Updates go one at a time, in order, as JSON, with ``X-Telegram-Bot-Api-Secret-Token``
when a secret was set. A non-2xx answer or a network error is retried with a doubling
back-off; after ``webhook_attempts`` tries the update is dropped and the error shows in
getWebhookInfo, roughly as Telegram does (it just retries for longer).
"""

from __future__ import annotations

import asyncio
import functools
import time
from typing import Any

import aiohttp

from bot.sandbox.state import SandboxState, StateRef

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookDeliverer:
    """Background task feeding pending updates to the current webhook."""

    def __init__(self, ref: StateRef) -> None:
        self._ref = ref
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
            signal = state.updates.signal
            if signal.closed and state is self._ref.current:
                return  # shutting down
            if await signal.wait_until(functools.partial(_ready, state), timeout=1.0):
                await self._deliver_first(state)

    async def _deliver_first(self, state: SandboxState) -> None:
        update = state.updates.first()
        if update is None:
            return
        hook = state.webhook
        if hook.allowed_updates and not set(update) & set(hook.allowed_updates):
            state.updates.drop(update["update_id"])
            return
        for attempt in range(max(1, state.config.webhook_attempts)):
            error = await self._post(hook.url, hook.secret_token, update)
            if error is None:
                state.stats.webhook_deliveries += 1
                break
            state.stats.webhook_failures += 1
            hook.last_error_date, hook.last_error_message = int(time.time()), error
            await asyncio.sleep(state.config.webhook_backoff * 2**attempt)
            if not hook.url:
                return  # deleted meanwhile: keep the update for getUpdates
        state.updates.drop(update["update_id"])

    async def _post(self, url: str, secret: str | None, update: dict[str, Any]) -> str | None:
        """POST one update; return ``None`` on 2xx, else an error description."""
        assert self._session is not None
        headers = {SECRET_HEADER: secret} if secret else {}
        try:
            async with self._session.post(url, json=update, headers=headers) as response:
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"Connection failed: {exc.__class__.__name__}"


def _ready(state: SandboxState) -> bool:
    return bool(state.webhook.url) and state.updates.pending() > 0
