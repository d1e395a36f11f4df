"""Benchmark: stage 3's review storage at 75 candidates × 20 reviewers, everyone reviewing
everyone (reviewers_per_candidate = 0: 1,500 reviews), half of them scored.

Prints database time (p50, p95, max over 200 runs) for a tap that sets a score (its own
transaction), a reviewer's queue, one review's scores, the admins' two progress reads and the
whole record, and the time bot/assignment.py takes to assign 5 reviewers per candidate.

Run: python -m bench.reviews_storage
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.assignment import Candidate, Reviewer, assign
from storage import orgs, people, reviews
from storage.db import Database
from storage.orgs import OrgRow

CANDIDATES, REVIEWERS, RUNS = 75, 20, 200
CRITERIA = ("ideology", "mechanism", "standards", "cohesion", "integration", "renewal")
NOW = datetime(2027, 10, 10, 2, 0, tzinfo=UTC)


async def timed(name: str, run: Callable[[int], Awaitable[object]]) -> None:
    spent = []
    for i in range(RUNS):
        start = time.perf_counter()
        await run(i)
        spent.append((time.perf_counter() - start) * 1000)
    spent.sort()
    p95 = spent[int(len(spent) * 0.95) - 1]
    print(
        f"{name:<28} p50 {statistics.median(spent):6.2f} ms  p95 {p95:6.2f} ms"
        f"  max {spent[-1]:6.2f} ms"
    )


async def seed_candidates(db: Database) -> list[int]:
    """75 projects in 15 units and 20 people (user ids 1–20): the projects' ids."""
    async with db.transaction(NOW) as tx:
        rows = [
            OrgRow(i + 2, f"U{i % 15:02d}", f"Unit {i % 15}", f"P{i:03d}", f"Project {i}")
            for i in range(CANDIDATES)
        ]
        await orgs.import_rows(tx, rows, None)
        for user in range(1, REVIEWERS + 1):
            await people.expect(tx, user)
    return [r["id"] for r in await db.fetch_all("SELECT id FROM projects")]


async def seed_reviews(db: Database, projects: list[int]) -> list[int]:
    """Everyone reviewing every project, every other review submitted: the reviews' ids."""
    async with db.transaction(NOW) as tx:
        await reviews.assign(
            tx, {(u, p) for u in range(1, REVIEWERS + 1) for p in projects}, by=None
        )
    ids = [r["id"] for r in await db.fetch_all("SELECT id FROM reviews ORDER BY id")]
    async with db.transaction(NOW) as tx:
        for review_id in ids[::2]:
            scores = dict.fromkeys(CRITERIA, 7)
            await reviews.submit(tx, review_id, CRITERIA, by=1, scores=scores)
    return ids


async def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        db = await Database.open(Path(scratch) / "bench.db")
        try:
            ids = await seed_reviews(db, await seed_candidates(db))

            async def tap(i: int) -> None:
                async with db.transaction(NOW + timedelta(seconds=i)) as tx:
                    await reviews.set_score(tx, ids[1 + 2 * (i % 700)], CRITERIA[i % 6], i % 11)

            await timed("tap (set a score)", tap)
            await timed("queue of a reviewer", lambda i: reviews.queue(db, 1 + i % REVIEWERS))
            await timed("scores of a review", lambda i: reviews.scores_of(db, [ids[i]]))
            await timed("progress per candidate", lambda i: reviews.progress_by_candidate(db))
            await timed("progress per reviewer", lambda i: reviews.progress_by_reviewer(db))
            await timed("record (1,500 rows)", lambda i: reviews.record(db))
        finally:
            await db.close()
    candidates = [Candidate(i, i % 15) for i in range(CANDIDATES)]
    panel = [
        Reviewer(u, frozenset({u % 15}) if u % 3 == 0 else frozenset()) for u in range(REVIEWERS)
    ]
    start = time.perf_counter()
    result = assign(candidates, panel, 5)
    spent = (time.perf_counter() - start) * 1000
    print(
        f"assign 75 × 20, N = 5: {len(result.pairs)} pairs in {spent:.1f} ms,"
        f" {len(result.short)} short"
    )


if __name__ == "__main__":
    asyncio.run(main())
