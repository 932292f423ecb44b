"""Full-text search finds the same articles on SQLite (FTS5, porter unicode61) and PostgreSQL.

Tests taking `room` run on both backends (tests/summaries/conftest.py) with the same
expectations: stop words are searchable, case and diacritics are folded both ways, curly quotes,
dashes and hyphens separate words, highlighted snippets show the original spelling. The last
tests check PostgreSQL's normalisation against SQLite's tokenizer and its own SQL functions.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from typing import Any

import pytest

from summaries import pgsearch
from summaries.newsroom import Newsroom
from summaries.store import Window

CAFE = """Le Café Noir Reopens on the Market Square

The café on the market square of Brennmoor reopened on Monday after a renovation plan—“approved” by the council in March—ran four months late, owner Zoë Ærøskøbing said. Halvard Osterby’s bakery next door sent an e-mail to its customers.

Coffee prices rose 3.5% from last year, the owner said, because the beans now come from a smaller roaster in Sollholt.
"""

RESUME = """Orchard Cooperative Publishes Its Resume of the Season

The cherry cooperative in the Marrow Hills published a resume of the season on Thursday, listing 9,400 tonnes picked by seasonal workers and a new cold store near Vesk.
"""

COMET = """Bright Comet Visible Over Northern Skies

A comet discovered by an amateur astronomer can now be seen with binoculars shortly after sunset, the astronomy society said.
"""


async def _titles(room: Newsroom, query: str) -> set[str]:
    return {hit.article.title for hit in await room.search(query)}


@pytest.fixture
async def stocked(room: Newsroom) -> Newsroom:
    for name, text in (("cafe.txt", CAFE), ("resume.txt", RESUME), ("comet.txt", COMET)):
        stored = await room.ingest_text(text, source=name)
        assert stored.status == "stored"
    return room


CAFE_TITLE = "Le Café Noir Reopens on the Market Square"
RESUME_TITLE = "Orchard Cooperative Publishes Its Resume of the Season"
COMET_TITLE = "Bright Comet Visible Over Northern Skies"


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("the", {CAFE_TITLE, RESUME_TITLE, COMET_TITLE}),  # no stop words
        ("of the", {CAFE_TITLE, RESUME_TITLE}),
        ("an amateur", {COMET_TITLE}),
        ("its", {CAFE_TITLE, RESUME_TITLE}),
        ("after the", {COMET_TITLE, CAFE_TITLE}),
    ],
)
async def test_stop_words_are_searchable(stocked: Newsroom, query: str, found: set[str]) -> None:
    assert await _titles(stocked, query) == found


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("cafe", {CAFE_TITLE}),
        ("CAFÉ", {CAFE_TITLE}),
        ("Café", {CAFE_TITLE}),
        ("zoe", {CAFE_TITLE}),
        ("Zoë", {CAFE_TITLE}),
        ("ærøskøbing", {CAFE_TITLE}),  # æ and ø are letters of their own, not accented ones
        ("aeroskobing", set()),
        ("résumé", {RESUME_TITLE}),
        ("RESUMÉ", {RESUME_TITLE}),
        ("resume", {RESUME_TITLE}),
    ],
)
async def test_case_and_diacritics_are_folded_both_ways(
    stocked: Newsroom, query: str, found: set[str]
) -> None:
    assert await _titles(stocked, query) == found


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("Osterby", {CAFE_TITLE}),  # Osterby’s
        ("approved council", {CAFE_TITLE}),  # plan—“approved”
        ("mail", {CAFE_TITLE}),  # e-mail
        ("e-mail customers", {CAFE_TITLE}),
        ("3.5", {CAFE_TITLE}),
        ("400 tonnes", {RESUME_TITLE}),  # 9,400
        ("reopen", {CAFE_TITLE}),  # stemmed: reopened
        ("renovations", {CAFE_TITLE}),
        ("binocular", {COMET_TITLE}),
        ("astronom", {COMET_TITLE}),  # the last word is a prefix
    ],
)
async def test_punctuation_separates_words_and_words_are_stemmed(
    stocked: Newsroom, query: str, found: set[str]
) -> None:
    assert await _titles(stocked, query) == found


async def test_snippets_highlight_the_original_spelling(stocked: Newsroom) -> None:
    (hit,) = await stocked.search("cafe")
    assert "**café**" in hit.snippet or "**Café**" in hit.snippet
    (hit,) = await stocked.search("zoe")
    assert "**Zoë**" in hit.snippet
    (hit,) = await stocked.search("approved")
    assert "plan—“**approved**" in hit.snippet
    (hit,) = await stocked.search("resume")
    assert "**resume**" in hit.snippet


async def test_topic_stories_match_stop_words_and_accents(stocked: Newsroom) -> None:
    """A digest topic or `/stories topic:` reads words as search does."""
    cafe = {s.title for s in await stocked.stories(topic="CAFE")}
    assert cafe == {CAFE_TITLE}
    assert {s.title for s in await stocked.stories(topic="Résumé")} == {RESUME_TITLE}
    assert {s.title for s in await stocked.stories(topic="the")} == {
        CAFE_TITLE,
        RESUME_TITLE,
        COMET_TITLE,
    }


# ------------------------------------------------------------------------------ normalisation


def test_separators_are_the_ones_fts5_uses() -> None:
    """`pgsearch.SEPARATORS` against this SQLite's unicode61 tokenizer, for the BMP."""
    con = sqlite3.connect(":memory:")
    con.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='unicode61')")
    con.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    points = [c for c in range(1, 0x10000) if not 0xD800 <= c <= 0xDFFF]
    con.executemany("INSERT INTO t (rowid, x) VALUES (?, ?)", [(c, f"q{chr(c)}q") for c in points])
    split = {doc for (doc,) in con.execute("SELECT doc FROM v GROUP BY doc HAVING COUNT(*) = 2")}
    diacritics = set(range(0x300, 0x370))
    expected = {c for c in split if c not in diacritics}
    ours = {c for a, b in pgsearch._ranges() for c in range(a, b + 1) if c < 0x10000}
    assert sorted(ours ^ expected) == []


def test_query_words_are_folded_as_the_index_folds_text() -> None:
    assert pgsearch.tsquery("Café’s  naïve") == "'Cafe' & 's' & 'naive':*"
    assert pgsearch.tsquery("snake_case x") == "'snake case' & 'x':*"
    assert pgsearch.fold("plan—“approved”") == "plan  approved "


def test_headline_is_carried_back_onto_the_original_text() -> None:
    text = "Zoë’s “Café” — opened. Later the café closed for the winter months again."
    folded = pgsearch.fold(text).lower()
    fragment = folded[: folded.index("closed") + len("closed")]
    headline = fragment.replace("cafe", "**cafe**")
    assert pgsearch.map_headline(text, headline, "**", "**") == (
        "Zoë’s “**Café**” — opened. Later the **café** closed…"
    )
    assert pgsearch.map_headline(text, "nothing like it", "**", "**") is None


async def test_postgres_folds_text_exactly_as_python_does(pg_url: str) -> None:
    import psycopg

    samples = [CAFE, RESUME, "İstanbul ΑΘΗΝΑ Ελλάδα naïve coöperate façade", "a\u0301b “x” — y…"]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for text in samples:
            row = conn.execute("SELECT briefbot_search_text(%s)", (text,)).fetchone()
            assert row is not None and row[0] == pgsearch.fold(text)


async def test_postgres_database_that_is_not_utf8_is_refused_clearly(pg_pool: Any) -> None:
    from summaries.errors import InvalidInput
    from summaries.store import Store

    name = "latin1_" + re.sub(r"\W", "", str(id(pg_pool)))
    pg_pool.cluster.admin(
        f"CREATE DATABASE {name} ENCODING 'SQL_ASCII' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'"
    )
    url = pg_pool.cluster.url(name)
    try:
        with pytest.raises(InvalidInput) as err:
            await Store(url).open()
        assert str(err.value) == (
            f"database {url} uses the SQL_ASCII encoding: briefbot needs a UTF8 database "
            "(CREATE DATABASE ... ENCODING 'UTF8' TEMPLATE template0)"
        )
    finally:
        pg_pool.cluster.drop_database(name)


async def test_postgres_store_from_before_the_search_migration_is_searchable_after_it(
    pg_pool: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store made with the `english` configuration moves its index over when upgraded."""
    from summaries import pgstore
    from summaries.store import MIGRATIONS

    url = pg_pool.fresh_url()
    monkeypatch.setattr(pgstore, "MIGRATIONS", MIGRATIONS[: pgstore.SEARCH_MIGRATION - 1])
    async with Newsroom(url) as room:
        await room.ingest_text(CAFE, source="cafe.txt")
    monkeypatch.setattr(pgstore, "MIGRATIONS", MIGRATIONS)
    async with Newsroom(url) as room:
        assert await room.store.schema_version() == len(MIGRATIONS)
        assert await _titles(room, "the cafe") == {CAFE_TITLE}
        await room.ingest_text(RESUME, source="resume.txt")
        assert await _titles(room, "résumé") == {RESUME_TITLE}


async def test_postgres_search_rows_follow_their_article_and_its_story(
    pg_url: str, samples: Any, sql: Any
) -> None:
    """`article_search` (filled by triggers) names each article's current story, which topic
    matching among a few stories relies on: after a story change too."""
    async with Newsroom(pg_url) as room:
        stored = [
            await room.ingest_text(text, source=f"{name}.txt")
            for name, text in (("a", samples.ridgeway), ("b", samples.orchard), ("c", COMET))
        ]
        moved, target = stored[0].article_id, stored[1].story_id
        import psycopg

        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("UPDATE articles SET story_id = %s WHERE id = %s", (target, moved))
        check = (
            "SELECT a.id FROM articles a LEFT JOIN article_search s ON s.id = a.id "
            "WHERE s.id IS NULL OR s.story_id IS DISTINCT FROM a.story_id "
            f"OR NOT s.search @@ ('''{pgsearch.STORY_MARK}' || a.story_id || '''')::tsquery "
            "OR (SELECT COUNT(*) FROM unnest(s.search) u "
            f"    WHERE u.lexeme LIKE '{pgsearch.STORY_MARK}%%') <> 1"
        )
        assert sql(pg_url, check) == []
        # the moved article is found among its new story's articles only
        window = Window(datetime(2000, 1, 1, tzinfo=UTC))  # every story's coverage
        assert await room.store.stories_matching("Kestrel spillway", 5, window=window) == [target]


async def test_a_common_word_is_ranked_among_its_newest_matches(
    room: Newsroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Search ranks the `MATCH_POOL` most recently stored matches (2,000) and topics the
    `TOPIC_POOL` latest (500); two here: an older article that matches better is left out
    once newer matches fill the pool."""
    from summaries import pgstore, store

    texts = [
        "Lighthouse Keeper Retires After Forty Years\n\nThe lighthouse keeper of Skarvik, the "
        "last in the region, retired on Friday after forty years of service at the lighthouse.",
        "Ferry Timetable Changes for the Winter\n\nThe island ferry will sail twice a day from "
        "November, passing the old lighthouse on each crossing, the operator said.",
        "Harbour Cafe Opens a Second Terrace\n\nThe harbour cafe opened a second terrace with a "
        "view of the lighthouse and the fishing boats, the owner said on Sunday.",
    ]
    stored = [await room.ingest_text(t, source=f"{i}.txt") for i, t in enumerate(texts)]
    keeper, ferry, cafe = (s.article_id for s in stored)
    assert [h.article.id for h in await room.search("lighthouse")] == [keeper, ferry, cafe]
    monkeypatch.setattr(store, "MATCH_POOL", 2)
    monkeypatch.setattr(pgstore, "MATCH_POOL", 2)
    assert {h.article.id for h in await room.search("lighthouse")} == {ferry, cafe}
    assert len(await room.stories(topic="lighthouse")) == 3  # the topic pool holds all three
    monkeypatch.setattr(store, "TOPIC_POOL", 2)
    monkeypatch.setattr(pgstore, "TOPIC_POOL", 2)
    topical = {s.title for s in await room.stories(topic="lighthouse")}
    assert "Lighthouse Keeper Retires After Forty Years" not in topical
    assert len(topical) == 2
