"""clean_text on invented articles full of page furniture: exact text and metadata."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from summaries.ingest.clean import article_problem, clean_text, is_heading
from summaries.text import split_sentences

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _clean(name: str):  # type: ignore[no-untyped-def]
    return clean_text((FIXTURES / name).read_text(encoding="utf-8"))


def test_furniture_byline_date_and_promo_paragraph_become_metadata() -> None:
    cleaned = _clean("harbour_terminal.txt")

    assert cleaned.text == (
        "The harbour authority of Port Elling approved plans for a second container terminal on "
        "Monday, ending a review that lasted almost three years.\n\n"
        "The new terminal will add capacity for 400,000 containers a year, according to the "
        "authority's chairwoman, Ines Varga.\n\n"
        "Concerns from fishermen\n\n"
        "Local fishermen said the construction would disturb spawning grounds near the northern "
        'breakwater. "We were heard, but not listened to," said Tomas Brand, who leads the '
        "fishing cooperative."
    )
    assert cleaned.title == "Harbour Authority Approves Second Container Terminal After Long Review"
    assert cleaned.author == "Mara Okonkwo"
    assert cleaned.published_at == datetime(2024, 3, 4, 19, 30, tzinfo=UTC)
    assert cleaned.outlet == "Coastline Daily"
    assert cleaned.language is None


def test_date_header_language_published_line_and_repeated_headline() -> None:
    cleaned = _clean("night_buses.txt")

    assert cleaned.text == (
        "The city council voted 9 to 4 on Monday to add six night bus routes, the transport "
        "department said.\n\n"
        "Services on the new routes will start in September and run every 20 minutes between "
        "midnight and 5 a.m. on weekdays."
    )
    assert cleaned.title == "City Council Votes to Expand Night Bus Network"
    assert cleaned.author == "Metro Desk Staff"
    # The "Published" line has a time of day (EDT = UTC-4), so it wins over the date-only header.
    assert cleaned.published_at == datetime(2024, 6, 11, 3, 45, tzinfo=UTC)
    assert cleaned.language == "en"


def test_date_header_with_headline_gives_title_and_date_only() -> None:
    cleaned = _clean("library_hours.txt")

    assert cleaned.title == "Library Opens Late-Night Study Hall for Exam Season"
    assert cleaned.published_at == datetime(2024, 2, 20, tzinfo=UTC)
    assert cleaned.author is None
    assert cleaned.text.split("\n\n") == [
        "The central library will stay open until 2 a.m. during the exam season, the library "
        "board announced on Tuesday evening.",
        "Longer hours",
        "The extra hours will be staffed by volunteers and paid for by a grant from the "
        "students' union.",
    ]


def test_no_stated_date_means_none_and_prose_starting_with_by_is_kept() -> None:
    cleaned = _clean("bridge_repairs.txt")

    assert cleaned.published_at is None  # a date inside a sentence is not a publication date
    assert cleaned.author is None
    assert cleaned.title == ""
    assert cleaned.outlet == "Valley Herald"
    assert cleaned.text.split("\n\n") == [
        "Engineers found cracks in two support beams of the Old Mill bridge during a routine "
        "inspection, the county roads office said on Friday.",
        "The bridge was closed to heavy vehicles on March 5, 2024, and will stay closed until "
        "repairs are finished.",
        "What happens next",
        "By the end of the month, the county expects to choose a contractor for the repairs.",
        # between two paragraphs only a bare widget word ("Advertisement") is furniture
        "Read more: Five bridges that need repairs this year",
        'Residents asked for a temporary footbridge. "Children walk this way to school every '
        'day," said parent Lena Holm.',
    ]


def test_sub_headings_stay_separate_from_the_next_sentence() -> None:
    sentences = split_sentences(_clean("bridge_repairs.txt").text)

    assert "What happens next" in sentences
    assert sentences[3] == (
        "By the end of the month, the county expects to choose a contractor for the repairs."
    )


def test_hard_wrapped_paragraphs_are_unwrapped() -> None:
    cleaned = _clean("wrapped_memo.txt")

    assert cleaned.text == (
        "The regional water board said on Wednesday that reservoir levels had fallen to their "
        "lowest point in a decade after three dry summers, and asked households to cut their use "
        "by a tenth until the autumn rains.\n\n"
        "Farmers will be allowed to draw water on alternate days only."
    )


def test_title_hint_is_the_title_and_its_repeats_are_dropped() -> None:
    raw = (
        "Storm Closes Ferry Routes\n"
        "Storm Closes Ferry Routes\n"
        "All ferry routes to the islands were cancelled on Sunday as winds reached 120 km/h.\n"
    )

    cleaned = clean_text(raw, title_hint="Storm Closes Ferry Routes")

    assert cleaned.title == "Storm Closes Ferry Routes"
    assert cleaned.text == (
        "All ferry routes to the islands were cancelled on Sunday as winds reached 120 km/h."
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Jan.16 - 2024 10:49 AM CET", datetime(2024, 1, 16, 9, 49, tzinfo=UTC)),
        ("Published: January 15, 2024 at 3:07 am EST", datetime(2024, 1, 15, 8, 7, tzinfo=UTC)),
        ("Updated 2024-05-01T12:30:00Z", datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
        ("Monday, 4 March 2024 14:05 GMT", datetime(2024, 3, 4, 14, 5, tzinfo=UTC)),
        ("Posted on July 4, 2024 9:00 PM ET", datetime(2024, 7, 5, 1, 0, tzinfo=UTC)),
        ("12 Dec 2023, 18:00 +0530", datetime(2023, 12, 12, 12, 30, tzinfo=UTC)),
        ("Sept. 9, 2024", datetime(2024, 9, 9, tzinfo=UTC)),
    ],
)
def test_date_line_formats(line: str, expected: datetime) -> None:
    body = "The committee met on a rainy afternoon and agreed to publish its report next year."

    cleaned = clean_text(f"{line}\n\n{body}")

    assert cleaned.published_at == expected
    assert cleaned.text == body


def test_byline_with_outlet_and_date_on_one_line() -> None:
    body = "The committee met on a rainy afternoon and agreed to publish its report next year."

    cleaned = clean_text(f"By Ana Ruiz | June 3, 2024\n\n{body}")

    assert cleaned.author == "Ana Ruiz"
    assert cleaned.published_at == datetime(2024, 6, 3, tzinfo=UTC)
    assert cleaned.text == body


def test_article_problem_reports_short_and_empty_text() -> None:
    assert article_problem("") == "empty after removing page furniture"
    assert article_problem("Too short.") == (
        "too short to be an article (2 words; at least 20 needed)"
    )
    assert article_problem(" ".join(["word"] * 20) + ".") is None


def test_sign_off_before_outlet_paragraph_is_the_author() -> None:
    body = "The committee met on a rainy afternoon and agreed to publish its report next year."
    promo = (
        "Founded in 1998, Lakeside Post is an independent news outlet covering the lake "
        "district with daily reporting."
    )

    cleaned = clean_text(f"{body}\n\nLakes Weather Committee\nRuth Meyer\n\n{promo}\n")

    assert cleaned.text == body
    assert cleaned.author == "Ruth Meyer"
    assert cleaned.outlet == "Lakeside Post"


def test_trailing_title_case_line_alone_is_not_an_author() -> None:
    body = "The committee met on a rainy afternoon and agreed to publish its report next year."

    cleaned = clean_text(f"{body}\n\nSchool Of Rock\n")

    assert cleaned.author is None


def test_short_headline_and_question_headline() -> None:
    body = "The committee met on a rainy afternoon and agreed to publish its report next year."

    assert clean_text(f"Rates held again\n\n{body}").title == "Rates held again"
    assert clean_text(f"SPORT\n\nWho will coach the team?\n\n{body}").title == (
        "Who will coach the team?"
    )


def test_bullet_lines_are_not_glued_together() -> None:
    raw = (
        "The report lists three changes the city will make before the winter season begins:\n"
        "- more gritting lorries on the main roads\n"
        "- longer opening hours at the shelters\n"
        "- a new phone line for elderly residents"
    )

    assert clean_text(raw).text.split("\n\n") == [
        "The report lists three changes the city will make before the winter season begins:",
        "- more gritting lorries on the main roads",
        "- longer opening hours at the shelters",
        "- a new phone line for elderly residents",
    ]


def test_is_heading_marks_sub_headings_only() -> None:
    paragraphs = _clean("harbour_terminal.txt").text.split("\n\n")

    assert [p for p in paragraphs if is_heading(p)] == ["Concerns from fishermen"]
    assert not is_heading("- a new phone line for elderly residents")


@pytest.mark.parametrize(
    ("first", "kept"),
    [
        (
            "PORT ALDER: The Harbour Bridge was closed on Sunday.",
            "The Harbour Bridge was closed on Sunday.",
        ),
        ("Velmar: Dockworkers walked out on Monday.", "Dockworkers walked out on Monday."),
        ("NEW YORK, Jan. 5 - Shares rose sharply.", "Shares rose sharply."),
        ("The minister said: we will go.", "The minister said: we will go."),
    ],
)
def test_a_dateline_opening_the_text_is_dropped(first: str, kept: str) -> None:
    body = " The second sentence adds enough words for this to count as a real article body here."
    cleaned = clean_text(first + body)
    assert cleaned.text == kept + body


# ------------------------------------------------------------- furniture only at the edges

LEAD = (
    "The touring orchestra of Port Alder announced its summer dates on Monday, after two years "
    "in which the hall was closed for repairs."
)
MIDDLE = (
    "Tickets go on sale next week at the box office and online, the orchestra's manager said "
    "in a statement."
)


def test_lists_of_dates_prices_and_credits_closing_an_article_are_kept() -> None:
    raw = "\n\n".join(
        [
            LEAD,
            "The dates:",
            "June 24 -- Riverside Arena, Tallin Bay",
            "June 26 -- Harbour Hall, Port Alder",
            "Prices:",
            "Balcony: 40 crowns",
            "Stalls : 65 crowns",
            "(Reporting by Mara Okonkwo; editing by Ines Varga)",
        ]
    )

    cleaned = clean_text(raw)

    assert cleaned.text.split("\n\n") == raw.split("\n\n")


def test_tag_lines_and_a_sign_off_closing_an_article_are_still_dropped() -> None:
    raw = f"{LEAD}\n\n{MIDDLE}\n\nCulture Music Port Alder\nMara Okonkwo\n\nShare this article"

    cleaned = clean_text(raw)

    assert cleaned.text == f"{LEAD}\n\n{MIDDLE}"


def test_between_two_paragraphs_only_bare_widget_words_are_dropped() -> None:
    raw = "\n\n".join(
        [
            LEAD,
            "Photo: Harbour Hall archive",
            "Advertisement",
            "June 24, 2025",
            "By the end of the month the orchestra will publish its autumn programme.",
            MIDDLE,
        ]
    )

    cleaned = clean_text(raw)

    assert cleaned.text.split("\n\n") == [
        LEAD,
        "Photo: Harbour Hall archive",
        "June 24, 2025",
        "By the end of the month the orchestra will publish its autumn programme.",
        MIDDLE,
    ]
    assert cleaned.published_at is None  # a date inside the article is not its date


def test_labels_are_dropped_above_the_headline_only() -> None:
    raw = f"CULTURE\n\nOrchestra Announces Summer Dates\n\nNew season\n\n{LEAD}"

    cleaned = clean_text(raw)

    assert cleaned.title == "Orchestra Announces Summer Dates"
    assert cleaned.text == f"New season\n\n{LEAD}"


def test_a_breadcrumb_is_a_path_of_short_section_names() -> None:
    crumbs = "Home > Culture > Music"
    long_path = "Port Alder > New dates for the orchestra > Tickets"

    title = "Orchestra Announces Summer Dates"
    assert clean_text(f"{crumbs}\n\n{LEAD}", title_hint=title).text == LEAD
    kept = clean_text(f"{long_path}\n\n{LEAD}", title_hint=title)
    assert kept.text == f"{long_path}\n\n{LEAD}"


def test_paragraphs_in_scripts_without_spaces_are_prose() -> None:
    japanese = (
        "港の市立図書館は月曜日、改修工事を終えて三年ぶりに再開した。館長によると、"
        "新しい閲覧室には二百席が設けられ、夜九時まで利用できるという。"
    )
    chinese = "港口城市的新渡轮航线周一开通，每天往返六次。市政府表示，这条航线将缩短通勤时间。"
    raw = f"港の図書館が再開\n\n{japanese}\n\n閲覧室\n\n{chinese}"

    cleaned = clean_text(raw)

    assert cleaned.title == "港の図書館が再開"
    assert cleaned.text.split("\n\n") == [japanese, "閲覧室", chinese]
    assert split_sentences(chinese) == [
        "港口城市的新渡轮航线周一开通，每天往返六次。",
        "市政府表示，这条航线将缩短通勤时间。",
    ]
    assert article_problem(japanese) is None  # about 30 words, not one


# ---------------------------------------------------------------- wire datelines, SGML codes


@pytest.mark.parametrize(
    ("opening", "place", "agency"),
    [
        ("VELMAR, October 3 (Xinhua) -- ", "VELMAR", "Xinhua"),
        ("PORT ALDER, Norland (AP) - ", "PORT ALDER, Norland", "AP"),
        ("BRENNMOOR (Reuters) - ", "BRENNMOOR", "Reuters"),
        ("SOLLHOLT, N.L. (AP) _ ", "SOLLHOLT, N.L.", "AP"),
        ("EDDERLY — ", "EDDERLY", None),
        ("TALLIN BAY, Oct. 5 - ", "TALLIN BAY", None),
        ("Velmar, Norland (AFP) — ", "Velmar, Norland", "AFP"),
        ("(AP) -- ", None, "AP"),
        ("VELMAR (Nordmark), Oct. 3 (Xinhua) -- ", "VELMAR (Nordmark)", "Xinhua"),
        ("BRENNMOOR (AP -- ", "BRENNMOOR", "AP"),  # the wire dropped the bracket
    ],
)
def test_wire_datelines_become_place_and_agency(
    opening: str, place: str | None, agency: str | None
) -> None:
    body = "The harbour board approved a second ferry berth on Tuesday after a long review."

    cleaned = clean_text(f"{opening}{body}\n\nThe berth will open next spring, the board said.")

    assert cleaned.text.split("\n\n")[0] == body
    assert (cleaned.place, cleaned.agency) == (place, agency)


@pytest.mark.parametrize(
    "first",
    [
        "NATO - the alliance met on Tuesday to discuss the new ferry berth for the harbour.",
        "UPDATE: The harbour board approved a second ferry berth on Tuesday after a review.",
        "The board said: we will build the berth next year, after the review is finished.",
    ],
)
def test_openings_that_are_not_datelines_are_kept(first: str) -> None:
    cleaned = clean_text(first)

    assert cleaned.text == first
    assert cleaned.place is None and cleaned.agency is None


def test_a_dateline_before_a_short_first_paragraph_and_wire_quotes() -> None:
    cleaned = clean_text(
        "EDDERLY _ ``They have plans.''\n\n"
        "The harbour board approved a second ferry berth on Tuesday after a long review."
    )

    assert cleaned.text.split("\n\n")[0] == "``They have plans.''"
    assert cleaned.place == "EDDERLY"


def test_a_dateline_on_its_own_line_and_sgml_codes_of_wire_copy() -> None:
    raw = (
        "   VELMAR, Norland (AP) _\n\n"
        "   The harbour board approved a second ferry berth on Tuesday, ending a review that "
        "lasted three years. &QL;\n\n"
        "   &UR; The berth will cost 40 million crowns &AMP; open next spring, the board said.\n\n"
        "   --------------------------------------- &QC;"
    )

    cleaned = clean_text(raw)

    assert cleaned.text.split("\n\n") == [
        "The harbour board approved a second ferry berth on Tuesday, ending a review that lasted "
        "three years.",
        "The berth will cost 40 million crowns & open next spring, the board said.",
    ]
    assert (cleaned.place, cleaned.agency) == ("VELMAR, Norland", "AP")
