"""Answers on time under load: N simulated Discord users against the real bot process.

Usage::

    python bench/interactions.py [--users 40] [--size 100000] [--seconds 60] [--think 3]
                                 [--sweep 40,80,120,160] [--json PATH] [--quick]

The cached generated store of ``--size`` articles (bench/corpus.py) is copied to a temporary
folder and its dates moved so that the corpus ends now (the bot runs on the real clock); half of
the channels were briefed 36 hours ago. The Discord stand-in of ``tests/wire`` runs in this
process (pinned to CPU 1 when there is one), where briefbot's ``sync_commands`` publishes the
commands; then ``briefbot run`` runs as a child process configured to talk to it (``[discord]
api_base_url`` / ``gateway_url``), pinned to CPU 0, as a one-core deployment.

Each simulated user waits a random think time (exponential, mean ``--think`` seconds), then
does one thing and waits for the answer before thinking again. The mix: /brief (18%), /brief
with a topic (7%), /whatsnew (15%), /story picked by autocomplete (20%: two autocomplete
requests while typing a title word, then /story), /search (10%), /digest show (5%), /help (3%),
/feed list (2%, editors), a plain-words DM (12%), /ingest text (5%) and /digest set (3%,
editors). Users are spread over 12 channels and their own DMs; one in ten is an editor.

Measured at the stand-in, as Discord would see it: the acknowledgement latency of every
interaction (from INTERACTION_CREATE sent to its first response received: a reply, a deferral or
the autocomplete choices), per command type p50/p95/p99/max; the share answered directly (no
"thinking…") and their slowest; the time to the first message of the answer; and missed
deadlines (no acknowledgement within 3 s: Discord's 10062). A warm-up (``--warmup``) is not
counted. With ``--sweep`` the load steps up, without restarting the bot, until one deadline is
missed. At the end the bot is stopped with Ctrl-C while answers are in flight; its exit code and
whether it logged a traceback are reported.

Targets (at ``--users``, default 40): zero missed deadlines; p99 acknowledgement < 1 s.
``--quick`` (CI): the 2,000-article store, 40 users, 12 s after a 3 s warm-up.
Latency figures depend on the machine: on a shared machine they are pessimistic.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import corpus  # noqa: E402
from bench.common import (  # noqa: E402
    DEFAULT_DATA,
    percentile,
    quiet_logging,
    table,
    verdict,
    write_json,
)
from bot.discord_app import sync_commands  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from summaries.newsroom import Newsroom  # noqa: E402
from summaries.text import STOP_WORDS  # noqa: E402
from tests.wire.standin import (  # noqa: E402
    EVERYONE_DEFAULT,
    GUILD_ID,
    MANAGE_GUILD,
    Channel,
    DiscordStandIn,
    Interaction,
    Role,
    User,
    default_world,
)

TOKEN = "bench-interactions-token"
DEADLINE_S = 3.0
TARGET_P99_S = 1.0
DIRECT_TARGET_S = 0.5
CHANNELS = [7100 + n for n in range(12)]
FIRST_USER = 20_000
EDITORS_ROLE = 9201
BRIEFED_HOURS_AGO = 36

MIX: list[tuple[str, float]] = [
    ("brief", 18),
    ("brief topic", 7),
    ("whatsnew", 15),
    ("story", 20),
    ("search", 10),
    ("digest show", 5),
    ("help", 3),
    ("feed list", 2),
    ("dm", 12),
    ("ingest text", 5),
    ("digest set", 3),
]


@dataclass
class Draws:
    """What users pick from: topics, title words, story ids, search words, texts to paste."""

    topics: list[str]
    title_words: list[str]
    story_ids: list[int]
    queries: list[str]
    sentences: list[str]


@dataclass
class Sample:
    """One thing a user did and what the stand-in saw of it."""

    kind: str
    started: float
    ix: Interaction | None = None
    ack_s: float | None = None
    first_s: float | None = None  # to the first message of the answer
    direct: bool = False  # answered without a deferral
    missed: bool = False


@dataclass
class Step:
    users: int
    samples: list[Sample] = field(default_factory=list)


# ------------------------------------------------------------------------------ preparation


def _topic_word(title: str) -> str | None:
    words = [
        w
        for w in re.findall(r"[A-Za-z][a-z]{3,}", title)
        if w.lower() not in STOP_WORDS and w not in ("Latest", "Update", "Analysis", "Explainer")
    ]
    return max(words, key=len) if words else None


def _shift_dates(db: Path, delta: timedelta) -> None:
    """Move every stored time by `delta` (the corpus ends at CLOCK_AFTER; the bot runs now)."""
    seconds = int(delta.total_seconds())
    fmt = f"strftime('%Y-%m-%dT%H:%M:%S+00:00', {{col}}, '{seconds:+d} seconds')"
    con = sqlite3.connect(db)
    try:
        with con:
            for table_name, cols in (
                ("articles", ("published_at", "fetched_at")),
                ("stories", ("created_at", "first_seen", "last_seen")),
            ):
                sets = ", ".join(f"{c} = {fmt.format(col=c)}" for c in cols)
                con.execute(f"UPDATE {table_name} SET {sets}")
    finally:
        con.close()


def _draws(db: Path, seed: int) -> Draws:
    rng = random.Random(f"briefbot-interactions:{seed}")
    con = sqlite3.connect(db)
    try:
        titles = [r[0] for r in con.execute("SELECT title FROM stories WHERE merged_into IS NULL")]
        recent = [
            r[0]
            for r in con.execute(
                "SELECT id FROM stories WHERE merged_into IS NULL AND article_count > 0 "
                "ORDER BY last_seen DESC LIMIT 200"
            )
        ]
        texts = [
            r[0] for r in con.execute("SELECT text FROM articles WHERE id % 211 = 7 LIMIT 300")
        ]
    finally:
        con.close()
    topics, words = [], []
    for title in rng.sample(titles, min(len(titles), 400)):
        word = _topic_word(title)
        if word:
            (topics if len(topics) < 100 else words).append(word)
            words.append(word)
    sentences = [s.strip() for t in texts for s in re.split(r"(?<=[.!?])\s+", t) if len(s) > 40]
    return Draws(
        topics=topics or ["market"],
        title_words=words or ["market"],
        story_ids=recent,
        queries=list(dict.fromkeys(w.lower() for w in words))[:200] or ["market"],
        sentences=sentences or ["A council met on Monday to discuss the budget for next year."],
    )


async def _brief_half_the_channels(db: Path, now: datetime) -> None:
    async with Newsroom(db, clock=lambda: now - timedelta(hours=BRIEFED_HOURS_AGO)) as room:
        for channel in CHANNELS[::2]:
            await room.brief(f"channel:{channel}", record=True)


def _world(users: int) -> Any:
    world = default_world()
    guild = world.guilds[GUILD_ID]
    guild.roles[EDITORS_ROLE] = Role(EDITORS_ROLE, "Desk", EVERYONE_DEFAULT | MANAGE_GUILD, 3)
    for channel in CHANNELS:
        guild.channels[channel] = Channel(channel, f"desk-{channel}", GUILD_ID)
    for n in range(users):
        uid = FIRST_USER + n
        world.users[uid] = User(uid, f"user{n}")
        guild.members[uid] = [EDITORS_ROLE] if n % 10 == 0 else []
    return world


def _config(tmp: Path, db: Path, discord: DiscordStandIn) -> Path:
    path = tmp / "briefbot.toml"
    path.write_text(
        f'[store]\npath = "{db}"\n'
        f'[discord]\napi_base_url = "{discord.api_base_url}"\ngateway_url = "{discord.gateway_url}"\n'
        '[log]\nlevel = "WARNING"\n',
        encoding="utf-8",
    )
    return path


def _pin(cpu: int) -> Callable[[], None] | None:
    if not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) <= cpu:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


# ------------------------------------------------------------------------------ users


class Users:
    """The simulated users: each thinks, acts, and waits for the answer."""

    def __init__(self, discord: DiscordStandIn, draws: Draws, think: float, seed: int) -> None:
        self.discord = discord
        self.draws = draws
        self.think = think
        self.seed = seed
        self.step: Step | None = None

    def _record(self, sample: Sample) -> None:
        if self.step is not None:
            self.step.samples.append(sample)

    async def run(self, n: int, until: float) -> None:
        rng = random.Random(f"user:{self.seed}:{n}")
        uid = FIRST_USER + n
        channel = CHANNELS[n % len(CHANNELS)]
        editor = n % 10 == 0
        kinds = [k for k, _ in MIX]
        weights = [w for _, w in MIX]
        while time.monotonic() < until:
            pause = rng.expovariate(1 / self.think) if self.think > 0 else 0.0
            if time.monotonic() + pause >= until:
                await asyncio.sleep(max(0.0, until - time.monotonic()))
                return
            await asyncio.sleep(pause)
            kind = rng.choices(kinds, weights)[0]
            if kind in ("feed list", "digest set") and not editor:
                kind = "digest show"
            in_dm = kind in ("brief", "whatsnew") and rng.random() < 0.25
            where = None if in_dm else channel
            try:
                await self._act(kind, rng, uid, where)
            except (AssertionError, LookupError, ValueError) as err:
                print(f"user {n}: {kind} failed in the stand-in: {err}", file=sys.stderr)

    async def _act(self, kind: str, rng: random.Random, uid: int, where: int | None) -> None:
        d = self.discord
        if kind == "dm":
            text = rng.choice(
                [
                    f"what's new on {rng.choice(self.draws.topics)}?",
                    f"brief me on {rng.choice(self.draws.topics)}",
                    f"story {rng.choice(self.draws.story_ids)}",
                    "what's new?",
                ]
            )
            await self._dm(uid, text)
            return
        if kind == "story":
            word = rng.choice(self.draws.title_words)
            chosen: int | None = None
            for typed in (word[:3], word[:6]):
                ix = await self._interaction(
                    "autocomplete",
                    lambda t=typed: d.autocomplete("story", "story", t, user=uid, channel=where),
                )
                if ix is not None and ix.choices:
                    chosen = int(ix.choices[0]["value"])
                await asyncio.sleep(0.3)
            story = chosen or rng.choice(self.draws.story_ids)
            await self._interaction(
                "story", lambda: d.command("story", user=uid, channel=where, story=story)
            )
            return
        options: dict[str, Any] = {}
        name = kind
        if kind == "brief topic":
            name, options = "brief", {"topic": rng.choice(self.draws.topics)}
        elif kind == "search":
            options = {"query": rng.choice(self.draws.queries)}
        elif kind == "ingest text":
            picked = rng.sample(self.draws.sentences, min(5, len(self.draws.sentences)))
            options = {
                "text": " ".join(picked)[:5000],
                "title": f"Reader report {rng.randrange(10**9)}",
            }
            name = "ingest"
        elif kind == "digest set":
            options = {
                "time": f"{rng.randrange(24):02d}:{rng.choice([0, 15, 30, 45]):02d}",
                "timezone": "Europe/Berlin",
            }
        await self._interaction(kind, lambda: d.command(name, user=uid, channel=where, **options))

    async def _interaction(
        self, kind: str, start: Callable[[], Awaitable[Interaction]]
    ) -> Interaction | None:
        sample = Sample(kind, time.monotonic())
        self._record(sample)
        ix = await start()
        sample.ix = ix
        try:
            if ix.type == 4:
                await ix.wait(lambda i: i.choices is not None or bool(i.refused), within=30)
            else:
                await ix.wait(lambda i: bool(i.messages) or bool(i.refused), within=60)
        except AssertionError:
            pass
        return ix

    async def _dm(self, uid: int, text: str) -> None:
        sample = Sample("dm", time.monotonic())
        self._record(sample)
        channel = self.discord.dm_channel_of(uid)
        before = len(self.discord.channel_messages(channel.id)) if channel else 0
        await self.discord.dm(uid, text)
        channel = self.discord.dm_channel_of(uid)
        assert channel is not None
        try:
            await self.discord.until(
                lambda: len(self.discord.channel_messages(channel.id)) > before, within=60
            )
            first = self.discord.channel_messages(channel.id)[before]
            sample.first_s = first.created - sample.started
        except AssertionError:
            pass


def _settle(samples: list[Sample]) -> None:
    """Fill in what the stand-in saw of each interaction."""
    for s in samples:
        ix = s.ix
        if ix is None:
            continue
        s.ack_s = ix.ack_s
        s.missed = ix.ack_s is None or any(code == 10062 for _, code in ix.refused)
        s.direct = ix.response_type in (4, 8)
        if ix.messages:
            s.first_s = ix.messages[0].created - ix.dispatched


async def _run_step(users: Users, n: int, seconds: float, warmup: float) -> Step:
    step = Step(n)
    start = time.monotonic()
    tasks = [asyncio.create_task(users.run(i, start + warmup + seconds)) for i in range(n)]
    await asyncio.sleep(warmup)
    users.step = step
    await asyncio.gather(*tasks)
    users.step = None
    _settle(step.samples)
    return step


# ------------------------------------------------------------------------------ reporting


def _rows(step: Step) -> list[list[Any]]:
    kinds = [k for k, _ in MIX if k != "dm"] + ["autocomplete"]
    rows = []
    for kind in kinds:
        got = [s for s in step.samples if s.kind == kind and s.ix is not None]
        if not got:
            continue
        acks = [s.ack_s * 1000 for s in got if s.ack_s is not None]
        direct = [s.ack_s * 1000 for s in got if s.direct and s.ack_s is not None]
        firsts = [s.first_s for s in got if s.first_s is not None]
        rows.append(
            [
                kind,
                len(got),
                percentile(acks, 50),
                percentile(acks, 95),
                percentile(acks, 99),
                max(acks) if acks else None,
                round(100 * len(direct) / len(got)),
                max(direct) if direct else None,
                percentile(firsts, 50) if firsts else None,
                percentile(firsts, 95) if firsts else None,
                sum(s.missed for s in got),
            ]
        )
    dms = [s.first_s for s in step.samples if s.kind == "dm" and s.first_s is not None]
    if dms:
        n_dm = sum(1 for s in step.samples if s.kind == "dm")
        rows.append(
            ["dm (no deadline)", n_dm, None, None, None, None, None, None,
             percentile(dms, 50), percentile(dms, 95), n_dm - len(dms)]
        )  # fmt: skip
    return rows


HEADERS = [
    "command",
    "n",
    "ack p50 ms",
    "ack p95 ms",
    "ack p99 ms",
    "ack max ms",
    "direct %",
    "direct max ms",
    "answer p50 s",
    "answer p95 s",
    "missed",
]


def _summary(step: Step) -> dict[str, Any]:
    ixs = [s for s in step.samples if s.ix is not None]
    acks = [s.ack_s for s in ixs if s.ack_s is not None]
    # autocomplete has no deferral: its bound is the 3-s deadline, not the direct-answer one
    direct = [s.ack_s for s in ixs if s.direct and s.ack_s is not None and s.kind != "autocomplete"]
    return {
        "users": step.users,
        "interactions": len(ixs),
        "dms": sum(1 for s in step.samples if s.kind == "dm"),
        "missed": sum(s.missed for s in ixs),
        "ack_p50_s": round(percentile(acks, 50), 3),
        "ack_p99_s": round(percentile(acks, 99), 3),
        "ack_max_s": round(max(acks), 3) if acks else None,
        "direct_max_s": round(max(direct), 3) if direct else None,
    }


# ------------------------------------------------------------------------------ main


async def _bench(args: argparse.Namespace, source: Path) -> dict[str, Any]:
    steps_users = [int(x) for x in args.sweep.split(",")] if args.sweep else [args.users]
    with tempfile.TemporaryDirectory(prefix="briefbot-interactions-") as tmp_name:
        tmp = Path(tmp_name)
        db = corpus.copy_store(source, tmp / "store.db")
        now = datetime.now(UTC)
        began = time.monotonic()

        def phase(what: str) -> None:
            print(f"... {time.monotonic() - began:5.1f} s: {what}", file=sys.stderr, flush=True)

        phase("store copied; moving its dates to now, briefing half the channels")
        # Opening the copy applies any migrations first, then dates are moved to now.
        async with Newsroom(db):
            pass
        _shift_dates(db, now - corpus.CLOCK_AFTER)
        await _brief_half_the_channels(db, now)
        draws = _draws(db, args.seed)
        phase("store ready; briefbot sync")
        async with DiscordStandIn(TOKEN, world=_world(max(steps_users))) as discord:
            config = _config(tmp, db, discord)
            env = {**os.environ, "BRIEFBOT_DISCORD_TOKEN": TOKEN}
            cli = [sys.executable, "-m", "bot", "--config", str(config)]
            # briefbot's own sync, in this process (the stand-in answers in this event loop)
            settings = load_settings(config, environ={"BRIEFBOT_DISCORD_TOKEN": TOKEN})
            await sync_commands(settings, None)
            phase("commands synced; briefbot run")
            log_path = tmp / "bot.stderr"
            stderr = log_path.open("w")
            bot = await asyncio.create_subprocess_exec(
                *cli, "run", env=env, cwd=ROOT, stderr=stderr, preexec_fn=_pin(0)
            )
            try:
                await discord.ready(within=120)
                phase("bot connected")
                users = Users(discord, draws, args.think, args.seed)
                steps = []
                for n, count in enumerate(steps_users):
                    print(f"... {count} users for {args.seconds:g} s", file=sys.stderr, flush=True)
                    step = await _run_step(users, count, args.seconds, args.warmup if n == 0 else 2)
                    steps.append(step)
                    summary = _summary(step)
                    print(
                        f"... {count} users: {summary['interactions']} interactions, "
                        f"{summary['missed']} missed, p99 ack {summary['ack_p99_s']} s",
                        file=sys.stderr,
                        flush=True,
                    )
                    if args.sweep and summary["missed"]:
                        break
                # Ctrl-C while answers are on their way: ten /brief at once, then SIGINT.
                burst = [
                    await discord.command("brief", user=FIRST_USER + i, channel=CHANNELS[i % 12])
                    for i in range(min(10, max(steps_users)))
                ]
                await asyncio.sleep(0.3)
                stderr.flush()
                load_log = log_path.read_text(encoding="utf-8", errors="replace")
                stop_start = time.monotonic()
                bot.send_signal(signal.SIGINT)
                code = await asyncio.wait_for(bot.wait(), 60)
                stop_s = time.monotonic() - stop_start
            finally:
                if bot.returncode is None:
                    bot.kill()
                    await bot.wait()
                stderr.close()
            log = log_path.read_text(encoding="utf-8", errors="replace")
            stop_log = log[len(load_log) :]
    return {
        "steps": steps,
        "stop": {
            "exit_code": code,
            "seconds": round(stop_s, 2),
            "traceback": "Traceback" in stop_log,
            "stop_log": stop_log.splitlines()[-40:],
            "load_tracebacks": load_log.count("Traceback"),
            "load_errors": _errors(load_log),
            "burst": len(burst),
            "burst_answered": sum(1 for ix in burst if ix.messages),
            "burst_acked_unanswered": sum(1 for ix in burst if ix.acked_at and not ix.messages),
        },
    }


def _errors(log: str) -> dict[str, int]:
    """The bot's ERROR lines during the load, counted by their message (timestamps removed)."""
    counts: dict[str, int] = {}
    for line in log.splitlines():
        if " ERROR " in line:
            key = line.split(" ERROR ", 1)[1][:160]
            counts[key] = counts.get(key, 0) + 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--size", type=int, default=100_000, help="articles in the store")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured seconds per step")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds not counted")
    parser.add_argument("--think", type=float, default=3.0, help="mean think time (s)")
    parser.add_argument("--sweep", default="", help="user counts to step through, e.g. 40,80,120")
    parser.add_argument("--seed", type=int, default=corpus.DEFAULT_SEED)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--quick", action="store_true", help="2k store, 40 users, 12 s")
    args = parser.parse_args(argv)
    quiet_logging()
    if args.quick:
        args.size, args.seconds, args.warmup, args.sweep = 2000, 12.0, 3.0, ""
    if not (args.data / "News Articles").is_dir():
        print(f"Dataset not found: {args.data}", file=sys.stderr)
        return 1
    pin = _pin(1)
    if pin is not None:
        pin()
    source = corpus.cached_store(args.size, seed=args.seed, data_dir=args.data)
    result = asyncio.run(_bench(args, source))
    steps: list[Step] = result["steps"]

    for step in steps:
        print(f"\nAcknowledgements at {step.users} users ({args.size:,}-article store, think "
              f"{args.think:g} s, {args.seconds:g} s measured; bot on CPU 0)")  # fmt: skip
        print(table(HEADERS, _rows(step)))
    summaries = [_summary(s) for s in steps]
    at_target = next((s for s in summaries if s["users"] == args.users), summaries[0])
    first_miss = next((s["users"] for s in summaries if s["missed"]), None)
    stop = result["stop"]
    checks = [
        (f"missed deadlines @{at_target['users']} users = 0", f"{at_target['missed']}", at_target["missed"] == 0),
        (f"ack p99 < {TARGET_P99_S:g} s @{at_target['users']} users", f"{at_target['ack_p99_s']:.3f} s",
         at_target["ack_p99_s"] < TARGET_P99_S),
        (f"commands answered without deferring: all < {DIRECT_TARGET_S:g} s", f"slowest {at_target['direct_max_s']} s",
         (at_target["direct_max_s"] or 0) < DIRECT_TARGET_S),
        ("Ctrl-C with answers in flight: clean exit, none cut off",
         f"exit {stop['exit_code']} in {stop['seconds']} s, {stop['burst_answered']}/{stop['burst']} "
         f"answered, {stop['burst_acked_unanswered']} cut off, traceback: {'yes' if stop['traceback'] else 'no'}",
         stop["exit_code"] == 130 and not stop["traceback"] and not stop["burst_acked_unanswered"]),
    ]  # fmt: skip
    if stop["load_errors"]:
        print("\nThe bot logged errors during the load:")
        for message, count in stop["load_errors"].items():
            print(f"  {count} × {message}")
    print()
    print(table(["target", "measured", "verdict"], [[t, m, verdict(ok)] for t, m, ok in checks]))
    if args.sweep:
        print(
            f"first missed deadline at {first_miss} users"
            if first_miss
            else f"no deadline missed up to {max(s['users'] for s in summaries)} users"
        )
    if args.quick:
        print("(quick mode: 2,000-article store; the target is for the 100,000-article store)")
    write_json(
        args.json,
        {
            "benchmark": "interactions",
            "size": args.size,
            "think_s": args.think,
            "seconds": args.seconds,
            "steps": [
                {**_summary(s), "rows": [dict(zip(HEADERS, r, strict=True)) for r in _rows(s)]}
                for s in steps
            ],
            "first_miss_users": first_miss,
            "stop": stop,
            "targets": [{"target": t, "measured": m, "pass": ok} for t, m, ok in checks],
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
