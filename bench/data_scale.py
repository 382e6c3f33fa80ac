"""Scale of the data (issue 10, benchmark 4): the tick and /status as the tables grow.

The sample plan (Kế hoạch 68) is loaded into a migrated SQLite file, then 10,000 more
agencies join its two report items, each with one registered focal point (a Telegram
chat). Three files are made from that base, with the two big tables at 10,000, 100,000 and
1,000,000 rows each:
  * ``reminder``: 50 offsets × 2 report items per person; 90 % sent in the past, 10 %
    pending in the future, plus ``DUE`` rows due at the tick's ``now`` (reset before
    every measured tick);
  * ``progress_update``: spread at random over the 20,000 report assignments, created
    evenly between the plan's date and 30/11/2021 (ids in time order), every status
    (``done`` only on the six-month report, so the annual reminders are still due).
At each stage (median of ``--repeats`` warm runs):
  * tick: ``scheduler.tick.run_tick`` (``outbox.release_stale_claims`` + ``claim_due`` +
    prepare + send through a ``PacedSender`` with unlimited ``Limits`` over an in-memory
    transport + record), with nothing due and with ``DUE`` reminders due;
  * /status: ``status_texts`` (what the chat command answers: counted in the database,
    only the names shown), the two charts drawn by the chart worker (a child process),
    ``status_reply`` as the chat command calls it (texts and charts), and ``plan_status``
    (the full model the exports and ``/status AGENCY`` use, with on-time rates).
Targets at 1,000,000 rows: tick < 50 ms, /status < 200 ms; the ratio 1M / 10k shows the
growth (flat ≈ 1). The generated files are cached under ``CACHE`` (by schema revision and
generator version) and regenerated when missing.

    .venv/bin/python -m bench.data_scale [--repeats 7] [--fresh]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import Row, Section, log, median, plan_database, spread

CACHE = Path("/tmp/baocao-bench-cache")
GENERATOR = 4  # bump when the generated data changes
AGENCIES = 10_000
OFFSETS = 50
DUE = 20
STAGES = (10_000, 100_000, 1_000_000)
TICK_NOW = datetime(2021, 11, 23, 1, 0, tzinfo=UTC)  # Tuesday 08:00 in Vietnam
STATUS_NOW = datetime(2021, 12, 1, 2, 0, tzinfo=UTC)  # after both report due dates
TICK_TARGET_MS = 50.0
STATUS_TARGET_MS = 200.0
STATUSES = ("done", "in_progress", "blocked", "not_started")


def _stamp(moment: datetime) -> str:
    """An instant as the models store it on SQLite (naive UTC, microseconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


# --- generating the data -------------------------------------------------------------------


class Generator:
    """Builds the base file, then each stage file from a copy of it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.rng = random.Random(20211130)

    def base(self, path: Path) -> dict[str, Any]:
        """Sample plan, 10,000 agencies on its report items, one focal point each."""
        plan_database(path).dispose()
        db = sqlite3.connect(path)
        db.execute("PRAGMA synchronous=OFF")
        (plan_id,) = db.execute("SELECT id FROM plan").fetchone()
        reports = [r[0] for r in db.execute("SELECT id FROM plan_item WHERE kind='report'")]
        (first,) = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM agency").fetchone()
        agencies = list(range(first, first + AGENCIES))
        db.executemany(
            "INSERT INTO agency (id, code, name) VALUES (?, ?, ?)",
            [(a, f"BENCH-{a:05d}", f"UBND xã thử nghiệm số {a}") for a in agencies],
        )
        db.executemany("INSERT INTO plan_agency (plan_id, agency_id) VALUES (?, ?)",
                       [(plan_id, a) for a in agencies])  # fmt: skip
        db.executemany(
            "INSERT INTO item_agency (item_id, agency_id) VALUES (?, ?)",
            [(i, a) for i in reports for a in agencies],
        )
        created = _stamp(datetime(2021, 4, 1, tzinfo=UTC))
        db.executemany(
            "INSERT INTO person (id, name, agency_id, role, locale, created_at) "
            "VALUES (?, ?, ?, 'focal', 'vi', ?)",
            [(a, f"Đầu mối {a}", a, created) for a in agencies],
        )
        db.executemany(
            "INSERT INTO channel_identity (person_id, channel, chat_id, created_at) "
            "VALUES (?, 'telegram', ?, ?)",
            [(a, str(700_000_000 + a), created) for a in agencies],
        )
        db.commit()
        db.close()
        return {"plan_id": plan_id, "reports": reports, "agencies": agencies}

    def grow(self, path: Path, base: dict[str, Any], rows: int) -> None:
        """Add ``rows`` reminder rows and ``rows`` progress updates (deterministic); the
        updates are spread over the same months whatever their number, and their ids
        grow with their time, as in a real history."""
        self.rng = random.Random(rows)
        db = sqlite3.connect(path)
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-400000")
        # bulk load without the secondary indexes, then rebuild them (sorted, far faster
        # than inserting in random order); the schema's own CREATE INDEX statements
        indexes = [
            sql
            for (sql,) in db.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                "AND tbl_name IN ('reminder', 'progress_update')"
            )
        ]
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('reminder', 'progress_update')"
        ).fetchall():
            db.execute(f'DROP INDEX "{name}"')
        db.executemany(
            "INSERT INTO reminder (item_id, agency_id, person_id, kind, offset_days, send_at, "
            "state, attempts, sent_at, created_at) VALUES (?, ?, ?, 'deadline', ?, ?, ?, ?, ?, ?)",
            (self._reminder(base, n) for n in range(rows)),
        )
        db.executemany(
            "INSERT INTO progress_update (item_id, agency_id, person_id, status, note, channel, "
            "created_at) VALUES (?, ?, ?, ?, ?, 'telegram', ?)",
            (self._update(base, n, rows) for n in range(rows)),
        )
        for sql in indexes:
            db.execute(sql)
        db.commit()
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("ANALYZE")
        db.close()

    def _reminder(self, base: dict[str, Any], n: int) -> tuple[Any, ...]:
        agencies, reports = base["agencies"], base["reports"]
        item = reports[n % len(reports)]
        agency = agencies[(n // len(reports)) % len(agencies)]
        offset = 100 + n // (len(reports) * len(agencies))  # clear of the plan's own (-7…7)
        if n % 10 == 9:  # pending, in the future
            send_at = datetime(2022, 1, 3, 1, tzinfo=UTC) + timedelta(minutes=n % 5000)
            return (item, agency, agency, offset, _stamp(send_at), "pending", 0, None, _stamp(
                send_at - timedelta(days=60)))  # fmt: skip
        send_at = datetime(2021, 3, 15, 1, tzinfo=UTC) + timedelta(minutes=n % 200_000)
        return (item, agency, agency, offset, _stamp(send_at), "sent", 1, _stamp(send_at),
                _stamp(send_at - timedelta(days=1)))  # fmt: skip

    def _update(self, base: dict[str, Any], n: int, rows: int) -> tuple[Any, ...]:
        agencies, reports = base["agencies"], base["reports"]
        rng = self.rng
        agency = agencies[rng.randrange(len(agencies))]
        item = reports[rng.randrange(len(reports))]
        # done only on the six-month report: due reminders (the annual one) stay "not done"
        status = rng.choice(STATUSES if item == reports[0] else STATUSES[1:])
        created = datetime(2021, 3, 8, tzinfo=UTC) + timedelta(seconds=n * 23_000_000 / rows)
        note = None if rng.random() < 0.5 else f"Ghi chú tiến độ số {n}"
        return (item, agency, agency, status, note, _stamp(created))


def _revision() -> str:
    from alembic.script import ScriptDirectory

    from storage.migrate import MIGRATIONS_DIR, alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert MIGRATIONS_DIR.exists()
    return "-".join(sorted(script.get_heads()))


def stage_files(fresh: bool = False) -> tuple[list[Path], dict[str, Any]]:
    """The three stage files (generated unless cached) and the facts about them."""
    directory = CACHE / f"{_revision()}-g{GENERATOR}"
    files = [directory / f"rows-{n}.db" for n in STAGES]
    facts_file = directory / "facts.json"
    if not fresh and facts_file.exists() and all(f.exists() for f in files):
        log(f"data scale: cached files in {directory}")
        return files, json.loads(facts_file.read_text())
    if CACHE.exists():  # files of an older schema or generator are of no use any more
        for old in CACHE.iterdir():
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
    directory.mkdir(parents=True)
    began = time.perf_counter()
    generator = Generator(directory)
    work = directory / "base.db"
    base = generator.base(work)
    for stage, file in zip(STAGES, files, strict=True):
        shutil.copyfile(work, file)
        generator.grow(file, base, stage)
        log(f"data scale: generated {stage:,} rows ({time.perf_counter() - began:.0f} s)")
    work.unlink()
    facts = {"plan_id": base["plan_id"], "reports": base["reports"],
             "generated_seconds": round(time.perf_counter() - began, 1)}  # fmt: skip
    facts_file.write_text(json.dumps(facts))
    return files, facts


# --- measuring -----------------------------------------------------------------------------


class MemoryTransport:
    """Delivers instantly and always succeeds (the network is not what is measured)."""

    channel = "telegram"

    def __init__(self) -> None:
        self.sent = 0

    async def deliver(self, chat_id: str, reply: Any) -> Any:
        from scheduler.sending import Outcome, SendResult

        self.sent += 1
        return SendResult(Outcome.SENT, message_id=str(self.sent))

    async def edit(self, chat_id: str, message_id: str, reply: Any) -> Any:
        from scheduler.sending import Outcome, SendResult

        return SendResult(Outcome.SENT, message_id=message_id)


def _due_rows(path: Path, facts: dict[str, Any]) -> list[int]:
    """Make ``DUE`` reminders (annual report, distinct people) due at ``TICK_NOW``."""
    db = sqlite3.connect(path)
    annual = facts["reports"][1]
    ids = [
        r[0]
        for r in db.execute(
            "SELECT MIN(id) FROM reminder WHERE item_id = ? GROUP BY person_id "
            "ORDER BY person_id LIMIT ?",
            (annual, DUE),
        )
    ]
    db.close()
    return ids


def _reset(engine: Any, ids: list[int]) -> None:
    from sqlalchemy import text

    due = _stamp(TICK_NOW - timedelta(minutes=1))
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE reminder SET state = 'pending', send_at = :due, claimed_by = NULL, "
                "claimed_at = NULL, sent_at = NULL, attempts = 0, last_error = NULL "
                "WHERE id IN (" + ",".join(map(str, ids)) + ")"
            ),
            {"due": due},
        )


class Stage:
    """One stage file's scratch copy, with what each measure needs; ``measures()`` maps a
    measure's key to (what to time, what to do first, untimed)."""

    def __init__(self, path: Path, facts: dict[str, Any]) -> None:
        from bot.i18n import translator
        from scheduler.sending import Limits, PacedSender
        from storage.db import make_engine

        self.path, self.facts = path, facts
        self.engine = make_engine(f"sqlite:///{path}")
        unlimited = Limits(per_second=1_000_000_000, window=1.0, per_chat_interval=0.0)
        self.sender = PacedSender({"telegram": MemoryTransport()}, unlimited)
        self.due_ids = _due_rows(path, facts)
        self.t = translator("vi")
        self.loop = asyncio.new_event_loop()
        self.floor: tuple[str, Any] | None = None

    def tick(self, now: datetime) -> None:
        from scheduler.tick import run_tick

        report = self.loop.run_until_complete(
            run_tick(self.engine, self.sender, now=now, holder="bench")
        )
        if now == TICK_NOW:
            assert report.claimed == DUE and report.sent == DUE, report

    def status(self, kind: str) -> None:
        from sqlmodel import Session

        from bot.reports.api import draw_charts, status_reply, status_texts
        from bot.reports.status import plan_status

        with Session(self.engine) as session:
            plan_id = self.facts["plan_id"]
            if kind == "model":
                plan_status(session, plan_id=plan_id, now=STATUS_NOW)
            elif kind == "texts":
                self.specs = status_texts(session, plan_id=plan_id, now=STATUS_NOW, t=self.t)
            elif kind == "charts":
                assert len(draw_charts(self.specs.charts)) == 2
            else:
                reply = status_reply(session, plan_id=plan_id, now=STATUS_NOW, t=self.t)
                assert len(reply.charts) == 2

    def sql(self) -> None:
        if self.floor is None:
            self.floor = _main_statement(self.engine, lambda: self.status("texts"))
            self.db = sqlite3.connect(self.path)
        self.db.execute(*self.floor).fetchall()

    def measures(self) -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
        def nothing() -> None:
            pass

        idle = TICK_NOW - timedelta(hours=2)  # nothing due yet
        return {
            "tick_idle": (lambda: self.tick(idle), nothing),
            "tick_due": (lambda: self.tick(TICK_NOW), lambda: _reset(self.engine, self.due_ids)),
            "status_texts": (lambda: self.status("texts"), nothing),
            "status_charts": (lambda: self.status("charts"), lambda: self.status("texts")),
            "status_chat": (lambda: self.status("chat"), nothing),
            "status_sql": (self.sql, nothing),
            "status_model": (lambda: self.status("model"), nothing),
        }

    def close(self) -> None:
        self.loop.close()
        self.engine.dispose()
        if self.floor is not None:
            self.db.close()


def measure(stages: dict[int, Stage], repeats: int) -> dict[int, dict[str, list[float]]]:
    """Every measure at every stage, ``repeats`` times after a warm-up pass; the stages
    take turns (in alternating order) so that a change in the shared machine's load falls
    on all of them alike and the growth ratios stay honest."""
    found: dict[int, dict[str, list[float]]] = {n: {} for n in stages}
    for rep in range(repeats + 1):
        order = list(stages) if rep % 2 == 0 else list(reversed(stages))
        for n in order:
            for key, (call, before) in stages[n].measures().items():
                before()
                started = time.perf_counter()
                call()
                elapsed = (time.perf_counter() - started) * 1000
                if rep:  # the first pass warms caches up and is not counted
                    found[n].setdefault(key, []).append(elapsed)
    return found


def _main_statement(engine: Any, call: Callable[[], Any]) -> tuple[str, Any]:
    """The status's main statement (every assignment with its latest update) and its
    parameters, caught while ``call`` runs: timed alone in sqlite3, fetching plain tuples,
    it is what the query costs without the Python around it."""
    from sqlalchemy import event

    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "FROM item_agency JOIN agency" in statement:
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return seen[0]


KINDS = {
    "status_charts": "info",
    "status_chat": "info",
    "status_sql": "info",
    "status_model": "info",
}
LABELS: dict[str, tuple[str, float | None]] = {
    "tick_idle": ("tick, nothing due", TICK_TARGET_MS),
    "tick_due": (f"tick, {DUE} reminders due", TICK_TARGET_MS),
    "status_texts": ("/status: the texts (`status_texts`)", STATUS_TARGET_MS),
    "status_charts": ("its 2 charts, drawn by a fresh chart worker (child process)", None),
    "status_chat": ("texts + charts in one call (`status_reply`)", None),
    "status_sql": ("the texts' main statement alone in sqlite3", None),
    "status_model": ("exports' full model (`plan_status`, with on-time rates)", None),
}


def _assignments(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        (count,) = db.execute(
            "SELECT COUNT(*) FROM item_agency ia JOIN plan_item i ON i.id = ia.item_id "
            "WHERE i.kind IN ('report', 'task') AND ia.archived_at IS NULL"
        ).fetchone()
    finally:
        db.close()
    return int(count)


def _notes(by_stage: dict[int, dict[str, list[float]]], assignments: int) -> list[str]:
    small, big = STAGES[0], STAGES[-1]

    def at(stage: int, key: str) -> float:
        return median(by_stage[stage][key])

    def growth(key: str) -> float:
        return at(big, key) / at(small, key)

    per_reminder = at(big, "tick_due") / DUE
    met = "met" if at(big, "tick_due") < TICK_TARGET_MS else "not met"
    texts_met = "met" if at(big, "status_texts") < STATUS_TARGET_MS else "not met"
    return [
        f"- **Tick, nothing due**: {at(big, 'tick_idle'):.1f} ms at 1M rows, growth "
        f"{growth('tick_idle'):.2f}: `release_stale_claims` and `claim_due` are "
        "seeks on `ix_reminder_due (state, send_at)`.",
        f"- **Tick with {DUE} reminders due** ({met}): {at(big, 'tick_due'):.1f} ms at 1M rows, "
        f"growth {growth('tick_due'):.2f}, {per_reminder:.2f} ms per reminder. The claimed "
        "batch is prepared with one statement per kind of fact (people, items with their "
        "plans, assignments, latest statuses, chats, calendar: `storage/reminder_batch.py`, "
        "`scheduler/tick_prepare.py`) and the results are recorded a few messages per "
        "transaction, sends with the same outcome in one `UPDATE` (`scheduler/tick_record.py`); "
        "the last session's tick ran about nine ORM statements per reminder and one "
        "transaction per message (92 ms at 1M rows).",
        f"- **/status texts** ({texts_met}): {at(big, 'status_texts'):.0f} ms at 1M rows, "
        f"growth {growth('status_texts'):.2f}. They are counted in the database (`plan_summary`: "
        "per item and status a count and the first 30 names, one statement) instead of "
        f"building a Python object for each of the {assignments:,} assignments (the last "
        "session: 308 ms). What growth is left is the statement's own: one seek per "
        f"assignment in a deeper index ({at(small, 'status_sql'):.0f} → "
        f"{at(big, 'status_sql'):.0f} ms alone in sqlite3).",
        f"- **The charts**: {at(big, 'status_charts'):.0f} ms for the two, drawn by a child "
        "process started for the command (`python -m bot.reports.chart_draw`), so the bot never "
        "imports matplotlib (benchmark 5); most of it is the child starting and importing "
        "matplotlib, and it does not grow with the data. In one call with the texts "
        f"(`status_reply`, the worker started first so its start overlaps the database work): "
        f"{at(big, 'status_chat'):.0f} ms. In chat the texts and the charts are sent together "
        "once both are ready, so the coordinator waits for the charts too: sending the texts "
        "first is the next step (it needs a deferred reply in the core).",
        f"- **The exports' full model** (`plan_status`: every assignment with its on-time "
        f"rate; XLSX/DOCX/CSV, `/status AGENCY` reads one agency): {at(big, 'status_model'):.0f} "
        f"ms at 1M rows, growth {growth('status_model'):.2f}. The index "
        "`ix_update_item_agency_status_time (item_id, agency_id, status, created_at)` "
        "(migration 0004) makes 'done by the due date' one seek per assignment (the last "
        "session: 1,082 ms, growth 8.4). An export is a file made on request; 20,098 rows are "
        "what it contains.",
    ]


def run(repeats: int = 7, fresh: bool = False) -> Section:
    began = time.perf_counter()
    files, facts = stage_files(fresh)
    stages: dict[int, Stage] = {}
    works = [CACHE / f"measure-{n}.db" for n in STAGES]
    try:
        for n, file, work in zip(STAGES, files, works, strict=True):
            shutil.copyfile(file, work)  # measured on a copy: the tick writes
            stages[n] = Stage(work, facts)
        by_stage = measure(stages, repeats)
    finally:
        for stage in stages.values():
            stage.close()
        for work in works:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{work}{suffix}").unlink(missing_ok=True)
    for n in STAGES:
        log(f"data scale {n:,}: " + ", ".join(
            f"{k} {median(v):.1f} ms" for k, v in by_stage[n].items()))  # fmt: skip
    small, big = STAGES[0], STAGES[-1]
    rows = []
    for key, (label, target) in LABELS.items():
        at = {s: median(by_stage[s][key]) for s in STAGES}
        growth = at[big] / at[small]
        rows.append(
            Row(
                label,
                " / ".join(f"{at[s]:.1f}" for s in STAGES) + " ms",
                "",
                f"{growth:.2f}",
                "" if target is None else f"< {target:.0f} ms at 1M",
                None if target is None else at[big] < target,
                f"runs at 1M: {spread(by_stage[big][key])} ms",
                KINDS.get(key, "ours"),
            )
        )
    return Section(
        notes=_notes(by_stage, _assignments(files[-1])),
        key="data_scale",
        title="4. Scale of the data (SQLite)",
        what=(
            "Sample plan + 10,000 agencies (one focal point each) on its two report items; "
            "`reminder` and `progress_update` grown to 10k / 100k / 1M rows each (three files). "
            f'Median of {repeats} warm runs, the three files taking turns. "ours" is the '
            'time at 10k / 100k / 1M rows; "ratio" is the growth, time at 1M ÷ time at 10k '
            "(flat = 1). Run in this process; SQLite in WAL mode, the files in the OS cache."
        ),
        rows=rows,
        raw={"stages": {str(s): v for s, v in by_stage.items()}, "facts": facts},
        seconds=time.perf_counter() - began,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--fresh", action="store_true", help="regenerate the cached files")
    args = parser.parse_args()
    section = run(args.repeats, args.fresh)
    for row in section.rows:
        print(f"{row.label:<55} {row.ours:<28} growth {row.ratio}  [{row.runs}]")


if __name__ == "__main__":
    main()
