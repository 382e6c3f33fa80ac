"""The Bot API wire format with a raw HTTP client: bodies, answers and errors."""

from __future__ import annotations

import json

import httpx

from bot.sandbox import AsyncSandboxClient, RunningSandbox

MARKUP = {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]}


async def test_form_json_and_query_bodies_are_all_understood(
    raw: httpx.AsyncClient, control: AsyncSandboxClient
) -> None:
    chat_id = (await control.create_user("Lan"))["chat_id"]
    form = {"chat_id": str(chat_id), "text": "123", "reply_markup": json.dumps(MARKUP)}
    assert (await raw.post("sendMessage", data=form)).json()["ok"] is True
    body = {"chat_id": chat_id, "text": "json", "reply_markup": MARKUP}
    assert (await raw.post("sendMessage", json=body)).json()["ok"] is True
    assert (await raw.get("sendMessage", params={"chat_id": chat_id, "text": "q"})).json()["ok"]
    records = await control.sent()
    assert [r["text"] for r in records] == ["123", "json", "q"]  # "123" stays a string
    assert records[0]["reply_markup"] == records[1]["reply_markup"] == MARKUP


async def test_a_sent_message_has_telegrams_shape(
    raw: httpx.AsyncClient, control: AsyncSandboxClient, token: str
) -> None:
    chat_id = (await control.create_user("Lan", last_name="Nguyễn", username="lan"))["chat_id"]
    answer = (await raw.post("sendMessage", data={"chat_id": chat_id, "text": "hi"})).json()
    message = answer["result"]
    assert set(answer) == {"ok", "result"}
    assert {"message_id", "date", "chat", "from", "text"} <= set(message)
    assert message["chat"] == {
        "id": chat_id,
        "type": "private",
        "first_name": "Lan",
        "last_name": "Nguyễn",
        "username": "lan",
    }
    assert message["from"]["id"] == int(token.split(":")[0]) and message["from"]["is_bot"]


async def test_multipart_uploads_and_attach_references(
    raw: httpx.AsyncClient, control: AsyncSandboxClient
) -> None:
    chat_id = (await control.create_user("Lan"))["chat_id"]
    files = {"document": ("report.docx", b"DOCX", "application/msword")}
    direct = await raw.post("sendDocument", data={"chat_id": str(chat_id)}, files=files)
    assert direct.json()["result"]["document"]["file_name"] == "report.docx"
    files = {"part1": ("chart.png", b"PNG", "image/png")}
    form = {"chat_id": str(chat_id), "photo": "attach://part1", "caption": "Biểu đồ"}
    attached = (await raw.post("sendPhoto", data=form, files=files)).json()["result"]
    assert attached["caption"] == "Biểu đồ" and len(attached["photo"]) == 2
    records = await control.sent()
    assert [r["file"]["mime_type"] for r in records] == ["application/msword", "image/png"]
    assert records[1]["file"]["size"] == 3


async def test_unknown_method_bad_token_and_case_insensitive_names(
    sandbox: RunningSandbox, raw: httpx.AsyncClient
) -> None:
    unknown = await raw.post("sendTelepathy")
    assert unknown.status_code == 404
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert (await raw.get("GETME")).json()["ok"] is True
    async with httpx.AsyncClient(trust_env=False) as client:
        bad = await client.get(f"{sandbox.base_url}not-a-token/getMe")
    assert bad.status_code == 401
    assert bad.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_bad_input_gets_400_with_telegrams_wording(
    raw: httpx.AsyncClient, control: AsyncSandboxClient
) -> None:
    chat_id = (await control.create_user("Lan"))["chat_id"]
    cases = [
        ({"text": "x"}, "Bad Request: chat_id is empty"),
        ({"chat_id": chat_id}, "Bad Request: message text is empty"),
        (
            {"chat_id": chat_id, "text": "x", "reply_markup": "{"},
            "Bad Request: can't parse reply keyboard markup JSON object",
        ),
        (
            {
                "chat_id": chat_id,
                "text": "x",
                "reply_markup": json.dumps({"inline_keyboard": [[{"text": "no action"}]]}),
            },
            "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        ),
    ]
    for form, description in cases:
        response = await raw.post("sendMessage", data=form)
        assert response.status_code == 400, form
        assert response.json() == {"ok": False, "error_code": 400, "description": description}
    assert (await control.stats())["bad_requests"] == len(cases)


async def test_callback_queries_can_be_answered_once(
    raw: httpx.AsyncClient, control: AsyncSandboxClient
) -> None:
    user = await control.create_user("Lan")
    form = {"chat_id": user["chat_id"], "text": "?", "reply_markup": json.dumps(MARKUP)}
    message_id = (await raw.post("sendMessage", data=form)).json()["result"]["message_id"]
    press = await control.press_button(user["user_id"], message_id, "ok")
    answer = {"callback_query_id": press["callback_query_id"], "text": "Đã nhận"}
    assert (await raw.post("answerCallbackQuery", data=answer)).json() == {
        "ok": True,
        "result": True,
    }
    again = await raw.post("answerCallbackQuery", data=answer)
    assert again.status_code == 400 and "query ID is invalid" in again.json()["description"]
    assert (await control.wait_answer(press["callback_query_id"]))["text"] == "Đã nhận"


async def test_negative_offset_keeps_only_the_latest_updates(
    raw: httpx.AsyncClient, control: AsyncSandboxClient
) -> None:
    user = await control.create_user("Lan")
    for n in range(3):
        await control.send_text(user["user_id"], f"m{n}")
    latest = (await raw.post("getUpdates", data={"offset": "-1"})).json()["result"]
    assert [u["message"]["text"] for u in latest] == ["m2"]
    assert await control.updates_pending() == 1


async def test_chat_action_and_webhook_info(
    raw: httpx.AsyncClient, control: AsyncSandboxClient
) -> None:
    chat_id = (await control.create_user("Lan"))["chat_id"]
    action = await raw.post("sendChatAction", data={"chat_id": chat_id, "action": "typing"})
    assert action.json() == {"ok": True, "result": True}
    info = (await raw.post("getWebhookInfo")).json()["result"]
    assert info == {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
    assert await control.sent() == []  # a chat action is not a message
