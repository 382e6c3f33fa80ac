"""The broadcast worker against a real database (SQLite and PostgreSQL) and a fake transport:
claims sized to an instance's share of the rate, several workers sharing one broadcast, and
results recorded in batches with the right state for each outcome."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from scheduler import broadcasting
from scheduler.broadcasting import run_broadcasts
from scheduler.sending import Limits, Outcome, PacedSender, SendResult
from storage import broadcasts
from storage.db import session_scope
from storage.models import OutboxState
from tests.scheduler.test_materialize import add_person, load_sample_plan, vn
from tests.scheduler.test_tick import BLOCKED, RETRY, FakeTransport

NOW = vn(2021, 11, 15, 8)


def recipients(engine: Engine, count: int) -> dict[int, str]:
    """``count`` focal points of the sample plan, each with one chat: person id -> chat id."""
    load_sample_plan(engine)
    chats = {}
    for n in range(count):
        chat = str(5000 + n)
        chats[add_person(engine, f"Người nhận {n}", "SNV", chats=(chat,))] = chat
    return chats


def start_broadcast(engine: Engine, person_ids: list[int], at: datetime = NOW) -> int:
    with session_scope(engine) as session:
        broadcast = broadcasts.create_broadcast(
            session,
            text="Hưởng ứng Tháng hành động vì bình đẳng giới.",
            audience="all",
            person_ids=person_ids,
            send_at=at,
        )
        return broadcast.id or 0


def states(engine: Engine, broadcast_id: int) -> dict[int, str]:
    with session_scope(engine) as session:
        rows = broadcasts.deliveries(session, broadcast_id=broadcast_id)
        return {d.person_id: d.state for d in rows}


def shared_sender(transport: FakeTransport, per_second: int) -> PacedSender:
    """Claims are sized by ``per_second``; a 10 ms window keeps the test fast (the gate
    then lets ``per_second`` through every 10 ms)."""
    limits = Limits(per_second=per_second, window=0.01, per_chat_interval=0.0, retries=0)
    return PacedSender({transport.channel: transport}, limits)


def test_a_worker_claims_about_four_seconds_of_its_share() -> None:
    transport = FakeTransport()
    sender = shared_sender(transport, per_second=30)
    assert sender.batch_size(broadcasting.CLAIM_SECONDS, most=200) == 120
    sender.share(3)  # three instances: 10/s each
    assert sender.batch_size(broadcasting.CLAIM_SECONDS, most=200) == 40
    sender.share(30)  # 1/s each: never less than a useful batch
    assert sender.batch_size(broadcasting.CLAIM_SECONDS, most=200) == 16
    unlimited = shared_sender(transport, per_second=100_000)
    assert unlimited.batch_size(broadcasting.CLAIM_SECONDS, most=200) == 200


async def test_two_workers_share_one_broadcast_each_recipient_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    chats = recipients(engine, 80)
    broadcast_id = start_broadcast(engine, list(chats))
    claims: list[tuple[str, int, int]] = []
    claim = broadcasts.claim_deliveries

    def recording_claim(session: Any, **kwargs: Any) -> Any:
        batch = claim(session, **kwargs)
        claims.append((kwargs["holder"], kwargs["limit"], len(batch)))
        return batch

    monkeypatch.setattr(broadcasts, "claim_deliveries", recording_claim)
    transport = FakeTransport()
    senders = [shared_sender(transport, per_second=4), shared_sender(transport, per_second=4)]
    await asyncio.gather(
        *(
            run_broadcasts(engine, sender, now=NOW, holder=holder)
            for sender, holder in zip(senders, ("a", "b"), strict=True)
        )
    )

    delivered = [call.chat_id for call in transport.calls]
    assert sorted(delivered) == sorted(chats.values())  # everyone, once
    assert set(states(engine, broadcast_id).values()) == {OutboxState.SENT}
    assert all(limit == 16 and taken <= 16 for _, limit, taken in claims)
    by_holder = {holder: sum(taken for h, _, taken in claims if h == holder) for holder in "ab"}
    assert by_holder["a"] > 0 and by_holder["b"] > 0  # neither took the whole broadcast
    assert by_holder["a"] + by_holder["b"] == 80


async def test_recorded_states_follow_each_outcome(engine: Engine) -> None:
    chats = recipients(engine, 20)
    ids = list(chats)
    broadcast_id = start_broadcast(engine, ids)
    blocked, flaky, broken = ids[0], ids[1], ids[2]
    transport = FakeTransport()
    transport.always[chats[blocked]] = BLOCKED
    transport.always[chats[flaky]] = RETRY
    transport.always[chats[broken]] = SendResult(Outcome.FAILED, error="400 Bad Request")
    sender = shared_sender(transport, per_second=1000)

    await run_broadcasts(engine, sender, now=NOW, holder="a")

    after = states(engine, broadcast_id)
    assert after[blocked] == OutboxState.BLOCKED
    assert after[flaky] == OutboxState.PENDING  # tried again on a later pass
    assert after[broken] == OutboxState.FAILED
    assert {after[p] for p in ids[3:]} == {OutboxState.SENT}
    with session_scope(engine) as session:
        rows = {d.person_id: d for d in broadcasts.deliveries(session, broadcast_id=broadcast_id)}
    assert all(rows[p].sent_at is not None and rows[p].attempts == 1 for p in ids[3:])
    assert rows[flaky].claimed_by is None and rows[flaky].attempts == 1
