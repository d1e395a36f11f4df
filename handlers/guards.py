"""Who may use a command or a button: declared on the handler, not an `if` in each one."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from telegram import Update

from bot.access import Actor
from bot.core import Ctx
from bot.flow import StageGuard
from handlers import ui
from handlers.callbacks import Buttons, Tap
from storage import flows

Allowed = Callable[[Actor], bool]


def admin(actor: Actor) -> bool:
    return actor.is_admin


def person(allowed: Allowed | None = None, refusal: str = "common/not_allowed"):
    """A command or message from a known person (channels, bots and anonymous admins never
    get here); with `allowed`, anyone else is told `refusal`."""

    def wrap(handler: Callable[[Update, Ctx], Awaitable[None]]):
        @functools.wraps(handler)
        async def guarded(update: Update, ctx: Ctx) -> None:
            if ctx.actor is None:
                return
            if allowed is not None and not allowed(ctx.actor):
                await ui.reply(update, ctx, refusal)
                return
            await handler(update, ctx)

        return guarded

    return wrap


def buttons(codec: Buttons, allowed: Allowed | None = None):
    """A flow's buttons: the data parsed by its codec (forged or stale data is answered as
    out of date), a known tapper, and with `allowed`, a refusal for anyone else. What the ids
    name is checked by the flow, against the database."""

    def wrap(handler: Callable[[Update, Ctx, Tap], Awaitable[None]]):
        @functools.wraps(handler)
        async def guarded(update: Update, ctx: Ctx) -> None:
            query = update.callback_query
            tap = codec.parse(query.data)
            if ctx.actor is None or tap is None:
                await ui.stale(query, ctx)
                return
            if allowed is not None and not allowed(ctx.actor):
                await ui.not_allowed(query, ctx)
                return
            await handler(update, ctx, tap)

        return guarded

    return wrap


def stage_open(stage: StageGuard):
    """A command, button or edit that changes something only while `stage` is open. Before
    or after, the person is told so, naming the date (a pop-up for a button), and leaves any
    flow that belongs to the stage."""

    def wrap(handler):
        @functools.wraps(handler)
        async def guarded(update: Update, ctx: Ctx, *args) -> bool:
            if await refuse_if_shut(update, ctx, stage):
                return True
            return await handler(update, ctx, *args)

        return guarded

    return wrap


async def refuse_if_shut(update: Update, ctx: Ctx, stage: StageGuard) -> bool:
    refusal = stage.refusal(ctx.campaign, ctx.now)
    if refusal is None:
        return False
    position = ctx.flow
    flow = ctx.core.flows.get(position.flow) if position is not None else None
    if flow is not None and flow.stage is not None and flow.stage.stage == stage.stage:
        async with ctx.write() as tx:
            await flows.end(tx, ctx.actor.user_id)
    described = ctx.campaign.stage(stage.stage)
    if update.callback_query:
        await ui.alert(update.callback_query, ctx, refusal, stage=described)
    else:
        await ui.reply(update, ctx, refusal, stage=described)
    return True
