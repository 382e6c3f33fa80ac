"""A small Zalo Bot API client: ``<base>/bot<TOKEN>/<method>``, errors by HTTP status.

Zalo's error bodies do not always carry ``error_code``, so the HTTP status decides
(research/zalo.md 1.2). The token is part of every URL: errors raised here never include
the URL, and httpx's request logging is kept below INFO by ``bot.logs``.
"""

from __future__ import annotations

from typing import Any

import httpx

CHANNEL = "zalo"
TEXT_LIMIT = 2000


class ZaloError(Exception):
    """A failed call; ``status`` is the HTTP status (0 for a network error or time-out)."""

    def __init__(self, status: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"Zalo {status}: {description}")
        self.status, self.description, self.retry_after = status, description, retry_after


class ZaloApi:
    def __init__(self, token: str, base_url: str, timeout: float = 40.0) -> None:
        self._root = f"{base_url.rstrip('/')}/bot{token}/"
        self._client = httpx.AsyncClient(timeout=timeout, trust_env=False)

    async def close(self) -> None:
        await self._client.aclose()

    async def call(self, method: str, **params: Any) -> Any:
        """POST ``params`` as JSON; the ``result`` (or the whole body when there is none)."""
        try:
            response = await self._client.post(self._root + method, json=params)
        except httpx.TimeoutException:
            raise ZaloError(0, "time-out") from None
        except httpx.HTTPError as exc:
            raise ZaloError(0, f"network error ({exc.__class__.__name__})") from None
        body = _json(response)
        if response.status_code == 200 and body.get("ok"):
            return body.get("result", body)
        raise ZaloError(
            response.status_code,
            str(body.get("description") or "error"),
            _retry_after(response, body),
        )

    async def get_update(self, timeout: int = 30) -> dict[str, Any] | None:
        """One update, or None when idle (Zalo answers 408 after ``timeout`` seconds)."""
        try:
            result = await self.call("getUpdates", timeout=str(timeout))
        except ZaloError as exc:
            if exc.status == 408:
                return None
            raise
        return result if isinstance(result, dict) else None


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"ok": False, "description": f"HTTP {response.status_code}"}
    return body if isinstance(body, dict) else {"ok": False, "description": "bad body"}


def _retry_after(response: httpx.Response, body: dict[str, Any]) -> float | None:
    hint = (body.get("parameters") or {}).get("retry_after") or response.headers.get("Retry-After")
    try:
        return float(hint) if hint is not None else None
    except (TypeError, ValueError):
        return None
