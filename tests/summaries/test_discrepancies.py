"""Discrepancies between outlets: name spellings, figures and dates; restated figures.

All sample articles here are invented; the seed-based tests read ../shared/seeds and skip when it
is absent.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from summaries.discrepancies import (
    Restatements,
    SourceText,
    conflicting_facts,
    discrepancies,
    name_spellings,
    name_variants,
)
from summaries.models import Discrepancy
from summaries.text import content_stems, content_units, split_sentences

SEEDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "seeds"

MON_15 = datetime(2024, 1, 15, 9, 0, tzinfo=UTC)
WED_17 = datetime(2024, 1, 17, 9, 0, tzinfo=UTC)
THU_18 = datetime(2024, 1, 18, 9, 0, tzinfo=UTC)


def src(
    article_id: int, outlet: str, *sentences: str, when: datetime | None = WED_17
) -> SourceText:
    return SourceText(article_id, outlet, when, tuple(sentences))


# --- names -----------------------------------------------------------------------------------


def test_transliterations_of_one_minister_are_one_entity_with_titles_stripped() -> None:
    sources = [
        src(1, "Baltic Wire", "Estonian Interior Minister Yevgeni Markelov toured the depot."),
        src(2, "Harbour Post", "The depot was visited by Yevgeny Markelov on a cold morning."),
        src(
            3, "Tallinn Today", "Interior Minister Yevgeniy Markelov's tour of the depot was brief."
        ),
        src(4, "Harbour Post", "Yevgeny Markelov later spoke to workers at the depot."),
    ]

    assert name_variants(sources) == [
        Discrepancy(
            kind="name",
            subject="Markelov",
            values=("Yevgeni Markelov", "Yevgeny Markelov", "Yevgeniy Markelov"),
            article_ids=((1,), (2, 4), (3,)),
        )
    ]


def test_korean_romanisations_are_one_person_and_subject_is_the_family_name() -> None:
    sources = [
        src(1, "Seoul Ledger", "Vice Minister Choe Yong Hui arrived at the border post."),
        src(2, "Pacific Desk", "Choe Yung Hui was greeted at the border post by soldiers."),
        src(3, "Asia Wire", "Her deputy, Choi Young-hee, stayed behind at the border post."),
        src(4, "Asia Wire", "Choe Yong Hui then left the border post by car."),
    ]

    [found] = name_variants(sources)

    assert found.subject == "Choe"
    assert found.values == ("Choe Yong Hui", "Choe Yung Hui", "Choi Young-hee")
    assert found.article_ids == ((1, 4), (2,), (3,))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Sergei Lavrov", "Sergei Shoigu"),
        ("Kim Jong Un", "Kim Jong Il"),
        ("Vladimir Putin", "Vladimir Zelensky"),
        ("John Kirby", "John Kerry"),
        ("North Korea", "South Korea"),
        ("Dan Smith", "Don Smith"),
        ("Peter Hansen", "Peter Hanson"),
        ("Li Wei", "Lu Wei"),
    ],
)
def test_different_people_and_places_are_never_merged(first: str, second: str) -> None:
    sources = [
        src(1, "Outlet One", f"Crowds watched {first} arrive at the summit."),
        src(2, "Outlet Two", f"Crowds watched {second} arrive at the summit."),
    ]

    assert name_variants(sources) == []


@pytest.mark.parametrize(
    "second",
    ["KIM JONG UN", "Kim Jong-un", "Kim Jong Un's", "Kim Jongun"],
)
def test_case_hyphen_and_possessive_differences_are_not_discrepancies(second: str) -> None:
    sources = [
        src(1, "Outlet One", "Crowds watched Kim Jong Un arrive at the summit."),
        src(2, "Outlet Two", f"Crowds watched {second} arrive at the summit."),
    ]

    assert name_variants(sources) == []


def test_variants_inside_a_single_article_are_not_reported() -> None:
    sources = [
        src(
            1,
            "Outlet One",
            "Dmitry Peskov spoke first.",
            "Later Dmitri Peskov repeated the point.",
        ),
        src(2, "Outlet Two", "Nobody else was named in this report."),
    ]

    assert name_variants(sources) == []


def test_surname_only_mentions_and_headline_phrases_are_not_names() -> None:
    sources = [
        src(1, "Outlet One", "Talks began when Markelov arrived.", "Upcoming Visit Planned"),
        src(2, "Outlet Two", "Talks began when Markelow arrived.", "Upcoming Visits Planned"),
        src(3, "Outlet Three", "An upcoming visit was planned for the spring."),
    ]

    assert name_variants(sources) == []


# --- figures ---------------------------------------------------------------------------------


def test_different_counts_of_the_same_cargo_are_flagged_with_both_sources() -> None:
    sources = [
        src(
            1,
            "Harbour Times",
            "Port officials said more than 1,000 containers of farm machinery were loaded "
            "onto the ferry at Valdmark.",
        ),
        src(
            2,
            "Coast Daily",
            "Port officials said 2,000 containers of farm machinery were loaded onto the "
            "ferry at Valdmark overnight.",
        ),
    ]

    assert conflicting_facts(sources) == [
        Discrepancy(
            kind="figure",
            subject="containers of farm machinery",
            values=("more than 1,000", "2,000"),
            article_ids=((1,), (2,)),
        )
    ]


def test_distances_in_different_units_are_compared() -> None:
    sources = [
        src(
            1,
            "Outlet One",
            "The drone flew about 900 kilometers before it crashed near Tallow Bay.",
        ),
        src(
            2,
            "Outlet Two",
            "The coast guard said the drone flew 1,100 km before it crashed near Tallow Bay.",
        ),
    ]

    [found] = conflicting_facts(sources)

    assert found.kind == "figure"
    assert found.values == ("about 900 kilometers", "1,100 km")
    assert found.article_ids == ((1,), (2,))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("1,000", "over 1,000"),
        ("about 1,000", "1,050"),
        ("1.5 million", "1.52 million"),
        ("nearly 500", "480"),
        ("1,000", "1,000"),
        ("more than 1,000", "1,200"),
    ],
)
def test_compatible_figures_are_not_flagged(first: str, second: str) -> None:
    sources = [
        src(1, "Outlet One", f"Inspectors counted {first} crates of grain at the Ostrava depot."),
        src(2, "Outlet Two", f"Inspectors counted {second} crates of grain at the Ostrava depot."),
    ]

    assert conflicting_facts(sources) == []


def test_figures_are_paired_with_their_best_match_only() -> None:
    # 100 injured must not be compared with 32 killed just because both count people.
    sources = [
        src(
            1,
            "Outlet One",
            "At least 30 people were killed and 100 people were injured in the flooding "
            "in Marrow county.",
        ),
        src(2, "Outlet Two", "In Marrow county, 32 people were killed in the flooding."),
    ]

    assert conflicting_facts(sources) == []


def test_same_outlet_or_coverage_weeks_apart_is_an_update_not_a_disagreement() -> None:
    sentence_a = "Rescuers said 40 miners were trapped in the Keld shaft."
    sentence_b = "Rescuers said 55 miners were trapped in the Keld shaft."
    same_outlet = [src(1, "Keld Echo", sentence_a), src(2, "Keld Echo", sentence_b)]
    weeks_apart = [
        src(1, "Keld Echo", sentence_a, when=datetime(2024, 1, 2, tzinfo=UTC)),
        src(2, "Valley News", sentence_b, when=datetime(2024, 2, 2, tzinfo=UTC)),
    ]
    same_week = [src(1, "Keld Echo", sentence_a), src(2, "Valley News", sentence_b)]

    assert conflicting_facts(same_outlet) == []
    assert conflicting_facts(weeks_apart) == []
    assert [d.values for d in conflicting_facts(same_week)] == [("40", "55")]


def test_unrelated_numbers_are_not_compared() -> None:
    sources = [
        src(1, "Outlet One", "The two nations signed 12 agreements on fishing rights in Bergen."),
        src(2, "Outlet Two", "In 2019 the ministry hired 300 inspectors, Boeing 737 pilots said."),
    ]

    assert conflicting_facts(sources) == []


# --- dates -----------------------------------------------------------------------------------


def test_different_dates_for_the_same_talks_are_flagged() -> None:
    sources = [
        src(
            1,
            "Outlet One",
            "Talks between Brandt and Kovac in Ostrava on January 16 ended without a deal.",
        ),
        src(
            2,
            "Outlet Two",
            "Talks between Brandt and Kovac in Ostrava on January 17 ended without a deal.",
        ),
    ]

    assert conflicting_facts(sources) == [
        Discrepancy(
            kind="date",
            subject="Talks between Brandt and Kovac in Ostrava",
            values=("January 16", "January 17"),
            article_ids=((1,), (2,)),
        )
    ]


def test_consistent_relative_dates_are_not_flagged() -> None:
    sources = [
        # Wednesday 17 January: "on Tuesday" (past) is 16 January.
        src(1, "Outlet One", "Mayor Ilse Brandt opened the bridge over the Vell river on Tuesday."),
        src(
            2,
            "Outlet Two",
            "Mayor Ilse Brandt opened the bridge over the Vell river on January 16.",
        ),
        # Monday 15 January: "will ... on Tuesday" (future) is 16 January.
        src(
            3,
            "Outlet Three",
            "Mayor Ilse Brandt will open the bridge over the Vell river on Tuesday.",
            when=MON_15,
        ),
        # Wednesday 17 January: "yesterday" is 16 January.
        src(4, "Outlet Four", "Mayor Ilse Brandt opened the bridge over the Vell river yesterday."),
    ]

    assert conflicting_facts(sources) == []


def test_inconsistent_relative_date_shows_the_resolved_day() -> None:
    sources = [
        src(
            1,
            "Outlet One",
            "Mayor Ilse Brandt opened the bridge over the Vell river on January 16.",
        ),
        src(
            2,
            "Outlet Two",
            "Mayor Ilse Brandt opened the bridge over the Vell river on Monday.",
            when=THU_18,
        ),
    ]

    [found] = conflicting_facts(sources)

    assert found.kind == "date"
    assert found.values == ("January 16", "Monday (2024-01-15)")
    assert found.article_ids == ((1,), (2,))


def test_relative_dates_in_undated_articles_are_not_compared() -> None:
    sources = [
        src(
            1,
            "Outlet One",
            "Mayor Ilse Brandt opened the bridge over the Vell river on January 16.",
        ),
        src(
            2,
            "Outlet Two",
            "Mayor Ilse Brandt opened the bridge over the Vell river on Monday.",
            when=None,
        ),
    ]

    assert conflicting_facts(sources) == []


def test_a_day_inside_a_reported_range_is_consistent_and_one_outside_is_not() -> None:
    inside = [
        src(
            1,
            "Outlet One",
            "Envoy Pavel Dorn's visit to Ostrava, scheduled from January 15 to 17, was confirmed.",
        ),
        src(2, "Outlet Two", "Envoy Pavel Dorn's visit to Ostrava on January 16 was confirmed."),
    ]
    outside = [
        inside[0],
        src(2, "Outlet Two", "Envoy Pavel Dorn's visit to Ostrava on January 19 was confirmed."),
    ]

    assert conflicting_facts(inside) == []
    assert [d.values for d in conflicting_facts(outside)] == [("January 15 to 17", "January 19")]


def test_dates_of_different_events_are_not_compared() -> None:
    sources = [
        src(1, "Outlet One", "Envoy Pavel Dorn arrived in Ostrava on Monday."),
        src(2, "Outlet Two", "Envoy Pavel Dorn met the mayor in Ostrava on Tuesday."),
    ]

    assert conflicting_facts(sources) == []


def test_discrepancies_lists_names_then_facts_and_is_deterministic() -> None:
    sources = [
        src(
            1,
            "Outlet One",
            "Envoy Yevgeni Markelov said the ferry talks in Ostrava on January 16 ended early.",
        ),
        src(
            2,
            "Outlet Two",
            "Envoy Yevgeny Markelov said the ferry talks in Ostrava on January 17 ended early.",
        ),
    ]

    found = discrepancies(sources)

    assert [d.kind for d in found] == ["name", "date"]
    assert found == discrepancies(list(sources))


# --- seeds -----------------------------------------------------------------------------------


def _seed_sources() -> list[SourceText]:
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is absent")
    months = "January February March April May June July August September October November December"
    month_no = {m[:3]: i for i, m in enumerate(months.split(), 1)}
    out: list[SourceText] = []
    for i, path in enumerate(sorted(SEEDS.glob("*.txt")), 1):
        text = path.read_text(encoding="utf-8")
        when: datetime | None = None
        iso = re.search(r"\b(20\d\d)-(\d\d)-(\d\d)\b", text)
        written = re.search(
            r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\w*\.?\s*(\d{1,2})\s*[-,]\s*(20\d\d)",
            text,
        )
        if iso:
            when = datetime(int(iso[1]), int(iso[2]), int(iso[3]), tzinfo=UTC)
        elif written:
            when = datetime(int(written[3]), month_no[written[1]], int(written[2]), tzinfo=UTC)
        out.append(SourceText(i, path.stem, when, tuple(split_sentences(text))))
    if len(out) < 5:
        pytest.skip("seed articles missing")
    return out


def test_seed_name_variants_are_grouped() -> None:
    sources = _seed_sources()

    found = {d.subject: d for d in name_variants(sources)}

    assert set(found["Choe"].values) == {"Choe Son Hui", "Choe Sun Hui", "Choi Song-hee"}
    assert set(found["Lavrov"].values) == {"Sergei Lavrov", "Sergey Lavrov", "Sergi Lavrov"}
    for d in found.values():
        assert not {"Sergei Shoigu", "Vladimir Putin", "Kim Jong Un"} & set(d.values)


def test_seed_facts_report_no_false_disagreements() -> None:
    sources = _seed_sources()

    assert conflicting_facts(sources) == []


# --- restatements ------------------------------------------------------------------------------

QUAY_SHOWN = "The port of Ostrava reopened its river quay on Monday after a three-week closure."


def restates(sentence: str, *shown_sentences: str) -> bool:
    restatements = Restatements()
    units: set[str] = set()
    for text in shown_sentences:
        restatements.add(text, content_stems(text))
        units |= content_units(content_stems(text))
    return restatements.restates(sentence, content_stems(sentence), units)


@pytest.mark.parametrize(
    "sentence",
    [
        "Ostrava's river quay is open again, three weeks after it was shut.",
        "The river quay at Ostrava opened again after being shut for 3 weeks.",
        "After at least three weeks of closure, the Ostrava quay has reopened.",
    ],
)
def test_a_shown_figure_told_in_other_words_is_a_restatement(sentence: str) -> None:
    assert restates(sentence, QUAY_SHOWN)


@pytest.mark.parametrize(
    "sentence",
    [
        # another value: a disagreement, which stays visible
        "Ostrava's river quay is open again, four weeks after it was shut.",
        # a new event beside the known figure
        "The river quay, shut for three weeks, flooded again overnight and the ferry "
        "service was suspended until spring.",
        # a new name
        "Ostrava's river quay reopened after a three-week closure, Petra Holub said.",
        "3 weeks after it was shut, Holub reopened the river quay in Ostrava.",
        # the same figure about something else
        "Schools will also close for three weeks.",
        "The port's river ferry will close for three weeks.",
        # no figure to anchor it
        "Ostrava's river quay is open again after it was shut.",
    ],
)
def test_new_facts_next_to_a_shown_figure_are_not_restatements(sentence: str) -> None:
    assert not restates(sentence, QUAY_SHOWN)


def test_the_figure_must_be_shown_about_the_same_thing() -> None:
    # Every word was shown, and "three weeks" was too, but about the schools.
    sentence = "Ostrava's river quay reopened after three weeks."
    schools = "Schools in Ostrava closed for three weeks."
    quay = "The port of Ostrava reopened its river quay on Monday."
    assert not restates(sentence, schools, quay)
    assert restates(sentence, schools, quay.replace("Monday", "Monday after three weeks"))


# --- one name, several spellings ------------------------------------------------------------


def test_name_spellings_unify_variants_and_leave_other_words_alone() -> None:
    spellings = name_spellings(
        [
            "Minister Sergey Lavrov met Choe Son Hui.",
            "Minister Sergei Lavrov met Choi Song-hee and Dan Smith.",
            "Later Don Smith spoke.",
        ]
    )
    assert spellings["sergey"] == spellings["sergei"]
    assert spellings["song-he"] == spellings["son"] + spellings["hui"]
    assert "dan" not in spellings and "don" not in spellings and "lavrov" not in spellings
