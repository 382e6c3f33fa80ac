"""The ``baocao`` command line (Typer). The composition root: settings are built here once."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer

from bot.database import open_database
from bot.extract.cli import register as register_extract
from bot.i18n import translator
from bot.planfile.load import load_plan
from bot.planfile.parse import PlanFileError, read_plan_file
from bot.planfile.render import plan_document, plan_text
from bot.reports.cli import register as register_reports
from bot.settings import Settings
from storage import repo
from storage.db import session_scope

app = typer.Typer(help="baocao: reporting reminders for Vietnamese government plans.",
                  no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
plan_app = typer.Typer(help="Plan files: load, show.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(plan_app, name="plan")
register_extract(plan_app)
register_reports(app)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` on stderr and return the exit to raise."""
    typer.echo(message, err=True)
    return typer.Exit(code)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database or bring it to the latest schema (Alembic)."""
    settings = Settings()
    open_database(settings)
    typer.echo("Database is at the latest schema.")


@plan_app.command("load")
def plan_load(file: Path = typer.Argument(..., help="Plan file (YAML)")) -> None:
    """Load or update a plan from FILE. Idempotent; removed items are archived, not deleted."""
    try:
        spec = read_plan_file(file)
    except PlanFileError as exc:
        raise fail(f"Plan file rejected, nothing was loaded:\n{exc}") from None
    engine = open_database(Settings())
    with session_scope(engine) as session:
        report = load_plan(session, spec, source_file=file.name)
    typer.echo(report.summary())


@plan_app.command("show")
def plan_show(
    code: str | None = typer.Option(None, "--plan", help="Plan code (default: latest)"),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """Print a loaded plan: agencies and items, dates in Vietnamese style."""
    engine = open_database(Settings())
    with session_scope(engine) as session:
        plan = repo.get_plan(session, code=code)
        if plan is None:
            raise fail("No plan loaded yet: run `baocao plan load FILE` first.")
        doc = plan_document(session, plan)
    if fmt is OutputFormat.json:
        json.dump(doc, sys.stdout, ensure_ascii=False, indent=2)
        typer.echo()
    else:
        typer.echo(plan_text(doc, translator(Settings().default_locale)))


def main() -> None:  # pragma: no cover
    app()
