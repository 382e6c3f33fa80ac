"""The shared control API with Zalo users: waits and the sent log per chat and channel,
both channels in one run, routing by id, media updates, reset, the sync client, CLI."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from telegram import Bot

from bot.sandbox import (
    AsyncSandboxClient,
    LimitsConfig,
    RunningSandbox,
    SandboxConfig,
    SandboxError,
    SandboxTimeout,
    run_in_thread,
)
from bot.sandbox.__main__ import config_from_args


async def test_wait_sent_wakes_for_a_zalo_chat_and_ignores_others(
    zalo: httpx.AsyncClient, control: AsyncSandboxClient, zalo_user: dict[str, Any]
) -> None:
    lan = zalo_user["chat_id"]
    minh = (await control.create_user(display_name="Minh", channel="zalo"))["chat_id"]
    mark = await control.mark()
    waiter = asyncio.create_task(control.wait_sent(chat_id=lan, since_id=mark, timeout=5))
    await zalo.post("sendMessage", json={"chat_id": minh, "text": "khác"})
    await zalo.post("sendMessage", json={"chat_id": lan, "text": "Kính gửi đồng chí"})
    records = await waiter
    assert [(r["chat_id"], r["text"], r["channel"]) for r in records] == [
        (lan, "Kính gửi đồng chí", "zalo")
    ]
    with pytest.raises(SandboxTimeout):
        await control.wait_sent(chat_id=lan, count=2, since_id=mark, timeout=0.1)


async def test_one_sandbox_serves_a_telegram_and_a_zalo_person_at_once(
    ptb: Bot, zalo: httpx.AsyncClient, control: AsyncSandboxClient
) -> None:
    an = await control.create_user("An")
    binh = await control.create_user(display_name="Bình", channel="zalo")
    await control.send_text(an["user_id"], "/start")
    await control.send_text(binh["user_id"], "/start")
    tg_updates = await ptb.get_updates(timeout=1)
    zalo_update = (await zalo.post("getUpdates", json={"timeout": 1})).json()["result"]
    assert [u.message.text for u in tg_updates] == ["/start"]
    assert zalo_update["message"]["from"]["id"] == binh["user_id"]
    await ptb.send_message(an["chat_id"], "Chào An")
    await zalo.post("sendMessage", json={"chat_id": binh["chat_id"], "text": "Chào Bình"})
    assert [r["text"] for r in await control.sent(channel="telegram")] == ["Chào An"]
    assert [r["text"] for r in await control.sent(channel="zalo")] == ["Chào Bình"]
    assert [r["text"] for r in await control.wait_sent(count=2)] == ["Chào An", "Chào Bình"]
    stats = await control.stats()
    assert stats["requests"]["zalo.sendMessage"] == 1 and stats["requests"]["sendMessage"] == 1


async def test_calls_are_routed_by_channel_or_by_id(control: AsyncSandboxClient) -> None:
    numeric = await control.create_user(channel="zalo", user_id="900001", display_name="Số")
    assert numeric == {"user_id": "900001", "chat_id": "900001", "channel": "zalo"}
    update = await control.send_text("900001", "chào")  # a Zalo user, not Telegram's 900001
    assert isinstance(update["message_id"], str)
    with pytest.raises(SandboxError) as unknown:
        await control.send_text("deadbeefdeadbeefdead", "who")
    assert unknown.value.status == 404
    with pytest.raises(SandboxError) as duplicate:
        await control.create_user(channel="zalo", user_id="900001")
    assert duplicate.value.status == 400
    with pytest.raises(SandboxError) as bad_channel:
        await control.create_user(channel="viber")
    assert bad_channel.value.status == 400
    with pytest.raises(SandboxError) as buttons:
        await control.press_button("900001", 1, "done")
    assert buttons.value.status == 400
    with pytest.raises(SandboxError) as too_long:
        await control.send_text("900001", "x" * 2001)
    assert too_long.value.status == 400


async def test_lists_blocks_and_webhooks_are_per_channel(
    sandbox: RunningSandbox, control: AsyncSandboxClient, zalo_user: dict[str, Any]
) -> None:
    tg = await control.create_user("An")
    assert await control.block(zalo_user["user_id"]) == [zalo_user["user_id"]]
    assert await control.block(tg["user_id"]) == [tg["user_id"]]
    assert await control.unblock(zalo_user["user_id"]) == []
    async with httpx.AsyncClient(base_url=sandbox.url, trust_env=False) as http:
        zalo_users = (await http.get("/control/users", params={"channel": "zalo"})).json()
        tg_users = (await http.get("/control/users")).json()
    assert zalo_users == {
        "users": [{"id": zalo_user["user_id"], "display_name": "Lan", "is_bot": False}]
    }
    assert [u["id"] for u in tg_users["users"]] == [tg["user_id"]]
    assert (await control.webhook(channel="zalo"))["url"] == ""
    assert "has_custom_certificate" in await control.webhook()


async def test_photo_sticker_and_unsupported_updates(
    sandbox: RunningSandbox,
    zalo: httpx.AsyncClient,
    control: AsyncSandboxClient,
    zalo_user: dict[str, Any],
) -> None:
    uid = zalo_user["user_id"]
    await control.send_message(uid, photo={"content": "PNGDATA"}, caption="Ảnh báo cáo")
    await control.send_message(uid, sticker=True)
    await control.send_message(uid, unsupported=True)
    photo, sticker, unsupported = [
        (await zalo.post("getUpdates", json={"timeout": 1})).json()["result"] for _ in range(3)
    ]
    assert photo["event_name"] == "message.image.received"
    message = photo["message"]
    assert message["photo"] == message["photo_url"] and message["caption"] == "Ảnh báo cáo"
    assert message["photo"].startswith(f"{sandbox.url}/control/files/")
    async with httpx.AsyncClient(trust_env=False) as http:
        assert (await http.get(message["photo"])).content == b"PNGDATA"
    assert sticker["event_name"] == "message.sticker.received"
    assert {"sticker", "url"} <= set(sticker["message"])
    assert unsupported["event_name"] == "message.unsupported.received"
    assert set(unsupported["message"]) == {"from", "chat", "message_id", "date"}


async def test_reset_renews_the_zalo_world(
    zalo: httpx.AsyncClient, control: AsyncSandboxClient, zalo_user: dict[str, Any]
) -> None:
    await control.set_zalo(message_quota=5, webhook_shape="flat")
    await zalo.post("setWebhook", json={"url": "https://x.invalid/h", "secret_token": "12345678"})
    await control.reset()
    settings = await control.zalo_settings()
    assert settings["message_quota"] is None and settings["webhook_shape"] == "alternate"
    assert (await zalo.post("getWebhookInfo")).status_code == 404
    with pytest.raises(SandboxError):
        await control.send_text(zalo_user["user_id"], "gone")


def test_the_sync_client_and_thread_runner_speak_zalo() -> None:
    config = SandboxConfig(limits=LimitsConfig(enabled=False))
    with run_in_thread(config) as sandbox, sandbox.client() as control:
        assert sandbox.zalo_base_url == f"{sandbox.url}/zalo"
        user = control.create_user(display_name="Chi", channel="zalo")
        control.send_text(user["user_id"], "xin chào")
        with httpx.Client(base_url=f"{sandbox.zalo_base_url}/bot1:x", trust_env=False) as zalo:
            update = zalo.post("/getUpdates", json={"timeout": 1}).json()["result"]
            chat_id = update["message"]["chat"]["id"]
            zalo.post("/sendMessage", json={"chat_id": chat_id, "text": "Chào Chi"})
        records = control.wait_sent(chat_id=user["chat_id"], channel="zalo", timeout=5)
        assert [r["text"] for r in records] == ["Chào Chi"]
        assert control.updates_pending(channel="zalo") == 0


def test_cli_flags_configure_the_zalo_side() -> None:
    config = config_from_args(
        [
            "--zalo-token",
            "1:a",
            "--zalo-webhook-shape",
            "flat",
            "--zalo-quota",
            "3000",
            "--zalo-echo",
            "--zalo-account-name",
            "bot.thu",
        ]
    )
    zalo = config.zalo
    assert zalo.tokens == frozenset({"1:a"}) and zalo.webhook_shape == "flat"
    assert zalo.message_quota == 3000 and zalo.echo_bot_messages and zalo.account_name == "bot.thu"
    assert config_from_args([]).zalo.webhook_shape == "alternate"
