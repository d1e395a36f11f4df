"""Benchmark: the scoring card at full scale, 75 candidates × 20 reviewers (everyone reviews
everyone: 1,500 reviews, half submitted) and 100,000 activity reports.

Database time of what handlers/review.py reads to open a card (the queue, the review's
scores, the evidence, the others' scores with show_others_after_own on: the most a card
reads), and of a tap on a value (its transaction, then the card again). The card is built
by the handler's own `_card`, its database calls timed. Goal: p95 under 50 ms each.

Run: python -m bench.review_card
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bench.common import describe
from bench.progress import seed
from bot.campaign_load import load_campaign
from handlers.review import _card
from messages.render import Messages
from storage import people, reviews
from storage.db import Database

REVIEWERS, ROUNDS = 20, 200
NOW = datetime(2027, 10, 20, 2, 0, tzinfo=UTC)  # inside 考核验收


class Timed:
    """The database, each read's time added up: what the card spends waiting on it."""

    def __init__(self, db: Database) -> None:
        self.db, self.spent = db, 0.0

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.db, name)
        if not name.startswith("fetch"):
            return found

        async def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await found(*args, **kwargs)
            finally:
                self.spent += time.perf_counter() - start

        return timed


async def main() -> None:
    campaign = load_campaign()
    campaign = replace(
        campaign, assessment=replace(campaign.assessment, show_others_after_own=True)
    )
    with tempfile.TemporaryDirectory() as scratch:
        db = await Database.open(Path(scratch) / "bench.db")
        try:
            await seed(db)
            keys = [c.key for c in campaign.criteria]
            projects = [r["id"] for r in await db.fetch_all("SELECT id FROM projects")]
            async with db.transaction(NOW) as tx:
                for user in range(2, REVIEWERS + 2):
                    await people.expect(tx, user)
                pairs = {(u, p) for u in range(2, REVIEWERS + 2) for p in projects}
                await reviews.assign(tx, pairs, by=None)
            ids = [r["id"] for r in await db.fetch_all("SELECT id FROM reviews ORDER BY id")]
            async with db.transaction(NOW) as tx:
                for review_id in ids[::2]:
                    scores = dict.fromkeys(keys, 7)
                    await reviews.submit(tx, review_id, keys, by=1, scores=scores)
            timed = Timed(db)
            ctx = SimpleNamespace(
                db=timed,
                campaign=campaign,
                msgs=Messages(campaign.timezone),
                locale="zh-Hans",
                now=NOW,
            )
            opened, tapped = [], []
            for i in range(ROUNDS):
                review = await reviews.get(db, ids[(i * 7) % len(ids)])
                timed.spent = 0.0
                await _card(ctx, review)
                opened.append(timed.spent)
                timed.spent = 0.0
                start = time.perf_counter()
                async with db.transaction(NOW + timedelta(seconds=i)) as tx:
                    await reviews.set_score(tx, review.id, keys[i % 6], i % 11)
                timed.spent += time.perf_counter() - start
                await _card(ctx, review)
                tapped.append(timed.spent)
            print(f"card opened        {describe(opened)}")
            print(f"tap and its card   {describe(tapped)}")
        finally:
            await db.close()


if __name__ == "__main__":
    asyncio.run(main())
