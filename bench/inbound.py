"""Inbound (issue 10, benchmark 3): progress dialogues completed per second.

Many simulated focal points talk to the bot through the sandbox (limits off), each in a
closed loop: /report → press an item → press a status → type a note → read the
confirmation, then again. Every step is one update in and one reply out; ours also reads
and writes the database at every step (dialogue state, the progress update, the audit).
  * ours: the real ``baocao run`` process (the Telegram adapter ``build_application``
    with a ``Core``, long polling the sandbox; its scheduler idle on a quiet Sunday);
  * peer: a bare python-telegram-bot echo bot (``bench.echo_bot``) fed the same four
    updates per dialogue (its buttons are pressed with the same data);
Bots, sandbox and the driver (this process) are separate processes. Figure: dialogues per
second over a fixed window after a warm-up, ours as a fraction of the echo bot's
(target ≥ 0.6).

    .venv/bin/python -m bench.inbound [--users 40] [--seconds 12] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import (
    LOOPBACK,
    QUIET_SUNDAY,
    ROOT,
    BaocaoProcess,
    Row,
    SandboxProcess,
    Section,
    create_users,
    log,
    median,
    plan_database,
    register_chats,
    rounds,
    spread,
)

TARGET = 0.6
NOTE = "Đã tổ chức 02 lớp tập huấn cho 120 cán bộ nữ."
STATUS = "s:in_progress"


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    kind: str  # "ours" or "echo"
    patch: str = ""


VARIANTS = (
    Variant("ours", "ours: `baocao run` as committed", "ours"),
    Variant("echo", "peer: bare PTB echo bot", "echo"),
)


class Driver:
    """The simulated people: control-API calls over one aiohttp session."""

    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self.url, self.http = url, session

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.http.post(self.url + path, json=body) as response:
            response.raise_for_status()
            return dict(await response.json())

    async def say(self, user: int, text: str) -> None:
        await self._post("/control/messages", {"user_id": user, "text": text})

    async def press(self, user: int, message_id: int, data: str) -> None:
        body = {"user_id": user, "message_id": message_id, "data": data, "force": True}
        await self._post("/control/callback", body)

    async def next_reply(self, chat: int, since: int) -> dict[str, Any]:
        params = {"chat_id": str(chat), "since_id": str(since), "count": "1", "timeout": "30"}
        async with self.http.get(self.url + "/control/wait", params=params) as response:
            response.raise_for_status()
            return dict((await response.json())["items"][0])


def _button(message: dict[str, Any], prefix: str, turn: int) -> str:
    """The data of a button of ``message`` whose choice starts with ``prefix`` (our
    dialogue buttons carry ``d<version>:<choice>``); items rotate with ``turn``."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    datas = [b["callback_data"] for row in rows for b in row]
    found = [d for d in datas if d.partition(":")[2].startswith(prefix)]
    if not found:
        raise AssertionError(f"no {prefix!r} button in {message.get('text', '')[:200]!r}")
    return found[turn % len(found)]


async def dialogue(driver: Driver, chat: int, since: int, turn: int, echo: bool) -> int:
    """One progress dialogue; returns the id of the last reply read."""
    await driver.say(chat, "/report")
    items = await driver.next_reply(chat, since)
    await driver.press(chat, items["message_id"], "i:1" if echo else _button(items, "i:", turn))
    status = await driver.next_reply(chat, items["id"])
    await driver.press(chat, status["message_id"], STATUS if echo else _button(status, STATUS, 0))
    note = await driver.next_reply(chat, status["id"])
    await driver.say(chat, NOTE)
    done = await driver.next_reply(chat, note["id"])
    if not echo and "Đã ghi nhận" not in (done.get("text") or ""):
        raise AssertionError(f"not confirmed: {done.get('text')!r}")
    return int(done["id"])


async def drive(url: str, chats: list[int], warmup: float, seconds: float, echo: bool) -> dict:
    """Every chat loops over dialogues; counts those finished inside the measured window."""
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        driver = Driver(url, session)
        async with session.get(url + "/control/sent", params={"since_id": str(1 << 62)}) as r:
            mark = int((await r.json())["last_id"])
        start = time.monotonic()
        begin, end = start + warmup, start + warmup + seconds
        finished: list[float] = []
        durations: list[float] = []

        async def person(chat: int) -> None:
            since, turn = mark, 0
            while time.monotonic() < end:
                started = time.monotonic()
                since = await dialogue(driver, chat, since, turn, echo)
                now = time.monotonic()
                if begin <= now <= end:
                    finished.append(now)
                    durations.append(now - started)
                turn += 1

        await asyncio.gather(*(person(chat) for chat in chats))
    return {
        "dialogues": len(finished),
        "per_second": len(finished) / seconds,
        "median_dialogue_s": median(durations),
    }


def core_alone(people: int = 40, rounds: int = 3) -> dict[str, float]:
    """``Core.handle`` called directly in this process for the same dialogue (no Telegram,
    no threads): median milliseconds and SQL statements per update."""
    from sqlalchemy import event

    from bot.core.engine import Core
    from bot.core.events import ButtonPress, Inbound
    from bot.core.replies import Send

    workdir = Path(tempfile.mkdtemp(prefix="bench-core-"))
    try:
        engine = plan_database(workdir / "baocao.db")
        chats = [str(1000 + n) for n in range(people)]
        register_chats(engine, [int(c) for c in chats])
        core = Core(engine, clock=lambda: QUIET_SUNDAY)
        statements = [0]
        event.listen(
            engine, "before_cursor_execute", lambda *_: statements.__setitem__(0, statements[0] + 1)
        )
        times: list[float] = []
        counts: list[int] = []

        def step(event_: Inbound) -> list[str]:
            statements[0] = 0
            started = time.perf_counter()
            actions = core.handle(event_)
            times.append((time.perf_counter() - started) * 1000)
            counts.append(statements[0])
            sends = [a for a in actions if isinstance(a, Send) and a.reply.choices]
            return [c.data for c in sends[-1].reply.choices] if sends else []

        for _ in range(rounds):
            for chat in chats:
                items = step(Inbound("telegram", chat, text="/report"))
                statuses = step(Inbound("telegram", chat, button=ButtonPress(items[0], "1", "q")))
                step(Inbound("telegram", chat, button=ButtonPress(statuses[1], "2", "q")))
                step(Inbound("telegram", chat, text=NOTE))
        engine.dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {"ms_per_update": median(times), "statements_per_update": median(counts)}


class Bench:
    """One variant: its sandbox, its people and its bot process."""

    def __init__(self, variant: Variant, users: int, stack: ExitStack) -> None:
        self.variant = variant
        self.sandbox = SandboxProcess(limits=False)
        stack.callback(self.sandbox.stop)
        self.client = self.sandbox.client()
        self.chats = create_users(self.sandbox.url, users)
        if variant.kind == "echo":
            self._start_echo(stack)
            return
        workdir = Path(tempfile.mkdtemp(prefix=f"bench-inbound-{variant.key}-"))
        stack.callback(shutil.rmtree, workdir, True)
        self.bot = BaocaoProcess(
            workdir, self.sandbox.base_url, patch=variant.patch, tick_seconds=3600
        )
        register_chats(self.bot.engine, self.chats)
        stack.callback(self.bot.stop)
        self.bot.start(self.client)

    def _start_echo(self, stack: ExitStack) -> None:
        before = self.client.stats()["requests"].get("getUpdates", 0)
        echo = subprocess.Popen(
            [sys.executable, "-m", "bench.echo_bot", self.sandbox.base_url],
            cwd=ROOT,
            env={**os.environ, **LOOPBACK, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def stop() -> None:
            echo.terminate()
            echo.wait(timeout=20)

        stack.callback(stop)
        deadline = time.monotonic() + 60
        while self.client.stats()["requests"].get("getUpdates", 0) <= before:
            if time.monotonic() > deadline or echo.poll() is not None:
                raise RuntimeError("the echo bot did not start")
            time.sleep(0.2)

    def measure(self, warmup: float, seconds: float) -> dict[str, Any]:
        echo = self.variant.kind == "echo"
        result = asyncio.run(drive(self.sandbox.url, self.chats, warmup, seconds, echo))
        log(f"inbound {self.variant.key}: {result}")
        return result


def run(
    users: int = 40,
    seconds: float = 12.0,
    repeats: int = 3,
    warmup: float = 3.0,
    variants: tuple[Variant, ...] = VARIANTS,
) -> Section:
    began = time.perf_counter()
    with ExitStack() as stack:
        benches = [Bench(v, users, stack) for v in variants]
        measures: list[Callable[[], dict[str, Any]]] = [
            (lambda b=b: b.measure(warmup, seconds)) for b in benches
        ]
        results = dict(zip([v.key for v in variants], rounds(repeats, *measures), strict=True))
    alone = core_alone()
    log(f"inbound: Core.handle alone {alone}")
    echo = median([r["per_second"] for r in results["echo"]])
    rows = []
    for v in variants:
        rates = [r["per_second"] for r in results[v.key]]
        latency = median([r["median_dialogue_s"] for r in results[v.key]])
        ratios = [
            o["per_second"] / e["per_second"]
            for o, e in zip(results[v.key], results["echo"], strict=True)
        ]
        ratio = median(ratios)
        rows.append(
            Row(
                v.label,
                f"{median(rates):.1f} dialogues/s (median dialogue {latency * 1000:.0f} ms)",
                "" if v.kind == "echo" else f"{echo:.1f}/s",
                "" if v.kind == "echo" else f"{ratio:.2f}",
                "" if v.kind == "echo" else f"≥ {TARGET}",
                None if v.kind == "echo" else ratio >= TARGET,
                f"rate {spread(rates)}" + ("" if v.kind == "echo" else f", ratio {spread(ratios)}"),
                {"ours": "ours", "echo": "peer"}.get(v.key, "suggested"),
            )
        )
    ours_rate = median([r["per_second"] for r in results["ours"]])
    ours_ratio = median(
        [
            o["per_second"] / e["per_second"]
            for o, e in zip(results["ours"], results["echo"], strict=True)
        ]
    )
    notes = [
        f"- {'Met' if ours_ratio >= TARGET else 'Not met'}: {ours_ratio:.2f} of the echo bot "
        f"(the last session: 0.41). Per update that is {1000 / (4 * ours_rate):.1f} ms of wall "
        f"time for ours against {1000 / (4 * echo):.1f} ms for the echo bot (4 updates per "
        "dialogue).",
        "- What ours does per update: `Core.handle` finds the person, the chat's marks and its "
        "dialogue row in one query, saves the step with one upsert, and on the last step "
        "inserts the progress update and the audit entry, recording the Telegram update id in "
        f"the same transaction (a repeated delivery does nothing): alone, "
        f"{alone['ms_per_update']:.2f} ms and {alone['statements_per_update']:.1f} statements "
        "per update. A quick step runs on the event loop (`Core.handle_now`: on SQLite a "
        "`BEGIN IMMEDIATE` that does not wait); one that would wait for the write lock, or "
        "reaches slow work (/status, /export…), goes to a worker thread. Updates of different "
        "chats are handled concurrently, at most 8 at once, those of one chat in order "
        "(`bot/channels/telegram/ordering.py`, a `BaseUpdateProcessor`). The Telegram HTTP "
        "client finds each pooled connection's socket once for httpcore's 'closed by the "
        "server?' check (`bot/channels/telegram/http.py`), which anyio otherwise rebuilds a "
        "dictionary for on every request.",
        "- The rest of the difference is python-telegram-bot, httpx and httpcore per request, "
        "which the echo bot pays too, and the benchmark's own clock file, which the bot reads "
        "once per update (1–2 % of its CPU; a production bot reads the system clock). Nothing "
        "here grows with the data: it is a fixed cost per update.",
    ]
    return Section(
        notes=notes,
        key="inbound",
        title="3. Inbound progress dialogues",
        what=(
            f"{users} people at once, each looping /report → item → status → note → "
            f"confirmation (4 updates in, 4 replies out); counted over {seconds:.0f} s after "
            f"a {warmup:.0f} s warm-up. Sandbox limits off."
        ),
        rows=rows,
        raw={**results, "core_alone": alone},
        seconds=time.perf_counter() - began,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    section = run(args.users, args.seconds, args.rounds)
    print(json.dumps(section.raw, indent=2))
    for row in section.rows:
        print(row)


if __name__ == "__main__":
    main()
