"""``baocao status`` and ``baocao export`` through the Typer app, on a test database."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import openpyxl
import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.reports.cli import parse_as_of, parse_day
from tests.reports.seed import Seeded, vn

runner = CliRunner()


@pytest.fixture
def cli_db(reported: Seeded, monkeypatch: pytest.MonkeyPatch) -> Seeded:
    monkeypatch.setenv("DATABASE_URL", reported.url)
    return reported


def test_status_text_for_one_item(cli_db: Seeded) -> None:
    result = runner.invoke(app, ["status", "--item", "BC-6T-2021", "--as-of", "2021-06-01T09:00"])
    assert result.exit_code == 0, result.output
    assert "BC-6T-2021" in result.output and "BC-NAM-2021" not in result.output
    assert "5/28" in result.output and "Gặp vướng mắc: 1" in result.output
    assert "UBND huyện Phú Riềng" in result.output  # the last silent agency is listed


def test_status_json_matches_the_documented_shape(cli_db: Seeded) -> None:
    result = runner.invoke(app, ["status", "--format", "json", "--as-of", "2021-06-01"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["plan"] == "68/KH-UBND"
    first = doc["items"][0]
    assert (first["code"], first["due"]) == ("BC-6T-2021", "2021-05-30")
    snv = next(a for a in first["agencies"] if a["code"] == "SNV")
    assert (snv["status"], snv["overdue"]) == ("done", False)
    assert snv["updated_at"] == vn(2021, 5, 28, 15, 30).isoformat()


def test_status_for_one_agency(cli_db: Seeded) -> None:
    result = runner.invoke(app, ["status", "--agency", "SKHDT", "--as-of", "2021-06-01"])
    assert result.exit_code == 0, result.output
    assert "Sở Kế hoạch và Đầu tư (SKHDT)" in result.output
    assert "0/1" in result.output and "Trễ hạn" in result.output


def test_unknown_codes_fail_with_a_message(cli_db: Seeded) -> None:
    result = runner.invoke(app, ["status", "--item", "NOPE"])
    assert result.exit_code == 1 and "NOPE" in result.output
    result = runner.invoke(app, ["export", "--format", "csv", "--item", "NOPE", "-o", "x.csv"])
    assert result.exit_code == 1


def test_export_writes_each_format(cli_db: Seeded, tmp_path: Path) -> None:
    for fmt in ("xlsx", "docx", "csv"):
        out = tmp_path / f"report.{fmt}"
        result = runner.invoke(
            app, ["export", "--format", fmt, "-o", str(out), "--as-of", "2021-06-01"]
        )
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0
    book = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert book.sheetnames[1] == "BC-6T-2021"
    assert "BÁO CÁO" in [p.text for p in docx.Document(tmp_path / "report.docx").paragraphs]
    assert (tmp_path / "report.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_export_filters_history_by_item_and_dates(cli_db: Seeded, tmp_path: Path) -> None:
    out = tmp_path / "history.csv"
    result = runner.invoke(
        app,
        [
            "export",
            "--format",
            "csv",
            "--item",
            "BC-6T-2021",
            "--from",
            "28/05/2021",
            "--to",
            "2021-05-30",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = out.read_bytes().decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 3


def test_export_rejects_bad_dates(cli_db: Seeded) -> None:
    result = runner.invoke(
        app, ["export", "--format", "csv", "-o", "x.csv", "--from", "31/02/2021"]
    )
    assert result.exit_code == 1 and "--from" in result.output
    result = runner.invoke(
        app,
        ["export", "--format", "csv", "-o", "x.csv", "--from", "2021-06-02", "--to", "2021-06-01"],
    )
    assert result.exit_code == 1


def test_status_without_a_plan_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1 and "baocao plan load" in result.output


def test_dates_and_times_on_the_command_line() -> None:
    assert parse_day("30/05/2021") == parse_day("2021-05-30")
    assert parse_as_of("2021-05-30") == vn(2021, 5, 30, 23, 59).replace(second=59)
    assert parse_as_of("2021-05-30T08:00") == vn(2021, 5, 30, 8)
    assert parse_as_of("2021-05-30T01:00+00:00") == vn(2021, 5, 30, 8)
