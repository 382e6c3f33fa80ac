"""The paced sender and its rate gate, on an event loop with a virtual clock.

``VirtualTimeLoop`` is a real asyncio loop whose clock jumps straight to the next timer
whenever nothing is ready, so the sender's own ``asyncio.sleep`` calls take no real time
and every delivery is stamped with the exact instant the sender allowed it. The sender
gets the same clock (``loop.time``), which is what it would read in production.
"""

from __future__ import annotations

import asyncio
import itertools
import selectors
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.replies import Reply
from scheduler.sending import (
    MAX_WINDOW,
    PRIORITY_BROADCAST,
    PRIORITY_REMINDER,
    WIDEN_ON_429,
    Limits,
    Outcome,
    PacedSender,
    RateGate,
    SendResult,
)

T = TypeVar("T")
REPLY = Reply("Kính gửi đồng chí …")
SENT = SendResult(Outcome.SENT, "1")
RETRY = SendResult(Outcome.RETRY, error="502 Bad Gateway")
VIRTUAL_TIME_LIMIT = 3600.0  # no test here needs an hour; past it the sender is stuck
JUMP_LIMIT = 1_000_000


class _JumpingSelector(selectors.DefaultSelector):
    def __init__(self, loop: VirtualTimeLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[Any]:
        ready = super().select(0)
        if ready:
            return list(ready)
        if timeout is None:
            raise RuntimeError("deadlock: every task waits and no timer is set")
        self._loop.now += max(timeout, 0.0) + self._loop.overshoot
        self._loop.jumps += 1
        if self._loop.now > VIRTUAL_TIME_LIMIT or self._loop.jumps > JUMP_LIMIT:
            raise RuntimeError(f"still waiting after {self._loop.now:.1f} virtual seconds")
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose time only moves when every task waits for a timer."""

    def __init__(self, overshoot: float = 0.0) -> None:
        self.now = 0.0
        self.jumps = 0
        self.overshoot = overshoot  # every wake-up this late: a busy loop's sleep overshoot
        super().__init__(selector=_JumpingSelector(self))

    def time(self) -> float:
        return self.now


def run_virtual(main: Callable[[VirtualTimeLoop], Awaitable[T]], overshoot: float = 0.0) -> T:
    loop = VirtualTimeLoop(overshoot)
    try:
        return loop.run_until_complete(main(loop))
    finally:
        loop.close()


@dataclass
class Delivery:
    at: float
    chat_id: str
    text: str
    outcome: Outcome


@dataclass
class ClockedTransport:
    """Stamps every delivery with the loop's time; answers scripted results, then SENT."""

    loop: VirtualTimeLoop
    channel: str = "telegram"
    log: list[Delivery] = field(default_factory=list)
    scripts: dict[str, list[SendResult]] = field(default_factory=dict)
    always: dict[str, SendResult] = field(default_factory=dict)

    async def deliver(self, chat_id: str, reply: Reply) -> SendResult:
        scripted = self.scripts.get(chat_id)
        result = scripted.pop(0) if scripted else self.always.get(chat_id, SENT)
        self.log.append(Delivery(self.loop.time(), chat_id, reply.text, result.outcome))
        return result

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> SendResult:
        return await self.deliver(chat_id, reply)

    def times(self, chat_id: str | None = None) -> list[float]:
        return [d.at for d in self.log if chat_id in (None, d.chat_id)]


def sender_for(transport: ClockedTransport, **limits: Any) -> PacedSender:
    return PacedSender({"telegram": transport}, Limits(**limits), clock=transport.loop.time)


def most_in_any_window(times: list[float], window: float) -> int:
    """The largest number of instants in a half-open window (t - window, t]."""
    eps = 1e-9
    return max((sum(t - window + eps < u <= t + eps for u in times) for t in times), default=0)


# --- the overall limit ------------------------------------------------------------------------


def test_a_burst_to_many_chats_stays_under_the_overall_limit_and_is_not_slowed_further() -> None:
    async def main(loop: VirtualTimeLoop) -> ClockedTransport:
        transport = ClockedTransport(loop)
        sender = sender_for(transport)  # the defaults: 30 in any Limits().window
        chats = [str(n) for n in range(200)]
        await asyncio.gather(*(sender.send("telegram", chat, REPLY) for chat in chats))
        return transport

    transport = run_virtual(main)
    times = transport.times()
    assert len(times) == 200
    window = Limits().window
    assert most_in_any_window(times, window) <= 30
    assert max(times) <= (200 // 30 + 1) * window  # about 30 a window: the limit, not less


def test_a_late_waking_event_loop_does_not_slow_the_rate_below_the_limit() -> None:
    """Every wake-up 3 ms late (a busy bot's event loop): slots keep to their schedule,
    so the lateness is made up instead of being added to every interval (bench 1)."""

    async def main(loop: VirtualTimeLoop) -> ClockedTransport:
        transport = ClockedTransport(loop)
        sender = sender_for(transport)
        await asyncio.gather(*(sender.send("telegram", str(n), REPLY) for n in range(600)))
        return transport

    transport = run_virtual(main, overshoot=0.003)
    times = transport.times()
    limits = Limits()
    rate = (len(times) - 1) / (max(times) - min(times))
    assert rate >= 0.99 * limits.per_second / limits.window  # drift-free: 3 ms × 600 not lost
    assert most_in_any_window(times, limits.window) <= limits.per_second


@settings(max_examples=200, deadline=None)
@given(
    per_second=st.integers(1, 8),
    window=st.floats(0.05, 2.0),
    per_chat_interval=st.floats(0.0, 1.5),
    plan=st.lists(
        st.tuples(st.floats(0.0, 3.0), st.integers(1, 4)),  # (start delay, sends) per chat
        min_size=1,
        max_size=12,
    ),
)
def test_never_more_than_per_second_in_any_window_nor_too_often_to_one_chat(
    per_second: int, window: float, per_chat_interval: float, plan: list[tuple[float, int]]
) -> None:
    async def main(loop: VirtualTimeLoop) -> ClockedTransport:
        transport = ClockedTransport(loop)
        sender = sender_for(
            transport, per_second=per_second, window=window, per_chat_interval=per_chat_interval
        )

        async def chat(name: str, delay: float, sends: int) -> None:
            await asyncio.sleep(delay)
            for _ in range(sends):
                await sender.send("telegram", name, REPLY)

        await asyncio.gather(*(chat(str(n), d, k) for n, (d, k) in enumerate(plan)))
        return transport

    transport = run_virtual(main)
    assert len(transport.log) == sum(k for _, k in plan)
    assert most_in_any_window(transport.times(), window) <= per_second
    for n in range(len(plan)):
        times = transport.times(str(n))
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert all(gap >= per_chat_interval - 1e-9 for gap in gaps)


def test_a_window_ending_on_a_rounding_boundary_still_lets_one_through() -> None:
    """Regression: the expiry test and the wait once rounded differently, the wait came out
    0.0 for an entry not yet expired, and every waiter went through at that instant."""
    window = 0.593943157162585  # found by the property test above

    async def main(loop: VirtualTimeLoop) -> ClockedTransport:
        transport = ClockedTransport(loop)
        sender = sender_for(transport, per_second=1, window=window, per_chat_interval=0.0)
        await asyncio.gather(*(sender.send("telegram", str(n), REPLY) for n in range(5)))
        return transport

    times = run_virtual(main).times()
    assert most_in_any_window(times, window) == 1, times


def test_sends_to_one_chat_one_after_another_are_spaced_by_the_chat_interval() -> None:
    async def main(loop: VirtualTimeLoop) -> ClockedTransport:
        transport = ClockedTransport(loop)
        sender = sender_for(transport)
        for _ in range(3):
            await sender.send("telegram", "42", REPLY)
        return transport

    assert run_virtual(main).times() == pytest.approx([0.0, 1.05, 2.10])


def test_concurrent_sends_to_one_chat_are_spaced_by_the_chat_interval() -> None:
    async def main(loop: VirtualTimeLoop) -> ClockedTransport:
        transport = ClockedTransport(loop)
        sender = sender_for(transport)
        await asyncio.gather(*(sender.send("telegram", "42", REPLY) for _ in range(3)))
        return transport

    assert run_virtual(main).times() == pytest.approx([0.0, 1.05, 2.10])


# --- 429 and other failures -------------------------------------------------------------------


def test_a_429_pauses_everyone_for_retry_after_and_then_retries() -> None:
    async def main(loop: VirtualTimeLoop) -> tuple[ClockedTransport, SendResult]:
        transport = ClockedTransport(loop)
        transport.scripts["a"] = [SendResult(Outcome.RETRY, retry_after=5.0, error="429")]
        sender = sender_for(transport, backoff=100.0)  # a 429 waits retry_after, not backoff

        async def later(chat: str) -> SendResult:
            await asyncio.sleep(0.1)
            return await sender.send("telegram", chat, REPLY)

        first, _ = await asyncio.gather(sender.send("telegram", "a", REPLY), later("b"))
        return transport, first

    transport, first = run_virtual(main)
    assert first.outcome is Outcome.SENT
    [a_first, a_retry] = transport.times("a")
    [b] = transport.times("b")
    assert a_first == 0.0
    window = Limits().window
    assert 5.0 <= a_retry < 5.0 + window  # retry_after, not the 100 s back-off
    assert 5.0 <= b < 5.0 + window  # flood control is per bot: "b" waited too


@dataclass
class SlowTransport:
    """Answers after ``latency(n)`` virtual seconds for the n-th send; keeps (start, answer)."""

    loop: VirtualTimeLoop
    latency: Callable[[int], float]
    channel: str = "telegram"
    spans: list[tuple[float, float]] = field(default_factory=list)

    async def deliver(self, chat_id: str, reply: Reply) -> SendResult:
        started = self.loop.time()
        await asyncio.sleep(self.latency(len(self.spans)))
        self.spans.append((started, self.loop.time()))
        return SENT

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> SendResult:
        return await self.deliver(chat_id, reply)


@pytest.mark.parametrize("latency", [0.04, 0.2])
def test_a_send_slow_in_transit_still_counts_until_a_second_after_its_answer(
    latency: float,
) -> None:
    """Every 10th send takes ``latency`` to arrive: the server may have counted it as late as
    its answer, so the 30th send after it starts a full server second after that answer (up
    to ``transit_cap``), or the server would see 31 in its second."""

    async def main(loop: VirtualTimeLoop) -> SlowTransport:
        transport = SlowTransport(loop, lambda n: latency if n % 10 == 0 else 0.001)
        sender = PacedSender({"telegram": transport}, Limits(), clock=loop.time)
        await asyncio.gather(*(sender.send("telegram", str(n), REPLY) for n in range(120)))
        return transport

    limits = Limits()
    # Send i reaches the server somewhere in [start, arrived_by]; the server refuses a 31st
    # within 1 s if some 1 s window [t, t + 1) can hold 31 of those intervals.
    arrivals = [
        (start, min(answer, start + limits.transit_cap))
        for start, answer in run_virtual(main).spans
    ]
    for _, t in arrivals:
        overlapping = sum(start < t + 1.0 and arrived_by >= t for start, arrived_by in arrivals)
        assert overlapping <= limits.per_second
    starts = sorted(start for start, _ in arrivals)
    assert most_in_any_window(starts, limits.window) <= limits.per_second


def test_each_429_widens_the_gates_window_a_little_up_to_a_cap() -> None:
    """A 429 despite the gate means transit jitter ate the margin: later windows are wider,
    so the sends after it stay further apart (but never slower than ``MAX_WINDOW`` allows)."""

    async def main(loop: VirtualTimeLoop) -> tuple[ClockedTransport, PacedSender]:
        transport = ClockedTransport(loop)
        transport.scripts["a"] = [
            SendResult(Outcome.RETRY, retry_after=0.1, error="429") for _ in range(3)
        ]
        sender = sender_for(transport, per_chat_interval=0.0)
        await sender.send("telegram", "a", REPLY)
        await asyncio.gather(*(sender.send("telegram", str(n), REPLY) for n in range(90)))
        return transport, sender

    transport, sender = run_virtual(main)
    widened = sender.gate.window
    assert widened == pytest.approx(Limits().window + 3 * WIDEN_ON_429)
    after = [d.at for d in transport.log if d.chat_id != "a"]
    assert most_in_any_window(after, widened) <= Limits().per_second

    sender.gate.window = MAX_WINDOW
    sender.gate.widen()
    assert sender.gate.window == MAX_WINDOW


def test_transient_failures_are_retried_with_growing_back_off_up_to_the_limit() -> None:
    async def main(loop: VirtualTimeLoop) -> tuple[ClockedTransport, SendResult]:
        transport = ClockedTransport(loop)
        transport.always["a"] = RETRY
        sender = sender_for(transport, retries=4, backoff=0.5, per_chat_interval=0.0)
        return transport, await sender.send("telegram", "a", REPLY)

    transport, result = run_virtual(main)
    assert result.outcome is Outcome.RETRY and result.error == "502 Bad Gateway"
    assert transport.times("a") == pytest.approx([0.0, 0.5, 1.5, 3.5, 7.5])


def test_a_transient_failure_then_success_is_one_sent_message() -> None:
    async def main(loop: VirtualTimeLoop) -> tuple[ClockedTransport, SendResult, PacedSender]:
        transport = ClockedTransport(loop)
        transport.scripts["a"] = [RETRY, RETRY]
        sender = sender_for(transport, per_chat_interval=0.0)
        return transport, await sender.send("telegram", "a", REPLY), sender

    transport, result, sender = run_virtual(main)
    assert result.outcome is Outcome.SENT
    assert [d.outcome for d in transport.log] == [Outcome.RETRY, Outcome.RETRY, Outcome.SENT]
    assert sender.stats == {"retry": 2, "sent": 1}


def test_a_send_that_gives_up_returns_right_after_its_last_attempt() -> None:
    async def main(loop: VirtualTimeLoop) -> tuple[float, float]:
        transport = ClockedTransport(loop)
        transport.always["a"] = RETRY
        sender = sender_for(transport, retries=4, backoff=0.5, per_chat_interval=0.0)
        await sender.send("telegram", "a", REPLY)
        return transport.times("a")[-1], loop.time()

    last_attempt, returned = run_virtual(main)
    assert returned == pytest.approx(last_attempt)


@pytest.mark.parametrize("outcome", [Outcome.BLOCKED, Outcome.FAILED, Outcome.INVALID_TOKEN])
def test_permanent_failures_are_never_retried(outcome: Outcome) -> None:
    async def main(loop: VirtualTimeLoop) -> tuple[ClockedTransport, SendResult]:
        transport = ClockedTransport(loop)
        transport.always["a"] = SendResult(outcome, error=str(outcome))
        sender = sender_for(transport)
        return transport, await sender.send("telegram", "a", REPLY)

    transport, result = run_virtual(main)
    assert result.outcome is outcome
    assert len(transport.log) == 1


def test_a_channel_without_transport_fails_without_sending() -> None:
    async def main(loop: VirtualTimeLoop) -> tuple[ClockedTransport, SendResult]:
        transport = ClockedTransport(loop)
        return transport, await sender_for(transport).send("zalo", "a", REPLY)

    transport, result = run_virtual(main)
    assert result.outcome is Outcome.FAILED and transport.log == []


# --- priority ---------------------------------------------------------------------------------


def test_a_reminder_queued_behind_many_broadcast_sends_goes_out_first() -> None:
    arrives = 0.25

    async def main(loop: VirtualTimeLoop) -> ClockedTransport:
        transport = ClockedTransport(loop)
        sender = sender_for(transport, per_second=2, window=1.0)
        broadcast = Reply("Thông báo")

        async def reminder() -> None:
            await asyncio.sleep(arrives)  # while most of the 50 broadcast sends wait
            await sender.send("telegram", "focal", Reply("Nhắc hạn"), PRIORITY_REMINDER)

        await asyncio.gather(
            *(sender.send("telegram", f"b{n}", broadcast, PRIORITY_BROADCAST) for n in range(50)),
            reminder(),
        )
        return transport

    transport = run_virtual(main)
    position = next(n for n, d in enumerate(transport.log) if d.chat_id == "focal")
    assert all(d.at <= arrives for d in transport.log[:position])  # only those sent already
    assert position <= 2 and len(transport.log) == 51
    assert transport.log[position].at < 1.0 + arrives
    assert most_in_any_window(transport.times(), 1.0) <= 2


def test_the_gate_hands_slots_to_the_most_urgent_then_the_oldest_waiter() -> None:
    async def main(loop: VirtualTimeLoop) -> list[str]:
        gate = RateGate(Limits(per_second=1, window=1.0), clock=loop.time)
        order: list[str] = []

        async def take(name: str, priority: int) -> None:
            await gate.acquire(priority)
            order.append(name)

        await take("first", PRIORITY_BROADCAST)  # uses the one slot of the first second
        await asyncio.gather(
            take("b1", PRIORITY_BROADCAST),
            take("b2", PRIORITY_BROADCAST),
            take("r1", PRIORITY_REMINDER),
            take("r2", PRIORITY_REMINDER),
        )
        return order

    assert run_virtual(main) == ["first", "r1", "r2", "b1", "b2"]
