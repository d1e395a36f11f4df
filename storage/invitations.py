"""One-time invitation links that grant a role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage import audit, orgs, roles
from storage.db import Executor, Transaction, from_db_time, to_db_time
from storage.roles import RoleGrant


@dataclass(frozen=True)
class Invitation:
    id: int
    code: str
    role: str
    unit_id: int | None
    project_id: int | None
    created_by: int
    created_at: datetime
    expires_at: datetime
    used_by: int | None
    used_at: datetime | None
    used_in_update: int | None
    revoked_at: datetime | None
    origin: str = ""  # where it was made: a message (a double tap reuses it), or a join tap
    max_uses: int = 1  # more than one: a branch link that many members may open
    uses: int = 0


def _invitation(row) -> Invitation:
    return Invitation(
        id=row["id"],
        code=row["code"],
        role=row["role"],
        unit_id=row["unit_id"],
        project_id=row["project_id"],
        created_by=row["created_by"],
        created_at=from_db_time(row["created_at"]),
        expires_at=from_db_time(row["expires_at"]),
        used_by=row["used_by"],
        used_at=from_db_time(row["used_at"]),
        used_in_update=row["used_in_update"],
        revoked_at=from_db_time(row["revoked_at"]),
        origin=row["origin"],
        max_uses=row["max_uses"],
        uses=row["uses"],
    )


async def open_or_create(
    tx: Transaction,
    code: str,
    role: str,
    *,
    unit_id: int | None,
    project_id: int | None,
    created_by: int,
    expires_at: datetime,
    origin: str,
) -> Invitation:
    """A new invitation, or the still-open one made from the same origin for the same role
    (a double tap, or a redelivered update, must not leave a second live link behind)."""
    row = await tx.fetch_one(
        "SELECT * FROM invitations WHERE origin = ? AND origin != '' AND role = ?"
        " AND IFNULL(unit_id, 0) = ? AND IFNULL(project_id, 0) = ? AND used_by IS NULL"
        " AND revoked_at IS NULL AND expires_at > ?",
        (origin, role, unit_id or 0, project_id or 0, tx.stamp),
    )
    if row is not None:
        return _invitation(row)
    invitation_id = await tx.insert(
        "INSERT INTO invitations (code, role, unit_id, project_id, created_by, created_at,"
        " expires_at, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            code,
            role,
            unit_id,
            project_id,
            created_by,
            tx.stamp,
            to_db_time(expires_at),
            origin,
        ),
    )
    await audit.record(
        tx,
        created_by,
        "invitation.create",
        f"invitation:{invitation_id}",
        role=role,
        unit_id=unit_id,
        project_id=project_id,
    )
    return await by_code(tx, code)


async def by_code(db: Executor, code: str) -> Invitation | None:
    row = await db.fetch_one("SELECT * FROM invitations WHERE code = ?", (code,))
    return _invitation(row) if row else None


async def by_id(db: Executor, invitation_id: int) -> Invitation | None:
    row = await db.fetch_one("SELECT * FROM invitations WHERE id = ?", (invitation_id,))
    return _invitation(row) if row else None


async def redeem(tx: Transaction, invitation: Invitation, user_id: int) -> None:
    """Mark used and grant the role, in the caller's transaction. A branch link counts one
    more use for each new member (a redelivered update adds no second)."""
    if invitation.max_uses > 1:
        granted = await roles.grant(
            tx,
            user_id,
            invitation.role,
            project_id=invitation.project_id,
            granted_by=invitation.created_by,
        )
        if granted:
            await tx.execute(
                "UPDATE invitations SET uses = uses + 1 WHERE id = ? AND uses < max_uses",
                (invitation.id,),
            )
            await audit.record(tx, user_id, "invitation.redeem", f"invitation:{invitation.id}")
        return
    await tx.execute(
        "UPDATE invitations SET used_by = ?, used_at = ?, used_in_update = ?"
        " WHERE id = ? AND used_by IS NULL",
        (user_id, tx.stamp, audit.current_update_id.get(), invitation.id),
    )
    await audit.record(tx, user_id, "invitation.redeem", f"invitation:{invitation.id}")
    await roles.grant(
        tx,
        user_id,
        invitation.role,
        unit_id=invitation.unit_id if invitation.role == "secretary" else None,
        project_id=invitation.project_id,
        granted_by=invitation.created_by,
    )


async def revoke(tx: Transaction, invitation: Invitation, by: int) -> bool:
    changed = await tx.execute(
        "UPDATE invitations SET revoked_at = ? WHERE id = ? AND used_by IS NULL"
        " AND revoked_at IS NULL",
        (tx.stamp, invitation.id),
    )
    if changed:
        await audit.record(tx, by, "invitation.revoke", f"invitation:{invitation.id}")
    return bool(changed)


async def revoke_setup_links(tx: Transaction) -> int:
    """The first-admin links still open are withdrawn (there is an admin now)."""
    changed = await tx.execute(
        "UPDATE invitations SET revoked_at = ? WHERE origin = 'setup' AND used_by IS NULL"
        " AND revoked_at IS NULL",
        (tx.stamp,),
    )
    if changed:
        await audit.record(tx, 0, "invitation.revoke", "invitation:setup", count=changed)
    return changed


async def described_grant(db: Executor, invitation: Invitation, user_id: int) -> RoleGrant:
    """The role an invitation gives, with its unit and project names for display."""
    project = await orgs.project(db, invitation.project_id) if invitation.project_id else None
    unit_id = project.unit_id if project else invitation.unit_id
    unit = await orgs.unit(db, unit_id) if unit_id else None
    return RoleGrant(
        user_id,
        invitation.role,
        unit_id,
        invitation.project_id,
        unit.name if unit else None,
        project.name if project else None,
    )


async def open_ones_by(db: Executor, user_id: int, now: datetime) -> list[Invitation]:
    """Links this person made that still work: unused, not withdrawn, not expired."""
    rows = await db.fetch_all(
        "SELECT * FROM invitations WHERE created_by = ? AND used_by IS NULL"
        " AND revoked_at IS NULL AND expires_at > ? ORDER BY id",
        (user_id, to_db_time(now)),
    )
    return [_invitation(row) for row in rows]


async def make_branch_link(tx: Transaction, invitation: Invitation, max_uses: int) -> bool:
    """An unused member invitation becomes a link for up to `max_uses` members."""
    changed = await tx.execute(
        "UPDATE invitations SET max_uses = ? WHERE id = ? AND role = 'member'"
        " AND used_by IS NULL AND revoked_at IS NULL",
        (max_uses, invitation.id),
    )
    return bool(changed)


async def open_join_link_for(db: Executor, user_id: int, now: datetime) -> Invitation | None:
    """The newest join link the bot made for this person (a tap on a group's join button)
    that still works: they left the private chat without opening it."""
    row = await db.fetch_one(
        "SELECT * FROM invitations WHERE origin LIKE 'join:%' AND origin LIKE ?"
        " AND used_by IS NULL AND revoked_at IS NULL AND expires_at > ?"
        " ORDER BY id DESC LIMIT 1",
        (f"%:{user_id}", to_db_time(now)),
    )
    return _invitation(row) if row else None
