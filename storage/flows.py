"""Where each person is in a multi-step flow; one flow at a time per person."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.db import Executor, Transaction, from_db_time


@dataclass(frozen=True)
class Position:
    """Where one person is: in which flow, at which step, with what the flow keeps."""

    user_id: int
    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None  # when the step was entered


async def current(db: Executor, user_id: int) -> Position | None:
    row = await db.fetch_one("SELECT * FROM flows WHERE user_id = ?", (user_id,))
    return _flow(row) if row else None


def _flow(row) -> Position:
    return Position(
        row["user_id"],
        row["flow"],
        row["step"],
        json.loads(row["data"]),
        from_db_time(row["updated_at"]),
    )


async def begin(tx: Transaction, user_id: int, flow: str, step: str = "", **data: Any) -> None:
    await tx.execute(
        "INSERT INTO flows (user_id, flow, step, data, updated_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET flow = excluded.flow, step = excluded.step,"
        " data = excluded.data, updated_at = excluded.updated_at",
        (user_id, flow, step, json.dumps(data, ensure_ascii=False), tx.stamp),
    )


async def end(tx: Transaction, user_id: int) -> Position | None:
    """End whatever flow the person was in; returns it (None if there was none)."""
    row = await tx.fetch_one("DELETE FROM flows WHERE user_id = ? RETURNING *", (user_id,))
    return _flow(row) if row else None


async def note(tx: Transaction, user_id: int, **changes: Any) -> None:
    """Add to the data of the person's flow, whatever step it is at (nothing if none)."""
    await tx.execute(
        "UPDATE flows SET data = json_patch(data, ?) WHERE user_id = ?",
        (json.dumps(changes, ensure_ascii=False), user_id),
    )


async def go(tx: Transaction, user_id: int, step: str) -> None:
    """Move the person to another step of the flow they are in, keeping its data."""
    await tx.execute(
        "UPDATE flows SET step = ?, updated_at = ? WHERE user_id = ?", (step, tx.stamp, user_id)
    )
