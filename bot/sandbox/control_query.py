"""Control API, observing and steering: sent log, waits, stats, limits, faults, reset."""

from __future__ import annotations

import dataclasses
from typing import Any

from aiohttp import web

from bot.sandbox.control_common import (
    ControlError,
    float_field,
    int_field,
    json_body,
    reply,
    state_of,
)
from bot.sandbox.records import SentRecord
from bot.sandbox.state import STATE_REF
from bot.sandbox.tg_updates import webhook_info


def _items(records: list[SentRecord], last_id: int) -> dict[str, Any]:
    return {"items": [r.to_json() for r in records], "last_id": last_id}


def _filters(request: web.Request) -> dict[str, Any]:
    """SentLog.query's filters; a chat id is any text (Zalo ids are hex strings)."""
    query = request.query
    return {
        "chat_id": query.get("chat_id") or None,
        "since_id": int_field(query, "since_id", 0),
        "method": query.get("method"),
        "channel": query.get("channel") or None,
    }


async def sent(request: web.Request) -> web.Response:
    """``GET /control/sent?chat_id=&since_id=&method=&channel=`` → sends and edits."""
    state = state_of(request)
    return reply(_items(state.sent.query(**_filters(request)), state.sent.last_id))


async def wait(request: web.Request) -> web.Response:
    """``GET /control/wait?chat_id=&count=&since_id=&method=&channel=&timeout=`` → 200
    once at least ``count`` matching records exist after ``since_id``, else 408."""
    state = state_of(request)
    filters = _filters(request)
    count = int_field(request.query, "count", 1)
    timeout = float_field(request.query, "timeout", 10.0)
    log = state.sent
    done = await log.signal.wait_until(lambda: len(log.query(**filters)) >= count, timeout)
    body = _items(log.query(**filters), log.last_id)
    if not done:
        return reply({"error": "timeout", **body}, 408)
    return reply(body)


async def wait_answer(request: web.Request) -> web.Response:
    """``GET /control/wait_answer?callback_query_id=&timeout=`` → the bot's answer."""
    state = state_of(request)
    pending = state.callbacks.get(request.query.get("callback_query_id", ""))
    if pending is None:
        raise ControlError(404, "unknown callback_query_id")
    timeout = float_field(request.query, "timeout", 10.0)
    if not await state.answers_signal.wait_until(lambda: pending.answer is not None, timeout):
        return reply({"error": "timeout"}, 408)
    return reply({"answer": pending.answer})


async def updates_pending(request: web.Request) -> web.Response:
    return reply({"pending": state_of(request).updates.pending()})


async def stats(request: web.Request) -> web.Response:
    state = state_of(request)
    data = state.stats.to_json()
    data["storm_active"] = state.faults.storm_retry_after() is not None
    data["sent_log_size"] = state.sent.last_id
    return reply(data)


async def commands(request: web.Request) -> web.Response:
    state = state_of(request)
    return reply({"last": state.last_set_commands, "all": state.commands})


async def webhook(request: web.Request) -> web.Response:
    state = state_of(request)
    return reply({**webhook_info(state), "secret_token": state.webhook.secret_token})


def _limits_json(request: web.Request) -> dict[str, Any]:
    return dataclasses.asdict(state_of(request).limiter.config)


def _faults_json(request: web.Request) -> dict[str, Any]:
    faults = state_of(request).faults
    data = dataclasses.asdict(faults.config)
    data["methods"] = sorted(data["methods"])
    data["storm_active"] = faults.storm_retry_after() is not None
    return data


async def limits(request: web.Request) -> web.Response:
    """``GET|POST /control/limits``: read or change (any subset of) the limits."""
    if request.method == "POST":
        state_of(request).set_limits(await json_body(request))
    return reply({"limits": _limits_json(request)})


async def faults(request: web.Request) -> web.Response:
    """``GET|POST /control/faults``: read or change the faults (see FaultsConfig)."""
    if request.method == "POST":
        state_of(request).faults.configure(await json_body(request))
    return reply({"faults": _faults_json(request)})


async def reset(request: web.Request) -> web.Response:
    """``POST /control/reset``: a fresh world with the start-up limits and faults."""
    request.app[STATE_REF].reset()
    return reply({"ok": True})


async def download(request: web.Request) -> web.Response:
    """``GET /control/files/{file_id}``: the bytes of a file the bot sent or received."""
    info = state_of(request).files.get(request.match_info["file_id"])
    if info is None:
        raise ControlError(404, "unknown file_id")
    return web.Response(body=info.content, content_type=info.mime_type or None)
