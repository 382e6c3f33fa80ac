"""Bot API methods about the bot itself: identity, updates, webhook, commands, files."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.sandbox.errors import POLL_CONFLICT, WEBHOOK_CONFLICT, ApiError, bad_request
from bot.sandbox.state import SandboxState
from bot.sandbox.tg_common import Call

_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


async def get_me(call: Call) -> dict[str, Any]:
    return call.bot


async def get_updates(call: Call) -> list[dict[str, Any]]:
    """Long-poll like Telegram: one poller at a time, never while a webhook is set."""
    updates = call.state.updates
    if call.state.webhook.url:
        raise ApiError(409, WEBHOOK_CONFLICT)
    if updates.poller_busy():
        raise ApiError(409, POLL_CONFLICT)
    offset = call.params.get_int("offset", 0) or 0
    limit = min(100, max(1, call.params.get_int("limit", 100) or 100))
    timeout = max(0.0, call.params.get_float("timeout", 0.0))
    updates.poller = call.request
    try:
        return await updates.take(offset, limit, timeout, lambda: bool(call.state.webhook.url))
    finally:
        if updates.poller is call.request:
            updates.poller = None


async def set_webhook(call: Call) -> bool:
    url = call.params.get_str("url") or ""
    if url and not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = call.params.get_str("secret_token")
    if secret is not None and not _SECRET_RE.match(secret):
        raise bad_request("secret token contains unallowed characters")
    if call.params.get_bool("drop_pending_updates"):
        call.state.updates.clear()
    hook = call.state.webhook
    hook.url, hook.secret_token = url, secret if url else None
    hook.max_connections = call.params.get_int("max_connections", 40) or 40
    hook.allowed_updates = call.params.get_json("allowed_updates", "can't parse allowed_updates")
    hook.last_error_date = hook.last_error_message = None
    call.state.updates.signal.fire()  # wake the webhook deliverer
    return True


async def delete_webhook(call: Call) -> bool:
    if call.params.get_bool("drop_pending_updates"):
        call.state.updates.clear()
    call.state.webhook.url = ""
    call.state.webhook.secret_token = None
    return True


async def get_webhook_info(call: Call) -> dict[str, Any]:
    return webhook_info(call.state)


def webhook_info(state: SandboxState) -> dict[str, Any]:
    """Telegram's WebhookInfo (also shown by ``/control/webhook``)."""
    hook = state.webhook
    info: dict[str, Any] = {
        "url": hook.url,
        "has_custom_certificate": False,
        "pending_update_count": state.updates.pending(),
    }
    if hook.url:
        info["max_connections"] = hook.max_connections
    for key in ("allowed_updates", "last_error_date", "last_error_message"):
        if getattr(hook, key) is not None:
            info[key] = getattr(hook, key)
    return info


def _commands_key(call: Call) -> str:
    scope = call.params.get_json("scope", "can't parse BotCommandScope JSON object")
    scope = scope or {"type": "default"}
    language = call.params.get_str("language_code") or ""
    return f"{json.dumps(scope, sort_keys=True)}|{language}"


async def set_my_commands(call: Call) -> bool:
    commands = call.params.get_json("commands", "can't parse commands JSON object")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("commands must be an Array of at most 100 BotCommand")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND_RE.match(str(command.get("command"))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    call.state.commands[_commands_key(call)] = commands
    call.state.last_set_commands = {
        "commands": commands,
        "scope": call.params.get_json("scope", "") or {"type": "default"},
        "language_code": call.params.get_str("language_code") or "",
    }
    return True


async def get_my_commands(call: Call) -> list[dict[str, Any]]:
    return call.state.commands.get(_commands_key(call), [])


async def delete_my_commands(call: Call) -> bool:
    call.state.commands.pop(_commands_key(call), None)
    return True


async def get_file(call: Call) -> dict[str, Any]:
    info = call.state.files.get(call.params.get_str("file_id") or "")
    if info is None:
        raise bad_request("invalid file_id")
    return {
        "file_id": info.file_id,
        "file_unique_id": info.file_unique_id,
        "file_size": len(info.content),
        "file_path": info.file_path,
    }


async def answer_true(call: Call) -> bool:
    """close / logOut: nothing to do locally."""
    return True
