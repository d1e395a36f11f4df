"""Who sent an update: the person, their roles and where they are in a flow. Every update
reads this, so it is one statement (one trip to the database thread), not three."""

from __future__ import annotations

import json
from dataclasses import dataclass

from storage import people, roles
from storage.db import Executor, from_db_time
from storage.flows import Position
from storage.people import Person
from storage.roles import RoleGrant


@dataclass(frozen=True)
class Visitor:
    person: Person
    grants: tuple[RoleGrant, ...]
    flow: Position | None


async def get(db: Executor, user_id: int) -> Visitor | None:
    """None for someone never seen before."""
    rows = await db.fetch_all(
        "SELECT p.*, f.flow AS f_flow, f.step AS f_step, f.data AS f_data,"
        " f.updated_at AS f_updated_at, g.grant_id, g.role, g.unit_id, g.project_id, g.unit_name,"
        " g.project_name FROM people p"
        " LEFT JOIN flows f ON f.user_id = p.user_id"
        f" LEFT JOIN ({roles.GRANTS}) g ON g.user_id = p.user_id"
        " WHERE p.user_id = ? ORDER BY g.role, g.unit_code, g.project_code",
        (user_id,),
    )
    if not rows:
        return None
    first = rows[0]
    flow = None
    if first["f_flow"] is not None:
        flow = Position(
            user_id,
            first["f_flow"],
            first["f_step"],
            json.loads(first["f_data"]),
            from_db_time(first["f_updated_at"]),
        )
    grants = tuple(roles.grant_of(row) for row in rows if row["role"] is not None)
    return Visitor(people.person_of(first), grants, flow)
