"""Plain-words requests map to the right command and topic."""

from __future__ import annotations

import pytest

from bot.dm import Intent, parse_intent


@pytest.mark.parametrize(
    ("text", "kind", "topic"),
    [
        ("what's new on north korea?", "whatsnew", "north korea"),
        ("What’s new about Lavrov", "whatsnew", "Lavrov"),
        ("whats new", "whatsnew", None),
        ("anything new with the port strike?", "whatsnew", "port strike"),
        ("<@123> any updates on velmar", "whatsnew", "velmar"),
        ("what did I miss?", "whatsnew", None),
        ("brief me on lavrov", "brief", "lavrov"),
        ("Brief me", "brief", None),
        ("hey briefbot, please brief me about the harbour strike!", "brief", "harbour strike"),
        ("catch me up on “velmar port”", "brief", "velmar port"),
        ("give me a briefing on everything", "brief", None),
        ("brief velmar", "brief", "velmar"),
        ("search cranes", "search", "cranes"),
        ("look up quay collapse", "search", "quay collapse"),
        ("my digest", "digest", None),
    ],
)
def test_requests_map_to_commands(text: str, kind: str, topic: str | None) -> None:
    intent = parse_intent(text)
    assert (intent.kind, intent.topic) == (kind, topic)


@pytest.mark.parametrize("text", ["story 12", "Story #12", "show me story 12", "#12", "/story 12"])
def test_story_requests(text: str) -> None:
    assert parse_intent(text) == Intent("story", story_id=12, text=text)


@pytest.mark.parametrize("text", ["help", "HELP!", "?", "what can you do?", "", "   "])
def test_help_requests(text: str) -> None:
    assert parse_intent(text).kind == "help"


@pytest.mark.parametrize("text", ["banana", "tell me a joke about cats please now", "story twelve"])
def test_unknown_requests_are_unknown(text: str) -> None:
    assert parse_intent(text).kind == "unknown"
