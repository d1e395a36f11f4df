"""Benchmark: the quick group vote's database time at 75 candidates × 20 reviewers, with a
closed vote of 20 ballots on every candidate and 50,000 messages already in the outbox.

Prints database time (p50, p95, max over 200 runs) for a tap's transaction (the ballot cast or
moved, the counts, the card's edit turn and its renewed edit row, as handlers/vote.py writes
them) and for the admins' read of every candidate's result (storage.votes.results).

Run: python -m bench.vote_taps
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import timedelta
from pathlib import Path

from bench.reviews_storage import CANDIDATES, NOW, REVIEWERS, seed_candidates, timed
from storage import outbox, votes
from storage.db import Database
from storage.outbox import BULK, FOLLOWS, Cause, Outgoing

GROUP = -100_123
SENT = 50_000
CARD = "🗳 <b>快速投票</b>：<b>Project 1</b>（P001）· Unit 1\n\n" + "○ 创建工作总结：尚未提交\n" * 2


async def _seed(db: Database) -> tuple[list[int], int]:
    """The candidates, a closed vote on each, an open one on the first, a busy outbox."""
    projects = await seed_candidates(db)
    async with db.transaction(NOW) as tx:
        for project in projects:
            vote = await votes.open_vote(tx, project, GROUP, by=1)
            for user in range(1, REVIEWERS + 1):
                await votes.cast(tx, vote.id, user, votes.CHOICES[user % 3])
            await votes.close(tx, vote.id, by=1)
        sent = [
            Outgoing(str(Cause("bench", i)), "bench", GROUP - i % 500, {"text": "x"})
            for i in range(SENT)
        ]
        await outbox.enqueue(tx, sent)
        await tx.execute("UPDATE outbox SET state = 'sent', sent_at = created_at")
        open_vote = await votes.open_vote(tx, projects[0], GROUP, by=1)
    return projects, open_vote.id


async def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        db = await Database.open(Path(scratch) / "bench.db")
        try:
            projects, vote_id = await _seed(db)
            cause = Cause("vote", vote_id, "card")

            async def tap(i: int) -> None:
                async with db.transaction(NOW + timedelta(seconds=i)) as tx:
                    user = 1 + i % REVIEWERS
                    await votes.cast(tx, vote_id, user, votes.CHOICES[i % 3])
                    counts = (await votes.tally(tx, [vote_id]))[vote_id]
                    turn = await votes.edit_turn(tx, vote_id, timedelta(seconds=3))
                    payload = {"text": CARD + repr(counts), FOLLOWS: str(cause)}
                    edit = Outgoing(
                        str(cause.then("edit")),
                        "vote/card",
                        GROUP,
                        payload,
                        method="editMessageText",
                        priority=BULK,
                        not_before=turn,
                    )
                    await outbox.renew(tx, [edit])

            async def results(_: int) -> None:
                await votes.results(db, projects)

            print(f"{CANDIDATES} candidates × {REVIEWERS} reviewers, {SENT:,} outbox rows")
            await timed("a tap (its transaction)", tap)
            await timed("every candidate's result", results)
        finally:
            await db.close()


if __name__ == "__main__":
    asyncio.run(main())
