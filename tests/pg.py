"""A throwaway PostgreSQL 15 server for the tests (issue 9, item 4).

``PostgresServer.start()`` runs ``initdb`` and ``pg_ctl -w start`` in a fresh directory (in
/dev/shm where there is room, else the system temp dir): data directory, Unix socket and log
all live there, the server listens on a free port on 127.0.0.1 only, durability is switched
off (it is thrown away), and the superuser has a random password. ``initdb`` refuses to run
as root, so as root the server runs as the ``postgres`` OS user, or as ``baocao-pg`` created
with ``useradd`` where there is none.

Stopping is guarded three times: the fixture's teardown (pytest tears session fixtures down on
Ctrl-C too), a ``try`` around start-up, and a watchdog process in its own session that stops
the server and removes the directory as soon as the test process goes away, however it dies.

Each test gets its own database copied from the migrated template (``database_engine``),
made one step ahead in the background and dropped after the test, so tests never see each
other's rows and pay a few milliseconds for it.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import os
import pwd
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy import Engine

from storage.db import make_engine

SUPERUSER = "baocao"
TEMPLATE = "baocao_template"
FALLBACK_OS_USER = "baocao-pg"
START_TIMEOUT_S = 60
# Set to 1 where the PostgreSQL half must run (CI): "cannot start" then fails instead of skipping.
REQUIRE_ENV = "BAOCAO_REQUIRE_POSTGRES"


class PostgresUnavailable(RuntimeError):
    """No server can be started here; the message says why (it becomes the skip reason)."""


def postgres_required() -> bool:
    return os.environ.get(REQUIRE_ENV, "").strip().lower() in {"1", "true", "yes"}


def _find_binaries() -> tuple[str, str]:
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    missing = [name for name, path in (("initdb", initdb), ("pg_ctl", pg_ctl)) if path is None]
    if missing or initdb is None or pg_ctl is None:
        raise PostgresUnavailable(
            f"{' and '.join(missing)} not on PATH "
            "(install PostgreSQL 15 server binaries, e.g. postgresql-15, to run it)"
        )
    return os.path.realpath(initdb), os.path.realpath(pg_ctl)


def _os_user() -> str | None:
    """The unprivileged user to run the server as; None to run it as ourselves (not root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", FALLBACK_OS_USER):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    useradd = shutil.which("useradd")
    if useradd is None:
        raise PostgresUnavailable(
            "running as root (initdb refuses root), no 'postgres' user and no useradd to create one"
        )
    done = subprocess.run(
        [
            useradd,
            "--system",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            FALLBACK_OS_USER,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode not in (0, 9):  # 9: the user exists (another process created it)
        raise PostgresUnavailable(
            f"running as root and `useradd {FALLBACK_OS_USER}` failed: {done.stderr.strip()}"
        )
    return FALLBACK_OS_USER


def _as_user(user: str | None, argv: list[str]) -> list[str]:
    if user is None:
        return argv
    runuser = shutil.which("runuser")
    if runuser is not None:
        return [runuser, "-u", user, "--", *argv]
    return ["su", "-s", "/bin/sh", user, "-c", shlex.join(argv)]


def _base_dir() -> str:
    """Where the cluster lives: RAM (/dev/shm) where there is room, it makes CREATE DATABASE
    ~20x faster than on disk; the system temp dir otherwise."""
    shm = "/dev/shm"
    with contextlib.suppress(OSError):
        stats = os.statvfs(shm)
        if os.access(shm, os.W_OK | os.X_OK) and stats.f_bavail * stats.f_frsize >= 2 << 30:
            return shm
    return tempfile.gettempdir()


def _child_subreaper(on: bool) -> None:
    """Linux: adopt orphaned descendants, so the postmaster pg_ctl leaves behind becomes our
    child and is reaped by ``stop()`` instead of lingering as a zombie under a lazy PID 1."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(36, int(on), 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def _reap(pid: int, timeout: float) -> None:
    """Wait for ``pid`` to end; reap it if it is our child (see ``_child_subreaper``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # not our child: poll it
            if not _alive(pid):
                return
        else:
            if done == pid:
                return
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Runs as `python -c WATCHDOG DATA_DIR BASE_DIR` in its own session with a pipe on stdin; when
# the pipe closes (the test process ended, however it ended) it stops the postmaster named in
# postmaster.pid and removes BASE_DIR. Idempotent: after a clean stop it only removes the dir.
WATCHDOG = r"""
import os, shutil, signal, sys, time

data, base = sys.argv[1], sys.argv[2]
sys.stdin.buffer.read()

def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
            return True
        except OSError:
            return False

try:
    with open(os.path.join(data, "postmaster.pid")) as f:
        pid = int(f.readline())
except (OSError, ValueError):
    pid = None
if pid is not None:
    for sig, wait in ((signal.SIGINT, 20), (signal.SIGQUIT, 5), (signal.SIGKILL, 5)):
        if not alive(pid):
            break
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
shutil.rmtree(base, ignore_errors=True)
"""


class PostgresServer:
    """One running throwaway server. Use ``start()``; always ``stop()`` (idempotent)."""

    def __init__(self, base: Path, os_user: str | None, pg_ctl: str, port: int, password: str):
        self.base = base
        self.data = base / "data"
        self.socket_dir = base
        self.log = base / "server.log"
        self.os_user = os_user
        self.pg_ctl = pg_ctl
        self.port = port
        self.password = password
        self.postmaster_pid: int | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._admin: psycopg.Connection[tuple[object, ...]] | None = None
        self._names = itertools.count(1)
        # Copies of the template are made (and dropped) one step ahead, in this thread, while
        # the tests run: the server does that work beside the test process, not before it.
        self._background = ThreadPoolExecutor(1, thread_name_prefix="pg-databases")
        self._next_copy: Future[str] | None = None

    # -- life cycle -------------------------------------------------------------------------

    @classmethod
    def start(cls) -> PostgresServer:
        initdb, pg_ctl = _find_binaries()
        os_user = _os_user()
        base = Path(tempfile.mkdtemp(prefix="baocao-pg-", dir=_base_dir()))
        server = cls(base, os_user, pg_ctl, port=0, password=secrets.token_urlsafe(18))
        try:
            server._start_watchdog()
            server._initdb(initdb)
            server._start_postmaster()
            server._admin = server.connect("postgres")
        except BaseException:
            server.stop()
            raise
        return server

    def _run(self, argv: list[str], what: str) -> None:
        done = subprocess.run(
            _as_user(self.os_user, argv),
            cwd=self.base,  # the server user may not be allowed into the caller's directory
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise PostgresUnavailable(
                f"{what} failed (exit {done.returncode}): "
                f"{(done.stderr or done.stdout).strip()[-2000:]}\n{log}".rstrip()
            )

    def _start_watchdog(self) -> None:
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", WATCHDOG, str(self.data), str(self.base)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in the terminal must not reach it
        )

    def _initdb(self, initdb: str) -> None:
        pwfile = self.base / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self.os_user is not None:
            entry = pwd.getpwnam(self.os_user)
            for path in (self.base, pwfile):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self.base.chmod(0o700)
        pwfile.chmod(0o600)
        try:
            self._run(
                [
                    initdb,
                    "--pgdata",
                    str(self.data),
                    "--username",
                    SUPERUSER,
                    "--pwfile",
                    str(pwfile),
                    "--auth",
                    "scram-sha-256",
                    "--encoding",
                    "UTF8",
                    "--locale",
                    "C",  # byte order, like SQLite's default collation
                    "--no-sync",
                    "--no-instructions",
                ],
                "initdb",
            )
        finally:
            pwfile.unlink(missing_ok=True)

    def _start_postmaster(self) -> None:
        for attempt in range(3):
            self.port = _free_port()
            options = (
                f"-k {self.socket_dir} -p {self.port} -c listen_addresses=127.0.0.1"
                " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
                " -c max_connections=200 -c max_wal_size=256MB -c min_wal_size=32MB"
            )
            _child_subreaper(True)
            try:
                self._run(
                    [
                        self.pg_ctl,
                        "--pgdata",
                        str(self.data),
                        "--log",
                        str(self.log),
                        "--wait",
                        "--timeout",
                        str(START_TIMEOUT_S),
                        "--options",
                        options,
                        "start",
                    ],
                    "pg_ctl start",
                )
                self.postmaster_pid = int((self.data / "postmaster.pid").read_text().split()[0])
                return
            except PostgresUnavailable:
                # Someone took the port between the probe and the bind: try another one.
                taken = self.log.exists() and "could not bind" in self.log.read_text()
                if attempt == 2 or not taken:
                    raise
            finally:
                _child_subreaper(False)

    def stop(self) -> None:
        """Stop the server, wait for every server process to end, remove the directory."""
        self._background.shutdown(wait=True, cancel_futures=True)
        if self._admin is not None:
            with contextlib.suppress(Exception):
                self._admin.close()
            self._admin = None
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(PostgresUnavailable):
                self._run(
                    [self.pg_ctl, "--pgdata", str(self.data), "--mode", "fast", "--wait", "stop"],
                    "pg_ctl stop",
                )
        if self.postmaster_pid is not None:
            _reap(self.postmaster_pid, timeout=5)  # normally gone already; the watchdog insists
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None:
            assert watchdog.stdin is not None
            watchdog.stdin.close()  # its cue: stop whatever still runs, remove the directory
            try:
                watchdog.wait(timeout=60)
            except subprocess.TimeoutExpired:
                watchdog.kill()
                watchdog.wait()
        if self.postmaster_pid is not None:
            _reap(self.postmaster_pid, timeout=1)
            self.postmaster_pid = None
        shutil.rmtree(self.base, ignore_errors=True)

    # -- databases --------------------------------------------------------------------------

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=SUPERUSER,
            password=self.password,
            dbname=database,
            autocommit=True,
        )

    def _admin_conn(self) -> psycopg.Connection[tuple[object, ...]]:
        if self._admin is None or self._admin.closed:
            self._admin = self.connect("postgres")
        return self._admin

    def create_database(self, template: str | None = TEMPLATE, name: str | None = None) -> str:
        """A new database, a copy of ``template`` (``None``: empty, from ``template0``)."""
        name = name or f"t{os.getpid()}_{next(self._names)}"
        statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template or "template0")
        )
        self._admin_conn().execute(statement)
        return name

    def drop_database(self, name: str) -> None:
        statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        self._admin_conn().execute(statement)

    def make_template(self, migrate: Callable[[Engine], None], name: str = TEMPLATE) -> None:
        """Create ``name`` and run ``migrate`` on it once; tests copy it (``create_database``)."""
        self.create_database(template=None, name=name)
        engine = make_engine(self.url(name))
        try:
            migrate(engine)
        finally:
            engine.dispose()  # CREATE DATABASE … TEMPLATE needs the template free of sessions

    def copy_of_template(self) -> str:
        """A new database copied from ``TEMPLATE``, usually made already; starts the next one."""
        ready, self._next_copy = self._next_copy, None
        name = ready.result() if ready is not None else self.create_database()
        self._next_copy = self._background.submit(self.create_database)
        return name

    @contextlib.contextmanager
    def database_engine(self, template: str | None = TEMPLATE) -> Iterator[Engine]:
        """An engine on a fresh copy of ``template`` (``None``: an empty database), dropped
        afterwards (in the background: the next test need not wait for it)."""
        name = self.copy_of_template() if template == TEMPLATE else self.create_database(template)
        engine = make_engine(self.url(name))
        try:
            yield engine
        finally:
            engine.dispose()
            self._background.submit(self.drop_database, name)


@contextlib.contextmanager
def running_server() -> Iterator[PostgresServer]:
    """A started server, stopped on the way out (also on KeyboardInterrupt)."""
    server = PostgresServer.start()
    try:
        yield server
    finally:
        server.stop()
