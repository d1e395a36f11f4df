"""Work a tap starts that outlasts the tap (a workbook, the results booklet): one at a time,
run beside the chat's lane.

Polling handles a chat's updates in order, so work done inside the tap's handler would queue a
second tap behind it, which would then find nothing under way and do it all again. As a task
beside the lane, the second tap (anyone's) is answered while the first runs. State in this
process is enough: only one bot runs on a database (bot/instance.py), and a restart ends the
work along with its mark; the runner counts the tasks as busy (bot/app.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update

from bot.core import Ctx
from handlers import ui


async def alone(
    update: Update,
    ctx: Ctx,
    running: set[asyncio.Task],
    busy: str,
    work: Callable[[], Coroutine[Any, Any, None]],
    *,
    name: str,
) -> bool:
    """Start `work()` as a task tracked in `running`, unless one there is under way: then the
    tap is answered with the alert `busy` and nothing starts. Whether it started."""
    if running:
        await ui.alert(update.callback_query, ctx, busy)
        return False
    task = ctx.application.create_task(work(), update=update, name=name)
    running.add(task)  # no await since the check: no other tap gets in between
    task.add_done_callback(running.discard)
    return True
