"""Reading Bot API parameters from any body a client may send.

python-telegram-bot posts ``application/x-www-form-urlencoded`` bodies where strings
go raw and every other value (numbers, booleans, ``reply_markup``) is JSON-encoded
field by field; uploads are ``multipart/form-data``; other clients post JSON or use
the query string. :class:`Params` hides the difference: accessors decode on demand, so
a ``text`` of ``"123"`` stays a string while ``chat_id`` of ``"123"`` becomes an int.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from bot.sandbox.errors import ApiError, bad_request


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    file_name: str
    mime_type: str
    content: bytes


async def read_params(request: web.Request) -> Params:
    """Merge query-string and body parameters of a Bot API request."""
    values: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise bad_request("can't parse JSON body") from exc
            if not isinstance(body, dict):
                raise bad_request("JSON body must be an object")
            values.update(body)
        else:
            form = await request.post()
            for key, value in form.items():
                values[key] = _upload(value) if isinstance(value, FileField) else value
    return Params(values)


def _upload(part: FileField) -> Upload:
    return Upload(
        file_name=part.filename or "file",
        mime_type=part.content_type or "application/octet-stream",
        content=part.file.read(),
    )


class Params:
    """Typed access to request parameters; invalid values raise 400 like Telegram."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def has(self, name: str) -> bool:
        return self._values.get(name) not in (None, "")

    def get_str(self, name: str, default: str | None = None) -> str | None:
        value = self._values.get(name)
        if value is None or isinstance(value, Upload):
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self._values.get(name)
        if value in (None, ""):
            return default
        if isinstance(value, bool):
            raise bad_request(f'field "{name}" must be a Number')
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be a Number') from None

    def get_float(self, name: str, default: float = 0.0) -> float:
        value = self._values.get(name)
        if value in (None, ""):
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be a Number') from None

    def get_bool(self, name: str) -> bool:
        value = self._values.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def get_json(self, name: str, error: str) -> Any:
        """Decode a structured field (JSON string in forms, a value in JSON bodies)."""
        value = self._values.get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(error) from None

    def chat_id(self) -> int | str:
        """``chat_id`` as an int, or the raw ``@username`` string; missing → 400."""
        value = self._values.get("chat_id")
        if value in (None, ""):
            raise bad_request("chat_id is empty")
        try:
            return int(value)
        except (TypeError, ValueError):
            return str(value)

    def file(self, name: str) -> Upload | str | None:
        """An uploaded part, an ``attach://`` reference resolved, or a file_id/URL."""
        value = self._values.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = self._values.get(value.removeprefix("attach://"))
            if not isinstance(value, Upload):
                raise ApiError(400, "Bad Request: wrong remote file identifier specified")
        if isinstance(value, Upload | str):
            return value or None
        return None
