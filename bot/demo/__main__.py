"""Walk the seed plan's 06-month report from ten days before its due date to a week after.

The real bot process, the sandbox on loopback, SQLite; scripted people answer some
reminders (done, blocked, in progress, snoozed) and ignore others; the coordinator gets
the escalation digest and asks ``/status``. The transcript is printed as it happens.
"""

from __future__ import annotations

import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from bot.demo.personas import Persona, cast
from bot.demo.world import World
from bot.i18n import Translator
from scheduler.policy import TZ

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "plans" / "kh-68-ubnd-binh-phuoc-2021.yaml"
OUT = Path.cwd() / "demo-out"
FIRST_DAY = date(2021, 5, 20)  # ten days before the 06-month report (due 30/05/2021)
LAST_DAY = date(2021, 6, 7)  # a week after it (and its +7 reminder)
STEPS = ((8, 5),)  # local time each day: just after the reminders and the digest
console = Console(highlight=False, soft_wrap=True)
t = Translator("vi")


def say(who: str, direction: str, text: str) -> None:
    style = "cyan" if direction == "←" else "yellow"
    arrow = f"bot → {who}" if direction == "←" else f"{who} → bot"
    console.print(f"  [{style}]{arrow}[/]: " + text.replace("\n", "\n      "))


def main() -> int:
    started = time.monotonic()
    with World(OUT) as world:
        console.rule("[bold]baocao demo: Kế hoạch 68/KH-UBND, báo cáo 06 tháng (hạn 30/05/2021)")
        console.print(world.cli("plan", "load", str(PLAN)).strip())
        world.clock.set(_at(FIRST_DAY, (7, 0)))
        world.start_bot()
        world.advance(_at(FIRST_DAY, (7, 0)))
        people = _register(world)
        _walk(world, people)
        _finale(world, people[0])
    console.rule(f"[bold]Done in {time.monotonic() - started:.0f} s; files in {OUT}")
    return 0


def _register(world: World) -> list[Persona]:
    console.rule(f"{t.date(FIRST_DAY)}: đăng ký bằng lời mời")
    people = cast()
    for persona in people:
        persona.register(
            world.client, world.invite(persona.agency, persona.role, persona.name), say
        )
    return people


def _walk(world: World, people: list[Persona]) -> None:
    day = FIRST_DAY
    while day <= LAST_DAY:
        for step in STEPS:
            moment = _at(day, step)
            world.advance(moment)
            news = [(p, m) for p in people for m in p.inbox(world.client)]
            if news:
                console.rule(f"{t.datetime(moment)}")
            for persona, message in news:
                say(persona.label, "←", message.get("text") or "[ảnh]")
                persona.answer(world.client, message, say)
        day += timedelta(days=1)


def _finale(world: World, coordinator: Persona) -> None:
    console.rule("Cơ quan tổng hợp xem tình hình")
    charts = OUT / "charts"
    charts.mkdir(exist_ok=True)
    replies = coordinator.send(world.client, "/status", say, expect=3)  # text + 2 charts
    for number, message in enumerate(m for m in replies if m.get("file")):
        path = charts / f"status-{number + 1}.png"
        path.write_bytes(world.client.file_content(_file_id(message)))
        console.print(f"  [dim]biểu đồ đã lưu: {path}[/]")
    coordinator.send(world.client, "/overdue", say, expect=1)
    console.rule("Xuất báo cáo tổng hợp")
    for fmt in ("xlsx", "docx", "csv"):
        path = OUT / f"bao-cao-tong-hop.{fmt}"
        world.cli("export", "--format", fmt, "-o", str(path))
        console.print(f"  {path} ({path.stat().st_size:,} bytes)")


def _file_id(message: dict[str, Any]) -> str:
    return str(message["file"]["file_id"])


def _at(day: date, hour_minute: tuple[int, int]) -> datetime:
    return datetime(day.year, day.month, day.day, *hour_minute, tzinfo=TZ)


if __name__ == "__main__":
    sys.exit(main())
