"""Extractive summaries: exact picks on invented texts, budgets, sumy parity, story summaries."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime

import nltk
import pytest

from summaries import _rank
from summaries import summarize as summarize_module
from summaries.errors import InvalidInput
from summaries.summarize import (
    ALGORITHMS,
    COVERAGE,
    DEFAULT_ALGORITHM,
    Candidate,
    novel_concepts,
    summarize_candidates,
    summarize_text,
    sumy_ranking,
    vectorised_ranking,
    word_count,
)
from summaries.text import content_stems, split_sentences

# Invented articles (no real news): a town's bridge, a bakery strike, a comet sighting.
BRIDGE = """\
The Larkmoor river bridge reopened on Monday after eighteen months of repairs costing 4.2 million pounds.
Engineers replaced the rusted steel cables of the Larkmoor bridge and resurfaced the whole deck.
Mayor Ines Vaultier cut the ribbon in front of a crowd of about three hundred residents.
The repairs of the Larkmoor bridge had been delayed twice by floods on the river.
Local shops said trade fell by a third while the bridge was closed.
A temporary ferry carried commuters across the river during the repairs.
Heavy lorries will still be barred from the bridge until a weight test in June.
It rained.
"""

BAKERY = """\
Bakers at the Greyfold Bread Company walked out on Tuesday over a pay dispute.
The union says Greyfold bakers have not had a pay rise in three years.
Greyfold Bread Company said it had offered a pay rise of four percent.
Shelves in supermarkets across the county were half empty by the afternoon.
The union plans a second strike next week if talks fail.
"""

COMET = """\
An amateur astronomer in Ostvik spotted a new comet on Friday night.
The comet will be visible to the naked eye in late March, the observatory said.
Astronomers at the Ostvik observatory confirmed the comet with a larger telescope.
The amateur astronomer, a retired teacher, has found two comets before.
Clear skies are forecast for the weekend.
"""


def _sentences_of(text: str) -> list[str]:
    return split_sentences(text)


# --------------------------------------------------------------------------------------------
# summarize_text


def test_default_algorithm_is_briefbot() -> None:
    assert DEFAULT_ALGORITHM == "briefbot"
    assert ALGORITHMS == (
        "briefbot",
        "lexrank",
        "textrank",
        "lsa",
        "luhn",
        "kl",
        "sumbasic",
        "lead",
    )


def test_briefbot_picks_the_sentences_about_the_bridge_repairs() -> None:
    # "Larkmoor", "bridge", "repairs" and "river" recur; the one-off details lose.
    assert summarize_text(BRIDGE, sentences=2) == [
        "The Larkmoor river bridge reopened on Monday after eighteen months of repairs costing 4.2 million pounds.",
        "The repairs of the Larkmoor bridge had been delayed twice by floods on the river.",
    ]


def test_briefbot_word_budget_on_the_bakery_strike() -> None:
    assert summarize_text(BAKERY, words=30) == [
        "Bakers at the Greyfold Bread Company walked out on Tuesday over a pay dispute.",
        "Greyfold Bread Company said it had offered a pay rise of four percent.",
    ]


def test_default_budget_is_five_sentences() -> None:
    summary = summarize_text(BRIDGE)
    assert len(summary) == 5
    assert "It rained." not in summary


def test_lead_takes_the_first_sentences() -> None:
    assert summarize_text(BAKERY, sentences=2, algorithm="lead") == [
        "Bakers at the Greyfold Bread Company walked out on Tuesday over a pay dispute.",
        "The union says Greyfold bakers have not had a pay rise in three years.",
    ]


def test_word_budget_skips_a_long_sentence_to_fit_a_shorter_one() -> None:
    # 14 words, then 14, 13 and 12 do not fit in what is left (11); the last sentence (11) does.
    first, second, third, fourth, _ = _sentences_of(BAKERY)
    assert [word_count(s) for s in (first, second, third, fourth)] == [14, 14, 13, 12]
    assert summarize_text(BAKERY, words=25, algorithm="lead") == [
        first,
        "The union plans a second strike next week if talks fail.",
    ]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("budget", [5, 12, 30, 60])
def test_word_budget_is_never_exceeded(algorithm: str, budget: int) -> None:
    text = BRIDGE + "\n" + COMET
    summary = summarize_text(text, words=budget, algorithm=algorithm)
    assert sum(word_count(s) for s in summary) <= budget


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_sentences_are_verbatim_and_in_original_order(algorithm: str) -> None:
    text = BRIDGE + "\n" + BAKERY + "\n" + COMET
    original = _sentences_of(text)
    summary = summarize_text(text, sentences=4, algorithm=algorithm)
    assert len(summary) == 4
    indices = [original.index(s) for s in summary]
    assert indices == sorted(indices)


def test_unknown_algorithm_names_the_valid_ones() -> None:
    with pytest.raises(InvalidInput) as error:
        summarize_text(BRIDGE, algorithm="gpt")
    assert str(error.value) == (
        "Unknown summary algorithm 'gpt'; choose one of: "
        "briefbot, lexrank, textrank, lsa, luhn, kl, sumbasic, lead."
    )


def test_both_budgets_at_once_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not both"):
        summarize_text(BRIDGE, words=10, sentences=2)


def test_empty_text_gives_empty_summary() -> None:
    assert summarize_text("   \n") == []


@pytest.fixture
def no_nltk_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every NLTK data lookup fail, as on a machine where nothing was downloaded."""

    def missing(*args: object, **kwargs: object) -> None:
        raise LookupError("NLTK data is not available in this test")

    monkeypatch.setattr(nltk.data, "find", missing)
    monkeypatch.setattr(nltk.data, "load", missing)


@pytest.mark.usefixtures("no_nltk_data")
def test_sumys_own_tokenizer_needs_nltk_data() -> None:
    from sumy.nlp.tokenizers import Tokenizer

    with pytest.raises(LookupError):
        Tokenizer("english").to_sentences("One. Two.")


@pytest.mark.usefixtures("no_nltk_data")
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_every_algorithm_runs_without_nltk_data(algorithm: str) -> None:
    summary = summarize_text(COMET, sentences=2, algorithm=algorithm)
    assert len(summary) == 2
    assert all(s in _sentences_of(COMET) for s in summary)


# --------------------------------------------------------------------------------------------
# vectorised LexRank / TextRank == sumy


def _generated_document(seed: int, n: int) -> list[str]:
    """Sentences over a small invented vocabulary, so many sentences share words."""
    rng = random.Random(seed)
    vocab = (
        "harbour crane cargo strike union wages ferry storm council budget school teacher "
        "river flood bridge mayor vote tax market grain price farmer rail signal delay"
    ).split()
    fillers = ["the", "a", "of", "and", "in", "on", "was", "after"]
    sentences = []
    for i in range(n):
        length = rng.randint(3, 14)
        body = [rng.choice(vocab if rng.random() < 0.7 else fillers) for _ in range(length)]
        sentences.append(f"Item {i} " + " ".join(body) + ".")
    return sentences


_PARITY_INPUTS = [
    _sentences_of(BRIDGE),
    _sentences_of(BAKERY + "\n" + COMET),
    _sentences_of(BRIDGE + "\n" + BAKERY + "\n" + COMET),
    *[_generated_document(seed, n) for seed, n in [(1, 12), (2, 25), (3, 40), (4, 60)]],
]


@pytest.mark.parametrize("algorithm", ["lexrank", "textrank"])
@pytest.mark.parametrize("index", range(len(_PARITY_INPUTS)))
def test_vectorised_ranking_selects_what_sumy_selects(algorithm: str, index: int) -> None:
    sentences = _PARITY_INPUTS[index]
    ours = vectorised_ranking(sentences, algorithm)
    theirs = sumy_ranking(sentences, algorithm)
    for count in range(1, len(sentences) + 1):
        assert sorted(ours[:count]) == sorted(theirs[:count])
    assert ours == theirs


@pytest.mark.parametrize("algorithm", ["lexrank", "textrank"])
def test_sparse_path_gives_the_same_scores_as_the_dense_path(
    algorithm: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sentences = _generated_document(7, 80)
    terms = [summarize_module._sumy_terms(s) for s in sentences]
    score = _rank.lexrank_scores if algorithm == "lexrank" else _rank.textrank_scores
    dense = score(terms)
    monkeypatch.setattr(_rank, "DENSE_UP_TO", 0)
    sparse = score(terms)
    assert sparse == pytest.approx(dense, rel=1e-9, abs=1e-15)
    # Same top 10 as sumy, through the sparse path.
    assert sorted(vectorised_ranking(sentences, algorithm)[:10]) == sorted(
        sumy_ranking(sentences, algorithm)[:10]
    )


def test_long_inputs_use_the_vectorised_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> list[int]:
        raise AssertionError("sumy should not run on long inputs")

    monkeypatch.setattr(summarize_module, "sumy_ranking", fail)
    text = "\n".join(_generated_document(9, summarize_module.VECTORISED_FROM))
    assert len(summarize_text(text, sentences=3, algorithm="lexrank")) == 3
    assert len(summarize_text(text, sentences=3, algorithm="textrank")) == 3


# --------------------------------------------------------------------------------------------
# summarize_candidates


def _day(day: int) -> datetime:
    return datetime(2025, 3, day, 9, 0, tzinfo=UTC)


def _candidates(articles: list[tuple[int, datetime | None, list[str]]]) -> list[Candidate]:
    out: list[Candidate] = []
    key = 100
    for doc, when, sentences in articles:
        for position, text in enumerate(sentences):
            out.append(Candidate(key, text, doc, position, when, tuple(content_stems(text))))
            key += 1
    return out


# Three invented outlets covering one invented story.
STORY = [
    (
        1,
        _day(3),
        [
            "Fishermen in Port Caddow blockaded the harbour on Monday over new catch quotas.",
            "The regional fisheries board cut the cod quota by 30 percent.",
            "A local choir sang on the quay during the protest.",
        ],
    ),
    (
        2,
        _day(4),
        [
            "About forty trawlers blocked the harbour of Port Caddow in protest at catch quotas.",
            "The fisheries board had cut the cod quota by 30 percent for next year.",
            "Minister Aldo Brennick said he would meet the fishermen on Friday.",
        ],
    ),
    (
        3,
        _day(2),
        [
            "Port Caddow fishermen warned they would blockade the harbour.",
            "The cod quota cut of 30 percent would cost jobs, the fishermen said.",
        ],
    ),
]


def test_facts_reported_by_several_outlets_come_first() -> None:
    picked = summarize_candidates(_candidates(STORY), sentences=1)
    # The harbour blockade and the 30 percent quota cut are in all three articles; the choir
    # and the minister's meeting in one each. The blockade is also what the articles open with.
    assert [c.text for c in picked] == [
        "Fishermen in Port Caddow blockaded the harbour on Monday over new catch quotas.",
    ]
    two = [c.text for c in summarize_candidates(_candidates(STORY), sentences=2)]
    assert "A local choir sang on the quay during the protest." not in two
    assert any("cod quota" in t for t in two)


def test_a_topic_asked_about_makes_its_sentences_weigh_more() -> None:
    generic = [c.text for c in summarize_candidates(_candidates(STORY), sentences=1)]
    asked = summarize_candidates(_candidates(STORY), sentences=1, topic="the cod quota cut")
    assert generic != [c.text for c in asked]
    assert "cod quota" in asked[0].text


def test_story_summary_reads_chronologically_with_undated_last() -> None:
    articles = [
        *STORY,
        (4, None, ["Minister Aldo Brennick cancelled his Friday meeting with the fishermen."]),
    ]
    picked = summarize_candidates(_candidates(articles), sentences=4)
    assert [(c.doc, c.position) for c in picked] == sorted(
        [(c.doc, c.position) for c in picked],
        key=lambda p: ({3: 0, 1: 1, 2: 2, 4: 3}[p[0]], p[1]),
    )
    assert picked[-1].doc == 4


def test_syndicated_copies_are_never_both_picked() -> None:
    copy = "Minister Aldo Brennick said he would meet the fishermen on Friday."
    articles = [
        *STORY,
        (5, _day(5), [copy]),
        (6, _day(5), [copy.replace("on Friday", "on Friday morning")]),
    ]
    picked = summarize_candidates(_candidates(articles), sentences=10)
    assert sum("Brennick said he would meet" in c.text for c in picked) == 1


def test_a_figure_told_again_in_other_words_is_quoted_once() -> None:
    first = "The port of Ostrava reopened its river quay on Monday after a three-week closure."
    again = "Ostrava's river quay is open again, three weeks after it was shut."
    news = "Dockers in Ostrava unloaded 12 barges of grain on the first day."
    articles = [(1, _day(3), [first]), (2, _day(3), [again, news])]
    picked = [c.text for c in summarize_candidates(_candidates(articles), sentences=10)]
    assert picked == [first, news]


def test_one_name_spelled_two_ways_is_one_name_in_a_summary() -> None:
    first = "Foreign Minister Sergey Lavrov met Choe Son Hui in Moscow on Tuesday."
    respelled = "Foreign Minister Sergei Lavrov met Choi Song-hee in Moscow on Tuesday."
    news = "Choi Song-hee later toured a tractor plant outside Moscow."
    articles = [(1, _day(3), [first]), (2, _day(3), [respelled, news])]
    picked = [c.text for c in summarize_candidates(_candidates(articles), sentences=10)]
    assert news in picked
    assert len(picked) == 2  # the meeting once, in either spelling


def test_consecutive_sentences_of_one_article_only_when_nothing_else_fits() -> None:
    articles = [
        (
            1,
            _day(3),
            [
                "Engineers reopened the Rhine ferry at Kaub on Tuesday after the floods.",
                "The Rhine ferry at Kaub will run every hour until the river bridge reopens.",
            ],
        ),
        (2, _day(3), ["The Rhine ferry at Kaub reopened on Tuesday after a week of floods."]),
        (
            3,
            _day(3),
            ["The Rhine ferry at Kaub will run every hour, the operator said on Tuesday."],
        ),
    ]
    picked = summarize_candidates(_candidates(articles), words=30)
    assert [c.doc for c in picked] != [1, 1]
    assert len({c.doc for c in picked}) == len(picked)
    # a single article: its consecutive sentences are all there is
    alone = summarize_candidates(_candidates(articles[:1]), words=30)
    assert [c.position for c in alone] == [0, 1]


def test_known_concepts_are_not_repeated() -> None:
    shown = "The regional fisheries board cut the cod quota by 30 percent."
    known = frozenset(novel_concepts(shown, set()))
    picked = summarize_candidates(_candidates(STORY), sentences=3, known_concepts=known)
    texts = [c.text for c in picked]
    assert shown not in texts
    assert "The fisheries board had cut the cod quota by 30 percent for next year." not in texts


def test_min_novel_drops_sentences_with_too_few_new_concepts() -> None:
    minister = "Minister Aldo Brennick said he would meet the fishermen on Friday."
    again = (
        "Fishermen in Port Caddow blockaded the harbour on Monday over new catch quotas yesterday."
    )
    candidates = _candidates([*STORY, (7, _day(5), [again])])
    known = frozenset(
        novel_concepts(
            " ".join(c.text for c in candidates if c.text not in (minister, again)), set()
        )
    )
    assert novel_concepts(again, known) == {"quota yesterday"}
    assert len(novel_concepts(minister, known)) >= 3
    relaxed = summarize_candidates(candidates, sentences=5, known_concepts=known, min_novel=1)
    assert [c.text for c in relaxed] == [minister, again]
    strict = summarize_candidates(candidates, sentences=5, known_concepts=known, min_novel=2)
    assert [c.text for c in strict] == [minister]


def test_novel_concepts_of_a_restatement_is_empty() -> None:
    known = novel_concepts("Mayor Ines Vaultier opened the Larkmoor bridge.", set())
    assert novel_concepts("Mayor Ines Vaultier opened the Larkmoor bridge.", known) == set()
    assert "#4.2" in novel_concepts("The bridge cost 4.2 million pounds.", known)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_story_word_budget_holds_for_every_algorithm(algorithm: str) -> None:
    picked = summarize_candidates(_candidates(STORY), words=30, algorithm=algorithm)
    assert picked
    assert sum(word_count(c.text) for c in picked) <= 30


def test_stems_are_computed_when_not_given() -> None:
    with_stems = _candidates(STORY)
    without = [Candidate(c.key, c.text, c.doc, c.position, c.when) for c in with_stems]
    assert summarize_candidates(without, sentences=3) == [
        Candidate(c.key, c.text, c.doc, c.position, c.when)
        for c in summarize_candidates(with_stems, sentences=3)
    ]


def test_headings_and_datelines_are_not_picked_when_sentences_exist() -> None:
    articles = [
        (1, _day(3), ["Port Caddow quota protest", "Updated 3 March 2025 09:00 GMT", *STORY[0][2]]),
        *STORY[1:],
    ]
    picked = summarize_candidates(_candidates(articles), sentences=10)
    texts = [c.text for c in picked]
    assert "Port Caddow quota protest" not in texts
    assert "Updated 3 March 2025 09:00 GMT" not in texts
    assert all(t.endswith(".") for t in texts)


def test_a_story_summary_quotes_several_outlets_not_only_the_most_concise_one() -> None:
    monday = datetime(2024, 3, 4, 9, tzinfo=UTC)
    articles = {
        1: [
            "Storm Vela shut the Harbour Bridge on Sunday.",
            "Gusts hit 140 km/h overnight.",
            "Buses now take the ring road.",
            "Repairs may cost 6 million euros.",
            "The mayor urged calm.",
        ],
        2: [
            "The Harbour Bridge stayed shut on Monday after storm Vela cracked the eastern pier,"
            " engineers said.",
            "Chief engineer Mirela Kovacevic said divers would inspect the eastern pier for three"
            " days.",
        ],
        3: [
            "Ferries between the old town and Saltmarsh will run every 15 minutes while the"
            " Harbour Bridge is shut.",
            "The ferry operator said tickets would be free until the bridge reopens.",
        ],
    }
    candidates = [
        Candidate(key=doc * 10 + i, text=text, doc=doc, position=i, when=monday)
        for doc, sentences in articles.items()
        for i, text in enumerate(sentences)
    ]
    picked = summarize_candidates(candidates, sentences=4)
    # three outlets, the ferry news included; leads first, then later sentences
    assert {c.doc for c in picked} == {1, 2, 3}
    assert (3, articles[3][0]) in [(c.doc, c.text) for c in picked]
    assert [c.position for c in picked] == sorted(c.position for c in picked)


def test_a_story_summary_never_quotes_a_sentence_leaning_on_the_one_before() -> None:
    articles = [
        (
            1,
            _day(3),
            [
                "The council of Lindholm closed the old harbour bridge to lorries on Monday.",
                "However, the harbour bridge of Lindholm will stay open to buses and bicycles.",
            ],
        ),
        (
            2,
            _day(3),
            [
                "Lorries were banned from the harbour bridge of Lindholm by the council.",
                "Still, buses and bicycles may cross the harbour bridge of Lindholm as before.",
                "Lorry drivers of Lindholm must take the ring road, a detour of 12 kilometres.",
            ],
        ),
    ]
    picked = [c.text for c in summarize_candidates(_candidates(articles), sentences=10)]
    assert picked == [
        "The council of Lindholm closed the old harbour bridge to lorries on Monday.",
        "Lorry drivers of Lindholm must take the ring road, a detour of 12 kilometres.",
    ]
    # switched off, the connectives are quoted (what bench/multidoc.py --ablate measures)
    loose = summarize_candidates(
        _candidates(articles), sentences=10, rules=replace(COVERAGE, quotable=False)
    )
    assert any(c.text.startswith(("However", "Still")) for c in loose)
