"""``baocao status`` and ``baocao export`` (registered on the root app by ``bot.cli``).

Both read the clock here (or take ``--as-of``) and delegate to ``bot.reports.api``.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, date, datetime, time
from enum import StrEnum
from pathlib import Path

import typer

from bot.database import open_database
from bot.i18n import TZ, translator
from bot.reports.formats import ExportFormat
from bot.settings import Settings
from scheduler.clock import clock_from
from storage import repo
from storage.db import session_scope


class StatusFormat(StrEnum):
    text = "text"
    json = "json"


PLAN = typer.Option(None, "--plan", help="Plan code (default: the latest active plan)")
ITEM = typer.Option(None, "--item", help="Only this item (code)")
AS_OF = typer.Option(
    None,
    "--as-of",
    help="Status at this time instead of now: "
    "2021-06-01 (end of that day), 2021-06-01T09:00 (Vietnam time) or "
    "an ISO time with offset",
)


def parse_day(text: str) -> date:
    """``2021-05-30`` or ``30/05/2021``."""
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text.strip())
    if match:
        day, month, year = (int(g) for g in match.groups())
        return date(year, month, day)
    return date.fromisoformat(text.strip())


def parse_as_of(text: str | None) -> datetime:
    """The status time: now, the end of a Vietnam date, or a time (naive = Vietnam time).

    "Now" is the configured clock's (``BAOCAO_CLOCK_FILE`` in the demo and tests)."""
    if text is None:
        return clock_from(Settings().clock_file).now()
    if "T" not in text and " " not in text.strip():
        return datetime.combine(parse_day(text), time(23, 59, 59), TZ).astimezone(UTC)
    value = datetime.fromisoformat(text)
    return (value if value.tzinfo else value.replace(tzinfo=TZ)).astimezone(UTC)


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


def _plan_id(session: object, code: str | None) -> int:
    plan = repo.get_plan(session, code=code)  # type: ignore[arg-type]
    if plan is None or plan.id is None:
        raise _fail(
            f"No plan {code}." if code else "No plan loaded yet: run `baocao plan load FILE` first."
        )
    return plan.id


def status_command(
    plan: str | None = PLAN,
    item: str | None = ITEM,
    agency: str | None = typer.Option(None, "--agency", help="Only this agency (code)"),
    fmt: StatusFormat = typer.Option(StatusFormat.text, "--format"),
    as_of: str | None = AS_OF,
) -> None:
    """Print the status of a plan: per item who reported what, who has not, who is overdue."""
    settings = Settings()
    now = _as_of(as_of)
    with session_scope(open_database(settings)) as session:
        try:
            from bot.reports.status import plan_status  # heavy: imported when used

            status = plan_status(
                session,
                plan_id=_plan_id(session, plan),
                now=now,
                item_code=item,
                agency_code=agency,
            )
        except LookupError as exc:  # bot.reports.status.UnknownCode
            raise _fail(f"Unknown item or agency code: {exc.args[0]}") from None
    from bot.reports.text import status_json, status_text

    if fmt is StatusFormat.json:
        json.dump(status_json(status), sys.stdout, ensure_ascii=False, indent=2)
        typer.echo()
        return
    t = translator(settings.default_locale)
    typer.echo("\n\n".join(status_text(status, t, limit=10**9, max_names=None)))


def export_command(
    fmt: ExportFormat = typer.Option(..., "--format", help="xlsx, docx or csv"),
    output: Path = typer.Option(..., "-o", "--output", help="File to write"),
    plan: str | None = PLAN,
    item: str | None = ITEM,
    since: str | None = typer.Option(None, "--from", help="History from this date (included)"),
    until: str | None = typer.Option(None, "--to", help="History to this date (included)"),
    as_of: str | None = AS_OF,
) -> None:
    """Write the status and history of a plan as XLSX, a draft DOCX report, or CSV."""
    settings = Settings()
    now = _as_of(as_of)
    first, last = _day(since, "--from"), _day(until, "--to")
    if first and last and first > last:
        raise _fail("--from is after --to.")
    with session_scope(open_database(settings)) as session:
        try:
            from bot.reports.api import build_export  # heavy: imported when used

            export = build_export(
                session,
                plan_id=_plan_id(session, plan),
                fmt=fmt,
                now=now,
                t=translator(settings.default_locale),
                item_code=item,
                since=first,
                until=last,
            )
        except LookupError as exc:  # bot.reports.status.UnknownCode
            raise _fail(f"Unknown item code: {exc.args[0]}") from None
    output.write_bytes(export.content)
    typer.echo(f"Wrote {output} ({len(export.content):,} bytes).")


def _as_of(text: str | None) -> datetime:
    try:
        return parse_as_of(text)
    except ValueError:
        raise _fail(f"--as-of: not a date or time: {text}") from None


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return parse_day(text)
    except ValueError:
        raise _fail(f"{option}: not a date (use 2021-05-30 or 30/05/2021): {text}") from None


def register(app: typer.Typer) -> None:
    """Add the ``status`` and ``export`` commands to ``app``."""
    app.command("status")(status_command)
    app.command("export")(export_command)
