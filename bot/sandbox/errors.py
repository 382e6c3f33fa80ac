"""Bot API error answers, shaped exactly like Telegram's.

Handlers raise :class:`ApiError`; the route layer turns it into
``{"ok": false, "error_code": N, "description": "...", "parameters": {...}}`` with the
same HTTP status, which is what python-telegram-bot maps to its exception classes.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from aiohttp import web

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


# Telegram sends UTF-8 text, not \u escapes; readable with curl too.
dumps = functools.partial(json.dumps, ensure_ascii=False)


class ApiError(Exception):
    """A Bot API error: HTTP status == ``error_code``."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        """The JSON body Telegram would send."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body

    def response(self) -> web.Response:
        return web.json_response(self.body(), status=self.code, dumps=dumps)


def bad_request(detail: str) -> ApiError:
    """400 with Telegram's ``Bad Request: <detail>`` wording."""
    return ApiError(400, f"Bad Request: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


def blocked() -> ApiError:
    return ApiError(403, "Forbidden: bot was blocked by the user")


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized")


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def bad_gateway() -> ApiError:
    return ApiError(502, "Bad Gateway")


def ok(result: Any) -> web.Response:
    """A successful Bot API answer."""
    return web.json_response({"ok": True, "result": result}, dumps=dumps)
