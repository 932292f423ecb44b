"""Feed polling against a real HTTP server on 127.0.0.1: conditional GET, ingest, backoff."""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from summaries.config import CoreConfig
from summaries.feeds import backoff_delay, due_feeds, next_poll_time, poll_due_feeds, poll_feed
from summaries.ingest.fetch import FetchPolicy
from summaries.models import Feed
from summaries.newsroom import Newsroom

T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)

# Invented articles (no real outlet's text): long enough to be full-text entries, not teasers.
ENTRIES = (
    (
        "https://news.example/ferry-1",
        "Ferry service to Gull Island resumes after storm repairs",
        "The ferry between Port Wren and Gull Island resumed sailing on Monday after three weeks "
        "of repairs to the landing stage damaged in the April storm. The island council said the "
        "first crossing left at seven in the morning with forty passengers and two delivery vans. "
        "Harbour master Ilse Varga said the new landing stage was built to withstand waves twice "
        "as high as the storm produced. Shops on the island had run low on fresh food during the "
        "closure, and a helicopter had carried medicine twice a week. The council will review the "
        "emergency supply plan at its next meeting in June.",
    ),
    (
        "https://news.example/orchard-2",
        "Cold snap threatens apple blossom in the Tarn valley",
        "Orchard growers in the Tarn valley lit small heaters among their trees overnight as "
        "temperatures fell to two degrees below freezing, threatening this year's apple blossom. "
        "Grower Tomas Brede said about a third of the blossom on his lower slopes had browned by "
        "dawn. The regional farmers' union asked the agriculture office to survey the damage "
        "before the end of the week. Forecasters expect milder nights from Thursday, when a warm "
        "front is due to reach the valley from the south-west.",
    ),
)


def rss(entries: tuple[tuple[str, str, str], ...]) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>Mon, 06 May 2024 08:00:00 GMT</pubDate><description>{body}</description></item>"
        for link, title, body in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Example Coast Courier</title><link>https://news.example/</link>{items}"
        "</channel></rss>"
    ).encode()


@dataclass
class FeedServer:
    """A tiny feed server: /feed.xml (ETag "v1"), /flaky.xml (503 while `flaky_down`),
    /slow.xml (waits for `release_slow`), /page.html; anything else is 503."""

    base: str = ""
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    release_slow: threading.Event = field(default_factory=threading.Event)
    body: bytes = rss(ENTRIES)
    flaky_down: bool = True


@pytest.fixture
def server() -> Iterator[FeedServer]:
    state = FeedServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append((self.path, self.headers.get("If-None-Match")))
            if self.path == "/feed.xml":
                if self.headers.get("If-None-Match") == '"v1"':
                    self.send_response(304)
                    self.send_header("ETag", '"v1"')
                    self.end_headers()
                    return
                self._send(200, state.body, "application/rss+xml", etag='"v1"')
            elif self.path == "/flaky.xml" and not state.flaky_down:
                self._send(200, state.body, "application/rss+xml")
            elif self.path == "/slow.xml":
                state.release_slow.wait(10)
                self._send(200, rss(()), "application/rss+xml")
            elif self.path == "/page.html":
                self._send(
                    200, b"<!doctype html><html><body><p>hello</p></body></html>", "text/html"
                )
            else:
                self._send(503, b"down for maintenance", "text/plain")

        def _send(self, status: int, body: bytes, ctype: str, etag: str | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            if etag:
                self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        state.release_slow.set()
        httpd.shutdown()
        httpd.server_close()


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
async def room(db_path: Path, clock: Clock) -> AsyncIterator[Newsroom]:
    config = CoreConfig(
        fetch=FetchPolicy(allow_private=True, timeout_s=5),
        feed_interval_s=600,
        feed_max_backoff_s=3600,
        feed_flag_after_s=7200,
    )
    async with Newsroom(db_path, config=config, clock=clock) as newsroom:
        yield newsroom


async def test_new_entries_are_stored_and_an_unchanged_feed_gets_a_304(
    room: Newsroom, server: FeedServer, clock: Clock
) -> None:
    feed = await room.add_feed(f"{server.base}/feed.xml", audience="channel:1")

    first = await poll_feed(room, feed.id)
    assert first.error is None and not first.not_modified
    assert [(r.status, r.title) for r in first.results] == [
        ("stored", "Ferry service to Gull Island resumes after storm repairs"),
        ("stored", "Cold snap threatens apple blossom in the Tarn valley"),
    ]
    stored = await room.articles()
    assert [a.outlet for a in stored] == ["Example Coast Courier", "Example Coast Courier"]
    assert first.feed.etag == '"v1"'
    assert first.feed.last_polled_at == T0
    assert first.feed.next_poll_at == T0 + timedelta(seconds=600)

    clock.now = T0 + timedelta(seconds=600)
    second = await poll_feed(room, feed.id)
    assert second.not_modified and second.error is None and second.results == ()
    assert server.requests[-1] == ("/feed.xml", '"v1"')  # conditional GET sent the ETag
    assert len(await room.articles()) == 2  # nothing new stored
    assert second.feed.last_ok_at == clock.now
    assert second.feed.next_poll_at == clock.now + timedelta(seconds=600)


async def test_entries_already_stored_are_duplicates_without_reprocessing(
    room: Newsroom, server: FeedServer
) -> None:
    feed = await room.add_feed(f"{server.base}/feed.xml", audience="channel:1")
    await poll_feed(room, feed.id)
    # forget the ETag, so the server sends the full feed again
    await room.store.write(
        lambda w: w.execute("UPDATE feeds SET etag = NULL WHERE id = ?", (feed.id,))
    )
    again = await poll_feed(room, feed.id)
    assert [r.status for r in again.results] == ["duplicate", "duplicate"]
    assert [r.reason for r in again.results] == ["same URL as article 1", "same URL as article 2"]
    assert len(await room.articles()) == 2


async def test_a_failing_feed_backs_off_and_is_flagged_after_a_while(
    room: Newsroom, server: FeedServer, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    feed = await room.add_feed(f"{server.base}/broken.xml", audience="channel:1")
    delays, polled = [], []
    for _ in range(4):
        polled.append(clock.now)
        poll = await poll_feed(room, feed.id)
        assert poll.feed.next_poll_at is not None
        delays.append((poll.feed.next_poll_at - clock.now).total_seconds())
        clock.now = poll.feed.next_poll_at
    assert delays == [1200, 2400, 3600, 3600]  # 600 * 2**n, capped at 3600
    failed = await room.store.feed(feed.id)
    assert failed.failures == 4
    assert failed.last_error == f"HTTP 503 Service Unavailable for {server.base}/broken.xml"
    assert failed.failing_since == T0
    assert failed.last_ok_at is None
    # the 4th poll, at T0 + 2 h = feed_flag_after_s, flagged it, and said so once in the log
    assert polled[-1] == T0 + timedelta(hours=2)
    assert room.feed_is_broken(failed)
    flagged = [r for r in caplog.records if "flagged as broken" in r.getMessage()]
    assert len(flagged) == 1 and flagged[0].levelno == logging.ERROR


async def test_a_recovered_feed_resets_its_failures(room: Newsroom, server: FeedServer) -> None:
    feed = await room.add_feed(f"{server.base}/flaky.xml", audience="channel:1")
    assert (await poll_feed(room, feed.id)).feed.failures == 1
    server.flaky_down = False
    poll = await poll_feed(room, feed.id)
    assert poll.error is None
    assert (poll.feed.failures, poll.feed.last_error, poll.feed.failing_since) == (0, None, None)


async def test_a_web_page_is_not_a_feed(room: Newsroom, server: FeedServer) -> None:
    feed = await room.add_feed(f"{server.base}/page.html", audience="channel:1")
    poll = await poll_feed(room, feed.id)
    assert poll.error == f"{server.base}/page.html is not an RSS/Atom feed (it sent text/html)"
    assert poll.feed.failures == 1
    assert await room.articles() == []


async def test_one_slow_feed_does_not_delay_the_others(room: Newsroom, server: FeedServer) -> None:
    slow = await room.add_feed(f"{server.base}/slow.xml", audience="channel:1")
    good = await room.add_feed(f"{server.base}/feed.xml", audience="channel:2")
    task = asyncio.create_task(poll_due_feeds(room))
    for _ in range(500):  # the good feed's articles arrive while the slow one still hangs
        if len(await room.articles()) == 2:
            break
        await asyncio.sleep(0.01)
    assert len(await room.articles()) == 2
    assert not task.done()
    server.release_slow.set()
    polls = await task
    assert sorted(p.feed.id for p in polls) == [slow.id, good.id]
    assert all(p.error is None for p in polls)


def test_backoff_grows_exponentially_up_to_the_cap() -> None:
    delays = [backoff_delay(n, interval_s=900, max_backoff_s=6 * 3600) for n in range(8)]
    assert delays == [900, 1800, 3600, 7200, 14400, 21600, 21600, 21600]
    # an interval longer than the cap is never shortened by a failure
    assert backoff_delay(3, interval_s=86400, max_backoff_s=3600) == 86400


def test_jitter_stays_within_its_bound() -> None:
    rng = random.Random(7)
    times = [
        next_poll_time(T0, 0, interval_s=600, max_backoff_s=3600, jitter_s=30, rng=rng)
        for _ in range(200)
    ]
    offsets = [(t - T0).total_seconds() for t in times]
    assert min(offsets) >= 600 and max(offsets) <= 630
    assert len(set(offsets)) > 100  # actually spread out


def test_due_feeds_are_never_polled_or_overdue_ones() -> None:
    def feed(i: int, at: datetime | None) -> Feed:
        return Feed(
            id=i,
            url=f"https://f{i}.example/rss",
            audience="channel:1",
            interval_s=None,
            next_poll_at=at,
        )

    feeds = [
        feed(1, T0 + timedelta(minutes=1)),
        feed(2, None),
        feed(3, T0 - timedelta(hours=1)),
        feed(4, T0),
    ]
    assert [f.id for f in due_feeds(feeds, T0)] == [2, 3, 4]
