"""Who is responsible: entry subjects of "TỔ CHỨC THỰC HIỆN", the coordinator, the reporters.

"Báo cáo … gửi trước ngày 30/5/2021" under "CHẾ ĐỘ BÁO CÁO" names nobody: it applies to
every agency the plan assigns work to, except the coordinator who consolidates.
"""

from __future__ import annotations

import re

from bot.extract.agencies import AgencyFinder, Mention
from bot.extract.context import Context
from bot.extract.structure import Paragraph

_COLLABORATORS = re.compile(r"chủ trì,?\s+phối hợp(?:\s+với)?\s+(?P<who>[^;:]+)")
_SUBJECT_LEAD = re.compile(r"^(?:\s*(?:[-+•]|\d{1,2}[.)]|[a-zđ]\)))?\s*(?:Đề nghị|Giao)?\s*$")
_SUBJECT_GLUE = re.compile(r"^\s*(?:,|và|, và)\s*$")
_ASSIGNS = re.compile(r"(?:giao|Giao|đề nghị|Đề nghị)\s*$")
_STANDING = re.compile(r"là (?:cơ quan|đơn vị) (?:thường trực|đầu mối)")
_COORDINATOR = re.compile(r"\(?\s*qua\s+$")


def read_entries(ctx: Context, paras: list[Paragraph]) -> None:
    """Register the subjects of org/report entries and the agencies they work with."""
    for index, para in enumerate(paras):
        if para.part is None or para.appendix:
            continue
        if para.heading in ("number", "letter"):
            mentions = ctx.finder.subjects(para.text)
            mentions = [_offset_in(para.text, m) for m in mentions]
            refs = ctx.register(mentions, para.start, para.section)
            ctx.entry_refs[index] = refs
            if para.part == "org":
                ctx.org_refs.extend(r for r in refs if r not in ctx.org_refs)
        for match in _COLLABORATORS.finditer(para.text):
            found = ctx.finder.find(match["who"])
            found = [m for m in found if m.start < 3 or match["who"][: m.start].strip() in ",và"]
            ctx.register(found, para.start + match.start("who"), para.section)
    ctx.coordinator = _coordinator(ctx, paras)
    ctx.reporters = [r for r in ctx.org_refs if r != ctx.coordinator]


def _offset_in(text: str, mention: Mention) -> Mention:
    """Subjects are found in the heading minus its numbering; put them back in place."""
    lead = len(text) - len(text.lstrip())
    number = re.match(r"\s*(?:\d{1,2}(?:\.\d{1,2})?\s*[.)]|[a-zđ]\))\s*", text)
    shift = lead + (number.end() - lead if number else 0)
    prefix = re.match(r"(?:Đề nghị|đề nghị|Trách nhiệm của|Giao)\s+", text[shift:])
    shift += prefix.end() if prefix else 0
    return Mention(
        mention.name,
        mention.start + shift,
        mention.end + shift,
        mention.group,
        mention.known,
        mention.short,
        mention.code,
    )


def _coordinator(ctx: Context, paras: list[Paragraph]) -> str | None:
    """Reports go "qua" (through) it, or an entry calls it "cơ quan thường trực", "đầu mối"."""
    for part in ("report", "org"):
        for para in (p for p in paras if p.part == part):
            for mention in ctx.finder.find(para.text):
                if _COORDINATOR.search(para.text[: mention.start]) and not mention.group:
                    return ctx.register([mention], para.start, para.section)[0]
    for index, refs in ctx.entry_refs.items():
        if refs and _STANDING.search(paras[index].text) and paras[index].part == "org":
            return refs[0]
    return ctx.org_refs[0] if ctx.org_refs else None


def subject_mentions(finder: AgencyFinder, clause: str) -> list[Mention]:
    """Agencies a clause makes responsible: those it opens with or assigns ("giao …").

    An agency after "gửi", "về", "qua", "của" is a recipient or a source, not a subject.
    """
    subjects: list[Mention] = []
    previous = 0
    for mention in finder.find(clause):
        gap = clause[previous : mention.start]
        lead = _SUBJECT_GLUE if subjects else _SUBJECT_LEAD
        if not (lead.match(gap) or (not subjects and _ASSIGNS.search(gap))):
            break
        subjects.append(mention)
        previous = mention.end
    return subjects
