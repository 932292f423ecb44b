"""What is new (`summaries.novelty.select_update`): invented articles only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from summaries._dates import looks_back
from summaries.novelty import select_update, split_compounds
from summaries.summarize import Candidate
from summaries.text import content_stems, content_units, leans_on_context

MON_15 = datetime(2024, 1, 15, 9, 0, tzinfo=UTC)
WED_17 = datetime(2024, 1, 17, 9, 0, tzinfo=UTC)


def candidate(
    key: int, doc: int, position: int, text: str, when: datetime | None = WED_17
) -> Candidate:
    return Candidate(key=key, text=text, doc=doc, position=position, when=when)


def shown(*sentences: str) -> list[Candidate]:
    return [candidate(100 + k, 1, k, text, MON_15) for k, text in enumerate(sentences)]


def test_a_shown_name_spelled_differently_is_not_news() -> None:
    seen = shown("Finance Minister Aleksei Morozov met Choe Son Hui in Tallinn on Monday.")
    respelled = candidate(1, 10, 0, "Finance Minister Alexey Morozov met Choi Song-hee in Tallinn.")
    strike = candidate(2, 11, 0, "Dock workers in Tallinn began a strike over unpaid wages.")
    assert select_update([respelled, strike], seen, words=200) == [strike]


def test_a_new_person_with_a_similar_name_is_news() -> None:
    seen = shown("John Kirby said the talks in Geneva were productive.")
    kerry = candidate(1, 10, 0, "John Kerry walked out of the talks in Geneva, citing sabotage.")
    assert select_update([kerry], seen, words=200) == [kerry]


def test_a_later_sentence_restating_shown_facts_in_other_word_pairs_is_not_news() -> None:
    seen = shown("Engineers opened the spillway of the Marnau dam on Monday morning.")
    again = candidate(1, 10, 0, "The spillway of the Marnau dam was opened by engineers on Monday.")
    assert select_update([again], seen, words=200) == []


def test_a_self_contained_sentence_beats_one_that_leans_on_the_sentence_before() -> None:
    seen = shown("Prosecutors in Bergen opened an inquiry into the shipping firm Nordlys.")
    leaning = candidate(
        1, 10, 2, "These charges accuse the shipping firm Nordlys of dumping fuel at sea."
    )
    plain = candidate(
        2, 11, 2, "The prosecutors accuse the shipping firm Nordlys of dumping fuel at sea."
    )
    assert select_update([leaning, plain], seen, words=13) == [plain]


@pytest.mark.parametrize(
    ("sentence", "leans"),
    [
        ("These charges were dropped.", True),
        ("This visit comes amid scrutiny.", True),
        ("“That decision was wrong,” she said.", True),
        ("This week the port reopened.", False),
        ("That night the ferry sank.", False),
        ("This Is England won the prize.", False),
        ("Thistle farmers protested.", False),
        ("Additionally, two ferries were cancelled.", True),
        ("In addition, the port will close.", True),
        ("In addition to ferries, buses run.", False),
        ("Following this, the mayor resigned.", True),
        ("Following the storm, the mayor resigned.", False),
        ("However, the port stayed open.", True),
        ("The move drew criticism from Japan.", True),
        ("The decision was condemned by the union.", True),
        ("The move to close the port drew criticism.", False),
        ("The decision by the court was condemned.", False),
        ("The movement of ships resumed.", False),
        ("The news agency reported the strike.", False),
    ],
)
def test_sentences_that_point_back(sentence: str, leans: bool) -> None:
    assert leans_on_context(sentence) is leans


def test_background_from_long_before_the_article_loses_to_news() -> None:
    seen = shown("Flooding closed the Rhine ferry at Kaub on Sunday.")
    may = datetime(2024, 5, 14, 9, tzinfo=UTC)
    old = candidate(
        1,
        10,
        2,
        "In March 2023 the ferry operator bought a second boat for 1.2 million euros.",
        may,
    )
    new = candidate(
        2, 11, 2, "The ferry operator will buy a second boat for 1.4 million euros next year.", may
    )
    assert select_update([old, new], seen, words=16) == [new]


@pytest.mark.parametrize(
    ("sentence", "back"),
    [
        ("Earlier in October, the minister rejected the criticism.", True),
        ("When the leader visited in September of last year, it alarmed the world.", True),
        ("In a statement from last October, officials said 1,000 containers were sent.", True),
        ("The shipments arrived between September 7 and October 1.", True),
        ("The bridge, opened in 1987, was last refurbished in 2016.", True),
        ("Over the past year, ties have strengthened.", True),
        ("In May 2023 the firm was sold.", True),
        ("The incidents took place on December 30, 2023, and January 2, 2024.", False),
        ("On January 16, Moscow will host the talks.", False),
        ("The conductor will take up the post in September.", False),
        ("The talks began in December and ended this week.", False),
        ("In December 2023 the firm was sold.", False),
        ("The ministers met on Tuesday.", False),
    ],
)
def test_sentences_that_look_back_well_before_their_article(sentence: str, back: bool) -> None:
    assert looks_back(sentence, MON_15) is back


def test_an_undated_article_looks_back_only_by_its_words() -> None:
    assert looks_back("Over the past year, ties have strengthened.", None)
    assert not looks_back("Earlier in October, the minister rejected the criticism.", None)


def test_who_did_what_beats_commentary() -> None:
    seen = shown("Flooding closed the Rhine ferry at Kaub on Sunday.")
    commentary = candidate(
        1,
        10,
        3,
        "Growing strain on the Rhine crossings worries Mayor Lena Vogt and hoteliers in Bacharach.",
    )
    action = candidate(
        2,
        11,
        3,
        "Mayor Lena Vogt demanded extra barges for the Rhine crossings at Kaub and Bacharach.",
    )
    assert select_update([commentary, action], seen, words=15) == [action]


def test_a_restated_figure_is_not_new_but_a_new_figure_is() -> None:
    seen = shown("The bridge at Kolin will stay closed for at least three weeks, engineers said.")
    restated = candidate(
        1, 10, 1, "The bridge is expected to stay closed to traffic for three weeks."
    )
    fresh_fact = candidate(
        2, 11, 1, "The bridge at Kolin carried 45,000 commuters a day before the closure."
    )
    assert select_update([restated, fresh_fact], seen, words=200) == [fresh_fact]


def test_a_hyphenated_compound_is_known_through_its_words() -> None:
    parts = split_compounds(tuple(content_stems("Ostrava signed a Valdmark-built rocket deal.")))
    assert {"valdmark", "built", "rocket"} <= content_units(parts)
    # "North Korean-built" after "North Korean" and "built" is nothing new, and no new name
    seen = shown("North Korean rockets hit the depot.", "The rockets were built in a plant.")
    again = candidate(1, 10, 2, "North Korean-built rockets hit the depot, officials said.")
    assert select_update([again], seen, words=50) == []


def test_nothing_fresh_or_nothing_new_is_an_empty_update() -> None:
    seen = shown("Dock workers in Tallinn began a strike over unpaid wages.")
    assert select_update([], seen, words=100) == []
    same = candidate(1, 10, 0, "Dock workers in Tallinn began a strike over unpaid wages.")
    assert select_update([same], seen, words=100) == []
