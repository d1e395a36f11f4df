"""Messages typed while in a multi-step flow go to that flow, before commands and fallbacks.

PTB runs one handler per group, so the flows share a single dispatcher in group -1 and
register their input callbacks by flow name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, MessageHandler, filters

from bot.core import Ctx
from handlers import ui
from storage import flows

InputCallback = Callable[[Update, Ctx], Awaitable[None]]
# A typed comment or reason answers the prompt just shown, not one from yesterday.
PROMPT_EXPIRY = timedelta(minutes=30)


def register(app: Application) -> None:
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & ~filters.COMMAND, _dispatch
        ),
        group=-1,
    )


def take(
    app: Application, flow: str, callback: InputCallback, *, expires: timedelta | None = None
) -> None:
    """While someone is in `flow`, their non-command private messages go to `callback`.
    With `expires`, a message that comes later than that after the prompt is not taken as
    the answer: "thanks, see you Monday" three days on must not become a decline reason."""
    app.bot_data.flow_inputs[flow] = (callback, expires)


def expired(ctx: Ctx) -> bool:
    taker = ctx.core.flow_inputs.get(ctx.flow.flow) if ctx.flow is not None else None
    expires = taker[1] if taker else None
    return expires is not None and ctx.now - ctx.flow.updated_at > expires


async def _dispatch(update: Update, ctx: Ctx) -> None:
    taker = ctx.core.flow_inputs.get(ctx.flow.flow) if ctx.flow is not None else None
    if taker is None:
        return  # not in a flow that takes typed input: commands and fallbacks decide
    if expired(ctx):
        async with ctx.write() as tx:
            await flows.end(tx, ctx.actor.user_id)
        minutes = int(taker[1].total_seconds() // 60)
        await ui.reply(update, ctx, "common/prompt_expired", minutes=minutes)
        raise ApplicationHandlerStop
    await taker[0](update, ctx)
    raise ApplicationHandlerStop
