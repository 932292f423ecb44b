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
    rights). Each cached SQLite store is copied once into `bench_<name>` with
    `briefbot migrate`'s copy (kept on a real server for later runs), and every measured run
    gets its own `CREATE DATABASE ... TEMPLATE` copy of it, dropped afterwards. The server's
    processes are not pinned to CPU 0: on a shared machine they compete for the other core.
    """

    def __init__(self, spec: str) -> None:
        self.cluster: Any = None
        if spec == "temp":
            from bench.pgcluster import TempCluster

            self.cluster = TempCluster().start()
            self.admin_url = self.cluster.url()
        else:
            self.admin_url = spec
        self._made: list[str] = []

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

        name = "bench_" + "".join(c if c.isalnum() else "_" for c in sqlite_store.stem).lower()
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
            self.cluster.stop()


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
