"""The exports, opened with their own libraries: XLSX (openpyxl), DOCX (python-docx), CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import docx
import openpyxl
import pytest
from docx.document import Document as DocxDocument
from sqlmodel import func, select

from bot.i18n import Translator
from bot.reports.api import ExportFormat, build_export
from bot.reports.docx import export_docx
from bot.reports.status import PlanStatus, plan_status
from bot.reports.xlsx import SHEET_NAME_MAX, sheet_title
from storage.models import ProgressUpdate
from tests.reports.seed import NOW, Seeded

VI = Translator("vi")


def export(seeded: Seeded, fmt: ExportFormat, **options: object) -> bytes:
    with seeded.session() as session:
        return build_export(
            session, plan_id=seeded.plan_id, fmt=fmt, now=NOW, t=VI, **options
        ).content  # type: ignore[arg-type]


def stored_updates(seeded: Seeded) -> int:
    with seeded.session() as session:
        return session.exec(select(func.count()).select_from(ProgressUpdate)).one()


def workbook(seeded: Seeded, **options: object) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(export(seeded, ExportFormat.xlsx, **options)))


def test_xlsx_has_summary_a_sheet_per_report_item_tasks_and_history(reported: Seeded) -> None:
    book = workbook(reported)
    assert book.sheetnames == [
        "Tổng hợp",
        "BC-6T-2021",
        "BC-NAM-2021",
        "Nhiệm vụ",
        "Lịch sử cập nhật",
    ]


def test_xlsx_item_sheet_has_a_row_per_agency_with_real_times(reported: Seeded) -> None:
    sheet = workbook(reported)["BC-6T-2021"]
    assert sheet.freeze_panes == "D4"
    header = [c.value for c in sheet[3]]
    assert header[:3] == ["#", "Mã đơn vị", "Cơ quan, đơn vị"]
    rows = {row[1]: row for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert len(rows) == 28
    snv = rows["SNV"]
    assert snv[4] == "Nguyễn Văn An, Trần Thị Bình"
    assert snv[5] == "Hoàn thành" and snv[6] == "Đã gửi văn bản số 123/BC-SNV"
    assert snv[7] == datetime(2021, 5, 28, 15, 30)  # Vietnam time, a real date-time
    assert snv[8] == "Đúng hạn"
    assert rows["SKHDT"][8] == "Trễ hạn"
    assert rows["HLHPN"][5] == "Chưa báo cáo" and rows["HLHPN"][9] == "Quá hạn"
    time_cell = sheet.cell(row=4, column=8)
    assert time_cell.is_date and "HH:MM" in time_cell.number_format


def test_xlsx_history_has_every_stored_update(reported: Seeded) -> None:
    sheet = workbook(reported)["Lịch sử cập nhật"]
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == stored_updates(reported) == 7
    assert all(isinstance(row[0], datetime) for row in rows)
    assert [row[0] for row in rows] == sorted(row[0] for row in rows)
    assert ("Nguyễn Văn An", "Hoàn thành", "done") in {(r[5], r[6], r[7]) for r in rows}


def test_xlsx_history_is_filtered_by_item_and_dates(reported: Seeded) -> None:
    book = workbook(
        reported, item_code="BC-6T-2021", since=date(2021, 5, 28), until=date(2021, 5, 30)
    )
    assert book.sheetnames == ["Tổng hợp", "BC-6T-2021", "Lịch sử cập nhật"]
    rows = list(book["Lịch sử cập nhật"].iter_rows(min_row=2, values_only=True))
    # 28/5 15:30 SNV, 29/5 SYT, 30/5 23:59 UBND-DONGXOAI (the last day is included)
    assert [r[3] for r in rows] == ["SNV", "SYT", "UBND-DONGXOAI"]


def test_xlsx_history_longer_than_a_sheet_continues_on_the_next(
    reported: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.reports.xlsx.SHEET_ROWS_MAX", 4)  # a header and 3 updates
    book = workbook(reported)
    history = [name for name in book.sheetnames if name.startswith("Lịch sử")]
    assert history == ["Lịch sử cập nhật", "Lịch sử cập nhật~2", "Lịch sử cập nhật~3"]
    rows = [r for name in history for r in book[name].iter_rows(min_row=2, values_only=True)]
    assert len(rows) == stored_updates(reported)


def test_xlsx_summary_counts_and_on_time_rates(reported: Seeded) -> None:
    sheet = workbook(reported)["Tổng hợp"]
    assert sheet.freeze_panes == "A5"
    rows = list(sheet.iter_rows(min_row=5, values_only=True))
    first = rows[0]
    assert first[:4] == ("BC-6T-2021", first[1], datetime(2021, 5, 30), 28)
    assert first[4:10] == (3, 1, 1, 0, 23, 25)
    rates = {row[0]: row for row in rows if row[0] in ("SNV", "SKHDT")}
    assert rates["SNV"][2:5] == (1, 1, 1.0)
    assert rates["SKHDT"][2:5] == (0, 1, 0.0)


def test_sheet_names_are_valid_and_unique() -> None:
    taken: set[str] = set()
    long = sheet_title("BC/Q:1*2?[x]" + "y" * 40, taken)
    assert len(long) <= SHEET_NAME_MAX and not set("[]:*?/\\") & set(long)
    assert sheet_title("Tổng hợp", taken) == "Tổng hợp"
    assert sheet_title("tổng hợp", taken) == "tổng hợp~2"


def document(status: PlanStatus) -> DocxDocument:
    return docx.Document(io.BytesIO(export_docx(status)))


@pytest.fixture
def report_status(reported: Seeded) -> PlanStatus:
    with reported.session() as session:
        return plan_status(session, plan_id=reported.plan_id, now=NOW)


def test_docx_heading_block_follows_decree_30(report_status: PlanStatus) -> None:
    heading = document(report_status).tables[0]
    left = [p.text for p in heading.cell(0, 0).paragraphs if p.text]
    right = [p.text for p in heading.cell(0, 1).paragraphs if p.text]
    assert left == ["UBND TỈNH BÌNH PHƯỚC", "SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI"]
    assert right == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert heading.cell(1, 0).text.replace(" ", "") == "Số:/BC-SLĐTBXH"
    place = heading.cell(1, 1).paragraphs[0]
    assert place.text.startswith("Bình Phước, ngày") and place.text.endswith("năm 2021")
    assert all(run.italic for run in place.runs)


def test_docx_dates_the_report_when_asked(report_status: PlanStatus) -> None:
    doc = docx.Document(io.BytesIO(export_docx(report_status, dated=date(2021, 6, 5))))
    assert doc.tables[0].cell(1, 1).text == "Bình Phước, ngày 05 tháng 6 năm 2021"


def test_docx_title_sections_and_agency_reports(report_status: PlanStatus) -> None:
    texts = [p.text for p in document(report_status).paragraphs]
    assert "BÁO CÁO" in texts
    assert "I. TÌNH HÌNH THỰC HIỆN" in texts
    assert "1. Mục V.1 của Kế hoạch" in texts and "2. Mục IV.1 của Kế hoạch" in texts
    assert any(t.startswith("- Sở Nội vụ (hoàn thành, 28/05/2021): Đã gửi văn bản") for t in texts)
    assert "Nơi nhận:" in document(report_status).tables[-1].cell(0, 0).text


def test_docx_compliance_table_has_a_row_per_agency(report_status: PlanStatus) -> None:
    table = document(report_status).tables[1]
    header = [c.text for c in table.rows[0].cells]
    assert header[:2] == ["STT", "Cơ quan, đơn vị"]
    assert header[2].startswith("BC-6T-2021") and header[3].startswith("BC-NAM-2021")
    rows = {row.cells[1].text: row for row in table.rows[1:]}
    assert len(rows) == 28
    assert rows["Sở Nội vụ"].cells[2].text == "Hoàn thành\n15:30 28/05/2021\nĐúng hạn"
    assert rows["Sở Kế hoạch và Đầu tư"].cells[2].text.endswith("Trễ hạn")
    assert rows["Hội Liên hiệp Phụ nữ tỉnh"].cells[2].text == "Chưa báo cáo\nTrễ hạn"


def test_docx_lists_blocked_items_for_the_leadership(report_status: PlanStatus) -> None:
    texts = [p.text for p in document(report_status).paragraphs]
    start = texts.index("III. KHÓ KHĂN, VƯỚNG MẮC ĐỀ NGHỊ LÃNH ĐẠO QUAN TÂM, CHỈ ĐẠO")
    blocked = texts[start + 1]
    assert blocked.startswith("- Sở Y tế (BC-6T-2021")
    assert blocked.endswith(
        "Chưa có số liệu của các bệnh viện tuyến huyện; đề nghị gia hạn đến 10/6"
    )


def test_docx_is_times_new_roman_13_to_14_pt_throughout(report_status: PlanStatus) -> None:
    doc = document(report_status)
    paragraphs = list(doc.paragraphs)
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                paragraphs.extend(cell.paragraphs)
    runs = [run for p in paragraphs for run in p.runs if run.text.strip()]
    assert len(runs) > 100
    assert {run.font.name for run in runs} == {"Times New Roman"}
    assert {run.font.size.pt for run in runs} <= {13.0, 14.0}  # type: ignore[union-attr]
    section = doc.sections[0]
    assert round(section.page_width.cm, 1) == 21.0  # type: ignore[union-attr]
    assert round(section.left_margin.cm, 1) == 3.0  # type: ignore[union-attr]


def test_csv_has_a_bom_and_round_trips_vietnamese(reported: Seeded) -> None:
    content = export(reported, ExportFormat.csv)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert rows[0][0] == "Thời gian" and "Ghi chú" in rows[0]  # a Vietnamese header
    assert len(rows) - 1 == stored_updates(reported)
    blocked = next(r for r in rows if r[3] == "SYT")
    assert blocked[0] == "2021-05-29 16:00:00"  # Vietnam time
    assert blocked[6:9] == [
        "Gặp vướng mắc",
        "blocked",
        "Chưa có số liệu của các bệnh viện tuyến huyện; đề nghị gia hạn đến 10/6",
    ]


def test_csv_history_can_be_cut_by_dates(reported: Seeded) -> None:
    content = export(reported, ExportFormat.csv, since=date(2021, 5, 31))
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert [r[3] for r in rows[1:]] == ["SKHDT"]  # the only update on or after 31/5
