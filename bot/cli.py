"""The `briefbot` command line: ingest, read, brief, demo, run the bot, the shell, schedules.

Each command: parse arguments -> one facade call -> render -> print. Exit codes: 0 success,
1 the command ran but something was rejected / not found, 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from bot import output, render
from bot.settings import Settings, load_settings
from summaries.errors import BriefbotError, InvalidInput, NotFound
from summaries.models import IngestResult
from summaries.newsroom import Newsroom, audience_for_cli

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


# ---------------------------------------------------------------------------------- parsing


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="briefbot",
        description=(
            "briefbot stores news articles, groups them into stories, writes cited extractive "
            "summaries and tells each audience what is new since its last briefing."
        ),
        epilog="Start with `briefbot demo`, then `briefbot shell`. Every command has --help.",
    )
    parser.add_argument(
        "--db",
        metavar="PATH|URL",
        help="SQLite database file or postgresql://user@host:port/db (password from "
        "$BRIEFBOT_DB_PASSWORD or $PGPASSWORD; default: [store] url/path, ./briefbot.db)",
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="TOML config file (default: $BRIEFBOT_CONFIG or config/briefbot.toml if present)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "ingest",
        help="store articles from files, folders, URLs, feeds or stdin",
        description="Store articles. Each INPUT is a text/HTML file, a folder of "
        "them, an http(s) URL of a page or RSS/Atom feed, a feed file, or - for "
        "stdin. Prints stored (id), duplicate (of id) or rejected (reason) per "
        "article. Exit code 1 if any input was rejected.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT")
    p.add_argument("--json", action="store_true", help="print results as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = sub.add_parser("articles", help="list stored articles")
    p.add_argument("--limit", type=_positive_int, default=50)
    p.add_argument("--offset", type=_non_negative_int, default=0)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("article", help="show one article: cleaned text and metadata")
    p.add_argument("id", type=_positive_int)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("search", help="full-text search over stored articles (ranked, snippets)")
    p.add_argument("query", nargs="+")
    p.add_argument("--limit", type=_positive_int, default=10)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("stories", help="list stories, most recent first")
    p.add_argument("--topic", help="only stories matching these words")
    p.add_argument("--limit", type=_positive_int, default=20)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser(
        "story", help="one story in full: summary, what is new, discrepancies, sources"
    )
    p.add_argument("id", type=_positive_int)
    p.add_argument(
        "--audience", default="cli", help="whose baseline 'what is new' uses (default: cli)"
    )
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("brief", help="the current briefing (records it unless --dry-run)")
    p.add_argument("--topic", help="only stories matching these words")
    p.add_argument("--audience", default="cli", help="who is briefed (default: cli)")
    p.add_argument(
        "--since",
        type=_when,
        metavar="WHEN",
        help="only coverage after WHEN: 2024-01-15, 2024-01-15T08:00, 36h, 7d, 2w, yesterday",
    )
    p.add_argument("--max-stories", type=_positive_int)
    p.add_argument("--dry-run", action="store_true", help="do not record the briefing as delivered")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("whatsnew", help="only what the audience has not been shown yet")
    p.add_argument("--audience", default="cli", help="whose baseline to use (default: cli)")
    p.add_argument("--topic", help="only stories matching these words")
    p.add_argument("--story", type=_positive_int, help="only this story")
    p.add_argument(
        "--since",
        type=_when,
        metavar="WHEN",
        help="with no earlier briefing, compare against coverage older than WHEN",
    )
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("summarize", help="summarize one text, file or URL (no storing)")
    p.add_argument("input", metavar="PATH|URL|-")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--words", type=_positive_int, help="word budget")
    budget.add_argument("--sentences", type=_positive_int, help="sentence budget (default 5)")
    p.add_argument(
        "--algorithm", help="briefbot (default), lexrank, textrank, lsa, luhn, kl, sumbasic, lead"
    )

    sub.add_parser("demo", help="try briefbot on built-in sample articles (temporary database)")

    p = sub.add_parser("shell", help="terminal chat with the same commands as Discord")
    p.add_argument("--audience", default="shell", help="whose baseline to use (default: shell)")
    p.add_argument(
        "--scheduler",
        action="store_true",
        help="also run feed polling and digests, printing digests here",
    )

    p = sub.add_parser(
        "run",
        help="run the Discord bot (token from $BRIEFBOT_DISCORD_TOKEN)",
        description="Connect to Discord and answer commands; one of the processes on the "
        "database also runs the scheduler (feed polls, digests). Several processes: give each "
        "its own --shards of the same --shard-count, on one PostgreSQL database.",
    )
    p.add_argument(
        "--shards",
        metavar="IDS",
        help="comma-separated shard ids this process runs, e.g. 0,1 (needs --shard-count)",
    )
    p.add_argument(
        "--shard-count",
        type=_positive_int,
        metavar="N",
        help="total shards of the bot across all processes (alone: run all N here)",
    )

    p = sub.add_parser("sync", help="publish slash commands to Discord (globally or to one guild)")
    p.add_argument("--guild", type=_positive_int, help="guild id: instant, for development")

    p = sub.add_parser(
        "feeds", help="list followed feeds: polling state, stored / duplicate / skipped entries"
    )
    p.add_argument("--json", action="store_true")

    p = sub.add_parser(
        "explain",
        help="where an article or URL went: stored (story, shown to whom), duplicate, skipped",
        description="Explain what became of an article id or a URL (a page or a feed entry's "
        "link): stored as #N in story S and shown to which audiences, a duplicate of #M, or "
        "skipped and why. Exit code 1 when it was never stored.",
    )
    p.add_argument("query", metavar="ARTICLE|URL")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("feed", help="follow, drop or poll a feed")
    fsub = p.add_subparsers(dest="feed_command", metavar="ACTION", required=True)
    fa = fsub.add_parser("add", help="follow a feed")
    fa.add_argument("url")
    fa.add_argument("--audience", default="cli", help="owner of the feed (default: cli)")
    fa.add_argument("--interval", type=_positive_int, help="seconds between polls")
    fr = fsub.add_parser("remove", help="stop following a feed (id or URL)")
    fr.add_argument("feed")
    fp = fsub.add_parser("poll", help="poll a feed now")
    fp.add_argument("id", type=_positive_int)

    p = sub.add_parser(
        "migrate",
        help="copy a SQLite store into an empty PostgreSQL database",
        description="Copy every row of a SQLite store (sqlite:PATH or a path) into an empty "
        "PostgreSQL database (postgresql://user@host:port/db; the password comes from "
        "$BRIEFBOT_DB_PASSWORD or $PGPASSWORD). Both schemas are brought to the latest "
        "version first. Prints each table's row counts and checksum on both sides; exit "
        "code 1 when any differs. The SQLite file is only read.",
    )
    p.add_argument("source", metavar="sqlite:PATH")
    p.add_argument("dest", metavar="postgresql://…")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = sub.add_parser("schedule", help="upcoming feed polls and digests (local and UTC times)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("digest", help="daily digests: set, off, show, run now")
    dsub = p.add_subparsers(dest="digest_command", metavar="ACTION", required=True)
    ds = dsub.add_parser("set", help="daily digest at a local time")
    ds.add_argument("time", help="HH:MM, 24-hour")
    ds.add_argument("timezone", help="IANA name, e.g. Europe/Berlin")
    ds.add_argument("topics", nargs="*")
    ds.add_argument("--audience", default="cli")
    do = dsub.add_parser("off", help="switch the digest off")
    do.add_argument("--audience", default="cli")
    dw = dsub.add_parser("show", help="show the digest setting")
    dw.add_argument("--audience", default="cli")
    dr = dsub.add_parser("run", help="build and send (or print) the digest now")
    dr.add_argument("--audience", default="cli")
    dr.add_argument(
        "--print",
        action="store_true",
        dest="print_only",
        help="print instead of posting to Discord",
    )
    return parser


def _whole_number(text: str, minimum: int, rule: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"{text!r} {rule}")
    return value


def _positive_int(text: str) -> int:
    return _whole_number(text, 1, "must be greater than 0")


def _non_negative_int(text: str) -> int:
    return _whole_number(text, 0, "must not be negative")


_RELATIVE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$", re.IGNORECASE)


def parse_when(text: str, now: datetime) -> datetime:
    """Parse --since: ISO date/datetime (UTC unless it has an offset), 36h / 7d / 2w, yesterday."""
    raw = text.strip()
    lowered = raw.lower()
    if lowered in ("yesterday", "today"):
        start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return start - timedelta(days=1) if lowered == "yesterday" else start
    m = _RELATIVE.match(raw)
    if m:
        n, unit = int(m.group(1)), m.group(2).lower()
        return (
            now - {"h": timedelta(hours=n), "d": timedelta(days=n), "w": timedelta(weeks=n)}[unit]
        )
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"--since {text!r} is not a time: use 2024-01-15, 2024-01-15T08:00, 36h, 7d, 2w or yesterday"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


class _When(str):
    """--since kept as text until the clock is known."""


def _when(text: str) -> _When:
    try:
        parse_when(text, datetime.now(UTC))  # validates early: argparse shows the error
    except InvalidInput as err:
        raise argparse.ArgumentTypeError(str(err).removeprefix("--since ")) from None
    return _When(text)


# ---------------------------------------------------------------------------------- running


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `briefbot` console script."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("discord.http").setLevel(logging.WARNING)
    try:
        settings = load_settings(args.config, db_path=args.db)
    except BriefbotError as err:
        print(f"briefbot: {err}", file=sys.stderr)
        return EXIT_USAGE
    if not args.verbose:
        logging.getLogger().setLevel(
            settings.log_level if args.command == "run" else logging.WARNING
        )
    try:
        return asyncio.run(dispatch(args, settings, sys.stdout))
    except BrokenPipeError:
        # `briefbot article 1 | head -1`: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except InvalidInput as err:
        print(f"briefbot: {err}", file=sys.stderr)
        return EXIT_USAGE
    except NotFound as err:
        print(f"briefbot: {err}", file=sys.stderr)
        return EXIT_FAILED
    except BriefbotError as err:
        print(f"briefbot: {err}", file=sys.stderr)
        return EXIT_FAILED


async def dispatch(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Run one parsed command."""
    command = args.command
    if command == "demo":
        from bot.demo import run_demo

        return await run_demo(out)
    if command == "summarize":
        return await _summarize(args, settings, out)
    if command == "migrate":
        return await _migrate(args, out)
    if command == "run":
        from bot.discord_app import parse_shards, run_bot

        shards = parse_shards(args.shards, args.shard_count)
        return await run_bot(settings, shards=shards)
    if command == "sync":
        from bot.discord_app import sync_commands

        names = await sync_commands(settings, args.guild or settings.dev_guild_id)
        where = (
            f"guild {args.guild or settings.dev_guild_id}"
            if (args.guild or settings.dev_guild_id)
            else "globally"
        )
        print(f"synced {len(names)} commands {where}: {', '.join(names)}", file=out)
        return EXIT_OK
    async with Newsroom(settings.db_path, config=settings.core) as room:
        handler = _HANDLERS[command]
        return await handler(room, args, settings, out)


def _print_json(data: Any, out: TextIO) -> None:
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")


def _audience(name: str) -> str:
    return name if ":" in name else audience_for_cli(name)


def ingest_line(r: IngestResult) -> str:
    """One line per ingest result, as printed by `briefbot ingest`."""
    if r.status == "stored":
        extra = f" (story {r.story_id})" if r.story_id else ""
        if r.near_duplicate_of:
            extra += f", syndicated copy of #{r.near_duplicate_of}"
        if r.note:
            extra += f"; {r.note}"
        return f"stored     #{r.article_id}  {r.input}{extra}"
    if r.status == "updated":
        return f"updated    #{r.article_id}  {r.input} ({r.reason})"
    if r.status == "duplicate":
        return f"duplicate  of #{r.article_id}  {r.input} ({r.reason})"
    return f"rejected   {r.input}: {r.reason}"


async def _ingest(room: Newsroom, args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from tqdm import tqdm

    from summaries.ingest.sources import expand_inputs

    inputs = list(args.inputs)
    # One tick per article; a feed may hold many, so the total grows when one does.
    total = len(expand_inputs(inputs))
    bar = tqdm(
        total=total,
        unit="article",
        file=sys.stderr,
        disable=args.no_progress or total < 2 or None,
        desc="ingest",
    )

    def progress(result: IngestResult) -> None:
        if not args.json:
            bar.write(ingest_line(result), file=out)
        if bar.n >= bar.total:
            bar.total = bar.n + 1
        bar.update(1)

    stdin = sys.stdin.buffer if "-" in inputs else None
    try:
        results = await room.ingest(inputs, progress=progress, stdin=stdin)
    finally:
        bar.close()
    if args.json:
        _print_json({"results": [output.result_json(r) for r in results]}, out)
    else:
        for line in render.feed_summaries(results):
            print(line, file=out)
        print(output.results_summary(results), file=out)
    return EXIT_FAILED if any(r.status == "rejected" for r in results) else EXIT_OK


async def _articles(
    room: Newsroom, args: argparse.Namespace, settings: Settings, out: TextIO
) -> int:
    arts = await room.articles(limit=args.limit, offset=args.offset)
    if args.json:
        _print_json({"articles": [output.article_json(a) for a in arts]}, out)
        return EXIT_OK
    if not arts:
        print("No articles stored yet. Add some with `briefbot ingest PATH|URL`.", file=out)
        return EXIT_OK
    for a in arts:
        date = a.published_at.date().isoformat() if a.published_at else "no date"
        copy = f" [copy of #{a.near_duplicate_of}]" if a.near_duplicate_of else ""
        print(f"#{a.id:<5} {date:<10} {a.label[:24]:<24} {a.title[:70]}{copy}", file=out)
    return EXIT_OK


async def _article(
    room: Newsroom, args: argparse.Namespace, settings: Settings, out: TextIO
) -> int:
    a = await room.article(args.id)
    if args.json:
        _print_json(output.article_json(a, text=True), out)
        return EXIT_OK
    published = (
        a.published_at.isoformat()
        if a.published_at
        else "not stated (fetched " + a.fetched_at.isoformat() + ")"
    )
    print(f"#{a.id} {a.title or '(no headline)'}", file=out)
    print(f"outlet:    {a.outlet or 'unknown'}", file=out)
    print(f"author:    {a.author or 'unknown'}", file=out)
    print(f"published: {published}", file=out)
    print(f"source:    {a.url or a.source}", file=out)
    if a.place or a.agency:
        print(
            f"dateline:  {', '.join(x for x in (a.place, a.agency and f'({a.agency})') if x)}",
            file=out,
        )
    print(f"language:  {a.language or 'unknown'}", file=out)
    if a.from_feed:
        origin = "the feed entry's own"
        if a.page_error:
            origin += f" (its page failed: {a.page_error}"
            origin += "; fetched again on the next poll)" if a.page_retry else ")"
        print(f"text:      {origin}", file=out)
    print(f"story:     {a.story_id if a.story_id else '-'}", file=out)
    if a.near_duplicate_of:
        print(f"copy of:   #{a.near_duplicate_of}", file=out)
    print("", file=out)
    print(a.text, file=out)
    return EXIT_OK


async def _search(room: Newsroom, args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    query = " ".join(args.query)
    hits = await room.search(query, limit=args.limit)
    if args.json:
        _print_json({"query": query, "results": [output.hit_json(h) for h in hits]}, out)
        return EXIT_OK
    if not hits:
        print(f"No articles match “{query}”.", file=out)
        return EXIT_OK
    for h in hits:
        story = f" (story {h.article.story_id})" if h.article.story_id else ""
        print(f"#{h.article.id} {h.article.title} — {h.article.label}{story}", file=out)
        print(f"    {h.snippet}", file=out)
    return EXIT_OK


async def _stories(
    room: Newsroom, args: argparse.Namespace, settings: Settings, out: TextIO
) -> int:
    found = await room.stories(topic=args.topic, limit=args.limit)
    if args.json:
        _print_json({"stories": [output.story_json(s) for s in found]}, out)
        return EXIT_OK
    if not found:
        msg = (
            f"No stories match “{args.topic}”."
            if args.topic
            else "No stories yet: ingest some articles first."
        )
        print(msg, file=out)
        return EXIT_OK
    for s in found:
        span = s.first_seen.date().isoformat()
        if s.last_seen.date() != s.first_seen.date():
            span += f"..{s.last_seen.date().isoformat()}"
        print(
            f"story {s.id:<5} {s.article_count:>3} article{'s' if s.article_count != 1 else ' '}  {span:<22} {s.title}",
            file=out,
        )
    return EXIT_OK


async def _story(room: Newsroom, args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    brief = await room.story(args.id, audience=_audience(args.audience))
    if args.json:
        _print_json(output.story_brief_json(brief), out)
        return EXIT_OK
    out.write(render.to_text(render.story_reply(brief)))
    return EXIT_OK


async def _brief(room: Newsroom, args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    since = parse_when(args.since, room.clock()) if args.since else None
    briefing = await room.brief(
        _audience(args.audience),
        topic=args.topic,
        since=since,
        max_stories=args.max_stories,
        record=not args.dry_run,
    )
    if args.json:
        _print_json(output.briefing_json(briefing), out)
    else:
        out.write(render.to_text(render.briefing_reply(briefing, surface="cli")))
        if briefing.delivery_id:
            print(
                f"(recorded as briefing {briefing.delivery_id} for {briefing.audience})", file=out
            )
    if args.topic and not briefing.stories:
        return EXIT_FAILED
    return EXIT_OK


async def _whatsnew(
    room: Newsroom, args: argparse.Namespace, settings: Settings, out: TextIO
) -> int:
    since = parse_when(args.since, room.clock()) if args.since else None
    briefing = await room.whats_new(
        _audience(args.audience), topic=args.topic, story_id=args.story, since=since
    )
    if args.json:
        _print_json(output.briefing_json(briefing), out)
    else:
        out.write(render.to_text(render.briefing_reply(briefing, whats_new=True, surface="cli")))
    return EXIT_OK


async def _migrate(args: argparse.Namespace, out: TextIO) -> int:
    from tqdm import tqdm

    from bot.settings import database_target
    from summaries.pgstore import copy_sqlite_to_postgres
    from summaries.store import Store, redact

    source = database_target(args.source, "source")
    dest = database_target(args.dest, "destination")
    if not isinstance(source, Path):
        raise InvalidInput("the source must be a SQLite store: sqlite:PATH")
    if not isinstance(dest, str):
        raise InvalidInput("the destination must be a PostgreSQL URL: postgresql://user@host/db")
    if not source.is_file():
        raise InvalidInput(f"no SQLite database at {source}")
    for target in (source, dest):  # both at the latest schema version
        async with Store(target):
            pass
    bar = tqdm(unit="row", unit_scale=True, file=sys.stderr, disable=args.no_progress or None)

    def counted(total: int) -> None:
        bar.total = total
        bar.refresh()

    def progress(table: str, rows: int) -> None:
        bar.set_description(table, refresh=False)
        bar.update(rows)

    try:
        copies = await asyncio.to_thread(
            copy_sqlite_to_postgres, str(source), dest, progress=progress, counted=counted
        )
    finally:
        bar.close()
    width = max(len(c.table) for c in copies)
    print(f"copied {source} to {redact(dest)}", file=out)
    print(f"{'table':<{width}}  {'sqlite rows':>11}  {'postgres rows':>13}  checksum", file=out)
    for c in copies:
        mark = "same" if c.ok else f"DIFFERENT (postgres {c.dest_checksum[:16]})"
        print(
            f"{c.table:<{width}}  {c.source_rows:>11,}  {c.dest_rows:>13,}  "
            f"{c.source_checksum[:16]} {mark}",
            file=out,
        )
    bad = [c.table for c in copies if not c.ok]
    if bad:
        print(f"briefbot: tables differ after the copy: {', '.join(bad)}", file=sys.stderr)
        return EXIT_FAILED
    print(f"all {len(copies)} tables match ({sum(c.dest_rows for c in copies):,} rows)", file=out)
    return EXIT_OK


async def _summarize(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from summaries.ingest.sources import read_input
    from summaries.models import ArticleDraft
    from summaries.summarize import summarize_text

    stdin = sys.stdin.buffer if args.input == "-" else None
    drafts = await read_input(
        args.input, settings.core.fetch, fetched_at=datetime.now(UTC), stdin=stdin
    )
    status = EXIT_OK
    for draft in drafts:
        if not isinstance(draft, ArticleDraft):
            print(f"briefbot: {draft}", file=sys.stderr)
            status = EXIT_FAILED
            continue
        sentences = await asyncio.to_thread(
            summarize_text,
            draft.text,
            words=args.words,
            sentences=args.sentences,
            algorithm=args.algorithm,
        )
        if len(drafts) > 1 or draft.title:
            print(f"# {draft.title or draft.source}", file=out)
        for s in sentences:
            print(s, file=out)
        if len(drafts) > 1:
            print("", file=out)
    return status


async def _shell(room: Newsroom, args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from bot.shell import run_shell

    return await run_shell(
        room,
        sys.stdin,
        out,
        audience=_audience(args.audience),
        settings=settings,
        scheduler=args.scheduler,
    )


async def _feeds(room: Newsroom, args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    feeds = await room.feeds()
    counts = await room.feed_counts(feeds)
    if args.json:
        _print_json(
            {
                "feeds": [
                    output.feed_json(f, broken=room.feed_is_broken(f), counts=counts[f.id])
                    for f in feeds
                ]
            },
            out,
        )
        return EXIT_OK
    out.write(
        render.to_text(
            render.feeds_reply(feeds, room.clock(), where="this database", counts=counts)
        )
    )
    return EXIT_OK


async def _explain(
    room: Newsroom, args: argparse.Namespace, settings: Settings, out: TextIO
) -> int:
    found = await room.explain(args.query)
    if args.json:
        _print_json(output.explanation_json(found), out)
    else:
        for line in render.explain_lines(found):
            print(line, file=out)
    return EXIT_OK if found.article is not None else EXIT_FAILED


async def _feed(room: Newsroom, args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    if args.feed_command == "add":
        feed = await room.add_feed(
            args.url, audience=_audience(args.audience), interval_s=args.interval
        )
        print(f"following feed {feed.id}: {feed.url}", file=out)
        return EXIT_OK
    if args.feed_command == "remove":
        feed = await room.remove_feed(args.feed)
        print(f"stopped following feed {feed.id}: {feed.url}", file=out)
        return EXIT_OK
    from summaries.feeds import poll_feed

    poll = await poll_feed(room, args.id, jitter_s=0)
    if poll.not_modified:
        print(f"feed {args.id}: not modified since the last poll", file=out)
    elif poll.error:
        print(f"feed {args.id}: {poll.error}", file=out)
        return EXIT_FAILED
    for r in poll.results:
        print(ingest_line(r), file=out)
    return EXIT_OK


async def _schedule(
    room: Newsroom, args: argparse.Namespace, settings: Settings, out: TextIO
) -> int:
    from bot.scheduler import schedule_rows

    rows = await schedule_rows(room, settings, room.clock())
    if args.json:
        _print_json({"upcoming": rows}, out)
        return EXIT_OK
    if not rows:
        print("Nothing scheduled: no feeds followed and no digests set.", file=out)
        return EXIT_OK
    for row in rows:
        print(f"{row['utc']:<26} {row['local']:<32} {row['kind']:<7} {row['target']}", file=out)
    return EXIT_OK


async def _digest(room: Newsroom, args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    audience = _audience(args.audience)
    if args.digest_command == "set":
        sub = await room.set_digest(
            audience, local_time=args.time, timezone=args.timezone, topics=args.topics
        )
        out.write(render.to_text(render.digest_set_reply(sub, where=audience)))
        return EXIT_OK
    if args.digest_command == "off":
        was = await room.digest_off(audience)
        out.write(render.to_text(render.digest_off_reply(was, where=audience)))
        return EXIT_OK
    if args.digest_command == "show":
        current = await room.digest(audience)
        out.write(render.to_text(render.subscription_reply(current, where=audience)))
        return EXIT_OK
    from bot.scheduler import run_digest_cli

    return await run_digest_cli(room, settings, audience, print_only=args.print_only, out=out)


_HANDLERS: dict[str, Any] = {
    "ingest": _ingest,
    "articles": _articles,
    "article": _article,
    "search": _search,
    "stories": _stories,
    "story": _story,
    "brief": _brief,
    "whatsnew": _whatsnew,
    "shell": _shell,
    "feeds": _feeds,
    "explain": _explain,
    "feed": _feed,
    "schedule": _schedule,
    "digest": _digest,
}


def demo_db_path() -> Path:
    """A fresh temporary database file for the demo."""
    return Path(tempfile.mkdtemp(prefix="briefbot-demo-")) / "demo.db"
