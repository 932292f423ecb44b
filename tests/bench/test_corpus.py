"""The benchmark corpus generator: same seed, same articles; every article reads back cleanly."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench import corpus
from summaries.ingest.sources import draft_from_bytes, draft_from_text

BBC = Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets" / "bbc-news-summary-dev"

pytestmark = pytest.mark.skipif(
    not (BBC / "News Articles").is_dir(), reason="BBC dataset not present beside the repository"
)

READ_AT = datetime(2025, 2, 1, tzinfo=UTC)


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def test_same_seed_gives_identical_articles_and_another_seed_does_not() -> None:
    first = list(corpus.generate(400, seed=7, data_dir=BBC))
    again = list(corpus.generate(400, seed=7, data_dir=BBC))
    other = list(corpus.generate(400, seed=8, data_dir=BBC))
    assert first == again
    assert [a.text for a in first] != [a.text for a in other]


def test_written_files_are_byte_identical_across_runs(tmp_path: Path) -> None:
    one = corpus.write_files(60, tmp_path / "a", seed=3, data_dir=BBC)
    two = corpus.write_files(60, tmp_path / "b", seed=3, data_dir=BBC)
    assert [p.name for p in one] == [p.name for p in two] == [f"{i:06d}.txt" for i in range(60)]
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")


def test_articles_are_in_time_order_over_the_corpus_year_with_known_outlets() -> None:
    articles = list(corpus.generate(1500, seed=11, data_dir=BBC))
    assert [a.index for a in articles] == list(range(1500))
    times = [a.published_at for a in articles]
    assert times == sorted(times)
    assert times[0] >= corpus.CORPUS_START
    assert times[-1] < datetime(2025, 1, 9, tzinfo=UTC)
    assert {a.outlet for a in articles} <= {name for name, _ in corpus.OUTLETS}
    assert len({a.url for a in articles}) == 1500
    kinds = {a.kind for a in articles}
    assert kinds == {"original", "syndicated", "duplicate"}
    stories = {a.story for a in articles}
    assert 200 < len(stories) < 1000  # several articles per story on average


def test_copies_repeat_an_earlier_article_of_their_story_under_another_outlet() -> None:
    articles = list(corpus.generate(1500, seed=11, data_dir=BBC))
    seen: dict[int, list[corpus.GeneratedArticle]] = {}
    for a in articles:
        earlier = seen.setdefault(a.story, [])
        if a.kind == "duplicate":
            assert any(e.text == a.text and e.outlet != a.outlet for e in earlier)
        elif a.kind == "syndicated":
            body, _, via = a.text.rpartition("\n\n")
            assert via.startswith("Via ")
            assert any(e.text == body for e in earlier)
        earlier.append(a)


def test_text_files_clean_back_to_the_generated_article() -> None:
    for a in list(corpus.generate(40, seed=5, data_dir=BBC)):
        draft = draft_from_text(a.as_text(), source=a.file_name, fetched_at=READ_AT)
        assert draft.title == a.title
        assert draft.text == a.text
        assert draft.author == a.author
        assert draft.outlet == a.outlet
        assert draft.published_at == a.published_at


def test_html_pages_extract_to_the_article_without_furniture() -> None:
    for a in list(corpus.generate(5, seed=5, data_dir=BBC)):
        draft = draft_from_bytes(
            a.as_html().encode(), source=a.url, fetched_at=READ_AT, content_type="text/html"
        )
        assert draft.title == a.title
        assert a.paragraphs[0] in draft.text
        assert a.paragraphs[-1] in draft.text
        assert "Related stories" not in draft.text
        assert "newsletter" not in draft.text


def test_stories_rename_borrowed_names_consistently() -> None:
    articles = list(corpus.generate(800, seed=2, data_dir=BBC))
    bases = corpus.load_bbc(BBC)
    originals = [a for a in articles if a.kind == "original"]
    by_title: dict[str, set[int]] = {}
    for a in originals:
        by_title.setdefault(a.title.split(": ", 1)[-1], set()).add(a.story)
    # one story's articles share a headline; no generated headline is a BBC headline with names
    assert any(len(s) == 1 for s in by_title.values())
    named = {b.title for b in bases if any(w in corpus.name_words(bases) for w in b.title.split())}
    assert not named & set(by_title)
