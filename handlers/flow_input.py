"""Messages typed while in a multi-step flow go to that flow, before commands and fallbacks.

PTB runs one handler per group, so the flows share a single dispatcher in group -1 and
register their input callbacks here by flow name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, MessageHandler, filters

from bot.core import Ctx

InputCallback = Callable[[Update, Ctx], Awaitable[None]]
_KEY = "flow_inputs"


def take(app: Application, flow: str, callback: InputCallback) -> None:
    """While someone is in `flow`, their non-command private messages go to `callback`."""
    inputs: dict[str, InputCallback] | None = getattr(app, "_pacesetter_inputs", None)
    if inputs is None:
        inputs = {}
        app._pacesetter_inputs = inputs  # type: ignore[attr-defined]
        app.add_handler(
            MessageHandler(filters.ChatType.PRIVATE & ~filters.COMMAND, _dispatch(inputs)),
            group=-1,
        )
    inputs[flow] = callback


def _dispatch(inputs: dict[str, InputCallback]) -> InputCallback:
    async def dispatch(update: Update, ctx: Ctx) -> None:
        callback = inputs.get(ctx.flow.flow) if ctx.flow is not None else None
        if callback is None:
            return  # not in a flow that takes typed input: commands and fallbacks decide
        await callback(update, ctx)
        raise ApplicationHandlerStop

    return dispatch
