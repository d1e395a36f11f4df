"""/deliverables: a pacesetter's lead hands in the consolidation's deliverables (the campaign's
[[deliverable]]: the experience write-up, the micro-video, the results booklet) while the
stage is open, privately, and sees them read-only after its deadline; secretaries and admins
see their pacesetters' checklists read-only at any time.

    /deliverables ─▶ the checklist, ✓/○, what is stored, the deadline (one screen, in place)
        ├▶ 📎 the write-up ─▶ a document, or typed text … ✓ Done ─┐
        ├▶ 📎 the video ─▶ a video (or a video file), or a link ──┴▶ the preview ─▶ ✅ Confirm
        └▶ the booklet: 📄 open my chapter, 👍 approve it, ✏ corrections ─▶ typed ─▶ the admins

The steps from 📎 to ✅ Confirm are /final's too: handlers/hand_in.py, where the flow's data
lives between them (a restart loses nothing) and a second ✅ writes nothing; this module says
what a pacesetter, its deliverables, its checklist and a video or a link are. A tap on the
booklet's buttons whose draft no longer waits, like a ✅ with nothing to store, still turns
its message into the checklist as stored (the tap may be delivered again after a restart that
came between the write and the edit). "Complete" means every deliverable of the campaign:
each document and video stored, and the latest booklet draft approved; the pacesetter's unit
secretaries and the admins are told once, in the transaction that makes it so.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import urlsplit

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler, filters

from bot.access import admin_ids
from bot.applications import stage_phase
from bot.booklet_sources import chapter_file
from bot.campaign import Deliverable
from bot.core import Ctx
from bot.flow import PROMPT_EXPIRY, Accepts, Flow, StageGuard, Step
from bot.media import DOWNLOAD_LIMIT, SEND_LIMIT
from bot.notices import cause, to_people
from bot.reminders import done_deliverable
from handlers import flow_input, guards, hand_in, ui
from handlers.callbacks import Buttons
from handlers.hand_in import as_data, is_document, may_hand_in
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
    open=("o", (int,)),  # a notice's way to the project's checklist; a flow stays as it is
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
# Characters of a name on the overview, the longest that lets a page fit one message.
NAME_CLIPS = (60, 30, 16)


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
    # The stage shuts only the leads' screens: the overview is read-only, and matters most
    # after the deadline. A lead sees the checklist after it too, read-only (_screen).
    before = stage_phase(ctx.campaign, STAGE, ctx.now) == "before"
    if before and not _oversees(ctx.actor):
        await guards.refuse_if_shut(update, ctx, GUARD)
        return
    led = [] if before else await deliverables.pacesetters(ctx.db, ctx.actor.projects("lead"))
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
    closed = GUARD.refusal(ctx.campaign, ctx.now) is not None  # what is stored, no buttons
    for entry in checklist["items"] if not closed else ():
        item = entry["item"]
        if item.kind != "booklet":
            key = "deliverables_replace" if entry["stored"] else "deliverables_send"
            text = label(ctx.locale, key, item=item.title.get(ctx.locale))
            rows.append([(text, BUTTONS.data("item", project_id, item.key))])
            continue
        booklet = entry["booklet"]
        if booklet.draft_id is None:  # nothing to open or approve until the admins build it
            continue
        chapter = label(ctx.locale, "deliverables_chapter")
        rows.append([(chapter, BUTTONS.data("chapter", project_id))])
        if booklet.state != APPROVED:
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
        "closed": closed,
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
    context = {
        "checklists": await _checklists(ctx, shown),
        "total": len(found),
        "page": page + 1,
        "pages": pages,
        "stage": ctx.campaign.stage(STAGE),
        "platform_of": platform,
        "download": DOWNLOAD_LIMIT // 2**20,
    }
    return ui.keyboard([nav]), fitting(
        lambda fitted: ui.render(ctx, "deliverables/overview", **fitted), context
    )


def fitting(
    render: Callable[[dict[str, Any]], list[str]], context: dict[str, Any]
) -> dict[str, Any]:
    """The overview's context with the longest clip of names whose page fits one message:
    a page button edits the message in place, and an edit carries one part, not two."""
    for clip in NAME_CLIPS:
        fitted = {**context, "clip": clip}
        if len(render(fitted)) == 1:
            break
    return fitted


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


# The pacesetter a button names, if the tapper leads it while the stage is open; else why not.
_LEADS_OPEN = guards.on_object(
    _pacesetter,
    may_hand_in,
    gone="deliverables/not_pacesetter",
    refusal="deliverables/not_lead",
    stage=GUARD,
)


def _item_of(ctx: Ctx, key: str) -> Deliverable | None:
    """A deliverable the lead sends (not the booklet, which is built) by its key."""
    found = next((d for d in ctx.campaign.deliverables if d.key == key), None)
    return found if found is not None and found.kind != "booklet" else None


# --- the booklet: the chapter's draft, approved or corrected ---------------------------------


async def _chapter_draft(ctx: Ctx, project_id: int) -> Path | None:
    """The pacesetter's chapter as a .docx to send, in the lead's language where it was
    built so, None if not built yet (handlers/booklet.py records each draft)."""
    booklet = (await deliverables.booklets(ctx.db, [project_id]))[project_id]
    if booklet.path is None:
        return None
    return chapter_file(booklet.path, ctx.locale, ctx.campaign.default_locale)


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
    size = draft.stat().st_size  # one system call: no thread needed
    if size > SEND_LIMIT:  # Telegram would refuse it: say so, rather than fail the send
        await ui.reply(
            update,
            ctx,
            "deliverables/chapter_too_big",
            size=size / 2**20,
            limit=SEND_LIMIT // 2**20,
        )
        return
    data = await asyncio.to_thread(draft.read_bytes)  # a chapter with photos: megabytes
    await ctx.bot.send_document(update.effective_chat.id, data, filename=draft.name)


async def _draft_now(ctx: Ctx, pacesetter: Pacesetter, draft_id: int) -> bool:
    """The draft a button names is the latest and waits for the lead's word."""
    booklet = (await deliverables.booklets(ctx.db, [pacesetter.project_id]))[pacesetter.project_id]
    return booklet.draft_id == draft_id and booklet.state != APPROVED


def _draft_waiting(handler: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """The draft a button names, if it still waits for the lead's word; else the checklist as
    stored (the word given already, maybe before a restart, or a newer draft built)."""

    @functools.wraps(handler)
    async def guarded(update: Update, ctx: Ctx, pacesetter: Pacesetter, draft_id: int) -> None:
        if not await _draft_now(ctx, pacesetter, draft_id):
            await ui.alert(update.callback_query, ctx, "deliverables/draft_gone")
            await HAND_IN.redraw(update.callback_query, ctx, pacesetter)
            return
        await handler(update, ctx, pacesetter, draft_id)

    return guarded


@BUTTONS.on("approve")
@_IN_PRIVATE
@_LEADS_OPEN
@_draft_waiting
async def _approve(update: Update, ctx: Ctx, pacesetter: Pacesetter, draft_id: int) -> None:
    query = update.callback_query
    async with ctx.write() as tx:
        judged = await deliverables.judge(tx, draft_id, "approved", by=ctx.actor.user_id)
        if judged:
            await _tell_if_complete(tx, ctx, pacesetter)
    await ui.toast(query, ctx, "deliverables/approved")
    await HAND_IN.redraw(query, ctx, pacesetter)


@BUTTONS.on("fix")
@_IN_PRIVATE
@_LEADS_OPEN
@_draft_waiting
async def _fix(update: Update, ctx: Ctx, pacesetter: Pacesetter, draft_id: int) -> None:
    """Ask for the corrections, typed next; they go to the admins."""
    query = update.callback_query
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
            button=("deliverables_open", BUTTONS.data("page", 0)),
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


def _take(message: Message, item: Deliverable) -> hand_in.Taken:
    """A link (typed), a video or a document for the deliverable, or the refusal."""
    if message.text:  # typed text for the write-up is its text (hand_in.py), here a link
        content = _link(message.text.strip())
        return content, None if content else "deliverables/not_a_link", {"item": item}
    content, refusal = _video(message) if item.kind == "video" else _document(message)
    return content, refusal, {"item": item, **(as_data(content) if content else {})}


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


_COMMENT = Step(
    Accepts.TEXT,
    "deliverables/fix_wrong_input",
    _commented,
    expires=PROMPT_EXPIRY,  # a comment typed much later may be meant for something else
    max_chars=COMMENT_LIMIT,
    too_long="deliverables/fix_too_long",
)


def _said() -> dict[str, Any]:
    """What the ask and preview screens name: the limits, and a link's platform."""
    return {
        "download": DOWNLOAD_LIMIT // 2**20,
        "upload": UPLOAD_LIMIT // 2**20,
        "platform_of": platform,
    }


HAND_IN = hand_in.HandIn(
    flow=FLOW,
    area="deliverables",
    buttons=BUTTONS,
    stage=GUARD,
    load=_pacesetter,
    gone="deliverables/not_pacesetter",
    refusal="deliverables/not_lead",
    item_of=_item_of,
    takes_text=lambda item: item.kind == "document",
    take=_take,
    current=deliverables.current,
    submit=deliverables.submit,
    screen=_screen,
    stored=_tell_if_complete,
    said=_said,
    text_limit=TEXT_LIMIT,
    preview_chars=PREVIEW_CHARS,
)
_FLOW = Flow(
    FLOW,
    {"send": HAND_IN.step, "confirm": HAND_IN.step, "comment": _COMMENT},
    allowed=_is_lead,
    stage=GUARD,
    context=HAND_IN.wrong_context,
)
