"""Build and run the python-telegram-bot ``Application`` around the core.

PTB does the transport (long polling, retries on the connection, parsing); the core does
everything else. No ConversationHandler and no pickle persistence: dialogue state is in
the database (DESIGN.md, principle 2).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Bot, BotCommand, Update
from telegram.error import RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.channels.telegram.convert import to_inbound
from bot.channels.telegram.http import FastPoolRequest
from bot.channels.telegram.ordering import PerChatProcessor
from bot.channels.telegram.render import perform
from bot.channels.telegram.tolerant import TolerantBot
from bot.channels.telegram.transport import TelegramTransport, retry_seconds
from bot.core.commands import COMMANDS
from bot.core.engine import Core
from bot.core.replies import Direct, perform_in_order
from bot.i18n import translator

log = logging.getLogger(__name__)
REPLY_RETRIES = 5
CONCURRENT_UPDATES = 8  # updates of different chats handled at once (one chat: in order)


def build_application(core: Core, *, token: str, base_url: str) -> Application:
    """The PTB application: one handler for every update (see ``channel`` for its lifecycle).
    Updates of different chats are handled concurrently, those of one chat in order."""
    bot = TolerantBot(
        token, base_url=base_url, request=FastPoolRequest(), get_updates_request=FastPoolRequest()
    )
    app = (
        ApplicationBuilder()
        .bot(bot)
        .concurrent_updates(PerChatProcessor(CONCURRENT_UPDATES))
        .build()
    )
    app.add_handler(TypeHandler(Update, _handler(core)))
    app.add_error_handler(_log_error)
    return app


def _handler(
    core: Core,
) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not isinstance(update, Update):
            return
        event = to_inbound(update)
        if event is None:
            return
        # Telegram hands an update out again until a later poll confirms it (a restart in
        # between, a webhook retry): its id makes the second delivery a no-op.
        key = update_key(context.bot.id, update.update_id)
        # A quick step runs right here (about a millisecond of SQLite, less than the hop to a
        # thread and back); whatever may wait or take long goes to a worker thread instead,
        # so the loop keeps serving the other chats.
        actions = core.handle_now(event, update_key=key)
        if actions is None:
            actions = await asyncio.to_thread(core.handle, event, update_key=key)
        await perform_in_order(
            actions, lambda action: _perform_patiently(context.bot, action, event.chat_id)
        )

    return handle


def update_key(bot_id: int, update_id: int) -> str:
    """The de-duplication key of an update: its id, per bot (a new token starts anew)."""
    return f"{bot_id}:{update_id}"


async def sending_transport(token: str, base_url: str) -> TelegramTransport:
    """A transport on its own ``Bot`` with a wide connection pool for paced bulk sends
    (the polling bot's pool stays free for replies)."""
    bot = Bot(
        token,
        base_url=base_url,
        request=FastPoolRequest(connection_pool_size=128, read_timeout=8.0),
    )
    await bot.initialize()
    return TelegramTransport(bot)


async def _perform_patiently(bot: Bot, action: Direct, chat_id: str) -> None:
    """Carry out a reply, waiting out flood control (429) a few times; log other failures.

    A chat may answer faster than Telegram lets a bot reply (about one message a second
    after a short burst), so ``retry_after`` is honoured instead of dropping the reply.
    """
    for _attempt in range(REPLY_RETRIES):
        try:
            await perform(bot, action)
            return
        except RetryAfter as exc:
            await asyncio.sleep(retry_seconds(exc.retry_after))
        except TelegramError as exc:  # one failed reply must not stop the others
            log.warning("reply to chat %s failed: %s", chat_id, exc)
            return
    log.warning("reply to chat %s dropped after %d flood waits", chat_id, REPLY_RETRIES)


async def register_commands(app: Application) -> None:
    """setMyCommands: Vietnamese descriptions by default, English for English clients."""
    for locale, language_code in (("vi", None), ("en", "en")):
        t = translator(locale)
        commands = [BotCommand(c.name, t._(c.description)) for c in COMMANDS]
        await app.bot.set_my_commands(commands, language_code=language_code)


async def _log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("update handling failed: %s", context.error, exc_info=context.error)
