"""Stage 3's charts, for the campaign admins in a private chat (scores reach no one else):

    📊 ─▶ "drawing…" at once ─▶ the bar chart of every scored candidate, as a photo (an album
         of photos, 25 bars each, for a larger field)
    🕸 (a candidate) ─▶ "drawing…" at once ─▶ its criteria against the field's average

The buttons go on /ranking's screens (`rows_for_table`, `rows_for_candidate`). Each chart is
the answer to the admin who tapped, sent at once (not an outbox row), drawn off the event loop
(bot/charts.py). A photo, not a document: Telegram shows it in the chat, readable on a phone
with no download; `pacesetter charts OUT_DIR` writes the same images as files for the record.
"""

from __future__ import annotations

import asyncio
import importlib

from telegram import InputMediaPhoto, Update
from telegram.constants import ChatType
from telegram.ext import Application

from bot.core import Ctx
from handlers import guards, ui
from handlers.callbacks import Buttons
from storage import finals

BUTTONS = Buttons(
    "ch",
    command="ranking",
    table=("t", ()),  # the bar chart of the whole field
    radar=("r", (int,)),  # a candidate's radar
)
ALBUM = 10  # photos Telegram takes in one album


def register(app: Application) -> None:
    app.add_handler(guards.tapped(BUTTONS, guards.admin))


def rows_for_table(ctx: Ctx) -> list[list[ui.Button]]:
    """📊 for /ranking's table."""
    return [[(ctx.msgs.label(ctx.locale, "chart_table"), BUTTONS.data("table"))]]


def rows_for_candidate(ctx: Ctx, project_id: int) -> list[list[ui.Button]]:
    """🕸 for a candidate's detail on /ranking."""
    return [[(ctx.msgs.label(ctx.locale, "chart_radar"), BUTTONS.data("radar", project_id))]]


async def _charts():
    """bot/charts.py, which loads matplotlib (most of a second): imported in a worker thread
    when a chart is first asked for, not by every start of the bot."""
    return await asyncio.to_thread(importlib.import_module, "bot.charts")


async def _candidate(ctx: Ctx, project_id: int) -> finals.Candidate | None:
    found = await finals.candidates(ctx.db, [project_id])
    return found[0] if found else None


@BUTTONS.on("table")
@guards.in_chats(ChatType.PRIVATE)
async def _table(update: Update, ctx: Ctx) -> None:
    query = update.callback_query
    charts = await _charts()
    field = await charts.load(ctx.db, ctx.campaign)
    drawings = charts.ranking_charts(field, ctx.msgs, ctx.locale, ctx.campaign)
    if not drawings:
        await ui.alert(query, ctx, "charts/nothing")
        return
    await ui.toast(query, ctx, "charts/drawing")  # the tap is answered before the drawing
    images = await asyncio.to_thread(lambda: [draw() for draw in drawings])
    caption = ui.render(
        ctx,
        "charts/ranking",
        stage=ctx.campaign.stage("assess"),
        now=ctx.now,
        count=len(field.scored()),
    )[0]
    chat_id = update.effective_chat.id
    for start in range(0, len(images), ALBUM):
        part, words = images[start : start + ALBUM], caption if start == 0 else None
        if len(part) == 1:  # an album holds 2 to 10
            await ctx.bot.send_photo(chat_id, part[0], caption=words)
            continue
        album = [InputMediaPhoto(part[0], caption=words)]
        album += [InputMediaPhoto(image) for image in part[1:]]
        await ctx.bot.send_media_group(chat_id, album)


@BUTTONS.on("radar")
@guards.in_chats(ChatType.PRIVATE)
@guards.on_object(_candidate)
async def _radar(update: Update, ctx: Ctx, candidate: finals.Candidate) -> None:
    query = update.callback_query
    charts = await _charts()
    field = await charts.load(ctx.db, ctx.campaign)
    row = field.ranking.row(candidate.project_id)
    drawing = row and charts.radar(field, row, ctx.msgs, ctx.locale, ctx.campaign)
    if not drawing:
        await ui.alert(query, ctx, "charts/no_reviews", project=candidate.name)
        return
    await ui.toast(query, ctx, "charts/drawing")
    image = await asyncio.to_thread(drawing)
    caption = ui.render(ctx, "charts/radar", row=row)[0]
    await ctx.bot.send_photo(update.effective_chat.id, image, caption=caption)
