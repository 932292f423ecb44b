"""All SQL lives here. SQLite (one file, WAL, foreign keys, FTS5) or PostgreSQL, one interface.

The store returns models, never rows. Queries are written once, in the SQLite dialect, and
translated for PostgreSQL (`summaries.sqldialect`); the PostgreSQL backend itself (connections,
migrations, tsvector search) lives in `summaries.pgstore`. Writes go through one connection
with explicit transactions (`BEGIN IMMEDIATE` on SQLite; a transaction-scoped advisory lock on
PostgreSQL serialises writers across processes the same way); each migration is applied in the
transaction that records it.

Migrations are appended to `MIGRATIONS` in SQLite syntax; PostgreSQL runs the same scripts
through `ddl_to_postgres`, plus `POSTGRES_EXTRA[number]` where a migration needs something
only PostgreSQL has (the tsvector column and GIN index standing in for FTS5), and SQLite adds
`SQLITE_EXTRA[number]` for what only it has (FTS5 tables and their triggers).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

import aiosqlite

from summaries.errors import InvalidInput, NotFound
from summaries.models import (
    Article,
    Feed,
    FeedCounts,
    SearchHit,
    Sentence,
    Story,
    Subscription,
    citation_label,
)
from summaries.sqldialect import to_postgres, to_sqlite

log = logging.getLogger(__name__)

T = TypeVar("T")

MIGRATIONS: tuple[str, ...] = (
    # 1: articles, sentences, full-text search, stories and their term index
    """
    CREATE TABLE stories (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        title_article_id INTEGER,
        title_score REAL NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        article_count INTEGER NOT NULL DEFAULT 0,
        centroid TEXT NOT NULL DEFAULT '{}',
        merged_into INTEGER REFERENCES stories(id)
    );
    CREATE INDEX stories_last_seen ON stories(last_seen) WHERE merged_into IS NULL;
    CREATE TABLE articles (
        id INTEGER PRIMARY KEY,
        url TEXT UNIQUE,
        source TEXT NOT NULL,
        outlet TEXT,
        title TEXT NOT NULL,
        author TEXT,
        published_at TEXT,
        fetched_at TEXT NOT NULL,
        language TEXT,
        text TEXT NOT NULL,
        fingerprint TEXT NOT NULL UNIQUE,
        band0 INTEGER NOT NULL, band1 INTEGER NOT NULL, band2 INTEGER NOT NULL,
        band3 INTEGER NOT NULL,
        simhash INTEGER NOT NULL,
        near_duplicate_of INTEGER REFERENCES articles(id),
        story_id INTEGER REFERENCES stories(id),
        story_score REAL NOT NULL DEFAULT 0
    );
    CREATE INDEX articles_story ON articles(story_id);
    CREATE INDEX articles_band0 ON articles(band0);
    CREATE INDEX articles_band1 ON articles(band1);
    CREATE INDEX articles_band2 ON articles(band2);
    CREATE INDEX articles_band3 ON articles(band3);
    CREATE TABLE sentences (
        id INTEGER PRIMARY KEY,
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        text TEXT NOT NULL,
        stems TEXT NOT NULL,
        UNIQUE (article_id, position)
    );
    CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, text, content='articles', content_rowid='id', tokenize='porter unicode61'
    );
    CREATE TABLE story_terms (
        term TEXT NOT NULL,
        story_id INTEGER NOT NULL REFERENCES stories(id),
        weight REAL NOT NULL,
        PRIMARY KEY (term, story_id)
    ) WITHOUT ROWID;
    CREATE INDEX story_terms_story ON story_terms(story_id);
    CREATE TABLE term_df (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    """,
    # 2: audiences: deliveries and what each showed; feeds; digest subscriptions
    """
    CREATE TABLE subscriptions (
        id INTEGER PRIMARY KEY,
        audience TEXT NOT NULL UNIQUE,
        local_time TEXT NOT NULL,
        timezone TEXT NOT NULL,
        topics TEXT NOT NULL DEFAULT '[]',
        enabled INTEGER NOT NULL DEFAULT 1,
        last_error TEXT,
        last_error_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        audience TEXT NOT NULL,
        created_at TEXT NOT NULL,
        topic TEXT,
        subscription_id INTEGER REFERENCES subscriptions(id),
        scheduled_for TEXT,
        UNIQUE (subscription_id, scheduled_for)
    );
    CREATE INDEX deliveries_audience ON deliveries(audience, id);
    CREATE TABLE delivery_articles (
        delivery_id INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
        article_id INTEGER NOT NULL REFERENCES articles(id),
        story_id INTEGER NOT NULL,
        PRIMARY KEY (delivery_id, article_id)
    ) WITHOUT ROWID;
    CREATE INDEX delivery_articles_article ON delivery_articles(article_id);
    CREATE TABLE delivery_sentences (
        delivery_id INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
        sentence_id INTEGER NOT NULL REFERENCES sentences(id),
        story_id INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('summary', 'new')),
        PRIMARY KEY (delivery_id, sentence_id)
    ) WITHOUT ROWID;
    CREATE TABLE feeds (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL,
        audience TEXT NOT NULL,
        interval_s INTEGER,
        etag TEXT,
        last_modified TEXT,
        next_poll_at TEXT,
        last_polled_at TEXT,
        last_ok_at TEXT,
        failing_since TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (url, audience)
    );
    """,
    # 3: "what arrived since the last briefing" and "coverage after --since" without a scan
    """
    CREATE INDEX articles_fetched ON articles(fetched_at);
    CREATE INDEX articles_when ON articles(COALESCE(published_at, fetched_at));
    """,
    # 4: syndicated copies are found by the sentences they share with their original
    """
    ALTER TABLE sentences ADD COLUMN hash INTEGER;
    CREATE INDEX sentences_hash ON sentences(hash) WHERE hash IS NOT NULL;
    """,
    # 5: several processes: a leader lease; a digest slot is claimed (pending) before it is
    # sent, so a claimant that died can be taken over; failed posts are not "shown"
    """
    CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        acquired_at TEXT NOT NULL
    ) WITHOUT ROWID;
    ALTER TABLE deliveries ADD COLUMN state TEXT NOT NULL DEFAULT 'sent'
        CHECK (state IN ('pending', 'sent', 'failed'));
    ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
    ALTER TABLE deliveries ADD COLUMN claim_expires TEXT;
    """,
    # 6: datelines as metadata; feed entries stored from their own text (and the page to fetch
    # again); a story's language; ill-formed feeds flagged; what became of each feed entry and
    # URL given (for per-feed counts and `briefbot explain`)
    """
    ALTER TABLE articles ADD COLUMN place TEXT;
    ALTER TABLE articles ADD COLUMN agency TEXT;
    ALTER TABLE articles ADD COLUMN from_feed INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE articles ADD COLUMN page_error TEXT;
    ALTER TABLE articles ADD COLUMN page_retry INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE stories ADD COLUMN language TEXT;
    ALTER TABLE feeds ADD COLUMN warning TEXT;
    CREATE TABLE ingest_outcomes (
        source TEXT NOT NULL,
        entry TEXT NOT NULL,
        url TEXT,
        title TEXT,
        status TEXT NOT NULL,
        article_id INTEGER,
        reason TEXT,
        kind TEXT,
        at TEXT NOT NULL,
        PRIMARY KEY (source, entry)
    );
    CREATE INDEX ingest_outcomes_url ON ingest_outcomes(url);
    CREATE INDEX ingest_outcomes_article ON ingest_outcomes(article_id);
    """,
    # 7: story titles by word prefix for autocomplete, one index look-up per keystroke (a
    # LIKE '%…%' read every story): each backend's own index, in SQLITE_EXTRA / POSTGRES_EXTRA
    "",
    # 8: the stories each audience was briefed on (story ranking: a followed story that moved
    # comes first in "what is new"), one row per (audience, story) for sent deliveries, kept
    # through merges
    """
    CREATE TABLE audience_stories (
        audience TEXT NOT NULL,
        story_id INTEGER NOT NULL,
        delivery_id INTEGER NOT NULL,
        PRIMARY KEY (audience, story_id)
    ) WITHOUT ROWID;
    CREATE INDEX audience_stories_story ON audience_stories(story_id);
    INSERT INTO audience_stories (audience, story_id, delivery_id)
        SELECT d.audience, da.story_id, MAX(d.id) FROM deliveries d
        JOIN delivery_articles da ON da.delivery_id = d.id
        WHERE d.state = 'sent'
        GROUP BY d.audience, da.story_id;
    """,
    # 9: PostgreSQL's full-text search finds what FTS5 finds, in a table of its own
    # (summaries.pgsearch.migration_statements); nothing changes on SQLite
    "",
    # 10: the copy check (`Writer.shared_sentences`) reads the articles of a sentence hash from
    # the index alone: at 100k articles a sentence's hash is found in hundreds of rows, and
    # reading each row for its article id cost 4 ms per article stored (0.8 ms now)
    """
    CREATE INDEX IF NOT EXISTS sentences_hash_article ON sentences(hash, article_id)
        WHERE hash IS NOT NULL;
    DROP INDEX IF EXISTS sentences_hash;
    """,
)

# SQLite-only statements appended to a migration (FTS5 tables and the triggers that keep them
# in step; a trigger body keeps its semicolons: see `sqlite_statements`).
SQLITE_EXTRA: dict[int, str] = {
    7: """
    CREATE VIRTUAL TABLE stories_fts USING fts5(
        title, content='stories', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
    );
    INSERT INTO stories_fts(stories_fts) VALUES ('rebuild');
    CREATE TRIGGER stories_fts_insert AFTER INSERT ON stories BEGIN
        INSERT INTO stories_fts(rowid, title) VALUES (new.id, new.title);
    END;
    CREATE TRIGGER stories_fts_delete AFTER DELETE ON stories BEGIN
        INSERT INTO stories_fts(stories_fts, rowid, title) VALUES ('delete', old.id, old.title);
    END;
    CREATE TRIGGER stories_fts_rename AFTER UPDATE OF title ON stories BEGIN
        INSERT INTO stories_fts(stories_fts, rowid, title) VALUES ('delete', old.id, old.title);
        INSERT INTO stories_fts(rowid, title) VALUES (new.id, new.title);
    END;
    """,
}


# Search hits are ranked among this many of the most recently stored matching articles.
MATCH_POOL = 2000
# A topic's stories are taken from this many of the most recently stored matching articles
# (the best matching stories among them; significance then orders them): ranking 2,000
# matches of a common word cost PostgreSQL ~90 ms per topic (ts_rank reads every vector).
TOPIC_POOL = 500

# PostgreSQL-only statements appended to a migration (see `summaries.pgstore`).
POSTGRES_EXTRA: dict[int, str] = {
    1: """
    ALTER TABLE articles ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', text), 'B')
    ) STORED;
    CREATE INDEX articles_search ON articles USING GIN (search);
    """,
    7: "CREATE INDEX stories_title_words ON stories USING GIN (to_tsvector('simple', title))",
}


def to_iso(when: datetime | None) -> str | None:
    """UTC ISO-8601 text for storage (sorts chronologically)."""
    if when is None:
        return None
    if when.tzinfo is None:
        raise ValueError("naive datetime given to the store")
    return when.astimezone(UTC).isoformat(timespec="seconds")


def to_iso_precise(when: datetime) -> str:
    """UTC ISO-8601 text with microseconds (leases and claims compare sub-second expiries)."""
    if when.tzinfo is None:
        raise ValueError("naive datetime given to the store")
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def from_iso(text: str | None) -> datetime | None:
    """Parse stored ISO-8601 text back to an aware UTC datetime."""
    if text is None:
        return None
    return datetime.fromisoformat(text).astimezone(UTC)


def _need(text: str | None) -> datetime:
    when = from_iso(text)
    assert when is not None
    return when


def _story(row: Sequence[Any], outlets: tuple[str, ...] = ()) -> Story:
    """A `Story` from (id, title, article_count, first_seen, last_seen) columns."""
    return Story(
        id=int(row[0]),
        title=row[1],
        article_count=int(row[2]),
        first_seen=_need(row[3]),
        last_seen=_need(row[4]),
        outlets=outlets,
    )


@dataclass(frozen=True)
class NewArticle:
    """Everything the store writes for one article (computed outside the transaction)."""

    url: str | None
    source: str
    outlet: str | None
    title: str
    author: str | None
    published_at: datetime | None
    fetched_at: datetime
    language: str | None
    text: str
    fingerprint: str
    simhash: int
    sentences: tuple[tuple[str, str], ...]  # (text, space-joined stems)
    sentence_hashes: tuple[int, ...] = ()  # `sentence_hash` of each sentence
    place: str | None = None
    agency: str | None = None
    from_feed: bool = False
    page_error: str | None = None
    page_retry: bool = False


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a digest slot (`Store.claim_delivery`).

    Attributes:
        delivery_id: The claimed delivery (None: not claimed).
        retaken: The slot was claimed before by a process that did not finish it.
        state: The slot's state when it was not claimed ("sent", "failed", "pending").
        holder: Who held the claim before (retaken) or holds it (not claimed).
    """

    delivery_id: int | None
    retaken: bool = False
    state: str | None = None
    holder: str | None = None


@dataclass(frozen=True)
class StoryState:
    """What story assignment needs to know about a story."""

    id: int
    centroid: dict[str, float]
    article_count: int
    last_seen: datetime
    first_seen: datetime
    title_score: float
    language: str | None = None


@dataclass(frozen=True)
class Window:
    """The articles that count as recent for an audience: those that arrived (were fetched)
    at or after `start`, or with `arrived=False` those dated (published, else fetched) then."""

    start: datetime
    arrived: bool = True


@dataclass(frozen=True)
class StoryActivity:
    """A story's coverage in a window (`Store.story_activity`)."""

    story_id: int
    outlets: int  # distinct outlets of its original articles in the window (unknown: one)
    articles: int  # its original articles in the window
    arrived: int  # its articles in the window, syndicated copies included
    total: int  # all its articles, syndicated copies included
    latest: datetime  # its latest original coverage in the window
    followed: bool  # the audience was briefed on it before

    @property
    def growth(self) -> float:
        """The share of the story that is in the window (1.0: a story new in the window)."""
        return self.arrived / max(self.total, 1)


_ARTICLE_COLS = (
    "id, text, title, source, fetched_at, url, outlet, author, published_at, language, "
    "fingerprint, story_id, near_duplicate_of, place, agency, from_feed, page_error, page_retry"
)
_ARTICLE_WIDTH = len(_ARTICLE_COLS.split(","))


_STORY_TITLE_COLS = "s.id, s.title, s.article_count, s.first_seen, s.last_seen"
_LIVE_STORY = "s.merged_into IS NULL AND s.article_count > 0"


def _article(row: Sequence[Any]) -> Article:
    return Article(
        id=row[0],
        text=row[1],
        title=row[2],
        source=row[3],
        fetched_at=_need(row[4]),
        url=row[5],
        outlet=row[6],
        author=row[7],
        published_at=from_iso(row[8]),
        language=row[9],
        fingerprint=row[10],
        story_id=row[11],
        near_duplicate_of=row[12],
        place=row[13],
        agency=row[14],
        from_feed=bool(row[15]),
        page_error=row[16],
        page_retry=bool(row[17]),
    )


def _bands(simhash: int) -> tuple[int, int, int, int]:
    return tuple((simhash >> (16 * i)) & 0xFFFF for i in range(4))  # type: ignore[return-value]


def _signed(value: int) -> int:
    """SQLite integers are signed 64-bit."""
    return value - (1 << 64) if value >= (1 << 63) else value


def _unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def is_postgres_url(target: str | Path) -> bool:
    """Whether a `--db` / `[store] url` value names a PostgreSQL database."""
    return str(target).startswith(("postgresql://", "postgres://"))


def sqlite_path(target: str | Path) -> str:
    """The file of a SQLite target: a path, `sqlite:PATH` or `sqlite:///PATH`."""
    text = str(target)
    if text.startswith("sqlite:///"):
        return text[len("sqlite://") :]
    if text.startswith("sqlite:"):
        return text[len("sqlite:") :]
    return text


def redact(target: str | Path) -> str:
    """A database target fit for logs and errors: any password in a URL is replaced."""
    text = str(target)
    if not is_postgres_url(text):
        return text
    return re.sub(r"^(\w+://[^:/@]*):[^@]*@", r"\1:***@", text)


class Store:
    """The article store: SQLite (a file, the default) or PostgreSQL (a URL), one interface.

    `Store(target)` picks the backend: a path or `sqlite:PATH` opens `SqliteStore`, a
    `postgresql://user@host:port/db` URL opens `summaries.pgstore.PostgresStore`. Every query
    is written once below in the SQLite dialect; the PostgreSQL backend translates it
    (`summaries.sqldialect`) and supplies the dialect hooks (full-text search, migrations).

    Use `async with Store(target) as store:` or `await store.open()` / `await store.close()`.
    Reads go through `_rows` / `_row` (a pool of read connections); writes through
    `write(fn)`, which runs `fn(Writer)` as one transaction on the database thread.
    """

    dialect = "sqlite"

    def __new__(cls, target: str | Path, *args: Any, **kwargs: Any) -> Store:
        if cls is Store:
            if is_postgres_url(target):
                from summaries.pgstore import PostgresStore

                return object.__new__(PostgresStore)
            return object.__new__(SqliteStore)
        return object.__new__(cls)

    def __init__(self, target: str | Path, *, readers: int = 4) -> None:
        self.target = str(target)
        self.label = redact(target)
        self._df_cache = TermCounts()
        # One write connection is shared by every task (Discord commands, scheduler, CLI): a
        # write transaction must not interleave with another task's.
        self._write_lock = asyncio.Lock()

    async def open(self) -> Store:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Store:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def schema_version(self) -> int:
        raise NotImplementedError

    async def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Sequence[Any]]:
        """All rows of one read statement (SQLite dialect), on a pooled read connection."""
        raise NotImplementedError

    async def _row(self, sql: str, params: Sequence[Any] = ()) -> Sequence[Any] | None:
        """The first row of one read statement (None when there is none)."""
        raise NotImplementedError

    async def write(self, fn: Callable[[Writer], T]) -> T:
        """Run `fn(writer)` as one write transaction on the database thread."""
        raise NotImplementedError

    async def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """One write statement as its own transaction."""
        await self.write(lambda w: w.execute(sql, params))

    # ------------------------------------------------------------------ dialect hooks

    async def _search_rows(self, query: str, limit: int) -> list[Sequence[Any]]:
        """Article columns, snippet, rank (lower is better) of full-text matches, best first,
        among the `MATCH_POOL` most recently stored matches."""
        raise NotImplementedError

    async def _matching_stories(
        self, query: str, limit: int, within: tuple[str, Sequence[Any]] | None
    ) -> list[Sequence[Any]]:
        """(story id, its merged_into) of full-text matches, best story first.

        Among the `TOPIC_POOL` most recently stored matching articles (with `within`, a
        statement and its parameters selecting story ids: only articles of those stories),
        each story ranks by its best article.
        """
        raise NotImplementedError

    async def _title_rows(self, words: list[str], story_id: int, limit: int) -> list[Sequence[Any]]:
        """`_STORY_TITLE_COLS` of live stories with a title word starting with each of
        `words` (lower case), or with id `story_id` (that one first), most recent first."""
        raise NotImplementedError

    async def resolve_story(self, story_id: int) -> int:
        """Follow merges to the live story; NotFound when the id never existed."""
        seen = 0
        current = story_id
        while True:
            row = await self._row("SELECT merged_into FROM stories WHERE id = ?", (current,))
            if row is None:
                raise NotFound(f"no story with id {story_id}")
            if row[0] is None:
                return current
            current = int(row[0])
            seen += 1
            if seen > 100:
                raise NotFound(f"story {story_id} has a merge loop")

    async def resolve_stories(self, story_ids: Sequence[int]) -> list[int]:
        """`resolve_story` for many ids at once, in order, without repeats."""
        merged: dict[int, int] = {}
        for chunk in _chunks(list(dict.fromkeys(story_ids)), 500):
            marks = ",".join("?" * len(chunk))
            for (story_id,) in await self._rows(
                f"SELECT id FROM stories WHERE id IN ({marks}) AND merged_into IS NOT NULL",
                chunk,
            ):
                merged[int(story_id)] = await self.resolve_story(int(story_id))
        return _unique([merged.get(i, i) for i in story_ids])

    async def _live(self, rows: Iterable[Sequence[Any]]) -> list[int]:
        """Live story ids, in order without repeats, from (story id, its merged_into) rows.

        A query that selects `(SELECT merged_into FROM stories ...)` beside each story id needs
        no second statement to resolve merges unless one of them was merged.
        """
        out: list[int] = []
        for row in rows:
            story_id, merged_into = int(row[0]), row[1]
            out.append(story_id if merged_into is None else await self.resolve_story(story_id))
        return _unique(out)

    async def story(self, story_id: int) -> Story:
        live = await self.resolve_story(story_id)
        stories = await self._stories_where("s.id = ?", (live,), limit=1)
        if not stories:
            raise NotFound(f"no story with id {story_id}")
        return stories[0]

    async def stories(
        self,
        *,
        story_ids: Sequence[int] | None = None,
        since: datetime | None = None,
        limit: int = 20,
        outlets: bool = True,
    ) -> list[Story]:
        """Live stories, most recently updated first.

        Args:
            outlets: Also read each story's outlets (one more statement); without, `outlets`
                is empty.
        """
        clauses = ["s.merged_into IS NULL", "s.article_count > 0"]
        params: list[Any] = []
        if since is not None:
            clauses.append("s.last_seen >= ?")
            params.append(to_iso(since))
        if story_ids is not None:
            if not story_ids:
                return []
            clauses.append(f"s.id IN ({','.join('?' * len(story_ids))})")
            params.extend(story_ids)
        return await self._stories_where(
            " AND ".join(clauses), tuple(params), limit=limit, outlets=outlets
        )

    async def _stories_where(
        self, where: str, params: tuple[Any, ...], *, limit: int, outlets: bool = True
    ) -> list[Story]:
        rows = await self._rows(
            f"SELECT s.id, s.title, s.article_count, s.first_seen, s.last_seen FROM stories s "
            f"WHERE {where} ORDER BY s.last_seen DESC, s.article_count DESC, s.id DESC LIMIT ?",
            (*params, limit),
        )
        labels = await self._story_outlets([int(r[0]) for r in rows]) if outlets else {}
        return [_story(r, labels.get(int(r[0]), ())) for r in rows]

    async def _story_outlets(self, story_ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
        """Each story's sources (syndicated copies left out), in one statement for all."""
        if not story_ids:
            return {}
        marks = ",".join("?" * len(story_ids))
        labels: dict[int, list[str]] = {}
        for story_id, outlet, source in await self._rows(
            f"SELECT story_id, outlet, source FROM articles "
            f"WHERE story_id IN ({marks}) AND near_duplicate_of IS NULL "
            f"GROUP BY story_id, outlet, source ORDER BY story_id, COALESCE(outlet, source)",
            story_ids,
        ):
            found = labels.setdefault(int(story_id), [])
            if len(found) < 50:
                found.append(citation_label(outlet, source))
        return {k: tuple(dict.fromkeys(v)) for k, v in labels.items()}

    async def story_titles(self, prefix: str, limit: int) -> list[Story]:
        """Live stories for autocomplete, in one statement: the most recent ones when nothing
        usable was typed, else those whose title has words starting with each typed word, or
        whose id is the typed number (that one first), most recent first.

        Autocomplete shows ids and titles only, so `outlets` is left empty here.
        """
        words = _FTS_WORD.findall(prefix.lower())
        if words:
            typed = prefix.strip().lstrip("#")
            story_id = int(typed) if typed.isdigit() and len(typed) < 19 else -1
            rows = await self._title_rows(words, story_id, limit)
        else:
            rows = await self._recent_title_rows(limit)
        return [_story(r) for r in rows]

    async def _recent_title_rows(self, limit: int) -> list[Sequence[Any]]:
        return await self._rows(
            f"SELECT {_STORY_TITLE_COLS} FROM stories s WHERE {_LIVE_STORY} "
            "ORDER BY s.last_seen DESC LIMIT ?",
            (limit,),
        )

    async def story_articles(self, story_id: int) -> list[Article]:
        """Articles of a story, oldest first (syndicated copies included)."""
        return (await self.story_contents([story_id], sentences=False))[story_id][0]

    async def story_sentences(self, story_id: int) -> list[tuple[Sentence, tuple[str, ...]]]:
        """Sentences (with cached stems) of a story's original articles, in article order."""
        return (await self.story_contents([story_id]))[story_id][1]

    async def story_contents(
        self, story_ids: Sequence[int], *, sentences: bool = True
    ) -> dict[int, tuple[list[Article], list[tuple[Sentence, tuple[str, ...]]]]]:
        """Each story's articles (oldest first, syndicated copies included) and the sentences
        (with cached stems) of its original articles in article order: two statements for
        all the stories, not two per story. Every id given is a key (unknown ones: empty)."""
        out: dict[int, tuple[list[Article], list[tuple[Sentence, tuple[str, ...]]]]] = {
            i: ([], []) for i in story_ids
        }
        for chunk in _chunks(list(out), 500):
            marks = ",".join("?" * len(chunk))
            for r in await self._rows(
                f"SELECT {_ARTICLE_COLS} FROM articles WHERE story_id IN ({marks}) "
                f"ORDER BY COALESCE(published_at, fetched_at), id",
                chunk,
            ):
                out[int(r[11])][0].append(_article(r))
            if not sentences:
                continue
            for r in await self._rows(
                "SELECT a.story_id, s.id, s.article_id, s.position, s.text, s.stems "
                "FROM sentences s JOIN articles a ON a.id = s.article_id "
                f"WHERE a.story_id IN ({marks}) AND a.near_duplicate_of IS NULL "
                "ORDER BY COALESCE(a.published_at, a.fetched_at), a.id, s.position",
                chunk,
            ):
                out[int(r[0])][1].append(
                    (
                        Sentence(id=r[1], article_id=r[2], position=r[3], text=r[4]),
                        tuple(r[5].split()),
                    )
                )
        return out

    async def stories_matching(
        self, query: str, limit: int, *, window: Window | None = None
    ) -> list[int]:
        """Live story ids whose articles match a full-text query, best first.

        A story ranks by its best match among the `TOPIC_POOL` most recently stored matching
        articles: ranking every match of a common word (thousands at 100k articles) cost a
        second per topic, and a briefing is about current coverage anyway.

        Args:
            window: Only stories with original coverage in this window (`story_activity`'s
                stories): a digest's topics are matched among those alone.
        """
        within = None
        if window is not None:
            source, params = _window_source(window)
            within = (
                f"SELECT story_id FROM {source} AND story_id IS NOT NULL "
                "AND near_duplicate_of IS NULL",
                params,
            )
        found = await self._matching_stories(query, limit * 4, within)
        return (await self._live(found))[:limit]

    # ------------------------------------------------------------------ reading articles

    async def article_by_url(self, url: str) -> int | None:
        """The id of the article stored from `url`, if any (lets feed polls skip known entries)."""
        row = await self._row("SELECT id FROM articles WHERE url = ?", (url,))
        return int(row[0]) if row else None

    async def article(self, article_id: int) -> Article:
        row = await self._row(f"SELECT {_ARTICLE_COLS} FROM articles WHERE id = ?", (article_id,))
        if row is None:
            raise NotFound(f"no article with id {article_id}")
        return _article(row)

    async def articles(self, *, limit: int, offset: int) -> list[Article]:
        rows = await self._rows(
            f"SELECT {_ARTICLE_COLS} FROM articles ORDER BY id LIMIT ? OFFSET ?", (limit, offset)
        )
        return [_article(r) for r in rows]

    async def article_count(self) -> int:
        row = await self._row("SELECT COUNT(*) FROM articles")
        return int(row[0]) if row else 0

    async def has_articles(self) -> bool:
        """Whether any article is stored (cheaper than counting them)."""
        return await self._row("SELECT 1 FROM articles LIMIT 1") is not None

    async def sentences(self, article_id: int) -> list[Sentence]:
        rows = await self._rows(
            "SELECT id, article_id, position, text FROM sentences WHERE article_id = ? "
            "ORDER BY position",
            (article_id,),
        )
        return [Sentence(*r) for r in rows]

    async def search(self, query: str, limit: int) -> list[SearchHit]:
        rows = await self._search_rows(query, limit)
        width = _ARTICLE_WIDTH
        return [
            SearchHit(article=_article(r[:width]), snippet=r[width], rank=float(r[width + 1]))
            for r in rows
        ]

    # ------------------------------------------------------------------ deliveries

    async def record_delivery(
        self,
        *,
        audience: str,
        created_at: datetime,
        topic: str | None,
        articles: Sequence[tuple[int, int]],
        sentences: Sequence[tuple[int, int, str]],
        subscription_id: int | None,
        scheduled_for: datetime | None,
        delivery_id: int | None = None,
        stories: Sequence[int] = (),
    ) -> int | None:
        """Record what a briefing showed. None when (subscription, time) was already delivered.

        Args:
            articles: (article_id, story_id) the audience was briefed on.
            sentences: (sentence_id, story_id, kind) shown, kind "summary" or "new".
            delivery_id: Fill this claimed delivery (`claim_delivery`) instead of a new one:
                what it recorded before (a claimant that died) is replaced.
            stories: Stories the audience was briefed on as a whole: every article they hold
                when the delivery is written counts as shown (read in the same transaction).
        """

        def unit(w: Writer) -> int | None:
            if delivery_id is not None:
                w.execute("DELETE FROM delivery_articles WHERE delivery_id = ?", (delivery_id,))
                w.execute("DELETE FROM delivery_sentences WHERE delivery_id = ?", (delivery_id,))
                w.execute("UPDATE deliveries SET topic = ? WHERE id = ?", (topic, delivery_id))
                fill(w, delivery_id)
                return delivery_id
            new_id = w.one(
                "INSERT INTO deliveries (audience, created_at, topic, subscription_id, scheduled_for) "
                "VALUES (?,?,?,?,?) ON CONFLICT (subscription_id, scheduled_for) DO NOTHING "
                "RETURNING id",
                (audience, to_iso(created_at), topic, subscription_id, to_iso(scheduled_for)),
            )
            if new_id is None:
                return None  # already delivered: nothing written
            fill(w, int(new_id))
            return int(new_id)

        def fill(w: Writer, delivery_id: int) -> None:
            w.executemany(
                "INSERT OR IGNORE INTO delivery_articles (delivery_id, article_id, story_id) "
                "VALUES (?,?,?)",
                [(delivery_id, a, s) for a, s in articles],
            )
            for chunk in _chunks(_unique(stories), 500):
                w.execute(
                    "INSERT OR IGNORE INTO delivery_articles (delivery_id, article_id, story_id) "
                    f"SELECT ?, id, story_id FROM articles WHERE story_id IN "
                    f"({','.join('?' * len(chunk))}) ORDER BY id",
                    (delivery_id, *chunk),
                )
            w.executemany(
                "INSERT OR IGNORE INTO delivery_sentences (delivery_id, sentence_id, story_id, kind) "
                "VALUES (?,?,?,?)",
                [(delivery_id, s, st, k) for s, st, k in sentences],
            )
            w.follow(delivery_id)

        return await self.write(unit)

    async def claim_delivery(
        self,
        subscription_id: int,
        audience: str,
        scheduled_for: datetime,
        *,
        holder: str,
        now: datetime,
        until: datetime,
    ) -> Claim:
        """Claim the digest slot (subscription, scheduled_for) until `until`.

        A new slot becomes a pending delivery; a pending one whose claim expired (its claimant
        died) is taken over; a sent or failed one, or one claimed by a live claimant, is not.
        The (subscription_id, scheduled_for) unique key makes this exact across processes.
        """

        def unit(w: Writer) -> Claim:
            row = w.execute(
                "SELECT id, state, claimed_by, claim_expires FROM deliveries "
                "WHERE subscription_id = ? AND scheduled_for = ?",
                (subscription_id, to_iso(scheduled_for)),
            ).fetchone()
            if row is None:
                new_id = w.one(
                    "INSERT INTO deliveries (audience, created_at, topic, subscription_id, "
                    "scheduled_for, state, claimed_by, claim_expires) "
                    "VALUES (?,?,NULL,?,?,'pending',?,?) "
                    "ON CONFLICT (subscription_id, scheduled_for) DO NOTHING RETURNING id",
                    (
                        audience,
                        to_iso(now),
                        subscription_id,
                        to_iso(scheduled_for),
                        holder,
                        to_iso_precise(until),
                    ),
                )
                return Claim(int(new_id)) if new_id is not None else Claim(None, state="sent")
            delivery_id, state, claimed_by, expires = row
            if state != "pending" or (expires is not None and expires > to_iso_precise(now)):
                return Claim(None, state=state, holder=claimed_by)
            w.execute(
                "UPDATE deliveries SET claimed_by = ?, claim_expires = ?, created_at = ? "
                "WHERE id = ?",
                (holder, to_iso_precise(until), to_iso(now), delivery_id),
            )
            return Claim(int(delivery_id), retaken=True, holder=claimed_by)

        return await self.write(unit)

    async def finish_delivery(self, delivery_id: int, state: str) -> None:
        """Mark a claimed delivery "sent" (its content now counts as shown) or "failed"."""

        def unit(w: Writer) -> None:
            w.execute(
                "UPDATE deliveries SET state = ?, claim_expires = NULL WHERE id = ?",
                (state, delivery_id),
            )
            w.follow(delivery_id)

        await self.write(unit)

    async def delivery_state(self, subscription_id: int, scheduled_for: datetime) -> str | None:
        """ "pending", "sent" or "failed" for a digest slot; None when nobody claimed it."""
        row = await self._row(
            "SELECT state FROM deliveries WHERE subscription_id = ? AND scheduled_for = ?",
            (subscription_id, to_iso(scheduled_for)),
        )
        return str(row[0]) if row else None

    # ------------------------------------------------------------------ leases

    async def acquire_lease(self, name: str, holder: str, now: datetime, expires: datetime) -> bool:
        """Take the lease `name` (free, expired or already ours) until `expires`; whether held."""
        got = await self.write(
            lambda w: w.one(
                "INSERT INTO leases (name, holder, expires_at, acquired_at) VALUES (?,?,?,?) "
                "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
                "expires_at = excluded.expires_at, acquired_at = CASE WHEN "
                "leases.holder = excluded.holder THEN leases.acquired_at "
                "ELSE excluded.acquired_at END "
                "WHERE leases.holder = excluded.holder OR leases.expires_at < ? "
                "RETURNING holder",
                (name, holder, to_iso_precise(expires), to_iso_precise(now), to_iso_precise(now)),
            )
        )
        return got == holder

    async def release_lease(self, name: str, holder: str) -> None:
        await self._execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))

    async def lease(self, name: str) -> tuple[str, datetime, datetime] | None:
        """(holder, acquired_at, expires_at) of a lease, if anyone has held it."""
        row = await self._row(
            "SELECT holder, acquired_at, expires_at FROM leases WHERE name = ?", (name,)
        )
        return (row[0], _need(row[1]), _need(row[2])) if row else None

    # ------------------------------------------------------------------ feed poll claims

    async def claim_feed_poll(
        self, feed_id: int, seen_next_poll: datetime | None, until: datetime
    ) -> bool:
        """Claim a due poll: move the feed's next poll to `until` if it is still `seen_next_poll`.

        Whoever moves it polls; a second process (or a late job) finds it moved and does not.
        If the poller dies, the feed is polled again at `until`.
        """
        seen = to_iso(seen_next_poll)
        cursor_rows = await self.write(
            lambda w: (
                w.execute(
                    "UPDATE feeds SET next_poll_at = ? WHERE id = ? AND "
                    "COALESCE(next_poll_at, '') = COALESCE(?, '')",
                    (to_iso(until), feed_id, seen),
                ).rowcount
            )
        )
        return bool(cursor_rows == 1)

    async def shown_articles(self, audience: str, story_id: int) -> dict[int, int]:
        """Articles of a story this audience was briefed on: article id -> latest delivery id."""
        return (await self.shown_by_story(audience, [story_id])).get(story_id, {})

    async def shown_by_story(
        self, audience: str, story_ids: Sequence[int]
    ) -> dict[int, dict[int, int]]:
        """`shown_articles` of many stories in one statement: story id -> {article: delivery}
        (stories with nothing shown are left out)."""
        out: dict[int, dict[int, int]] = {}
        for chunk in _chunks(_unique(story_ids), 500):
            rows = await self._rows(
                "SELECT a.story_id, da.article_id, MAX(da.delivery_id) FROM deliveries d "
                "JOIN delivery_articles da ON da.delivery_id = d.id "
                "JOIN articles a ON a.id = da.article_id "
                f"WHERE d.audience = ? AND d.state = 'sent' AND a.story_id IN "
                f"({','.join('?' * len(chunk))}) GROUP BY a.story_id, da.article_id",
                (audience, *chunk),
            )
            for story_id, article_id, delivery_id in rows:
                out.setdefault(int(story_id), {})[int(article_id)] = int(delivery_id)
        return out

    async def story_activity(
        self,
        audience: str | None,
        window: Window | None,
        *,
        limit: int,
        among: Sequence[int] | None = None,
        followed_first: bool = False,
    ) -> list[StoryActivity]:
        """Live stories with coverage in `window`, most significant first.

        Per story: distinct outlets among its original articles in the window (articles with
        no known outlet count as one outlet together: they may all come from one), original
        articles in the window, its growth (the share of all its articles, syndicated copies
        included, that is in the window) and whether `audience` was briefed on it before. A
        story whose only articles in the window are syndicated copies did not move. Order:
        (followed first, with `followed_first`), outlets, articles, growth (the share of the
        story that is in the window), latest coverage, id; all descending.

        Args:
            audience: Whose briefings say which stories are followed (None: none are).
            window: Which articles count; None counts all of them (then `among` is required).
            limit: Stories returned at most.
            among: Only these stories.
            followed_first: Put stories the audience was briefed on before first.
        """
        if window is None and among is None:
            raise ValueError("story_activity over all coverage needs `among`")
        source, params = _window_source(window)
        restrict = ""
        if among is not None:
            if not among:
                return []
            restrict = f" AND story_id IN ({','.join('?' * len(among))})"
            params.extend(among)
        followed = "followed DESC, " if followed_first else ""
        # the time index picks the window's rows, grouped by story first; then one key
        # lookup per story for its size and whether the audience follows it
        rows = await self._rows(
            "SELECT g.story_id, g.outlets, g.articles, g.arrived, s.article_count, g.latest, "
            "CASE WHEN f.story_id IS NULL THEN 0 ELSE 1 END AS followed FROM ("
            "  SELECT story_id, COUNT(DISTINCT CASE WHEN original = 1 THEN outlet END) "
            "    + MAX(CASE WHEN original = 1 AND outlet IS NULL THEN 1 ELSE 0 END) AS outlets, "
            "    SUM(original) AS articles, COUNT(*) AS arrived, "
            "    MAX(CASE WHEN original = 1 THEN at END) AS latest "
            "  FROM ("
            "    SELECT story_id, outlet, COALESCE(published_at, fetched_at) AS at, "
            "      CASE WHEN near_duplicate_of IS NULL THEN 1 ELSE 0 END AS original "
            f"    FROM {source} AND story_id IS NOT NULL{restrict}"
            "  ) w GROUP BY story_id"
            ") g JOIN stories s ON s.id = g.story_id AND s.merged_into IS NULL "
            "LEFT JOIN audience_stories f ON f.audience = ? AND f.story_id = g.story_id "
            f"WHERE g.articles > 0 ORDER BY {followed}g.outlets DESC, g.articles DESC, "
            "g.arrived * 1.0 / s.article_count DESC, g.latest DESC, g.story_id DESC LIMIT ?",
            (*params, audience, limit),
        )
        return [
            StoryActivity(
                story_id=int(r[0]),
                outlets=int(r[1]),
                articles=int(r[2]),
                arrived=int(r[3]),
                total=int(r[4]),
                latest=_need(r[5]),
                followed=bool(r[6]),
            )
            for r in rows
        ]

    async def delivery_count(self, audience: str | None = None) -> int:
        sql, params = "SELECT COUNT(*) FROM deliveries", ()
        if audience is not None:
            sql, params = sql + " WHERE audience = ?", (audience,)  # type: ignore[assignment]
        row = await self._row(sql, params)
        return int(row[0]) if row else 0

    async def delivered(self, subscription_id: int, scheduled_for: datetime) -> bool:
        row = await self._row(
            "SELECT 1 FROM deliveries WHERE subscription_id = ? AND scheduled_for = ?",
            (subscription_id, to_iso(scheduled_for)),
        )
        return row is not None

    async def last_delivery(self, audience: str) -> tuple[int, datetime] | None:
        row = await self._row(
            "SELECT id, created_at FROM deliveries WHERE audience = ? AND state = 'sent' "
            "ORDER BY id DESC LIMIT 1",
            (audience,),
        )
        return (int(row[0]), _need(row[1])) if row else None

    # ------------------------------------------------------------------ feeds

    async def add_feed(
        self, url: str, audience: str, interval_s: int | None, now: datetime
    ) -> Feed:
        feed_id = await self.write(
            lambda w: w.one(
                "INSERT INTO feeds (url, audience, interval_s, next_poll_at, created_at) "
                "VALUES (?,?,?,?,?) ON CONFLICT (url, audience) DO UPDATE SET "
                "interval_s = excluded.interval_s RETURNING id",
                (url, audience, interval_s, to_iso(now), to_iso(now)),
            )
        )
        return await self.feed(int(feed_id))

    async def feed(self, feed_id: int) -> Feed:
        feeds = await self._feeds_where("id = ?", (feed_id,))
        if not feeds:
            raise NotFound(f"no feed with id {feed_id}")
        return feeds[0]

    async def feeds(self, audience: str | None = None) -> list[Feed]:
        if audience is None:
            return await self._feeds_where("TRUE", ())
        return await self._feeds_where("audience = ?", (audience,))

    async def feed_by_url(self, url: str, audience: str | None) -> Feed | None:
        if audience is None:
            found = await self._feeds_where("url = ?", (url,))
        else:
            found = await self._feeds_where("url = ? AND audience = ?", (url, audience))
        return found[0] if found else None

    async def _feeds_where(self, where: str, params: tuple[Any, ...]) -> list[Feed]:
        rows = await self._rows(
            "SELECT id, url, audience, interval_s, etag, last_modified, next_poll_at, "
            "last_polled_at, last_ok_at, failures, last_error, created_at, failing_since, warning "
            f"FROM feeds WHERE {where} ORDER BY id",
            params,
        )
        return [
            Feed(
                id=r[0],
                url=r[1],
                audience=r[2],
                interval_s=r[3],
                etag=r[4],
                last_modified=r[5],
                next_poll_at=from_iso(r[6]),
                last_polled_at=from_iso(r[7]),
                last_ok_at=from_iso(r[8]),
                failures=r[9],
                last_error=r[10],
                created_at=from_iso(r[11]),
                failing_since=from_iso(r[12]),
                warning=r[13],
            )
            for r in rows
        ]

    async def remove_feed(self, feed_id: int) -> None:
        await self._execute("DELETE FROM feeds WHERE id = ?", (feed_id,))

    async def update_feed_poll(
        self,
        feed_id: int,
        *,
        polled_at: datetime,
        next_poll_at: datetime,
        ok: bool,
        error: str | None,
        etag: str | None,
        last_modified: str | None,
        warning: str | None = None,
        not_modified: bool = False,
    ) -> None:
        """Record a poll's outcome: success resets the failure count, failure increments it.

        `warning` (why the feed read was ill-formed) replaces the last one after a successful
        read; a 304 answer (`not_modified`) keeps it.
        """
        if ok:
            await self._execute(
                "UPDATE feeds SET last_polled_at = ?, next_poll_at = ?, last_ok_at = ?, "
                "failures = 0, last_error = NULL, failing_since = NULL, "
                "etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified), "
                "warning = CASE WHEN ? = 1 THEN warning ELSE ? END "
                "WHERE id = ?",
                (
                    to_iso(polled_at),
                    to_iso(next_poll_at),
                    to_iso(polled_at),
                    etag,
                    last_modified,
                    int(not_modified),
                    warning,
                    feed_id,
                ),
            )
        else:
            await self._execute(
                "UPDATE feeds SET last_polled_at = ?, next_poll_at = ?, failures = failures + 1, "
                "last_error = ?, failing_since = COALESCE(failing_since, ?) WHERE id = ?",
                (to_iso(polled_at), to_iso(next_poll_at), error, to_iso(polled_at), feed_id),
            )

    # ------------------------------------------------------------------ ingest outcomes

    async def record_outcomes(self, rows: Sequence[tuple[Any, ...]], now: datetime) -> None:
        """Remember what became of feed entries and URLs (the latest outcome of each).

        Args:
            rows: (source, entry, url, title, status, article_id, reason, kind) each; `entry`
                is "" for a URL given on its own.
            now: When.
        """
        if not rows:
            return
        stamped = [(*r, to_iso(now)) for r in rows]
        await self.write(
            lambda w: w.executemany(
                "INSERT INTO ingest_outcomes (source, entry, url, title, status, article_id, "
                "reason, kind, at) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (source, entry) DO "
                "UPDATE SET url = excluded.url, title = excluded.title, status = excluded.status, "
                "article_id = excluded.article_id, reason = excluded.reason, "
                "kind = excluded.kind, at = excluded.at",
                stamped,
            )
        )

    async def feed_counts(self, sources: Sequence[str]) -> dict[str, FeedCounts]:
        """Per feed source: stored, duplicate and skipped entries with the reasons."""
        if not sources:
            return {}
        marks = ",".join("?" * len(sources))
        tallies: dict[str, dict[str, int]] = {}
        reasons: dict[str, dict[str, int]] = {}
        for source, status, kind, n in await self._rows(
            f"SELECT source, status, kind, COUNT(*) FROM ingest_outcomes WHERE source IN ({marks}) "
            "AND entry <> '' GROUP BY source, status, kind",
            sources,
        ):
            bucket = {"stored": "stored", "updated": "stored", "duplicate": "duplicate"}.get(
                status, "skipped"
            )
            tally = tallies.setdefault(source, {})
            tally[bucket] = tally.get(bucket, 0) + int(n)
            if bucket != "stored":
                found = reasons.setdefault(source, {})
                label = kind or ("duplicate" if bucket == "duplicate" else "other")
                found[label] = found.get(label, 0) + int(n)
        from_feed: dict[str, tuple[int, int]] = {}
        for source, n, retrying in await self._rows(
            f"SELECT o.source, COUNT(*), SUM(a.page_retry) FROM ingest_outcomes o "
            f"JOIN articles a ON a.id = o.article_id WHERE o.source IN ({marks}) "
            "AND o.entry <> '' AND o.status IN ('stored', 'updated') AND a.from_feed = 1 "
            "GROUP BY o.source",
            sources,
        ):
            from_feed[source] = (int(n), int(retrying or 0))
        out: dict[str, FeedCounts] = {}
        for source in sources:
            tally = tallies.get(source, {})
            ordered = sorted(reasons.get(source, {}).items(), key=lambda kv: (-kv[1], kv[0]))
            out[source] = FeedCounts(
                stored=tally.get("stored", 0),
                duplicate=tally.get("duplicate", 0),
                skipped=tally.get("skipped", 0),
                reasons=tuple(ordered),
                from_feed=from_feed.get(source, (0, 0))[0],
                retrying=from_feed.get(source, (0, 0))[1],
            )
        return out

    async def outcomes(
        self, *, url: str | None = None, article_id: int | None = None
    ) -> list[tuple[str, str, str | None, str | None, str, int | None, str | None, datetime]]:
        """Recorded outcomes for a URL or an article, latest first: (source, entry, url,
        title, status, article_id, reason, at)."""
        params: tuple[Any, ...]
        if url is not None:
            where, params = "url = ?", (url,)
        else:
            where, params = "article_id = ?", (article_id,)
        rows = await self._rows(
            "SELECT source, entry, url, title, status, article_id, reason, at "
            f"FROM ingest_outcomes WHERE {where} ORDER BY at DESC, source LIMIT 20",
            params,
        )
        return [(r[0], r[1], r[2], r[3], r[4], r[5], r[6], _need(r[7])) for r in rows]

    async def article_deliveries(self, article_id: int) -> list[tuple[str, int, datetime]]:
        """Every briefing that showed the article: (audience, delivery id, when), oldest first."""
        rows = await self._rows(
            "SELECT d.audience, d.id, d.created_at FROM delivery_articles da "
            "JOIN deliveries d ON d.id = da.delivery_id WHERE da.article_id = ? "
            "AND d.state = 'sent' ORDER BY d.id",
            (article_id,),
        )
        return [(r[0], int(r[1]), _need(r[2])) for r in rows]

    async def stop_page_retry(self, article_id: int, error: str) -> None:
        """The page of a feed-text article failed for good: stop fetching it again."""
        await self._execute(
            "UPDATE articles SET page_retry = 0, page_error = ? WHERE id = ?", (error, article_id)
        )

    async def page_retry(self, article_id: int) -> bool:
        """Whether the article holds a feed entry's text whose page should be fetched again."""
        row = await self._row("SELECT page_retry FROM articles WHERE id = ?", (article_id,))
        return bool(row and row[0])

    # ------------------------------------------------------------------ subscriptions

    async def set_subscription(
        self, audience: str, local_time: str, timezone: str, topics: Sequence[str], now: datetime
    ) -> Subscription:
        await self._execute(
            "INSERT INTO subscriptions (audience, local_time, timezone, topics, enabled, "
            "created_at, updated_at) VALUES (?,?,?,?,1,?,?) ON CONFLICT (audience) DO UPDATE SET "
            "local_time = excluded.local_time, timezone = excluded.timezone, "
            "topics = excluded.topics, enabled = 1, last_error = NULL, last_error_at = NULL, "
            "updated_at = excluded.updated_at",
            (
                audience,
                local_time,
                timezone,
                json.dumps(list(topics)),
                to_iso(now),
                to_iso(now),
            ),
        )
        found = await self.subscription(audience)
        assert found is not None
        return found

    async def disable_subscription(self, audience: str, now: datetime) -> Subscription | None:
        await self._execute(
            "UPDATE subscriptions SET enabled = 0, updated_at = ? WHERE audience = ?",
            (to_iso(now), audience),
        )
        return await self.subscription(audience)

    async def subscription(self, audience: str) -> Subscription | None:
        found = await self._subscriptions_where("audience = ?", (audience,))
        return found[0] if found else None

    async def subscription_by_id(self, subscription_id: int) -> Subscription:
        found = await self._subscriptions_where("id = ?", (subscription_id,))
        if not found:
            raise NotFound(f"no digest subscription with id {subscription_id}")
        return found[0]

    async def subscriptions(self, *, enabled_only: bool) -> list[Subscription]:
        return await self._subscriptions_where("enabled = 1" if enabled_only else "TRUE", ())

    async def _subscriptions_where(self, where: str, params: tuple[Any, ...]) -> list[Subscription]:
        rows = await self._rows(
            "SELECT id, audience, local_time, timezone, topics, enabled, last_error, last_error_at, "
            f"created_at, updated_at FROM subscriptions WHERE {where} ORDER BY id",
            params,
        )
        return [
            Subscription(
                id=r[0],
                audience=r[1],
                local_time=r[2],
                timezone=r[3],
                topics=tuple(json.loads(r[4])),
                enabled=bool(r[5]),
                last_error=r[6],
                last_error_at=from_iso(r[7]),
                created_at=from_iso(r[8]),
                updated_at=from_iso(r[9]),
            )
            for r in rows
        ]

    async def mark_subscription_error(
        self, subscription_id: int, error: str | None, now: datetime
    ) -> None:
        await self._execute(
            "UPDATE subscriptions SET last_error = ?, last_error_at = ? WHERE id = ?",
            (error, to_iso(now) if error else None, subscription_id),
        )


class SqliteStore(Store):
    """The embedded backend: one SQLite file (WAL, foreign keys) over aiosqlite."""

    dialect = "sqlite"

    def __init__(self, target: str | Path, *, readers: int = 4) -> None:
        super().__init__(target, readers=readers)
        self.path = sqlite_path(target)
        self.label = self.path
        self._db: aiosqlite.Connection | None = None
        # Reads go to a small pool of read-only connections (WAL lets them run beside the
        # writer and beside each other), so a Discord autocomplete never queues behind an
        # ingest batch or another user's briefing. An in-memory database exists only on its
        # own connection, so there the writer serves reads too.
        # One more connection is kept for quick look-ups (autocomplete): they never queue
        # behind the statements of briefings being built.
        self._reader_count = readers if self.path != ":memory:" else 0
        self._readers: ReadPool[aiosqlite.Connection] | None = None
        self._quick: ReadPool[aiosqlite.Connection] | None = None

    async def open(self) -> SqliteStore:
        """Open the file (creating it), switch on WAL and foreign keys, apply migrations."""
        if self.path != ":memory:":
            parent = Path(self.path).parent
            if not parent.exists():
                raise InvalidInput(
                    f"cannot create database {self.path}: folder {parent} does not exist"
                )
        try:
            self._db = await aiosqlite.connect(self.path, isolation_level=None)
            await self._db.execute("PRAGMA journal_mode=WAL")
            await self._db.execute("PRAGMA foreign_keys=ON")
            await self._db.execute("PRAGMA synchronous=NORMAL")
            # Each article is its own small transaction; checkpointing the WAL every 1,000
            # pages (the default) rewrote the same index pages over and over and cost a third
            # of ingest time at 100k articles. The last connection to close checkpoints anyway.
            await self._db.execute("PRAGMA wal_autocheckpoint=10000")
            # A large store's indexes (full text, sentences, story terms) do not fit SQLite's
            # default 2 MB page cache: every insert then re-reads the same interior pages.
            await self._db.execute("PRAGMA cache_size=-65536")
            await self._db.execute("PRAGMA busy_timeout=10000")
            await self._migrate()
            # read connections are opened when first needed (a CLI command needs one)
            self._readers = ReadPool(self._reader_count, self._new_reader)
            self._quick = ReadPool(1 if self._reader_count else 0, self._new_reader)
        except Exception:
            await self.close()
            raise
        return self

    async def close(self) -> None:
        """Close every connection (idempotent)."""
        pools, self._readers, self._quick = (self._readers, self._quick), None, None
        for reader in [c for pool in pools if pool for c in pool.connections]:
            await reader.close()
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("store is not open")
        return self._db

    async def _migrate(self) -> None:
        async with self.db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        version = int(row[0]) if row else 0
        if version > len(MIGRATIONS):
            raise InvalidInput(
                f"database {self.path} has schema version {version}, newer than this briefbot "
                f"({len(MIGRATIONS)}): upgrade briefbot"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                for statement in sqlite_statements(script + ";" + SQLITE_EXTRA.get(number, "")):
                    await self.db.execute(statement)
                await self.db.execute(f"PRAGMA user_version={number}")
                await self.db.execute("COMMIT")
            except Exception:
                await self.db.execute("ROLLBACK")
                raise
            log.info("applied migration %s to %s", number, self.path)

    async def schema_version(self) -> int:
        row = await self._row("PRAGMA user_version")
        return int(row[0]) if row else 0

    # ------------------------------------------------------------------ reading

    @asynccontextmanager
    async def _reading(self, quick: bool = False) -> AsyncIterator[aiosqlite.Connection]:
        """A read connection: one of the pool, or the one kept for `quick` look-ups."""
        readers = self._quick if quick else self._readers
        if readers is None or not readers.size:
            yield self.db
            return
        conn = await readers.lend()
        try:
            yield conn
        finally:
            readers.give_back(conn)

    async def _new_reader(self) -> aiosqlite.Connection:
        reader = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            await reader.execute("PRAGMA query_only=ON")
            await reader.execute("PRAGMA cache_size=-16384")
            await reader.execute("PRAGMA busy_timeout=10000")
        except BaseException:
            await reader.close()
            raise
        return reader

    async def _rows(
        self, sql: str, params: Sequence[Any] = (), *, quick: bool = False
    ) -> list[Sequence[Any]]:
        """All rows of one read statement, run and fetched in one trip to the connection's
        thread (aiosqlite's execute, fetchall and close are three), so under load a connection
        is held for the query, not for three waits on a busy event loop. `quick`: a short
        look-up that must answer at once (autocomplete), on the connection kept for those."""
        async with self._reading(quick) as conn:
            rows: list[Sequence[Any]] = await conn._execute(
                _fetch_all, conn._conn, to_sqlite(sql), tuple(params)
            )
            return rows

    async def _row(self, sql: str, params: Sequence[Any] = ()) -> Sequence[Any] | None:
        async with self._reading() as conn:
            row: Sequence[Any] | None = await conn._execute(
                _fetch_one, conn._conn, to_sqlite(sql), tuple(params)
            )
            return row

    async def _recent_title_rows(self, limit: int) -> list[Sequence[Any]]:
        return await self._rows(
            f"SELECT {_STORY_TITLE_COLS} FROM stories s WHERE {_LIVE_STORY} "
            "ORDER BY s.last_seen DESC LIMIT ?",
            (limit,),
            quick=True,
        )

    async def _title_rows(self, words: list[str], story_id: int, limit: int) -> list[Sequence[Any]]:
        return await self._rows(
            f"SELECT {_STORY_TITLE_COLS} FROM stories s WHERE s.id IN "
            "(SELECT rowid FROM stories_fts WHERE stories_fts MATCH ? UNION SELECT ?) "
            f"AND {_LIVE_STORY} ORDER BY s.id = ? DESC, s.last_seen DESC LIMIT ?",
            (" ".join(f'"{w}"*' for w in words), story_id, story_id, limit),
            quick=True,
        )

    # ------------------------------------------------------------------ writing

    async def run_sync(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(connection)` on the database thread, in one hop.

        aiosqlite sends every statement to its worker thread and back; storing one article
        takes about twenty statements, and those round trips cost more than the SQL. A unit of
        work written against the plain `sqlite3` connection runs there in one hop instead.
        (Uses aiosqlite's `_execute`; the dependency is pinned below 1.0.)
        """
        conn = self.db._conn
        result: T = await self.db._execute(fn, conn)
        return result

    async def write(self, fn: Callable[[Writer], T]) -> T:
        async with self._write_lock:

            def unit(conn: sqlite3.Connection) -> T:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    out = fn(Writer(conn, self._df_cache))
                except BaseException:
                    conn.execute("ROLLBACK")
                    self._df_cache.clear()
                    raise
                conn.execute("COMMIT")
                return out

            return await self.run_sync(unit)

    # ------------------------------------------------------------------ full-text search

    async def _search_rows(self, query: str, limit: int) -> list[Sequence[Any]]:
        match = fts_query(query)
        # the best of the newest matches first (bm25 of those alone), then snippets for the
        # few shown: ranking and cutting snippets for every match of a common word cost
        # 0.1-0.4 s at 100k articles
        best = await self._rows(
            "SELECT id, r FROM (SELECT rowid AS id, bm25(articles_fts, 5.0, 1.0) AS r "
            "  FROM articles_fts WHERE articles_fts MATCH ? "
            f"  ORDER BY rowid DESC LIMIT {MATCH_POOL}) AS latest ORDER BY r, id LIMIT ?",
            (match, limit),
        )
        if not best:
            return []
        rank = {int(i): float(r) for i, r in best}
        rows = await self._rows(
            f"SELECT {', '.join('a.' + c.strip() for c in _ARTICLE_COLS.split(','))}, "
            "snippet(articles_fts, 1, '**', '**', '…', 16) "
            "FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
            f"WHERE articles_fts MATCH ? AND articles_fts.rowid IN ({','.join('?' * len(rank))})",
            (match, *rank),
        )
        found = sorted(rows, key=lambda r: (rank[int(r[0])], int(r[0])))
        return [(*r, rank[int(r[0])]) for r in found]

    async def _matching_stories(
        self, query: str, limit: int, within: tuple[str, Sequence[Any]] | None
    ) -> list[Sequence[Any]]:
        if within is None:
            # FTS5 walks the matches newest first and stops after the pool: bm25 is computed
            # for those alone
            source, params = "articles_fts JOIN articles a ON a.id = articles_fts.rowid", ()
            match = f"{source} WHERE articles_fts MATCH ? AND a.story_id IS NOT NULL"
        else:
            # the few articles of the given stories first, then which of them match: filtering
            # every match of a common word by story instead cost ten times more
            params = tuple(within[1])
            match = (
                "articles_fts JOIN candidates a ON a.id = articles_fts.rowid "
                "WHERE articles_fts MATCH ?"
            )
        cte = (
            "WITH candidates (id, story_id) AS MATERIALIZED (SELECT id, story_id FROM articles "
            f"WHERE story_id IN ({within[0]})) "
            if within is not None
            else ""
        )
        return await self._rows(
            f"{cte}SELECT story_id, (SELECT merged_into FROM stories s WHERE s.id = hits.story_id), "
            "MIN(r) AS best FROM ("
            "  SELECT a.story_id AS story_id, bm25(articles_fts, 5.0, 1.0) AS r "
            f"  FROM {match} ORDER BY articles_fts.rowid DESC LIMIT {TOPIC_POOL}"
            ") AS hits GROUP BY story_id ORDER BY best, story_id LIMIT ?",
            (*params, fts_query(query), limit),
        )


class TermCounts(dict[str, int]):
    """Document frequencies cached across write transactions of one store.

    `doc_count` is the article count they were read at: when another process wrote articles
    meanwhile (the stored count moved by more than this process's own), the cache is dropped.
    """

    doc_count: int | None = None

    def clear(self) -> None:
        super().clear()
        self.doc_count = None


class Writer:
    """Synchronous writes of one transaction, on the database thread (see `Store.write`).

    Statements are written in the SQLite dialect; on PostgreSQL they are translated
    (`summaries.sqldialect.to_postgres`).
    """

    def __init__(self, conn: Any, df_cache: TermCounts, dialect: str = "sqlite") -> None:
        self.conn = conn
        self._df = df_cache
        self.dialect = dialect
        self._translate = to_postgres if dialect == "postgresql" else to_sqlite

    def forget_counts(self) -> None:
        """Drop cached document frequencies (after rolling back part of a transaction)."""
        self._df.clear()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; returns the cursor."""
        return self.conn.execute(self._translate(sql), tuple(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if not rows:
            return
        if self.dialect == "postgresql":
            with self.conn.cursor() as cur:
                cur.executemany(self._translate(sql), rows)
        else:
            self.conn.executemany(self._translate(sql), rows)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Sequence[Any]]:
        return list(self.execute(sql, params).fetchall())

    def one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row (None when there is none)."""
        row = self.execute(sql, params).fetchone()
        return row[0] if row else None

    _one = one

    # duplicates

    def article_by_url(self, url: str) -> int | None:
        return self._one("SELECT id FROM articles WHERE url = ?", (url,))

    def article_by_fingerprint(self, fingerprint: str) -> int | None:
        return self._one("SELECT id FROM articles WHERE fingerprint = ?", (fingerprint,))

    def near_duplicates(self, simhash: int, max_distance: int) -> list[tuple[int, int]]:
        """Stored originals whose simhash is within `max_distance` bits: (id, distance)."""
        rows = self.execute(
            "SELECT id, simhash FROM articles WHERE (band0 = ? OR band1 = ? OR band2 = ? "
            "OR band3 = ?) AND near_duplicate_of IS NULL LIMIT 200",
            _bands(simhash),
        ).fetchall()
        out = []
        for article_id, other in rows:
            distance = (simhash ^ _unsigned(other)).bit_count()
            if distance <= max_distance:
                out.append((int(article_id), distance))
        out.sort(key=lambda pair: (pair[1], pair[0]))
        return out

    def shared_sentences(self, hashes: Sequence[int]) -> list[tuple[int, int, int]]:
        """Original articles sharing sentences with `hashes`: (id, shared, their sentence count)."""
        unique = sorted(set(hashes))
        if not unique:
            return []
        marks = ",".join("?" * len(unique))
        # the candidates' sentence counts in the same statement (one more each cost a round
        # trip per candidate, five per article stored)
        rows = self.execute(
            "SELECT m.article_id, m.shared, "
            "(SELECT COUNT(*) FROM sentences t WHERE t.article_id = m.article_id) FROM ("
            "  SELECT s.article_id AS article_id, COUNT(DISTINCT s.hash) AS shared "
            "  FROM sentences s JOIN articles a ON a.id = s.article_id "
            f"  WHERE s.hash IN ({marks}) AND a.near_duplicate_of IS NULL "
            "  GROUP BY s.article_id ORDER BY shared DESC, s.article_id LIMIT 5"
            ") AS m ORDER BY m.shared DESC, m.article_id",
            unique,
        ).fetchall()
        return [(int(a), int(shared), int(total or 0)) for a, shared, total in rows]

    def follow(self, delivery_id: int) -> None:
        """If the delivery was sent, its audience now follows the stories it showed."""
        self.execute(
            "INSERT INTO audience_stories (audience, story_id, delivery_id) "
            "SELECT d.audience, da.story_id, d.id FROM deliveries d "
            "JOIN delivery_articles da ON da.delivery_id = d.id "
            "WHERE d.id = ? AND d.state = 'sent' GROUP BY d.audience, da.story_id, d.id "
            "ON CONFLICT (audience, story_id) DO UPDATE SET delivery_id = excluded.delivery_id "
            "WHERE excluded.delivery_id > audience_stories.delivery_id",
            (delivery_id,),
        )

    def story_of(self, article_id: int) -> int | None:
        return self._one("SELECT story_id FROM articles WHERE id = ?", (article_id,))

    def feed_text_words(self, article_id: int) -> int | None:
        """For an article holding a feed entry's own text: its length in words; else None."""
        row = self.execute(
            "SELECT from_feed, text FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        if row is None or not row[0]:
            return None
        return len(str(row[1]).split())

    def end_page_retry(self, article_id: int) -> None:
        """The page was read again but brought no more text: stop fetching it."""
        self.execute("UPDATE articles SET page_retry = 0 WHERE id = ?", (article_id,))

    def upgrade_article(self, article_id: int, new: NewArticle) -> None:
        """Replace a feed entry's text stored as `article_id` by its page's fuller text.

        The article keeps its id, story and delivery records: a sentence that a briefing showed
        keeps its id when the page has it too; one the page does not have is dropped from the
        record of what was shown (the article itself still counts as shown).
        """
        old = self.execute(
            "SELECT title, text FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        if self.dialect == "sqlite":  # PostgreSQL indexes a generated tsvector column
            self.execute(
                "INSERT INTO articles_fts (articles_fts, rowid, title, text) "
                "VALUES ('delete',?,?,?)",
                (article_id, old[0], old[1]),
            )
        title = new.title or old[0]
        self.execute(
            "UPDATE articles SET text = ?, title = ?, source = ?, "
            "author = COALESCE(author, ?), published_at = COALESCE(published_at, ?), "
            "language = COALESCE(?, language), place = COALESCE(place, ?), "
            "agency = COALESCE(agency, ?), fingerprint = ?, band0 = ?, band1 = ?, band2 = ?, "
            "band3 = ?, simhash = ?, from_feed = 0, page_error = NULL, page_retry = 0 "
            "WHERE id = ?",
            (
                new.text,
                title,
                new.source,
                new.author,
                to_iso(new.published_at),
                new.language,
                new.place,
                new.agency,
                new.fingerprint,
                *_bands(new.simhash),
                _signed(new.simhash),
                article_id,
            ),
        )
        shown = {
            int(r[0]): r[1]
            for r in self.execute(
                "SELECT s.id, s.hash FROM sentences s WHERE s.article_id = ? AND EXISTS "
                "(SELECT 1 FROM delivery_sentences d WHERE d.sentence_id = s.id)",
                (article_id,),
            ).fetchall()
        }
        keep = {h: i for i, h in shown.items() if h is not None}
        # park the old rows out of the way of the new positions
        self.execute(
            "UPDATE sentences SET position = -1 - position WHERE article_id = ?", (article_id,)
        )
        hashes = new.sentence_hashes or (None,) * len(new.sentences)
        for position, ((text, stems), h) in enumerate(zip(new.sentences, hashes, strict=True)):
            reuse = keep.pop(h, None) if h is not None else None
            if reuse is not None:
                self.execute(
                    "UPDATE sentences SET position = ?, text = ?, stems = ? WHERE id = ?",
                    (position, text, stems, reuse),
                )
            else:
                self.execute(
                    "INSERT INTO sentences (article_id, position, text, stems, hash) "
                    "VALUES (?,?,?,?,?)",
                    (article_id, position, text, stems, h),
                )
        gone = list(keep.values())
        for chunk in _chunks(gone, 500):
            marks = ",".join("?" * len(chunk))
            self.execute(f"DELETE FROM delivery_sentences WHERE sentence_id IN ({marks})", chunk)
        self.execute("DELETE FROM sentences WHERE article_id = ? AND position < 0", (article_id,))
        if self.dialect == "sqlite":
            self.execute(
                "INSERT INTO articles_fts (rowid, title, text) VALUES (?,?,?)",
                (article_id, title, new.text),
            )

    # articles

    def insert_article(self, new: NewArticle, *, near_duplicate_of: int | None) -> int:
        """Insert an article with its sentences and full-text row."""
        article_id = int(
            self._one(
                "INSERT INTO articles (url, source, outlet, title, author, published_at, "
                "fetched_at, language, text, fingerprint, band0, band1, band2, band3, simhash, "
                "near_duplicate_of, place, agency, from_feed, page_error, page_retry) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
                (
                    new.url,
                    new.source,
                    new.outlet,
                    new.title,
                    new.author,
                    to_iso(new.published_at),
                    to_iso(new.fetched_at),
                    new.language,
                    new.text,
                    new.fingerprint,
                    *_bands(new.simhash),
                    _signed(new.simhash),
                    near_duplicate_of,
                    new.place,
                    new.agency,
                    int(new.from_feed),
                    new.page_error,
                    int(new.page_retry),
                ),
            )
        )
        self.executemany(
            "INSERT INTO sentences (article_id, position, text, stems, hash) VALUES (?,?,?,?,?)",
            [
                (
                    article_id,
                    i,
                    text,
                    stems,
                    new.sentence_hashes[i] if new.sentence_hashes else None,
                )
                for i, (text, stems) in enumerate(new.sentences)
            ],
        )
        if self.dialect == "sqlite":  # PostgreSQL indexes a generated tsvector column
            self.execute(
                "INSERT INTO articles_fts (rowid, title, text) VALUES (?,?,?)",
                (article_id, new.title, new.text),
            )
        return article_id

    def document_frequencies(self, terms: Iterable[str]) -> tuple[int, dict[str, int]]:
        """(articles counted so far, document frequency of each term)."""
        unique = set(terms)
        total = int(self.one("SELECT value FROM meta WHERE key = 'doc_count'") or 0)
        if self._df.doc_count != total:  # first use, or another process stored articles
            self._df.clear()
            self._df.doc_count = total
        wanted = [t for t in unique if t not in self._df]
        for chunk in _chunks(wanted, 500):
            marks = ",".join("?" * len(chunk))
            found = dict(
                self.execute(
                    f"SELECT term, df FROM term_df WHERE term IN ({marks})", chunk
                ).fetchall()
            )
            for term in chunk:
                self._df[term] = int(found.get(term, 0))
        return total, {t: self._df[t] for t in unique}

    def count_terms(self, terms: Iterable[str]) -> None:
        """Count one more document for each of `terms`."""
        unique = sorted(set(terms))
        self.executemany(
            "INSERT INTO term_df (term, df) VALUES (?, 1) "
            "ON CONFLICT(term) DO UPDATE SET df = term_df.df + 1",
            [(t,) for t in unique],
        )
        self.execute(
            "INSERT INTO meta (key, value) VALUES ('doc_count', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(meta.value AS INTEGER) + 1"
        )
        for t in unique:
            if t in self._df:
                self._df[t] += 1
        if self._df.doc_count is not None:
            self._df.doc_count += 1

    # stories

    def story_candidates(self, terms: Sequence[str], limit: int = 12) -> list[int]:
        """Live stories sharing the most weight on `terms`."""
        if not terms:
            return []
        marks = ",".join("?" * len(terms))
        rows = self.execute(
            f"SELECT story_id, SUM(weight) AS w FROM story_terms WHERE term IN ({marks}) "
            f"GROUP BY story_id ORDER BY w DESC LIMIT ?",
            (*terms, limit),
        ).fetchall()
        return [int(r[0]) for r in rows]

    def story_states(self, story_ids: Sequence[int]) -> list[StoryState]:
        if not story_ids:
            return []
        marks = ",".join("?" * len(story_ids))
        rows = self.execute(
            f"SELECT id, centroid, article_count, last_seen, first_seen, title_score, language "
            f"FROM stories WHERE id IN ({marks}) AND merged_into IS NULL",
            tuple(story_ids),
        ).fetchall()
        by_id = {
            int(r[0]): StoryState(
                id=int(r[0]),
                centroid=json.loads(r[1]),
                article_count=int(r[2]),
                last_seen=_need(r[3]),
                first_seen=_need(r[4]),
                title_score=float(r[5]),
                language=r[6],
            )
            for r in rows
        }
        return [by_id[i] for i in story_ids if i in by_id]

    def create_story(
        self,
        *,
        title: str,
        article_id: int,
        when: datetime,
        created_at: datetime,
        centroid: dict[str, float],
        title_score: float,
        language: str | None = None,
    ) -> int:
        story_id = int(
            self._one(
                "INSERT INTO stories (title, title_article_id, title_score, created_at, "
                "first_seen, last_seen, article_count, centroid, language) "
                "VALUES (?,?,?,?,?,?,1,?,?) RETURNING id",
                (
                    title,
                    article_id,
                    title_score,
                    to_iso(created_at),
                    to_iso(when),
                    to_iso(when),
                    json.dumps(centroid),
                    language,
                ),
            )
        )
        self._write_terms(story_id, centroid)
        self.execute(
            "UPDATE articles SET story_id = ?, story_score = ? WHERE id = ?",
            (story_id, title_score, article_id),
        )
        return story_id

    def join_story(
        self,
        story: StoryState,
        *,
        article_id: int,
        title: str,
        score: float,
        when: datetime | None,
        centroid: dict[str, float],
    ) -> None:
        if score > story.title_score and title:
            self.execute(
                "UPDATE stories SET title = ?, title_article_id = ?, title_score = ? WHERE id = ?",
                (title, article_id, score, story.id),
            )
        first, last = story.first_seen, story.last_seen
        if when is not None:  # an undated article leaves the story's span alone
            first, last = min(first, when), max(last, when)
        self.execute(
            "UPDATE stories SET article_count = article_count + 1, first_seen = ?, "
            "last_seen = ?, centroid = ? WHERE id = ?",
            (to_iso(first), to_iso(last), json.dumps(centroid), story.id),
        )
        self.execute("DELETE FROM story_terms WHERE story_id = ?", (story.id,))
        self._write_terms(story.id, centroid)
        self.execute(
            "UPDATE articles SET story_id = ?, story_score = ? WHERE id = ?",
            (story.id, score, article_id),
        )

    def merge_stories(self, keep: StoryState, gone: StoryState, centroid: dict[str, float]) -> None:
        """Move every article (and delivery record) of `gone` into `keep`."""
        for table in ("articles", "delivery_articles", "delivery_sentences"):
            self.execute(f"UPDATE {table} SET story_id = ? WHERE story_id = ?", (keep.id, gone.id))
        # an audience briefed on either story follows the merged one
        self.execute(
            "INSERT INTO audience_stories (audience, story_id, delivery_id) "
            "SELECT audience, ?, delivery_id FROM audience_stories WHERE story_id = ? "
            "ON CONFLICT (audience, story_id) DO UPDATE SET delivery_id = excluded.delivery_id "
            "WHERE excluded.delivery_id > audience_stories.delivery_id",
            (keep.id, gone.id),
        )
        self.execute("DELETE FROM audience_stories WHERE story_id = ?", (gone.id,))
        self.execute(
            "UPDATE stories SET merged_into = ?, article_count = 0 WHERE id = ?", (keep.id, gone.id)
        )
        self.execute("DELETE FROM story_terms WHERE story_id IN (?, ?)", (gone.id, keep.id))
        self._write_terms(keep.id, centroid)
        # the better-scoring headline wins
        self.execute(
            "UPDATE stories SET article_count = ?, first_seen = ?, last_seen = ?, centroid = ?, "
            "title = CASE WHEN ? > title_score THEN (SELECT title FROM stories WHERE id = ?) "
            "ELSE title END, title_score = MAX(title_score, ?) WHERE id = ?",
            (
                keep.article_count + gone.article_count,
                to_iso(min(keep.first_seen, gone.first_seen)),
                to_iso(max(keep.last_seen, gone.last_seen)),
                json.dumps(centroid),
                gone.title_score,
                gone.id,
                gone.title_score,
                keep.id,
            ),
        )

    def attach_copy(self, article_id: int, story_id: int, when: datetime | None) -> None:
        """Put a syndicated copy in its original's story without re-weighting the story."""
        self.execute("UPDATE articles SET story_id = ? WHERE id = ?", (story_id, article_id))
        self.execute(
            "UPDATE stories SET article_count = article_count + 1, "
            "first_seen = MIN(first_seen, COALESCE(?, first_seen)), "
            "last_seen = MAX(last_seen, COALESCE(?, last_seen)) WHERE id = ?",
            (to_iso(when), to_iso(when), story_id),
        )

    def _write_terms(self, story_id: int, centroid: dict[str, float]) -> None:
        self.executemany(
            "INSERT INTO story_terms (term, story_id, weight) VALUES (?,?,?)",
            [(t, story_id, w) for t, w in centroid.items()],
        )


def _window_source(window: Window | None) -> tuple[str, list[Any]]:
    """FROM ... WHERE ... of the articles in `window` (all of them for None); more conditions
    follow with AND."""
    if window is None:
        return "articles WHERE 1 = 1", []
    if window.arrived:
        # ">=": an article stored in the same second as a briefing may have missed it
        return "articles INDEXED BY articles_fetched WHERE fetched_at >= ?", [to_iso(window.start)]
    return (
        "articles INDEXED BY articles_when WHERE COALESCE(published_at, fetched_at) >= ?",
        [to_iso(window.start)],
    )


C = TypeVar("C")


class ReadPool(Generic[C]):
    """Read connections opened when first needed, at most `size`, lent one task at a time."""

    def __init__(self, size: int, connect: Callable[[], Awaitable[C]]) -> None:
        self.size = size
        self.connections: list[C] = []
        self._connect = connect
        self._idle: asyncio.Queue[C] = asyncio.Queue()
        self._opening = 0

    async def lend(self) -> C:
        """An idle connection, a new one while fewer than `size` exist, else the next one
        given back."""
        if not self._idle.empty():
            return self._idle.get_nowait()
        if len(self.connections) + self._opening < self.size:
            self._opening += 1
            try:
                conn = await self._connect()
            finally:
                self._opening -= 1
            self.connections.append(conn)
            return conn
        return await self._idle.get()

    def give_back(self, conn: C) -> None:
        self._idle.put_nowait(conn)

    def replace(self, old: C, new: C) -> None:
        self.connections = [new if c is old else c for c in self.connections]


def _unique(items: Iterable[T]) -> list[T]:
    """Items in order, repeats left out."""
    return list(dict.fromkeys(items))


def sqlite_statements(script: str) -> list[str]:
    """A SQLite script as single statements (a trigger body keeps its inner semicolons)."""
    out: list[str] = []
    pending = ""
    for part in script.split(";"):
        pending += part + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                out.append(pending.strip().rstrip(";").strip())
            pending = ""
    if pending.strip(" \n;"):
        out.append(pending.strip().rstrip(";").strip())
    return out


def _fetch_all(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
    return conn.execute(sql, params).fetchall()


def _fetch_one(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> Any:
    cursor = conn.execute(sql, params)
    try:
        return cursor.fetchone()
    finally:
        cursor.close()


def _chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


_FTS_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(query: str) -> str:
    """Turn user words into a safe FTS5 query (every word must match, as a prefix for the last).

    Raises:
        InvalidInput: When the query has no searchable word.
    """
    terms = _FTS_WORD.findall(query)
    if not terms:
        raise InvalidInput("give at least one word to look for")
    quoted = [f'"{t}"' for t in terms]
    quoted[-1] += "*"
    return " ".join(quoted)
