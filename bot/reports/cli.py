"""``baocao status`` and ``baocao export`` (registered on the root app by ``bot.cli``)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the ``status`` and ``export`` commands to ``app``. Not built yet (issue 6)."""
