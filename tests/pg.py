"""A throw-away PostgreSQL for the tests: one cluster per session, one database per test.

The cluster (bench/pgcluster.py: initdb + pg_ctl on a free 127.0.0.1 port, as the `postgres`
user when the tests run as root) gets a template database migrated once, and a few
`CREATE DATABASE ... TEMPLATE` copies of it. A test takes one; afterwards a background thread
empties it (TRUNCATE ... RESTART IDENTITY: a fraction of a second, where a new copy takes
one) and puts it back, or drops it and makes a new copy when the test changed its schema.

Without the server binaries the PostgreSQL tests are skipped, unless $BRIEFBOT_REQUIRE_POSTGRES
is set (CI sets it): then they fail with the reason.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import queue
import threading
from typing import Any

import pytest

from bench.pgcluster import PostgresMissing, TempCluster

log = logging.getLogger(__name__)

REQUIRE_ENV = "BRIEFBOT_REQUIRE_POSTGRES"
TEMPLATE = "briefbot_template"
AHEAD = 3


class DatabasePool:
    """Fresh migrated databases, made ahead in a background thread."""

    def __init__(self, cluster: TempCluster, tables: int) -> None:
        self.cluster = cluster
        self._tables = tables
        self._ready: queue.Queue[str] = queue.Queue()
        self._work: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._names = (f"t{n}" for n in itertools.count(1))
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name="pg-test-dbs", daemon=True)
        self._errors: list[BaseException] = []
        self._thread.start()
        for _ in range(AHEAD):
            self._order()

    def _order(self) -> None:
        with self._lock:
            name = next(self._names)
        self._work.put(("create", name))

    def _serve(self) -> None:
        while (job := self._work.get()) is not None:
            kind, name = job
            try:
                if kind == "create":
                    self.cluster.create_database(name, template=TEMPLATE)
                    self._ready.put(name)
                elif self._reset(name):
                    self._ready.put(name)
                else:
                    self.cluster.drop_database(name)
                    self._order()
            except BaseException as err:  # reported to the test that waits
                self._errors.append(err)
                if kind == "create":
                    self._ready.put("")

    def _reset(self, name: str) -> bool:
        """Empty a used database for the next test; False when it cannot be reused."""
        import psycopg

        from summaries.store import MIGRATIONS

        try:
            with psycopg.connect(self.cluster.url(name), autocommit=True) as conn:
                conn.execute("SET lock_timeout = '3s'")
                row = conn.execute("SELECT version FROM briefbot_schema").fetchone()
                if row is None or row[0] != len(MIGRATIONS):
                    return False
                tables = [
                    r[0]
                    for r in conn.execute(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "AND tablename <> 'briefbot_schema'"
                    ).fetchall()
                ]
                if len(tables) != self._tables:
                    return False
                conn.execute(
                    f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"  # type: ignore[arg-type]
                )
            return True
        except psycopg.Error:
            log.warning("could not empty test database %s", name, exc_info=True)
            return False

    def take(self) -> str:
        """A fresh database's URL (the template's schema, no rows)."""
        if self._ready.empty() and self._work.empty():
            self._order()
        name = self._ready.get(timeout=120)
        if not name:
            raise RuntimeError(f"could not create a test database: {self._errors[-1]}")
        return self.cluster.url(name)

    def give_back(self, url: str) -> None:
        self._work.put(("drop", url.rsplit("/", 1)[1]))

    def fresh_url(self) -> str:
        """An empty database without any migration (for migration tests)."""
        with self._lock:
            name = next(self._names)
        self.cluster.create_database(name)
        return self.cluster.url(name)

    def close(self) -> None:
        self._work.put(None)
        self._thread.join(timeout=30)


def start_cluster() -> tuple[TempCluster, DatabasePool]:
    """Start the session's cluster and migrate the template database."""
    from summaries.store import Store

    cluster = TempCluster()
    try:
        cluster.start()
        url = cluster.create_database(TEMPLATE)

        async def migrate() -> None:
            async with Store(url):
                pass

        asyncio.run(migrate())
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'briefbot_schema'"
            ).fetchone()
        tables = int(row[0]) if row else 0
    except BaseException:
        cluster.stop()
        raise
    return cluster, DatabasePool(cluster, tables)


def unavailable(err: PostgresMissing) -> Any:
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"PostgreSQL tests cannot run: {err}", pytrace=False)
    pytest.skip(f"PostgreSQL tests skipped: {err} (set {REQUIRE_ENV}=1 to fail instead)")
