"""Telegram as a ``Transport`` for the paced sender: PTB errors → permanent or transient."""

from __future__ import annotations

from telegram import Bot
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
from bot.channels.telegram.render import send_reply
from bot.core.replies import Reply
from scheduler.sending import Outcome, SendResult


class TelegramTransport:
    channel = CHANNEL

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def deliver(self, chat_id: str, reply: Reply) -> SendResult:
        try:
            message = await send_reply(self.bot, chat_id, reply)
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
        return SendResult(Outcome.SENT, message_id=str(message.message_id))


def retry_seconds(value: object) -> float:
    total = getattr(value, "totalretry_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]
