"""Control API, acting as the users: create users, send messages, press buttons, block.

Injected messages and presses become updates, delivered by getUpdates or the webhook.
"""

from __future__ import annotations

import base64
import copy
import time
from typing import Any

from aiohttp import web

from bot.sandbox.control_common import (
    ControlError,
    int_field,
    json_body,
    optional_int,
    reply,
    state_of,
)
from bot.sandbox.objects import Chat, FileInfo, User
from bot.sandbox.state import Answer, SandboxState
from bot.sandbox.textcheck import TEXT_LIMIT, callback_datas, command_entities

_MEDIA_DEFAULTS = {
    "photo": ("photo.jpg", "image/jpeg"),
    "sticker": ("sticker.webp", "image/webp"),
    "document": ("file.bin", "application/octet-stream"),
}


async def create_user(request: web.Request) -> web.Response:
    """``POST /control/users`` → ``{"user_id", "chat_id"}`` (a private chat)."""
    body = await json_body(request)
    state = state_of(request)
    user_id = optional_int(body, "user_id")
    if user_id is not None and (user_id <= 0 or user_id in state.users):
        raise ControlError(400, "user_id must be positive and unused")
    user = state.add_user(
        str(body.get("first_name") or "Test"),
        user_id,
        last_name=body.get("last_name"),
        username=body.get("username"),
        language_code=body.get("language_code"),
    )
    return reply({"user_id": user.user_id, "chat_id": user.user_id})


async def list_users(request: web.Request) -> web.Response:
    users = state_of(request).users.values()
    return reply({"users": [user.to_tg() for user in users]})


def _user(state: SandboxState, body: dict[str, Any]) -> User:
    user = state.users.get(int_field(body, "user_id"))
    if user is None:
        raise ControlError(404, "unknown user_id; create it with POST /control/users")
    return user


def _chat(state: SandboxState, user: User, spec: Any) -> Chat:
    if spec is None:
        return state.chats[user.user_id]
    if not isinstance(spec, dict):
        raise ControlError(400, "chat must be an object")
    chat_id = int_field(spec, "id")
    if chat_id >= 0:
        raise ControlError(400, "group chat ids are negative")
    chat = Chat(chat_id, str(spec.get("type") or "group"), str(spec.get("title") or "Group"))
    return state.chats.setdefault(chat_id, chat)


async def inject_message(request: web.Request) -> web.Response:
    """``POST /control/messages`` → ``{"update_id", "message_id"}``."""
    body = await json_body(request)
    state = state_of(request)
    user = _user(state, body)
    chat = _chat(state, user, body.get("chat"))
    # Writing to the bot is how a user un-blocks it in Telegram.
    state.blocked.discard(user.user_id)
    if body.get("edited"):
        message = _edited(state, user, chat, body)
        update_id = state.updates.put("edited_message", copy.deepcopy(message))
    else:
        message = _new_message(state, user, chat, body)
        update_id = state.updates.put("message", copy.deepcopy(message))
    return reply({"update_id": update_id, "message_id": message["message_id"]})


def _new_message(state: SandboxState, user: User, chat: Chat, body: dict[str, Any]) -> dict:
    message: dict[str, Any] = {
        "message_id": state.new_message_id(chat.chat_id),
        "from": user.to_tg(),
        "chat": chat.to_tg(),
        "date": int(time.time()),
    }
    _set_text(message, body.get("text"))
    media = [kind for kind in _MEDIA_DEFAULTS if body.get(kind)]
    for kind in media:
        media_file(state, kind, body[kind]).attach_to(message)
    if media and body.get("caption"):
        message["caption"] = str(body["caption"])
    if "text" not in message and not media:
        raise ControlError(400, "give text, document, photo or sticker")
    state.store(message, from_bot=False)
    return message


def _set_text(message: dict[str, Any], text: Any) -> None:
    if text is None:
        return
    if not str(text) or len(str(text)) > TEXT_LIMIT:
        raise ControlError(400, f"a user's text has 1 to {TEXT_LIMIT} characters")
    message["text"] = str(text)
    entities = command_entities(message["text"])
    if entities:
        message["entities"] = entities
    else:
        message.pop("entities", None)


def media_file(state: SandboxState, kind: str, spec: Any) -> FileInfo:
    """A file a user sends (``spec``: ``true`` or ``{file_name, mime_type, content or
    content_b64}``), registered so ``/control/files/{file_id}`` serves it."""
    spec = spec if isinstance(spec, dict) else {}
    name, mime = _MEDIA_DEFAULTS[kind]
    if "content_b64" in spec:
        content = base64.b64decode(spec["content_b64"])
    else:
        content = str(spec.get("content", f"sandbox {kind}")).encode()
    info = state.new_file(
        kind, spec.get("file_name") or name, spec.get("mime_type") or mime, content
    )
    state.files[info.file_id] = info
    return info


def _edited(state: SandboxState, user: User, chat: Chat, body: dict[str, Any]) -> dict:
    message_id = optional_int(body, "message_id")
    if message_id is None:  # default: the user's latest message in that chat
        mine = [
            k[1]
            for k, m in state.messages.items()
            if k[0] == chat.chat_id and not m.from_bot and m.message["from"]["id"] == user.user_id
        ]
        message_id = max(mine, default=0)
    stored = state.messages.get((chat.chat_id, message_id))
    if stored is None or stored.from_bot:
        raise ControlError(404, "no message of this user to edit")
    _set_text(stored.message, body.get("text"))
    stored.message["edit_date"] = int(time.time())
    return stored.message


async def press_button(request: web.Request) -> web.Response:
    """``POST /control/callback`` → ``{"update_id", "callback_query_id"}``."""
    body = await json_body(request)
    state = state_of(request)
    user = _user(state, body)
    chat_id = int_field(body, "chat_id", user.user_id)
    stored = state.messages.get((chat_id, int_field(body, "message_id")))
    if stored is None or not stored.from_bot:
        raise ControlError(404, "no message from the bot with this message_id in that chat")
    data = str(body.get("data", ""))
    if not body.get("force") and data not in callback_datas(stored.message.get("reply_markup")):
        raise ControlError(400, f"the message has no button with callback_data {data!r}")
    query_id = str(4_000_000_000_000 + state.next_id())
    state.callbacks[query_id] = Answer(user.user_id)
    update_id = state.updates.put(
        "callback_query",
        {
            "id": query_id,
            "from": user.to_tg(),
            "message": copy.deepcopy(stored.message),
            "chat_instance": str(abs(chat_id) * 7919),
            "data": data,
        },
    )
    return reply({"update_id": update_id, "callback_query_id": query_id})


async def block(request: web.Request) -> web.Response:
    state = state_of(request)
    state.blocked.add(_user(state, await json_body(request)).user_id)
    return reply({"blocked": sorted(state.blocked)})


async def unblock(request: web.Request) -> web.Response:
    state = state_of(request)
    state.blocked.discard(_user(state, await json_body(request)).user_id)
    return reply({"blocked": sorted(state.blocked)})
