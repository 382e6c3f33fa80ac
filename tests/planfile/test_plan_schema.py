"""The plan file reader on its own: accepted forms, and errors that point at the field."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.planfile.parse import PlanFileError, parse_plan_text, read_plan_file

SAMPLE_PLAN = Path(__file__).resolve().parents[2] / "plans" / "kh-68-ubnd-binh-phuoc-2021.yaml"


def edit(text: str, old: str, new: str) -> str:
    """Replace the one occurrence of ``old`` (fails loudly if the sample no longer has it)."""
    assert text.count(old) == 1, f"expected exactly one {old!r} in the plan text"
    return text.replace(old, new)


def line_of(text: str, fragment: str) -> int:
    """1-based line number where ``fragment`` starts in ``text``."""
    return text[: text.index(fragment)].count("\n") + 1


MINIMAL = """\
plan:
  code: 01/KH-TEST
  title: Kế hoạch thử
  issuer: UBND tỉnh
  issued_on: {issued_on}
groups:
  - {{code: huyen, name: "UBND các huyện"}}
  - {{code: trong, name: "Nhóm trống"}}
agencies:
  - {{code: SNV, name: "Sở Nội vụ"}}
  - {{code: UBND-A, name: "UBND huyện A", group: huyen}}
reminders:
  at: {at}
items:
  - code: BC-1
    kind: report
    title: Báo cáo
    due: {due}
    agencies: {agencies}
"""


def _minimal(**changes: str) -> str:
    values = {
        "issued_on": "2021-03-08",
        "at": "08:00",
        "due": "2021-05-30",
        "agencies": "[all]",
    } | changes
    return MINIMAL.format(**values)


def _problems(text: str) -> list[str]:
    with pytest.raises(PlanFileError) as caught:
        parse_plan_text(text, "kh.yaml")
    return str(caught.value).splitlines()


def test_the_sample_plan_parses() -> None:
    spec = read_plan_file(SAMPLE_PLAN)
    assert spec.plan.code == "68/KH-UBND"
    assert spec.year == 2021


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_iso_and_vietnamese_dates_read_the_same(day: date) -> None:
    forms = [day.isoformat(), day.strftime("%d/%m/%Y"), f"{day.day}/{day.month}/{day.year}"]
    dues = {parse_plan_text(_minimal(due=form)).items[0].due for form in forms}
    assert dues == {day}


@pytest.mark.parametrize("written", ["20210530", "2021-W21-7", "30.05.2021", "'30/05/21'", "0"])
def test_other_date_forms_are_refused_with_the_accepted_forms_named(written: str) -> None:
    (problem,) = _problems(_minimal(due=written))
    assert problem.startswith("kh.yaml:18: [items[0].due]")
    assert "write 2021-05-30 or 30/05/2021" in problem


def test_an_unquoted_time_is_read_as_a_time_of_day_not_a_number() -> None:
    spec = parse_plan_text(_minimal(at="08:30"))
    assert spec.reminders.at == time(8, 30)
    assert spec.reminders.overrides()["at"] == "08:30:00"


def test_an_impossible_time_is_refused() -> None:
    (problem,) = _problems(_minimal(at="25:00"))
    assert problem.startswith("kh.yaml:13: [reminders.at]")


def test_impossible_quiet_hours_are_refused() -> None:
    text = _minimal().replace("  at: 08:00\n", '  quiet_hours: "21:00-24:30"\n')
    (problem,) = _problems(text)
    assert problem.startswith("kh.yaml:13: [reminders.quiet_hours]")
    assert "'24:30'" in problem


def test_quiet_hours_may_end_at_midnight_written_24_00() -> None:
    text = _minimal().replace("  at: 08:00\n", '  quiet_hours: "12:00-24:00"\n')
    assert parse_plan_text(text).reminders.quiet_hours == "12:00-24:00"


def test_an_item_naming_only_an_empty_group_is_refused() -> None:
    (problem,) = _problems(_minimal(agencies='["group:trong"]'))
    assert problem.startswith("kh.yaml:19: [items[0].agencies]")
    assert "names no agency" in problem


def test_an_event_without_a_start_points_at_starts() -> None:
    text = _minimal().replace("kind: report", "kind: event")
    (problem,) = _problems(text)
    # There is no 'starts' line to point at: the nearest line is where the item begins.
    assert problem.startswith(f"kh.yaml:{line_of(text, 'code: BC-1')}: [items[0].starts]")


def test_a_key_given_twice_is_refused_instead_of_silently_keeping_the_last() -> None:
    """A second ``items:`` block would otherwise archive every item of the first one."""
    text = _minimal() + "items:\n  - {code: T-1, kind: task, title: Việc, agencies: [SNV]}\n"
    (problem,) = _problems(text)
    assert problem == "kh.yaml:20: [items] duplicate key 'items' (first on line 14)"


def test_a_duplicate_key_inside_an_item_is_refused_at_its_line() -> None:
    text = _minimal().replace("    due: 2021-05-30\n", "    due: 2021-05-30\n    due: 2021-06-30\n")
    (problem,) = _problems(text)
    assert problem == "kh.yaml:19: [items[0].due] duplicate key 'due' (first on line 18)"


def test_a_yaml_alias_reports_the_line_where_the_value_is_written() -> None:
    text = edit(SAMPLE_PLAN.read_text(encoding="utf-8"), "[SNV, SKHDT,", "[SNV, SKHDTX,")
    problems = _problems(text)
    line = line_of(text, "[SNV, SKHDTX,")
    assert problems == [
        f"kh.yaml:{line}: [items[0].agencies[1]] unknown agency code 'SKHDTX'",
        f"kh.yaml:{line}: [items[1].agencies[1]] unknown agency code 'SKHDTX'",
    ]


def test_a_value_longer_than_its_column_is_refused_before_the_database() -> None:
    text = _minimal().replace(
        "    title: Báo cáo\n", f"    title: Báo cáo\n    section: {'I' * 33}\n"
    )
    (problem,) = _problems(text)
    assert problem.startswith(f"kh.yaml:{line_of(text, 'section:')}: [items[0].section]")
    assert "at most 32 characters" in problem


def test_an_unknown_field_is_refused() -> None:
    text = _minimal().replace("    kind: report\n", "    kind: report\n    deadline: 2021-05-30\n")
    (problem,) = _problems(text)
    assert problem.startswith(f"kh.yaml:{line_of(text, 'deadline:')}: [items[0].deadline]")


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"\xff\xfe plan", "file is not UTF-8 text"), (b"- just\n- a list\n", "expected a mapping")],
)
def test_a_file_that_is_not_a_plan_is_refused_naming_it(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "sai.yaml"
    path.write_bytes(content)
    with pytest.raises(PlanFileError) as caught:
        read_plan_file(path)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)
