"""Malformed updates against the running bot: a burst pushed into the sandbox's update
queue (fields missing, unknown fields, wrong types, huge texts, lone surrogates in a file
name, forged callback data, update kinds nobody asked for) leaves the bot process alive,
every update consumed, and the bot still answering ``/help``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.sandbox.client import SandboxClient
from bot.sandbox.server import ThreadedSandbox
from tests.e2e.harness import BotEnv, BotProcess, Person
from tests.e2e.recipients import register_many
from tests.reliability.helpers import push_raw_updates, wait_until

pytestmark = pytest.mark.e2e


def _user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Người dùng"}


def _message(chat: int, **fields: Any) -> dict[str, Any]:
    base = {"message_id": 900, "date": 1621900000, "chat": {"id": chat, "type": "private"}}
    return {**base, "from": _user(chat), **fields}


def malformed(chat: int) -> list[tuple[str, dict[str, Any]]]:
    """Updates of a registered person's chat that no well-behaved server would send."""
    no_chat = _message(chat, text="/help")
    del no_chat["chat"]
    # Invalid UTF-8 arrives as U+FFFD (PTB decodes with errors="replace"); the sandbox cannot
    # send the bytes themselves (nor lone surrogates): the in-process test covers those.
    document = {"file_id": "BQAC", "file_unique_id": "AgAD", "file_name": "b\ufffdo c\ufffd(.pdf"}
    query = {"id": "q1", "chat_instance": "1", "from": _user(chat)}
    shown = _message(chat, text="Kính gửi đồng chí")
    return [
        ("message", {**_message(chat, text="/report"), "zz_unknown": {"deep": [1, {"x": None}]}}),
        ("message", {**_message(chat, text="/tasks"), "message_id": None}),
        ("message", no_chat),
        ("message", {k: v for k, v in _message(chat, text="1").items() if k != "from"}),
        ("message", _message(chat, text="x" * 70_000)),
        ("message", _message(chat, text=12345)),
        ("message", _message(chat, text={"text": "/help"})),
        ("message", _message(chat, caption="báo cáo", document=document)),
        ("message", {**_message(chat, text="/help"), "chat": {"id": "abc", "type": "private"}}),
        ("edited_message", {**_message(chat, text="/cancel"), "edit_date": 1621900100}),
        ("callback_query", {"id": "q0", "chat_instance": "1", "data": "q:3:done"}),
        ("callback_query", {**query, "data": "q:3:done", "message": shown}),
        ("callback_query", {**query, "id": "q2", "data": "z:" + "9" * 40, "message": shown}),
        ("callback_query", {**query, "id": "q3", "data": "d99:i:1", "message": shown}),
        ("callback_query", {**query, "id": "q4", "message": shown}),  # no data at all
        ("brand_new_kind", {"anything": True}),
        ("my_chat_member", {"chat": {"id": chat, "type": "private"}, "date": 1621900000}),
    ]


def test_a_burst_of_malformed_updates_leaves_the_bot_alive_and_answering(
    bot_env: BotEnv,
    sandbox: ThreadedSandbox,
    client: SandboxClient,
    start_bot: Callable[[], BotProcess],
    person: Callable[[str], Person],
) -> None:
    [chat] = register_many(bot_env, client, 1)
    # Without flood limits: the bot handles one chat's updates one at a time and waits out
    # each 429, so the answers to the flooding chat (one a second) would take a minute.
    client.set_limits(enabled=False)
    bot = start_bot()
    stranger = person("Khách")
    assert "lời mời" in stranger.say("/start")[0]["text"]  # the bot is polling
    push_raw_updates(sandbox, malformed(chat) * 3)
    wait_until(
        lambda: client.updates_pending() == 0,
        timeout=30,
        what="the bot to consume every update",
        bot=bot,
    )
    assert "lời mời" in stranger.say("/help")[0]["text"]
    # One chat's updates are handled in order (other chats' alongside): the answer to this
    # /help comes after the answers to the whole burst, some of which may still be on the way.
    since = client.mark()
    client.send_text(chat, "/help")
    helped = False
    while not helped:
        replies = client.wait_sent(chat_id=chat, since_id=since, count=1, timeout=20)
        helped = any(
            all(command in reply["text"] for command in ("/report", "/lang", "/cancel"))
            for reply in replies
        )
        since = replies[-1]["id"]
    assert bot.proc.poll() is None


def test_an_update_the_library_cannot_parse_does_not_stop_the_bot(
    bot_env: BotEnv,
    sandbox: ThreadedSandbox,
    start_bot: Callable[[], BotProcess],
    person: Callable[[str], Person],
) -> None:
    start_bot()
    stranger = person("Khách")
    assert "lời mời" in stranger.say("/start")[0]["text"]
    undated = _message(stranger.user_id, text="/help")
    del undated["date"]
    push_raw_updates(sandbox, [("message", undated)])
    stranger.client.send_text(stranger.user_id, "/help")
    assert "lời mời" in stranger.read(1, timeout=5)[0]["text"]
