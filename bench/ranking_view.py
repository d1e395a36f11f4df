"""Benchmark: /ranking's screens at 75 candidates × 20 reviewers, everyone reviewing everyone
(1,500 reviews), half submitted with a comment of 1,000 characters, a few recused, a closed
quick vote on every candidate.

Prints the time (p50, p95, max over 200 runs) of `ranking.load` alone, of a table page as
it is sent (the load, a page's lines and buttons, its text rendered in zh-Hans until it fits
one message), of another page from the same load (what paging and sorting add), and of a
candidate's detail (the load, its reviews and vote, the comments clipped until it fits), with
and without the load.

Run: python -m bench.ranking_view
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from types import SimpleNamespace

from bench.reviews_storage import NOW, seed_candidates, seed_reviews, timed
from bot import ranking
from bot.campaign_load import load_campaign
from handlers import ranking as view
from handlers import ui
from messages.render import Messages
from storage import reviews, votes
from storage.db import Database


async def _filled(db: Database) -> None:
    projects = await seed_candidates(db)
    async with db.transaction(NOW) as tx:
        await tx.execute(
            "INSERT INTO applications (project_id, status, created_by, created_at, updated_at)"
            " SELECT id, 'accepted', 1, ?, ? FROM projects",
            (tx.stamp, tx.stamp),
        )
    ids = await seed_reviews(db, projects)
    async with db.transaction(NOW) as tx:
        await tx.execute("UPDATE reviews SET comment = ? WHERE state = 'submitted'", ("评" * 1000,))
        for review_id in ids[1::97]:
            await reviews.recuse(tx, review_id, "bench", by=1)
        for project in projects:
            vote = await votes.open_vote(tx, project, -1, by=1)
            for voter in range(1, 8):
                await votes.cast(tx, vote.id, voter, votes.CHOICES[voter % 3])
            await votes.close(tx, vote.id, by=1)


async def main() -> None:
    campaign = load_campaign()
    with tempfile.TemporaryDirectory() as scratch:
        db = await Database.open(Path(scratch) / "bench.db")
        try:
            await _filled(db)
            # What the screens read of a handler's context.
            ctx = SimpleNamespace(
                db=db,
                campaign=campaign,
                msgs=Messages(campaign.timezone, clock=lambda: NOW),
                locale="zh-Hans",
                now=NOW,
            )
            found = await ranking.load(db, campaign)

            async def table(i: int) -> None:
                loaded = await ranking.load(db, campaign)
                _, context = view.table_screen(ctx, loaded, "calibrated", i % 8)
                ui.render(ctx, "ranking/table", **context)

            async def page(i: int) -> None:
                _, context = view.table_screen(ctx, found, view.SORTS[i % 2], i % 8)
                ui.render(ctx, "ranking/table", **context)

            async def detail(i: int) -> None:
                loaded = await ranking.load(db, campaign)
                row = loaded.rows[i % len(loaded.rows)]
                _, context = await view.detail_screen(ctx, loaded, row, "raw", 0)
                ui.render(ctx, "ranking/detail", **context)

            async def detail_only(i: int) -> None:
                row = found.rows[i % len(found.rows)]
                _, context = await view.detail_screen(ctx, found, row, "raw", 0)
                ui.render(ctx, "ranking/detail", **context)

            await timed("ranking.load", lambda i: ranking.load(db, campaign))
            await timed("table page (load + page)", table)
            await timed("another page (same load)", page)
            await timed("a candidate's detail", detail)
            await timed("a detail (same load)", detail_only)
        finally:
            await db.close()


if __name__ == "__main__":
    asyncio.run(main())
