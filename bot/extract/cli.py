"""``baocao plan extract`` (registered on the ``plan`` command group by ``bot.cli``).

The extractor itself (about 1.5 MB resident) is imported when the command runs: every
``baocao`` process imports this module to register the command, ``baocao run`` included.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer


class DraftFormat(StrEnum):
    yaml = "yaml"
    json = "json"


def register(plan_app: typer.Typer) -> None:
    """Add the ``extract`` command to ``plan_app``."""
    plan_app.command("extract")(extract_command)


def extract_command(
    file: Path = typer.Argument(..., help="Plan document: .txt (UTF-8), .docx or text .pdf"),
    fmt: DraftFormat = typer.Option(
        DraftFormat.yaml,
        "--format",
        help="yaml: commented draft plan file; json: every field "
        "with its source span, confidence and flags",
    ),
    out: Path | None = typer.Option(None, "-o", "--output", help="Write here, not to stdout"),
) -> None:
    """Draft a plan file from a plan document FILE, for review, then `baocao plan load`."""
    from bot.extract.draft import build_draft
    from bot.extract.errors import ExtractError
    from bot.extract.pipeline import extract_file
    from bot.extract.render import to_json, to_yaml

    try:
        extraction = extract_file(file)
    except ExtractError as exc:
        typer.echo(f"Cannot extract: {exc}", err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        typer.echo(f"Cannot extract: {file}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
    draft = build_draft(extraction)
    text = (
        to_json(extraction, draft) if fmt is DraftFormat.json else to_yaml(draft, extraction.source)
    )
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(
            f"Draft written to {out}: {len(draft.agencies)} agencies, "
            f"{len(draft.items)} items; review the KIỂM TRA lines, then "
            f"`baocao plan load {out}`.",
            err=True,
        )
    _warn_missing(draft.header_flags)


def _warn_missing(flags: dict[str, list[str]]) -> None:
    missing = [name for name, found in flags.items() if any(f.startswith("missing") for f in found)]
    if missing:
        typer.echo(
            f"Warning: left blank in the document: {', '.join(missing)} "
            "(placeholders in the draft).",
            err=True,
        )
