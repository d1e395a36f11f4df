"""Benchmark: stage 3's ranking at 75 candidates × 20 reviewers, every review submitted with
varied scores (each reviewer lenient or harsh by up to 2 points, so the calibration has
something to fit): 5 reviewers per candidate (375 reviews), and everyone reviewing everyone
(1,500).

Prints the time (p50, p95, max over 200 runs) of `bot.ranking.load` (the reads and the
numbers) followed by the CSV's rendering, what `/ranking` and `pacesetter ranking --csv` do;
and of the numbers alone (`compute`). The goal is under 100 ms.

Run: python -m bench.ranking
"""

from __future__ import annotations

import asyncio
import random
import tempfile
from pathlib import Path

from bench.reviews_storage import CANDIDATES, NOW, REVIEWERS, seed_candidates, timed
from bot import ranking
from bot.campaign import Campaign
from bot.campaign_load import load_campaign
from storage import reviews
from storage.db import Database


async def seed_scores(db: Database, projects: list[int], per_candidate: int) -> None:
    """The projects made candidates; each reviewed by `per_candidate` reviewers (0: all of
    them), every review submitted with scores around a candidate's merit and the reviewer's
    leniency."""
    rng = random.Random(19)
    keys = [c.key for c in load_campaign().criteria]
    async with db.transaction(NOW) as tx:
        await tx.execute(
            "INSERT INTO applications (project_id, status, created_by, created_at, updated_at)"
            " SELECT id, 'accepted', 1, ?, ? FROM projects",
            (tx.stamp, tx.stamp),
        )
        panel = range(1, REVIEWERS + 1)
        pairs = {
            (u, p)
            for p in projects
            for u in (rng.sample(panel, per_candidate) if per_candidate else panel)
        }
        await reviews.assign(tx, pairs, by=None)
    leniency = {u: rng.randint(-2, 2) for u in range(1, REVIEWERS + 1)}
    merit = {p: rng.randint(4, 8) for p in projects}
    rows = await db.fetch_all("SELECT id, reviewer_id, project_id FROM reviews ORDER BY id")
    async with db.transaction(NOW) as tx:
        for row in rows:
            base = merit[row["project_id"]] + leniency[row["reviewer_id"]]
            scores = {k: min(10, max(0, base + rng.randint(-1, 1))) for k in keys}
            await reviews.submit(tx, row["id"], keys, by=row["reviewer_id"], scores=scores)


async def bench(db: Database, campaign: Campaign, name: str) -> None:
    result = await ranking.load(db, campaign)
    counted = sum(r.reviews for r in result.rows)
    print(f"{CANDIDATES} candidates × {REVIEWERS} reviewers, {name}: {counted} reviews")

    async def record(_: int) -> None:
        ranking.csv_text(await ranking.load(db, campaign))

    await timed("load + CSV", record)
    candidates = [
        ranking.Candidate(r.project_id, r.code, r.project, r.unit_id, r.unit_code, r.unit)
        for r in result.rows
    ]
    marks = [
        ranking.Scored(c.reviewer_id, c.project_id, c.scores) for c in await reviews.counted(db)
    ]

    async def numbers(_: int) -> None:
        ranking.compute(campaign.criteria, campaign.assessment, candidates, marks)

    await timed("compute alone", numbers)


async def main() -> None:
    campaign = load_campaign()
    for per_candidate, name in ((5, "5 per candidate"), (0, "everyone reviews everyone")):
        with tempfile.TemporaryDirectory() as scratch:
            db = await Database.open(Path(scratch) / "bench.db")
            try:
                await seed_scores(db, await seed_candidates(db), per_candidate)
                await bench(db, campaign, name)
            finally:
                await db.close()


if __name__ == "__main__":
    asyncio.run(main())
