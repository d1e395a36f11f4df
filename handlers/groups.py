"""Group chats: the bot joining or leaving, supergroup upgrades, /bind and /unbind."""

from __future__ import annotations

import logging

from telegram import ChatMember, ChatMemberUpdated, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.core import Ctx
from handlers import ui
from storage import chats, orgs, people

log = logging.getLogger(__name__)
GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)
_ADMINS = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)


def register(app: Application) -> None:
    app.add_handler(ChatMemberHandler(membership, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, migrated))
    app.add_handler(CommandHandler("bind", bind))
    app.add_handler(CommandHandler("unbind", unbind))
    app.add_handler(CallbackQueryHandler(bind_tapped, pattern=r"^bd:"))


async def membership(update: Update, ctx: Ctx) -> None:
    change: ChatMemberUpdated = update.my_chat_member
    chat, status = change.chat, change.new_chat_member.status
    if chat.type == ChatType.PRIVATE:
        await people.set_blocked(ctx.db, chat.id, status in ("kicked", "left"))
        return
    was_present = change.old_chat_member.status in chats.PRESENT
    async with ctx.db.transaction() as tx:
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
        await ctx.bot.send_message(chat.id, ui.render(ctx, "group/hello")[0])


async def migrated(update: Update, ctx: Ctx) -> None:
    message = update.effective_message
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    else:
        old, new = message.migrate_from_chat_id, message.chat.id
    async with ctx.db.transaction() as tx:
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


async def _may_bind(update: Update, ctx: Ctx, unit_id: int) -> str | None:
    """None when allowed, else the template key explaining why not."""
    if not await _is_group_admin(ctx, update.effective_chat.id, ctx.actor.user_id):
        return "group/bind_not_group_admin"
    if not (ctx.actor.is_admin or ctx.actor.is_secretary_of(unit_id)):
        return "group/bind_not_allowed"
    return None


async def bind(update: Update, ctx: Ctx) -> None:
    if ctx.actor is None:
        return
    if update.effective_chat.type not in GROUPS:
        await ui.reply(update, ctx, "group/bind_in_group")
        return
    if not ctx.args:
        await _offer_projects(update, ctx)
        return
    target = await _target(ctx, ctx.args[0])
    if target is None:
        await ui.reply(update, ctx, "group/bind_unknown_code", code=ctx.args[0][:64])
        return
    unit, project = target
    refusal = await _may_bind(update, ctx, unit.id)
    if refusal:
        await ui.reply(update, ctx, refusal, unit_name=unit.name)
        return
    await _bind(update, ctx, unit.id, project.id if project else None)
    await ui.reply(
        update, ctx, "group/bound", unit=unit, project=project, thread_id=ui.thread_id(update)
    )


async def _bind(update: Update, ctx: Ctx, unit_id: int, project_id: int | None) -> None:
    chat = update.effective_chat
    async with ctx.db.transaction() as tx:
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


async def _offer_projects(update: Update, ctx: Ctx) -> None:
    units = sorted(ctx.actor.secretary_units())
    if not units:
        example = (await orgs.units(ctx.db, limit=1) or [None])[0]
        await ui.reply(
            update, ctx, "group/bind_usage", example=example.code if example else "P-001"
        )
        return
    unit = await orgs.unit(ctx.db, units[0])
    await ui.reply(
        update,
        ctx,
        "group/bind_choose",
        await _project_page(ctx, unit, 0),
        unit_name=unit.name,
        thread_id=ui.thread_id(update),
    )


async def _project_page(ctx: Ctx, unit: orgs.Unit, page: int) -> InlineKeyboardMarkup:
    """One page of the unit's projects, and the whole unit, as buttons."""
    items = [
        (f"{p.name} ({p.code})", f"bd:P:{p.id}") for p in await orgs.projects_of(ctx.db, unit.id)
    ]
    rows, _, _ = ui.paged(ctx, items, page, f"bd:p:{unit.id}:{{page}}")
    rows.append([(ctx.msgs.label(ctx.locale, "whole_unit", name=unit.name), f"bd:U:{unit.id}")])
    return ui.keyboard(rows)


async def bind_tapped(update: Update, ctx: Ctx) -> None:
    query = update.callback_query
    parts = ui.callback_parts(query, "bd")
    numbers = [ui.as_int(p) for p in parts[1:]]
    if ctx.actor is None or None in numbers or update.effective_chat.type not in GROUPS:
        await ui.stale(query, ctx)
        return
    kind = parts[0]
    if kind == "p" and len(numbers) == 2:
        unit = await orgs.unit(ctx.db, numbers[0])
        if unit is None or not (ctx.actor.is_admin or ctx.actor.is_secretary_of(unit.id)):
            await ui.not_allowed(query, ctx)
            return
        markup = await _project_page(ctx, unit, numbers[1])
        await query.answer()
        await ui.edit(
            query,
            ctx,
            "group/bind_choose",
            markup,
            unit_name=unit.name,
            thread_id=ui.thread_id(update),
        )
        return
    if kind not in ("P", "U") or len(numbers) != 1:
        await ui.stale(query, ctx)
        return
    project = await orgs.project(ctx.db, numbers[0]) if kind == "P" else None
    unit = await orgs.unit(ctx.db, project.unit_id if project else numbers[0])
    if unit is None or (kind == "P" and project is None):
        await ui.stale(query, ctx)
        return
    refusal = await _may_bind(update, ctx, unit.id)
    if refusal:
        await query.answer(ctx.msgs.text(ctx.locale, refusal, unit_name=unit.name), show_alert=True)
        return
    await _bind(update, ctx, unit.id, project.id if project else None)
    await query.answer()
    await ui.edit(
        query, ctx, "group/bound", unit=unit, project=project, thread_id=ui.thread_id(update)
    )


async def unbind(update: Update, ctx: Ctx) -> None:
    if ctx.actor is None or update.effective_chat.type not in GROUPS:
        if ctx.actor is not None:
            await ui.reply(update, ctx, "group/bind_in_group")
        return
    chat_id, thread = update.effective_chat.id, ui.thread_id(update)
    current = await chats.binding(ctx.db, chat_id, thread)
    if current is None:
        await ui.reply(update, ctx, "group/not_bound", thread_id=thread)
        return
    unit_id = current.unit_id
    if unit_id is None:
        unit_id = (await orgs.project(ctx.db, current.project_id)).unit_id
    refusal = await _may_bind(update, ctx, unit_id)
    if refusal:
        await ui.reply(update, ctx, refusal, unit_name=(await orgs.unit(ctx.db, unit_id)).name)
        return
    async with ctx.db.transaction() as tx:
        await chats.unbind(tx, chat_id, thread, ctx.actor.user_id)
    await ui.reply(update, ctx, "group/unbound", thread_id=thread)
