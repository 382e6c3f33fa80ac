"""``baocao plan extract`` (registered on the ``plan`` command group by ``bot.cli``)."""

from __future__ import annotations

import typer


def register(plan_app: typer.Typer) -> None:
    """Add the ``extract`` command to ``plan_app``. Not built yet (issue 7)."""
