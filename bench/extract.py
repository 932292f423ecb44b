"""Article extraction quality on Mozilla Readability's test pages: briefbot vs trafilatura alone.

Usage::

    python bench/extract.py [--data DIR] [--json PATH] [--quick] [--show-lost N]

Each folder of ``../shared/datasets/html/readability-test-pages/`` holds a real page
(``source.html``), the article as Readability extracts it (``expected.html``, the gold text) and
``expected-metadata.json`` (pages marked not readerable have no article and are left out of
the averages). Per page, in one run:

* ``trafilatura``: the main text trafilatura returns, called exactly as briefbot calls it;
* ``briefbot``: ``extract_html``, briefbot's pipeline (that trafilatura call, then furniture
  cleaning, metadata lines, headline removal). A page briefbot rejects scores 0.

Scores are token precision / recall / F1 of the bag of tokens (lower-case words; Chinese and
Japanese characters one token each) against the gold text, averaged over pages. "Lost" lines
are paragraphs of trafilatura's text that are in the gold text but not in briefbot's: what
cleaning removed from the article.

Targets: briefbot's mean F1 >= trafilatura's, and on no page more than 0.01 below it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import quiet_logging, table, verdict, write_json  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "html" / "readability-test-pages"
PAGE_TOLERANCE = 0.01
QUICK_PAGES = 40
NOW = datetime(2024, 1, 1, tzinfo=UTC)

# Chinese, Japanese (kana) characters: one token each (no spaces between words).
_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN_RE = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")


def tokens(text: str) -> list[str]:
    """Lower-case word tokens; CJK characters one by one."""
    return _TOKEN_RE.findall(text.casefold())


def prf(candidate: Counter[str], gold: Counter[str]) -> tuple[float, float, float]:
    """Bag-of-tokens precision, recall and F1."""
    overlap = sum((candidate & gold).values())
    p = overlap / sum(candidate.values()) if candidate else 0.0
    r = overlap / sum(gold.values()) if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


class _Text(HTMLParser):
    """Text of an HTML document, one line per block element (for the gold text)."""

    _BLOCKS = frozenset(
        "p div br li ul ol h1 h2 h3 h4 h5 h6 blockquote tr td th table section article "
        "header footer figure figcaption pre hr dd dt dl".split()
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


@dataclass
class PageResult:
    name: str
    readerable: bool
    traf: tuple[float, float, float] = (0.0, 0.0, 0.0)
    brief: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rejected: str | None = None
    lost: list[str] = field(default_factory=list)
    seconds: float = 0.0
    declared_lang: str | None = None  # the page's own metadata ("en-US" -> "en")
    language: str | None = None  # what briefbot stored


def run_page(folder: Path) -> PageResult:
    import trafilatura

    from summaries.errors import IngestError
    from summaries.ingest import extract

    meta = json.loads((folder / "expected-metadata.json").read_text(encoding="utf-8"))
    source = (folder / "source.html").read_bytes()
    gold_text = html_text((folder / "expected.html").read_text(encoding="utf-8"))
    captured: list[Any] = []
    real = trafilatura.bare_extraction

    def capture(*args: Any, **kwargs: Any) -> Any:
        doc = real(*args, **kwargs)
        captured.append(doc)
        return doc

    result = PageResult(name=folder.name, readerable=bool(meta.get("readerable", True)))
    lang = meta.get("lang")
    result.declared_lang = lang.split("-")[0].lower() if isinstance(lang, str) and lang else None
    start = time.perf_counter()
    extract.trafilatura.bare_extraction = capture  # type: ignore[assignment]
    try:
        draft = extract.extract_html(
            source, url=f"https://example.org/{folder.name}", source=folder.name, fetched_at=NOW
        )
        brief_text = draft.text
        result.language = draft.language
    except IngestError as err:
        brief_text = ""
        result.rejected = str(err)
    finally:
        extract.trafilatura.bare_extraction = real  # type: ignore[assignment]
    result.seconds = time.perf_counter() - start
    doc = captured[0] if captured else None
    traf_text = (getattr(doc, "text", None) or "") if doc is not None else ""
    # The headline is stored as the article's title, not in its text; Readability's gold keeps
    # it on some pages and not on others: lines repeating it are left out of all three texts.
    headline = " ".join(tokens(getattr(doc, "title", None) or "")) if doc is not None else ""
    gold_text, traf_text, brief_text = (
        "\n".join(line for line in text.split("\n") if " ".join(tokens(line)) != headline)
        for text in (gold_text, traf_text, brief_text)
    )
    gold = Counter(tokens(gold_text))
    result.traf = prf(Counter(tokens(traf_text)), gold)
    result.brief = prf(Counter(tokens(brief_text)), gold)
    gold_joined = " ".join(tokens(gold_text))
    kept_joined = " ".join(tokens(brief_text))
    for line in traf_text.split("\n"):
        found = tokens(line)
        key = " ".join(found)
        if not key or key in kept_joined or key not in gold_joined:
            continue
        if len(found) > 8 and " ".join(found[4:]) in kept_joined:
            continue  # only a dateline ("LONDON —") was taken off: metadata, not lost text
        result.lost.append(line.strip())
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--quick", action="store_true", help=f"first {QUICK_PAGES} pages only")
    parser.add_argument("--show-lost", type=int, default=5, help="lost lines shown per page")
    parser.add_argument("--pages", help="comma-separated folder names to run")
    args = parser.parse_args(argv)
    quiet_logging()
    if not args.data.is_dir():
        print(f"Dataset not found: {args.data}", file=sys.stderr)
        return 1
    folders = sorted(p for p in args.data.iterdir() if (p / "source.html").is_file())
    if args.pages:
        wanted = set(args.pages.split(","))
        folders = [f for f in folders if f.name in wanted]
    if args.quick:
        folders = folders[:QUICK_PAGES]
    started = time.perf_counter()
    results = [run_page(f) for f in folders]
    seconds = time.perf_counter() - started
    scored = [r for r in results if r.readerable]

    def mean(values: list[float]) -> float:
        return sum(values) / len(values) if values else 0.0

    rows = []
    for label, pick in (("trafilatura alone", "traf"), ("briefbot pipeline", "brief")):
        triples = [getattr(r, pick) for r in scored]
        rows.append(
            [label, mean([t[0] for t in triples]), mean([t[1] for t in triples]),
             mean([t[2] for t in triples])]
        )  # fmt: skip
    worse = [r for r in scored if r.brief[2] < r.traf[2] - PAGE_TOLERANCE]
    better = [r for r in scored if r.brief[2] > r.traf[2] + 1e-9]
    harmed = [r for r in scored if r.brief[2] < r.traf[2] - 1e-9]
    lost_pages = [r for r in scored if r.lost]
    print(
        f"\nExtraction on {len(scored)} readerable pages of {len(results)} "
        f"({args.data.name}), {seconds:.1f} s"
    )
    print(table(["pipeline", "precision", "recall", "F1"], rows))
    print(
        f"\ncleaning improves {len(better)} pages, harms {len(harmed)}; "
        f"{sum(len(r.lost) for r in lost_pages)} gold lines lost on {len(lost_pages)} pages"
    )
    if lost_pages:
        print("\nPages where cleaning lost gold text (F1 trafilatura -> briefbot):")
        for r in lost_pages:
            print(f"  {r.name}: {r.traf[2]:.3f} -> {r.brief[2]:.3f}, {len(r.lost)} lines")
            for line in r.lost[: args.show_lost]:
                print(f"      - {line[:110]}")
    rejected = [r for r in scored if r.rejected]
    if rejected:
        print("\nReaderable pages briefbot rejected:")
        for r in rejected:
            print(f"  {r.name}: {r.rejected}")
    unreadable = [r for r in results if not r.readerable]
    if unreadable:
        stored = [r.name for r in unreadable if not r.rejected]
        print(
            f"\nNot-readerable pages: {len(unreadable)}, of which briefbot stored "
            f"{len(stored)}{': ' + ', '.join(stored) if stored else ''}"
        )
    declared = [r for r in scored if r.declared_lang and not r.rejected]
    agree = [r for r in declared if r.language == r.declared_lang]
    print(
        f"\nLanguage stored vs the page's own lang attribute: {len(agree)} of {len(declared)} "
        "pages agree"
        + "".join(f"; {r.name}: {r.language} vs {r.declared_lang}" for r in declared
                  if r not in agree)
    )  # fmt: skip
    mean_ok = rows[1][3] >= rows[0][3]
    print()
    print(
        table(
            ["target", "measured", "verdict"],
            [
                ["mean F1 briefbot >= trafilatura", f"{rows[1][3]:.4f} vs {rows[0][3]:.4f}",
                 verdict(mean_ok)],
                [f"no page more than {PAGE_TOLERANCE} F1 worse",
                 ", ".join(f"{r.name} ({r.brief[2] - r.traf[2]:+.3f})" for r in worse) or "none",
                 verdict(not worse)],
            ],
        )
    )  # fmt: skip
    write_json(
        args.json,
        {
            "pages": len(results),
            "readerable": len(scored),
            "seconds": round(seconds, 1),
            "mean": {"trafilatura": rows[0][1:], "briefbot": rows[1][1:]},
            "worse_pages": [r.name for r in worse],
            "per_page": [
                {"name": r.name, "readerable": r.readerable, "trafilatura": r.traf,
                 "briefbot": r.brief, "rejected": r.rejected, "lost": r.lost}
                for r in results
            ],
        },
    )  # fmt: skip
    return 0  # like the other benchmarks: the verdicts are reported, a MISS does not fail CI


if __name__ == "__main__":
    raise SystemExit(main())
