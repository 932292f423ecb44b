"""HTML pages: paragraphs from trafilatura's tree, detected language, JSON refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from summaries.errors import IngestError
from summaries.ingest.extract import extract_html
from summaries.ingest.language import detect_language
from summaries.ingest.sources import draft_from_bytes, draft_from_text

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

PAGE = """<!DOCTYPE html><html lang="en"><head><title>Ferry Berth Approved</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Ferry Berth Approved</h1>
<p>
    The harbour board of Port Alder approved
    a second ferry berth on Tuesday, ending a review
    that lasted three years.
</p>
<p>Opening hours:<br>Monday to Friday, 6 to 22<br><br>Weekends, 8 to 20</p>
<ul><li>a waiting room with forty seats</li><li>a covered bicycle park</li></ul>
<p>The berth will cost 40 million crowns and open next spring, the board said in a statement
to reporters on the quay.</p>
</article><footer>Copyright 2024 Port Alder Post</footer></body></html>"""


def test_page_paragraphs_follow_its_blocks_not_its_source_lines() -> None:
    draft = extract_html(PAGE, url="https://post.example/berth", source="page", fetched_at=NOW)

    assert draft.text.split("\n\n") == [
        "The harbour board of Port Alder approved a second ferry berth on Tuesday, ending a "
        "review that lasted three years.",
        "Opening hours:",
        "Monday to Friday, 6 to 22",
        "Weekends, 8 to 20",
        "- a waiting room with forty seats",
        "- a covered bicycle park",
        "The berth will cost 40 million crowns and open next spring, the board said in a "
        "statement to reporters on the quay.",
    ]
    assert draft.language == "en"


GERMAN = (
    "Der Hafenrat von Port Alder hat am Dienstag einen zweiten Fähranleger genehmigt. Die "
    "Prüfung hatte drei Jahre gedauert, sagte der Vorsitzende vor Journalisten am Kai."
)


def test_language_is_detected_from_the_text_before_the_page_says_it() -> None:
    # a template that says "en" around a German article
    german_page = f"<html lang='en'><body><article><h1>Fähranleger</h1><p>{GERMAN}</p>"
    german_page += f"<p>{GERMAN}</p></article></body></html>"

    assert extract_html(german_page, url=None, source="p", fetched_at=NOW).language == "de"
    assert detect_language(GERMAN) == "de"
    assert detect_language("Ferry berth approved") is None  # too short to tell
    assert draft_from_text(GERMAN, source="pasted", fetched_at=NOW).language == "de"


def test_json_that_is_not_a_feed_is_refused() -> None:
    with pytest.raises(IngestError) as err:
        draft_from_bytes(
            b'{"items": [1, 2, 3]}', source="api.json", fetched_at=NOW, content_type=None
        )
    assert str(err.value) == "api.json is JSON data, not a web page, text or feed"
