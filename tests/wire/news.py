"""Invented articles for the wire tests: a ferry strike in a made-up port and unrelated news."""

from __future__ import annotations

import random
from pathlib import Path

from summaries.newsroom import Newsroom

FERRY_HARBOUR = (
    "Ferry crews in the port of Oskarholm walked out on Monday, halting every crossing to the "
    "island of Tessaly. Union leader Marit Okonjo said 180 deckhands joined the strike over "
    "night-shift pay. The harbour office said about 6,000 passengers a day use the route."
)
FERRY_GAZETTE = (
    "All ferries between Oskarholm and Tessaly stood idle on Monday as deckhands went on strike. "
    "Marit Okonkjo, who leads the seafarers' union, said 180 crew members had stopped work. "
    "Island shops warned that fresh food would run short by Wednesday."
)
FERRY_TALKS = (
    "Talks to end the Oskarholm ferry strike opened on Tuesday at the regional labour court. "
    "The operator offered a night-shift bonus of 12 percent, which the union rejected. "
    "A mediator, judge Anneli Varkaus, asked both sides to return on Thursday."
)
OBSERVATORY = (
    "The hill observatory above Lindmark reopened its public telescope on Saturday after a "
    "two-year refit. Director Piet Halvorsen said the new mirror gathers four times more light. "
    "Evening tours start next month and are free for school groups."
)
MARKET = (
    "Farmers at the Brannvik Saturday market reported record apple sales this autumn. "
    "Market chair Ida Sollberg said 42 stalls sold out before noon. "
    "The council plans a covered hall for the market by next spring."
)


async def add_ferry_story(db: Path) -> None:
    """Two outlets on the ferry strike (they spell the union leader differently)."""
    async with Newsroom(db) as room:
        await room.ingest_text(
            FERRY_HARBOUR,
            title="Oskarholm ferry crews strike",
            outlet="Harbour Post",
            url="https://harbour.example/ferry-strike",
        )
        await room.ingest_text(
            FERRY_GAZETTE,
            title="Tessaly cut off as ferries stop",
            outlet="Island Gazette",
            url="https://gazette.example/ferries",
        )


async def add_unrelated(db: Path) -> None:
    async with Newsroom(db) as room:
        await room.ingest_text(OBSERVATORY, title="Observatory reopens", outlet="Lindmark Times")
        await room.ingest_text(MARKET, title="Apple sales record at Brannvik", outlet="Farm Weekly")


async def add_talks(db: Path) -> None:
    async with Newsroom(db) as room:
        await room.ingest_text(
            FERRY_TALKS,
            title="Ferry strike talks open",
            outlet="Labour Wire",
            url="https://labour.example/talks",
        )


def _word(rng: random.Random, syllables: int) -> str:
    consonants, vowels = "bdfgklmnprstvz", "aeiou"
    return "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(syllables))


def long_story(n: int, *, sentences: int = 14) -> tuple[str, list[str]]:
    """An invented story of its own vocabulary: a title and two outlets' texts."""
    rng = random.Random(f"wire-long-{n}")
    names = [_word(rng, 3).capitalize() for _ in range(4)]
    words = [_word(rng, rng.randint(2, 4)) for _ in range(60)]
    texts = []
    for outlet in range(2):
        body = []
        for i in range(sentences):
            picked = rng.sample(words, 14)
            who = names[(i + outlet) % 4]
            body.append(
                f"{who} said on Monday that the {picked[0]} {picked[1]} of {names[0]} would "
                f"{picked[2]} {picked[3]} {picked[4]} after {10 + i} {picked[5]} "
                f"{' '.join(picked[6:])}."
            )
        texts.append(" ".join(body))
    title = f"{names[0]} {words[0]} {words[1]} in {names[1]}"
    return title, texts


async def add_long_stories(db: Path, count: int = 12) -> list[str]:
    """`count` unrelated long stories (two outlets each); one has a 300-character title and
    one a single 5,000-character sentence. Returns the titles as stored."""
    titles = []
    async with Newsroom(db) as room:
        for n in range(count):
            title, texts = long_story(n)
            if n == 3:
                title = (title + " ") * 12
                title = title[:300]
            if n == 5:
                rng = random.Random("wire-run-on")
                names = title.split()[:1]
                run_on = " ".join(_word(rng, 3) for _ in range(700))
                texts[0] = f"{names[0]} reported that {run_on}. " + texts[0]
            for outlet, text in enumerate(texts):
                await room.ingest_text(
                    text,
                    title=title if outlet == 0 else f"{title} (update)",
                    outlet=f"Outlet {outlet + 1}",
                    url=f"https://outlet{outlet + 1}.example/story-{n}",
                )
            titles.append(" ".join(title.split()))
    return titles
