"""``baocao run``: the composition root of the running bot.

Builds, once: settings → database → core (with the reminder buttons plugged in) → the
channel(s) → a paced sender over their transports → the scheduler service; then runs until
SIGTERM or Ctrl-C and stops in the reverse order (in-flight sends finish, claims go back).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import datetime

from bot.channels.secrets import webhook_secret
from bot.channels.telegram.app import build_application
from bot.channels.telegram.channel import TelegramChannel, Webhook
from bot.core.engine import Core
from bot.core.reminders import handle_reminder_button
from bot.core.turn import CoreConfig, Turn
from bot.database import open_database
from bot.settings import Settings
from scheduler.clock import Clock, clock_from
from scheduler.runner import SchedulerService
from scheduler.sending import PacedSender
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


def run_bot(
    settings: Settings, webhook_url: str | None = None, listen: tuple[str, int] | None = None
) -> None:
    """Run the Telegram channel and the scheduler on one event loop until stopped."""
    if settings.telegram_bot_token is None:
        raise SystemExit("TELEGRAM_BOT_TOKEN is not set (environment or .env).")
    asyncio.run(_main(settings, webhook_url, listen))


async def _main(
    settings: Settings, webhook_url: str | None, listen: tuple[str, int] | None
) -> None:
    assert settings.telegram_bot_token is not None
    clock = clock_from(settings.clock_file)
    core = build_core(settings, clock)
    token = settings.telegram_bot_token.get_secret_value()
    webhook = None
    if webhook_url is not None:
        host, port = listen or ("127.0.0.1", 8443)
        webhook = Webhook(
            webhook_url, host, port, webhook_secret(token, settings.telegram_webhook_secret_value)
        )
    channel = TelegramChannel(
        build_application(core, token=token, base_url=settings.telegram_base_url),
        token=token,
        base_url=settings.telegram_base_url,
        engine=core.engine,
        holder=settings.instance_name,
        webhook=webhook,
    )
    transport = await channel.start()
    service = SchedulerService(
        core.engine,
        PacedSender({transport.channel: transport}),
        clock,
        holder=settings.instance_name,
        tick_seconds=settings.tick_seconds,
    )
    service.start()
    log.info(
        "baocao %s running (%s)",
        settings.instance_name,
        "webhook" if webhook else "long polling under a lease",
    )
    await _until_stopped()
    log.info("stopping: finishing the sends in flight")
    await service.stop()
    await channel.stop()


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
