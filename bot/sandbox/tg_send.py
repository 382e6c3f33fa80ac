"""Bot API methods that send or change messages, plus callback answers and chat actions.

Each handler validates first (400s), then passes the gate (403 blocked, 429 limits),
then changes state and records the call, so refused calls leave no trace but stats.
"""

from __future__ import annotations

import copy
import time
from typing import Any
from urllib.parse import urlsplit

from bot.sandbox.errors import NOT_MODIFIED, bad_request, blocked
from bot.sandbox.objects import FileInfo
from bot.sandbox.params import Upload
from bot.sandbox.state import SandboxState, StoredMessage
from bot.sandbox.textcheck import checked_markup, checked_text
from bot.sandbox.tg_common import Call

_BAD_QUERY = "query is too old and response timeout expired or query ID is invalid"


async def send_message(call: Call) -> dict[str, Any]:
    chat = call.state.chat(call.params.chat_id())
    text = checked_text(call.params)
    markup = checked_markup(call.params)
    call.state.gate(chat.chat_id, call.params.get_bool("allow_paid_broadcast"))
    message = call.new_message(chat, text=text, reply_markup=markup)
    call.record(message)
    return message


async def send_photo(call: Call) -> dict[str, Any]:
    return _send_file(call, "photo")


async def send_document(call: Call) -> dict[str, Any]:
    return _send_file(call, "document")


def _send_file(call: Call, kind: str) -> dict[str, Any]:
    chat = call.state.chat(call.params.chat_id())
    source = call.params.file(kind)
    if source is None:
        raise bad_request(f"there is no {kind} in the request")
    caption = checked_text(call.params, "caption", required=False)
    markup = checked_markup(call.params)
    info = _resolve_file(call.state, kind, source)
    call.state.gate(chat.chat_id, call.params.get_bool("allow_paid_broadcast"))
    if info.file_id not in call.state.files:
        call.state.files[info.file_id] = info
    message = call.new_message(chat, caption=caption, reply_markup=markup)
    info.attach_to(message)
    call.record(message, info)
    return message


def _resolve_file(state: SandboxState, kind: str, source: Upload | str) -> FileInfo:
    """An upload becomes a new file; a known file_id is re-sent; a URL is remembered."""
    if isinstance(source, Upload):
        return state.new_file(kind, source.file_name, source.mime_type, source.content)
    known = state.files.get(source)
    if known is not None:
        return known
    if source.startswith(("http://", "https://")):
        name = urlsplit(source).path.rsplit("/", 1)[-1] or None
        return state.new_file(kind, name, None, url=source)
    raise bad_request("wrong file identifier/HTTP URL specified")


async def edit_message_text(call: Call) -> dict[str, Any]:
    stored = _message_to_edit(call)
    text = checked_text(call.params)
    markup = checked_markup(call.params)
    if "text" not in stored.message:
        raise bad_request("there is no text in the message to edit")
    return _apply_edit(call, stored, {"text": text, "reply_markup": markup})


async def edit_message_reply_markup(call: Call) -> dict[str, Any]:
    stored = _message_to_edit(call)
    return _apply_edit(call, stored, {"reply_markup": checked_markup(call.params)})


def _message_to_edit(call: Call) -> StoredMessage:
    if call.params.has("inline_message_id"):
        raise bad_request("message to edit not found")  # inline mode is not simulated
    chat = call.state.chat(call.params.chat_id())
    message_id = call.params.get_int("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    stored = call.state.messages.get((chat.chat_id, message_id))
    if stored is None:
        raise bad_request("message to edit not found")
    if not stored.from_bot:
        raise bad_request("message can't be edited")
    return stored


def _apply_edit(call: Call, stored: StoredMessage, changes: dict[str, Any]) -> dict[str, Any]:
    # Like Telegram, an edit without reply_markup removes the inline keyboard.
    message = stored.message
    if all(message.get(key) == value for key, value in changes.items()):
        raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
    call.state.gate(message["chat"]["id"])
    for key, value in changes.items():
        if value is None:
            message.pop(key, None)
        else:
            message[key] = value
    message["edit_date"] = int(time.time())
    call.record(message)
    return copy.deepcopy(message)


async def answer_callback_query(call: Call) -> bool:
    query_id = call.params.get_str("callback_query_id")
    pending = call.state.callbacks.get(query_id or "")
    if pending is None or pending.answer is not None:
        raise bad_request(_BAD_QUERY)
    text = call.params.get_str("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    pending.answer = {
        "callback_query_id": query_id,
        "text": text,
        "show_alert": call.params.get_bool("show_alert"),
        "url": call.params.get_str("url"),
        "cache_time": call.params.get_int("cache_time", 0),
        "ts": time.time(),
    }
    call.state.answers_signal.fire()
    return True


async def send_chat_action(call: Call) -> bool:
    chat = call.state.chat(call.params.chat_id())
    if not call.params.get_str("action"):
        raise bad_request("action is empty")
    if chat.chat_id in call.state.blocked:
        raise blocked()
    return True
