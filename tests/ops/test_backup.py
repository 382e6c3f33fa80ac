"""``baocao backup``: a consistent copy of the live SQLite database, never over another file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

PLAN = Path(__file__).resolve().parents[2] / "plans" / "kh-68-ubnd-binh-phuoc-2021.yaml"


def test_backup_copies_the_plan_and_refuses_to_overwrite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'live.db'}")
    runner = CliRunner()
    assert runner.invoke(app, ["plan", "load", str(PLAN)]).exit_code == 0
    target = tmp_path / "copy.db"
    first = runner.invoke(app, ["backup", str(target)])
    assert first.exit_code == 0, first.output
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT code FROM plan").fetchall() == [("68/KH-UBND",)]
        assert copy.execute("SELECT count(*) FROM agency").fetchone()[0] == 30
    second = runner.invoke(app, ["backup", str(target)])
    assert second.exit_code != 0 and "exists" in second.output


def test_backup_of_postgresql_points_to_pg_dump(monkeypatch: pytest.MonkeyPatch) -> None:
    from storage.backup import BackupUnsupported, backup_sqlite
    from storage.db import make_engine

    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(BackupUnsupported):
        backup_sqlite(engine, Path("/tmp/never-written.db"))
