"""Issue 9: three bot processes on one PostgreSQL database, against the sandbox.

500 focal points are due a reminder and 1,000 people receive a broadcast; one process is
stopped midway (SIGTERM) or killed (SIGKILL). Every person gets each message exactly once:
claims are taken with FOR UPDATE SKIP LOCKED, only one instance polls (under a lease), the
three share the bot's rate budget, a stopping instance finishes its sends and gives back the
rest, and a killed one's claims are taken over when its liveness lease runs out; only the
sends it had made and not yet recorded go out twice, and the test counts exactly those.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from bot.sandbox.client import SandboxClient
from tests.e2e.harness import PLAN, BotEnv, BotProcess, Person, buttons, free_port
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


def _reminder_senders(env: BotEnv) -> dict[str, int]:
    engine = create_engine(env.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT claimed_by, count(*) FROM reminder WHERE state = 'sent' GROUP BY 1")
            ).all()
    finally:
        engine.dispose()
    return {str(holder): int(count) for holder, count in rows}


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


NOTICE = "Thông báo chung."


def _unrecorded_sends(env: BotEnv, client: SandboxClient, holder: str) -> Counter[tuple[int, str]]:
    """Messages the sandbox received for rows ``holder`` still has claimed (sent, result not
    recorded): after a SIGKILL these are exactly the ones another instance sends again."""
    engine = create_engine(env.database_url)
    try:
        with engine.connect() as conn:
            claimed = conn.execute(
                text(
                    "SELECT c.chat_id, 'reminder' FROM reminder r JOIN channel_identity c "
                    "ON c.person_id = r.person_id WHERE r.state = 'claimed' AND r.claimed_by = :h "
                    "UNION ALL SELECT c.chat_id, 'notice' FROM delivery d JOIN channel_identity c "
                    "ON c.person_id = d.person_id WHERE d.state = 'claimed' AND d.claimed_by = :h"
                ),
                {"h": holder},
            ).all()
    finally:
        engine.dispose()
    held = {(int(chat), kind) for chat, kind in claimed}
    received = Counter(
        (int(r["chat_id"]), "notice" if r["text"] == NOTICE else "reminder")
        for r in client.sent(method="sendMessage")
    )
    return Counter({key: 1 for key in held if received[key]})


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGKILL"])
def test_three_instances_send_every_reminder_and_broadcast_once_even_when_one_stops(
    stop: str, tmp_path: Path, sandbox: object, client: SandboxClient, pg_server: PostgresServer
) -> None:
    """SIGTERM: the stopping instance finishes its sends and gives the rest back, so every
    count is exactly one. SIGKILL: it cannot; the sends it made and had not recorded yet go
    out again from another instance. The test counts those from the database and the
    sandbox at the moment of the kill, and every other count must still be exactly one."""
    env = BotEnv(
        tmp_path,
        sandbox.url,  # type: ignore[attr-defined]
        db_url=pg_server.url(pg_server.copy_of_template()),
    )
    env.set_time(datetime(2021, 5, 20, 1, 0, tzinfo=UTC))  # Thursday 08:00: nothing due yet
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
    repeated: Counter[tuple[int, str]] = Counter()
    try:
        _wait_instances(env, 3)
        env.set_time(datetime(2021, 5, 21, 1, 0, tzinfo=UTC))  # Friday 08:00: the −7 reminder
        env.cli("broadcast", "--audience", "all", "--text", NOTICE, "--yes", "--no-wait")
        client.wait_sent(count=300, timeout=60)  # well under way
        if stop == "SIGKILL":
            bots[1].kill()
            bots[1].proc.wait(timeout=10)
            repeated = _unrecorded_sends(env, client, "baocao-2")
        else:
            bots[1].stop()  # a clean stop in the middle
        _wait_reminders(env, 500)
        wait_broadcast_done(env, 1)
    finally:
        for bot in bots:
            bot.stop()
    per_chat = Counter(
        (int(r["chat_id"]), "notice" if r["text"] == NOTICE else "reminder")
        for r in client.sent(method="sendMessage")
    )
    senders = _reminder_senders(env)
    print(f"{stop}: reminders sent per instance {senders}")
    assert len(senders) >= 2  # the morning's reminders were shared, not sent by one alone
    for chat in reminded:
        assert per_chat[(chat, "reminder")] == 1 + repeated[(chat, "reminder")]
    for chat in [*reminded, *others]:
        assert per_chat[(chat, "notice")] == 1 + repeated[(chat, "notice")]
    assert all(per_chat[(chat, "reminder")] == 0 for chat in others)
    print(f"{stop}: {sum(repeated.values())} sends repeated (sent, not yet recorded at the kill)")
    assert sum(repeated.values()) <= 16  # the record batch: what a kill can repeat at most
    # Instances starting together send at full speed for their first seconds, until each
    # sees the others (liveness every 5 s): a few 429s then, honoured and retried.
    assert client.stats()["rate_limited"] < 50


class RoundRobin:
    """A load balancer in front of webhook-mode instances: each request goes to the next
    backend in turn, headers (the secret) and body unchanged."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.served: Counter[str] = Counter()
        self._turn = itertools.count()
        balancer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                backend = balancer.backends[next(balancer._turn) % len(balancer.backends)]
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                with httpx.Client(trust_env=False, timeout=30) as http:
                    answer = http.post(backend + self.path, content=body, headers=headers)
                balancer.served[backend] += 1
                self.send_response(answer.status_code)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _wait_healthy(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(trust_env=False) as http:
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if http.get(f"{url}/healthz").status_code == 200:
                    return
            time.sleep(0.2)  # waiting for a process to start listening
    raise AssertionError(f"{url} never answered /healthz")


def test_a_conversation_hops_between_webhook_instances_behind_a_load_balancer(
    tmp_path: Path, sandbox: object, client: SandboxClient, pg_server: PostgresServer
) -> None:
    """Every update of one progress dialogue goes to the other instance than the one
    before: the dialogue state lives in the database, so it completes all the same."""
    env = BotEnv(
        tmp_path,
        sandbox.url,  # type: ignore[attr-defined]
        db_url=pg_server.url(pg_server.copy_of_template()),
    )
    env.set_time(datetime(2021, 5, 20, 1, 0, tzinfo=UTC))
    env.cli("plan", "load", str(PLAN))
    ports = [free_port(), free_port()]
    backends = [f"http://127.0.0.1:{port}" for port in ports]
    balancer = RoundRobin(backends)
    bots = [
        BotProcess(
            BotEnv(
                env.workdir, env.sandbox_url, db_url=env.db_url, extra={"BAOCAO_INSTANCE": name}
            ),
            args=(
                "--channel",
                "telegram",
                "--webhook-url",
                f"{balancer.url}/telegram",
                "--listen",
                f"127.0.0.1:{port}",
            ),
        )
        for name, port in (("baocao-1", ports[0]), ("baocao-2", ports[1]))
    ]
    try:
        for backend in backends:
            _wait_healthy(backend)
        an = Person(client, "An")
        an.say(f"/start {env.invite('SNV', 'focal', 'Nguyễn Văn An')}")
        items = an.say("/report")[0]
        status_question = an.press(items, buttons(items)[0][1])[0]
        an.press(status_question, "Gặp vướng mắc")
        confirmation = an.say("Chưa bố trí được kinh phí")[0]["text"]
    finally:
        for bot in bots:
            bot.stop()
        balancer.close()
    assert "Đã ghi nhận" in confirmation and "Chưa bố trí được kinh phí" in confirmation
    assert balancer.served[backends[0]] >= 2 and balancer.served[backends[1]] >= 2
    engine = create_engine(env.database_url)
    try:
        with engine.connect() as conn:
            updates = conn.execute(text("SELECT status, note FROM progress_update")).all()
    finally:
        engine.dispose()
    assert [tuple(u) for u in updates] == [("blocked", "Chưa bố trí được kinh phí")]
