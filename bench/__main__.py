"""``python -m bench`` (``make bench``): every benchmark of issue 10, side by side with its
peer, then docs/benchmarks.md rewritten from this run.

    .venv/bin/python -m bench                 # all five, 7 to 9 minutes
    .venv/bin/python -m bench --only 2 4      # some of them (the document then has only those)
    .venv/bin/python -m bench --quick         # smaller sizes, fewer rounds: a smoke test
    .venv/bin/python -m bench --no-write      # print, leave docs/benchmarks.md alone
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from bench.common import ROOT, Row, Section, log, machine

DOC = ROOT / "docs" / "benchmarks.md"
RAW = Path("/tmp/baocao-bench-results.json")


def plan(quick: bool) -> dict[str, tuple[str, Callable[[], Section]]]:
    """Benchmark number → (name, how to run it) at full or quick size."""
    from bench import broadcast_rate, data_scale, inbound, memory, send_overhead

    q = quick
    return {
        "1": (
            "broadcast pacing",
            lambda: broadcast_rate.run(recipients=90 if q else 210, repeats=1 if q else 3),
        ),
        "2": (
            "send overhead",
            lambda: send_overhead.run(recipients=300 if q else 1200, repeats=1 if q else 3),
        ),
        "3": (
            "inbound dialogues",
            lambda: inbound.run(
                users=20 if q else 40, seconds=4 if q else 8, warmup=2, repeats=1 if q else 3
            ),
        ),
        "4": ("scale of the data", lambda: data_scale.run(repeats=2 if q else 5)),
        "5": ("memory", lambda: memory.run(people=2000 if q else 10_000)),
    }


def failed(number: str, name: str, error: str, seconds: float) -> Section:
    return Section(
        key=f"failed_{number}",
        title=f"{number}. {name} (failed)",
        what="The benchmark did not finish in this run:",
        rows=[Row("(no figure)", "", "", "", "", False)],
        notes=["```", error.strip()[-3000:], "```"],
        seconds=seconds,
    )


def extraction_quality() -> str:
    """The other benchmark in bench/ (plan extraction against dateparser), as it prints."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "plan_extract_quality.py")],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    body = (
        done.stdout.strip() if done.returncode == 0 else f"failed:\n```\n{done.stderr[-2000:]}\n```"
    )
    return (
        "## Also in `bench/`: plan extraction quality\n\n"
        "`bench/plan_extract_quality.py` (precision and recall of `baocao plan extract` on the "
        "hand-checked corpus, beside dateparser; explained in docs/plan-extract.md), run by "
        "`python -m bench` too:\n\n" + body
    )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], help="benchmark numbers (1-5)")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    parser.add_argument("--no-write", action="store_true", help="do not rewrite the document")
    args = parser.parse_args()
    began = time.perf_counter()
    about = machine()
    log(f"machine: {about}")
    sections: list[Section] = []
    for number, (name, run) in plan(args.quick).items():
        if args.only and number not in args.only:
            continue
        log(f"benchmark {number}: {name}")
        started = time.perf_counter()
        try:
            sections.append(run())
        except Exception:
            sections.append(
                failed(number, name, traceback.format_exc(), time.perf_counter() - started)
            )
        log(f"benchmark {number} took {time.perf_counter() - started:.0f} s")
    extra = "" if args.only else extraction_quality()
    seconds = time.perf_counter() - began
    load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())
    RAW.write_text(json.dumps({s.key: s.raw for s in sections}, indent=2, default=str))
    for section in sections:
        print(f"\n{section.title}")
        for row in section.rows:
            verdict = {True: "met", False: "NOT MET", None: ""}[row.met]
            print(f"  {row.label}: {row.ours} | peer {row.peer} | ratio {row.ratio} | {verdict}")
    command = "python -m bench " + " ".join(sys.argv[1:])
    if not args.no_write:
        from bench.report import render, write

        write(
            DOC,
            render(
                sections,
                about,
                seconds=seconds,
                load_after=load_after,
                command=command.strip(),
                extra=extra,
            ),
        )
        log(f"wrote {DOC.relative_to(ROOT)}")
    log(f"all done in {seconds / 60:.1f} minutes; raw figures in {RAW}")
    return 1 if any(s.key.startswith("failed_") for s in sections) else 0


if __name__ == "__main__":
    sys.exit(main())
