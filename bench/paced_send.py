"""``python -m bench.paced_send PATCH BASE_URL CHAT...``: our paced sender alone, in its
own process: ``PacedSender`` (default ``Limits``) over ``TelegramTransport`` sends one
notice to each chat with the broadcast worker's concurrency, nothing else (no database,
no bot). ``PATCH`` is a candidate change from ``bench.patches`` ("" for none). Prints the
sender's outcome counts as JSON."""

from __future__ import annotations

import asyncio
import json
import sys

from bench import patches
from bench.common import TOKEN

TEXT = "Thông báo thử."


async def send_all(base_url: str, chats: list[str]) -> dict[str, int]:
    from bot.channels.telegram.app import sending_transport
    from bot.core.replies import Reply
    from scheduler.broadcasting import CONCURRENCY
    from scheduler.sending import PRIORITY_BROADCAST, PacedSender

    transport = await sending_transport(TOKEN, base_url)
    sender = PacedSender({transport.channel: transport})
    gate = asyncio.Semaphore(CONCURRENCY)
    reply = Reply(TEXT)

    async def one(chat: str) -> None:
        async with gate:
            await sender.send(transport.channel, chat, reply, PRIORITY_BROADCAST)

    await asyncio.gather(*(one(chat) for chat in chats))
    await transport.bot.shutdown()
    return sender.stats


def main() -> None:
    patch, base_url, *chats = sys.argv[1:]
    patches.apply(patch)
    print(json.dumps(asyncio.run(send_all(base_url, chats))))


if __name__ == "__main__":
    main()
