"""The Zalo channel's lifecycle: long polling (one update per ``getUpdates``, 408 when idle)
or a webhook server checking ``X-Bot-Api-Secret-Token`` in constant time.

Zalo redelivers; every update's message id is recorded in the core's turn (``update_key``)
so a duplicate is dropped, whichever instance receives it. The bot's own echoes are dropped too.
A token Zalo rejects (401/404) stops the channel with a clear message.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot.channels.zalo.api import ZaloApi, ZaloError
from bot.channels.zalo.convert import to_inbound, unwrap, update_key
from bot.channels.zalo.transport import ZaloTransport
from bot.core.engine import Core
from bot.core.replies import AnswerButton, Direct, perform_in_order
from scheduler.sending import Outcome

if TYPE_CHECKING:  # aiohttp (~11 MB) is imported by webhook mode only, when it starts
    from aiohttp import web

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Bot-Api-Secret-Token"
ERROR_PAUSE_SECONDS = 2.0
REPLY_RETRIES = 5


class ZaloTokenRejected(SystemExit):
    def __init__(self, status: int) -> None:
        super().__init__(
            f"Zalo rejected ZALO_BOT_TOKEN (HTTP {status}): check the token in "
            "Zalo Bot Creator and set it again."
        )


class ZaloChannel:
    def __init__(
        self,
        core: Core,
        api: ZaloApi,
        *,
        webhook_url: str | None = None,
        listen: tuple[str, int] | None = None,
        secret: str | None = None,
    ) -> None:
        self.core, self.api = core, api
        self.transport = ZaloTransport(api)
        self.webhook_url, self.listen, self.secret = webhook_url, listen, secret
        self._task: asyncio.Task[None] | None = None
        self._site: web.AppRunner | None = None

    async def start(self) -> ZaloTransport:
        try:
            await self.api.call("getMe")
        except ZaloError as exc:
            if exc.status in (401, 404):
                raise ZaloTokenRejected(exc.status) from None
            raise
        if self.webhook_url is not None:
            await self._start_webhook()
        else:
            await self.api.call("deleteWebhook")
            self._task = asyncio.create_task(self._poll())
        return self.transport

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._site is not None:
            await self._site.cleanup()
        await self.api.close()

    async def _poll(self) -> None:
        while True:
            try:
                update = await self.api.get_update()
            except ZaloError as exc:
                if exc.status in (401, 404):
                    log.error("%s", ZaloTokenRejected(exc.status).code)
                    return
                log.warning("Zalo getUpdates failed (%s); retrying", exc.status)
                await asyncio.sleep(ERROR_PAUSE_SECONDS)  # back off before polling again
                continue
            if update is not None:
                await self.handle(update)

    async def handle(self, body: Any) -> None:
        """One update from polling or the webhook: de-duplicate, hand to the core, reply."""
        update = unwrap(body)
        event = to_inbound(update) if update is not None else None
        key = update_key(update) if update is not None else None
        if event is None or key is None:
            return
        # The key is recorded in the turn's own transaction: a duplicate does nothing, and a
        # turn that fails (or a crash mid-turn) leaves the key unseen, so the redelivery is
        # handled. A quick step runs right here; the rest goes to a worker thread.
        actions = self.core.handle_now(event, update_key=key)
        if actions is None:
            actions = await asyncio.to_thread(self.core.handle, event, update_key=key)
        await perform_in_order(actions, self._perform)

    async def _perform(self, action: Direct) -> None:
        """Send a reply, waiting out flood control (429) a few times, as on Telegram."""
        if isinstance(action, AnswerButton):
            return  # no buttons on Zalo
        for _attempt in range(REPLY_RETRIES):  # Send, or Edit sent as new text (no edits)
            result = await self.transport.deliver(action.chat_id, action.reply)
            if result.outcome is not Outcome.RETRY:
                break
            await asyncio.sleep(result.retry_after or 1.0)  # the hint Zalo gave, if any
        if result.error:
            log.warning("Zalo reply to %s failed: %s", action.chat_id, result.error)

    async def _start_webhook(self) -> None:
        assert self.webhook_url is not None and self.secret is not None
        from aiohttp import web

        server = web.Application()
        server.router.add_post(urlsplit(self.webhook_url).path or "/", self._receive)
        self._site = web.AppRunner(server, access_log=None)
        await self._site.setup()
        host, port = self.listen or ("127.0.0.1", 8444)
        await web.TCPSite(self._site, host, port).start()
        await self.api.call("setWebhook", url=self.webhook_url, secret_token=self.secret)

    async def _receive(self, request: web.Request) -> web.Response:
        from aiohttp import web

        assert self.secret is not None
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning(
                "Zalo webhook request refused: missing or wrong secret (from %s)", request.remote
            )
            return web.Response(status=403, text="forbidden")
        try:
            body = await request.json()
        except ValueError:
            return web.Response(status=400, text="bad update")
        await self.handle(body)
        return web.Response(text="ok")
