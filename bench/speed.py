"""Summariser speed on big stories: briefbot vs our vectorised LexRank/TextRank vs sumy's.

Usage::

    python bench/speed.py [--sizes 1000,3000,6000] [--cap-seconds S] [--json PATH] [--quick]
                          [--repeat R] [--data DIR]

A synthetic story of N sentences is built from the BBC dev articles in a fixed order (files
sorted by category and name, sentences in article order; each article is one source, dated one
hour after the previous one) until N sentences are reached. Timed, one core (the process and its
children are pinned to CPU 0 with ``os.sched_setaffinity`` where the OS has it):

* ``briefbot``: ``summarize_candidates(..., words=100)`` with stems precomputed (as the store
  keeps them), and again from raw text ("+stems": sentence stems computed inside, caches cold);
* ``lexrank`` / ``textrank``: our vectorised ranking (``summaries._rank``), tokenizing and
  stemming included, caches cold;
* ``sumy lexrank`` / ``sumy textrank``: sumy's own summarizer on the same sentences, with our
  offline tokenizer, in a subprocess killed at ``--cap-seconds`` (reported as "> S").

Each of ours is the best of ``--repeat`` runs; sumy runs once. Ratios are sumy time / our time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from summaries import summarize as summarize_module  # noqa: E402
from summaries import text as text_module  # noqa: E402
from summaries.summarize import Candidate, summarize_candidates, vectorised_ranking  # noqa: E402
from summaries.text import content_stems, split_sentences  # noqa: E402

DEFAULT_DATA = ROOT / ".." / "shared" / "datasets"
DATASET = "bbc-news-summary-dev"
CATEGORIES = ("business", "entertainment", "politics", "sport", "tech")

_CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
from summaries.summarize import sumy_ranking
sentences = json.load(open({path!r}))
start = time.perf_counter()
sumy_ranking(sentences, {algorithm!r})
print(time.perf_counter() - start)
"""


@dataclass(frozen=True)
class Row:
    """Seconds for one story size (None: sumy ran past the cap)."""

    sentences: int
    briefbot: float
    briefbot_with_stems: float
    lexrank: float
    textrank: float
    sumy_lexrank: float | None
    sumy_textrank: float | None


def pin_one_core() -> str:
    """Pin this process (and children started later) to CPU 0; say what happened."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
        return "pinned to CPU 0"
    return "not pinned (no sched_setaffinity here)"


def story(root: Path, size: int) -> list[Candidate]:
    """The first ``size`` sentences of the BBC articles as a story, one article per source."""
    out: list[Candidate] = []
    start = datetime(2005, 1, 1, tzinfo=UTC)
    doc = 0
    for category in CATEGORIES:
        for path in sorted((root / "News Articles" / category).glob("*.txt")):
            text = path.read_text(encoding="latin-1")
            body = text.split("\n", 1)[1] if "\n" in text else ""
            when = start + timedelta(hours=doc)
            for position, sentence in enumerate(split_sentences(body)):
                out.append(Candidate(len(out), sentence, doc, position, when, None))
                if len(out) == size:
                    return out
            doc += 1
    return out


def _clear_caches() -> None:
    text_module.stem.cache_clear()
    summarize_module._sumy_stem.cache_clear()


def best_of(repeat: int, run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        _clear_caches()
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def sumy_seconds(sentences: list[str], algorithm: str, cap: float) -> float | None:
    """sumy's time in a child process, or None when it ran past the cap."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(sentences, handle)
        path = handle.name
    try:
        code = _CHILD.format(root=str(ROOT), path=path, algorithm=algorithm)
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=cap + 30
        )
        # The cap is on sumy's own time; the margin above only covers interpreter start-up.
        seconds = float(done.stdout.strip().splitlines()[-1])
        return seconds if seconds <= cap else None
    except subprocess.TimeoutExpired:
        return None
    finally:
        os.unlink(path)


def _cell(seconds: float | None, cap: float) -> str:
    return f"{seconds:9.3f}" if seconds is not None else f"{'> ' + format(cap, 'g'):>9}"


def _ratio(theirs: float | None, ours: float, cap: float) -> str:
    if theirs is None:
        return f"{'> ' + format(cap / ours, '.0f') + 'x':>9}"
    return f"{format(theirs / ours, '.0f') + 'x':>9}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,3000,6000")
    parser.add_argument("--cap-seconds", type=float, default=120.0)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--quick", action="store_true", help="sizes 200,500,1000, cap 15 s")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    root = args.data / DATASET
    if not root.is_dir():
        print(f"Dataset not found: {root}", file=sys.stderr)
        return 1
    sizes = [200, 500, 1000] if args.quick else [int(s) for s in args.sizes.split(",") if s]
    cap = 15.0 if args.quick else args.cap_seconds
    pinned = pin_one_core()

    rows: list[Row] = []
    for size in sizes:
        raw = story(root, size)
        cached = [
            Candidate(c.key, c.text, c.doc, c.position, c.when, tuple(content_stems(c.text)))
            for c in raw
        ]
        texts = [c.text for c in raw]
        row = Row(
            sentences=len(raw),
            briefbot=best_of(args.repeat, partial(summarize_candidates, cached, words=100)),
            briefbot_with_stems=best_of(args.repeat, partial(summarize_candidates, raw, words=100)),
            lexrank=best_of(args.repeat, partial(vectorised_ranking, texts, "lexrank")),
            textrank=best_of(args.repeat, partial(vectorised_ranking, texts, "textrank")),
            sumy_lexrank=sumy_seconds(texts, "lexrank", cap),
            sumy_textrank=sumy_seconds(texts, "textrank", cap),
        )
        rows.append(row)
        print(f"... {row.sentences} sentences done", file=sys.stderr, flush=True)

    print(f"Seconds per summary of a story, one core ({pinned}); sumy capped at {cap:g} s")
    print(
        f"{'sentences':>9} {'briefbot':>9} {'+stems':>9} {'lexrank':>9} {'textrank':>9}"
        f" {'sumy LR':>9} {'sumy TR':>9} {'LR gain':>9} {'TR gain':>9} {'sumyLR/bb':>9}"
    )
    for r in rows:
        print(
            f"{r.sentences:>9} {r.briefbot:9.3f} {r.briefbot_with_stems:9.3f}"
            f" {r.lexrank:9.3f} {r.textrank:9.3f}"
            f" {_cell(r.sumy_lexrank, cap)} {_cell(r.sumy_textrank, cap)}"
            f" {_ratio(r.sumy_lexrank, r.lexrank, cap)}"
            f" {_ratio(r.sumy_textrank, r.textrank, cap)}"
            f" {_ratio(r.sumy_lexrank, r.briefbot, cap)}"
        )
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {"pinned": pinned, "cap_seconds": cap, "rows": [asdict(r) for r in rows]},
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
