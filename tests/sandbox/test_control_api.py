"""The control API: acting as users, waiting without sleeps, reset, and the ways to run
the sandbox (in a thread for synchronous callers, as a process with Ctrl-C)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time

import httpx
import pytest

from bot.sandbox import (
    AsyncSandboxClient,
    LimitsConfig,
    SandboxConfig,
    SandboxError,
    SandboxTimeout,
    run_in_thread,
    start_sandbox,
)
from bot.sandbox.__main__ import config_from_args


async def test_wait_times_out_with_408_and_what_did_arrive(
    raw: httpx.AsyncClient, control: AsyncSandboxClient
) -> None:
    chat_id = (await control.create_user("Lan"))["chat_id"]
    await raw.post("sendMessage", data={"chat_id": chat_id, "text": "one"})
    with pytest.raises(SandboxTimeout) as caught:
        await control.wait_sent(chat_id=chat_id, count=2, timeout=0.1)
    assert caught.value.status == 408
    assert [r["text"] for r in caught.value.body["items"]] == ["one"]


async def test_wait_returns_only_sends_after_the_mark(
    raw: httpx.AsyncClient, control: AsyncSandboxClient
) -> None:
    lan_id = (await control.create_user("Lan"))["chat_id"]
    minh_id = (await control.create_user("Minh"))["chat_id"]
    await raw.post("sendMessage", data={"chat_id": lan_id, "text": "old"})
    mark = await control.mark()
    waiter = asyncio.create_task(control.wait_sent(chat_id=lan_id, since_id=mark))
    await raw.post("sendMessage", data={"chat_id": minh_id, "text": "other chat"})
    await raw.post("sendMessage", data={"chat_id": lan_id, "text": "new"})
    assert [r["text"] for r in await waiter] == ["new"]
    assert mark == 1


async def test_users_messages_and_presses_are_validated(control: AsyncSandboxClient) -> None:
    assert await control.create_user("An", user_id=777) == {"user_id": 777, "chat_id": 777}
    with pytest.raises(SandboxError) as duplicate:
        await control.create_user("An", user_id=777)
    assert duplicate.value.status == 400
    with pytest.raises(SandboxError) as unknown:
        await control.send_text(1, "who am I")
    assert unknown.value.status == 404
    with pytest.raises(SandboxError) as no_message:
        await control.press_button(777, 99, "x")
    assert no_message.value.status == 404


async def test_pressing_a_button_that_is_not_on_the_message_is_refused(
    raw: httpx.AsyncClient, control: AsyncSandboxClient
) -> None:
    user = await control.create_user("Lan")
    markup = '{"inline_keyboard":[[{"text":"OK","callback_data":"ok"}]]}'
    form = {"chat_id": user["chat_id"], "text": "?", "reply_markup": markup}
    message_id = (await raw.post("sendMessage", data=form)).json()["result"]["message_id"]
    with pytest.raises(SandboxError, match="no button"):
        await control.press_button(user["user_id"], message_id, "stale")
    forced = await control.press_button(user["user_id"], message_id, "stale", force=True)
    assert forced["callback_query_id"]


async def test_edits_media_and_group_messages_become_the_right_updates(
    raw: httpx.AsyncClient, control: AsyncSandboxClient
) -> None:
    user = await control.create_user("Lan")
    first = await control.send_text(user["user_id"], "80%")
    await control.edit_text(user["user_id"], first["message_id"], "90%")
    await control.send_message(user["user_id"], photo=True, caption="ảnh")
    await control.send_message(user["user_id"], sticker=True)
    group = {"id": -42, "type": "group", "title": "Ban chỉ đạo"}
    await control.send_text(user["user_id"], "/status@baocao_sandbox_bot", chat=group)
    updates = (await raw.post("getUpdates")).json()["result"]
    assert updates[1]["edited_message"]["text"] == "90%"
    assert updates[1]["edited_message"]["message_id"] == first["message_id"]
    assert updates[2]["message"]["caption"] == "ảnh" and updates[2]["message"]["photo"]
    assert updates[3]["message"]["sticker"]["type"] == "regular"
    group_message = updates[4]["message"]
    assert group_message["chat"] == {"id": -42, "type": "group", "title": "Ban chỉ đạo"}
    assert group_message["entities"] == [{"type": "bot_command", "offset": 0, "length": 26}]


async def test_a_user_who_writes_again_has_unblocked_the_bot(
    raw: httpx.AsyncClient, control: AsyncSandboxClient
) -> None:
    user = await control.create_user("Lan")
    assert await control.block(user["user_id"]) == [user["user_id"]]
    form = {"chat_id": user["chat_id"], "text": "x"}
    assert (await raw.post("sendMessage", data=form)).status_code == 403
    await control.send_text(user["user_id"], "/start")
    assert (await raw.post("sendMessage", data=form)).status_code == 200


async def test_reset_gives_a_fresh_world_with_the_start_up_knobs(
    raw: httpx.AsyncClient, control: AsyncSandboxClient
) -> None:
    user = await control.create_user("Lan")
    await control.send_text(user["user_id"], "hi")
    await raw.post("sendMessage", data={"chat_id": user["chat_id"], "text": "x"})
    await control.set_limits(enabled=False)
    await control.set_faults(error_rate=0.5)
    await control.reset()
    assert await control.sent() == [] and await control.updates_pending() == 0
    assert (await control.limits())["enabled"] is True
    assert (await control.faults())["error_rate"] == 0.0
    assert (await control.stats())["total_requests"] == 0
    response = await raw.post("sendMessage", data={"chat_id": user["chat_id"], "text": "x"})
    assert response.json()["description"] == "Bad Request: chat not found"


async def test_closing_does_not_wait_for_pending_long_polls(token: str) -> None:
    sandbox = await start_sandbox(SandboxConfig())
    client = httpx.AsyncClient(trust_env=False)
    poll = asyncio.create_task(
        client.post(f"{sandbox.base_url}{token}/getUpdates", data={"timeout": "30"})
    )
    async with AsyncSandboxClient(sandbox.url) as control:
        while (await control.stats())["requests"].get("getUpdates") != 1:
            await asyncio.sleep(0)
    started = time.monotonic()
    await sandbox.close()
    assert time.monotonic() - started < 2
    await asyncio.gather(poll, return_exceptions=True)
    await client.aclose()


def test_threaded_sandbox_serves_synchronous_callers(token: str) -> None:
    config = SandboxConfig(limits=LimitsConfig(enabled=False))
    with run_in_thread(config) as sandbox, sandbox.client() as control:
        user = control.create_user("Lan")
        with httpx.Client(base_url=f"{sandbox.base_url}{token}/", trust_env=False) as bot:
            bot.post("sendMessage", data={"chat_id": user["chat_id"], "text": "sync"})
        [record] = control.wait_sent(chat_id=user["chat_id"], timeout=5)
        assert record["text"] == "sync"
        assert control.stats()["sent_messages"] == 1
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{sandbox.url}/control/stats", trust_env=False)


def test_command_line_options_build_the_config() -> None:
    config = config_from_args(
        [
            "--port",
            "0",
            "--token",
            "1:" + "A" * 25,
            "--no-limits",
            "--error-rate",
            "0.1",
            "--seed",
            "5",
            "--private-burst",
            "2",
        ]
    )
    assert config.port == 0 and config.tokens == frozenset({"1:" + "A" * 25})
    assert config.limits.enabled is False and config.limits.private_burst == 2
    assert config.faults.error_rate == 0.1 and config.faults.seed == 5


def test_module_entry_point_prints_its_address_and_stops_on_ctrl_c() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        match = re.search(r"http://127\.0\.0\.1:\d+", process.stdout.readline())
        assert match is not None
        url = match.group()
        assert httpx.get(f"{url}/control/stats", trust_env=False).status_code == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        assert "stopped" in process.stdout.read()
    finally:
        process.kill()
