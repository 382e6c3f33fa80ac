"""The fault injector without sockets: seeded, rate-driven, storms on a fake clock."""

from __future__ import annotations

from bot.sandbox.config import FaultsConfig
from bot.sandbox.faults import Fault, FaultInjector


def _draws(injector: FaultInjector, n: int = 200) -> list[Fault]:
    return [injector.draw("sendmessage") for _ in range(n)]


def test_same_seed_gives_the_same_faults() -> None:
    config = FaultsConfig(seed=42, error_rate=0.2, timeout_rate=0.1, reset_rate=0.1)
    first, second = _draws(FaultInjector(config)), _draws(FaultInjector(config))
    assert first == second
    assert {Fault.NONE, Fault.ERROR, Fault.TIMEOUT, Fault.RESET} <= set(first)


def test_reseeding_through_configure_replays_the_sequence() -> None:
    injector = FaultInjector(FaultsConfig(seed=1, error_rate=0.5))
    first = _draws(injector, 50)
    injector.configure({"seed": 1})
    assert _draws(injector, 50) == first


def test_rates_of_zero_and_one_are_exact() -> None:
    assert set(_draws(FaultInjector(FaultsConfig()))) == {Fault.NONE}
    assert set(_draws(FaultInjector(FaultsConfig(error_rate=1.0)))) == {Fault.ERROR}
    assert set(_draws(FaultInjector(FaultsConfig(timeout_rate=1.0)))) == {Fault.TIMEOUT}


def test_faults_only_hit_the_configured_methods() -> None:
    injector = FaultInjector(FaultsConfig(error_rate=1.0))
    assert injector.draw("getupdates") is Fault.NONE
    assert injector.draw("sendmessage") is Fault.ERROR
    injector.configure({"methods": ["*"]})
    assert injector.draw("getupdates") is Fault.ERROR


def test_storm_lasts_its_duration_and_counts_down() -> None:
    now = [0.0]
    injector = FaultInjector(FaultsConfig(storm_duration=3.0), clock=lambda: now[0])
    assert injector.storm_retry_after() is None
    injector.configure({"start_storm": True})
    assert injector.storm_retry_after() == 3
    now[0] = 2.5
    assert injector.storm_retry_after() == 1
    now[0] = 3.0
    assert injector.storm_retry_after() is None


def test_stop_storm_ends_it() -> None:
    injector = FaultInjector(FaultsConfig(storm_duration=60))
    injector.start_storm()
    injector.configure({"stop_storm": True})
    assert injector.storm_retry_after() is None
