"""The scheduler: digests on time in local zones, exactly once across restarts, failures recorded.

Time travels with an injected clock: `tick` / `catch_up` run the scheduler's work at a chosen
instant; APScheduler itself is started paused, so nothing fires on the real clock.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import render
from bot.delivery import DeliveryFailed
from bot.scheduler import (
    BriefingScheduler,
    deliver_digest,
    digest_job_id,
    feed_job_id,
    is_cli_audience,
    print_post,
    run_digest_cli,
    schedule_rows,
    schedule_text,
    shell_service,
)
from bot.settings import Settings
from summaries.config import CoreConfig
from summaries.ingest.fetch import FetchPolicy
from summaries.models import Briefing
from summaries.newsroom import Newsroom

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
NOTHING_NEW = "Nothing new since your last briefing."
EMPTY_STORE = "No stories yet. Add articles with /ingest or a feed with /feed add."

# Invented articles for one story (two outlets) and a later update.
LIGHTHOUSE_A = (
    "The restored lighthouse at Cape Merrow was switched on again on Tuesday evening, forty years "
    "after it went dark. Volunteers from the Merrow Heritage Trust spent six years rebuilding the "
    "lantern room and replacing the rusted stairs. Trust chair Odile Franke said the beam can be "
    "seen eighteen miles out to sea. The coastguard said the light will serve as a daymark and a "
    "backup for satellite navigation along the rocky coast."
)
LIGHTHOUSE_B = (
    "Cape Merrow's lighthouse shone for the first time in four decades on Tuesday after volunteers "
    "of the Merrow Heritage Trust completed a six-year restoration of the lantern and the tower "
    "stairs. Odile Franke, who chairs the trust, said the beam reaches eighteen miles offshore. "
    "Local fishermen welcomed the light, which the coastguard will list as a backup to satellite "
    "navigation."
)
LIGHTHOUSE_UPDATE = (
    "Visitors queued for three hours on Saturday to climb the newly restored Cape Merrow "
    "lighthouse, and the Merrow Heritage Trust said it would add weekday tours from June. Trust "
    "chair Odile Franke said ticket income will pay for a new fog signal at the lighthouse. The "
    "county council agreed to run a shuttle bus from Merrow station during the summer."
)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Posted:
    audience: str
    briefing: Briefing | None
    text: str | None
    at: datetime


@dataclass
class Poster:
    """A fake `post` that records what would be shown, or fails like a deleted channel."""

    clock: Clock
    posts: list[Posted] = field(default_factory=list)
    fail_with: DeliveryFailed | None = None
    calls: int = 0

    async def __call__(
        self,
        audience: str,
        briefing: Briefing | None,
        text: str | None,
        *,
        nonce: str | None = None,
    ) -> None:
        self.calls += 1
        if self.fail_with is not None:
            raise self.fail_with
        self.posts.append(Posted(audience, briefing, text, self.clock()))


def settings(**changes: object) -> Settings:
    core = CoreConfig(fetch=FetchPolicy(allow_private=True, timeout_s=5))
    return replace(
        Settings(core=core, digest_grace_s=3 * 3600, when_nothing_new="line", feed_jitter_s=0),
        **changes,  # type: ignore[arg-type]
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2024, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "briefbot.db"


@pytest.fixture
async def room(db: Path, clock: Clock) -> AsyncIterator[Newsroom]:
    async with Newsroom(db, config=settings().core, clock=clock) as newsroom:
        yield newsroom


async def test_digests_fire_at_local_time_in_two_zones_across_dst(
    room: Newsroom, clock: Clock
) -> None:
    await room.set_digest("channel:1", local_time="08:00", timezone="Europe/Berlin")
    await room.set_digest("channel:2", local_time="07:30", timezone="America/New_York")
    poster = Poster(clock)
    sched = BriefingScheduler(room, settings(), poster)
    # 7 March - 2 April 2024 covers the US switch (10 March) and the EU switch (31 March).
    clock.now = datetime(2024, 3, 7, 0, 0, tzinfo=UTC)
    while clock.now < datetime(2024, 4, 2, 0, 0, tzinfo=UTC):
        await sched.tick()
        clock.now += timedelta(minutes=30)

    berlin = [p.at for p in poster.posts if p.audience == "channel:1"]
    new_york = [p.at for p in poster.posts if p.audience == "channel:2"]
    # one digest per local day, sent on the tick at the scheduled instant, always at local time
    assert len(berlin) == 26 and len(new_york) == 26
    assert {t.astimezone(BERLIN).strftime("%H:%M") for t in berlin} == {"08:00"}
    assert {t.astimezone(NEW_YORK).strftime("%H:%M") for t in new_york} == {"07:30"}
    assert len({t.astimezone(BERLIN).date() for t in berlin}) == 26
    # ... which is a different UTC hour on each side of each switch
    by_day = {t.date().isoformat(): t.strftime("%H:%M") for t in berlin}
    assert (by_day["2024-03-30"], by_day["2024-03-31"]) == ("07:00", "06:00")
    ny_by_day = {t.date().isoformat(): t.strftime("%H:%M") for t in new_york}
    assert (ny_by_day["2024-03-09"], ny_by_day["2024-03-10"]) == ("12:30", "11:30")
    # nothing in an empty database: the one short line, with how to add articles
    assert {p.text for p in poster.posts} == {EMPTY_STORE}
    assert all(p.briefing is None for p in poster.posts)


async def test_digest_with_news_then_nothing_new(room: Newsroom, clock: Clock) -> None:
    clock.now = datetime(2024, 5, 6, 4, 0, tzinfo=UTC)
    await room.set_digest("channel:1", local_time="08:00", timezone="Europe/Berlin")
    await room.ingest_text(
        LIGHTHOUSE_A,
        title="Cape Merrow lighthouse shines again",
        outlet="Merrow Mercury",
        url="https://mercury.example/light",
    )
    await room.ingest_text(
        LIGHTHOUSE_B,
        title="Lighthouse lit after four decades",
        outlet="Coast Wire",
        url="https://coastwire.example/light",
    )
    poster = Poster(clock)
    sched = BriefingScheduler(room, settings(), poster)
    await sched.tick()
    clock.now = datetime(2024, 5, 6, 6, 0, tzinfo=UTC)  # 08:00 CEST
    report = await sched.tick()
    assert [(o.status, o.detail) for o in report.digests] == [("sent", "1 story")]
    (first,) = poster.posts
    assert first.briefing is not None
    (story,) = first.briefing.stories  # both outlets' articles form one story
    assert {c.outlet for c in story.sources} == {"Merrow Mercury", "Coast Wire"}
    assert first.text is not None
    assert first.text.startswith("What's new: 1 story since 05 May 2024 06:00 UTC.")
    assert first.briefing.delivery_id is not None

    clock.now = datetime(2024, 5, 7, 6, 0, tzinfo=UTC)  # next day, nothing new
    await sched.tick()
    assert poster.posts[-1].text == NOTHING_NEW and poster.posts[-1].briefing is None

    clock.now = datetime(2024, 5, 7, 12, 0, tzinfo=UTC)
    await room.ingest_text(
        LIGHTHOUSE_UPDATE,
        title="Crowds climb Cape Merrow lighthouse",
        outlet="Merrow Mercury",
        url="https://mercury.example/tours",
    )
    clock.now = datetime(2024, 5, 8, 6, 0, tzinfo=UTC)
    await sched.tick()
    update = poster.posts[-1]
    assert update.briefing is not None and len(update.briefing.stories) == 1
    new_text = " ".join(c.text for c in update.briefing.stories[0].new)
    assert "weekday tours from June" in new_text
    assert "eighteen miles" not in new_text  # already shown in the first digest
    assert len(poster.posts) == 3


async def test_silent_when_nothing_new_posts_nothing_but_records_the_slot(
    room: Newsroom, clock: Clock
) -> None:
    clock.now = datetime(2024, 5, 6, 5, 0, tzinfo=UTC)
    sub = await room.set_digest("user:42", local_time="08:00", timezone="Europe/Berlin")
    poster = Poster(clock)
    sched = BriefingScheduler(room, settings(when_nothing_new="silent"), poster)
    clock.now = datetime(2024, 5, 6, 6, 0, tzinfo=UTC)
    report = await sched.tick()
    assert [o.status for o in report.digests] == ["silent"]
    assert poster.calls == 0
    assert await room.delivered(sub.id, datetime(2024, 5, 6, 6, 0, tzinfo=UTC))
    clock.now += timedelta(minutes=30)
    assert (await sched.tick()).digests == ()


async def test_restart_after_a_missed_digest_sends_exactly_one(db: Path, clock: Clock) -> None:
    clock.now = datetime(2024, 5, 5, 12, 0, tzinfo=UTC)
    async with Newsroom(db, config=settings().core, clock=clock) as room:
        sub = await room.set_digest("channel:7", local_time="08:00", timezone="Europe/Berlin")
    # the bot was down at 08:00 CEST (06:00 UTC) on 6 May and comes back at 07:30 UTC
    poster = Poster(clock)
    for restart_at in ("07:30", "08:15", "08:40"):
        hour, minute = map(int, restart_at.split(":"))
        clock.now = datetime(2024, 5, 6, hour, minute, tzinfo=UTC)
        async with Newsroom(db, config=settings().core, clock=clock) as room:
            sched = BriefingScheduler(room, settings(), poster, paused=True)
            outcomes = await sched.start()
            await sched.shutdown()
        if restart_at == "07:30":
            assert [(o.status, o.scheduled_for) for o in outcomes] == [
                ("nothing_new", datetime(2024, 5, 6, 6, 0, tzinfo=UTC))
            ]
        else:  # restarting again sends nothing extra
            assert [o.status for o in outcomes] == ["already_delivered"]
    assert [(p.audience, p.at) for p in poster.posts] == [
        ("channel:7", datetime(2024, 5, 6, 7, 30, tzinfo=UTC))
    ]
    async with Newsroom(db, config=settings().core, clock=clock) as room:
        assert await room.delivered(sub.id, datetime(2024, 5, 6, 6, 0, tzinfo=UTC))
        assert await room.store.delivery_count("channel:7") == 1


async def test_a_digest_missed_by_more_than_the_grace_is_skipped_and_logged(
    room: Newsroom, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    clock.now = datetime(2024, 5, 3, 12, 0, tzinfo=UTC)
    sub = await room.set_digest("channel:7", local_time="08:00", timezone="Europe/Berlin")
    # down from before 4 May 08:00 until 6 May 10:00 CEST (08:00 UTC: 2 h late, grace 1 h)
    clock.now = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)
    poster = Poster(clock)
    sched = BriefingScheduler(room, settings(digest_grace_s=3600), poster, paused=True)
    with caplog.at_level(logging.WARNING, logger="bot.scheduler"):
        outcomes = await sched.start()
    await sched.shutdown()
    assert poster.calls == 0
    assert [(o.status, o.scheduled_for.day if o.scheduled_for else None) for o in outcomes] == [
        ("skipped", 4),
        ("skipped", 5),
        ("skipped", 6),
    ]
    assert not await room.delivered(sub.id, datetime(2024, 5, 6, 6, 0, tzinfo=UTC))
    messages = [r.getMessage() for r in caplog.records]
    assert (
        "skipped digest for channel:7 due 2024-05-06 08:00 CEST (Europe/Berlin) (2 h late): "
        "later than the 1 h grace window"
    ) in messages
    assert sum("skipped digest for channel:7" in m for m in messages) == 3


async def test_two_overlapping_runs_post_once(db: Path, clock: Clock) -> None:
    clock.now = datetime(2024, 5, 5, 12, 0, tzinfo=UTC)
    slot = datetime(2024, 5, 6, 6, 0, tzinfo=UTC)
    poster = Poster(clock)
    async with (
        Newsroom(db, config=settings().core, clock=clock) as one,
        Newsroom(db, config=settings().core, clock=clock) as two,  # e.g. a second process
    ):
        sub = await one.set_digest("channel:3", local_time="08:00", timezone="Europe/Berlin")
        clock.now = slot
        outcomes = await asyncio.gather(
            deliver_digest(one, settings(), poster, sub, slot),
            deliver_digest(two, settings(), poster, sub, slot),
            deliver_digest(one, settings(), poster, sub, slot),
        )
    # the runs that lost the claim see it held by the winner (or already sent)
    statuses = sorted(o.status for o in outcomes)
    assert statuses[-1] == "nothing_new"
    assert set(statuses[:-1]) <= {"already_delivered", "in_progress"} and len(statuses) == 3
    assert len(poster.posts) == 1
    # once it is sent, a late run says so
    async with Newsroom(db, config=settings().core, clock=clock) as three:
        again = await deliver_digest(three, settings(), poster, sub, slot)
    assert again.status == "already_delivered" and len(poster.posts) == 1


async def test_a_delivery_failure_is_recorded_shown_and_not_retried_every_minute(
    room: Newsroom, clock: Clock
) -> None:
    clock.now = datetime(2024, 5, 5, 12, 0, tzinfo=UTC)
    await room.set_digest("channel:9", local_time="08:00", timezone="Europe/Berlin")
    poster = Poster(clock, fail_with=DeliveryFailed("missing permission to post in this channel"))
    sched = BriefingScheduler(room, settings(), poster)
    await sched.tick()
    clock.now = datetime(2024, 5, 6, 6, 0, tzinfo=UTC)
    report = await sched.tick()
    assert [(o.status, o.detail) for o in report.digests] == [
        ("failed", "missing permission to post in this channel")
    ]
    sub = await room.digest("channel:9")
    assert sub is not None and sub.last_error == "missing permission to post in this channel"
    assert render.to_text(render.subscription_reply(sub)) == (
        "Daily digest for this channel at 08:00 (Europe/Berlin).\n"
        "Last delivery failed (06 May 2024 06:00 UTC): missing permission to post in this channel\n"
    )
    for _ in range(12):  # the next hours: no retry
        clock.now += timedelta(minutes=5)
        assert (await sched.tick()).digests == ()
    assert poster.calls == 1
    # the next day's digest is tried once; when it gets through, the error is cleared
    poster.fail_with = None
    clock.now = datetime(2024, 5, 7, 6, 0, tzinfo=UTC)
    assert [o.status for o in (await sched.tick()).digests] == ["nothing_new"]
    sub = await room.digest("channel:9")
    assert sub is not None and sub.last_error is None and poster.calls == 2


async def test_the_terminal_prints_cli_digests_and_leaves_discord_ones_alone(
    room: Newsroom, clock: Clock
) -> None:
    clock.now = datetime(2024, 5, 5, 12, 0, tzinfo=UTC)
    discord_sub = await room.set_digest("channel:1", local_time="08:00", timezone="Europe/Berlin")
    await room.set_digest("cli:shell", local_time="08:00", timezone="Europe/Berlin")
    out = io.StringIO()
    sched = BriefingScheduler(room, settings(), print_post(out.write), audiences=is_cli_audience)
    await sched.tick()
    clock.now = datetime(2024, 5, 6, 6, 0, tzinfo=UTC)
    report = await sched.tick()
    assert [(o.audience, o.status) for o in report.digests] == [("cli:shell", "nothing_new")]
    assert out.getvalue() == f"[digest for cli:shell]\n{EMPTY_STORE}\n"
    assert not await room.delivered(discord_sub.id, clock.now)  # still the bot's to send


async def test_the_digest_job_sends_on_time_and_skips_when_too_late(
    room: Newsroom, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    clock.now = datetime(2024, 5, 5, 12, 0, tzinfo=UTC)
    sub = await room.set_digest("channel:1", local_time="08:00", timezone="Europe/Berlin")
    poster = Poster(clock)
    sched = BriefingScheduler(room, settings(digest_grace_s=600), poster, paused=True)
    await sched.start()
    try:
        # what APScheduler calls when the job fires: a few seconds late is fine
        clock.now = datetime(2024, 5, 6, 6, 0, 3, tzinfo=UTC)
        await sched._digest_job(sub.id)
        await sched._digest_job(sub.id)  # a second firing (overlap) sends nothing more
        assert [p.at for p in poster.posts] == [clock.now]
        # next day the loop was blocked for 20 minutes: later than the 10 min grace
        clock.now = datetime(2024, 5, 7, 6, 20, tzinfo=UTC)
        with caplog.at_level(logging.WARNING, logger="bot.scheduler"):
            await sched._digest_job(sub.id)
        assert len(poster.posts) == 1
        assert any("later than the 10 min grace window" in r.getMessage() for r in caplog.records)
    finally:
        await sched.shutdown()


async def test_apscheduler_gets_the_jobs_with_the_right_next_run_time(
    room: Newsroom, clock: Clock
) -> None:
    clock.now = datetime(2024, 3, 30, 12, 0, tzinfo=UTC)
    feed = await room.add_feed("https://feeds.example/rss.xml", audience="channel:1")
    await room.store.update_feed_poll(
        feed.id,
        polled_at=clock.now,
        next_poll_at=clock.now + timedelta(minutes=15),
        ok=True,
        error=None,
        etag=None,
        last_modified=None,
    )
    sub = await room.set_digest("channel:1", local_time="08:00", timezone="Europe/Berlin")
    sched = BriefingScheduler(room, settings(), Poster(clock), paused=True)
    await sched.start()
    try:
        jobs = sched.jobs()
        assert jobs[feed_job_id(feed.id)] == datetime(2024, 3, 30, 12, 15, tzinfo=UTC)
        assert jobs[digest_job_id(sub.id)] == datetime(2024, 3, 31, 6, 0, tzinfo=UTC)  # CEST
        job = sched._scheduler.get_job(digest_job_id(sub.id))  # type: ignore[union-attr]
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 3 * 3600)
        # the trigger's following fire times stay at 08:00 local
        after = job.trigger.get_next_fire_time(datetime(2024, 3, 31, 6, 0, tzinfo=UTC), clock.now)
        assert after == datetime(2024, 4, 1, 6, 0, tzinfo=UTC)

        # /digest set to another time, then /digest off; /feed remove
        await room.set_digest("channel:1", local_time="18:30", timezone="America/New_York")
        await sched.refresh_subscription("channel:1")
        assert sched.jobs()[digest_job_id(sub.id)] == datetime(2024, 3, 30, 22, 30, tzinfo=UTC)
        await room.digest_off("channel:1")
        await sched.refresh_subscription("channel:1")
        await room.remove_feed(feed.id)
        await sched.refresh_feed(feed.id)
        assert set(sched.jobs()) == {"resync"}
    finally:
        await sched.shutdown()


async def test_resync_picks_up_changes_made_elsewhere(room: Newsroom, clock: Clock) -> None:
    sched = BriefingScheduler(room, settings(), Poster(clock), paused=True)
    await sched.start()
    try:
        assert set(sched.jobs()) == {"resync"}
        feed = await room.add_feed("https://feeds.example/rss.xml", audience="channel:1")
        sub = await room.set_digest("user:5", local_time="06:45", timezone="Asia/Tokyo")
        await sched._resync()
        jobs = sched.jobs()
        assert jobs[feed_job_id(feed.id)] == clock.now  # never polled: due now
        assert jobs[digest_job_id(sub.id)] == datetime(2024, 3, 1, 21, 45, tzinfo=UTC)
    finally:
        await sched.shutdown()


async def test_upcoming_and_schedule_rows_show_local_and_utc(room: Newsroom, clock: Clock) -> None:
    clock.now = datetime(2024, 10, 26, 12, 0, tzinfo=UTC)
    feed = await room.add_feed(
        "https://feeds.example/rss.xml", audience="channel:1", interval_s=1800
    )
    await room.set_digest(
        "channel:1", local_time="08:00", timezone="Europe/Berlin", topics=["lighthouse"]
    )
    rows = await schedule_rows(room, settings(), clock.now)
    assert [(r["kind"], r["target"], r["next_run_utc"], r["next_run_local"]) for r in rows] == [
        (
            "feed",
            "https://feeds.example/rss.xml",
            "2024-10-26T12:00:00+00:00",
            rows[0]["next_run_local"],
        ),
        ("digest", "channel:1", "2024-10-27T07:00:00+00:00", "2024-10-27T08:00:00+01:00"),
    ]
    assert rows[0]["detail"] == "every 30 min"
    assert rows[1]["detail"] == "08:00 Europe/Berlin, topics: lighthouse"
    assert rows[1]["utc"] == "2024-10-27 07:00 UTC"
    assert rows[1]["local"] == "2024-10-27 08:00 Europe/Berlin"
    assert "2024-10-27 07:00 UTC  (2024-10-27 08:00 Europe/Berlin)  digest 1: channel:1" in (
        schedule_text(rows)
    )
    sched = BriefingScheduler(room, settings(), Poster(clock), paused=True)
    await sched.start()
    try:
        runs = sched.upcoming(clock.now)
        assert [(r.kind, r.id, r.next_run_utc) for r in runs] == [
            ("feed", feed.id, clock.now),
            ("digest", 1, datetime(2024, 10, 27, 7, 0, tzinfo=UTC)),
        ]
    finally:
        await sched.shutdown()


async def test_digest_run_print_shows_the_digest_and_records_nothing(
    room: Newsroom, clock: Clock
) -> None:
    await room.ingest_text(
        LIGHTHOUSE_A,
        title="Cape Merrow lighthouse shines again",
        outlet="Merrow Mercury",
        url="https://mercury.example/light",
    )
    out = io.StringIO()
    code = await run_digest_cli(room, settings(), "channel:1", print_only=True, out=out)
    assert code == 0
    assert out.getvalue().startswith(
        "What's new: 1 story.\n\n## Cape Merrow lighthouse shines again"
    )
    assert await room.store.delivery_count("channel:1") == 0
    # without --print and without a token, a Discord audience cannot be sent to
    out = io.StringIO()
    assert await run_digest_cli(room, settings(), "channel:1", print_only=False, out=out) == 2
    assert "no Discord token" in out.getvalue()


async def test_run_digest_now_posts_and_records(room: Newsroom, clock: Clock) -> None:
    await room.ingest_text(
        LIGHTHOUSE_A,
        title="Cape Merrow lighthouse shines again",
        outlet="Merrow Mercury",
        url="https://mercury.example/light",
    )
    poster = Poster(clock)
    sched = BriefingScheduler(room, settings(), poster)
    text = await sched.run_digest_now("cli:me")
    assert text.startswith("What's new: 1 story.")
    assert poster.posts[0].text == text
    assert await room.store.delivery_count("cli:me") == 1
    assert await sched.run_digest_now("cli:me") == NOTHING_NEW


async def test_a_real_running_scheduler_polls_a_due_feed(tmp_path: Path) -> None:
    # real clock, scheduler not paused: the feed job fires on its own and records the outcome
    async with Newsroom(tmp_path / "live.db", config=settings().core) as room:
        feed = await room.add_feed("http://127.0.0.1:9/feed.xml", audience="cli:me")  # refused
        out = io.StringIO()
        service = shell_service(room, settings(), out)
        await service.start()
        try:
            for _ in range(500):
                polled = await room.store.feed(feed.id)
                if polled.failures:
                    break
                await asyncio.sleep(0.01)
        finally:
            await service.stop()
        assert polled.failures == 1
        assert polled.last_error is not None and "127.0.0.1:9" in polled.last_error
        assert polled.next_poll_at is not None and polled.last_polled_at is not None
        assert polled.next_poll_at - polled.last_polled_at == timedelta(seconds=1800)
        assert service.scheduler.jobs() == {}  # shut down
