"""Helpers shared by the control API modules (JSON in, JSON out)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.sandbox.errors import dumps
from bot.sandbox.state import STATE_REF, SandboxState


class ControlError(Exception):
    """A control-API misuse: answered as ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def state_of(request: web.Request) -> SandboxState:
    return request.app[STATE_REF].current


async def json_body(request: web.Request) -> dict[str, Any]:
    """The JSON object body (``{}`` when there is none); may be read more than once,
    as aiohttp keeps the bytes (the channel dispatcher reads it first)."""
    if not request.body_exists:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise ControlError(400, "body must be JSON") from None
    if not isinstance(body, dict):
        raise ControlError(400, "body must be a JSON object")
    return body


def int_field(data: Any, name: str, default: int | None = None) -> int:
    """An integer from a JSON body or query string; missing without default → 400."""
    value = data.get(name)
    if value in (None, ""):
        if default is None:
            raise ControlError(400, f"{name} is required")
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ControlError(400, f"{name} must be an integer") from None


def optional_int(data: Any, name: str) -> int | None:
    return None if data.get(name) in (None, "") else int_field(data, name)


def float_field(data: Any, name: str, default: float) -> float:
    try:
        return float(data.get(name, default))
    except (TypeError, ValueError):
        raise ControlError(400, f"{name} must be a number") from None


def reply(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=dumps)


ControlHandler = Callable[[web.Request], Awaitable[web.Response]]


def guarded(handler: ControlHandler) -> ControlHandler:
    """Turn ControlError (and bad config values) into ``{"error": ...}`` answers."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except ControlError as error:
            return reply({"error": error.message}, error.status)
        except ValueError as error:
            return reply({"error": str(error)}, 400)

    return wrapper
