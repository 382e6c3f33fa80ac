"""Alembic migrations build exactly the schema the models describe; re-running is a no-op.

Every test runs on SQLite and on PostgreSQL (ids ``[sqlite]``, ``[postgresql]``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers every table on SQLModel.metadata)
from storage import migrate
from storage.db import make_engine
from storage.migrate import (
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
    head_revision,
    is_at_head,
    stored_revisions,
    upgrade,
)
from tests.fresh_python import run_fresh
from tests.pg import PostgresServer


def _empty(database: str, sqlite_file: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An engine on an empty database: a new SQLite file, or a PostgreSQL database made from
    ``template0`` on the throwaway server (these tests run on both, see tests/conftest.py)."""
    if database == "postgresql":
        server: PostgresServer = request.getfixturevalue("pg_server")
        with server.database_engine(template=None) as engine:
            yield engine
        return
    engine = make_engine(f"sqlite:///{sqlite_file}")
    yield engine
    engine.dispose()


@pytest.fixture
def empty_engine(database: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    yield from _empty(database, tmp_path / "empty.db", request)


@pytest.fixture
def created_engine(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Engine]:
    """The schema as ``create_all`` builds it straight from the models."""
    for engine in _empty(database, tmp_path / "created.db", request):
        SQLModel.metadata.create_all(engine)
        yield engine


def _head() -> str:
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None
    return head


def _schema(engine: Engine) -> dict[str, Any]:
    """Tables, columns, primary keys, foreign keys, indexes and unique sets, comparable."""
    inspector = inspect(engine)
    schema: dict[str, Any] = {}
    for table in sorted(set(inspector.get_table_names()) - {"alembic_version"}):
        schema[table] = {
            "columns": {
                c["name"]: (str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)
            },
            "primary_key": tuple(inspector.get_pk_constraint(table)["constrained_columns"]),
            "foreign_keys": sorted(
                (
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                )
                for fk in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
                for ix in inspector.get_indexes(table)
            ),
            "unique": sorted(
                tuple(uq["column_names"]) for uq in inspector.get_unique_constraints(table)
            ),
        }
    return schema


def test_upgrade_from_empty_reaches_the_head_revision(empty_engine: Engine) -> None:
    assert current_revision(empty_engine) is None
    upgrade(empty_engine)
    assert current_revision(empty_engine) == _head()


def test_upgrade_from_empty_matches_the_models_for_alembic(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_upgrade_from_empty_matches_create_all_table_by_table(
    empty_engine: Engine, created_engine: Engine
) -> None:
    upgrade(empty_engine)
    migrated, created = _schema(empty_engine), _schema(created_engine)
    assert set(migrated) == set(SQLModel.metadata.tables)
    for table in created:
        assert migrated[table] == created[table], table


def test_the_schema_keeps_the_keys_the_design_relies_on(empty_engine: Engine) -> None:
    """One reminder can never be stored twice; one delivery per recipient; items by code."""
    upgrade(empty_engine)
    schema = _schema(empty_engine)
    assert ("item_id", "agency_id", "person_id", "kind", "offset_days") in (
        schema["reminder"]["unique"]
    )
    assert ("broadcast_id", "person_id") in schema["delivery"]["unique"]
    assert ("plan_id", "code") in schema["plan_item"]["unique"]
    assert ("channel", "chat_id") in schema["channel_identity"]["unique"]


def test_upgrading_twice_is_a_no_op_and_keeps_the_data(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO agency_group (code, name) VALUES ('huyen', 'Huyện')"))
    before = _schema(engine)

    upgrade(engine)

    assert current_revision(engine) == _head()
    assert _schema(engine) == before
    with engine.connect() as conn:
        assert conn.execute(text("SELECT code FROM agency_group")).scalars().all() == ["huyen"]
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1


def test_downgrade_to_base_removes_every_table_and_upgrade_rebuilds_them(engine: Engine) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

    upgrade(engine)

    assert set(inspect(engine).get_table_names()) - {"alembic_version"} == set(
        SQLModel.metadata.tables
    )


# --- a database already at the head: no Alembic -----------------------------------------------


def _upgrade_in_a_new_process(engine: Engine) -> tuple[str | None, list[str]]:
    """``upgrade`` in an empty interpreter, as ``baocao`` starts: the revision after it and
    which of Alembic and its templates it imported."""
    script = f"""
import sys
from storage.db import make_engine
from storage.migrate import stored_revisions, upgrade
engine = make_engine({engine.url.render_as_string(hide_password=False)!r})
upgrade(engine)
print(",".join(sorted(stored_revisions(engine))))
print(",".join(m for m in ("alembic", "mako", "pygments") if m in sys.modules))
"""
    revision, imported = run_fresh(script)
    return revision or None, [m for m in imported.split(",") if m]


def test_the_head_read_from_the_files_is_alembics_head() -> None:
    head_revision.cache_clear()
    assert head_revision() == _head()


def test_a_database_at_the_head_is_left_alone_without_importing_alembic(engine: Engine) -> None:
    assert is_at_head(engine)
    assert _upgrade_in_a_new_process(engine) == (_head(), [])


def test_a_database_behind_the_head_is_upgraded_by_alembic(engine: Engine) -> None:
    at_head = _schema(engine)
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "-1")
    behind = current_revision(engine)
    assert behind is not None and behind != _head()
    assert _schema(engine) != at_head  # the last migration's change is undone
    assert not is_at_head(engine)

    revision, imported = _upgrade_in_a_new_process(engine)

    assert revision == _head()
    assert "alembic" in imported
    assert _schema(engine) == at_head


def test_an_empty_version_table_or_none_is_not_the_head(empty_engine: Engine) -> None:
    assert stored_revisions(empty_engine) == set()
    assert not is_at_head(empty_engine)
    upgrade(empty_engine)
    assert stored_revisions(empty_engine) == {_head()}
    config = alembic_config(empty_engine.url.render_as_string(hide_password=False))
    with empty_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert stored_revisions(empty_engine) == set()  # the table is there, empty
    assert not is_at_head(empty_engine)


def _versions(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / "versions").mkdir()
    for name, body in files.items():
        (tmp_path / "versions" / name).write_text(body, encoding="utf-8")
    return tmp_path


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    ("files", "head"),
    [
        ({"a.py": "revision = 'a'\ndown_revision = None\n"}, "a"),
        (
            {
                "a.py": "revision = 'a'\ndown_revision = None\n",
                "b.py": "revision: str = 'b'\ndown_revision = 'a'\n",
                "c.py": "revision = 'c'\ndown_revision = 'a'\n",
                "m.py": "revision = 'm'\ndown_revision = ('b', 'c')\n",
                "__init__.py": "",
            },
            "m",
        ),
        (  # two heads: Alembic decides
            {
                "a.py": "revision = 'a'\ndown_revision = None\n",
                "b.py": "revision = 'b'\ndown_revision = 'a'\n",
                "c.py": "revision = 'c'\ndown_revision = 'a'\n",
            },
            None,
        ),
        ({"a.py": "revision = 'a'\ndown_revision = 'gone'\n"}, None),
        ({"a.py": "revision = make()\ndown_revision = None\n"}, None),
        ({"a.py": "revision = 'a'\ndown_revision = None\nbranch_labels = ('x',)\n"}, None),
        ({"a.py": "revision = 'a'\ndown_revision = None\ndepends_on = 'z'\n"}, None),
        ({"a.py": "revision = 'a'\ndown_revision = None\n", "b.py": "revision = 'a'\n"}, None),
        ({"a.py": "revision = 'a'\ndown_revision = None\n", "b.py": "def broken(:\n"}, None),
    ],
)
def test_the_head_is_told_only_when_the_files_have_one_plain_head(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], head: str | None
) -> None:
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", _versions(tmp_path, files))
    head_revision.cache_clear()
    try:
        assert head_revision() == head
    finally:
        head_revision.cache_clear()
