"""One entry per agency however it is written, with a stable ASCII code.

Codes come from initials ("Sở Lao động - Thương binh và Xã hội" → ``SLDTBXH``), so the
same plan always gets the same codes and they read like the ones admins write by hand.
"""

from __future__ import annotations

import re
import unicodedata

from bot.extract.agencies import Mention
from bot.extract.model import Agency, Span

_LEVEL_TAIL = ("tỉnh", "huyện", "xã", "phường", "thị trấn", "thành phố", "thị xã", "quận")
_SKIP_WORDS = {"và", "các", "của", "với"}


class Registry:
    """The plan's agencies in first-seen order; ``add`` returns the reference to use."""

    def __init__(self) -> None:
        self.agencies: list[Agency] = []
        self._refs: dict[str, str] = {}
        self._codes: set[str] = set()

    def add(self, mention: Mention, span: Span | None, section: str | None) -> str:
        """Register ``mention`` (once) and return its code or ``group:<code>``."""
        key = f"group:{mention.group}" if mention.group else mention.name.casefold()
        if key in self._refs:
            return self._refs[key]
        code = self._unique(mention.code or _group_code(mention) or make_code(mention.name))
        flags = [] if mention.known else ["check: name not in the agency table"]
        self.agencies.append(
            Agency(
                code,
                mention.name,
                mention.short,
                mention.group,
                mention.name,
                span,
                section,
                1.0 if mention.known else 0.7,
                flags,
            )
        )
        self._refs[key] = key if mention.group else code
        return self._refs[key]

    def _unique(self, code: str) -> str:
        candidate, n = code, 2
        while candidate in self._codes:
            candidate, n = f"{code}{n}", n + 1
        self._codes.add(candidate)
        return candidate

    def refs(self) -> list[str]:
        """Every agency reference, in first-seen order."""
        return list(dict.fromkeys(self._refs.values()))


def make_code(name: str) -> str:
    """ASCII initials in upper case; an all-caps word (UBND, HĐND) is kept whole.

    A trailing level word is dropped when three letters remain ("Hội Liên hiệp Phụ nữ
    tỉnh" → HLHPN) but kept when the code would be too short ("Công an tỉnh" → CAT).
    """
    words = [w for w in re.findall(r"[\w&]+", name) if w not in _SKIP_WORDS]
    for tail in _LEVEL_TAIL:
        size = len(tail.split())
        if len(words) > size and " ".join(words[-size:]) == tail:
            stem = _initials(words[:-size])
            if len(stem) >= 3:
                return stem
    return _initials(words) or "CQ"


def _initials(words: list[str]) -> str:
    letters = "".join(w if w.isupper() and len(w) > 1 else w[0] for w in words if w != "&")
    return ascii_upper(letters)


def ascii_upper(text: str) -> str:
    """``Đồng Xoài`` → ``DONGXOAI``-style folding: no marks, Đ → D, letters and digits only."""
    text = text.replace("Đ", "D").replace("đ", "d")
    folded = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in folded if ch.isascii() and ch.isalnum()).upper()


def _group_code(mention: Mention) -> str | None:
    if not mention.group:
        return None
    prefix = "UBND-" if mention.name.startswith("UBND") else "NHOM-"
    return prefix + ascii_upper(mention.group)
