"""``python -m bench.patched_bot PATCH [baocao arguments]``: the real ``baocao`` command with
a candidate change from ``bench.patches`` applied first (``PATCH`` "" applies nothing)."""

from __future__ import annotations

import sys

from bench import patches


def main() -> None:
    patches.apply(sys.argv[1])
    from bot.cli import app

    app(sys.argv[2:], prog_name="baocao")


if __name__ == "__main__":
    main()
