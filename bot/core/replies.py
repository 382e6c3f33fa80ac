"""Outbound actions the core asks an adapter to perform.

A ``Reply`` carries text and optional ``Choice``s. Telegram renders choices as inline
buttons; a channel without buttons (Zalo) renders them as numbered lines. Either way,
the core also accepts the number or the words of a choice typed as text.
"""

from __future__ import annotations

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


Outbound = Send | Edit | AnswerButton


@dataclass
class Outbox:
    """What one handled event produced, in order."""

    actions: list[Outbound] = field(default_factory=list)

    def send(self, channel: str, chat_id: str, reply: Reply) -> None:
        self.actions.append(Send(channel, chat_id, reply))

    def edit(self, channel: str, chat_id: str, message_id: str, reply: Reply) -> None:
        self.actions.append(Edit(channel, chat_id, message_id, reply))

    def answer(self, callback_id: str | None, text: str | None = None) -> None:
        if callback_id:
            self.actions.append(AnswerButton(callback_id, text))
