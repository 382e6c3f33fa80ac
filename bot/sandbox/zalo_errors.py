"""Zalo Bot API answers: ``{"ok": true, "result": ...}`` or ``{"ok": false, ...}``.

The research note (research/zalo.md §1.2, §1.7) gives the envelope and the status codes;
it quotes only a few descriptions (``Request timeout``, ``Not Found``, ``The secret_token
must not be empty``, ``Quota exceeded``). The others here are the sandbox's wording in
the same plain style; a client must classify by HTTP status, never by the text.
Observed 404/408 bodies carry no ``error_code``; other errors include it, as documented.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.sandbox.errors import ApiError, dumps

# sendChatAction's documented answer is the bare envelope ``{"ok": true}``.
NO_RESULT = object()


class ZaloError(ApiError):
    """A Zalo Bot API error; HTTP status == ``code``.

    ``with_code=False`` leaves ``error_code`` out of the body, as in the bodies
    integrators observed (idle long poll, getWebhookInfo without a webhook).
    """

    def __init__(
        self,
        code: int,
        description: str,
        retry_after: int | None = None,
        with_code: bool = True,
    ) -> None:
        super().__init__(code, description, retry_after)
        self.with_code = with_code

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False}
        if self.with_code:
            body["error_code"] = self.code
        body["description"] = self.description
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body

    def response(self) -> web.Response:
        # Zalo documents no retry hint; the sandbox mirrors Telegram's
        # parameters.retry_after and adds the standard HTTP header.
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after else None
        return web.json_response(self.body(), status=self.code, headers=headers, dumps=dumps)


def as_zalo(error: ApiError) -> ZaloError:
    """Re-shape an error raised by shared code (params, faults) for the Zalo side."""
    if isinstance(error, ZaloError):
        return error
    description = error.description.removeprefix("Bad Request: ")
    return ZaloError(error.code, description, error.retry_after)


def bad_request(description: str) -> ZaloError:
    return ZaloError(400, description)


def unauthorized() -> ZaloError:
    return ZaloError(401, "Unauthorized")


def invalid_api_name() -> ZaloError:
    # The official error table: "400 bad request or invalid API name".
    return ZaloError(400, "Invalid API name")


def forbidden() -> ZaloError:
    # Research: 403 exists (labelled "internal server error", sic); what a blocked user
    # produces is not documented. The sandbox answers 403 like Telegram's "blocked".
    return ZaloError(403, "Forbidden: the user has blocked the bot")


def not_found() -> ZaloError:
    return ZaloError(404, "Not Found", with_code=False)


def request_timeout() -> ZaloError:
    return ZaloError(408, "Request timeout", with_code=False)


def too_many_requests(retry_after: int) -> ZaloError:
    return ZaloError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


def quota_exceeded() -> ZaloError:
    return ZaloError(429, "Quota exceeded")


def zalo_ok(result: Any) -> web.Response:
    """A successful answer; ``NO_RESULT`` gives the bare ``{"ok": true}``."""
    body = {"ok": True} if result is NO_RESULT else {"ok": True, "result": result}
    return web.json_response(body, dumps=dumps)
