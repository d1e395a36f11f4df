"""/people: an admin (any unit) or a secretary (their own) sees who holds which role and
removes one, after a confirmation, or marks someone away on leave.

    /people ─▶ (unit? · admins and reviewers) ─▶ people ─▶ "Remove X's role?" ─▶ removed
                                                                 └─ 🏖 7 · 14 · 30 days, or back
The person is told through the outbox, their command menu follows at once, and the links they
made that their remaining roles no longer allow stop working. Someone marked on leave gets no
private reminders and is not named as missing in their groups, as with their own /leave.
"""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from bot import invites, notices
from bot.access import Actor, load_actor
from bot.core import Ctx
from bot.rules import LEAVE_PRESETS, end_of_leave
from handlers import guards, ui
from handlers.callbacks import Buttons
from storage import invitations, orgs, people, roles
from storage.outbox import Cause
from storage.roles import RoleGrant

WIDE = 0  # the "unit" of admins and reviewers, on the wire
BUTTONS = Buttons(
    "pp",
    command="people",
    units=("s", (int,)),  # a page of units (admins)
    unit=("u", (int, int)),  # a unit (or WIDE) and a page of its people
    ask=("a", (int,)),  # a role grant: remove it?
    remove=("r", (int,)),  # yes
    leave=("l", (int, int)),  # a role grant's holder: on leave for so many days (0: back)
)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("people", people_command, filters.ChatType.PRIVATE))
    app.add_handler(guards.tapped(BUTTONS, _manages))


def _manages(actor: Actor) -> bool:
    return actor.is_admin or bool(actor.secretary_units())


@guards.person(_manages, "people/not_allowed")
async def people_command(update: Update, ctx: Ctx) -> None:
    units = sorted(ctx.actor.secretary_units())
    if not ctx.actor.is_admin and len(units) == 1:
        text, markup = await _unit_screen(ctx, units[0], 0)
        await ui.reply(update, ctx, "people/unit", markup, **text)
        return
    markup = await _units_markup(ctx, 0)
    await ui.reply(update, ctx, "people/choose_unit", markup)


async def _units_markup(ctx: Ctx, page: int):
    if ctx.actor.is_admin:
        found = await orgs.units(ctx.db)
        rows = [[(ctx.msgs.label(ctx.locale, "campaign_wide"), BUTTONS.data("unit", WIDE, 0))]]
    else:
        found = await orgs.units_by_ids(ctx.db, sorted(ctx.actor.secretary_units()))
        rows = []
    items = ui.choices(ctx, found, lambda id_: BUTTONS.data("unit", id_, 0))
    paged, _, _ = ui.paged(ctx, items, page, lambda to: BUTTONS.data("units", to))
    return ui.keyboard(rows + paged)


def may_see(actor: Actor, unit_id: int) -> bool:
    """Whose roles /people shows this person: an admin everyone's, a secretary their unit's."""
    return actor.is_admin or (unit_id != WIDE and actor.is_secretary_of(unit_id))


async def _unit_screen(ctx: Ctx, unit_id: int, page: int):
    """Everyone with a role there, a button each (removable ones lead to the question)."""
    if unit_id == WIDE:
        unit, grants = None, await roles.campaign_wide(ctx.db)
    else:
        unit, grants = await orgs.unit(ctx.db, unit_id), await roles.in_unit(ctx.db, unit_id)
    known = await people.get_many(ctx.db, sorted({g.user_id for g in grants}))
    items = [
        (
            ctx.msgs.label(
                ctx.locale,
                "person_role",
                name=_name(known.get(grant.user_id), grant.user_id),
                role=_role_text(ctx, grant),
            ),
            BUTTONS.data("ask", grant.grant_id),
        )
        for grant in grants
        if invites.may_remove(ctx.actor, grant)
    ]
    rows, shown, pages = ui.paged(ctx, items, page, lambda to: BUTTONS.data("unit", unit_id, to))
    if ctx.actor.is_admin or len(ctx.actor.secretary_units()) > 1:
        rows.append([(ctx.msgs.label(ctx.locale, "back"), BUTTONS.data("units", 0))])
    context = {"unit": unit, "count": len(grants), "removable": len(items), "page": shown}
    return {**context, "pages": pages}, ui.keyboard(rows)


def _back_row(ctx: Ctx, grant: RoleGrant) -> list[ui.Button]:
    """Back to the list the grant is on: its unit's, or the campaign-wide one."""
    return [(ctx.msgs.label(ctx.locale, "back"), BUTTONS.data("unit", grant.unit_id or WIDE, 0))]


def _name(person, user_id: int) -> str:
    return person.display_name if person is not None and person.first_name else str(user_id)


def _role_text(ctx: Ctx, grant: RoleGrant) -> str:
    return ui.plain(ui.role_line(ctx, grant))


@BUTTONS.on("units")
async def _units(update: Update, ctx: Ctx, page: int) -> None:
    query = update.callback_query
    await query.answer()
    await ui.edit(query, ctx, "people/choose_unit", await _units_markup(ctx, page))


@BUTTONS.on("unit")
async def _unit(update: Update, ctx: Ctx, unit_id: int, page: int) -> None:
    query = update.callback_query
    if not may_see(ctx.actor, unit_id):
        await ui.not_allowed(query, ctx)
        return
    context, markup = await _unit_screen(ctx, unit_id, page)
    await ui.show(query, ctx, "people/unit", markup, **context)


# A role the button names: still held, and one the tapper may take away.
_GRANT = guards.on_object(guards.row(roles.by_id), invites.may_remove, gone="people/gone")


@BUTTONS.on("ask")
@_GRANT
async def _ask_tapped(update: Update, ctx: Ctx, grant: RoleGrant) -> None:
    await _ask(update, ctx, grant)


async def _ask(update: Update, ctx: Ctx, grant: RoleGrant) -> None:
    """Remove the role? Or, for someone away, leave: the same screen, edited in place."""
    person = await people.get(ctx.db, grant.user_id)
    until = person.leave_until if person is not None and person.on_leave(ctx.now) else None
    label = ctx.msgs.label
    if until is not None:
        leave_row = [(label(ctx.locale, "leave_ended"), BUTTONS.data("leave", grant.grant_id, 0))]
    else:
        leave_row = [
            (label(ctx.locale, "leave_for", days=days), BUTTONS.data("leave", grant.grant_id, days))
            for days in LEAVE_PRESETS
        ]
    markup = ui.keyboard(
        [
            [(label(ctx.locale, "remove_role"), BUTTONS.data("remove", grant.grant_id))],
            leave_row,
            _back_row(ctx, grant),
        ]
    )
    await ui.show(
        update.callback_query,
        ctx,
        "people/confirm_remove",
        markup,
        name=_name(person, grant.user_id),
        role=_role_text(ctx, grant),
        until=until,
    )


@BUTTONS.on("leave")
@_GRANT
async def _leave(update: Update, ctx: Ctx, grant: RoleGrant, days: int) -> None:
    """On leave for `days` (0: back), and told so with the way to change it."""
    if days and days not in LEAVE_PRESETS:
        await ui.stale(update.callback_query, ctx)
        return
    until = end_of_leave(ctx.now + timedelta(days=days), ctx.campaign.timezone) if days else None
    async with ctx.write() as tx:
        await people.set_leave(tx, grant.user_id, until, by=ctx.actor.user_id)
        await notices.to_people(
            tx,
            ctx.core.writer,
            [grant.user_id],
            "people/leave_told",
            notices.cause(tx, Cause("person", grant.user_id, "leave")),
            until=until,
            by=ctx.actor.person,
        )
    await _ask(update, ctx, grant)


@BUTTONS.on("remove")
@_GRANT
async def _remove(update: Update, ctx: Ctx, grant: RoleGrant) -> None:
    """The role, the links it alone allowed, and the notice to the person: one write."""
    async with ctx.write() as tx:
        removed = await roles.revoke(
            tx,
            grant.user_id,
            grant.role,
            unit_id=grant.unit_id if grant.role == "secretary" else None,
            project_id=grant.project_id,
            revoked_by=ctx.actor.user_id,
        )
        remaining = await load_actor(
            tx,
            grant.user_id,
            admins=ctx.core.settings.admins,
            default_locale=ctx.campaign.default_locale,
        )
        person = remaining.person if remaining is not None else None
        withdrawn = 0
        if removed and remaining is not None:
            for link in await invitations.open_ones_by(tx, grant.user_id, tx.now):
                if not invites.may_invite(remaining, link.role, link.unit_id, link.project_id):
                    withdrawn += await invitations.revoke(tx, link, ctx.actor.user_id)
            await notices.to_people(
                tx,
                ctx.core.writer,
                [grant.user_id],
                "people/removed_told",
                notices.cause(tx, Cause("role", grant.grant_id, "removed")),
                grant=grant,
                by=ctx.actor.person,
            )
    if not removed:
        await ui.alert(update.callback_query, ctx, "people/gone")
        return
    markup = ui.keyboard([_back_row(ctx, grant)])
    await ui.show(
        update.callback_query,
        ctx,
        "people/removed",
        markup,
        name=_name(person, grant.user_id),
        grant=grant,
        withdrawn=withdrawn,
    )
    if remaining is not None and person.writable:
        # Their menu loses what the role gave, now rather than at their next message.
        await ui.refresh_menu(ctx, remaining)
