"""Multi-document summaries on DUC 2004 and DUC 2006: ROUGE recall as NIST computes it.

Usage::

    python bench/multidoc.py [--quick] [--json PATH] [--algorithms a,b,...]
                             [--cap-seconds S] [--data DIR] [--update] [--ablate] [--topic]

ROUGE is ``bench/rouge155.py`` (ROUGE-1.5.5 conventions: ``-m`` Porter stems with WordNet's
irregular forms, stopwords kept, ``-f A``; ROUGE-1, ROUGE-2 and ROUGE-SU4 recall). First the
implementation is checked: every DUC 2006 participant's own summaries are scored, jackknifed
over the four human summaries as NIST ran ROUGE (``rouge/rougejk.in``: ``-n 4 -w 1.2 -m -2 4
-u -c 95 -r 1000 -f A -p 0.5 -t 0 -a -d``), and compared with NIST's ``rouge2.jk.m.avg`` and
``rougeSU4.jk.m.avg`` (target: within 0.002). Then:

* DUC 2006 (50 topics x 25 articles, 250 words): briefbot, Lead and every sumy algorithm
  next to every participant, jackknifed like them, ranked by ROUGE-2. Generic summaries: no
  topic statement is used.
* DUC 2004 task 2 (50 clusters x 10 articles, 100 words, ``-l 100``, all four references, as
  Hong et al., LREC 2014 scored the systems whose published figures are shown beside).

* ``--update``: an update-summary proxy on DUC 2006 (``bench/update_proxy.py``: articles split
  by date into A/B/C, B summarized with A shown, C with A and B shown; scored against the
  references' bigrams that the shown articles lack). A proxy only, not comparable to DUC 2007.
* ``--ablate``: each hand-written rule switched off in turn (``bench/ablate.py``), scored on
  DUC 2004, DUC 2006, the update proxy and the seed story's behaviours.

* ``--topic``: a further DUC 2006 row, briefbot given each topic's narrative as the question
  (``summarize_candidates(topic=...)``), reported apart from the generic rows: the
  participants had the narrative, the generic rows do not.

Articles go through briefbot's own ingest cleaning (``summaries.ingest.clean.clean_text``:
wire datelines such as "NEW YORK (AP) --" become metadata, SGML entities are decoded or
dropped) and sentence splitter, as stored articles do.

Development was done on DUC 2004; DUC 2006 is the check that the result holds.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from queue import Empty
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ablate import ablation_table, run_ablations
from bench.rouge155 import EXCEPTIONS_LOADED, Counts, jackknife, mean_scores, recall
from bench.update_proxy import SPLIT, standard_rows, update_sets
from bench.update_proxy import WORDS as UPDATE_WORDS
from bench.update_proxy import table as update_table
from summaries.ingest.clean import clean_text
from summaries.summarize import ALGORITHMS, Candidate, summarize_candidates
from summaries.text import split_sentences

log = logging.getLogger(__name__)

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets"
DUC2004 = "duc2004-task2"
DUC2006 = "duc2006"
# R-2 recall x 100 on DUC 2004 task 2, Hong et al., LREC 2014 (100 words, ROUGE-1.5.5 -m).
PUBLISHED_2004 = {
    "LexRank": 7.47,
    "GreedyKL": 8.53,
    "CLASSY04": 8.96,
    "DPP": 9.62,
    "ICSISumm": 9.78,
}
TARGET_2004 = 0.100
NIST_TOLERANCE = 0.002
QUICK_TOPICS = 10
KL_TOPIC_SECONDS = 20.0  # sumy's KL per topic (it takes minutes on DUC 2006 topics)


# --------------------------------------------------------------------------------------------
# Loading


@dataclass(frozen=True)
class Doc:
    """One article: its id, date (None when the collection has none) and sentences."""

    name: str
    when: datetime | None
    sentences: tuple[str, ...]


@dataclass
class Topic:
    """One document set with its human summaries (and, for DUC 2006, participants' ones)."""

    id: str
    docs: list[Doc]
    models: dict[str, str]  # assessor -> summary text
    peers: dict[str, str] = field(default_factory=dict)  # participant -> summary text
    narrative: str = ""


_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _decode(text: str) -> str:
    """SGML entities of a headline decoded or dropped (article text goes through ingest)."""
    return _ENTITY.sub(lambda m: _ENTITIES.get(m.group(1).lower(), " "), text)


def _article_sentences(paragraphs: Sequence[str], headline: str | None) -> tuple[str, ...]:
    """Sentences of an article as briefbot stores them: ingest cleaning, then splitting."""
    paragraphs = [" ".join(p.split()) for p in paragraphs]
    paragraphs = [p for p in paragraphs if p]
    # ingest cleaning removes wire datelines ("NEW YORK (AP) --") and SGML entities itself
    cleaned = clean_text("\n\n".join(paragraphs), title_hint=headline or None)
    return tuple(split_sentences(cleaned.text))


def load_duc2004(root: Path) -> list[Topic]:
    """DUC 2004 task 2: clusters of ten undated articles, four 100-word references."""
    topics: list[Topic] = []
    for folder in sorted(p for p in (root / "docs").iterdir() if p.is_dir()):
        docs = []
        files = [p for p in folder.iterdir() if re.fullmatch(r"C\d+", p.name)]
        for path in sorted(files, key=lambda p: int(p.name[1:])):
            text = path.read_text(encoding="latin-1")
            docs.append(Doc(path.name, None, _article_sentences(text.split("\n"), None)))
        refs = {
            p.name.rsplit(".", 1)[-1]: p.read_text(encoding="latin-1")
            for p in sorted((root / "refs" / folder.name).iterdir())
            if ".M." in p.name
        }
        topics.append(Topic(folder.name, docs, refs))
    return topics


def _tag(raw: str, tag: str) -> str:
    m = re.search(f"<{tag}>(.*?)</{tag}>", raw, re.S)
    return m.group(1) if m else ""


_P = re.compile(r"<P>(.*?)</P>", re.S)


def _parse_when(value: str) -> datetime | None:
    value = value.strip()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _duc2006_doc(path: Path) -> Doc:
    raw = path.read_text(encoding="latin-1")
    body = _tag(raw, "TEXT")
    paragraphs = _P.findall(body)
    if not paragraphs:  # no <P>: an indented line starts a paragraph
        paragraphs = re.split(r"\n(?=[ \t]{2,}|\t)", body)
    headline = " ".join(_decode(_tag(raw, "HEADLINE")).split())
    when = _parse_when(_tag(raw, "DATE_TIME"))
    if when is None and (day := re.search(r"(19|20)\d{6}", path.name)):  # APW19990707.0181
        when = datetime.strptime(day.group(0), "%Y%m%d").replace(tzinfo=UTC)
    return Doc(path.name, when, _article_sentences(paragraphs, headline))


def load_duc2006(root: Path, *, with_peers: bool = True) -> list[Topic]:
    """DUC 2006: 50 topics of 25 dated articles, four 250-word references, 35 participants."""
    narratives = {
        m.group(1).strip(): " ".join(m.group(3).split())
        for m in re.finditer(
            r"<num>(.*?)</num>\s*<title>(.*?)</title>\s*<narr>(.*?)</narr>",
            (root / "topics.sgml").read_text(encoding="latin-1"),
            re.S,
        )
    }
    models: dict[str, dict[str, str]] = {}
    for p in sorted(p for p in (root / "rouge" / "models").iterdir() if ".M." in p.name):
        models.setdefault(p.name.split(".")[0], {})[p.name.rsplit(".", 1)[-1]] = p.read_text(
            encoding="latin-1"
        )
    peers: dict[str, dict[str, str]] = {}
    if with_peers:
        for p in sorted(p for p in (root / "rouge" / "peers").iterdir() if ".M." in p.name):
            peers.setdefault(p.name.split(".")[0], {})[p.name.rsplit(".", 1)[-1]] = p.read_text(
                encoding="latin-1"
            )
    topics: list[Topic] = []
    for folder in sorted(p for p in (root / "docs").iterdir() if p.is_dir()):
        key = folder.name[:5]  # D0601A -> D0601
        docs = [
            _duc2006_doc(p) for p in sorted(folder.iterdir()) if not p.name.startswith((".", "_"))
        ]
        topics.append(
            Topic(
                folder.name, docs, models[key], peers.get(key, {}), narratives.get(folder.name, "")
            )
        )
    return topics


def candidates(topic: Topic) -> list[Candidate]:
    """A topic's sentences as summary candidates (one article = one document)."""
    out: list[Candidate] = []
    for d, doc in enumerate(topic.docs):
        for p, sentence in enumerate(doc.sentences):
            out.append(Candidate(key=len(out), text=sentence, doc=d, position=p, when=doc.when))
    return out


# --------------------------------------------------------------------------------------------
# Systems


Summarizer = Callable[[Topic, int], list[str]]


def system(algorithm: str, **options: Any) -> Summarizer:
    """A summarizer of a topic to a word budget with one of briefbot's algorithms."""

    def run(topic: Topic, words: int) -> list[str]:
        picked = summarize_candidates(
            candidates(topic), words=words, algorithm=algorithm, **options
        )
        return [c.text for c in picked]

    return run


@dataclass
class Row:
    """Scores of one system over the topics it ran on."""

    name: str
    kind: str  # "briefbot", "baseline", "sumy", "participant", "human", "published"
    scores: dict[str, float]
    topics: int
    seconds: float = 0.0
    note: str = ""
    per_topic: list[dict[str, float]] = field(default_factory=list)


def evaluate(
    name: str,
    kind: str,
    summarize: Summarizer,
    topics: Sequence[Topic],
    *,
    words: int,
    jackknifed: bool,
    cap_seconds: float | None = None,
    topic_cap: float | None = None,
) -> Row:
    """Summarize every topic (until the time cap) and score it; with `topic_cap`, each topic
    runs in a child process stopped after that many seconds (the topic is left out)."""
    start = time.perf_counter()
    per_topic: list[dict[str, float]] = []
    over = 0
    for topic in topics:
        if cap_seconds is not None and time.perf_counter() - start > cap_seconds:
            break
        if topic_cap is not None:
            got = _capped(summarize, topic, words, topic_cap)
            if got is None:
                over += 1
                continue
            text = "\n".join(got)
        else:
            text = "\n".join(summarize(topic, words))
        if re.search(r"&[A-Za-z]+;", text):
            raise AssertionError(f"{name}: an SGML entity reached the summary of {topic.id}")
        peer = Counts.of(text, word_limit=words)
        models = [Counts.of(t) for _, t in sorted(topic.models.items())]
        per_topic.append(jackknife(peer, models) if jackknifed else recall(peer, models))
    seconds = time.perf_counter() - start
    note = (
        f"capped: {len(per_topic)} of {len(topics)} topics" if len(per_topic) < len(topics) else ""
    )
    if over:
        note += f" ({over} over the {topic_cap:g} s per-topic cap, left out)"
    return Row(name, kind, mean_scores(per_topic), len(per_topic), seconds, note, per_topic)


def _child(summarize: Summarizer, topic: Topic, words: int, out: Any) -> None:
    out.put(summarize(topic, words))


def _capped(summarize: Summarizer, topic: Topic, words: int, cap: float) -> list[str] | None:
    """`summarize(topic, words)` in a forked child, or None when it ran past `cap` seconds."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child, args=(summarize, topic, words, queue))
    child.start()
    try:
        result: list[str] = queue.get(timeout=cap)
    except Empty:
        child.kill()
        child.join()
        return None
    child.join()
    return result


def participants(topics: Sequence[Topic]) -> list[Row]:
    """Every DUC 2006 participant's (and human's) own summaries, jackknifed as NIST did."""
    scores: dict[str, list[dict[str, float]]] = {}
    for topic in topics:
        names = sorted(topic.models)
        models = [Counts.of(topic.models[n]) for n in names]
        for who, text in topic.peers.items():
            own = names.index(who) if who in names else None
            scores.setdefault(who, []).append(jackknife(Counts.of(text), models, is_model=own))
    return [
        Row(who, "human" if who.isalpha() else "participant", mean_scores(s), len(s), per_topic=s)
        for who, s in scores.items()
    ]


def nist_table(root: Path, name: str) -> dict[str, float]:
    """NIST's official scores: peer id -> average recall."""
    path = root / "rouge" / name
    out: dict[str, float] = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2:
            out[parts[0]] = float(parts[1])
    return out


# --------------------------------------------------------------------------------------------
# Tables


def _x100(v: float) -> str:
    return f"{100 * v:6.2f}"


def _cells(r: Row) -> str:
    """R-1, R-2 and SU4 x100, or dashes when no topic finished within the caps."""
    if not r.topics:
        return f"{'-':>6} {'-':>6} {'-':>6}"
    return f"{_x100(r.scores['r1'])} {_x100(r.scores['r2'])} {_x100(r.scores['su4'])}"


def league(rows: Sequence[Row], ours: Sequence[Row]) -> tuple[str, dict[str, int]]:
    """DUC 2006 table ranked by ROUGE-2, with each of our rows' rank among participants."""
    machine = sorted((r for r in rows if r.kind == "participant"), key=lambda r: -r.scores["r2"])
    ranks = {r.name: 1 + sum(p.scores["r2"] > r.scores["r2"] for p in machine) for r in ours}
    everything = sorted([*rows, *ours], key=lambda r: -r.scores["r2"])
    lines = [f"{'rank':>4}  {'system':<34} {'R-1':>6} {'R-2':>6} {'SU4':>6} {'topics':>6}  note"]
    for r in everything:
        if r.kind == "participant":
            rank = str(1 + machine.index(r))
        elif r.name in ranks and r.topics:
            rank = f"({ranks[r.name]})"
        else:
            rank = ""
        label = {"human": f"human {r.name}", "participant": f"participant {r.name}"}.get(
            r.kind, r.name
        )
        lines.append(f"{rank:>4}  {label:<34} {_cells(r)} {r.topics:>6}  {r.note}".rstrip())
    return "\n".join(lines), ranks


def simple_table(rows: Sequence[Row], published: dict[str, float] | None = None) -> str:
    lines = [f"{'system':<34} {'R-1':>6} {'R-2':>6} {'SU4':>6} {'topics':>6} {'seconds':>8}  note"]
    entries: list[tuple[float, str]] = []
    for r in rows:
        entries.append(
            (
                r.scores["r2"],
                f"{r.name:<34} {_cells(r)} {r.topics:>6} {r.seconds:8.1f}  {r.note}".rstrip(),
            )
        )
    for name, r2 in (published or {}).items():
        entries.append(
            (r2 / 100, f"{name + ' (published)':<34} {'':>6} {r2:6.2f} {'':>6} {'':>6} {'':>8}")
        )
    entries.sort(key=lambda e: -e[0])
    return "\n".join([lines[0], *(e[1] for e in entries)])


# --------------------------------------------------------------------------------------------
# Main


def _loader_note() -> str:
    return (
        "articles: briefbot ingest cleaning (datelines and SGML entities removed) + sentence "
        "splitter"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_TOPICS} topics per set, briefbot/lead/lexrank (CI)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write results as JSON")
    parser.add_argument(
        "--algorithms", default=None, help="briefbot algorithms to run (default: all)"
    )
    parser.add_argument(
        "--cap-seconds", type=float, default=600.0, help="time cap per system and set"
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="datasets directory")
    parser.add_argument(
        "--update", action="store_true", help="the update-summary proxy on DUC 2006 (A/B/C)"
    )
    parser.add_argument(
        "--ablate", action="store_true", help="switch each hand-written rule off in turn"
    )
    parser.add_argument(
        "--topic", action="store_true", help="also DUC 2006 with the narrative as the question"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    root04, root06 = args.data / DUC2004, args.data / DUC2006
    if not root04.is_dir() or not root06.is_dir():
        print(f"DUC data not found under {args.data}", file=sys.stderr)
        return 1
    if args.algorithms:
        algorithms = [a for a in args.algorithms.split(",") if a]
    elif args.quick:
        algorithms = ["briefbot", "lead", "lexrank"]
    else:
        algorithms = list(ALGORITHMS)
    cap = 20.0 if args.quick else args.cap_seconds
    payload: dict[str, Any] = {"cpu_count": os.cpu_count(), "wordnet_exceptions": EXCEPTIONS_LOADED}
    t0 = time.perf_counter()
    topics06 = load_duc2006(root06)
    topics04 = load_duc2004(root04)
    print(
        f"loaded DUC 2004 ({len(topics04)} clusters) and DUC 2006 ({len(topics06)} topics) in {time.perf_counter() - t0:.1f} s"
    )
    print(_loader_note())
    ok = True

    # 1. The ROUGE implementation against NIST's own table.
    theirs = participants(topics06)
    nist2, nist_su4 = nist_table(root06, "rouge2.jk.m.avg"), nist_table(root06, "rougeSU4.jk.m.avg")
    diff2 = max(abs(r.scores["r2"] - nist2[r.name]) for r in theirs)
    diff_su4 = max(abs(r.scores["su4"] - nist_su4[r.name]) for r in theirs)
    machine_diff2 = max(
        abs(r.scores["r2"] - nist2[r.name]) for r in theirs if r.kind == "participant"
    )
    check_ok = diff2 <= NIST_TOLERANCE and diff_su4 <= NIST_TOLERANCE
    ok &= check_ok
    print()
    print(
        f"ROUGE check vs NIST (DUC 2006, {len(theirs)} peers incl. humans, jackknifed): max |diff| "
        f"R-2 {diff2:.5f} (participants only {machine_diff2:.5f}), SU4 {diff_su4:.5f}  "
        f"target <= {NIST_TOLERANCE}: {'PASS' if check_ok else 'MISS'}"
        + ("" if EXCEPTIONS_LOADED else "  [WordNet exceptions missing: install py-rouge]")
    )
    payload["nist_check"] = {
        "max_abs_diff_r2": diff2,
        "max_abs_diff_su4": diff_su4,
        "pass": check_ok,
    }

    sel06 = topics06[:QUICK_TOPICS] if args.quick else topics06
    sel04 = topics04[:QUICK_TOPICS] if args.quick else topics04
    ours06: list[Row] = []
    ours04: list[Row] = []
    for algorithm in algorithms:
        kind = (
            "briefbot"
            if algorithm == "briefbot"
            else ("baseline" if algorithm == "lead" else "sumy")
        )
        label = {"briefbot": "briefbot", "lead": "Lead (article leads)"}.get(
            algorithm, f"sumy {algorithm}"
        )
        # sumy's KL takes minutes per topic: each topic gets at most KL_TOPIC_SECONDS
        topic_cap = KL_TOPIC_SECONDS if algorithm == "kl" else None
        ours06.append(
            evaluate(
                label, kind, system(algorithm), sel06, words=250, jackknifed=True,
                cap_seconds=cap, topic_cap=topic_cap,
            )
        )  # fmt: skip
        ours04.append(
            evaluate(
                label, kind, system(algorithm), sel04, words=100, jackknifed=False,
                cap_seconds=cap, topic_cap=topic_cap,
            )
        )  # fmt: skip
    if args.topic:

        def with_narrative(topic: Topic, words: int) -> list[str]:
            picked = summarize_candidates(candidates(topic), words=words, topic=topic.narrative)
            return [c.text for c in picked]

        row = evaluate(
            "briefbot + topic (narrative)", "topic", with_narrative, sel06, words=250,
            jackknifed=True, cap_seconds=cap,
        )  # fmt: skip
        row.note = "uses the topic statement: not generic"
        ours06.append(row)
    if args.quick:
        wanted = {t.id[:5] for t in sel06}
        theirs = participants([t for t in topics06 if t.id[:5] in wanted])

    print()
    print(
        f"DUC 2006, {len(sel06)} topics, 250 words, recall x100 jackknifed over 4 references "
        f"(generic: no topic statement used unless marked); rank among the 35 participants (1 = NIST baseline) by R-2"
    )
    text, ranks = league(theirs, ours06)
    print(text)
    rank = ranks.get("briefbot")
    if rank is not None:
        print(
            f"briefbot rank on R-2 among participants: {rank}  target 1: {'PASS' if rank == 1 else 'MISS'}"
        )
        ok &= rank == 1
    print()
    print(
        f"DUC 2004 task 2, {len(sel04)} clusters, 100 words (-l 100), recall x100, all 4 references"
    )
    print(simple_table(ours04, PUBLISHED_2004))
    bb04 = next((r for r in ours04 if r.name == "briefbot"), None)
    if bb04 is not None:
        hit = bb04.scores["r2"] >= TARGET_2004
        if args.quick:
            print("(--quick: 10 of 50 clusters; the target applies to the full run)")
        print(
            f"briefbot R-2 {100 * bb04.scores['r2']:.2f}  target >= {100 * TARGET_2004:.1f}: {'PASS' if hit else 'MISS'}"
        )
        ok &= hit
    if args.update or args.ablate:
        tasks = update_sets(sel06)
    if args.update:
        print()
        print(
            f"Update proxy (NOT DUC 2007; see bench/update_proxy.py): {len(sel06)} DUC 2006 topics "
            f"split by date into A/B/C ({'/'.join(map(str, SPLIT))} articles); B summarized with A "
            f"shown, C with A+B shown, {UPDATE_WORDS} words. novel R-2: recall against the human "
            "summaries' bigrams that occur in the new articles and in none of the shown ones "
            "(x100, -f A, 4 references); plain R-2: against the whole summaries"
        )
        update_rows = standard_rows(tasks)
        print(update_table(update_rows))
        payload["update_proxy"] = [
            {"system": r.name, "novel": r.novel, "plain": r.plain, "novel_r2_by_set": r.by_set}
            for r in update_rows
        ]
    if args.ablate:
        print()
        print(
            "Ablation: each rule switched off in turn; DUC 2004 R-2 (100 words), DUC 2006 R-2 "
            "(250 words, jackknifed), update proxy novel R-2; first row absolute, then the change"
        )
        ablation_rows = run_ablations(
            sel04, sel06, tasks, candidates, lambda m: print(m, file=sys.stderr, flush=True)
        )
        print(ablation_table(ablation_rows))
        payload["ablation"] = ablation_rows
    payload["duc2006"] = [_row_json(r, ranks.get(r.name)) for r in [*ours06, *theirs]]
    payload["duc2004"] = [_row_json(r) for r in ours04]
    payload["published_duc2004_r2"] = PUBLISHED_2004
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"JSON written to {args.json}")
    print(f"total {time.perf_counter() - t0:.0f} s")
    return 0 if check_ok else 1


def _row_json(r: Row, rank: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"system": r.name, "kind": r.kind, "topics": r.topics, **r.scores}
    if r.seconds:
        out["seconds"] = round(r.seconds, 2)
    if rank is not None:
        out["rank_r2"] = rank
    if r.note:
        out["note"] = r.note
    return out


if __name__ == "__main__":
    raise SystemExit(main())
