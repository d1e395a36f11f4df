"""Benchmark: selecting the pacesetters at 75 candidates × 20 reviewers (half the reviews
submitted), each candidate with a lead and a bound group, each of the 15 units with a
secretary and a bound group.

Prints time (p50, p95, max over 200 runs) for what /select's screen reads at each tap (the
ranking, the selection recorded, the last round, the admin's proposal; ranking.load, another
module's, alone beside it) and for a confirmation's write: the round recorded and its notices
written in one transaction, where every run flips every candidate's outcome (8 selected, then
the other 67), so all 75 candidates' leads, secretaries and groups are told each time: the
most a correction can write.

Run: python -m bench.pacesetters
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from bench.reviews_storage import NOW, seed_candidates, seed_reviews, timed
from bot import ranking
from bot.campaign_load import load_campaign
from bot.notices import Writer
from handlers.pacesetters import announce
from messages.render import Messages
from storage import pacesetters
from storage.db import Database

LEADS, SECRETARIES = 1000, 2000  # their user ids start here


async def _filled(db: Database) -> list[int]:
    projects = await seed_candidates(db)
    units = [r["id"] for r in await db.fetch_all("SELECT id FROM units ORDER BY id")]
    async with db.transaction(NOW) as tx:
        await tx.execute(
            "INSERT INTO applications (project_id, status, created_by, created_at, updated_at)"
            " SELECT id, 'accepted', 1, ?, ? FROM projects",
            (tx.stamp, tx.stamp),
        )
        people = [(LEADS + p, "zh-hans") for p in projects] + [
            (SECRETARIES + u, "en") for u in units
        ]
        await tx.execute_many(
            "INSERT INTO people (user_id, first_name, telegram_language, private_chat,"
            " created_at, updated_at) VALUES (?, 'Someone', ?, 1, ?, ?)",
            [(user, language, tx.stamp, tx.stamp) for user, language in people],
        )
        await tx.execute_many(
            "INSERT INTO roles (user_id, role, project_id, granted_at) VALUES (?, 'lead', ?, ?)",
            [(LEADS + p, p, tx.stamp) for p in projects],
        )
        await tx.execute_many(
            "INSERT INTO roles (user_id, role, unit_id, granted_at) VALUES (?, 'secretary', ?, ?)",
            [(SECRETARIES + u, u, tx.stamp) for u in units],
        )
        chats = [(-p, p, None) for p in projects] + [(-SECRETARIES - u, None, u) for u in units]
        await tx.execute_many(
            "INSERT INTO chats (chat_id, type, title, bot_status, updated_at)"
            " VALUES (?, 'supergroup', 'A group', 'member', ?)",
            [(chat, tx.stamp) for chat, _, _ in chats],
        )
        await tx.execute_many(
            "INSERT INTO chat_bindings (chat_id, project_id, unit_id, bound_at)"
            " VALUES (?, ?, ?, ?)",
            [(chat, project, unit, tx.stamp) for chat, project, unit in chats],
        )
    await seed_reviews(db, projects)
    return projects


async def main() -> None:
    campaign = load_campaign()
    writer = Writer(Messages(campaign.timezone, clock=lambda: NOW), campaign)
    with tempfile.TemporaryDirectory() as scratch:
        db = await Database.open(Path(scratch) / "bench.db")
        try:
            projects = await _filled(db)

            async def screen(_: int) -> None:
                await ranking.load(db, campaign)
                await pacesetters.current(db)
                await pacesetters.last_round(db)
                await pacesetters.draft(db, 1)

            await timed("/select screen (reads)", screen)
            await timed("  of which ranking.load", lambda i: ranking.load(db, campaign))
            few, rest = set(projects[:8]), set(projects[8:])

            async def confirm(i: int) -> None:
                chosen = few if i % 2 == 0 else rest
                async with db.transaction(NOW) as tx:
                    made = await pacesetters.select(tx, chosen, by=1)
                    await announce(tx, writer, made, chosen)

            await timed("confirm: 75 told (write)", confirm)
            told = await db.fetch_value("SELECT COUNT(*) FROM outbox WHERE cause = 'pacesetters:1'")
            print(f"notices of one round: {told} (75 leads, 15 secretaries, 90 groups)")
        finally:
            await db.close()


if __name__ == "__main__":
    asyncio.run(main())
