"""The flood-limit model on a fake clock: exact rules, no sockets, no waiting."""

from __future__ import annotations

import pytest

from bot.sandbox.config import LimitsConfig
from bot.sandbox.limits import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_overall_limit_allows_30_distinct_chats_per_second_then_refuses(clock: FakeClock) -> None:
    limiter = RateLimiter(LimitsConfig(), clock)
    assert all(limiter.acquire(chat_id) is None for chat_id in range(1, 31))
    assert limiter.acquire(31) == 1
    clock.now += 1.0
    assert limiter.acquire(31) is None


def test_overall_window_slides_rather_than_resetting_each_second(clock: FakeClock) -> None:
    limiter = RateLimiter(LimitsConfig(overall_per_second=2), clock)
    assert limiter.acquire(1) is None
    clock.now += 0.6
    assert limiter.acquire(2) is None
    clock.now += 0.5  # first call left the window, second has not
    assert limiter.acquire(3) is None
    assert limiter.acquire(4) == 1


def test_private_chat_allows_a_burst_of_three_then_one_per_second(clock: FakeClock) -> None:
    limiter = RateLimiter(LimitsConfig(), clock)
    assert [limiter.acquire(7) for _ in range(4)] == [None, None, None, 1]
    clock.now += 0.5
    assert limiter.acquire(7) == 1  # half a token refilled: still refused
    clock.now += 0.5
    assert limiter.acquire(7) is None
    assert limiter.acquire(7) == 1
    assert limiter.acquire(8) is None  # other chats have their own bucket


def test_bucket_never_holds_more_than_the_burst(clock: FakeClock) -> None:
    limiter = RateLimiter(LimitsConfig(), clock)
    clock.now += 3600
    assert [limiter.acquire(7) for _ in range(4)] == [None, None, None, 1]


def test_group_allows_20_per_minute_and_names_the_wait(clock: FakeClock) -> None:
    limiter = RateLimiter(LimitsConfig(), clock)
    for _ in range(20):
        assert limiter.acquire(-100) is None
        clock.now += 1.0
    assert limiter.acquire(-100) == 40  # the first send leaves the window at t+60
    clock.now += 40
    assert limiter.acquire(-100) is None


def test_refused_calls_consume_no_quota(clock: FakeClock) -> None:
    limiter = RateLimiter(LimitsConfig(overall_per_second=5), clock)
    for _ in range(3):
        limiter.acquire(7)
    for _ in range(10):
        assert limiter.acquire(7) == 1  # refused by the chat bucket
    assert limiter.acquire(8) is None
    assert limiter.acquire(9) is None  # overall still had room: 5 accepted in total


def test_paid_broadcast_uses_its_own_overall_window(clock: FakeClock) -> None:
    limiter = RateLimiter(LimitsConfig(overall_per_second=1, paid_per_second=100), clock)
    assert limiter.acquire(1) is None
    assert limiter.acquire(2) == 1
    assert all(limiter.acquire(chat, paid=True) is None for chat in range(10, 60))


def test_disabled_limits_allow_everything(clock: FakeClock) -> None:
    limiter = RateLimiter(LimitsConfig(enabled=False), clock)
    assert all(limiter.acquire(7) is None for _ in range(1000))


def test_config_rejects_unknown_fields_and_bad_values() -> None:
    with pytest.raises(ValueError, match="unknown"):
        LimitsConfig().updated({"per_hour": 5})
    with pytest.raises(ValueError, match="at least 1"):
        LimitsConfig().updated({"overall_per_second": 0})
    assert LimitsConfig().updated({"private_per_second": 2}).private_per_second == 2.0
