"""Who may use a command or a button: declared on the handler, not an `if` in each one."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from telegram import Update

from bot.access import Actor
from bot.core import Ctx
from handlers import ui
from handlers.callbacks import Buttons, Tap

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
