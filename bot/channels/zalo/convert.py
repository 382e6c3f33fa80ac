"""Zalo update → core ``Inbound``; core ``Reply`` → Zalo texts (numbered choices, ≤ 2,000)."""

from __future__ import annotations

from typing import Any

from bot.channels.text import split_text
from bot.channels.zalo.api import CHANNEL, TEXT_LIMIT
from bot.core.choices import numbered
from bot.core.events import Attachment, Inbound
from bot.core.replies import Reply
from bot.i18n import Translator

UNSUPPORTED = {"message.sticker.received": "sticker", "message.unsupported.received": "other"}


def unwrap(body: Any) -> dict[str, Any] | None:
    """The update, whether or not it comes wrapped in ``{"ok": true, "result": …}``."""
    if isinstance(body, dict) and isinstance(body.get("result"), dict):
        body = body["result"]
    if isinstance(body, dict) and isinstance(body.get("message"), dict):
        return body
    return None


def update_key(update: dict[str, Any]) -> str | None:
    """The message id: Zalo has no update ids, and redelivers the same message id."""
    key = update["message"].get("message_id")
    return str(key) if key else None


def to_inbound(update: dict[str, Any]) -> Inbound | None:
    """The core event, or None for the bot's own echoes and malformed updates."""
    message = update["message"]
    sender, chat = message.get("from") or {}, message.get("chat") or {}
    if sender.get("is_bot") or not chat.get("id"):
        return None
    event = str(update.get("event_name", ""))
    photo = message.get("photo") or message.get("photo_url")
    return Inbound(
        CHANNEL,
        str(chat["id"]),
        private=chat.get("chat_type", "PRIVATE") == "PRIVATE",
        sender_name=sender.get("display_name"),
        text=message.get("text") if event == "message.text.received" else message.get("caption"),
        attachment=Attachment("photo", str(photo)) if photo else None,
        unsupported=UNSUPPORTED.get(event),
    )


def render(reply: Reply, t: Translator) -> list[str]:
    """Plain texts (Zalo renders no formatting and has no buttons), each ≤ 2,000 characters.

    Choices become numbered lines with a hint; pictures and files, which the Zalo Bot API
    can only send from a public URL, are replaced by a note saying where to get them.
    """
    text = reply.text
    if reply.photo is not None or reply.document is not None:
        note = t._("(A chart or file is available on Telegram or with `baocao export`.)")
        text = f"{text}\n{note}".strip()
    if reply.choices:
        hint = t._("Reply with the number of your choice:")
        text = f"{text}\n\n{hint}\n{numbered(reply.choices)}"
    return split_text(text, TEXT_LIMIT) if text else []
