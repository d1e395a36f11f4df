"""Benchmark: /progress and /highlights at full cultivation scale, 75 candidates and 100,000
reports (500 of them highlights, 2,000 coaching comments).

Database time of each role's view as the handler reads it: a lead's one project, a
secretary's unit (its candidates), an admin's every candidate (with a page's last coaching
comments); then /highlights' first page and the newest reports a secretary or an admin picks
highlights from. Goal: under 50 ms each.

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
from storage import coaching, highlights, reports
from storage.db import Database

UNITS, CANDIDATES_PER_UNIT = 15, 5  # 75 candidates
REPORTS = 100_000
HIGHLIGHTS = 500
COMMENTS = 2_000
PAGE = 8
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
                    day.isoformat(),
                    rng.choice(CRITERIA),
                    stamp,
                    stamp,
                    f"{day.isoformat()}T{rng.randrange(8, 22):02d}:00:00+00:00",
                )
                for day in (first + timedelta(days=rng.randrange(228)) for _ in range(REPORTS))
            ],
        )
        await tx.execute_many(
            "INSERT INTO highlights (report_id, marked_by, marked_at) VALUES (?, 1, ?)",
            [
                (report_id, (now - timedelta(minutes=n)).isoformat())
                for n, report_id in enumerate(rng.sample(range(1, REPORTS + 1), HIGHLIGHTS))
            ],
        )
        await tx.execute_many(
            "INSERT INTO coaching_comments (project_id, author_id, text, created_at)"
            " VALUES (?, 1, 'advice', ?)",
            [(rng.choice(projects)[0], stamp) for _ in range(COMMENTS)],
        )


async def timed(read) -> list[float]:
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        await read()
        samples.append(time.perf_counter() - started)
    return samples


def progress_view(db: Database, **which):
    async def read() -> None:
        found = await reports.candidates(db, **which)
        await reports.progress(db, found)
        on_page = [f[0] for f in found[:PAGE]]
        await highlights.count_by_project(db, on_page)
        await coaching.latest_of(db, on_page)

    return read


def highlights_page(db: Database):
    async def read() -> None:
        found = await highlights.listed(db)
        await reports.photo_counts(db, [item.report.id for item in found[:PAGE]])

    return read


def newest_page(db: Database, unit_ids):
    async def read() -> None:
        found, _, _ = await reports.newest(db, unit_ids=unit_ids, page_size=PAGE)
        ids = [item.report.id for item in found]
        await highlights.standing_of(db, ids)
        await reports.photo_counts(db, ids)

    return read


async def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        db = await Database.open(Path(scratch) / "bench.db")
        try:
            await seed(db)
            print(f"{UNITS * CANDIDATES_PER_UNIT} candidates, {REPORTS:,} saved reports:")
            for label, read in (
                ("/progress, lead (one project)", progress_view(db, project_ids=[101])),
                ("/progress, secretary (a unit's 5)", progress_view(db, unit_ids=[1])),
                ("/progress, admin (all 75)", progress_view(db)),
                (f"/highlights, first page of {HIGHLIGHTS}", highlights_page(db)),
                ("newest reports, secretary (a unit's)", newest_page(db, [1])),
                ("newest reports, admin (all)", newest_page(db, None)),
            ):
                print(f"  {label}: {describe(await timed(read))}")
        finally:
            await db.close()


if __name__ == "__main__":
    asyncio.run(main())
