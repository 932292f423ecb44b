"""Each hand-written rule of story summaries and of what is new switched off in turn.

Used by ``bench/multidoc.py --ablate``: every row is one rule off, scored on DUC 2004 (R-2,
100 words), DUC 2006 (R-2 jackknifed, 250 words, generic), the update proxy (novel R-2,
`bench/update_proxy.py`) and the seed story (which seed behaviours of tests/bot/test_cli.py
still hold: the January trip, the White House / ballistic missile allegations and the
hypersonic test in what is new, nothing from the briefed article again, nothing new after a
second briefing).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import summaries.summarize as summarize_module
from bench.rouge155 import Counts, jackknife, mean_scores, recall
from bench.update_proxy import UpdateSet, briefbot_update, score
from summaries import novelty
from summaries.novelty import UPDATE, UpdateRules
from summaries.summarize import COVERAGE, CoverageRules, summarize_candidates

SEEDS = Path(__file__).resolve().parents[1] / ".." / "shared" / "seeds"


@dataclass(frozen=True)
class Ablation:
    name: str
    coverage: CoverageRules = COVERAGE
    update: UpdateRules | None = None


def ablations() -> list[Ablation]:
    c, u = COVERAGE, UPDATE
    return [
        Ablation("all rules (as shipped)"),
        Ablation("summary: no document threshold", replace(c, doc_share=0.0, min_docs=1)),
        Ablation("summary: no lead weighting", replace(c, lead_weight=0.0)),
        Ablation("summary: no rare-concept fill", replace(c, rare_weight=0.0)),
        Ablation("summary: no minimum length (8)", replace(c, min_words=1)),
        Ablation("summary: adjacent sentences allowed", replace(c, no_adjacent=False)),
        Ablation("summary: no restatement ban", replace(c, restatements=False)),
        Ablation("summary: no name respelling", replace(c, respell=False)),
        Ablation("summary: no quotable filter", replace(c, quotable=False)),
        Ablation("new: no unseen-units rule", update=replace(u, min_novel=0)),
        Ablation("new: no name respelling", update=replace(u, respell=False)),
        Ablation("new: no hyphen compounds", update=replace(u, compounds=False)),
        Ablation("new: no restatement ban", update=replace(u, restatements=False)),
        Ablation("new: no commentary prior", update=replace(u, commentary=1.0)),
        Ablation("new: no background prior", update=replace(u, background=1.0)),
        Ablation("new: no leans-on-context prior", update=replace(u, context=1.0)),
    ]


def seed_checks(ablation: Ablation) -> dict[str, bool] | None:
    """The seed behaviours with this ablation in force (None when the seeds are absent)."""
    if not SEEDS.is_dir() or len(list(SEEDS.glob("*.txt"))) < 5:
        return None
    from bot.cli import main  # the CLI as the seed tests run it

    def run(db: Path, *args: str | Path) -> str:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            main(["--db", str(db), *[str(a) for a in args]])
        return out.getvalue()

    saved_cov, saved_upd = summarize_module.COVERAGE, novelty.select_update.__kwdefaults__["rules"]
    summarize_module.COVERAGE = ablation.coverage
    novelty.select_update.__kwdefaults__["rules"] = ablation.update or replace(
        UPDATE, coverage=ablation.coverage
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "seeds.db"
            [first] = sorted(SEEDS.glob("001_*.txt"))
            run(db, "ingest", first)
            run(db, "brief", "--audience", "A")
            run(db, "ingest", SEEDS)
            data = json.loads(run(db, "whatsnew", "--audience", "A", "--json"))
            new = [item for s in data["stories"] for item in s["new"]]
            texts = [i["text"] for i in new]
            first_id = 1
            run(db, "brief", "--audience", "A")
            again = json.loads(run(db, "whatsnew", "--audience", "A", "--json"))
    finally:
        summarize_module.COVERAGE = saved_cov
        novelty.select_update.__kwdefaults__["rules"] = saved_upd
    return {
        "january trip": any(
            re.search(r"\b(Choe|Choi)\b", t) and re.search(r"\b(Russia|Moscow)\b", t) for t in texts
        ),
        "White House / missiles": any(
            re.search(r"ballistic missile|White House", t) for t in texts
        ),
        "hypersonic test": any("hypersonic" in t for t in texts)
        and sum(len(t.split()) for t in texts) <= 250,
        "nothing shown twice": bool(new) and all(i["article_id"] != first_id for i in new),
        "nothing new after": again["stories"] == [],
    }


def run_ablations(
    topics04: Sequence[Any], topics06: Sequence[Any], tasks: Sequence[UpdateSet],
    candidates: Callable[[Any], list[Any]], progress: Callable[[str], None],
) -> list[dict[str, Any]]:  # fmt: skip
    """Score every ablation (see the module docstring)."""
    rows: list[dict[str, Any]] = []
    for ablation in ablations():

        def summarize(topic: Any, words: int, ab: Ablation = ablation) -> str:
            cands = candidates(topic)
            picked = summarize_candidates(cands, words=words, rules=ab.coverage)
            return "\n".join(x.text for x in picked)

        r04 = mean_scores([
            recall(Counts.of(summarize(t, 100), word_limit=100),
                   [Counts.of(m) for _, m in sorted(t.models.items())])
            for t in topics04
        ])["r2"]  # fmt: skip
        r06 = mean_scores([
            jackknife(Counts.of(summarize(t, 250), word_limit=250),
                      [Counts.of(m) for _, m in sorted(t.models.items())])
            for t in topics06
        ])["r2"]  # fmt: skip
        update = ablation.update or replace(UPDATE, coverage=ablation.coverage)
        upd = score(ablation.name, briefbot_update(update), tasks)
        seeds = seed_checks(ablation)
        rows.append({
            "rule off": ablation.name, "duc2004_r2": r04, "duc2006_r2": r06,
            "update_novel_r2": upd.novel["r2"], "seeds": seeds,
        })  # fmt: skip
        progress(
            f"... ablation {ablation.name}: {100 * r04:.2f} {100 * r06:.2f} {100 * upd.novel['r2']:.2f}"
        )
    return rows


def ablation_table(rows: Sequence[dict[str, Any]]) -> str:
    base = rows[0]
    lines = [
        f"{'rule switched off':<40} {'DUC04 R-2':>9} {'DUC06 R-2':>9} {'update':>7}  seed behaviours lost"
    ]
    for r in rows:

        def cell(key: str, r: dict[str, Any] = r) -> str:
            if r is base:
                return f"{100 * r[key]:9.2f}"
            return f"{100 * (r[key] - base[key]):+9.2f}"

        seeds = r["seeds"]
        lost = (
            "n/a (no seeds)"
            if seeds is None
            else ", ".join(k for k, ok in seeds.items() if not ok) or "none"
        )
        lines.append(
            f"{r['rule off']:<40} {cell('duc2004_r2')} {cell('duc2006_r2')} "
            f"{cell('update_novel_r2')[2:]:>7}  {lost}"
        )
    return "\n".join(lines)
