"""Reading .txt/.docx/.pdf, and clear one-line errors for what cannot be read."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.extract.pipeline import extract_file, extract_text

CORPUS = Path(__file__).parent / "corpus"
MINISTRY = CORPUS / "kh-btnmt-bien-doi-khi-hau-2024.txt"


def _extract(path: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["plan", "extract", str(path)])
    return result.exit_code, result.stdout, result.stderr


def _refused(path: Path, reason: str) -> None:
    code, out, err = _extract(path)
    assert code != 0 and out == ""
    assert reason in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    _refused(tmp_path / "empty.txt", "file is empty")


def test_a_blank_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "blank.txt").write_text("  \n\n ", encoding="utf-8")
    _refused(tmp_path / "blank.txt", "no text found")


def test_a_binary_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plan.txt").write_bytes(bytes(range(256)) * 4)
    _refused(tmp_path / "plan.txt", "binary")


def test_a_file_over_50_mb_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:  # sparse: the size is checked, the bytes are never read
        handle.truncate(51 * 1024 * 1024)
    _refused(big, "larger than the 50 MB limit")


def test_an_unknown_extension_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plan.odt").write_text("Số: 1/KH-UBND", encoding="utf-8")
    _refused(tmp_path / "plan.odt", "unsupported file type")


def test_a_damaged_docx_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plan.docx").write_bytes(b"PK\x03\x04 not really a zip")
    _refused(tmp_path / "plan.docx", "not a valid .docx")


def test_a_scanned_pdf_without_text_is_refused(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with (tmp_path / "scan.pdf").open("wb") as handle:
        writer.write(handle)
    _refused(tmp_path / "scan.pdf", "no text layer")


def test_text_without_plan_structure_is_refused(tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text("Chào anh, hẹn gặp ngày 5/6.", encoding="utf-8")
    _refused(tmp_path / "note.txt", "does not look like a plan")


def test_a_bom_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + MINISTRY.read_bytes())
    assert extract_file(path).header.number.value == "37/KH-BTNMT"


def test_a_docx_with_an_appendix_table_gives_the_same_deadlines(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    body = MINISTRY.read_text(encoding="utf-8").partition("PHỤ LỤC")[0]
    for line in (body + "PHỤ LỤC\n").splitlines():
        document.add_paragraph(line)
    table = document.add_table(rows=0, cols=5)
    for row in (
        (
            "1",
            "Rà soát văn bản về biến đổi khí hậu",
            "Vụ Pháp chế",
            "Cục Biến đổi khí hậu",
            "Xong trong Quý II/2026",
        ),
        (
            "2",
            "Xây dựng Thông tư đo đạc, báo cáo, thẩm định",
            "Cục Biến đổi khí hậu",
            "Vụ Pháp chế",
            "Trong năm 2026",
        ),
        (
            "3",
            "Xây dựng cơ sở dữ liệu về biến đổi khí hậu",
            "Cục Biến đổi khí hậu",
            "",
            "2024 - 2025",
        ),
    ):
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = value
    path = tmp_path / "plan.docx"
    document.save(str(path))
    x = extract_file(path)
    rows = [
        (d.section, d.due.isoformat() if d.due else None)
        for d in x.deadlines
        if d.section and d.section.startswith("PL.")
    ]
    assert rows == [("PL.1", "2026-06-30"), ("PL.2", "2026-12-31"), ("PL.3", "2025-12-31")]


def test_a_text_pdf_gives_the_same_deadlines_as_its_text(tmp_path: Path) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("pdf")
    matplotlib.rcParams["pdf.fonttype"] = 42  # embedded TrueType: the text layer is Unicode
    from matplotlib import pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    lines = MINISTRY.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "plan.pdf"
    with PdfPages(path) as pdf:
        for page in range(0, len(lines), 45):
            figure = plt.figure(figsize=(8.27, 11.69))
            for n, line in enumerate(lines[page : page + 45]):
                figure.text(0.03, 0.97 - n * 0.021, line, fontsize=7)
            pdf.savefig(figure)
            plt.close(figure)
    from_pdf = [(d.kind, d.starts, d.due, d.when) for d in extract_file(path).deadlines]
    from_text = [(d.kind, d.starts, d.due, d.when) for d in extract_file(MINISTRY).deadlines]
    assert from_pdf == from_text


def test_json_output_carries_spans_confidence_and_flags() -> None:
    import json

    code, out, _ = _extract_json(CORPUS / "kh-du-thao-dong-nai-2026.txt")
    doc = json.loads(out)
    assert code == 0
    assert doc["header"]["number"]["value"] == "/KH-UBND"
    assert doc["header"]["number"]["flags"][0].startswith("missing")
    assert doc["header"]["issued_on"]["value"] is None
    deadline = doc["deadlines"][0]
    assert {"span", "sentence", "confidence", "flags", "kind", "due"} <= set(deadline)


def test_blank_number_and_date_get_placeholders_and_a_warning() -> None:
    code, out, err = _extract(CORPUS / "kh-du-thao-dong-nai-2026.txt")
    assert code == 0
    assert 'code: "CHUA-SO/KH-UBND"  # KIỂM TRA:' in out
    assert "issued_on: 2026-01-01  # KIỂM TRA:" in out
    assert "Warning: left blank in the document" in err


def test_extract_text_refuses_nothing() -> None:
    from bot.extract.errors import ExtractError

    with pytest.raises(ExtractError):
        extract_text("   ")


def _extract_json(path: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["plan", "extract", str(path), "--format", "json"])
    return result.exit_code, result.stdout, result.stderr
