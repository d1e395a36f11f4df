"""Group chats: the bot joining or leaving, supergroup upgrades, /bind and /unbind.

A chat (or forum topic) is bound to a unit or a project, by its secretary or an admin; or, by
an admin only, to the campaign itself (🌐 campaign admins and reviewers): the reviewers' chat,
where /vote posts its cards (handlers/vote.py)."""

from __future__ import annotations

import logging

from telegram import ChatMember, ChatMemberUpdated, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import (
    Application,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.access import Actor
from bot.core import Ctx
from handlers import guards, join, ui
from handlers.callbacks import Buttons
from storage import chats, orgs, people

log = logging.getLogger(__name__)
GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)
_ADMINS = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)
BUTTONS = Buttons(
    "bd",
    command="bind",
    units=("u", (int,)),  # a page of units
    projects=("p", (int, int)),  # a unit's page of projects
    project=("P", (int,)),
    unit=("U", (int,)),  # the whole unit
    campaign=("C", ()),  # the reviewers' chat, for the campaign's admins and reviewers
)


def register(app: Application) -> None:
    app.add_handler(ChatMemberHandler(membership, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, migrated))
    app.add_handler(CommandHandler("bind", bind))
    app.add_handler(CommandHandler("unbind", unbind))
    app.add_handler(guards.tapped(BUTTONS))


async def membership(update: Update, ctx: Ctx) -> None:
    change: ChatMemberUpdated = update.my_chat_member
    chat, status = change.chat, change.new_chat_member.status
    if chat.type == ChatType.PRIVATE:
        async with ctx.write() as tx:
            await people.set_blocked(tx, chat.id, status in ("kicked", "left"))
        return
    was_present = change.old_chat_member.status in chats.PRESENT
    async with ctx.write() as tx:
        await chats.record_status(
            tx,
            chat.id,
            chat.type,
            chat.title or "",
            bool(chat.is_forum),
            status,
            change.from_user.id if change.from_user else None,
        )
    if status in chats.PRESENT and not was_present:
        await ui.reply(update, ctx, "group/hello")


async def migrated(update: Update, ctx: Ctx) -> None:
    message = update.effective_message
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    else:
        old, new = message.migrate_from_chat_id, message.chat.id
    async with ctx.write() as tx:
        moved = await chats.migrate(tx, old, new, message.chat.title or "")
    if moved:
        ctx.application.migrate_chat_data(old_chat_id=old, new_chat_id=new)
        log.info("group %s became supergroup %s", old, new)


async def _is_group_admin(ctx: Ctx, chat_id: int, user_id: int) -> bool:
    member: ChatMember = await ctx.bot.get_chat_member(chat_id, user_id)
    return member.status in _ADMINS


async def _target(ctx: Ctx, code: str) -> tuple[orgs.Unit, orgs.Project | None] | None:
    """The unit, and the project if the code names one; None if it names neither."""
    project = await orgs.project_by_code(ctx.db, code)
    if project is not None:
        return await orgs.unit(ctx.db, project.unit_id), project
    unit = await orgs.unit_by_code(ctx.db, code)
    return (unit, None) if unit is not None else None


async def _bound_unit(ctx: Ctx, chat_id: int, thread: int) -> orgs.Unit | None:
    """The unit this chat (or topic) is linked to now, directly or through a project."""
    current = await chats.binding(ctx.db, chat_id, thread)
    if current is None:
        return None
    if current.unit_id is not None:
        return await orgs.unit(ctx.db, current.unit_id)
    project = await orgs.project(ctx.db, current.project_id)
    return await orgs.unit(ctx.db, project.unit_id)


async def _refusal(update: Update, ctx: Ctx, unit: orgs.Unit | None) -> tuple[str, dict] | None:
    """None when the sender may link this chat to `unit` (None: to the campaign, or unlink
    the reviewers' chat); else (template, its values). A chat already linked to another unit
    can only be taken over by someone in charge of it; the reviewers' chat by an admin."""
    if not await _is_group_admin(ctx, update.effective_chat.id, ctx.actor.user_id):
        return "group/bind_not_group_admin", {}
    chat_id, thread = update.effective_chat.id, ui.thread_id(update)
    if not ctx.actor.is_admin and (
        unit is None or await chats.campaign_chat(ctx.db, chat_id, thread) is not None
    ):
        return "group/bind_campaign_not_allowed", {}
    current = await _bound_unit(ctx, chat_id, thread)
    for needed in (unit, current):
        if needed is not None and not (ctx.actor.is_admin or ctx.actor.is_secretary_of(needed.id)):
            return "group/bind_not_allowed", {"unit_name": needed.name}
    return None


@guards.person()
async def bind(update: Update, ctx: Ctx) -> None:
    if update.effective_chat.type not in GROUPS:
        await ui.reply(update, ctx, "group/bind_in_group")
        return
    if not ctx.args:
        await _offer(update, ctx)
        return
    target = await _target(ctx, ctx.args[0])
    if target is None:
        await ui.reply(update, ctx, "group/bind_unknown_code", code=ctx.args[0][:64])
        return
    unit, project = target
    refusal = await _refusal(update, ctx, unit)
    if refusal:
        await ui.reply(update, ctx, refusal[0], **refusal[1])
        return
    await _bind(update, ctx, unit.id, project.id if project else None)
    markup, context = _bound(update, ctx, unit, project)
    await ui.reply(update, ctx, "group/bound", markup, **context)


def _bound(
    update: Update, ctx: Ctx, unit: orgs.Unit, project: orgs.Project | None
) -> tuple[InlineKeyboardMarkup | None, dict]:
    """What the "now linked" message shows; under a project's, the join button."""
    markup = join.markup(ctx, project) if project else None
    return markup, {"unit": unit, "project": project, "thread_id": ui.thread_id(update)}


async def _bind(update: Update, ctx: Ctx, unit_id: int, project_id: int | None) -> None:
    chat = update.effective_chat
    async with ctx.write() as tx:
        # The bot is evidently here: make sure the chat is known even if the join was missed.
        if await chats.get(tx, chat.id) is None:
            await chats.record_status(
                tx, chat.id, chat.type, chat.title or "", bool(chat.is_forum), "member", None
            )
        await chats.bind(
            tx,
            chat.id,
            ui.thread_id(update),
            unit_id=None if project_id else unit_id,
            project_id=project_id,
            by=ctx.actor.user_id,
        )


async def _units_for(ctx: Ctx) -> list[orgs.Unit]:
    """The units whose groups this person may link."""
    units = await orgs.units(ctx.db)
    if ctx.actor.is_admin:
        return units
    return [unit for unit in units if ctx.actor.is_secretary_of(unit.id)]


async def _offer(update: Update, ctx: Ctx) -> None:
    units = await _units_for(ctx)
    if not units:
        # Nothing this person may link: say who can, rather than ask for a code.
        key = "group/bind_nothing_imported" if ctx.actor.is_admin else "group/bind_who"
        await ui.reply(update, ctx, key)
        return
    thread = ui.thread_id(update)
    if len(units) == 1:
        markup = await _project_page(ctx, units[0], 0)
        await ui.reply(
            update, ctx, "group/bind_choose", markup, unit_name=units[0].name, thread_id=thread
        )
        return
    await ui.reply(
        update, ctx, "group/bind_choose_unit", await _unit_page(ctx, units, 0), thread_id=thread
    )


async def _unit_page(ctx: Ctx, units: list[orgs.Unit], page: int) -> InlineKeyboardMarkup:
    choices = ui.choices(ctx, units, lambda id_: BUTTONS.data("projects", id_, 0))
    rows, _, _ = ui.paged(ctx, choices, page, lambda to: BUTTONS.data("units", to))
    return ui.keyboard(_campaign_row(ctx) + rows)


def _campaign_row(ctx: Ctx) -> list[list[ui.Button]]:
    """🌐 the reviewers' chat: offered to campaign admins only."""
    if not ctx.actor.is_admin:
        return []
    return [[(ctx.msgs.label(ctx.locale, "campaign_wide"), BUTTONS.data("campaign"))]]


async def _project_page(ctx: Ctx, unit: orgs.Unit, page: int) -> InlineKeyboardMarkup:
    """One page of the unit's projects, and the whole unit, as buttons."""
    projects = await orgs.projects_of(ctx.db, unit.id)
    rows, _, _ = ui.paged(
        ctx,
        ui.choices(ctx, projects, lambda id_: BUTTONS.data("project", id_)),
        page,
        lambda to: BUTTONS.data("projects", unit.id, to),
    )
    rows.append(
        [(ctx.msgs.label(ctx.locale, "whole_unit", name=unit.name), BUTTONS.data("unit", unit.id))]
    )
    return ui.keyboard(rows + _campaign_row(ctx))


# /bind's buttons act only in a group: anywhere else they are out of date.
_IN_GROUP = guards.in_chats(*GROUPS)


@BUTTONS.on("units")
@_IN_GROUP
async def _units_shown(update: Update, ctx: Ctx, page: int) -> None:
    query = update.callback_query
    units = await _units_for(ctx)
    if not units:
        await ui.not_allowed(query, ctx)
        return
    await ui.show(
        query,
        ctx,
        "group/bind_choose_unit",
        await _unit_page(ctx, units, page),
        thread_id=ui.thread_id(update),
    )


def _may_bind(actor: Actor, unit: orgs.Unit) -> bool:
    return actor.is_admin or actor.is_secretary_of(unit.id)


@BUTTONS.on("projects")
@_IN_GROUP
@guards.on_object(guards.row(orgs.unit), _may_bind, gone="common/not_allowed")
async def _projects_shown(update: Update, ctx: Ctx, unit: orgs.Unit, page: int) -> None:
    query = update.callback_query
    await ui.show(
        query,
        ctx,
        "group/bind_choose",
        await _project_page(ctx, unit, page),
        unit_name=unit.name,
        thread_id=ui.thread_id(update),
    )


@BUTTONS.on("project")
@_IN_GROUP
@guards.on_object(guards.row(orgs.project))
async def _project_chosen(update: Update, ctx: Ctx, project: orgs.Project) -> None:
    await _chosen(update, ctx, await orgs.unit(ctx.db, project.unit_id), project)


@BUTTONS.on("unit")
@_IN_GROUP
@guards.on_object(guards.row(orgs.unit))
async def _unit_chosen(update: Update, ctx: Ctx, unit: orgs.Unit) -> None:
    await _chosen(update, ctx, unit, None)


async def _chosen(update: Update, ctx: Ctx, unit: orgs.Unit, project: orgs.Project | None) -> None:
    query = update.callback_query
    # Checked again at the tap: the buttons may be forged, or the tapper not the one who asked.
    refusal = await _refusal(update, ctx, unit)
    if refusal:
        await ui.alert(query, ctx, refusal[0], **refusal[1])
        return
    await _bind(update, ctx, unit.id, project.id if project else None)
    markup, context = _bound(update, ctx, unit, project)
    await ui.show(query, ctx, "group/bound", markup, **context)


@BUTTONS.on("campaign")
@_IN_GROUP
async def _campaign_chosen(update: Update, ctx: Ctx) -> None:
    """The reviewers' chat: checked again at the tap (the button may be forged, or tapped by
    a secretary who saw an admin's /bind)."""
    query = update.callback_query
    refusal = await _refusal(update, ctx, None)
    if refusal:
        await ui.alert(query, ctx, refusal[0], **refusal[1])
        return
    chat = update.effective_chat
    async with ctx.write() as tx:
        if await chats.get(tx, chat.id) is None:
            await chats.record_status(
                tx, chat.id, chat.type, chat.title or "", bool(chat.is_forum), "member", None
            )
        await chats.bind_campaign(tx, chat.id, ui.thread_id(update), by=ctx.actor.user_id)
    await ui.show(query, ctx, "group/bound_campaign", thread_id=ui.thread_id(update))


@guards.person()
async def unbind(update: Update, ctx: Ctx) -> None:
    if update.effective_chat.type not in GROUPS:
        await ui.reply(update, ctx, "group/bind_in_group")
        return
    chat_id, thread = update.effective_chat.id, ui.thread_id(update)
    if await chats.campaign_chat(ctx.db, chat_id, thread) is not None:
        await _unbind_campaign(update, ctx, chat_id, thread)
        return
    unit = await _bound_unit(ctx, chat_id, thread)
    if unit is None:
        await ui.reply(update, ctx, "group/not_bound", thread_id=thread)
        return
    refusal = await _refusal(update, ctx, unit)
    if refusal:
        await ui.reply(update, ctx, refusal[0], **refusal[1])
        return
    async with ctx.write() as tx:
        await chats.unbind(tx, chat_id, thread, ctx.actor.user_id)
    await ui.reply(update, ctx, "group/unbound", thread_id=thread)


async def _unbind_campaign(update: Update, ctx: Ctx, chat_id: int, thread: int) -> None:
    refusal = await _refusal(update, ctx, None)
    if refusal:
        await ui.reply(update, ctx, refusal[0], **refusal[1])
        return
    async with ctx.write() as tx:
        await chats.unbind_campaign(tx, chat_id, thread, ctx.actor.user_id)
    await ui.reply(update, ctx, "group/unbound", thread_id=thread)
