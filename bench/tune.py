"""Grid search of the single-text "briefbot" weights on chosen BBC categories (ROUGE F1 x100).

Usage::

    python bench/tune.py [--categories business,tech] [--grid JSON]

The shipped ``TEXT_TUNING`` came from grids like the default below, run on business and tech
only (politics, sport and entertainment stay held out; ``bench/quality.py`` reports them).
Each line printed is one setting and its mean ROUGE-1/2/L F1.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.quality import DATASET, DEFAULT_DATA, load
from bench.rouge import score
from summaries import summarize as S
from summaries.text import content_stems, split_sentences

DEFAULT_GRID = {
    "repeat_weight": [12.0, 50.0, 200.0],
    "unigram_weight": [3.0, 10.0],
    "length_power": [0.2, 0.3, 0.5],
    "covered_weight": [0.5, 1.0],
    "lead_bonus": [0.0, 0.15],
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--categories", default="business,tech")
    parser.add_argument("--grid", default=json.dumps(DEFAULT_GRID))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    items = load(args.data / DATASET, tuple(args.categories.split(",")))
    prepared = []
    for item in items:
        sentences = split_sentences(item.body)
        stems = [content_stems(s) for s in sentences]
        prepared.append((sentences, S._prepare(sentences, stems, unigrams=True)))
    grid: dict[str, list[float]] = json.loads(args.grid)
    for values in itertools.product(*grid.values()):
        setting: dict[str, Any] = dict(zip(grid, values, strict=True))
        tuning = dataclasses.replace(S.TEXT_TUNING, **setting)
        totals = [0.0, 0.0, 0.0]
        for item, (sentences, prep) in zip(items, prepared, strict=True):
            chosen = S._select(
                prep,
                [0] * len(sentences),
                list(range(len(sentences))),
                words_budget=item.budget,
                sentences_budget=None,
                tuning=tuning,
            )
            result = score(" ".join(sentences[i] for i in sorted(chosen)), item.reference)
            totals[0] += result.rouge1
            totals[1] += result.rouge2
            totals[2] += result.rougeL
        means = "/".join(f"{100 * t / len(items):.2f}" for t in totals)
        print(setting, means, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
