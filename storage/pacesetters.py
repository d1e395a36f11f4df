"""Stage 3's outcome: which candidates the admins selected as pacesetters, who made each
selection (a round) and when, what each candidate's people and groups were last told, and the
proposal an admin is still putting together on /select. Each round's before and after is in
the audit log (action "pacesetters.select"); `history` reads them back. Stage 4 reads
`current`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from storage import audit
from storage.db import Executor, Transaction, from_db_time

ACTION = "pacesetters.select"
_PRESENT = "('member', 'administrator')"


@dataclass(frozen=True)
class Round:
    id: int
    made_by: int
    made_at: datetime


@dataclass(frozen=True)
class Change:
    """One round as the audit log has it: who, when, the selection before and after."""

    round_id: int
    by: int | None
    at: datetime
    before: frozenset[int]
    after: frozenset[int]


@dataclass(frozen=True)
class Audience:
    """Who hears of a candidate's outcome: its leads and its unit's secretaries (user id,
    project id), and the bound chats the bot is in of the project or its unit (chat, topic,
    project id)."""

    people: tuple[tuple[int, int], ...]
    chats: tuple[tuple[int, int, int], ...]


async def current(db: Executor) -> set[int]:
    """The project ids selected as pacesetters now (empty before any selection)."""
    return {row[0] for row in await db.fetch_all("SELECT project_id FROM pacesetters")}


async def last_round(db: Executor) -> Round | None:
    row = await db.fetch_one("SELECT * FROM pacesetter_rounds ORDER BY id DESC LIMIT 1")
    if row is None:
        return None
    return Round(row["id"], row["made_by"], from_db_time(row["made_at"]))


async def told(db: Executor) -> dict[int, bool]:
    """What each candidate's people and groups were last told: selected or not."""
    rows = await db.fetch_all("SELECT project_id, selected FROM pacesetter_told")
    return {row["project_id"]: bool(row["selected"]) for row in rows}


async def select(tx: Transaction, chosen: Iterable[int], *, by: int) -> Round:
    """Record a new selection as the current one, audited with its before and after."""
    after = sorted(set(chosen))
    before = sorted(await current(tx))
    round_id = await tx.insert(
        "INSERT INTO pacesetter_rounds (made_by, made_at) VALUES (?, ?)", (by, tx.stamp)
    )
    await tx.execute("DELETE FROM pacesetters")
    await tx.execute_many(
        "INSERT INTO pacesetters (project_id, round_id) VALUES (?, ?)",
        [(project_id, round_id) for project_id in after],
    )
    await audit.record(tx, by, ACTION, f"round:{round_id}", before=before, after=after)
    return Round(round_id, by, tx.now)


async def mark_told(tx: Transaction, round_id: int, outcomes: Mapping[int, bool]) -> None:
    """These candidates' people and groups were told these outcomes in this round."""
    await tx.execute_many(
        "INSERT INTO pacesetter_told (project_id, selected, round_id) VALUES (?, ?, ?)"
        " ON CONFLICT (project_id) DO UPDATE SET selected = excluded.selected,"
        " round_id = excluded.round_id",
        [(project_id, int(selected), round_id) for project_id, selected in outcomes.items()],
    )


async def history(db: Executor) -> list[Change]:
    """Every round, oldest first."""
    return [
        Change(
            int(entry.subject.split(":")[1]),
            entry.actor_id,
            entry.at,
            frozenset(entry.detail["before"]),
            frozenset(entry.detail["after"]),
        )
        for entry in await audit.entries(db, action=ACTION)
    ]


async def draft(db: Executor, admin_id: int) -> frozenset[int] | None:
    """The admin's proposal on /select, if they have one."""
    text = await db.fetch_value(
        "SELECT project_ids FROM pacesetter_drafts WHERE admin_id = ?", (admin_id,)
    )
    return None if text is None else frozenset(json.loads(text))


async def save_draft(tx: Transaction, admin_id: int, project_ids: Iterable[int]) -> None:
    await tx.execute(
        "INSERT INTO pacesetter_drafts (admin_id, project_ids, saved_at) VALUES (?, ?, ?)"
        " ON CONFLICT (admin_id) DO UPDATE SET project_ids = excluded.project_ids,"
        " saved_at = excluded.saved_at",
        (admin_id, json.dumps(sorted(set(project_ids))), tx.stamp),
    )


async def audience(db: Executor, project_ids: Iterable[int]) -> Audience:
    """Who hears of these candidates' outcomes: two set-based reads, however many."""
    ids = sorted(set(project_ids))
    if not ids:
        return Audience((), ())
    marks = ",".join("?" * len(ids))
    people = await db.fetch_all(
        "SELECT DISTINCT r.user_id, p.id AS project_id FROM projects p JOIN roles r"
        " ON (r.role = 'lead' AND r.project_id = p.id)"
        " OR (r.role = 'secretary' AND r.unit_id = p.unit_id)"
        f" WHERE p.id IN ({marks}) ORDER BY r.user_id, p.id",
        ids,
    )
    chats = await db.fetch_all(
        "SELECT DISTINCT b.chat_id, b.thread_id, p.id AS project_id FROM projects p"
        " JOIN chat_bindings b ON b.project_id = p.id OR b.unit_id = p.unit_id"
        f" JOIN chats c ON c.chat_id = b.chat_id AND c.bot_status IN {_PRESENT}"
        f" WHERE p.id IN ({marks}) ORDER BY b.chat_id, b.thread_id, p.id",
        ids,
    )
    return Audience(
        tuple((row["user_id"], row["project_id"]) for row in people),
        tuple((row["chat_id"], row["thread_id"], row["project_id"]) for row in chats),
    )
