"""Crash and restart: SIGKILL at random points of broadcasts and reminder ticks, 20 rounds.

Each round kills the real bot process after a random number of its sends (0 = right after
the work was queued or the clock moved), checks the SQLite file with ``PRAGMA
integrity_check``, restarts the bot and lets it finish. Then, per round:

- nothing is lost: every recipient has the round's message (a reminder per due item);
- duplicates are exactly the sends the killed process made but had not recorded (counted
  from the sandbox's log and the database between the kill and the restart), and never
  more than the broadcast send pool (64 sends in flight).

Rounds run in four independent lanes at once (each its own sandbox, database and bot
process), because a bot start costs seconds. The kill points come from a seeded RNG:
``BAOCAO_RELIABILITY_SEED=N`` reproduces a failure; the seed is in every message.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.sandbox.client import SandboxClient
from scheduler.broadcasting import CONCURRENCY
from storage import broadcasts
from storage.db import make_engine, session_scope
from storage.models import ChannelIdentity, Delivery, OutboxState, Person, PlanItem, Reminder
from tests.e2e.harness import BotEnv, BotProcess
from tests.e2e.recipients import register_many
from tests.reliability.helpers import (
    START,
    SandboxProcess,
    advance,
    copy_database,
    count,
    integrity,
    texts_per_chat,
    wait_for_broadcast,
)

pytestmark = pytest.mark.e2e

SEED = int(os.environ.get("BAOCAO_RELIABILITY_SEED", "20211130"))
ROUNDS = 20
LANES = 4
RECIPIENTS = 60
IN_FLIGHT_WINDOW = CONCURRENCY  # the broadcast send pool
TICK_SECONDS = 0.2
WAIT_SECONDS = 45.0


@dataclass(frozen=True)
class Round:
    number: int
    kind: str  # "broadcast" or "reminder"
    kill_after: int  # the bot is killed once it has made this many sends in the round


@dataclass
class Outcome:
    round: Round
    lost: dict[int, list[str]] = field(default_factory=dict)  # chat → missing messages
    duplicates: int = 0
    unrecorded_at_kill: int = 0
    integrity: str = ""
    recorded_sent: int = 0
    expected_sent: int = 0

    def problems(self) -> list[str]:
        found = []
        if self.lost:
            found.append(f"lost {self.lost}")
        if self.integrity != "ok":
            found.append(f"integrity_check: {self.integrity}")
        if self.duplicates != self.unrecorded_at_kill:
            found.append(
                f"{self.duplicates} duplicates, but {self.unrecorded_at_kill} sends were "
                "unrecorded at the kill"
            )
        if self.duplicates > IN_FLIGHT_WINDOW:
            found.append(f"{self.duplicates} duplicates > in-flight window {IN_FLIGHT_WINDOW}")
        if self.recorded_sent != self.expected_sent:
            found.append(f"database says {self.recorded_sent} sent of {self.expected_sent}")
        return found


def plan_rounds(seed: int) -> list[Round]:
    """Broadcast and reminder rounds alternate; each lane takes a consecutive block."""
    rng = random.Random(seed)
    return [
        Round(n, ("broadcast", "reminder")[n % 2], rng.randint(0, RECIPIENTS))
        for n in range(ROUNDS)
    ]


class Work(NamedTuple):
    """A round's work: what each chat must receive, how to wait for the end after the
    restart, and how many sends the database has recorded so far."""

    expected: dict[int, list[str]]
    finish: Callable[[], None]
    recorded: Callable[[], int]


class Lane:
    """One bot installation going through its rounds, one SIGKILL per round."""

    def __init__(self, workdir: Path, template: Path, client: SandboxClient, url: str) -> None:
        self.env = BotEnv(workdir, url, tick_seconds=TICK_SECONDS)
        copy_database(template, workdir)
        self.env.set_time(START)
        self.client = client
        self.chats = register_many(self.env, client, RECIPIENTS)
        self.engine = make_engine(self.env.database_url)
        self.database = workdir / "baocao.db"
        self.bot: BotProcess | None = None
        self.moments: Iterator[datetime] = iter(())

    @property
    def process(self) -> BotProcess:
        """The bot process running now (a new one after each restart)."""
        assert self.bot is not None
        return self.bot

    def run(self, rounds: list[Round]) -> list[Outcome]:
        try:
            self.bot = BotProcess(self.env)
            advance(self.env, self.engine, self.bot, START, timeout=WAIT_SECONDS)
            self.moments = iter(self._reminder_moments())
            return [self._round(r) for r in rounds]
        except BaseException as exc:
            log = self.bot.output()[-4000:] if self.bot else ""
            raise AssertionError(f"{exc}\n--- bot log ---\n{log}") from exc
        finally:
            if self.bot is not None:
                self.bot.stop()
            self.engine.dispose()

    def _reminder_moments(self) -> list[datetime]:
        """When the plan's reminders for these people are due, in order."""
        with Session(self.engine) as session:
            query = select(Reminder.send_at).where(Reminder.state == OutboxState.PENDING)
            return sorted(set(session.exec(query)))

    def _round(self, r: Round) -> Outcome:
        mark = self.client.mark()
        expected, finish, recorded = (
            self._start_broadcast(r) if r.kind == "broadcast" else self._start_reminders()
        )
        if r.kill_after:
            self.client.wait_sent(count=r.kill_after, since_id=mark, timeout=WAIT_SECONDS)
        self.process.kill()
        outcome = Outcome(r, integrity=integrity(self.database))
        recorded_at_kill = recorded()
        restart_mark = self.client.mark()  # the killed process's sends are all before this
        killed = texts_per_chat(self.client, self.chats, since_id=mark, upto_id=restart_mark)
        outcome.unrecorded_at_kill = sum(map(len, killed.values())) - recorded_at_kill
        self.bot = BotProcess(self.env)
        finish()
        got = texts_per_chat(self.client, self.chats, since_id=mark)
        for chat, needles in expected.items():
            missing = [n for n in needles if not any(n in t for t in got[chat])]
            if missing:
                outcome.lost[chat] = missing
        outcome.duplicates = sum(map(len, got.values())) - sum(map(len, expected.values()))
        outcome.recorded_sent = recorded()
        outcome.expected_sent = sum(map(len, expected.values()))
        return outcome

    def _start_broadcast(self, r: Round) -> Work:
        notice = f"Thông báo số {r.number}: họp giao ban công tác bình đẳng giới."
        with session_scope(self.engine) as session:
            ids = [p for p in session.exec(select(Person.id)) if p is not None]
            row = broadcasts.create_broadcast(
                session, text=notice, audience="all", person_ids=ids, send_at=self.env.clock.now()
            )
            broadcast_id = row.id or 0

        def recorded() -> int:
            return count(
                self.engine,
                Delivery,
                Delivery.broadcast_id == broadcast_id,
                Delivery.state == OutboxState.SENT,
            )

        def finish() -> None:
            wait_for_broadcast(self.engine, broadcast_id, self.process, WAIT_SECONDS)

        return Work({chat: [notice] for chat in self.chats}, finish, recorded)

    def _start_reminders(self) -> Work:
        due = next(self.moments)
        moment, after_restart = due + timedelta(minutes=1), due + timedelta(minutes=2)
        expected = _due_titles(self.engine, moment)
        assert expected and set(expected) <= set(self.chats), "no reminders due at the moment"
        self.env.set_time(moment)

        def recorded() -> int:
            return count(
                self.engine,
                Reminder,
                Reminder.state == OutboxState.SENT,
                col(Reminder.sent_at) >= moment,
            )

        def finish() -> None:
            advance(self.env, self.engine, self.process, after_restart, timeout=WAIT_SECONDS)

        return Work(expected, finish, recorded)


def _due_titles(engine: Engine, moment: datetime) -> dict[int, list[str]]:
    """chat → titles of the items with a reminder due at ``moment`` (one message each)."""
    query = (
        select(ChannelIdentity.chat_id, PlanItem.title)
        .select_from(Reminder)
        .join(PlanItem, col(PlanItem.id) == Reminder.item_id)
        .join(ChannelIdentity, col(ChannelIdentity.person_id) == Reminder.person_id)
        .where(Reminder.state == OutboxState.PENDING, col(Reminder.send_at) <= moment)
        .distinct()
    )
    found: dict[int, list[str]] = {}
    with Session(engine) as session:
        for chat, title in session.exec(query):
            found.setdefault(int(chat), []).append(title)
    return found


def _run_lane(workdir: Path, template: Path, rounds: list[Round]) -> list[Outcome]:
    with SandboxProcess() as sandbox, sandbox.client() as client:
        return Lane(workdir, template, client, sandbox.url).run(rounds)


def test_sigkill_at_random_points_loses_nothing_and_duplicates_only_unrecorded_sends(
    tmp_path: Path, plan_database: Path
) -> None:
    rounds = plan_rounds(SEED)
    per_lane = ROUNDS // LANES
    blocks = [rounds[n * per_lane : (n + 1) * per_lane] for n in range(LANES)]
    with ThreadPoolExecutor(LANES) as pool:
        futures = [
            pool.submit(_run_lane, _lane_dir(tmp_path, n), plan_database, block)
            for n, block in enumerate(blocks)
        ]
        outcomes = [o for future in futures for o in future.result()]
    assert len(outcomes) == ROUNDS
    assert {o.round.kind for o in outcomes} == {"broadcast", "reminder"}
    report = "\n".join(
        f"round {o.round.number} ({o.round.kind}, kill after {o.round.kill_after} sends): "
        f"{o.duplicates} duplicates; " + ("; ".join(o.problems()) or "ok")
        for o in outcomes
    )
    assert not any(o.problems() for o in outcomes), f"seed {SEED}:\n{report}"
    print(f"seed {SEED}:\n{report}")


def _lane_dir(root: Path, number: int) -> Path:
    path = root / f"lane{number}"
    path.mkdir()
    return path
