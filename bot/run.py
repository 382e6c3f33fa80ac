"""``baocao run``: the composition root of the running bot."""

from __future__ import annotations

import logging

from bot.channels.telegram.app import build_application
from bot.core.engine import Core
from bot.core.turn import CoreConfig
from bot.database import open_database
from bot.settings import Settings

log = logging.getLogger(__name__)


def core_config(settings: Settings) -> CoreConfig:
    return CoreConfig(
        invite_ttl_hours=settings.invite_ttl_hours,
        bot_username=settings.telegram_bot_username or "baocao_sandbox_bot",
    )


def run_bot(settings: Settings) -> None:
    """Start the Telegram adapter (long polling) on the configured database."""
    if settings.telegram_bot_token is None:
        raise SystemExit("TELEGRAM_BOT_TOKEN is not set (environment or .env).")
    engine = open_database(settings)
    core = Core(engine, core_config(settings), settings.default_locale)
    app = build_application(
        core,
        token=settings.telegram_bot_token.get_secret_value(),
        base_url=settings.telegram_base_url,
    )
    log.info("baocao %s polling %s", settings.instance_name, _safe(settings.telegram_base_url))
    app.run_polling(
        allowed_updates=["message", "edited_message", "callback_query"], close_loop=False
    )


def _safe(url: str) -> str:
    """The base URL without anything after ``/bot`` (a token must never reach the logs)."""
    return url.split("/bot", 1)[0] + "/bot…" if "/bot" in url else url
