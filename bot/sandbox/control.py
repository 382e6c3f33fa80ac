"""The control API under ``/control/``: how tests, the demo and benchmarks drive the
sandbox without sleeping. See docs/sandbox.md for the reference."""

from __future__ import annotations

from aiohttp import web

from bot.sandbox import control_inject as inject
from bot.sandbox import control_query as query
from bot.sandbox import zalo_control as zalo
from bot.sandbox.control_common import guarded
from bot.sandbox.zalo_control import by_channel


def add_control_routes(app: web.Application) -> None:
    """Mount ``/control/``; user and webhook endpoints serve Telegram or Zalo
    (``by_channel``), the sent log, waits, limits, faults and stats serve both."""
    routes = [
        ("POST", "/control/users", by_channel(inject.create_user, zalo.create_user)),
        ("GET", "/control/users", by_channel(inject.list_users, zalo.list_users)),
        ("POST", "/control/messages", by_channel(inject.inject_message, zalo.inject_message)),
        ("POST", "/control/callback", by_channel(inject.press_button, zalo.no_buttons)),
        ("POST", "/control/block", by_channel(inject.block, zalo.block)),
        ("POST", "/control/unblock", by_channel(inject.unblock, zalo.unblock)),
        ("GET", "/control/sent", query.sent),
        ("GET", "/control/wait", query.wait),
        ("GET", "/control/wait_answer", query.wait_answer),
        (
            "GET",
            "/control/updates_pending",
            by_channel(query.updates_pending, zalo.updates_pending),
        ),
        ("GET", "/control/stats", query.stats),
        ("GET", "/control/commands", query.commands),
        ("GET", "/control/webhook", by_channel(query.webhook, zalo.webhook)),
        ("GET", "/control/zalo", zalo.settings),
        ("POST", "/control/zalo", zalo.settings),
        ("GET", "/control/limits", query.limits),
        ("POST", "/control/limits", query.limits),
        ("GET", "/control/faults", query.faults),
        ("POST", "/control/faults", query.faults),
        ("POST", "/control/reset", query.reset),
        ("GET", "/control/files/{file_id}", query.download),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, guarded(handler))
