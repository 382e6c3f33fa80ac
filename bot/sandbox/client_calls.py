"""Request descriptions shared by the sync and async control-API clients.

Both clients build the same :class:`Req` objects here, so the twins cannot drift apart.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import httpx


class SandboxError(Exception):
    """The control API refused a call; ``status`` and ``body`` say why."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"sandbox control API answered {status}: {body}")
        self.status = status
        self.body = body


class SandboxTimeout(SandboxError):
    """A ``wait`` ended at its time-out (HTTP 408); ``body["items"]`` has what came."""


@dataclass(frozen=True)
class Req:
    method: str
    path: str
    json: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    wait: float = 0.0  # server-side long-poll; the HTTP time-out must outlast it
    key: str | None = None  # pick one field of the JSON answer
    raw: bool = False


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


class calls:  # a namespace of request builders
    @staticmethod
    def create_user(first_name: str, **extra: Any) -> Req:
        return Req("POST", "/control/users", _clean({"first_name": first_name, **extra}))

    @staticmethod
    def message(user_id: int | str, **fields: Any) -> Req:
        return Req("POST", "/control/messages", _clean({"user_id": user_id, **fields}))

    @staticmethod
    def document(
        user_id: int | str,
        file_name: str,
        mime_type: str,
        content: bytes | str,
        caption: str | None,
    ) -> Req:
        data = content.encode() if isinstance(content, str) else content
        spec = {
            "file_name": file_name,
            "mime_type": mime_type,
            "content_b64": base64.b64encode(data).decode(),
        }
        return calls.message(user_id, document=spec, caption=caption)

    @staticmethod
    def press(
        user_id: int | str, message_id: int, data: str, chat_id: int | None, force: bool
    ) -> Req:
        body = {
            "user_id": user_id,
            "message_id": message_id,
            "data": data,
            "chat_id": chat_id,
            "force": force or None,
        }
        return Req("POST", "/control/callback", _clean(body))

    @staticmethod
    def sent(
        path: str, chat_id: int | str | None, since_id: int, method: str | None, **extra: Any
    ) -> Req:
        params = _clean({"chat_id": chat_id, "since_id": since_id, "method": method, **extra})
        return Req("GET", path, params=params, wait=float(extra.get("timeout", 0)), key="items")

    @staticmethod
    def wait_answer(callback_query_id: str, timeout: float) -> Req:
        params = {"callback_query_id": callback_query_id, "timeout": timeout}
        return Req("GET", "/control/wait_answer", params=params, wait=timeout, key="answer")

    @staticmethod
    def user_action(path: str, user_id: int | str, key: str | None = None) -> Req:
        return Req("POST", path, {"user_id": user_id}, key=key)

    @staticmethod
    def channel_get(path: str, channel: str, key: str | None = None) -> Req:
        params = {} if channel == "telegram" else {"channel": channel}
        return Req("GET", path, params=params, key=key)


def decode(req: Req, response: httpx.Response) -> Any:
    if req.raw and response.status_code == 200:
        return response.content
    body = response.json()
    if response.status_code == 408:
        raise SandboxTimeout(408, body)
    if response.status_code >= 400:
        raise SandboxError(response.status_code, body)
    return body[req.key] if req.key else body


def http_timeout(req: Req, base: float) -> httpx.Timeout:
    return httpx.Timeout(base + req.wait)
