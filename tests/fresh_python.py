"""Run a script in a new Python interpreter, for tests about what a process imports (a test
process has imported everything already)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_fresh(script: str, *, cwd: Path = ROOT, env: dict[str, str] | None = None) -> list[str]:
    """``python -c script`` with the project on the path; its output lines (fails the test
    with the script's stderr if it fails)."""
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()
