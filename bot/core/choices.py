"""Match a typed answer to one of the offered choices: ``2``, ``Hoàn thành`` or ``hoan thanh``."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from bot.core.replies import Choice


def fold(text: str) -> str:
    """Lower-case, drop Vietnamese diacritics (đ → d) and zero-width characters, squeeze spaces."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) not in ("Mn", "Cf"))
    return " ".join(kept.lower().split())


MAX_ID_DIGITS = 18  # below 2**63: fits SQLite's and PostgreSQL's 64-bit integers


def parse_id(text: str) -> int | None:
    """A number from button data or a typed answer, or None: ASCII digits only (``"²"``
    passes ``str.isdigit`` but not ``int``) and short enough for a 64-bit column (a longer
    number overflows the database driver, a 5,000-digit one even ``int``)."""
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_ID_DIGITS:
        return None
    return int(text)


def match_choice(text: str, choices: Sequence[Choice]) -> Choice | None:
    """The choice ``text`` selects, or None. Numbers are 1-based, as they are shown."""
    answer = fold(text).rstrip(".)")
    number = parse_id(answer)
    if number is not None:
        index = number - 1
        return choices[index] if 0 <= index < len(choices) else None
    for choice in choices:
        if fold(choice.label) == answer:
            return choice
    return None


def numbered(choices: Sequence[Choice]) -> str:
    """The choices as numbered lines, for channels without buttons."""
    return "\n".join(f"{n}. {c.label}" for n, c in enumerate(choices, start=1))
