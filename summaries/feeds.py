"""Polling followed feeds: conditional GET, ingest of new entries, backoff on failure.

This is the scheduler-independent core of feed polling (the APScheduler adapter lives in
`bot.scheduler`; `briefbot feed poll ID` calls `poll_feed` directly).

* A poll sends the feed's stored ETag / Last-Modified; a 304 stores nothing and counts as a
  success.
* New entries go through the same path as `briefbot ingest <feed-url>`: `read_feed`, then
  `draft_from_entry` (or the linked page for teaser entries, falling back to the entry's own
  text when the page fails), then `Newsroom.store_drafts` with its URL / fingerprint /
  near-duplicate checks. Entries whose link is already stored are reported as duplicates
  without fetching or processing them again, except those stored from the entry's own text
  after a temporary page failure: their page is fetched again, and its fuller text replaces
  the entry's (same article, "updated"); a lasting failure ends the retries.
* An ill-formed feed is read as far as it goes and flagged (`Feed.warning`). What became of
  each entry is recorded for per-feed counts (`Newsroom.feed_counts`) and `briefbot explain`.
* A feed-level failure (refused address, HTTP error, timeout, not a feed) increments the failure
  count, records the error and backs off exponentially: after n consecutive failures the next
  poll is `interval * 2**n` later, capped at `feed_max_backoff_s` (never sooner than the
  interval). A success resets the count. Every next poll time gets up to `jitter_s` of random
  delay, so feeds added together do not hit their servers in lockstep.
* A feed failing for longer than `feed_flag_after_s` is flagged (`Newsroom.feed_is_broken`) and
  logged once when it crosses the line; it keeps being polled at the capped rate, never dropped.
* One broken entry is a rejected result, not a failed feed.
* Scheduled polls are claimed (`claim=True`): the poll moves the feed's next poll time forward
  with a compare-and-set before fetching, so two processes (or a late job and a resync) never
  poll the same due feed twice; a poller that dies leaves the feed due again after
  `POLL_CLAIM_S` at most.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from summaries.errors import BriefbotError, FetchError, IngestError
from summaries.ingest.feeds import FeedEntry, looks_like_feed, read_feed
from summaries.ingest.fetch import fetch
from summaries.ingest.language import warm_up
from summaries.ingest.sources import (
    TEASER_FETCH_CONCURRENCY,
    draft_from_linked_page,
    draft_of_entry,
    served_type,
)
from summaries.models import ArticleDraft, Feed, IngestResult
from summaries.newsroom import FeedPoll, Newsroom, rejected_result

log = logging.getLogger(__name__)

MAX_CONCURRENT_POLLS = 4
"""Feeds polled at the same time by `poll_due_feeds`."""

_MAX_EXPONENT = 20

POLL_CLAIM_S = 300
"""How long a claimed poll keeps the feed from being polled by anyone else (at least)."""


def feed_interval(feed: Feed, default_s: int) -> int:
    """The feed's own polling interval, else the configured default (seconds)."""
    return feed.interval_s if feed.interval_s else default_s


def backoff_delay(failures: int, *, interval_s: float, max_backoff_s: float) -> float:
    """Seconds until the next poll after `failures` consecutive failures (0: a success).

    Args:
        failures: Consecutive failures including the poll just made (0 after a success).
        interval_s: The feed's normal interval.
        max_backoff_s: Cap of the backoff.

    Returns:
        `interval_s` after a success; `interval_s * 2**failures` after failures, capped at
        `max(max_backoff_s, interval_s)`.
    """
    if failures <= 0:
        return float(interval_s)
    grown = float(interval_s) * 2 ** min(failures, _MAX_EXPONENT)
    return min(grown, max(float(max_backoff_s), float(interval_s)))


def next_poll_time(
    now: datetime,
    failures: int,
    *,
    interval_s: float,
    max_backoff_s: float,
    jitter_s: float,
    rng: random.Random | None = None,
) -> datetime:
    """When to poll next: the backoff delay plus a random jitter in `[0, jitter_s]`.

    Args:
        now: The poll's time.
        failures: Consecutive failures including this poll (0 after a success).
        interval_s: The feed's normal interval.
        max_backoff_s: Cap of the backoff (before jitter).
        jitter_s: Largest random extra delay.
        rng: Source of randomness (tests pass a seeded one).

    Returns:
        An aware datetime, at least `interval_s` after `now`.
    """
    delay = backoff_delay(failures, interval_s=interval_s, max_backoff_s=max_backoff_s)
    if jitter_s > 0:
        delay += (rng or random).uniform(0, jitter_s)
    return now + timedelta(seconds=delay)


def due_feeds(feeds: Sequence[Feed], now: datetime) -> list[Feed]:
    """Feeds whose next poll is due: never-scheduled ones first, then the most overdue."""
    found = [f for f in feeds if f.next_poll_at is None or f.next_poll_at <= now]
    return sorted(found, key=lambda f: (f.next_poll_at is not None, f.next_poll_at or now, f.id))


async def poll_feed(
    room: Newsroom,
    feed_id: int,
    *,
    jitter_s: float = 0,
    rng: random.Random | None = None,
    claim: bool = False,
) -> FeedPoll:
    """Poll one feed now: conditional GET, store new entries, update its state and next poll.

    Args:
        room: The open newsroom (its clock, fetch policy and feed settings are used).
        feed_id: The feed to poll.
        jitter_s: Largest random extra delay added to the next poll time.
        rng: Source of randomness for the jitter.
        claim: Poll only if the feed is due and this call wins the claim on it (scheduled
            polls); otherwise return at once with `skipped`.

    Returns:
        The outcome, with the feed's updated state. Failures are reported in `error` (and stored),
        never raised.

    Raises:
        NotFound: When no feed has this id.
    """
    feed = await room.store.feed(feed_id)
    config = room.config
    if claim:
        now = room.clock()
        hold = timedelta(seconds=max(POLL_CLAIM_S, 4 * config.fetch.timeout_s))
        due = feed.next_poll_at is None or feed.next_poll_at <= now
        if not due or not await room.store.claim_feed_poll(feed.id, feed.next_poll_at, now + hold):
            log.debug("feed %s not polled: not due or claimed elsewhere", feed.id)
            current = await room.store.feed(feed.id)
            return FeedPoll(feed=current, results=(), not_modified=False, error=None, skipped=True)
    interval = feed_interval(feed, config.feed_interval_s)
    was_flagged = _broken_at(feed, feed.last_polled_at, config.feed_flag_after_s)
    started = room.clock()
    results: list[IngestResult] = []
    not_modified = False
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    warning: str | None = None
    try:
        fetched = await fetch(
            feed.url, config.fetch, etag=feed.etag, last_modified=feed.last_modified
        )
        etag, last_modified = fetched.etag, fetched.last_modified
        if fetched.not_modified:
            not_modified = True
        else:
            if not looks_like_feed(fetched.body, fetched.content_type):
                shown = fetched.content_type or "unknown type"
                raise IngestError(f"{feed.url} is not an RSS/Atom feed (it sent {shown})")
            results, warning = await _ingest_entries(
                room, fetched.body, feed.url, started, served_type(fetched)
            )
    except BriefbotError as err:
        error = str(err)
    except Exception as err:  # a bug or an unexpected library error must not stop polling
        log.exception("unexpected error polling feed %s (%s)", feed.id, feed.url)
        error = f"unexpected error polling {feed.url}: {' '.join(str(err).split()) or type(err).__name__}"
    polled_at = room.clock()
    failures = 0 if error is None else feed.failures + 1
    next_at = next_poll_time(
        polled_at,
        failures,
        interval_s=interval,
        max_backoff_s=config.feed_max_backoff_s,
        jitter_s=jitter_s,
        rng=rng,
    )
    await room.store.update_feed_poll(
        feed.id,
        polled_at=polled_at,
        next_poll_at=next_at,
        ok=error is None,
        error=error,
        etag=etag,
        last_modified=last_modified,
        warning=warning,
        not_modified=not_modified,
    )
    updated = await room.store.feed(feed.id)
    if error is None:
        stored = sum(r.status == "stored" for r in results)
        log.info(
            "polled feed %s (%s): %s, %s new, next poll %s",
            feed.id,
            feed.url,
            "not modified" if not_modified else f"{len(results)} entries",
            stored,
            next_at.isoformat(timespec="seconds"),
        )
        if feed.failures:
            log.info("feed %s (%s) recovered after %s failures", feed.id, feed.url, feed.failures)
    else:
        log.warning(
            "feed %s (%s) failed (%s in a row): %s; next poll %s",
            feed.id,
            feed.url,
            updated.failures,
            error,
            next_at.isoformat(timespec="seconds"),
        )
        if _broken_at(updated, polled_at, config.feed_flag_after_s) and not was_flagged:
            log.error(
                "feed %s (%s) has been failing since %s: flagged as broken (still polled)",
                feed.id,
                feed.url,
                updated.failing_since,
            )
    return FeedPoll(feed=updated, results=tuple(results), not_modified=not_modified, error=error)


async def poll_due_feeds(
    room: Newsroom,
    *,
    now: datetime | None = None,
    jitter_s: float = 0,
    rng: random.Random | None = None,
    concurrency: int = MAX_CONCURRENT_POLLS,
) -> list[FeedPoll]:
    """Poll every feed that is due, a few at a time; a slow or broken feed never blocks the rest.

    Args:
        room: The open newsroom.
        now: The moment deciding what is due (default: the room's clock).
        jitter_s: Largest random extra delay of each next poll.
        rng: Source of randomness for the jitter.
        concurrency: Feeds fetched at the same time.

    Returns:
        One outcome per polled feed, in the order they were due.
    """
    moment = now or room.clock()
    feeds = due_feeds(await room.feeds(), moment)
    semaphore = asyncio.Semaphore(max(1, concurrency))

    async def one(feed: Feed) -> FeedPoll | None:
        async with semaphore:
            try:
                return await poll_feed(room, feed.id, jitter_s=jitter_s, rng=rng, claim=True)
            except BriefbotError as err:  # removed meanwhile
                log.info("feed %s not polled: %s", feed.id, err)
                return None

    polls = await asyncio.gather(*(one(f) for f in feeds))
    return [p for p in polls if p is not None and not p.skipped]


def _broken_at(feed: Feed, when: datetime | None, flag_after_s: int) -> bool:
    """Whether the feed counted as broken at `when` (its last poll): flagged once per streak."""
    if feed.failing_since is None or when is None:
        return False
    return (when - feed.failing_since).total_seconds() >= flag_after_s


async def _ingest_entries(
    room: Newsroom, body: bytes, source: str, fetched_at: datetime, content_type: str | None
) -> tuple[list[IngestResult], str | None]:
    """Store a feed's new entries; (one result per entry, why the feed is ill-formed or None)."""
    await asyncio.to_thread(warm_up)  # the language model loads off the event loop
    parsed = read_feed(body, source=source, content_type=content_type)
    semaphore = asyncio.Semaphore(TEASER_FETCH_CONCURRENCY)

    async def draft_of(entry: FeedEntry) -> ArticleDraft | IngestResult:
        known = IngestResult(
            input=entry.link or source,
            status="duplicate",
            title=entry.title or None,
            feed=source,
            entry=entry.id,
            url=entry.link,
            feed_problem=parsed.problem,
        )
        if entry.link:
            existing = await room.store.article_by_url(entry.link)
            if existing is not None:
                if entry.is_teaser and await room.store.page_retry(existing):
                    return await _retry_page(room, entry, existing, parsed.title, source, known)
                return replace(
                    known,
                    article_id=existing,
                    reason=f"same URL as article {existing}",
                    kind="same URL",
                )
        try:
            return await draft_of_entry(
                entry,
                feed_title=parsed.title,
                source=source,
                policy=room.config.fetch,
                fetched_at=fetched_at,
                semaphore=semaphore,
            )
        except IngestError as err:
            err.feed, err.entry = source, entry.id
            err.url, err.title = err.url or entry.link, err.title or entry.title or None
            return replace(rejected_result(entry.link or source, err), feed_problem=parsed.problem)
        except BriefbotError as err:
            return replace(known, status="rejected", reason=str(err))

    async def _retry_page(
        room: Newsroom,
        entry: FeedEntry,
        existing: int,
        feed_title: str | None,
        source: str,
        known: IngestResult,
    ) -> ArticleDraft | IngestResult:
        async with semaphore:
            try:
                draft = await draft_from_linked_page(
                    entry,
                    feed_title=feed_title,
                    source=source,
                    policy=room.config.fetch,
                    fetched_at=fetched_at,
                )
                return replace(draft, feed_problem=parsed.problem)
            except IngestError as err:
                reason = str(err).removeprefix(f"{source} [{entry.id}]: ")
                temporary = isinstance(err, FetchError) and err.temporary
                if not temporary:
                    await room.store.stop_page_retry(existing, reason)
                again = "fetched again next poll" if temporary else "no more retries"
                return replace(
                    known,
                    article_id=existing,
                    reason=f"same URL as article {existing} (its page failed again: {reason}; "
                    f"{again})",
                    kind="same URL",
                )

    drafts = await asyncio.gather(*(draft_of(e) for e in parsed.entries))
    results: list[IngestResult] = []
    # Stored in feed order, in one transaction (a savepoint per article): story assignment
    # depends on what came before.
    batch = [(d, d.url or d.source) for d in drafts if isinstance(d, ArticleDraft)]
    try:
        stored = iter(await room.store_drafts(batch) if batch else [])
    except Exception as err:
        log.exception("could not store the entries of %s", source)
        stored = iter(
            IngestResult(input=label, status="rejected", reason=f"could not store: {err}")
            for _, label in batch
        )
    for item in drafts:
        results.append(item if isinstance(item, IngestResult) else next(stored))
    await room.record_outcomes(results)
    return results, parsed.problem
