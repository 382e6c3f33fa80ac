"""The functions the chat commands call: /status [CODE], /overdue, /export."""

from __future__ import annotations

import pytest

from bot.i18n import Translator
from bot.reports.api import (
    MEDIA_TYPES,
    ExportFormat,
    build_export,
    overdue_reply,
    resolve_code,
    status_reply,
    status_texts,
)
from bot.reports.status import UnknownCode
from tests.reports.seed import NOW, Seeded

VI = Translator("vi")


def test_a_code_names_an_item_or_an_agency_in_any_case(reported: Seeded) -> None:
    with reported.session() as session:
        assert resolve_code(session, plan_id=reported.plan_id, code="bc-6t-2021") == (
            "BC-6T-2021",
            None,
        )
        assert resolve_code(session, plan_id=reported.plan_id, code=" snv ") == (None, "SNV")
        for code in ("THD-2021", "NOPE"):  # an event is not reported on
            with pytest.raises(UnknownCode):
                resolve_code(session, plan_id=reported.plan_id, code=code)


def test_status_reply_for_the_plan_has_a_chart_per_report_item(reported: Seeded) -> None:
    with reported.session() as session:
        reply = status_reply(session, plan_id=reported.plan_id, now=NOW, t=VI)
    assert reply.texts and all(len(text) <= 4096 for text in reply.texts)
    assert [name for name, _png in reply.charts] == ["BC-6T-2021.png", "BC-NAM-2021.png"]


def test_status_reply_narrowed(reported: Seeded) -> None:
    with reported.session() as session:
        item = status_reply(session, plan_id=reported.plan_id, now=NOW, t=VI, code="iv2-taphuan")
        agency = status_reply(session, plan_id=reported.plan_id, now=NOW, t=VI, code="SNV")
    assert [name for name, _png in item.charts] == ["IV2-TAPHUAN.png"]
    assert "IV2-TAPHUAN" in item.texts[0] and "BC-6T-2021" not in item.texts[0]
    assert "Đang thực hiện: 1" in item.texts[0]  # the full block, not the one-line form
    assert agency.charts == [] and "Đúng hạn" in agency.texts[0]


def test_status_texts_are_the_reply_before_drawing(reported: Seeded) -> None:
    with reported.session() as session:
        found = status_texts(session, plan_id=reported.plan_id, now=NOW, t=VI)
        reply = status_reply(session, plan_id=reported.plan_id, now=NOW, t=VI, charts=False)
        agency = status_texts(session, plan_id=reported.plan_id, now=NOW, t=VI, code="snv")
    assert found.texts == reply.texts and reply.charts == []
    assert [name for name, _spec in found.charts] == ["BC-6T-2021.png", "BC-NAM-2021.png"]
    six_months = found.charts[0][1]
    assert six_months["counts"] == [3, 1, 1, 0, 23] and six_months["overdue"] == [0, 1, 1, 0, 23]
    assert six_months["legend"] == "Quá hạn" and "5/28" in six_months["caption"]
    assert agency.charts == [] and "Đúng hạn" in agency.texts[0]


def test_overdue_reply_lists_focal_points(reported: Seeded) -> None:
    with reported.session() as session:
        texts = overdue_reply(session, plan_id=reported.plan_id, now=NOW, t=VI)
    assert "Phạm Văn Dũng" in "\n".join(texts)


def test_export_files_are_named_and_typed(reported: Seeded) -> None:
    with reported.session() as session:
        for fmt in ExportFormat:
            export = build_export(session, plan_id=reported.plan_id, fmt=fmt, now=NOW, t=VI)
            assert export.filename == f"baocao-68-KH-UBND-20210601-0900.{fmt.value}"
            assert export.media_type == MEDIA_TYPES[fmt] and export.content
        one = build_export(
            session, plan_id=reported.plan_id, fmt="csv", now=NOW, t=VI, item_code="bc-6t-2021"
        )
    assert one.filename.startswith("baocao-BC-6T-2021-")
