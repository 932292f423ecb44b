"""A throw-away PostgreSQL cluster for tests and benchmarks: initdb + pg_ctl in a temp folder.

Usage::

    with TempCluster() as pg:           # initdb, start on a free 127.0.0.1 port
        url = pg.create_database("x")  # postgresql://briefbot@127.0.0.1:PORT/x
    # stopped and removed

initdb refuses to run as root, so when this process is root the server runs as the `postgres`
system user (`runuser`), in a folder that user owns. The binaries are found on PATH, then in
/usr/lib/postgresql/<version>/bin. The cluster is tuned for throw-away use (fsync off): never
point it at data you want to keep.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

USER = "briefbot"


class PostgresMissing(RuntimeError):
    """The PostgreSQL server binaries (initdb, pg_ctl) are not installed."""


def find_bin(name: str) -> str:
    """Path of a PostgreSQL server binary (initdb, pg_ctl, postgres)."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in versions:
        if (folder / name).exists():
            return str(folder / name)
    raise PostgresMissing(
        f"PostgreSQL server binary {name!r} not found on PATH or in /usr/lib/postgresql/*/bin: "
        "install PostgreSQL 15 (Debian: apt-get install postgresql-15)"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TempCluster:
    """initdb a cluster in a temporary folder, start it on 127.0.0.1, remove it on stop."""

    def __init__(self) -> None:
        self.port = 0
        self.folder: Path | None = None
        self._as_postgres = os.geteuid() == 0 if hasattr(os, "geteuid") else False

    # -------------------------------------------------------------- lifetime

    def start(self) -> TempCluster:
        initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
        self.folder = Path(tempfile.mkdtemp(prefix="briefbot-pg-"))
        data = self.folder / "data"
        if self._as_postgres:
            import pwd

            try:
                entry = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresMissing(
                    "running as root, and initdb refuses root: a `postgres` system user is "
                    "needed to run the test server"
                ) from None
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
            self.folder.chmod(0o700)
        self._run(
            [initdb, "-D", str(data), "-U", USER, "-A", "trust", "-E", "UTF8", "--no-sync",
             "--locale=C"],
        )  # fmt: skip
        self.port = free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200 -c shared_buffers=128MB -c max_locks_per_transaction=128"
        )
        self._run(
            [pg_ctl, "-D", str(data), "-o", options, "-l", str(self.folder / "server.log"), "-w",
             "-t", "60", "start"],
        )  # fmt: skip
        return self

    def stop(self) -> None:
        if self.folder is None:
            return
        data = self.folder / "data"
        with contextlib.suppress(Exception):
            self._run([find_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None

    def __enter__(self) -> TempCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, argv: list[str]) -> None:
        if self._as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd="/")
        if done.returncode != 0:
            log_text = ""
            if self.folder is not None and (self.folder / "server.log").exists():
                log_text = (self.folder / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(
                f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()} {log_text}"
            )

    # -------------------------------------------------------------- databases

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        """Run one statement outside a transaction on the `postgres` database."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def create_database(self, name: str, template: str | None = None) -> str:
        """CREATE DATABASE (as a copy of `template` when given); returns its URL."""
        clause = f" TEMPLATE {template} STRATEGY FILE_COPY" if template else ""
        for attempt in range(50):
            try:
                self.admin(f'CREATE DATABASE "{name}"{clause}')
                break
            except Exception as err:  # the template may still have a closing session
                if "being accessed by other users" not in str(err) or attempt == 49:
                    raise
                time.sleep(0.05)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
