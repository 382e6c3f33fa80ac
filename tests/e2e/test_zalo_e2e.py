"""Issue 8, end to end: the same bot on the Zalo Bot API (the sandbox's Zalo side).

One sandbox serves both channels; the real bot process runs both adapters at once, so a
person registered on Telegram can add a Zalo chat and get reminders on both.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from bot.channels.secrets import webhook_secret
from bot.sandbox.client import SandboxClient
from storage import outbox
from storage.db import make_engine
from tests.e2e.harness import BotEnv, BotProcess, Person, free_port
from tests.e2e.recipients import wait_broadcast_done

pytestmark = pytest.mark.e2e
ZALO_TOKEN = "987654:zalo-sandbox-secret"


class ZaloUser:
    """A person on Zalo: no buttons, answers with numbers and words."""

    def __init__(self, client: SandboxClient, name: str) -> None:
        self.client = client
        self.user_id = str(client.create_user(channel="zalo", display_name=name)["user_id"])
        self.seen = client.mark()

    def say(self, message: str, expect: int = 1) -> list[str]:
        self.client.send_text(self.user_id, message)
        return self.read(expect)

    def read(self, count: int = 1) -> list[str]:
        got = self.client.wait_sent(
            chat_id=self.user_id, count=count, since_id=self.seen, timeout=20
        )
        self.seen = int(got[-1]["id"])
        return [str(m["text"]) for m in got]


@pytest.fixture
def zalo_env(bot_env: BotEnv, sandbox: Any) -> BotEnv:
    bot_env.extra.update({"ZALO_BOT_TOKEN": ZALO_TOKEN, "ZALO_BASE_URL": f"{sandbox.url}/zalo"})
    return bot_env


@pytest.fixture
def db(zalo_env: BotEnv) -> Iterator[Any]:
    engine = make_engine(zalo_env.database_url)
    yield engine
    engine.dispose()


def _wait_tick(env: BotEnv, engine: Any, bot: BotProcess, moment: datetime) -> None:
    env.set_time(moment)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert bot.proc.poll() is None, bot.output()[-3000:]
        with Session(engine) as session:
            beat = outbox.last_beat(session, name="tick")
        if beat is not None and beat >= moment:
            return
        time.sleep(0.02)  # polling a condition in the database, not a guess
    raise AssertionError("no tick")


def test_invite_and_progress_dialogue_by_numbered_answers_on_zalo(
    zalo_env: BotEnv, client: SandboxClient, start_bot: Callable[[], BotProcess]
) -> None:
    start_bot()
    lan = ZaloUser(client, "Lan")
    welcome = lan.say(zalo_env.invite("SGDDT", "focal", "Phạm Thị Lan"))[0]  # the token alone
    assert "Kính gửi đồng chí Phạm Thị Lan" in welcome
    items = lan.say("/report")[0]
    assert "Đề nghị trả lời bằng số thứ tự" in items and "\n1. " in items
    statuses = lan.say("1")[0]
    assert "1. Hoàn thành" in statuses and "4. Chưa thực hiện" in statuses
    lan.say("dang thuc hien")
    confirmation = lan.say("Đang tổng hợp số liệu các trường")[0]
    assert "Đang thực hiện" in confirmation and "Đang tổng hợp số liệu" in confirmation
    engine = create_engine(zalo_env.database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, channel FROM progress_update")).all()
    assert [tuple(r) for r in rows] == [("in_progress", "zalo")]


def test_duplicate_deliveries_are_handled_once(
    zalo_env: BotEnv, client: SandboxClient, start_bot: Callable[[], BotProcess]
) -> None:
    start_bot()
    lan = ZaloUser(client, "Lan")
    lan.say(zalo_env.invite("SGDDT", "focal", "Phạm Thị Lan"))
    mark = client.mark()
    client.send_message(lan.user_id, text="/help", repeat=3)  # Zalo redelivers
    lan.read(1)
    client.send_message(lan.user_id, text="/tasks")  # a later message: the bot is caught up
    lan.read(1)
    answers = client.sent(chat_id=lan.user_id, since_id=mark)
    assert len(answers) == 2


def test_reminder_reaches_both_channels_of_one_person_and_broadcast_reaches_zalo(
    zalo_env: BotEnv,
    client: SandboxClient,
    start_bot: Callable[[], BotProcess],
    person: Callable[[str], Person],
    db: Any,
) -> None:
    bot = start_bot()
    an_tg = person("An")
    an_tg.say(f"/start {zalo_env.invite('SNV', 'focal', 'Nguyễn Văn An')}")
    out = zalo_env.cli("invite", "create", "--person", "1", "--format", "json")
    import json

    an_zalo = ZaloUser(client, "An")
    an_zalo.say(json.loads(out)["token"])
    _wait_tick(zalo_env, db, bot, datetime(2021, 5, 21, 1, 5, tzinfo=UTC))  # Fri 08:05
    telegram_reminder = an_tg.read(1)[0]["text"]
    zalo_reminder = an_zalo.read(1)[0]
    assert "Nhắc hạn gửi báo cáo" in telegram_reminder
    assert "Nhắc hạn gửi báo cáo" in zalo_reminder and "5. Nhắc lại sau" in zalo_reminder
    note_prompt = an_zalo.say("1")[0]  # a typed number answers the reminder
    assert note_prompt.startswith("Tình trạng: Hoàn thành")
    assert "Hoàn thành" in an_zalo.say("bỏ qua")[0]
    zalo_env.cli(
        "broadcast", "--audience", "agency:SNV", "--text", "Thông báo thử.", "--yes", "--no-wait"
    )
    wait_broadcast_done(zalo_env, 1)
    assert an_zalo.read(1) == ["Thông báo thử."]


def test_zalo_webhook_refuses_a_wrong_secret_and_accepts_the_right_one(
    zalo_env: BotEnv, client: SandboxClient
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/zalo-hook"
    bot = BotProcess(
        zalo_env,
        args=("--channel", "zalo", "--zalo-webhook-url", url, "--zalo-listen", f"127.0.0.1:{port}"),
    )
    try:
        lan = ZaloUser(client, "Lan")
        lan.say(zalo_env.invite("SGDDT", "focal", "Phạm Thị Lan"))  # via the sandbox's webhook
        update = {
            "event_name": "message.text.received",
            "message": {
                "from": {"id": lan.user_id, "display_name": "X", "is_bot": False},
                "chat": {"id": lan.user_id, "chat_type": "PRIVATE"},
                "message_id": "forged-1",
                "date": 0,
                "text": "/help",
            },
        }
        with httpx.Client(trust_env=False) as http:
            wrong = http.post(url, json=update, headers={"X-Bot-Api-Secret-Token": "guess"})
            missing = http.post(url, json=update)
            right = http.post(
                url,
                json={"ok": True, "result": update},
                headers={"X-Bot-Api-Secret-Token": webhook_secret(ZALO_TOKEN)},
            )
        assert (wrong.status_code, missing.status_code, right.status_code) == (403, 403, 200)
        assert "refused" in bot.output()
    finally:
        bot.stop()
