"""/deadlines: the campaign's stages with their dates in local time and how long is left,
for anyone, in a private chat or a group."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.applications import stage_phase
from bot.core import Ctx
from bot.rules import countdown
from handlers import guards, ui


def register(app: Application) -> None:
    app.add_handler(CommandHandler("deadlines", deadlines))


@guards.person()
async def deadlines(update: Update, ctx: Ctx) -> None:
    now = ctx.now
    stages = [
        (
            stage,
            phase := stage_phase(ctx.campaign, stage.key, now),
            countdown(now, stage.opens if phase == "before" else stage.deadline),
        )
        for stage in ctx.campaign.stages
    ]
    await ui.reply(update, ctx, "deadlines/timeline", stages=stages, zone=ctx.campaign.timezone.key)
