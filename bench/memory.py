"""Memory (issue 10, benchmark 5): resident memory of ``baocao run`` with 10,000 people.

The sample plan is loaded and 10,000 people are registered (spread over the plan's
agencies, each with a Telegram chat in the sandbox); ``baocao run`` starts, materializes
their reminder rows on its first tick, then answers /status from a coordinator (the
widest read a chat can ask for). VmRSS and VmHWM (the peak) come from
``/proc/PID/status`` (psutil is not installed). Peer: the bare python-telegram-bot echo
bot (``bench.echo_bot``) on the same sandbox, so the ratio shows what the product adds
to the framework. Target: < 150 MB.

    .venv/bin/python -m bench.memory [--people 10000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    LOOPBACK,
    ROOT,
    BaocaoProcess,
    Row,
    Section,
    log,
    median,
    register_chats,
    rss_kib,
    sandbox_process,
    spread,
)

TARGET_MB = 150.0


def _samples(pid: int, count: int = 5, every: float = 0.5) -> list[int]:
    found = []
    for _ in range(count):
        found.append(rss_kib(pid)[0])
        time.sleep(every)
    return found


def _register(bot: BaocaoProcess, coordinator: int, people: int) -> None:
    """Spread ``people`` focal points over the plan's agencies; the first person of the
    coordinating agency is the coordinator, on the sandbox chat ``coordinator``. The
    others' chats need not exist in the sandbox: nothing is sent to them on the quiet
    Sunday the clock shows."""
    from sqlalchemy import text

    with bot.engine.connect() as conn:
        codes = [r[0] for r in conn.execute(text("SELECT code FROM agency ORDER BY id"))]
    register_chats(bot.engine, [coordinator], agency="SLDTBXH")
    chats = [900_000_000 + n for n in range(people - 1)]
    share = len(chats) // len(codes) + 1
    for n, code in enumerate(codes):
        register_chats(bot.engine, chats[n * share : (n + 1) * share], agency=code)
    with bot.engine.begin() as conn:
        conn.execute(
            text("UPDATE person SET role = 'coordinator' WHERE id = (SELECT MIN(id) FROM person)")
        )


def _wait_materialized(bot: BaocaoProcess, timeout: float = 240.0) -> float:
    """Seconds until the first tick has written the reminder rows (from the log)."""
    started = time.monotonic()
    log_file = bot.workdir / "bot.log"
    while "reminder rows materialized" not in log_file.read_text(errors="replace"):
        if time.monotonic() - started > timeout:
            raise RuntimeError("the first tick did not materialize the reminders")
        time.sleep(0.5)
    return time.monotonic() - started


def measure_ours(people: int, patch: str = "") -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    try:
        with sandbox_process(limits=False) as sandbox:
            client = sandbox.client()
            coordinator = int(client.create_user("Điều phối")["user_id"])
            bot = BaocaoProcess(workdir, sandbox.base_url, patch=patch, tick_seconds=2.0)
            _register(bot, coordinator, people)
            try:
                bot.start(client)
                assert bot.proc is not None
                pid = bot.proc.pid
                materialize_s = _wait_materialized(bot)
                time.sleep(1.0)
                idle = _samples(pid)
                mark = client.mark()
                client.send_text(coordinator, "/status")
                client.wait_sent(chat_id=coordinator, since_id=mark, count=3, timeout=120)
                time.sleep(1.0)
                after = _samples(pid)
                peak = rss_kib(pid)[1]
            finally:
                bot.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result = {
        "idle_kib": idle,
        "after_status_kib": after,
        "peak_kib": peak,
        "materialize_seconds": round(materialize_s, 1),
    }
    log(f"memory ({patch or 'as committed'}): {result}")
    return result


def measure_echo() -> dict[str, Any]:
    with sandbox_process(limits=False) as sandbox:
        client = sandbox.client()
        user = int(client.create_user("Echo")["user_id"])
        echo = subprocess.Popen(
            [sys.executable, "-m", "bench.echo_bot", sandbox.base_url],
            cwd=ROOT,
            env={**os.environ, **LOOPBACK, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            client.send_text(user, "xin chào")
            client.wait_sent(chat_id=user, timeout=60)
            time.sleep(1.0)
            idle = _samples(echo.pid)
            peak = rss_kib(echo.pid)[1]
        finally:
            echo.terminate()
            echo.wait(timeout=20)
    return {"idle_kib": idle, "peak_kib": peak}


def imports_kib(patch: str) -> int:
    """VmRSS of a process that only imports what ``baocao run`` imports."""
    code = (
        f"import re; from bench import patches; patches.apply({patch!r}); "
        "import bot.run, bot.cli; "
        "print(re.search(r'VmRSS:\\s+(\\d+)', open('/proc/self/status').read()).group(1))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.strip())


def run(people: int = 10_000) -> Section:
    began = time.perf_counter()
    ours = measure_ours(people)
    lazy = measure_ours(people, "lazy-reports")
    echo = measure_echo()
    imports = {"": imports_kib(""), "lazy-reports": imports_kib("lazy-reports")}
    log(f"memory: echo {echo}, imports {imports}")
    mb = 1024.0
    echo_idle = median(echo["idle_kib"]) / mb
    echo_peak = echo["peak_kib"] / mb
    rows = []
    lazy_kind = "suggested" if (imports[""] - imports["lazy-reports"]) / mb > 10 else "info"
    lazy_name = " + lazy reports import" + (" (suggested)" if lazy_kind == "suggested" else "")
    for name, kind, found in (("", "ours", ours), (lazy_name, lazy_kind, lazy)):
        figures = (
            ("VmRSS idle after the first tick", median(found["idle_kib"]) / mb, echo_idle),
            ("VmRSS after a /status", median(found["after_status_kib"]) / mb, echo_idle),
            ("VmHWM (peak)", found["peak_kib"] / mb, echo_peak),
        )
        for label, value, peer in figures:
            rows.append(
                Row(
                    f"{label}{name}",
                    f"{value:.0f} MB",
                    f"{peer:.0f} MB",
                    f"{value / peer:.2f}",
                    f"< {TARGET_MB:.0f} MB",
                    value < TARGET_MB,
                    f"5 samples {spread([k / mb for k in found['idle_kib']])} MB"
                    if "idle" in label
                    else "",
                    kind,
                )
            )
    idle = median(ours["idle_kib"]) / mb
    after = median(ours["after_status_kib"]) / mb
    lazy_idle = median(lazy["idle_kib"]) / mb
    lazy_after = median(lazy["after_status_kib"]) / mb
    saved = (imports[""] - imports["lazy-reports"]) / mb
    notes = [
        f"- Idle: {idle:.0f} MB, {'within' if idle < TARGET_MB else 'over'} the target; "
        f"{imports[''] / mb:.0f} MB of it is the imports alone (`import bot.run, bot.cli` in "
        f"an empty process; the echo bot's whole process is {echo_idle:.0f} MB). The rest is "
        f"the data: the first tick materializes the reminders of {people:,} people at once "
        "(every wanted row as a dict, every person as an ORM object) and the allocator keeps "
        "some of that.",
    ]
    if saved > 10:
        notes.append(
            f"- `bot/core/coordination.py` imports `bot.reports.api` (matplotlib, openpyxl, "
            f"python-docx) when the core is imported: {saved:.0f} MB every instance carries "
            "from the start. **Suggested** (measured by monkeypatching, `bench/patches.py` "
            "`lazy-reports`): import it inside `status`, `overdue` and `export`: idle "
            f"{lazy_idle:.0f} MB."
        )
    else:
        notes.append(
            "- The reports stack (matplotlib, openpyxl, python-docx) is already imported on "
            f"first use in this tree (the `lazy-reports` variant changes nothing: imports "
            f"{imports[''] / mb:.0f} MB against {imports['lazy-reports'] / mb:.0f} MB, idle "
            f"{idle:.0f} against {lazy_idle:.0f} MB)."
        )
    notes.append(
        f"- **After the first /status: {after:.0f} MB, over the target** (also with the lazy "
        f"import: {lazy_after:.0f} MB). Drawing the two charts loads matplotlib (and numpy, "
        "PIL, fonts) for good; VmHWM is that moment. Suggestion: draw the charts in a "
        "short-lived child process (`concurrent.futures.ProcessPoolExecutor(max_workers=1)` "
        "with a `max_tasks_per_child=1`, or a subprocess returning the PNG bytes), so the bot "
        "process never imports matplotlib; or accept about 200 MB per instance after the "
        "first /status."
    )
    rows.append(
        Row(
            "imports only (`import bot.run, bot.cli`)",
            f"{imports[''] / mb:.0f} MB",
            "",
            "",
            "",
            None,
            f"with lazy reports import: {imports['lazy-reports'] / mb:.0f} MB",
            "info",
        )
    )
    return Section(
        notes=notes,
        key="memory",
        title="5. Memory of the bot process",
        what=(
            f"`baocao run` with {people:,} registered people (focal points spread over the "
            "plan's agencies, one coordinator): idle once its first tick has materialized "
            "their reminders (it took "
            f"{ours['materialize_seconds']} s), then after the coordinator's /status (texts "
            "and charts); VmHWM is the peak since start. Peer: the bare PTB echo bot process."
        ),
        rows=rows,
        raw={"ours": ours, "lazy_reports": lazy, "echo": echo, "imports_kib": imports},
        seconds=time.perf_counter() - began,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    args = parser.parse_args()
    section = run(args.people)
    for row in section.rows:
        print(f"{row.label:<40} {row.ours:<8} peer {row.peer:<8} {row.ratio} {row.runs}")


if __name__ == "__main__":
    main()
