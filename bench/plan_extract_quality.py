"""Precision/recall of ``baocao plan extract`` on the hand-checked corpus, beside dateparser.

Run: ``.venv/bin/python bench/plan_extract_quality.py`` (prints the tables of
docs/plan-extract.md). dateparser is only a date finder: its dates are scored against the
expected *dated* deadlines (a date matches an expected deadline's due or start date), and
ours are scored the same way in the "dates only" columns for a like-for-like comparison.
"""

from __future__ import annotations

import sys
import time
import warnings
from datetime import date, datetime
from pathlib import Path

from bot.extract.normalize import normalise
from bot.extract.pipeline import extract_text
from bot.extract.quality import (
    Score,
    deadline_keys,
    expected_keys,
    load_expected,
    score_agencies,
    score_keys,
)
from bot.extract.readers import read_document

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "extract" / "corpus"


def dated_expected(expected: dict) -> list[tuple[date | None, date]]:
    return [(k[1], k[2]) for k in expected_keys(expected) if k[1] != "text"]


def score_dates(found: list[date], wanted: list[tuple[date | None, date]]) -> Score:
    """One-to-one: a found date hits an unmatched expected deadline with that due or start."""
    left = list(wanted)
    hits = 0
    for day in found:
        match = next((w for w in left if day in w), None)
        if match is not None:
            left.remove(match)
            hits += 1
    return Score(hits, len(found), len(wanted))


def dateparser_dates(text: str, year: int) -> list[date]:
    """dateparser's dates, given the same help we take: day-first order, the plan year for a
    date without one, and the last day of a bare month ("tháng 6" → 30/6)."""
    from dateparser.search import search_dates

    settings = {
        "DATE_ORDER": "DMY",
        "RELATIVE_BASE": datetime(year, 1, 1),
        "PREFER_DAY_OF_MONTH": "last",
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = search_dates(text, languages=["vi"], settings=settings) or []
    return [when.date() for _, when in found]


def main() -> int:
    rows = []
    totals = {name: Score() for name in ("deadlines", "agencies", "ours_dates", "dp_dates")}
    for expected_file in sorted(CORPUS.glob("*.expected.yaml")):
        source = expected_file.with_name(expected_file.name.replace(".expected.yaml", ".txt"))
        raw = read_document(source)
        expected = load_expected(expected_file)
        started = time.perf_counter()
        x = extract_text(raw, source.name)
        ours_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        dp = dateparser_dates(normalise(raw).text, int(expected["header"]["year"]))
        dp_ms = (time.perf_counter() - started) * 1000
        ours_dated = [d.due for d in x.deadlines if d.due]
        scores = {
            "deadlines": score_keys(deadline_keys(x), expected_keys(expected)),
            "agencies": score_agencies(x, expected),
            "ours_dates": score_dates(ours_dated, dated_expected(expected)),
            "dp_dates": score_dates(dp, dated_expected(expected)),
        }
        for name, score in scores.items():
            totals[name].add(score)
        rows.append((source.name, scores, ours_ms, dp_ms))
    print(_table(rows, totals))
    return 0


def _cell(score: Score) -> str:
    return (
        f"{score.precision:.0%} / {score.recall:.0%} ({score.hits}/{score.found}/{score.expected})"
    )


def _table(rows: list, totals: dict[str, Score]) -> str:
    head = (
        "| plan | deadlines (date+kind) P / R | agencies P / R | dates only, ours P / R "
        "| dates only, dateparser P / R | ms ours / dateparser |\n|---|---|---|---|---|---|"
    )
    lines = [head]
    for name, s, ours_ms, dp_ms in rows:
        lines.append(
            f"| {name} | {_cell(s['deadlines'])} | {_cell(s['agencies'])} | "
            f"{_cell(s['ours_dates'])} | {_cell(s['dp_dates'])} | {ours_ms:.0f} / {dp_ms:.0f} |"
        )
    t = totals
    lines.append(
        f"| **all** | **{_cell(t['deadlines'])}** | **{_cell(t['agencies'])}** | "
        f"**{_cell(t['ours_dates'])}** | **{_cell(t['dp_dates'])}** | |"
    )
    return "\n".join(lines) + "\n\n(hits/found/expected)"


if __name__ == "__main__":
    sys.exit(main())
