"""The Zalo side of the sandbox's world: Zalo users, their update queue, the webhook.

It lives inside :class:`~bot.sandbox.state.SandboxState` (``state.zalo``), so
``/control/reset`` renews it, and it shares the sent log, stats and faults with the
Telegram side. It has its own rate limiter (another bot on another platform) built from
the same :class:`LimitsConfig`. Zalo ids are opaque strings; dates are epoch ms.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from dataclasses import dataclass
from typing import Any

from bot.sandbox.config import LimitsConfig, ZaloConfig
from bot.sandbox.limits import RateLimiter
from bot.sandbox.updates import UpdateQueue
from bot.sandbox.zalo_errors import forbidden, quota_exceeded, too_many_requests

# Queue items are {"update_id": n, UPDATE_KEY: <the Zalo update>}; the id is internal.
UPDATE_KEY = "zalo"


def now_ms() -> int:
    """Zalo dates: epoch milliseconds."""
    return int(time.time() * 1000)


@dataclass
class ZaloUser:
    """A simulated Zalo user; their private chat has the same id."""

    user_id: str
    display_name: str

    def sender(self) -> dict[str, Any]:
        return {"id": self.user_id, "display_name": self.display_name, "is_bot": False}

    def chat(self) -> dict[str, Any]:
        return {"id": self.user_id, "chat_type": "PRIVATE"}


@dataclass
class ZaloHook:
    """setWebhook's settings; the attribute names match what the deliverer reads."""

    url: str = ""
    secret_token: str | None = None
    updated_at: int | None = None
    allowed_updates: list[str] | None = None  # Zalo has no filter; always None
    last_error_date: int | None = None
    last_error_message: str | None = None


class ZaloWorld:
    """Zalo users, blocks, pending updates, the webhook, rate limits and quota."""

    def __init__(self, config: ZaloConfig, limits: LimitsConfig) -> None:
        self.config = config
        self.users: dict[str, ZaloUser] = {}
        self.blocked: set[str] = set()
        self.updates = UpdateQueue()
        self.webhook = ZaloHook()
        self.limiter = RateLimiter(limits)
        self.quota_used = 0
        self._serial = itertools.count(1)
        self._deliveries = 0

    def new_id(self, kind: str) -> str:
        """A fresh 20-hex id like Zalo's (``6ede9afa66b88fe6d6a9``), repeatable per run."""
        return hashlib.sha1(f"{kind}:{next(self._serial)}".encode()).hexdigest()[:20]

    def add_user(self, display_name: str, user_id: str | None = None) -> ZaloUser:
        user = ZaloUser(user_id or self.new_id("user"), display_name)
        self.users[user.user_id] = user
        return user

    def push(self, event_name: str, message: dict[str, Any]) -> int:
        """Queue an update for getUpdates or the webhook; returns its internal id."""
        return self.updates.put(UPDATE_KEY, {"event_name": event_name, "message": message})

    def webhook_body(self, item: dict[str, Any]) -> dict[str, Any]:
        """The JSON posted to the webhook for a queued item, per ``webhook_shape``."""
        shape = self.config.webhook_shape
        if shape == "alternate":
            shape = "wrapped" if self._deliveries % 2 == 0 else "flat"
        self._deliveries += 1
        update = item[UPDATE_KEY]
        return {"ok": True, "result": update} if shape == "wrapped" else update

    def gate(self, chat_id: str) -> None:
        """Refuse a send to a blocked user (403), over the limits or the quota (429);
        quota is consumed only when every check passes."""
        if chat_id in self.blocked:
            raise forbidden()
        quota = self.config.message_quota
        if quota is not None and self.quota_used >= quota:
            raise quota_exceeded()
        retry_after = self.limiter.acquire(chat_id)
        if retry_after is not None:
            raise too_many_requests(retry_after)
        self.quota_used += 1

    def close(self) -> None:
        """Wake long-polls and the deliverer (shutdown or reset)."""
        self.updates.close()
