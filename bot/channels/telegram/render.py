"""Core replies → Telegram calls: texts split under 4,096 characters, choices as buttons."""

from __future__ import annotations

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import MessageLimit

from bot.channels.text import split_text
from bot.core.replies import AnswerButton, Choice, Edit, Outbound, Reply, Send

CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH


def keyboard(choices: tuple[Choice, ...]) -> InlineKeyboardMarkup | None:
    """One button per row: labels are Vietnamese and long; a phone shows them whole."""
    if not choices:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(c.label, callback_data=c.data)] for c in choices]
    )


async def send_reply(bot: Bot, chat_id: str, reply: Reply) -> Message:
    """Send ``reply``; the buttons go with the last chunk. Returns the last message."""
    text = reply.text
    if reply.photo is not None:
        caption = text if len(text) <= CAPTION_LIMIT else None
        last = await bot.send_photo(
            chat_id,
            reply.photo,
            caption=caption,
            reply_markup=keyboard(reply.choices) if caption else None,
        )
        if caption is not None:
            return last
    if reply.document is not None:
        name, content = reply.document
        return await bot.send_document(
            chat_id,
            content,
            filename=name,
            caption=text[:1024],
            reply_markup=keyboard(reply.choices),
        )
    chunks = split_text(text, MessageLimit.MAX_TEXT_LENGTH)
    for chunk in chunks[:-1]:
        await bot.send_message(chat_id, chunk)
    return await bot.send_message(chat_id, chunks[-1], reply_markup=keyboard(reply.choices))


async def edit_reply(bot: Bot, chat_id: str, message_id: str, reply: Reply) -> Message | bool:
    """Replace a message's text and buttons (the text is cut to one message)."""
    text = split_text(reply.text, MessageLimit.MAX_TEXT_LENGTH)[0]
    return await bot.edit_message_text(
        text, chat_id=chat_id, message_id=int(message_id), reply_markup=keyboard(reply.choices)
    )


async def perform(bot: Bot, action: Outbound) -> None:
    """Carry out one core action on Telegram."""
    if isinstance(action, Send):
        await send_reply(bot, action.chat_id, action.reply)
    elif isinstance(action, Edit):
        await edit_reply(bot, action.chat_id, action.message_id, action.reply)
    elif isinstance(action, AnswerButton):
        await bot.answer_callback_query(action.callback_id, text=action.text)
