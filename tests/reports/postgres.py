"""A throwaway PostgreSQL server for the report tests (skipped when PostgreSQL is absent).

``initdb`` refuses to run as root, so as root the server runs as the ``postgres`` user
(which must exist) in a temporary directory handed to it, on a Unix socket only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PORT = 55_432


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    if shutil.which("runuser") is None:
        pytest.skip("running as root without runuser")
    return ["runuser", "-u", "postgres", "--", *command]


def _run(*args: str) -> None:
    subprocess.run(_as_server_user(list(args)), check=True, capture_output=True, timeout=120)


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server in a new temporary directory; yield its URL; stop and remove it.

    Not under pytest's ``tmp_path``: that is private to root, and the server runs as
    ``postgres``.
    """
    if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
        pytest.skip("PostgreSQL is not installed")
    folder = Path(tempfile.mkdtemp(prefix="baocao-reports-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data = folder / "data"
    _run("initdb", "-D", str(data), "-A", "trust", "-U", "postgres")
    options = f"-k {folder} -p {PORT} -c listen_addresses= -c fsync=off"
    _run("pg_ctl", "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start")
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={folder}&port={PORT}"
    finally:
        _run("pg_ctl", "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)
