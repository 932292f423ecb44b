"""Ingest throughput: articles per second through the file paths, into an empty and a full store.

Usage::

    python bench/ingest.py [--n 2000] [--html-n 500] [--base 100000] [--db URL|temp] [--json PATH] [--quick]

Four runs, each in its own process pinned to one core (CPU 0), so peak memory is per run:

* ``text``: generated plain-text files (headline, byline, date line, paragraphs, copyright
  line; see bench/corpus.py) through ``Newsroom.ingest(paths)``, the path of ``briefbot ingest``:
  read, decode, clean, split sentences, stem, duplicate checks (URL, fingerprint, SimHash), write
  and story assignment;
* ``html``: the same articles as web pages with navigation, related links and footer, through
  the extraction path (trafilatura) and the same store path;

each into an empty store and into a copy of the cached store of ``--base`` articles (built
first when missing: ``python bench/corpus.py --n 100000 --store``). The ingested articles come
from another seed than the store, so they are new stories and new copies, not duplicates.

Reported: articles/s over the run and over its second half ("sustained"), the share of time in
each phase (read+clean/extract, prepare = sentences/stems/hashes, write = duplicate checks and
inserts, of which story assignment), statuses, and peak RSS of the process.
Targets: text into the full store >= 200 articles/s sustained; peak memory < 500 MB.
With ``--db``, the same four runs go into PostgreSQL databases (an empty one, and a copy of the
cached store made with `briefbot migrate`'s copy) and the two backends are printed side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

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
    pin_one_core,
    quiet_logging,
    table,
    verdict,
    write_json,
)

TARGET_RATE = 200.0
TARGET_RSS_MB = 500.0
INGEST_SEED_OFFSET = 1

T = TypeVar("T")


class Phases:
    """Accumulated seconds per phase, measured by wrapping the Newsroom's steps."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {"read": 0.0, "prepare": 0.0, "write": 0.0, "stories": 0.0}

    def wrap_sync(self, name: str, fn: Callable[..., T]) -> Callable[..., T]:
        def timed(*args: Any, **kwargs: Any) -> T:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - start

        return timed

    def wrap_async(self, name: str, fn: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
        async def timed(*args: Any, **kwargs: Any) -> T:
            start = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - start

        return timed


async def _run_child(kind: str, files: list[str], db: Path | str) -> dict[str, Any]:
    from summaries import newsroom as newsroom_module
    from summaries import stories as stories_module
    from summaries.newsroom import Newsroom

    phases = Phases()
    newsroom_module.read_input = phases.wrap_async("read", newsroom_module.read_input)  # type: ignore[assignment]
    newsroom_module._prepare = phases.wrap_sync("prepare", newsroom_module._prepare)  # type: ignore[assignment]
    stories_module.assign_story = phases.wrap_sync("stories", stories_module.assign_story)  # type: ignore[assignment]
    statuses: dict[str, int] = {}
    stamps: list[float] = []
    async with Newsroom(db, clock=lambda: corpus.CLOCK_AFTER) as room:
        room.store.write = phases.wrap_async("write", room.store.write)  # type: ignore[method-assign,assignment]
        before = await room.store.article_count()
        start = time.perf_counter()

        def progress(result: Any) -> None:
            statuses[result.status] = statuses.get(result.status, 0) + 1
            stamps.append(time.perf_counter())

        await room.ingest(files, progress=progress)
        seconds = time.perf_counter() - start
        after = await room.store.article_count()
    half = len(stamps) // 2
    second_half = (stamps[-1] - stamps[half - 1]) if half > 0 else seconds
    n = len(files)
    return {
        "kind": kind,
        "store_before": before,
        "store_after": after,
        "articles": n,
        "seconds": round(seconds, 2),
        "rate": round(n / seconds, 1),
        "sustained_rate": round((len(stamps) - half) / second_half, 1) if second_half else None,
        "statuses": statuses,
        "phases_s": {k: round(v, 2) for k, v in phases.seconds.items()},
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def child(argv: list[str]) -> int:
    """Entry of one measured run (a separate process): ingest the listed files into `db`."""
    kind, db, listing = argv
    pin_one_core()
    quiet_logging()
    files = Path(listing).read_text().split("\n")
    target: Path | str = db if db.startswith("postgresql://") else Path(db)
    result = asyncio.run(_run_child(kind, [f for f in files if f], target))
    print(json.dumps(result))
    return 0


def _measure(
    kind: str, files: list[Path], base: Path | None, work: Path, pg: Postgres | None = None
) -> dict[str, Any]:
    db: Path | str = work / f"{kind}-{'full' if base else 'empty'}.db"
    if pg is not None:
        db = pg.copy_of(base, f"ingest_{kind}_{'full' if base else 'empty'}")
    else:
        assert isinstance(db, Path)
        corpus.remove_db(db)
        if base is not None:
            corpus.copy_store(base, db)
    listing = work / f"{kind}.list"
    listing.write_text("\n".join(str(p) for p in files))
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(db), str(listing)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"ingest run {kind} failed")
    if isinstance(db, Path):
        corpus.remove_db(db)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        return child(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="text articles per run")
    parser.add_argument("--html-n", type=int, default=500, help="HTML pages per run")
    parser.add_argument("--base", type=int, default=100_000, help="articles in the full store")
    parser.add_argument("--seed", type=int, default=corpus.DEFAULT_SEED)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--quick", action="store_true", help="150 text / 40 HTML, 1,000-article store"
    )
    parser.add_argument("--db", metavar="URL|temp", help=DB_HELP)
    args = parser.parse_args(argv)
    quiet_logging()
    if not (args.data / "News Articles").is_dir():
        print(f"Dataset not found: {args.data}", file=sys.stderr)
        return 1
    if args.quick:
        args.n, args.html_n, args.base = 150, 40, 1000
    pinned = pin_one_core()
    base = corpus.cached_store(args.base, seed=args.seed, data_dir=args.data)
    rows: list[dict[str, Any]] = []
    sides = backends(args.db)
    with tempfile.TemporaryDirectory(prefix="briefbot-ingest-") as tmp:
        work = Path(tmp)
        seed = args.seed + INGEST_SEED_OFFSET
        text_files = corpus.write_files(args.n, work / "txt", seed=seed, data_dir=args.data)
        html_files = corpus.write_files(
            args.html_n, work / "html", seed=seed, fmt="html", data_dir=args.data
        )
        for backend, pg in sides:
            try:
                for kind, files in (("text", text_files), ("html", html_files)):
                    for store in (None, base):
                        result = _measure(kind, files, store, work, pg)
                        result["backend"] = backend
                        rows.append(result)
                        print(
                            f"... {backend} {kind} into {result['store_before']:,}: "
                            f"{result['rate']:.0f}/s",
                            file=sys.stderr,
                            flush=True,
                        )
            finally:
                if pg is not None:
                    pg.close()

    def share(r: dict[str, Any], phase: str) -> str:
        return f"{100 * r['phases_s'][phase] / r['seconds']:.0f}%"

    print(f"\nIngest throughput, one core ({pinned}); files from seed {args.seed + 1}")
    print(
        table(
            ["backend", "path", "store", "articles", "art/s", "sustained", "read", "prepare",
             "write", "(stories)", "stored", "dup", "peak MB"],
            [
                [r["backend"], r["kind"], r["store_before"], r["articles"], r["rate"], r["sustained_rate"],
                 share(r, "read"), share(r, "prepare"), share(r, "write"), share(r, "stories"),
                 r["statuses"].get("stored", 0), r["statuses"].get("duplicate", 0),
                 r["peak_rss_mb"]]
                for r in rows
            ],
        )
    )  # fmt: skip
    full_texts = {r["backend"]: r for r in rows if r["kind"] == "text" and r["store_before"] > 0}
    if len(full_texts) > 1:
        print("\nSide by side: text into the full store, sustained articles/s")
        print(
            table(
                ["backend", "sustained art/s", "target"],
                [[b, r["sustained_rate"], f">= {TARGET_RATE:.0f}"] for b, r in full_texts.items()],
            )
        )
    full_text = full_texts["SQLite"]
    rate_ok = (full_text["sustained_rate"] or 0) >= TARGET_RATE
    peak = max(r["peak_rss_mb"] for r in rows)
    mem_ok = peak < TARGET_RSS_MB
    print()
    print(
        table(
            ["target", "measured", "verdict"],
            [
                [f"text into {args.base:,} store >= {TARGET_RATE:.0f}/s sustained",
                 f"{full_text['sustained_rate']}/s", verdict(rate_ok)],
                [f"peak memory < {TARGET_RSS_MB:.0f} MB", f"{peak:.0f} MB", verdict(mem_ok)],
            ],
        )
    )  # fmt: skip
    if args.quick:
        print("(quick mode: small store and batches; the targets are for the full run)")
    write_json(
        args.json,
        {
            "benchmark": "ingest",
            "pinned": pinned,
            "quick": args.quick,
            "base_articles": args.base,
            "runs": rows,
            "targets": {
                "text_rate_full_store": {"target": TARGET_RATE, "value": full_text["sustained_rate"],
                                         "pass": rate_ok},
                "peak_rss_mb": {"target": TARGET_RSS_MB, "value": peak, "pass": mem_ok},
            },
        },
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
