"""One error handler: log once with the update id, apologise briefly, keep running."""

from __future__ import annotations

import logging
import sqlite3
from contextvars import ContextVar

from telegram import Update
from telegram.constants import ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot import locale
from bot.core import Ctx
from handlers import ui
from storage import db

log = logging.getLogger("pacesetter.errors")
# What SQLite says when a write can't be made now but may later: the update is retried.
_NOT_WRITABLE = ("disk is full", "database is locked", "disk i/o error", "readonly database")


def not_stored(error: BaseException | None) -> bool:
    text = str(error).lower()
    return isinstance(error, sqlite3.OperationalError) and any(s in text for s in _NOT_WRITABLE)


# (update id, commits so far) as the update's flow began: after the gate, which may store
# the person, and before anything they sent is taken.
_begun: ContextVar[tuple[int, int] | None] = ContextVar("begun", default=None)


def register(app: Application) -> None:
    app.add_error_handler(on_error)
    app.add_handler(TypeHandler(Update, _begin), group=-9)


async def _begin(update: Update, ctx: Ctx) -> None:
    _begun.set((update.update_id, db.commits.get()))


def _stored(update_id: int | None) -> bool:
    """Whether the failing update's change was committed before the failure."""
    begun = _begun.get()
    return begun is not None and begun[0] == update_id and db.commits.get() > begun[1]


async def on_error(update: object, ctx: Ctx) -> None:
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(ctx.error, Forbidden):
        log.info("update %s: %s", update_id, ctx.error)  # blocked or removed: not our bug
        raise ApplicationHandlerStop
    retrying = update_id is not None and not_stored(ctx.error)
    if retrying:
        failures = ctx.core.storage_failures
        failures[update_id] = failures.get(update_id, 0) + 1  # polling tries it again, later
        log.warning("update %s could not be stored: %s", update_id, ctx.error)
        await ctx.core.outage.failed(ctx.error)
        user_id = update.effective_user.id if update.effective_user else None
        # Once a person, while the outage lasts; a button's spinner is answered once a tap.
        first_time = ctx.core.outage.first_notice(user_id)
        if update.callback_query is not None:
            first_time = failures[update_id] == 1
        if not first_time:
            raise ApplicationHandlerStop  # they were told already
    else:
        log.error("update %s failed", update_id, exc_info=ctx.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    user = update.effective_user
    if user is not None and ctx.user_data is not None and "locale" not in ctx.user_data:
        # Failed before the gate knew them: their Telegram language is the best guess.
        ctx.user_data["locale"] = locale.from_telegram(
            user.language_code, ctx.campaign.default_locale
        )
    # "Nothing you sent was lost" only when it is true: the change was stored.
    key = "errors/sorry" if _stored(update_id) else "errors/sorry_unsaved"
    if retrying:
        key = "errors/not_stored"
    try:
        if update.callback_query:
            await ui.alert(update.callback_query, ctx, key)
        elif update.effective_chat.type == ChatType.PRIVATE or _is_command(update):
            await ui.reply(update, ctx, key)
    except TelegramError as error:
        log.warning("update %s: could not apologise: %s", update_id, error)
    # Once is enough: no later handler group gets this update (nor a second apology).
    raise ApplicationHandlerStop


def _is_command(update: Update) -> bool:
    message = update.effective_message
    return bool(message and message.text and message.text.startswith("/"))
