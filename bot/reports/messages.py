"""Labels shared by the reports: statuses and on time/late.

Every user-facing string of ``bot.reports`` is written in English and passed through
``t._`` (or marked with ``N_``); the ``vi`` catalog (``make messages``) translates them,
and ``tests/test_locales.py`` fails when one is missing. In Vietnamese the statuses read
Hoàn thành, Đang thực hiện, Gặp vướng mắc, Chưa thực hiện and Chưa báo cáo.
"""

from __future__ import annotations

from bot.i18n import N_, Translator

STATUS_LABELS: dict[str, str] = {
    "done": N_("Done"),
    "in_progress": N_("In progress"),
    "blocked": N_("Blocked"),
    "not_started": N_("Not started"),
    "no_update": N_("No update"),
}


def status_label(t: Translator, status: str) -> str:
    """The label of a status code (``done`` → "Hoàn thành"); an unknown code as it is."""
    label = STATUS_LABELS.get(status)
    return t._(label) if label else status


def on_time_label(t: Translator, on_time: bool | None) -> str:
    """ "On time", "Late", or empty while undecided."""
    if on_time is None:
        return ""
    return t._("On time") if on_time else t._("Late")
