"""A deterministic news corpus of any size, recombined from the BBC dev articles.

Usage::

    python bench/corpus.py --n 100000 --store [PATH]        # build (or reuse) a cached store
    python bench/corpus.py --n 2000 --out DIR [--format txt|html]   # write article files
    python bench/corpus.py --n 1000 --stats                  # print what would be generated

How articles are made (same ``--seed`` -> byte-identical output, on any machine):

* A *story* takes a base BBC article and a second article of the same category. Its articles
  (1-12, mean about 4) are dated within a few days of a start time drawn uniformly over 2024.
* Every story renames the people, places and companies it borrows: each capitalised word that is a
  name in the BBC set becomes an invented name, fixed per story (a hash of seed, story and
  name). Without this the 1,123 base articles, reused about 22 times each at 100k articles,
  would all merge into a thousand year-long stories; with it stories stay apart while the
  articles of one story share their names.
* Each article keeps the base's lead sentence and most of its other sentences (each kept with
  probability 0.75, in order), gets a run of 2-4 sentences from the second article as its own
  paragraph, and sometimes one sentence of a third same-category article. Headlines are the
  base's headline, sometimes with a prefix.
* Outlets and authors come from fixed invented lists. About 6% of articles are syndicated
  near-copies of the story's first article (another outlet, "Via <outlet>." appended) and about 2%
  exact duplicates (same text under another outlet's URL).

Articles are produced in time order, as `GeneratedArticle` objects that render as an
`ArticleDraft`, a plain-text file (headline, byline, date line, paragraphs, copyright line) or an
HTML page with navigation and footer furniture. Stores are cached in ``bench/.cache`` keyed by
size, seed and generator version; delete the file (or pass ``--rebuild``) after changing the
ingest code.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import html
import json
import logging
import random
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import CACHE, DEFAULT_DATA, peak_rss_mb, quiet_logging  # noqa: E402
from summaries.models import ArticleDraft  # noqa: E402
from summaries.text import split_sentences  # noqa: E402

log = logging.getLogger(__name__)

# Part of the cached stores' file names: bump it when a change alters what a built store holds
# (4: story assignment with 60/150 terms and join 0.18; edge-only cleaning and datelines;
# 5: join 0.20 and the size-dependent merge bar of summaries/stories.merge_threshold).
GENERATOR_VERSION = 5
DEFAULT_SEED = 20240101
CORPUS_START = datetime(2024, 1, 1, tzinfo=UTC)
CORPUS_DAYS = 366
CLOCK_AFTER = datetime(2025, 1, 1, 6, 0, tzinfo=UTC)
"""A clock just after the corpus ends (the Newsroom clock used by the benchmarks)."""

CATEGORIES = ("business", "entertainment", "politics", "sport", "tech")

OUTLETS: tuple[tuple[str, str], ...] = (
    ("Alder Gazette", "aldergazette.example"),
    ("Coastline News", "coastline-news.example"),
    ("Northern Wire", "northernwire.example"),
    ("Harbour Daily", "harbourdaily.example"),
    ("Valley Times", "valleytimes.example"),
    ("Meridian Post", "meridianpost.example"),
    ("Eastgate Herald", "eastgateherald.example"),
    ("Lantern Report", "lanternreport.example"),
    ("Summit Ledger", "summitledger.example"),
    ("Riverside Courier", "riversidecourier.example"),
    ("Granite Observer", "graniteobserver.example"),
    ("Beacon Dispatch", "beacondispatch.example"),
)
AUTHORS = (
    "Tomas Brandt", "Amira Haddad", "Lena Okafor", "Pieter Vos", "Sofia Marquez", "Jonah Reed",
    "Keiko Tanaka", "Ravi Menon", "Elise Dupont", "Marek Nowak", "Hana Sato", "Owen Gallagher",
    "Ines Ferreira", "Daniel Kim", "Freya Lund", "Samuel Adeyemi", "Clara Weiss", "Nadia Petrova",
)  # fmt: skip
PREFIXES = ("", "", "", "", "", "Latest: ", "Update: ", "Analysis: ", "Explainer: ")
# Story sizes 1..12 with weights (mean about 4 articles per story).
SIZES = tuple(range(1, 13))
SIZE_WEIGHTS = (22, 18, 14, 11, 9, 7, 6, 4, 3, 2, 2, 2)
SYNDICATED_SHARE = 0.06
DUPLICATE_SHARE = 0.02
NAV = ("Home", "World", "Business", "Politics", "Sport", "Technology", "Culture", "Opinion")


@dataclass(frozen=True)
class BbcArticle:
    """One BBC dev article: its headline and its paragraphs as lists of sentences."""

    category: str
    name: str
    title: str
    paragraphs: tuple[tuple[str, ...], ...]

    @property
    def sentences(self) -> tuple[str, ...]:
        return tuple(s for p in self.paragraphs for s in p)


@dataclass(frozen=True)
class GeneratedArticle:
    """One generated article (see the module docstring)."""

    index: int
    story: int
    kind: str  # "original", "syndicated" or "duplicate"
    category: str
    title: str
    paragraphs: tuple[str, ...]
    outlet: str
    domain: str
    author: str
    published_at: datetime

    @property
    def url(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")[:60]
        day = self.published_at
        return f"https://{self.domain}/{day:%Y/%m/%d}/{slug}-{self.index}"

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def file_name(self) -> str:
        return f"{self.index:06d}"

    def draft(self, fetched_at: datetime | None = None) -> ArticleDraft:
        """As a cleaned draft (what the ingest path produces from the file)."""
        return ArticleDraft(
            text=self.text,
            title=self.title,
            source=self.url,
            fetched_at=fetched_at or self.published_at + timedelta(minutes=7),
            url=self.url,
            outlet=self.outlet,
            author=self.author,
            published_at=self.published_at,
            language="en",
        )

    def as_text(self) -> str:
        """A plain-text file: headline, byline, date line, paragraphs, copyright line."""
        stamp = f"{self.published_at:%Y-%m-%d %H:%M} UTC"
        body = "\n\n".join(self.paragraphs)
        return (
            f"{self.title}\n\nBy {self.author}\n\nPublished {stamp}\n\n{body}\n\n"
            f"© {self.published_at:%Y} {self.outlet}\n"
        )

    def as_html(self) -> str:
        """A web page with navigation, a related-links aside and a footer around the article."""
        esc = html.escape
        nav = "".join(f'<li><a href="/{n.lower()}/">{n}</a></li>' for n in NAV)
        paras = "\n".join(f"<p>{esc(p)}</p>" for p in self.paragraphs)
        iso = self.published_at.isoformat()
        related = "".join(
            f'<li><a href="/related/{i}">More {esc(self.category)} news {i}</a></li>'
            for i in range(1, 6)
        )
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{esc(self.title)} | {esc(self.outlet)}</title>
<meta property="og:title" content="{esc(self.title)}">
<meta property="og:site_name" content="{esc(self.outlet)}">
<meta property="og:url" content="{esc(self.url)}">
<meta name="author" content="{esc(self.author)}">
<meta property="article:published_time" content="{iso}">
<link rel="canonical" href="{esc(self.url)}">
</head><body>
<header><div class="logo">{esc(self.outlet)}</div><nav><ul>{nav}</ul></nav>
<form action="/search"><input name="q" placeholder="Search"></form></header>
<main><article>
<h1>{esc(self.title)}</h1>
<p class="byline">By <span class="author">{esc(self.author)}</span>
<time datetime="{iso}">{self.published_at:%d %B %Y, %H:%M} UTC</time></p>
{paras}
</article>
<aside><h2>Related stories</h2><ul>{related}</ul>
<div class="newsletter">Sign up for our newsletter</div></aside></main>
<footer><ul><li><a href="/about">About us</a></li><li><a href="/contact">Contact</a></li>
<li><a href="/privacy">Privacy policy</a></li></ul>
<p>© {self.published_at:%Y} {esc(self.outlet)}. All rights reserved.</p></footer>
</body></html>
"""


# ====================================================================== BBC source


@lru_cache(maxsize=4)
def load_bbc(data_dir: Path = DEFAULT_DATA) -> tuple[BbcArticle, ...]:
    """The BBC dev articles (Latin-1, first line the headline), sorted by category and name."""
    root = Path(data_dir) / "News Articles"
    if not root.is_dir():
        raise FileNotFoundError(f"BBC dataset not found: {root}")
    out: list[BbcArticle] = []
    for category in CATEGORIES:
        for path in sorted((root / category).glob("*.txt")):
            raw = path.read_text(encoding="latin-1").replace("\r\n", "\n")
            title, _, body = raw.partition("\n")
            paragraphs = tuple(
                tuple(split_sentences(" ".join(block.split())))
                for block in re.split(r"\n\s*\n", body)
                if block.strip()
            )
            paragraphs = tuple(p for p in paragraphs if p)
            if title.strip() and sum(len(p) for p in paragraphs) >= 4:
                out.append(BbcArticle(category, path.stem, title.strip(), paragraphs))
    return tuple(out)


_CAP_RE = re.compile(r"\b[A-Z][A-Za-z]+\b")
_WORD_RE = re.compile(r"\b[A-Za-z]+\b")
_KEEP = frozenset(
    """I A An The In On At But And He She It They We This That Mr Mrs Ms Dr January February
    March April May June July August September October November December Monday Tuesday
    Wednesday Thursday Friday Saturday Sunday""".split()
)
_SYLLABLES = tuple(
    "ka lo ve mi ta so ri de ba qu ne lu fa ro si te da mo ga pe zu hi no ra vi sa ku le".split()
)


@lru_cache(maxsize=4)
def name_words(bases: tuple[BbcArticle, ...]) -> frozenset[str]:
    """Words used as names in the BBC set: capitalised mid-sentence more often than lowercase."""
    capitalised: dict[str, int] = {}
    lower: dict[str, int] = {}
    for b in bases:
        for sentence in (b.title, *b.sentences):
            for m in _WORD_RE.finditer(sentence):
                word = m.group()
                if word[0].isupper():
                    if m.start() > 0:
                        capitalised[word] = capitalised.get(word, 0) + 1
                else:
                    lower[word] = lower.get(word, 0) + 1
    return frozenset(
        w for w, c in capitalised.items() if w not in _KEEP and c > lower.get(w.lower(), 0)
    )


def _invented(seed: int, story: int, word: str) -> str:
    digest = hashlib.blake2b(f"{seed}:{story}:{word}".encode(), digest_size=8).digest()
    count = 2 + digest[0] % 2
    name = "".join(_SYLLABLES[b % len(_SYLLABLES)] for b in digest[1 : 1 + count])
    return name.upper() if word.isupper() else name.capitalize()


def _renamer(seed: int, story: int, names: frozenset[str]) -> Callable[[str], str]:
    mapping: dict[str, str] = {}

    def one(m: re.Match[str]) -> str:
        word = m.group()
        if word not in names:
            return word
        if word not in mapping:
            mapping[word] = _invented(seed, story, word)
        return mapping[word]

    return lambda text: _CAP_RE.sub(one, text)


# ====================================================================== plan


@dataclass(frozen=True)
class _Slot:
    when: datetime
    story: int
    slot: int
    kind: str
    copy_of: int  # slot copied (syndicated/duplicate), else -1


@dataclass(frozen=True)
class _StoryPlan:
    base: int
    second: int
    start: datetime
    offsets_min: tuple[int, ...]


def _plan(n: int, seed: int, bases: Sequence[BbcArticle]) -> tuple[list[_StoryPlan], list[_Slot]]:
    rng = random.Random(f"briefbot-corpus:{seed}:plan")
    by_category: dict[str, list[int]] = {}
    for i, b in enumerate(bases):
        by_category.setdefault(b.category, []).append(i)
    stories: list[_StoryPlan] = []
    slots: list[_Slot] = []
    total = 0
    span_min = CORPUS_DAYS * 24 * 60
    while total < n:
        base = rng.randrange(len(bases))
        peers = by_category[bases[base].category]
        second = peers[rng.randrange(len(peers))]
        if second == base:
            second = peers[(peers.index(base) + 1) % len(peers)]
        size = min(rng.choices(SIZES, SIZE_WEIGHTS)[0], n - total)
        start = CORPUS_START + timedelta(minutes=rng.randrange(span_min))
        offsets = [0]
        for _ in range(size - 1):
            # most follow-ups within a day or two, a tail up to a week
            offsets.append(min(int(rng.expovariate(1 / 1500)) + 5, 7 * 24 * 60))
        offsets.sort()
        story = len(stories)
        stories.append(_StoryPlan(base, second, start, tuple(offsets)))
        story_slots: list[_Slot] = []
        for slot, off in enumerate(offsets):
            kind, copy_of = "original", -1
            if slot > 0:
                roll = rng.random()
                if roll < SYNDICATED_SHARE:
                    kind, copy_of = "syndicated", 0
                elif roll < SYNDICATED_SHARE + DUPLICATE_SHARE:
                    kind, copy_of = "duplicate", rng.randrange(slot)
                    while story_slots[copy_of].copy_of >= 0:  # copy the original text
                        copy_of = story_slots[copy_of].copy_of
            story_slots.append(_Slot(start + timedelta(minutes=off), story, slot, kind, copy_of))
        slots.extend(story_slots)
        total += size
    slots.sort(key=lambda s: (s.when, s.story, s.slot))
    return stories, slots


def _compose(
    seed: int,
    story: int,
    slot: int,
    plan: _StoryPlan,
    bases: tuple[BbcArticle, ...],
    by_category: dict[str, list[int]],
) -> tuple[str, tuple[str, ...], int, int]:
    """Title, paragraphs, outlet index and author index of an original article."""
    rng = random.Random(f"briefbot-corpus:{seed}:{story}:{slot}")
    base = bases[plan.base]
    second = bases[plan.second]
    paragraphs: list[str] = []
    first = True
    for para in base.paragraphs:
        kept = [s for s in para if first or rng.random() < 0.75]
        first = False
        if kept:
            paragraphs.append(" ".join(kept))
    extra = second.sentences
    run = rng.randint(2, 4)
    at = rng.randrange(max(1, len(extra) - run + 1))
    where = rng.randint(1, max(1, len(paragraphs)))
    paragraphs.insert(where, " ".join(extra[at : at + run]))
    if rng.random() < 0.4:
        peers = by_category[base.category]
        third = bases[peers[rng.randrange(len(peers))]].sentences
        paragraphs.insert(rng.randint(1, len(paragraphs)), third[rng.randrange(len(third))])
    rename = _renamer(seed, story, name_words(bases))
    title = rng.choice(PREFIXES) + rename(base.title)
    return (
        title,
        tuple(rename(p) for p in paragraphs),
        rng.randrange(len(OUTLETS)),
        rng.randrange(len(AUTHORS)),
    )


def generate(
    n: int, *, seed: int = DEFAULT_SEED, data_dir: Path = DEFAULT_DATA
) -> Iterator[GeneratedArticle]:
    """Yield `n` generated articles in publication order (deterministic for a seed)."""
    bases = load_bbc(Path(data_dir))
    by_category: dict[str, list[int]] = {}
    for i, b in enumerate(bases):
        by_category.setdefault(b.category, []).append(i)
    stories, slots = _plan(n, seed, bases)
    for index, s in enumerate(slots):
        plan = stories[s.story]
        source_slot = s.copy_of if s.kind != "original" else s.slot
        title, paragraphs, outlet, author = _compose(
            seed, s.story, source_slot, plan, bases, by_category
        )
        if s.kind != "original":
            # another outlet carries the same text
            rng = random.Random(f"briefbot-corpus:{seed}:{s.story}:{s.slot}:copy")
            outlet = (outlet + 1 + rng.randrange(len(OUTLETS) - 1)) % len(OUTLETS)
            if s.kind == "syndicated":
                original = OUTLETS[(outlet - 1) % len(OUTLETS)][0]
                paragraphs = (*paragraphs, f"Via {original}.")
        name, domain = OUTLETS[outlet]
        yield GeneratedArticle(
            index=index,
            story=s.story,
            kind=s.kind,
            category=bases[plan.base].category,
            title=title,
            paragraphs=paragraphs,
            outlet=name,
            domain=domain,
            author=AUTHORS[author],
            published_at=s.when,
        )


def drafts(
    n: int, *, seed: int = DEFAULT_SEED, data_dir: Path = DEFAULT_DATA
) -> Iterator[ArticleDraft]:
    """The generated articles as `ArticleDraft` objects, for in-process use."""
    for article in generate(n, seed=seed, data_dir=data_dir):
        yield article.draft()


def write_files(
    n: int,
    out_dir: Path,
    *,
    seed: int = DEFAULT_SEED,
    fmt: str = "txt",
    data_dir: Path = DEFAULT_DATA,
    offset: int = 0,
) -> list[Path]:
    """Write `n` generated articles as files (``txt`` or ``html``); return the paths in order.

    `offset` skips that many articles first (to write articles that come after a cached store).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for article in generate(n + offset, seed=seed, data_dir=data_dir):
        if article.index < offset:
            continue
        path = out_dir / f"{article.file_name}.{fmt}"
        body = article.as_html() if fmt == "html" else article.as_text()
        path.write_text(body, encoding="utf-8")
        paths.append(path)
    return paths


# ====================================================================== cached stores


def store_path(n: int, seed: int = DEFAULT_SEED) -> Path:
    """Where the cached store of `n` articles lives."""
    suffix = "" if seed == DEFAULT_SEED else f"-seed{seed}"
    label = f"{n // 1000}k" if n % 1000 == 0 else str(n)
    return CACHE / f"store-{label}{suffix}-v{GENERATOR_VERSION}.db"


async def build_store(
    path: Path,
    n: int,
    *,
    seed: int = DEFAULT_SEED,
    data_dir: Path = DEFAULT_DATA,
    progress: Callable[[int, float], None] | None = None,
) -> dict[str, object]:
    """Store `n` generated drafts into a new database at `path` with `Newsroom.store_draft`.

    Returns:
        Build statistics (articles, statuses, seconds, rate, peak memory).
    """
    from summaries.newsroom import Newsroom

    remove_db(path)
    statuses: dict[str, int] = {}
    start = time.perf_counter()
    async with Newsroom(path, clock=lambda: CLOCK_AFTER) as room:
        for i, draft in enumerate(drafts(n, seed=seed, data_dir=data_dir), 1):
            result = await room.store_draft(draft)
            statuses[result.status] = statuses.get(result.status, 0) + 1
            if progress is not None and i % 1000 == 0:
                progress(i, time.perf_counter() - start)
        stories = (await room.store._rows("SELECT count(*) FROM stories"))[0][0]
    seconds = time.perf_counter() - start
    return {
        "articles": n,
        "seed": seed,
        "generator_version": GENERATOR_VERSION,
        "statuses": statuses,
        "stories": stories,
        "seconds": round(seconds, 1),
        "articles_per_s": round(n / seconds, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "db_bytes": db_bytes(path),
    }


def remove_db(path: Path) -> None:
    """Delete a database and its WAL files (making its folder when missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def db_bytes(path: Path) -> int:
    """Size of a database file with its WAL (bytes)."""
    return sum(
        Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists()
    )


def cached_store(
    n: int,
    *,
    seed: int = DEFAULT_SEED,
    data_dir: Path = DEFAULT_DATA,
    rebuild: bool = False,
    verbose: bool = True,
) -> Path:
    """The cached store of `n` articles, built first when missing (atomically: tmp + rename)."""
    path = store_path(n, seed)
    if path.exists() and not rebuild:
        return path
    tmp = path.with_name(path.name + ".tmp")

    def report(done: int, seconds: float) -> None:
        if verbose and (done % 10_000 == 0 or n <= 20_000):
            print(
                f"... {done:,}/{n:,} articles stored, {done / seconds:.0f}/s overall",
                file=sys.stderr,
                flush=True,
            )

    if verbose:
        print(f"building {path.name} ({n:,} articles); cached for later runs", file=sys.stderr)
    stats = asyncio.run(build_store(tmp, n, seed=seed, data_dir=data_dir, progress=report))
    for suffix in ("-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    tmp.replace(path)
    path.with_suffix(".json").write_text(json.dumps(stats, indent=2) + "\n")
    if verbose:
        print(f"built {path}: {json.dumps(stats)}", file=sys.stderr)
    return path


def copy_store(source: Path, dest: Path) -> Path:
    """Copy a cached store (and any WAL files) to `dest` for a run that writes to it."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, dest)
    for suffix in ("-wal", "-shm"):
        extra = Path(f"{source}{suffix}")
        if extra.exists():
            shutil.copyfile(extra, Path(f"{dest}{suffix}"))
    return dest


# ====================================================================== CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="articles (default 10,000)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, help="write article files into this directory")
    parser.add_argument("--format", choices=("txt", "html"), default="txt")
    parser.add_argument(
        "--store", nargs="?", const="cache", help="build a store (default: the cache path)"
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild a cached store")
    parser.add_argument("--stats", action="store_true", help="print corpus statistics")
    args = parser.parse_args(argv)
    quiet_logging()
    if not (args.data / "News Articles").is_dir():
        print(f"Dataset not found: {args.data}", file=sys.stderr)
        return 1
    if args.out:
        start = time.perf_counter()
        paths = write_files(args.n, args.out, seed=args.seed, fmt=args.format, data_dir=args.data)
        print(
            f"wrote {len(paths):,} {args.format} files to {args.out} "
            f"in {time.perf_counter() - start:.1f} s"
        )
    if args.store:
        if args.store == "cache":
            path = cached_store(args.n, seed=args.seed, data_dir=args.data, rebuild=args.rebuild)
        else:
            path = Path(args.store)
            if path.exists() and not args.rebuild:
                print(f"{path} exists (use --rebuild)", file=sys.stderr)
                return 1
            stats = asyncio.run(build_store(path, args.n, seed=args.seed, data_dir=args.data))
            print(json.dumps(stats))
        print(path)
    if args.stats or not (args.out or args.store):
        start = time.perf_counter()
        kinds: dict[str, int] = {}
        stories: set[int] = set()
        words = 0
        for a in generate(args.n, seed=args.seed, data_dir=args.data):
            kinds[a.kind] = kinds.get(a.kind, 0) + 1
            stories.add(a.story)
            words += len(a.text.split())
        seconds = time.perf_counter() - start
        print(
            f"{args.n:,} articles, {len(stories):,} planned stories, kinds {kinds}, "
            f"{words / max(args.n, 1):.0f} words/article, generated in {seconds:.1f} s "
            f"({args.n / seconds:,.0f}/s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
