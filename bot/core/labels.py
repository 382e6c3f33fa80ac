"""Fixed vocabulary shown to users (statuses, roles), marked for translation."""

from __future__ import annotations

from bot.i18n import N_, Translator
from storage.models import Role, Status

STATUS_LABELS: dict[str, str] = {
    Status.DONE: N_("Done"),
    Status.IN_PROGRESS: N_("In progress"),
    Status.BLOCKED: N_("Blocked"),
    Status.NOT_STARTED: N_("Not started"),
}
NO_UPDATE_LABEL = N_("No update yet")

ROLE_LABELS: dict[str, str] = {
    Role.FOCAL: N_("focal point"),
    Role.COORDINATOR: N_("coordinator"),
    Role.ADMIN: N_("administrator"),
}

KIND_LABELS: dict[str, str] = {
    "report": N_("report"),
    "task": N_("task"),
    "event": N_("event"),
}


def status_label(t: Translator, status: str | None) -> str:
    return t._(STATUS_LABELS.get(status or "", NO_UPDATE_LABEL))
