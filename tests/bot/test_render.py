"""Rendering: exact output for small briefings, and Discord's limits for any briefing."""

from __future__ import annotations

from datetime import UTC, datetime

import discord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import render
from bot.render import Card, Line, Reply
from summaries.models import (
    Briefing,
    Citation,
    CitedSentence,
    Discrepancy,
    Feed,
    FeedCounts,
    IngestResult,
    StoryBrief,
    Subscription,
)

NOW = datetime(2024, 3, 5, 9, 30, tzinfo=UTC)


def _cite(article_id: int, outlet: str, url: str | None) -> Citation:
    return Citation(article_id, outlet, NOW, url, f"Harbour report {article_id}")


def _sentence(text: str, article_id: int, outlet: str, url: str | None) -> CitedSentence:
    return CitedSentence(text, article_id * 10, _cite(article_id, outlet, url))


def _sample_brief() -> StoryBrief:
    a = _sentence(
        "The Port of Velmar reopened its north quay on Monday.",
        1,
        "Coast Times",
        "https://ct.example/a",
    )
    b = _sentence("Officials counted 40 cranes.", 2, "Bay Herald", "https://bh.example/b")
    c = _sentence("A second quay opens in May.", 2, "Bay Herald", "https://bh.example/b")
    return StoryBrief(
        story_id=3,
        title="Velmar port reopens",
        summary=(a, b),
        new=(c,),
        discrepancies=(Discrepancy("figure", "cranes", ("40", "42"), ((2,), (1,))),),
        sources=(
            _cite(1, "Coast Times", "https://ct.example/a"),
            _cite(2, "Bay Herald", "https://bh.example/b"),
        ),
    )


def test_briefing_embed_shows_cited_summary_new_and_disagreements() -> None:
    briefing = Briefing("channel:1", NOW, (_sample_brief(),))
    messages = render.to_messages(render.briefing_reply(briefing))
    assert len(messages) == 1
    assert messages[0].content == "Briefing: 1 story."
    (embed,) = messages[0].embeds
    assert embed.title == "Velmar port reopens"
    assert embed.description == (
        "• The Port of Velmar reopened its north quay on Monday. — [Coast Times](https://ct.example/a)\n"
        "• Officials counted 40 cranes. — [Bay Herald](https://bh.example/b)\n"
        "**New since your last briefing**\n"
        "• A second quay opens in May. — [Bay Herald](https://bh.example/b)\n"
        "**Where outlets disagree**\n"
        "• Figure, cranes: “40” (Bay Herald) vs “42” (Coast Times)"
    )
    assert embed.footer.text == "Story 3 · 2 sources · /story 3 for everything"


def test_story_reply_lists_sources_and_the_shell_text_matches() -> None:
    reply = render.story_reply(_sample_brief())
    description = render.to_messages(reply)[0].embeds[0].description or ""
    assert description.endswith(
        "**Sources**\n"
        "• Harbour report 1 (05 Mar 2024 09:30 UTC) — [Coast Times](https://ct.example/a)\n"
        "• Harbour report 2 (05 Mar 2024 09:30 UTC) — [Bay Herald](https://bh.example/b)"
    )
    assert render.to_text(reply) == (
        "## Velmar port reopens\n"
        "• The Port of Velmar reopened its north quay on Monday. — Coast Times <https://ct.example/a>\n"
        "• Officials counted 40 cranes. — Bay Herald <https://bh.example/b>\n"
        "\n"
        "New since your last briefing:\n"
        "• A second quay opens in May. — Bay Herald <https://bh.example/b>\n"
        "\n"
        "Where outlets disagree:\n"
        "• Figure, cranes: “40” (Bay Herald) vs “42” (Coast Times)\n"
        "\n"
        "Sources:\n"
        "• Harbour report 1 (05 Mar 2024 09:30 UTC) — Coast Times <https://ct.example/a>\n"
        "• Harbour report 2 (05 Mar 2024 09:30 UTC) — Bay Herald <https://bh.example/b>\n"
        "(Story 3 · 2 sources)\n"
    )


def test_empty_whats_new_is_one_line() -> None:
    briefing = Briefing("user:5", NOW, (), topic="velmar")
    reply = render.briefing_reply(briefing, whats_new=True)
    assert render.to_text(reply) == "Nothing new on “velmar” since your last briefing.\n"
    assert reply.briefing is None  # nothing shown, nothing to record


def test_markdown_and_mentions_in_article_text_are_escaped() -> None:
    line = Line(
        "Crowd chanted @everyone *loudly* at_the gate", "Bay [Herald]", "https://x.example/a b(1)"
    )
    assert render.line_markdown(line) == (
        "• Crowd chanted @\u200beveryone \\*loudly\\* at\\_the gate — "
        "[Bay (Herald)](https://x.example/a%20b%281%29)"
    )


def test_a_citation_url_that_is_not_http_is_shown_as_its_label() -> None:
    line = Line("Text.", "notes.txt", "file:///etc/passwd")
    assert render.line_markdown(line) == "• Text. — notes.txt"


def test_overlong_sentence_is_shortened_with_ellipsis_and_keeps_its_link() -> None:
    words = " ".join(["harbour"] * 900)  # 7,199 characters
    out = render.fit_markdown(Line(words, "Coast Times", "https://ct.example/a"), 4096)
    assert len(out) <= 4096
    assert out.startswith("• harbour harbour")
    assert out.endswith("harbour… — [Coast Times](https://ct.example/a)")


def test_long_content_splits_between_lines() -> None:
    text = "\n".join(f"line {n} " + "x" * 90 for n in range(50))
    messages = render.to_messages(Reply(text=text))
    assert len(messages) == 3
    joined = "\n".join(m.content or "" for m in messages)
    assert joined == text
    assert all(len(m.content or "") <= 2000 for m in messages)


def test_ingest_replies() -> None:
    stored = IngestResult("https://ct.example/a", "stored", article_id=4, story_id=2, title="Quay")
    dup = IngestResult("pasted", "duplicate", article_id=4, reason="same text", title="Quay")
    bad = IngestResult("notes.bin", "rejected", reason="binary file")
    assert (
        render.to_text(render.ingest_reply([stored])) == "Stored “Quay” as article 4 (story 2).\n"
    )
    assert render.ingest_reply([bad]).error
    reply = render.ingest_reply([stored, dup, bad])
    assert render.to_text(reply) == (
        "1 stored, 1 duplicate, 1 rejected.\n\n"
        "## Ingested 3 inputs\n"
        "• Stored “Quay” as article 4 (story 2).\n"
        "• Duplicate: “Quay” is already stored as article 4 (same text).\n"
        "• Rejected notes.bin: binary file\n"
    )


def test_feed_list_shows_failures_and_flags_long_failures() -> None:
    ok = Feed(1, "https://ct.example/rss", "channel:1", None, last_polled_at=NOW)
    failing = Feed(
        2,
        "https://bh.example/atom",
        "channel:1",
        None,
        failures=4,
        last_error="HTTP 503",
        last_ok_at=datetime(2024, 3, 3, 9, 0, tzinfo=UTC),
    )
    assert render.to_text(render.feeds_reply([ok, failing], NOW)) == (
        "2 feeds for this channel.\n\n"
        "## Feeds\n"
        "• Feed 1: https://ct.example/rss — ok, last polled 05 Mar 2024 09:30 UTC\n"
        "• Feed 2: https://bh.example/atom — failing (4×): HTTP 503 — failing since "
        "03 Mar 2024 09:00 UTC\n"
    )


def test_feed_list_counts_entries_and_flags_ill_formed_feeds() -> None:
    feed = Feed(
        3,
        "https://pa.example/rss",
        "channel:1",
        None,
        last_polled_at=NOW,
        warning="not well-formed XML (mismatched tag at line 40)",
    )
    counts = {
        3: FeedCounts(
            stored=12,
            duplicate=2,
            skipped=5,
            reasons=(("too short", 4), ("same URL", 2), ("page unavailable", 1)),
            from_feed=3,
            retrying=1,
        )
    }

    assert render.to_text(render.feeds_reply([feed], NOW, counts=counts)) == (
        "1 feed for this channel.\n\n"
        "## Feeds\n"
        "• Feed 3: https://pa.example/rss — ok, last polled 05 Mar 2024 09:30 UTC; ill-formed "
        "feed, read as far as it goes (not well-formed XML (mismatched tag at line 40)). "
        "Entries: 12 stored (3 from the feed's own text, 1 waiting for its page), 2 duplicate, "
        "5 skipped: 4 too short, 1 page unavailable\n"
    )


def test_digest_show_includes_the_last_delivery_error() -> None:
    sub = Subscription(
        1,
        "channel:1",
        "08:00",
        "Europe/Paris",
        ("velmar",),
        last_error="missing permission",
        last_error_at=NOW,
    )
    assert render.to_text(render.subscription_reply(sub)) == (
        "Daily digest for this channel at 08:00 (Europe/Paris) on velmar.\n"
        "Last delivery failed (05 Mar 2024 09:30 UTC): missing permission\n"
    )


# --------------------------------------------------------------------------- property test

_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60)
_long_text = st.one_of(
    _text,
    st.builds(lambda w, n: (w + " ") * n, st.text(min_size=1, max_size=12), st.integers(1, 700)),
    st.text(min_size=3000, max_size=4500),
)
_url = st.one_of(
    st.none(),
    st.just("file:///tmp/notes.txt"),
    st.builds(lambda p: "https://news.example/" + p, _text),
    st.builds(lambda n: "https://news.example/" + "a" * n, st.integers(100, 2500)),
)
_citation = st.builds(
    Citation, st.integers(1, 50), st.text(min_size=0, max_size=120), st.none(), _url, _text
)
_cited = st.builds(CitedSentence, _long_text, st.integers(1, 10**6), _citation)
_story = st.builds(
    StoryBrief,
    story_id=st.integers(1, 10**6),
    title=st.text(max_size=400),
    summary=st.lists(_cited, max_size=6).map(tuple),
    new=st.lists(_cited, max_size=4).map(tuple),
    discrepancies=st.lists(
        st.builds(
            Discrepancy,
            st.sampled_from(["name", "figure", "date"]),
            _text,
            st.lists(_text, min_size=2, max_size=3).map(tuple),
            st.lists(st.lists(st.integers(1, 50), max_size=3).map(tuple), max_size=3).map(tuple),
        ),
        max_size=3,
    ).map(tuple),
    sources=st.lists(_citation, max_size=8).map(tuple),
)


@st.composite
def _briefings(draw: st.DrawFn) -> Briefing:
    # A few distinct stories repeated up to 300 times: huge briefings without slow generation.
    templates = draw(st.lists(_story, min_size=1, max_size=4))
    count = draw(st.one_of(st.integers(0, 5), st.integers(250, 300)))
    stories = tuple(templates[i % len(templates)] for i in range(count))
    return Briefing(
        "channel:1",
        NOW,
        stories,
        topic=draw(st.one_of(st.none(), st.text(max_size=3000))),
        notes=tuple(draw(st.lists(st.text(max_size=2500), max_size=3))),
    )


def _check_limits(messages: list[render.OutMessage]) -> None:
    ulen = render.ulen
    for message in messages:
        assert message.content or message.embeds
        assert ulen(message.content or "") <= render.MESSAGE_CHARS
        assert len(message.embeds) <= render.EMBEDS_PER_MESSAGE
        total = 0
        for embed in message.embeds:
            assert ulen(embed.title or "") <= render.EMBED_TITLE
            assert ulen(embed.description or "") <= render.EMBED_DESCRIPTION
            assert len(embed.fields) <= render.EMBED_FIELDS
            for f in embed.fields:
                assert ulen(f.name or "") <= render.FIELD_NAME
                assert ulen(f.value or "") <= render.FIELD_VALUE
            assert ulen(embed.footer.text or "") <= render.EMBED_FOOTER
            assert ulen(embed.author.name or "") <= render.EMBED_AUTHOR
            assert len(embed) <= render.embed_size(embed)  # we count at least what discord.py does
            total += render.embed_size(embed)
        assert total <= render.EMBED_TOTAL


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(_briefings(), st.booleans())
def test_any_briefing_respects_every_discord_limit_and_cuts_nothing(
    briefing: Briefing, whats_new: bool
) -> None:
    reply = render.briefing_reply(briefing, whats_new=whats_new)
    messages = render.to_messages(reply)
    _check_limits(messages)

    # Every line of every card appears whole, in order, exactly once; only a line that is longer
    # than a description on its own is shortened (ellipsis before its intact link).
    expected: list[str] = []
    for card in reply.cards:
        for line in card.lines:
            full = render.line_markdown(line)
            fitted = render.fit_markdown(line, render.EMBED_DESCRIPTION)
            if render.ulen(full) <= render.EMBED_DESCRIPTION:
                assert fitted == full
            elif (
                line.link_label is not None and render.ulen(render.line_markdown(line, "…")) <= 4096
            ):
                link = render.line_markdown(line, "").removeprefix("• ")  # " — [outlet](url)"
                assert fitted.endswith("…" + link)
            if fitted:
                expected.append(fitted)
    shown = [row for m in messages for e in m.embeds for row in (e.description or "").split("\n")]
    assert shown == expected
    # Embeds keep card order; continuation embeds say so.
    titles = [e.title or "" for m in messages for e in m.embeds]
    assert len(titles) >= len(reply.cards)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=2600), max_size=40))
def test_any_text_reply_respects_message_limits(rows: list[str]) -> None:
    _check_limits(render.to_messages(Reply(text="\n".join(rows))))


@settings(max_examples=30, deadline=None)
@given(
    st.text(max_size=600), st.lists(st.tuples(_long_text, st.text(max_size=80), _url), max_size=30)
)
def test_any_card_respects_limits(title: str, rows: list[tuple[str, str, str | None]]) -> None:
    card = Card(
        title=title, lines=tuple(Line(t, label, url) for t, label, url in rows), footer=title
    )
    _check_limits(render.to_messages(Reply(cards=(card,))))


def test_embeds_are_discord_embeds() -> None:
    (message,) = render.to_messages(render.story_reply(_sample_brief()))
    assert isinstance(message.embeds[0], discord.Embed)


@settings(max_examples=30, deadline=None)
@given(
    st.text(max_size=600), st.lists(st.tuples(_long_text, st.text(max_size=80), _url), max_size=30)
)
def test_any_card_as_plain_text_respects_message_limits(
    title: str, rows: list[tuple[str, str, str | None]]
) -> None:
    card = Card(
        title=title, lines=tuple(Line(t, label, url) for t, label, url in rows), footer=title
    )
    messages = render.to_text_messages(Reply(text="Daily digest: 1 story.", cards=(card,)))
    _check_limits(messages)
    assert all(not m.embeds for m in messages)


def test_a_card_as_plain_text_keeps_title_lines_and_footer() -> None:
    reply = render.briefing_reply(
        Briefing(audience="channel:1", generated_at=NOW, stories=(_sample_brief(),)),
        label="Daily digest",
    )
    [message] = render.to_text_messages(reply)
    assert message.content is not None
    lines = message.content.split("\n")
    assert lines[:3] == ["Daily digest: 1 story.", "", "**Velmar port reopens**"]
    assert lines[3] == (
        "• The Port of Velmar reopened its north quay on Monday. — [Coast Times](https://ct.example/a)"
    )
    assert lines[-1] == "-# Story 3 · 2 sources · /story 3 for everything"


def test_a_long_title_still_says_continued() -> None:
    card = Card(title="Harbour " * 60, lines=tuple(Line("x" * 3000) for _ in range(3)))
    titles = [e.title or "" for e in render.card_embeds(card)]
    assert len(titles) == 3
    assert titles[0].endswith("…") and len(titles[0]) <= 256
    assert all(t.endswith("… (continued)") and len(t) <= 256 for t in titles[1:])
