"""Telegram as a ``Transport`` for the paced sender: PTB errors → permanent or transient."""

from __future__ import annotations

from collections.abc import Awaitable

from telegram import Bot, Message
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.channels.telegram.convert import CHANNEL
from bot.channels.telegram.render import edit_reply, send_reply
from bot.core.replies import Reply
from scheduler.sending import Outcome, SendResult


class TelegramTransport:
    channel = CHANNEL

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def deliver(self, chat_id: str, reply: Reply) -> SendResult:
        return await self._call(send_reply(self.bot, chat_id, reply))

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> SendResult:
        return await self._call(edit_reply(self.bot, chat_id, message_id, reply))

    async def _call(self, call: Awaitable[Message | bool]) -> SendResult:
        """Await a Bot API call and map its failure onto a permanent or transient outcome."""
        try:
            message = await call
        except RetryAfter as exc:
            return SendResult(
                Outcome.RETRY, retry_after=retry_seconds(exc.retry_after), error="429 flood control"
            )
        except Forbidden as exc:
            return SendResult(Outcome.BLOCKED, error=f"403 {exc.message}")
        except InvalidToken as exc:
            return SendResult(Outcome.INVALID_TOKEN, error=str(exc))
        except BadRequest as exc:
            return SendResult(Outcome.FAILED, error=f"400 {exc.message}")
        except (TimedOut, NetworkError) as exc:  # 5xx arrive as NetworkError
            return SendResult(Outcome.RETRY, error=f"transient: {exc.message}")
        except TelegramError as exc:
            return SendResult(Outcome.RETRY, error=f"transient: {exc.message}")
        message_id = message.message_id if isinstance(message, Message) else None
        return SendResult(Outcome.SENT, message_id=str(message_id) if message_id else None)


def retry_seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]
