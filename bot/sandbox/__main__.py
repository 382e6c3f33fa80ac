"""``python -m bot.sandbox --port 8081``: run the Bot API sandbox until Ctrl-C.

One server speaks both APIs: Telegram's at ``/bot<TOKEN>/<method>`` and Zalo's at
``/zalo/bot<TOKEN>/<method>``, with one control API at ``/control/``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from bot.sandbox.config import WEBHOOK_SHAPES, FaultsConfig, LimitsConfig, SandboxConfig, ZaloConfig
from bot.sandbox.server import serve


def build_parser() -> argparse.ArgumentParser:
    """The command-line options (also reusable by the project's CLI)."""
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="bind address (keep it loopback)")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument(
        "--token",
        action="append",
        default=[],
        help="accept only this token (repeatable); default: any well-formed token",
    )
    parser.add_argument("--bot-username", default="baocao_sandbox_bot")
    parser.add_argument("--no-limits", action="store_true", help="switch flood limits off")
    parser.add_argument("--overall-per-second", type=int, default=30)
    parser.add_argument("--private-burst", type=int, default=3)
    parser.add_argument("--private-per-second", type=float, default=1.0)
    parser.add_argument("--group-per-minute", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None, help="fault RNG seed")
    for name in ("error", "timeout", "reset", "storm"):
        parser.add_argument(
            f"--{name}-rate",
            type=float,
            default=0.0,
            help=f"probability of a {name} fault per sending call",
        )
    parser.add_argument("--timeout-delay", type=float, default=10.0)
    parser.add_argument("--storm-duration", type=float, default=5.0)
    _add_zalo_arguments(parser)
    return parser


def _add_zalo_arguments(parser: argparse.ArgumentParser) -> None:
    zalo = parser.add_argument_group("Zalo Bot API (under /zalo)")
    zalo.add_argument(
        "--zalo-token",
        action="append",
        default=[],
        help="accept only this Zalo token (repeatable); default: any well-formed token",
    )
    zalo.add_argument("--zalo-account-name", default="bot.baocao_sandbox")
    zalo.add_argument(
        "--zalo-webhook-shape",
        choices=WEBHOOK_SHAPES,
        default="alternate",
        help="post updates wrapped in ok/result, flat, or alternating (default)",
    )
    zalo.add_argument(
        "--zalo-quota",
        type=int,
        default=None,
        help="accepted Zalo sends before 429 Quota exceeded (Basic plan: 3000/month)",
    )
    zalo.add_argument(
        "--zalo-echo",
        action="store_true",
        help="feed the bot's own Zalo messages back to it as updates",
    )


def _zalo_config(args: argparse.Namespace) -> ZaloConfig:
    return ZaloConfig(
        tokens=frozenset(args.zalo_token),
        account_name=args.zalo_account_name,
        webhook_shape=args.zalo_webhook_shape,
        message_quota=args.zalo_quota,
        echo_bot_messages=args.zalo_echo,
    )


def config_from_args(argv: Sequence[str] | None = None) -> SandboxConfig:
    """Parse ``argv`` into a :class:`SandboxConfig`."""
    args = build_parser().parse_args(argv)
    limits = LimitsConfig(
        enabled=not args.no_limits,
        overall_per_second=args.overall_per_second,
        private_burst=args.private_burst,
        private_per_second=args.private_per_second,
        group_per_minute=args.group_per_minute,
    )
    faults = FaultsConfig(
        seed=args.seed,
        error_rate=args.error_rate,
        timeout_rate=args.timeout_rate,
        reset_rate=args.reset_rate,
        storm_rate=args.storm_rate,
        timeout_delay=args.timeout_delay,
        storm_duration=args.storm_duration,
    )
    return SandboxConfig(
        host=args.host,
        port=args.port,
        tokens=frozenset(args.token),
        bot_username=args.bot_username,
        limits=limits,
        faults=faults,
        zalo=_zalo_config(args),
    )


def main(argv: Sequence[str] | None = None) -> None:
    serve(config_from_args(argv))


if __name__ == "__main__":
    main()
