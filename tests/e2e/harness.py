"""Run the real ``baocao run`` process against the sandbox, and talk to it as people do.

Synchronisation is through the sandbox's long-polling control API (``wait_sent``), never
through sleeps: a test waits until the bot's answer is recorded, then reads it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.demo.local import run_cli, sandbox_env
from bot.sandbox.client import SandboxClient
from scheduler.clock import FileClock

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:TEST-sandbox-token-not-a-real-one-000"
PLAN = ROOT / "plans" / "kh-68-ubnd-binh-phuoc-2021.yaml"


@dataclass
class BotEnv:
    """Environment of one bot installation: database, clock file, sandbox address."""

    workdir: Path
    sandbox_url: str
    tick_seconds: float = 0.2
    extra: dict[str, str] = field(default_factory=dict)

    db_url: str | None = None  # default: an SQLite file in ``workdir``

    @property
    def database_url(self) -> str:
        return self.db_url or f"sqlite:///{self.workdir / 'baocao.db'}"

    @property
    def clock(self) -> FileClock:
        return FileClock(self.workdir / "clock.txt")

    def env(self) -> dict[str, str]:
        return sandbox_env(
            database_url=self.database_url,
            sandbox_url=self.sandbox_url,
            telegram_token=TOKEN,
            clock_file=self.workdir / "clock.txt",
            tick_seconds=self.tick_seconds,
            extra=self.extra,
        )

    def cli(self, *args: str) -> str:
        """Run ``baocao ARGS`` as a new process; returns stdout, raises on failure."""
        result = run_cli(args, env=self.env(), cwd=self.workdir)
        if result.returncode != 0:
            raise AssertionError(f"baocao {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout

    def invite(self, agency: str, role: str = "focal", name: str = "Nguyễn Văn An") -> str:
        out = self.cli(
            "invite",
            "create",
            "--agency",
            agency,
            "--role",
            role,
            "--name",
            name,
            "--format",
            "json",
        )
        return str(json.loads(out)["token"])

    def set_time(self, moment: datetime) -> None:
        self.clock.set(moment)


class BotProcess:
    """A ``baocao run`` child process; ``kill`` is SIGKILL (a crash), ``stop`` is SIGTERM."""

    def __init__(self, env: BotEnv, args: tuple[str, ...] = ()) -> None:
        self.env = env
        self.log = (env.workdir / "bot.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", *args],
            env=env.env(),
            cwd=env.workdir,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def output(self) -> str:
        return (self.env.workdir / "bot.log").read_text(encoding="utf-8", errors="replace")


class Person:
    """A chat user in the sandbox who reads what the bot sends them."""

    def __init__(self, client: SandboxClient, first_name: str) -> None:
        self.client = client
        self.user_id = int(client.create_user(first_name=first_name)["user_id"])
        self.seen = client.mark()

    def say(self, text: str, *, expect: int = 1) -> list[dict[str, Any]]:
        """Send ``text``; wait for and return the next ``expect`` messages to this chat."""
        self.client.send_text(self.user_id, text)
        return self.read(expect)

    def press(
        self, message: dict[str, Any], label_or_data: str, *, expect: int = 1
    ) -> list[dict[str, Any]]:
        """Press the button whose label (or data) is ``label_or_data`` on ``message``."""
        data = button_data(message, label_or_data)
        self.client.press_button(self.user_id, int(message["message_id"]), data)
        return self.read(expect)

    def read(self, count: int = 1, timeout: float = 20.0) -> list[dict[str, Any]]:
        got = self.client.wait_sent(
            chat_id=self.user_id, count=count, since_id=self.seen, timeout=timeout
        )
        self.seen = int(got[-1]["id"])
        return got

    def sent_since(self, mark: int) -> list[dict[str, Any]]:
        return self.client.sent(chat_id=self.user_id, since_id=mark)


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    markup = message.get("reply_markup") or {}
    return [
        (b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row
    ]


def button_data(message: dict[str, Any], label_or_data: str) -> str:
    for label, data in buttons(message):
        if label_or_data in (label, data):
            return data
    raise AssertionError(f"no button {label_or_data!r} in {buttons(message)}")


def free_port() -> int:
    """A TCP port free on loopback right now (for a webhook server the bot will open)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
