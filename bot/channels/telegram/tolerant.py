"""A ``getUpdates`` that survives an update python-telegram-bot cannot parse.

PTB parses the whole batch at once; one malformed update (say, a message without ``date``)
makes every poll fail, the offset never moves past it, and the bot answers nobody again.
Here each update is parsed on its own; one that fails is replaced by an empty ``Update``
with its ``update_id`` (so the offset moves on; the core ignores it) and logged by id only,
never with its content.
"""

from __future__ import annotations

import datetime as dtm
import logging
from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_NONE, DefaultValue
from telegram.ext import ExtBot

log = logging.getLogger(__name__)


class TolerantBot(ExtBot[None]):
    async def get_updates(
        self,
        offset: int | None = None,
        limit: int | None = None,
        timeout: int | dtm.timedelta | None = None,
        allowed_updates: Sequence[str] | None = None,
        *,
        read_timeout: Any = DEFAULT_NONE,
        write_timeout: Any = DEFAULT_NONE,
        connect_timeout: Any = DEFAULT_NONE,
        pool_timeout: Any = DEFAULT_NONE,
        api_kwargs: dict[str, Any] | None = None,
    ) -> tuple[Update, ...]:
        base = (
            self._request[0].read_timeout
            if isinstance(read_timeout, DefaultValue)
            else read_timeout
        ) or 0
        wait = timeout.total_seconds() if isinstance(timeout, dtm.timedelta) else (timeout or 0)
        data = {
            "timeout": timeout,
            "offset": offset,
            "limit": limit,
            "allowed_updates": allowed_updates,
        }
        raw = await self._post(
            "getUpdates",
            data,
            read_timeout=base + wait,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
            api_kwargs=api_kwargs,
        )
        return tuple(self._parse_one(item) for item in (raw or []))

    def _parse_one(self, item: Any) -> Update:
        try:
            update = Update.de_json(item, self)
        except Exception as exc:  # whatever the library raises on a malformed update
            update_id = item.get("update_id", 0) if isinstance(item, dict) else 0
            log.warning(
                "skipped update %s: it cannot be parsed (%s)", update_id, exc.__class__.__name__
            )
            return Update(update_id=int(update_id))
        return update
