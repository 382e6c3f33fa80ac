"""Send overhead (issue 10, benchmark 2): our broadcast path against a bare send loop.

With the sandbox's flood limits off, the same N recipients get the same notice twice per
round, on the same sandbox:
  * ours: ``scheduler.broadcasting.run_broadcasts`` (claims of delivery rows, recipients'
    chats, batched result records, the closing count) through a ``PacedSender`` whose
    ``Limits`` are effectively unlimited and the real ``TelegramTransport`` on the bot
    ``sending_transport`` builds (a 128-connection pool);
  * peer: a bare ``bot.send_message`` loop over the same chats, on an identically built
    ``telegram.Bot``, with the same concurrency (``broadcasting.CONCURRENCY`` sends at once).
Both run in this process; the sandbox runs in its own. Figure: messages per second, and
ours as a fraction of the bare loop's (target ≥ 0.8).

    .venv/bin/python -m bench.send_overhead [--recipients 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    QUIET_SUNDAY,
    TOKEN,
    Row,
    Section,
    create_users,
    log,
    median,
    plan_database,
    register_chats,
    rounds,
    sandbox_process,
    spread,
)

TEXT = "Thông báo: hội nghị triển khai Tháng hành động vì bình đẳng giới, 8 giờ ngày 15/11/2021."
TARGET = 0.8


async def _bot(base_url: str) -> Any:
    """The bot both sides send with: what ``sending_transport`` builds for bulk sends."""
    from bot.channels.telegram.app import sending_transport

    return (await sending_transport(TOKEN, base_url)).bot


async def _ours(base_url: str, engine: Any, person_ids: list[int]) -> tuple[float, float]:
    from bot.channels.telegram.transport import TelegramTransport
    from scheduler.broadcasting import run_broadcasts
    from scheduler.sending import Limits, PacedSender
    from storage.broadcasts import create_broadcast
    from storage.db import session_scope

    with session_scope(engine) as session:
        create_broadcast(
            session, text=TEXT, audience="all", person_ids=person_ids, send_at=QUIET_SUNDAY
        )
    bot = await _bot(base_url)
    unlimited = Limits(per_second=1_000_000_000, window=1.0, per_chat_interval=0.0)
    sender = PacedSender({"telegram": TelegramTransport(bot)}, unlimited)
    started, cpu = time.perf_counter(), time.process_time()
    attempted = await run_broadcasts(engine, sender, now=QUIET_SUNDAY, holder="bench")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await bot.shutdown()
    assert attempted == len(person_ids), (attempted, len(person_ids))
    assert sender.stats.get("sent") == len(person_ids), sender.stats
    return len(person_ids) / elapsed, cpu * 1000 / len(person_ids)


async def _peer(base_url: str, chats: list[int]) -> tuple[float, float]:
    from scheduler.broadcasting import CONCURRENCY

    bot = await _bot(base_url)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(chat: int) -> None:
        async with gate:
            await bot.send_message(chat, TEXT)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one(chat) for chat in chats))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await bot.shutdown()
    return len(chats) / elapsed, cpu * 1000 / len(chats)


def run(recipients: int = 2000, repeats: int = 3) -> Section:
    began = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="bench-overhead-"))
    try:
        with sandbox_process(limits=False) as sandbox:
            chats = create_users(sandbox.url, recipients)
            engine = plan_database(workdir / "baocao.db")
            person_ids = register_chats(engine, chats)
            client = sandbox.client()

            def ours() -> tuple[float, float]:
                before = client.stats()["sent_messages"]
                result = asyncio.run(_ours(sandbox.base_url, engine, person_ids))
                assert client.stats()["sent_messages"] - before == recipients
                log(f"send overhead ours: {result[0]:.0f}/s, {result[1]:.2f} ms CPU/message")
                return result

            def peer() -> tuple[float, float]:
                result = asyncio.run(_peer(sandbox.base_url, chats))
                log(f"send overhead peer: {result[0]:.0f}/s, {result[1]:.2f} ms CPU/message")
                return result

            asyncio.run(_peer(sandbox.base_url, chats[:200]))  # warm up both code paths
            ours_runs, peer_runs = rounds(repeats, ours, peer)
            engine.dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    ours_rates, ours_cpu = [r for r, _ in ours_runs], [c for _, c in ours_runs]
    peer_rates, peer_cpu = [r for r, _ in peer_runs], [c for _, c in peer_runs]
    ratios = [o / p for o, p in zip(ours_rates, peer_rates, strict=True)]
    ratio = median(ratios)
    cpu_ratio = median(peer_cpu) / median(ours_cpu)
    return Section(
        key="send_overhead",
        title="2. Send overhead (limits off)",
        what=(
            f"{recipients} recipients, sandbox limits off. Ours: `run_broadcasts` (delivery "
            "rows claimed, chats looked up, results recorded) through `PacedSender` with "
            "unlimited `Limits` and `TelegramTransport`. Peer: a bare `bot.send_message` "
            "loop on the same chats, same `Bot` construction, same concurrency (64)."
        ),
        rows=[
            Row(
                "messages/s",
                f"{median(ours_rates):.0f}/s",
                f"{median(peer_rates):.0f}/s",
                f"{ratio:.2f}",
                f"≥ {TARGET}",
                ratio >= TARGET,
                f"ours {spread(ours_rates)}, peer {spread(peer_rates)}, ratio {spread(ratios)}",
            ),
            Row(
                "CPU of the sending process per message (inverse ratio)",
                f"{median(ours_cpu):.2f} ms",
                f"{median(peer_cpu):.2f} ms",
                f"{cpu_ratio:.2f}",
                "",
                None,
                f"ours {spread(ours_cpu)}, peer {spread(peer_cpu)} ms",
                "info",
            ),
        ],
        notes=[
            f"- {'Met' if ratio >= TARGET else 'Not met'}: our broadcast path delivers "
            f"{ratio:.2f} of the bare loop's rate. Both are bound by the HTTP round trip "
            "through python-telegram-bot and httpx and by the sandbox (a single Python "
            "process on the other core); our bookkeeping (a claim of 200 delivery rows with "
            "their chats in one transaction, results recorded in batches, the gate) costs "
            f"{median(ours_cpu) - median(peer_cpu):+.2f} ms of CPU per message on top of "
            f"the bare loop's {median(peer_cpu):.2f} ms. Being CPU-bound, the rate follows "
            "the CPU per message (its ratio is steadier than the rate's on a shared machine).",
            "- Since the last session's run (0.88, 3.10 ms against 2.36 ms of CPU per message): "
            "sent deliveries are recorded with one `UPDATE … WHERE id IN (…)` per batch "
            "(`broadcasts.finish_deliveries`), and `sniffio` is a dependency, so httpcore no "
            "longer retries a failed `import sniffio` about a dozen times per request (that "
            "one helps both sides: it is every HTTP call of the bot and of the bare loop).",
        ],
        raw={
            "ours_rates": ours_rates,
            "peer_rates": peer_rates,
            "ratios": ratios,
            "ours_cpu_ms": ours_cpu,
            "peer_cpu_ms": peer_cpu,
        },
        seconds=time.perf_counter() - began,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    section = run(args.recipients, args.rounds)
    print(json.dumps(section.raw, indent=2))
    for row in section.rows:
        print(row)


if __name__ == "__main__":
    main()
