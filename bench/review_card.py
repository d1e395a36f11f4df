"""Benchmark: a reviewer's scoring card at full assessment scale: 75 candidates, 20 reviewers
(5 per candidate, ~19 each), 100,000 saved reports with 200,000 photos and 500 highlights
(bench/progress.py's seed), every candidate's application written in full and both final
items handed in.

Prints database time (p50, p95, max over 200 runs) of
  (a) opening a card: bot/evidence.py's gather, the reviewer's queue, the review's scores;
  (b) a tap: a score set in its own write transaction, then the same reads for the redraw.
Goal: p95 under 50 ms each.

Run: python -m bench.review_card
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import progress
from bench.reviews_storage import CRITERIA, RUNS, timed
from bot import evidence
from bot.campaign_load import load_campaign
from storage import reviews
from storage.db import Database

REVIEWERS, PER_CANDIDATE = 20, 5
PHOTOS_PER_REPORT = 2
SECTION_TEXT = "党建工作基础扎实，支部班子结构合理。\n" * 60  # ~1,200 characters a message
NOW = datetime(2027, 10, 20, 2, 0, tzinfo=UTC)


async def seed(db: Database) -> tuple[list[int], dict[int, list[tuple[int, int]]]]:
    """The candidates' ids, and each reviewer's (review, candidate) pairs."""
    await progress.seed(db)  # 75 candidates, 100,000 reports, 500 highlights
    campaign = load_campaign()
    stamp = NOW.isoformat()
    projects = [r["id"] for r in await db.fetch_all("SELECT id FROM projects ORDER BY id")]
    async with db.transaction(NOW) as tx:
        await tx.execute(
            "INSERT INTO report_media (report_id, kind, file_id, file_unique_id, caption,"
            " message_id, added_at) SELECT r.id, 'photo', 'f' || r.id || '-' || n.i,"
            " 'u' || r.id || '-' || n.i, '', n.i, ? FROM activity_reports r"
            " CROSS JOIN (SELECT 1 AS i UNION ALL SELECT 2) n",
            (stamp,),
        )
        await tx.execute_many(
            "INSERT INTO answer_parts (application_id, section, author_id, message_id, kind,"
            " text, created_at) SELECT a.id, ?, 1, ?, 'text', ?, ? FROM applications a"
            " WHERE a.project_id = ?",
            [
                (section.key, 100 * n + part, SECTION_TEXT, stamp, project_id)
                for project_id in projects
                for n, section in enumerate(campaign.sections)
                if section.kind == "text"
                for part in range(3)
            ],
        )
        await tx.execute(
            "INSERT INTO answers (application_id, section, state, updated_at)"
            " SELECT DISTINCT application_id, section, 'done', ? FROM answer_parts",
            (stamp,),
        )
        await tx.execute_many(
            "INSERT INTO final_items (project_id, item, kind, text, file_id, file_unique_id,"
            " file_name, submitted_by, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)",
            [
                row
                for p in projects
                for row in (
                    (p, "summary", "document", None, f"d{p}", f"du{p}", "总结.pdf", stamp),
                    (p, "results", "text", SECTION_TEXT * 5, None, None, None, stamp),
                )
            ],
        )
        await tx.execute_many(
            "INSERT INTO people (user_id, first_name, created_at, updated_at)"
            " VALUES (?, 'Reviewer', ?, ?)",
            [(1000 + r, stamp, stamp) for r in range(REVIEWERS)],
        )
        pairs = {
            (1000 + (i * PER_CANDIDATE + k) % REVIEWERS, p)
            for i, p in enumerate(projects)
            for k in range(PER_CANDIDATE)
        }
        await reviews.assign(tx, pairs, by=1)
    mine: dict[int, list[tuple[int, int]]] = {}
    for row in await db.fetch_all("SELECT id, reviewer_id, project_id FROM reviews ORDER BY id"):
        mine.setdefault(row["reviewer_id"], []).append((row["id"], row["project_id"]))
    async with db.transaction(NOW) as tx:  # half the reviews submitted, as midway through
        for review_id in [r for pairs_ in mine.values() for r, _ in pairs_][::2]:
            scores = dict.fromkeys(CRITERIA, 7)
            await reviews.submit(tx, review_id, CRITERIA, by=1, scores=scores)
    return projects, mine


async def main() -> None:
    campaign = load_campaign()
    with tempfile.TemporaryDirectory() as scratch:
        db = await Database.open(Path(scratch) / "bench.db")
        try:
            projects, mine = await seed(db)
            cards = [
                (reviewer, review_id, project_id)
                for reviewer, pairs in sorted(mine.items())
                for review_id, project_id in pairs
            ]
            loads = sorted(len(p) for p in mine.values())
            print(
                f"{len(projects)} candidates, {REVIEWERS} reviewers ({loads[0]}–{loads[-1]} each),"
                f" {len(cards)} reviews; {progress.REPORTS:,} reports,"
                f" {progress.REPORTS * PHOTOS_PER_REPORT:,} photos, {progress.HIGHLIGHTS}"
                " highlights:"
            )

            async def card(i: int) -> None:
                reviewer, review_id, project_id = cards[i % len(cards)]
                await evidence.gather(db, campaign, project_id)
                await reviews.queue(db, reviewer)
                await reviews.scores_of(db, [review_id])

            async def tap(i: int) -> None:
                _, review_id, _ = cards[i % len(cards)]
                async with db.transaction(NOW + timedelta(seconds=i)) as tx:
                    await reviews.set_score(tx, review_id, CRITERIA[i % 6], i % 11)
                await card(i)

            await timed("(a) open a card", card)
            await timed("(b) a tap, then the redraw", tap)
            await timed(
                "    of which gather",
                lambda i: evidence.gather(db, campaign, cards[i % len(cards)][2]),
            )
        finally:
            await db.close()
    print(f"({RUNS} runs each; goal: p95 under 50 ms)")


if __name__ == "__main__":
    asyncio.run(main())
