"""Fixtures shared by every test directory. Keep this small; put local helpers beside the tests.

Databases: ``engine`` (and ``session`` on it) is SQLite unless the test is parametrized over
``database``. Every test under ``BOTH_DATABASES`` (or marked ``both_databases``) that uses them
runs twice, ids ``[sqlite]`` and ``[postgresql]``, the second on a throwaway PostgreSQL server
(``pg_server``; see tests/pg.py). ``-m "not postgres"`` runs only SQLite, ``-m postgres``
only PostgreSQL; ``sqlite_only`` keeps a test to SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from storage.db import make_engine
from storage.migrate import upgrade
from tests.pg import REQUIRE_ENV, PostgresServer, PostgresUnavailable, postgres_required

BOTH_DATABASES = ("tests/storage", "tests/scheduler")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_databases: run the test's engine on SQLite and on PostgreSQL"
    )
    config.addinivalue_line("markers", "sqlite_only: SQLite-specific, not run on PostgreSQL")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``database`` for engine-using tests of the ``BOTH_DATABASES`` directories."""
    node = metafunc.definition
    if "database" not in metafunc.fixturenames or node.get_closest_marker("sqlite_only"):
        return
    for marker in node.iter_markers("parametrize"):  # the test chose its databases itself
        names = marker.args[0] if marker.args else marker.kwargs.get("argnames", "")
        if "database" in (
            [*names] if isinstance(names, list | tuple) else [n.strip() for n in names.split(",")]
        ):
            return
    where = node.path.relative_to(node.config.rootpath).as_posix()
    if node.get_closest_marker("both_databases") or where.startswith(
        tuple(f"{directory}/" for directory in BOTH_DATABASES)
    ):
        metafunc.parametrize(
            "database",
            ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
            indirect=True,
        )


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL 15 server with the migrated ``baocao_template`` database."""
    try:
        server = PostgresServer.start()
    except PostgresUnavailable as unavailable:
        if postgres_required():
            pytest.fail(f"{REQUIRE_ENV}=1 but no PostgreSQL: {unavailable}", pytrace=False)
        pytest.skip(f"PostgreSQL half skipped: {unavailable}")
    try:
        server.make_template(upgrade)
        yield server
    finally:
        server.stop()


@pytest.fixture
def database(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgresql``: the database ``engine`` runs on."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def engine(database: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A fresh database per test, migrated to the latest schema.

    SQLite: a file (so WAL is real). PostgreSQL: a copy of the migrated template database,
    dropped after the test.
    """
    if database == "postgresql":
        server: PostgresServer = request.getfixturevalue("pg_server")
        with server.database_engine() as pg_engine:
            yield pg_engine
        return
    engine = make_engine(f"sqlite:///{tmp_path / 'baocao.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on ``engine``; nothing is committed unless the test commits."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
