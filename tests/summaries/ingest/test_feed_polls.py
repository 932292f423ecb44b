"""Polling feeds whose linked pages fail: the entry's own text, the page fetched again, the
fuller page replacing it; ill-formed feeds flagged; per-feed counts; `explain`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from ingest_server import LocalServer

from summaries.config import CoreConfig
from summaries.feeds import poll_feed
from summaries.ingest.fetch import FetchPolicy
from summaries.models import FeedCounts
from summaries.newsroom import Newsroom

T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)

TEASER = (
    "The harbour board of Port Alder approved a second ferry berth on Tuesday, ending a review "
    "that lasted three years and drew objections from the fishing cooperative."
)
PAGE_PARAGRAPHS = [
    TEASER,
    "The berth will cost 40 million crowns and should open next spring, board chair Ines Varga "
    "told reporters on the quay after the vote.",
    "Fishermen said the works would disturb spawning grounds near the northern breakwater, and "
    "their cooperative asked for a survey before the piles are driven.",
]
PAGE = (
    "<!doctype html><html><head><title>Second Berth Approved</title></head><body><article>"
    "<h1>Second Berth Approved</h1>"
    + "".join(f"<p>{p}</p>" for p in PAGE_PARAGRAPHS)
    + "</article></body></html>"
)
SHORT = "Roadworks on the quay tonight."


def rss(base: str, *, broken: bool = False) -> str:
    items = (
        f"<item><title>Second Berth Approved</title><link>{base}/berth</link><guid>berth</guid>"
        f"<description>{TEASER}</description></item>"
        f"<item><title>Quay Roadworks</title><link>{base}/roadworks</link><guid>roadworks</guid>"
        f"<description>{SHORT}</description></item>"
    )
    tail = "<item <title>Cut off</titl>" if broken else ""
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Port Alder Post</title>'
        f"{items}{tail}</channel></rss>"
    )


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def room(db_path: Path | str, clock: Clock) -> AsyncIterator[Newsroom]:
    # on SQLite and on PostgreSQL (the `db_path` fixture of tests/summaries)
    config = CoreConfig(fetch=FetchPolicy(allow_private=True, timeout_s=5), feed_interval_s=600)
    async with Newsroom(db_path, config=config, clock=clock) as newsroom:
        yield newsroom


class Page:
    """/berth answers 503 until `up`, then the article page."""

    def __init__(self) -> None:
        self.up = False
        self.hits = 0

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        self.hits += 1
        if not self.up:
            return web.Response(status=503, text="busy")
        return web.Response(body=PAGE.encode(), content_type="text/html")


async def test_the_page_is_fetched_again_and_replaces_the_feed_text(
    room: Newsroom, server: LocalServer, clock: Clock
) -> None:
    page = Page()
    server.add("/berth", page)
    server.page("/roadworks", "gone", content_type="text/plain", status=404)
    feed_url = server.page("/feed.xml", rss(server.url("")), content_type="application/rss+xml")
    feed = await room.add_feed(feed_url, audience="channel:1")

    first = await poll_feed(room, feed.id)

    berth, roadworks = first.results
    assert (berth.status, berth.article_id) == ("stored", 1)
    assert berth.note == (
        f"the feed entry's own text: HTTP 503 Service Unavailable for {server.url('/berth')} "
        "(the page is fetched again on the next poll)"
    )
    assert roadworks.status == "rejected"
    assert roadworks.kind == "page unavailable"
    stored = await room.article(1)
    assert (stored.text, stored.from_feed, stored.page_retry) == (TEASER, True, True)

    page.up = True
    clock.now = T0 + timedelta(minutes=10)
    second = await poll_feed(room, feed.id)

    assert [(r.status, r.article_id) for r in second.results[:1]] == [("updated", 1)]
    upgraded = await room.article(1)
    assert upgraded.text.split("\n\n") == PAGE_PARAGRAPHS
    assert (upgraded.from_feed, upgraded.page_retry, upgraded.page_error) == (False, False, None)
    assert await room.store.article_count() == 1  # no duplicate article
    assert [s.text for s in await room.sentences(1)][-1] == (
        "Fishermen said the works would disturb spawning grounds near the northern breakwater, "
        "and their cooperative asked for a survey before the piles are driven."
    )
    hits = page.hits

    clock.now = T0 + timedelta(minutes=20)
    third = await poll_feed(room, feed.id)

    assert third.results[0].status == "duplicate"
    assert page.hits == hits  # a full page is never fetched again


async def test_a_lasting_page_failure_ends_the_retries(
    room: Newsroom, server: LocalServer, clock: Clock
) -> None:
    status = {"code": 503}

    async def berth(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status["code"], text="no")

    server.add("/berth", berth)
    feed_url = server.page("/feed.xml", rss(server.url("")), content_type="application/rss+xml")
    feed = await room.add_feed(feed_url, audience="channel:1")
    await poll_feed(room, feed.id)

    status["code"] = 410
    clock.now = T0 + timedelta(minutes=10)
    second = await poll_feed(room, feed.id)

    assert second.results[0].status == "duplicate"
    assert second.results[0].reason == (
        f"same URL as article 1 (its page failed again: HTTP 410 Gone for "
        f"{server.url('/berth')}; no more retries)"
    )
    article = await room.article(1)
    assert (article.text, article.page_retry) == (TEASER, False)


async def test_an_ill_formed_feed_is_flagged_and_counted(
    room: Newsroom, server: LocalServer
) -> None:
    server.add("/berth", Page())
    feed_url = server.page(
        "/feed.xml", rss(server.url(""), broken=True), content_type="application/rss+xml"
    )
    feed = await room.add_feed(feed_url, audience="channel:1")

    poll = await poll_feed(room, feed.id)

    assert poll.error is None
    assert poll.feed.warning is not None
    assert poll.feed.warning.startswith("not well-formed XML (")
    counts = (await room.feed_counts([poll.feed]))[feed.id]
    assert counts == FeedCounts(
        stored=1,
        duplicate=0,
        skipped=1,
        reasons=(("page unavailable", 1),),
        from_feed=1,
        retrying=1,
    )


async def test_explain_says_where_an_item_went(room: Newsroom, server: LocalServer) -> None:
    server.add("/berth", Page())
    server.page("/roadworks", "gone", content_type="text/plain", status=404)
    feed_url = server.page("/feed.xml", rss(server.url("")), content_type="application/rss+xml")
    await room.ingest([feed_url])
    await room.brief("channel:7")

    stored = await room.explain(server.url("/berth"))
    skipped = await room.explain(server.url("/roadworks"))
    unknown = await room.explain("https://nowhere.example/never")
    by_id = await room.explain("#1")

    assert stored.status == "stored" and stored.article is not None
    assert stored.article.id == 1 and stored.source == feed_url
    assert [(a, d) for a, d, _ in stored.deliveries] == [("channel:7", 1)]
    assert by_id.article is not None and by_id.article.id == 1
    assert skipped.status == "rejected" and skipped.article is None
    assert skipped.reason == (
        f"{feed_url} [roadworks]: HTTP 404 Not Found for {server.url('/roadworks')}; the "
        "entry's own text is too short to be an article (5 words; at least 20 needed)"
    )
    assert unknown.status == "unknown"


async def test_an_upgrade_keeps_what_a_briefing_showed(
    room: Newsroom, server: LocalServer, clock: Clock
) -> None:
    page = Page()
    server.add("/berth", page)
    feed_url = server.page("/feed.xml", rss(server.url("")), content_type="application/rss+xml")
    feed = await room.add_feed(feed_url, audience="channel:1")
    await poll_feed(room, feed.id)
    briefing = await room.brief("channel:1")
    shown = [c.sentence_id for s in briefing.stories for c in s.summary]
    assert shown  # the teaser's sentence was shown

    page.up = True
    clock.now = T0 + timedelta(minutes=10)
    await poll_feed(room, feed.id)

    sentences = await room.sentences(1)
    assert sentences[0].id == shown[0]  # the shown sentence kept its id in the fuller text
    assert sentences[0].text == TEASER
    assert len(sentences) == 3
    later = await room.whats_new("channel:1")
    new_texts = [c.text for s in later.stories for c in s.new]
    assert TEASER not in new_texts  # what was shown is not new again
