"""Many registered recipients at once, without a thousand /start dialogues: sandbox users
are created through the control API, people and chats are written straight to the database
(the registration flow itself is tested elsewhere)."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from bot.sandbox.client import SandboxClient
from tests.e2e.harness import BotEnv


def register_many(
    bot_env: BotEnv, client: SandboxClient, count: int, agency: str = "SNV", role: str = "focal"
) -> list[int]:
    """Create ``count`` people bound to fresh sandbox chats; returns their chat ids."""
    chats = [int(client.create_user(first_name=f"Người nhận {n}")["user_id"]) for n in range(count)]
    engine = create_engine(bot_env.database_url)
    with engine.begin() as conn:
        agency_id = conn.execute(
            text("SELECT id FROM agency WHERE code = :c"), {"c": agency}
        ).scalar_one()
        for n, chat in enumerate(chats):
            person_id = conn.execute(
                text(
                    "INSERT INTO person (name, agency_id, role, locale, created_at) "
                    "VALUES (:n, :a, :r, 'vi', '2021-05-01 00:00:00') RETURNING id"
                ),
                {"n": f"Người nhận {n}", "a": agency_id, "r": role},
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO channel_identity (person_id, channel, chat_id, created_at) "
                    "VALUES (:p, 'telegram', :c, '2021-05-01 00:00:00')"
                ),
                {"p": person_id, "c": str(chat)},
            )
    engine.dispose()
    return chats


def delivered_per_chat(client: SandboxClient, chats: list[int]) -> dict[int, int]:
    """How many messages the sandbox recorded for each chat (sendMessage only)."""
    counts = dict.fromkeys(chats, 0)
    for record in client.sent(method="sendMessage"):
        chat = int(record["chat_id"])
        if chat in counts:
            counts[chat] += 1
    return counts


def wait_broadcast_done(bot_env: BotEnv, broadcast_id: int, timeout: float = 120.0) -> None:
    """Block until the bot marks the broadcast done (polling its row, bounded in time)."""
    import time

    engine = create_engine(bot_env.database_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                state = conn.execute(
                    text("SELECT state FROM broadcast WHERE id = :i"), {"i": broadcast_id}
                ).scalar_one_or_none()
            if state == "done":
                return
            time.sleep(0.2)  # re-reading a condition, not waiting for a guessed duration
    finally:
        engine.dispose()
    raise AssertionError(f"broadcast {broadcast_id} not done within {timeout} s")
