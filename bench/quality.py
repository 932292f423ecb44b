"""Summary quality on the BBC News Summary dev split: ROUGE-1/2/L F1 for every algorithm.

Usage::

    python bench/quality.py [--limit N] [--json PATH] [--quick] [--cap-seconds S]
                            [--algorithms a,b,...] [--categories c,d,...] [--data DIR]

Each article (headline = first line, left out) is summarised with the reference summary's word
budget (words counted by ``summaries.summarize.word_count``; the reference joins sentences
without a space, which that count handles). Every algorithm uses the same sentence splitter,
tokenizer and budget rule; sumy's algorithms are sumy's own code (articles are far below the
size where LexRank/TextRank switch to the vectorised path). ROUGE is ``bench/rouge.py``
(rouge-score's tokenizer with the Porter stemmer; ``rougeL`` over the whole summary).

Articles are taken round-robin across the five categories (file order within each), so
``--limit`` and time caps keep a balanced sample. An algorithm that exceeds ``--cap-seconds``
stops early; its row says on how many articles it ran, and a "briefbot (same articles)" row is
added for a like-for-like comparison. The briefbot defaults were tuned on business and tech
only; the per-category ROUGE-2 table shows the held-out categories separately.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.rouge import Scores, score
from summaries.summarize import ALGORITHMS, summarize_text, word_count

log = logging.getLogger(__name__)

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets"
DATASET = "bbc-news-summary-dev"
CATEGORIES = ("business", "tech", "politics", "sport", "entertainment")
TUNED_ON = ("business", "tech")
QUICK_LIMIT = 150


@dataclass(frozen=True)
class Item:
    """One article with its reference summary."""

    category: str
    name: str
    body: str
    reference: str
    budget: int


def load(root: Path, categories: tuple[str, ...] = CATEGORIES) -> list[Item]:
    """Articles and references, round-robin across categories (Latin-1 files)."""
    per_category: list[list[Item]] = []
    for category in categories:
        items: list[Item] = []
        for path in sorted((root / "News Articles" / category).glob("*.txt")):
            text = path.read_text(encoding="latin-1")
            body = text.split("\n", 1)[1] if "\n" in text else ""
            reference = (root / "Summaries" / category / path.name).read_text(encoding="latin-1")
            budget = word_count(reference)
            if body.strip() and budget > 0:
                items.append(Item(category, path.name, body, reference, budget))
        per_category.append(items)
    out: list[Item] = []
    for i in range(max((len(c) for c in per_category), default=0)):
        out.extend(c[i] for c in per_category if i < len(c))
    return out


@dataclass
class Result:
    """Scores of one algorithm over the articles it ran on."""

    algorithm: str
    scores: list[tuple[str, Scores]]  # (category, scores) per article, in item order
    seconds: float
    capped: bool

    def mean(self, category: str | None = None) -> tuple[float, float, float]:
        rows = [s for c, s in self.scores if category is None or c == category]
        if not rows:
            return (float("nan"),) * 3
        n = len(rows)
        return (
            sum(s.rouge1 for s in rows) / n,
            sum(s.rouge2 for s in rows) / n,
            sum(s.rougeL for s in rows) / n,
        )


def evaluate(algorithm: str, items: list[Item], cap_seconds: float | None) -> Result:
    """Summarise and score each item until done or out of time."""
    start = time.perf_counter()
    scores: list[tuple[str, Scores]] = []
    capped = False
    for item in items:
        if cap_seconds is not None and time.perf_counter() - start > cap_seconds:
            capped = True
            break
        summary = summarize_text(item.body, words=item.budget, algorithm=algorithm)
        scores.append((item.category, score(" ".join(summary), item.reference)))
    return Result(algorithm, scores, time.perf_counter() - start, capped)


def _fmt(value: float) -> str:
    return f"{100 * value:6.2f}"


def render(results: list[Result], items: list[Item], categories: tuple[str, ...]) -> str:
    lines = [
        f"ROUGE F1 x100 on {DATASET} ({len(items)} articles, reference word budget)",
        f"{'algorithm':<28} {'articles':>8} {'R-1':>6} {'R-2':>6} {'R-L':>6} {'seconds':>8}",
    ]
    for r in results:
        r1, r2, rl = r.mean()
        note = " (capped)" if r.capped else ""
        label = r.algorithm + (" (default)" if r.algorithm == "briefbot" else "")
        lines.append(
            f"{label:<28} {len(r.scores):>8} {_fmt(r1)} {_fmt(r2)} {_fmt(rl)} {r.seconds:8.1f}{note}"
        )
    capped = [r for r in results if r.capped]
    ours = next((r for r in results if r.algorithm == "briefbot"), None)
    if ours is not None:
        for r in capped:
            same = Result("briefbot", ours.scores[: len(r.scores)], 0.0, False)
            r1, r2, rl = same.mean()
            label = f"briefbot (same {len(r.scores)} as {r.algorithm})"
            lines.append(f"{label:<28} {len(r.scores):>8} {_fmt(r1)} {_fmt(r2)} {_fmt(rl)}")
    lines.append("")
    header = " ".join(f"{(c + ('*' if c in TUNED_ON else ''))[:13]:>13}" for c in categories)
    held_out = [c for c in categories if c not in TUNED_ON]
    lines.append("ROUGE-2 F1 x100 by category (* = categories the defaults were tuned on)")
    lines.append(f"{'algorithm':<28} {header} {'held-out R-1/R-2/R-L':>22}")
    for r in results:
        cells = " ".join(f"{100 * r.mean(c)[1]:13.2f}" for c in categories)
        rows = [s for c, s in r.scores if c in held_out]
        if rows:
            held = Result(r.algorithm, [("", s) for s in rows], 0.0, False).mean()
            cells += " " + f"{'/'.join(f'{100 * v:.2f}' for v in held):>22}"
        lines.append(f"{r.algorithm:<28} {cells}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N articles")
    parser.add_argument("--json", type=Path, default=None, help="also write results as JSON")
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_LIMIT} articles, 10 s cap per algorithm"
    )
    parser.add_argument(
        "--cap-seconds", type=float, default=300.0, help="time cap per algorithm (default 300)"
    )
    parser.add_argument("--algorithms", default=",".join(ALGORITHMS))
    parser.add_argument("--categories", default=",".join(CATEGORIES))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="datasets directory")
    args = parser.parse_args(argv)

    root = args.data / DATASET
    if not root.is_dir():
        print(f"Dataset not found: {root}", file=sys.stderr)
        return 1
    categories = tuple(c for c in args.categories.split(",") if c)
    items = load(root, categories)
    limit = args.limit if args.limit is not None else (QUICK_LIMIT if args.quick else None)
    if limit is not None:
        items = items[:limit]
    cap = 10.0 if args.quick else args.cap_seconds
    algorithms = [a for a in args.algorithms.split(",") if a]
    # briefbot first, so capped rows can be compared on the same articles.
    algorithms.sort(key=lambda a: a != "briefbot")
    results = [evaluate(a, items, cap) for a in algorithms]
    print(render(results, items, categories))
    if args.json is not None:
        payload = {
            "dataset": DATASET,
            "articles": len(items),
            "cpu_count": os.cpu_count(),
            "metric": "ROUGE F1, rouge-score tokenizer with Porter stemmer, rougeL summary-level",
            "tuned_on": list(TUNED_ON),
            "results": [
                {
                    "algorithm": r.algorithm,
                    "articles": len(r.scores),
                    "capped": r.capped,
                    "seconds": round(r.seconds, 3),
                    "rouge1": r.mean()[0],
                    "rouge2": r.mean()[1],
                    "rougeL": r.mean()[2],
                    "by_category": {
                        c: dict(zip(("rouge1", "rouge2", "rougeL"), r.mean(c), strict=True))
                        for c in categories
                    },
                }
                for r in results
            ],
        }
        args.json.write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
