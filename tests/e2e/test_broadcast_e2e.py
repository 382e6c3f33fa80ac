"""Issue 5, end to end: broadcasts through the real bot process and the sandbox's limits."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from bot.sandbox.client import SandboxClient
from tests.e2e.harness import BotEnv, BotProcess, Person, buttons
from tests.e2e.recipients import delivered_per_chat, register_many, wait_broadcast_done

pytestmark = pytest.mark.e2e
NOTICE = "Tháng hành động vì bình đẳng giới năm 2021 bắt đầu từ ngày 15/11/2021."


def _report(bot_env: BotEnv, broadcast_id: int) -> dict[str, object]:
    return json.loads(bot_env.cli("broadcast", "report", str(broadcast_id), "--format", "json"))


def test_thousand_recipients_each_get_one_message_without_a_429(
    bot_env: BotEnv, client: SandboxClient, start_bot: Callable[[], BotProcess]
) -> None:
    chats = register_many(bot_env, client, 1000)
    start_bot()
    out = bot_env.cli("broadcast", "--audience", "all", "--text", NOTICE, "--yes")
    assert "1000 recipients" in out and "Done" in out
    assert set(delivered_per_chat(client, chats).values()) == {1}
    stats = client.stats()
    assert stats["rate_limited"] == 0
    report = _report(bot_env, 1)
    assert (report["total"], report["sent"], report["pending"]) == (1000, 1000, 0)


def test_faults_and_blocked_users_still_reach_everyone_reachable_once(
    bot_env: BotEnv, client: SandboxClient, start_bot: Callable[[], BotProcess]
) -> None:
    chats = register_many(bot_env, client, 300)
    blocked = chats[:10]
    for chat in blocked:
        client.block(chat)
    client.set_faults(seed=7, error_rate=0.05, timeout_rate=0.02, timeout_delay=1.0)
    start_bot()
    bot_env.cli("broadcast", "--audience", "all", "--text", NOTICE, "--yes")
    delivered = delivered_per_chat(client, chats)
    assert all(delivered[c] == 0 for c in blocked)
    assert all(delivered[c] == 1 for c in chats[10:])
    report = _report(bot_env, 1)
    assert report["blocked"] == 10 and report["sent"] == 290 and report["failed"] == 0
    assert report["sent"] + report["blocked"] + report["failed"] + report["pending"] == 300
    assert client.stats()["server_errors"] > 0 and client.stats()["timeouts"] > 0


def test_a_killed_bot_finishes_the_broadcast_after_restart_skipping_nobody(
    bot_env: BotEnv, client: SandboxClient, start_bot: Callable[[], BotProcess]
) -> None:
    chats = register_many(bot_env, client, 200)
    first = start_bot()
    bot_env.cli("broadcast", "--audience", "all", "--text", NOTICE, "--yes", "--no-wait")
    client.wait_sent(count=60, timeout=30)  # the first two seconds' worth went out
    first.kill()
    start_bot()
    wait_broadcast_done(bot_env, 1)
    delivered = delivered_per_chat(client, chats)
    assert min(delivered.values()) == 1  # nobody skipped
    duplicates = sum(n - 1 for n in delivered.values())
    assert duplicates <= 64  # at most the sends in flight at the kill (the send pool size)
    assert _report(bot_env, 1)["sent"] == 200


def test_admin_broadcasts_in_chat_with_preview_and_gets_a_delivery_report(
    bot_env: BotEnv,
    client: SandboxClient,
    start_bot: Callable[[], BotProcess],
    person: Callable[[str], Person],
) -> None:
    chats = register_many(bot_env, client, 5, agency="UBND-DONGXOAI")
    start_bot()
    admin = person("Quản trị")
    admin.say(f"/start {bot_env.invite('VPUBND', 'admin', 'Phan Văn Hải')}")
    admin.say("/broadcast")
    audience = admin.say(NOTICE)[0]
    labels = [label for label, _ in buttons(audience)]
    assert "UBND các huyện, thị xã, thành phố" in labels
    preview = admin.press(audience, "UBND các huyện, thị xã, thành phố", expect=3)
    assert preview[1]["text"] == NOTICE and "5" in preview[2]["text"]
    confirm = admin.press(preview[2], "Gửi ngay")[0]
    queued = admin.press(confirm, "Xác nhận")[0]
    assert "số 1" in queued["text"]
    seen = [admin.read(1, timeout=30)[0] for _ in range(2)]  # progress, then more
    while "giao thành công" not in seen[-1]["text"] and len(seen) < 8:
        seen += admin.read(1, timeout=30)
    assert seen[0]["method"] == "sendMessage" and "Đang gửi thông báo số 1" in seen[0]["text"]
    assert any(m["method"] == "editMessageText" for m in seen)  # the progress message updates
    assert "giao thành công: 5" in seen[-1]["text"]
    assert set(delivered_per_chat(client, chats).values()) == {1}


def test_focal_point_cannot_broadcast(
    bot_env: BotEnv, start_bot: Callable[[], BotProcess], person: Callable[[str], Person]
) -> None:
    start_bot()
    an = person("An")
    an.say(f"/start {bot_env.invite('SNV', 'focal', 'Nguyễn Văn An')}")
    assert "chỉ dành cho quản trị viên" in an.say("/broadcast")[0]["text"]
