"""Real and broken feeds: nothing crashes, ill-formed feeds are flagged, entries are not lost.

Usage::

    python bench/feeds.py [--data DIR] [--json PATH] [--quick]

Reads ``../shared/datasets/feeds/``:

* ``feedparser-tests/`` (2,108 synthetic cases): every file through ``read_feed`` with the
  Content-Type its ``Header:`` lines give. A crash is any exception other than a clear
  ``IngestError``. Files whose ``Expect:`` line says ``bozo`` (ill-formed) must be flagged
  (``ParsedFeed.problem``) or refused; ``not bozo`` ones must not be flagged.
* ``rss-parser/`` (31 captured feeds, expected parses in ``output/``) and
  ``feedjira-sample-feeds/`` (43 real feeds; their expected items are counted from the
  document itself: ``<item>``/``<entry>`` elements, JSON Feed ``items``): each feed is served
  from a local HTTP server on 127.0.0.1 and ingested with ``Newsroom.ingest(url)`` into a fresh
  store, twice:

  - ``unreachable``: every linked page goes nowhere (a closed port, HTTP 404 or 503 by turns);
  - ``reachable``: every linked page is an article page (built from the Readability test
    pages' gold text when present, else invented filler) served by the same server.

  Every fetch still goes through briefbot's fetch (SSRF guard with ``allow_private``, size and
  time limits); only the address is rewritten to the local server. Nothing leaves the machine.

An expected item "carries text" when its own content or description has at least 20 words
(for rss-parser, from the expected parse). An item is kept when its entry was stored or is a
duplicate of an entry of the same feed (the text is in the store).

Target: >= 98 % of the expected items that carry text kept with the pages unreachable; no
crash; every ill-formed case flagged.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import html
import json
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import quiet_logging, table, verdict, write_json  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "feeds"
PAGES = ROOT.parent / "shared" / "datasets" / "html" / "readability-test-pages"
TARGET_KEPT = 0.98
MIN_WORDS = 20
QUICK_STRIDE = 10  # --quick: every tenth feedparser case
QUICK_MAX_ITEMS = 200  # --quick: feeds with more expected items are left out

_ITEM_RE = re.compile(rb"<(?:item|entry)[\s>/]", re.I)
_ROOT_RE = re.compile(rb"<(?:rss|feed|rdf:RDF|RDF)\b", re.I)
_CHUNK_RE = re.compile(rb"<(item|entry)[\s>](.*?)</\1\s*>", re.I | re.S)
_TEXT_FIELD_RE = re.compile(
    rb"<((?:content:encoded)|content|description|summary)(?:\s[^>]*)?>(.*?)</\1\s*>", re.I | re.S
)
_TAG_RE = re.compile(r"<[^>]+>")
_EXPECT_RE = re.compile(r"^\s*Expect:\s*(.*)$", re.M)
_HEADER_RE = re.compile(r"^\s*Header:\s*Content-type:\s*(.+?)\s*$", re.M | re.I)


def words_of_markup(raw: str) -> int:
    """Words of an HTML or escaped-HTML fragment (tags, CDATA and entities removed)."""
    text = raw.replace("<![CDATA[", " ").replace("]]>", " ")
    for _ in range(2):  # escaped HTML in RSS descriptions: unescape, then strip again
        text = html.unescape(_TAG_RE.sub(" ", text))
    text = _TAG_RE.sub(" ", text)
    from summaries.text import count_words

    return count_words(text)


# ------------------------------------------------------------------ feedparser's test cases


@dataclass
class CaseTally:
    files: int = 0
    crashes: list[str] = field(default_factory=list)
    ill: int = 0
    ill_flagged: int = 0
    ill_missed: list[str] = field(default_factory=list)
    well: int = 0
    well_flagged: list[str] = field(default_factory=list)
    refused: int = 0  # no entry or feed element to read: refused with a reason


def run_cases(root: Path, stride: int) -> dict[str, CaseTally]:
    from summaries.errors import IngestError
    from summaries.ingest.feeds import read_feed

    tallies: dict[str, CaseTally] = {}
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name != "LICENSE")
    for n, path in enumerate(files):
        if n % stride:
            continue
        group = path.relative_to(root).parts[0]
        tally = tallies.setdefault(group, CaseTally())
        tally.files += 1
        data = path.read_bytes()
        head = data[:2000].decode("utf-8", "replace")
        expect = _EXPECT_RE.search(head)
        expectation = expect.group(1) if expect else ""
        ill = bool(re.search(r"(?<!not )\bbozo\b", expectation))
        well = "not bozo" in expectation
        flagged = refused = False
        header = _HEADER_RE.search(head)
        try:
            parsed = read_feed(
                data, source=path.name, content_type=header.group(1) if header else None
            )
            flagged = parsed.problem is not None
        except IngestError:
            refused = True
        except Exception as err:  # a crash: what the benchmark is for
            tally.crashes.append(f"{path.relative_to(root)}: {type(err).__name__}: {err}")
            continue
        if refused:
            tally.refused += 1
        if ill:
            tally.ill += 1
            if flagged or refused:
                tally.ill_flagged += 1
            else:
                tally.ill_missed.append(str(path.relative_to(root)))
        elif well:
            tally.well += 1
            if flagged:
                tally.well_flagged.append(str(path.relative_to(root)))
    return tallies


# ------------------------------------------------------------------ real feeds over HTTP


@dataclass
class Expected:
    name: str
    path: Path
    items: int  # -1: not a feed (an entry fragment, a document with no feed root)
    with_text: int
    keys_with_text: list[tuple[str, str]]  # (link, title) of each item carrying text


def _key(url_or_title: str | None) -> str:
    return " ".join(html.unescape(url_or_title or "").split()).rstrip("/").lower()


def expected_rss_parser(root: Path) -> list[Expected]:
    out = []
    for path in sorted((root / "input").iterdir()):
        expected_file = root / "output" / (path.stem + ".json")
        if not expected_file.is_file():
            out.extend(_from_document(path))  # no expected parse: count the document's items
            continue
        raw = expected_file.read_bytes()
        try:
            doc = json.loads(raw)
        except UnicodeDecodeError:
            doc = json.loads(raw.decode("latin-1"))
        items = doc.get("feed", {}).get("items", [])
        keys = [
            (_key(item.get("link")), _key(item.get("title")))
            for item in items
            if words_of_markup(str(item.get("content") or item.get("contentSnippet") or ""))
            >= MIN_WORDS
        ]
        out.append(Expected(path.stem, path, len(items), len(keys), keys))
    return out


def expected_from_document(root: Path) -> list[Expected]:
    out = []
    for path in sorted(root.iterdir()):
        if path.name != "LICENSE" and path.is_file():
            out.extend(_from_document(path))
    return out


def _from_document(path: Path) -> list[Expected]:
    """Expected items counted from the document itself (no feed parser involved)."""
    data = path.read_bytes()
    if path.suffix == ".json":
        doc = json.loads(data)
        items = doc.get("items", [])
        keys = [
            (_key(i.get("url")), _key(i.get("title")))
            for i in items
            if words_of_markup(str(i.get("content_html") or i.get("content_text") or ""))
            >= MIN_WORDS
        ]
        return [Expected(path.stem, path, len(items), len(keys), keys)]
    if not _ROOT_RE.search(data[:4096]):
        return [Expected(path.stem, path, -1, 0, [])]
    count = len(_ITEM_RE.findall(data))
    keys = []
    for chunk in _CHUNK_RE.finditer(data):
        best = max(
            (words_of_markup(m.group(2).decode("utf-8", "replace"))
             for m in _TEXT_FIELD_RE.finditer(chunk.group(2))),
            default=0,
        )  # fmt: skip
        if best >= MIN_WORDS:
            link = re.search(rb"<link[^>]*?(?:href=[\"']([^\"']+)|>([^<]+)<)", chunk.group(2))
            title = re.search(rb"<title[^>]*>(.*?)</title", chunk.group(2), re.S)
            href = (link.group(1) or link.group(2)) if link else b""
            name = title.group(1) if title else b""
            keys.append(
                (_key(href.decode("utf-8", "replace")),
                 _key(_TAG_RE.sub("", name.decode("utf-8", "replace").replace("<![CDATA[", ""))))
            )  # fmt: skip
    return [Expected(path.stem, path, count, len(keys), keys)]


def _media(path: Path) -> str:
    return {
        ".json": "application/feed+json",
        ".atom": "application/atom+xml",
        ".rss": "application/rss+xml",
    }.get(path.suffix, "application/xml")


class Server:
    """Serves the feeds under /feed/<n> and the linked pages under /page/<hash>."""

    def __init__(self, pages: list[str]) -> None:
        self.feeds: dict[str, Path] = {}
        self.reachable = False
        self.pages = pages
        self.port = 0
        self._runner: Any = None

    async def start(self) -> None:
        from aiohttp import web

        async def feed(request: web.Request) -> web.StreamResponse:
            path = self.feeds[request.match_info["name"]]
            return web.Response(body=path.read_bytes(), headers={"Content-Type": _media(path)})

        async def page(request: web.Request) -> web.StreamResponse:
            digest = request.match_info["digest"]
            if not self.reachable:
                status = 404 if int(digest[:2], 16) % 2 else 503
                return web.Response(status=status, text="gone")
            return web.Response(body=self._page(digest), content_type="text/html")

        app = web.Application()
        app.router.add_get("/feed/{name}", feed)
        app.router.add_get("/page/{digest}", page)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server: Any = site._server
        self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _page(self, digest: str) -> bytes:
        start = int(digest[:8], 16)
        body = "".join(
            f"<p>{html.escape(self.pages[(start + k) % len(self.pages)])}</p>" for k in range(6)
        )
        return (
            "<!doctype html><html><head><title>Linked article</title></head><body>"
            "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article>"
            f"<h1>Linked article {digest[:8]}</h1><p>Report number {digest[:12]} begins.</p>"
            f"{body}</article><footer>Copyright 2024 Example Press</footer></body></html>"
        ).encode()


def gold_paragraphs(root: Path) -> list[str]:
    """Paragraphs for the reachable pages: the Readability pages' gold text, else filler."""
    out: list[str] = []
    if root.is_dir():
        for expected in sorted(root.glob("*/expected.html"))[:60]:
            text = re.sub(r"<[^>]+>", "\n", expected.read_text(encoding="utf-8"))
            out.extend(
                p for p in (" ".join(html.unescape(t).split()) for t in text.split("\n"))
                if len(p.split()) >= 25
            )  # fmt: skip
    if not out:
        out = [
            f"Paragraph {n} of an invented report about the harbour, the ferry timetable and the "
            "council's plans for the coming season, long enough to read as article prose."
            for n in range(50)
        ]
    return out


@dataclass
class FeedRun:
    name: str
    corpus: str
    expected: int
    with_text: int
    results: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    kept_with_text: int = 0
    flagged: str | None = None
    refused: str | None = None
    crash: str | None = None
    seconds: float = 0.0


async def run_feeds(
    feeds: list[tuple[str, Expected]], *, reachable: bool, pages: list[str], work: Path
) -> list[FeedRun]:
    from summaries.config import CoreConfig
    from summaries.ingest import sources
    from summaries.ingest.fetch import FetchPolicy, fetch
    from summaries.newsroom import Newsroom

    server = Server(pages)
    await server.start()
    server.reachable = reachable
    base = f"http://127.0.0.1:{server.port}"
    real_fetch = fetch

    async def routed(url: str, policy: FetchPolicy, **kwargs: Any) -> Any:
        if url.startswith(base):
            return await real_fetch(url, policy, **kwargs)
        digest = hashlib.sha256(url.encode()).hexdigest()
        if not reachable and int(digest[2:4], 16) % 3 == 0:
            target = "http://127.0.0.1:9/"  # the discard port: nothing listens there
        else:
            target = f"{base}/page/{digest}"
        result = await real_fetch(target, policy, **kwargs)
        return replace(result, url=url)

    sources.fetch = routed  # type: ignore[assignment]
    config = CoreConfig(fetch=FetchPolicy(allow_private=True, timeout_s=5))
    runs: list[FeedRun] = []
    try:
        for n, (corpus_name, exp) in enumerate(feeds):
            server.feeds[str(n)] = exp.path
            run = FeedRun(exp.name, corpus_name, exp.items, exp.with_text)
            db = work / f"{'r' if reachable else 'u'}-{n}.db"
            started = time.perf_counter()
            try:
                async with Newsroom(db, config=config) as room:
                    results = await room.ingest([f"{base}/feed/{n}"])
            except Exception as err:
                run.crash = f"{type(err).__name__}: {err}"
                runs.append(run)
                continue
            run.seconds = time.perf_counter() - started
            kept_keys: set[str] = set()
            for r in results:
                run.results[r.status] += 1
                if r.status != "stored":
                    run.kinds[r.kind or "other"] += 1
                if r.feed_problem:
                    run.flagged = r.feed_problem
                if r.feed is None and r.status == "rejected":
                    run.refused = r.reason
                if r.status in ("stored", "updated", "duplicate"):
                    kept_keys.add(_key(r.url))
                    kept_keys.add(_key(r.title))
            kept_keys.discard("")
            run.kept_with_text = sum(
                1 for link, title in exp.keys_with_text if link in kept_keys or title in kept_keys
            )
            runs.append(run)
            _remove_db(db)
    finally:
        sources.fetch = real_fetch  # type: ignore[assignment]
        await server.stop()
    return runs


def _remove_db(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"every {QUICK_STRIDE}th feedparser case; feeds of <= {QUICK_MAX_ITEMS} items",
    )
    args = parser.parse_args(argv)
    quiet_logging()
    if not args.data.is_dir():
        print(f"Dataset not found: {args.data}", file=sys.stderr)
        return 1
    started = time.perf_counter()
    stride = QUICK_STRIDE if args.quick else 1
    cases = run_cases(args.data / "feedparser-tests", stride)
    case_rows = [
        [group, t.files, len(t.crashes), t.ill, t.ill_flagged, t.well, len(t.well_flagged),
         t.refused]
        for group, t in sorted(cases.items())
    ]  # fmt: skip
    print(f"\nfeedparser's test cases ({f'every {stride}th' if stride > 1 else 'all'})")
    print(
        table(
            [
                "group",
                "files",
                "crashes",
                "ill-formed",
                "flagged",
                "well-formed",
                "flagged",
                "refused",
            ],
            case_rows,
        )
    )
    crashes = [c for t in cases.values() for c in t.crashes]
    missed = [m for t in cases.values() for m in t.ill_missed]
    false_flags = [m for t in cases.values() for m in t.well_flagged]
    for label, found in (("crashes", crashes), ("ill-formed not flagged", missed),
                         ("well-formed flagged", false_flags)):  # fmt: skip
        if found:
            print(f"  {label}: " + "; ".join(found[:8]) + (" …" if len(found) > 8 else ""))

    real = [("rss-parser", e) for e in expected_rss_parser(args.data / "rss-parser")]
    real += [("feedjira", e) for e in expected_from_document(args.data / "feedjira-sample-feeds")]
    if args.quick:
        real = [(c, e) for c, e in real if e.items <= QUICK_MAX_ITEMS]
    pages = gold_paragraphs(PAGES)
    summary: dict[str, Any] = {}
    all_runs: dict[str, list[FeedRun]] = {}
    with tempfile.TemporaryDirectory(prefix="briefbot-feeds-") as tmp:
        for mode in ("unreachable", "reachable"):
            runs = asyncio.run(
                run_feeds(real, reachable=mode == "reachable", pages=pages, work=Path(tmp))
            )
            all_runs[mode] = runs
    feeds_only = [r for r in all_runs["unreachable"] if r.expected >= 0]
    print(f"\nReal feeds over HTTP: {len(feeds_only)} feeds, "
          f"{sum(r.expected for r in feeds_only)} expected items "
          f"({sum(r.with_text for r in feeds_only)} carry text); fragments and non-feeds: "
          f"{sum(r.expected < 0 for r in all_runs['unreachable'])}")  # fmt: skip
    rows = []
    for mode, runs in all_runs.items():
        feeds = [r for r in runs if r.expected >= 0]
        expected = sum(r.expected for r in feeds)
        with_text = sum(r.with_text for r in feeds)
        stored = sum(r.results["stored"] + r.results["updated"] for r in feeds)
        dup = sum(r.results["duplicate"] for r in feeds)
        rejected = sum(r.results["rejected"] for r in feeds)
        kept_text = sum(r.kept_with_text for r in feeds)
        rows.append(
            [mode, expected, stored, dup, rejected, f"{100 * (stored + dup) / max(expected, 1):.1f}%",
             with_text, kept_text, f"{100 * kept_text / max(with_text, 1):.1f}%",
             sum(r.crash is not None for r in runs)]
        )  # fmt: skip
        summary[mode] = {
            "expected": expected, "stored": stored, "duplicate": dup, "rejected": rejected,
            "with_text": with_text, "kept_with_text": kept_text,
            "crashes": [f"{r.name}: {r.crash}" for r in runs if r.crash],
            "kinds": dict(sum((r.kinds for r in feeds), Counter())),
        }  # fmt: skip
    print(
        table(
            ["pages", "expected", "stored", "dup", "skipped", "kept", "carry text",
             "kept", "kept %", "crashes"],
            rows,
        )
    )  # fmt: skip
    for mode in all_runs:
        kinds = summary[mode]["kinds"]
        print(
            f"  {mode}: not stored by reason: "
            + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
        )
    print("\nPer feed (pages unreachable | reachable):")
    per_feed = []
    for u, r in zip(all_runs["unreachable"], all_runs["reachable"], strict=True):
        per_feed.append(
            [f"{u.corpus}/{u.name}", u.expected if u.expected >= 0 else "not a feed", u.with_text,
             u.results["stored"] + u.results["updated"], u.results["duplicate"],
             u.results["rejected"], u.kept_with_text,
             r.results["stored"] + r.results["updated"], "yes" if u.flagged else "",
             (u.refused or "")[:60]]
        )  # fmt: skip
    print(
        table(
            ["feed", "expected", "w/ text", "stored", "dup", "skipped", "kept w/ text",
             "stored (reach.)", "flagged", "refused"],
            per_feed,
        )
    )  # fmt: skip
    unreachable = summary["unreachable"]
    share = unreachable["kept_with_text"] / max(unreachable["with_text"], 1)
    no_crash = not crashes and not any(summary[m]["crashes"] for m in summary)
    print(f"\n{time.perf_counter() - started:.1f} s")
    print(
        table(
            ["target", "measured", "verdict"],
            [
                [f"items carrying text kept, pages unreachable >= {TARGET_KEPT:.0%}",
                 f"{share:.1%}", verdict(share >= TARGET_KEPT)],
                ["no crash on any file", f"{len(crashes)} + "
                 f"{sum(len(summary[m]['crashes']) for m in summary)}", verdict(no_crash)],
                ["every ill-formed case flagged", f"{len(missed)} missed",
                 verdict(not missed)],
            ],
        )
    )  # fmt: skip
    write_json(
        args.json,
        {
            "cases": {g: {"files": t.files, "crashes": t.crashes, "ill": t.ill,
                          "ill_flagged": t.ill_flagged, "ill_missed": t.ill_missed,
                          "well": t.well, "well_flagged": t.well_flagged}
                      for g, t in cases.items()},
            "real": summary,
            "per_feed": per_feed,
        },
    )  # fmt: skip
    # like the other benchmarks, a MISS is reported, not fatal; a crash is a bug and fails CI
    return 0 if no_crash else 1


if __name__ == "__main__":
    raise SystemExit(main())
