"""End-to-end fixtures: an in-process sandbox, a work directory with the sample plan loaded,
and the real bot process, stopped (and its log shown on failure) after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.sandbox.client import SandboxClient
from bot.sandbox.config import SandboxConfig
from bot.sandbox.server import ThreadedSandbox, run_in_thread
from tests.e2e.harness import PLAN, BotEnv, BotProcess, Person


@pytest.fixture
def sandbox() -> Iterator[ThreadedSandbox]:
    with run_in_thread(SandboxConfig(port=0)) as running:
        yield running


@pytest.fixture
def client(sandbox: ThreadedSandbox) -> Iterator[SandboxClient]:
    with sandbox.client() as c:
        yield c


@pytest.fixture
def bot_env(tmp_path: Path, sandbox: ThreadedSandbox) -> BotEnv:
    env = BotEnv(tmp_path, sandbox.url)
    env.set_time(datetime(2021, 5, 20, 1, 0, tzinfo=UTC))  # 08:00 in Vietnam
    env.cli("plan", "load", str(PLAN))
    return env


@pytest.fixture
def start_bot(
    bot_env: BotEnv, request: pytest.FixtureRequest
) -> Iterator[Callable[[], BotProcess]]:
    started: list[BotProcess] = []

    def start() -> BotProcess:
        process = BotProcess(bot_env)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        for process in started:
            print(f"--- bot log ---\n{process.output()[-5000:]}")


@pytest.fixture
def person(client: SandboxClient) -> Callable[[str], Person]:
    return lambda name: Person(client, name)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)
