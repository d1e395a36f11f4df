"""Messages typed while in a multi-step flow go to that flow, before commands and fallbacks.

PTB runs one handler per group, so the flows share a single dispatcher in group -1 and
register their input callbacks by flow name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, MessageHandler, filters

from bot.core import Ctx

InputCallback = Callable[[Update, Ctx], Awaitable[None]]


def register(app: Application) -> None:
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & ~filters.COMMAND, _dispatch
        ),
        group=-1,
    )


def take(app: Application, flow: str, callback: InputCallback) -> None:
    """While someone is in `flow`, their non-command private messages go to `callback`."""
    app.bot_data.flow_inputs[flow] = callback


async def _dispatch(update: Update, ctx: Ctx) -> None:
    callback = ctx.core.flow_inputs.get(ctx.flow.flow) if ctx.flow is not None else None
    if callback is None:
        return  # not in a flow that takes typed input: commands and fallbacks decide
    await callback(update, ctx)
    raise ApplicationHandlerStop
