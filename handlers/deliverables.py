"""/deliverables: a pacesetter's lead hands in the consolidation's deliverables (the campaign's
[[deliverable]]: the experience write-up, the micro-video, the results booklet) while the
stage is open, privately; secretaries and admins see their pacesetters' checklists.

    /deliverables ─▶ the checklist, ✓/○, what is stored, the deadline (one screen, in place)
        ├▶ 📎 the write-up ─▶ a document, or typed text … ✓ Done ─┐
        ├▶ 📎 the video ─▶ a video (or a video file), or a link ──┴▶ the preview ─▶ ✅ Confirm
        └▶ the booklet: 📄 open my chapter, 👍 approve it, ✏ corrections ─▶ typed ─▶ the admins

Where the lead is between a tap and ✅ Confirm lives in the flow's data (`storage.flows`), so a
restart loses nothing; the confirmation checks that data in the transaction that writes the
item and ends the flow, so a second tap writes nothing; it, like an approval already made,
still turns its message into the checklist as stored (the tap may be redelivered after a
restart that came between the write and the edit). "Complete" means every deliverable of
the campaign: each document and video stored, and the latest booklet draft approved; the
pacesetter's unit secretaries and the admins are told once, in the transaction that makes it so.
"""

from __future__ import annotations

import asyncio
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import urlsplit

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler, filters

from bot.access import admin_ids
from bot.campaign import Deliverable
from bot.core import Ctx
from bot.flow import PROMPT_EXPIRY, Accepts, Flow, StageGuard, Step
from bot.media import DOWNLOAD_LIMIT
from bot.notices import cause, to_people
from bot.reminders import done_deliverable
from handlers import flow_input, guards, ui
from handlers.callbacks import Buttons
from handlers.final import as_data, is_document
from storage import deliverables, flows
from storage.db import Transaction
from storage.deliverables import APPROVED, Content, Pacesetter
from storage.outbox import Cause

STAGE = "consolidate"
FLOW = "deliverables"
GUARD = StageGuard(STAGE, "deliverables/before", "deliverables/after")
BUTTONS = Buttons(
    "dv",
    command="deliverables",
    item=("i", (int, str)),  # send or replace this deliverable of this project
    done=("d", (int, str)),  # the typed text is complete
    confirm=("y", (int, str)),  # store what the preview shows
    cancel=("n", (int,)),  # back to the project's checklist, nothing stored
    chapter=("c", (int,)),  # the booklet chapter's draft, as a .docx
    approve=("a", (int, int)),  # the project's draft, approved
    fix=("f", (int, int)),  # corrections to the project's draft, typed next
    page=("p", (int,)),  # a page of the checklists (admins, secretaries)
)
UPLOAD_LIMIT = 50 * 2**20  # bytes: the most Telegram takes from a person's upload to a bot
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".avi", ".mkv", ".wmv", ".flv", ".3gp"})
# Where Chinese units post their videos, named on the checklist; any other https link is taken.
PLATFORMS = {
    "v.qq.com": "tencent",
    "weixin.qq.com": "channels",
    "channels.weixin.qq.com": "channels",
    "bilibili.com": "bilibili",
    "b23.tv": "bilibili",
    "douyin.com": "douyin",
    "youku.com": "youku",
}
TEXT_LIMIT = 30_000  # characters of typed text in the write-up, all its messages together
COMMENT_LIMIT = 3_000  # characters of corrections to a booklet chapter
PREVIEW_CHARS = 300  # of typed text, in the preview
PAGE_SIZE = 10  # pacesetters' checklists on one page of the overview


def register(app: Application) -> None:
    # In a group, /deliverables is answered with the way to the private chat (fallback.py).
    app.add_handler(CommandHandler("deliverables", deliverables_command, filters.ChatType.PRIVATE))
    app.add_handler(guards.tapped(BUTTONS))
    flow_input.declare(app, _FLOW)


def _is_lead(actor) -> bool:
    return bool(actor.projects("lead"))


def _oversees(actor) -> bool:
    return actor.is_admin or bool(actor.secretary_units())


@guards.person(lambda actor: _is_lead(actor) or _oversees(actor), "deliverables/not_lead")
async def deliverables_command(update: Update, ctx: Ctx) -> None:
    if await guards.refuse_if_shut(update, ctx, GUARD):
        return
    led = await deliverables.pacesetters(ctx.db, ctx.actor.projects("lead"))
    if ctx.flow is not None and ctx.flow.flow == FLOW:
        async with ctx.write() as tx:
            await flows.end(tx, ctx.actor.user_id)
        ctx.flow = None
    for pacesetter in led:  # one screen per pacesetter the person leads (mostly one)
        markup, context = await _screen(ctx, pacesetter)
        await ui.reply(update, ctx, "deliverables/screen", markup, **context)
    if _oversees(ctx.actor):
        markup, context = await _overview(ctx, 0)
        await ui.reply(update, ctx, "deliverables/overview", markup, **context)
    elif not led:
        await ui.reply(update, ctx, "deliverables/not_pacesetter")


async def _checklists(ctx: Ctx, found: list[Pacesetter]) -> list[dict[str, Any]]:
    """Each pacesetter's deliverables and what is stored of each: two reads, however many."""
    ids = [p.project_id for p in found]
    stored = await deliverables.current(ctx.db, ids)
    booklets = await deliverables.booklets(ctx.db, ids)
    listed = []
    for pacesetter in found:
        mine = stored.get(pacesetter.project_id, {})
        booklet = booklets[pacesetter.project_id]
        items = [
            {
                "item": item,
                "stored": mine.get(item.key),
                "booklet": booklet,
                "done": done_deliverable(item, mine, booklet),
            }
            for item in ctx.campaign.deliverables
        ]
        listed.append(
            {"project": pacesetter, "items": items, "complete": all(i["done"] for i in items)}
        )
    return listed


async def _screen(ctx: Ctx, pacesetter: Pacesetter) -> tuple[InlineKeyboardMarkup, dict]:
    [checklist] = await _checklists(ctx, [pacesetter])
    label, project_id, rows = ctx.msgs.label, pacesetter.project_id, []
    for entry in checklist["items"]:
        item = entry["item"]
        if item.kind != "booklet":
            key = "deliverables_replace" if entry["stored"] else "deliverables_send"
            text = label(ctx.locale, key, item=item.title.get(ctx.locale))
            rows.append([(text, BUTTONS.data("item", project_id, item.key))])
            continue
        booklet = entry["booklet"]
        chapter = label(ctx.locale, "deliverables_chapter")
        rows.append([(chapter, BUTTONS.data("chapter", project_id))])
        if booklet.draft_id is not None and booklet.state != APPROVED:
            rows.append(
                [
                    (
                        label(ctx.locale, "deliverables_approve"),
                        BUTTONS.data("approve", project_id, booklet.draft_id),
                    ),
                    (
                        label(ctx.locale, "deliverables_fix"),
                        BUTTONS.data("fix", project_id, booklet.draft_id),
                    ),
                ]
            )
    return ui.keyboard(rows), {
        **checklist,
        "stage": ctx.campaign.stage(STAGE),
        "platform_of": platform,
        "download": DOWNLOAD_LIMIT // 2**20,
    }


async def _overview(ctx: Ctx, page: int) -> tuple[InlineKeyboardMarkup | None, dict]:
    """The checklists of the person's pacesetters (an admin's: all), read-only, a page."""
    if ctx.actor.is_admin:
        found = await deliverables.pacesetters(ctx.db)
    else:
        found = await deliverables.pacesetters(ctx.db, unit_ids=ctx.actor.secretary_units())
    pages = max(1, -(-len(found) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = found[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    nav = ui.page_buttons(ctx, page + 1, pages, lambda p: BUTTONS.data("page", p))
    return ui.keyboard([nav]), {
        "checklists": await _checklists(ctx, shown),
        "total": len(found),
        "page": page + 1,
        "pages": pages,
        "stage": ctx.campaign.stage(STAGE),
        "platform_of": platform,
        "download": DOWNLOAD_LIMIT // 2**20,
    }


@BUTTONS.on("page")
@guards.in_chats(ChatType.PRIVATE)
async def _page(update: Update, ctx: Ctx, page: int) -> None:
    if not _oversees(ctx.actor):
        await ui.not_allowed(update.callback_query, ctx)
        return
    markup, context = await _overview(ctx, page)
    await ui.show(update.callback_query, ctx, "deliverables/overview", markup, **context)


# --- buttons: each action on the pacesetter it names, checked by one guard -------------------

_IN_PRIVATE = guards.in_chats(ChatType.PRIVATE)


async def _pacesetter(ctx: Ctx, project_id: int) -> Pacesetter | None:
    found = await deliverables.pacesetters(ctx.db, [project_id])
    return found[0] if found else None


def may_hand_in(actor, pacesetter: Pacesetter) -> bool:
    return pacesetter.project_id in actor.projects("lead")


# The pacesetter a button names, if the tapper leads it while the stage is open; else why not.
_LEADS_OPEN = guards.on_object(
    _pacesetter,
    may_hand_in,
    gone="deliverables/not_pacesetter",
    refusal="deliverables/not_lead",
    stage=GUARD,
)


def _mine(ctx: Ctx, pacesetter: Pacesetter, key: str | None = None) -> dict | None:
    """The flow's data, if the person is handing in `key` of `pacesetter` (any: None)."""
    position = ctx.flow
    if position is None or position.flow != FLOW:
        return None
    data = position.data
    if data.get("project") != pacesetter.project_id:
        return None
    if key is not None and data.get("item") != key:
        return None
    return data


def _item_of(ctx: Ctx, key: str) -> Deliverable | None:
    """A deliverable the lead sends (not the booklet, which is built) by its key."""
    found = next((d for d in ctx.campaign.deliverables if d.key == key), None)
    return found if found is not None and found.kind != "booklet" else None


@BUTTONS.on("item")
@_IN_PRIVATE
@_LEADS_OPEN
async def _item(update: Update, ctx: Ctx, pacesetter: Pacesetter, key: str) -> None:
    item = _item_of(ctx, key)
    if item is None:
        await ui.stale(update.callback_query, ctx)
        return
    async with ctx.write() as tx:
        await flows.begin(
            tx, ctx.actor.user_id, FLOW, "send", project=pacesetter.project_id, item=item.key
        )
    stored = (await deliverables.current(ctx.db, [pacesetter.project_id])).get(
        pacesetter.project_id, {}
    )
    await ui.show(
        update.callback_query,
        ctx,
        "deliverables/ask",
        _asking_buttons(ctx, pacesetter, item),
        **_asking(pacesetter, item, stored.get(item.key), 0),
    )


def _asking(pacesetter: Pacesetter, item: Deliverable, stored, typed: int) -> dict[str, Any]:
    return {
        "project": pacesetter,
        "item": item,
        "stored": stored,
        "typed": typed,
        "download": DOWNLOAD_LIMIT // 2**20,
        "upload": UPLOAD_LIMIT // 2**20,
        "platform_of": platform,
    }


def _asking_buttons(ctx: Ctx, pacesetter: Pacesetter, item: Deliverable) -> InlineKeyboardMarkup:
    label, rows = ctx.msgs.label, []
    if item.kind == "document":
        rows.append(
            [(label(ctx.locale, "done"), BUTTONS.data("done", pacesetter.project_id, item.key))]
        )
    rows.append([(label(ctx.locale, "cancel"), BUTTONS.data("cancel", pacesetter.project_id))])
    return ui.keyboard(rows)


@BUTTONS.on("done")
@_IN_PRIVATE
@_LEADS_OPEN
async def _done(update: Update, ctx: Ctx, pacesetter: Pacesetter, key: str) -> None:
    """The typed write-up is complete: its preview."""
    query, item = update.callback_query, _item_of(ctx, key)
    data = _mine(ctx, pacesetter, key)
    if item is None or data is None or ctx.flow.step != "send":
        await ui.alert(query, ctx, "deliverables/nothing_pending")
        return
    if not data.get("text"):
        await ui.alert(query, ctx, "deliverables/nothing_typed")
        return
    content = Content("text", text=data["text"])
    async with ctx.write() as tx:
        await flows.go(tx, ctx.actor.user_id, "confirm")
        await flows.note(tx, ctx.actor.user_id, content=as_data(content))
    await query.answer()
    await _preview(ctx, update.effective_chat.id, pacesetter, item, content, query=query)


@BUTTONS.on("confirm")
@_IN_PRIVATE
@_LEADS_OPEN
async def _confirm(update: Update, ctx: Ctx, pacesetter: Pacesetter, key: str) -> None:
    """Store what the preview showed: checked against the flow in the transaction that ends
    it, so a double tap or an old preview stores nothing."""
    query, item = update.callback_query, _item_of(ctx, key)
    async with ctx.write() as tx:
        position = await flows.current(tx, ctx.actor.user_id)
        data = position.data if position is not None and position.flow == FLOW else {}
        ready = (
            item is not None
            and position is not None
            and position.step == "confirm"
            and data.get("project") == pacesetter.project_id
            and data.get("item") == key
            and "content" in data
            and query.message is not None
            and data.get("preview") == query.message.message_id
        )
        if ready:
            await flows.end(tx, ctx.actor.user_id)
            await deliverables.submit(
                tx, pacesetter.project_id, key, Content(**data["content"]), by=ctx.actor.user_id
            )
            await _tell_if_complete(tx, ctx, pacesetter)
    if not ready:
        await ui.alert(query, ctx, "deliverables/nothing_pending")
        await _redraw(query, ctx, pacesetter)
        return
    ctx.flow = None
    await ui.toast(query, ctx, "deliverables/saved", item=item.title.get(ctx.locale))
    await _redraw(query, ctx, pacesetter)


async def _redraw(query: CallbackQuery, ctx: Ctx, pacesetter: Pacesetter) -> None:
    """The message tapped becomes the checklist as stored. Also after a tap that changes
    nothing: an old preview or draft button, or the tap delivered again after a restart whose
    first handling stored it but never got to edit the screen."""
    markup, context = await _screen(ctx, pacesetter)
    await ui.edit(query, ctx, "deliverables/screen", markup, **context)


@BUTTONS.on("cancel")
@_IN_PRIVATE
@_LEADS_OPEN
async def _cancel(update: Update, ctx: Ctx, pacesetter: Pacesetter) -> None:
    if _mine(ctx, pacesetter) is not None:
        async with ctx.write() as tx:
            await flows.end(tx, ctx.actor.user_id)
        ctx.flow = None
    markup, context = await _screen(ctx, pacesetter)
    await ui.show(update.callback_query, ctx, "deliverables/screen", markup, **context)


# --- the booklet: the chapter's draft, approved or corrected ---------------------------------


async def _chapter_draft(ctx: Ctx, project_id: int) -> Path | None:
    """The pacesetter's chapter as a .docx to send, None if not built yet. The booklet's
    builder plugs in here (it records each draft with storage.deliverables.add_draft)."""
    booklet = (await deliverables.booklets(ctx.db, [project_id]))[project_id]
    if booklet.path is None or not Path(booklet.path).is_file():
        return None
    return Path(booklet.path)


@BUTTONS.on("chapter")
@_IN_PRIVATE
@_LEADS_OPEN
async def _chapter(update: Update, ctx: Ctx, pacesetter: Pacesetter) -> None:
    query = update.callback_query
    draft = await _chapter_draft(ctx, pacesetter.project_id)
    if draft is None:
        await ui.alert(query, ctx, "deliverables/not_ready")
        return
    await query.answer()
    data = await asyncio.to_thread(draft.read_bytes)  # a chapter with photos: megabytes
    await ctx.bot.send_document(update.effective_chat.id, data, filename=draft.name)


async def _draft_now(ctx: Ctx, pacesetter: Pacesetter, draft_id: int) -> bool:
    """The draft a button names is the latest and waits for the lead's word."""
    booklet = (await deliverables.booklets(ctx.db, [pacesetter.project_id]))[pacesetter.project_id]
    return booklet.draft_id == draft_id and booklet.state != APPROVED


@BUTTONS.on("approve")
@_IN_PRIVATE
@_LEADS_OPEN
async def _approve(update: Update, ctx: Ctx, pacesetter: Pacesetter, draft_id: int) -> None:
    query = update.callback_query
    if not await _draft_now(ctx, pacesetter, draft_id):
        await ui.alert(query, ctx, "deliverables/draft_gone")
        await _redraw(query, ctx, pacesetter)
        return
    async with ctx.write() as tx:
        judged = await deliverables.judge(tx, draft_id, "approved", by=ctx.actor.user_id)
        if judged:
            await _tell_if_complete(tx, ctx, pacesetter)
    await ui.toast(query, ctx, "deliverables/approved")
    await _redraw(query, ctx, pacesetter)


@BUTTONS.on("fix")
@_IN_PRIVATE
@_LEADS_OPEN
async def _fix(update: Update, ctx: Ctx, pacesetter: Pacesetter, draft_id: int) -> None:
    """Ask for the corrections, typed next; they go to the admins."""
    query = update.callback_query
    if not await _draft_now(ctx, pacesetter, draft_id):
        await ui.alert(query, ctx, "deliverables/draft_gone")
        await _redraw(query, ctx, pacesetter)
        return
    async with ctx.write() as tx:
        await flows.begin(
            tx,
            ctx.actor.user_id,
            FLOW,
            "comment",
            project=pacesetter.project_id,
            draft=draft_id,
        )
    cancel = ctx.msgs.label(ctx.locale, "cancel")
    markup = ui.keyboard([[(cancel, BUTTONS.data("cancel", pacesetter.project_id))]])
    await ui.show(query, ctx, "deliverables/fix_ask", markup, project=pacesetter)


async def _commented(update: Update, ctx: Ctx) -> None:
    """The corrections: stored with the draft and sent to every admin, in one transaction."""
    data = ctx.flow.data
    pacesetter = await _pacesetter(ctx, data.get("project", 0))
    text = update.effective_message.text
    if pacesetter is None or not may_hand_in(ctx.actor, pacesetter):
        async with ctx.write() as tx:
            await flows.end(tx, ctx.actor.user_id)
        await ui.reply(update, ctx, "common/stale", command="deliverables")
        return
    if not await _draft_now(ctx, pacesetter, data.get("draft", 0)):
        async with ctx.write() as tx:
            await flows.end(tx, ctx.actor.user_id)
        await ui.reply(update, ctx, "deliverables/draft_gone")
        return
    async with ctx.write() as tx:
        await flows.end(tx, ctx.actor.user_id)
        await deliverables.judge(
            tx, data["draft"], "corrections", by=ctx.actor.user_id, comment=text
        )
        admins = await admin_ids(tx, ctx.core.settings.admins)
        await to_people(
            tx,
            ctx.core.writer,
            admins,
            "deliverables/corrections",
            cause(tx, Cause("booklet_fix", pacesetter.project_id)),
            project=pacesetter,
            lead=ctx.actor.person.display_name,
            comment=text,
        )
    ctx.flow = None
    markup, context = await _screen(ctx, pacesetter)
    await ui.reply(update, ctx, "deliverables/fix_sent")
    await ui.reply(update, ctx, "deliverables/screen", markup, **context)


async def _tell_if_complete(tx: Transaction, ctx: Ctx, pacesetter: Pacesetter) -> None:
    """A checklist just complete: its unit's secretaries and the admins hear of it, once."""
    stored = (await deliverables.current(tx, [pacesetter.project_id])).get(
        pacesetter.project_id, {}
    )
    booklet = (await deliverables.booklets(tx, [pacesetter.project_id]))[pacesetter.project_id]
    if not all(done_deliverable(i, stored, booklet) for i in ctx.campaign.deliverables):
        return
    if not await deliverables.mark_complete(tx, pacesetter.project_id):
        return
    audience = await deliverables.secretaries(tx, pacesetter.unit_id)
    audience |= await admin_ids(tx, ctx.core.settings.admins)
    await to_people(
        tx,
        ctx.core.writer,
        audience,
        "deliverables/complete",
        str(Cause("deliverables_complete", pacesetter.project_id)),
        button=("deliverables_open", BUTTONS.data("page", 0)),
        project=pacesetter,
    )


# --- what the lead sends ---------------------------------------------------------------------


async def _sent(update: Update, ctx: Ctx) -> None:
    """A document, a video, typed text or a link for the deliverable asked for."""
    data = ctx.flow.data
    pacesetter = await _pacesetter(ctx, data.get("project", 0))
    item = _item_of(ctx, data.get("item", ""))
    if pacesetter is None or item is None or not may_hand_in(ctx.actor, pacesetter):
        async with ctx.write() as tx:
            await flows.end(tx, ctx.actor.user_id)
        await ui.reply(update, ctx, "common/stale", command="deliverables")
        return
    if ctx.flow.step != "send":  # one preview at a time: its ✅ stores what it shows
        await ui.reply(update, ctx, "deliverables/confirm_first")
        return
    message = update.effective_message
    if message.text and item.kind == "document":
        await _typed(update, ctx, pacesetter, item, data.get("text", ""))
        return
    if message.text:
        content, refusal = _link(message.text.strip()), "deliverables/not_a_link"
        if content is not None:
            refusal = None
    elif item.kind == "video":
        content, refusal = _video(message)
    else:
        content, refusal = _document(message)
    if refusal is not None:
        await ui.reply(update, ctx, refusal, item=item, **(as_data(content) if content else {}))
        return
    async with ctx.write() as tx:
        await flows.go(tx, ctx.actor.user_id, "confirm")
        await flows.note(tx, ctx.actor.user_id, content=as_data(content), text=None)
    await _preview(ctx, update.effective_chat.id, pacesetter, item, content)


def _link(text: str) -> Content | None:
    """An https link to the video (one word, a host with a dot), else None."""
    if len(text) > 2000 or any(c.isspace() for c in text):
        return None
    parts = urlsplit(text)
    if parts.scheme != "https" or "." not in (parts.hostname or ""):
        return None
    return Content("link", text=text)


def platform(url: str) -> str | None:
    """The video platform a link is on (a key the templates name), None if another."""
    host = (urlsplit(url).hostname or "").lower()
    for domain, name in PLATFORMS.items():
        if host == domain or host.endswith("." + domain):
            return name
    return None


def _file_content(attached, kind: str, mime: str | None) -> Content:
    return Content(
        kind,
        file_id=attached.file_id,
        file_unique_id=attached.file_unique_id,
        file_name=attached.file_name,
        size=attached.size,
        mime_type=mime,
    )


def _video(message) -> tuple[Content | None, str | None]:
    """A video, or a document that is one; kept by its file id, whatever its size: over the
    download limit it is still a Telegram file, and the preview says what that means."""
    attached = ui.attached(message)
    if attached is None or attached.kind == "photo":
        return None, "deliverables/not_a_video"
    if attached.kind == "video":
        return _file_content(attached, "video", message.video.mime_type), None
    mime = message.document.mime_type or ""
    suffix = PurePath(attached.file_name or "").suffix.lower()
    if not mime.startswith("video/") and suffix not in VIDEO_SUFFIXES:
        return Content("document", file_name=attached.file_name or ""), "deliverables/not_a_video"
    return _file_content(attached, "video", mime or None), None


def _document(message) -> tuple[Content | None, str | None]:
    """The write-up as a document (the final items' rules: PDF, Word, WPS, pictures)."""
    attached = ui.attached(message)
    if attached is None or attached.kind != "document":
        return None, "deliverables/not_a_document"
    named = Content("document", file_name=attached.file_name or "")
    if (attached.size or 0) > DOWNLOAD_LIMIT:
        return named, "deliverables/too_big"
    mime = message.document.mime_type
    if not is_document(attached.file_name, mime):
        return named, "deliverables/bad_type"
    return _file_content(attached, "document", mime), None


async def _typed(
    update: Update, ctx: Ctx, pacesetter: Pacesetter, item: Deliverable, written: str
) -> None:
    """Typed text adds to what was typed for the write-up (a blank line between messages)."""
    typed = update.effective_message.text
    text = f"{written}\n\n{typed}" if written else typed
    if len(text) > TEXT_LIMIT:
        await ui.reply(update, ctx, "deliverables/too_long", limit=TEXT_LIMIT)
        return
    async with ctx.write() as tx:
        await flows.note(tx, ctx.actor.user_id, text=text)
    await ui.reply(
        update,
        ctx,
        "deliverables/ask",
        _asking_buttons(ctx, pacesetter, item),
        **_asking(pacesetter, item, None, len(text)),
    )


async def _preview(
    ctx: Ctx,
    chat_id: int,
    pacesetter: Pacesetter,
    item: Deliverable,
    content: Content,
    *,
    query=None,
) -> None:
    """What will be stored, and what it replaces; ✅ Confirm or ✖ Cancel."""
    stored = (await deliverables.current(ctx.db, [pacesetter.project_id])).get(
        pacesetter.project_id, {}
    )
    label, project_id = ctx.msgs.label, pacesetter.project_id
    markup = ui.keyboard(
        [
            [(label(ctx.locale, "final_confirm"), BUTTONS.data("confirm", project_id, item.key))],
            [(label(ctx.locale, "cancel"), BUTTONS.data("cancel", project_id))],
        ]
    )
    context = {
        "project": pacesetter,
        "item": item,
        "content": content,
        "shown": (content.text or "")[:PREVIEW_CHARS],
        "replaces": stored.get(item.key),
        "download": DOWNLOAD_LIMIT // 2**20,
        "platform_of": platform,
    }
    if query is not None:
        await ui.edit(query, ctx, "deliverables/preview", markup, **context)
        shown_in = query.message.message_id
    else:
        text = ui.render(ctx, "deliverables/preview", **context)[0]
        shown_in = (await ctx.bot.send_message(chat_id, text, reply_markup=markup)).message_id
    # Only this preview's ✅ stores it: an older one left on the screen showed something else.
    async with ctx.write() as tx:
        await flows.note(tx, ctx.actor.user_id, preview=shown_in)


_STEP = Step(
    Accepts.TEXT | Accepts.DOCUMENT | Accepts.PHOTO | Accepts.VIDEO,
    "deliverables/wrong_input",
    _sent,
)
_COMMENT = Step(
    Accepts.TEXT,
    "deliverables/fix_wrong_input",
    _commented,
    expires=PROMPT_EXPIRY,  # a comment typed much later may be meant for something else
    max_chars=COMMENT_LIMIT,
    too_long="deliverables/fix_too_long",
)


async def _wrong_context(update: Update, ctx: Ctx) -> dict[str, Any]:
    item = _item_of(ctx, ctx.flow.data.get("item", "")) if ctx.flow else None
    return {"item": item}


_FLOW = Flow(
    FLOW,
    {"send": _STEP, "confirm": _STEP, "comment": _COMMENT},
    allowed=_is_lead,
    stage=GUARD,
    context=_wrong_context,
)
