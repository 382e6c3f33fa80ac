"""Online backup of the SQLite database (consistent while the bot keeps running)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Engine


class BackupUnsupported(RuntimeError):
    """The database is not SQLite (PostgreSQL is backed up with pg_dump)."""


def backup_sqlite(engine: Engine, target: Path) -> int:
    """Copy the live database to ``target`` with SQLite's backup API; returns its size."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        raise BackupUnsupported(engine.dialect.name)
    if target.exists():
        raise FileExistsError(f"{target} exists; choose a new file (backups are never overwritten)")
    source = sqlite3.connect(engine.url.database)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
            check = destination.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            destination.close()
    finally:
        source.close()
    if check != "ok":
        raise RuntimeError(f"the backup failed its integrity check: {check}")
    return target.stat().st_size
