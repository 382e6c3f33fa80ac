"""Read a plan document into text: ``.txt`` (UTF-8), ``.docx`` (with tables), text ``.pdf``.

Every failure becomes an ``ExtractError`` with a one-line reason; the size is checked
before anything is read so a huge file never reaches memory.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from bot.extract.errors import ExtractError

MAX_BYTES = 50 * 1024 * 1024
SUFFIXES = (".txt", ".docx", ".pdf")


def read_document(path: Path) -> str:
    """The document's text, or ``ExtractError`` saying why it cannot be read."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ExtractError(
            f"{path.name}: unsupported file type {suffix or '(none)'!r}; "
            f"expected one of {', '.join(SUFFIXES)}"
        )
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ExtractError(f"{path}: file not found") from None
    if size > MAX_BYTES:
        raise ExtractError(
            f"{path.name}: file is {size / 1024 / 1024:.0f} MB, "
            f"larger than the {MAX_BYTES // 1024 // 1024} MB limit"
        )
    if size == 0:
        raise ExtractError(f"{path.name}: file is empty")
    reader = {".txt": _read_txt, ".docx": _read_docx, ".pdf": _read_pdf}[suffix]
    text = reader(path)
    if not text.strip():
        raise ExtractError(f"{path.name}: no text found in the document")
    return text


def _read_txt(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data:
        raise ExtractError(f"{path.name}: looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")  # tolerate a BOM, as Windows editors write one
    except UnicodeDecodeError:
        raise ExtractError(f"{path.name}: not UTF-8 text (save it as UTF-8 and retry)") from None


def _read_docx(path: Path) -> str:
    from docx import Document  # imported here: only .docx input needs it

    try:
        document = Document(str(path))
    except Exception:  # python-docx raises many types on damaged files
        raise ExtractError(f"{path.name}: not a valid .docx document") from None
    return "\n".join(_docx_blocks(document))


def _docx_blocks(document: object) -> Iterator[str]:
    """Paragraphs and table rows in document order; a row becomes one ``a | b | c`` line."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for block in document.iter_inner_content():  # type: ignore[attr-defined]
        if isinstance(block, Paragraph):
            yield block.text
        elif isinstance(block, Table):
            for row in block.rows:
                cells = [" ".join(cell.text.split()) for cell in row.cells]
                yield " | ".join(dict.fromkeys(cells))  # merged cells repeat: keep one


def _read_pdf(path: Path) -> str:
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)  # its warnings would bury our error
    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception:  # pypdf raises many types on damaged files
        raise ExtractError(f"{path.name}: not a readable PDF") from None
    text = "\n".join(pages)
    if not text.strip():
        raise ExtractError(f"{path.name}: the PDF has no text layer (a scan?); run OCR on it first")
    return text
