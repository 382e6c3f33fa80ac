"""State shared while reading one plan: the text, the plan year, agencies found so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.extract.agencies import AgencyFinder, Mention
from bot.extract.normalize import MappedText
from bot.extract.registry import Registry


@dataclass
class Context:
    doc: MappedText
    year: int
    finder: AgencyFinder
    registry: Registry = field(default_factory=Registry)
    entry_refs: dict[int, list[str]] = field(default_factory=dict)  # heading index → refs
    org_refs: list[str] = field(default_factory=list)  # subjects of TỔ CHỨC THỰC HIỆN
    reporters: list[str] = field(default_factory=list)
    coordinator: str | None = None
    issuer: str = ""  # never an agency of its own plan
    issued: date | None = None  # a date before it is a reference, not a deadline

    def register(self, mentions: list[Mention], offset: int, section: str | None) -> list[str]:
        """Add mentions found at ``offset`` in the normalised text; return their refs."""
        refs = []
        for mention in mentions:
            if mention.name.casefold() == self.issuer.casefold():
                continue
            if not mention.known and not mention.group:
                self.finder.learn(mention.name)
            span = self.doc.source_span(offset + mention.start, offset + mention.end)
            refs.append(self.registry.add(mention, span, section))
        return list(dict.fromkeys(refs))
