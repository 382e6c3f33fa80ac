"""``python -m bot.sandbox --port 8081``: run the Bot API sandbox until Ctrl-C."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from bot.sandbox.config import FaultsConfig, LimitsConfig, SandboxConfig
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
    return parser


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
    )


def main(argv: Sequence[str] | None = None) -> None:
    serve(config_from_args(argv))


if __name__ == "__main__":
    main()
