"""Zalo Bot API methods (research/zalo.md §1.3): identity, updates, webhook, sending.

Each sending handler validates first (400), then passes the gate (403 blocked, 429
limits or quota), then records the send, so refused calls leave no trace but stats.
"""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox.params import Params
from bot.sandbox.tg_common import Call
from bot.sandbox.zalo_errors import (
    NO_RESULT,
    ZaloError,
    bad_request,
    forbidden,
    not_found,
    request_timeout,
)
from bot.sandbox.zalo_state import UPDATE_KEY, ZaloUser, ZaloWorld, now_ms

TEXT_LIMIT = 2000  # characters (code points), for text and captions
DEFAULT_POLL_TIMEOUT = 30.0  # seconds, Zalo's documented default
CHAT_ACTIONS = frozenset({"typing", "upload_photo"})
_SECRET_RE = re.compile(r"^[\x21-\x7e]{8,256}$")  # visible ASCII: it travels in a header
# Telegram parameters Zalo has no use for; the sandbox refuses them to catch adapters
# that would send buttons or formatting Zalo cannot show.
_TELEGRAM_ONLY = ("reply_markup", "parse_mode", "entities")


def bot_id(token: str) -> str:
    """The bot's id: the token's numeric prefix, as a string like every Zalo id."""
    return token.split(":", 1)[0]


async def get_me(call: Call) -> dict[str, Any]:
    return {
        "id": bot_id(call.token),
        "account_name": call.state.zalo.config.account_name,
        "account_type": "BASIC",
        "can_join_groups": False,
    }


async def get_updates(call: Call) -> dict[str, Any]:
    """One update, consumed as it is handed out; 408 after ``timeout`` s when idle.

    There is no offset and no poller lock: concurrent pollers each get different
    updates ("steal" them), as on Zalo. A webhook set meanwhile ends the poll with 408.
    """
    zalo = call.state.zalo
    if zalo.webhook.url:
        raise bad_request("Webhook is active; call deleteWebhook before getUpdates")
    timeout = max(0.0, call.params.get_float("timeout", DEFAULT_POLL_TIMEOUT))
    items = await zalo.updates.take(0, 1, timeout, lambda: bool(zalo.webhook.url))
    if not items:
        raise request_timeout()
    zalo.updates.drop(items[0]["update_id"])
    update: dict[str, Any] = items[0][UPDATE_KEY]
    return update


async def set_webhook(call: Call) -> dict[str, Any]:
    url = call.params.get_str("url") or ""
    if not url:
        raise bad_request("The url must not be empty")
    if not url.startswith(("https://", "http://")):  # http:// allowed for loopback tests
        raise bad_request("The url must be an HTTPS URL")
    secret = call.params.get_str("secret_token") or ""
    if not secret:
        raise bad_request("The secret_token must not be empty")
    if not _SECRET_RE.match(secret):
        raise bad_request("The secret_token must be 8 to 256 visible ASCII characters")
    zalo = call.state.zalo
    hook = zalo.webhook
    hook.url, hook.secret_token, hook.updated_at = url, secret, now_ms()
    hook.last_error_date = hook.last_error_message = None
    zalo.updates.signal.fire()  # wake the deliverer and end a running long poll
    return {"url": url, "updated_at": hook.updated_at}


async def delete_webhook(call: Call) -> dict[str, Any]:
    hook = call.state.zalo.webhook
    hook.url, hook.secret_token, hook.updated_at = "", None, now_ms()
    return {"url": "", "updated_at": hook.updated_at}


async def get_webhook_info(call: Call) -> dict[str, Any]:
    """The webhook, or 404 ``Not Found`` when none is set (as observed)."""
    hook = call.state.zalo.webhook
    if not hook.url:
        raise not_found()
    return {"url": hook.url, "updated_at": hook.updated_at}


async def send_message(call: Call) -> dict[str, Any]:
    user = _target(call)
    text = _checked_text(call.params, "text", required=True)
    call.state.zalo.gate(user.user_id)
    return _record(call, user, text=text)


async def send_photo(call: Call) -> dict[str, Any]:
    user = _target(call)
    photo = call.params.get_str("photo") or ""
    if not photo:
        raise bad_request("The photo must not be empty")
    if not photo.startswith(("http://", "https://")):
        raise bad_request("The photo must be a URL")
    caption = _checked_text(call.params, "caption", required=False)
    call.state.zalo.gate(user.user_id)
    return _record(call, user, caption=caption, file={"kind": "photo", "url": photo})


async def send_sticker(call: Call) -> dict[str, Any]:
    user = _target(call)
    sticker = call.params.get_str("sticker") or ""
    if not sticker:
        raise bad_request("The sticker must not be empty")
    call.state.zalo.gate(user.user_id)
    return _record(call, user, file={"kind": "sticker", "file_id": sticker})


async def send_chat_action(call: Call) -> object:
    """``{"ok": true}`` with no ``result``, as the method table shows."""
    user = _target(call)
    if call.params.get_str("action") not in CHAT_ACTIONS:
        raise bad_request("The action must be typing or upload_photo")
    if user.user_id in call.state.zalo.blocked:
        raise forbidden()
    return NO_RESULT


def _target(call: Call) -> ZaloUser:
    """The chat a send targets (private chats only) after the Telegram-only check."""
    for name in _TELEGRAM_ONLY:
        if call.params.has(name):
            raise bad_request(f"The {name} parameter is not supported")
    chat_id = call.params.get_str("chat_id") or ""
    if not chat_id:
        raise bad_request("The chat_id must not be empty")
    user = call.state.zalo.users.get(chat_id)
    if user is None:
        raise bad_request("Chat not found")
    return user


def _checked_text(params: Params, name: str, required: bool) -> str | None:
    text = params.get_str(name)
    if not text:
        if required:
            raise bad_request(f"The {name} must not be empty")
        return None
    if len(text) > TEXT_LIMIT:
        raise ZaloError(400, f"The {name} must not exceed {TEXT_LIMIT} characters")
    return text


def _record(call: Call, user: ZaloUser, **content: Any) -> dict[str, Any]:
    """Log an accepted send; answer ``{"message_id", "date"}`` like Zalo."""
    zalo = call.state.zalo
    message_id, date = zalo.new_id("message"), now_ms()
    call.state.sent.add(
        method=call.method,
        chat_id=user.user_id,
        message_id=message_id,
        channel="zalo",
        text=content.get("text"),
        caption=content.get("caption"),
        file=content.get("file"),
    )
    call.state.stats.count_send(edit=False)
    if zalo.config.echo_bot_messages:
        _echo(zalo, call.token, user, message_id, date, content)
    return {"message_id": message_id, "date": date}


def _echo(
    zalo: ZaloWorld, token: str, user: ZaloUser, message_id: str, date: int, content: Any
) -> None:
    """Feed the bot's own message back to it, as integrators saw Zalo do."""
    sender = {"id": bot_id(token), "display_name": zalo.config.account_name, "is_bot": True}
    message: dict[str, Any] = {
        "from": sender,
        "chat": user.chat(),
        "message_id": message_id,
        "date": date,
    }
    file = content.get("file") or {}
    if file.get("kind") == "photo":
        message.update(photo=file["url"], photo_url=file["url"])
        event = "message.image.received"
    elif file.get("kind") == "sticker":
        message.update(sticker=file["file_id"])
        event = "message.sticker.received"
    else:
        message["text"] = content.get("text")
        event = "message.text.received"
    if content.get("caption"):
        message["caption"] = content["caption"]
    zalo.push(event, message)
