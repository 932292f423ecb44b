"""JSON shapes of the command line's `--json` output (stable, documented in the README)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from summaries.models import (
    Article,
    Briefing,
    Citation,
    CitedSentence,
    Discrepancy,
    Explanation,
    Feed,
    FeedCounts,
    IngestResult,
    SearchHit,
    Story,
    StoryBrief,
)

log = logging.getLogger(__name__)


def iso(when: datetime | None) -> str | None:
    """ISO-8601 UTC text or None."""
    return when.isoformat() if when else None


def cited_json(item: CitedSentence) -> dict[str, Any]:
    out: dict[str, Any] = {
        "text": item.text,
        "article_id": item.citation.article_id,
        "outlet": item.citation.outlet,
        "published_at": iso(item.citation.published_at),
        "url": item.citation.url,
    }
    if item.updates_briefing is not None:
        out["updates_briefing"] = item.updates_briefing
    return out


def source_json(c: Citation) -> dict[str, Any]:
    return {
        "article_id": c.article_id,
        "outlet": c.outlet,
        "title": c.title,
        "published_at": iso(c.published_at),
        "url": c.url,
    }


def discrepancy_json(d: Discrepancy) -> dict[str, Any]:
    return {
        "kind": d.kind,
        "subject": d.subject,
        "values": list(d.values),
        "article_ids": [list(ids) for ids in d.article_ids],
    }


def story_brief_json(s: StoryBrief) -> dict[str, Any]:
    return {
        "id": s.story_id,
        "title": s.title,
        "summary": [cited_json(c) for c in s.summary],
        "new": [cited_json(c) for c in s.new],
        "discrepancies": [discrepancy_json(d) for d in s.discrepancies],
        "sources": [source_json(c) for c in s.sources],
        "updates_briefing": s.updates_briefing,
    }


def briefing_json(b: Briefing) -> dict[str, Any]:
    return {
        "audience": b.audience,
        "generated_at": iso(b.generated_at),
        "topic": b.topic,
        "since": iso(b.since),
        "delivery_id": b.delivery_id,
        "notes": list(b.notes),
        "stories": [story_brief_json(s) for s in b.stories],
    }


def story_json(s: Story) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        "articles": s.article_count,
        "first_seen": iso(s.first_seen),
        "last_seen": iso(s.last_seen),
        "outlets": list(s.outlets),
    }


def article_json(a: Article, *, text: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": a.id,
        "title": a.title,
        "outlet": a.outlet,
        "author": a.author,
        "published_at": iso(a.published_at),
        "fetched_at": iso(a.fetched_at),
        "url": a.url,
        "source": a.source,
        "language": a.language,
        "story_id": a.story_id,
        "near_duplicate_of": a.near_duplicate_of,
        "place": a.place,
        "agency": a.agency,
        "from_feed": a.from_feed,
        "page_error": a.page_error,
        "page_retry": a.page_retry,
    }
    if text:
        out["text"] = a.text
    return out


def hit_json(h: SearchHit) -> dict[str, Any]:
    return {**article_json(h.article), "snippet": h.snippet, "rank": h.rank}


def result_json(r: IngestResult) -> dict[str, Any]:
    return {
        "input": r.input,
        "status": r.status,
        "article_id": r.article_id,
        "reason": r.reason,
        "near_duplicate_of": r.near_duplicate_of,
        "story_id": r.story_id,
        "title": r.title,
        "kind": r.kind,
        "feed": r.feed,
        "entry": r.entry,
        "url": r.url,
        "note": r.note,
        "feed_problem": r.feed_problem,
    }


def counts_json(c: FeedCounts) -> dict[str, Any]:
    return {
        "stored": c.stored,
        "duplicate": c.duplicate,
        "skipped": c.skipped,
        "reasons": dict(c.reasons),
        "from_feed": c.from_feed,
        "retrying": c.retrying,
    }


def explanation_json(e: Explanation) -> dict[str, Any]:
    return {
        "query": e.query,
        "status": e.status,
        "reason": e.reason,
        "duplicate_of": e.duplicate_of,
        "source": e.source,
        "seen_at": iso(e.seen_at),
        "article": article_json(e.article) if e.article else None,
        "deliveries": [{"audience": a, "delivery_id": d, "at": iso(t)} for a, d, t in e.deliveries],
    }


def feed_json(f: Feed, *, broken: bool, counts: FeedCounts | None = None) -> dict[str, Any]:
    return {
        "id": f.id,
        "url": f.url,
        "audience": f.audience,
        "interval_s": f.interval_s,
        "next_poll_at": iso(f.next_poll_at),
        "last_polled_at": iso(f.last_polled_at),
        "last_ok_at": iso(f.last_ok_at),
        "failures": f.failures,
        "last_error": f.last_error,
        "failing_since": iso(f.failing_since),
        "broken": broken,
        "warning": f.warning,
        "entries": counts_json(counts) if counts is not None else None,
    }


def results_summary(results: Sequence[IngestResult]) -> str:
    stored = sum(r.status == "stored" for r in results)
    updated = sum(r.status == "updated" for r in results)
    dup = sum(r.status == "duplicate" for r in results)
    rejected = sum(r.status == "rejected" for r in results)
    also = f", {updated} updated" if updated else ""
    return f"{stored} stored{also}, {dup} duplicate, {rejected} rejected"
