"""The control API under ``/control/``: how tests, the demo and benchmarks drive the
sandbox without sleeping. See docs/sandbox.md for the reference."""

from __future__ import annotations

from aiohttp import web

from bot.sandbox import control_inject as inject
from bot.sandbox import control_query as query
from bot.sandbox.control_common import guarded


def add_control_routes(app: web.Application) -> None:
    routes = [
        ("POST", "/control/users", inject.create_user),
        ("GET", "/control/users", inject.list_users),
        ("POST", "/control/messages", inject.inject_message),
        ("POST", "/control/callback", inject.press_button),
        ("POST", "/control/block", inject.block),
        ("POST", "/control/unblock", inject.unblock),
        ("GET", "/control/sent", query.sent),
        ("GET", "/control/wait", query.wait),
        ("GET", "/control/wait_answer", query.wait_answer),
        ("GET", "/control/updates_pending", query.updates_pending),
        ("GET", "/control/stats", query.stats),
        ("GET", "/control/commands", query.commands),
        ("GET", "/control/webhook", query.webhook),
        ("GET", "/control/limits", query.limits),
        ("POST", "/control/limits", query.limits),
        ("GET", "/control/faults", query.faults),
        ("POST", "/control/faults", query.faults),
        ("POST", "/control/reset", query.reset),
        ("GET", "/control/files/{file_id}", query.download),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, guarded(handler))
