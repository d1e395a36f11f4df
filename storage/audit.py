"""The audit log: every state change, who made it and which update caused it."""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.db import Executor, Transaction, from_db_time

# Set by the update processor, so every change made while handling an update records it.
current_update_id: ContextVar[int | None] = ContextVar("current_update_id", default=None)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor_id: int | None
    action: str
    subject: str
    detail: dict[str, Any]
    update_id: int | None


async def record(
    tx: Transaction, actor_id: int | None, action: str, subject: str, **detail: Any
) -> None:
    await tx.execute(
        "INSERT INTO audit_log (at, actor_id, action, subject, detail, update_id)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            tx.stamp,
            actor_id,
            action,
            subject,
            json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
            current_update_id.get(),
        ),
    )


async def entries(db: Executor, *, action: str | None = None, subject: str | None = None):
    where, params = [], []
    if action is not None:
        where.append("action = ?")
        params.append(action)
    if subject is not None:
        where.append("subject = ?")
        params.append(subject)
    sql = "SELECT * FROM audit_log"
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows = await db.fetch_all(sql + " ORDER BY id", params)
    return [
        AuditEntry(
            id=row["id"],
            at=from_db_time(row["at"]),
            actor_id=row["actor_id"],
            action=row["action"],
            subject=row["subject"],
            detail=json.loads(row["detail"]),
            update_id=row["update_id"],
        )
        for row in rows
    ]
