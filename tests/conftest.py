"""Fixtures shared by every test directory. Keep this small; put local helpers beside the tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from storage.db import make_engine
from storage.migrate import upgrade


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite file per test, migrated to the latest schema (a file, so WAL is real)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'baocao.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on ``engine``; nothing is committed unless the test commits."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
