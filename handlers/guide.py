"""/guide: the member guide (docs/guide.<locale>.md), inside Telegram, in the reader's language."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from bot.core import Ctx
from handlers import guards
from messages import guide


def register(app: Application) -> None:
    app.add_handler(CommandHandler("guide", send, filters.ChatType.PRIVATE))


@guards.person()
async def send(update: Update, ctx: Ctx) -> None:
    for part in guide.texts(ctx.locale):
        await ctx.bot.send_message(update.effective_chat.id, part)
