"""Open the configured database, migrated to the latest schema."""

from __future__ import annotations

from sqlalchemy import Engine

from bot.settings import Settings
from storage.db import make_engine
from storage.migrate import upgrade


def open_database(settings: Settings, *, migrate: bool = True) -> Engine:
    """The engine for ``settings.database_url``; created and upgraded on first use."""
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    return engine
