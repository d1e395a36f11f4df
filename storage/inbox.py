"""Updates as they arrive: stored before they are confirmed, marked once handled, set aside
when starts keep dying on them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.db import Executor, Transaction, from_db_time, to_db_time


@dataclass(frozen=True)
class Received:
    update_id: int
    chat_id: int | None
    payload: dict


@dataclass(frozen=True)
class SetAside:
    update_id: int
    payload: dict
    attempts: int
    received_at: datetime
    set_aside_at: datetime


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
    # A stored, unhandled update is "updated" to itself, so RETURNING names it; a handled or
    # set-aside one is left alone and not returned.
    rows = await tx.fetch_all(
        f"INSERT INTO inbox (update_id, chat_id, payload, received_at) VALUES {marks}"
        " ON CONFLICT (update_id) DO UPDATE SET update_id = excluded.update_id"
        " WHERE inbox.handled_at IS NULL AND inbox.set_aside_at IS NULL RETURNING update_id",
        params,
    )
    fresh = {row[0] for row in rows}
    return [item.update_id for item in received if item.update_id in fresh]


async def unhandled(db: Executor) -> list[Received]:
    """Stored but not handled (a crash interrupted them), nor set aside. In the order they
    arrived."""
    rows = await db.fetch_all(
        "SELECT update_id, chat_id, payload FROM inbox"
        " WHERE handled_at IS NULL AND set_aside_at IS NULL ORDER BY update_id"
    )
    return [Received(r["update_id"], r["chat_id"], json.loads(r["payload"])) for r in rows]


async def began(tx: Transaction, update_id: int) -> None:
    """Handling the update begins (once more): counted before, so that a start that dies in
    it has counted it."""
    await tx.execute("UPDATE inbox SET attempts = attempts + 1 WHERE update_id = ?", (update_id,))


async def set_aside_stuck(tx: Transaction, max_attempts: int) -> list[SetAside]:
    """At start: what `max_attempts` handlings began and none finished (each took the process
    down) is set aside, no longer replayed. Returns those set aside now, in order."""
    rows = await tx.fetch_all(
        "UPDATE inbox SET set_aside_at = ?"
        " WHERE handled_at IS NULL AND set_aside_at IS NULL AND attempts >= ?"
        " RETURNING update_id, payload, attempts, received_at, set_aside_at",
        (tx.stamp, max_attempts),
    )
    return sorted(map(_set_aside, rows), key=lambda a: a.update_id)


async def set_aside(db: Executor) -> list[SetAside]:
    rows = await db.fetch_all(
        "SELECT update_id, payload, attempts, received_at, set_aside_at FROM inbox"
        " WHERE set_aside_at IS NOT NULL AND handled_at IS NULL ORDER BY update_id"
    )
    return [_set_aside(row) for row in rows]


async def retry(tx: Transaction, update_ids: Sequence[int]) -> list[int]:
    """Set-aside updates go back to the queue, their count started afresh (the next start
    handles them); returns the ids that were set aside."""
    marks = ",".join("?" * len(update_ids))
    rows = await tx.fetch_all(
        f"UPDATE inbox SET set_aside_at = NULL, attempts = 0 WHERE update_id IN ({marks})"
        " AND set_aside_at IS NOT NULL AND handled_at IS NULL RETURNING update_id",
        list(update_ids),
    )
    return sorted(row[0] for row in rows)


def _set_aside(row) -> SetAside:
    return SetAside(
        row["update_id"],
        json.loads(row["payload"]),
        row["attempts"],
        from_db_time(row["received_at"]),
        from_db_time(row["set_aside_at"]),
    )


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
