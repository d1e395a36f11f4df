"""The evidence on a scoring card (bot/evidence.py): its buttons send what the card only
glimpses (the application's full text, the highlights' photos, the final items), to a reviewer
of that candidate or an admin, privately.

    card ─▶ 📄 the application, in as many messages as it needs
         ├▶ 🖼 the highlights' photos, in albums (only when there are some)
         └▶ 📎 the final items: each document or picture as it was handed in, typed text as
            messages (only when some are handed in)

What a button sends is the answer to the person tapping, sent at once (the bot's requests are
paced), not an outbox row; the card itself stays as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InputMediaPhoto, Update
from telegram.constants import ChatType
from telegram.ext import Application

from bot.access import Actor
from bot.core import Ctx
from bot.evidence import Evidence
from handlers import application_view, guards, highlights, ui
from handlers.callbacks import Buttons
from storage import applications, finals, reviews
from storage import evidence as stored

BUTTONS = Buttons(
    "ev",
    command="review",
    application=("a", (int,)),  # the application of this candidate, in full
    photos=("p", (int,)),  # its highlights' photos
    finals=("f", (int,)),  # its final items
)
# Albums a tap sends at most: a candidate with hundreds of highlighted photos would otherwise
# hold the bot's overall pace for everyone; /highlights shows them all.
PHOTO_LIMIT = 5 * highlights.ALBUM_LIMIT


def register(app: Application) -> None:
    app.add_handler(guards.tapped(BUTTONS))


def rows(ctx: Ctx, evidence: Evidence) -> list[list[ui.Button]]:
    """The evidence's buttons, to go on the card above the scores: at most two rows, and
    none that would have nothing to send."""
    label, project_id = ctx.msgs.label, evidence.project.id
    first = []
    if evidence.application:
        first.append(
            (label(ctx.locale, "evidence_application"), BUTTONS.data("application", project_id))
        )
    if evidence.highlight_photos:
        text = label(ctx.locale, "evidence_photos", count=evidence.highlight_photos)
        first.append((text, BUTTONS.data("photos", project_id)))
    second = []
    if any(item.key in evidence.finals for item in evidence.final_items):
        second.append((label(ctx.locale, "evidence_finals"), BUTTONS.data("finals", project_id)))
    return [row for row in (first, second) if row]


# --- who may read: a candidate's reviewer (not recused) or an admin ---------------------------


@dataclass(frozen=True)
class Reading:
    """A candidate a button names, and the tapper's review of it (None: they have none)."""

    candidate: finals.Candidate
    review: reviews.Review | None


async def _reading(ctx: Ctx, project_id: int) -> Reading | None:
    found = await finals.candidates(ctx.db, [project_id])
    if not found:
        return None
    return Reading(found[0], await reviews.of(ctx.db, ctx.actor.user_id, project_id))


def may_read(actor: Actor, reading: Reading) -> bool:
    """A candidate's evidence is for its reviewers and the admins: a recused reviewer is out."""
    if actor.is_admin:
        return True
    review = reading.review
    return actor.has("reviewer") and review is not None and review.state != reviews.RECUSED


_PRIVATE = guards.in_chats(ChatType.PRIVATE)
_READS = guards.on_object(_reading, may_read, refusal="evidence/not_reviewer")


@BUTTONS.on("application")
@_PRIVATE
@_READS
async def _application(update: Update, ctx: Ctx, reading: Reading) -> None:
    application = await applications.of_project(ctx.db, reading.candidate.project_id)
    if application is None:
        await ui.stale(update.callback_query, ctx)
        return
    await ui.toast(update.callback_query, ctx, "evidence/sent")
    await application_view.send(update, ctx, application)


@BUTTONS.on("photos")
@_PRIVATE
@_READS
async def _photos(update: Update, ctx: Ctx, reading: Reading) -> None:
    query = update.callback_query
    found = await stored.highlight_photos(ctx.db, reading.candidate.project_id)
    if not found:
        await ui.alert(query, ctx, "evidence/no_photos")
        return
    await ui.toast(query, ctx, "evidence/sent")
    album, previous = [], None
    for photo in found[:PHOTO_LIMIT]:
        caption = None
        if photo.report_id != previous:  # each report's first photo says what it is
            activity = ctx.campaign.activity(photo.activity)
            caption = ui.render(ctx, "evidence/photo", activity=activity, day=photo.held_on)[0]
        album.append(InputMediaPhoto(photo.file_id, caption=caption))
        previous = photo.report_id
    chat_id = update.effective_chat.id
    await highlights.send_photos(ctx, chat_id, album)
    if len(found) > PHOTO_LIMIT:
        await ui.reply(update, ctx, "evidence/more_photos", shown=PHOTO_LIMIT, num=len(found))


@BUTTONS.on("finals")
@_PRIVATE
@_READS
async def _finals(update: Update, ctx: Ctx, reading: Reading) -> None:
    query, candidate = update.callback_query, reading.candidate
    items = (await finals.current(ctx.db, [candidate.project_id])).get(candidate.project_id, {})
    handed_in = [(item, items[item.key]) for item in ctx.campaign.finals if item.key in items]
    if not handed_in:
        await ui.alert(query, ctx, "evidence/no_finals")
        return
    await ui.toast(query, ctx, "evidence/sent")
    chat_id = update.effective_chat.id
    for item, final in handed_in:
        content = final.content
        context = {"project": candidate, "item": item, "final": final}
        if content.kind == "text":
            await ui.reply(update, ctx, "evidence/final_text", **context)
            continue
        caption = ui.render(ctx, "evidence/final_caption", **context)[0]
        if content.kind == "photo":
            await ctx.bot.send_photo(chat_id, content.file_id, caption=caption)
        else:
            await ctx.bot.send_document(chat_id, content.file_id, caption=caption)
