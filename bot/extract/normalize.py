"""Normalise Vietnamese plan text while remembering where every character came from.

Exported documents differ in Unicode form (NFC/NFD), tone placement (``hoà`` or ``hòa``),
bold markers and line breaks inside sentences. Extraction works on one clean form; the
offset map lets every finding point back at the text as read.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from bot.extract.model import Span

_TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
# Old-style placement only differs in open syllables oa/oe/uy (no final consonant), and
# never after "q" ("quý" is right in both styles).
_TONED = {
    base: "".join(unicodedata.normalize("NFC", base + t) for t in _TONES) for base in "aeyAEY"
}
_OLD_TONE = re.compile(
    rf"(?<![qQ])(?:([oO])([{_TONED['a']}{_TONED['e']}{_TONED['A']}{_TONED['E']}])"
    rf"|([uU])([{_TONED['y']}{_TONED['Y']}]))(?!\w)"
)
_COMBINING = re.compile(r".[\u0300-\u036f]+", re.DOTALL)
_SOFT_BREAK = re.compile(r"[ \t]*\n\s*")
_ENDS_SENTENCE = ".:;!?"
_NEEDS_NUMBER = re.compile(r"(?:ngày|số|tháng|năm|Quý|quý)$")


class MappedText:
    """Text plus, for each character, its offset in the original (``origin``)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.origin = list(range(len(text) + 1))  # one extra: the end sentinel

    def sub(
        self,
        pattern: re.Pattern[str] | str,
        repl: Callable[[re.Match[str]], str] | str,
    ) -> None:
        """``re.sub`` that keeps the offset map in step with the text."""
        out: list[str] = []
        origin: list[int] = []
        pos = 0
        for match in re.finditer(pattern, self.text):
            start, end = match.span()
            new = repl(match) if callable(repl) else match.expand(repl)
            out.append(self.text[pos:start])
            origin.extend(self.origin[pos:start])
            out.append(new)
            origin.extend(self._spread(start, end, len(new)))
            pos = end
        out.append(self.text[pos:])
        origin.extend(self.origin[pos:])
        self.text = "".join(out)
        self.origin = origin

    def _spread(self, start: int, end: int, length: int) -> list[int]:
        if length == end - start:
            return self.origin[start:end]
        if length == 0:
            return []
        return [self.origin[start]] * (length - 1) + [self.origin[end - 1]]

    def source_span(self, start: int, end: int) -> Span:
        """The original offsets of ``text[start:end]``."""
        if end <= start:
            return (self.origin[start], self.origin[start])
        return (self.origin[start], self.origin[end - 1] + 1)


def normalise(raw: str) -> MappedText:
    """Clean ``raw`` for extraction: NFC, modern tone placement, no bold, joined sentences."""
    mapped = MappedText(raw)
    mapped.sub(r"\r\n?", "\n")
    mapped.sub(_COMBINING, lambda m: unicodedata.normalize("NFC", m.group()))
    mapped.sub(_OLD_TONE, _move_tone)
    mapped.sub(r"\*\*|__", "")
    mapped.sub(r"[\u00a0\u2007\u202f\t]", " ")
    mapped.sub(r"[\u2013\u2014]", "-")
    mapped.sub(r"(?<=\w)(?: +- *| *- +)(?=\w)", " - ")
    mapped.sub(r"(?<=\S)  +", " ")
    text = mapped.text
    mapped.sub(_SOFT_BREAK, lambda m: _join_or_keep(text, m))
    return mapped


def _move_tone(match: re.Match[str]) -> str:
    """``oà`` → ``òa``, ``uỷ`` → ``ủy``: the tone goes to the first vowel."""
    first = match.group(1) or match.group(3)
    decomposed = unicodedata.normalize("NFD", match.group(2) or match.group(4))
    base, tone = decomposed[0], decomposed[1:]
    return unicodedata.normalize("NFC", first + tone) + base


def _join_or_keep(text: str, match: re.Match[str]) -> str:
    """A line break inside a sentence becomes a space; a real paragraph break stays.

    The seed and PDF exports break sentences mid-way ("chỉ\\n\\ntiêu"): the next line then
    starts in lower case, or a date follows a dangling "ngày".
    """
    before = text[max(0, match.start() - 12) : match.start()].rstrip()
    after = text[match.end() : match.end() + 1]
    if not before or not after or before[-1] in _ENDS_SENTENCE:
        return "\n"
    if after.islower() or (
        after.isalpha() and before.endswith((" và", " của", " với", " về", ","))
    ):
        return " "
    if after.isdigit() and _NEEDS_NUMBER.search(before):
        return " "
    return "\n"
