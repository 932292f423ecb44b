"""Feeds: recognising, parsing, full-content entries, teaser entries fetched from a local server."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from ingest_server import LocalServer

from summaries.errors import IngestError
from summaries.ingest.feeds import draft_from_entry, looks_like_feed, parse_feed, read_feed
from summaries.ingest.fetch import FetchPolicy
from summaries.ingest.sources import read_input
from summaries.models import ArticleDraft

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
LOCAL = FetchPolicy(allow_private=True, timeout_s=5)
FIXTURES = Path(__file__).resolve().parent / "fixtures"

FIRST = (
    "The river ferry will run every fifteen minutes from June, the transport company said on "
    "Tuesday, after passenger numbers doubled in two years."
)
SECOND = "Tickets bought on the old timetable remain valid until the end of the summer season."
RSS_FULL = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Riverside Gazette</title>
  <link>https://gazette.example/</link>
  <description>Local news</description>
  <item>
    <title>Ferry Service to Run Every Fifteen Minutes</title>
    <link>https://gazette.example/ferry</link>
    <guid>gazette-ferry-1</guid>
    <pubDate>Tue, 30 Apr 2024 16:20:00 +0200</pubDate>
    <dc:creator>Oskar Berg</dc:creator>
    <description>Ferries every fifteen minutes.</description>
    <content:encoded><![CDATA[<p>{FIRST}</p><figure><img src="f.jpg"><figcaption>Photo: Gazette</figcaption></figure><p>{SECOND}</p><p>Related Articles</p>]]></content:encoded>
  </item>
  <item>
    <title>Short Note</title>
    <guid>gazette-note-2</guid>
    <description>Roadworks tonight.</description>
  </item>
</channel>
</rss>
"""

TEASER_PAGE = """<!DOCTYPE html><html><head><title>Council Adds Cycle Lanes</title></head><body>
<nav><a href="/">Home</a></nav><article><h1>Council Adds Cycle Lanes</h1>
<p>The council painted new cycle lanes along four main streets over the weekend, adding nine kilometres to the network.</p>
<p>Cyclists welcomed the change, but shop owners said they had lost parking spaces in front of their doors.</p>
</article></body></html>"""


def _atom(base: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Harbour Town Today</title>
  <id>urn:harbour-today</id>
  <updated>2024-04-20T10:00:00Z</updated>
  <entry>
    <title>Museum Returns Carved Panels to Island Community</title>
    <id>urn:harbour-today:panels</id>
    <link href="{base}/panels"/>
    <published>2024-04-18T06:00:00Z</published>
    <summary>Six panels go back to Varholm.</summary>
  </entry>
  <entry>
    <title>Council Adds Cycle Lanes</title>
    <id>urn:harbour-today:lanes</id>
    <link href="{base}/lanes"/>
    <updated>2024-04-19T09:30:00+01:00</updated>
    <summary>Nine kilometres of new lanes.</summary>
  </entry>
  <entry>
    <title>Gone Missing</title>
    <id>urn:harbour-today:gone</id>
    <link href="{base}/gone"/>
    <summary>This page was removed.</summary>
  </entry>
</feed>
"""


def test_looks_like_feed() -> None:
    assert looks_like_feed(RSS_FULL.encode(), None)
    assert looks_like_feed(_atom("http://x").encode(), "application/xml")
    assert looks_like_feed(b"anything", "application/rss+xml; charset=utf-8")
    assert not looks_like_feed(TEASER_PAGE.encode(), None)
    assert not looks_like_feed(b"<rss>", "text/html")
    assert not looks_like_feed(b"Plain text about an rss feed <rss>", None)


def test_parse_rss_with_full_content() -> None:
    title, entries = parse_feed(RSS_FULL.encode(), source="gazette.xml")

    assert title == "Riverside Gazette"
    assert [e.id for e in entries] == ["gazette-ferry-1", "gazette-note-2"]
    first = entries[0]
    assert first.link == "https://gazette.example/ferry"
    assert first.published_at == datetime(2024, 4, 30, 14, 20, tzinfo=UTC)
    assert first.author == "Oskar Berg"
    assert first.is_teaser is False
    assert entries[1].is_teaser is False  # no link: nothing to fetch


def test_draft_from_full_content_entry() -> None:
    feed_title, entries = parse_feed(RSS_FULL.encode(), source="gazette.xml")

    draft = draft_from_entry(
        entries[0], feed_title=feed_title, source="gazette.xml", fetched_at=NOW
    )

    assert draft == ArticleDraft(
        text=f"{FIRST}\n\n{SECOND}",
        title="Ferry Service to Run Every Fifteen Minutes",
        source="gazette.xml [gazette-ferry-1]",
        fetched_at=NOW,
        url="https://gazette.example/ferry",
        outlet="Riverside Gazette",
        author="Oskar Berg",
        published_at=datetime(2024, 4, 30, 14, 20, tzinfo=UTC),
        language="en",
        feed="gazette.xml",
        entry="gazette-ferry-1",
        from_feed=True,
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"this is not xml at all", "it is not XML"),
        (b"", "it is empty"),
        (b"<html><body><p>A page</p></body></html>", "no RSS or Atom elements found"),
    ],
)
def test_not_a_feed(data: bytes, reason: str) -> None:
    with pytest.raises(IngestError) as err:
        parse_feed(data, source="news.xml")
    assert str(err.value) == f"news.xml is not an RSS/Atom feed: {reason}"


def test_malformed_xml_feed_is_rejected_with_the_parser_reason() -> None:
    with pytest.raises(IngestError) as err:
        parse_feed(
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken', source="b.xml"
        )
    message = str(err.value)
    assert message.startswith("b.xml is not an RSS/Atom feed: ")
    assert "\n" not in message


async def test_feed_file_gives_one_result_per_entry(tmp_path: Path) -> None:
    path = tmp_path / "gazette.rss"
    path.write_text(RSS_FULL, encoding="utf-8")

    results = await read_input(str(path), LOCAL, fetched_at=NOW)

    assert isinstance(results[0], ArticleDraft)
    assert results[0].source == f"{path} [gazette-ferry-1]"
    assert isinstance(results[1], IngestError)
    assert str(results[1]) == (
        f"{path} [gazette-note-2]: feed entry text is too short to be an article "
        "(2 words; at least 20 needed)"
    )


async def test_feed_url_with_teasers_fetches_linked_pages(server: LocalServer) -> None:
    server.page("/panels", (FIXTURES / "museum_page.html").read_bytes())
    server.page("/lanes", TEASER_PAGE)
    feed_url = server.page("/atom.xml", _atom(server.url("")), content_type="application/atom+xml")

    results = await read_input(feed_url, LOCAL, fetched_at=NOW)

    panels, lanes, gone = results
    assert isinstance(panels, ArticleDraft)
    assert panels.source == f"{feed_url} [urn:harbour-today:panels]"
    assert panels.url == server.url("/panels")
    assert panels.title == "Museum Returns Carved Panels to Island Community"
    assert panels.outlet == "Northern Courier"  # the page names its site
    assert panels.author == "Priya Sandhu"
    assert panels.published_at == datetime(2024, 4, 18, 5, 45, tzinfo=UTC)  # the page's own time
    assert panels.text.startswith("The city museum handed back six carved wooden panels")
    assert isinstance(lanes, ArticleDraft)
    assert lanes.outlet == "Harbour Town Today"  # page names no site: the feed's title
    assert lanes.published_at == datetime(2024, 4, 19, 8, 30, tzinfo=UTC)  # from the entry
    assert lanes.text == (
        "The council painted new cycle lanes along four main streets over the weekend, adding "
        "nine kilometres to the network.\n\n"
        "Cyclists welcomed the change, but shop owners said they had lost parking spaces in "
        "front of their doors."
    )
    assert isinstance(gone, IngestError)
    assert str(gone) == (
        f"{feed_url} [urn:harbour-today:gone]: HTTP 404 Not Found for {server.url('/gone')}; "
        "the entry's own text is too short to be an article (4 words; at least 20 needed)"
    )


async def test_teaser_links_go_through_the_fetch_policy(server: LocalServer) -> None:
    # The feed itself is allowed (its address is allow-listed); the linked pages are on a
    # loopback address that is not, so they are refused one by one.
    feed_url = server.page(
        "/atom.xml", _atom(server.url("", host="127.0.0.2")), content_type="application/atom+xml"
    )
    policy = FetchPolicy(allow_networks=("127.0.0.1/32",), timeout_s=5)

    results = await read_input(feed_url, policy, fetched_at=NOW)

    assert [str(r) for r in results] == [
        f"{feed_url} [urn:harbour-today:{name}]: refused: 127.0.0.2 is a loopback address "
        "(set fetch.allow_private to allow); the entry's own text is too short to be an "
        f"article ({words} words; at least 20 needed)"
        for name, words in (("panels", 6), ("lanes", 5), ("gone", 4))
    ]
    assert [r.kind for r in results if isinstance(r, IngestError)] == ["refused"] * 3


async def test_malformed_feed_url_is_one_error(server: LocalServer) -> None:
    url = server.page(
        "/bad.xml", "<rss><channel><title>Oops</titel>", content_type="application/rss+xml"
    )

    results = await read_input(url, LOCAL, fetched_at=NOW)

    assert len(results) == 1
    assert isinstance(results[0], IngestError)
    assert str(results[0]).startswith(f"{url} is not an RSS/Atom feed: ")


# ------------------------------------------------ teasers whose page fails, JSON Feed, bozo

TEASER_TEXT = (
    "The harbour board of Port Alder approved a second ferry berth on Tuesday, ending a "
    "review that lasted three years and drew objections from the fishing cooperative."
)


def _teaser_rss(base: str) -> str:
    items = "".join(
        f"<item><title>Berth {name}</title><link>{base}/{name}</link><guid>berth-{name}</guid>"
        f"<description>{TEASER_TEXT}</description></item>"
        for name in ("down", "gone", "refused")
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Port Alder Post</title>'
        f"{items}</channel></rss>"
    )


async def test_a_teaser_whose_page_fails_keeps_its_own_text(server: LocalServer) -> None:
    server.page("/down", "busy", content_type="text/plain", status=503)
    server.page("/gone", "removed", content_type="text/plain", status=404)
    # "refused": the entry links to a port where nothing listens
    feed = _teaser_rss(server.url("")).replace(
        f"{server.url('')}/refused", "http://127.0.0.1:9/refused"
    )
    url = server.page("/feed.xml", feed, content_type="application/rss+xml")

    down, gone, refused = await read_input(url, LOCAL, fetched_at=NOW)

    for draft in (down, gone, refused):
        assert isinstance(draft, ArticleDraft)
        assert draft.text == TEASER_TEXT
        assert draft.from_feed is True
        assert draft.feed == url
    assert isinstance(down, ArticleDraft) and isinstance(gone, ArticleDraft)
    assert isinstance(refused, ArticleDraft)
    assert down.page_error == f"HTTP 503 Service Unavailable for {server.url('/down')}"
    assert down.page_retry is True  # may pass: fetched again on the next poll
    assert gone.page_error == f"HTTP 404 Not Found for {server.url('/gone')}"
    assert gone.page_retry is False
    assert refused.page_error is not None
    assert refused.page_error.startswith("could not connect to 127.0.0.1:9")
    assert refused.page_retry is True


JSON_FEED_10 = """{
  "version": "https://jsonfeed.org/version/1",
  "title": "Port Alder Post",
  "author": {"name": "Harbour Desk"},
  "items": [
    {"id": "1", "url": "https://post.example/berth", "title": "Second Berth Approved",
     "content_html": "<p>%s</p><script>alert(1)</script>",
     "date_published": "2024-04-30T16:20:00+02:00"},
    {"id": "2", "title": "Ferry Timetable", "content_text": "%s\\n\\nTickets stay valid."}
  ]
}""".replace("%s", TEASER_TEXT)

JSON_FEED_11 = """{
  "version": "https://jsonfeed.org/version/1.1",
  "title": "Port Alder Post",
  "items": [
    {"id": "b", "url": "https://post.example/b", "title": "Quay Works",
     "content_text": "%s", "authors": [{"name": "Ines Varga"}, {"name": "Tomas Brand"}],
     "date_modified": "2024-05-01T08:00:00Z"}
  ]
}""".replace("%s", TEASER_TEXT)


async def test_json_feed_1_0_and_1_1(server: LocalServer) -> None:
    url10 = server.page("/feed.json", JSON_FEED_10, content_type="application/feed+json")
    url11 = server.page("/feed11.json", JSON_FEED_11, content_type="application/json")

    berth, timetable = await read_input(url10, LOCAL, fetched_at=NOW)
    (quay,) = await read_input(url11, LOCAL, fetched_at=NOW)

    assert isinstance(berth, ArticleDraft) and isinstance(timetable, ArticleDraft)
    assert berth.title == "Second Berth Approved"
    assert berth.text == TEASER_TEXT  # the script is not text
    assert berth.url == "https://post.example/berth"
    assert berth.outlet == "Port Alder Post"
    assert berth.author == "Harbour Desk"
    assert berth.published_at == datetime(2024, 4, 30, 14, 20, tzinfo=UTC)
    assert timetable.text == f"{TEASER_TEXT}\n\nTickets stay valid."
    assert isinstance(quay, ArticleDraft)
    assert quay.author == "Ines Varga, Tomas Brand"
    assert quay.published_at == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def test_json_that_is_no_feed_is_refused_with_a_reason() -> None:
    with pytest.raises(IngestError) as err:
        read_feed(b'{"version": "2", "items": []}', source="x.json")
    assert str(err.value) == "x.json is not a feed: JSON without a JSON Feed version"


BROKEN = f"""
<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Port Alder Post</title>
<item><title>Second Berth Approved</title><guid>one</guid>
<description>{TEASER_TEXT}</description></item>
<item><title>Quay Works &mdash; Phase Two</title><guid>two</guid>
<description>{TEASER_TEXT} The second phase starts in May.</description></item>
<item <title>Broken Start Tag</titl>
</channel></rss>
"""


def test_an_ill_formed_feed_is_read_as_far_as_it_goes_and_flagged() -> None:
    parsed = read_feed(BROKEN.encode(), source="broken.xml")

    assert [e.id for e in parsed.entries][:2] == ["one", "two"]
    assert parsed.entries[1].title == "Quay Works — Phase Two"
    assert parsed.problem is not None
    assert parsed.problem.startswith("not well-formed XML (")


async def test_ingest_says_the_feed_was_ill_formed(tmp_path: Path) -> None:
    path = tmp_path / "broken.rss"
    path.write_text(BROKEN, encoding="utf-8")

    results = await read_input(str(path), LOCAL, fetched_at=NOW)

    drafts = [r for r in results if isinstance(r, ArticleDraft)]
    assert len(drafts) >= 2
    assert all(d.feed_problem and d.feed_problem.startswith("not well-formed XML") for d in drafts)
