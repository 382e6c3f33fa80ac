"""Loading is idempotent, updates in place, and archives instead of deleting."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import Result

from storage.models import Agency, ItemAgency, Plan, PlanAgency, PlanItem, ProgressUpdate

SAMPLE_PLAN = Path(__file__).resolve().parents[2] / "plans" / "kh-68-ubnd-binh-phuoc-2021.yaml"


def _load(cli: Callable[..., Result], path: Path) -> str:
    result = cli("plan", "load", path)
    assert result.exit_code == 0, result.output
    return str(result.output)


def _item(engine: Engine, code: str) -> PlanItem:
    with Session(engine) as session:
        return session.exec(select(PlanItem).where(PlanItem.code == code)).one()


def _updated_at(engine: Engine) -> dict[tuple[str, int | None], datetime]:
    with Session(engine) as session:
        stamps: dict[tuple[str, int | None], datetime] = {
            ("plan", p.id): p.updated_at for p in session.exec(select(Plan))
        }
        stamps |= {("plan_item", i.id): i.updated_at for i in session.exec(select(PlanItem))}
        return stamps


def _shown_items(cli: Callable[..., Result]) -> dict[str, list[str]]:
    result = cli("plan", "show", "--format", "json")
    assert result.exit_code == 0, result.output
    return {item["code"]: item["agencies"] for item in json.loads(result.stdout)["items"]}


def _assignment(engine: Engine, item_code: str, agency_code: str) -> ItemAgency:
    with Session(engine) as session:
        return session.exec(
            select(ItemAgency)
            .join(PlanItem, PlanItem.id == ItemAgency.item_id)  # type: ignore[arg-type]
            .join(Agency, Agency.id == ItemAgency.agency_id)  # type: ignore[arg-type]
            .where(PlanItem.code == item_code, Agency.code == agency_code)
        ).one()


def _drop_item(data: dict[str, Any], code: str) -> dict[str, Any]:
    before = len(data["items"])
    data["items"] = [item for item in data["items"] if item["code"] != code]
    assert len(data["items"]) == before - 1
    return data


def test_loading_the_same_file_twice_changes_nothing(
    cli: Callable[..., Result], engine: Engine, snapshot: Callable[[], Any]
) -> None:
    first = _load(cli, SAMPLE_PLAN)
    assert "created" in first
    stamps, rows = _updated_at(engine), snapshot()

    second = _load(cli, SAMPLE_PLAN)

    assert "nothing changed" in second
    assert _updated_at(engine) == stamps
    assert snapshot() == rows


def test_a_changed_title_updates_the_item_in_place(
    cli: Callable[..., Result],
    engine: Engine,
    write_plan: Callable[..., Path],
    sample_data: dict[str, Any],
) -> None:
    _load(cli, SAMPLE_PLAN)
    before, stamps = _item(engine, "IV7-KETHON"), _updated_at(engine)
    for item in sample_data["items"]:
        if item["code"] == "IV7-KETHON":
            item["title"] = "Báo cáo tình hình phụ nữ kết hôn với người nước ngoài"

    output = _load(cli, write_plan(sample_data))

    after = _item(engine, "IV7-KETHON")
    assert "items updated 1" in output and "created" not in output
    assert after.id == before.id
    assert after.title == "Báo cáo tình hình phụ nữ kết hôn với người nước ngoài"
    assert after.created_at == before.created_at
    assert after.updated_at > before.updated_at
    others = {key: value for key, value in _updated_at(engine).items() if key[1] != after.id}
    assert others == {key: value for key, value in stamps.items() if key[1] != after.id}


def test_an_item_removed_from_the_file_is_archived_with_its_updates_kept(
    cli: Callable[..., Result],
    engine: Engine,
    session: Session,
    write_plan: Callable[..., Path],
    sample_data: dict[str, Any],
) -> None:
    _load(cli, SAMPLE_PLAN)
    item = _item(engine, "IV2-CANBONU")
    snv = session.exec(select(Agency).where(Agency.code == "SNV")).one()
    for status, note in [("in_progress", "Đang tổng hợp"), ("done", "Đã gửi Ban VSTBPN")]:
        session.add(ProgressUpdate(item_id=item.id, agency_id=snv.id, status=status, note=note))
    session.commit()

    output = _load(cli, write_plan(_drop_item(sample_data, "IV2-CANBONU"), "without.yaml"))

    archived = _item(engine, "IV2-CANBONU")
    assert "items archived 1" in output
    assert archived.id == item.id and archived.archived_at is not None
    assert "IV2-CANBONU" not in _shown_items(cli)
    with Session(engine) as fresh:
        notes = fresh.exec(
            select(ProgressUpdate.note)
            .where(ProgressUpdate.item_id == archived.id)
            .order_by(ProgressUpdate.id)  # type: ignore[arg-type]
        ).all()
    assert notes == ["Đang tổng hợp", "Đã gửi Ban VSTBPN"]


def test_an_archived_item_comes_back_when_it_is_readded(
    cli: Callable[..., Result],
    engine: Engine,
    write_plan: Callable[..., Path],
    sample_data: dict[str, Any],
) -> None:
    _load(cli, SAMPLE_PLAN)
    item = _item(engine, "IV2-CANBONU")
    _load(cli, write_plan(_drop_item(sample_data, "IV2-CANBONU"), "without.yaml"))
    assert _item(engine, "IV2-CANBONU").archived_at is not None

    _load(cli, SAMPLE_PLAN)

    restored = _item(engine, "IV2-CANBONU")
    assert restored.id == item.id
    assert restored.archived_at is None
    assert _shown_items(cli)["IV2-CANBONU"] == ["SNV"]


def test_an_agency_dropped_from_an_item_is_archived_in_item_agency_and_restored_later(
    cli: Callable[..., Result],
    engine: Engine,
    write_plan: Callable[..., Path],
    sample_data: dict[str, Any],
) -> None:
    _load(cli, SAMPLE_PLAN)
    for item in sample_data["items"]:
        if item["code"] == "PNVN-2021":
            assert item["agencies"] == ["SLDTBXH", "HLHPN"]
            item["agencies"] = ["SLDTBXH"]

    output = _load(cli, write_plan(sample_data))

    assert "assignments archived 1" in output
    assert _assignment(engine, "PNVN-2021", "HLHPN").archived_at is not None
    assert _assignment(engine, "PNVN-2021", "SLDTBXH").archived_at is None
    assert _shown_items(cli)["PNVN-2021"] == ["SLDTBXH"]

    output = _load(cli, SAMPLE_PLAN)

    assert "assignments restored 1" in output
    assert _assignment(engine, "PNVN-2021", "HLHPN").archived_at is None
    assert _shown_items(cli)["PNVN-2021"] == ["SLDTBXH", "HLHPN"]


def test_an_agency_dropped_from_the_plan_is_archived_not_deleted(
    cli: Callable[..., Result],
    engine: Engine,
    write_plan: Callable[..., Path],
    sample_data: dict[str, Any],
) -> None:
    """VPUBND is only named through ``all`` (the Action Month), so it can simply leave."""
    _load(cli, SAMPLE_PLAN)
    sample_data["agencies"] = [a for a in sample_data["agencies"] if a["code"] != "VPUBND"]

    _load(cli, write_plan(sample_data))

    with Session(engine) as session:
        agency = session.exec(select(Agency).where(Agency.code == "VPUBND")).one()
        link = session.exec(select(PlanAgency).where(PlanAgency.agency_id == agency.id)).one()
    assert link.archived_at is not None
    assert _assignment(engine, "THD-2021", "VPUBND").archived_at is not None
    shown = cli("plan", "show", "--format", "json")
    assert "VPUBND" not in {a["code"] for a in json.loads(shown.stdout)["agencies"]}


@pytest.mark.parametrize("form", ["30/5/2021", "30/05/2021", "2021-05-30"])
def test_the_same_date_in_another_accepted_form_changes_nothing(
    cli: Callable[..., Result],
    write_plan: Callable[..., Path],
    sample_text: str,
    form: str,
) -> None:
    _load(cli, SAMPLE_PLAN)
    path = write_plan(sample_text.replace("due: 2021-05-30", f"due: {form}"))
    assert "nothing changed" in _load(cli, path)
