"""Members join from their project's group: one tap on "🙋 Join this branch".

The button sits under the message that binds the group to a project, and under the message
`/join` posts there (for pinning). A tap by someone in the group (Telegram is asked) makes
them a branch member of that project: at once if they have opened the private chat with the
bot, otherwise through a deep link that opens it, made for them alone.
"""

from __future__ import annotations

from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest
from telegram.ext import Application, CommandHandler, filters

from bot import invites, notices
from bot.access import actor_of
from bot.core import Ctx
from handlers import guards, ui
from handlers.callbacks import Buttons
from storage import chats, invitations, orgs, roles
from storage.orgs import Project
from storage.outbox import Cause

BUTTONS = Buttons("jn", join=("j", (int,)))  # a project
IN_GROUP = ("creator", "administrator", "member")  # and "restricted" while still a member
LINK_LIFETIME = timedelta(days=1)  # the tapper's own link: they open it now or tap again


def register(app: Application) -> None:
    app.add_handler(CommandHandler("join", post, ~filters.ChatType.PRIVATE))
    app.add_handler(guards.tapped(BUTTONS))


def markup(ctx: Ctx, project: Project) -> InlineKeyboardMarkup:
    label = ctx.msgs.label(ctx.locale, "join_branch")
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=BUTTONS.data("join", project.id))]]
    )


@guards.person()
async def post(update: Update, ctx: Ctx) -> None:
    """/join in a bound project group, by its lead, its unit's secretary or an admin: the
    message with the button, again (to pin it)."""
    chat = update.effective_chat
    binding = await chats.binding(ctx.db, chat.id, ui.thread_id(update) or 0)
    project = await orgs.project(ctx.db, binding.project_id) if binding else None
    if project is None:
        await ui.reply(update, ctx, "join/not_bound")
        return
    actor = ctx.actor
    if not (
        actor.is_admin or actor.is_secretary_of(project.unit_id) or actor.is_lead_of(project.id)
    ):
        await ui.reply(update, ctx, "join/not_allowed")
        return
    await ui.reply(update, ctx, "join/invite", markup(ctx, project), project=project)


@BUTTONS.on("join")
async def _join(update: Update, ctx: Ctx, project_id: int) -> None:
    query = update.callback_query
    message = query.message
    project = await orgs.project(ctx.db, project_id)
    if message is None or project is None or message.chat.type == "private":
        await ui.stale(query, ctx)
        return
    # The button joins the project of the group (or topic) it is in, whatever its data says.
    thread = message.message_thread_id if message.is_topic_message else 0
    binding = await chats.binding(ctx.db, message.chat.id, thread or 0)
    if binding is None or binding.project_id != project.id:
        await ui.stale(query, ctx)
        return
    user_id = ctx.actor.user_id
    if ctx.actor.is_lead_of(project.id) or project.id in ctx.actor.projects("member"):
        await ui.alert(query, ctx, "join/already", project=project)
        return
    if not await _in_group(ctx, message.chat.id, user_id):
        await ui.not_allowed(query, ctx)
        return
    person = ctx.actor.person
    if not person.writable:
        # Telegram opens the private chat with this; /start there makes them a member.
        async with ctx.write() as tx:
            invitation = await invitations.open_or_create(
                tx,
                invites.new_code(),
                "member",
                unit_id=None,
                project_id=project.id,
                created_by=0,
                expires_at=ctx.now + LINK_LIFETIME,
                origin=invites.join_origin(message.chat.id, user_id),
            )
        await query.answer(url=invites.deep_link(ctx.core.bot_username, invitation.code))
        return
    async with ctx.write() as tx:
        added = await roles.grant(tx, user_id, "member", project_id=project.id)
        if added:
            await notices.to_people(
                tx,
                ctx.core.writer,
                [user_id],
                "join/welcome",
                notices.cause(tx, Cause("join", project.id, user_id)),
                project=project,
            )
    await ui.alert(query, ctx, "join/joined", project=project)
    grants = tuple(await roles.of_user(ctx.db, user_id))
    actor = actor_of(
        person, grants, admins=ctx.core.settings.admins, default_locale=ctx.campaign.default_locale
    )
    await ui.refresh_menu(ctx, actor)


async def _in_group(ctx: Ctx, chat_id: int, user_id: int) -> bool:
    try:
        member = await ctx.bot.get_chat_member(chat_id, user_id)
    except BadRequest:
        return False
    if member.status == ChatMemberStatus.RESTRICTED:
        return bool(member.is_member)  # restricted stays the status of one who has left
    return member.status in IN_GROUP
