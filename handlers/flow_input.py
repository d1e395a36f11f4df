"""Messages typed while in a declared flow (`bot.flow`) go to that flow, before commands and
fallbacks.

PTB runs one handler per group, so every flow shares this one dispatcher in group -1: it
judges the message against the person's step and either hands it to the step or gives the
declared answer (wrong input, too long, expired, stage shut, role gone).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)

from bot.core import Ctx
from bot.flow import Flow, Verdict, carried, judge, left_by_tap
from handlers import ui
from storage import flows


def register(app: Application) -> None:
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & ~filters.COMMAND, _dispatch
        ),
        group=-1,
    )
    app.add_handler(CallbackQueryHandler(_tapped), group=-1)


def declare(app: Application, flow: Flow) -> None:
    """While someone is in `flow`, their non-command private messages are judged by it."""
    if flow.name in app.bot_data.flows:
        raise ValueError(f"flow {flow.name!r} declared twice")
    app.bot_data.flows[flow.name] = flow


async def _tapped(update: Update, ctx: Ctx) -> None:
    """A tap elsewhere ends a prompt that says so (`Flow.own_tap`); the tap then goes on to
    its own handler, which sees the person in no flow."""
    position = ctx.flow
    flow = ctx.core.flows.get(position.flow) if position is not None else None
    if flow is None or not left_by_tap(flow, update.callback_query.data):
        return
    async with ctx.write() as tx:
        await flows.end(tx, ctx.actor.user_id)
    ctx.flow = None


async def _dispatch(update: Update, ctx: Ctx) -> None:
    position = ctx.flow
    flow = ctx.core.flows.get(position.flow) if position is not None else None
    if flow is None:
        return  # not in a flow: commands and fallbacks decide
    message = update.effective_message
    step = flow.step(ctx.campaign, position.step)
    verdict = judge(
        flow,
        step,
        position,
        carried(message),
        len(message.text or ""),
        ctx.actor,
        ctx.campaign,
        ctx.now,
    )
    if verdict.ends_flow:
        async with ctx.write() as tx:
            await flows.end(tx, ctx.actor.user_id)
    if verdict is Verdict.TAKE:
        await step.take(update, ctx)
    elif verdict is Verdict.STALE:
        await ui.reply(update, ctx, "common/stale")
    elif verdict is Verdict.NOT_ALLOWED:
        await ui.reply(update, ctx, "common/not_allowed")
    elif verdict is Verdict.EXPIRED:
        minutes = int(step.expires.total_seconds() // 60)
        await ui.reply(update, ctx, "common/prompt_expired", minutes=minutes)
    elif verdict is Verdict.STAGE_SHUT:
        refusal = flow.stage.refusal(ctx.campaign, ctx.now)
        await ui.reply(update, ctx, refusal, stage=ctx.campaign.stage(flow.stage.stage))
    else:
        context = await flow.context(update, ctx) if flow.context else {}
        markup = context.pop("markup", None)
        if verdict is Verdict.TOO_LONG:
            length = len(message.text)
            await ui.reply(
                update, ctx, step.too_long, markup, length=length, limit=step.max_chars, **context
            )
        else:
            await ui.reply(update, ctx, step.wrong_input, markup, **context)
    raise ApplicationHandlerStop
