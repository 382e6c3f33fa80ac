"""Fixtures for the Bot API sandbox tests: a sandbox per test on a free loopback port,
its control client, a raw httpx client and a python-telegram-bot ``Bot``."""

from __future__ import annotations

import datetime as dtm
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from telegram import Bot
from telegram.error import RetryAfter

from bot.sandbox import (
    AsyncSandboxClient,
    LimitsConfig,
    RunningSandbox,
    SandboxConfig,
    start_sandbox,
)

TOKEN = "123456789:AAHsandboxTOKENforTESTS_0123456789"

SandboxFactory = Callable[..., Awaitable[RunningSandbox]]


@pytest.fixture
def token() -> str:
    return TOKEN


@pytest.fixture
async def make_sandbox() -> AsyncIterator[SandboxFactory]:
    """Start sandboxes with config overrides: ``await make_sandbox(limits=...)``."""
    started: list[RunningSandbox] = []

    async def factory(**overrides: Any) -> RunningSandbox:
        sandbox = await start_sandbox(SandboxConfig(**overrides))
        started.append(sandbox)
        return sandbox

    yield factory
    for sandbox in started:
        await sandbox.close()


@pytest.fixture
async def sandbox(make_sandbox: SandboxFactory) -> RunningSandbox:
    """A sandbox with Telegram's default limits and no faults."""
    return await make_sandbox()


@pytest.fixture
async def control(sandbox: RunningSandbox) -> AsyncIterator[AsyncSandboxClient]:
    async with AsyncSandboxClient(sandbox.url) as client:
        yield client


@pytest.fixture
async def raw(sandbox: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    """httpx pointed at ``/bot<TOKEN>/`` (post a method name relative to it)."""
    async with httpx.AsyncClient(
        base_url=f"{sandbox.base_url}{TOKEN}/", trust_env=False, timeout=10
    ) as client:
        yield client


@pytest.fixture
async def ptb(sandbox: RunningSandbox) -> AsyncIterator[Bot]:
    """An initialised python-telegram-bot ``Bot`` talking to the sandbox."""
    async with Bot(TOKEN, base_url=sandbox.base_url, base_file_url=sandbox.base_file_url) as bot:
        yield bot


def _retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # int retry_after is deprecated in PTB 22.2+
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


@pytest.fixture
def retry_seconds() -> Callable[[RetryAfter], float]:
    """``RetryAfter.retry_after`` as seconds, whatever PTB's deprecation mode."""
    return _retry_seconds


@pytest.fixture
async def unlimited(make_sandbox: SandboxFactory) -> RunningSandbox:
    """A sandbox with the flood limits switched off."""
    return await make_sandbox(limits=LimitsConfig(enabled=False))


ZALO_TOKEN = "12345689:abc-xyz"


@pytest.fixture
def zalo_token() -> str:
    return ZALO_TOKEN


@pytest.fixture
async def zalo(sandbox: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    """httpx pointed at ``/zalo/bot<ZALO_TOKEN>/`` (post a method name relative to it)."""
    async with httpx.AsyncClient(
        base_url=f"{sandbox.zalo_base_url}/bot{ZALO_TOKEN}/", trust_env=False, timeout=10
    ) as client:
        yield client


@pytest.fixture
async def zalo_user(control: AsyncSandboxClient) -> dict[str, Any]:
    """A Zalo user (``{"user_id", "chat_id", "channel"}``, string ids)."""
    return await control.create_user(display_name="Lan", channel="zalo")
