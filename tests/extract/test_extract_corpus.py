"""Quality bar: precision and recall on the hand-checked corpus (docs/plan-extract.md)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.extract.draft import build_draft
from bot.extract.model import Extraction
from bot.extract.pipeline import extract_file
from bot.extract.quality import (
    Score,
    deadline_keys,
    expected_keys,
    load_expected,
    score_agencies,
    score_keys,
)
from bot.extract.render import to_yaml
from bot.planfile.parse import parse_plan_text

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(CORPUS.glob("*.expected.yaml"))
TARGET = 0.95


def _document(expected: Path) -> Path:
    return expected.with_name(expected.name.replace(".expected.yaml", ".txt"))


@pytest.fixture(scope="module")
def extracted() -> dict[str, tuple[Extraction, dict]]:
    return {e.name: (extract_file(_document(e)), load_expected(e)) for e in CASES}


def test_the_corpus_has_the_seed_and_five_other_plans() -> None:
    assert len(CASES) >= 6
    assert any("kh-68-ubnd-binh-phuoc" in c.name for c in CASES)


def test_deadlines_meet_the_precision_and_recall_target(extracted: dict) -> None:
    total = Score()
    for x, expected in extracted.values():
        total.add(score_keys(deadline_keys(x), expected_keys(expected)))
    assert total.precision >= TARGET and total.recall >= TARGET, total


def test_agencies_meet_the_precision_and_recall_target(extracted: dict) -> None:
    total = Score()
    for x, expected in extracted.values():
        total.add(score_agencies(x, expected))
    assert total.precision >= TARGET and total.recall >= TARGET, total


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_the_header_is_read_and_blank_fields_stay_missing(case: Path, extracted: dict) -> None:
    x, expected = extracted[case.name]
    want = expected["header"]
    number = x.header.number.value
    assert (number if number and not str(number).startswith("/") else None) == want["number"]
    issued = want["issued_on"]
    assert x.header.issued_on.value == (issued.isoformat() if isinstance(issued, date) else issued)
    assert x.header.year.value == want["year"]
    assert x.header.place.value == want["place"]


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_every_draft_is_a_valid_plan_file(case: Path, extracted: dict) -> None:
    x, _ = extracted[case.name]
    spec = parse_plan_text(to_yaml(build_draft(x), x.source), case.name)
    assert spec.items and spec.agencies
    assert all(i.due is not None for i in spec.items if i.kind != "task")


def test_every_deadline_points_at_its_sentence_in_the_source(extracted: dict) -> None:
    import unicodedata

    for name, (x, _) in extracted.items():
        raw = _document(CORPUS / name).read_text(encoding="utf-8-sig")
        for deadline in x.deadlines:
            start, end = deadline.span
            source = unicodedata.normalize("NFC", raw[start:end])
            assert deadline.when.split()[-1].strip("()") in " ".join(source.split()), name
