"""Fixtures of the reliability suite (issue 10).

The end-to-end fixtures (``sandbox``, ``client``, ``start_bot``, ``person``) come from
``tests/e2e``; ``bot_env`` is redefined here to copy a database with the sample plan
loaded once per session instead of running ``baocao plan load`` (a new process) per test:
the suite runs within a time budget. ``world`` is the in-process core of
``tests/reliability/world.py`` on a fresh copy of one members' template per session.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.sandbox.server import ThreadedSandbox
from storage.db import make_engine
from tests.e2e import conftest as e2e
from tests.e2e.harness import PLAN, BotEnv
from tests.reliability.helpers import START, copy_database
from tests.reliability.world import World, build_template

# The end-to-end fixtures, and the hook that shows the bot's log when a test fails.
sandbox = e2e.sandbox
client = e2e.client
start_bot = e2e.start_bot
person = e2e.person
pytest_runtest_makereport = e2e.pytest_runtest_makereport


@pytest.fixture(scope="session")
def plan_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file with the schema migrated and the sample plan loaded (once)."""
    workdir = tmp_path_factory.mktemp("template")
    env = BotEnv(workdir, "http://127.0.0.1:9")  # no bot runs here: nothing is contacted
    env.set_time(START)
    env.cli("plan", "load", str(PLAN))
    return workdir / "baocao.db"


@pytest.fixture
def bot_env(tmp_path: Path, sandbox: ThreadedSandbox, plan_database: Path) -> BotEnv:
    env = BotEnv(tmp_path, sandbox.url)
    copy_database(plan_database, tmp_path)
    env.set_time(START)
    return env


@pytest.fixture
def db(bot_env: BotEnv) -> Iterator[Engine]:
    """The bot's database, opened by the test (the bot process opens its own)."""
    engine = make_engine(bot_env.database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def members_template(plan_database: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plan database with one person per role registered (copied by each ``world``)."""
    return build_template(plan_database, tmp_path_factory.mktemp("members") / "template.db")


@pytest.fixture
def world(members_template: Path, tmp_path: Path) -> Iterator[World]:
    opened = World.open(members_template, tmp_path)
    yield opened
    opened.close()
