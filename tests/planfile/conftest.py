"""Helpers for plan file tests: the sample plan, the CLI bound to the test database, and a
snapshot of every table to prove that a rejected load changed nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, inspect, text
from typer.testing import CliRunner, Result

from bot.cli import app

SAMPLE_PLAN = Path(__file__).resolve().parents[2] / "plans" / "kh-68-ubnd-binh-phuoc-2021.yaml"

Snapshot = dict[str, list[tuple[Any, ...]]]


@pytest.fixture
def sample_text() -> str:
    return SAMPLE_PLAN.read_text(encoding="utf-8")


@pytest.fixture
def sample_data(sample_text: str) -> dict[str, Any]:
    """The sample plan as plain data, to edit and write back with ``write_plan``."""
    data: dict[str, Any] = yaml.safe_load(sample_text)
    return data


@pytest.fixture
def write_plan(tmp_path: Path) -> Callable[[str | dict[str, Any], str], Path]:
    """Write plan text (or data) to a file in the test's directory and return its path."""

    def write(content: str | dict[str, Any], name: str = "plan.yaml") -> Path:
        if not isinstance(content, str):
            content = yaml.safe_dump(content, allow_unicode=True, sort_keys=False)
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        return path

    return write


@pytest.fixture
def cli(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run ``baocao ARGS…`` against the test database, in Vietnamese, away from any ``.env``."""
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("BAOCAO_LOCALE", "vi")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str | Path) -> Result:
        return runner.invoke(app, [str(arg) for arg in args])

    return run


@pytest.fixture
def snapshot(engine: Engine) -> Callable[[], Snapshot]:
    """Every row of every table in the database (not only the ones the models know today)."""

    def take() -> Snapshot:
        with engine.connect() as conn:
            return {
                table: sorted(
                    (tuple(row) for row in conn.execute(text(f'SELECT * FROM "{table}"'))),
                    key=repr,
                )
                for table in inspect(conn).get_table_names()
            }

    return take
