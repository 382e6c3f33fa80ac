"""Read a plan document end to end: text → header, agencies, deadlines (an ``Extraction``)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from bot.extract.agencies import AgencyFinder
from bot.extract.appendix import appendix_deadlines
from bot.extract.context import Context
from bot.extract.deadlines import prose_deadlines
from bot.extract.errors import ExtractError
from bot.extract.header import read_header
from bot.extract.model import Extraction
from bot.extract.normalize import normalise
from bot.extract.readers import read_document
from bot.extract.responsibility import read_entries
from bot.extract.structure import Paragraph, paragraphs

_BODY = re.compile(r"(?:Căn cứ|Thực hiện|Nhằm|Để|Trên cơ sở|[IVX]{1,4}\.\s)")


def extract_file(path: Path) -> Extraction:
    """Read ``path`` (.txt, .docx, text .pdf) and extract it; ``ExtractError`` if unreadable."""
    return extract_text(read_document(path), path.name)


def extract_text(raw: str, source: str = "<text>") -> Extraction:
    """Extract the header, agencies and deadlines of the plan in ``raw``."""
    if not raw.strip():
        raise ExtractError(f"{source}: no text found in the document")
    doc = normalise(raw)
    header, level = read_header(doc)
    year = header.year.value if isinstance(header.year.value, int) else date.today().year
    issued = date.fromisoformat(str(header.issued_on.value)) if header.issued_on.value else None
    ctx = Context(
        doc, year, AgencyFinder(level), issuer=str(header.issuer.value or ""), issued=issued
    )
    paras = paragraphs(doc.text)
    if not any(p.part for p in paras) and not any(p.appendix for p in paras):
        _require_plan_shape(paras, source)
    read_entries(ctx, paras)
    deadlines = prose_deadlines(ctx, paras, _body_start(paras))
    deadlines += appendix_deadlines(ctx, paras)
    return Extraction(source, header, ctx.registry.agencies, deadlines, ctx.coordinator, level)


def _body_start(paras: list[Paragraph]) -> int:
    """Index of the first body paragraph: the heading block's dates are not deadlines."""
    title = next((i for i, p in enumerate(paras) if p.text.strip() == "KẾ HOẠCH"), -1)
    for index in range(title + 1, len(paras)):
        if _BODY.match(paras[index].text) or paras[index].heading:
            return index
    return title + 1


def _require_plan_shape(paras: list[Paragraph], source: str) -> None:
    """A text with no plan structure at all is refused rather than drafted from noise."""
    if not any(p.heading for p in paras) and not any("Số" in p.text for p in paras[:10]):
        raise ExtractError(
            f"{source}: does not look like a plan (no 'Số: …/KH-…' line and no numbered sections)"
        )
