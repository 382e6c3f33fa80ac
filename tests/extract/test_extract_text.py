"""Normalisation, time expressions and agency names, one behaviour per test."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.extract.agencies import AgencyFinder
from bot.extract.normalize import normalise
from bot.extract.registry import make_code
from bot.extract.timex import find_times


def test_it_normalises_nfd_and_old_tone_placement() -> None:
    raw = unicodedata.normalize("NFD", "Cộng hoà, thuỷ lợi, khoẻ, quý, hoàng, Uỷ ban")
    assert normalise(raw).text == "Cộng hòa, thủy lợi, khỏe, quý, hoàng, Ủy ban"


def test_it_drops_bold_markers_and_rejoins_broken_sentences() -> None:
    text = normalise("gửi trước ngày **30/5/2021**.\n\nmục tiêu, chỉ\n\ntiêu của\n- Xây dựng").text
    assert text == "gửi trước ngày 30/5/2021.\nmục tiêu, chỉ tiêu của\n- Xây dựng"


def test_a_date_after_a_dangling_ngay_is_rejoined() -> None:
    assert (
        normalise("số 337/CTPH ngày\n\n31/12/2019 giữa").text == "số 337/CTPH ngày 31/12/2019 giữa"
    )


def test_offsets_point_back_into_the_original() -> None:
    raw = "**Báo cáo** gửi\n\ntrước ngày 30/5/2021"
    doc = normalise(raw)
    at = doc.text.index("30/5/2021")
    start, end = doc.source_span(at, at + len("30/5/2021"))
    assert raw[start:end] == "30/5/2021"


@given(st.text(alphabet="aăâeêoôơuưỵ̀́̉̃ \n*-/0123456789ĐđQq", max_size=200))
def test_normalise_keeps_a_monotonic_offset_map(raw: str) -> None:
    doc = normalise(raw)
    assert len(doc.origin) == len(doc.text) + 1
    assert all(a <= b for a, b in zip(doc.origin, doc.origin[1:], strict=False))
    assert doc.origin[-1] == len(raw)


@pytest.mark.parametrize(
    ("text", "form", "starts", "due"),
    [
        ("gửi trước ngày 30/11/2021", "date", None, date(2021, 11, 30)),
        ("chậm nhất ngày 15 tháng 12 năm 2021", "date", None, date(2021, 12, 15)),
        ("trước ngày 20/6", "date", None, date(2021, 6, 20)),
        ("từ 15/11 đến 15/12", "window", date(2021, 11, 15), date(2021, 12, 15)),
        ("từ 15/11-15/12/2021", "window", date(2021, 11, 15), date(2021, 12, 15)),
        ("từ ngày 15/12/2025 đến ngày 15/02/2026", "window", date(2025, 12, 15), date(2026, 2, 15)),
        ("từ tháng 3 đến tháng 11 năm 2021", "window", date(2021, 3, 1), date(2021, 11, 30)),
        ("trong tháng 6", "period", None, date(2021, 6, 30)),
        ("trong Quý III/2021", "period", None, date(2021, 9, 30)),
        ("trước ngày 15 tháng 12 hằng năm", "recurring", None, date(2021, 12, 15)),
        ("định kỳ hằng quý", "recurring", None, None),
        ("báo cáo 6 tháng, năm", "recurring", None, None),
        ("(sau khi Chính phủ phê duyệt)", "relative", None, None),
        ("Thường xuyên theo dõi", "continuous", None, None),
    ],
)
def test_it_reads_each_phrase_form(text: str, form: str, starts: date, due: date) -> None:
    [expr] = find_times(text, 2021)
    assert (expr.form, expr.starts, expr.due) == (form, starts, due)


@pytest.mark.parametrize(
    ("cell", "starts", "due"),
    [
        ("Xong trong Quý II/2026", None, date(2026, 6, 30)),
        ("Trong năm 2026", None, date(2026, 12, 31)),
        ("2024 - 2025", date(2024, 1, 1), date(2025, 12, 31)),
        ("Hàng năm", None, None),
    ],
)
def test_it_reads_appendix_time_cells(cell: str, starts: date | None, due: date | None) -> None:
    [expr] = find_times(cell, 2024, table=True)
    assert (expr.starts, expr.due) == (starts, due)


@pytest.mark.parametrize(
    "text",
    [
        "Căn cứ Nghị định số 55/2009/NĐ-CP ngày 10/6/2009 của Chính phủ;",
        "Thực hiện Công văn số 356/LĐTBXH-BĐG ngày 01/02/2021 của Bộ",
        "giai đoạn 2021-2025 (Kế hoạch số 49/KH-UBND ngày 19/02/2021)",
        "Chiến lược phát triển đến năm 2030, tầm nhìn đến năm 2045",
        "Đại biểu HĐND các cấp nhiệm kỳ 2021-2026",
        "theo Luật Bảo vệ môi trường ngày 17 tháng 11 năm 2020",
    ],
)
def test_references_horizons_and_periods_in_names_are_not_deadlines(text: str) -> None:
    assert find_times(text, 2021, table=True) == []


def test_it_expands_abbreviations_and_drops_de_nghi() -> None:
    finder = AgencyFinder("tinh")
    names = [m.name for m in finder.subjects("4. Đề nghị Sở LĐTBXH, Sở KH&ĐT và Sở GD&ĐT: …")]
    assert names == [
        "Sở Lao động - Thương binh và Xã hội",
        "Sở Kế hoạch và Đầu tư",
        "Sở Giáo dục và Đào tạo",
    ]


def test_it_splits_a_sector_list_and_keeps_standalone_agencies() -> None:
    heading = (
        "9. Các sở, ngành: Y tế; Văn hóa, Thể thao và Du lịch; Ban Dân tộc; Công an tỉnh, "
        "Cục Thống kê và các Sở, ban, ngành liên quan xây dựng kế hoạch"
    )
    names = [m.name for m in AgencyFinder("tinh").subjects(heading)]
    assert names == [
        "Sở Y tế",
        "Sở Văn hóa, Thể thao và Du lịch",
        "Ban Dân tộc tỉnh",
        "Công an tỉnh",
        "Cục Thống kê tỉnh",
    ]


def test_it_keeps_district_committees_as_a_group() -> None:
    [mention] = AgencyFinder("tinh").subjects("12. UBND các huyện, thị xã, thành phố: xây dựng")
    assert (mention.name, mention.group) == ("UBND các huyện, thị xã, thành phố", "huyen")


def test_a_level_word_follows_the_plan_level() -> None:
    assert [m.name for m in AgencyFinder("xa").find("Hội LHPN, Công an xã")] == [
        "Hội Liên hiệp Phụ nữ xã",
        "Công an xã",
    ]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Sở Lao động - Thương binh và Xã hội", "SLDTBXH"),
        ("Hội Liên hiệp Phụ nữ tỉnh", "HLHPN"),
        ("Công an tỉnh", "CAT"),
        ("Văn phòng UBND tỉnh", "VPUBND"),
        ("Đài Phát thanh - Truyền hình tỉnh", "DPTTH"),
    ],
)
def test_codes_are_ascii_initials(name: str, code: str) -> None:
    assert make_code(name) == code
