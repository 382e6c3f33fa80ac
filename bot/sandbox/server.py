"""Start the sandbox: as an aiohttp app, in the current loop, blocking, or in a thread.

async with await start_sandbox(SandboxConfig()) as sandbox:
    bot = telegram.Bot(TOKEN, base_url=sandbox.base_url)

with run_in_thread(SandboxConfig()) as sandbox:   # for synchronous callers
    SandboxClient(sandbox.url).create_user("An")
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from aiohttp import web

from bot.sandbox.client import SandboxClient
from bot.sandbox.config import FaultsConfig, LimitsConfig, SandboxConfig
from bot.sandbox.control import add_control_routes
from bot.sandbox.routes import add_routes
from bot.sandbox.state import STATE_REF, SandboxState, StateRef
from bot.sandbox.webhook import WebhookDeliverer
from bot.sandbox.zalo_routes import PREFIX as ZALO_PREFIX
from bot.sandbox.zalo_routes import add_zalo

__all__ = [
    "FaultsConfig",
    "LimitsConfig",
    "RunningSandbox",
    "SandboxConfig",
    "ThreadedSandbox",
    "create_app",
    "run_in_thread",
    "serve",
    "start_sandbox",
]

_DELIVERER = web.AppKey("sandbox_webhook", WebhookDeliverer)
_MAX_UPLOAD = 60 * 1024 * 1024  # Telegram accepts 50 MB uploads


def create_app(config: SandboxConfig | None = None) -> web.Application:
    """The sandbox as an aiohttp application (Telegram and Zalo Bot APIs + control API)."""
    config = config or SandboxConfig()
    app = web.Application(client_max_size=_MAX_UPLOAD)
    ref = StateRef(SandboxState(config))
    app[STATE_REF] = ref
    app[_DELIVERER] = WebhookDeliverer(ref)
    add_routes(app)
    add_zalo(app)
    add_control_routes(app)
    app.on_startup.append(_start_deliverer)
    app.on_shutdown.append(_wake_waiters)
    app.on_cleanup.append(_stop_deliverer)
    return app


async def _start_deliverer(app: web.Application) -> None:
    app[_DELIVERER].start()


async def _wake_waiters(app: web.Application) -> None:
    # Long-polls (getUpdates, /control/wait, time-out faults) would otherwise hold
    # shutdown until their time-outs.
    app[STATE_REF].current.close()


async def _stop_deliverer(app: web.Application) -> None:
    await app[_DELIVERER].stop()


@dataclass
class RunningSandbox:
    """A started sandbox in the current event loop."""

    runner: web.AppRunner
    url: str  # e.g. http://127.0.0.1:40123

    @property
    def base_url(self) -> str:
        """What python-telegram-bot takes as ``base_url`` (token and method appended)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    @property
    def zalo_base_url(self) -> str:
        """``ZALO_BASE_URL`` for the Zalo adapter (it appends ``/bot<TOKEN>/<method>``)."""
        return f"{self.url}{ZALO_PREFIX}"

    @property
    def state(self) -> SandboxState:
        """The live world, for in-process inspection (prefer the control API)."""
        return self.runner.app[STATE_REF].current

    async def close(self) -> None:
        await self.runner.cleanup()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def start_sandbox(config: SandboxConfig | None = None) -> RunningSandbox:
    """Start listening (``port=0`` picks a free port) and return the running sandbox."""
    config = config or SandboxConfig()
    # handler_cancellation: a client that hangs up ends its long-poll at once, so its
    # abandoned getUpdates does not conflict with the next one.
    runner = web.AppRunner(
        create_app(config), handler_cancellation=True, shutdown_timeout=1.0, access_log=None
    )
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    host, port = runner.addresses[0][:2]
    return RunningSandbox(runner, f"http://{_url_host(host)}:{port}")


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def serve(config: SandboxConfig | None = None) -> None:
    """Run until Ctrl-C or SIGTERM, printing the address (for the CLI)."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(config or SandboxConfig()))


async def _serve(config: SandboxConfig) -> None:
    sandbox = await start_sandbox(config)
    print(
        f"Bot API sandbox on {sandbox.url}  (python-telegram-bot base_url: "
        f"{sandbox.base_url}; ZALO_BASE_URL: {sandbox.zalo_base_url}; "
        f"control API: {sandbox.url}/control/)",
        flush=True,
    )
    stop = asyncio.Event()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await stop.wait()
    finally:
        await sandbox.close()
        print("Bot API sandbox stopped.", flush=True)


class ThreadedSandbox:
    """A sandbox running in its own thread and event loop, for synchronous code."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self._config = config or SandboxConfig()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._running: RunningSandbox | None = None
        self._thread = threading.Thread(target=self._run, name="bot-sandbox", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        loop = self._loop
        try:
            self._running = loop.run_until_complete(start_sandbox(self._config))
        except BaseException as exc:  # surfaced to the constructor's caller
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._running.close())
        loop.close()

    @property
    def url(self) -> str:
        assert self._running is not None
        return self._running.url

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    @property
    def zalo_base_url(self) -> str:
        """``ZALO_BASE_URL`` for the Zalo adapter (it appends ``/bot<TOKEN>/<method>``)."""
        return f"{self.url}{ZALO_PREFIX}"

    def client(self, timeout: float = 30.0) -> SandboxClient:
        """A synchronous control-API client for this sandbox."""
        return SandboxClient(self.url, timeout=timeout)

    def close(self) -> None:
        """Stop the server and join the thread (idempotent)."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def run_in_thread(config: SandboxConfig | None = None) -> ThreadedSandbox:
    """Start a sandbox in a background thread; use as a context manager or ``close()``."""
    return ThreadedSandbox(config)
