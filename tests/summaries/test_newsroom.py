"""The Newsroom facade: duplicates, near-duplicates, batches, briefings and what is new."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from summaries.config import CoreConfig
from summaries.newsroom import Newsroom

Sql = Callable[..., list[tuple[Any, ...]]]

# A later article that only restates what the day-one reservoir articles said, in other words.
RESTATEMENT = """Kestrel Dam Spillway Release Continues

The emergency spillway of the Kestrel Reservoir was opened on Monday after three days of heavy rain, the regional water authority said.

Residents of Brennmoor, the village below the dam, were asked to move to higher ground as a precaution, and schools in Brennmoor and Sollholt were closed.

Authority director Halvard Osterby said the dam itself was sound.
"""


async def _day_one(room: Newsroom, samples: Any) -> dict[str, int]:
    ids = {}
    for name in ("ridgeway", "lowland", "eastfold", "orchard"):
        result = await room.ingest_text(getattr(samples, name), source=f"{name}.txt")
        assert result.status == "stored", result
        assert result.article_id is not None
        ids[name] = result.article_id
    return ids


# ------------------------------------------------------------------------------ duplicates


async def test_same_text_twice_is_stored_once(
    room: Newsroom, db_path: Path, sql: Sql, samples: Any
) -> None:
    first = await room.ingest_text(samples.library, source="a.txt")
    again = await room.ingest_text(samples.library, source="b.txt")
    assert first.status == "stored"
    assert (again.status, again.article_id) == ("duplicate", first.article_id)
    assert again.reason == f"same text as article {first.article_id}"
    assert sql(db_path, "SELECT COUNT(*) FROM articles") == [(1,)]
    assert sql(db_path, "SELECT COUNT(*) FROM stories") == [(1,)]


async def test_same_text_with_different_whitespace_is_a_duplicate(
    room: Newsroom, db_path: Path, sql: Sql, samples: Any
) -> None:
    first = await room.ingest_text(samples.library, source="a.txt")
    spaced = samples.library.replace(". ", ".   ").replace("\n\n", "\n\n\n\n").replace(" ", "\t", 3)
    assert spaced != samples.library
    again = await room.ingest_text("\n\n  " + spaced + "  \n", source="spaced.txt")
    assert (again.status, again.article_id) == ("duplicate", first.article_id)
    assert sql(db_path, "SELECT COUNT(*) FROM articles") == [(1,)]
    assert first.article_id is not None
    [(n,)] = sql(db_path, "SELECT COUNT(*) FROM sentences WHERE article_id = ?", [first.article_id])
    assert n == len(await room.sentences(first.article_id)) > 0


async def test_same_url_is_a_duplicate_even_with_other_text(
    room: Newsroom, db_path: Path, sql: Sql, samples: Any
) -> None:
    url = "https://news.example.org/2025/06/comet"
    first = await room.ingest_text(samples.comet, source="pasted", url=url)
    again = await room.ingest_text(samples.orchard, source="pasted", url=url)
    assert first.status == "stored"
    assert (again.status, again.article_id) == ("duplicate", first.article_id)
    assert again.reason == f"same URL as article {first.article_id}"
    assert sql(db_path, "SELECT url FROM articles") == [(url,)]


async def test_syndicated_copy_with_one_sentence_changed_is_linked_not_a_new_source(
    room: Newsroom, db_path: Path, sql: Sql, samples: Any
) -> None:
    original = await room.ingest_text(samples.ridgeway, source="ridgeway.txt", outlet="Ridgeway")
    await room.ingest_text(samples.lowland, source="lowland.txt", outlet="Lowland Post")
    old = "Schools in Brennmoor and neighbouring Sollholt were closed for the day."
    assert old in samples.ridgeway
    copy_text = samples.ridgeway.replace(
        old, "Schools in Brennmoor and nearby Sollholt stayed shut on Monday."
    )
    copy = await room.ingest_text(copy_text, source="copy.txt", outlet="Harbour Daily")
    assert copy.status == "stored"
    assert copy.near_duplicate_of == original.article_id
    assert copy.story_id == original.story_id
    assert sql(
        db_path, "SELECT near_duplicate_of, story_id FROM articles WHERE id = ?", [copy.article_id]
    ) == [(original.article_id, original.story_id)]
    assert original.story_id is not None
    brief = await room.story(original.story_id)
    source_ids = [s.article_id for s in brief.sources]
    assert copy.article_id not in source_ids
    assert "Harbour Daily" not in [s.outlet for s in brief.sources]
    assert not [c for c in brief.summary if c.citation.article_id == copy.article_id]


async def test_batch_reports_each_input_and_keeps_the_good_ones(
    room: Newsroom, tmp_path: Path, write: Any, samples: Any, db_path: Path, sql: Sql
) -> None:
    folder = tmp_path / "in"
    write(folder, "a_orchard.txt", samples.orchard)
    write(folder, "b_empty.txt", "")
    (folder / "c_binary.txt").write_bytes(bytes(range(256)) * 8)
    write(folder, "d_comet.txt", samples.comet)
    missing = tmp_path / "missing.txt"
    results = await room.ingest([str(folder), str(missing)])
    by_input = {Path(r.input).name: r for r in results}
    assert len(results) == 5
    assert by_input["a_orchard.txt"].status == "stored"
    assert by_input["d_comet.txt"].status == "stored"
    assert by_input["b_empty.txt"].status == "rejected"
    assert by_input["b_empty.txt"].reason == f"{folder / 'b_empty.txt'} is empty"
    assert by_input["c_binary.txt"].status == "rejected"
    assert "binary" in (by_input["c_binary.txt"].reason or "")
    assert by_input["missing.txt"].status == "rejected"
    assert "no such file" in (by_input["missing.txt"].reason or "")
    assert sorted(r[0] for r in sql(db_path, "SELECT title FROM articles")) == [
        "Amateur Astronomers Track Bright Comet Over Northern Skies",
        "Hillside Orchards Report Record Cherry Harvest",
    ]


# ------------------------------------------------------------------------------ briefings


async def test_brief_records_one_delivery_with_its_articles_and_sentences(
    room: Newsroom, db_path: Path, sql: Sql, samples: Any, clock: Any
) -> None:
    ids = await _day_one(room, samples)
    briefing = await room.brief("cli:desk")
    assert briefing.delivery_id == 1
    assert sql(db_path, "SELECT id, audience, created_at, topic FROM deliveries") == [
        (1, "cli:desk", clock.now.isoformat(), None)
    ]
    shown_articles = {r[0] for r in sql(db_path, "SELECT article_id FROM delivery_articles")}
    assert shown_articles == set(ids.values())
    shown = sql(
        db_path,
        "SELECT s.text, ds.kind FROM delivery_sentences ds JOIN sentences s ON s.id = ds.sentence_id",
    )
    summary_texts = {c.text for s in briefing.stories for c in s.summary}
    assert summary_texts
    assert {text for text, _ in shown} == summary_texts
    assert {kind for _, kind in shown} == {"summary"}


async def test_brief_without_recording_writes_nothing(
    room: Newsroom, db_path: Path, sql: Sql, samples: Any
) -> None:
    await _day_one(room, samples)
    briefing = await room.brief("cli:desk", record=False)
    assert briefing.stories
    assert briefing.delivery_id is None
    for table in ("deliveries", "delivery_articles", "delivery_sentences"):
        assert sql(db_path, f"SELECT COUNT(*) FROM {table}") == [(0,)]


async def test_summary_sentences_are_verbatim_and_cited(room: Newsroom, samples: Any) -> None:
    ids = await _day_one(room, samples)
    briefing = await room.brief("cli:desk", record=False)
    reservoir = next(s for s in briefing.stories if "Kestrel" in s.title)
    texts = {aid: (await room.article(aid)).text for aid in ids.values()}
    for cited in reservoir.summary:
        assert cited.text in texts[cited.citation.article_id]
    assert {s.article_id for s in reservoir.sources} == {
        ids["ridgeway"],
        ids["lowland"],
        ids["eastfold"],
    }
    assert len({c.text for c in reservoir.summary}) == len(reservoir.summary)


async def test_topic_brief_only_covers_matching_stories_and_unmatched_topic_is_empty(
    room: Newsroom, samples: Any, db_path: Path, sql: Sql
) -> None:
    await _day_one(room, samples)
    cherry = await room.brief("cli:desk", topic="cherry harvest")
    assert [s.title for s in cherry.stories] == ["Hillside Orchards Report Record Cherry Harvest"]
    nothing = await room.brief("cli:other", topic="volcano")
    assert nothing.stories == ()
    assert nothing.delivery_id is None
    assert sql(db_path, "SELECT audience FROM deliveries") == [("cli:desk",)]


# ------------------------------------------------------------------------------ what is new


async def test_whats_new_after_a_briefing_is_only_the_update(
    room: Newsroom, samples: Any, clock: Any
) -> None:
    ids = await _day_one(room, samples)
    first = await room.brief("cli:desk")
    clock.advance(days=1)
    update = await room.ingest_text(samples.update, source="update.txt")
    news = await room.whats_new("cli:desk")
    assert [s.story_id for s in news.stories] == [update.story_id]
    [story] = news.stories
    assert story.new
    assert {c.citation.article_id for c in story.new} == {update.article_id}
    assert any("jammed" in c.text for c in story.new)
    assert any("14 million crowns" in c.text for c in story.new)
    assert all(c.updates_briefing == first.delivery_id for c in story.new)
    assert story.updates_briefing == first.delivery_id
    old_sentences = set()
    for aid in ids.values():
        old_sentences |= {s.text for s in await room.sentences(aid)}
    assert not [c for c in story.new if c.text in old_sentences]


async def test_after_a_second_briefing_nothing_is_new(
    room: Newsroom, samples: Any, clock: Any
) -> None:
    await _day_one(room, samples)
    await room.brief("cli:desk")
    clock.advance(days=1)
    await room.ingest_text(samples.update, source="update.txt")
    assert (await room.whats_new("cli:desk")).stories
    await room.brief("cli:desk")
    assert (await room.whats_new("cli:desk")).stories == ()


async def test_whats_new_does_not_record_unless_asked(
    room: Newsroom, samples: Any, clock: Any, db_path: Path, sql: Sql
) -> None:
    await _day_one(room, samples)
    await room.brief("cli:desk")
    clock.advance(days=1)
    await room.ingest_text(samples.update, source="update.txt")
    assert (await room.whats_new("cli:desk")).stories
    assert (await room.whats_new("cli:desk")).stories  # asking does not consume it
    recorded = await room.whats_new("cli:desk", record=True)
    assert recorded.delivery_id == 2
    assert sql(db_path, "SELECT DISTINCT kind FROM delivery_sentences WHERE delivery_id = 2") == [
        ("new",)
    ]
    assert (await room.whats_new("cli:desk")).stories == ()


async def test_never_briefed_audience_measures_against_coverage_before_since(
    room: Newsroom, samples: Any, clock: Any
) -> None:
    day_one = clock.now
    await _day_one(room, samples)
    clock.advance(days=1)
    update = await room.ingest_text(samples.update, source="update.txt")
    news = await room.whats_new("cli:newcomer", since=day_one + timedelta(hours=12))
    [story] = news.stories
    assert {c.citation.article_id for c in story.new} == {update.article_id}
    assert story.updates_briefing is None
    # with a `since` before all coverage, everything is new
    everything = await room.whats_new("cli:newcomer", since=day_one - timedelta(days=30))
    assert len({c.citation.article_id for s in everything.stories for c in s.new}) > 1


async def test_a_later_article_restating_known_facts_adds_nothing(
    room: Newsroom, samples: Any, clock: Any
) -> None:
    await _day_one(room, samples)
    await room.brief("cli:desk")
    clock.advance(days=1)
    restated = await room.ingest_text(RESTATEMENT, source="restated.txt")
    assert restated.status == "stored"
    assert restated.story_id is not None
    news = await room.whats_new("cli:desk")
    assert [c.text for s in news.stories for c in s.new] == []


# An unrelated story whose article is dated before the desk's briefing but arrives after it.
LATE_ARRIVAL = """Glassworks Strike Ends in Varnholm

Published: January 2, 2024 at 9:00 am CET

Workers at the Varnholm glassworks voted to end their nine-day strike after the owners agreed to a 6 percent pay rise.

Union negotiator Britta Kallsen said the furnaces would be relit within a week.
"""


async def test_a_story_that_arrived_after_the_briefing_is_new_even_when_dated_before_it(
    room: Newsroom, samples: Any, clock: Any
) -> None:
    await _day_one(room, samples)
    briefing = await room.brief("cli:desk")
    assert briefing.generated_at.date().isoformat() > "2024-01-02"
    clock.advance(days=3)
    late = await room.ingest_text(LATE_ARRIVAL, source="late.txt")
    assert late.status == "stored"
    news = await room.whats_new("cli:desk")
    [story] = [s for s in news.stories if s.story_id == late.story_id]
    assert any("nine-day strike" in c.text for c in story.new)
    assert (story.updates_briefing, story.new_since) == (None, None)  # "since your last briefing"


async def test_nothing_new_says_what_it_was_measured_against(
    room: Newsroom, samples: Any, clock: Any
) -> None:
    empty = await room.whats_new("cli:desk")
    assert (empty.stories, empty.empty_store, empty.never_briefed) == ((), True, False)
    await _day_one(room, samples)
    clock.advance(days=2)
    newcomer = await room.whats_new("cli:newcomer")
    assert (newcomer.stories, newcomer.empty_store, newcomer.never_briefed) == ((), False, True)
    assert newcomer.since == clock.now - timedelta(hours=24)
    await room.brief("cli:desk")
    briefed = await room.whats_new("cli:desk")
    assert (briefed.stories, briefed.empty_store, briefed.never_briefed) == ((), False, False)


async def test_a_story_in_full_has_a_longer_summary_than_in_a_briefing(
    room: Newsroom, samples: Any
) -> None:
    await _day_one(room, samples)
    briefing = await room.brief("cli:desk", record=False)
    in_briefing = {s.story_id: s for s in briefing.stories}
    for story_id, brief in in_briefing.items():
        full = await room.story(story_id)
        briefed_words = sum(len(c.text.split()) for c in brief.summary)
        full_words = sum(len(c.text.split()) for c in full.summary)
        assert briefed_words <= room.config.summary_words
        assert briefed_words <= full_words <= room.config.story_words
    sizes = [sum(len(c.text.split()) for c in (await room.story(i)).summary) for i in in_briefing]
    assert max(sizes) > room.config.summary_words


# ------------------------------------------------------------------------------ quotable


async def test_a_summary_never_quotes_a_sentence_that_points_at_the_one_before(
    room: Newsroom,
) -> None:
    text = (
        "The council of Marrow Bay voted on Tuesday to close the old ferry pier.\n\n"
        "The move drew protests from fishermen and pier traders.\n\n"
        "She said the pier would be fenced off by June.\n\n"
        "These traders say they will lose half their summer income.\n\n"
        "Repairing the pier would have cost 2 million pounds, the council said.\n\n"
        "Fishermen in Marrow Bay will moor at the north harbour instead.\n"
    )
    result = await room.ingest_text(text, source="pier.txt", outlet="Bay Courier")
    assert result.story_id is not None
    story = await room.story(result.story_id)
    assert [c.text for c in story.summary] == [
        "The council of Marrow Bay voted on Tuesday to close the old ferry pier.",
        "Repairing the pier would have cost 2 million pounds, the council said.",
        "Fishermen in Marrow Bay will moor at the north harbour instead.",
    ]


# ------------------------------------------------------------------------------ update length

LIBRARY_UPDATE = """Oakhaven Library Robotics Workshop Adds Weekend Sessions

The central library of Oakhaven will add Sunday sessions to its robotics workshop from next month after more than 300 teenagers joined the waiting list, librarian Tobiah Wren said on Friday.

A second room with eight new workbenches will open in the library basement, paid for by a grant of 40,000 euros from the regional council.

The technical college will send six more volunteer engineers, and girls-only sessions are planned for Thursday evenings.
"""


async def test_an_update_gets_a_full_storys_room_shared_among_the_stories_that_moved(
    db_path: Path, clock: Any, samples: Any
) -> None:
    config = CoreConfig(new_words=20, story_words=60)
    async with Newsroom(db_path, clock=clock, config=config) as room:
        await _day_one(room, samples)
        await room.ingest_text(samples.library, source="library.txt")
        await room.brief("cli:desk")
        clock.advance(days=1)
        await room.ingest_text(samples.update, source="update.txt")
        [alone] = (await room.whats_new("cli:desk")).stories
        alone_words = sum(len(c.text.split()) for c in alone.new)
        assert config.new_words < alone_words <= config.story_words

        await room.ingest_text(LIBRARY_UPDATE, source="library-update.txt")
        two = (await room.whats_new("cli:desk")).stories
        assert len(two) == 2
        for story in two:
            assert sum(len(c.text.split()) for c in story.new) <= config.story_words // 2
