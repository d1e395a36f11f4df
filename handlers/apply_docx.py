"""The application in Word: 📄 a template made from the campaign's sections, and a filled one
sent back (any time the lead could type the answers), read into the sections it covers.

    📄 Word form ─▶ .docx ─▶ lead fills it in Word or WPS ─▶ sends it ─▶ what was found
                                                                       ─▶ the preview: ✎ fix, Submit
"""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal

from telegram import InputFile, InputMediaDocument, InputMediaPhoto, Message, Update
from telegram.error import BadRequest
from telegram.ext import Application, ApplicationHandlerStop, MessageHandler
from telegram.ext import filters as f

from bot import applications as rules
from bot import cultivation, docx_form, docx_template
from bot.applications import stage_phase
from bot.core import Ctx
from handlers import application_view, guards, ui
from handlers.application_buttons import WORD
from handlers.apply_steps import (
    PREVIEW,
    ask,
    enter,
    form_button,
    held_amount,
    hold_amount,
    in_flow,
    preview_after_import,
    show_preview,
    show_step,
    step_after,
)
from storage import applications, orgs, reports
from storage.applications import Application as App
from storage.applications import Part

BUTTONS = WORD
WORD_FILE = f.Document.FileExtension("docx") | f.Document.MimeType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)
_PHOTO_TYPES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
_ALBUM = 10  # pictures per album, Telegram's most
_UNSAFE_IN_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def register(app: Application) -> None:
    app.add_handler(guards.tapped(BUTTONS))
    # Before the flows (group -1): a Word file may answer the whole application at once.
    app.add_handler(
        MessageHandler(f.ChatType.PRIVATE & f.UpdateType.MESSAGE & WORD_FILE, received),
        group=-3,
    )
    # An old .doc or a .wps file: "save it as .docx", not "this section takes text".
    app.add_handler(
        MessageHandler(
            f.ChatType.PRIVATE & f.UpdateType.MESSAGE & f.Document.ALL & ~WORD_FILE, old_format
        ),
        group=-3,
    )


@BUTTONS.on("form")
@application_view.LEADS
async def _form(update: Update, ctx: Ctx, application: App) -> None:
    query = update.callback_query
    await query.answer()
    project = await orgs.project(ctx.db, application.project_id)
    title = ctx.msgs.label(ctx.locale, "word_form_title", name=project.name)
    words = docx_template.words(ctx.msgs, ctx.locale, ctx.campaign, title=title)
    data = await asyncio.to_thread(docx_template.build, ctx.campaign.sections, ctx.locale, words)
    filename = _UNSAFE_IN_FILENAME.sub(
        "_", ctx.msgs.label(ctx.locale, "word_form_file", name=project.name)
    )
    caption = ui.render(ctx, "apply/docx_form", project=project)[0]
    await ctx.bot.send_document(
        query.message.chat.id if query.message else ctx.actor.user_id,
        InputFile(data, filename=filename),
        caption=caption,
    )


@BUTTONS.on("amount_ok")
@application_view.LEADS_OPEN
async def _amount_ok(update: Update, ctx: Ctx, application: App) -> None:
    """The amount read with doubt is right: stored as if typed, and the lead moves on."""
    query = update.callback_query
    held = held_amount(ctx, application)
    if held is None:
        await ui.stale(query, ctx)
        return
    if application.status not in rules.EDITABLE:
        await ui.alert(query, ctx, "apply/not_editable")
        return
    section, pending = held
    amount, by = Decimal(pending["amount"]), ctx.actor.user_id
    step = PREVIEW if pending["word"] else step_after(ctx, section)
    async with ctx.write() as tx:
        await applications.clear_section(tx, application.id, section.key, by=by)
        part = Part(by, pending["message"], "text", pending["text"])
        await applications.add_part(tx, application.id, section.key, part)
        await applications.set_state(tx, application.id, section.key, "done", by=by, amount=amount)
        await enter(tx, ctx, application, step)
    await query.answer()
    await ui.edit_buttons(query, None, ctx)
    if pending["word"]:
        await show_preview(update, ctx, application, editable=True, fresh=True)
    else:
        await show_step(update, ctx, application, step, saved_amount=amount)


@BUTTONS.on("amount_retype")
@application_view.LEADS_OPEN
async def _amount_retype(update: Update, ctx: Ctx, application: App) -> None:
    """Not the amount meant: the section asks for it again, the doubtful one forgotten."""
    query = update.callback_query
    held = held_amount(ctx, application)
    if held is None:
        await ui.stale(query, ctx)
        return
    await query.answer()
    await ui.edit_buttons(query, None, ctx)
    back = bool(ctx.flow.data.get("back_to_preview"))
    await ask(update, ctx, application, held[0], back_to_preview=back)


async def received(update: Update, ctx: Ctx) -> None:
    """A Word file from a lead: read as their application if it has its headings; otherwise
    left to whatever else takes documents (an attachment in the files section, say)."""
    if ctx.actor is None or not ctx.actor.projects("lead"):
        return
    if ctx.flow is not None and not in_flow(ctx):
        return  # another flow's file (a final document in /final, say)
    message = update.effective_message
    refusal = application_view.STAGE.refusal(ctx.campaign, ctx.now)
    if refusal is not None:
        reporting = stage_phase(ctx.campaign, cultivation.STAGE, ctx.now) == "open"
        if reporting and await reports.candidates_of(ctx.db, ctx.actor.user_id):
            return  # applications are long done: a document now is an activity's
        await ui.reply(update, ctx, refusal, stage=ctx.campaign.stage("apply"))
        raise ApplicationHandlerStop
    application = await _application_of(update, ctx)
    if application is None:
        raise ApplicationHandlerStop
    if application.status not in rules.EDITABLE:
        await ui.reply(update, ctx, "apply/not_editable")
        raise ApplicationHandlerStop
    document = message.document
    if (document.file_size or 0) > docx_form.MAX_BYTES:
        limit = docx_form.MAX_BYTES // 2**20
        await ui.reply(update, ctx, "apply/docx_unreadable", too_big=True, limit_mb=limit)
        raise ApplicationHandlerStop
    data = bytes(await (await document.get_file()).download_as_bytearray())
    try:
        # Off the event loop: a big document takes seconds, and other chats are answered
        # meanwhile (this update's lane waits, so the runner stays busy till it is done).
        filled = await asyncio.to_thread(docx_form.read, data, ctx.campaign.sections)
    except docx_form.NotAWordFile as unread:
        if docx_form.old_word(None, None, data[:8]):  # a .doc renamed .docx
            await ui.reply(update, ctx, "apply/docx_old_format", filename=document.file_name or "")
        elif unread.refusal is not None:
            refusal = unread.refusal
            await ui.reply(
                update, ctx, "apply/docx_unsafe", reason=refusal.reason, limit=refusal.limit
            )
        else:
            await ui.reply(update, ctx, "apply/docx_unreadable", too_big=False)
        raise ApplicationHandlerStop from None
    sections = ctx.campaign.sections
    if not any(filled.texts.get(s.key) for s in sections):
        if _at_files_section(ctx):
            return  # a supporting document that happens to be in Word: the flow takes it
        await ui.reply(
            update, ctx, "apply/docx_no_sections", ui.keyboard([[form_button(ctx, application)]])
        )
        raise ApplicationHandlerStop
    # Pictures only where the campaign has a section for files.
    takes_files = any(s.kind == "files" for s in sections)
    pictures = await _send_pictures(ctx, message, filled.pictures) if takes_files else []
    await _store(ctx, application, message, filled, pictures)
    too_long = [s for s in sections if len(filled.texts.get(s.key, "")) > s.max_chars]
    unsure = [s for s in sections if s.key in filled.unsure and s not in too_long]
    unread_amounts = [
        s
        for s in sections
        if s.kind == "number" and filled.texts.get(s.key) and not filled.found(s)
    ]
    found = [s for s in sections if filled.found(s) and s not in too_long and s not in unsure]
    await ui.reply(
        update,
        ctx,
        "apply/docx_read",
        filename=document.file_name or "",
        sections=sections,
        found=found,
        too_long=too_long,
        unread_amounts=unread_amounts,
        unsure=unsure,
        # Headed but nothing under it: the lead may have filled in the wrong place.
        empty=[
            s
            for s in sections
            if s.key in filled.headings and s not in (*found, *too_long, *unsure, *unread_amounts)
        ],
        amounts=filled.amounts,
        pictures=len(pictures),
        left_out=filled.pictures_left_out,
    )
    application = await applications.get(ctx.db, application.id)
    if unsure:  # the first in doubt is asked about; the preview follows the answer
        section = unsure[0]
        await hold_amount(
            update,
            ctx,
            application,
            section,
            filled.amounts[section.key],
            text=filled.texts[section.key],
            message_id=message.message_id,
            word=True,
        )
    else:
        await preview_after_import(update, ctx, application)
    raise ApplicationHandlerStop


async def old_format(update: Update, ctx: Ctx) -> None:
    """A lead's old Word (.doc) or WPS (.wps) file while applications are open is answered with
    how to save it as .docx, unless it is a supporting document for the files section. A
    document whose name says nothing is looked into while the lead is at a text section."""
    if ctx.actor is None or not ctx.actor.projects("lead"):
        return
    if ctx.flow is not None and not in_flow(ctx):
        return  # another flow's file
    if application_view.STAGE.refusal(ctx.campaign, ctx.now) is not None or _at_files_section(ctx):
        return
    document = update.effective_message.document
    old = docx_form.old_word(document.file_name, document.mime_type)
    if not old and in_flow(ctx) and (document.file_size or 0) <= docx_form.MAX_BYTES:
        data = bytes(await (await document.get_file()).download_as_bytearray())
        old = docx_form.old_word(document.file_name, document.mime_type, data[:8])
    if not old:
        return
    await ui.reply(update, ctx, "apply/docx_old_format", filename=document.file_name or "")
    raise ApplicationHandlerStop


async def _application_of(update: Update, ctx: Ctx) -> App | None:
    """The application the file is for: the one being written, or the lead's only one; a lead
    of several projects who is not writing one is asked to choose first (None)."""
    if ctx.flow is not None and ctx.flow.flow == "apply" and ctx.flow.data.get("app"):
        application = await applications.get(ctx.db, ctx.flow.data["app"])
        if application is not None and ctx.actor.is_lead_of(application.project_id):
            return application
    led = sorted(ctx.actor.projects("lead"))
    if len(led) > 1:
        await ui.reply(update, ctx, "apply/docx_choose")
        return None
    existing = await applications.of_project(ctx.db, led[0])
    if existing is not None:
        return existing
    async with ctx.write() as tx:
        return await applications.open_for(tx, led[0], ctx.actor.user_id)


def _at_files_section(ctx: Ctx) -> bool:
    if ctx.flow is None or ctx.flow.flow != "apply":
        return False
    section = rules.section_by_key(ctx.campaign.sections, ctx.flow.step)
    return section is not None and section.kind == "files"


async def _send_pictures(
    ctx: Ctx, message: Message, pictures: tuple[docx_form.Picture, ...]
) -> list[Part]:
    """The document's pictures, sent back into the chat as albums: Telegram keeps them (a
    file id each) and the lead sees what was taken. Parts naming those messages."""
    parts: list[Part] = []
    chat_id = message.chat.id
    caption = ctx.msgs.label(ctx.locale, "word_form_pictures_taken")
    for start in range(0, len(pictures), _ALBUM):
        batch = pictures[start : start + _ALBUM]
        sent = await _album(ctx, chat_id, batch, caption if start == 0 else None)
        for picture, shown in zip(batch, sent, strict=True):
            if shown.photo:
                file_id = shown.photo[-1].file_id
                parts.append(Part(ctx.actor.user_id, shown.message_id, "photo", "", file_id))
            elif shown.document:
                file_id = shown.document.file_id
                parts.append(
                    Part(
                        ctx.actor.user_id,
                        shown.message_id,
                        "document",
                        "",
                        file_id,
                        picture.filename,
                    )
                )
    return parts


async def _album(
    ctx: Ctx, chat_id: int, batch: tuple[docx_form.Picture, ...], caption: str | None
) -> tuple[Message, ...]:
    """One album (or one message) of pictures, as photos where Telegram takes them, else as
    documents; `caption` under the first."""

    def photo(picture: docx_form.Picture) -> bool:
        return picture.filename.lower().endswith(_PHOTO_TYPES)

    # In an album each upload is its own multipart field, named by attach=True; without it
    # the file would take the name "media", where Telegram expects the album's JSON.
    def as_documents():
        return [
            InputMediaDocument(
                InputFile(p.data, filename=p.filename, attach=True),
                caption=caption if i == 0 else None,
            )
            for i, p in enumerate(batch)
        ]

    if len(batch) == 1:
        picture = batch[0]
        upload = InputFile(picture.data, filename=picture.filename)
        if photo(picture):
            try:
                return (await ctx.bot.send_photo(chat_id, upload, caption=caption),)
            except BadRequest:  # dimensions Telegram won't take as a photo
                upload = InputFile(picture.data, filename=picture.filename)
        return (await ctx.bot.send_document(chat_id, upload, caption=caption),)
    if all(photo(p) for p in batch):
        media = [
            InputMediaPhoto(
                InputFile(p.data, filename=p.filename, attach=True),
                caption=caption if i == 0 else None,
            )
            for i, p in enumerate(batch)
        ]
        try:
            return await ctx.bot.send_media_group(chat_id, media)
        except BadRequest:
            pass
    return await ctx.bot.send_media_group(chat_id, as_documents())


async def _store(
    ctx: Ctx, application: App, message: Message, filled: docx_form.Filled, pictures: list[Part]
) -> None:
    """Every section the document answers is replaced by what it says, in one write; the
    sections it doesn't answer keep what the lead wrote in the chat."""
    by = ctx.actor.user_id
    async with ctx.write() as tx:
        for section in ctx.campaign.sections:
            if section.kind == "files":
                if not pictures:
                    continue
                await applications.clear_section(tx, application.id, section.key, by=by)
                for part in pictures:
                    await applications.add_part(tx, application.id, section.key, part)
                await applications.set_state(tx, application.id, section.key, "done", by=by)
                continue
            text = filled.texts.get(section.key)
            if not text or len(text) > section.max_chars:
                continue  # too long is said in the report; the chat answer stays
            if section.kind == "number" and (
                section.key not in filled.amounts or section.key in filled.unsure
            ):
                continue  # unread, or to be confirmed first: the chat answer stays meanwhile
            await applications.clear_section(tx, application.id, section.key, by=by)
            part = Part(by, message.message_id, "text", text)
            await applications.add_part(tx, application.id, section.key, part)
            await applications.set_state(
                tx,
                application.id,
                section.key,
                "done",
                by=by,
                amount=filled.amounts.get(section.key),
            )
