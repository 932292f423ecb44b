"""Story merges after a join: a one-article story is a late join, larger stories need more.

Driven through `assign_story` with a small in-memory writer and hand-made term counts (every
term equally rare), so the similarities are known exactly: with six terms per article, two
articles sharing k terms have cosine k/6.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from summaries.store import StoryState
from summaries.stories import StoryRules, assign_story, merge_threshold

NOW = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)


class MemoryWriter:
    """The part of the store's write transaction that story assignment uses."""

    def __init__(self) -> None:
        self.stories: dict[int, StoryState] = {}
        self.story_of: dict[int, int] = {}

    def document_frequencies(self, terms: Iterable[str]) -> tuple[int, dict[str, int]]:
        return 0, dict.fromkeys(terms, 0)

    def count_terms(self, terms: Iterable[str]) -> None:
        pass

    def story_candidates(self, terms: Sequence[str], limit: int = 12) -> list[int]:
        wanted = set(terms)
        return [i for i, s in self.stories.items() if wanted & set(s.centroid)][:limit]

    def story_states(self, story_ids: Sequence[int]) -> list[StoryState]:
        return [self.stories[i] for i in story_ids if i in self.stories]

    def create_story(self, *, article_id: int, when: datetime, centroid: dict[str, float],
                     title_score: float, language: str | None = None, **_: object) -> int:  # fmt: skip
        story_id = len(self.stories) + len(self.story_of) + 1
        self.stories[story_id] = StoryState(
            story_id, centroid, 1, when, when, title_score, language
        )
        self.story_of[article_id] = story_id
        return story_id

    def join_story(self, story: StoryState, *, article_id: int, centroid: dict[str, float],
                   **_: object) -> None:  # fmt: skip
        self.stories[story.id] = replace(
            story, centroid=centroid, article_count=story.article_count + 1
        )
        self.story_of[article_id] = story.id

    def merge_stories(self, keep: StoryState, gone: StoryState, centroid: dict[str, float]) -> None:
        del self.stories[gone.id]
        self.stories[keep.id] = replace(
            keep, centroid=centroid, article_count=keep.article_count + gone.article_count
        )
        self.story_of = {a: keep.id if s == gone.id else s for a, s in self.story_of.items()}


def _ingest(w: MemoryWriter, articles: list[str]) -> list[int]:
    """Assign articles given as six-letter strings (one term per letter); the story each was
    put in when it arrived."""
    got = []
    for article_id, letters in enumerate(articles, 1):
        story_id = assign_story(
            w,
            article_id=article_id,
            title="",
            terms=dict.fromkeys(letters, 1.0),
            when=NOW,
            dated=True,
            now=NOW,
            rules=StoryRules(),
        )
        got.append(story_id)
    return got


def test_a_one_article_story_merges_once_a_neighbour_grows_towards_it() -> None:
    w = MemoryWriter()
    # "fghijk" shares one term with "abcdef" (1/6, below the join threshold): its own story.
    # "abcdgh" joins the first story and brings g and h, which the lone article has too: the
    # grown story is now 0.27 similar to it, a join but no merge of two larger stories.
    first, lone, grown = _ingest(w, ["abcdef", "fghijk", "abcdgh"])
    assert lone != first
    assert grown == first
    assert w.story_of[2] == first, "the one-article story stayed apart"
    assert [s.article_count for s in w.stories.values()] == [3]


def test_two_stories_of_several_articles_stay_apart_at_the_same_similarity() -> None:
    w = MemoryWriter()
    # As above, but the second story has two articles before the first one grows: 0.30
    # similar, under the bar for a two-article story (between join and merge).
    _ingest(w, ["abcdef", "fghijk", "fghijl", "abcdgh"])
    assert sorted(s.article_count for s in w.stories.values()) == [2, 2]
    assert w.story_of[1] == w.story_of[4] != w.story_of[2] == w.story_of[3]


def test_merge_bar_rises_from_join_to_merge_with_the_smaller_story() -> None:
    rules = StoryRules()
    bars = [merge_threshold(rules, 0.0, n) for n in (1, 2, 4, 1000)]
    assert bars[0] == rules.join
    assert bars == sorted(bars)
    assert abs(bars[-1] - rules.merge) < 0.001
    # a long gap raises the join bar, and the merge bar never falls below it
    late = merge_threshold(rules, 365.0, 1)
    assert late > rules.join
    assert merge_threshold(rules, 365.0, 2) >= late
