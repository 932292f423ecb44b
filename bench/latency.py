"""Answer latency at scale: brief / whats_new / story / search p50 and p95 with 10k and 100k articles.

Usage::

    python bench/latency.py [--sizes 10000,100000] [--calls 20] [--db URL|temp] [--json PATH] [--quick]

For each size, the cached generated store (bench/corpus.py; built first when missing) is copied
to a temporary file and opened with a `Newsroom` whose clock stands just after the corpus ends.
Half of the audiences were briefed (recorded) 36 hours earlier, so their "what is new" compares
against a real delivery; the others have never been briefed. Calls are made in the process, one
at a time, as the Discord commands make them:

* ``brief``: ``await room.brief(audience, record=False)``, and with a topic;
* ``whatsnew``: ``await room.whats_new(audience, record=False)``, and with a topic;
* ``story``: ``await room.story(story_id, audience=audience)`` on recent, random and the largest
  stories;
* ``search``: ``await room.search(query, limit=10)`` with one- and two-word queries.

Audiences, topics (words of story titles), story ids and queries are drawn with a seeded RNG.
One warm-up call per operation is not counted. Also reported: the database size.
Target: p95 < 300 ms for every operation at 100k articles, on one core (CPU 0).
With ``--db``, the same stores are copied into PostgreSQL and measured the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import corpus  # noqa: E402
from bench.common import (  # noqa: E402
    DB_HELP,
    DEFAULT_DATA,
    Postgres,
    backends,
    peak_rss_mb,
    percentile,
    pin_one_core,
    quiet_logging,
    table,
    verdict,
    write_json,
)
from summaries.newsroom import Newsroom  # noqa: E402
from summaries.text import STOP_WORDS  # noqa: E402

TARGET_P95_MS = 300.0
BRIEFED_HOURS_AGO = 36


class Clock:
    """A settable clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def _scalar_list(room: Newsroom, sql: str) -> list[Any]:
    return [r[0] for r in await room.store._rows(sql)]


def _topic_word(title: str) -> str | None:
    words = [
        w
        for w in re.findall(r"[A-Za-z][a-z]{3,}", title)
        if w.lower() not in STOP_WORDS and w not in ("Latest", "Update", "Analysis", "Explainer")
    ]
    return max(words, key=len) if words else None


async def _draws(room: Newsroom, size: int, calls: int) -> dict[str, list[Any]]:
    rng = random.Random(f"briefbot-latency:{size}")
    live = await _scalar_list(room, "SELECT id FROM stories WHERE merged_into IS NULL ORDER BY id")
    recent = [s.id for s in await room.stories(limit=50)]
    largest = await _scalar_list(
        room,
        "SELECT story_id FROM articles WHERE story_id IS NOT NULL "
        "GROUP BY story_id ORDER BY count(*) DESC LIMIT 5",
    )
    n_recent = calls // 3
    n_random = calls - n_recent - min(5, calls // 4)
    story_ids = (
        rng.sample(recent, min(n_recent, len(recent)))
        + rng.sample(live, min(n_random, len(live)))
        + largest[: min(5, calls // 4)]
    )
    titles = await _scalar_list(room, "SELECT title FROM stories WHERE merged_into IS NULL")
    topics: list[str] = []
    for title in rng.sample(titles, min(len(titles), calls * 4)):
        word = _topic_word(title)
        if word and word.lower() not in (t.lower() for t in topics):
            topics.append(word)
        if len(topics) >= max(calls // 2, 1):
            break
    article_titles = await _scalar_list(
        room, f"SELECT title FROM articles ORDER BY id LIMIT 1 OFFSET {rng.randrange(size // 2)}"
    )
    queries: list[str] = []
    sample_titles = [
        t
        for t in await _scalar_list(
            room, f"SELECT title FROM articles WHERE id % 97 = {rng.randrange(97)}"
        )
        if t
    ]
    for title in [*article_titles, *rng.sample(sample_titles, min(len(sample_titles), calls * 3))]:
        words = [w for w in re.findall(r"[A-Za-z]{4,}", title) if w.lower() not in STOP_WORDS]
        if not words:
            continue
        take = 1 if len(queries) % 2 == 0 or len(words) < 2 else 2
        queries.append(" ".join(rng.sample(words, take)))
        if len(queries) >= calls:
            break
    audiences = [f"channel:{1000 + i}" for i in range(calls)]
    return {
        "story_ids": story_ids,
        "topics": topics,
        "queries": queries,
        "audiences": audiences,
    }


async def _timed(
    calls: list[Callable[[], Awaitable[Any]]], sink: list[float], sizes: list[int]
) -> None:
    await calls[0]()  # warm-up, not counted
    for call in calls:
        start = time.perf_counter()
        out = await call()
        sink.append((time.perf_counter() - start) * 1000)
        sizes.append(_answer_size(out))


def _answer_size(out: Any) -> int:
    if hasattr(out, "stories"):
        return len(out.stories)
    if isinstance(out, list):
        return len(out)
    return len(getattr(out, "summary", ())) + len(getattr(out, "new", ()))


async def _measure(size: int, calls: int, source: Path, pg: Postgres | None) -> dict[str, Any]:
    db_size = corpus.db_bytes(source)
    with tempfile.TemporaryDirectory(prefix="briefbot-latency-") as tmp:
        db: Path | str
        if pg is None:
            db = corpus.copy_store(source, Path(tmp) / "store.db")
        else:
            name = f"latency_{size}"
            db = pg.copy_of(source, name)
            db_size = pg.size_bytes(name)
        clock = Clock(corpus.CLOCK_AFTER - timedelta(hours=BRIEFED_HOURS_AGO))
        async with Newsroom(db, clock=clock) as room:
            articles = await room.store.article_count()
            draws = await _draws(room, size, calls)
            audiences = draws["audiences"]
            for audience in audiences[::2]:
                await room.brief(audience, record=True)
            clock.now = corpus.CLOCK_AFTER
            topics = draws["topics"] or ["market"]
            pairs = list(zip(audiences, topics, strict=False))
            stories = list(zip(draws["story_ids"], audiences * 2, strict=False))
            ops: dict[str, list[Callable[[], Awaitable[Any]]]] = {
                "brief": [partial(room.brief, a, record=False) for a in audiences],
                "brief topic": [partial(room.brief, a, topic=t, record=False) for a, t in pairs],
                "whatsnew": [partial(room.whats_new, a, record=False) for a in audiences],
                "whatsnew topic": [
                    partial(room.whats_new, a, topic=t, record=False) for a, t in pairs
                ],
                "story": [partial(room.story, s, audience=a) for s, a in stories],
                "search": [partial(room.search, q, limit=10) for q in draws["queries"]],
            }
            results: dict[str, Any] = {}
            for name, fns in ops.items():
                times: list[float] = []
                answers: list[int] = []
                await _timed(fns, times, answers)
                results[name] = {
                    "calls": len(times),
                    "p50_ms": round(percentile(times, 50), 1),
                    "p95_ms": round(percentile(times, 95), 1),
                    "max_ms": round(max(times), 1),
                    "mean_items": round(sum(answers) / max(len(answers), 1), 1),
                }
                print(
                    f"... {size:,}: {name} p50 {results[name]['p50_ms']} ms, "
                    f"p95 {results[name]['p95_ms']} ms",
                    file=sys.stderr,
                    flush=True,
                )
    return {
        "size": size,
        "articles": articles,
        "db_bytes": db_size,
        "ops": results,
        "draws": {k: v for k, v in draws.items() if k != "audiences"},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--calls", type=int, default=20, help="calls per operation")
    parser.add_argument("--seed", type=int, default=corpus.DEFAULT_SEED)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--quick", action="store_true", help="1k and 2k stores, 8 calls each")
    parser.add_argument("--db", metavar="URL|temp", help=DB_HELP)
    args = parser.parse_args(argv)
    quiet_logging()
    if not (args.data / "News Articles").is_dir():
        print(f"Dataset not found: {args.data}", file=sys.stderr)
        return 1
    sizes = [1000, 2000] if args.quick else [int(s) for s in args.sizes.split(",") if s]
    calls = 8 if args.quick else args.calls
    pinned = pin_one_core()
    sources = {
        size: corpus.cached_store(size, seed=args.seed, data_dir=args.data) for size in sizes
    }
    by_backend: dict[str, list[dict[str, Any]]] = {}
    for backend, pg in backends(args.db):
        try:
            by_backend[backend] = [
                asyncio.run(_measure(size, calls, sources[size], pg)) for size in sizes
            ]
        finally:
            if pg is not None:
                pg.close()
    for backend, runs in by_backend.items():
        if len(by_backend) > 1:
            print(f"\n=== {backend}")
        _report(runs, calls, pinned, args)
    if len(by_backend) > 1:
        largest = sizes[-1]
        names = list(next(iter(by_backend.values()))[-1]["ops"])
        print(f"\nSide by side, p95 ms @{largest:,} (target < {TARGET_P95_MS:.0f} ms)")
        print(
            table(
                ["operation", *by_backend],
                [
                    [n, *(runs[-1]["ops"][n]["p95_ms"] for runs in by_backend.values())]
                    for n in names
                ],
            )
        )
    write_json(
        args.json,
        {
            "benchmark": "latency",
            "pinned": pinned,
            "quick": args.quick,
            "calls": calls,
            "backends": by_backend,
        },
    )
    return 0


def _report(runs: list[dict[str, Any]], calls: int, pinned: str, args: argparse.Namespace) -> None:
    names = list(runs[0]["ops"])
    print(f"\nAnswer latency in ms, in process, one core ({pinned}); {calls} calls per operation")
    headers = ["operation"]
    for r in runs:
        headers += [f"p50 @{r['size']:,}", f"p95 @{r['size']:,}"]
    rows = []
    for name in names:
        row: list[Any] = [name]
        for r in runs:
            row += [r["ops"][name]["p50_ms"], r["ops"][name]["p95_ms"]]
        rows.append(row)
    print(table(headers, rows))
    print()
    print(
        table(
            ["store", "articles", "stored", "database MB"],
            [[f"{r['size']:,}", r["size"], r["articles"], r["db_bytes"] / 2**20] for r in runs],
        )
    )
    largest = runs[-1]
    checks = [
        (name, largest["ops"][name]["p95_ms"], largest["ops"][name]["p95_ms"] < TARGET_P95_MS)
        for name in names
    ]
    print()
    print(
        table(
            ["target", "measured", "verdict"],
            [
                [f"{name} p95 < {TARGET_P95_MS:.0f} ms @{largest['size']:,}", f"{p95:.0f} ms",
                 verdict(ok)]
                for name, p95, ok in checks
            ],
        )
    )  # fmt: skip
    if args.quick:
        print("(quick mode: small stores; the target is for 100,000 articles)")
    print(f"peak memory {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    raise SystemExit(main())
