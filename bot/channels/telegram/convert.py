"""Telegram ``Update`` → core ``Inbound``."""

from __future__ import annotations

from telegram import Message, Update

from bot.core.events import Attachment, ButtonPress, Inbound

CHANNEL = "telegram"


def to_inbound(update: Update) -> Inbound | None:
    """The core event for ``update``, or None for updates the core does not handle."""
    if update.callback_query is not None:
        query = update.callback_query
        message = query.message
        chat_id = str(message.chat.id) if message is not None else str(query.from_user.id)
        private = message is None or message.chat.type == "private"
        return Inbound(
            CHANNEL,
            chat_id,
            private=private,
            sender_name=query.from_user.full_name,
            button=ButtonPress(
                query.data or "", str(message.message_id) if message else None, query.id
            ),
        )
    message = update.message or update.edited_message
    if message is None:
        return None
    return _message_event(message, edited=update.edited_message is not None)


def _message_event(message: Message, *, edited: bool) -> Inbound:
    user = message.from_user
    return Inbound(
        CHANNEL,
        str(message.chat.id),
        private=message.chat.type == "private",
        sender_name=user.full_name if user else None,
        text=message.text if message.text is not None else message.caption,
        attachment=_attachment(message),
        edited=edited,
        unsupported=_unsupported(message),
    )


def _attachment(message: Message) -> Attachment | None:
    if message.document is not None:
        return Attachment("document", message.document.file_id, message.document.file_name)
    if message.photo:
        return Attachment("photo", message.photo[-1].file_id)
    return None


def _unsupported(message: Message) -> str | None:
    if message.text is not None or message.document is not None or message.photo:
        return None
    for kind in ("sticker", "voice", "video", "audio", "location", "contact", "animation"):
        if getattr(message, kind, None):
            return kind
    return "other"
