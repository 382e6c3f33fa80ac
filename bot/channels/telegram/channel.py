"""The Telegram channel's lifecycle: long polling under a lease, or a webhook server.

Polling: Telegram lets one ``getUpdates`` poller per bot (a second gets 409 Conflict), so
among several instances only the holder of the ``telegram:poller`` lease polls; the others
send (reminders, broadcasts) and take over when the holder stops renewing.

Webhook: every instance serves ``POST <path of --webhook-url>`` behind the load balancer
and checks Telegram's ``X-Telegram-Bot-Api-Secret-Token`` header in constant time; a
request without the right secret is refused and logged. ``GET /healthz`` reports the
instance and its last tick.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import Engine
from telegram import Update
from telegram.error import InvalidToken
from telegram.ext import Application

from bot.channels.telegram.app import register_commands, sending_transport
from bot.channels.telegram.convert import CHANNEL
from bot.channels.telegram.transport import TelegramTransport
from storage import inbound, leases, outbox
from storage.db import session_scope

if TYPE_CHECKING:  # aiohttp (~11 MB) is imported by webhook mode only, when it starts
    from aiohttp import web

log = logging.getLogger(__name__)
POLLER_LEASE = "telegram:poller"
LEASE_TTL = timedelta(seconds=15)
LEASE_RENEW_SECONDS = 5.0
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram keeps an update for 24 hours, so no redelivery comes after that; after a week
# without updates it numbers them anew from a random id, so old keys must not linger.
UPDATE_KEYS_KEPT = timedelta(days=2)
FORGET_EVERY_SECONDS = 3600.0


@dataclass(frozen=True)
class Webhook:
    url: str
    host: str
    port: int
    secret: str


class TelegramChannel:
    """Starts and stops the Telegram side of one instance."""

    def __init__(
        self,
        app: Application,
        *,
        token: str,
        base_url: str,
        engine: Engine,
        holder: str,
        webhook: Webhook | None = None,
    ) -> None:
        self.app, self.token, self.base_url = app, token, base_url
        self.engine, self.holder, self.webhook = engine, holder, webhook
        self.transport: TelegramTransport | None = None
        self._lease_task: asyncio.Task[None] | None = None
        self._forget_task: asyncio.Task[None] | None = None
        self._site: web.AppRunner | None = None

    async def start(self) -> TelegramTransport:
        try:
            await self.app.initialize()
        except InvalidToken:
            raise SystemExit(
                "Telegram rejected TELEGRAM_BOT_TOKEN (401/404): check the token "
                "from @BotFather and set it again."
            ) from None
        await self.app.start()
        await register_commands(self.app)
        self.transport = await sending_transport(self.token, self.base_url)
        if self.webhook is not None:
            await self._start_webhook(self.webhook)
        else:
            self._lease_task = asyncio.create_task(self._poll_while_leased())
        self._forget_task = asyncio.create_task(self._forget_old_update_keys())
        return self.transport

    async def stop(self) -> None:
        for task in (self._lease_task, self._forget_task):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
            await asyncio.to_thread(self._release_lease)
        if self._site is not None:
            await self._site.cleanup()
        await self.app.stop()
        await self.app.shutdown()
        if self.transport is not None:
            await self.transport.bot.shutdown()

    async def _poll_while_leased(self) -> None:
        updater = self.app.updater
        assert updater is not None
        while True:
            held = await asyncio.to_thread(self._hold_lease)
            if held and not updater.running:
                log.info("this instance polls Telegram now (lease %s)", POLLER_LEASE)
                await updater.start_polling(allowed_updates=ALLOWED_UPDATES)
            elif not held and updater.running:
                log.warning("lost the poller lease; another instance polls now")
                await updater.stop()
            await asyncio.sleep(LEASE_RENEW_SECONDS)  # the lease's renewal period

    def _hold_lease(self) -> bool:
        with session_scope(self.engine) as session:
            return leases.acquire(
                session, name=POLLER_LEASE, holder=self.holder, now=datetime.now(UTC), ttl=LEASE_TTL
            )

    async def _forget_old_update_keys(self) -> None:
        """Now and then, drop the keys of updates handled long ago (see ``update_key``)."""
        while True:
            try:
                await asyncio.to_thread(self._forget_update_keys)
            except Exception as exc:  # a busy database: next time
                log.warning("old update keys not dropped: %s", exc)
            await asyncio.sleep(FORGET_EVERY_SECONDS)

    def _forget_update_keys(self) -> None:
        with session_scope(self.engine) as session:
            before = datetime.now(UTC) - UPDATE_KEYS_KEPT
            inbound.forget_before(session, channel=CHANNEL, before=before)

    def _release_lease(self) -> None:
        with session_scope(self.engine) as session:
            leases.release(session, name=POLLER_LEASE, holder=self.holder, now=datetime.now(UTC))

    async def _start_webhook(self, webhook: Webhook) -> None:
        from aiohttp import web

        server = web.Application()
        server.router.add_post(urlsplit(webhook.url).path or "/", self._receive)
        server.router.add_get("/healthz", self._health)
        self._site = web.AppRunner(server, access_log=None)
        await self._site.setup()
        await web.TCPSite(self._site, webhook.host, webhook.port).start()
        await self.app.bot.set_webhook(
            webhook.url, secret_token=webhook.secret, allowed_updates=ALLOWED_UPDATES
        )
        log.info("webhook listening on %s:%d", webhook.host, webhook.port)

    async def _receive(self, request: web.Request) -> web.Response:
        from aiohttp import web

        assert self.webhook is not None
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.webhook.secret.encode()):
            log.warning(
                "webhook request refused: missing or wrong secret token (from %s)", request.remote
            )
            return web.Response(status=403, text="forbidden")
        try:
            data: Any = await request.json()
            update = Update.de_json(data, self.app.bot)
        except Exception as exc:  # whatever PTB raises on a malformed body: 400, not 500
            log.warning("webhook request refused: not an update (%s)", exc.__class__.__name__)
            return web.Response(status=400, text="bad update")
        # Through the processor: concurrent requests of one chat are handled in order.
        await self.app.update_processor.process_update(update, self.app.process_update(update))
        return web.Response(text="ok")

    async def _health(self, _request: web.Request) -> web.Response:
        from aiohttp import web

        last = await asyncio.to_thread(self._last_tick)
        return web.json_response(
            {"ok": True, "instance": self.holder, "last_tick": last.isoformat() if last else None}
        )

    def _last_tick(self) -> datetime | None:
        with session_scope(self.engine) as session:
            return outbox.last_beat(session, name="tick")
