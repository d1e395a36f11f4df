"""Registered last: whatever no flow took gets a helpful answer in private chats."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.core import Ctx
from handlers import ui

_PRIVATE = filters.ChatType.PRIVATE


def register(app: Application) -> None:
    app.add_handler(MessageHandler(_PRIVATE & filters.COMMAND, unknown_command))
    app.add_handler(MessageHandler(_PRIVATE & filters.Sticker.ALL, sticker))
    app.add_handler(MessageHandler(_PRIVATE & filters.TEXT, text))
    app.add_handler(MessageHandler(_PRIVATE & filters.ATTACHMENT, attachment))
    # Buttons nobody claims: forged data, or a flow that no longer exists.
    app.add_handler(CallbackQueryHandler(unknown_button))


async def unknown_command(update: Update, ctx: Ctx) -> None:
    command = (update.effective_message.text or "").split()[0][:40]
    await ui.reply(update, ctx, "fallback/unknown_command", command=command)


async def sticker(update: Update, ctx: Ctx) -> None:
    await ui.reply(update, ctx, "fallback/sticker")


async def text(update: Update, ctx: Ctx) -> None:
    await ui.reply(update, ctx, "fallback/text", roles=_roles(ctx))


async def attachment(update: Update, ctx: Ctx) -> None:
    await ui.reply(update, ctx, "fallback/file", roles=_roles(ctx))


async def unknown_button(update: Update, ctx: Ctx) -> None:
    await ui.stale(update.callback_query, ctx)


def _roles(ctx: Ctx) -> list[str]:
    return ctx.actor.role_names if ctx.actor else []
