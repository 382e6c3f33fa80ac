"""Inbound events: what an adapter hands the core, whatever the channel."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Attachment:
    """A document or photo, kept by the channel's file id (we never download it)."""

    kind: str  # "document" or "photo"
    file_id: str
    file_name: str | None = None


@dataclass(frozen=True)
class ButtonPress:
    data: str
    message_id: str | None
    callback_id: str | None


@dataclass(frozen=True)
class Inbound:
    """One message or button press from one chat.

    ``unsupported`` names content the core answers with a short explanation
    (a sticker, a voice note); ``edited`` marks an edit of an earlier message.
    """

    channel: str
    chat_id: str
    private: bool = True
    sender_name: str | None = None
    text: str | None = None
    button: ButtonPress | None = None
    attachment: Attachment | None = None
    edited: bool = False
    unsupported: str | None = None

    @property
    def command(self) -> tuple[str, str] | None:
        """``("report", "args")`` for ``/report args`` (bot suffix ``@name`` dropped)."""
        if not self.text or not self.text.startswith("/"):
            return None
        head, _, rest = self.text.strip().partition(" ")
        name = head[1:].split("@", 1)[0].lower()
        return (name, rest.strip()) if name else None
