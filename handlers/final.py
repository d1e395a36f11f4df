"""/final: a candidate's lead hands in the final items of the assessment (the campaign's
[[final]]: a work summary, a results report) while the stage is open, privately.

    /final ─▶ the items, ✓/○, what is stored, the deadline (one screen, edited in place)
              └▶ 📎 an item ─▶ a document or a picture  ─┐
                             └▶ typed text … ✓ Done     ─┴▶ the preview (and what it
                                replaces) ─▶ ✅ Confirm ─▶ the screen again / ✖ Cancel

The steps from 📎 to ✅ Confirm are /deliverables' too: handlers/hand_in.py, where the flow's
data lives between them (a restart loses nothing) and a second ✅ writes nothing. This module
says what a candidate, its items and its screen are, and which files an item takes.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import Application, CommandHandler, filters

from bot.campaign import FinalItem
from bot.core import Ctx
from bot.flow import Flow, StageGuard
from bot.media import DOWNLOAD_LIMIT
from handlers import flow_input, guards, hand_in, ui
from handlers.callbacks import Buttons
from storage import finals, flows
from storage.finals import Candidate, Content

STAGE = "assess"
FLOW = "final"
GUARD = StageGuard(STAGE, "final/before", "final/after")
BUTTONS = Buttons(
    "fs",
    command="final",
    item=("i", (int, str)),  # send or replace this item of this project
    done=("d", (int, str)),  # the typed text is complete
    confirm=("y", (int, str)),  # store what the preview shows
    cancel=("n", (int,)),  # back to the project's screen, nothing stored
)
TEXT_LIMIT = 30_000  # characters of typed text in one item, all its messages together
PREVIEW_CHARS = 300  # of typed text, in the preview


def register(app: Application) -> None:
    # In a group, /final is answered with the way to the private chat (handlers/fallback.py).
    app.add_handler(CommandHandler("final", final_command, filters.ChatType.PRIVATE))
    app.add_handler(guards.tapped(BUTTONS))
    flow_input.declare(app, _FLOW)


def _is_lead(actor) -> bool:
    return bool(actor.projects("lead"))


@guards.person(_is_lead, "final/not_lead")
async def final_command(update: Update, ctx: Ctx) -> None:
    if await guards.refuse_if_shut(update, ctx, GUARD):
        return
    found = await finals.candidates(ctx.db, ctx.actor.projects("lead"))
    if not found:
        await ui.reply(update, ctx, "final/not_candidate")
        return
    if ctx.flow is not None and ctx.flow.flow == FLOW:
        async with ctx.write() as tx:
            await flows.end(tx, ctx.actor.user_id)
    for candidate in found:  # one screen per candidate the person leads (mostly one)
        markup, context = await _screen(ctx, candidate)
        await ui.reply(update, ctx, "final/screen", markup, **context)


async def _screen(ctx: Ctx, candidate: Candidate) -> tuple[InlineKeyboardMarkup, dict[str, Any]]:
    stored = (await finals.current(ctx.db, [candidate.project_id])).get(candidate.project_id, {})
    label = ctx.msgs.label

    def button(item: FinalItem) -> ui.Button:
        key = "final_replace" if item.key in stored else "final_send"
        text = label(ctx.locale, key, item=item.title.get(ctx.locale))
        return text, BUTTONS.data("item", candidate.project_id, item.key)

    rows = [[button(item)] for item in ctx.campaign.finals]
    items = [{"item": item, "stored": stored.get(item.key)} for item in ctx.campaign.finals]
    return ui.keyboard(rows), {
        "project": candidate,
        "items": items,
        "stage": ctx.campaign.stage(STAGE),
    }


# --- handing in: the steps /deliverables shares (handlers/hand_in.py) -------------------------


async def _candidate(ctx: Ctx, project_id: int) -> Candidate | None:
    found = await finals.candidates(ctx.db, [project_id])
    return found[0] if found else None


def _take(message: Message, item: FinalItem) -> hand_in.Taken:
    """A document or a picture as the item's content, or the refusal (with what it names)."""
    if message.text:  # typed text, for an item that takes none
        return None, "final/wrong_input", {"item": item}
    attached = ui.attached(message)
    if attached is None or attached.kind == "video":
        return None, "final/not_a_document", {"limit": DOWNLOAD_LIMIT // 2**20}
    named = {"file_name": attached.file_name or "", "limit": DOWNLOAD_LIMIT // 2**20}
    if (attached.size or 0) > DOWNLOAD_LIMIT:
        return None, "final/too_big", named
    mime = message.document.mime_type if message.document else "image/jpeg"
    if attached.kind == "document" and not hand_in.is_document(attached.file_name, mime):
        return None, "final/bad_type", named
    if attached.kind not in item.accepts:
        return None, "final/wrong_input", {"item": item}
    content = Content(
        attached.kind,
        file_id=attached.file_id,
        file_unique_id=attached.file_unique_id,
        file_name=attached.file_name,
        size=attached.size,
        mime_type=mime,
    )
    return content, None, {}


HAND_IN = hand_in.HandIn(
    flow=FLOW,
    area="final",
    buttons=BUTTONS,
    stage=GUARD,
    load=_candidate,
    gone="final/not_candidate",
    refusal="final/not_lead",
    item_of=lambda ctx, key: ctx.campaign.final(key),
    takes_text=lambda item: "text" in item.accepts,
    take=_take,
    current=finals.current,
    submit=finals.submit,
    screen=_screen,
    text_limit=TEXT_LIMIT,
    preview_chars=PREVIEW_CHARS,
)
_FLOW = Flow(
    FLOW,
    {"send": HAND_IN.step, "confirm": HAND_IN.step},
    allowed=_is_lead,
    stage=GUARD,
    context=HAND_IN.wrong_context,
)
