"""Zalo sends pass the same gate as Telegram's: blocked users (403), flood limits and
the message quota (429), and the shared fault injector — which never records a send."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bot.sandbox import AsyncSandboxClient, LimitsConfig, RunningSandbox, ZaloConfig


async def test_a_blocked_user_gets_403_until_they_write_again(
    zalo: httpx.AsyncClient, control: AsyncSandboxClient, zalo_user: dict[str, Any]
) -> None:
    uid = zalo_user["user_id"]
    assert await control.block(uid) == [uid]
    refused = await zalo.post("sendMessage", json={"chat_id": uid, "text": "Nhắc hạn"})
    assert refused.status_code == 403
    assert refused.json()["error_code"] == 403 and refused.json()["ok"] is False
    typing = await zalo.post("sendChatAction", json={"chat_id": uid, "action": "typing"})
    assert typing.status_code == 403
    await control.send_text(uid, "Tôi quay lại")  # writing unblocks, as on Telegram
    assert (await zalo.post("sendMessage", json={"chat_id": uid, "text": "ok"})).is_success
    stats = await control.stats()
    assert stats["forbidden"] == 2 and [r["text"] for r in await control.sent()] == ["ok"]


async def test_the_private_chat_limit_gives_429_with_a_retry_hint(
    zalo: httpx.AsyncClient, control: AsyncSandboxClient, zalo_user: dict[str, Any]
) -> None:
    await control.set_limits(private_burst=2, private_per_second=0.1)
    form = {"chat_id": zalo_user["chat_id"], "text": "x"}
    statuses = [(await zalo.post("sendMessage", data=form)).status_code for _ in range(2)]
    refused = await zalo.post("sendMessage", data=form)
    assert statuses == [200, 200]
    assert refused.status_code == 429
    body = refused.json()
    assert body["error_code"] == 429 and 9 <= body["parameters"]["retry_after"] <= 10
    assert refused.headers["Retry-After"] == str(body["parameters"]["retry_after"])
    assert len(await control.sent(channel="zalo")) == 2
    assert (await control.stats())["rate_limited"] == 1


async def test_zalo_and_telegram_have_separate_overall_windows(
    make_sandbox, zalo_token: str, token: str
) -> None:
    sandbox = await make_sandbox(limits=LimitsConfig(overall_per_second=2, overall_window=60))
    async with (
        AsyncSandboxClient(sandbox.url) as control,
        httpx.AsyncClient(base_url=sandbox.url, trust_env=False) as http,
    ):
        tg = (await control.create_user("An"))["chat_id"]
        za = (await control.create_user(display_name="Bình", channel="zalo"))["chat_id"]
        tg_codes = [
            (
                await http.post(f"/bot{token}/sendMessage", data={"chat_id": tg, "text": "x"})
            ).status_code
            for _ in range(3)
        ]
        za_codes = [
            (
                await http.post(
                    f"/zalo/bot{zalo_token}/sendMessage", json={"chat_id": za, "text": "x"}
                )
            ).status_code
            for _ in range(3)
        ]
    assert tg_codes == za_codes == [200, 200, 429]


async def test_the_message_quota_answers_quota_exceeded(make_sandbox, zalo_token: str) -> None:
    sandbox = await make_sandbox(
        limits=LimitsConfig(enabled=False), zalo=ZaloConfig(message_quota=2)
    )
    async with (
        AsyncSandboxClient(sandbox.url) as control,
        httpx.AsyncClient(
            base_url=f"{sandbox.zalo_base_url}/bot{zalo_token}/", trust_env=False
        ) as zalo,
    ):
        chat_id = (await control.create_user(channel="zalo"))["chat_id"]
        codes = [
            (await zalo.post("sendMessage", json={"chat_id": chat_id, "text": "x"})).status_code
            for _ in range(3)
        ]
        refused = await zalo.post("sendMessage", json={"chat_id": chat_id, "text": "x"})
        assert refused.json() == {"ok": False, "error_code": 429, "description": "Quota exceeded"}
        assert (await control.zalo_settings())["quota_used"] == 2
        await control.set_zalo(message_quota=None)
        assert (await zalo.post("sendMessage", json={"chat_id": chat_id, "text": "x"})).is_success
    assert codes == [200, 200, 429]


async def test_502_faults_record_nothing(
    zalo: httpx.AsyncClient, control: AsyncSandboxClient, zalo_user: dict[str, Any]
) -> None:
    await control.set_faults(error_rate=1.0)
    response = await zalo.post("sendMessage", json={"chat_id": zalo_user["chat_id"], "text": "x"})
    assert response.status_code == 502
    assert response.json() == {"ok": False, "error_code": 502, "description": "Bad Gateway"}
    assert await control.sent() == []
    assert (await control.stats())["server_errors"] == 1


async def test_timeout_and_reset_faults_drop_the_connection_and_record_nothing(
    zalo: httpx.AsyncClient, control: AsyncSandboxClient, zalo_user: dict[str, Any]
) -> None:
    form = {"chat_id": zalo_user["chat_id"], "text": "late"}
    await control.set_faults(timeout_rate=1.0, timeout_delay=0.2)
    with pytest.raises(httpx.RemoteProtocolError):  # held, then the server hung up
        await zalo.post("sendMessage", data=form, timeout=5)
    await control.set_faults(timeout_rate=0.0, reset_rate=1.0)
    with pytest.raises(httpx.TransportError):
        await zalo.post("sendMessage", data=form)
    assert await control.sent() == []
    stats = await control.stats()
    assert stats["timeouts"] == 1 and stats["resets"] == 1


async def test_a_storm_answers_429_to_zalo_sends_too(
    zalo: httpx.AsyncClient, control: AsyncSandboxClient, zalo_user: dict[str, Any]
) -> None:
    await control.set_faults(start_storm=True, storm_duration=30)
    response = await zalo.post(
        "sendSticker", json={"chat_id": zalo_user["chat_id"], "sticker": "s"}
    )
    assert response.status_code == 429
    assert 29 <= response.json()["parameters"]["retry_after"] <= 30
    assert (await zalo.post("getMe")).is_success  # storms hit sending calls only
    assert await control.sent() == []


async def test_same_seed_replays_the_same_zalo_failures(
    sandbox: RunningSandbox, zalo: httpx.AsyncClient, control: AsyncSandboxClient
) -> None:
    await control.set_limits(enabled=False)
    chat_id = (await control.create_user(channel="zalo"))["chat_id"]

    async def run() -> list[int]:
        await control.set_faults(seed=11, error_rate=0.5)
        form = {"chat_id": chat_id, "text": "x"}
        return [(await zalo.post("sendMessage", data=form)).status_code for _ in range(20)]

    first, second = await run(), await run()
    assert first == second and set(first) == {200, 502}
