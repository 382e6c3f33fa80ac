"""The Zalo Bot API endpoint: ``/zalo/bot{token}/{method}``, and its webhook deliverer.

Same order of checks as the Telegram side: token (401), method (400, "invalid API
name", as Zalo's error table says; names are case-sensitive), injected faults (shared
with Telegram), then the method's validation, gate and work. Anything else under
``/zalo/`` is 404 ``{"ok":false,"description":"Not Found"}``.
"""

from __future__ import annotations

from aiohttp import web

from bot.sandbox import zalo_methods as methods
from bot.sandbox.config import ZALO_TOKEN_RE
from bot.sandbox.errors import ApiError
from bot.sandbox.params import read_params
from bot.sandbox.routes import Dropped, inject_fault
from bot.sandbox.state import STATE_REF, SandboxState
from bot.sandbox.tg_common import Call, Handler
from bot.sandbox.webhook import Feed, WebhookDeliverer
from bot.sandbox.zalo_errors import as_zalo, invalid_api_name, not_found, unauthorized, zalo_ok

PREFIX = "/zalo"  # ZALO_BASE_URL = http://<host>:<port>/zalo
SECRET_HEADER = "X-Bot-Api-Secret-Token"

HANDLERS: dict[str, Handler] = {
    "getMe": methods.get_me,
    "getUpdates": methods.get_updates,
    "setWebhook": methods.set_webhook,
    "deleteWebhook": methods.delete_webhook,
    "getWebhookInfo": methods.get_webhook_info,
    "sendMessage": methods.send_message,
    "sendPhoto": methods.send_photo,
    "sendSticker": methods.send_sticker,
    "sendChatAction": methods.send_chat_action,
}

_DELIVERER = web.AppKey("sandbox_zalo_webhook", WebhookDeliverer)


async def zalo_call(request: web.Request) -> web.StreamResponse:
    """Answer one Zalo Bot API request (stats count it as ``zalo.<method>``)."""
    state = request.app[STATE_REF].current
    token, method = request.match_info["token"], request.match_info["method"]
    state.stats.requests[f"zalo.{method}"] += 1
    try:
        _check_token(state, token)
        handler = HANDLERS.get(method)
        if handler is None:
            raise invalid_api_name()
        await inject_fault(request, state, method)
        params = await read_params(request)
        result = await handler(Call(state, params, token, method, request))
    except ApiError as error:
        answer = as_zalo(error)
        state.stats.count_error(answer.code)
        return answer.response()
    except Dropped:
        return web.Response(status=499)  # the transport is gone; nothing is sent
    return zalo_ok(result)


def _check_token(state: SandboxState, token: str) -> None:
    allowed = state.config.zalo.tokens
    if not ZALO_TOKEN_RE.match(token) or (allowed and token not in allowed):
        raise unauthorized()


async def zalo_not_found(request: web.Request) -> web.Response:
    return not_found().response()


def zalo_feed(state: SandboxState) -> Feed:
    """The Zalo webhook: its own queue and settings, the Zalo header and body shape."""
    zalo = state.zalo
    return Feed(zalo.updates, zalo.webhook, SECRET_HEADER, zalo.webhook_body)


def add_zalo(app: web.Application) -> None:
    """Mount the Zalo Bot API under ``/zalo`` and run its webhook deliverer."""
    app.router.add_route("*", PREFIX + "/bot{token}/{method}", zalo_call)
    app.router.add_route("*", PREFIX + "/{tail:.*}", zalo_not_found)
    app[_DELIVERER] = WebhookDeliverer(app[STATE_REF], zalo_feed)
    app.on_startup.append(_start)
    app.on_cleanup.append(_stop)


async def _start(app: web.Application) -> None:
    app[_DELIVERER].start()


async def _stop(app: web.Application) -> None:
    await app[_DELIVERER].stop()
