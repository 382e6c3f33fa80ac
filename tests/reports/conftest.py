"""Fixtures: the sample plan in a per-test SQLite database, bare or with updates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reports.postgres import postgres_server
from tests.reports.seed import Seeded, add_reports, seed_database


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Seeded]:
    """The sample plan in a fresh SQLite database, no people and no updates yet."""
    seeded = seed_database(tmp_path / "baocao.db")
    yield seeded
    seeded.engine.dispose()


@pytest.fixture
def reported(seeded: Seeded) -> Seeded:
    """The sample plan with focal points and updates (see ``add_reports``)."""
    return add_reports(seeded)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server for the module's tests."""
    with postgres_server() as url:
        yield url
