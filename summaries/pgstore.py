"""The PostgreSQL backend of the store: psycopg 3, the same queries as SQLite, tsvector search.

`Store("postgresql://user@host:port/db")` opens this. The password is never part of the URL:
it comes from $BRIEFBOT_DB_PASSWORD (or libpq's own $PGPASSWORD / ~/.pgpass), and URLs are
redacted in every log line and error.

* Writes: one synchronous psycopg connection used from one worker thread, so a `Writer` unit
  of work (an ingest batch: about twenty statements per article) runs there in one hop, as on
  SQLite. Every write transaction first takes a transaction-scoped advisory lock: writers are
  serialised across processes exactly as SQLite's `BEGIN IMMEDIATE` serialises them, so story
  assignment (which reads and then updates centroids and document counts) and duplicate checks
  never race with another process's ingest. Reads never wait for it (MVCC).
* Reads: a small pool of async connections in autocommit mode (each statement sees the latest
  committed state), like SQLite's read-only WAL readers. A broken connection (server restart)
  is replaced on its next use.
* Migrations: the same `MIGRATIONS` scripts translated by `ddl_to_postgres`, plus
  `POSTGRES_EXTRA` and `POSTGRES_BUILT` (statements made for the server at hand), each applied
  in the transaction that records it in `briefbot_schema`, under an advisory lock so processes
  starting together migrate once. The database must be UTF8.
* Full-text search: `article_search (id, story_id, search)`, a narrow table kept by triggers
  on `articles`, with a GIN index over a `tsvector` (title weighted A, text B) that reads text
  as FTS5's porter unicode61 does (`summaries.pgsearch`: no stop words, case and diacritics
  folded, punctuation separates words, Porter stemming); `ts_rank` orders, `ts_headline`
  highlights with `**` like FTS5's snippet.
* `copy_sqlite_to_postgres` (`briefbot migrate`): every row of a SQLite store into an empty
  PostgreSQL one, checked table by table with row counts and checksums.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import psycopg

from summaries import pgsearch
from summaries.errors import BriefbotError, InvalidInput
from summaries.sqldialect import ddl_to_postgres, statements, to_postgres
from summaries.store import (
    _ARTICLE_COLS,
    _ARTICLE_WIDTH,
    _LIVE_STORY,
    _STORY_TITLE_COLS,
    MATCH_POOL,
    MIGRATIONS,
    POSTGRES_EXTRA,
    TOPIC_POOL,
    ReadPool,
    Store,
    Writer,
    redact,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

PASSWORD_ENV = "BRIEFBOT_DB_PASSWORD"
# Advisory lock keys (any 64-bit numbers; these spell "brief" + a purpose).
WRITE_LOCK = 0x6272696566_01
MIGRATE_LOCK = 0x6272696566_02
# ts_rank weights for {D, C, B, A}: a title word (A) weighs five times a text word (B), as
# the FTS5 query weighs bm25 columns 5.0 and 1.0.
RANK_WEIGHTS = "{0.1, 0.1, 0.2, 1.0}"
# A user's query (`pgsearch.tsquery`) as the index reads text.
TSQUERY = "to_tsquery('briefbot', briefbot_lower(?))"
HEADLINE = (
    "StartSel=**, StopSel=**, MaxWords=16, MinWords=8, ShortWord=2, MaxFragments=1, "
    "HighlightAll=false"
)


class DatabaseUnavailable(BriefbotError):
    """The PostgreSQL server cannot be reached or refused the login."""


def check_url(url: str) -> str:
    """Validate a PostgreSQL URL: no password inside it (it belongs in the environment).

    Raises:
        InvalidInput: For a URL with a password or without a database name.
    """
    if re.match(r"^\w+://[^/@]*:[^@/]*@", url):
        raise InvalidInput(
            f"the database URL {redact(url)} contains a password: remove it and set "
            f"${PASSWORD_ENV} (or PGPASSWORD) instead"
        )
    tail = url.split("://", 1)[1]
    if "/" not in tail or not tail.split("/", 1)[1].split("?", 1)[0]:
        raise InvalidInput(
            f"the database URL {redact(url)} names no database: "
            "use postgresql://user@host:port/database"
        )
    return url


def connect_kwargs() -> dict[str, Any]:
    """Connection options besides the URL: the password from the environment, a name."""
    kwargs: dict[str, Any] = {"application_name": "briefbot", "connect_timeout": 10}
    password = os.environ.get(PASSWORD_ENV)
    if password:
        kwargs["password"] = password
    return kwargs


def _explain(url: str, err: Exception) -> DatabaseUnavailable:
    first = " ".join(str(err).strip().splitlines()[:1]) or type(err).__name__
    return DatabaseUnavailable(f"cannot connect to PostgreSQL at {redact(url)}: {first}")


def connect_sync(url: str) -> psycopg.Connection[Any]:
    """A synchronous autocommit connection (the writer, `briefbot migrate`)."""
    try:
        return psycopg.connect(check_url(url), autocommit=True, **connect_kwargs())
    except psycopg.OperationalError as err:
        raise _explain(url, err) from None


async def connect_async(url: str) -> psycopg.AsyncConnection[Any]:
    try:
        return await psycopg.AsyncConnection.connect(
            check_url(url), autocommit=True, **connect_kwargs()
        )
    except psycopg.OperationalError as err:
        raise _explain(url, err) from None


@dataclass(frozen=True)
class Server:
    """What a migration needs to know about the server: ICU collations (`und-x-icu`)."""

    icu: bool


def server_of(conn: psycopg.Connection[Any]) -> Server:
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu')"
    ).fetchone()
    return Server(icu=bool(row and row[0]))


# The migration that moves full-text search into `article_search` (summaries.pgsearch); an
# empty script in `MIGRATIONS`, renumbered with it.
SEARCH_MIGRATION = 9

# PostgreSQL-only statements of a migration that are made for the server at hand, run after
# `POSTGRES_EXTRA`'s.
POSTGRES_BUILT: dict[int, Callable[[Server], list[str]]] = {
    SEARCH_MIGRATION: lambda server: pgsearch.migration_statements(icu=server.icu),
}


def postgres_migration(number: int, server: Server | None = None) -> list[str]:
    """The PostgreSQL statements of migration `number` (1-based)."""
    out = ddl_to_postgres(MIGRATIONS[number - 1])
    if number in POSTGRES_EXTRA:
        out += statements(POSTGRES_EXTRA[number])
    if number in POSTGRES_BUILT:
        out += POSTGRES_BUILT[number](server or Server(icu=False))
    return out


class PostgresStore(Store):
    """The store on a PostgreSQL database (see the module docstring)."""

    dialect = "postgresql"

    def __init__(self, target: str | Path, *, readers: int = 4) -> None:
        super().__init__(target, readers=readers)
        self.url = str(target)
        self._reader_count = max(1, readers)
        self._writer: psycopg.Connection[Any] | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._readers: ReadPool[psycopg.AsyncConnection[Any]] | None = None

    async def open(self) -> PostgresStore:
        check_url(self.url)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="briefbot-pg-writer")
        try:
            self._writer = await self._on_thread(lambda: connect_sync(self.url))
            await self._on_thread(self._migrate)
            # read connections are opened when first needed (a CLI command needs one)
            self._readers = ReadPool(self._reader_count, lambda: connect_async(self.url))
        except Exception:
            await self.close()
            raise
        log.info("opened PostgreSQL store %s", self.label)
        return self

    async def close(self) -> None:
        readers, self._readers = self._readers, None
        for reader in readers.connections if readers else ():
            try:
                await reader.close()
            except Exception:  # already broken
                log.debug("closing a read connection failed", exc_info=True)
        writer, self._writer = self._writer, None
        thread, self._thread = self._thread, None
        if thread is not None:
            if writer is not None:
                try:
                    await asyncio.get_running_loop().run_in_executor(thread, writer.close)
                except Exception:
                    log.debug("closing the write connection failed", exc_info=True)
            thread.shutdown(wait=False)

    async def _on_thread(self, fn: Callable[[], T]) -> T:
        if self._thread is None:
            raise RuntimeError("store is not open")
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn)

    # ------------------------------------------------------------------ migrations

    def _migrate(self) -> None:
        conn = self._conn()
        conn.execute(
            "CREATE TABLE IF NOT EXISTS briefbot_schema ("
            "  id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)"
        )
        row = conn.execute(
            "SELECT pg_encoding_to_char(encoding)::bytea FROM pg_database "
            "WHERE datname = current_database()"
        ).fetchone()
        encoding = bytes(row[0]).decode("ascii", "replace") if row else "unknown"
        if encoding != "UTF8":
            raise InvalidInput(
                f"database {self.label} uses the {encoding} encoding: briefbot needs a UTF8 "
                "database (CREATE DATABASE ... ENCODING 'UTF8' TEMPLATE template0)"
            )
        server = server_of(conn)
        while True:
            conn.execute("BEGIN")
            try:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
                version = _version(conn)
                if version > len(MIGRATIONS):
                    raise InvalidInput(
                        f"database {self.label} has schema version {version}, newer than this "
                        f"briefbot ({len(MIGRATIONS)}): upgrade briefbot"
                    )
                if version == len(MIGRATIONS):
                    conn.execute("COMMIT")
                    return
                number = version + 1
                for statement in postgres_migration(number, server):
                    conn.execute(statement, ())  # type: ignore[arg-type]
                conn.execute(
                    "INSERT INTO briefbot_schema (id, version) VALUES (1, %s) "
                    "ON CONFLICT (id) DO UPDATE SET version = excluded.version",
                    (number,),
                )
                conn.execute("COMMIT")
            except BaseException:
                if not conn.broken:
                    conn.execute("ROLLBACK")
                raise
            log.info("applied migration %s to %s", number, self.label)

    async def schema_version(self) -> int:
        row = await self._row("SELECT version FROM briefbot_schema WHERE id = 1")
        return int(row[0]) if row else 0

    # ------------------------------------------------------------------ reading

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """A read connection (autocommit: each statement sees the latest committed state)."""
        readers = self._readers
        if readers is None:
            raise RuntimeError("store is not open")
        conn = await readers.lend()
        try:
            if conn.closed or conn.broken:
                conn = await self._replace_reader(readers, conn)
            yield conn
        finally:
            readers.give_back(conn)

    async def _replace_reader(
        self, readers: ReadPool[psycopg.AsyncConnection[Any]], old: psycopg.AsyncConnection[Any]
    ) -> psycopg.AsyncConnection[Any]:
        log.warning("a read connection to %s was lost; reconnecting", self.label)
        new = await connect_async(self.url)
        readers.replace(old, new)
        return new

    async def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Sequence[Any]]:
        async with self._reading() as conn, conn.cursor() as cur:
            await cur.execute(to_postgres(sql), tuple(params))  # type: ignore[arg-type]
            return list(await cur.fetchall())

    async def _row(self, sql: str, params: Sequence[Any] = ()) -> Sequence[Any] | None:
        async with self._reading() as conn, conn.cursor() as cur:
            await cur.execute(to_postgres(sql), tuple(params))  # type: ignore[arg-type]
            row: Sequence[Any] | None = await cur.fetchone()
            return row

    # ------------------------------------------------------------------ writing

    def _conn(self) -> psycopg.Connection[Any]:
        """The write connection, reconnected when the server dropped it (writer thread only)."""
        if self._writer is None or self._writer.closed or self._writer.broken:
            if self._writer is not None:
                log.warning("the write connection to %s was lost; reconnecting", self.label)
            self._writer = connect_sync(self.url)
        return self._writer

    async def run_sync(self, fn: Callable[[psycopg.Connection[Any]], T]) -> T:
        """Run `fn(connection)` on the writer thread, in one hop (autocommit connection)."""
        return await self._on_thread(lambda: fn(self._conn()))

    async def write(self, fn: Callable[[Writer], T]) -> T:
        async with self._write_lock:

            def unit() -> T:
                conn = self._conn()
                try:
                    # one round trip for both (the simple protocol takes several statements)
                    conn.execute(f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})")  # type: ignore[arg-type]
                    out = fn(Writer(conn, self._df_cache, "postgresql"))
                except BaseException:
                    self._df_cache.clear()
                    if not conn.broken:
                        conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
                return out

            return await self._on_thread(unit)

    # ------------------------------------------------------------------ full-text search

    async def _search_rows(self, query: str, limit: int) -> list[Sequence[Any]]:
        cols = ", ".join("a." + c.strip() for c in _ARTICLE_COLS.split(","))
        q = pgsearch.tsquery(query)
        rows = await self._rows(
            f"SELECT {cols}, ts_headline('briefbot', briefbot_lower(briefbot_search_text(a.text)), "
            f"q.q, "
            f"'{HEADLINE}'), -hit.r "
            # the newest matches from the GIN index, ranked ("id + 0": see _matching_stories)
            f"FROM (SELECT p.id, ts_rank(?, s.search, {TSQUERY}) AS r FROM ("
            f"        SELECT id FROM article_search WHERE search @@ {TSQUERY} "
            f"        ORDER BY id + 0 DESC LIMIT {MATCH_POOL}) p "
            "      CROSS JOIN LATERAL (SELECT search FROM article_search s WHERE s.id = p.id "
            "        OFFSET 0) s "
            "      ORDER BY r DESC, p.id LIMIT ?) hit "
            f"JOIN articles a ON a.id = hit.id CROSS JOIN {TSQUERY} AS q(q) "
            "ORDER BY hit.r DESC, a.id",
            (RANK_WEIGHTS, q, q, limit, q),
        )
        width = _ARTICLE_WIDTH
        return [(*r[:width], _snippet(r[1], r[width]), r[width + 1]) for r in rows]

    async def _title_rows(self, words: list[str], story_id: int, limit: int) -> list[Sequence[Any]]:
        # the 'simple' configuration: title words as typed, lower-cased, no stemming
        return await self._rows(
            f"SELECT {_STORY_TITLE_COLS} FROM stories s WHERE "
            "(to_tsvector('simple', s.title) @@ to_tsquery('simple', ?) OR s.id = ?) "
            f"AND {_LIVE_STORY} ORDER BY s.id = ? DESC, s.last_seen DESC LIMIT ?",
            (" & ".join(f"'{w}':*" for w in words), story_id, story_id, limit),
        )

    async def _matching_stories(
        self, query: str, limit: int, within: tuple[str, Sequence[Any]] | None
    ) -> list[Sequence[Any]]:
        q = pgsearch.tsquery(query)
        if within is None:
            # The GIN index finds the matches without reading their vectors; the newest of
            # them are ranked ("id + 0": walking the primary key backwards instead would read
            # and test every recent article's vector until enough matched)
            latest = (
                "SELECT h.story_id, s.search FROM ("
                f"  SELECT id, story_id FROM article_search WHERE search @@ {TSQUERY} "
                f"  AND story_id IS NOT NULL ORDER BY id + 0 DESC LIMIT {TOPIC_POOL}) h "
                "CROSS JOIN LATERAL (SELECT search FROM article_search s WHERE s.id = h.id "
                "OFFSET 0) s"
            )
            params: tuple[Any, ...] = (q,)
        else:
            # the words and any of the given stories' lexemes, in one GIN scan: no vector is
            # read but those of the matches (testing each candidate article's vector cost
            # three to ten times more)
            mark = pgsearch.STORY_MARK
            stories = (
                f"(SELECT string_agg(DISTINCT '''{mark}' || story_id || '''', ' | ')::tsquery "
                f"FROM ({within[0]}) AS w)"
            )
            latest = (
                "SELECT story_id, search FROM article_search "
                f"WHERE search @@ ({TSQUERY} && {stories}) "
                f"ORDER BY id DESC LIMIT {TOPIC_POOL}"
            )
            params = (q, *within[1])
        return await self._rows(
            "SELECT story_id, (SELECT merged_into FROM stories s WHERE s.id = hits.story_id), "
            "MAX(r) AS best FROM ("
            f"  SELECT story_id, ts_rank(?, search, {TSQUERY}) AS r FROM ({latest}) AS latest"
            ") AS hits GROUP BY story_id ORDER BY best DESC, story_id LIMIT ?",
            (RANK_WEIGHTS, q, *params, limit),
        )


def _version(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT version FROM briefbot_schema WHERE id = 1").fetchone()
    return int(row[0]) if row else 0


def _snippet(text: str, headline: str) -> str:
    """The snippet of a search hit: `ts_headline` over the folded text, shown on the original
    (see `summaries.pgsearch.map_headline`)."""
    mapped = pgsearch.map_headline(text, headline, "**", "**")
    return mapped if mapped is not None else headline.strip()


# ====================================================================== SQLite → PostgreSQL


@dataclass(frozen=True)
class TableCopy:
    """One table copied by `copy_sqlite_to_postgres`: row counts and checksums on both sides."""

    table: str
    source_rows: int
    dest_rows: int
    source_checksum: str
    dest_checksum: str

    @property
    def ok(self) -> bool:
        return self.source_rows == self.dest_rows and self.source_checksum == self.dest_checksum


def _canonical(value: Any) -> str:
    if value is None:
        return "\x00"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value)


def _digest(rows: Iterable[Sequence[Any]]) -> tuple[int, str]:
    """(rows, sha256) of rows in the order given, each value in a backend-neutral text."""
    sha = hashlib.sha256()
    n = 0
    for row in rows:
        sha.update("\x1f".join(_canonical(v) for v in row).encode())
        sha.update(b"\x1e")
        n += 1
    return n, sha.hexdigest()


def _sqlite_tables(src: sqlite3.Connection) -> list[str]:
    """Data tables of a SQLite store, parents before children (FTS5 and internals left out)."""
    names = [
        r[0]
        for r in src.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name"
        )
    ]
    shadow = {n for n in names for v in names if n != v and n.startswith(v + "_") and "fts" in v}
    tables = [n for n in names if n not in shadow and "_fts" not in n]
    parents = {
        t: {r[2] for r in src.execute(f"PRAGMA foreign_key_list({t})") if r[2] != t} for t in tables
    }
    ordered: list[str] = []
    while len(ordered) < len(tables):
        ready = [t for t in tables if t not in ordered and parents[t] <= set(ordered)]
        if not ready:  # a cycle: keep the rest in name order
            ready = [t for t in tables if t not in ordered]
        ordered.extend(ready)
    return ordered


def _key_columns(src: sqlite3.Connection, table: str) -> list[str]:
    info = list(src.execute(f"PRAGMA table_info({table})"))
    keys = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]
    return keys or [r[1] for r in info]


def copy_sqlite_to_postgres(
    sqlite_file: str,
    url: str,
    *,
    progress: Callable[[str, int], None] | None = None,
    counted: Callable[[int], None] | None = None,
) -> list[TableCopy]:
    """Copy every row of a SQLite store into an empty PostgreSQL store (both migrated first).

    Rows keep their ids; identity sequences continue after the largest; self-references (a
    story merged into a later one) are filled in after their table is copied. Each table is
    then read back on both sides in key order and compared by row count and SHA-256.

    Args:
        sqlite_file: The SQLite database file.
        url: The PostgreSQL database URL (its schema must be at the same version, no rows).
        progress: Called with (table, rows copied since the last call).
        counted: Called once with the total number of rows to copy.

    Raises:
        InvalidInput: When the destination already holds data or lacks a table.
    """
    src = sqlite3.connect(f"file:{sqlite_file}?mode=ro", uri=True)
    dest = connect_sync(url)
    try:
        tables = _sqlite_tables(src)
        have = {
            r[0]
            for r in dest.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        }
        missing = [t for t in tables if t not in have]
        if missing:
            raise InvalidInput(f"{redact(url)} has no table {', '.join(missing)}: schema mismatch")
        for t in tables:
            if dest.execute(f"SELECT EXISTS (SELECT 1 FROM {t})").fetchone()[0]:  # type: ignore[index]
                raise InvalidInput(
                    f"{redact(url)} already holds data (table {t} is not empty): "
                    "migrate into an empty database"
                )
        totals = {t: int(src.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in tables}
        if counted is not None:
            counted(sum(totals.values()))
        dest.execute("BEGIN")
        try:
            # A bulk load: secondary indexes are built once at the end (not row by row) and
            # the search table is filled in one statement, triggers off meanwhile
            dest.execute("SET LOCAL maintenance_work_mem = '256MB'")
            rebuilt = [*tables, *DERIVED_TABLES]
            indexes = _drop_secondary_indexes(dest, rebuilt)
            for table in tables:
                dest.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")  # type: ignore[arg-type]
            for table in tables:
                _copy_table(src, dest, table, progress)
            for statement in DERIVED_FILL:
                dest.execute(statement)  # type: ignore[arg-type]
            for table in tables:
                dest.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")  # type: ignore[arg-type]
            for definition in indexes:
                dest.execute(definition)  # type: ignore[arg-type]
            dest.execute("COMMIT")
        except BaseException:
            if not dest.broken:
                dest.execute("ROLLBACK")
            raise
        dest.execute("ANALYZE")  # the planner's statistics for the rows just copied
        out: list[TableCopy] = []
        dest.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")  # one snapshot
        for table in tables:
            cols = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
            keys = ", ".join(_key_columns(src, table))
            select = f"SELECT {', '.join(cols)} FROM {table} ORDER BY {keys}"
            n_src, sum_src = _digest(src.execute(select))
            with dest.cursor(name=f"check_{table}") as cur:
                cur.itersize = 5000
                cur.execute(select)  # type: ignore[arg-type]
                n_dest, sum_dest = _digest(cur)
            out.append(TableCopy(table, n_src, n_dest, sum_src, sum_dest))
        dest.execute("COMMIT")
        return out
    finally:
        src.close()
        dest.close()


# PostgreSQL-only tables derived from the copied ones (filled by triggers on `articles`), and
# how `copy_sqlite_to_postgres` fills them at once.
DERIVED_TABLES = ("article_search",)
DERIVED_FILL = (
    "INSERT INTO article_search (id, story_id, search) SELECT id, story_id, "
    "briefbot_search_vector(title, text) || briefbot_story_lexeme(story_id) FROM articles",
)


def _drop_secondary_indexes(dest: psycopg.Connection[Any], tables: Sequence[str]) -> list[str]:
    """Drop the indexes of `tables` that back no constraint; their definitions, to rebuild."""
    rows = dest.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class t ON t.oid = i.indrelid "
        "WHERE t.relname = ANY(%s) AND t.relnamespace = current_schema()::regnamespace "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        (list(tables),),
    ).fetchall()
    for name, _ in rows:
        dest.execute(f"DROP INDEX {name}")  # type: ignore[arg-type]
    return [definition for _, definition in rows]


def _copy_table(
    src: sqlite3.Connection,
    dest: psycopg.Connection[Any],
    table: str,
    progress: Callable[[str, int], None] | None,
) -> None:
    cols = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
    own = [r[3] for r in src.execute(f"PRAGMA foreign_key_list({table})") if r[2] == table]
    later = [c for c in own if c in cols]  # filled in after every row is there
    chosen = [f"NULL AS {c}" if c in later else c for c in cols]
    names = ", ".join(cols)
    rows = src.execute(f"SELECT {', '.join(chosen)} FROM {table}")
    with dest.cursor() as cur:
        with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:  # type: ignore[arg-type]
            pending = 0
            for row in rows:
                copy.write_row(row)
                pending += 1
                if pending == 5000:
                    if progress is not None:
                        progress(table, pending)
                    pending = 0
            if progress is not None and pending:
                progress(table, pending)
        for col in later:
            pairs = src.execute(f"SELECT rowid, {col} FROM {table} WHERE {col} IS NOT NULL")
            cur.executemany(
                f"UPDATE {table} SET {col} = %s WHERE id = %s",  # type: ignore[arg-type]
                [(value, rowid) for rowid, value in pairs],
            )
        if "id" in cols:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # type: ignore[arg-type]
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false) "
                f"WHERE pg_get_serial_sequence('{table}', 'id') IS NOT NULL"
            )
