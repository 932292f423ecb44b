"""The facade every frontend calls: ingest, stories, briefings, what is new, feeds, digests.

No frontend touches SQL or sumy; CPU-heavy work (sentence splitting, summaries, discrepancies)
runs in worker threads so an event loop serving Discord is never blocked.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import numpy as np

from summaries import stories as _stories
from summaries.config import CoreConfig
from summaries.digests import parse_hhmm
from summaries.discrepancies import SourceText, discrepancies
from summaries.errors import BriefbotError, IngestError, InvalidInput, NotFound
from summaries.ingest.fetch import check_url
from summaries.ingest.language import warm_up
from summaries.ingest.sources import draft_from_bytes, draft_from_text, expand_inputs, read_input
from summaries.models import (
    Article,
    ArticleDraft,
    Briefing,
    Citation,
    CitedSentence,
    Discrepancy,
    Explanation,
    Feed,
    FeedCounts,
    IngestResult,
    SearchHit,
    Sentence,
    Story,
    StoryBrief,
    Subscription,
)
from summaries.novelty import select_update
from summaries.store import NewArticle, Store, Window, Writer
from summaries.summarize import Candidate, ConceptIndex, concept_index, summarize_candidates
from summaries.text import (
    content_stems,
    is_heading_like,
    points_back,
    split_sentences,
    starts_with_pronoun,
)

log = logging.getLogger(__name__)

NEAR_DUPLICATE_BITS = 3
# A syndicated copy keeps most sentences of its original word for word: this share of the
# shorter article's sentences (and at least this many) must be shared.
COPY_SHARE = 0.6
COPY_MIN_SENTENCES = 3
# Disagreements are looked for among a story's most recent original articles (a few rounds
# of coverage from every outlet): reading each of their sentences for figures, dates and names
# is most of a cold story's cost, and 40 kept topic briefings above 300 ms at 100k articles.
DISCREPANCY_ARTICLES = 20
UPDATE_CACHE = 64  # what-is-new answers kept per story version (one per distinct baseline)
# Articles written per transaction by `ingest`.
WRITE_BATCH = 32


def audience_for_channel(channel_id: int) -> str:
    """Audience name of a Discord channel."""
    return f"channel:{channel_id}"


def audience_for_user(user_id: int) -> str:
    """Audience name of a Discord user (direct messages)."""
    return f"user:{user_id}"


def audience_for_cli(name: str) -> str:
    """Audience name used by the command line and the local shell."""
    return f"cli:{name}"


def utc_now() -> datetime:
    """The real clock (UTC)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class FeedPoll:
    """Outcome of polling one feed."""

    feed: Feed
    results: tuple[IngestResult, ...]
    not_modified: bool
    error: str | None
    skipped: bool = False  # not due any more: another process (or run) claimed this poll


@dataclass(frozen=True)
class _Prepared:
    new: NewArticle
    terms: dict[str, float]


class Newsroom:
    """briefbot's use cases over one store.

    Use as `async with Newsroom(target) as room:` (a SQLite path or a PostgreSQL URL); `clock` returns aware UTC datetimes (tests pass
    a fixed clock).
    """

    def __init__(
        self,
        db_path: str | Path,
        *,
        config: CoreConfig | None = None,
        clock: Callable[[], datetime] | None = None,
        rules: _stories.StoryRules | None = None,
    ) -> None:
        self.config = config or CoreConfig()
        self.clock = clock or utc_now
        self.rules = rules or _stories.StoryRules()
        self.store = Store(db_path)
        self._shared = _LRU(256)

    async def open(self) -> Newsroom:
        """Open the store (applying migrations)."""
        await self.store.open()
        return self

    async def close(self) -> None:
        """Close the store."""
        await self.store.close()

    async def __aenter__(self) -> Newsroom:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ================================================================== ingest

    async def ingest(
        self,
        inputs: Sequence[str],
        *,
        progress: Callable[[IngestResult], None] | None = None,
        stdin: BinaryIO | None = None,
    ) -> list[IngestResult]:
        """Ingest files, directories, URLs (pages or feeds) and "-" (stdin).

        Every input is handled on its own: a bad one is reported as rejected with its reason
        and the batch goes on; what was stored before stays stored.

        Returns:
            One result per article found (a feed yields one per entry) or per rejected input.
        """
        await asyncio.to_thread(warm_up)  # the language model loads off the event loop
        results: list[IngestResult] = []
        # Drafts are written in batches, one transaction each: committing every article on
        # its own rewrote the same index pages hundreds of times. A batch is small enough that
        # a crash loses at most a few seconds of work, and every result is reported in order.
        pending: list[IngestResult | tuple[ArticleDraft, str]] = []

        async def flush() -> None:
            drafts = [p for p in pending if isinstance(p, tuple)]
            stored = iter(await self.store_drafts(drafts) if drafts else [])
            done: list[IngestResult] = []
            for entry in pending:
                result = entry if isinstance(entry, IngestResult) else next(stored)
                done.append(result)
                if progress is not None:
                    progress(result)
            pending.clear()
            await self.record_outcomes(done)
            results.extend(done)

        for item in expand_inputs(list(inputs)):
            try:
                outputs = await read_input(
                    item, self.config.fetch, fetched_at=self.clock(), stdin=stdin
                )
            except BriefbotError as err:
                outputs = [IngestError(str(err))]
            except Exception as err:  # one bad item never ends the batch
                log.exception("unexpected error reading %s", item)
                outputs = [IngestError(f"{item}: unexpected error: {err}")]
            for out in outputs:
                if isinstance(out, ArticleDraft):
                    pending.append((out, out.url or item))
                else:
                    pending.append(rejected_result(item, out))
            if sum(isinstance(p, tuple) for p in pending) >= WRITE_BATCH:
                await flush()
        await flush()
        return results

    async def ingest_text(
        self,
        text: str,
        *,
        title: str | None = None,
        url: str | None = None,
        outlet: str | None = None,
        source: str = "pasted",
    ) -> IngestResult:
        """Ingest pasted text (Discord `/ingest text:`, the Python API)."""
        await asyncio.to_thread(warm_up)
        try:
            draft = draft_from_text(
                text, source=source, fetched_at=self.clock(), title=title, url=url, outlet=outlet
            )
        except BriefbotError as err:
            return IngestResult(input=source, status="rejected", reason=str(err))
        return await self._store_safely(draft, source)

    async def ingest_bytes(
        self, data: bytes, *, filename: str, content_type: str | None = None
    ) -> IngestResult:
        """Ingest an uploaded file's bytes (text or HTML)."""
        await asyncio.to_thread(warm_up)
        try:
            draft = draft_from_bytes(
                data, source=filename, fetched_at=self.clock(), content_type=content_type
            )
        except BriefbotError as err:
            return IngestResult(input=filename, status="rejected", reason=str(err))
        return await self._store_safely(draft, filename)

    async def ingest_url(self, url: str) -> list[IngestResult]:
        """Ingest one web page or every entry of a feed."""
        try:
            check_url(url)
        except BriefbotError as err:
            return [IngestResult(input=url, status="rejected", reason=str(err))]
        return await self.ingest([url])

    async def _store_safely(self, draft: ArticleDraft, item: str) -> IngestResult:
        return (await self.store_drafts([(draft, draft.url or item)]))[0]

    async def store_draft(self, draft: ArticleDraft, label: str | None = None) -> IngestResult:
        """Store one cleaned article: duplicate check, sentences, full text, story assignment.

        Everything is written in one transaction: a crash leaves the article fully stored or
        not at all.
        """
        return (await self.store_drafts([(draft, label or draft.url or draft.source)]))[0]

    async def store_drafts(self, items: Sequence[tuple[ArticleDraft, str]]) -> list[IngestResult]:
        """Store cleaned articles, in order, in one transaction; (draft, label) each.

        Each article is written inside its own savepoint: one that fails is rolled back alone
        and reported as rejected, the others are stored.
        """
        prepared = await asyncio.to_thread(lambda: [_try_prepare(d) for d, _ in items])
        now = self.clock()
        rules = self.rules

        def write(w: Writer) -> list[IngestResult]:
            out: list[IngestResult] = []
            for (draft, label), prep in zip(items, prepared, strict=True):
                if isinstance(prep, BriefbotError):
                    out.append(IngestResult(input=label, status="rejected", reason=str(prep)))
                    continue
                w.execute("SAVEPOINT article")
                try:
                    out.append(_write_article(w, draft, label, prep, now=now, rules=rules))
                except Exception as err:
                    w.execute("ROLLBACK TO article")
                    w.forget_counts()
                    log.exception("could not store %s", label)
                    reason = (
                        str(err) if isinstance(err, BriefbotError) else f"could not store: {err}"
                    )
                    out.append(IngestResult(input=label, status="rejected", reason=reason))
                w.execute("RELEASE article")
            return out

        return await self.store.write(write)

    async def record_outcomes(self, results: Sequence[IngestResult]) -> None:
        """Remember what became of feed entries and URLs, for counts and `explain`."""
        rows = []
        for r in results:
            if r.feed is not None:
                source, entry = r.feed, r.entry or r.url or r.input
            elif _URL_INPUT.match(r.input):
                source, entry = r.input, ""
            else:
                continue
            rows.append(
                (source, entry, r.url or (r.input if not entry else None), r.title, r.status,
                 r.article_id, r.reason, r.kind)
            )  # fmt: skip
        await self.store.record_outcomes(rows, self.clock())

    # ================================================================== reading

    async def articles(self, *, limit: int = 50, offset: int = 0) -> list[Article]:
        """Stored articles in id order."""
        return await self.store.articles(limit=limit, offset=offset)

    async def article(self, article_id: int) -> Article:
        """One stored article; NotFound when the id is unknown."""
        return await self.store.article(article_id)

    async def sentences(self, article_id: int) -> list[Sentence]:
        """The stored sentences of an article."""
        await self.store.article(article_id)
        return await self.store.sentences(article_id)

    async def search(self, query: str, *, limit: int = 10) -> list[SearchHit]:
        """Full-text search over titles and texts, best first, with highlighted snippets."""
        return await self.store.search(query, limit)

    async def stories(self, *, topic: str | None = None, limit: int = 20) -> list[Story]:
        """Live stories (most recent first), or those matching a topic (best match first)."""
        if topic:
            ids = await self.store.stories_matching(topic, limit)
            found = {s.id: s for s in await self.store.stories(story_ids=ids, limit=limit)}
            return [found[i] for i in ids if i in found]
        return await self.store.stories(limit=limit)

    async def story_titles(self, prefix: str, *, limit: int = 25) -> list[Story]:
        """Stories whose title contains `prefix` (or whose id is it), for autocomplete."""
        return await self.store.story_titles(prefix, min(limit, 25))

    async def story(self, story_id: int, *, audience: str | None = None) -> StoryBrief:
        """One story in full: summary, what is new for `audience`, discrepancies, sources."""
        loaded = await self._load([story_id], audience)
        return await self._story_brief(
            loaded[story_id], audience, since=None, summary=True, words=self.config.story_words
        )

    # ================================================================== briefings

    async def brief(
        self,
        audience: str,
        *,
        topic: str | None = None,
        since: datetime | None = None,
        max_stories: int | None = None,
        record: bool = True,
    ) -> Briefing:
        """The current briefing for an audience: top stories with cited summaries and what is new.

        Args:
            audience: Who is briefed ("channel:…", "user:…", "cli:…").
            topic: Only stories matching these words.
            since: Only stories with coverage after this time; with no earlier briefing, what is
                new is measured against coverage older than this.
            max_stories: Stories in the briefing (default from config).
            record: Record the delivery so the next "what is new" starts from it.
        """
        limit = max_stories or self.config.max_stories
        ids = await self._ranked_for_brief(audience, topic=topic, since=since, limit=limit)
        loaded = await self._load(ids, audience)
        briefs = [
            await self._story_brief(loaded[i], audience, since=since, summary=True, words=None)
            for i in ids
        ]
        return await self._finish(audience, briefs, topic=topic, since=since, record=record)

    async def _window(self, audience: str, since: datetime | None) -> Window:
        """The articles that count as recent for `audience`: dated after `since` when given,
        else arrived since its last briefing, else arrived in the last `default_since_hours`."""
        if since is not None:
            return Window(since, arrived=False)
        last = await self.store.last_delivery(audience)
        if last is not None:
            return Window(last[1])
        return Window(self.clock() - timedelta(hours=self.config.default_since_hours))

    async def _ranked_for_brief(
        self, audience: str, *, topic: str | None, since: datetime | None, limit: int
    ) -> list[int]:
        """The stories of a briefing, most significant first (see `Store.story_activity`).

        A topic picks the stories (the best full-text matches), significance orders them.
        Stories with coverage in the audience's window come first, by outlets, articles and
        growth in the window; with no `since`, the rest of the briefing is filled with quiet
        stories (the most recently updated ones, or the other matches of the topic), ranked
        the same way over all their coverage.
        """
        pool = await self.store.stories_matching(topic, limit) if topic else None
        window = await self._window(audience, since)
        active = await self.store.story_activity(audience, window, limit=limit, among=pool)
        ids = [a.story_id for a in active]
        if since is not None or len(ids) >= limit:
            return ids
        if pool is None:
            pool = [s.id for s in await self.store.stories(limit=limit * 4)]
        quiet = [i for i in pool if i not in ids]
        rest = await self.store.story_activity(audience, None, limit=len(quiet), among=quiet)
        return ids + [a.story_id for a in rest][: limit - len(ids)]

    async def whats_new(
        self,
        audience: str,
        *,
        topic: str | None = None,
        topics: Sequence[str] = (),
        story_id: int | None = None,
        since: datetime | None = None,
        record: bool = False,
    ) -> Briefing:
        """Only story content this audience has not been shown.

        Content counts as shown when the audience was briefed on the article it comes from; a
        later article that only restates known facts adds nothing. For a story the audience
        was never briefed on, coverage older than `since` (default: `default_since_hours` ago)
        is the baseline.

        Stories come most significant first (`Store.story_activity`): those the audience was
        briefed on before and that moved, then by distinct outlets, articles and growth in the
        window (since its last briefing; for an audience never briefed, dated after `since`).

        The answer is about as long as one story in full (`story_words`), shared among the
        stories with news, and each story gets at least `new_words`: when one story moved, its
        update is not cut to a briefing's length.

        Args:
            audience: Who asks ("channel:…", "user:…", "cli:…").
            topic: Only stories matching these words.
            topics: Only stories matching any of these (a digest's topics).
            story_id: Only this story.
            since: Baseline for stories the audience was never briefed on.
            record: Record the delivery.
        """
        effective_since = since or self.clock() - timedelta(hours=self.config.default_since_hours)
        limit = self.config.max_stories
        wanted = [t for t in (topic, *topics) if t]
        last = await self.store.last_delivery(audience)
        if story_id is not None:
            ids = [await self.store.resolve_story(story_id)]
        else:
            # only stories with coverage since the baseline can have anything new: since the
            # last briefing, else dated after `since`; followed stories that moved come first
            window = Window(last[1]) if last else Window(effective_since, arrived=False)
            pool: list[int] | None = None
            if wanted:
                pool = []
                for words in wanted:
                    # matched among the window's stories only (the others cannot be
                    # in the answer): matching every story cost ten times more
                    matching = await self.store.stories_matching(words, 200, window=window)
                    pool += [i for i in matching if i not in pool]
            active = await self.store.story_activity(
                audience, window, limit=limit * 4, among=pool, followed_first=True
            )
            ids = [a.story_id for a in active]
        # an explicit `since` overrides the last briefing for stories never shown
        briefed_at = last[1] if last and since is None else None
        briefs: list[StoryBrief] = []
        renew: dict[int, Callable[[int], tuple[CitedSentence, ...]]] = {}
        # Stories are read a briefing's worth at a time (a few statements for all of them):
        # most answers are complete after the first few, and the rest is never read.
        for start in range(0, len(ids), limit):
            part = ids[start : start + limit]
            loaded = await self._load(part, audience)
            for i in part:
                brief = await self._story_brief(
                    loaded[i],
                    audience,
                    since=effective_since,
                    summary=False,
                    words=None,
                    briefed_at=briefed_at,
                    renew=renew,
                )
                if brief.new:
                    briefs.append(brief)
                if len(briefs) >= limit:
                    break
            if len(briefs) >= limit:
                break
        room = self.config.story_words // max(len(briefs), 1)
        if room > self.config.new_words:
            briefs = [
                replace(b, new=await asyncio.to_thread(renew[b.story_id], room)) for b in briefs
            ]
        shown_topic = ", ".join(wanted) if wanted else None
        briefing = await self._finish(
            audience, briefs, topic=shown_topic, since=since, record=record
        )
        if not briefs:
            # say what "nothing new" was measured against
            if not await self.store.has_articles():
                briefing = replace(briefing, empty_store=True)
            elif last is None:
                briefing = replace(briefing, never_briefed=True, since=effective_since)
        return briefing

    async def _finish(
        self,
        audience: str,
        briefs: Sequence[StoryBrief],
        *,
        topic: str | None,
        since: datetime | None,
        record: bool,
    ) -> Briefing:
        briefing = Briefing(
            audience=audience,
            generated_at=self.clock(),
            stories=tuple(briefs),
            topic=topic,
            since=since,
        )
        if record and briefs:
            delivery_id = await self.record_delivery(audience, briefing)
            briefing = replace(briefing, delivery_id=delivery_id)
        return briefing

    async def record_delivery(
        self,
        audience: str,
        briefing: Briefing,
        *,
        subscription_id: int | None = None,
        scheduled_for: datetime | None = None,
        delivery_id: int | None = None,
    ) -> int | None:
        """Record that `audience` was shown `briefing`.

        With `delivery_id` (a digest slot claimed with `Store.claim_delivery`), the briefing is
        recorded into that delivery instead of a new one.

        Returns:
            The delivery id, or None when this (subscription, scheduled time) was already
            delivered (a digest is never sent twice).
        """
        sentences: list[tuple[int, int, str]] = []
        for brief in briefing.stories:
            sentences.extend((c.sentence_id, brief.story_id, "summary") for c in brief.summary)
            sentences.extend((c.sentence_id, brief.story_id, "new") for c in brief.new)
        return await self.store.record_delivery(
            audience=audience,
            created_at=self.clock(),
            topic=briefing.topic,
            articles=(),
            stories=[b.story_id for b in briefing.stories],
            sentences=sentences,
            subscription_id=subscription_id,
            scheduled_for=scheduled_for,
            delivery_id=delivery_id,
        )

    async def _load(self, story_ids: Sequence[int], audience: str | None) -> dict[int, _Loaded]:
        """What `_story_brief` needs for each of `story_ids`, in a few statements for all.

        A merged id is followed to its live story (NotFound when an id never existed). What
        every audience sees the same (the story's articles, sentences, summary, disagreements)
        is loaded once per version of the story (its article count changes with every article
        joined or merged): digests for a thousand channels reuse it.
        """
        if not story_ids:
            return {}
        found = {
            s.id: s
            for s in await self.store.stories(
                story_ids=story_ids, limit=len(story_ids), outlets=False
            )
        }
        stories = {i: found.get(i) or await self.store.story(i) for i in story_ids}
        shared: dict[int, _SharedParts] = {}
        missing: list[int] = []
        for story in stories.values():
            cached = self._shared.get((story.id, story.article_count))
            if cached is not None:
                shared[story.id] = cached
            elif story.id not in missing:  # two ids given may be one story (merged)
                missing.append(story.id)
        if missing:
            counts = {s.id: s.article_count for s in stories.values()}
            contents = await self.store.story_contents(missing)
            for story_id in missing:
                articles, sentences = contents[story_id]
                parts = _SharedParts(
                    articles=tuple(articles),
                    rows=tuple(sentences),
                    candidates=tuple(_candidates(articles, sentences)),
                    summaries={},
                    discrepancies=None,
                )
                self._shared.put((story_id, counts[story_id]), parts)
                shared[story_id] = parts
        shown = (
            await self.store.shown_by_story(audience, [s.id for s in stories.values()])
            if audience
            else {}
        )
        return {
            i: _Loaded(story=s, shared=shared[s.id], shown=shown.get(s.id, {}))
            for i, s in stories.items()
        }

    async def _story_brief(
        self,
        loaded: _Loaded,
        audience: str | None,
        *,
        since: datetime | None,
        summary: bool,
        words: int | None,
        briefed_at: datetime | None = None,
        renew: dict[int, Callable[[int], tuple[CitedSentence, ...]]] | None = None,
    ) -> StoryBrief:
        """One story for an audience.

        What is new is measured against, in this order: the articles the audience was briefed
        on; for a story it was never shown, the articles that arrived before its last briefing
        (`briefed_at`); for an audience never briefed, coverage older than `since`. It gets
        the configured `new_words`; `renew`, when given, receives under the story's id a
        function giving what is new with another budget (the baseline is not built again).
        """
        story, shared, shown = loaded.story, loaded.shared, loaded.shown
        version = (story.id, story.article_count)
        articles, rows, candidates = shared.articles, shared.rows, shared.candidates
        by_id = {a.id: a for a in articles}
        baseline: set[int] | None
        updates: int | None = None
        new_since: datetime | None = None  # set when `since` is the baseline
        if shown:
            baseline = set(shown)
            updates = max(shown.values())
        elif briefed_at is not None:
            baseline = {a.id for a in articles if a.fetched_at < briefed_at}
        elif since is not None:
            baseline = {a.id for a in articles if a.when < since}
            new_since = since
        else:
            baseline = None
        texts = {s.id: s for s, _ in rows}
        config = self.config
        budget = words or config.summary_words
        picked_keys = shared.summaries.get(budget) if summary else None
        if summary and picked_keys is None:
            parts = shared

            def summarize() -> list[Candidate]:
                if not parts.index:  # the story's concepts, shared with what is new
                    parts.index.append(concept_index(candidates))
                return summarize_candidates(
                    candidates, words=budget, algorithm=config.algorithm, index=parts.index[0]
                )

            picked = await asyncio.to_thread(summarize)
            picked_keys = tuple(c.key for c in picked)
            shared.summaries[budget] = picked_keys
        order = {key: n for n, key in enumerate(picked_keys or ())}
        chosen = sorted((c for c in candidates if c.key in order), key=lambda c: order[c.key])

        fresh: list[Candidate] = []
        shown_sentences: list[Candidate] = []

        def compute_new() -> list[Candidate]:
            if baseline is None:
                return []
            shown_sentences.extend(c for c in candidates if c.doc in baseline)
            shown_sentences.extend(chosen)  # shown in this very briefing's summary
            taken = {c.key for c in chosen}
            fresh.extend(c for c in candidates if c.doc not in baseline and c.key not in taken)
            if not fresh:
                return []
            return update_with(config.new_words)

        cache = shared.updates
        index_box = shared.index

        def update_with(budget: int) -> list[Candidate]:
            assert baseline is not None
            key = (frozenset(baseline), frozenset(c.key for c in chosen), budget)
            known = cache.get(key)
            if known is None:
                if not index_box:
                    index_box.append(concept_index(candidates))
                picked = select_update(fresh, shown_sentences, words=budget, index=index_box[0])
                if len(cache) >= UPDATE_CACHE:
                    cache.clear()
                cache[key] = known = tuple(c.key for c in picked)
            by_key = {c.key: c for c in fresh}
            return [by_key[k] for k in known]

        new = await asyncio.to_thread(compute_new)
        found: list[Discrepancy] = []
        if summary or new:  # a story dropped for having nothing new needs no comparison
            if shared.discrepancies is None:
                computed = await asyncio.to_thread(_recent_discrepancies, articles, rows)
                shared = replace(shared, discrepancies=computed)
                self._shared.put(version, shared)
            found = list(shared.discrepancies or ())
        if not summary and baseline is not None:
            # "what is new" repeats no disagreement the audience could already see
            found = [
                d for d in found if any(i not in baseline for ids in d.article_ids for i in ids)
            ]

        def cite(c: Candidate, *, updates_briefing: int | None = None) -> CitedSentence:
            return CitedSentence(
                text=texts[c.key].text,
                sentence_id=c.key,
                citation=_citation(by_id[c.doc]),
                updates_briefing=updates_briefing,
            )

        if renew is not None:

            def new_with(budget: int) -> tuple[CitedSentence, ...]:
                picked = update_with(budget)
                return tuple(cite(c, updates_briefing=updates) for c in picked)

            renew[story.id] = new_with
        return StoryBrief(
            story_id=story.id,
            title=story.title,
            summary=tuple(cite(c) for c in chosen),
            new=tuple(cite(c, updates_briefing=updates) for c in new),
            discrepancies=tuple(found),
            sources=tuple(_citation(a) for a in articles if a.near_duplicate_of is None),
            updates_briefing=updates,
            new_since=new_since,
        )

    # ================================================================== feeds

    async def add_feed(self, url: str, *, audience: str, interval_s: int | None = None) -> Feed:
        """Follow a feed for an audience (re-adding updates its interval)."""
        check_url(url)
        if interval_s is not None and interval_s < 60:
            raise InvalidInput("a feed cannot be polled more often than every 60 seconds")
        return await self.store.add_feed(url, audience, interval_s, self.clock())

    async def remove_feed(self, feed: int | str, *, audience: str | None = None) -> Feed:
        """Stop following a feed, by id or URL; NotFound when it is not followed here."""
        if isinstance(feed, int) or str(feed).isdigit():
            found = await self.store.feed(int(feed))
            if audience is not None and found.audience != audience:
                raise NotFound(f"no feed with id {feed} here")
        else:
            maybe = await self.store.feed_by_url(str(feed), audience)
            if maybe is None:
                raise NotFound(f"no feed {feed} here")
            found = maybe
        await self.store.remove_feed(found.id)
        return found

    async def feeds(self, *, audience: str | None = None) -> list[Feed]:
        """Followed feeds with their polling state."""
        return await self.store.feeds(audience)

    async def feed_counts(self, feeds: Sequence[Feed]) -> dict[int, FeedCounts]:
        """What became of each feed's entries: stored, duplicate, skipped with reasons."""
        by_url = await self.store.feed_counts(sorted({f.url for f in feeds}))
        return {f.id: by_url.get(f.url, FeedCounts()) for f in feeds}

    async def explain(self, query: str) -> Explanation:
        """Where an article or URL went: stored (in which story, shown to whom), a duplicate
        of which article, or skipped and why.

        Args:
            query: An article id ("12", "#12") or a URL (a page, or a feed entry's link).

        Raises:
            NotFound: For an article id that does not exist.
        """
        text = query.strip()
        if text.lstrip("#").isdigit():
            article = await self.store.article(int(text.lstrip("#")))
            found = await self.store.outcomes(article_id=article.id)
            return await self._explained(text, article, found)
        if not text:
            raise InvalidInput("give an article id or a URL")
        article_id = await self.store.article_by_url(text)
        found = await self.store.outcomes(url=text)
        if article_id is not None:
            return await self._explained(text, await self.store.article(article_id), found)
        if not found:
            return Explanation(query=text, article=None, status="unknown")
        source, _entry, _url, _title, status, other, reason, at = found[0]
        original = await self.store.article(other) if other is not None else None
        if status == "duplicate" and original is not None:
            return Explanation(
                query=text,
                article=original,
                status="duplicate",
                reason=reason,
                duplicate_of=original.id,
                source=source,
                seen_at=at,
                deliveries=tuple(await self.store.article_deliveries(original.id)),
            )
        return Explanation(
            query=text, article=None, status=status, reason=reason, source=source, seen_at=at
        )

    async def _explained(
        self, query: str, article: Article, found: Sequence[tuple[object, ...]]
    ) -> Explanation:
        own = [o for o in found if o[4] in ("stored", "updated")]
        source = str(own[0][0]) if own else None
        seen = own[0][7] if own else None
        return Explanation(
            query=query,
            article=article,
            status="stored",
            source=source,
            seen_at=seen if isinstance(seen, datetime) else None,
            deliveries=tuple(await self.store.article_deliveries(article.id)),
        )

    def feed_is_broken(self, feed: Feed) -> bool:
        """True when a feed has been failing for longer than `feed_flag_after_s`."""
        if feed.failing_since is None:
            return False
        return (self.clock() - feed.failing_since).total_seconds() >= self.config.feed_flag_after_s

    # ================================================================== digests

    async def set_digest(
        self, audience: str, *, local_time: str, timezone: str, topics: Sequence[str] = ()
    ) -> Subscription:
        """Set (or replace) an audience's daily digest.

        Raises:
            InvalidInput: For a time that is not HH:MM (24-hour) or an unknown IANA timezone.
        """
        hhmm = parse_hhmm(local_time).strftime("%H:%M")
        zone = validate_timezone(timezone)
        clean_topics = [t.strip() for t in topics if t.strip()]
        return await self.store.set_subscription(audience, hhmm, zone, clean_topics, self.clock())

    async def digest_off(self, audience: str) -> Subscription | None:
        """Switch an audience's digest off (None when it had none)."""
        return await self.store.disable_subscription(audience, self.clock())

    async def digest(self, audience: str) -> Subscription | None:
        """An audience's digest subscription (enabled or not)."""
        return await self.store.subscription(audience)

    async def subscription(self, subscription_id: int) -> Subscription:
        """A subscription by id."""
        return await self.store.subscription_by_id(subscription_id)

    async def subscriptions(self, *, enabled_only: bool = True) -> list[Subscription]:
        """All digest subscriptions."""
        return await self.store.subscriptions(enabled_only=enabled_only)

    async def mark_subscription_error(self, subscription_id: int, error: str | None) -> None:
        """Record (or clear, with None) why a digest could not be delivered."""
        await self.store.mark_subscription_error(subscription_id, error, self.clock())

    async def delivered(self, subscription_id: int, scheduled_for: datetime) -> bool:
        """Whether the digest due at `scheduled_for` was already delivered."""
        return await self.store.delivered(subscription_id, scheduled_for)


# ====================================================================== helpers


def validate_timezone(name: str) -> str:
    """Return the IANA timezone name if known, else raise InvalidInput."""
    name = (name or "").strip()
    if not name or name not in _timezones():
        hint = ""
        lowered = name.lower()
        close = [z for z in _timezones() if lowered and lowered in z.lower()][:3]
        if close:
            hint = f" (did you mean {', '.join(sorted(close))}?)"
        raise InvalidInput(
            f"unknown timezone “{name}”: use an IANA name such as Europe/Berlin{hint}"
        )
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise InvalidInput(f"unknown timezone “{name}”") from err
    return name


_TZ_CACHE: list[frozenset[str]] = []


def _timezones() -> frozenset[str]:
    if not _TZ_CACHE:
        _TZ_CACHE.append(frozenset(available_timezones()))
    return _TZ_CACHE[0]


def timezone_names(prefix: str, limit: int = 25) -> list[str]:
    """IANA timezone names containing `prefix` (case-insensitive), for autocomplete."""
    lowered = prefix.lower().strip()
    found = sorted(z for z in _timezones() if lowered in z.lower() and "/" in z)
    starts = [
        z
        for z in found
        if z.lower().startswith(lowered) or z.lower().split("/")[-1].startswith(lowered)
    ]
    rest = [z for z in found if z not in starts]
    return (starts + rest)[:limit]


@dataclass(frozen=True)
class _SharedParts:
    """The audience-independent parts of a story brief (summary, discrepancies: None until
    first needed)."""

    articles: tuple[Article, ...]
    rows: tuple[tuple[Sentence, tuple[str, ...]], ...]
    candidates: tuple[Candidate, ...]
    summaries: dict[int, tuple[int, ...]]  # word budget -> sentence ids in reading order
    discrepancies: tuple[Discrepancy, ...] | None
    # (baseline articles, sentences shown with the answer, budget) -> what is new: audiences
    # with the same baseline (digests for a thousand channels) get it computed once
    updates: dict[tuple[frozenset[int], frozenset[int], int], tuple[int, ...]] = field(
        default_factory=dict
    )
    index: list[ConceptIndex] = field(default_factory=list)  # built when first needed


@dataclass(frozen=True)
class _Loaded:
    """One story as `Newsroom._load` read it for an audience."""

    story: Story
    shared: _SharedParts
    shown: dict[int, int]  # articles the audience was briefed on -> latest delivery id


def _candidates(
    articles: Sequence[Article], rows: Sequence[tuple[Sentence, tuple[str, ...]]]
) -> list[Candidate]:
    """The sentences a summary may quote: no headings, no openers that point at a sentence
    the reader will not see ("She said...", "The move drew criticism")."""
    by_id = {a.id: a for a in articles}
    return [
        Candidate(
            key=s.id,
            text=s.text,
            doc=s.article_id,
            position=s.position,
            when=by_id[s.article_id].when,
            stems=stems,
            source=by_id[s.article_id].label,
        )
        for s, stems in rows
        if not is_heading_like(s.text)
        and (s.position == 0 or not (starts_with_pronoun(s.text) or points_back(s.text)))
    ]


def _recent_discrepancies(
    articles: Sequence[Article], rows: Sequence[tuple[Sentence, tuple[str, ...]]]
) -> tuple[Discrepancy, ...]:
    """Disagreements among a story's latest original articles (CPU: runs in a worker thread).

    The latest coverage is where a reader meets conflicting versions; comparing every pair of
    a year-long story's articles would cost seconds.
    """
    recent = [a for a in articles if a.near_duplicate_of is None][-DISCREPANCY_ARTICLES:]
    return tuple(discrepancies(_source_texts(recent, rows)))


class _LRU:
    """A small least-recently-used cache."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[int, int], _SharedParts] = OrderedDict()

    def get(self, key: tuple[int, int]) -> _SharedParts | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key: tuple[int, int], value: _SharedParts) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)


def _citation(article: Article) -> Citation:
    return Citation(
        article_id=article.id,
        outlet=article.label,
        published_at=article.published_at,
        url=article.url,
        title=article.title,
    )


def _source_texts(
    articles: Sequence[Article], rows: Sequence[tuple[Sentence, tuple[str, ...]]]
) -> list[SourceText]:
    by_article: dict[int, list[str]] = {}
    for sentence, _ in rows:
        by_article.setdefault(sentence.article_id, []).append(sentence.text)
    return [
        SourceText(
            article_id=a.id,
            outlet=a.label,
            published_at=a.published_at,
            sentences=tuple(by_article.get(a.id, ())),
        )
        for a in articles
        if a.near_duplicate_of is None
    ]


def _fallback_title(text: str) -> str:
    first = split_sentences(text[:2000])
    title = first[0] if first else text[:80]
    return title if len(title) <= 120 else title[:117].rsplit(" ", 1)[0] + "…"


_FP_RE = re.compile(r"[^\w]+", re.UNICODE)
_URL_INPUT = re.compile(r"(?i)^https?://")


def rejected_result(item: str, error: IngestError) -> IngestResult:
    """The result of an input (or feed entry) that could not be read."""
    return IngestResult(
        input=item,
        status="rejected",
        reason=str(error),
        kind=error.kind,
        feed=error.feed,
        entry=error.entry,
        url=error.url,
        title=error.title,
    )


def fingerprint(text: str) -> str:
    """Content fingerprint: the same cleaned text (ignoring case, spacing, punctuation)."""
    return hashlib.sha256(_FP_RE.sub(" ", text.lower()).strip().encode()).hexdigest()


def simhash(text: str) -> int:
    """64-bit SimHash over word 3-shingles: near-identical texts differ in few bits."""
    tokens = _FP_RE.sub(" ", text.lower()).split()
    if len(tokens) < 3:
        tokens = tokens + [""] * (3 - len(tokens))
    digests = b"".join(
        hashlib.blake2b(" ".join(tokens[i : i + 3]).encode(), digest_size=8).digest()
        for i in range(len(tokens) - 2)
    )
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8).reshape(-1, 8), axis=1)
    votes = bits.sum(axis=0, dtype=np.int64) * 2 - bits.shape[0]
    value = 0
    for bit in np.flatnonzero(votes > 0):
        value |= 1 << (63 - int(bit))
    return value


def _try_prepare(draft: ArticleDraft) -> _Prepared | BriefbotError:
    try:
        return _prepare(draft)
    except BriefbotError as err:
        return err


def _write_article(
    w: Writer,
    draft: ArticleDraft,
    label: str,
    prepared: _Prepared,
    *,
    now: datetime,
    rules: _stories.StoryRules,
) -> IngestResult:
    """Write one article inside the current transaction (duplicate checks first).

    A page whose URL is stored with a feed entry's own text (its page had failed) replaces that
    text when it is longer: the article keeps its id and story ("updated").
    """
    new = prepared.new
    base = IngestResult(
        input=label,
        status="stored",
        title=draft.title,
        feed=draft.feed,
        entry=draft.entry,
        url=draft.url,
        feed_problem=draft.feed_problem,
    )
    if draft.url and (same := w.article_by_url(draft.url)) is not None:
        held = w.feed_text_words(same) if not draft.from_feed else None
        other = w.article_by_fingerprint(new.fingerprint)
        if held is not None and len(draft.text.split()) > held and other in (None, same):
            w.upgrade_article(same, new)
            return replace(
                base,
                status="updated",
                article_id=same,
                story_id=w.story_of(same),
                reason="the linked page replaced the feed entry's text",
            )
        if held is not None:
            w.end_page_retry(same)  # the page was read and brought nothing more
        return replace(
            base,
            status="duplicate",
            article_id=same,
            reason=f"same URL as article {same}",
            kind="same URL",
        )
    if (same := w.article_by_fingerprint(new.fingerprint)) is not None:
        return replace(
            base,
            status="duplicate",
            article_id=same,
            reason=f"same text as article {same}",
            kind="same text",
        )
    original = _original_of(w, new)
    article_id = w.insert_article(new, near_duplicate_of=original)
    story_id: int | None = None
    if original is not None:
        story_id = w.story_of(original)
        if story_id is not None:
            w.attach_copy(article_id, story_id, draft.published_at)
    else:
        story_id = _stories.assign_story(
            w,
            article_id=article_id,
            title=draft.title or _fallback_title(draft.text),
            terms=prepared.terms,
            when=draft.published_at or draft.fetched_at,
            dated=draft.published_at is not None,
            now=now,
            rules=rules,
            language=draft.language,
        )
    note = None
    if draft.page_error:
        note = f"the feed entry's own text: {draft.page_error}"
        if draft.page_retry:
            note += " (the page is fetched again on the next poll)"
    return replace(
        base,
        article_id=article_id,
        near_duplicate_of=original,
        story_id=story_id,
        reason=f"syndicated copy of article {original}" if original else None,
        note=note,
    )


def _original_of(w: Writer, new: NewArticle) -> int | None:
    """The stored article `new` is a syndicated copy of, if any.

    Nearly identical texts (SimHash within a few bits) are copies; so is a text that shares
    most of its sentences word for word with an earlier one (a copy with a changed sentence,
    an added credit line or a cut paragraph).
    """
    near = w.near_duplicates(new.simhash, NEAR_DUPLICATE_BITS)
    if near:
        return near[0][0]
    mine = len(set(new.sentence_hashes))
    for article_id, shared, theirs in w.shared_sentences(new.sentence_hashes):
        shorter = max(min(mine, theirs), 1)
        if shared >= COPY_MIN_SENTENCES and shared >= COPY_SHARE * shorter:
            return article_id
    return None


def sentence_hash(sentence: str) -> int:
    """63-bit hash of a sentence ignoring case, spacing and punctuation."""
    key = _FP_RE.sub(" ", sentence.lower()).strip().encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") >> 1


def _prepare(draft: ArticleDraft) -> _Prepared:
    """CPU part of storing an article (runs in a worker thread)."""
    sentences = split_sentences(draft.text)
    if not sentences:
        raise IngestError(f"{draft.source}: no sentences found in the text", kind="no text")
    stems = [content_stems(s, draft.language) for s in sentences]
    new = NewArticle(
        url=draft.url,
        source=draft.source,
        outlet=draft.outlet,
        title=draft.title,
        author=draft.author,
        published_at=draft.published_at,
        fetched_at=draft.fetched_at,
        language=draft.language,
        text=draft.text,
        fingerprint=fingerprint(draft.text),
        simhash=simhash(draft.text),
        sentences=tuple((s, " ".join(st)) for s, st in zip(sentences, stems, strict=True)),
        sentence_hashes=tuple(sentence_hash(s) for s in sentences),
        place=draft.place,
        agency=draft.agency,
        from_feed=draft.from_feed,
        page_error=draft.page_error,
        page_retry=draft.page_retry,
    )
    terms = dict(_stories.article_terms(draft.title, stems, draft.text, draft.language))
    return _Prepared(new=new, terms=terms)
