"""Story ranking: briefings and "what is new" lead with the stories that matter, not the newest.

The rule (README, "Story ranking"): in the audience's window, stories with more distinct
outlets come first, then more articles, then more growth (the share of the story that is in
the window); in "what is new" a story the audience was briefed on before and that moved comes
first of all. Articles with no known outlet count as one outlet together.

Every article here is invented. The tunnel story is told four times by writers who give no
outlet; the other stories come from named outlets (see tests/conftest.py for the reservoir).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from summaries.newsroom import Newsroom
from summaries.store import MIGRATIONS, Window
from tests.conftest import BBC, SEEDS, Clock

Sql = Callable[..., list[tuple[Any, ...]]]

TUNNEL = (
    """Tarnholm Rail Tunnel Flooded After Pump Failure

Water flooded the eastern bore of the Tarnholm rail tunnel on Tuesday after two drainage pumps failed during a cloudburst, the operator Brisk Rail said.

Brisk Rail engineer Odile Marchetti said the water stood almost a metre deep at the lowest point of the Tarnholm bore and that no train had been inside. Trains between Vossbury and Kellmar were stopped.
""",
    """Vossbury Commuters Stranded as Tarnholm Tunnel Stays Shut

Commuters between Vossbury and Kellmar waited for replacement buses on Wednesday while Brisk Rail pumped water out of the flooded Tarnholm tunnel.

Odile Marchetti of Brisk Rail said divers had found the failed pumps and that the Tarnholm drainage shaft would be inspected before any train used the line again.
""",
    """Brisk Rail Blames Wiring Fault for Tarnholm Pump Failure

A wiring fault in a control cabinet stopped both drainage pumps of the Tarnholm tunnel, Brisk Rail said on Thursday, two days after the Vossbury line flooded.

Engineer Odile Marchetti said the Tarnholm cabinet had passed an inspection in spring and that every cabinet on the Kellmar line would now be checked.
""",
    """Tarnholm Tunnel Reopens to Vossbury and Kellmar Trains

Trains ran through the Tarnholm tunnel again on Friday after Brisk Rail replaced the drainage pumps that failed in the flood, the operator said.

Brisk Rail engineer Odile Marchetti said new alarms in the Tarnholm bore would now warn the control room in Kellmar before water could rise above the rails near Vossbury.
""",
)


async def _add(room: Newsroom, text: str, name: str, outlet: str | None = None) -> int:
    result = await room.ingest_text(text, source=f"{name}.txt", outlet=outlet)
    assert result.status == "stored", result
    assert result.story_id is not None
    return result.story_id


async def _titles(room: Newsroom, ids: list[int]) -> dict[int, str]:
    return {s.id: s.title for s in await room.stories(limit=50) if s.id in ids}


async def test_brief_leads_with_the_most_outlets_not_the_newest_story(
    room: Newsroom, samples: Any, clock: Any
) -> None:
    reservoir = await _add(room, samples.ridgeway, "ridgeway", "Ridgeway Courier")
    assert await _add(room, samples.eastfold, "eastfold", "Eastfold Herald") == reservoir
    clock.advance(hours=1)
    tunnel = await _add(room, TUNNEL[0], "tunnel-0")
    for n, text in enumerate(TUNNEL[1:], start=1):
        clock.advance(minutes=10)
        assert await _add(room, text, f"tunnel-{n}") == tunnel
    clock.advance(hours=1)
    library = await _add(room, samples.library, "library", "Oakhaven Weekly")
    clock.advance(hours=1)
    orchard = await _add(room, samples.orchard, "orchard", "Marrow Hills Gazette")
    assert len({reservoir, tunnel, library, orchard}) == 4

    briefing = await room.brief("cli:new", record=False)

    # two outlets beat four articles whose writers give no outlet (they count as one), and
    # the newest story (the orchard) does not lead: it has one article like the library,
    # and between those two the later coverage wins
    assert [b.story_id for b in briefing.stories] == [reservoir, tunnel, orchard, library]
    # the story list itself stays "most recently updated first"
    assert [s.id for s in await room.stories()] == [orchard, library, tunnel, reservoir]


async def test_whats_new_puts_the_followed_story_that_moved_first_and_brief_weighs_growth(
    room: Newsroom, samples: Any, clock: Any
) -> None:
    reservoir = await _add(room, samples.ridgeway, "ridgeway", "Ridgeway Courier")
    await _add(room, samples.lowland, "lowland", "Lowland Post")
    await _add(room, samples.eastfold, "eastfold", "Eastfold Herald")
    library = await _add(room, samples.library, "library", "Oakhaven Weekly")
    clock.advance(minutes=1)
    briefed = await room.brief("cli:desk")
    assert {b.story_id for b in briefed.stories} == {reservoir, library}

    clock.advance(days=1)
    assert await _add(room, samples.update, "update", "Ridgeway Courier") == reservoir
    orchard = await _add(room, samples.orchard, "orchard", "Marrow Hills Gazette")
    clock.advance(minutes=5)
    comet = await _add(room, samples.comet, "comet", "Lindqvist Star")
    clock.advance(minutes=5)
    tunnel = await _add(room, TUNNEL[0], "tunnel-0", "Vossbury Echo")
    assert await _add(room, TUNNEL[1], "tunnel-1", "Kellmar Daily") == tunnel
    clock.advance(minutes=5)

    update = await room.whats_new("cli:desk")
    # the reservoir was briefed and moved (one article): first; then two outlets; then one
    # article each, later first; the library has nothing new
    assert [b.story_id for b in update.stories] == [reservoir, tunnel, comet, orchard]
    # a digest's topics pick stories, ranked together: the comet's topic comes first but the
    # tunnel has two outlets
    digest = await room.whats_new("cli:desk", topics=["comet", "Tarnholm"])
    assert [b.story_id for b in digest.stories] == [tunnel, comet]

    briefing = await room.brief("cli:desk", record=False)
    # a briefing is the big picture: with one new article each, the stories that are new in
    # the window (growth 1) come before the reservoir's fourth article (growth 1/4); the
    # library had no coverage since the last briefing and fills the last place
    assert [b.story_id for b in briefing.stories] == [tunnel, comet, orchard, reservoir, library]
    titles = await _titles(room, [tunnel])
    assert "Tarnholm" in titles[tunnel]


async def test_a_topic_picks_the_stories_and_significance_orders_them(
    room: Newsroom, samples: Any, clock: Any
) -> None:
    tunnel = await _add(room, TUNNEL[0], "tunnel-0", "Vossbury Echo")
    clock.advance(hours=1)
    reservoir = await _add(room, samples.ridgeway, "ridgeway", "Ridgeway Courier")
    assert await _add(room, samples.eastfold, "eastfold", "Eastfold Herald") == reservoir
    clock.advance(hours=1)
    # a second tunnel article names the reservoir's engineers in passing
    aside = (
        TUNNEL[1] + "\nEngineers who opened the Kestrel Reservoir spillway advised Brisk Rail.\n"
    )
    assert await _add(room, aside, "tunnel-1", "Kellmar Daily") == tunnel
    clock.advance(hours=1)
    orchard = await _add(room, samples.orchard, "orchard", "Marrow Hills Gazette")

    briefing = await room.brief("cli:topic", topic="Kestrel", record=False)
    # both stories mention Kestrel; the orchard does not and stays out. Two outlets and two
    # articles each: the reservoir is new in the window as a whole, like the tunnel, so the
    # later coverage (the tunnel's second article) decides
    assert [b.story_id for b in briefing.stories] == [tunnel, reservoir]
    assert orchard not in [b.story_id for b in briefing.stories]


async def test_a_merged_story_stays_followed(room: Newsroom, samples: Any, clock: Any) -> None:
    first = await _add(room, samples.orchard, "orchard", "Marrow Hills Gazette")
    second = await _add(room, samples.comet, "comet", "Lindqvist Star")
    await room.brief("cli:desk", topic="cherry")  # briefed on the orchard story only
    start = Window(clock.now)
    followed = await room.store.story_activity("cli:desk", start, limit=5, followed_first=True)
    assert [(a.story_id, a.followed) for a in followed] == [(first, True), (second, False)]

    def merge(w: Any) -> None:
        keep, gone = w.story_states([second, first])
        w.merge_stories(keep, gone, keep.centroid)

    await room.store.write(merge)
    after = await room.store.story_activity("cli:desk", start, limit=5, followed_first=True)
    assert [(a.story_id, a.followed, a.articles) for a in after] == [(second, True, 2)]


async def test_story_activity_counts_outlets_articles_and_growth(
    room: Newsroom, samples: Any, clock: Any
) -> None:
    reservoir = await _add(room, samples.ridgeway, "ridgeway", "Ridgeway Courier")
    await _add(room, samples.lowland, "lowland")  # no outlet
    clock.advance(days=1)
    cutoff = clock.now
    await _add(room, samples.eastfold, "eastfold")  # no outlet
    await _add(room, samples.update, "update", "Ridgeway Courier")
    [activity] = await room.store.story_activity(None, Window(cutoff), limit=5)
    assert (activity.story_id, activity.outlets, activity.articles, activity.total) == (
        reservoir,
        2,  # Ridgeway Courier and the unknown outlet
        2,
        4,
    )
    assert activity.growth == 0.5
    assert not activity.followed
    everything = await room.store.story_activity(None, None, limit=5, among=[reservoir])
    assert (everything[0].outlets, everything[0].articles) == (2, 4)


async def test_migration_fills_the_followed_stories_of_existing_briefings(
    sqlite_db: Path, samples: Any, clock: Any
) -> None:
    async with Newsroom(sqlite_db, clock=clock) as room:
        story = await _add(room, samples.orchard, "orchard", "Marrow Hills Gazette")
        await room.brief("cli:old")
    # as a database written before the table existed: drop it and step the version back
    con = sqlite3.connect(sqlite_db)
    con.execute("DROP TABLE audience_stories")
    con.execute(f"PRAGMA user_version = {len(MIGRATIONS) - 1}")
    con.commit()
    con.close()
    async with Newsroom(sqlite_db, clock=clock):
        pass
    con = sqlite3.connect(sqlite_db)
    try:
        rows = con.execute("SELECT audience, story_id FROM audience_stories").fetchall()
    finally:
        con.close()
    assert rows == [("cli:old", story)]


# ------------------------------------------------------------------ seeds among 300 BBC articles


@dataclass
class SeedsAmongBbc:
    seed_story: int
    briefed: list[int]  # stories of audience A's briefing on the seed story (001 only then)
    whats_new: list[int]  # "what is new" for A after the other four seeds arrived
    new_items: int  # new sentences of the seed story in it
    brief_new: list[int]  # a briefing for an audience never briefed
    stories: int


async def _seeds_among_bbc(
    db: Path, first: Path, rest: list[Path], bbc: list[Path]
) -> SeedsAmongBbc:
    clock = Clock()
    async with Newsroom(db, clock=clock) as room:
        results = await room.ingest([str(first), *map(str, bbc)])
        seed_story = results[0].story_id
        assert seed_story is not None
        # briefed on the seed story (by topic) in the second the BBC articles arrived, so for
        # "what is new" every BBC story is as unseen as the seeds
        briefed = await room.brief("cli:A", topic="Pyongyang")
        clock.advance(hours=12)
        later = await room.ingest([str(p) for p in rest])
        assert {r.story_id for r in later} == {seed_story}
        update = await room.whats_new("cli:A")
        fresh = await room.brief("cli:B", record=False)
        count = len(await room.stories(limit=1000))
    return SeedsAmongBbc(
        seed_story=seed_story,
        briefed=[b.story_id for b in briefed.stories],
        whats_new=[b.story_id for b in update.stories],
        new_items=sum(len(b.new) for b in update.stories if b.story_id == seed_story),
        brief_new=[b.story_id for b in fresh.stories],
        stories=count,
    )


@pytest.fixture(scope="module")
def seeds_among_bbc(tmp_path_factory: pytest.TempPathFactory) -> SeedsAmongBbc:
    if not SEEDS.is_dir() or len(list(SEEDS.glob("*.txt"))) < 5:
        pytest.skip(f"seed articles not found at {SEEDS}")
    if not BBC.is_dir():
        pytest.skip(f"BBC dataset not found at {BBC}")
    bbc: list[Path] = []
    for category in sorted(p for p in BBC.iterdir() if p.is_dir()):
        bbc.extend(sorted(category.glob("*.txt"))[:60])
    [first] = sorted(SEEDS.glob("001_*.txt"))
    rest = sorted(p for p in SEEDS.glob("*.txt") if p != first)
    db = tmp_path_factory.mktemp("ranking") / "ranking.db"
    return asyncio.run(_seeds_among_bbc(db, first, rest, bbc))


def test_seed_story_leads_the_briefing_of_a_new_audience(seeds_among_bbc: SeedsAmongBbc) -> None:
    flow = seeds_among_bbc
    assert flow.stories > 200  # the BBC articles stay many stories
    assert flow.brief_new[0] == flow.seed_story
    assert len(flow.brief_new) == 5


def test_followed_seed_story_comes_first_in_whats_new(seeds_among_bbc: SeedsAmongBbc) -> None:
    flow = seeds_among_bbc
    assert flow.seed_story in flow.briefed
    assert flow.whats_new[0] == flow.seed_story
    assert flow.new_items > 0
