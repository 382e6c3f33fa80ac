"""The Telegram update handler: a quick turn on the loop, else a worker thread; each update
goes to the core with its key (bot id and update id), so a second delivery is a no-op;
keys are forgotten once Telegram can no longer deliver them again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Engine
from telegram import Chat, Message, Update, User

from bot.channels.telegram.app import _handler
from bot.channels.telegram.channel import UPDATE_KEYS_KEPT, TelegramChannel
from bot.core.events import Inbound
from bot.core.replies import Outbound
from storage import inbound
from storage.db import session_scope


class FakeCore:
    """Records how each event was handed over; ``quick`` says whether handle_now takes it."""

    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.calls: list[tuple[str, str | None, str | None]] = []

    def handle_now(self, event: Inbound, *, update_key: str | None = None) -> list[Outbound] | None:
        self.calls.append(("now", event.text, update_key))
        return [] if self.quick else None

    def handle(self, event: Inbound, *, update_key: str | None = None) -> list[Outbound]:
        self.calls.append(("thread", event.text, update_key))
        return []


def _update(update_id: int, text: str) -> Update:
    message = Message(
        message_id=update_id,
        date=datetime(2021, 5, 25, tzinfo=UTC),
        chat=Chat(100, Chat.PRIVATE),
        from_user=User(100, "Người dùng", False),
        text=text,
    )
    return Update(update_id, message=message)


async def test_a_quick_turn_stays_on_the_loop_with_the_update_key() -> None:
    core = FakeCore(quick=True)
    handle = _handler(core)  # type: ignore[arg-type]
    context: Any = SimpleNamespace(bot=SimpleNamespace(id=42))
    await handle(_update(7, "/report"), context)
    assert core.calls == [("now", "/report", "42:7")]


async def test_a_turn_refused_on_the_loop_goes_to_a_thread_with_the_same_key() -> None:
    core = FakeCore(quick=False)
    handle = _handler(core)  # type: ignore[arg-type]
    context: Any = SimpleNamespace(bot=SimpleNamespace(id=42))
    await handle(_update(8, "/status"), context)
    assert core.calls == [("now", "/status", "42:8"), ("thread", "/status", "42:8")]


def test_update_keys_older_than_telegram_keeps_updates_are_forgotten(engine: Engine) -> None:
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        for key, at in (("1:1", now - UPDATE_KEYS_KEPT - timedelta(hours=1)), ("1:2", now)):
            inbound.first_time(session, channel="telegram", key=key, now=at)
        inbound.first_time(session, channel="zalo", key="z", now=now - timedelta(days=30))
    channel = TelegramChannel(
        None,  # type: ignore[arg-type]  # the application is not needed to forget keys
        token="1:x",
        base_url="http://127.0.0.1:9/bot",
        engine=engine,
        holder="test",
    )
    channel._forget_update_keys()
    with session_scope(engine) as session:
        assert not inbound.seen(session, channel="telegram", key="1:1")
        assert inbound.seen(session, channel="telegram", key="1:2")
        assert inbound.seen(session, channel="zalo", key="z")  # Zalo's own: not ours to drop
