"""A bad plan file is refused through the CLI with file, field and line, and loses nothing.

Each case first loads the good sample (so the database has rows to lose), then loads a
broken copy and checks the exit code, the message and that every table is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

SAMPLE_PLAN = Path(__file__).resolve().parents[2] / "plans" / "kh-68-ubnd-binh-phuoc-2021.yaml"


def edit(text: str, old: str, new: str) -> str:
    """Replace the one occurrence of ``old`` (fails loudly if the sample no longer has it)."""
    assert text.count(old) == 1, f"expected exactly one {old!r} in the plan text"
    return text.replace(old, new)


def line_of(text: str, fragment: str) -> int:
    """1-based line number where ``fragment`` starts in ``text``."""
    return text[: text.index(fragment)].count("\n") + 1


def item_index(data: dict[str, Any], code: str) -> int:
    return [item["code"] for item in data["items"]].index(code)


def agency_index(data: dict[str, Any], code: str) -> int:
    return [agency["code"] for agency in data["agencies"]].index(code)


# (case id, text to replace, replacement, expected field, text on the offending line,
#  words the message must contain)
BROKEN = [
    (
        "unknown-agency-in-item",
        "    agencies: [SNV]\n\n  # IV.3",
        "    agencies: [SNV, SO-KHONG-CO]\n\n  # IV.3",
        "items[{IV2-CANBONU}].agencies[1]",
        "agencies: [SNV, SO-KHONG-CO]",
        ["unknown agency code 'SO-KHONG-CO'"],
    ),
    (
        "impossible-iso-date",
        "    due: 2021-05-30\n",
        "    due: 2021-02-30\n",
        "items[{BC-6T-2021}].due",
        "due: 2021-02-30",
        ["'2021-02-30' is not a real date"],
    ),
    (
        "impossible-vietnamese-date",
        "    due: 2021-05-30\n",
        "    due: 31/04/2021\n",
        "items[{BC-6T-2021}].due",
        "due: 31/04/2021",
        ["'31/04/2021' is not a real date"],
    ),
    (
        "window-ends-before-it-starts",
        "    starts: 2021-11-15\n    due: 2021-12-15\n",
        "    starts: 2021-12-20\n    due: 2021-12-15\n",
        "items[{THD-2021}].due",
        "due: 2021-12-15",
        ["ends (2021-12-15) before it starts (2021-12-20)"],
    ),
    (
        "duplicate-agency-code",
        '{code: STP, name: "Sở Tư pháp"',
        '{code: STC, name: "Sở Tư pháp"',
        "agencies[{STP}].code",
        '{code: STC, name: "Sở Tư pháp"',
        ["duplicate code 'STC'", "agencies[{STC}]"],
    ),
    (
        "duplicate-item-code",
        "  - code: IV7-PHOBIEN\n",
        "  - code: IV7-LONGGHEP\n",
        "items[{IV7-PHOBIEN}].code",
        "- code: IV7-LONGGHEP\n    kind: task\n    section: IV.7\n    title: Tuyên truyền",
        ["duplicate code 'IV7-LONGGHEP'", "items[{IV7-LONGGHEP}]"],
    ),
]


def _resolve(template: str, data: dict[str, Any]) -> str:
    """``items[{CODE}]`` → ``items[7]``, the index of CODE in the unbroken sample."""
    for code in [i["code"] for i in data["items"]]:
        template = template.replace(f"items[{{{code}}}]", f"items[{item_index(data, code)}]")
    for code in [a["code"] for a in data["agencies"]]:
        template = template.replace(
            f"agencies[{{{code}}}]", f"agencies[{agency_index(data, code)}]"
        )
    return template


@pytest.fixture
def loaded(cli: Callable[..., Result], snapshot: Callable[[], Any]) -> Any:
    """The sample loaded once; returns the database snapshot taken right after."""
    result = cli("plan", "load", SAMPLE_PLAN)
    assert result.exit_code == 0, result.output
    before = snapshot()
    assert len(before["plan_item"]) > 20  # there is something to lose
    return before


def _assert_refused_and_nothing_changed(result: Result, before: Any, after: Any, path: Path) -> str:
    assert result.exit_code != 0
    assert "nothing was loaded" in result.output
    assert str(path) in result.output
    assert {t: len(rows) for t, rows in after.items()} == {
        t: len(rows) for t, rows in before.items()
    }
    assert after == before
    return str(result.output)


@pytest.mark.parametrize(
    ("old", "new", "field", "line_text", "words"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_a_broken_plan_is_refused_naming_file_field_and_line_and_the_database_is_unchanged(
    cli: Callable[..., Result],
    snapshot: Callable[[], Any],
    write_plan: Callable[..., Path],
    sample_text: str,
    sample_data: dict[str, Any],
    loaded: Any,
    old: str,
    new: str,
    field: str,
    line_text: str,
    words: list[str],
) -> None:
    broken = edit(sample_text, old, new)
    path = write_plan(broken, "broken.yaml")

    result = cli("plan", "load", path)

    output = _assert_refused_and_nothing_changed(result, loaded, snapshot(), path)
    line = line_of(broken, line_text)
    assert f"{path}:{line}: [{_resolve(field, sample_data)}]" in output
    for word in words:
        assert _resolve(word, sample_data) in output


@pytest.mark.parametrize(
    ("old", "new", "bad_line", "words"),
    [
        (
            "    title: Hoạt động hưởng ứng ngày Phụ nữ Việt Nam 20/10\n",
            "    title: Hoạt động hưởng ứng: ngày Phụ nữ Việt Nam 20/10\n",
            "title: Hoạt động hưởng ứng: ngày",
            "mapping values are not allowed here",
        ),
        (
            "    section: II.5\n",
            "    section: II.5\n\tdue: 2021-10-20\n",
            "\tdue: 2021-10-20",
            "found character '\\t' that cannot start any token",
        ),
        (
            "    section: II.5\n",
            "   section: II.5\n",
            "   section: II.5",
            "expected <block end>",
        ),
    ],
    ids=["colon-in-unquoted-title", "tab-indent", "bad-indent"],
)
def test_a_yaml_syntax_error_is_refused_with_the_line_and_the_database_is_unchanged(
    cli: Callable[..., Result],
    snapshot: Callable[[], Any],
    write_plan: Callable[..., Path],
    sample_text: str,
    loaded: Any,
    old: str,
    new: str,
    bad_line: str,
    words: str,
) -> None:
    broken = edit(sample_text, old, new)
    path = write_plan(broken, "broken.yaml")

    result = cli("plan", "load", path)

    output = _assert_refused_and_nothing_changed(result, loaded, snapshot(), path)
    assert f"{path}:{line_of(broken, bad_line)}: YAML syntax error" in output
    assert words in output


def test_every_bad_reference_is_reported_at_once(
    cli: Callable[..., Result],
    write_plan: Callable[..., Path],
    sample_text: str,
    sample_data: dict[str, Any],
    loaded: Any,
) -> None:
    broken = edit(sample_text, "    agencies: [STC]\n", "    agencies: [SO-MOT]\n")
    broken = edit(broken, "    agencies: [MTTQ]\n", '    agencies: ["group:khong-co"]\n')
    path = write_plan(broken, "broken.yaml")

    result = cli("plan", "load", path)

    assert result.exit_code != 0
    first, second = item_index(sample_data, "IV6-KINHPHI"), item_index(sample_data, "IV11-PHOIHOP")
    line = line_of(broken, "agencies: [SO-MOT]")
    assert f"{path}:{line}: [items[{first}].agencies[0]] unknown agency code 'SO-MOT'" in (
        result.output
    )
    line = line_of(broken, 'agencies: ["group:khong-co"]')
    assert f"{path}:{line}: [items[{second}].agencies[0]] unknown group code 'khong-co'" in (
        result.output
    )


def test_a_missing_plan_file_is_refused_naming_it(
    cli: Callable[..., Result], tmp_path: Path, loaded: Any, snapshot: Callable[[], Any]
) -> None:
    path = tmp_path / "khong-co.yaml"
    result = cli("plan", "load", path)
    _assert_refused_and_nothing_changed(result, loaded, snapshot(), path)
    assert "file not found" in result.output


def test_a_failure_while_writing_rolls_the_whole_load_back(
    cli: Callable[..., Result],
    snapshot: Callable[[], Any],
    write_plan: Callable[..., Path],
    sample_data: dict[str, Any],
    loaded: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The plan row is rewritten before the items; a crash in between must undo it."""
    import bot.planfile.load as load_module

    def crash(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(load_module, "_sync_items", crash)
    sample_data["plan"]["title"] = "Tiêu đề đã sửa"
    sample_data["agencies"].append({"code": "SCT", "name": "Sở Công Thương"})

    result = cli("plan", "load", write_plan(sample_data))

    assert result.exit_code != 0
    assert snapshot() == loaded
