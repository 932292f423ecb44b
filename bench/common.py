"""Helpers shared by the scale benchmarks (corpus, ingest, latency, fanout).

Nothing here is timed; it pins the process, reads peak memory, computes percentiles, prints
aligned tables and writes the JSON results.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / ".cache"
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "bbc-news-summary-dev"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def pin_one_core() -> str:
    """Pin this process (and children started later) to CPU 0; say what happened."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
        return "pinned to CPU 0"
    return "not pinned (no sched_setaffinity here)"


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / (1024 * 1024)


def current_rss_mb() -> float:
    """Current resident memory in MiB (from /proc; 0 where unavailable)."""
    try:
        fields = Path("/proc/self/statm").read_text().split()
        return int(fields[1]) * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)
    except (OSError, ValueError, IndexError):
        return 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def verdict(ok: bool) -> str:
    """PASS or MISS."""
    return "PASS" if ok else "MISS"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain aligned text table (numbers right-aligned, text left-aligned)."""
    cells = [[_fmt(v) for v in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)
    ]
    numeric = [
        all(isinstance(row[i], int | float) or row[i] is None for row in rows) if rows else False
        for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    out = [line(list(headers)), line(["-" * w for w in widths])]
    out.extend(line(r) for r in cells)
    return "\n".join(out)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value >= 100:
            return f"{value:,.0f}"
        if value >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def write_json(path: Path | None, payload: dict[str, Any]) -> None:
    """Write the results as JSON when a path was given."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"JSON written to {path}")


def quiet_logging() -> None:
    """Keep library logging out of the tables (warnings and worse only)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


# ====================================================================== PostgreSQL side by side


class Postgres:
    """The PostgreSQL side of a benchmark run (`--db URL`, or `--db temp` for a throw-away one).

    URL names a database the benchmark may create other databases from (CREATE DATABASE
    rights). Each cached SQLite store is copied once into `bench_<name>_<schema>` with
    `briefbot migrate`'s copy (kept on a real server for later runs; with `temp`, the
    throw-away cluster's data folder is kept in bench/.cache/pg<major>-<schema>, see
    `cluster_cache`), and every measured run gets its own `CREATE DATABASE ... TEMPLATE` copy
    of it, dropped afterwards. The server's
    processes are not pinned to CPU 0: on a shared machine they compete for the other core.
    """

    def __init__(self, spec: str) -> None:
        self.cluster: Any = None
        self._saved: Path | None = None
        if spec == "temp":
            from bench.pgcluster import TempCluster

            self._saved = cluster_cache()
            self.cluster = TempCluster(data_from=self._saved).start()
            self.admin_url = self.cluster.url()
        else:
            self.admin_url = spec
        self._made: list[str] = []
        self._based = False

    def url(self, name: str) -> str:
        return self.admin_url.rsplit("/", 1)[0] + "/" + name

    def _admin(self, sql: str) -> list[tuple[Any, ...]]:
        from summaries.pgstore import connect_sync

        conn = connect_sync(self.admin_url)
        try:
            cur = conn.execute(sql)  # type: ignore[arg-type]
            return list(cur.fetchall()) if cur.description else []
        finally:
            conn.close()

    def _exists(self, name: str) -> bool:
        return bool(self._admin(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"))

    def base(self, sqlite_store: Path) -> str:
        """The database holding a copy of `sqlite_store` (made once)."""
        import asyncio

        from summaries.pgstore import copy_sqlite_to_postgres
        from summaries.store import Store

        name = base_name(sqlite_store)
        if self._exists(name):
            return name
        print(f"copying {sqlite_store.name} into PostgreSQL {name} (once)", file=sys.stderr)
        self._admin(f'DROP DATABASE IF EXISTS "{name}_tmp"')
        self._admin(f'CREATE DATABASE "{name}_tmp"')

        async def migrate() -> None:
            async with Store(self.url(f"{name}_tmp")):
                pass

        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as pool:  # callers may be inside an event loop
            pool.submit(asyncio.run, migrate()).result()
        copies = copy_sqlite_to_postgres(str(sqlite_store), self.url(f"{name}_tmp"))
        bad = [c.table for c in copies if not c.ok]
        if bad:
            raise SystemExit(f"the PostgreSQL copy of {sqlite_store} differs in {bad}")
        self._admin(f'ALTER DATABASE "{name}_tmp" RENAME TO "{name}"')
        self._based = True
        conn_url = self.url(name)
        from summaries.pgstore import connect_sync

        conn = connect_sync(conn_url)
        try:
            conn.execute("VACUUM ANALYZE")
        finally:
            conn.close()
        return name

    def copy_of(self, sqlite_store: Path | None, name: str) -> str:
        """A fresh database for one run: a copy of `sqlite_store`'s rows, or empty (None)."""
        template = self.base(sqlite_store) if sqlite_store is not None else None
        self.drop(name)
        clause = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
        self._admin(f'CREATE DATABASE "{name}"{clause}')
        self._made.append(name)
        return self.url(name)

    def size_bytes(self, name: str) -> int:
        return int(self._admin(f"SELECT pg_database_size('{name}')")[0][0])

    def drop(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        for name in self._made:
            try:
                self.drop(name)
            except Exception:  # the server is going away anyway
                log.debug("could not drop %s", name, exc_info=True)
        if self.cluster is not None:
            if self._based and self._saved is not None:
                # keep the copies made this time for the next `--db temp` run
                print(f"keeping the PostgreSQL copies in {self._saved}", file=sys.stderr)
                try:
                    self.cluster.save_data(self._saved)
                except Exception:
                    log.warning("could not keep the PostgreSQL copies", exc_info=True)
            self.cluster.stop()


def cluster_cache() -> Path:
    """Where `--db temp` keeps its cluster holding the PostgreSQL copies of the cached stores,
    keyed like them: by PostgreSQL's major version and the schema (`schema_key`)."""
    from bench.pgcluster import find_bin

    major = Path(find_bin("initdb")).resolve().parent.parent.name
    if not major.isdigit():  # not /usr/lib/postgresql/<major>/bin: ask the binary
        import subprocess

        version = subprocess.run(
            [find_bin("initdb"), "--version"], capture_output=True, text=True, check=False
        ).stdout
        major = version.split()[-1].split(".")[0] if version.split() else "pg"
    return CACHE / f"pg{major}-{schema_key()}"


def schema_key() -> str:
    """A short fingerprint of the PostgreSQL schema (every migration's statements): copies
    made for another schema are not reused."""
    import hashlib

    from summaries.pgstore import Server, postgres_migration
    from summaries.store import MIGRATIONS

    sha = hashlib.sha256()
    for number in range(1, len(MIGRATIONS) + 1):
        for icu in (False, True):
            for statement in postgres_migration(number, Server(icu=icu)):
                sha.update(statement.encode())
    return f"s{len(MIGRATIONS)}_{sha.hexdigest()[:8]}"


def base_name(sqlite_store: Path) -> str:
    """The PostgreSQL database holding a copy of a cached SQLite store, for this schema."""
    stem = "".join(c if c.isalnum() else "_" for c in sqlite_store.stem).lower()
    return f"bench_{stem}_{schema_key()}"


async def analyze(room: Any) -> None:
    """Refresh PostgreSQL's planner statistics after a set-up wrote many rows at once.

    The set-up fills tables that were empty when the copy was analysed (deliveries, their
    articles, subscriptions) within seconds; on a running server autovacuum analyses them
    within a minute, so a measurement right after the set-up would time plans made for empty
    tables. SQLite keeps no statistics here: nothing to do.
    """
    if room.store.dialect == "postgresql":
        await room.store.run_sync(lambda conn: conn.execute("ANALYZE"))


def backends(spec: str | None) -> list[tuple[str, Postgres | None]]:
    """("SQLite", None) and, with `--db`, ("PostgreSQL", Postgres(spec))."""
    out: list[tuple[str, Postgres | None]] = [("SQLite", None)]
    if spec:
        out.append(("PostgreSQL", Postgres(spec)))
    return out


DB_HELP = (
    "also run on PostgreSQL: a postgresql://user@host:port/db URL (CREATE DATABASE rights; "
    "password from $BRIEFBOT_DB_PASSWORD) or 'temp' for a throw-away local cluster; SQLite "
    "and PostgreSQL are then printed side by side on the same corpus"
)
