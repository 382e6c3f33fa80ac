"""The asynchronous control-API client (twin of :class:`~bot.sandbox.client.SandboxClient`)."""

from __future__ import annotations

from typing import Any, Self

import httpx

from bot.sandbox.client_calls import Req, calls, decode, http_timeout


class AsyncSandboxClient:
    """Asynchronous twin of :class:`SandboxClient` (same methods, awaitable)."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self._timeout = timeout
        self._http = httpx.AsyncClient(base_url=url, trust_env=False, timeout=timeout)

    async def _do(self, req: Req) -> Any:
        response = await self._http.request(
            req.method,
            req.path,
            json=req.json,
            params=req.params,
            timeout=http_timeout(req, self._timeout),
        )
        return decode(req, response)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def create_user(
        self,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        user_id: int | str | None = None,
        language_code: str | None = None,
        channel: str = "telegram",
        display_name: str | None = None,
    ) -> dict[str, Any]:
        """Create a user with a private chat; returns ``{"user_id", "chat_id"}``.

        ``channel="zalo"`` makes a Zalo user: string ids, ``display_name`` (default
        first and last name), and the answer also has ``"channel": "zalo"``.
        """
        return await self._do(
            calls.create_user(
                first_name,
                last_name=last_name,
                username=username,
                user_id=user_id,
                language_code=language_code,
                channel=channel,
                display_name=display_name,
            )
        )

    async def send_text(
        self, user_id: int | str, text: str, *, chat: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The user writes ``text``; returns ``{"update_id", "message_id"}``."""
        return await self._do(calls.message(user_id, text=text, chat=chat))

    async def send_message(self, user_id: int | str, **fields: Any) -> dict[str, Any]:
        """Any ``/control/messages`` body (photo, sticker, edited, chat...)."""
        return await self._do(calls.message(user_id, **fields))

    async def send_document(
        self,
        user_id: int | str,
        file_name: str,
        content: bytes | str = b"",
        *,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> dict[str, Any]:
        """The user sends a file."""
        return await self._do(calls.document(user_id, file_name, mime_type, content, caption))

    async def edit_text(self, user_id: int, message_id: int, text: str) -> dict[str, Any]:
        """The user edits one of their messages."""
        return await self._do(calls.message(user_id, text=text, edited=True, message_id=message_id))

    async def press_button(
        self,
        user_id: int | str,
        message_id: int,
        data: str,
        *,
        chat_id: int | None = None,
        force: bool = False,
    ) -> dict[str, Any]:
        """Press an inline button; returns ``{"update_id", "callback_query_id"}``."""
        return await self._do(calls.press(user_id, message_id, data, chat_id, force))

    async def sent(
        self,
        chat_id: int | str | None = None,
        since_id: int = 0,
        method: str | None = None,
        channel: str | None = None,
    ) -> list[dict[str, Any]]:
        """Recorded sends/edits after ``since_id`` (``channel``: telegram or zalo)."""
        return await self._do(
            calls.sent("/control/sent", chat_id, since_id, method, channel=channel)
        )

    async def mark(self) -> int:
        """The id of the latest recorded send, to pass as ``since_id`` later."""
        return await self._do(
            Req("GET", "/control/sent", params={"since_id": 1 << 62}, key="last_id")
        )

    async def wait_sent(
        self,
        chat_id: int | str | None = None,
        count: int = 1,
        since_id: int = 0,
        timeout: float = 10.0,
        method: str | None = None,
        channel: str | None = None,
    ) -> list[dict[str, Any]]:
        """Block until ``count`` sends exist after ``since_id``; raises SandboxTimeout."""
        return await self._do(
            calls.sent(
                "/control/wait",
                chat_id,
                since_id,
                method,
                count=count,
                timeout=timeout,
                channel=channel,
            )
        )

    async def wait_answer(self, callback_query_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """Block until the bot answers the button press."""
        return await self._do(calls.wait_answer(callback_query_id, timeout))

    async def updates_pending(self, channel: str = "telegram") -> int:
        """Updates not yet confirmed by getUpdates (or delivered by webhook)."""
        return await self._do(calls.channel_get("/control/updates_pending", channel, "pending"))

    async def block(self, user_id: int | str) -> list[int | str]:
        """The user blocks the bot (sends get 403)."""
        return await self._do(calls.user_action("/control/block", user_id, "blocked"))

    async def unblock(self, user_id: int | str) -> list[int | str]:
        """The user unblocks the bot."""
        return await self._do(calls.user_action("/control/unblock", user_id, "blocked"))

    async def set_limits(self, **changes: Any) -> dict[str, Any]:
        """Change limits (LimitsConfig field names)."""
        return await self._do(Req("POST", "/control/limits", changes, key="limits"))

    async def set_faults(self, **changes: Any) -> dict[str, Any]:
        """Change faults (FaultsConfig names, start_storm, stop_storm)."""
        return await self._do(Req("POST", "/control/faults", changes, key="faults"))

    async def limits(self) -> dict[str, Any]:
        """The current limits."""
        return await self._do(Req("GET", "/control/limits", key="limits"))

    async def faults(self) -> dict[str, Any]:
        """The current faults, and whether a storm is on (``storm_active``)."""
        return await self._do(Req("GET", "/control/faults", key="faults"))

    async def stats(self) -> dict[str, Any]:
        """Counters: requests per method, sends, 429s, 5xx..."""
        return await self._do(Req("GET", "/control/stats"))

    async def commands(self) -> dict[str, Any]:
        """The bot's commands (``last`` setMyCommands and ``all``)."""
        return await self._do(Req("GET", "/control/commands"))

    async def webhook(self, channel: str = "telegram") -> dict[str, Any]:
        """The webhook settings (with the secret) of Telegram's or Zalo's side."""
        return await self._do(calls.channel_get("/control/webhook", channel))

    async def zalo_settings(self) -> dict[str, Any]:
        """The Zalo knobs (ZaloConfig fields) and ``quota_used``."""
        return await self._do(Req("GET", "/control/zalo", key="zalo"))

    async def set_zalo(self, **changes: Any) -> dict[str, Any]:
        """Change Zalo knobs: ``webhook_shape``, ``message_quota``, ``echo_bot_messages``..."""
        return await self._do(Req("POST", "/control/zalo", changes, key="zalo"))

    async def file_content(self, file_id: str) -> bytes:
        """The bytes of a file the bot sent."""
        return await self._do(Req("GET", f"/control/files/{file_id}", raw=True))

    async def reset(self) -> None:
        """A fresh world with the start-up limits and faults."""
        await self._do(Req("POST", "/control/reset"))
