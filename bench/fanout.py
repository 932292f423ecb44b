"""Digest fan-out: time to compute the daily digests of 1,000 subscriptions.

Usage::

    python bench/fanout.py [--subscriptions 1000] [--size 100000] [--db URL|temp] [--json PATH] [--quick]

The cached generated store of ``--size`` articles (bench/corpus.py) is copied to a temporary
file. 1,000 audiences (channels and users) get a digest with ``Newsroom.set_digest``: local
times between 06:30 and 18:00 in a dozen IANA zones, 40% with one to three topics (words of
story titles). 30% were briefed a day earlier (a recorded briefing) and 20% received yesterday's
digest (a delivery recorded for the subscription), so their baseline is a real delivery.

With the clock just after the corpus ends, each subscription's latest due run is computed with
``summaries.digests.previous_run`` and its digest built exactly as the scheduler builds it
(``bot.scheduler._digest_since`` then ``bot.scheduler.build_digest``: what is new, per topic and
merged). Then a second pass runs ``bot.scheduler.deliver_digest`` with a post that discards the
text, which also claims and records each delivery. One core (CPU 0).
Target: the 1,000 digests in < 30 s. With ``--db``, the same store is copied into PostgreSQL and
measured the same way.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta
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
from bench.latency import Clock, _topic_word  # noqa: E402
from bot.scheduler import _digest_since, build_digest, deliver_digest  # noqa: E402
from bot.settings import Settings  # noqa: E402
from summaries import digests  # noqa: E402
from summaries.models import Briefing, Subscription  # noqa: E402
from summaries.newsroom import Newsroom  # noqa: E402

TARGET_SECONDS = 30.0
ZONES = (
    "Europe/London", "Europe/Berlin", "Europe/Helsinki", "America/New_York", "America/Chicago",
    "America/Los_Angeles", "America/Sao_Paulo", "Asia/Tokyo", "Asia/Kolkata", "Asia/Singapore",
    "Australia/Sydney", "Africa/Lagos", "UTC",
)  # fmt: skip
TIMES = ("06:30", "07:00", "07:30", "08:00", "08:30", "09:00", "12:00", "17:30", "18:00")
TOPIC_SHARE = 0.4
BRIEFED_SHARE = 0.3
DIGESTED_SHARE = 0.2


async def _post(
    audience: str, briefing: Briefing | None, text: str | None, *, nonce: str | None = None
) -> None:
    """A frontend that discards the digest."""


async def _setup(
    room: Newsroom, clock: Clock, n: int, rng: random.Random
) -> list[tuple[Subscription, datetime]]:
    titles = [
        r[0]
        for r in await room.store._rows(
            "SELECT title FROM stories WHERE merged_into IS NULL ORDER BY id"
        )
    ]
    words = sorted({w for t in titles if (w := _topic_word(t))})
    topic_pool = rng.sample(words, min(len(words), 200))
    now = corpus.CLOCK_AFTER
    clock.now = now - timedelta(days=1)
    earlier: list[Briefing] = [await room.brief("bench:template", record=False)]
    for topic in topic_pool[:4]:
        earlier.append(await room.brief("bench:template", topic=topic, record=False))
    subs: list[tuple[Subscription, datetime]] = []
    for i in range(n):
        audience = f"channel:{10_000 + i}" if i % 3 else f"user:{50_000 + i}"
        topics = rng.sample(topic_pool, rng.randint(1, 3)) if rng.random() < TOPIC_SHARE else []
        clock.now = now - timedelta(days=2)
        sub = await room.set_digest(
            audience, local_time=rng.choice(TIMES), timezone=rng.choice(ZONES), topics=topics
        )
        due = digests.previous_run(sub.local_time, sub.timezone, now)
        roll = rng.random()
        if roll < BRIEFED_SHARE:
            clock.now = due - timedelta(hours=rng.randint(2, 20))
            template = earlier[i % len(earlier)]
            await room.record_delivery(audience, replace(template, audience=audience))
        elif roll < BRIEFED_SHARE + DIGESTED_SHARE:
            yesterday = digests.previous_run(
                sub.local_time, sub.timezone, due - timedelta(seconds=1)
            )
            clock.now = yesterday
            template = earlier[i % len(earlier)]
            await room.record_delivery(
                audience,
                replace(template, audience=audience),
                subscription_id=sub.id,
                scheduled_for=yesterday,
            )
        subs.append((sub, due))
    clock.now = now
    return subs


async def _measure(source: Path, n: int, seed: int, pg: Postgres | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="briefbot-fanout-") as tmp:
        db: Path | str
        if pg is None:
            db = corpus.copy_store(source, Path(tmp) / "store.db")
        else:
            db = pg.copy_of(source, "fanout")
        clock = Clock(corpus.CLOCK_AFTER)
        async with Newsroom(db, clock=clock) as room:
            articles = await room.store.article_count()
            setup_start = time.perf_counter()
            subs = await _setup(room, clock, n, random.Random(f"briefbot-fanout:{seed}:{n}"))
            setup_s = time.perf_counter() - setup_start
            print(f"... {n} subscriptions set up in {setup_s:.1f} s", file=sys.stderr, flush=True)

            per: list[float] = []
            stories = 0
            empty = 0
            start = time.perf_counter()
            for sub, due in subs:
                one = time.perf_counter()
                since = await _digest_since(room, sub, due)
                briefing = await build_digest(room, sub.audience, sub.topics, since=since)
                per.append((time.perf_counter() - one) * 1000)
                stories += len(briefing.stories)
                empty += not briefing.stories
            build_s = time.perf_counter() - start
            print(f"... built {n} digests in {build_s:.1f} s", file=sys.stderr, flush=True)

            settings = Settings(core=room.config)
            statuses: dict[str, int] = {}
            start = time.perf_counter()
            for sub, due in subs:
                outcome = await deliver_digest(room, settings, _post, sub, due)
                statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
            deliver_s = time.perf_counter() - start
            print(f"... delivered {n} digests in {deliver_s:.1f} s", file=sys.stderr, flush=True)
    with_topics = sum(1 for s, _ in subs if s.topics)
    return {
        "store_articles": articles,
        "subscriptions": n,
        "with_topics": with_topics,
        "setup_s": round(setup_s, 1),
        "build_s": round(build_s, 2),
        "build_p50_ms": round(percentile(per, 50), 1),
        "build_p95_ms": round(percentile(per, 95), 1),
        "build_max_ms": round(max(per), 1),
        "stories_per_digest": round(stories / n, 2),
        "empty_digests": empty,
        "deliver_s": round(deliver_s, 2),
        "deliver_statuses": statuses,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--size", type=int, default=100_000, help="articles in the store")
    parser.add_argument("--seed", type=int, default=corpus.DEFAULT_SEED)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--quick", action="store_true", help="100 subscriptions, 1,000 articles")
    parser.add_argument("--db", metavar="URL|temp", help=DB_HELP)
    args = parser.parse_args(argv)
    quiet_logging()
    if not (args.data / "News Articles").is_dir():
        print(f"Dataset not found: {args.data}", file=sys.stderr)
        return 1
    if args.quick:
        args.subscriptions, args.size = 100, 1000
    pinned = pin_one_core()
    source = corpus.cached_store(args.size, seed=args.seed, data_dir=args.data)
    results: dict[str, dict[str, Any]] = {}
    for backend, pg in backends(args.db):
        try:
            results[backend] = asyncio.run(_measure(source, args.subscriptions, args.seed, pg))
        finally:
            if pg is not None:
                pg.close()
    for backend, r in results.items():
        if len(results) > 1:
            print(f"\n=== {backend}")
        _report(r, pinned, args)
    if len(results) > 1:
        print("\nSide by side (seconds for the subscriptions measured)")
        print(
            table(
                ["pass", *results],
                [
                    ["build (what is new)", *(r["build_s"] for r in results.values())],
                    ["deliver (build+record)", *(r["deliver_s"] for r in results.values())],
                ],
            )
        )
    write_json(
        args.json,
        {
            "benchmark": "fanout",
            "pinned": pinned,
            "quick": args.quick,
            "store_size": args.size,
            "backends": results,
        },
    )
    return 0


def _report(r: dict[str, Any], pinned: str, args: argparse.Namespace) -> None:
    n = r["subscriptions"]
    print(
        f"\nDigest fan-out, one core ({pinned}); {n:,} subscriptions "
        f"({r['with_topics']} with topics), store of {r['store_articles']:,} articles"
    )
    print(
        table(
            ["pass", "total s", "per digest p50 ms", "p95 ms", "max ms", "stories/digest",
             "empty"],
            [
                ["build (what is new)", r["build_s"], r["build_p50_ms"], r["build_p95_ms"],
                 r["build_max_ms"], r["stories_per_digest"], r["empty_digests"]],
                ["deliver (build+record)", r["deliver_s"], None, None, None, None,
                 r["deliver_statuses"].get("nothing_new", 0)],
            ],
        )
    )  # fmt: skip
    scale = 1000 / n
    projected = r["build_s"] * scale
    ok = projected < TARGET_SECONDS
    print()
    label = f"{projected:.1f} s" + ("" if n == 1000 else f" (x{scale:g} of {n:,})")
    print(
        table(
            ["target", "measured", "verdict"],
            [[f"1,000 digests < {TARGET_SECONDS:.0f} s", label, verdict(ok)]],
        )
    )
    if args.quick:
        print("(quick mode: small store; the target is for 1,000 subscriptions at 100k articles)")
    print(f"peak memory {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    raise SystemExit(main())
