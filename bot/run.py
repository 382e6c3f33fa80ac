"""``baocao run``: the composition root of the running bot.

Builds, once: settings → database → core (with the reminder buttons plugged in) → the
channel(s) → a paced sender over their transports → the scheduler service; then runs until
SIGTERM or Ctrl-C and stops in the reverse order (in-flight sends finish, claims go back).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.channels.secrets import webhook_secret
from bot.channels.telegram.app import build_application
from bot.channels.telegram.channel import TelegramChannel, Webhook
from bot.channels.zalo.api import ZaloApi
from bot.channels.zalo.channel import ZaloChannel
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


@dataclass(frozen=True)
class RunOptions:
    """How ``baocao run`` receives updates, per channel."""

    channels: tuple[str, ...] = ()  # empty: every channel whose token is set
    webhook_url: str | None = None
    listen: tuple[str, int] = ("127.0.0.1", 8443)
    zalo_webhook_url: str | None = None
    zalo_listen: tuple[str, int] = ("127.0.0.1", 8444)


class Channel(Protocol):
    async def start(self) -> Transport: ...

    async def stop(self) -> None: ...


def run_bot(settings: Settings, options: RunOptions) -> None:
    """Run the channel(s) and the scheduler on one event loop until SIGTERM or Ctrl-C."""
    wanted = options.channels or tuple(
        name
        for name, token in (
            ("telegram", settings.telegram_bot_token),
            ("zalo", settings.zalo_bot_token),
        )
        if token is not None
    )
    if not wanted:
        raise SystemExit(
            "Neither TELEGRAM_BOT_TOKEN nor ZALO_BOT_TOKEN is set (environment or .env)."
        )
    for name in wanted:
        if getattr(settings, f"{name}_bot_token") is None:
            raise SystemExit(f"{name.upper()}_BOT_TOKEN is not set (environment or .env).")
    asyncio.run(_main(settings, options, wanted))


async def _main(settings: Settings, options: RunOptions, wanted: tuple[str, ...]) -> None:
    clock = clock_from(settings.clock_file)
    core = build_core(settings, clock)
    channels = [_build_channel(name, settings, options, core) for name in wanted]
    transports: dict[str, Transport] = {}
    for channel in channels:
        transport = await channel.start()
        transports[transport.channel] = transport
    service = SchedulerService(
        core.engine,
        PacedSender(transports),
        clock,
        holder=settings.instance_name,
        tick_seconds=settings.tick_seconds,
    )
    service.start()
    log.info("baocao %s running: %s", settings.instance_name, ", ".join(wanted))
    await _until_stopped()
    log.info("stopping: finishing the sends in flight")
    await service.stop()
    for channel in channels:
        await channel.stop()


def _build_channel(name: str, settings: Settings, options: RunOptions, core: Core) -> Channel:
    if name == "zalo":
        assert settings.zalo_bot_token is not None
        token = settings.zalo_bot_token.get_secret_value()
        return ZaloChannel(
            core,
            ZaloApi(token, settings.zalo_base_url),
            webhook_url=options.zalo_webhook_url,
            listen=options.zalo_listen,
            secret=webhook_secret(token, settings.zalo_webhook_secret_value),
        )
    assert settings.telegram_bot_token is not None
    token = settings.telegram_bot_token.get_secret_value()
    webhook = None
    if options.webhook_url is not None:
        webhook = Webhook(
            options.webhook_url,
            *options.listen,
            webhook_secret(token, settings.telegram_webhook_secret_value),
        )
    return TelegramChannel(
        build_application(core, token=token, base_url=settings.telegram_base_url),
        token=token,
        base_url=settings.telegram_base_url,
        engine=core.engine,
        holder=settings.instance_name,
        webhook=webhook,
    )


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
