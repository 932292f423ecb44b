"""The local shell, driven through stdin against a real Newsroom on a temporary database."""

from __future__ import annotations

import io
from pathlib import Path

from sample_news import QUAY_UNION, add_quay_story, advance, open_room

from bot.shell import GREETING, run_shell
from summaries.newsroom import Newsroom

BRIEF = (
    "Briefing: 1 story.\n"
    "\n"
    "## Velmar quay reopens\n"
    "• The Port of Velmar reopened its north quay on Monday after a three-week closure."
    " — Coast Times <https://coast.example/velmar>\n"
    "• Harbour master Ilse Varga said 40 container cranes were inspected before the reopening."
    " — Coast Times <https://coast.example/velmar>\n"
    "• Harbour master Ilse Warga told reporters that 42 cranes had been checked."
    " — Bay Herald <https://herald.example/velmar>\n"
    "\n"
    "Where outlets disagree:\n"
    "• Name, Varga: “Ilse Varga” (Coast Times) vs “Ilse Warga” (Bay Herald)\n"
    "(Story 1 · 2 sources · /story 1 for everything)\n"
)


async def _session(room: Newsroom, *lines: str, audience: str = "cli:shell") -> str:
    out = io.StringIO()
    code = await run_shell(
        room, io.StringIO("".join(f"{x}\n" for x in lines)), out, audience=audience
    )
    assert code == 0
    return out.getvalue()


async def test_brief_then_whatsnew_shows_nothing_new_and_records_one_delivery(
    tmp_path: Path,
) -> None:
    async with open_room(tmp_path) as room:
        await add_quay_story(room)
        output = await _session(room, "/brief", "/whatsnew")
        assert output == (f"{GREETING}\n{BRIEF}\nNothing new since your last briefing.\n\n")
        assert await room.store.delivery_count("cli:shell") == 1
        assert await room.store.delivery_count("cli:other") == 0


async def test_plain_words_use_the_same_commands(tmp_path: Path) -> None:
    async with open_room(tmp_path) as room:
        await add_quay_story(room)
        output = await _session(room, "brief me", "what's new?", audience="cli:ana")
        assert output == f"{GREETING}\n{BRIEF}\nNothing new since your last briefing.\n\n"
        assert await room.store.delivery_count("cli:ana") == 1


async def test_story_in_full_and_errors(tmp_path: Path) -> None:
    async with open_room(tmp_path) as room:
        await add_quay_story(room)
        output = await _session(room, "/story 1", "/story 99", "/story x", "/frob")
    assert output.startswith(f"{GREETING}\n## Velmar quay reopens\n")
    assert (
        "Sources:\n"
        "• Velmar quay reopens — Coast Times <https://coast.example/velmar>\n"
        "• North quay open again — Bay Herald <https://herald.example/velmar>\n"
        "(Story 1 · 2 sources)\n"
    ) in output
    assert output.endswith(
        "no story with id 99\n\n"
        "usage: /story <number>\n\n"
        "Unknown command /frob. Type /help for the list.\n\n"
    )


async def test_ingest_pasted_text_then_whats_new_shows_only_it(tmp_path: Path) -> None:
    async with open_room(tmp_path) as room:
        await add_quay_story(room)
        first = await _session(room, "/brief")
        advance(room, hours=2)
        output = first + await _session(room, f"/ingest {QUAY_UNION}", "/whatsnew")
    after_brief = output.split(BRIEF, 1)[1]
    assert after_brief.startswith(f"\n{GREETING}\nStored the pasted text as article 3 (story ")
    assert "What's new: 1 story.\n" in after_brief
    assert (
        "New since your last briefing:\n"
        "• A dockworkers' union in Velmar called for an independent safety review on Tuesday."
        " — pasted\n"
        "• The union said the crane that collapsed had missed two scheduled inspections."
        " — pasted\n"
    ) in after_brief
    assert "Coast Times" not in after_brief  # already shown: not repeated


async def test_ingest_a_file_path(tmp_path: Path) -> None:
    article = tmp_path / "union.txt"
    article.write_text(f"Union wants review\n\n{QUAY_UNION}\n", encoding="utf-8")
    async with open_room(tmp_path) as room:
        output = await _session(room, f"/ingest {article}")
        assert len(await room.articles()) == 1
    assert output.startswith(f"{GREETING}\nStored ")
    assert "as article 1 (story 1)." in output


async def test_digest_settings_are_validated_and_stored(tmp_path: Path) -> None:
    async with open_room(tmp_path) as room:
        output = await _session(
            room,
            "/digest set 8:00 Europe/Pariss",
            "/digest set 08:00 Europe/Paris velmar, harbour",
            "/digest show",
            "/digest off",
            "/digest show",
        )
        sub = await room.digest("cli:shell")
    assert output == (
        f"{GREETING}\n"
        "unknown timezone “Europe/Pariss”: use an IANA name such as Europe/Berlin\n\n"
        "Daily digest for this shell set to 08:00 (Europe/Paris) on velmar, harbour.\n\n"
        "Daily digest for this shell at 08:00 (Europe/Paris) on velmar, harbour.\n\n"
        "Daily digest for this shell turned off.\n\n"
        "No daily digest for this shell. Set one with /digest set.\n\n"
    )
    assert sub is not None and not sub.enabled
    assert sub.topics == ("velmar", "harbour")


async def test_feeds_add_list_remove(tmp_path: Path) -> None:
    async with open_room(tmp_path) as room:
        output = await _session(
            room,
            "/feed add https://coast.example/rss",
            "/feed list",
            "/feed remove 1",
            "/feed list",
        )
        assert await room.feeds() == []
    assert output == (
        f"{GREETING}\n"
        "Added feed 1: https://coast.example/rss. It will be polled shortly.\n\n"
        "1 feed for this shell.\n\n## Feeds\n• Feed 1: https://coast.example/rss — not polled yet\n\n"
        "Removed feed 1: https://coast.example/rss.\n\n"
        "No feeds for this shell. Add one with /feed add.\n\n"
    )


async def test_unknown_words_get_help_and_quit_stops_reading(tmp_path: Path) -> None:
    async with open_room(tmp_path) as room:
        output = await _session(room, "banana", "/quit", "/brief")
    assert output.startswith(
        f"{GREETING}\nSorry, I did not understand “banana”. Try one of these:\n\n## briefbot help\n"
    )
    assert "• /quit — leave the shell\n" in output
    assert "Briefing" not in output and "No stories" not in output


async def test_brief_on_a_topic(tmp_path: Path) -> None:
    async with open_room(tmp_path) as room:
        await add_quay_story(room)
        output = await _session(room, "/brief cranes", "/brief volcano")
    assert "Something went wrong" not in output, output
    assert output.startswith(f"{GREETING}\nBriefing on “cranes”: 1 story.\n")
    assert output.endswith("No stories on “volcano” yet.\n\n")


async def test_the_shell_can_run_the_scheduler(tmp_path: Path) -> None:
    from bot.settings import Settings

    async with open_room(tmp_path) as room:
        out = io.StringIO()
        code = await run_shell(
            room,
            io.StringIO("/digest show\n"),
            out,
            settings=Settings(db_path=tmp_path / "briefbot.db"),
            scheduler=True,
        )
    assert code == 0
    assert out.getvalue() == (
        f"{GREETING}\nNo daily digest for this shell. Set one with /digest set.\n\n"
    )
