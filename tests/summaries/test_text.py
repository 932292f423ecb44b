"""Sentence splitting, words and names: no downloads, verbatim output."""

from __future__ import annotations

import pytest

from summaries.text import (
    content_stems,
    is_heading_like,
    names,
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
    assert names(sentence) == ["Engineer Mirela Kovačević", "O’Brien", "São Paulo"]
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
