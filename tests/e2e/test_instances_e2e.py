"""Issue 9: three bot processes on one PostgreSQL database, against the sandbox.

500 focal points are due a reminder and 1,000 people receive a broadcast; one process is
stopped midway. Every person gets each message exactly once: claims are taken with
FOR UPDATE SKIP LOCKED, only one instance polls (under a lease), the three share the
bot's rate budget, and a stopping instance finishes its sends and gives back the rest.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.sandbox.client import SandboxClient
from tests.e2e.harness import PLAN, BotEnv, BotProcess
from tests.e2e.recipients import register_many, wait_broadcast_done
from tests.pg import PostgresServer

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def _reminders_sent(env: BotEnv) -> int:
    engine = create_engine(env.database_url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text("SELECT count(*) FROM reminder WHERE state = 'sent'")
                ).scalar_one()
            )
    finally:
        engine.dispose()


def _wait_instances(env: BotEnv, count: int, timeout: float = 60.0) -> None:
    engine = create_engine(env.database_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                live = conn.execute(
                    text(
                        "SELECT count(*) FROM lease WHERE name LIKE 'instance:%' "
                        "AND expires_at > now() AT TIME ZONE 'UTC'"
                    )
                ).scalar_one()
            if live >= count:
                return
            time.sleep(0.3)  # re-reading a condition in the database
    finally:
        engine.dispose()
    raise AssertionError(f"fewer than {count} instances came up")


def _wait_reminders(env: BotEnv, expected: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _reminders_sent(env) >= expected:
            return
        time.sleep(0.3)  # re-reading a condition in the database
    raise AssertionError(f"only {_reminders_sent(env)} of {expected} reminders sent")


def test_three_instances_send_every_reminder_and_broadcast_once_even_when_one_stops(
    tmp_path: Path, sandbox: object, client: SandboxClient, pg_server: PostgresServer
) -> None:
    env = BotEnv(
        tmp_path,
        sandbox.url,  # type: ignore[attr-defined]
        db_url=pg_server.url(pg_server.copy_of_template()),
    )
    env.set_time(datetime(2021, 5, 21, 1, 0, tzinfo=UTC))  # Friday 08:00: the −7 reminder
    env.cli("plan", "load", str(PLAN))
    reminded = register_many(env, client, 500, agency="SNV")
    others = register_many(env, client, 500, agency="VPUBND")
    bots = [
        BotProcess(
            BotEnv(
                env.workdir,
                env.sandbox_url,
                db_url=env.db_url,
                extra={"BAOCAO_INSTANCE": f"baocao-{n}"},
            )
        )
        for n in (1, 2, 3)
    ]
    try:
        env.cli(
            "broadcast", "--audience", "all", "--text", "Thông báo chung.", "--yes", "--no-wait"
        )
        client.wait_sent(count=300, timeout=60)  # well under way
        bots[1].stop()  # SIGTERM: a clean stop in the middle
        _wait_reminders(env, 500)
        wait_broadcast_done(env, 1)
    finally:
        for bot in bots:
            bot.stop()
    per_chat = Counter(int(r["chat_id"]) for r in client.sent(method="sendMessage"))
    assert all(per_chat[c] == 2 for c in reminded)  # one reminder and one notice each
    assert all(per_chat[c] == 1 for c in others)  # the notice only
    # Instances starting together send at full speed for their first seconds, until each
    # sees the others (liveness every 5 s): a few 429s then, honoured and retried.
    assert client.stats()["rate_limited"] < 50
