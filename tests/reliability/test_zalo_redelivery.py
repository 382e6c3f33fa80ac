"""Zalo redelivers a message until it is answered: its message id is recorded in the core's
turn, so a second delivery does nothing, and a turn that failed leaves the id unseen, so
the redelivery is handled (nothing is lost)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from bot.channels.zalo.channel import ZaloChannel
from bot.core.replies import Direct, Send
from tests.reliability.world import APOLOGIES, World


def _body(message_id: str, text: str) -> dict[str, Any]:
    return {
        "ok": True,
        "result": {
            "event_name": "message.text.received",
            "message": {
                "message_id": message_id,
                "text": text,
                "from": {"id": "z-1", "display_name": "Khách", "is_bot": False},
                "chat": {"id": "z-1", "chat_type": "PRIVATE"},
            },
        },
    }


class Recording(ZaloChannel):
    """The channel with its sends recorded instead of posted to Zalo."""

    def __init__(self, world: World) -> None:
        super().__init__(world.core, SimpleNamespace())  # type: ignore[arg-type]
        self.texts: list[str] = []

    async def _perform(self, action: Direct) -> None:
        assert isinstance(action, Send)
        self.texts.append(action.reply.text)


async def test_a_redelivered_message_is_answered_once(world: World) -> None:
    channel = Recording(world)
    await channel.handle(_body("m-1", "/help"))
    answered = list(channel.texts)
    await channel.handle(_body("m-1", "/help"))  # Zalo delivers it again
    assert answered and channel.texts == answered


async def test_a_turn_that_failed_is_handled_when_the_message_comes_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = Recording(world)
    dispatch = world.core._dispatch

    def failing(turn: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(world.core, "_dispatch", failing)
    await channel.handle(_body("m-2", "/help"))
    assert channel.texts and channel.texts[-1] in APOLOGIES
    monkeypatch.setattr(world.core, "_dispatch", dispatch)
    await channel.handle(_body("m-2", "/help"))  # the redelivery: handled this time
    assert channel.texts[-1] not in APOLOGIES
