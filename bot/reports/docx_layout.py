"""Page, fonts and the fixed blocks of a Vietnamese administrative document (NĐ 30/2020/NĐ-CP).

A4, margins 20/20/30/15 mm, Times New Roman 13–14 pt on every run (set on each run, not
only on the style, so no viewer falls back to another face), the two-column heading block
(issuing body | national motto, number | place and date) and the recipients/signature block.
"""

from __future__ import annotations

import re
from datetime import date

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph

FONT = "Times New Roman"
BODY_PT = 14
SMALL_PT = 13
NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
LEFT_CM, RIGHT_CM = 7.0, 10.0  # a little wider than the text: the motto fits on one line
CENTER = WD_ALIGN_PARAGRAPH.CENTER
JUSTIFY = WD_ALIGN_PARAGRAPH.JUSTIFY
Container = DocxDocument | _Cell


def new_document() -> DocxDocument:
    """An empty A4 document with NĐ 30 margins and Times New Roman 14 pt as Normal."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    _east_asian_font(normal.element)
    return document


def _east_asian_font(element: object) -> None:
    """Name the font for every script slot, so Word never substitutes one."""
    rpr = element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)


def para(
    container: Container,
    text: str = "",
    *,
    bold: bool = False,
    italic: bool = False,
    size: int = BODY_PT,
    align: int | None = JUSTIFY,
    first_line_cm: float = 0,
    space_after: float = 6,
) -> Paragraph:
    """A paragraph holding one run of ``text`` in Times New Roman ``size`` pt."""
    paragraph = container.add_paragraph()
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.space_before, fmt.space_after = Pt(0), Pt(space_after)
    if first_line_cm:
        fmt.first_line_indent = Cm(first_line_cm)
    if text:
        run_in(paragraph, text, bold=bold, italic=italic, size=size)
    return paragraph


def run_in(
    paragraph: Paragraph,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    size: int = BODY_PT,
) -> None:
    """Append a run with the document font set explicitly on it.

    The run properties are built as XML in schema order (rFonts, b, i, sz, szCs): going
    through python-docx's property setters costs ~1 ms a run, too slow for long tables.
    """
    properties = OxmlElement("w:rPr")
    fonts = OxmlElement("w:rFonts")
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), FONT)
    properties.append(fonts)
    for flag, tag in ((bold, "w:b"), (italic, "w:i")):
        if flag:
            properties.append(OxmlElement(tag))
    for tag in ("w:sz", "w:szCs"):  # half-points
        half_points = OxmlElement(tag)
        half_points.set(qn("w:val"), str(size * 2))
        properties.append(half_points)
    paragraph.add_run(text)._r.insert(0, properties)


def short_rule(cell: _Cell, width_cm: float, cell_cm: float) -> None:
    """The short horizontal line under a heading: a bottom border on an indented paragraph."""
    paragraph = para(cell, align=CENTER, space_after=8)
    side = Cm(max((cell_cm - width_cm) / 2, 0))
    paragraph.paragraph_format.left_indent = side
    paragraph.paragraph_format.right_indent = side
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)
    size = paragraph.paragraph_format
    size.line_spacing = Pt(2)


def two_columns(document: DocxDocument, rows: int) -> list[tuple[_Cell, _Cell]]:
    """A borderless table of ``rows`` × (left, right) cells at the heading widths."""
    table = document.add_table(rows=rows, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    set_widths(table, [LEFT_CM, RIGHT_CM])
    pairs = []
    for row in table.rows:
        keep_together(row)
        left, right = row.cells
        for cell in (left, right):  # drop the empty paragraph each new cell starts with
            cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
        pairs.append((left, right))
    return pairs


def set_widths(table: Table, widths_cm: list[float]) -> None:
    """Fix column widths on the grid and on every cell (Word reads one, LibreOffice the other)."""
    table.autofit = False
    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(width)


def keep_together(row: _Row) -> None:
    """Forbid a page break inside ``row`` (the signature block must not be split)."""
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def repeat_header(row: _Row) -> None:
    """Repeat ``row`` at the top of every page the table runs onto."""
    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def issuing_body_lines(issuer: str, coordinator: str | None) -> tuple[str | None, str]:
    """(superior body, issuing body), upper case: ("UBND TỈNH BÌNH PHƯỚC", "SỞ …")."""
    superior = re.sub(r"^\s*(ủy|uỷ) ban nhân dân", "UBND", issuer, flags=re.IGNORECASE)
    if coordinator is None:
        return None, superior.upper()
    return superior.upper(), coordinator.upper()


def abbreviation(name: str | None) -> str:
    """The office's symbol for the number line: "Sở Lao động - Thương binh và Xã hội" → SLĐTBXH."""
    if not name:
        return ""
    words = [w for w in re.split(r"[\s\-–,]+", name) if w and w.lower() != "và"]
    return "".join(w[0] for w in words).upper()


def nd30_date(day: date) -> str:
    """``ngày 05 tháng 02 năm 2021``: a zero before days under 10 and months 1 and 2 only."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def heading_block(
    document: DocxDocument,
    *,
    issuer: str,
    coordinator: str | None,
    place: str,
    dated: date | None,
    year: int,
    kind: str = "BC",
) -> None:
    """The two-column heading block, number line and place/date line."""
    (body, motto), (number, when) = two_columns(document, 2)
    superior, issuing = issuing_body_lines(issuer, coordinator)
    if superior:
        para(body, superior, size=SMALL_PT, align=CENTER, space_after=0)
    para(body, issuing, bold=True, size=SMALL_PT, align=CENTER, space_after=0)
    short_rule(body, 2.0, LEFT_CM)
    para(motto, NATIONAL_TITLE, bold=True, size=SMALL_PT, align=CENTER, space_after=0)
    para(motto, MOTTO, bold=True, size=BODY_PT, align=CENTER, space_after=0)
    short_rule(motto, 6.0, RIGHT_CM)
    para(number, f"Số:        /{kind}-{abbreviation(coordinator)}", size=SMALL_PT, align=CENTER)
    written = nd30_date(dated) if dated else f"ngày      tháng      năm {year}"
    para(when, f"{place}, {written}", italic=True, size=BODY_PT, align=CENTER)


def signature_block(document: DocxDocument, *, recipients: list[str], signer: str) -> None:
    """ "Nơi nhận:" with its list on the left, the signer's title and a placeholder right."""
    ((left, right),) = two_columns(document, 1)
    paragraph = para(left, align=WD_ALIGN_PARAGRAPH.LEFT, space_after=0)
    run_in(paragraph, "Nơi nhận:", bold=True, italic=True, size=SMALL_PT)
    for line in recipients:
        para(left, line, size=SMALL_PT, align=WD_ALIGN_PARAGRAPH.LEFT, space_after=0)
    para(right, signer, bold=True, size=BODY_PT, align=CENTER, space_after=0)
    para(
        right,
        "(Ký, ghi rõ họ tên, đóng dấu)",
        italic=True,
        size=SMALL_PT,
        align=CENTER,
        space_after=60,
    )
    para(right, "", size=BODY_PT, align=CENTER)
