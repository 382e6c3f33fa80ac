"""Broadcast pacing, side by side in one run (issue 5 and issue 10, benchmark 1).

Against the sandbox enforcing Telegram's limits (30 sending calls in any 1 s window,
about 1/s per private chat), send the same notice to N registered recipients:
  * ours: the real ``baocao run`` process sending a broadcast queued with the CLI
    (delivery rows, claims and bookkeeping included);
  * peer: python-telegram-bot's own ``AIORateLimiter(max_retries=5)`` sending the same
    messages with a bounded pool of concurrent ``send_message`` calls.
For each: delivered messages, 429 answers, and the sustained rate (deliveries between the
first and the last send, from the sandbox's clock) as a fraction of 30/s.

    .venv/bin/python bench/broadcast_rate.py [--recipients 1000] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.sandbox.client import SandboxClient  # noqa: E402
from bot.sandbox.config import SandboxConfig  # noqa: E402
from bot.sandbox.server import run_in_thread  # noqa: E402
from tests.e2e.harness import PLAN, BotEnv, BotProcess  # noqa: E402
from tests.e2e.recipients import register_many  # noqa: E402

LIMIT_PER_SECOND = 30


def measure(client: SandboxClient, expected: int) -> dict[str, Any]:
    stats = client.stats()
    span = (stats["last_send_ts"] or 0) - (stats["first_send_ts"] or 0)
    sent = stats["sent_messages"]
    rate = (sent - 1) / span if span > 0 else 0.0
    return {
        "delivered": sent,
        "expected": expected,
        "http_429": stats["rate_limited"],
        "seconds": round(span, 2),
        "rate_per_s": round(rate, 2),
        "fraction_of_limit": round(rate / LIMIT_PER_SECOND, 3),
    }


def run_ours(recipients: int) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-ours-"))
    try:
        with run_in_thread(SandboxConfig(port=0)) as sandbox:
            client = sandbox.client()
            env = BotEnv(workdir, sandbox.url)
            env.set_time(datetime(2021, 7, 4, 1, 0, tzinfo=UTC))  # a Sunday: no reminder due
            env.cli("plan", "load", str(PLAN))
            register_many(env, client, recipients)
            bot = BotProcess(env)
            try:
                env.cli("broadcast", "--audience", "all", "--text", "Thông báo thử.", "--yes")
            finally:
                bot.stop()
            return measure(client, recipients)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run_peer(recipients: int) -> dict[str, Any]:
    with run_in_thread(SandboxConfig(port=0)) as sandbox:
        client = sandbox.client()
        chats = [int(client.create_user(first_name=f"u{n}")["user_id"]) for n in range(recipients)]
        failures = asyncio.run(_peer_send(sandbox.base_url, chats))
        return {**measure(client, recipients), "gave_up": failures}


async def _peer_send(base_url: str, chats: list[int]) -> int:
    """Send with PTB's limiter; returns how many sends it gave up on (still 429 after 5)."""
    from telegram.ext import AIORateLimiter, ApplicationBuilder

    app = (
        ApplicationBuilder()
        .token("123456:PEER-benchmark-token-aaaaaaaaaaaa")
        .base_url(base_url)
        .rate_limiter(AIORateLimiter(max_retries=5))
        .connection_pool_size(128)
        .build()
    )
    pool = asyncio.Semaphore(64)

    async def one(chat: int) -> None:
        async with pool:
            await app.bot.send_message(chat, "Thông báo thử.")

    async with app:
        results = await asyncio.gather(*(one(chat) for chat in chats), return_exceptions=True)
    return sum(isinstance(r, Exception) for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    logging.disable(logging.ERROR)  # PTB logs every give-up with a traceback; we count them
    results = {"ours": run_ours(args.recipients), "peer_aioratelimiter": run_peer(args.recipients)}
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for name, r in results.items():
        print(
            f"{name:<20} delivered {r['delivered']}/{r['expected']}  429s {r['http_429']:>4}  "
            f"{r['rate_per_s']:>6.2f}/s = {r['fraction_of_limit']:.3f} of 30/s"
        )


if __name__ == "__main__":
    main()
