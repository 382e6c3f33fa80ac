"""The CSV export: the update history, one row per stored update.

UTF-8 with a byte-order mark (``utf-8-sig``) so Excel opens Vietnamese text correctly;
times are Vietnam time written ``YYYY-MM-DD HH:MM:SS`` (which Excel reads as a date-time).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from bot.i18n import TZ, Translator
from bot.reports.messages import status_label
from bot.reports.queries import HistoryRow

ENCODING = "utf-8-sig"


def export_csv(history: Sequence[HistoryRow], t: Translator) -> bytes:
    """The history as CSV bytes (BOM first), a header row then one row per update."""
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(
        [
            t._("Time"),
            t._("Item"),
            t._("Title"),
            t._("Agency code"),
            t._("Agency"),
            t._("Person"),
            t._("Status"),
            t._("Status code"),
            t._("Note"),
            t._("Channel"),
        ]
    )
    for row in history:
        writer.writerow(
            [
                row.created_at.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S"),
                row.item_code,
                row.item_title,
                row.agency_code,
                row.agency_name,
                row.person_name or "",
                status_label(t, row.status),
                row.status,
                row.note or "",
                row.channel or "",
            ]
        )
    return text.getvalue().encode(ENCODING)
