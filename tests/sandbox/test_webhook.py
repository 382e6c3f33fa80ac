"""Webhook delivery to a tiny aiohttp receiver on a free loopback port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.sandbox import AsyncSandboxClient

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class Receiver:
    url: str
    calls: asyncio.Queue[tuple[str | None, dict[str, Any]]] = field(default_factory=asyncio.Queue)
    statuses: list[int] = field(default_factory=list)  # answered in order, then 200

    async def next(self) -> tuple[str | None, dict[str, Any]]:
        return await asyncio.wait_for(self.calls.get(), 5)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    holder: list[Receiver] = []

    async def hook(request: web.Request) -> web.Response:
        me = holder[0]
        me.calls.put_nowait((request.headers.get(SECRET_HEADER), await request.json()))
        return web.Response(status=me.statuses.pop(0) if me.statuses else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    holder.append(Receiver(f"http://127.0.0.1:{runner.addresses[0][1]}/hook"))
    yield holder[0]
    await runner.cleanup()


async def test_updates_are_posted_with_the_secret_header(
    ptb: Bot, control: AsyncSandboxClient, receiver: Receiver
) -> None:
    assert await ptb.set_webhook(receiver.url, secret_token="s3cr3t_token")
    user = await control.create_user("Lan")
    first = await control.send_text(user["user_id"], "/start")
    secret, update = await receiver.next()
    assert secret == "s3cr3t_token"
    assert update["update_id"] == first["update_id"]
    assert update["message"]["text"] == "/start"
    await control.send_text(user["user_id"], "second")
    _, second = await receiver.next()
    assert second["message"]["text"] == "second"
    info = await ptb.get_webhook_info()
    assert info.url == receiver.url
    assert (await control.webhook())["secret_token"] == "s3cr3t_token"


async def test_without_a_secret_no_header_is_sent(
    ptb: Bot, control: AsyncSandboxClient, receiver: Receiver
) -> None:
    await ptb.set_webhook(receiver.url)
    user = await control.create_user("Lan")
    await control.send_text(user["user_id"], "hi")
    secret, _ = await receiver.next()
    assert secret is None


async def test_non_2xx_answers_are_retried_until_accepted(
    ptb: Bot, control: AsyncSandboxClient, receiver: Receiver
) -> None:
    receiver.statuses[:] = [500, 503]
    await ptb.set_webhook(receiver.url, secret_token="abc")
    user = await control.create_user("Lan")
    sent = await control.send_text(user["user_id"], "retry me")
    attempts = [await receiver.next() for _ in range(3)]
    assert {update["update_id"] for _, update in attempts} == {sent["update_id"]}
    stats = await control.stats()
    assert stats["webhook_failures"] == 2
    info = await ptb.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 503 Service Unavailable"


async def test_a_button_press_reaches_the_webhook_with_the_message(
    ptb: Bot, control: AsyncSandboxClient, receiver: Receiver
) -> None:
    user = await control.create_user("Lan")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("1", callback_data="pick:1")]])
    message = await ptb.send_message(user["chat_id"], "Chọn", reply_markup=keyboard)
    await ptb.set_webhook(receiver.url)
    await control.press_button(user["user_id"], message.message_id, "pick:1")
    _, update = await receiver.next()
    query = update["callback_query"]
    assert query["data"] == "pick:1"
    assert query["message"]["message_id"] == message.message_id
    assert query["from"]["id"] == user["user_id"]
