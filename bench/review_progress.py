"""Benchmark: the admins' progress of stage 3's reviews and the reviewers' reminders, at 75
candidates × 20 reviewers, everyone reviewing everyone (1,500 reviews), half submitted, a
few recused, a vote on every candidate.

Prints database time (p50, p95, max over 200 runs) for what the progress screen reads (its
candidate and reviewer lines) and for who owes in the assessment's reminders (the reviews as
stored, and with `reviewers_per_candidate = 0`, where those not made yet come from the plan).

Run: python -m bench.review_progress
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import replace
from pathlib import Path

from bench.reviews_storage import NOW, REVIEWERS, seed_candidates, seed_reviews, timed
from bot import reminders
from bot.campaign_load import load_campaign
from handlers import review_progress
from storage import reviews, votes
from storage.db import Database


async def _filled(db: Database) -> None:
    projects = await seed_candidates(db)
    async with db.transaction(NOW) as tx:
        await tx.execute_many(
            "INSERT INTO roles (user_id, role, granted_at) VALUES (?, 'reviewer', ?)",
            [(user, tx.stamp) for user in range(1, REVIEWERS + 1)],
        )
        await tx.execute(
            "INSERT INTO applications (project_id, status, created_by, created_at, updated_at)"
            " SELECT id, 'accepted', 1, ?, ? FROM projects",
            (tx.stamp, tx.stamp),
        )
    ids = await seed_reviews(db, projects)
    async with db.transaction(NOW) as tx:
        for review_id in ids[1::97]:
            await reviews.recuse(tx, review_id, "bench", by=1)
        for project in projects:
            vote = await votes.open_vote(tx, project, -1, by=1)
            for voter in range(1, 8):
                await votes.cast(tx, vote.id, voter, votes.CHOICES[voter % 3])


async def main() -> None:
    campaign = load_campaign()
    everyone = replace(campaign, assessment=replace(campaign.assessment, reviewers_per_candidate=0))
    admins = frozenset({1})
    with tempfile.TemporaryDirectory() as scratch:
        db = await Database.open(Path(scratch) / "bench.db")
        try:
            await _filled(db)

            async def screen(_: int) -> None:
                await review_progress.candidate_lines(db)
                await review_progress.reviewer_lines(db)

            await timed("progress screen (reads)", screen)
            await timed(
                "who owes in assess (stored)",
                lambda i: reminders.owing(db, campaign, "assess", admins=admins),
            )
            await timed(
                "who owes in assess (N = 0)",
                lambda i: reminders.owing(db, everyone, "assess", admins=admins),
            )
        finally:
            await db.close()


if __name__ == "__main__":
    asyncio.run(main())
