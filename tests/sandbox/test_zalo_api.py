"""The Zalo Bot API side, spoken to with raw httpx: shapes, ids, dates, polling, errors."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import httpx

from bot.sandbox import AsyncSandboxClient, RunningSandbox, ZaloConfig

HEX20 = re.compile(r"^[0-9a-f]{20}$")


def _now_ms() -> int:
    return int(time.time() * 1000)


async def test_get_me_has_zalo_shape_and_a_string_id(zalo: httpx.AsyncClient) -> None:
    answer = (await zalo.post("getMe")).json()
    assert answer == {
        "ok": True,
        "result": {
            "id": "12345689",
            "account_name": "bot.baocao_sandbox",
            "account_type": "BASIC",
            "can_join_groups": False,
        },
    }


async def test_get_updates_returns_one_injected_message_with_zalo_shape(
    zalo: httpx.AsyncClient, control: AsyncSandboxClient, zalo_user: dict[str, Any]
) -> None:
    before = _now_ms()
    injected = await control.send_text(zalo_user["user_id"], "Xin chào")
    await control.send_text(zalo_user["user_id"], "thứ hai")
    response = await zalo.post("getUpdates", json={"timeout": "1"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"ok", "result"} and body["ok"] is True
    update = body["result"]
    assert isinstance(update, dict)  # one update, not a list
    assert update["event_name"] == "message.text.received"
    message = update["message"]
    uid = zalo_user["user_id"]
    assert isinstance(uid, str) and HEX20.match(uid)
    assert message["from"] == {"id": uid, "display_name": "Lan", "is_bot": False}
    assert message["chat"] == {"id": uid, "chat_type": "PRIVATE"}
    assert message["text"] == "Xin chào"
    assert message["message_id"] == injected["message_id"] and HEX20.match(message["message_id"])
    assert isinstance(message["date"], int) and before <= message["date"] <= _now_ms()
    assert "update_id" not in update and "offset" not in update


async def test_an_update_is_consumed_when_delivered(
    zalo: httpx.AsyncClient, control: AsyncSandboxClient, zalo_user: dict[str, Any]
) -> None:
    await control.send_text(zalo_user["user_id"], "một")
    await control.send_text(zalo_user["user_id"], "hai")
    assert await control.updates_pending(channel="zalo") == 2
    first = (await zalo.get("getUpdates", params={"timeout": 0})).json()["result"]
    second = (await zalo.get("getUpdates", params={"timeout": 0})).json()["result"]
    assert [first["message"]["text"], second["message"]["text"]] == ["một", "hai"]
    assert await control.updates_pending(channel="zalo") == 0
    assert await control.updates_pending() == 0  # nothing leaked to the Telegram side


async def test_idle_get_updates_answers_408_after_its_timeout(zalo: httpx.AsyncClient) -> None:
    started = time.monotonic()
    response = await zalo.post("getUpdates", data={"timeout": "0.3"})
    assert time.monotonic() - started >= 0.25
    assert response.status_code == 408
    assert response.json() == {"ok": False, "description": "Request timeout"}


async def test_a_long_poll_wakes_for_a_message_injected_while_waiting(
    zalo: httpx.AsyncClient, control: AsyncSandboxClient, zalo_user: dict[str, Any]
) -> None:
    poll = asyncio.create_task(zalo.post("getUpdates", json={"timeout": 5}))
    await control.send_text(zalo_user["user_id"], "đến rồi")
    response = await asyncio.wait_for(poll, 5)
    assert response.json()["result"]["message"]["text"] == "đến rồi"


async def test_concurrent_pollers_each_take_a_different_update(
    zalo: httpx.AsyncClient, control: AsyncSandboxClient, zalo_user: dict[str, Any]
) -> None:
    polls = [asyncio.create_task(zalo.post("getUpdates", json={"timeout": 5})) for _ in range(2)]
    for text in ("a", "b"):
        await control.send_text(zalo_user["user_id"], text)
    answers = await asyncio.wait_for(asyncio.gather(*polls), 5)
    assert sorted(a.json()["result"]["message"]["text"] for a in answers) == ["a", "b"]


async def test_send_message_accepts_2000_characters_and_refuses_2001(
    zalo: httpx.AsyncClient, control: AsyncSandboxClient, zalo_user: dict[str, Any]
) -> None:
    chat_id = zalo_user["chat_id"]
    ok = await zalo.post("sendMessage", json={"chat_id": chat_id, "text": "ệ" * 2000})
    assert ok.status_code == 200
    result = ok.json()["result"]
    assert set(result) == {"message_id", "date"}
    assert HEX20.match(result["message_id"]) and abs(result["date"] - _now_ms()) < 60_000
    too_long = await zalo.post("sendMessage", json={"chat_id": chat_id, "text": "ệ" * 2001})
    assert too_long.status_code == 400
    assert too_long.json() == {
        "ok": False,
        "error_code": 400,
        "description": "The text must not exceed 2000 characters",
    }
    records = await control.sent(channel="zalo")
    assert [len(r["text"]) for r in records] == [2000]
    assert records[0]["message_id"] == result["message_id"]


async def test_send_message_validation_errors(
    zalo: httpx.AsyncClient, zalo_user: dict[str, Any], control: AsyncSandboxClient
) -> None:
    chat_id = zalo_user["chat_id"]
    cases = [
        ({"text": "x"}, "The chat_id must not be empty"),
        ({"chat_id": chat_id, "text": ""}, "The text must not be empty"),
        ({"chat_id": "0123456789abcdef0123", "text": "x"}, "Chat not found"),
        ({"chat_id": chat_id, "text": "x", "reply_markup": "{}"}, "not supported"),
        ({"chat_id": chat_id, "text": "<b>x</b>", "parse_mode": "HTML"}, "not supported"),
    ]
    for form, description in cases:
        response = await zalo.post("sendMessage", data=form)
        assert response.status_code == 400, form
        assert description in response.json()["description"]
        assert response.json()["error_code"] == 400
    assert await control.sent() == []


async def test_bad_token_is_401_and_unknown_names_are_400_or_404(
    sandbox: RunningSandbox, zalo: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(trust_env=False) as http:
        bad = await http.post(f"{sandbox.zalo_base_url}/botnot-a-token/getMe")
        assert bad.status_code == 401
        assert bad.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        elsewhere = await http.get(f"{sandbox.zalo_base_url}/nothing/here")
        assert elsewhere.status_code == 404
        assert elsewhere.json() == {"ok": False, "description": "Not Found"}
    lower = await zalo.post("sendmessage")  # Zalo method names are case-sensitive
    assert lower.status_code == 400
    assert lower.json()["description"] == "Invalid API name"


async def test_only_configured_tokens_are_accepted(make_sandbox, zalo_token: str) -> None:
    sandbox = await make_sandbox(zalo=ZaloConfig(tokens=frozenset({zalo_token})))
    async with httpx.AsyncClient(base_url=sandbox.zalo_base_url, trust_env=False) as http:
        assert (await http.get(f"/bot{zalo_token}/getMe")).status_code == 200
        assert (await http.get("/bot999:other-token/getMe")).status_code == 401


async def test_photo_sticker_and_chat_action(
    zalo: httpx.AsyncClient, control: AsyncSandboxClient, zalo_user: dict[str, Any]
) -> None:
    chat_id = zalo_user["chat_id"]
    photo = {"chat_id": chat_id, "photo": "https://example.invalid/a.png", "caption": "Biểu đồ"}
    assert (await zalo.post("sendPhoto", json=photo)).status_code == 200
    not_url = await zalo.post("sendPhoto", json={"chat_id": chat_id, "photo": "a.png"})
    assert not_url.status_code == 400
    assert (await zalo.post("sendSticker", json={"chat_id": chat_id, "sticker": "s1"})).is_success
    action = await zalo.post("sendChatAction", json={"chat_id": chat_id, "action": "typing"})
    assert action.json() == {"ok": True}
    wrong = await zalo.post("sendChatAction", json={"chat_id": chat_id, "action": "dance"})
    assert wrong.status_code == 400
    records = await control.sent(chat_id=chat_id)
    assert [r["method"] for r in records] == ["sendPhoto", "sendSticker"]
    assert records[0]["caption"] == "Biểu đồ"
    assert records[0]["file"] == {"kind": "photo", "url": "https://example.invalid/a.png"}
    assert records[1]["file"] == {"kind": "sticker", "file_id": "s1"}


async def test_parameters_may_come_as_query_form_or_json(
    zalo: httpx.AsyncClient, control: AsyncSandboxClient, zalo_user: dict[str, Any]
) -> None:
    chat_id = zalo_user["chat_id"]
    await zalo.get("sendMessage", params={"chat_id": chat_id, "text": "query"})
    await zalo.post("sendMessage", data={"chat_id": chat_id, "text": "form"})
    await zalo.post("sendMessage", json={"chat_id": chat_id, "text": "123"})
    texts = [r["text"] for r in await control.sent(chat_id=chat_id)]
    assert texts == ["query", "form", "123"]
