"""/invite: pick a role, then a unit or project, get a one-time deep link.

    /invite ──▶ role ──(secretary)──▶ unit ─────────────▶ link
                  │  (lead, member)──▶ unit ──▶ project ──▶ link
                  └─(admin, reviewer)─────────────────────▶ link
Also typed: `/invite lead P-001`, `/invite secretary U-01`, `/invite reviewer`.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler

from bot import invites
from bot.access import Actor
from bot.core import Ctx
from handlers import guards, ui
from handlers.callbacks import Buttons
from storage import invitations, orgs
from storage.invitations import Invitation

# The role being invited comes first where there is one.
BUTTONS = Buttons(
    "iv",
    command="invite",
    role=("r", (str,)),
    units=("u", (str, int)),  # a page of units
    unit=("U", (str, int)),
    projects=("p", (str, int, int)),  # a unit's page of projects
    project=("P", (str, int)),
    revoke=("x", (int,)),  # an invitation
    branch=("b", (int,)),  # a member invitation: make it a link for the whole branch
)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("invite", invite))
    app.add_handler(guards.tapped(BUTTONS))


@guards.person()
async def invite(update: Update, ctx: Ctx) -> None:
    if update.effective_chat.type != ChatType.PRIVATE:
        await ui.reply(update, ctx, "invite/in_private", bot_username=ctx.core.bot_username)
        return
    roles = invites.invitable_roles(ctx.actor)
    if not roles:
        await ui.reply(update, ctx, "invite/not_allowed")
        return
    if ctx.args:
        await _typed(update, ctx, ctx.args)
        return
    buttons = [
        [(ctx.msgs.label(ctx.locale, f"role_{role}"), BUTTONS.data("role", role))] for role in roles
    ]
    await ui.reply(update, ctx, "invite/choose_role", markup=ui.keyboard(buttons))


async def _typed(update: Update, ctx: Ctx, args: list[str]) -> None:
    role, code = args[0].lower(), (args[1] if len(args) > 1 else "")
    target = await _resolve(ctx, role, code)
    if target is None:
        await ui.reply(update, ctx, "invite/usage", roles=invites.invitable_roles(ctx.actor))
        return
    unit_id, project_id = target
    if not invites.may_invite(ctx.actor, role, unit_id, project_id):
        await ui.reply(update, ctx, "invite/not_allowed")
        return
    markup, context = await _create(ctx, update, role, unit_id, project_id)
    await ui.reply(update, ctx, "invite/created", markup, **context)


async def _resolve(ctx: Ctx, role: str, code: str) -> tuple[int | None, int | None] | None:
    """(unit_id, project_id) a typed invitation is for; None if the role or code is unknown."""
    scope = invites.SCOPE.get(role, "unknown")
    if scope is None:
        return None, None
    if scope == "unit":
        unit = await orgs.unit_by_code(ctx.db, code)
        return (unit.id, None) if unit else None
    if scope == "project":
        project = await orgs.project_by_code(ctx.db, code)
        return (project.unit_id, project.id) if project else None
    return None


async def _role(ctx: Ctx, role: str) -> str | None:
    """A role a button names: one that can be invited to, or the button is out of date."""
    return role if role in invites.SCOPE else None


_ROLE = guards.on_object(_role)


@BUTTONS.on("role")
@_ROLE
async def _role_chosen(update: Update, ctx: Ctx, role: str) -> None:
    if role not in invites.invitable_roles(ctx.actor):
        await ui.not_allowed(update.callback_query, ctx)
        return
    if invites.SCOPE[role] is None:
        await _finish(update, ctx, role, None, None)
    else:
        await _unit_page(update, ctx, role, 0)


@BUTTONS.on("units")
@_ROLE
async def _unit_page(update: Update, ctx: Ctx, role: str, page: int) -> None:
    query = update.callback_query
    if ctx.actor.is_admin:
        units = await orgs.units(ctx.db)
    else:
        led = {grant.unit_id for grant in ctx.actor.grants if grant.role == "lead"}
        allowed = ctx.actor.secretary_units() | led
        units = [u for u in await orgs.units(ctx.db) if u.id in allowed]
    if not units:
        await ui.show(query, ctx, "invite/no_units")
        return
    if len(units) == 1 and not ctx.actor.is_admin:
        await _unit_chosen(update, ctx, role, units[0].id)
        return
    items = ui.choices(ctx, units, lambda id_: BUTTONS.data("unit", role, id_))
    rows, shown, pages = ui.paged(ctx, items, page, lambda to: BUTTONS.data("units", role, to))
    await ui.show(
        query, ctx, "invite/choose_unit", ui.keyboard(rows), role=role, page=shown, pages=pages
    )


@BUTTONS.on("unit")
@_ROLE
async def _unit_chosen(update: Update, ctx: Ctx, role: str, unit_id: int) -> None:
    if invites.SCOPE[role] == "unit":
        await _finish(update, ctx, role, unit_id, None)
    else:
        await _project_page(update, ctx, role, unit_id, 0)


@BUTTONS.on("projects")
@_ROLE
async def _project_page(update: Update, ctx: Ctx, role: str, unit_id: int, page: int) -> None:
    query = update.callback_query
    unit = await orgs.unit(ctx.db, unit_id)
    if unit is None:
        await ui.stale(query, ctx)
        return
    projects = [
        p
        for p in await orgs.projects_of(ctx.db, unit_id)
        if invites.may_invite(ctx.actor, role, unit_id, p.id)
    ]
    if not projects:
        await ui.not_allowed(query, ctx)
        return
    items = ui.choices(ctx, projects, lambda id_: BUTTONS.data("project", role, id_))
    rows, shown, pages = ui.paged(
        ctx, items, page, lambda to: BUTTONS.data("projects", role, unit_id, to)
    )
    await ui.show(
        query,
        ctx,
        "invite/choose_project",
        ui.keyboard(rows),
        role=role,
        unit_name=unit.name,
        page=shown,
        pages=pages,
    )


@BUTTONS.on("project")
@_ROLE
async def _project_chosen(update: Update, ctx: Ctx, role: str, project_id: int) -> None:
    project = await orgs.project(ctx.db, project_id)
    if project is None:
        await ui.stale(update.callback_query, ctx)
        return
    await _finish(update, ctx, role, project.unit_id, project.id)


async def _finish(
    update: Update, ctx: Ctx, role: str, unit_id: int | None, project_id: int | None
) -> None:
    query = update.callback_query
    if invites.SCOPE[role] == "unit" and await orgs.unit(ctx.db, unit_id) is None:
        await ui.stale(query, ctx)
        return
    # Checked again here: the buttons may be forged or older than a change of roles.
    if not invites.may_invite(ctx.actor, role, unit_id, project_id):
        await ui.not_allowed(query, ctx)
        return
    markup, context = await _create(ctx, update, role, unit_id, project_id)
    await ui.show(query, ctx, "invite/created", markup, **context)


async def _create(
    ctx: Ctx, update: Update, role: str, unit_id: int | None, project_id: int | None
) -> tuple[InlineKeyboardMarkup, dict]:
    """A new invitation: its Revoke button, and what the "created" message shows."""
    # The message the request came from (the menu tapped, or the command typed).
    origin = update.effective_message
    async with ctx.write() as tx:
        invitation = await invitations.open_or_create(
            tx,
            invites.new_code(),
            role,
            unit_id=unit_id if invites.SCOPE[role] == "unit" else None,
            project_id=project_id,
            created_by=ctx.actor.user_id,
            expires_at=ctx.now + invites.INVITATION_TTL,
            origin=f"{origin.chat_id}:{origin.message_id}",
        )
    rows = [_revoke_row(ctx, invitation)]
    if role == "member":  # one link for a whole branch, instead of one per person
        label = ctx.msgs.label(ctx.locale, "branch_link", count=invites.BRANCH_LINK_USES)
        rows.insert(0, [(label, BUTTONS.data("branch", invitation.id))])
    revoke = ui.keyboard(rows)
    return revoke, {
        "grant": await invitations.described_grant(ctx.db, invitation, 0),
        "expires_at": invitation.expires_at,
        "link": invites.deep_link(ctx.core.bot_username, invitation.code),
    }


def may_manage(actor: Actor, invitation: Invitation) -> bool:
    """An invitation is its maker's (or an admin's) to widen or withdraw."""
    return invitation.created_by == actor.user_id or actor.is_admin


_OWN = guards.on_object(guards.row(invitations.by_id), may_manage)


@BUTTONS.on("branch")
@_OWN
async def _branch(update: Update, ctx: Ctx, invitation: Invitation) -> None:
    """The member link becomes one for the whole branch: up to BRANCH_LINK_USES members,
    until it expires or is withdrawn."""
    query = update.callback_query
    async with ctx.write() as tx:
        made = await invitations.make_branch_link(tx, invitation, invites.BRANCH_LINK_USES)
    if not made:
        await ui.alert(query, ctx, "invite/not_revocable")
        return
    await ui.show(
        query,
        ctx,
        "invite/branch_link",
        ui.keyboard([_revoke_row(ctx, invitation)]),
        grant=await invitations.described_grant(ctx.db, invitation, 0),
        expires_at=invitation.expires_at,
        count=invites.BRANCH_LINK_USES,
        link=invites.deep_link(ctx.core.bot_username, invitation.code),
    )


def _revoke_row(ctx: Ctx, invitation: Invitation) -> list[ui.Button]:
    return [(ctx.msgs.label(ctx.locale, "revoke"), BUTTONS.data("revoke", invitation.id))]


@BUTTONS.on("revoke")
@_OWN
async def _revoke(update: Update, ctx: Ctx, invitation: Invitation) -> None:
    query = update.callback_query
    async with ctx.write() as tx:
        done = await invitations.revoke(tx, invitation, ctx.actor.user_id)
    grant = await invitations.described_grant(ctx.db, invitation, 0)
    await ui.show(
        query, ctx, "invite/revoked_done" if done else "invite/not_revocable", grant=grant
    )
