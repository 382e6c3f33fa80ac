"""The Telegram Bot API endpoint: ``/bot{token}/{method}`` and file downloads.

Order of checks, as Telegram does it: token (401), method (404), injected faults
(502 / time-out / reset / 429 storm), then the method's own validation, gate and work.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

from aiohttp import web

from bot.sandbox import tg_send, tg_updates
from bot.sandbox.config import SENDING_METHODS, TOKEN_RE
from bot.sandbox.errors import ApiError, bad_gateway, not_found, ok, too_many_requests, unauthorized
from bot.sandbox.faults import Fault
from bot.sandbox.params import read_params
from bot.sandbox.state import STATE_REF, SandboxState
from bot.sandbox.tg_common import Call, Handler

HANDLERS: dict[str, Handler] = {
    "getMe": tg_updates.get_me,
    "getUpdates": tg_updates.get_updates,
    "setWebhook": tg_updates.set_webhook,
    "deleteWebhook": tg_updates.delete_webhook,
    "getWebhookInfo": tg_updates.get_webhook_info,
    "setMyCommands": tg_updates.set_my_commands,
    "getMyCommands": tg_updates.get_my_commands,
    "deleteMyCommands": tg_updates.delete_my_commands,
    "getFile": tg_updates.get_file,
    "close": tg_updates.answer_true,
    "logOut": tg_updates.answer_true,
    "sendMessage": tg_send.send_message,
    "sendPhoto": tg_send.send_photo,
    "sendDocument": tg_send.send_document,
    "editMessageText": tg_send.edit_message_text,
    "editMessageReplyMarkup": tg_send.edit_message_reply_markup,
    "answerCallbackQuery": tg_send.answer_callback_query,
    "sendChatAction": tg_send.send_chat_action,
}
# Telegram matches method names case-insensitively.
_BY_LOWER = {name.lower(): name for name in HANDLERS}


class Dropped(Exception):
    """The connection was dropped on purpose; there is no answer to send (the Zalo
    routes share this and :func:`inject_fault`)."""


async def bot_call(request: web.Request) -> web.StreamResponse:
    """Answer one Bot API request."""
    state = request.app[STATE_REF].current
    token, raw_method = request.match_info["token"], request.match_info["method"]
    method = _BY_LOWER.get(raw_method.lower())
    state.stats.requests[method or raw_method] += 1
    try:
        _check_token(state, token)
        if method is None:
            raise not_found()
        await inject_fault(request, state, method)
        params = await read_params(request)
        result = await HANDLERS[method](Call(state, params, token, method, request))
    except ApiError as error:
        state.stats.count_error(error.code)
        return error.response()
    except Dropped:
        # The transport is gone; aiohttp needs a response object but cannot send it.
        return web.Response(status=499)
    return ok(result)


def _check_token(state: SandboxState, token: str) -> None:
    allowed = state.config.tokens
    if not TOKEN_RE.match(token) or (allowed and token not in allowed):
        raise unauthorized()


async def inject_fault(request: web.Request, state: SandboxState, method: str) -> None:
    """Raise the configured fault for this request, if any (never records anything)."""
    sending = method.lower() in SENDING_METHODS
    storm = state.faults.storm_retry_after() if sending else None
    if storm is not None:
        raise too_many_requests(storm)
    fault = state.faults.draw(method.lower())
    if fault is Fault.ERROR:
        raise bad_gateway()
    if fault is Fault.STORM:
        state.faults.start_storm()
        raise too_many_requests(state.faults.storm_retry_after() or 1)
    if fault is Fault.TIMEOUT:
        state.stats.timeouts += 1
        # Hold like an overloaded server; shutdown/reset end the wait early.
        await state.sent.signal.wait_until(lambda: False, state.faults.config.timeout_delay)
        _drop(request, reset=False)
    if fault is Fault.RESET:
        state.stats.resets += 1
        _drop(request, reset=True)


def _drop(request: web.Request, reset: bool) -> None:
    transport = request.transport
    if transport is not None:
        sock: Any = transport.get_extra_info("socket")
        if reset and sock is not None:
            # SO_LINGER 0 makes close() send RST: the client sees "connection reset".
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    raise Dropped


async def download_file(request: web.Request) -> web.StreamResponse:
    """``GET /file/bot{token}/{file_path}``: the bytes behind getFile's file_path."""
    state = request.app[STATE_REF].current
    if not TOKEN_RE.match(request.match_info["token"]):
        return unauthorized().response()
    path = request.match_info["path"]
    for info in state.files.values():
        if info.file_path == path:
            return web.Response(body=info.content, content_type=info.mime_type or None)
    return not_found().response()


def add_routes(app: web.Application) -> None:
    app.router.add_route("*", "/bot{token}/{method}", bot_call)
    app.router.add_get("/file/bot{token}/{path:.+}", download_file)
