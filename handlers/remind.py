"""/remind: an admin sees who would be reminded now for the stage in progress, and sends it at
once (quiet hours still hold it); a report follows when the last message is out."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from bot import reminders
from bot.campaign import Stage
from bot.core import Ctx
from handlers import guards, ui
from handlers.callbacks import Buttons
from handlers.reminders import reminder_buttons
from storage import outbox

BUTTONS = Buttons("rm", command="remind", send=("y", (str,)), keep=("n", ()))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("remind", remind, filters.ChatType.PRIVATE))
    app.add_handler(guards.tapped(BUTTONS, guards.admin))


def _stage(ctx: Ctx):
    stage = ctx.campaign.current_stage(ctx.now)
    return stage if stage is not None and stage.key in reminders.DEBTS else None


@guards.person(guards.admin, "select/not_admin")
async def remind(update: Update, ctx: Ctx) -> None:
    stage = _stage(ctx)
    if stage is None:
        await ui.reply(update, ctx, "remind/nothing_open")
        return
    hold = await reminders.by_hand(ctx.db, ctx.campaign, stage.key, ctx.now)
    if not hold.may_send:
        await ui.reply(update, ctx, "remind/not_now", **_not_now(ctx, stage, hold))
        return
    reach = await reminders.reach(
        ctx.db,
        ctx.campaign,
        stage.key,
        ctx.now,
        admins=ctx.core.settings.admins,
        buttons=reminder_buttons(),
    )
    label = ctx.msgs.label
    markup = ui.keyboard(
        [
            [(label(ctx.locale, "remind_send"), BUTTONS.data("send", stage.key))],
            [(label(ctx.locale, "cancel"), BUTTONS.data("keep"))],
        ]
    )
    await ui.reply(update, ctx, "remind/confirm", markup, stage=stage, reach=reach)


@BUTTONS.on("keep")
async def _keep(update: Update, ctx: Ctx) -> None:
    await ui.show(update.callback_query, ctx, "remind/kept")


@BUTTONS.on("send")
async def _send(update: Update, ctx: Ctx, stage_key: str) -> None:
    query = update.callback_query
    stage = _stage(ctx)
    if stage is None or stage.key != stage_key:
        await ui.alert(query, ctx, "remind/nothing_open")
        return
    # One confirmation, one reminder: a second tap finds the first one, just sent.
    card = query.message.message_id if query.message else 0
    hold = await reminders.by_hand(ctx.db, ctx.campaign, stage.key, ctx.now)
    if hold.may_send:
        # Read and rendered before the write (in a worker thread): it may be thousands.
        letters = await reminders.compose(
            ctx.db,
            ctx.core.writer,
            stage.key,
            reminders.REMINDER,
            reminders.by_hand_cause(stage.key, card),
            hold.not_before,
            admins=ctx.core.settings.admins,
            buttons=reminder_buttons(),
            bot_username=ctx.core.bot_username,
        )
        async with ctx.write() as tx:
            hold = await reminders.by_hand(tx, ctx.campaign, stage.key, ctx.now)
            if hold.may_send:
                cause = await reminders.write_by_hand(tx, stage.key, card, hold.not_before, letters)
                await outbox.want_report(
                    tx,
                    cause,
                    report_chat=ctx.actor.user_id,
                    kind="select/announced",
                    locale=ctx.locale,
                    unreachable=letters.unreachable,
                )
    if not hold.may_send:
        await ui.show(query, ctx, "remind/not_now", **_not_now(ctx, stage, hold))
        return
    await ui.show(query, ctx, "remind/sent", stage=stage)


def _not_now(ctx: Ctx, stage: Stage, hold: reminders.ByHand) -> dict:
    return {
        "stage": stage,
        "hold": hold,
        "ahead": hold.recent is not None and hold.recent > ctx.now,
    }
