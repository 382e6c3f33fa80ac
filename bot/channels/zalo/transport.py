"""Zalo as a ``Transport``: errors mapped as on Telegram (DESIGN.md principle 3)."""

from __future__ import annotations

from bot.channels.zalo.api import CHANNEL, ZaloApi, ZaloError
from bot.channels.zalo.convert import render
from bot.core.replies import Reply
from bot.i18n import translator
from scheduler.sending import Outcome, SendResult


def outcome_of(error: ZaloError) -> SendResult:
    """401/404: the token is wrong (stop); 403: unreachable; 429, 5xx, network: retry."""
    if error.status in (401, 404):
        return SendResult(Outcome.INVALID_TOKEN, error=f"{error.status} {error.description}")
    if error.status == 403:
        return SendResult(Outcome.BLOCKED, error=f"403 {error.description}")
    if error.status == 429 or error.status == 0 or error.status >= 500:
        return SendResult(
            Outcome.RETRY,
            retry_after=error.retry_after,
            error=f"transient: {error.status} {error.description}",
        )
    return SendResult(Outcome.FAILED, error=f"{error.status} {error.description}")


class ZaloTransport:
    channel = CHANNEL

    def __init__(self, api: ZaloApi, locale: str = "vi") -> None:
        self.api = api
        self.t = translator(locale)

    async def deliver(self, chat_id: str, reply: Reply) -> SendResult:
        last = None
        for text in render(reply, self.t):
            try:
                result = await self.api.call("sendMessage", chat_id=chat_id, text=text)
            except ZaloError as exc:
                return outcome_of(exc)
            last = result.get("message_id") if isinstance(result, dict) else None
        return SendResult(Outcome.SENT, message_id=str(last) if last else None)

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> SendResult:
        """Zalo has no edits: a progress update is not re-sent (the final report still is)."""
        return SendResult(Outcome.SENT, message_id=message_id)
