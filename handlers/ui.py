"""Small Telegram helpers shared by the flows: replying with templates, keyboards, callback data."""

from __future__ import annotations

import contextlib
import hashlib
import html
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import BadRequest

from bot.access import Actor
from bot.core import Ctx
from bot.menus import set_private_menu
from handlers import callbacks
from storage import flows, people
from storage.roles import RoleGrant

Button = tuple[str, str]  # (label, callback data)


@dataclass(frozen=True)
class Attached:
    """The file a message carries, as Telegram names it."""

    kind: str  # photo, video, document
    file_id: str
    file_unique_id: str
    file_name: str | None
    size: int | None
    caption: str


def attached(message: Message) -> Attached | None:
    """A message's photo (its largest size), document or video; None if it has none."""
    caption = message.caption or ""
    if message.photo:
        best = message.photo[-1]
        return Attached("photo", best.file_id, best.file_unique_id, None, best.file_size, caption)
    for kind in ("document", "video"):
        item = getattr(message, kind)
        if item is not None:
            name = getattr(item, "file_name", None)
            return Attached(kind, item.file_id, item.file_unique_id, name, item.file_size, caption)
    return None


PAGE_SIZE = 8
ALBUM_QUIET = 1.5  # seconds with no further item of an album: it is complete


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    """Buttons from (label, data) rows; None when there are none (Telegram refuses empty ones)."""
    rows = [row for row in rows if row]
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def paged(
    ctx: Ctx, items: Sequence[Button], page: int, page_data: Callable[[int], str]
) -> tuple[list[list[Button]], int, int]:
    """One button per row for this page's items, then ◀ ▶ (page_data(page) for those)."""
    shown, page, pages = page_of(items, page)
    rows = [[item] for item in shown]
    nav = page_buttons(ctx, page, pages, page_data)
    if nav:
        rows.append(nav)
    return rows, page, pages


def page_of(items: Sequence[Any], page: int) -> tuple[Sequence[Any], int, int]:
    """The items on a page (0-based, kept in range), its number from 1, and how many pages."""
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    return items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE], page + 1, pages


def page_buttons(
    ctx: Ctx, number: int, pages: int, page_data: Callable[[int], str]
) -> list[Button]:
    """◀ ▶ around page `number` (from 1) of `pages`; page_data takes a 0-based page."""
    nav = []
    if number > 1:
        nav.append((ctx.msgs.label(ctx.locale, "prev_page"), page_data(number - 2)))
    if number < pages:
        nav.append((ctx.msgs.label(ctx.locale, "next_page"), page_data(number)))
    return nav


def render(ctx: Ctx, key: str, **context: Any) -> list[str]:
    return ctx.msgs.texts(ctx.locale, key, campaign=ctx.campaign, **context)


async def reply(
    update: Update, ctx: Ctx, key: str, markup: InlineKeyboardMarkup | None = None, **context: Any
) -> Message:
    """Send a template to the chat (and forum topic) the update came from."""
    chat = update.effective_chat
    thread = _thread_of(update.effective_message)
    sent = None
    parts = render(ctx, key, **context)
    for index, part in enumerate(parts):
        sent = await ctx.bot.send_message(
            chat.id,
            part,
            message_thread_id=thread,
            reply_markup=markup if index == len(parts) - 1 else None,
        )
    return sent


async def live(
    ctx: Ctx,
    chat_id: int,
    key: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    live_for: str,
    fresh: bool = False,
    **context: Any,
) -> None:
    """A flow's one live message: shown again for the same purpose (`live_for`: the answers
    to one section, say), it is edited in place; anything else (or anything `fresh`, such as
    the answer to a command) is a new message, and the old one loses its buttons, which no
    longer act. Kept in the flow's data, so a restart knows."""
    position = await flows.current(ctx.db, chat_id)
    data = position.data if position is not None else {}
    old, old_for = data.get("live"), data.get("live_for")
    parts = render(ctx, key, **context)
    # What it shows, in short: an identical edit is one Telegram refuses (a double tap).
    shown = hashlib.sha256(repr((parts, markup and markup.to_dict())).encode()).hexdigest()[:16]
    if old and old_for == live_for and len(parts) == 1 and not fresh:
        if data.get("live_shows") == shown:
            return
        try:
            await ctx.bot.edit_message_text(
                parts[0], chat_id=chat_id, message_id=old, reply_markup=markup
            )
        except BadRequest as error:
            if "not modified" not in str(error).lower():
                old = None  # gone or too old to edit: a new one follows
        if old:
            async with ctx.write() as tx:
                await flows.note(tx, chat_id, live_shows=shown)
            return
    if old:
        with contextlib.suppress(BadRequest):
            await ctx.bot.edit_message_reply_markup(chat_id=chat_id, message_id=old)
    sent = None
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        sent = await ctx.bot.send_message(chat_id, part, reply_markup=markup if last else None)
    if position is not None:
        async with ctx.write() as tx:
            await flows.note(tx, chat_id, live=sent.message_id, live_for=live_for, live_shows=shown)


async def replace(
    message: Message,
    ctx: Ctx,
    key: str,
    markup: InlineKeyboardMarkup | None = None,
    **context: Any,
) -> None:
    """Turn a message the bot sent (a progress note) into its outcome; a long outcome goes on
    in new messages after it."""
    parts = render(ctx, key, **context)
    await message.edit_text(parts[0], reply_markup=markup if len(parts) == 1 else None)
    for index, part in enumerate(parts[1:], start=2):
        await ctx.bot.send_message(
            message.chat_id, part, reply_markup=markup if index == len(parts) else None
        )


async def show(
    query: CallbackQuery,
    ctx: Ctx,
    key: str,
    markup: InlineKeyboardMarkup | None = None,
    **context: Any,
) -> None:
    """Answer the button, then turn its message into the next screen."""
    await query.answer()
    await edit(query, ctx, key, markup, **context)


async def edit(
    query: CallbackQuery,
    ctx: Ctx,
    key: str,
    markup: InlineKeyboardMarkup | None = None,
    **context: Any,
) -> None:
    """Replace the message a button sat on (the first part only: these texts are short)."""
    text = render(ctx, key, **context)[0]
    shown = query.message
    # A double tap renders the same screen again: Telegram refuses an identical edit, so
    # none is sent. (Compared as Telegram shows it: the text without its markup.)
    after = (plain(text), _rows(markup))
    if _looks(shown) == after or _edited_already(ctx, shown, after):
        return
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as error:
        # A restart forgets what was edited: the second edit of a double tap is then the same.
        if "not modified" not in str(error).lower():
            raise
    _remember_edit(ctx, shown, after)


async def edit_buttons(query: CallbackQuery, markup: InlineKeyboardMarkup | None, ctx: Ctx) -> None:
    """Change only the buttons of the message a button sat on (once for a double tap)."""
    shown = query.message
    before = _looks(shown)
    after = (before[0] if before else None, _rows(markup))
    if before == after or _edited_already(ctx, shown, after):
        return
    try:
        await query.edit_message_reply_markup(markup)
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            raise
    _remember_edit(ctx, shown, after)


# Per chat, the messages last edited in answer to a tap: enough for a burst of taps.
_EDITS_KEPT = 32
Looks = tuple[str | None, list]  # a message as Telegram shows it: its text, its buttons


def _looks(message: Any) -> Looks | None:
    if not isinstance(message, Message):
        return None  # too old for Telegram to say what it shows
    return (message.text or message.caption, _rows(message.reply_markup))


def _edited_already(ctx: Ctx, shown: Any, after: Looks) -> bool:
    """Both taps of a double tap carry the message as it was before the first one's edit,
    so what they show can't tell the second from the first; what the first edit made of
    the same message can."""
    before = _looks(shown)
    if before is None or ctx.chat_data is None:
        return False
    return ctx.chat_data.get("edits", {}).get(shown.message_id) == (before, after)


def _remember_edit(ctx: Ctx, shown: Any, after: Looks) -> None:
    before = _looks(shown)
    if before is None or ctx.chat_data is None:
        return
    edits = ctx.chat_data.setdefault("edits", {})
    edits.pop(shown.message_id, None)  # the newest last
    edits[shown.message_id] = (before, after)
    while len(edits) > _EDITS_KEPT:
        del edits[next(iter(edits))]


def plain(html_text: str) -> str:
    """Telegram HTML as the person sees it: tags gone, entities read, outer space trimmed."""
    return html.unescape(re.sub(r"<[^>]*>", "", html_text)).strip()


def _rows(keyboard: InlineKeyboardMarkup | None) -> list:
    if keyboard is None:
        return []
    return [[(b.text, b.callback_data) for b in row] for row in keyboard.inline_keyboard]


def _thread_of(message: Message | None) -> int | None:
    if message is not None and message.is_topic_message:
        return message.message_thread_id
    return None


def thread_id(update: Update) -> int:
    """The forum topic an update is in, 0 for the chat as a whole."""
    return _thread_of(update.effective_message) or 0


def role_line(ctx: Ctx, grant: RoleGrant) -> str:
    return ctx.msgs.text(ctx.locale, "whoami/role_line", grant=grant)


async def alert(query: CallbackQuery, ctx: Ctx, key: str, **context: Any) -> None:
    """Answer a button with a pop-up (plain text, as Telegram shows it)."""
    alert = ctx.msgs.alert(ctx.locale, key, campaign=ctx.campaign, **context)
    await query.answer(alert, show_alert=True)


async def toast(query: CallbackQuery, ctx: Ctx, key: str, **context: Any) -> None:
    """Answer a button with a short note that fades (plain text)."""
    await query.answer(ctx.msgs.alert(ctx.locale, key, **context))


async def stale(query: CallbackQuery, ctx: Ctx) -> None:
    """The button is out of date: say which command brings a current one."""
    await alert(query, ctx, "common/stale", command=callbacks.command_of(query.data))


async def not_allowed(query: CallbackQuery, ctx: Ctx) -> None:
    await alert(query, ctx, "common/not_allowed")


def choices(ctx: Ctx, things: Sequence[Any], data: Callable[[int], str]) -> list[Button]:
    """One button per unit or project ("Name (CODE)"), with data(id)."""
    return [
        (ctx.msgs.label(ctx.locale, "choice", name=t.name, code=t.code), data(t.id)) for t in things
    ]


async def refresh_menu(ctx: Ctx, actor: Actor) -> None:
    """Set the person's own command menu, and remember it (a restart then leaves it be)."""
    signature = await set_private_menu(ctx.bot, ctx.msgs, actor)
    if signature is not None:
        async with ctx.write() as tx:
            await people.set_menus(tx, {actor.user_id: signature})


def after_album(
    update: Update,
    ctx: Ctx,
    purpose: str,
    answer: Callable[[Ctx], Awaitable[None]],
    data: dict[str, Any],
) -> None:
    """Each item of an album comes as an update of its own, with no count and no end: each
    is stored at once by the caller, and `answer` runs once, when no further item came for a
    moment, with the job's data: `data` and the number of items (`items`). Until then the
    runner counts as busy."""
    name = f"{purpose}:{update.effective_chat.id}:{update.effective_message.media_group_id}"
    earlier = ctx.job_queue.get_jobs_by_name(name)
    items = 1 + sum(job.data["items"] for job in earlier)
    for job in earlier:
        job.schedule_removal()

    async def answered(job_ctx: Ctx) -> None:
        try:
            await answer(job_ctx)
        finally:
            job_ctx.core.albums_open.discard(name)

    ctx.core.albums_open.add(name)
    ctx.job_queue.run_once(
        answered,
        ALBUM_QUIET,
        name=name,
        chat_id=update.effective_chat.id,
        user_id=ctx.actor.user_id,
        data={**data, "items": items},
    )
