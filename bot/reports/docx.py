"""The DOCX export: a draft consolidated report laid out per Nghị định 30/2020/NĐ-CP.

The document is a Vietnamese administrative form addressed to the plan's issuer, so its
wording is Vietnamese whatever the reader's locale: the fixed phrases of the form are
written here, the status labels come from ``bot.reports.messages`` in Vietnamese.
Layout: heading block, "BÁO CÁO" and subject, I. what each agency reported (a part per
plan section), II. reporting compliance (agency × report item table), III. blocked items
for the leadership's attention, closing line, recipients and signature placeholder.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date

from docx.document import Document as DocxDocument
from docx.shared import Cm
from docx.table import _Cell

from bot.i18n import TZ, Translator
from bot.reports.docx_layout import (
    CENTER,
    SMALL_PT,
    heading_block,
    keep_together,
    new_document,
    para,
    repeat_header,
    run_in,
    set_widths,
    signature_block,
)
from bot.reports.messages import on_time_label, status_label
from bot.reports.status import NO_UPDATE, AgencyStatus, ItemStatus, PlanStatus
from storage.models import Status

ITEMS_PER_TABLE = 3  # report items side by side in the compliance table before it splits
VI = Translator("vi")


def export_docx(
    status: PlanStatus, *, dated: date | None = None, signer: str = "GIÁM ĐỐC"
) -> bytes:
    """The draft report as DOCX bytes; ``dated`` fills the date line (blank for the office)."""
    document = new_document()
    heading_block(
        document,
        issuer=status.issuer,
        coordinator=status.coordinator,
        place=status.place or "",
        dated=dated,
        year=(dated or status.now.astimezone(TZ).date()).year,
    )
    _title(document, status)
    _results(document, status)
    _compliance(document, status)
    _blocked(document, status)
    para(
        document,
        f"Trên đây là báo cáo tổng hợp tình hình thực hiện Kế hoạch số {status.code}"
        f" của {status.coordinator or status.issuer}./.",
        first_line_cm=1,
    )
    signature_block(
        document,
        signer=signer,
        recipients=[
            f"- {_short_issuer(status.issuer)} (để báo cáo);",
            "- Các cơ quan, đơn vị có tên tại Mục II;",
            "- Lưu: VT.",
        ],
    )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _short_issuer(issuer: str) -> str:
    return issuer.replace("Ủy ban nhân dân", "UBND").replace("Uỷ ban nhân dân", "UBND")


def _title(document: DocxDocument, status: PlanStatus) -> None:
    para(document, "", space_after=6)
    para(document, "BÁO CÁO", bold=True, align=CENTER, space_after=0)
    subject = (
        f"Tình hình thực hiện Kế hoạch số {status.code} ngày "
        f"{status.issued_on.strftime('%d/%m/%Y')} của {status.issuer}"
    )
    if status.item is not None and status.items:
        subject = _subject_from_title(status.items[0].title)
    para(document, subject, bold=True, align=CENTER, space_after=0)
    para(
        document,
        f"(Số liệu tổng hợp đến {VI.datetime(status.now)})",
        italic=True,
        align=CENTER,
        space_after=12,
    )
    about = status.title[:1].lower() + status.title[1:]
    para(
        document,
        f"Thực hiện Kế hoạch số {status.code} ngày "
        f"{status.issued_on.strftime('%d/%m/%Y')} của {status.issuer} về {about}, "
        f"{status.coordinator or 'cơ quan chủ trì'} tổng hợp tình hình thực hiện và báo cáo "
        "của các cơ quan, đơn vị như sau:",
        first_line_cm=1,
    )


def _subject_from_title(title: str) -> str:
    """ "Báo cáo công tác X" → "Công tác X" (the word BÁO CÁO is already the title)."""
    rest = title[len("Báo cáo ") :] if title.lower().startswith("báo cáo ") else title
    return rest[:1].upper() + rest[1:]


def _sections(items: list[ItemStatus]) -> Iterator[tuple[str | None, list[ItemStatus]]]:
    """Items grouped by plan section, sections in the order they first appear."""
    groups: dict[str | None, list[ItemStatus]] = {}
    for item in items:
        groups.setdefault(item.section, []).append(item)
    yield from groups.items()


def _results(document: DocxDocument, status: PlanStatus) -> None:
    para(document, "I. TÌNH HÌNH THỰC HIỆN", bold=True, first_line_cm=1)
    for number, (section, items) in enumerate(_sections(status.items), start=1):
        where = f"Mục {section} của Kế hoạch" if section else "Các nội dung khác"
        para(document, f"{number}. {where}", bold=True, first_line_cm=1)
        for item in items:
            _item_results(document, item)


def _item_results(document: DocxDocument, item: ItemStatus) -> None:
    due = f"; thời hạn {item.due.strftime('%d/%m/%Y')}" if item.due else ""
    if not any(a.reported for a in item.agencies):
        names = ", ".join(a.name for a in item.agencies)
        paragraph = para(document, f"{item.title} ({item.code}{due})", italic=True, first_line_cm=1)
        run_in(paragraph, f": chưa có báo cáo của {names}.")
        return
    para(document, f"{item.title} ({item.code}{due}):", italic=True, first_line_cm=1)
    for agency in item.agencies:
        if agency.reported:
            para(document, _reported_line(agency), first_line_cm=1, space_after=3)
    silent = item.with_status(NO_UPDATE)
    if silent:
        names = ", ".join(a.name for a in silent)
        para(document, f"- Chưa báo cáo ({len(silent)}): {names}.", first_line_cm=1)


def _reported_line(agency: AgencyStatus) -> str:
    when = agency.updated_at.astimezone(TZ).strftime("%d/%m/%Y") if agency.updated_at else ""
    note = f": {agency.note.rstrip('.')}" if agency.note else ""
    return f"- {agency.name} ({status_label(VI, agency.status).lower()}, {when}){note}."


def _compliance(document: DocxDocument, status: PlanStatus) -> None:
    para(document, "II. TÌNH HÌNH CHẤP HÀNH CHẾ ĐỘ BÁO CÁO", bold=True, first_line_cm=1)
    reports = status.report_items
    if not reports:
        para(document, "Kế hoạch không có nội dung báo cáo định kỳ.", first_line_cm=1)
        return
    for item in reports:
        para(document, _compliance_sentence(item), first_line_cm=1)
    for start in range(0, len(reports), ITEMS_PER_TABLE):
        compliance_table(document, reports[start : start + ITEMS_PER_TABLE])


def _compliance_sentence(item: ItemStatus) -> str:
    done = item.counts[Status.DONE.value]
    on_time = sum(1 for a in item.agencies if a.on_time)
    late = sum(1 for a in item.agencies if a.on_time is False and a.reported)
    return (
        f"- {item.title}: {done}/{len(item.agencies)} cơ quan, đơn vị đã hoàn thành "
        f"({on_time} đúng hạn, {late} trễ hạn); {item.counts[NO_UPDATE]} chưa báo cáo; "
        f"{len(item.overdue)} quá hạn."
    )


def compliance_table(document: DocxDocument, items: list[ItemStatus]) -> None:
    """One row per agency, one column per report item: status, time, on time or late."""
    agencies: dict[str, str] = {}
    cells: dict[tuple[str, str], AgencyStatus] = {}
    for item in items:
        for agency in item.agencies:
            agencies.setdefault(agency.code, agency.name)
            cells[(item.code, agency.code)] = agency
    table = document.add_table(rows=1, cols=2 + len(items))
    table.style = "Table Grid"
    headers = ["STT", "Cơ quan, đơn vị", *(f"{i.code} (hạn {_due(i)})" for i in items)]
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        _cell_text(cell, text, bold=True)
    repeat_header(table.rows[0])
    for number, (code, name) in enumerate(agencies.items(), start=1):
        added = table.add_row()
        keep_together(added)
        row = added.cells
        _cell_text(row[0], str(number))
        _cell_text(row[1], name, align=None)
        for cell, item in zip(row[2:], items, strict=True):
            found = cells.get((item.code, code))
            _cell_text(cell, _compliance_cell(found) if found else "—")
    set_widths(table, [1.4, 5.3] + [9.8 / len(items)] * len(items))
    para(document, "", space_after=6)


def _due(item: ItemStatus) -> str:
    return item.due.strftime("%d/%m/%Y") if item.due else "không có"


def _compliance_cell(agency: AgencyStatus) -> str:
    lines = [status_label(VI, agency.status)]
    if agency.updated_at is not None:
        lines.append(agency.updated_at.astimezone(TZ).strftime("%H:%M %d/%m/%Y"))
    label = on_time_label(VI, agency.on_time)
    if label:
        lines.append(label)
    return "\n".join(lines)


def _cell_text(cell: _Cell, text: str, *, bold: bool = False, align: int | None = CENTER) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Cm(0)
    for index, line in enumerate(text.split("\n")):
        if index:
            paragraph = cell.add_paragraph()
            paragraph.alignment = align
        run_in(paragraph, line, bold=bold, size=SMALL_PT)


def _blocked(document: DocxDocument, status: PlanStatus) -> None:
    para(
        document,
        "III. KHÓ KHĂN, VƯỚNG MẮC ĐỀ NGHỊ LÃNH ĐẠO QUAN TÂM, CHỈ ĐẠO",
        bold=True,
        first_line_cm=1,
    )
    blocked = [(item, a) for item in status.items for a in item.with_status(Status.BLOCKED.value)]
    if not blocked:
        para(document, "Chưa có cơ quan, đơn vị nào báo cáo khó khăn, vướng mắc.", first_line_cm=1)
        return
    for item, agency in blocked:
        note = agency.note or "(không nêu nội dung)"
        para(document, f"- {agency.name} ({item.code} - {item.title}): {note}", first_line_cm=1)
