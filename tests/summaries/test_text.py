"""Sentence splitting, words and names: no downloads, verbatim output."""

from __future__ import annotations

import pytest

from summaries.text import (
    content_stems,
    count_words,
    is_heading_like,
    leans_on_context,
    names,
    points_back,
    reports_an_action,
    split_sentences,
    starts_with_pronoun,
    words,
)


def test_sentences_keep_abbreviations_initials_and_quotes_together() -> None:
    text = (
        'The U.S. envoy met Mr. J. R. Okonjo on Jan.16 - 2025 in Velmar. "We will return," '
        "he said. Shares closed at $1.30. Traders left at 6 p.m. on Friday.\n"
        "Harbour Works Resume\n"
        "Cranes moved again!  Really?"
    )
    assert split_sentences(text) == [
        "The U.S. envoy met Mr. J. R. Okonjo on Jan.16 - 2025 in Velmar.",
        '"We will return," he said.',
        "Shares closed at $1.30.",
        "Traders left at 6 p.m. on Friday.",
        "Harbour Works Resume",
        "Cranes moved again!",
        "Really?",
    ]


def test_a_quotation_opened_with_two_backticks_starts_a_new_sentence() -> None:
    # plain-text wires write quotation marks as `` and ''
    text = (
        "The ferry to Lindholm resumed on Monday. ``We waited three weeks,'' a trader said. "
        "``Now the stalls can open.''"
    )
    assert split_sentences(text) == [
        "The ferry to Lindholm resumed on Monday.",
        "``We waited three weeks,'' a trader said.",
        "``Now the stalls can open.''",
    ]


def test_a_semicolon_does_not_end_a_sentence() -> None:
    assert split_sentences("The port reopened; the ferries did not. Crews waited.") == [
        "The port reopened; the ferries did not.",
        "Crews waited.",
    ]


def test_words_and_names_in_any_alphabet() -> None:
    sentence = "Engineer Mirela Kovačević met O’Brien in São Paulo about well-known 1,000 cranes."
    assert words(sentence) == [
        "Engineer", "Mirela", "Kovačević", "met", "O’Brien", "in", "São", "Paulo",
        "about", "well-known", "1,000", "cranes",
    ]  # fmt: skip
    assert names(sentence) == ("Engineer Mirela Kovačević", "O’Brien", "São Paulo")
    assert "kovačević" in content_stems(sentence)
    assert "1000" in content_stems(sentence)


@pytest.mark.parametrize(
    ("line", "heading"),
    [
        ("Military Moves and Missile Tests", True),
        ("The ferry starts on Wednesday.", False),
        ("Why the bridge closed: a timeline", True),
    ],
)
def test_headings_are_lines_without_closing_punctuation(line: str, heading: bool) -> None:
    assert is_heading_like(line) is heading


def test_a_sentence_opening_with_a_pronoun_is_flagged() -> None:
    assert starts_with_pronoun("She also said the talks would resume.")
    assert starts_with_pronoun("“They will not sign,” an aide said.")
    assert not starts_with_pronoun("Shell companies were named in the report.")
    assert starts_with_pronoun("``They will not sign,'' an aide said.")


def test_openings_after_two_backticks_are_read_like_any_other_quotation() -> None:
    assert points_back("``These charges are false,'' the mayor said.")
    assert leans_on_context("``However, the pier stays shut,'' she said.")
    assert not leans_on_context("``The pier stays shut,'' she said.")


@pytest.mark.parametrize(
    "sentence",
    [
        "Adding to the tension, Valdmark announced the test of a new rocket on Monday.",
        "According to a spokesperson, Russia has already attacked the depot.",
        "Mayor Ines Holloway said the repairs would take a month.",
        "Kim has invited the president to visit.",
        "The city will run a free ferry from Wednesday.",
        "The move drew criticism from three neighbours.",
        "“We will rebuild,” Holloway said.",
        "Engineers reopened the bridge on Tuesday.",
        "The U.S. and its allies have alleged that Valdmark sent rockets.",
        "Both Ostrava and Brno have denied the report.",
        "Valdmark or its neighbours will pay for the repairs.",
    ],
)
def test_sentences_that_report_an_action(sentence: str) -> None:
    assert reports_an_action(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "This significant rendezvous reflects the intensifying ties between the nations.",
        "The intensification of these relations has set the region abuzz.",
        "There is a growing suspicion that the deal might include rockets.",
        "Valdmark's alleged deliveries worried the region.",
        "Trade between Russia and North Korea has tripled.",
        "These charges, which are serious, were voiced in March.",
        "As the world watches with bated breath, the talks could reshape the region.",
        "Relations between Ostrava and its partners remain tense.",
    ],
)
def test_commentary_is_not_an_action_report(sentence: str) -> None:
    assert not reports_an_action(sentence)


def test_a_sentence_pointing_at_the_one_before_is_flagged_but_a_connective_is_not() -> None:
    assert points_back("These charges were dropped on Friday.")
    assert points_back("The move drew protests from traders.")
    assert points_back("Following this, the mayor resigned.")
    assert not points_back("Additionally, two ferries were cancelled.")
    assert not points_back("The move to close the pier drew protests.")
    assert not points_back("This week the pier reopened.")


def test_sentences_in_other_scripts() -> None:
    assert split_sentences("Паром отошёл в семь. Пассажиров было сорок! Что дальше?") == [
        "Паром отошёл в семь.",
        "Пассажиров было сорок!",
        "Что дальше?",
    ]
    assert split_sentences("नौका सात बजे चली। चालीस यात्री थे।") == [
        "नौका सात बजे चली।",
        "चालीस यात्री थे।",
    ]
    assert split_sentences("渡轮七点出发。船上有四十名乘客！「明天呢？」他问。") == [
        "渡轮七点出发。",
        "船上有四十名乘客！",
        "「明天呢？」",
        "他问。",
    ]
    # lower case after a full stop is no sentence start, in any alphabet
    assert split_sentences("Он приехал в 7 ч. утра и уехал.") == ["Он приехал в 7 ч. утра и уехал."]


def test_word_counts_in_scripts_without_spaces() -> None:
    assert count_words("The ferry left at seven.") == 5
    assert count_words("渡轮七点出发") == 3  # two characters make about a word
    assert count_words("เรือออกเดินทาง") == 4  # four Thai characters make about a word


def test_content_stems_follow_the_language() -> None:
    sentence = "Die Fähren fahren wieder, sagte die Hafenbehörde am Montag."
    german = content_stems(sentence, "de")
    assert "fahr" in german and "hafenbehord" in german
    assert "die" not in german and "am" not in german  # German stop words
    assert content_stems("渡轮公司宣布", "zh") == ["渡轮", "轮公", "公司", "司宣", "宣布"]
    # English (or unknown) text keeps the English rules
    assert content_stems("The ferries sailed again", "en") == content_stems(
        "The ferries sailed again"
    )
