"""Shared plumbing for the Telegram Bot API method handlers."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.sandbox.objects import Chat, FileInfo
from bot.sandbox.params import Params
from bot.sandbox.state import SandboxState


@dataclass
class Call:
    """One Bot API request: the world, its parameters, and who is calling."""

    state: SandboxState
    params: Params
    token: str
    method: str  # canonical camelCase name, e.g. "sendMessage"
    request: web.Request

    @property
    def bot(self) -> dict[str, Any]:
        return self.state.bot(self.token)

    def new_message(self, chat: Chat, **content: Any) -> dict[str, Any]:
        """Create, store and return a bot-sent Message (``None`` fields omitted)."""
        message = {
            "message_id": self.state.new_message_id(chat.chat_id),
            "from": self.bot,
            "chat": chat.to_tg(),
            "date": int(time.time()),
        }
        message.update({key: value for key, value in content.items() if value is not None})
        self.state.store(message, from_bot=True)
        return message

    def record(self, message: dict[str, Any], file: FileInfo | None = None) -> None:
        """Log a send or edit for ``/control/sent`` and the stats."""
        self.state.sent.add(
            method=self.method,
            chat_id=message["chat"]["id"],
            message_id=message["message_id"],
            text=message.get("text"),
            caption=message.get("caption"),
            parse_mode=self.params.get_str("parse_mode"),
            reply_markup=message.get("reply_markup"),
            file=file.to_record() if file else None,
        )
        self.state.stats.count_send(edit=self.method.startswith("edit"))


Handler = Callable[[Call], Awaitable[Any]]
