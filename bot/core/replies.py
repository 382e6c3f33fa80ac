"""Outbound actions the core asks an adapter to perform.

A ``Reply`` carries text and optional ``Choice``s. Telegram renders choices as inline
buttons; a channel without buttons (Zalo) renders them as numbered lines. Either way,
the core also accepts the number or the words of a choice typed as text.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

MAX_CALLBACK_BYTES = 64


@dataclass(frozen=True)
class Choice:
    label: str
    data: str

    def __post_init__(self) -> None:
        if len(self.data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {self.data!r}")


@dataclass(frozen=True)
class Reply:
    text: str
    choices: tuple[Choice, ...] = ()
    photo: bytes | None = None  # a PNG sent with ``text`` as its caption
    document: tuple[str, bytes] | None = None  # (file name, content)


@dataclass(frozen=True)
class Send:
    """Send ``reply`` to ``chat_id`` on ``channel``."""

    channel: str
    chat_id: str
    reply: Reply


@dataclass(frozen=True)
class Edit:
    """Replace the text (and buttons) of a message the bot sent earlier."""

    channel: str
    chat_id: str
    message_id: str
    reply: Reply


@dataclass(frozen=True)
class AnswerButton:
    """Acknowledge a button press (Telegram shows ``text`` as a small toast)."""

    callback_id: str
    text: str | None = None


Direct = Send | Edit | AnswerButton  # an action a channel performs as it is


@dataclass(frozen=True)
class Later:
    """Slow work (drawing charts) done after the actions before it have been performed, so
    the person reads the text while it runs; ``produce`` returns the actions to perform
    then. It runs in a worker thread and must not touch the turn's database session."""

    produce: Callable[[], list[Direct]]


Outbound = Direct | Later


async def perform_in_order(
    actions: Sequence[Outbound], perform: Callable[[Direct], Awaitable[None]]
) -> None:
    """Perform ``actions`` one after the other through the channel's ``perform``; a
    ``Later`` is produced (in a thread) when its turn comes, and its actions follow."""
    for action in actions:
        if isinstance(action, Later):
            for produced in await asyncio.to_thread(action.produce):
                await perform(produced)
        else:
            await perform(action)


@dataclass
class Outbox:
    """What one handled event produced, in order."""

    actions: list[Outbound] = field(default_factory=list)

    def send(self, channel: str, chat_id: str, reply: Reply) -> None:
        self.actions.append(Send(channel, chat_id, reply))

    def edit(self, channel: str, chat_id: str, message_id: str, reply: Reply) -> None:
        self.actions.append(Edit(channel, chat_id, message_id, reply))

    def later(self, produce: Callable[[], list[Direct]]) -> None:
        self.actions.append(Later(produce))

    def answer(self, callback_id: str | None, text: str | None = None) -> None:
        if callback_id:
            self.actions.append(AnswerButton(callback_id, text))
