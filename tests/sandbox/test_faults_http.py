"""Injected faults seen by real clients: 502, time-outs, resets, 429 storms — and
none of them ever records a message, so retrying clients never double-deliver."""

from __future__ import annotations

import httpx
import pytest
from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.sandbox import AsyncSandboxClient, LimitsConfig, RunningSandbox

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


async def test_every_call_failing_with_502_records_nothing(
    ptb: Bot, raw: httpx.AsyncClient, control: AsyncSandboxClient
) -> None:
    user = await control.create_user("Lan")
    await control.set_faults(error_rate=1.0)
    response = await raw.post("sendMessage", data={"chat_id": user["chat_id"], "text": "x"})
    assert response.status_code == 502
    assert response.json() == {"ok": False, "error_code": 502, "description": "Bad Gateway"}
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await ptb.send_message(user["chat_id"], "x")
    assert await control.sent() == []
    stats = await control.stats()
    assert stats["server_errors"] == 2 and stats["sent_messages"] == 0


async def test_timeout_fault_holds_then_drops_without_recording(
    sandbox: RunningSandbox, raw: httpx.AsyncClient, control: AsyncSandboxClient
) -> None:
    user = await control.create_user("Lan")
    await control.set_faults(timeout_rate=1.0, timeout_delay=0.2)
    form = {"chat_id": user["chat_id"], "text": "late"}
    with pytest.raises(httpx.ReadTimeout):
        await raw.post("sendMessage", data=form, timeout=0.05)
    with pytest.raises(httpx.RemoteProtocolError):  # waited longer: the server hung up
        await raw.post("sendMessage", data=form, timeout=5)
    assert await control.sent() == []
    assert (await control.stats())["timeouts"] == 2


async def test_reset_fault_drops_the_connection(
    raw: httpx.AsyncClient, control: AsyncSandboxClient
) -> None:
    user = await control.create_user("Lan")
    await control.set_faults(reset_rate=1.0)
    with pytest.raises(httpx.TransportError):
        await raw.post("sendMessage", data={"chat_id": user["chat_id"], "text": "x"})
    assert await control.sent() == []
    assert (await control.stats())["resets"] == 1


async def test_storm_answers_429_for_its_duration(
    ptb: Bot, control: AsyncSandboxClient, retry_seconds
) -> None:
    user = await control.create_user("Lan")
    await control.set_faults(start_storm=True, storm_duration=30)
    with pytest.raises(RetryAfter) as caught:
        await ptb.send_message(user["chat_id"], "x")
    assert 29 <= retry_seconds(caught.value) <= 30
    assert (await control.stats())["rate_limited"] == 1
    await control.set_faults(stop_storm=True)
    await ptb.send_message(user["chat_id"], "x")
    assert len(await control.sent()) == 1


async def test_storm_rate_starts_a_storm_from_the_seeded_draw(
    ptb: Bot, control: AsyncSandboxClient
) -> None:
    user = await control.create_user("Lan")
    await control.set_faults(storm_rate=1.0, storm_duration=10)
    for _ in range(2):
        with pytest.raises(RetryAfter):
            await ptb.send_message(user["chat_id"], "x")
    assert (await control.faults())["storm_active"] is True


async def test_same_seed_replays_the_same_failures(make_sandbox, token: str, retry_seconds) -> None:
    sandbox = await make_sandbox(limits=LimitsConfig(enabled=False))
    async with (
        AsyncSandboxClient(sandbox.url) as control,
        httpx.AsyncClient(base_url=f"{sandbox.base_url}{token}/", trust_env=False) as raw,
    ):
        user = await control.create_user("Lan")

        async def run() -> list[int]:
            await control.set_faults(seed=7, error_rate=0.5)
            form = {"chat_id": user["chat_id"], "text": "x"}
            return [(await raw.post("sendMessage", data=form)).status_code for _ in range(20)]

        first, second = await run(), await run()
    assert first == second
    assert set(first) == {200, 502}


async def test_a_retrying_client_delivers_each_message_exactly_once(
    make_sandbox, token: str
) -> None:
    sandbox = await make_sandbox(limits=LimitsConfig(enabled=False))
    async with (
        AsyncSandboxClient(sandbox.url) as control,
        Bot(token, base_url=sandbox.base_url) as bot,
    ):
        user = await control.create_user("Lan")
        await control.set_faults(
            seed=3, error_rate=0.2, reset_rate=0.2, timeout_rate=0.2, timeout_delay=0.15
        )
        for n in range(15):
            for _attempt in range(50):
                try:
                    await bot.send_message(user["chat_id"], f"msg {n}", read_timeout=0.05)
                    break
                except (NetworkError, TimedOut):
                    continue
        texts = [record["text"] for record in await control.sent()]
        stats = await control.stats()
    assert texts == [f"msg {n}" for n in range(15)]
    assert stats["server_errors"] and stats["resets"] and stats["timeouts"]
