"""Agency names, abbreviations and groups: data, not code.

Provinces merge (63 → 34 in 2025), districts disappear and departments are renamed; when
that happens, edit these tables. Nothing here names a single province's agencies, and the
extractor never matches a name that is not in a table or shaped like one (``Vụ …``).
"""

from __future__ import annotations

from dataclasses import dataclass

# Sector names written after "Sở" (province), "Phòng" (district, commune after 2025) or "Bộ"
# (ministry), with the abbreviations documents use for them ("Sở LĐTBXH", "Sở KH&ĐT").
SECTORS: dict[str, tuple[str, ...]] = {
    "Lao động - Thương binh và Xã hội": ("LĐTBXH", "LĐ-TB&XH", "LĐTB&XH", "LĐ-TBXH"),
    "Kế hoạch và Đầu tư": ("KH&ĐT", "KHĐT", "KH-ĐT"),
    "Giáo dục và Đào tạo": ("GD&ĐT", "GDĐT", "GD-ĐT"),
    "Thông tin và Truyền thông": ("TT&TT", "TTTT", "TT-TT"),
    "Văn hóa, Thể thao và Du lịch": ("VHTTDL", "VH,TT&DL", "VHTT&DL", "VH-TT-DL"),
    "Văn hóa, Khoa học và Thông tin": ("VHKH&TT", "VH-KH-TT"),
    "Văn hóa và Thông tin": ("VH&TT", "VHTT"),
    "Văn hóa - Xã hội": ("VH-XH", "VHXH"),
    "Khoa học và Công nghệ": ("KH&CN", "KHCN", "KH-CN"),
    "Nông nghiệp và Phát triển nông thôn": ("NN&PTNT", "NNPTNT", "NN-PTNT"),
    "Nông nghiệp và Môi trường": ("NN&MT", "NNMT", "NN-MT"),
    "Tài nguyên và Môi trường": ("TN&MT", "TNMT", "TN-MT"),
    "Tài chính - Kế hoạch": ("TC-KH", "TCKH"),
    "Kinh tế - Hạ tầng": ("KT-HT", "KTHT"),
    "Kinh tế, Hạ tầng và Đô thị": ("KT,HT&ĐT",),
    "Giao thông vận tải": ("GTVT",),
    "Dân tộc và Tôn giáo": ("DT&TG",),
    "Công Thương": ("CT",),
    "Xây dựng": (),
    "Y tế": (),
    "Tài chính": (),
    "Tư pháp": (),
    "Nội vụ": (),
    "Ngoại vụ": (),
    "Kinh tế": (),
    "Tài nguyên - Môi trường": (),
    "Giáo dục": (),
}
SECTOR_HEADS = ("Sở", "Phòng", "Bộ")


@dataclass(frozen=True)
class Known:
    """An agency whose name is the same everywhere except for the level word after it.

    ``leveled`` agencies take the plan's level ("Công an" → "Công an tỉnh" in a
    provincial plan, "Công an xã" in a commune plan).
    """

    name: str
    aliases: tuple[str, ...] = ()
    leveled: bool = True
    code: str | None = None
    needs_level: bool = False  # "Công an" alone is not a name; "Công an tỉnh" is


KNOWN: tuple[Known, ...] = (
    Known("Ban Dân tộc"),
    Known("Công an", needs_level=True),
    Known("Cục Thống kê"),
    Known("Chi cục Thống kê"),
    Known("Thống kê", needs_level=True),
    Known("Đài Phát thanh - Truyền hình", ("Đài PT-TH", "Đài PTTH")),
    Known("Đài Phát thanh", ("Đài truyền thanh",)),
    Known("Trung tâm Văn hóa, Thể thao và Truyền thông", ("Trung tâm VH-TT&TT",)),
    Known("Hội Liên hiệp Phụ nữ", ("Hội LHPN", "Hội Phụ nữ")),
    Known(
        "Ủy ban Mặt trận Tổ quốc Việt Nam",
        (
            "UBMTTQ Việt Nam",
            "UBMTTQVN",
            "UBMTTQ",
            "Ủy ban MTTQ Việt Nam",
            "Ủy ban MTTQ",
            "Mặt trận Tổ quốc Việt Nam",
            "Mặt trận Tổ quốc",
            "MTTQ Việt Nam",
        ),
        code="MTTQ",
    ),
    Known("Văn phòng HĐND và UBND", ("Văn phòng Hội đồng nhân dân và Ủy ban nhân dân",)),
    Known("Văn phòng UBND", ("Văn phòng Ủy ban nhân dân",)),
    Known("Văn phòng Đảng ủy", ()),
    Known(
        "Đoàn Thanh niên Cộng sản Hồ Chí Minh",
        ("Đoàn TNCS Hồ Chí Minh", "Đoàn Thanh niên"),
        code="DTN",
    ),
    Known("Tỉnh đoàn", leveled=False),
    Known("Huyện đoàn", leveled=False),
    Known("Liên đoàn Lao động", ("LĐLĐ",)),
    Known("Hội Nông dân", ()),
    Known("Hội Cựu chiến binh", ("Hội CCB",)),
    Known("Bảo hiểm xã hội", ("BHXH",)),
    Known("Bộ Chỉ huy Quân sự", ("Bộ CHQS",)),
    Known("Ban Chỉ huy Quân sự", ("Ban CHQS",)),
    Known("Bộ Chỉ huy Bộ đội Biên phòng", ("BCH BĐBP",)),
    Known("Trung tâm Y tế", ()),
    Known("Trạm Y tế", ()),
    Known("Trung tâm Phục vụ hành chính công", ()),
    Known("Ngân hàng Chính sách xã hội", ("NHCSXH",)),
    Known("Kho bạc Nhà nước", ()),
    Known("Văn phòng Bộ", leveled=False),
    Known("Thanh tra Bộ", leveled=False),
    Known("Thanh tra", needs_level=True),
    Known("Công chức Văn hóa - Xã hội", ("công chức Văn hóa - Xã hội",), leveled=False),
    Known("Công chức Tư pháp - Hộ tịch", ("công chức Tư pháp - Hộ tịch",), leveled=False),
    Known("Công chức Địa chính - Xây dựng", ("công chức Địa chính - Xây dựng",), leveled=False),
)

# Collective entries kept as groups: (group code, canonical name, pattern of the phrase).
GROUPS: tuple[tuple[str, str, str], ...] = (
    (
        "huyen",
        "UBND các huyện, thị xã, thành phố",
        r"(?:UBND|Ủy ban nhân dân|Chủ tịch UBND) (?:các )?huyện(?:, thị xã)?(?:, thành phố)?"
        r"(?: trực thuộc tỉnh)?",
    ),
    (
        "xa",
        "UBND các xã, phường, thị trấn",
        r"(?:UBND|Ủy ban nhân dân|Chủ tịch UBND) (?:các )?xã(?:, thị trấn)?(?:, phường)?"
        r"(?:, thị trấn)?(?:, đặc khu)?",
    ),
    (
        "thon",
        "Các thôn, ấp, khu phố",
        r"(?:[Tt]rưởng |[Cc]ác )(?:các )?(?:thôn|ấp|khu phố|tổ dân phố)"
        r"(?:, (?:ấp|bản|khu phố|tổ dân phố|buôn))*",
    ),
    (
        "so-tinh",
        "Sở {sector} các tỉnh, thành phố trực thuộc Trung ương",
        r"Sở (?P<sector>[^,;:()]+?) các tỉnh, thành phố(?: trực thuộc Trung ương)?",
    ),
    (
        "truong",
        "Các trường học",
        r"[Cc]ác trường (?:mầm non, )?(?:tiểu học|học)(?:, trung học cơ sở)?",
    ),
)

# Words after which an agency is a recipient or a guide, not a responsible body.
RECIPIENT_MARKERS = ("gửi về", "gửi", "về", "qua", "cho", "trình", "lên", "tới", "của", "theo")

# Verbs that end the subject of an entry ("Sở Y tế chủ trì …").
SUBJECT_ENDS = (
    "chủ trì",
    "phối hợp",
    "có trách nhiệm",
    "xây dựng",
    "tổ chức",
    "triển khai",
    "thực hiện",
    "tham mưu",
    "theo dõi",
    "hướng dẫn",
    "chỉ đạo",
    "căn cứ",
    "báo cáo",
    "rà soát",
    "tuyên truyền",
    "bố trí",
    "đôn đốc",
    "là cơ quan",
    "được giao",
    "giao",
    "tiếp tục",
    "chịu trách nhiệm",
)

# Head words of agency names the table does not know ("Vụ Pháp chế", "Cục Biến đổi khí hậu").
GENERIC_HEADS = (
    "Tổng cục",
    "Chi cục",
    "Cục",
    "Vụ",
    "Viện",
    "Trung tâm",
    "Văn phòng",
    "Ban Quản lý",
    "Ban",
    "Phòng",
    "Sở",
    "Hội",
    "Báo",
    "Tạp chí",
    "Đài",
    "Trường",
    "Trạm",
    "Thanh tra",
)

LEVEL_WORDS = {"tinh": "tỉnh", "huyen": "huyện", "xa": "xã", "bo": ""}
