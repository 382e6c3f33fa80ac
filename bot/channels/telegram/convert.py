"""Telegram ``Update`` → core ``Inbound``.

python-telegram-bot builds its objects from whatever JSON arrives without checking types:
a message may come without a chat, a text may be a number, a string may hold lone
surrogates (the JSON escape ``\\udcff``, which no database can store). Such an update is
not for the core: ``to_inbound`` returns None for it instead of raising, and cleans the
strings it passes on.
"""

from __future__ import annotations

import re
from typing import Any

from telegram import CallbackQuery, Message, Update

from bot.core.events import Attachment, ButtonPress, Inbound

CHANNEL = "telegram"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def to_inbound(update: Update) -> Inbound | None:
    """The core event for ``update``, or None for updates the core does not handle."""
    if update.callback_query is not None:
        return _button_event(update.callback_query)
    message = update.message or update.edited_message
    if not isinstance(message, Message):
        return None
    return _message_event(message, edited=update.edited_message is not None)


def _button_event(query: CallbackQuery) -> Inbound | None:
    message = query.message
    chat = getattr(message, "chat", None)
    if message is not None and chat is None:
        return None
    user = query.from_user
    chat_id = _id(chat.id if chat is not None else getattr(user, "id", None))
    if chat_id is None:
        return None
    return Inbound(
        CHANNEL,
        chat_id,
        private=chat is None or chat.type == "private",
        sender_name=_text(getattr(user, "full_name", None)),
        button=ButtonPress(
            _text(query.data) or "",
            _id(getattr(message, "message_id", None)),
            _text(query.id) or _id(query.id),
        ),
    )


def _message_event(message: Message, *, edited: bool) -> Inbound | None:
    chat_id = _id(getattr(message.chat, "id", None))
    if chat_id is None:
        return None
    user = message.from_user
    text = message.text if message.text is not None else message.caption
    return Inbound(
        CHANNEL,
        chat_id,
        private=message.chat.type == "private",
        sender_name=_text(getattr(user, "full_name", None)),
        text=_text(text),
        attachment=_attachment(message),
        edited=edited,
        unsupported=_unsupported(message),
    )


def _attachment(message: Message) -> Attachment | None:
    document = message.document
    if document is not None and _text(document.file_id):
        return Attachment("document", str(_text(document.file_id)), _text(document.file_name))
    photo = message.photo[-1] if message.photo else None
    if photo is not None and _text(photo.file_id):
        return Attachment("photo", str(_text(photo.file_id)))
    return None


def _unsupported(message: Message) -> str | None:
    if isinstance(message.text, str) or message.document is not None or message.photo:
        return None
    for kind in ("sticker", "voice", "video", "audio", "location", "contact", "animation"):
        if getattr(message, kind, None):
            return kind
    return "other"


def _id(value: Any) -> str | None:
    """A chat or message id: Telegram's are integers; anything else is malformed."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _text(value: Any) -> str | None:
    """A string as the core may store it (lone surrogates replaced), or None."""
    if not isinstance(value, str):
        return None
    return _LONE_SURROGATE.sub("\ufffd", value)
