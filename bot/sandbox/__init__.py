"""A local Telegram and Zalo Bot API sandbox for tests, the demo and benchmarks.

It speaks the subset of the Bot API python-telegram-bot uses (and the Zalo Bot API
under ``/zalo``), models flood limits and errors, injects faults, delivers webhooks, and
offers a ``/control/`` API to act as users and to observe what the bot sent. See
docs/sandbox.md.

This package imports nothing else from ``bot``, ``scheduler`` or ``storage``.
"""

from bot.sandbox.client import AsyncSandboxClient, SandboxClient, SandboxError, SandboxTimeout
from bot.sandbox.config import FaultsConfig, LimitsConfig, SandboxConfig, ZaloConfig
from bot.sandbox.server import (
    RunningSandbox,
    ThreadedSandbox,
    create_app,
    run_in_thread,
    serve,
    start_sandbox,
)

__all__ = [
    "AsyncSandboxClient",
    "FaultsConfig",
    "LimitsConfig",
    "RunningSandbox",
    "SandboxClient",
    "SandboxConfig",
    "SandboxError",
    "SandboxTimeout",
    "ThreadedSandbox",
    "ZaloConfig",
    "create_app",
    "run_in_thread",
    "serve",
    "start_sandbox",
]
