"""Zalo webhooks: setWebhook's rules, delivery with ``X-Bot-Api-Secret-Token``, the
wrapped and flat body shapes, retries, duplicates and echoes — received by a tiny
aiohttp app on a free loopback port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiohttp import web

from bot.sandbox import AsyncSandboxClient, RunningSandbox

ZALO_HEADER = "X-Bot-Api-Secret-Token"
TG_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET = "zalo-s3cret-token"


@dataclass
class Receiver:
    url: str
    calls: asyncio.Queue[tuple[dict[str, str], dict[str, Any]]] = field(
        default_factory=asyncio.Queue
    )
    statuses: list[int] = field(default_factory=list)  # answered in order, then 200

    async def next(self) -> tuple[dict[str, str], dict[str, Any]]:
        return await asyncio.wait_for(self.calls.get(), 5)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    holder: list[Receiver] = []

    async def hook(request: web.Request) -> web.Response:
        me = holder[0]
        me.calls.put_nowait((dict(request.headers), await request.json()))
        return web.Response(status=me.statuses.pop(0) if me.statuses else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    holder.append(Receiver(f"http://127.0.0.1:{runner.addresses[0][1]}/hook"))
    yield holder[0]
    await runner.cleanup()


def _unwrap(body: dict[str, Any]) -> dict[str, Any]:
    return body.get("result", body)


async def test_set_webhook_requires_a_url_and_a_secret(zalo: httpx.AsyncClient) -> None:
    empty = await zalo.post("setWebhook", json={"url": "https://example.invalid/h"})
    assert empty.status_code == 400
    assert empty.json() == {
        "ok": False,
        "error_code": 400,
        "description": "The secret_token must not be empty",
    }
    short = await zalo.post(
        "setWebhook", json={"url": "https://x.invalid", "secret_token": "7chars!"}
    )
    assert short.status_code == 400
    no_url = await zalo.post("setWebhook", json={"secret_token": SECRET})
    assert no_url.status_code == 400
    not_http = await zalo.post("setWebhook", json={"url": "ftp://x", "secret_token": SECRET})
    assert not_http.status_code == 400


async def test_webhook_info_lifecycle_and_polling_conflict(
    zalo: httpx.AsyncClient, control: AsyncSandboxClient
) -> None:
    none = await zalo.post("getWebhookInfo")
    assert none.status_code == 404
    assert none.json() == {"ok": False, "description": "Not Found"}
    url = "https://example.invalid/zalo-hook"
    set_ = (await zalo.post("setWebhook", json={"url": url, "secret_token": SECRET})).json()
    assert set_["result"]["url"] == url and set_["result"]["updated_at"] > 10**12  # ms
    info = (await zalo.post("getWebhookInfo")).json()["result"]
    assert info == {"url": url, "updated_at": set_["result"]["updated_at"]}
    polling = await zalo.post("getUpdates", json={"timeout": 0})
    assert polling.status_code == 400
    assert (await control.webhook(channel="zalo"))["secret_token"] == SECRET
    deleted = (await zalo.post("deleteWebhook")).json()["result"]
    assert deleted["url"] == "" and deleted["updated_at"] >= info["updated_at"]
    assert (await zalo.post("getWebhookInfo")).status_code == 404
    assert (await zalo.post("getUpdates", json={"timeout": 0})).status_code == 408


async def test_delivery_carries_the_secret_and_alternates_wrapped_and_flat(
    zalo: httpx.AsyncClient, control: AsyncSandboxClient, receiver: Receiver
) -> None:
    await zalo.post("setWebhook", json={"url": receiver.url, "secret_token": SECRET})
    uid = (await control.create_user(display_name="Lan", channel="zalo"))["user_id"]
    first = await control.send_text(uid, "một")
    second = await control.send_text(uid, "hai")
    (headers1, body1), (headers2, body2) = await receiver.next(), await receiver.next()
    assert headers1[ZALO_HEADER] == headers2[ZALO_HEADER] == SECRET
    assert TG_HEADER not in headers1
    assert body1["ok"] is True and set(body1) == {"ok", "result"}  # documented shape
    assert set(body2) == {"event_name", "message"}  # observed flat shape
    messages = [_unwrap(body1)["message"], _unwrap(body2)["message"]]
    assert [m["text"] for m in messages] == ["một", "hai"]
    assert [m["message_id"] for m in messages] == [first["message_id"], second["message_id"]]
    assert _unwrap(body1)["event_name"] == "message.text.received"
    assert await control.updates_pending(channel="zalo") == 0
    assert (await control.stats())["webhook_deliveries"] == 2


@pytest.mark.parametrize("shape", ["wrapped", "flat"])
async def test_the_shape_can_be_fixed(
    shape: str, zalo: httpx.AsyncClient, control: AsyncSandboxClient, receiver: Receiver
) -> None:
    assert (await control.set_zalo(webhook_shape=shape))["webhook_shape"] == shape
    await zalo.post("setWebhook", json={"url": receiver.url, "secret_token": SECRET})
    uid = (await control.create_user(channel="zalo"))["user_id"]
    for text in ("a", "b"):
        await control.send_text(uid, text)
    bodies = [(await receiver.next())[1] for _ in range(2)]
    assert all(("result" in body) == (shape == "wrapped") for body in bodies)


async def test_non_2xx_answers_are_retried_with_the_same_body(
    zalo: httpx.AsyncClient, control: AsyncSandboxClient, receiver: Receiver
) -> None:
    receiver.statuses[:] = [500]
    await zalo.post("setWebhook", json={"url": receiver.url, "secret_token": SECRET})
    uid = (await control.create_user(channel="zalo"))["user_id"]
    await control.send_text(uid, "thử lại")
    (_, failed), (_, delivered) = await receiver.next(), await receiver.next()
    assert failed == delivered  # the shape is chosen once per update, not per try
    hook = await control.webhook(channel="zalo")
    assert "500" in hook["last_error_message"]
    assert (await control.stats())["webhook_failures"] == 1


async def test_repeat_delivers_a_duplicate_and_echo_returns_the_bots_own_message(
    sandbox: RunningSandbox,
    zalo: httpx.AsyncClient,
    control: AsyncSandboxClient,
    receiver: Receiver,
) -> None:
    await control.set_zalo(echo_bot_messages=True, webhook_shape="flat")
    await zalo.post("setWebhook", json={"url": receiver.url, "secret_token": SECRET})
    uid = (await control.create_user(channel="zalo"))["user_id"]
    sent = await control.send_message(uid, text="trùng", repeat=2)
    twice = [(await receiver.next())[1]["message"] for _ in range(2)]
    assert [m["message_id"] for m in twice] == [sent["message_id"]] * 2
    reply = (await zalo.post("sendMessage", json={"chat_id": uid, "text": "Đã nhận"})).json()
    _, echo = await receiver.next()
    assert echo["message"]["from"]["is_bot"] is True
    assert echo["message"]["from"]["id"] == "12345689"
    assert echo["message"]["message_id"] == reply["result"]["message_id"]
    assert echo["message"]["text"] == "Đã nhận"


async def test_telegram_and_zalo_webhooks_run_side_by_side(
    sandbox: RunningSandbox, token: str, zalo: httpx.AsyncClient, control: AsyncSandboxClient
) -> None:
    tg_box: asyncio.Queue[tuple[str, dict[str, str]]] = asyncio.Queue()

    async def hook(request: web.Request) -> web.Response:
        tg_box.put_nowait((request.path, dict(request.headers)))
        return web.Response()

    app = web.Application()
    app.router.add_post("/{name}", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with httpx.AsyncClient(trust_env=False) as http:
            tg_set = {"url": f"{base}/tg", "secret_token": "tg_secret"}
            await http.post(f"{sandbox.base_url}{token}/setWebhook", data=tg_set)
        await zalo.post("setWebhook", json={"url": f"{base}/zalo", "secret_token": SECRET})
        await control.send_text((await control.create_user("An"))["user_id"], "tg")
        zuid = (await control.create_user(channel="zalo"))["user_id"]
        await control.send_text(zuid, "zalo")
        got = dict([await asyncio.wait_for(tg_box.get(), 5) for _ in range(2)])
    finally:
        await runner.cleanup()
    assert got["/tg"][TG_HEADER] == "tg_secret" and ZALO_HEADER not in got["/tg"]
    assert got["/zalo"][ZALO_HEADER] == SECRET and TG_HEADER not in got["/zalo"]
