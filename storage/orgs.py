"""Units and their projects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storage import audit
from storage.db import Executor, Transaction


@dataclass(frozen=True)
class Unit:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class Project:
    id: int
    unit_id: int
    code: str
    name: str


@dataclass(frozen=True)
class OrgRow:
    """One line of an import: a project of a unit, optionally with its group chat."""

    line: int
    unit_code: str
    unit_name: str
    project_code: str
    project_name: str
    chat_id: int | None = None


@dataclass(frozen=True)
class ImportCounts:
    units_added: int = 0
    units_renamed: int = 0
    projects_added: int = 0
    projects_renamed: int = 0
    chats_bound: int = 0

    @property
    def changed(self) -> bool:
        return any(vars(self).values())


def _unit(row) -> Unit:
    return Unit(id=row["id"], code=row["code"], name=row["name"])


def _project(row) -> Project:
    return Project(id=row["id"], unit_id=row["unit_id"], code=row["code"], name=row["name"])


async def unit(db: Executor, unit_id: int) -> Unit | None:
    row = await db.fetch_one("SELECT * FROM units WHERE id = ?", (unit_id,))
    return _unit(row) if row else None


async def units_by_ids(db: Executor, unit_ids: Sequence[int]) -> list[Unit]:
    """Those units, in code order."""
    rows = await _where_in(db, "SELECT * FROM units WHERE id", unit_ids)
    return sorted(map(_unit, rows), key=lambda unit: unit.code)


async def projects_by_ids(db: Executor, project_ids: Sequence[int]) -> list[Project]:
    """Those projects, in code order."""
    rows = await _where_in(db, "SELECT * FROM projects WHERE id", project_ids)
    return sorted(map(_project, rows), key=lambda project: project.code)


async def _where_in(db: Executor, select: str, values: Sequence) -> list:
    """`select` ending in a column, for every value: one query per 500 (well under SQLite's
    bound-parameter limit)."""
    rows: list = []
    for chunk in _chunks(values):
        rows += await db.fetch_all(f"{select} IN ({','.join('?' * len(chunk))})", chunk)
    return rows


async def unit_by_code(db: Executor, code: str) -> Unit | None:
    row = await db.fetch_one("SELECT * FROM units WHERE code = ?", (code,))
    return _unit(row) if row else None


async def units(db: Executor, *, offset: int = 0, limit: int = -1) -> list[Unit]:
    rows = await db.fetch_all("SELECT * FROM units ORDER BY code LIMIT ? OFFSET ?", (limit, offset))
    return [_unit(row) for row in rows]


async def unit_count(db: Executor) -> int:
    return await db.fetch_value("SELECT COUNT(*) FROM units")


async def project(db: Executor, project_id: int) -> Project | None:
    row = await db.fetch_one("SELECT * FROM projects WHERE id = ?", (project_id,))
    return _project(row) if row else None


async def project_by_code(db: Executor, code: str) -> Project | None:
    row = await db.fetch_one("SELECT * FROM projects WHERE code = ?", (code,))
    return _project(row) if row else None


async def projects_of(db: Executor, unit_id: int, *, offset: int = 0, limit: int = -1):
    rows = await db.fetch_all(
        "SELECT * FROM projects WHERE unit_id = ? ORDER BY code LIMIT ? OFFSET ?",
        (unit_id, limit, offset),
    )
    return [_project(row) for row in rows]


async def project_count(db: Executor, unit_id: int) -> int:
    return await db.fetch_value("SELECT COUNT(*) FROM projects WHERE unit_id = ?", (unit_id,))


async def unit_codes_of_projects(db: Executor, project_codes: Sequence[str]) -> dict[str, str]:
    """project code -> code of the unit it belongs to, for the codes already known."""
    rows = await _where_in(
        db,
        "SELECT p.code AS project, u.code AS unit FROM projects p"
        " JOIN units u ON u.id = p.unit_id WHERE p.code",
        project_codes,
    )
    return {row["project"]: row["unit"] for row in rows}


async def import_rows(tx: Transaction, rows: Sequence[OrgRow], actor_id: int | None):
    """Upsert units and projects (names updated, nothing deleted). Rows are pre-validated.
    Set-based: a few statements for the whole file, so the write lock is held briefly."""
    counts = dict.fromkeys(vars(ImportCounts()), 0)
    units = {row.unit_code: row.unit_name for row in rows}
    known_units = await _names_by_code(tx, "units", list(units))
    counts["units_added"] = await _upsert_named(
        tx, "units", [(code, name) for code, name in units.items()], known_units
    )
    counts["units_renamed"] = sum(
        1 for code, name in units.items() if code in known_units and known_units[code] != name
    )
    unit_ids = await _ids_by_code(tx, "units", list(units))
    known_projects = await _names_by_code(tx, "projects", [r.project_code for r in rows])
    await tx.execute_many(
        "INSERT INTO projects (unit_id, code, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (code) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at"
        " WHERE name != excluded.name",
        [
            (unit_ids[r.unit_code], r.project_code, r.project_name, tx.stamp, tx.stamp)
            for r in rows
            if known_projects.get(r.project_code) != r.project_name
        ],
    )
    counts["projects_added"] = sum(1 for r in rows if r.project_code not in known_projects)
    counts["projects_renamed"] = sum(
        1
        for r in rows
        if r.project_code in known_projects and known_projects[r.project_code] != r.project_name
    )
    project_ids = await _ids_by_code(tx, "projects", [r.project_code for r in rows])
    counts["chats_bound"] = await _bind_chats(
        tx,
        {r.chat_id: project_ids[r.project_code] for r in rows if r.chat_id is not None},
        actor_id,
    )
    result = ImportCounts(**counts)
    if result.changed:
        await audit.record(tx, actor_id, "orgs.import", "orgs", rows=len(rows), **counts)
    return result


def _chunks(values: Sequence, size: int = 500):
    # Well under SQLite's bound-parameter limit.
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


async def _names_by_code(tx: Transaction, table: str, codes: list[str]) -> dict[str, str]:
    rows = await _where_in(tx, f"SELECT code, name FROM {table} WHERE code", codes)
    return {row["code"]: row["name"] for row in rows}


async def _ids_by_code(tx: Transaction, table: str, codes: list[str]) -> dict[str, int]:
    rows = await _where_in(tx, f"SELECT code, id FROM {table} WHERE code", codes)
    return {row["code"]: row["id"] for row in rows}


async def _upsert_named(
    tx: Transaction, table: str, named: list[tuple[str, str]], known: dict[str, str]
) -> int:
    """Insert new (code, name) rows and rename changed ones; returns how many were new."""
    await tx.execute_many(
        f"INSERT INTO {table} (code, name, created_at, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (code) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at",
        [(code, name, tx.stamp, tx.stamp) for code, name in named if known.get(code) != name],
    )
    return sum(1 for code, _ in named if code not in known)


async def _bind_chats(tx: Transaction, chats: dict[int, int], actor_id: int | None) -> int:
    """Link each group chat to its project (the whole chat, not a topic); returns how many
    links changed."""
    rows = await _where_in(
        tx,
        "SELECT chat_id, project_id FROM chat_bindings WHERE thread_id = 0 AND chat_id",
        list(chats),
    )
    current = {row["chat_id"]: row["project_id"] for row in rows}
    changed = [(c, p) for c, p in chats.items() if c not in current or current[c] != p]
    await tx.execute_many(
        "INSERT INTO chat_bindings (chat_id, thread_id, project_id, bound_by, bound_at)"
        " VALUES (?, 0, ?, ?, ?) ON CONFLICT (chat_id, thread_id) DO UPDATE SET"
        " project_id = excluded.project_id, unit_id = NULL, bound_by = excluded.bound_by,"
        " bound_at = excluded.bound_at",
        [(chat_id, project_id, actor_id, tx.stamp) for chat_id, project_id in changed],
    )
    for chat_id, project_id in changed:
        await audit.record(
            tx, actor_id, "chat.bind", f"chat:{chat_id}:0", project_id=project_id, source="import"
        )
    return len(changed)
