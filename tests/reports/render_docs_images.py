"""Regenerate the pictures in docs/img from the sample plan (not a test).

    .venv/bin/python -m tests.reports.render_docs_images

Writes ``docs/img/status-chart.png`` (the 06-month report's chart on 1 June 2021) and
``docs/img/report-page1.png`` (the first page of the drafted DOCX, rendered with
LibreOffice and pdftoppm, which must be installed: ``apt-get install
libreoffice-writer-nogui poppler-utils fonts-liberation2``).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from bot.i18n import Translator
from bot.reports.chart import item_chart
from bot.reports.docx import export_docx
from bot.reports.status import PlanStatus, plan_status
from tests.reports.seed import NOW, ROOT, Seeded, add_reports, seed_database, vn

IMAGES = ROOT / "docs" / "img"
MORE_REPORTS = [  # (agency, status, day of May, note)
    ("HLHPN", "done", 26, "Đã gửi Báo cáo số 45/BC-HLHPN"),
    ("SGDDT", "done", 29, "Đã gửi qua hệ thống quản lý văn bản"),
    ("STC", "in_progress", 28, "Đang tổng hợp kinh phí đã cấp"),
    ("STTTT", "done", 27, None),
    ("SVHTTDL", "not_started", 20, "Chưa nhận được hướng dẫn mẫu biểu"),
    ("CAT", "done", 30, None),
    ("CTK", "blocked", 29, "Chưa có số liệu điều tra lao động 6 tháng"),
    ("UBND-BINHLONG", "done", 25, None),
    ("UBND-CHONTHANH", "done", 28, None),
    ("UBND-BUDANG", "in_progress", 29, "Đang lấy ý kiến các xã"),
]


def sample_status(folder: Path) -> PlanStatus:
    """The sample plan with the test updates and a few more, as on 1 June 2021, 09:00."""
    seeded: Seeded = add_reports(seed_database(folder / "baocao.db"))
    for agency, status, day, note in MORE_REPORTS:
        seeded.add_update("BC-6T-2021", agency, status, vn(2021, 5, day, 10), note)
    with seeded.session() as session:
        return plan_status(session, plan_id=seeded.plan_id, now=NOW)


def first_page_png(docx_bytes: bytes, folder: Path, target: Path) -> None:
    """DOCX → PDF (LibreOffice) → PNG of page 1 (pdftoppm, 110 dpi)."""
    source = folder / "report.docx"
    source.write_bytes(docx_bytes)
    subprocess.run(
        ["libreoffice", "--headless", "--convert-to", "pdf", "--outdir", str(folder), str(source)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "110",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(folder / "report.pdf"),
            str(folder / "page"),
        ],
        check=True,
    )
    shutil.copyfile(folder / "page.png", target)


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        status = sample_status(folder)
        report = next(i for i in status.items if i.code == "BC-6T-2021")
        (IMAGES / "status-chart.png").write_bytes(item_chart(report, Translator("vi"), now=NOW))
        first_page_png(export_docx(status), folder, IMAGES / "report-page1.png")
    print(f"Wrote {IMAGES / 'status-chart.png'} and {IMAGES / 'report-page1.png'}")


if __name__ == "__main__":
    main()
