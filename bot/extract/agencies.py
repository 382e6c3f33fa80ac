"""Find agency names in plan text and normalise them (``Sở LĐTBXH`` = ``Sở Lao động - …``).

Names come from the tables in ``agency_table``; a name only shaped like an agency
("Vụ Pháp chế") is accepted where the plan names who is responsible (entry headings,
appendix rows) and flagged for review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.extract.agency_table import (
    GENERIC_HEADS,
    GROUPS,
    KNOWN,
    LEVEL_WORDS,
    SECTOR_HEADS,
    SECTORS,
    SUBJECT_ENDS,
)

_LEVEL = r"(?:tỉnh|huyện|xã|thành phố|thị xã|phường|thị trấn|quận|đặc khu)"
_PLACE = r"(?:\s+[A-ZĐÀ-Ỹ][\wÀ-ỹ]*)*"
_UPPER = (
    "ABCDEFGHIJKLMNOPQRSTUVWXYZĐÀÁẢÃẠÂẦẤẨẪẬĂẰẮẲẴẶÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
)
_SECTORS_LONGEST = sorted(SECTORS, key=len, reverse=True)
_STOP_WORDS = {
    "Xong",
    "Hoàn",
    "Trong",
    "Năm",
    "Hàng",
    "Hằng",
    "Thường",
    "Quý",
    "Tháng",
    "Sau",
    "Các",
    "các",
    "với",
    "là",
    "trong",
    "trên",
    "tại",
    "theo",
    "để",
    "nhằm",
    "từ",
}


@dataclass
class Mention:
    """An agency (or group) named in a text, with its offsets in that text."""

    name: str
    start: int
    end: int
    group: str | None = None
    known: bool = True
    short: str | None = None
    code: str | None = None


@dataclass(frozen=True)
class _Entry:
    name: str
    short: str | None
    code: str | None
    leveled: bool
    needs_level: bool


class AgencyFinder:
    """Recognises agencies for one plan (its level decides "Công an tỉnh" vs "Công an xã")."""

    def __init__(self, level: str) -> None:
        self.level = level
        self._entries: dict[str, _Entry] = {}
        self._add_sectors(level)
        for known in KNOWN:
            short = min(known.aliases, key=len) if known.aliases else None
            short = short if short and len(short) < len(known.name) else None
            entry = _Entry(
                known.name, short, known.code, known.leveled and level != "bo", known.needs_level
            )
            for surface in (known.name, *known.aliases):
                self._entries.setdefault(surface, entry)
        self._compile()
        self._paper = re.compile(r"(?<!\w)Báo(?:\s+[A-ZĐÀ-Ỹ][\wÀ-ỹ]*)+")
        self._groups = [
            (code, name, re.compile(rf"(?<!\w){pattern}(?!\w)")) for code, name, pattern in GROUPS
        ]

    def _compile(self) -> None:
        surfaces = sorted(self._entries, key=len, reverse=True)
        alternatives = "|".join(re.escape(s) for s in surfaces)
        self._known = re.compile(
            rf"(?<![\w&])(?P<name>{alternatives})(?P<level>\s+{_LEVEL}{_PLACE})?(?![\w&])"
        )

    def learn(self, name: str) -> None:
        """Recognise ``name`` from now on: an agency an entry named though no table knows it
        ("Cục Biến đổi khí hậu") is then found in deadline sentences too."""
        if name not in self._entries:
            self._entries[name] = _Entry(name, None, None, False, False)
            self._compile()

    def _add_sectors(self, level: str) -> None:
        # A ministry ("Bộ …") is a responsible body only in a ministry's own plan; in a
        # provincial plan it is the one reports are sent to.
        heads = [h for h in SECTOR_HEADS if h != "Bộ" or level == "bo"]
        for head in heads:
            for sector, abbreviations in SECTORS.items():
                short = f"{head} {abbreviations[0]}" if abbreviations else None
                entry = _Entry(f"{head} {sector}", short, None, False, False)
                for surface in (sector, *abbreviations):
                    self._entries.setdefault(f"{head} {surface}", entry)

    def find(self, text: str, *, generic: bool = False) -> list[Mention]:
        """Agencies and groups named in ``text``, in order, without overlaps."""
        found = self._find_groups(text) + self._find_known(text)
        found += self._find_papers(text)
        if generic:
            found += self._find_generic(text, found)
        return _without_overlaps(found)

    def _find_groups(self, text: str) -> list[Mention]:
        found = []
        for code, name, pattern in self._groups:
            for match in pattern.finditer(text):
                sector = match.groupdict().get("sector")
                label = name.format(sector=sector) if sector else _group_name(match.group())
                found.append(Mention(label, match.start(), match.end(), group=code))
        return found

    def _find_known(self, text: str) -> list[Mention]:
        found = []
        for match in self._known.finditer(text):
            entry = self._entries[match["name"]]
            level = match["level"]
            if entry.needs_level and not level:
                continue
            name = entry.name
            if entry.leveled:
                word = level.split()[0] if level else LEVEL_WORDS.get(self.level, "")
                name = f"{name} {word}".strip()
            found.append(
                Mention(name, match.start(), match.end(), short=entry.short, code=entry.code)
            )
        return found

    def _find_papers(self, text: str) -> list[Mention]:
        return [Mention(m.group(), m.start(), m.end()) for m in self._paper.finditer(text)]

    def _find_generic(self, text: str, found: list[Mention]) -> list[Mention]:
        taken = [(m.start, m.end) for m in found]
        heads = "|".join(re.escape(h) for h in GENERIC_HEADS)
        extra = []
        for match in re.finditer(rf"(?<!\w)(?:{heads})(?=\s+[{_UPPER}])", text):
            if any(s <= match.start() < e for s, e in taken):
                continue
            end = _generic_end(text, match.end())
            name = " ".join(text[match.start() : end].split())
            if len(name.split()) >= 2:
                extra.append(Mention(name, match.start(), end, known=False))
                taken.append((match.start(), end))
        return extra

    def subjects(self, heading: str) -> list[Mention]:
        """The agencies an entry heading makes responsible ("3. Sở KH&ĐT: Chủ trì …")."""
        head = _subject_text(heading)
        listed = re.match(r"(?:[Cc]ác|[Cc]ơ quan)\s+(sở|Sở|phòng|Phòng|Bộ|bộ)[^:]*:\s*", head)
        if listed:
            return self._listed(head, listed)
        found = self.find(head, generic=True)
        if not found and ":" in head:  # "Thủ trưởng các đơn vị thuộc Bộ: Vụ Pháp chế, …"
            colon = head.index(":") + 1
            found = [_shift(m, colon) for m in self.find(head[colon:], generic=True)]
        return found

    def _listed(self, head: str, listed: re.Match[str]) -> list[Mention]:
        """ "Các sở, ngành: Y tế; Văn hóa, Thể thao và Du lịch; Ban Dân tộc; …" """
        kind = listed.group(1).capitalize()
        found: list[Mention] = []
        pos = listed.end()
        for chunk in head[listed.end() :].split(";"):
            offset = pos + len(chunk) - len(chunk.lstrip())
            pos += len(chunk) + 1
            found += [_shift(m, offset) for m in self._chunk(kind, chunk.strip())]
        return found

    def _chunk(self, kind: str, chunk: str) -> list[Mention]:
        """One list item: a bare sector ("Y tế" → "Sở Y tế") or agencies named in full."""
        bare = next((s for s in _SECTORS_LONGEST if chunk.startswith(s)), None)
        if bare is None:
            return self.find(chunk, generic=True)
        head = self.find(f"{kind} {bare}")
        if not head:
            return self.find(chunk, generic=True)
        first = Mention(head[0].name, 0, len(bare), short=head[0].short)
        return [first] + [_shift(m, len(bare)) for m in self.find(chunk[len(bare) :])]


def _shift(mention: Mention, offset: int) -> Mention:
    return Mention(
        mention.name,
        mention.start + offset,
        mention.end + offset,
        mention.group,
        mention.known,
        mention.short,
        mention.code,
    )


def _subject_text(heading: str) -> str:
    """The subject of an entry: before its colon, else up to its first verb."""
    text = re.sub(r"^\s*(?:\d{1,2}(?:\.\d{1,2})?\s*[.)]|[a-zđ]\)|[-+•])\s*", "", heading)
    text = re.sub(r"^(?:Đề nghị|đề nghị|Trách nhiệm của|Giao)\s+", "", text)
    colon = text.find(":")
    listed = re.match(r"(?:[Cc]ác|[Cc]ơ quan|Thủ trưởng)\s+[^:]{0,60}:", text)
    if colon != -1 and not listed and colon < 160:
        return text[:colon]
    lower = text.lower()
    ends = [lower.find(" " + verb + " ", listed.end() if listed else 0) for verb in SUBJECT_ENDS]
    cut = min((e for e in ends if e > 0), default=len(text))
    return text[:cut]


def _generic_end(text: str, pos: int) -> int:
    """Where an unknown agency name whose head word ends at ``pos`` ends."""
    end = pos
    for count, match in enumerate(re.finditer(r"([ \t]+)([^\s,;:.()|]+)", text[pos:])):
        if match.start() != end - pos or count >= 12:
            break  # punctuation or a line break ends the name
        word = match.group(2)
        if word == "và" and _next_word(text, pos + match.end()) in (*GENERIC_HEADS, "các", ""):
            break  # "Đài … và Báo …": two agencies; "Vụ Khoa học và Công nghệ": one
        if word in _STOP_WORDS or word in GENERIC_HEADS or any(ch.isdigit() for ch in word):
            break
        rest = text[pos + match.start(2) :].lower()
        if any(rest.startswith(verb + " ") for verb in SUBJECT_ENDS):
            break
        end = pos + match.end()
    return end


def _next_word(text: str, pos: int) -> str:
    match = re.match(r"[ \t]+([^\s,;:.()|]+)", text[pos:])
    return match.group(1) if match else ""


def _group_name(text: str) -> str:
    text = re.sub(r"Ủy ban nhân dân", "UBND", text)
    text = re.sub(r"^(?:Chủ tịch|[Tt]rưởng)\s+", "", text)
    text = re.sub(r"^(UBND) (huyện|xã)", r"\1 các \2", text)
    return text[0].upper() + text[1:]


def _without_overlaps(found: list[Mention]) -> list[Mention]:
    """Longest first wins an overlap; the result is in text order."""
    kept: list[Mention] = []
    for mention in sorted(found, key=lambda m: (-(m.end - m.start), m.start)):
        if all(mention.end <= k.start or mention.start >= k.end for k in kept):
            kept.append(mention)
    return sorted(kept, key=lambda m: m.start)
