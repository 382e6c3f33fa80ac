"""Running ``baocao`` processes against the local sandbox (the demo and the end-to-end tests).

One place builds their environment (loopback, sandbox URLs, a simulated clock) and runs
the command line, so the demo and the tests exercise the same set-up.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

LOOPBACK = "127.0.0.1,localhost"


def sandbox_env(
    *,
    database_url: str,
    sandbox_url: str,
    telegram_token: str,
    clock_file: Path,
    tick_seconds: float,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The process environment: the caller's, minus any baocao/Telegram settings, plus ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BAOCAO_"))}
    env.update(
        {
            "DATABASE_URL": database_url,
            "TELEGRAM_BOT_TOKEN": telegram_token,
            "TELEGRAM_BASE_URL": f"{sandbox_url}/bot",
            "BAOCAO_TICK_SECONDS": str(tick_seconds),
            "BAOCAO_CLOCK_FILE": str(clock_file),
            "NO_PROXY": LOOPBACK,
            "no_proxy": LOOPBACK,
            **(extra or {}),
        }
    )
    return env


def run_cli(
    args: tuple[str, ...], *, env: dict[str, str], cwd: Path, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """``baocao ARGS`` in a new process (the caller checks the return code)."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
