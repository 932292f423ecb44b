"""The store seen from outside: schema, migrations, FTS safety, rows written, reads beside writes.

Tests taking `db_path` / `room` run on SQLite and PostgreSQL (tests/summaries/conftest.py);
those about SQLite's own machinery (PRAGMAs, FTS5, files) take `sqlite_db`, and the
PostgreSQL-only ones (URLs, passwords, migrations there) take `pg_url`.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from summaries.errors import InvalidInput
from summaries.newsroom import Newsroom
from summaries.store import MIGRATIONS, Store, to_iso

Sql = Callable[..., list[tuple[Any, ...]]]

EXPECTED_TABLES = {
    "articles",
    "sentences",
    "articles_fts",
    "stories",
    "story_terms",
    "term_df",
    "meta",
    "subscriptions",
    "deliveries",
    "delivery_articles",
    "delivery_sentences",
    "feeds",
}


def _tables(sql: Sql, db: Path) -> set[str]:
    return {r[0] for r in sql(db, "SELECT name FROM sqlite_master WHERE type = 'table'")}


# ------------------------------------------------------------------------------ migrations


LATEST = len(MIGRATIONS)


def test_schema_has_at_least_the_two_documented_versions() -> None:
    assert LATEST >= 2


async def test_fresh_database_gets_latest_schema_version_wal_and_foreign_keys(
    sqlite_db: Path, sql: Sql
) -> None:
    db_path = sqlite_db
    async with Store(db_path) as store:
        assert await store.schema_version() == LATEST
        async with store.db.execute("PRAGMA foreign_keys") as cur:
            assert (await cur.fetchone()) == (1,)
        # foreign keys are enforced: a sentence of an article that does not exist is refused
        with pytest.raises(sqlite3.IntegrityError):
            await store.db.execute(
                "INSERT INTO sentences (article_id, position, text, stems) VALUES (999, 0, 'x', '')"
            )
    assert sql(db_path, "PRAGMA user_version") == [(LATEST,)]
    # WAL is a property of the file: any other connection sees it
    assert sql(db_path, "PRAGMA journal_mode") == [("wal",)]
    assert EXPECTED_TABLES <= _tables(sql, db_path)


async def test_reopening_applies_no_migration_twice_and_keeps_data(
    sqlite_db: Path, sql: Sql, caplog: pytest.LogCaptureFixture, samples: Any
) -> None:
    db_path = sqlite_db
    caplog.set_level(logging.INFO, logger="summaries.store")
    async with Newsroom(db_path) as room:
        stored = await room.ingest_text(samples.orchard, source="orchard.txt")
    applied_first = [r.getMessage() for r in caplog.records if "applied migration" in r.message]
    assert len(applied_first) == LATEST
    caplog.clear()
    for _ in range(2):
        async with Newsroom(db_path) as room:
            assert await room.store.schema_version() == LATEST
            assert [a.id for a in await room.articles()] == [stored.article_id]
    assert not [r for r in caplog.records if "applied migration" in r.message]
    assert sql(db_path, "SELECT COUNT(*) FROM articles") == [(1,)]


async def test_database_from_a_newer_briefbot_is_refused_clearly_and_left_alone(
    sqlite_db: Path, sql: Sql
) -> None:
    db_path = sqlite_db
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA user_version = 99")
    con.close()
    with pytest.raises(InvalidInput) as err:
        await Store(db_path).open()
    message = str(err.value)
    assert "schema version 99" in message
    assert "newer than this briefbot" in message
    assert "upgrade briefbot" in message
    assert sql(db_path, "PRAGMA user_version") == [(99,)]
    assert "articles" not in _tables(sql, db_path)


async def test_version_1_database_is_upgraded_to_latest(sqlite_db: Path, sql: Sql) -> None:
    db_path = sqlite_db
    con = sqlite3.connect(db_path)
    con.executescript(MIGRATIONS[0])
    con.execute("PRAGMA user_version = 1")
    con.close()
    async with Store(db_path) as store:
        assert await store.schema_version() == LATEST
    assert {"deliveries", "feeds", "subscriptions"} <= _tables(sql, db_path)


async def test_a_failing_migration_is_rolled_back_as_a_whole(sqlite_db: Path, sql: Sql) -> None:
    db_path = sqlite_db
    con = sqlite3.connect(db_path)
    con.executescript(MIGRATIONS[0])
    # a stray table makes migration 2 fail half-way (its last statement creates "feeds")
    con.execute("CREATE TABLE feeds (x INTEGER)")
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    with pytest.raises(sqlite3.OperationalError):
        await Store(db_path).open()
    assert sql(db_path, "PRAGMA user_version") == [(1,)]
    tables = _tables(sql, db_path)
    assert "subscriptions" not in tables  # created earlier in migration 2, rolled back
    assert "deliveries" not in tables


async def test_database_in_a_missing_folder_gives_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"folder .*nowhere does not exist"):
        await Store(tmp_path / "nowhere" / "x.db").open()


# ------------------------------------------------------------------------------ rows written


async def test_stored_article_has_sentences_fts_row_and_story(
    room: Newsroom, db_path: Path, sql: Sql, samples: Any
) -> None:
    result = await room.ingest_text(samples.comet, source="comet.txt", outlet="Star Gazette")
    assert result.status == "stored"
    aid = result.article_id
    [(title, outlet, story_id, dup)] = sql(
        db_path,
        "SELECT title, outlet, story_id, near_duplicate_of FROM articles WHERE id = ?",
        [aid],
    )
    assert title == "Amateur Astronomers Track Bright Comet Over Northern Skies"
    assert outlet == "Star Gazette"
    assert story_id == result.story_id
    assert dup is None
    sentences = [
        r[0]
        for r in sql(
            db_path, "SELECT text FROM sentences WHERE article_id = ? ORDER BY position", [aid]
        )
    ]
    assert sentences[0].startswith("A comet discovered in March by an amateur astronomer")
    assert sentences[-1] == (
        "Observatories in the mountains reported a faint blue tail about two degrees long."
    )
    assert [h.article.id for h in await room.search("binoculars")] == [aid]
    assert sql(db_path, "SELECT title, article_count FROM stories WHERE id = ?", [story_id]) == [
        (title, 1)
    ]


async def test_store_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_iso(datetime(2025, 1, 1))


# ------------------------------------------------------------------------------ search


async def test_search_ranks_matches_and_highlights_snippets(room: Newsroom, samples: Any) -> None:
    for name, text in samples.unrelated.items():
        await room.ingest_text(text, source=f"{name}.txt")
    hits = await room.search("cherry growers")
    assert [h.article.title for h in hits] == ["Hillside Orchards Report Record Cherry Harvest"]
    assert "**" in hits[0].snippet
    assert "cherry" in hits[0].snippet.lower()
    # a word in one title and in another article's text: the title match ranks first
    await room.ingest_text(
        "Comet Dust Found in Orchard Soil\n\nScientists sampling soil in the Marrow Hills "
        "orchards found microscopic grains they believe came from a comet that passed "
        "centuries ago, the university said on Friday. The grains are kept in the library.",
        source="dust.txt",
    )
    titles = [h.article.title for h in await room.search("library")]
    assert titles == [
        "City Library Opens Robotics Workshop for Teenagers",
        "Comet Dust Found in Orchard Soil",
    ]


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"cherry',
        "cherry*",
        "*",
        "AND(",
        "cherry AND(",
        "NEAR(",
        "OR",
        "NOT",
        "-cherry",
        "title:cherry",
        "o'brien",
        "(((",
        "^cherry",
        "cherry + comet",
        "{x}",
        'a"b"c',
    ],
)
async def test_search_never_crashes_on_fts_syntax(room: Newsroom, samples: Any, query: str) -> None:
    await room.ingest_text(samples.orchard, source="orchard.txt")
    try:
        hits = await room.search(query)
    except InvalidInput as err:  # only "no searchable word" may be refused
        assert str(err) == "give at least one word to look for"
    else:
        assert isinstance(hits, list)


@pytest.mark.parametrize("query", ["", "   ", '"', "*", "(("])
async def test_search_without_words_is_a_clear_error(room: Newsroom, query: str) -> None:
    with pytest.raises(InvalidInput, match=r"^give at least one word to look for$"):
        await room.search(query)


# ------------------------------------------------------------------------------ reads beside writes


async def test_reads_answer_while_a_write_transaction_is_open(room: Newsroom, samples: Any) -> None:
    """An autocomplete or a briefing never waits for an ingest batch being written."""
    stored = await room.ingest_text(samples.orchard, source="orchard.txt")
    entered, release = threading.Event(), threading.Event()

    def slow_batch(w: Any) -> None:
        w.conn.execute("UPDATE stories SET title = 'being rewritten'")
        entered.set()
        release.wait(10)

    writing = asyncio.ensure_future(room.store.write(slow_batch))
    try:
        await asyncio.to_thread(entered.wait, 5)
        titles = await asyncio.wait_for(room.story_titles(""), timeout=2)
        article = await asyncio.wait_for(room.article(stored.article_id), timeout=2)
    finally:
        release.set()
        await writing
    # the reads saw the last committed state, not the open transaction's
    assert [s.title for s in titles] != ["being rewritten"]
    assert article.id == stored.article_id
    assert [s.title for s in await room.story_titles("")] == ["being rewritten"]


async def test_story_titles_match_word_prefixes_and_ids_in_one_statement(
    room: Newsroom, samples: Any
) -> None:
    for text in samples.unrelated.values():
        await room.ingest_text(text)
    titles = {s.id: s.title for s in await room.story_titles("")}
    assert sorted(titles.values()) == [
        "Amateur Astronomers Track Bright Comet Over Northern Skies",
        "City Library Opens Robotics Workshop for Teenagers",
        "Hillside Orchards Report Record Cherry Harvest",
    ]
    assert [s.title for s in await room.story_titles("robo work")] == [
        "City Library Opens Robotics Workshop for Teenagers"
    ]
    assert [s.title for s in await room.story_titles("CHERRY")] == [
        "Hillside Orchards Report Record Cherry Harvest"
    ]
    assert [s.id for s in (await room.story_titles("2"))[:1]] == [2]  # a story number
    assert await room.story_titles("zeppelin") == []
    assert len(await room.story_titles("#?!")) == 3  # nothing to match: the latest stories
    [comet] = await room.story_titles("comet")
    assert comet.article_count == 1 and comet.outlets == ()  # autocomplete needs no outlets


async def test_autocomplete_answers_while_every_pooled_reader_is_busy(
    sqlite_db: Path, clock: Any, samples: Any
) -> None:
    """Story titles for autocomplete never queue behind the reads of briefings being built
    (SQLite keeps a connection for them; PostgreSQL serves them from its pool)."""
    async with Newsroom(sqlite_db, clock=clock) as room:
        await _autocomplete_beside_busy_readers(room, samples)


async def _autocomplete_beside_busy_readers(room: Newsroom, samples: Any) -> None:
    await room.ingest_text(samples.orchard, source="orchard.txt")
    held: list[Any] = []
    busy = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        async with room.store._reading():
            held.append(1)
            if len(held) == 4:
                busy.set()
            await release.wait()

    holders = [asyncio.ensure_future(hold()) for _ in range(4)]
    try:
        await asyncio.wait_for(busy.wait(), timeout=2)
        waiting = asyncio.ensure_future(room.article(1))  # an ordinary read has to wait ...
        titles = await asyncio.wait_for(room.story_titles("cherr"), timeout=2)  # ... this not
        assert not waiting.done()
    finally:
        release.set()
        await asyncio.gather(*holders)
    assert [s.title for s in titles] == ["Hillside Orchards Report Record Cherry Harvest"]
    assert (await waiting).id == 1


async def test_in_memory_store_reads_and_writes_on_one_connection(samples: Any) -> None:
    async with Newsroom(":memory:") as room:
        stored = await room.ingest_text(samples.orchard, source="orchard.txt")
        assert (await room.article(stored.article_id)).id == stored.article_id
        assert len(await room.stories()) == 1


# ------------------------------------------------------------------------------ PostgreSQL only


async def test_postgres_gets_every_migration_once_and_keeps_data(
    pg_pool: Any, caplog: pytest.LogCaptureFixture, samples: Any
) -> None:
    url = pg_pool.fresh_url()
    caplog.set_level(logging.INFO, logger="summaries.pgstore")
    async with Newsroom(url) as room:
        assert await room.store.schema_version() == LATEST
        stored = await room.ingest_text(samples.orchard, source="orchard.txt")
    applied = [r.getMessage() for r in caplog.records if "applied migration" in r.message]
    assert applied == [f"applied migration {n} to {url}" for n in range(1, LATEST + 1)]
    caplog.clear()
    async with Newsroom(url) as room:
        assert [a.id for a in await room.articles()] == [stored.article_id]
    assert not [r for r in caplog.records if "applied migration" in r.message]


async def test_postgres_from_a_newer_briefbot_is_refused_and_left_alone(
    pg_url: str, sql: Sql
) -> None:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE briefbot_schema SET version = 99")
    with pytest.raises(InvalidInput) as err:
        await Store(pg_url).open()
    assert str(err.value) == (
        f"database {pg_url} has schema version 99, newer than this briefbot ({LATEST}): "
        "upgrade briefbot"
    )
    assert sql(pg_url, "SELECT version FROM briefbot_schema") == [(99,)]


async def test_postgres_failing_migration_is_rolled_back_as_a_whole(pg_pool: Any, sql: Sql) -> None:
    import psycopg

    url = pg_pool.fresh_url()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE feeds (x INTEGER)")  # migration 2 creates it last
    with pytest.raises(psycopg.errors.DuplicateTable):
        await Store(url).open()
    assert sql(url, "SELECT version FROM briefbot_schema") == [(1,)]
    tables = {r[0] for r in sql(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert "articles" in tables and "subscriptions" not in tables and "deliveries" not in tables


async def test_postgres_url_with_a_password_is_refused_and_never_echoed() -> None:
    with pytest.raises(InvalidInput) as err:
        await Store("postgresql://bot:s3cret@127.0.0.1:5/news").open()
    assert "s3cret" not in str(err.value)
    assert str(err.value) == (
        "the database URL postgresql://bot:***@127.0.0.1:5/news contains a password: remove it "
        "and set $BRIEFBOT_DB_PASSWORD (or PGPASSWORD) instead"
    )


async def test_postgres_that_cannot_be_reached_is_one_clear_line() -> None:
    from bench.pgcluster import free_port
    from summaries.errors import BriefbotError

    port = free_port()
    with pytest.raises(BriefbotError) as err:
        await Store(f"postgresql://bot@127.0.0.1:{port}/news").open()
    message = str(err.value)
    assert message.startswith(
        f"cannot connect to PostgreSQL at postgresql://bot@127.0.0.1:{port}/news: "
    )
    assert "\n" not in message


async def test_postgres_password_comes_from_the_environment(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from summaries.pgstore import connect_kwargs

    monkeypatch.setenv("BRIEFBOT_DB_PASSWORD", "from-env")
    assert connect_kwargs()["password"] == "from-env"
    # the test cluster trusts local logins, so the password is sent and the store opens
    async with Store(pg_url) as store:
        assert await store.schema_version() == LATEST
