"""Export formats (a light module: the command line imports it before any heavy library)."""

from __future__ import annotations

from enum import StrEnum


class ExportFormat(StrEnum):
    xlsx = "xlsx"
    docx = "docx"
    csv = "csv"
