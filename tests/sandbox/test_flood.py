"""Flood limits seen through python-telegram-bot: broadcast bursts, groups, paid
broadcasts, and switching the limits off for overhead benchmarks."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot
from telegram.error import RetryAfter

from bot.sandbox import AsyncSandboxClient

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # RetryAfter int


async def _users(control: AsyncSandboxClient, n: int) -> list[int]:
    return [(await control.create_user(f"User {i}"))["chat_id"] for i in range(n)]


async def _fire(bot: Bot, chat_ids: list[int], **kwargs: object) -> list[object]:
    sends = [bot.send_message(chat_id, "Thông báo", **kwargs) for chat_id in chat_ids]
    return await asyncio.gather(*sends, return_exceptions=True)


async def test_60_sends_to_60_users_at_once_hit_the_30_per_second_limit(
    ptb: Bot, control: AsyncSandboxClient, retry_seconds
) -> None:
    results = await _fire(ptb, await _users(control, 60))
    refused = [r for r in results if isinstance(r, RetryAfter)]
    delivered = [r for r in results if not isinstance(r, BaseException)]
    assert len(refused) + len(delivered) == 60
    assert refused and len(delivered) >= 30
    assert all(retry_seconds(r) == 1 for r in refused)
    stats = await control.stats()
    assert stats["rate_limited"] == len(refused)
    assert stats["sent_messages"] == len(delivered) == len(await control.sent())


async def test_group_chat_allows_20_messages_per_minute(
    ptb: Bot, control: AsyncSandboxClient, retry_seconds
) -> None:
    user = await control.create_user("Lan")
    group = {"id": -1001234, "type": "supergroup", "title": "Sở LĐTBXH"}
    await control.send_text(user["user_id"], "/status", chat=group)
    for n in range(20):
        await ptb.send_message(group["id"], f"#{n}")
    with pytest.raises(RetryAfter) as caught:
        await ptb.send_message(group["id"], "#20")
    assert 55 <= retry_seconds(caught.value) <= 60
    assert len(await control.sent(chat_id=group["id"])) == 20


async def test_paid_broadcast_is_not_held_to_30_per_second(
    ptb: Bot, control: AsyncSandboxClient
) -> None:
    results = await _fire(ptb, await _users(control, 60), allow_paid_broadcast=True)
    assert not [r for r in results if isinstance(r, BaseException)]


async def test_limits_can_be_switched_off_and_tuned_at_run_time(
    ptb: Bot, control: AsyncSandboxClient
) -> None:
    [chat_id] = await _users(control, 1)
    await control.set_limits(enabled=False)
    for n in range(40):
        await ptb.send_message(chat_id, f"#{n}")
    stats = await control.stats()
    assert stats["rate_limited"] == 0 and stats["sent_messages"] == 40
    assert stats["first_send_ts"] <= stats["last_send_ts"]

    limits = await control.set_limits(enabled=True, overall_per_second=5, private_burst=10)
    assert limits["overall_per_second"] == 5
    results = await _fire(ptb, [chat_id] * 8)
    assert sum(isinstance(r, RetryAfter) for r in results) == 3


async def test_bad_limit_values_are_refused(control: AsyncSandboxClient) -> None:
    from bot.sandbox import SandboxError

    with pytest.raises(SandboxError) as caught:
        await control.set_limits(overall_per_second=0)
    assert caught.value.status == 400
    with pytest.raises(SandboxError):
        await control.set_limits(per_hour=3)
