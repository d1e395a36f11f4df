"""Updates as they arrive: stored before they are confirmed, marked once handled."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.db import Executor, Transaction, to_db_time


@dataclass(frozen=True)
class Received:
    update_id: int
    chat_id: int | None
    payload: dict


async def store(tx: Transaction, received: Sequence[Received]) -> list[int]:
    """Keep a fetched batch; returns the ids that are new or not yet handled (a redelivered
    update that was handled before is dropped here). One statement: it may run on its own
    (`db.statement`)."""
    if not received:
        return []
    marks = ",".join(["(?, ?, ?, ?)"] * len(received))
    params = [
        value
        for item in received
        for value in (item.update_id, item.chat_id, json.dumps(item.payload), tx.stamp)
    ]
    # A stored, unhandled update is "updated" to itself, so RETURNING names it; a handled
    # one is left alone and not returned.
    rows = await tx.fetch_all(
        f"INSERT INTO inbox (update_id, chat_id, payload, received_at) VALUES {marks}"
        " ON CONFLICT (update_id) DO UPDATE SET update_id = excluded.update_id"
        " WHERE inbox.handled_at IS NULL RETURNING update_id",
        params,
    )
    fresh = {row[0] for row in rows}
    return [item.update_id for item in received if item.update_id in fresh]


async def unhandled(db: Executor) -> list[Received]:
    """Stored but not handled: a crash interrupted them. In the order they arrived."""
    rows = await db.fetch_all(
        "SELECT update_id, chat_id, payload FROM inbox WHERE handled_at IS NULL ORDER BY update_id"
    )
    return [Received(r["update_id"], r["chat_id"], json.loads(r["payload"])) for r in rows]


async def mark_handled(tx: Transaction, update_id: int) -> None:
    await tx.execute(
        "UPDATE inbox SET handled_at = ?, payload = '' WHERE update_id = ? AND handled_at IS NULL",
        (tx.stamp, update_id),
    )


async def was_handled(db: Executor, update_id: int) -> bool:
    row = await db.fetch_one(
        "SELECT 1 FROM inbox WHERE update_id = ? AND handled_at IS NOT NULL", (update_id,)
    )
    return row is not None


async def forget_handled_before(tx: Transaction, moment: datetime) -> int:
    # Telegram keeps unconfirmed updates for 24 h; remembering much longer buys nothing.
    return await tx.execute(
        "DELETE FROM inbox WHERE handled_at IS NOT NULL AND handled_at < ?", (to_db_time(moment),)
    )
