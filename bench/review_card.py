"""Benchmark: a reviewer's scoring card at full assessment scale: 75 candidates, 20 reviewers
(5 per candidate, ~19 each), 100,000 saved reports with 200,000 photos and 500 highlights
(bench/progress.py's seed), every candidate's application written in full and both final
items handed in, half the reviews submitted.

The card is built by the handler's own `_card` with show_others_after_own on (the most a card
reads: the queue, the review's scores, the evidence, the others' scores), its database reads
timed. Prints database time (p50, p95, max over 200 runs) of
  (a) opening a card;
  (b) a tap: a score set in its own write transaction, then the card again.
Goal: p95 under 50 ms each.

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

from bench import progress
from bench.common import describe
from bench.reviews_storage import CRITERIA
from bot.campaign_load import load_campaign
from handlers.review import _card
from messages.render import Messages
from storage import reviews
from storage.db import Database

REVIEWERS, PER_CANDIDATE, ROUNDS = 20, 5, 200
PHOTOS_PER_REPORT = 2
SECTION_TEXT = "党建工作基础扎实，支部班子结构合理。\n" * 60  # ~1,200 characters a message
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
    campaign = replace(
        campaign, assessment=replace(campaign.assessment, show_others_after_own=True)
    )
    with tempfile.TemporaryDirectory() as scratch:
        db = await Database.open(Path(scratch) / "bench.db")
        try:
            projects, mine = await seed(db)
            ids = sorted(r for pairs in mine.values() for r, _ in pairs)
            loads = sorted(len(p) for p in mine.values())
            print(
                f"{len(projects)} candidates, {REVIEWERS} reviewers ({loads[0]}–{loads[-1]} each),"
                f" {len(ids)} reviews; {progress.REPORTS:,} reports,"
                f" {progress.REPORTS * PHOTOS_PER_REPORT:,} photos, {progress.HIGHLIGHTS}"
                " highlights:"
            )
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
                    await reviews.set_score(tx, review.id, CRITERIA[i % 6], i % 11)
                timed.spent += time.perf_counter() - start
                await _card(ctx, review)
                tapped.append(timed.spent)
            print(f"(a) card opened        {describe(opened)}")
            print(f"(b) a tap and its card {describe(tapped)}")
        finally:
            await db.close()
    print(f"({ROUNDS} runs each; goal: p95 under 50 ms)")


if __name__ == "__main__":
    asyncio.run(main())
