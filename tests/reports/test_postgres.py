"""The status model gives the same answers on PostgreSQL (where it uses a LATERAL join)."""

from __future__ import annotations

import pytest

from bot.i18n import Translator
from bot.reports.api import ExportFormat, build_export
from bot.reports.status import plan_status, plan_summary
from bot.reports.text import status_text
from storage.db import make_engine
from tests.reports.seed import NOW, add_reports, seed_engine

pytestmark = pytest.mark.postgres


def test_status_and_exports_on_postgresql(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        seeded = add_reports(seed_engine(engine, postgres_url))
        with seeded.session() as session:
            status = plan_status(session, plan_id=seeded.plan_id, now=NOW)
            item = status.items[0]
            assert item.counts == {
                "done": 3,
                "in_progress": 1,
                "blocked": 1,
                "not_started": 0,
                "no_update": 23,
            }
            found = {a.code: (a.status, a.on_time, a.overdue) for a in item.agencies}
            assert found["SNV"] == ("done", True, False)
            assert found["SKHDT"] == ("done", False, False)
            assert found["UBND-DONGXOAI"] == ("done", True, False)
            assert found["SYT"] == ("blocked", False, True)
            summary = plan_summary(session, plan_id=seeded.plan_id, now=NOW, shown=2)
            assert summary.items[0].counts == item.counts
            assert [a.code for a in summary.items[0].overdue_listed(2)] == [
                a.code for a in item.overdue_listed(2)
            ]
            vi = Translator("vi")
            assert status_text(summary, vi, max_names=2) == status_text(status, vi, max_names=2)
            for fmt in ExportFormat:
                export = build_export(
                    session, plan_id=seeded.plan_id, fmt=fmt, now=NOW, t=Translator("vi")
                )
                assert export.content
    finally:
        engine.dispose()
