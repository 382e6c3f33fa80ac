"""The sandbox's world: users, chats, messages, files, updates, logs and knobs.

One world per sandbox, shared by every accepted token (each token sees its own bot
user in ``getMe``/``from``). All access happens on the server's event loop, so no locks.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.sandbox.config import SandboxConfig
from bot.sandbox.errors import bad_request, blocked, too_many_requests
from bot.sandbox.faults import FaultInjector
from bot.sandbox.limits import RateLimiter
from bot.sandbox.objects import Chat, FileInfo, User, bot_user
from bot.sandbox.records import SentLog, Signal, Stats
from bot.sandbox.updates import UpdateQueue
from bot.sandbox.zalo_state import ZaloWorld


@dataclass
class StoredMessage:
    """A message in a chat; ``from_bot`` ones can be edited and carry buttons."""

    message: dict[str, Any]
    from_bot: bool


@dataclass
class Webhook:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class Answer:
    """A simulated button press and the bot's answerCallbackQuery, once given."""

    user_id: int
    answer: dict[str, Any] | None = None


@dataclass
class SandboxState:
    """Everything the Bot API handlers and the control API read and change."""

    config: SandboxConfig
    users: dict[int, User] = field(default_factory=dict)
    chats: dict[int, Chat] = field(default_factory=dict)
    messages: dict[tuple[int, int], StoredMessage] = field(default_factory=dict)
    files: dict[str, FileInfo] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    callbacks: dict[str, Answer] = field(default_factory=dict)
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    last_set_commands: dict[str, Any] | None = None
    webhook: Webhook = field(default_factory=Webhook)
    updates: UpdateQueue = field(default_factory=UpdateQueue)
    sent: SentLog = field(default_factory=SentLog)
    answers_signal: Signal = field(default_factory=Signal)
    stats: Stats = field(default_factory=Stats)
    limiter: RateLimiter = field(init=False)
    faults: FaultInjector = field(init=False)
    zalo: ZaloWorld = field(init=False)  # the Zalo Bot API side (zalo_*.py)
    _chat_counters: dict[int, itertools.count[int]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.config.limits)
        self.faults = FaultInjector(self.config.faults)
        self.zalo = ZaloWorld(self.config.zalo, self.config.limits)

    def bot(self, token: str) -> dict[str, Any]:
        return bot_user(token, self.config.bot_username, self.config.bot_first_name)

    def next_id(self) -> int:
        """A sandbox-wide serial for callback query ids, file ids and the like."""
        return next(self._ids)

    def add_user(self, first_name: str, user_id: int | None = None, **names: Any) -> User:
        """Create a user and their private chat (chat id == user id)."""
        if user_id is None:
            user_id = 100_000 + len(self.users) + 1
            while user_id in self.users:
                user_id += 1
        user = User(user_id, first_name, **names)
        self.users[user_id] = user
        self.chats[user_id] = Chat.private(user)
        return user

    def chat(self, chat_id: int | str) -> Chat:
        """The chat a bot call targets; unknown → 400 ``chat not found``."""
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def new_message_id(self, chat_id: int) -> int:
        # Telegram numbers messages per chat, shared by both sides of the chat.
        counter = self._chat_counters.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def store(self, message: dict[str, Any], from_bot: bool) -> None:
        key = (message["chat"]["id"], message["message_id"])
        self.messages[key] = StoredMessage(message, from_bot)

    def gate(self, chat_id: int, paid: bool = False) -> None:
        """Refuse a sending call to a blocked user (403) or over the limits (429)."""
        if chat_id in self.blocked:
            raise blocked()
        retry_after = self.limiter.acquire(chat_id, paid)
        if retry_after is not None:
            raise too_many_requests(retry_after)

    def new_file(
        self,
        kind: str,
        file_name: str | None,
        mime_type: str | None,
        content: bytes = b"",
        url: str | None = None,
    ) -> FileInfo:
        """A file with a fresh id; register it in ``files`` once it is really sent."""
        serial = self.next_id()
        file_id = f"sbx-{kind}-{serial:06d}"
        return FileInfo(file_id, f"u{serial:06d}", kind, file_name, mime_type, content, url)

    def set_limits(self, changes: dict[str, Any]) -> None:
        """Replace the limits; the limiter restarts with empty windows."""
        self.limiter = RateLimiter(self.limiter.config.updated(changes))
        self.zalo.limiter = RateLimiter(self.limiter.config)

    def close(self) -> None:
        """Release every long-poll (getUpdates, control waits) for shutdown."""
        self.updates.close()
        self.zalo.close()
        for signal in (self.sent.signal, self.answers_signal):
            signal.close()


@dataclass
class StateRef:
    """The current world; ``/control/reset`` swaps in a fresh one."""

    current: SandboxState

    def reset(self) -> SandboxState:
        old = self.current
        self.current = SandboxState(old.config)
        old.close()
        return self.current


# Where create_app keeps the StateRef (aiohttp typed app key).
STATE_REF = web.AppKey("sandbox_state", StateRef)
