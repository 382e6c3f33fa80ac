"""Measure extraction against hand-checked expectations (``tests/extract/corpus``).

A deadline matches when its kind and dates match (``starts`` too for windows); an undated
one when its kind matches and its phrase contains the expected text. Agencies match by
name. Each expected item is matched at most once, so duplicates count.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.extract.model import Extraction


@dataclass
class Score:
    """True positives, extracted count and expected count; precision and recall from them."""

    hits: int = 0
    found: int = 0
    expected: int = 0

    def add(self, other: Score) -> None:
        self.hits += other.hits
        self.found += other.found
        self.expected += other.expected

    @property
    def precision(self) -> float:
        return self.hits / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.hits / self.expected if self.expected else 1.0


def load_expected(path: Path) -> dict[str, Any]:
    """An ``*.expected.yaml`` file (dates as ISO text)."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def deadline_keys(x: Extraction) -> list[tuple[Any, ...]]:
    """What is scored of each extracted deadline."""
    return [
        (d.kind, d.starts, d.due) if d.due else (d.kind, "text", _fold(d.when)) for d in x.deadlines
    ]


def expected_keys(expected: dict[str, Any]) -> list[tuple[Any, ...]]:
    keys: list[tuple[Any, ...]] = []
    for item in expected.get("deadlines", []):
        if "due" in item:
            keys.append((item["kind"], _day(item.get("starts")), _day(item["due"])))
        else:
            keys.append((item["kind"], "text", _fold(str(item["text"]))))
    return keys


def score_keys(found: list[tuple[Any, ...]], wanted: list[tuple[Any, ...]]) -> Score:
    """Greedy one-to-one matching; undated phrases match by containment."""
    left = list(wanted)
    hits = 0
    for key in found:
        match = next((w for w in left if _same(key, w)), None)
        if match is not None:
            left.remove(match)
            hits += 1
    return Score(hits, len(found), len(wanted))


def score_agencies(x: Extraction, expected: dict[str, Any]) -> Score:
    found = [_fold(a.name) for a in x.agencies]
    wanted = [_fold(name) for name in expected.get("agencies", [])]
    return score_keys([(n,) for n in found], [(n,) for n in wanted])


def _same(key: tuple[Any, ...], want: tuple[Any, ...]) -> bool:
    if len(key) == 3 and key[1] == "text" and want[1] == "text":
        return bool(key[0] == want[0] and (want[2] in key[2] or key[2] in want[2]))
    return key == want


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())
