"""Story grouping against gold clusters: B-cubed precision, recall and F1.

Usage::

    python bench/stories.py [--seed N] [--orders K] [--json PATH] [--quick] [--data DIR]

Two story-grouping gold sets are ingested *together*, in one fixed shuffled order, into one
store, through briefbot's real ingest (`Newsroom.ingest` on the files: cleaning, duplicate
checks, story assignment and merges) with a fixed clock:

* DUC 2004 task 2 (``duc2004-task2/docs/<cluster>/*``): 50 clusters of 10 newswire articles,
  each cluster one story (plain text, no dates);
* WikiRef220 (``clustering/wikiref220/``): 220 news articles, the label is the file name's
  prefix (``ParisAttacks2015 (3).txt`` and ``michelle.obama.12.txt``); five large stories and
  eleven small "noise" labels.

B-cubed (Bagga & Baldwin 1998; Amigó et al. 2009): for each article, precision is the share of
its predicted story that has its gold label, recall the share of its gold cluster that is in its
predicted story; both are averaged over articles and F1 is their harmonic mean. A story mixing
the two sets counts against precision. Rows are given per set and for both together, next to
two baselines on the same articles: every article its own story (singletons) and all articles
one story, and the best any grouping can do here ("best possible": the gold, but with each
duplicate in its original's cluster; DUC 2004 puts a few identical texts in two clusters). A
duplicate (same text) is scored in the story of the article it duplicates; rejected inputs (the
copy of DUC 2004 has a few empty files) are left out of every row and counted.

Incremental grouping depends on the order articles arrive in (which article opens a story
decides what its centroid looks like first), and one order moves F1 by up to 0.03 either way.
So the whole ingest is repeated in ``--orders`` shuffled orders (seeds ``--seed``,
``--seed + 1``, ...), each into a fresh store; the table gives the mean of each column and
a second table each order's briefbot F1. The target is on the mean.

A third table checks the behaviour the story engine already promised (issue 3 and the tests in
tests/summaries/test_stories.py): the five seed articles (``../shared/seeds``) and 300 BBC
articles (the first 60 of each category) in one store, seeds first and seeds last: the seeds
form one story, no BBC article joins it, and the BBC articles form no giant story.

``--quick`` (CI) takes every second DUC cluster and every WikiRef article in one shuffled
order, and the seeds + BBC check in one order only. Target: B-cubed F1 >= 0.95 on the DUC 2004
clusters.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import pin_one_core, quiet_logging, table, verdict, write_json  # noqa: E402
from summaries.newsroom import Newsroom  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "datasets"
SEEDS = ROOT.parent / "shared" / "seeds"
DUC = "duc2004-task2"
WIKIREF = "clustering/wikiref220"
DEFAULT_SEED = 2004
DEFAULT_ORDERS = 4
TARGET_DUC_F1 = 0.95
BBC_PER_CATEGORY = 60
GIANT_SHARE = 0.05  # as tests/summaries/test_stories.py: no BBC story above 5% of them
CLOCK = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Item:
    """One gold article: its file, its set and its gold cluster."""

    path: Path
    dataset: str
    label: str


_WIKIREF_LABEL = re.compile(r"^(?P<label>.+?)(?:\s*\(\d+\)|\.\d+)?\.txt$")


def wikiref_label(name: str) -> str | None:
    """Gold label of a WikiRef220 file: its name without the number and extension."""
    if not name.endswith(".txt") or name.startswith("README"):
        return None
    match = _WIKIREF_LABEL.match(name)
    return match.group("label") if match else None


def load_items(data: Path, *, quick: bool = False) -> list[Item]:
    """The DUC 2004 and WikiRef220 articles with their gold labels (file order)."""
    items: list[Item] = []
    clusters = sorted(p for p in (data / DUC / "docs").iterdir() if p.is_dir())
    if quick:
        clusters = clusters[::2]
    for cluster in clusters:
        for doc in sorted(p for p in cluster.iterdir() if p.is_file()):
            items.append(Item(doc, "DUC 2004", cluster.name))
    for doc in sorted((data / WIKIREF).iterdir()):
        label = wikiref_label(doc.name)
        if label is not None:
            items.append(Item(doc, "WikiRef220", label))
    return items


def bcubed(predicted: Mapping[Any, Any], gold: Mapping[Any, Any], among: Sequence[Any]) -> tuple[
    float, float, float
]:  # fmt: skip
    """B-cubed (precision, recall, F1) averaged over the items `among`.

    `predicted` and `gold` map every item (all of them, not only `among`) to its cluster; the
    clusters' sizes and overlaps are taken over every item, so a predicted cluster mixing items
    outside `among` lowers the precision of those inside it.
    """
    if not among:
        return 0.0, 0.0, 0.0
    pred_size: Counter[Any] = Counter(predicted.values())
    gold_size: Counter[Any] = Counter(gold.values())
    both: Counter[tuple[Any, Any]] = Counter((predicted[i], gold[i]) for i in predicted)
    precision = recall = 0.0
    for item in among:
        shared = both[(predicted[item], gold[item])]
        precision += shared / pred_size[predicted[item]]
        recall += shared / gold_size[gold[item]]
    p, r = precision / len(among), recall / len(among)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Assigned:
    """What ingesting the files gave: each file's story, the rejected ones, the duplicates."""

    story_of: dict[Path, Any]
    rejected: set[Path]
    duplicate_of: dict[Path, Path]  # a duplicate file -> the file it duplicates


async def assign(paths: Sequence[Path]) -> Assigned:
    """Ingest `paths` in this order into a fresh store (one `Newsroom.ingest` call)."""
    with tempfile.TemporaryDirectory(prefix="briefbot-stories-") as tmp:
        async with Newsroom(Path(tmp) / "stories.db", clock=_Clock(CLOCK)) as room:
            results = await room.ingest([str(p) for p in paths])
            article_story = dict(
                await room.store.run_sync(
                    lambda c: c.execute("SELECT id, story_id FROM articles").fetchall()
                )
            )
    by_path = {Path(r.input): r for r in results}
    stored = {r.article_id: Path(r.input) for r in results if r.status == "stored"}
    out = Assigned(story_of={}, rejected=set(), duplicate_of={})
    for path in paths:
        r = by_path.get(path)
        if r is None or r.status == "rejected" or r.article_id is None:
            out.rejected.add(path)
            continue
        out.story_of[path] = article_story.get(r.article_id)
        if r.status == "duplicate" and r.article_id in stored:
            out.duplicate_of[path] = stored[r.article_id]
    return out


def score_rows(items: Sequence[Item], got: Assigned) -> list[list[Any]]:
    """Table rows: briefbot, the two baselines and the best possible, per set and together.

    Rejected files (empty ones) are left out of every row. "best possible" is the gold itself
    with each duplicate in its original's cluster: a store keeps one copy of a text, so where
    the gold puts the same text in two clusters no grouping can be right on both.
    """
    kept = [it for it in items if it.path not in got.rejected]
    gold = {it.path: (it.dataset, it.label) for it in kept}
    best = {p: gold[got.duplicate_of.get(p, p)] for p in gold}
    systems = {
        "briefbot": got.story_of,
        "singletons": {p: p for p in gold},
        "one story": dict.fromkeys(gold, 0),
        "best possible": best,
    }
    groups = {
        "DUC 2004": [it.path for it in kept if it.dataset == "DUC 2004"],
        "WikiRef220": [it.path for it in kept if it.dataset == "WikiRef220"],
        "together": [it.path for it in kept],
    }
    rows: list[list[Any]] = []
    for group, among in groups.items():
        labels = len({gold[p] for p in among})
        for name, pred in systems.items():
            p, r, f = bcubed(pred, gold, among)
            stories = len({pred[i] for i in among})
            rows.append([group, name, len(among), labels, stories, p, r, f])
    return rows


def mean_rows(per_order: Sequence[Sequence[Sequence[Any]]]) -> list[list[Any]]:
    """The rows of several orders (same sets and groupings, in the same places) averaged."""
    out: list[list[Any]] = []
    for same in zip(*per_order, strict=True):
        first = same[0]
        mean = [sum(r[i] for r in same) / len(same) for i in range(4, 8)]
        out.append([*first[:4], *mean])
    return out


def briefbot_f1(per_order: Sequence[Sequence[Sequence[Any]]]) -> dict[str, list[float]]:
    """Each set's briefbot F1 in each order."""
    found: dict[str, list[float]] = {}
    for rows in per_order:
        for r in rows:
            if r[1] == "briefbot":
                found.setdefault(r[0], []).append(r[7])
    return found


async def seeds_and_bbc(data: Path, *, seeds_first: bool) -> dict[str, Any]:
    """The seeds + 300 BBC articles check: seed story purity and the largest BBC story."""
    bbc_root = data / "bbc-news-summary-dev" / "News Articles"
    bbc: list[Path] = []
    for category in sorted(p for p in bbc_root.iterdir() if p.is_dir()):
        bbc.extend(sorted(category.glob("*.txt"))[:BBC_PER_CATEGORY])
    seeds = sorted(SEEDS.glob("*.txt"))
    paths = [*seeds, *bbc] if seeds_first else [*bbc, *seeds]
    story_of = (await assign(paths)).story_of
    seed_stories = {story_of[p] for p in seeds}
    seed_set = set(seeds)
    bbc_in_seed = sum(1 for p in bbc if story_of[p] in seed_stories)
    bbc_sizes = Counter(story_of[p] for p in bbc)
    largest = max(bbc_sizes.values())
    ok = len(seed_stories) == 1 and bbc_in_seed == 0 and largest <= GIANT_SHARE * len(bbc)
    return {
        "order": "seeds first" if seeds_first else "BBC first",
        "articles": len(paths),
        "stories": len({story_of[p] for p in paths}),
        "seed_stories": len(seed_stories),
        "seeds_in_story": sum(1 for p in seed_set if story_of[p] in seed_stories),
        "bbc_in_seed_story": bbc_in_seed,
        "bbc_stories": len(bbc_sizes),
        "largest_bbc_story": largest,
        "pass": ok,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="shuffle seed")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="datasets directory")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--orders",
        type=int,
        default=None,
        help=f"shuffled orders to average over (default {DEFAULT_ORDERS}; 1 with --quick)",
    )
    parser.add_argument("--quick", action="store_true", help="25 DUC clusters + WikiRef220")
    args = parser.parse_args(argv)
    quiet_logging()
    missing = [d for d in (DUC, WIKIREF) if not (args.data / d).is_dir()]
    if missing:
        print(
            f"Dataset not found: {', '.join(str(args.data / d) for d in missing)}", file=sys.stderr
        )
        return 1
    pinned = pin_one_core()
    orders = args.orders or (1 if args.quick else DEFAULT_ORDERS)
    if orders < 1:
        parser.error("--orders must be at least 1")
    items = load_items(args.data, quick=args.quick)
    seeds = [args.seed + k for k in range(orders)]
    per_order: list[list[list[Any]]] = []
    start = time.perf_counter()
    for seed in seeds:
        order = list(items)
        random.Random(seed).shuffle(order)
        got = asyncio.run(assign([it.path for it in order]))
        per_order.append(score_rows(items, got))
    seconds = time.perf_counter() - start
    rows = mean_rows(per_order)
    rejected = len(got.rejected)
    shown = f"one shuffled order (seed {seeds[0]})"
    if orders > 1:
        shown = f"{orders} shuffled orders (seeds {seeds[0]}-{seeds[-1]}), the mean of each"
    print(
        f"\nStory grouping, B-cubed; {len(items)} files ingested together in {shown}, "
        f"{seconds:.1f} s ({pinned}); {rejected} rejected (empty files, left out of the scores), "
        f"{len(got.duplicate_of)} duplicates (scored in their original's story)"
    )
    print(
        table(
            ["set", "grouping", "articles", "gold stories", "stories", "precision", "recall",
             "F1"],
            [[*r[:4], round(r[4]), *(f"{x:.3f}" for x in r[5:])] for r in rows],
        )
    )  # fmt: skip
    if orders > 1:
        print("\nbriefbot F1 in each order")
        print(
            table(
                ["set", *(f"seed {s}" for s in seeds), "min", "max"],
                [
                    [group, *(f"{f:.3f}" for f in (*fs, min(fs), max(fs)))]
                    for group, fs in briefbot_f1(per_order).items()
                ],
            )
        )

    checks: list[dict[str, Any]] = []
    bbc_root = args.data / "bbc-news-summary-dev" / "News Articles"
    if SEEDS.is_dir() and bbc_root.is_dir():
        orders = [True] if args.quick else [True, False]
        checks = [asyncio.run(seeds_and_bbc(args.data, seeds_first=o)) for o in orders]
        print("\nSeeds + 300 BBC articles in one store (the seeds are one story, BBC stays apart)")
        print(
            table(
                ["order", "articles", "stories", "seed stories", "seeds in it", "BBC in it",
                 "BBC stories", "largest BBC story", "verdict"],
                [[c["order"], c["articles"], c["stories"], c["seed_stories"],
                  c["seeds_in_story"], c["bbc_in_seed_story"], c["bbc_stories"],
                  c["largest_bbc_story"], verdict(c["pass"])] for c in checks],
            )
        )  # fmt: skip
    else:
        print("\nseeds + BBC check skipped: ../shared/seeds or the BBC set is absent")

    duc_f1 = next(r[7] for r in rows if r[0] == "DUC 2004" and r[1] == "briefbot")
    target_rows = [
        [
            f"DUC 2004 B-cubed F1 >= {TARGET_DUC_F1}",
            f"{duc_f1:.3f}",
            verdict(duc_f1 >= TARGET_DUC_F1),
        ]
    ]
    if checks:
        ok = all(c["pass"] for c in checks)
        target_rows.append(["seeds one story, BBC apart, no giant BBC story", "", verdict(ok)])
    print()
    print(table(["target", "measured", "verdict"], target_rows))
    if args.quick:
        print("(quick mode: every second DUC cluster; the target is for all 50)")
    write_json(
        args.json,
        {
            "benchmark": "stories",
            "quick": args.quick,
            "seed": args.seed,
            "orders": seeds,
            "briefbot_f1_per_order": briefbot_f1(per_order),
            "seconds": round(seconds, 2),
            "rejected": rejected,
            "rows": [
                dict(
                    zip(
                        ("set", "grouping", "articles", "gold_stories", "stories", "precision",
                         "recall", "f1"),
                        r,
                        strict=True,
                    )
                )
                for r in rows
            ],
            "seeds_and_bbc": checks,
            "targets": {"duc2004_f1": {"target": TARGET_DUC_F1, "f1": duc_f1}},
        },
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
