"""``/status`` answers with its texts at once and draws the charts afterwards (a ``Later``
action): the coordinator reads the figures while the chart worker runs, and the turn's
database work is over before the charts are drawn."""

from __future__ import annotations

import asyncio

from bot.core.events import Inbound
from bot.core.replies import Direct, Later, Reply, Send, perform_in_order
from tests.reliability.world import CHANNEL, World

COORDINATOR = "9003"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_status_sends_its_texts_then_draws_one_chart_per_report_item_later(world: World) -> None:
    actions = world.handle(Inbound(CHANNEL, COORDINATOR, text="/status"))

    *texts, later = actions
    assert texts and all(isinstance(a, Send) and a.reply.photo is None for a in texts)
    assert "Sở Nội vụ" in "\n".join(a.reply.text for a in texts if isinstance(a, Send))
    assert isinstance(later, Later)
    charts = later.produce()  # what the adapter runs in a thread after sending the texts
    assert len(charts) == 2  # the six-month and the annual report
    for chart in charts:
        assert isinstance(chart, Send) and chart.chat_id == COORDINATOR
        assert chart.reply.photo is not None and chart.reply.photo.startswith(PNG_MAGIC)


def test_status_of_one_agency_has_no_chart_and_nothing_later(world: World) -> None:
    actions = world.handle(Inbound(CHANNEL, COORDINATOR, text="/status SNV"))
    assert actions and not any(isinstance(a, Later) for a in actions)


def test_actions_are_performed_in_order_with_the_later_ones_produced_in_their_turn() -> None:
    done: list[str] = []

    def produce() -> list[Direct]:
        done.append("produced")  # after "first" was performed, before "third"
        return [Send("telegram", "1", Reply("second"))]

    async def perform(action: Direct) -> None:
        assert isinstance(action, Send)
        done.append(action.reply.text)

    actions = [
        Send("telegram", "1", Reply("first")),
        Later(produce),
        Send("telegram", "1", Reply("third")),
    ]
    asyncio.run(perform_in_order(actions, perform))
    assert done == ["first", "produced", "second", "third"]
