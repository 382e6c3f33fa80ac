"""Clocks. Only the tick and the composition root read one; everything else gets ``now``.

``FileClock`` reads the current instant from a file that another program writes: the
demo and the end-to-end tests use it to walk a real bot process through weeks of a
plan in seconds, without touching the code paths production uses.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FileClock:
    """The instant written (ISO 8601, with offset) in ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def now(self) -> datetime:
        moment = datetime.fromisoformat(self.path.read_text(encoding="utf-8").strip())
        if moment.tzinfo is None:
            raise ValueError(f"{self.path}: the simulated time needs a UTC offset")
        return moment.astimezone(UTC)

    def set(self, moment: datetime) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(moment.isoformat(), encoding="utf-8")
        tmp.replace(self.path)  # atomic: a reader never sees half a timestamp


def clock_from(path: str | None) -> Clock:
    return FileClock(Path(path)) if path else SystemClock()
