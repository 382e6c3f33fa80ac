"""Wording of broadcast progress and delivery reports (sent to the admin who broadcast)."""

from __future__ import annotations

from bot.core.replies import Reply
from bot.i18n import Translator


def progress_reply(t: Translator, *, broadcast_id: int, counts: dict[str, int]) -> Reply:
    total = sum(counts.values())
    done = total - counts.get("pending", 0) - counts.get("claimed", 0)
    return Reply(
        t._(
            "Sending notice #{id}: {done}/{total} processed (sent {sent}, failed "
            "{failed}, blocked {blocked})."
        ).format(
            id=broadcast_id,
            done=t.number(done),
            total=t.number(total),
            sent=t.number(counts.get("sent", 0)),
            failed=t.number(counts.get("failed", 0)),
            blocked=t.number(counts.get("blocked", 0)),
        )
    )


def final_reply(t: Translator, *, broadcast_id: int, counts: dict[str, int]) -> Reply:
    total = sum(counts.values())
    return Reply(
        t._(
            "Notice #{id} finished. Recipients: {total}; delivered: {sent}; failed: "
            "{failed}; blocked or unreachable: {blocked}. Details: baocao broadcast "
            "report {id}"
        ).format(
            id=broadcast_id,
            total=t.number(total),
            sent=t.number(counts.get("sent", 0)),
            failed=t.number(counts.get("failed", 0)),
            blocked=t.number(counts.get("blocked", 0)),
        )
    )
