"""read_input / draft_from_* / expand_inputs: every input path and every bad-input message."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ingest_server import LocalServer

from summaries.errors import IngestError
from summaries.ingest.extract import extract_html
from summaries.ingest.fetch import FetchPolicy
from summaries.ingest.sources import (
    draft_from_bytes,
    draft_from_text,
    expand_inputs,
    read_input,
)
from summaries.models import ArticleDraft

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
LOCAL = FetchPolicy(allow_private=True, timeout_s=5)
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTICLE = (
    "The town council agreed on Monday to rebuild the old market hall, which has stood empty "
    "since a fire in 2019.\n\n"
    "Work will begin in the autumn and should take about two years, the council’s planning "
    "officer said."
)


async def _read(item: str, **kwargs: object) -> list[ArticleDraft | IngestError]:
    return await read_input(item, LOCAL, fetched_at=NOW, **kwargs)  # type: ignore[arg-type]


def _error(results: list[ArticleDraft | IngestError]) -> str:
    assert len(results) == 1 and isinstance(results[0], IngestError), results
    return str(results[0])


def _draft(results: list[ArticleDraft | IngestError]) -> ArticleDraft:
    assert len(results) == 1 and isinstance(results[0], ArticleDraft), results
    return results[0]


async def test_text_file_becomes_a_cleaned_draft() -> None:
    path = FIXTURES / "harbour_terminal.txt"

    draft = _draft(await _read(str(path)))

    assert draft.source == str(path)
    assert draft.url is None
    assert draft.fetched_at == NOW
    assert draft.title == "Harbour Authority Approves Second Container Terminal After Long Review"
    assert draft.outlet == "Coastline Daily"
    assert draft.author == "Mara Okonkwo"
    assert draft.published_at == datetime(2024, 3, 4, 19, 30, tzinfo=UTC)
    assert "Trending Now" not in draft.text


async def test_html_file_is_extracted() -> None:
    path = FIXTURES / "museum_page.html"

    draft = _draft(await _read(str(path)))

    assert draft.title == "Museum Returns Carved Panels to Island Community"
    assert draft.outlet == "Northern Courier"
    assert draft.author == "Priya Sandhu"
    assert draft.published_at == datetime(2024, 4, 18, 5, 45, tzinfo=UTC)
    assert draft.language == "en"
    assert draft.text.split("\n\n")[2] == "A long campaign"
    for furniture in ("Trending Now", "Photo:", "Copyright", "Sign in", "Back to top"):
        assert furniture not in draft.text


async def test_stdin() -> None:
    draft = _draft(await _read("-", stdin=io.BytesIO(ARTICLE.encode("utf-8"))))

    assert draft.source == "stdin"
    assert draft.text == ARTICLE


async def test_missing_file() -> None:
    assert _error(await _read("/no/such/article.txt")) == "/no/such/article.txt: no such file"


async def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"  \n\n ")

    assert _error(await _read(str(path))) == f"{path} is empty"


async def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)))

    assert _error(await _read(str(path))) == f"{path} is a binary file, not text"


async def test_undecodable_file(tmp_path: Path) -> None:
    path = tmp_path / "odd.txt"
    path.write_bytes(ARTICLE.encode("utf-8")[:40] + b"\x81\x8d\x8f\x90\x9d text")

    assert _error(await _read(str(path))) == (
        f"{path} has an unreadable text encoding: not UTF-8, UTF-16 or Windows-1252 "
        "(byte 0x81 at position 40)"
    )


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig", "utf-16", "utf-16-le"])
async def test_text_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / f"{encoding}.txt"
    path.write_bytes(ARTICLE.encode(encoding))

    assert _draft(await _read(str(path))).text == ARTICLE


async def test_html_page_without_article() -> None:
    path = FIXTURES / "login_page.html"

    assert _error(await _read(str(path))) == f"no article text found in {path} (only 1 word)"


async def test_too_short(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("Meeting moved to Friday.\n", encoding="utf-8")

    assert _error(await _read(str(path))) == (
        f"{path} is too short to be an article (4 words; at least 20 needed)"
    )


async def test_too_large_file(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_text(ARTICLE * 100, encoding="utf-8")

    results = await read_input(str(path), LOCAL, fetched_at=NOW, max_file_bytes=2_000)

    assert _error(results) == f"{path} is too large: 21.2 kB (limit 2.0 kB)"


def test_draft_from_bytes_too_large() -> None:
    with pytest.raises(IngestError) as err:
        draft_from_bytes(b"x" * 3_000_000, source="big.html", fetched_at=NOW, max_bytes=2_000_000)
    assert str(err.value) == "big.html is too large: 3.0 MB (limit 2.0 MB)"


def test_pasted_text() -> None:
    draft = draft_from_text(
        "Trending Now\n\n" + ARTICLE,
        source="pasted",
        fetched_at=NOW,
        title="Market Hall to Be Rebuilt",
        url="https://www.valley-news.example/market",
    )

    assert draft == ArticleDraft(
        text=ARTICLE,
        title="Market Hall to Be Rebuilt",
        source="pasted",
        fetched_at=NOW,
        url="https://www.valley-news.example/market",
        outlet="valley-news.example",
        language="en",
    )


@pytest.mark.parametrize(
    ("text", "message"), [("", "pasted is empty"), ("  \n\t", "pasted is empty")]
)
def test_pasted_empty(text: str, message: str) -> None:
    with pytest.raises(IngestError) as err:
        draft_from_text(text, source="pasted", fetched_at=NOW)
    assert str(err.value) == message


def test_extract_html_undecodable_bytes() -> None:
    with pytest.raises(IngestError) as err:
        extract_html(b"\x00\x01\x02\x03" * 50, url=None, source="page.html", fetched_at=NOW)
    assert str(err.value) == "page.html is a binary file, not text"


def test_expand_inputs(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    for name in ("b/2.txt", "a.html", "c.xml", "b/1.md", ".hidden.txt", ".git/x.txt", "logo.png"):
        (tmp_path / name).write_text("x", encoding="utf-8")

    expanded = expand_inputs(["-", "https://example.com/feed", str(tmp_path), "missing.txt"])

    assert expanded == [
        "-",
        "https://example.com/feed",
        str(tmp_path / "a.html"),
        str(tmp_path / "b" / "1.md"),
        str(tmp_path / "b" / "2.txt"),
        str(tmp_path / "c.xml"),
        "missing.txt",
    ]


async def test_directory_input_reads_every_file(tmp_path: Path) -> None:
    (tmp_path / "one.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "two.txt").write_text("", encoding="utf-8")

    results = await _read(str(tmp_path))

    assert isinstance(results[0], ArticleDraft)
    assert str(results[1]) == f"{tmp_path / 'two.txt'} is empty"


async def test_url_html_page(server: LocalServer) -> None:
    url = server.page("/culture/panels", (FIXTURES / "museum_page.html").read_bytes())

    draft = _draft(await _read(url))

    assert draft.source == url
    assert draft.url == url
    assert draft.outlet == "Northern Courier"
    assert draft.text.startswith("The city museum handed back six carved wooden panels")


async def test_url_plain_text_uses_domain_as_outlet(server: LocalServer) -> None:
    url = server.page(
        "/story.txt", ARTICLE.encode("cp1252"), content_type="text/plain; charset=windows-1252"
    )

    draft = _draft(await _read(url))

    assert draft.text == ARTICLE
    assert draft.outlet == "127.0.0.1"


async def test_url_errors_are_results_not_exceptions(server: LocalServer) -> None:
    url = server.page("/missing", "gone", status=404)

    assert _error(await _read(url)) == f"HTTP 404 Not Found for {url}"
    assert _error(await read_input(url, FetchPolicy(), fetched_at=NOW)) == (
        "refused: 127.0.0.1 is a loopback address (set fetch.allow_private to allow)"
    )


async def test_url_page_without_article(server: LocalServer) -> None:
    url = server.page("/login", (FIXTURES / "login_page.html").read_bytes())

    assert _error(await _read(url)) == f"no article text found in {url} (only 1 word)"


def test_html_with_only_a_few_words() -> None:
    html = "<html><body><article><p>Coming soon: our new site.</p></article></body></html>"

    with pytest.raises(IngestError) as err:
        extract_html(html, url=None, source="soon.html", fetched_at=NOW)
    assert str(err.value) == "no article text found in soon.html (only 5 words)"
