"""``python -m bench.echo_bot BASE_URL``: the peer of the inbound benchmark, a bare
python-telegram-bot echo bot as PTB's own example writes it (default ``Application``,
long polling). A text is echoed back; a button press is answered and its data sent back,
so every update costs it one reply, as every step of our dialogue costs us one."""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bench.common import TOKEN


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_text(update.message.text or "")


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    await query.answer()
    await context.bot.send_message(query.message.chat.id, query.data or "")


def main() -> None:
    app = ApplicationBuilder().token(TOKEN).base_url(sys.argv[1]).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(pressed))
    app.run_polling(allowed_updates=["message", "edited_message", "callback_query"])


if __name__ == "__main__":
    main()
