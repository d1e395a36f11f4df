"""Benchmark: stage 3's charts at 75 candidates × 20 reviewers, everyone reviewing everyone
(1,500 reviews), half of them submitted.

Prints what a 📊 or 🕸 tap costs before it is answered (bot/charts.py `load`: the ranking and
each candidate's per-criterion means, p50/p95/max over 200 runs), the drawing time of the chat's
bar chart (75 candidates: 3 images of 25 bars), of one radar and of the CLI's one-image bar
chart (p50 and max over 5 runs), the images' sizes, and how late a 10 ms timer on the event
loop fires while the chat's images are drawn in asyncio.to_thread (the loop only waits).

Run: python -m bench.charts
"""

from __future__ import annotations

import asyncio
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from bench.reviews_storage import NOW, seed_candidates, seed_reviews, timed
from bot import charts
from bot.campaign_load import load_campaign
from messages.render import Messages
from storage.db import Database

DRAWS = 5


def drawn(name: str, draw: Callable[[], list[bytes]]) -> list[bytes]:
    spent, images = [], []
    for _ in range(DRAWS):
        start = time.perf_counter()
        images = draw()
        spent.append((time.perf_counter() - start) * 1000)
    sizes = []
    for image in images:
        with Image.open(io.BytesIO(image)) as opened:
            sizes.append(f"{opened.width}×{opened.height} px {len(image) // 1024} KB")
    print(
        f"{name:<28} p50 {statistics.median(spent):6.0f} ms  max {max(spent):6.0f} ms"
        f"  ({'; '.join(sizes)})"
    )
    return images


async def late_while(work: Callable[[], object]) -> float:
    """The most a 10 ms timer on the loop fires late while `work` runs in a thread (ms)."""
    done, worst = False, 0.0

    async def ticker() -> None:
        nonlocal worst
        while not done:
            start = time.perf_counter()
            await asyncio.sleep(0.01)
            worst = max(worst, (time.perf_counter() - start - 0.01) * 1000)

    ticking = asyncio.create_task(ticker())
    await asyncio.to_thread(work)
    done = True
    await ticking
    return worst


async def main() -> None:
    campaign = load_campaign()
    msgs = Messages(campaign.timezone)
    with tempfile.TemporaryDirectory() as scratch:
        db = await Database.open(Path(scratch) / "bench.db")
        try:
            projects = await seed_candidates(db)
            async with db.transaction(NOW) as tx:
                await tx.execute(
                    "INSERT INTO applications (project_id, status, created_by, created_at,"
                    " updated_at) SELECT id, 'accepted', 1, ?, ? FROM projects",
                    (tx.stamp, tx.stamp),
                )
            await seed_reviews(db, projects)

            async def load(_: int) -> None:
                await charts.load(db, campaign)

            await timed("load (before the answer)", load)
            field = await charts.load(db, campaign)
        finally:
            await db.close()
    pages = charts.ranking_charts(field, msgs, "zh-Hans", campaign)
    whole = charts.ranking_charts(field, msgs, "zh-Hans", campaign, per_image=len(field.scored()))
    radar = charts.radar(field, field.scored()[0], msgs, "zh-Hant", campaign)
    drawn("bar chart, chat (3 images)", lambda: [draw() for draw in pages])
    drawn("radar", lambda: [radar()])
    drawn("bar chart, CLI (1 image)", lambda: [whole[0]()])
    late = await late_while(lambda: [draw() for draw in pages])
    print(f"a 10 ms timer on the loop fires at most {late:.1f} ms late while they are drawn")


if __name__ == "__main__":
    asyncio.run(main())
