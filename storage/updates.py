"""Which updates were fully handled, so a redelivered one is dropped."""

from __future__ import annotations

from datetime import timedelta

from storage.db import Database, to_db_time, utcnow


async def was_handled(db: Database, update_id: int) -> bool:
    row = await db.fetch_one("SELECT 1 FROM processed_updates WHERE update_id = ?", (update_id,))
    return row is not None


async def mark_handled(db: Database, update_id: int) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT OR IGNORE INTO processed_updates (update_id, handled_at) VALUES (?, ?)",
            (update_id, to_db_time(utcnow())),
        )


async def forget_older_than(db: Database, age: timedelta) -> int:
    # Telegram keeps unconfirmed updates for 24 h; remembering much longer buys nothing.
    async with db.transaction() as tx:
        return await tx.execute(
            "DELETE FROM processed_updates WHERE handled_at < ?", (to_db_time(utcnow() - age),)
        )
