"""Who holds which role, scoped to a unit or a project."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storage import audit
from storage.db import Executor, Transaction

ROLES = ("admin", "secretary", "lead", "member", "reviewer")  # the one list, in this order
BELOW_ADMIN = ROLES[1:]  # the roles the organiser gives within the organisation


@dataclass(frozen=True)
class RoleGrant:
    user_id: int
    role: str
    unit_id: int | None  # the unit of a secretary, or the unit of a lead's/member's project
    project_id: int | None
    unit_name: str | None
    project_name: str | None
    grant_id: int | None = None  # the row, for a button that removes it


GRANTS = (  # storage/visitors.py reads it as a subquery too
    "SELECT r.id AS grant_id, r.user_id, r.role, r.project_id,"
    " COALESCE(r.unit_id, p.unit_id) AS unit_id,"
    " u.name AS unit_name, p.name AS project_name, u.code AS unit_code, p.code AS project_code"
    " FROM roles r"
    " LEFT JOIN projects p ON p.id = r.project_id"
    " LEFT JOIN units u ON u.id = COALESCE(r.unit_id, p.unit_id)"
)


def grant_of(row) -> RoleGrant:
    return RoleGrant(
        user_id=row["user_id"],
        role=row["role"],
        unit_id=row["unit_id"],
        project_id=row["project_id"],
        unit_name=row["unit_name"],
        project_name=row["project_name"],
        grant_id=row["grant_id"],
    )


async def of_user(db: Executor, user_id: int) -> list[RoleGrant]:
    rows = await db.fetch_all(
        GRANTS + " WHERE r.user_id = ? ORDER BY r.role, u.code, p.code", (user_id,)
    )
    return [grant_of(row) for row in rows]


async def of_users(db: Executor, user_ids: Sequence[int]) -> dict[int, list[RoleGrant]]:
    """Everyone's grants in one query per 500 people."""
    found: dict[int, list[RoleGrant]] = {user_id: [] for user_id in user_ids}
    for start in range(0, len(user_ids), 500):
        chunk = list(user_ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        rows = await db.fetch_all(
            GRANTS + f" WHERE r.user_id IN ({marks}) ORDER BY r.user_id, r.role, u.code, p.code",
            chunk,
        )
        for row in rows:
            found[row["user_id"]].append(grant_of(row))
    return found


async def holders(
    db: Executor, role: str, *, unit_id: int | None = None, project_id: int | None = None
) -> list[RoleGrant]:
    sql, params = GRANTS + " WHERE r.role = ?", [role]
    if unit_id is not None:
        sql += " AND COALESCE(r.unit_id, p.unit_id) = ?"
        params.append(unit_id)
    if project_id is not None:
        sql += " AND r.project_id = ?"
        params.append(project_id)
    rows = await db.fetch_all(sql + " ORDER BY r.user_id", params)
    return [grant_of(row) for row in rows]


async def grant(
    tx: Transaction,
    user_id: int,
    role: str,
    *,
    unit_id: int | None = None,
    project_id: int | None = None,
    granted_by: int | None = None,
) -> bool:
    """Grant a role; False when the person already held it."""
    added = await tx.execute(
        "INSERT OR IGNORE INTO roles (user_id, role, unit_id, project_id, granted_by, granted_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (user_id, role, unit_id, project_id, granted_by, tx.stamp),
    )
    if added:
        await audit.record(
            tx,
            granted_by,
            "role.grant",
            f"person:{user_id}",
            role=role,
            unit_id=unit_id,
            project_id=project_id,
        )
    return bool(added)


async def revoke(
    tx: Transaction,
    user_id: int,
    role: str,
    *,
    unit_id: int | None = None,
    project_id: int | None = None,
    revoked_by: int | None = None,
) -> bool:
    removed = await tx.execute(
        "DELETE FROM roles WHERE user_id = ? AND role = ? AND IFNULL(unit_id, 0) = ?"
        " AND IFNULL(project_id, 0) = ?",
        (user_id, role, unit_id or 0, project_id or 0),
    )
    if removed:
        await audit.record(
            tx,
            revoked_by,
            "role.revoke",
            f"person:{user_id}",
            role=role,
            unit_id=unit_id,
            project_id=project_id,
        )
    return bool(removed)


async def holder_ids(db: Executor, roles: Sequence[str]) -> set[int]:
    """Everyone holding any of these roles, in one query."""
    marks = ",".join("?" * len(roles))
    rows = await db.fetch_all(f"SELECT DISTINCT user_id FROM roles WHERE role IN ({marks})", roles)
    return {row[0] for row in rows}


async def by_id(db: Executor, grant_id: int) -> RoleGrant | None:
    rows = await db.fetch_all(GRANTS + " WHERE r.id = ?", (grant_id,))
    return grant_of(rows[0]) if rows else None


async def in_unit(db: Executor, unit_id: int) -> list[RoleGrant]:
    """The unit's secretaries and its projects' leads and members, in one query."""
    rows = await db.fetch_all(
        GRANTS + " WHERE COALESCE(r.unit_id, p.unit_id) = ?"
        " ORDER BY r.role = 'member', r.role = 'lead', p.code, r.user_id",
        (unit_id,),
    )
    return [grant_of(row) for row in rows]


async def campaign_wide(db: Executor) -> list[RoleGrant]:
    """Admins and reviewers: roles that belong to no unit."""
    rows = await db.fetch_all(
        GRANTS + " WHERE r.role IN ('admin', 'reviewer') ORDER BY r.role, r.user_id"
    )
    return [grant_of(row) for row in rows]
