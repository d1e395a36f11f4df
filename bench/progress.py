"""Benchmark: /progress at full cultivation scale, 75 candidates and 100,000 reports.

Database time of each role's view as the handler reads it: a lead's one project, a
secretary's unit (its candidates), an admin's every candidate. Goal: under 50 ms each.

Run: python -m bench.progress
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.common import describe
from storage import reports
from storage.db import Database

UNITS, CANDIDATES_PER_UNIT = 15, 5  # 75 candidates
REPORTS = 100_000
CRITERIA = ["ideology", "mechanism", "standards", "cohesion", "integration", "renewal", None]
ROUNDS = 50


async def seed(db: Database) -> None:
    now = datetime(2027, 9, 1, tzinfo=UTC)
    stamp = now.isoformat()
    rng = random.Random(7)
    async with db.transaction(now) as tx:
        await tx.execute(
            "INSERT INTO people (user_id, first_name, created_at, updated_at)"
            " VALUES (1, 'Author', ?, ?)",
            (stamp, stamp),
        )
        await tx.execute_many(
            "INSERT INTO units (id, code, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            [(u, f"U{u:02d}", f"Unit {u:02d}", stamp, stamp) for u in range(1, UNITS + 1)],
        )
        projects = [
            (u * 100 + p, u, f"P{u:02d}{p}", f"Project {u:02d}-{p}", stamp, stamp)
            for u in range(1, UNITS + 1)
            for p in range(1, CANDIDATES_PER_UNIT + 1)
        ]
        await tx.execute_many(
            "INSERT INTO projects (id, unit_id, code, name, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            projects,
        )
        await tx.execute_many(
            "INSERT INTO applications (project_id, status, created_by, created_at, updated_at)"
            " VALUES (?, 'accepted', 1, ?, ?)",
            [(p[0], stamp, stamp) for p in projects],
        )
        first = date(2027, 1, 16)
        await tx.execute_many(
            "INSERT INTO activity_reports (project_id, author_id, state, activity, held_on,"
            " participants, description, criterion, media_done, created_at, updated_at,"
            " saved_at) VALUES (?, 1, 'saved', 'study', ?, 20, 'words', ?, 1, ?, ?, ?)",
            [
                (
                    rng.choice(projects)[0],
                    (first + timedelta(days=rng.randrange(228))).isoformat(),
                    rng.choice(CRITERIA),
                    stamp,
                    stamp,
                    stamp,
                )
                for _ in range(REPORTS)
            ],
        )


async def timed(db: Database, **which) -> list[float]:
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        found = await reports.candidates(db, **which)
        await reports.progress(db, found)
        samples.append(time.perf_counter() - started)
    return samples


async def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        db = await Database.open(Path(scratch) / "bench.db")
        try:
            await seed(db)
            print(f"{UNITS * CANDIDATES_PER_UNIT} candidates, {REPORTS:,} saved reports:")
            for label, which in (
                ("lead (one project)", {"project_ids": [101]}),
                ("secretary (a unit's 5)", {"unit_ids": [1]}),
                ("admin (all 75)", {}),
            ):
                print(f"  {label}: {describe(await timed(db, **which))}")
        finally:
            await db.close()


if __name__ == "__main__":
    asyncio.run(main())
