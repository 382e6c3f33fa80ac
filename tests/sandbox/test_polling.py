"""getUpdates like Telegram: long-polling, offsets, conflicts; and a PTB Application
polling the sandbox end to end (message in, reply out, button press, answer)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Conflict
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.sandbox import AsyncSandboxClient, RunningSandbox


async def test_long_poll_returns_as_soon_as_a_message_arrives(
    raw: httpx.AsyncClient, control: AsyncSandboxClient
) -> None:
    user = await control.create_user("Lan")
    poll = asyncio.create_task(raw.post("getUpdates", data={"timeout": "5"}))
    while (await control.stats())["requests"].get("getUpdates") != 1:
        await asyncio.sleep(0)  # yield until the poll reached the server; no fixed sleep
    injected = await control.send_text(user["user_id"], "/start")
    body = (await asyncio.wait_for(poll, 3)).json()
    assert body["ok"] is True
    [update] = body["result"]
    assert update["update_id"] == injected["update_id"]
    assert update["message"]["text"] == "/start"
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]


async def test_offset_confirms_earlier_updates(
    raw: httpx.AsyncClient, control: AsyncSandboxClient
) -> None:
    user = await control.create_user("Lan")
    ids = [(await control.send_text(user["user_id"], f"m{n}"))["update_id"] for n in range(3)]
    first = (await raw.post("getUpdates", data={"limit": "2"})).json()["result"]
    assert [u["update_id"] for u in first] == ids[:2]
    assert await control.updates_pending() == 3  # nothing confirmed yet
    rest = (await raw.post("getUpdates", data={"offset": str(ids[1] + 1)})).json()["result"]
    assert [u["update_id"] for u in rest] == ids[2:]
    assert await control.updates_pending() == 1
    await raw.post("getUpdates", data={"offset": str(ids[2] + 1)})
    assert await control.updates_pending() == 0


async def test_second_concurrent_poller_gets_conflict(
    sandbox: RunningSandbox, token: str, raw: httpx.AsyncClient, control: AsyncSandboxClient
) -> None:
    first = asyncio.create_task(raw.post("getUpdates", data={"timeout": "5"}))
    while (await control.stats())["requests"].get("getUpdates") != 1:
        await asyncio.sleep(0)
    async with Bot(token, base_url=sandbox.base_url) as bot:
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await bot.get_updates(timeout=0)
    user = await control.create_user("Lan")
    await control.send_text(user["user_id"], "hi")
    assert (await asyncio.wait_for(first, 3)).json()["result"][0]["message"]["text"] == "hi"


async def test_an_abandoned_long_poll_does_not_lock_out_the_next_one(
    sandbox: RunningSandbox, token: str, raw: httpx.AsyncClient, control: AsyncSandboxClient
) -> None:
    async with httpx.AsyncClient(trust_env=False) as other:
        abandoned = asyncio.create_task(
            other.post(f"{sandbox.base_url}{token}/getUpdates", data={"timeout": "30"})
        )
        while (await control.stats())["requests"].get("getUpdates") != 1:
            await asyncio.sleep(0)
        abandoned.cancel()
    # The client hung up; the server ends that poll, so the next poller is accepted.
    response = await raw.post("getUpdates", data={"timeout": "0"})
    assert response.status_code == 200


async def test_get_updates_is_refused_while_a_webhook_is_set(
    raw: httpx.AsyncClient, ptb: Bot
) -> None:
    await ptb.set_webhook("http://127.0.0.1:9/hook")
    with pytest.raises(Conflict, match="webhook is active"):
        await ptb.get_updates()
    assert (await raw.post("getUpdates")).status_code == 409
    await ptb.delete_webhook()
    assert await ptb.get_updates() == ()


async def test_ptb_application_polls_replies_and_answers_button_presses(
    sandbox: RunningSandbox, token: str, control: AsyncSandboxClient
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Đã xong", callback_data="done")]])

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Chào đồng chí", reply_markup=keyboard)

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_message.text
        await update.effective_message.reply_text(update.effective_message.text.upper())

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Đã ghi nhận")
        await query.edit_message_text(f"Bạn chọn: {query.data}")

    app = ApplicationBuilder().token(token).base_url(sandbox.base_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(pressed))
    user = await control.create_user("Lan")
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=5, poll_interval=0)
        await control.send_text(user["user_id"], "/start")
        [greeting] = await control.wait_sent(chat_id=user["chat_id"], count=1)
        await control.send_text(user["user_id"], "tiến độ 80%")
        replies = await control.wait_sent(chat_id=user["chat_id"], since_id=greeting["id"])
        press = await control.press_button(user["user_id"], greeting["message_id"], "done")
        answer = await control.wait_answer(press["callback_query_id"])
        [edit] = await control.wait_sent(
            chat_id=user["chat_id"], since_id=replies[-1]["id"], method="editMessageText"
        )
        await app.updater.stop()
        await app.stop()
    assert greeting["text"] == "Chào đồng chí" and greeting["reply_markup"]
    assert replies[0]["text"] == "TIẾN ĐỘ 80%"
    assert answer["text"] == "Đã ghi nhận"
    assert edit["text"] == "Bạn chọn: done" and edit["message_id"] == greeting["message_id"]
    assert await control.updates_pending() == 0  # PTB confirmed everything on stop
    stats = await control.stats()
    assert stats["requests"].get("deleteWebhook") == 1
    assert stats["errors"] == {}  # in particular no 409 when PTB confirms on stop


async def test_setting_a_webhook_ends_a_pending_long_poll_empty(
    raw: httpx.AsyncClient, ptb: Bot, control: AsyncSandboxClient
) -> None:
    poll = asyncio.create_task(raw.post("getUpdates", data={"timeout": "5"}))
    while (await control.stats())["requests"].get("getUpdates") != 1:
        await asyncio.sleep(0)
    await ptb.set_webhook("http://127.0.0.1:9/hook")
    assert (await asyncio.wait_for(poll, 3)).json() == {"ok": True, "result": []}
