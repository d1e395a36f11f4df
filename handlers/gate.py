"""Runs before every flow: records the person, works out their roles and language."""

from __future__ import annotations

from telegram import Update, User
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.access import actor_of
from bot.core import Ctx
from bot.menus import menu_locale, signature
from handlers import ui
from storage import people, roles, visitors
from storage.people import Person

ANONYMOUS_ADMIN = 1087968824  # Telegram's stand-in user for anonymous group admins


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, identify), group=-10)


async def identify(update: Update, ctx: Ctx) -> None:
    user = update.effective_user
    if user is not None and user.id == ANONYMOUS_ADMIN:
        # Never key anything on the shared anonymous id; say why nothing happens.
        message = update.effective_message
        if message is not None and message.text and message.text.startswith("/"):
            await ui.reply(update, ctx, "group/anonymous")
        raise ApplicationHandlerStop
    if user is None or user.is_bot:
        if update.my_chat_member is None:
            raise ApplicationHandlerStop  # channel posts, polls, …: nothing for us
        return
    chat = update.effective_chat
    in_private = chat is not None and chat.type == ChatType.PRIVATE
    seen = people.Seen(
        user.id,
        user.first_name,
        user.last_name,
        user.username,
        user.language_code,
        in_private=in_private and update.my_chat_member is None,
    )
    visitor = await visitors.get(ctx.db, user.id)  # one read: person, roles, flow
    person = visitor.person if visitor else None
    if seen.changes(person):  # most updates change nothing: no write lock taken for them
        async with ctx.write() as tx:
            person = await people.remember(tx, seen, person)
    grants = visitor.grants if visitor else await roles.of_user(ctx.db, user.id)
    ctx.actor = actor_of(
        person, grants, admins=ctx.core.settings.admins, default_locale=ctx.campaign.default_locale
    )
    ctx.user_data["locale"] = ctx.actor.locale
    if in_private and update.my_chat_member is None and _menu_behind(ctx, user, person):
        await ui.refresh_menu(ctx, ctx.actor)
    ctx.flow = visitor.flow if visitor and in_private else None


def _menu_behind(ctx: Ctx, user: User, person: Person) -> bool:
    """A role holder's menu lists their own commands, from their first message on; anyone
    else's needs its own only when menus by language can't tell their locale (zh-Hant) from
    the default. Compared by signature: a current menu costs no request."""
    default = menu_locale(user.language_code, ctx.campaign.default_locale)
    wants_own = bool(ctx.actor.role_names) or ctx.actor.locale != default
    if not wants_own and person.menu is None:
        return False
    return person.menu != signature(ctx.msgs, ctx.actor)
