"""Control API for Zalo users, on the same ``/control/`` endpoints as Telegram's.

A call is about Zalo when it says ``"channel": "zalo"`` (body or query), or when its
``user_id`` is a JSON string naming a Zalo user or not a number. Zalo has no buttons
and no edits, so those endpoints refuse Zalo users. ``GET|POST /control/zalo`` reads or
changes the Zalo knobs (:class:`~bot.sandbox.config.ZaloConfig`) at run time.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from bot.sandbox.control_common import (
    ControlError,
    ControlHandler,
    int_field,
    json_body,
    reply,
    state_of,
)
from bot.sandbox.control_inject import media_file
from bot.sandbox.state import SandboxState
from bot.sandbox.zalo_methods import TEXT_LIMIT
from bot.sandbox.zalo_state import ZaloUser, ZaloWorld, now_ms

CHANNELS = ("telegram", "zalo")
MAX_REPEAT = 10


def is_zalo(state: SandboxState, data: Mapping[str, Any]) -> bool:
    """Whether a control call is about the Zalo side (see the module docstring)."""
    channel = data.get("channel")
    if channel not in (None, "", *CHANNELS):
        raise ControlError(400, "channel must be telegram or zalo")
    if channel:
        return bool(channel == "zalo")
    user_id = data.get("user_id")
    if not isinstance(user_id, str):
        return False
    return user_id in state.zalo.users or not user_id.lstrip("-").isdigit()


def by_channel(telegram: ControlHandler, zalo: ControlHandler) -> ControlHandler:
    """One endpoint, two handlers: the Telegram one unless the call is about Zalo."""

    async def dispatch(request: web.Request) -> web.Response:
        data: Mapping[str, Any] = request.query
        if request.method == "POST":
            data = {**request.query, **await json_body(request)}
        handler = zalo if is_zalo(state_of(request), data) else telegram
        return await handler(request)

    dispatch.__doc__ = telegram.__doc__
    return dispatch


def _zalo(request: web.Request) -> ZaloWorld:
    return state_of(request).zalo


def _user(zalo: ZaloWorld, body: dict[str, Any]) -> ZaloUser:
    user = zalo.users.get(str(body.get("user_id", "")))
    if user is None:
        raise ControlError(404, "unknown Zalo user_id; create it with POST /control/users")
    return user


async def create_user(request: web.Request) -> web.Response:
    """``POST /control/users {"channel":"zalo", "display_name"|"first_name", "user_id"?}``."""
    body = await json_body(request)
    zalo = _zalo(request)
    user_id = body.get("user_id")
    if user_id is not None and (not isinstance(user_id, str) or not user_id):
        raise ControlError(400, "a Zalo user_id is a non-empty string")
    if user_id in zalo.users:
        raise ControlError(400, "user_id is already used")
    names = [body.get("first_name"), body.get("last_name")]
    name = body.get("display_name") or " ".join(str(n) for n in names if n) or "Test"
    user = zalo.add_user(str(name), user_id)
    return reply({"user_id": user.user_id, "chat_id": user.user_id, "channel": "zalo"})


async def list_users(request: web.Request) -> web.Response:
    return reply({"users": [user.sender() for user in _zalo(request).users.values()]})


async def inject_message(request: web.Request) -> web.Response:
    """``POST /control/messages``: text, ``photo``, ``sticker`` or ``unsupported``;
    ``repeat`` queues the same update again (a duplicate delivery)."""
    body = await json_body(request)
    zalo = _zalo(request)
    user = _user(zalo, body)
    if body.get("edited") or body.get("chat") is not None:
        raise ControlError(400, "Zalo messages here are private and cannot be edited")
    repeat = int_field(body, "repeat", 1)
    if not 1 <= repeat <= MAX_REPEAT:
        raise ControlError(400, f"repeat is 1 to {MAX_REPEAT}")
    event, message = _message(request, user, body)
    zalo.blocked.discard(user.user_id)  # writing to the bot is taken as unblocking it
    update_ids = [zalo.push(event, copy.deepcopy(message)) for _ in range(repeat)]
    return reply({"update_id": update_ids[-1], "message_id": message["message_id"]})


def _message(
    request: web.Request, user: ZaloUser, body: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """The event name and the Zalo message for an injected body."""
    state = state_of(request)
    message: dict[str, Any] = {
        "from": user.sender(),
        "chat": user.chat(),
        "message_id": state.zalo.new_id("message"),
        "date": now_ms(),
    }
    if body.get("unsupported"):
        return "message.unsupported.received", message
    for kind in ("photo", "sticker"):
        if body.get(kind):
            info = media_file(state, kind, body[kind])
            url = f"{request.url.origin()}/control/files/{info.file_id}"
            if kind == "photo":  # docs say "photo", the SDK "photo_url": give both
                message.update(photo=url, photo_url=url)
            else:
                message.update(sticker=info.file_id, url=url)
            if body.get("caption"):
                message["caption"] = str(body["caption"])
            return f"message.{'image' if kind == 'photo' else kind}.received", message
    text = body.get("text")
    if text is None or not 1 <= len(str(text)) <= TEXT_LIMIT:
        raise ControlError(400, f"give text (1 to {TEXT_LIMIT} characters), photo or sticker")
    message["text"] = str(text)
    return "message.text.received", message


async def no_buttons(request: web.Request) -> web.Response:
    raise ControlError(400, "Zalo has no buttons")


async def block(request: web.Request) -> web.Response:
    zalo = _zalo(request)
    zalo.blocked.add(_user(zalo, await json_body(request)).user_id)
    return reply({"blocked": sorted(zalo.blocked)})


async def unblock(request: web.Request) -> web.Response:
    zalo = _zalo(request)
    zalo.blocked.discard(_user(zalo, await json_body(request)).user_id)
    return reply({"blocked": sorted(zalo.blocked)})


async def updates_pending(request: web.Request) -> web.Response:
    return reply({"pending": _zalo(request).updates.pending()})


async def webhook(request: web.Request) -> web.Response:
    """``GET /control/webhook?channel=zalo``: the settings, secret and delivery state."""
    zalo = _zalo(request)
    hook = zalo.webhook
    data = dataclasses.asdict(hook)
    data.pop("allowed_updates")
    return reply({**data, "pending_update_count": zalo.updates.pending()})


async def settings(request: web.Request) -> web.Response:
    """``GET|POST /control/zalo``: the Zalo knobs (``webhook_shape``, ``message_quota``,
    ``echo_bot_messages``, ``account_name``) and the quota used so far."""
    zalo = _zalo(request)
    if request.method == "POST":
        zalo.config = zalo.config.updated(await json_body(request))
    data = dataclasses.asdict(zalo.config)
    data["tokens"] = sorted(data["tokens"])
    return reply({"zalo": {**data, "quota_used": zalo.quota_used}})
