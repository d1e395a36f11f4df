"""/final: a candidate's lead hands in the final items of the assessment (the campaign's
[[final]]: a work summary, a results report) while the stage is open, privately.

    /final ─▶ the items, ✓/○, what is stored, the deadline (one screen, edited in place)
              └▶ 📎 an item ─▶ a document or a picture  ─┐
                             └▶ typed text … ✓ Done     ─┴▶ the preview (and what it
                                replaces) ─▶ ✅ Confirm ─▶ the screen again / ✖ Cancel

Where the lead is between a tap and ✅ Confirm lives in the flow's data (`storage.flows`), so a
restart loses nothing; the confirmation checks that data in the transaction that writes the
item and ends the flow, so a second tap writes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from pathlib import PurePath
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler, filters

from bot.campaign import FinalItem
from bot.core import Ctx
from bot.flow import Accepts, Flow, StageGuard, Step
from bot.media import DOWNLOAD_LIMIT
from handlers import flow_input, guards, ui
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
# Final documents are kept as they are, never parsed: old Word and WPS are as good as any.
DOCUMENT_SUFFIXES = frozenset(
    {".pdf", ".doc", ".docx", ".wps", ".jpg", ".jpeg", ".png", ".heic", ".webp"}
)
DOCUMENT_TYPES = frozenset(
    {
        "application/pdf",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-works",
        "application/kswps",
        "image/jpeg",
        "image/png",
        "image/heic",
        "image/webp",
    }
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


# --- buttons: each action on the candidate it names, checked by one guard -----------------------


# Final items are handed in privately: a tap in a group is out of place.
_IN_PRIVATE = guards.in_chats(ChatType.PRIVATE)


async def _candidate(ctx: Ctx, project_id: int) -> Candidate | None:
    found = await finals.candidates(ctx.db, [project_id])
    return found[0] if found else None


def _leads(actor, candidate: Candidate) -> bool:
    return candidate.project_id in actor.projects("lead")


# The candidate a button names, if the tapper leads it while the stage is open; else told why.
_LEADS_OPEN = guards.on_object(
    _candidate, _leads, gone="final/not_candidate", refusal="final/not_lead", stage=GUARD
)


def _with_item(handler: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """The item a button names, by its key; one the campaign no longer has is out of date."""

    @functools.wraps(handler)
    async def guarded(update: Update, ctx: Ctx, candidate: Candidate, key: str) -> None:
        item = ctx.campaign.final(key)
        if item is None:
            await ui.stale(update.callback_query, ctx)
            return
        await handler(update, ctx, candidate, item)

    return guarded


def _mine(ctx: Ctx, candidate: Candidate, item: FinalItem | None = None) -> dict | None:
    """The flow's data, if the person is handing in `item` of `candidate` (any item: None)."""
    position = ctx.flow
    if position is None or position.flow != FLOW:
        return None
    data = position.data
    if data.get("project") != candidate.project_id:
        return None
    if item is not None and data.get("item") != item.key:
        return None
    return data


@BUTTONS.on("item")
@_IN_PRIVATE
@_LEADS_OPEN
@_with_item
async def _item(update: Update, ctx: Ctx, candidate: Candidate, item: FinalItem) -> None:
    """Ask for the item: a document, a picture, or typed text."""
    async with ctx.write() as tx:
        await flows.begin(
            tx, ctx.actor.user_id, FLOW, "send", project=candidate.project_id, item=item.key
        )
    stored = (await finals.current(ctx.db, [candidate.project_id])).get(candidate.project_id, {})
    await ui.show(
        update.callback_query,
        ctx,
        "final/ask",
        _asking_buttons(ctx, candidate, item),
        project=candidate,
        item=item,
        stored=stored.get(item.key),
        typed=0,
    )


def _asking_buttons(ctx: Ctx, candidate: Candidate, item: FinalItem) -> InlineKeyboardMarkup:
    label = ctx.msgs.label
    rows = []
    if "text" in item.accepts:
        rows.append(
            [(label(ctx.locale, "done"), BUTTONS.data("done", candidate.project_id, item.key))]
        )
    rows.append([(label(ctx.locale, "cancel"), BUTTONS.data("cancel", candidate.project_id))])
    return ui.keyboard(rows)


@BUTTONS.on("done")
@_IN_PRIVATE
@_LEADS_OPEN
@_with_item
async def _done(update: Update, ctx: Ctx, candidate: Candidate, item: FinalItem) -> None:
    """The typed text is complete: its preview."""
    query = update.callback_query
    data = _mine(ctx, candidate, item)
    if data is None or ctx.flow.step != "send":
        await ui.alert(query, ctx, "final/nothing_pending")
        return
    if not data.get("text"):
        await ui.alert(query, ctx, "final/nothing_typed")
        return
    content = Content("text", text=data["text"])
    async with ctx.write() as tx:
        await flows.go(tx, ctx.actor.user_id, "confirm")
        await flows.note(tx, ctx.actor.user_id, content=as_data(content))
    await query.answer()
    await _preview(ctx, update.effective_chat.id, candidate, item, content, query=query)


@BUTTONS.on("confirm")
@_IN_PRIVATE
@_LEADS_OPEN
@_with_item
async def _confirm(update: Update, ctx: Ctx, candidate: Candidate, item: FinalItem) -> None:
    """Store what the preview showed: checked against the flow in the same transaction that
    ends it, so a double tap or an old preview stores nothing."""
    query = update.callback_query
    async with ctx.write() as tx:
        position = await flows.current(tx, ctx.actor.user_id)
        data = position.data if position is not None and position.flow == FLOW else {}
        ready = (
            position is not None
            and position.step == "confirm"
            and data.get("project") == candidate.project_id
            and data.get("item") == item.key
            and "content" in data
            and query.message is not None
            and data.get("preview") == query.message.message_id
        )
        if ready:
            await flows.end(tx, ctx.actor.user_id)
            await finals.submit(
                tx, candidate.project_id, item.key, Content(**data["content"]), by=ctx.actor.user_id
            )
    if not ready:
        await ui.alert(query, ctx, "final/nothing_pending")
        return
    ctx.flow = None
    [candidate] = await finals.candidates(ctx.db, [candidate.project_id])
    markup, context = await _screen(ctx, candidate)
    await ui.toast(query, ctx, "final/saved", item=item.title.get(ctx.locale))
    await ui.edit(query, ctx, "final/screen", markup, **context)


@BUTTONS.on("cancel")
@_IN_PRIVATE
@_LEADS_OPEN
async def _cancel(update: Update, ctx: Ctx, candidate: Candidate) -> None:
    if _mine(ctx, candidate) is not None:
        async with ctx.write() as tx:
            await flows.end(tx, ctx.actor.user_id)
        ctx.flow = None
    markup, context = await _screen(ctx, candidate)
    await ui.show(update.callback_query, ctx, "final/screen", markup, **context)


# --- what the lead sends ---------------------------------------------------------------------


def is_document(file_name: str | None, mime: str | None) -> bool:
    """A file taken as a document (PDF, Word, WPS, a picture): by its name's suffix, or by its
    type when it has no suffix. Deliverables' write-ups follow the same rule."""
    suffix = PurePath(file_name or "").suffix.lower()
    return suffix in DOCUMENT_SUFFIXES or (not suffix and mime in DOCUMENT_TYPES)


def as_data(content: Content) -> dict[str, Any]:
    """Content as a flow's data keeps it (what is set)."""
    return {k: v for k, v in vars(content).items() if v is not None}


async def _sent(update: Update, ctx: Ctx) -> None:
    """A document, a picture or typed text for the item asked for."""
    data = ctx.flow.data
    found = await finals.candidates(ctx.db, [data.get("project", 0)])
    item = ctx.campaign.final(data.get("item"))
    if not found or item is None or data.get("project") not in ctx.actor.projects("lead"):
        async with ctx.write() as tx:
            await flows.end(tx, ctx.actor.user_id)
        await ui.reply(update, ctx, "common/stale", command="final")
        return
    candidate, message = found[0], update.effective_message
    if ctx.flow.step != "send":  # one preview at a time: its ✅ stores what it shows
        await ui.reply(update, ctx, "final/confirm_first")
        return
    if message.text:
        await _typed(update, ctx, candidate, item, data.get("text", ""))
        return
    content, refusal = _file(message)
    if refusal is not None:
        await ui.reply(update, ctx, refusal, **(content or {}), limit=DOWNLOAD_LIMIT // 2**20)
        return
    if content.kind not in item.accepts:
        await ui.reply(update, ctx, "final/wrong_input", item=item)
        return
    async with ctx.write() as tx:
        await flows.go(tx, ctx.actor.user_id, "confirm")
        await flows.note(tx, ctx.actor.user_id, content=as_data(content), text=None)
    await _preview(ctx, update.effective_chat.id, candidate, item, content)


def _file(message) -> tuple[Any, str | None]:
    """The message's document or picture as an item's content, or the refusal's key (with
    what it names)."""
    attached = ui.attached(message)
    if attached is None or attached.kind == "video":
        return None, "final/not_a_document"
    named = {"file_name": attached.file_name or ""}
    if (attached.size or 0) > DOWNLOAD_LIMIT:
        return named, "final/too_big"
    mime = message.document.mime_type if message.document else "image/jpeg"
    if attached.kind == "document" and not is_document(attached.file_name, mime):
        return named, "final/bad_type"
    content = Content(
        attached.kind,
        file_id=attached.file_id,
        file_unique_id=attached.file_unique_id,
        file_name=attached.file_name,
        size=attached.size,
        mime_type=mime,
    )
    return content, None


async def _typed(
    update: Update, ctx: Ctx, candidate: Candidate, item: FinalItem, written: str
) -> None:
    """Typed text adds to what was typed for the item (a blank line between messages)."""
    if "text" not in item.accepts:
        await ui.reply(update, ctx, "final/wrong_input", item=item)
        return
    text = (
        f"{written}\n\n{update.effective_message.text}"
        if written
        else update.effective_message.text
    )
    if len(text) > TEXT_LIMIT:
        await ui.reply(update, ctx, "final/too_long", limit=TEXT_LIMIT)
        return
    async with ctx.write() as tx:
        await flows.note(tx, ctx.actor.user_id, text=text)
    await ui.reply(
        update,
        ctx,
        "final/ask",
        _asking_buttons(ctx, candidate, item),
        project=candidate,
        item=item,
        stored=None,
        typed=len(text),
    )


async def _preview(
    ctx: Ctx,
    chat_id: int,
    candidate: Candidate,
    item: FinalItem,
    content: Content,
    *,
    query=None,
) -> None:
    """What will be stored, and what it replaces; ✅ Confirm or ✖ Cancel."""
    stored = (await finals.current(ctx.db, [candidate.project_id])).get(candidate.project_id, {})
    label = ctx.msgs.label
    markup = ui.keyboard(
        [
            [
                (
                    label(ctx.locale, "final_confirm"),
                    BUTTONS.data("confirm", candidate.project_id, item.key),
                )
            ],
            [(label(ctx.locale, "cancel"), BUTTONS.data("cancel", candidate.project_id))],
        ]
    )
    context = {
        "project": candidate,
        "item": item,
        "content": content,
        "shown": (content.text or "")[:PREVIEW_CHARS],
        "replaces": stored.get(item.key),
    }
    if query is not None:
        await ui.edit(query, ctx, "final/preview", markup, **context)
        shown_in = query.message.message_id
    else:
        text = ui.render(ctx, "final/preview", **context)[0]
        shown_in = (await ctx.bot.send_message(chat_id, text, reply_markup=markup)).message_id
    # Only this preview's ✅ stores it: an older one left on the screen showed something else.
    async with ctx.write() as tx:
        await flows.note(tx, ctx.actor.user_id, preview=shown_in)


_STEP = Step(
    Accepts.TEXT | Accepts.DOCUMENT | Accepts.PHOTO | Accepts.VIDEO, "final/wrong_input", _sent
)


async def _wrong_context(update: Update, ctx: Ctx) -> dict[str, Any]:
    return {"item": ctx.campaign.final(ctx.flow.data.get("item")) if ctx.flow else None}


_FLOW = Flow(
    FLOW,
    {"send": _STEP, "confirm": _STEP},
    allowed=_is_lead,
    stage=GUARD,
    context=_wrong_context,
)
