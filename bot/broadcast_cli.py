"""``baocao broadcast``: queue a notice for an audience and watch it go out; delivery reports.

The command line queues (it writes the broadcast and one delivery row per recipient in
one transaction); the running bot (``baocao run``) sends, paced under the channel's
limits, so there is only ever one sender per bot and the counts come from the database.

rich's progress bar (about 1.5 MB resident) is imported when a broadcast is watched: every
``baocao`` process imports this module to register the commands, ``baocao run`` included.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.database import open_database
from bot.settings import Settings
from scheduler.clock import clock_from
from storage import broadcasts
from storage.audience import AudienceError, audience_person_ids
from storage.db import session_scope
from storage.models import Agency, Broadcast, Delivery, Person

STALL_SECONDS = 60.0
MAX_TEXT = 4000


def register(app: typer.Typer) -> None:
    """Add ``broadcast`` (send) and ``broadcast report`` to ``app``."""
    group = typer.Typer(help="Notices to many people at once.", invoke_without_command=True)
    group.callback()(broadcast_send)
    group.command("report")(broadcast_report)
    app.add_typer(group, name="broadcast")


def broadcast_send(
    ctx: typer.Context,
    audience: str = typer.Option(
        None, "--audience", help="all | group:NAME | agency:CODE | role:ROLE"
    ),
    text: str | None = typer.Option(None, "--text", help="The notice"),
    file: Path | None = typer.Option(None, "--file", help="Read the notice from a file"),
    at: str | None = typer.Option(
        None,
        "--at",
        help="Send later: ISO date-time (local time Asia/Ho_Chi_Minh unless an offset is given)",
    ),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation"),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Show progress until done"),
) -> None:
    """Queue a notice to an audience; the running bot sends it (now or --at)."""
    if ctx.invoked_subcommand is not None:
        return
    body = _notice_text(text, file)
    if audience is None:
        raise _fail("Give --audience (all, group:NAME, agency:CODE or role:ROLE).")
    settings = Settings()
    now = clock_from(settings.clock_file).now()
    send_at = _send_time(at, now)
    engine = open_database(settings)
    with session_scope(engine) as session:
        try:
            recipients = audience_person_ids(session, audience=audience)
        except AudienceError as exc:
            raise _fail(f"Cannot broadcast: {exc}") from None
    _preview(body, audience, len(recipients), send_at)
    if not recipients:
        raise _fail("Nobody is registered in that audience; nothing was queued.")
    if not yes and not typer.confirm("Send this notice?", default=False):
        raise _fail("Cancelled; nothing was queued.", code=1)
    with session_scope(engine) as session:
        row = broadcasts.create_broadcast(
            session, text=body, audience=audience, person_ids=recipients, send_at=send_at
        )
    typer.echo(f"Broadcast #{row.id} queued for {len(recipients)} recipients.")
    if wait and send_at <= now:
        _watch(engine, row.id or 0, len(recipients))


def broadcast_report(
    broadcast_id: int = typer.Argument(..., help="Broadcast number"),
    fmt: str = typer.Option("text", "--format", help="text or json"),
) -> None:
    """Delivery report: counts and every recipient's result."""
    engine = open_database(Settings())
    with session_scope(engine) as session:
        row = session.get(Broadcast, broadcast_id)
        if row is None:
            raise _fail(f"No broadcast #{broadcast_id}.")
        report = _report(session, row)
    if fmt == "json":
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    typer.echo(f"Broadcast #{report['id']} ({report['state']}), audience {report['audience']}")
    typer.echo(
        "  ".join(f"{k}: {report[k]}" for k in ("total", "sent", "failed", "blocked", "pending"))
    )
    for r in report["recipients"]:
        if r["state"] != "sent":
            typer.echo(f"  {r['state']:<8} {r['name']} ({r['agency']}) {r['error'] or ''}")


def _report(session: Any, row: Broadcast) -> dict[str, Any]:
    counts = broadcasts.delivery_counts(session, broadcast_id=row.id or 0)
    query = (
        select(Delivery, Person, Agency)
        .join(Person, col(Person.id) == Delivery.person_id)
        .join(Agency, col(Agency.id) == Person.agency_id)
        .where(Delivery.broadcast_id == row.id)
        .order_by(col(Delivery.id))
    )
    recipients = [
        {
            "person_id": p.id,
            "name": p.name,
            "agency": a.code,
            "state": d.state,
            "attempts": d.attempts,
            "error": d.last_error,
            "sent_at": d.sent_at.isoformat() if d.sent_at else None,
        }
        for d, p, a in session.exec(query)
    ]
    return {
        "id": row.id,
        "state": row.state,
        "audience": row.audience,
        "total": sum(counts.values()),
        "sent": counts.get("sent", 0),
        "failed": counts.get("failed", 0),
        "blocked": counts.get("blocked", 0),
        "pending": counts.get("pending", 0) + counts.get("claimed", 0),
        "recipients": recipients,
    }


def _notice_text(text: str | None, file: Path | None) -> str:
    if (text is None) == (file is None):
        raise _fail("Give exactly one of --text and --file.")
    try:
        body = text if text is not None else file.read_text(encoding="utf-8")  # type: ignore[union-attr]
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"Cannot read {file}: {exc}") from None
    body = body.strip()
    if not body or len(body) > MAX_TEXT:
        raise _fail(f"The notice must have 1 to {MAX_TEXT} characters (it has {len(body)}).")
    return body


def _send_time(at: str | None, now: datetime) -> datetime:
    if at is None:
        return now
    from scheduler.policy import TZ

    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise _fail(f"--at {at!r} is not an ISO date-time such as 2021-11-15T08:00") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=TZ)).astimezone(UTC)


def _preview(body: str, audience: str, count: int, send_at: datetime) -> None:
    typer.echo("─" * 60)
    typer.echo(body)
    typer.echo("─" * 60)
    typer.echo(f"Audience: {audience} — {count} recipients; send at {send_at.isoformat()}")


def _watch(engine: Engine, broadcast_id: int, total: int) -> None:
    """A progress bar fed from the delivery rows, until none is pending."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (TextColumn("sending"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    last_done, last_change = -1, time.monotonic()
    with Progress(*columns) as bar:
        task = bar.add_task("broadcast", total=total)
        while True:
            with session_scope(engine) as session:
                counts = broadcasts.delivery_counts(session, broadcast_id=broadcast_id)
            done = total - counts.get("pending", 0) - counts.get("claimed", 0)
            bar.update(task, completed=done)
            if done >= total:
                break
            if done != last_done:
                last_done, last_change = done, time.monotonic()
            elif time.monotonic() - last_change > STALL_SECONDS:
                typer.echo(
                    "No progress for a minute: is `baocao run` running? The broadcast "
                    "stays queued and will go out when the bot runs.",
                    err=True,
                )
                return
            time.sleep(0.5)  # polling the database for the progress bar
    typer.echo(f"Done: {json.dumps(counts)}. Report: baocao broadcast report {broadcast_id}")


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)
