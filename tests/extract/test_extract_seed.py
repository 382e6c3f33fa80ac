"""The seed plan: `baocao plan extract` drafts what the hand-written sample plan says."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.planfile.parse import parse_plan_text, read_plan_file
from bot.planfile.schema import PlanFile

ROOT = Path(__file__).resolve().parents[2]
SEED = Path(__file__).parent / "corpus" / "kh-68-ubnd-binh-phuoc-2021.txt"
SAMPLE = ROOT / "plans" / "kh-68-ubnd-binh-phuoc-2021.yaml"


@pytest.fixture(scope="module")
def draft(tmp_path_factory: pytest.TempPathFactory) -> PlanFile:
    out = tmp_path_factory.mktemp("draft") / "draft.yaml"
    result = CliRunner().invoke(app, ["plan", "extract", str(SEED), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return parse_plan_text(out.read_text(encoding="utf-8"), str(out))


@pytest.fixture(scope="module")
def sample() -> PlanFile:
    return read_plan_file(SAMPLE)


def _named(spec: PlanFile) -> dict[str, str]:
    """Agencies that are not members of a group (the sample lists the 11 districts)."""
    return {a.code: a.name for a in spec.agencies if a.group != "huyen"}


def test_it_reads_the_header(draft: PlanFile, sample: PlanFile) -> None:
    assert draft.plan.code == sample.plan.code == "68/KH-UBND"
    assert draft.plan.issued_on == sample.plan.issued_on
    assert draft.plan.issuer == sample.plan.issuer
    assert draft.plan.place == sample.plan.place
    assert draft.plan.title == sample.plan.title
    assert draft.year == 2021
    assert draft.plan.coordinator == sample.plan.coordinator == "SLDTBXH"


def test_it_finds_the_sample_agencies_with_the_same_codes(
    draft: PlanFile, sample: PlanFile
) -> None:
    assert _named(draft) == _named(sample)
    assert "huyen" in {g.code for g in draft.groups}


def test_it_finds_the_reporting_deadlines_for_all_reporting_agencies(
    draft: PlanFile, sample: PlanFile
) -> None:
    def reports(spec: PlanFile) -> dict[date, set[str]]:
        out: dict[date, set[str]] = {}
        for item in spec.items:
            if item.kind == "report" and item.due is not None:
                named = [c for c in spec.expand_agencies(item.agencies) if c in _named(spec)]
                out[item.due] = set(named) | {r for r in item.agencies if r.startswith("group:")}
        return out

    assert reports(draft) == reports(sample)
    assert set(reports(draft)) == {date(2021, 5, 30), date(2021, 11, 30)}


def test_it_finds_the_action_month(draft: PlanFile) -> None:
    events = {(i.starts, i.due) for i in draft.items if i.kind == "event"}
    assert (date(2021, 11, 15), date(2021, 12, 15)) in events


def test_it_keeps_undated_duties_as_tasks_without_due(draft: PlanFile) -> None:
    undated = [i for i in draft.items if i.due is None]
    assert undated and all(i.kind == "task" for i in undated)
    assert any("sau khi Chính phủ phê duyệt" in (i.description or "") for i in undated)


def test_the_yaml_shows_the_source_sentence_above_each_item(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["plan", "extract", str(SEED)])
    text = result.stdout
    report_at = text.index("due: 2021-05-30")
    comment = text[text.rindex("# V.1:", 0, report_at) : report_at].replace("\n  #   ", " ")
    assert "gửi trước ngày 30/5/2021" in comment
    assert "# KIỂM TRA:" in text


def test_the_draft_loads_into_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "draft.yaml"
    runner = CliRunner()
    assert runner.invoke(app, ["plan", "extract", str(SEED), "-o", str(out)]).exit_code == 0
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    loaded = runner.invoke(app, ["plan", "load", str(out)])
    assert loaded.exit_code == 0, loaded.output
    assert "items created" in loaded.output
