"""Story assignment seen from outside: which articles end up together, and which never do."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from summaries.errors import NotFound
from summaries.newsroom import Newsroom

Sql = Callable[..., list[tuple[Any, ...]]]


async def _story_of(room: Newsroom, results: list[Any]) -> set[int | None]:
    return {(await room.article(r.article_id)).story_id for r in results}


async def test_five_seed_articles_form_one_story(room: Newsroom, seeds_dir: Path) -> None:
    results = await room.ingest([str(seeds_dir)])
    assert [r.status for r in results] == ["stored"] * 5
    assert len(await _story_of(room, results)) == 1
    [story] = await room.stories()
    assert story.article_count == 5
    headlines = {(await room.article(r.article_id or 0)).title for r in results}
    assert story.title in headlines
    assert story.title  # never an empty headline


@pytest.mark.parametrize("seeds_first", [False, True], ids=["bbc-first", "seeds-first"])
async def test_seed_story_never_absorbs_bbc_articles_and_bbc_is_not_one_giant_story(
    room: Newsroom,
    seeds_dir: Path,
    bbc_files: list[Path],
    db_path: Path,
    sql: Sql,
    seeds_first: bool,
) -> None:
    bbc = [str(p) for p in bbc_files]
    inputs = [str(seeds_dir), *bbc] if seeds_first else [*bbc, str(seeds_dir)]
    results = await room.ingest(inputs)
    stored = [r for r in results if r.status == "stored"]
    seed_ids = {r.article_id or 0 for r in stored if Path(r.input).parent == seeds_dir}
    assert len(seed_ids) == 5
    rows = sql(db_path, "SELECT id, story_id FROM articles")
    story_of: dict[int, int] = dict(rows)
    seed_stories = {story_of[i] for i in seed_ids}
    assert len(seed_stories) == 1, "the seeds were split over several stories"
    [seed_story] = seed_stories
    members = {i for i, s in rows if s == seed_story}
    assert members == seed_ids, "BBC articles joined the seed story"
    bbc_sizes = Counter(s for i, s in rows if i not in seed_ids)
    n_bbc = sum(bbc_sizes.values())
    assert n_bbc >= 140
    largest = max(bbc_sizes.values())
    assert largest <= 0.05 * n_bbc, f"one story holds {largest} of {n_bbc} BBC articles"


async def test_unrelated_articles_open_their_own_stories(room: Newsroom, samples: Any) -> None:
    reservoir = [
        await room.ingest_text(getattr(samples, n), source=f"{n}.txt")
        for n in ("ridgeway", "lowland", "eastfold")
    ]
    others = [
        await room.ingest_text(text, source=f"{name}.txt")
        for name, text in samples.unrelated.items()
    ]
    assert len({r.story_id for r in reservoir}) == 1
    other_stories = [r.story_id for r in others]
    assert len(set(other_stories)) == 3
    assert reservoir[0].story_id not in other_stories
    stories = await room.stories()
    assert sorted(s.article_count for s in stories) == [1, 1, 1, 3]


async def test_story_title_is_one_of_its_headlines_and_lists_its_outlets(
    room: Newsroom, samples: Any
) -> None:
    for name, outlet in (
        ("ridgeway", "Ridgeway Courier"),
        ("lowland", "Lowland Post"),
        ("eastfold", "Eastfold Herald"),
    ):
        await room.ingest_text(getattr(samples, name), source=f"{name}.txt", outlet=outlet)
    [story] = await room.stories()
    headlines = {a.title for a in await room.articles()}
    assert story.title in headlines
    assert set(story.outlets) == {"Ridgeway Courier", "Lowland Post", "Eastfold Herald"}


async def test_next_day_update_joins_the_story(room: Newsroom, samples: Any, clock: Any) -> None:
    first = await room.ingest_text(samples.ridgeway, source="ridgeway.txt")
    await room.ingest_text(samples.orchard, source="orchard.txt")
    clock.advance(days=1)
    update = await room.ingest_text(samples.update, source="update.txt")
    assert update.story_id == first.story_id
    story = await room.story(first.story_id or 0)
    assert {s.article_id for s in story.sources} == {first.article_id, update.article_id}


async def test_unknown_story_id_is_not_found(room: Newsroom, samples: Any) -> None:
    await room.ingest_text(samples.orchard, source="orchard.txt")
    with pytest.raises(NotFound, match=r"^no story with id 99$"):
        await room.story(99)


async def test_topic_finds_the_matching_story_first(room: Newsroom, samples: Any) -> None:
    for name in ("ridgeway", "lowland"):
        await room.ingest_text(getattr(samples, name), source=f"{name}.txt")
    for name, text in samples.unrelated.items():
        await room.ingest_text(text, source=f"{name}.txt")
    found = await room.stories(topic="Brennmoor dam")
    assert found
    assert "Kestrel" in found[0].title or "Brennmoor" in found[0].title
    assert await room.stories(topic="submarine") == []


RESERVOIR_EN = """Kestrel Reservoir Spillway Opened by Halvard Osterby

Engineers opened the emergency spillway of the Kestrel Reservoir on Monday after heavy rain, regional water authority director Halvard Osterby said in Brennmoor. About 2,300 residents of Brennmoor were asked to leave as a precaution, and schools in Brennmoor and Sollholt closed. Halvard Osterby said the Kestrel Reservoir dam was sound and would be inspected again on 14 June 2025."""

# Another story, in German, that happens to share the names, places and figures.
MUSEUM_DE = """Halvard Osterby eröffnet Museum in Brennmoor

Der frühere Direktor Halvard Osterby hat am Montag in Brennmoor ein neues Museum für Volkskunst eröffnet. Rund 2.300 Besucher kamen am ersten Tag nach Brennmoor und Sollholt, sagte Halvard Osterby. Das Museum am Kestrel Reservoir zeigt Holzschnitzereien und ist ab dem 14. Juni 2025 täglich geöffnet."""


async def test_articles_in_two_languages_never_share_a_story(room: Newsroom) -> None:
    english = await room.ingest_text(RESERVOIR_EN, source="en")
    german = await room.ingest_text(MUSEUM_DE, source="de")

    assert (await room.article(english.article_id or 0)).language == "en"
    assert (await room.article(german.article_id or 0)).language == "de"
    # names and figures alone would have put them together (checked with the language test
    # switched off); in two languages they are compared on nothing else
    assert english.story_id != german.story_id
