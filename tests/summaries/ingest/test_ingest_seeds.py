"""clean_text on the five real seed articles (read from ../shared/seeds; skipped when absent)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from summaries.ingest.clean import Cleaned, clean_text

SEEDS = Path(__file__).resolve().parents[3] / ".." / "shared" / "seeds"

# Lines that are page furniture or metadata in the seeds; none may survive cleaning.
FURNITURE = re.compile(
    r"^(?:Trending Now|Most Read|Photo: .*|Related Articles|Back to top button|INTERNATIONAL|"
    r"International Relations.*|Written by .*|By: .*|BNN Correspondents|Published: .*|"
    r"Founded by .*|\s*date \d{4}-\d{2}-\d{2}.*|[A-Z][a-z]{2}\.\d+ - \d{4} .*)$"
)


def _seed(prefix: str) -> Cleaned:
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt")) if SEEDS.is_dir() else []
    if not matches:
        pytest.skip(f"seed {prefix} not available at {SEEDS}")
    return clean_text(matches[0].read_text(encoding="utf-8"))


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_no_furniture_line_survives(prefix: str) -> None:
    cleaned = _seed(prefix)

    lines = [line for line in cleaned.text.split("\n") if line]
    assert [line for line in lines if FURNITURE.match(line)] == []
    assert cleaned.title not in lines  # the headline is metadata, not text
    assert len(lines) >= 5


@pytest.mark.parametrize(
    ("prefix", "published_at"),
    [
        ("000", datetime(2024, 1, 16, 9, 49, tzinfo=UTC)),
        ("001", None),
        ("002", None),
        ("003", datetime(2024, 1, 15, tzinfo=UTC)),
        ("004", datetime(2024, 1, 15, 8, 7, tzinfo=UTC)),
    ],
)
def test_publication_dates(prefix: str, published_at: datetime | None) -> None:
    assert _seed(prefix).published_at == published_at


def test_bnn_metadata() -> None:
    cleaned = _seed("004")

    assert cleaned.author == "BNN Correspondents"
    assert cleaned.outlet is not None and cleaned.outlet.startswith("BNN")
    assert cleaned.language == "en"
    assert (
        cleaned.title == "Russia-North Korea Relations Deepen Amid Alleged Missile Usage in Ukraine"
    )


def test_written_by_author_and_headline() -> None:
    cleaned = _seed("000")

    assert cleaned.author == "Jeppe W"
    assert cleaned.title.startswith("North Korean Foreign Minister")


def test_category_line_is_not_the_title() -> None:
    cleaned = _seed("002")

    assert cleaned.title.startswith("Meeting with Lavrov in Moscow")
    # the "Moscow:" dateline is dropped: it says where the report was filed, not what happened
    assert cleaned.text.startswith("Amid international worries")


def test_body_without_headline_keeps_every_line() -> None:
    cleaned = _seed("001")
    source = sorted(SEEDS.glob("001_*.txt"))[0].read_text(encoding="utf-8")

    assert cleaned.title == ""
    lines = [line.strip() for line in source.split("\n") if line.strip()]
    assert lines[0].startswith("SOUL: ")
    # every line is kept; only the dateline "SOUL: " opening the first one is dropped
    assert cleaned.text.split("\n\n") == [lines[0].removeprefix("SOUL: "), *lines[1:]]
