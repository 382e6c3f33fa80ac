"""Candidate product changes, applied by monkeypatching (the product is never edited here).

``python -m bench.patched_bot PATCH …`` runs ``baocao`` with them; ``PATCH`` is a comma
separated list of the names below.

``window=X``: ``Limits.window`` (and nothing else) set to X (benchmark 1 shows what the
gate's margin costs and buys).
"""

from __future__ import annotations

from typing import Any


def apply(patch: str) -> None:
    """Apply ``patch``, e.g. "" or "window=1.0"."""
    for part in filter(None, (p.strip() for p in patch.split(","))):
        name, _, value = part.partition("=")
        if name == "window":
            _set_window(float(value))
        else:
            raise ValueError(f"unknown patch {part!r}")


def _set_window(window: float) -> None:
    import dataclasses

    from scheduler.sending import Limits, PacedSender

    original = PacedSender.__init__

    def __init__(self: Any, transports: Any, limits: Any = None, *args: Any, **kw: Any) -> None:
        limits = dataclasses.replace(limits or Limits(), window=window)
        original(self, transports, limits, *args, **kw)

    PacedSender.__init__ = __init__  # type: ignore[method-assign]
