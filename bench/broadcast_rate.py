"""Broadcast pacing, side by side in one run (issue 5 and issue 10, benchmark 1).

Against the sandbox enforcing Telegram's limits (30 sending calls in any 1 s window,
about 1/s per private chat), send one notice to each of N recipients:
  * ours: the real ``baocao run`` process sending a broadcast queued in its database
    (delivery rows, claims and bookkeeping included);
  * peer: python-telegram-bot's own ``AIORateLimiter(max_retries=5)`` sending the same
    messages with a bounded pool of concurrent ``send_message`` calls;
  * diagnosis rows: the same ``baocao run`` with a candidate change to the rate gate
    (``bench.patches``: slots on a schedule), and our ``PacedSender`` + ``TelegramTransport``
    alone in a process of their own, as committed and with ``Limits.window = 1.0``.
Every variant has its own sandbox (its own process) and recipients; the rounds alternate
the variants. For each: delivered messages, 429 answers, and the sustained rate
(deliveries between the first and the last send, by the sandbox's clock) as a fraction
of 30/s. Target for ours: ≥ 0.97 with zero 429s.

    .venv/bin/python -m bench.broadcast_rate [--recipients 300] [--rounds 3] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
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

from bench.common import (
    LOOPBACK,
    QUIET_SUNDAY,
    ROOT,
    TOKEN,
    BaocaoProcess,
    Row,
    SandboxProcess,
    Section,
    create_users,
    log,
    median,
    register_chats,
    rounds,
    spread,
)

LIMIT_PER_SECOND = 30
TARGET = 0.97
TEXT = "Thông báo thử."


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    kind: str  # "process" (baocao run), "sender" (PacedSender alone), "peer" (AIORateLimiter)
    patch: str = ""
    row: str = "info"  # the kind of its row in the report (see ``common.Row``)


VARIANTS = (
    Variant("ours", "ours: `baocao run` as committed", "process", row="ours"),
    Variant("peer", "peer: PTB `AIORateLimiter(max_retries=5)`", "peer", row="peer"),
    Variant("ours_scheduled3", "`baocao run` + slots on a schedule", "process", "scheduled=3"),
    Variant(
        "ours_scheduled3_1_025",
        "`baocao run` + slots on a schedule + `Limits.window = 1.025` (suggested)",
        "process",
        "scheduled=3,window=1.025",
        row="suggested",
    ),
    Variant("ours_window_1_0", "`baocao run` + `Limits.window = 1.0`", "process", "window=1.0"),
    Variant("sender", "`PacedSender` + `TelegramTransport` alone, as committed", "sender"),
    # more candidates, for --only
    Variant("ours_scheduled", "`baocao run` + schedule catching up 1 slot", "process", "scheduled"),
    Variant(
        "ours_scheduled3_1_03",
        "`baocao run` + slots on a schedule + `Limits.window = 1.03`",
        "process",
        "scheduled=3,window=1.03",
    ),
    Variant(
        "sender_scheduled", "`PacedSender` alone + slots on a schedule", "sender", "scheduled=3"
    ),
    Variant(
        "sender_window_1_0", "`PacedSender` alone, `Limits.window = 1.0`", "sender", "window=1.0"
    ),
)
DEFAULT = ("ours", "peer", "ours_scheduled3", "ours_scheduled3_1_025", "ours_window_1_0", "sender")


def rate_of(records: list[dict[str, Any]]) -> tuple[float, float, float]:
    """The sustained rate by the sandbox's clock: the slope of a least-squares line through
    (time, count) of the accepted sends from the 31st on (the first second is left out:
    there the sends open their HTTP connections and reach the server late; a slope, unlike
    count ÷ span, is not swayed by a burst or a pause at either end), over how many
    seconds; and the tightest span of 31 consecutive accepted sends: the server refuses the
    31st send inside 1 s, so this is the margin left (1.0 = none)."""
    stamps = sorted(float(r["ts"]) for r in records)
    n = LIMIT_PER_SECOND
    steady = stamps[n:] if len(stamps) > 2 * n else stamps
    span = steady[-1] - steady[0] if len(steady) > 1 else 0.0
    spans = [stamps[i + n] - stamps[i] for i in range(len(stamps) - n)]
    return _slope(steady), span, min(spans, default=0.0)


def _slope(stamps: list[float]) -> float:
    if len(stamps) < 2:
        return 0.0
    mean_t = sum(stamps) / len(stamps)
    mean_i = (len(stamps) - 1) / 2
    var = sum((t - mean_t) ** 2 for t in stamps)
    cov = sum((t - mean_t) * (i - mean_i) for i, t in enumerate(stamps))
    return cov / var if var > 0 else 0.0


class Bench:
    """One variant: its sandbox, its recipients and (for ``process``) its running bot."""

    def __init__(self, variant: Variant, recipients: int, stack: ExitStack) -> None:
        self.variant = variant
        self.sandbox = SandboxProcess(limits=True)
        stack.callback(self.sandbox.stop)
        self.client = self.sandbox.client()
        self.chats = create_users(self.sandbox.url, recipients)
        self.finished = 0.0
        if variant.kind == "process":
            workdir = Path(tempfile.mkdtemp(prefix=f"bench-{variant.key}-"))
            stack.callback(shutil.rmtree, workdir, True)
            # the default tick (60 s): the broadcast job still polls every 2 s
            self.bot = BaocaoProcess(
                workdir, self.sandbox.base_url, patch=variant.patch, tick_seconds=60
            )
            self.person_ids = register_chats(self.bot.engine, self.chats)
            stack.callback(self.bot.stop)
            self.bot.start(self.client)

    def measure(self) -> dict[str, Any]:
        # this sandbox's 1 s window must be empty again before the next run on it
        time.sleep(max(0.0, self.finished + 1.1 - time.monotonic()))
        mark = self.client.mark()
        limited = self.client.stats()["rate_limited"]
        extra = self._send()
        wanted = len(self.chats)
        records = self.client.wait_sent(
            count=wanted, since_id=mark, method="sendMessage", timeout=wanted / 10 + 60
        )
        rate, span, tightest = rate_of(records)
        result = {
            "delivered": len(records),
            "expected": wanted,
            "http_429": self.client.stats()["rate_limited"] - limited,
            "seconds": round(span, 2),
            "rate_per_s": round(rate, 2),
            "fraction_of_limit": round(rate / LIMIT_PER_SECOND, 3),
            "tightest_31_s": round(tightest, 4),
            **extra,
        }
        log(f"pacing {self.variant.key}: {result}")
        self.finished = time.monotonic()
        return result

    def _send(self) -> dict[str, Any]:
        kind = self.variant.kind
        if kind == "process":
            self._queue_broadcast()
            return {}
        if kind == "peer":
            return {"gave_up": asyncio.run(_peer_send(self.sandbox.base_url, self.chats))}
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.paced_send",
                self.variant.patch,
                self.sandbox.base_url,
                *map(str, self.chats),
            ],
            cwd=ROOT,
            env={**os.environ, **LOOPBACK, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=True,
        )
        return {"sender_stats": json.loads(out.stdout)}

    def _queue_broadcast(self) -> None:
        from storage.broadcasts import create_broadcast
        from storage.db import session_scope

        with session_scope(self.bot.engine) as session:
            create_broadcast(
                session,
                text=TEXT,
                audience="all",
                person_ids=self.person_ids,
                send_at=QUIET_SUNDAY,
            )


async def _peer_send(base_url: str, chats: list[int]) -> int:
    """Send with PTB's limiter; returns how many sends it gave up on (still 429 after 5)."""
    from telegram.ext import AIORateLimiter, ApplicationBuilder

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(base_url)
        .rate_limiter(AIORateLimiter(max_retries=5))
        .connection_pool_size(128)
        .build()
    )
    pool = asyncio.Semaphore(64)

    async def one(chat: int) -> None:
        async with pool:
            await app.bot.send_message(chat, TEXT)

    async with app:
        results = await asyncio.gather(*(one(chat) for chat in chats), return_exceptions=True)
    return sum(isinstance(r, Exception) for r in results)


def run(recipients: int = 300, repeats: int = 3, keys: tuple[str, ...] = ()) -> Section:
    began = time.perf_counter()
    logging.disable(logging.ERROR)  # PTB logs every give-up with a traceback; we count them
    variants = [v for v in VARIANTS if v.key in (keys or DEFAULT)]
    with ExitStack() as stack:
        benches = [Bench(v, recipients, stack) for v in variants]
        measures: list[Callable[[], dict[str, Any]]] = [b.measure for b in benches]
        results = dict(zip([v.key for v in variants], rounds(repeats, *measures), strict=True))
    logging.disable(logging.NOTSET)
    return _section(variants, results, recipients, time.perf_counter() - began)


def _section(
    variants: list[Variant], results: dict[str, list[dict[str, Any]]], n: int, seconds: float
) -> Section:
    peer = results.get("peer")
    peer_rate = median([r["rate_per_s"] for r in peer]) if peer else None
    rows = []
    for v in variants:
        runs = results[v.key]
        fractions = [r["fraction_of_limit"] for r in runs]
        limited = [r["http_429"] for r in runs]
        delivered = min(r["delivered"] for r in runs)
        fraction = median(fractions)
        rate = median([r["rate_per_s"] for r in runs])
        ok = fraction >= TARGET and max(limited) == 0 and delivered == n
        rows.append(
            Row(
                v.label,
                f"{rate:.1f}/s = {fraction:.3f} of 30/s; 429s: {median(limited):.0f}",
                "" if v.kind == "peer" or peer_rate is None else f"{peer_rate:.1f}/s",
                "" if v.kind == "peer" or not peer_rate else f"{rate / peer_rate:.2f}",
                "≥ 0.97 of 30/s, 0 × 429" if v.kind != "peer" else "",
                ok if v.kind != "peer" else None,
                f"fraction {spread(fractions)}; 429s {spread(limited)}; tightest 31 sends "
                f"{min(r['tightest_31_s'] for r in runs):.3f} s; delivered {delivered}/{n} "
                f"(fewest of {len(runs)} runs)",
                v.row,
            )
        )
    return Section(
        notes=_notes(results),
        key="broadcast_pacing",
        title="1. Broadcast pacing (sandbox at Telegram's limits)",
        what=(
            f"{n} recipients per run, sandbox enforcing 30 sends in any 1 s and 1/s per chat "
            "(3-message burst). Rate = deliveries per second by the sandbox's clock, the slope "
            "of a least-squares line through the sends from the 31st on (the first second, "
            "when connections open, is left out), as a fraction of 30/s. The ratio column is "
            "against the peer."
        ),
        rows=rows,
        raw=results,
        seconds=seconds,
    )


def _notes(results: dict[str, list[dict[str, Any]]]) -> list[str]:
    """What the figures say, with this run's numbers."""

    def med(key: str, field: str) -> float:
        return median([r[field] for r in results[key]]) if key in results else float("nan")

    def worst(key: str, field: str) -> float:
        return max(r[field] for r in results[key]) if key in results else float("nan")

    notes = []
    if "ours" in results:
        fraction, rate = med("ours", "fraction_of_limit"), med("ours", "rate_per_s")
        verdict = "meets" if fraction >= TARGET and worst("ours", "http_429") == 0 else "misses"
        notes.append(
            f"- **Ours {verdict} the target**: {fraction:.3f} of 30/s (gap "
            f"{TARGET - fraction:+.3f} to 0.97), {worst('ours', 'http_429'):.0f} × 429 at worst. "
            "Sends went out every "
            f"{1000 / rate:.1f} ms on average where the gate plans "
            f"{1020 / LIMIT_PER_SECOND:.1f} ms (`Limits.window / per_second` = 1.02 s / 30)."
        )
    notes.append(
        "- **Why**: `RateGate._delay` opens the next slot one spacing after the previous send "
        "*actually* went out, so every late wake-up of the event loop (`asyncio.sleep` "
        "overshoot, PTB and httpx work for the other 63 sends in flight, database work in "
        "threads holding the interpreter lock, and the failed `import sniffio` httpcore "
        "repeats per request, see benchmark 2) is added to that interval and never made up. "
        "`Limits.window = 1.02` alone caps the rate at 0.980; the drift costs the rest."
    )
    if "sender" in results:
        notes.append(
            f"- The same `PacedSender` + `TelegramTransport` alone in a process (no database, "
            f"no bot) reached {med('sender', 'fraction_of_limit'):.3f}: the drift is the "
            "gate's, the bot's own work only adds to it."
        )
    if "ours_window_1_0" in results:
        notes.append(
            f"- `Limits.window = 1.0` (the knob to try first): "
            f"{med('ours_window_1_0', 'fraction_of_limit'):.3f} of 30/s, "
            f"{worst('ours_window_1_0', 'http_429'):.0f} × 429 at worst. It lifts the cap and "
            "keeps the drift, and then the drift is the only margin left: the gate itself "
            "would pack 30 sends into exactly the server's 1 s, so the quieter the event loop, "
            "the closer the sends come to a refusal (see the delay measured below). Not "
            "suggested."
        )

    def summary(key: str) -> str:
        tightest = min(r["tightest_31_s"] for r in results[key])
        return (
            f"{med(key, 'fraction_of_limit'):.3f} of 30/s (runs "
            f"{spread([r['fraction_of_limit'] for r in results[key]])}), "
            f"{worst(key, 'http_429'):.0f} × 429 at worst, the tightest 31 consecutive sends "
            f"{tightest:.3f} s apart at the server (it refuses the 31st inside 1.000 s)"
        )

    scheduled = [k for k in ("ours_scheduled3", "ours_scheduled3_1_025") if k in results]
    if scheduled:
        notes.append(
            "- **Suggested change**: slots on a schedule (measured by monkeypatching the bot "
            "process: `bench/patches.py`, `scheduled=3`). In `scheduler/sending.py`, `RateGate` "
            "keeps `self._next_slot = float('-inf')`; when `_dispatch` grants a slot at `now` "
            "it sets `step = self.limits.window / self.per_second` and `self._next_slot = "
            "(now if the gate was idle else max(self._next_slot, now - 3 * step)) + step`; "
            "`_delay` waits for `self._next_slot - now` instead of `latest + step - now`. The "
            "sliding-window check on the log stays, so no `per_second` sends ever fall in one "
            "`window`; lateness of up to three slots is made up instead of lost."
        )
    if "ours_scheduled3" in results:
        notes.append(f"  - with `Limits.window = 1.02` as now: {summary('ours_scheduled3')}.")
    if "ours_scheduled3_1_025" in results:
        notes.append(f"  - with `Limits.window = 1.025`: {summary('ours_scheduled3_1_025')}.")
    jitters = {
        window: window - min(r["tightest_31_s"] for r in results[key])
        for key, window in (("ours_scheduled3", 1.02), ("ours_scheduled3_1_025", 1.025))
        if key in results
    }
    if jitters:
        worst_jitter = max(jitters.values()) * 1000
        notes.append(
            "  - The gate never lets 31 sends start within `window`; the server saw them as "
            f"close as the spans above, so up to {worst_jitter:.0f} ms passed, on this machine "
            "during this run, between the moment the gate counts a send and the moment the sandbox "
            "receives it. `window - 1` is the margin against that delay: one 429 pauses "
            "every send for `retry_after` (1 s, a 3 % loss on a 1,000-message broadcast). "
            "Hence the suggestion: the schedule with `Limits.window = 1.025` (nominally "
            "30 / 1.025 = 0.976 of the limit, 25 ms of margin); keep 1.02 only if a little "
            "more speed is worth a rare 429."
        )
    if "peer" in results:
        notes.append(
            f"- The peer, PTB's `AIORateLimiter`, sends in bursts (a leaky bucket that lets "
            f"the whole second's allowance through at once): "
            f"{med('peer', 'fraction_of_limit'):.3f} of 30/s with "
            f"{med('peer', 'http_429'):.0f} × 429 per run, each answered by waiting `retry_after`."
        )
    return notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=[], help="variant keys")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    section = run(args.recipients, args.rounds, tuple(args.only))
    if args.json:
        print(json.dumps(section.raw, indent=2))
        return
    for row in section.rows:
        print(f"{row.label:<55} {row.ours}  [{row.runs}]")


if __name__ == "__main__":
    main()
