"""The ``baocao`` command line (Typer). The composition root: settings are built here once."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from enum import StrEnum
from pathlib import Path

import typer
from sqlalchemy.exc import SQLAlchemyError

from bot.broadcast_cli import register as register_broadcast
from bot.core.invites import InviteError, create_invite
from bot.database import open_database
from bot.extract.cli import register as register_extract
from bot.i18n import translator
from bot.logs import setup_logging
from bot.reports.cli import register as register_reports
from bot.settings import Settings
from scheduler.clock import clock_from
from storage import repo
from storage.db import session_scope

app = typer.Typer(
    help="baocao: reporting reminders for Vietnamese government plans.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
plan_app = typer.Typer(help="Plan files: load, show.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(plan_app, name="plan")
register_extract(plan_app)
register_reports(app)
register_broadcast(app)


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
    from bot.planfile.load import load_plan  # the plan file stack (YAML): not in `baocao run`
    from bot.planfile.parse import PlanFileError, read_plan_file

    try:
        spec = read_plan_file(file)
    except PlanFileError as exc:
        raise fail(f"Plan file rejected, nothing was loaded:\n{exc}") from None
    engine = open_database(Settings())
    try:
        with session_scope(engine) as session:
            report = load_plan(session, spec, source_file=file.name)
    except SQLAlchemyError as exc:
        raise fail(
            f"Database error, nothing was loaded (rolled back): {exc.__class__.__name__}: "
            f"{str(exc.orig) if hasattr(exc, 'orig') else exc}"
        ) from None
    typer.echo(report.summary())


@plan_app.command("show")
def plan_show(
    code: str | None = typer.Option(None, "--plan", help="Plan code (default: latest)"),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """Print a loaded plan: agencies and items, dates in Vietnamese style."""
    from bot.planfile.render import plan_document, plan_text

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


invite_app = typer.Typer(
    help="Invitations for focal points, coordinators and admins.", no_args_is_help=True
)
app.add_typer(invite_app, name="invite")


class RoleName(StrEnum):
    focal = "focal"
    coordinator = "coordinator"
    admin = "admin"


@invite_app.command("create")
def invite_create(
    agency: str | None = typer.Option(None, "--agency", help="Agency code from the plan file"),
    role: RoleName = typer.Option(RoleName.focal, "--role"),
    name: str | None = typer.Option(None, "--name", help="Person's name as it should appear"),
    person: int | None = typer.Option(
        None, "--person", help="Add a chat (another channel) to this registered person"
    ),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """Print a single-use, expiring invitation and its Telegram deep link."""
    if (agency is None) == (person is None):
        raise fail("Give --agency CODE for a new person, or --person ID to add a channel.")
    settings = Settings()
    engine = open_database(settings)
    try:
        with session_scope(engine) as session:
            invite = create_invite(
                session,
                agency_code=agency or "",
                role=role.value,
                name=name,
                person_id=person,
                now=clock_from(settings.clock_file).now(),
                ttl=timedelta(hours=settings.invite_ttl_hours),
                bot_username=settings.bot_username,
            )
    except InviteError as exc:
        raise fail(f"Cannot create the invitation: {exc}") from None
    if fmt is OutputFormat.json:
        typer.echo(
            json.dumps(
                {
                    "token": invite.token,
                    "link": invite.link,
                    "expires_at": invite.expires_at.isoformat(),
                }
            )
        )
    else:
        typer.echo(
            f"Invitation for {agency or f'person #{person}'} ({role.value}), valid until "
            f"{invite.expires_at.isoformat(timespec='minutes')}:\n"
            f"  link:  {invite.link}\n  token: {invite.token}\n"
            f"Send the link to the person; on Zalo they send the token as a message."
        )


@app.command("backup")
def backup(target: Path = typer.Argument(..., help="New file for the copy")) -> None:
    """Copy the SQLite database while the bot runs (PostgreSQL: use pg_dump)."""
    from storage.backup import BackupUnsupported, backup_sqlite

    engine = open_database(Settings())
    try:
        size = backup_sqlite(engine, target)
    except BackupUnsupported:
        raise fail(
            "This database is PostgreSQL: back it up with pg_dump (see docs/deploy.md)."
        ) from None
    except (OSError, RuntimeError) as exc:
        raise fail(f"Backup failed: {exc}") from None
    typer.echo(f"Backup written to {target} ({size:,} bytes, integrity check ok).")


class ChannelChoice(StrEnum):
    auto = "auto"
    telegram = "telegram"
    zalo = "zalo"
    both = "both"


@app.command("run")
def run(
    channel: ChannelChoice = typer.Option(
        ChannelChoice.auto,
        "--channel",
        help="telegram, zalo, both, or auto (every channel whose token is set)",
    ),
    webhook_url: str | None = typer.Option(
        None,
        "--webhook-url",
        help="Telegram: receive updates by webhook at this public HTTPS URL (default: polling)",
    ),
    listen: str = typer.Option(
        "127.0.0.1:8443", "--listen", help="HOST:PORT the Telegram webhook server binds to"
    ),
    zalo_webhook_url: str | None = typer.Option(
        None, "--zalo-webhook-url", help="Zalo: receive updates by webhook at this URL"
    ),
    zalo_listen: str = typer.Option(
        "127.0.0.1:8444", "--zalo-listen", help="HOST:PORT the Zalo webhook server binds to"
    ),
) -> None:
    """Run the bot and its scheduler with the settings from the environment or .env."""
    settings = Settings()
    setup_logging(instance=settings.instance_name, secrets=secret_values(settings))
    from bot.run import RunOptions, run_bot  # imports the channel libraries only to run

    channels = {"auto": (), "both": ("telegram", "zalo")}.get(channel.value, (channel.value,))
    run_bot(
        settings,
        RunOptions(
            channels=channels,
            webhook_url=webhook_url,
            listen=_host_port(listen, "--listen"),
            zalo_webhook_url=zalo_webhook_url,
            zalo_listen=_host_port(zalo_listen, "--zalo-listen"),
        ),
    )


def _host_port(value: str, option: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise fail(f"{option} {value!r}: expected HOST:PORT, for example 0.0.0.0:8443")
    return host, int(port)


@app.command(
    "sandbox",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def sandbox(ctx: typer.Context) -> None:
    """Run the local Bot API sandbox on 127.0.0.1 (try `baocao sandbox --help`)."""
    from bot.sandbox.__main__ import build_parser, config_from_args
    from bot.sandbox.server import serve

    build_parser().prog = "baocao sandbox"
    serve(config_from_args(ctx.args))


def secret_values(settings: Settings) -> list[str]:
    from bot.channels.secrets import derived_secrets

    tokens = (
        settings.telegram_bot_token,
        settings.zalo_bot_token,
        settings.telegram_webhook_secret,
        settings.zalo_webhook_secret,
    )
    values = [t.get_secret_value() for t in tokens if t is not None]
    return values + derived_secrets(values)


def main() -> None:  # pragma: no cover
    app()
