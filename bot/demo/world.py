"""The demo's world: a work folder, the sandbox, the real bot process, a simulated clock.

Everything here is the production path: the bot is ``python -m bot run`` in its own
process, it talks HTTP to the sandbox on 127.0.0.1, and it stores to SQLite. Only the
clock is simulated (``BAOCAO_CLOCK_FILE``), so weeks of a plan pass in seconds.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from bot.core.invites import create_invite
from bot.demo.local import run_cli, sandbox_env
from bot.sandbox.client import SandboxClient
from bot.sandbox.config import SandboxConfig
from bot.sandbox.server import ThreadedSandbox, run_in_thread
from scheduler.clock import FileClock
from scheduler.runner import ROUND_BEAT
from storage import outbox
from storage.db import make_engine, session_scope

DEMO_ZALO_TOKEN = "424243:demo-zalo-sandbox-token"
DEMO_TOKEN = "424242:DEMO-sandbox-token-not-a-real-one-00"
TICK_WAIT_SECONDS = 20.0


class World:
    """Owns the demo's processes; use as a context manager so they always stop."""

    def __init__(self, workdir: Path) -> None:
        if workdir.exists():
            shutil.rmtree(workdir)
        workdir.mkdir(parents=True)
        self.workdir = workdir
        self.clock = FileClock(workdir / "clock.txt")
        self.sandbox: ThreadedSandbox | None = None
        self.bot: subprocess.Popen[bytes] | None = None
        self.engine: Engine = make_engine(f"sqlite:///{workdir / 'baocao.db'}")

    def __enter__(self) -> World:
        self.sandbox = run_in_thread(SandboxConfig(port=0))
        self.sandbox.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_bot()
        if self.sandbox is not None:
            self.sandbox.close()
        self.engine.dispose()

    @property
    def client(self) -> SandboxClient:
        assert self.sandbox is not None
        return self.sandbox.client()

    def env(self) -> dict[str, str]:
        assert self.sandbox is not None
        return sandbox_env(
            database_url=f"sqlite:///{self.workdir / 'baocao.db'}",
            sandbox_url=self.sandbox.url,
            telegram_token=DEMO_TOKEN,
            clock_file=self.clock.path,
            tick_seconds=0.1,
            extra={"ZALO_BOT_TOKEN": DEMO_ZALO_TOKEN, "ZALO_BASE_URL": f"{self.sandbox.url}/zalo"},
        )

    def cli(self, *args: str) -> str:
        result = run_cli(args, env=self.env(), cwd=self.workdir)
        if result.returncode != 0:
            raise RuntimeError(f"baocao {' '.join(args)} failed: {result.stderr}")
        return result.stdout

    def invite(self, agency: str, role: str, name: str) -> str:
        """An invite token, created in-process (what ``baocao invite create`` does)."""
        with session_scope(self.engine) as session:
            invite = create_invite(
                session,
                agency_code=agency,
                role=role,
                name=name,
                now=self.clock.now(),
                ttl=timedelta(hours=72),
                bot_username="baocao_sandbox_bot",
            )
        return invite.token

    def start_bot(self) -> None:
        log = (self.workdir / "bot.log").open("ab")
        self.bot = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            env=self.env(),
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def stop_bot(self) -> None:
        if self.bot is not None and self.bot.poll() is None:
            self.bot.terminate()
            self.bot.wait(timeout=15)

    def advance(self, moment: datetime) -> None:
        """Move the clock and wait until the bot finished a whole round at that time (its
        reminders and the coordinators' digest), so nothing of it arrives later."""
        self.clock.set(moment)
        deadline = time.monotonic() + TICK_WAIT_SECONDS
        while time.monotonic() < deadline:
            if self.bot is not None and self.bot.poll() is not None:
                raise RuntimeError(f"the bot stopped; see {self.workdir / 'bot.log'}")
            with session_scope(self.engine) as session:
                beat = outbox.last_beat(session, name=ROUND_BEAT)  # reminders and digests
            if beat is not None and beat >= moment:
                return
            time.sleep(0.02)  # polling a condition in the database, not a guess
        raise RuntimeError(f"no tick at {moment.isoformat()} within {TICK_WAIT_SECONDS} s")
