"""``baocao run``: the composition root of the running bot.

Builds, once: settings → database → core (with the reminder buttons plugged in) →
Telegram application → paced sender over the Telegram transport → scheduler service,
started and stopped by the application's lifecycle hooks.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.channels.telegram.app import build_application
from bot.core.engine import Core
from bot.core.reminders import handle_reminder_button
from bot.core.turn import CoreConfig, Turn
from bot.database import open_database
from bot.settings import Settings
from scheduler.clock import Clock, clock_from
from scheduler.runner import SchedulerService
from scheduler.sending import PacedSender, Transport
from scheduler.snooze import snooze

log = logging.getLogger(__name__)


def core_config(settings: Settings) -> CoreConfig:
    return CoreConfig(
        invite_ttl_hours=settings.invite_ttl_hours, bot_username=settings.bot_username
    )


def build_core(settings: Settings, clock: Clock) -> Core:
    core = Core(
        open_database(settings), core_config(settings), settings.default_locale, clock=clock.now
    )
    core.button_handlers.append(lambda turn, data: handle_reminder_button(turn, data, _snooze))
    return core


def _snooze(turn: Turn, item_id: int) -> datetime:
    assert turn.person is not None and turn.person.id is not None
    return snooze(
        turn.session,
        person_id=turn.person.id,
        agency_id=turn.person.agency_id,
        item_id=item_id,
        now=turn.now,
    )


def run_bot(settings: Settings) -> None:
    """Start the Telegram adapter (long polling) and the scheduler on one event loop."""
    if settings.telegram_bot_token is None:
        raise SystemExit("TELEGRAM_BOT_TOKEN is not set (environment or .env).")
    clock = clock_from(settings.clock_file)
    core = build_core(settings, clock)
    token = settings.telegram_bot_token.get_secret_value()
    services: list[SchedulerService] = []

    async def on_start(transport: Transport) -> None:
        sender = PacedSender({transport.channel: transport})
        service = SchedulerService(
            core.engine,
            sender,
            clock,
            holder=settings.instance_name,
            tick_seconds=settings.tick_seconds,
        )
        service.start()
        services.append(service)

    async def on_stop(_transport: Transport) -> None:
        for service in services:
            service.shutdown()

    app = build_application(
        core, token=token, base_url=settings.telegram_base_url, on_start=on_start, on_stop=on_stop
    )
    log.info("baocao %s starting (Telegram long polling)", settings.instance_name)
    app.run_polling(
        allowed_updates=["message", "edited_message", "callback_query"], close_loop=False
    )
