# ruff: noqa: ASYNC110, ASYNC230, ASYNC240  (a test process: it blocks on purpose, alone)
"""One scheduler process for test_processes.py: ticks on a fast clock until told to stop.

    python tests/bot/scheduler_worker.py DB SINK NAME T0 GO SPEED END DELAY [PAUSE_ON MARKER]

Once ready it writes GO.NAME, waits for the file GO (holding the real start time EPOCH), and
then ticks on the clock T0 + (now - EPOCH) * SPEED, the same in every worker, starting at
simulated T0 + DELAY seconds. Each digest posted is one
JSON line appended to SINK (audience, nonce, worker). With PAUSE_ON = n, the n-th post first
writes MARKER and then hangs (the test kills the process there: after the claim, before the
post).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.scheduler import BriefingScheduler  # noqa: E402
from bot.settings import Settings  # noqa: E402
from summaries.models import Briefing  # noqa: E402
from summaries.newsroom import Newsroom  # noqa: E402
from summaries.schedule import Lease  # noqa: E402


async def main(argv: list[str]) -> None:
    db, sink, name, t0, go, speed, end, delay = argv[:8]
    pause_on = int(argv[8]) if len(argv) > 8 else 0
    marker = Path(argv[9]) if len(argv) > 9 else None
    start, rate = datetime.fromisoformat(t0), float(speed)
    stop = datetime.fromisoformat(end)
    real0 = 0.0

    def clock() -> datetime:
        return start + timedelta(seconds=(time.time() - real0) * rate)

    posts = 0

    async def post(
        audience: str, briefing: Briefing | None, text: str | None, *, nonce: str | None = None
    ) -> None:
        nonlocal posts
        posts += 1
        if posts == pause_on and marker is not None:
            marker.write_text(nonce or "")
            await asyncio.sleep(3600)  # killed here
        line = json.dumps({"audience": audience, "nonce": nonce, "worker": name})
        with open(sink, "a", encoding="utf-8") as out:
            out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())

    # lease and claim last 5 simulated minutes (half a second at 600x: a worker stalled that
    # long on a loaded machine loses the lease, and the test its point)
    settings = Settings(digest_grace_s=3 * 3600, lease_s=300, digest_claim_s=300, feed_jitter_s=0)
    async with Newsroom(db, clock=clock) as room:
        sched = BriefingScheduler(
            room, settings, post, lease=Lease(room, "scheduler:test", 300, holder=name)
        )
        Path(f"{go}.{name}").write_text("ready")
        while not Path(go).exists() or not Path(go).read_text():
            await asyncio.sleep(0.01)
        real0 = float(Path(go).read_text())
        while clock() < start + timedelta(seconds=float(delay)):
            await asyncio.sleep(0.01)
        while clock() < stop:
            await sched.tick()
            await asyncio.sleep(0.02)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    asyncio.run(main(sys.argv[1:]))
