"""Who may use a command or a button: declared on the handler, not an `if` in each one.

A set of buttons has one route, `guards.tapped(BUTTONS, allowed)`: the data parsed by its codec
(forged or stale data is answered as out of date), a known tapper, `allowed` checked on the
actor, then the action's handler declared with `@BUTTONS.on(...)`.

An action whose first argument names an object declares how to load it and who may act on it:

    @BUTTONS.on("remove")
    @guards.on_object(guards.row(roles.by_id), invites.may_remove, gone="people/gone")
    async def _remove(update, ctx, grant: RoleGrant) -> None: ...

`load(ctx, id)` gives the object or None (gone: the button is answered as out of date, or with
the `gone` alert); `may(actor, thing)` False is refused (`refusal`, or "not allowed"); with
`stage`, a shut stage is refused naming its dates. The handler then gets the object in place
of its id; a refused tap changes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.access import Actor
from bot.core import Ctx
from bot.flow import StageGuard
from handlers import ui
from handlers.callbacks import Buttons
from storage import flows
from storage.db import Executor

T = TypeVar("T")
Allowed = Callable[[Actor], bool]
Loader = Callable[[Ctx, Any], Awaitable[T | None]]  # (ctx, the id or key a button names)
May = Callable[[Actor, T], bool]


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


def tapped(codec: Buttons, allowed: Allowed | None = None) -> CallbackQueryHandler:
    """The one handler of a set of buttons: a tap goes to its action's declared handler."""

    async def route(update: Update, ctx: Ctx) -> None:
        query = update.callback_query
        tap = codec.parse(query.data)
        if ctx.actor is None or tap is None:
            await ui.stale(query, ctx)
            return
        if allowed is not None and not allowed(ctx.actor):
            await ui.not_allowed(query, ctx)
            return
        await codec.dispatch(tap, update, ctx)

    return CallbackQueryHandler(route, pattern=codec.pattern)


def row(get: Callable[[Executor, int], Awaitable[T | None]]) -> Loader[T]:
    """A storage getter `get(db, id)` as a loader."""

    async def load(ctx: Ctx, id_: int) -> T | None:
        return await get(ctx.db, id_)

    return load


def on_object(
    load: Loader[T],
    may: May[T] | None = None,
    *,
    gone: str | None = None,
    refusal: str | None = None,
    stage: StageGuard | None = None,
):
    """A button action on the object its first argument names: loaded, checked, or refused
    with an alert (see the module's docstring)."""

    def wrap(handler: Callable[..., Awaitable[None]]):
        @functools.wraps(handler)
        async def guarded(update: Update, ctx: Ctx, named: Any, *args: Any) -> None:
            query = update.callback_query
            thing = await load(ctx, named)
            if thing is None:
                await (ui.alert(query, ctx, gone) if gone else ui.stale(query, ctx))
                return
            if may is not None and not may(ctx.actor, thing):
                await (ui.alert(query, ctx, refusal) if refusal else ui.not_allowed(query, ctx))
                return
            if stage is not None and await refuse_if_shut(update, ctx, stage):
                return
            await handler(update, ctx, thing, *args)

        return guarded

    return wrap


def in_chats(*kinds: str):
    """A button that acts only in these kinds of chat (private, group, supergroup): tapped
    anywhere else it is out of date, and changes nothing."""

    def wrap(handler: Callable[..., Awaitable[None]]):
        @functools.wraps(handler)
        async def guarded(update: Update, ctx: Ctx, *args: Any) -> None:
            if update.effective_chat is None or update.effective_chat.type not in kinds:
                await ui.stale(update.callback_query, ctx)
                return
            await handler(update, ctx, *args)

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
