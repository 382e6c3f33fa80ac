"""Issue 9: Telegram webhook mode. The secret is set on setWebhook and checked on every
request; requests without it are refused and logged; /healthz answers."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from bot.channels.secrets import webhook_secret
from bot.sandbox.client import SandboxClient
from tests.e2e.harness import TOKEN, BotEnv, BotProcess, Person, free_port

pytestmark = pytest.mark.e2e


def test_webhook_mode_serves_updates_and_refuses_requests_without_the_secret(
    bot_env: BotEnv, client: SandboxClient, person: Callable[[str], Person]
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    bot = BotProcess(
        bot_env,
        args=("--channel", "telegram", "--webhook-url", url, "--listen", f"127.0.0.1:{port}"),
    )
    try:
        an = person("An")
        welcome = an.say(f"/start {bot_env.invite('SNV', 'focal', 'Nguyễn Văn An')}")[0]
        assert "Nguyễn Văn An" in welcome["text"]  # delivered by the sandbox to the webhook
        hook = client.webhook()
        assert hook["url"] == url and hook["secret_token"] == webhook_secret(TOKEN)
        update = {
            "update_id": 999,
            "message": {
                "message_id": 1,
                "date": 0,
                "text": "/help",
                "chat": {"id": an.user_id, "type": "private"},
                "from": {"id": an.user_id, "is_bot": False, "first_name": "X"},
            },
        }
        with httpx.Client(trust_env=False) as http:
            refused = http.post(url, json=update)
            wrong = http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}
            )
            health = http.get(f"http://127.0.0.1:{port}/healthz").json()
        assert (refused.status_code, wrong.status_code) == (403, 403)
        assert health["ok"] is True and health["instance"] == "baocao-1"
        assert bot.output().count("webhook request refused") == 2
        assert webhook_secret(TOKEN) not in bot.output()
    finally:
        bot.stop()
