"""The Telegram update processor: different chats at once, one chat strictly in order.

Each fake update's handling waits on an ``asyncio.Event`` the test sets, so the test decides
when a handler finishes and asserts what else has started meanwhile (no sleeps)."""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import CallbackQuery, Chat, Message, Update, User
from telegram.ext import Application, ApplicationBuilder, ExtBot, TypeHandler

from bot.channels.telegram.ordering import PerChatProcessor, chat_key

NOW = 1621900000
HANG = 10  # seconds: far more than any of these tests needs


def _message(update_id: int, chat: int, text: str = "x") -> Update:
    from datetime import UTC, datetime

    message = Message(
        message_id=update_id,
        date=datetime.fromtimestamp(NOW, UTC),
        chat=Chat(chat, Chat.PRIVATE),
        from_user=User(chat, "Người dùng", False),
        text=text,
    )
    return Update(update_id, message=message)


class Recorder:
    """Handlers that log their start and end and finish when the test says so."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.release: dict[int, asyncio.Event] = {}
        self.started: dict[int, asyncio.Event] = {}

    def prepare(self, update_id: int) -> None:
        self.release[update_id] = asyncio.Event()
        self.started[update_id] = asyncio.Event()

    async def handle(self, update: Update) -> None:
        self.log.append(f"start {update.update_id}")
        self.started[update.update_id].set()
        await self.release[update.update_id].wait()
        self.log.append(f"end {update.update_id}")


async def _submit(
    processor: PerChatProcessor, recorder: Recorder, update: Update
) -> asyncio.Task[None]:
    recorder.prepare(update.update_id)
    task = asyncio.create_task(processor.process_update(update, recorder.handle(update)))
    await asyncio.sleep(0)  # let it register, as PTB's fetcher lets each task start
    return task


async def _settled() -> None:
    """Let every task that can run, run (a handful of loop iterations)."""
    for _ in range(10):
        await asyncio.sleep(0)


async def test_updates_of_one_chat_wait_for_each_other_while_other_chats_go_ahead() -> None:
    async with asyncio.timeout(HANG):  # a broken processor fails, not hangs
        processor = PerChatProcessor(limit=8)
        await processor.initialize()
        recorder = Recorder()
        first = await _submit(processor, recorder, _message(1, chat=100))
        second = await _submit(processor, recorder, _message(2, chat=100))  # a double tap
        other = await _submit(processor, recorder, _message(3, chat=200))
        await recorder.started[3].wait()
        await _settled()
        assert recorder.log == ["start 1", "start 3"]  # 2 waits for 1; 3 did not wait for 1

        recorder.release[3].set()
        await other
        recorder.release[1].set()
        await recorder.started[2].wait()
        recorder.release[2].set()
        await asyncio.gather(first, second)
        assert recorder.log == ["start 1", "start 3", "end 3", "end 1", "start 2", "end 2"]
        assert processor.chats_waiting == 0


async def test_no_more_than_the_limit_run_at_once_and_a_busy_chat_takes_one_slot() -> None:
    async with asyncio.timeout(HANG):  # a broken processor fails, not hangs
        processor = PerChatProcessor(limit=2)
        await processor.initialize()
        recorder = Recorder()
        flood = [await _submit(processor, recorder, _message(n, chat=100)) for n in range(1, 6)]
        a = await _submit(processor, recorder, _message(10, chat=200))
        b = await _submit(processor, recorder, _message(11, chat=300))
        await _settled()
        # The flooding chat holds one slot (its first update), chat 200 the other; 300 waits.
        assert recorder.log == ["start 1", "start 10"]
        recorder.release[10].set()
        await a
        await recorder.started[11].wait()
        assert recorder.log == ["start 1", "start 10", "end 10", "start 11"]
        for event in recorder.release.values():
            event.set()
        await asyncio.gather(*flood, b)
        starts = [line for line in recorder.log if line.startswith("start") and int(line[6:]) < 10]
        assert starts == [f"start {n}" for n in range(1, 6)]


async def test_a_cancelled_waiting_update_does_not_let_the_next_overtake_the_running_one() -> None:
    async with asyncio.timeout(HANG):  # a broken processor fails, not hangs
        processor = PerChatProcessor(limit=8)
        await processor.initialize()
        recorder = Recorder()
        first = await _submit(processor, recorder, _message(1, chat=100))
        second = await _submit(processor, recorder, _message(2, chat=100))
        third = await _submit(processor, recorder, _message(3, chat=100))
        await recorder.started[1].wait()
        second.cancel()
        await asyncio.gather(second, return_exceptions=True)
        await _settled()
        assert recorder.log == ["start 1"]  # 3 still waits for 1, although 2 has gone
        recorder.release[1].set()
        await recorder.started[3].wait()
        recorder.release[3].set()
        await asyncio.gather(first, third)
        assert recorder.log == ["start 1", "end 1", "start 3", "end 3"]
        assert processor.chats_waiting == 0


class _OfflineBot(ExtBot[None]):
    """No getMe at start: nothing is contacted in this test."""

    async def get_me(self, *args: Any, **kwargs: Any) -> User:
        self._bot_user = User(1, "bot", True, username="baocao_test_bot")
        return self._bot_user


async def test_the_application_handles_updates_through_the_processor() -> None:
    """Wired into PTB: a slow update of one chat does not hold up another chat's update,
    and the second update of the slow chat is handled after the first."""
    async with asyncio.timeout(HANG):  # a broken processor fails, not hangs
        processor = PerChatProcessor(limit=8)
        app: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder().bot(_OfflineBot("1:fake")).concurrent_updates(processor).build()
        )
        recorder = Recorder()

        async def callback(update: Update, _context: Any) -> None:
            await recorder.handle(update)

        app.add_handler(TypeHandler(Update, callback))
        await app.initialize()
        await app.start()
        try:
            for update in (_message(1, 100), _message(2, 100), _message(3, 200)):
                recorder.prepare(update.update_id)
                await app.update_queue.put(update)
            await recorder.started[3].wait()
            await _settled()
            assert recorder.log == ["start 1", "start 3"]
            recorder.release[1].set()
            await recorder.started[2].wait()
            recorder.release[2].set()
            recorder.release[3].set()
            await app.update_queue.join()
        finally:
            await app.stop()
            await app.shutdown()
        assert recorder.log.index("end 1") < recorder.log.index("start 2")


def test_the_key_of_an_update_is_its_chat_or_its_user() -> None:
    assert chat_key(_message(1, chat=100)) == 100
    pressed = Update(
        2,
        callback_query=CallbackQuery("q", User(300, "Người dùng", False), "1", data="d1:x"),
    )
    assert chat_key(pressed) == 300  # a button on an inline message has no chat
    assert chat_key(Update(3)) is None  # what TolerantBot makes of an unparsable update
    assert chat_key("not an update") is None
