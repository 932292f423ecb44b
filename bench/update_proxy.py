"""An update-summary proxy on DUC 2006 (the DUC 2007 update data is held out; not comparable).

Each DUC 2006 topic's 25 articles are put in order by their <DATE_TIME> (then file name) and
split like DUC 2007's update sets: A = the first 10, B = the next 8, C = the last 7. With A
shown, B is summarized in 100 words; with A and B shown, C is.

What a good update says is what the human summaries of the topic say that the shown articles
did not: the score ("novel R-2") is ROUGE-2 recall (ROUGE-1.5.5 tokens and stems, `-f A`
pooling over the four references, no jackknifing) against the references restricted to the
bigrams that occur in the new set's articles and in none of the shown ones. Restating A earns
nothing; the most a summary can reach is what the new articles can give. Plain R-2 against
the whole references is shown beside it. The human summaries were written for the whole
topic (250 words, with a topic statement), so these figures are a proxy for this benchmark's
purpose only, not comparable to DUC 2007 update numbers.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench import greedy_update
from bench.rouge155 import Counts, mean_scores, recall
from summaries.novelty import UPDATE, UpdateRules, select_update
from summaries.summarize import Candidate, summarize_candidates
from summaries.text import content_stems

SPLIT = (10, 8, 7)
WORDS = 100


@dataclass
class UpdateSet:
    """One update task: shown sentences, new sentences, and the references restricted."""

    id: str
    shown: list[Candidate]
    fresh: list[Candidate]
    novel_models: list[Counts]
    models: list[Counts]


def _sentences(docs: Sequence[Any], first_key: int, first_doc: int) -> list[Candidate]:
    out: list[Candidate] = []
    for d, doc in enumerate(docs):
        for p, sentence in enumerate(doc.sentences):
            out.append(
                Candidate(
                    key=first_key + len(out),
                    text=sentence,
                    doc=first_doc + d,
                    position=p,
                    when=doc.when,
                    stems=tuple(content_stems(sentence)),
                )
            )
    return out


def _restrict(counts: Counts, keep: Callable[[str, tuple[str, ...]], bool]) -> Counts:
    def only(metric: str, c: Counter[tuple[str, ...]]) -> Counter[tuple[str, ...]]:
        return Counter({g: k for g, k in c.items() if keep(metric, g)})

    return Counts(only("r1", counts.r1), only("r2", counts.r2), only("su4", counts.su4))


def update_sets(topics: Sequence[Any]) -> list[UpdateSet]:
    """Two update tasks per DUC 2006 topic: B given A, C given A and B."""
    out: list[UpdateSet] = []
    for topic in topics:
        docs = sorted(topic.docs, key=lambda d: (d.when is None, d.when, d.name))
        a, b = SPLIT[0], SPLIT[0] + SPLIT[1]
        parts = [docs[:a], docs[a:b], docs[b:]]
        models = [Counts.of(text) for _, text in sorted(topic.models.items())]
        for label, shown_docs, new_docs in (
            ("B", parts[0], parts[1]),
            ("C", parts[0] + parts[1], parts[2]),
        ):
            shown = _sentences(shown_docs, 0, 0)
            fresh = _sentences(new_docs, len(shown), len(shown_docs))
            seen = Counts.of("\n".join(c.text for c in shown))
            new = Counts.of("\n".join(c.text for c in fresh))

            def keep(
                metric: str, g: tuple[str, ...], seen: Counts = seen, new: Counts = new
            ) -> bool:
                return g in getattr(new, metric) and g not in getattr(seen, metric)

            out.append(
                UpdateSet(
                    f"{topic.id}-{label}",
                    shown,
                    fresh,
                    [_restrict(m, keep) for m in models],
                    models,
                )
            )
    return out


Updater = Callable[[UpdateSet], list[str]]


def briefbot_update(rules: UpdateRules = UPDATE) -> Updater:
    def run(task: UpdateSet) -> list[str]:
        return [c.text for c in select_update(task.fresh, task.shown, words=WORDS, rules=rules)]

    return run


def greedy_select_new(rules: greedy_update.UpdateRules | None = None) -> Updater:
    def run(task: UpdateSet) -> list[str]:
        known: set[str] = set()
        for c in task.shown:
            known |= greedy_update.known_units(c.stems or ())
        picked = greedy_update.select_new(
            task.fresh, known, words=WORDS, rules=rules, shown=task.shown
        )
        return [c.text for c in picked]

    return run


def generic(algorithm: str = "briefbot") -> Updater:
    def run(task: UpdateSet) -> list[str]:
        picked = summarize_candidates(task.fresh, words=WORDS, algorithm=algorithm)
        return [c.text for c in picked]

    return run


@dataclass
class UpdateRow:
    name: str
    novel: dict[str, float]
    plain: dict[str, float]
    by_set: dict[str, float]  # novel R-2 on B sets and on C sets
    seconds: float


def score(name: str, updater: Updater, tasks: Sequence[UpdateSet]) -> UpdateRow:
    start = time.perf_counter()
    novel: list[dict[str, float]] = []
    plain: list[dict[str, float]] = []
    for task in tasks:
        peer = Counts.of("\n".join(updater(task)), word_limit=WORDS)
        novel.append(recall(peer, task.novel_models))
        plain.append(recall(peer, task.models))
    by_set = {
        label: mean_scores([s for t, s in zip(tasks, novel, strict=True) if t.id.endswith(label)])[
            "r2"
        ]
        for label in ("B", "C")
    }
    return UpdateRow(
        name, mean_scores(novel), mean_scores(plain), by_set, time.perf_counter() - start
    )


def table(rows: Sequence[UpdateRow]) -> str:
    lines = [
        f"{'system':<40} {'novel R-2':>9} {'on B':>6} {'on C':>6} {'novel SU4':>9} "
        f"{'plain R-2':>9} {'seconds':>8}"
    ]
    for r in sorted(rows, key=lambda r: -r.novel["r2"]):
        lines.append(
            f"{r.name:<40} {100 * r.novel['r2']:9.2f} {100 * r.by_set['B']:6.2f} "
            f"{100 * r.by_set['C']:6.2f} {100 * r.novel['su4']:9.2f} {100 * r.plain['r2']:9.2f} "
            f"{r.seconds:8.1f}"
        )
    return "\n".join(lines)


def standard_rows(tasks: Sequence[UpdateSet]) -> list[UpdateRow]:
    """briefbot's update, the old greedy, and generic summaries of the new set alone."""
    return [
        score("briefbot update (select_update)", briefbot_update(), tasks),
        score("old greedy select_new", greedy_select_new(), tasks),
        score("generic briefbot summary of new set", generic("briefbot"), tasks),
        score("Lead of new set", generic("lead"), tasks),
        score("sumy lexrank of new set", generic("lexrank"), tasks),
    ]
