"""Injected failures: 502s, time-outs, connection resets and 429 storms.

One uniform draw from a seeded RNG per eligible request picks the fault, so the same
seed and the same request order give the same faults (reproducible test runs and
benchmarks). A storm answers every sending call with 429 until it ends.
"""

from __future__ import annotations

import enum
import math
import random
import time
from typing import Any

from bot.sandbox.config import FaultsConfig
from bot.sandbox.limits import Clock


class Fault(enum.Enum):
    NONE = "none"
    ERROR = "error"  # 502 Bad Gateway
    TIMEOUT = "timeout"  # hold, then drop the connection
    RESET = "reset"  # drop the connection at once
    STORM = "storm"  # start a 429 storm


class FaultInjector:
    """Holds the fault configuration, the RNG and the current storm."""

    def __init__(self, config: FaultsConfig, clock: Clock = time.monotonic) -> None:
        self.config = config
        self._clock = clock
        self._rng = random.Random(config.seed)
        self._storm_until = 0.0

    def configure(self, changes: dict[str, Any]) -> FaultsConfig:
        """Apply control-API changes. A ``seed`` re-seeds the RNG; ``start_storm: true``
        starts a storm now and ``stop_storm: true`` ends the current one."""
        changes = dict(changes)
        start_storm = bool(changes.pop("start_storm", False))
        stop_storm = bool(changes.pop("stop_storm", False))
        self.config = self.config.updated(changes)
        if "seed" in changes:
            self._rng = random.Random(self.config.seed)
        if stop_storm:
            self._storm_until = 0.0
        if start_storm:
            self.start_storm()
        return self.config

    def draw(self, method: str) -> Fault:
        """Pick the fault for one request to ``method`` (lower case)."""
        if not self.config.applies_to(method):
            return Fault.NONE
        roll = self._rng.random()
        for fault, rate in (
            (Fault.ERROR, self.config.error_rate),
            (Fault.TIMEOUT, self.config.timeout_rate),
            (Fault.RESET, self.config.reset_rate),
            (Fault.STORM, self.config.storm_rate),
        ):
            if roll < rate:
                return fault
            roll -= rate
        return Fault.NONE

    def start_storm(self) -> None:
        self._storm_until = self._clock() + self.config.storm_duration

    def storm_retry_after(self) -> int | None:
        """``retry_after`` for a call made during a storm, or ``None`` if calm."""
        remaining = self._storm_until - self._clock()
        return max(1, math.ceil(remaining)) if remaining > 0 else None
