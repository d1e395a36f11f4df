"""Invitation rules: who may invite whom, and what opening a link means."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from enum import Enum

from bot.access import Actor
from storage import roles
from storage.invitations import Invitation
from storage.roles import RoleGrant

INVITATION_TTL = timedelta(days=7)
PAYLOAD_PREFIX = "inv_"
SETUP_ORIGIN = "setup"  # the first-admin link printed at start while there is no admin
_PAYLOAD = re.compile(r"^inv_([A-Za-z0-9_-]{16})$")
# Role -> what it is scoped to.
SCOPE = {
    "admin": None,
    "reviewer": None,
    "secretary": "unit",
    "lead": "project",
    "member": "project",
}


class Redeem(Enum):
    OK = "ok"
    ALREADY_YOURS = "already_yours"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"


def new_code() -> str:
    return secrets.token_urlsafe(12)  # 16 characters of A-Za-z0-9_-


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={PAYLOAD_PREFIX}{code}"


def code_from_payload(payload: str) -> str | None:
    match = _PAYLOAD.match(payload)
    return match.group(1) if match else None


def invitable_roles(actor: Actor) -> list[str]:
    if actor.is_admin:
        return [*roles.BELOW_ADMIN, "admin"]
    if actor.secretary_units():
        return ["lead", "member"]  # secretaries and admins are the organiser's to appoint
    if actor.projects("lead"):
        return ["member"]
    return []


def may_invite(actor: Actor, role: str, unit_id: int | None, project_id: int | None) -> bool:
    """unit_id is the unit of the target (for a project role: the project's unit)."""
    if role not in invitable_roles(actor):
        return False
    if actor.is_admin:
        return True
    if role == "member" and project_id is not None and actor.is_lead_of(project_id):
        return True
    return unit_id is not None and actor.is_secretary_of(unit_id)


BRANCH_LINK_USES = 50  # a branch link lets this many members in, then stops


def outcome(invitation: Invitation, user_id: int, now: datetime) -> Redeem:
    if invitation.max_uses > 1:  # a branch link: open to many, until full, withdrawn or old
        if invitation.revoked_at is not None:
            return Redeem.REVOKED
        if now >= invitation.expires_at:
            return Redeem.EXPIRED
        return Redeem.USED if invitation.uses >= invitation.max_uses else Redeem.OK
    if invitation.used_by is not None:
        return Redeem.ALREADY_YOURS if invitation.used_by == user_id else Redeem.USED
    if invitation.revoked_at is not None:
        return Redeem.REVOKED
    if now >= invitation.expires_at:
        return Redeem.EXPIRED
    return Redeem.OK


def still_allowed(
    invitation: Invitation, issuer: Actor | None, unit_id: int | None, *, admins_exist: bool
) -> bool:
    """Whether what allowed an invitation still holds when it is opened: its issuer may
    still invite to that role and place (`unit_id`: the unit, or the project's); the
    first-admin link, while there is no admin; a join link, made by the bot for one member
    of a group (the tap checked the group)."""
    if invitation.origin == SETUP_ORIGIN:
        return not admins_exist
    if made_for(invitation) is not None:
        return True
    return issuer is not None and may_invite(
        issuer, invitation.role, unit_id, invitation.project_id
    )


def may_remove(actor: Actor, grant: RoleGrant) -> bool:
    """Admins remove any role but their own; a secretary, the leads and members of their
    unit's projects. Nobody else removes anyone."""
    if grant.user_id == actor.user_id:
        return False
    if actor.is_admin:
        return True
    return grant.role in ("lead", "member") and actor.is_secretary_of(grant.unit_id or 0)


def join_origin(chat_id: int, user_id: int) -> str:
    """Where a join link was made (a tap in a group) and for whom: only they may use it."""
    return f"join:{chat_id}:{user_id}"


def made_for(invitation: Invitation) -> int | None:
    """The one person a join link is for; None for an ordinary invitation (anyone it was
    forwarded to may open it)."""
    if not invitation.origin.startswith("join:"):
        return None
    return int(invitation.origin.rsplit(":", 1)[1])
