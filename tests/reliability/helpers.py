"""Shared helpers of the reliability suite: waiting on conditions, the simulated clock,
database checks, and raw updates pushed into the sandbox's queue.

Waiting polls a condition that the bot's work makes true (a row in the database, a
record in the sandbox's sent log), with a deadline; nothing sleeps a guessed duration.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, SQLModel, select

from bot.sandbox.client import SandboxClient
from bot.sandbox.server import ThreadedSandbox
from storage import outbox
from storage.models import Broadcast
from tests.e2e.harness import ROOT, BotEnv, BotProcess

POLL_SECONDS = 0.05
START = datetime(2021, 5, 20, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam, a Thursday


def copy_database(template: Path, workdir: Path) -> None:
    """A private copy of the template database (the template is never opened for writing)."""
    for suffix in ("", "-wal"):
        source = template.with_name(template.name + suffix)
        if source.exists():
            shutil.copyfile(source, workdir / f"baocao.db{suffix}")


def wait_until(
    condition: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    bot: BotProcess | None = None,
) -> None:
    """Return once ``condition()`` holds; fail after ``timeout`` seconds (or if the bot died)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if bot is not None and bot.proc.poll() is not None:
            log = bot.output()[-3000:]
            raise AssertionError(f"the bot exited while waiting for {what}:\n{log}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(POLL_SECONDS)  # polling the condition, not guessing a duration


def last_tick(engine: Engine) -> datetime | None:
    with Session(engine) as session:  # a plain read: takes no write lock
        return outbox.last_beat(session, name="tick")


def advance(
    bot_env: BotEnv, engine: Engine, bot: BotProcess, moment: datetime, timeout: float = 30.0
) -> None:
    """Set the bot's clock to ``moment`` and wait until a tick at that time has finished:
    then everything due at ``moment`` has been sent and recorded."""
    bot_env.set_time(moment)
    wait_until(
        lambda: (beat := last_tick(engine)) is not None and beat >= moment,
        timeout=timeout,
        what=f"a finished tick at {moment.isoformat()}",
        bot=bot,
    )


def integrity(database: Path) -> str:
    """``PRAGMA integrity_check`` of the SQLite file (``ok`` when sound)."""
    connection = sqlite3.connect(database)
    try:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
    finally:
        connection.close()
    return "; ".join(str(row[0]) for row in rows)


def texts_per_chat(
    client: SandboxClient, chats: Iterable[int], *, since_id: int = 0, upto_id: int | None = None
) -> dict[int, list[str]]:
    """Texts the sandbox recorded (sendMessage) for each chat in ``(since_id, upto_id]``."""
    found: dict[int, list[str]] = {chat: [] for chat in chats}
    for record in client.sent(method="sendMessage", since_id=since_id):
        if upto_id is not None and int(record["id"]) > upto_id:
            break
        chat = int(record["chat_id"])
        if chat in found:
            found[chat].append(record.get("text") or "")
    return found


def count_containing(texts: dict[int, list[str]], needle: str) -> Counter[int]:
    return Counter({chat: sum(needle in t for t in got) for chat, got in texts.items()})


def push_raw_updates(sandbox: ThreadedSandbox, updates: list[tuple[str, dict[str, Any]]]) -> None:
    """Queue updates exactly as given (unknown or missing fields included) for the bot's
    getUpdates. The control API only builds well-formed updates, so this reaches into the
    running sandbox's state, on its own event loop."""
    running = sandbox._running  # test-only access: there is no control endpoint for this
    assert running is not None

    async def put() -> None:
        for kind, payload in updates:
            running.state.updates.put(kind, payload)

    asyncio.run_coroutine_threadsafe(put(), sandbox._loop).result(timeout=10)


def count(engine: Engine, model: type[SQLModel], *where: Any) -> int:
    """``SELECT count(*) FROM model WHERE ...`` as a plain read."""
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


def broadcast_state(engine: Engine, broadcast_id: int) -> str | None:
    with Session(engine) as session:
        row = session.get(Broadcast, broadcast_id)
        return row.state if row else None


class SandboxProcess:
    """The sandbox in its own process (``python -m bot.sandbox --port 0``), for tests that
    run several bots at once: in-thread sandboxes would share this process's interpreter
    lock, and their answers (so the bots) would slow each other down."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.sandbox", "--port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.proc.stdout is not None
        banner = self.proc.stdout.readline()  # blocks until the server listens
        found = re.search(r"on (http://\S+?)\s", banner)
        if found is None:
            self.close()
            raise AssertionError(f"the sandbox did not start: {banner}")
        self.url = found.group(1)

    def client(self) -> SandboxClient:
        return SandboxClient(self.url)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def wait_for_broadcast(
    engine: Engine, broadcast_id: int, bot: BotProcess, timeout: float = 60.0
) -> None:
    """Wait until the bot has closed the broadcast (no delivery pending or claimed)."""
    wait_until(
        lambda: broadcast_state(engine, broadcast_id) == "done",
        timeout=timeout,
        what=f"broadcast {broadcast_id} done",
        bot=bot,
    )
