"""What every benchmark shares: the machine, medians, a sandbox in its own process, a
migrated database with the sample plan, and many registered recipients at once.

The sandbox runs as a child process (``python -m bot.sandbox``), not in a thread of the
benchmark: on a two-core machine a sandbox thread would compete with the code under
test for the interpreter lock, and Telegram is not in our process either.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PLAN = ROOT / "plans" / "kh-68-ubnd-binh-phuoc-2021.yaml"
TOKEN = "123456:BENCH-sandbox-token-not-a-real-one-0"
LOOPBACK = {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
# A Sunday in the plan's year: no reminder is due, so nothing but the benchmark sends.
QUIET_SUNDAY = datetime(2021, 7, 4, 1, 0, tzinfo=UTC)

os.environ.update(LOOPBACK)


def log(message: str) -> None:
    """Progress on stderr (stdout stays for results)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def spread(values: Sequence[float]) -> str:
    """``min–max`` of the runs, for the report (shows how noisy the machine was)."""
    if not values:
        return "–"
    return f"{min(values):.3g}–{max(values):.3g}"


@dataclass
class Row:
    """One line of a benchmark's table in docs/benchmarks.md."""

    label: str
    ours: str
    peer: str
    ratio: str
    target: str
    met: bool | None  # None: informational row, no target
    runs: str = ""
    kind: str = "ours"  # "ours" (as committed), "suggested", "peer" or "info"


@dataclass
class Section:
    """A benchmark's result: its table, what it means, and the raw numbers (JSON)."""

    key: str
    title: str
    what: str
    rows: list[Row]
    notes: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


# --- the machine -------------------------------------------------------------------------


def machine() -> dict[str, str]:
    """nproc, CPU model, memory, Python, OS, load at the start, and the code measured."""
    return {
        "cpus": str(os.cpu_count()),
        "cpu_model": _lscpu_model(),
        "memory": _mem_total(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()}",
        "sqlite": _sqlite_version(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "commit": _git_commit(),
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _lscpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    for line in out.splitlines():
        if line.lower().startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _mem_total() -> str:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return "unknown"
    kib = int(re.search(r"MemTotal:\s+(\d+)", text).group(1))  # type: ignore[union-attr]
    return f"{kib / 1024 / 1024:.1f} GiB"


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def _git_commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench", ":!docs")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}{' + uncommitted changes' if dirty else ''}"


def rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of ``pid`` in KiB, from /proc (psutil is not installed)."""
    text = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+)", text).group(1))  # type: ignore[union-attr]
    hwm = int(re.search(r"VmHWM:\s+(\d+)", text).group(1))  # type: ignore[union-attr]
    return rss, hwm


# --- the sandbox in its own process --------------------------------------------------------


class SandboxProcess:
    """``python -m bot.sandbox`` on a free loopback port; stopped with SIGTERM."""

    def __init__(self, *, limits: bool = True) -> None:
        args = [sys.executable, "-m", "bot.sandbox", "--port", "0"]
        if not limits:
            args.append("--no-limits")
        self.proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**os.environ, **LOOPBACK},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        found = re.search(r"on (http://\S+)", line)
        if found is None:
            self.stop()
            raise RuntimeError(f"the sandbox did not start: {line!r}")
        self.url = found.group(1)

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def client(self) -> Any:
        from bot.sandbox.client import SandboxClient

        return SandboxClient(self.url, timeout=120.0)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@contextmanager
def sandbox_process(*, limits: bool = True) -> Iterator[SandboxProcess]:
    sandbox = SandboxProcess(limits=limits)
    try:
        yield sandbox
    finally:
        sandbox.stop()


def create_users(url: str, count: int, prefix: str = "Người nhận") -> list[int]:
    """``count`` sandbox users (concurrently: one control call each); their chat ids."""
    import asyncio

    from bot.sandbox.client_async import AsyncSandboxClient

    async def make() -> list[int]:
        async with AsyncSandboxClient(url, timeout=60.0) as client:
            gate = asyncio.Semaphore(32)

            async def one(n: int) -> int:
                async with gate:
                    return int((await client.create_user(f"{prefix} {n}"))["user_id"])

            return list(await asyncio.gather(*(one(n) for n in range(count))))

    return asyncio.run(make())


# --- a database with the sample plan -------------------------------------------------------


def plan_database(path: Path) -> Any:
    """A migrated SQLite file at ``path`` with the sample plan loaded; returns the engine."""
    from bot.planfile.load import load_plan
    from bot.planfile.parse import read_plan_file
    from storage.db import make_engine, session_scope
    from storage.migrate import upgrade

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with session_scope(engine) as session:
        load_plan(session, read_plan_file(PLAN), source_file=PLAN.name)
    return engine


def register_chats(engine: Any, chats: Sequence[int], agency: str = "SNV") -> list[int]:
    """People bound to the given Telegram chats, written straight to the database (the
    registration dialogue is tested elsewhere); returns their person ids."""
    from sqlalchemy import text

    with engine.begin() as conn:
        agency_id = conn.execute(
            text("SELECT id FROM agency WHERE code = :c"), {"c": agency}
        ).scalar_one()
        first = conn.execute(text("SELECT COALESCE(MAX(id), 0) + 1 FROM person")).scalar_one()
        ids = list(range(first, first + len(chats)))
        conn.execute(
            text(
                "INSERT INTO person (id, name, agency_id, role, locale, created_at) "
                "VALUES (:id, :n, :a, 'focal', 'vi', '2021-05-01 00:00:00')"
            ),
            [{"id": pid, "n": f"Người nhận {pid}", "a": agency_id} for pid in ids],
        )
        conn.execute(
            text(
                "INSERT INTO channel_identity (person_id, channel, chat_id, created_at) "
                "VALUES (:p, 'telegram', :c, '2021-05-01 00:00:00')"
            ),
            [{"p": pid, "c": str(chat)} for pid, chat in zip(ids, chats, strict=True)],
        )
    return ids


def rounds(count: int, *measures: Callable[[], Any]) -> list[list[Any]]:
    """Run the measures side by side ``count`` times, alternating their order (ABBA), so
    a drift of the shared machine's load falls on both; returns the results per measure."""
    results: list[list[Any]] = [[] for _ in measures]
    for n in range(count):
        order = list(range(len(measures)))
        if n % 2:
            order.reverse()
        for index in order:
            results[index].append(measures[index]())
    return results


# --- the real bot process ------------------------------------------------------------------


class BaocaoProcess:
    """``baocao run`` (through ``bench.patched_bot`` so a candidate change from
    ``bench.patches`` can be applied) on its own database in ``workdir``, polling
    ``sandbox``, its clock file set to ``now``. ``plan load`` runs first; people are added
    with ``register_chats(self.engine, ...)`` before ``start``."""

    def __init__(
        self,
        workdir: Path,
        base_url: str,
        *,
        patch: str = "",
        now: datetime = QUIET_SUNDAY,
        tick_seconds: float = 1.0,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        from scheduler.clock import FileClock
        from storage.db import make_engine

        self.workdir, self.base_url, self.patch = workdir, base_url, patch
        self.tick_seconds, self.extra_env = tick_seconds, extra_env or {}
        FileClock(workdir / "clock.txt").set(now)
        self.cli("plan", "load", str(PLAN))
        self.engine = make_engine(f"sqlite:///{workdir / 'baocao.db'}")
        self.proc: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BAOCAO_"))}
        env.update(
            {
                "DATABASE_URL": f"sqlite:///{self.workdir / 'baocao.db'}",
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_BASE_URL": self.base_url,
                "BAOCAO_TICK_SECONDS": str(self.tick_seconds),
                "BAOCAO_CLOCK_FILE": str(self.workdir / "clock.txt"),
                "PYTHONPATH": str(ROOT),
                **LOOPBACK,
                **self.extra_env,
            }
        )
        return env

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "bench.patched_bot", self.patch, *args]

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            self.command(*args), env=self.env(), cwd=self.workdir, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"baocao {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def start(self, client: Any, timeout: float = 90.0) -> None:
        """Start ``baocao run``; return once it polls the sandbox (``client``)."""
        before = client.stats()["requests"].get("getUpdates", 0)
        self.log = (self.workdir / "bot.log").open("ab")
        self.proc = subprocess.Popen(
            self.command("run"), env=self.env(), cwd=self.workdir, stdout=self.log, stderr=self.log
        )
        deadline = time.monotonic() + timeout
        while client.stats()["requests"].get("getUpdates", 0) <= before:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                tail = (self.workdir / "bot.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"baocao run did not start polling:\n{tail}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self.log.close()
        self.engine.dispose()
