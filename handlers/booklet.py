"""/booklet: the admins build the results booklet in a private chat, and each pacesetter's
lead gets their own chapter to approve on /deliverables.

    /booklet ─▶ "build it for N pacesetters?" ✅ / ✖
    ✅ ─▶ a progress message, edited once per step ─▶ the .docx and the HTML (a .zip of the
          page and its images/) as documents, in the admin's language ─▶ each pacesetter's
          chapter, a Word file in each language its leads read, built into the media folder
          and, where it changed, recorded as a new draft (the chapter's folder); its leads
          told (outbox, same transaction), each in their language

One build at a time, whoever taps: it runs beside the chat's lane (handlers/background.py),
and a tap while it runs gets an alert. A chapter that says what its latest draft says (the
same fingerprint) keeps that draft and the lead's approval: no new draft, nobody told, unless
the lead asked for corrections on it and has not approved it since. So a crash mid-build,
which loses the rest of it (the tap was handled), tells nobody twice when the admin taps
again. While the consolidation is not open the leads could not act on a draft: the
campaign-wide files are built and sent, but no chapter is written, recorded or told.

The count travels in the ✅ button: a tap after the selection changed is out of date. The
record is read once a language (the admin's read serves the chapters in the admin's language
too), not once a pacesetter; each chapter is written from its language's read. Building runs
off the event loop (bot/booklet.py renders in worker threads; the zip is written in one).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import sqlite3
import zipfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler, filters

from bot import booklet
from bot.booklet_sources import CAMPAIGN_DIR, chapter_dir, deliverables_loader, prune
from bot.core import Ctx
from bot.media import SEND_LIMIT, folder_of
from bot.notices import to_people
from handlers import background, guards, ui
from handlers import deliverables as deliverables_flow
from handlers.callbacks import Buttons
from storage import deliverables, people
from storage.db import Transaction
from storage.outbox import Cause

log = logging.getLogger(__name__)

BUTTONS = Buttons(
    "bk",
    command="booklet",
    build=("b", (int,)),  # build it: the number of pacesetters the admin was shown
    cancel=("n", ()),
)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("booklet", booklet_command, filters.ChatType.PRIVATE))
    app.add_handler(guards.tapped(BUTTONS, guards.admin))


@guards.person(guards.admin, "booklet_chat/not_admin")
async def booklet_command(update: Update, ctx: Ctx) -> None:
    if ctx.core.building_booklet:
        await ui.reply(update, ctx, "booklet_chat/busy")
        return
    count = len(await deliverables.pacesetters(ctx.db))
    if not count:
        await ui.reply(update, ctx, "booklet_chat/none")
        return
    label = ctx.msgs.label
    markup = ui.keyboard(
        [
            [
                (label(ctx.locale, "booklet_chat_build"), BUTTONS.data("build", count)),
                (label(ctx.locale, "booklet_chat_cancel"), BUTTONS.data("cancel")),
            ]
        ]
    )
    await ui.reply(update, ctx, "booklet_chat/confirm", markup, count=count)


@BUTTONS.on("cancel")
async def _cancel(update: Update, ctx: Ctx) -> None:
    await ui.show(update.callback_query, ctx, "booklet_chat/cancelled")


@BUTTONS.on("build")
@guards.in_chats(ChatType.PRIVATE)
async def _build(update: Update, ctx: Ctx, count: int) -> None:
    query = update.callback_query
    found = await deliverables.pacesetters(ctx.db)
    if not found or len(found) != count:
        await ui.stale(query, ctx)
        return
    # One build at a time, whoever taps: two would write the same files and drafts, tell the
    # leads twice, and double the work of a small server.
    build = functools.partial(_start, update, ctx, found)
    await background.alone(
        update, ctx, ctx.core.building_booklet, "booklet_chat/busy", build, name="booklet"
    )


async def _start(update: Update, ctx: Ctx, found: list[deliverables.Pacesetter]) -> None:
    query = update.callback_query
    await query.answer()
    await ui.edit(query, ctx, "booklet_chat/building", done=0, steps=3)
    await _make(update, ctx, query.message, found)


async def _make(
    update: Update, ctx: Ctx, progress: Message, found: list[deliverables.Pacesetter]
) -> None:
    media_root = folder_of(ctx.core.settings.db_path)
    out = media_root / "booklet"
    shown: set[str] = set()

    async def step(name: str, done: int, steps: int) -> None:
        if name in shown or done >= steps:  # one edit a step; the last is the outcome
            return
        shown.add(name)
        await ui.replace(progress, ctx, "booklet_chat/building", done=done, steps=steps)

    try:
        model = await _load(ctx, ctx.locale, None, media_root)
        await step("read", 1, 3)
        files = await booklet.write(model, out / CAMPAIGN_DIR, msgs=ctx.msgs, progress=step)
        bundle = out / CAMPAIGN_DIR / f"{files.html.stem}.zip"
        await _zip(files, bundle)
    except (OSError, sqlite3.Error):
        log.exception("the booklet could not be written")
        await ui.replace(progress, ctx, "booklet_chat/failed")
        return
    too_big = []
    for path in (files.docx, bundle):
        if path.stat().st_size > SEND_LIMIT:  # one system call: no thread needed
            too_big.append(str(path))
            continue
        data = await asyncio.to_thread(path.read_bytes)  # tens of megabytes: off the loop
        await ctx.bot.send_document(update.effective_chat.id, data, filename=path.name)
    # The leads' buttons answer "closed" outside the stage: a draft then would wait for good.
    shut = deliverables_flow.GUARD.refusal(ctx.campaign, ctx.now) is not None
    told, kept = (0, 0) if shut else await _chapters(ctx, out, media_root, found, model)
    await ui.replace(
        progress,
        ctx,
        "booklet_chat/done",
        count=len(found),
        too_big=too_big,
        told=told,
        kept=kept,
        shut=shut,
        stage=ctx.campaign.stage(deliverables_flow.STAGE),
    )


async def _load(
    ctx: Ctx, locale: str, project_ids: Sequence[int] | None, media_root: Path
) -> booklet.Booklet:
    return await booklet.load(
        ctx.db,
        ctx.campaign,
        media_root,
        ctx.msgs,
        locale,
        today=ctx.now,
        project_ids=project_ids,
        deliverables=deliverables_loader(ctx.campaign, ctx.msgs, locale),
    )


async def _languages(
    ctx: Ctx, found: list[deliverables.Pacesetter], leads: dict[int, set[int]]
) -> dict[str, set[int]]:
    """The pacesetters whose leads read each language (as their notices are written), in the
    campaign's for one with none: one read of the leads, however many pacesetters."""
    readers = await people.get_many(ctx.db, sorted(set().union(*leads.values())))
    by_locale: dict[str, set[int]] = {}
    for pacesetter in found:
        theirs = leads.get(pacesetter.project_id, set())
        chosen = {ctx.core.writer.locale_of(readers[u]) for u in theirs if u in readers}
        for locale in chosen or {ctx.campaign.default_locale}:
            by_locale.setdefault(locale, set()).add(pacesetter.project_id)
    return by_locale


async def _chapters(
    ctx: Ctx,
    out: Path,
    media_root: Path,
    found: list[deliverables.Pacesetter],
    model: booklet.Booklet,
) -> tuple[int, int]:
    """Each pacesetter's chapter in each language its leads read, recorded as a new draft for
    its leads, who are told in the same transaction, where it changed; how many chapters were
    recorded, and how many kept their draft."""
    leads = await deliverables.pacesetter_leads(ctx.db)
    reads = {model.locale: model}
    by_locale = await _languages(ctx, found, leads)
    written = await _write_chapters(ctx, out, media_root, by_locale, reads)
    prints = await _fingerprints(ctx, media_root, sorted(written), reads)
    recorded = kept = 0
    for pacesetter in found:
        if pacesetter.project_id not in written:
            continue
        folder = chapter_dir(out, pacesetter.code)
        try:
            await asyncio.to_thread(prune, folder, written[pacesetter.project_id])
        except OSError:
            log.exception("the chapter of %s could not be tidied", pacesetter.code)
        print_ = prints.get(pacesetter.project_id)
        async with ctx.write() as tx:
            if await _record(tx, ctx, pacesetter, str(folder), print_, leads):
                recorded += 1
            else:
                kept += 1
    return recorded, kept


async def _record(
    tx: Transaction,
    ctx: Ctx,
    pacesetter: deliverables.Pacesetter,
    folder: str,
    print_: str | None,
    leads: dict[int, set[int]],
) -> bool:
    """A new draft of the chapter, its leads told, unless it says what its latest draft says
    and the lead's word on that stands (approved, or nothing asked): whether one was added."""
    latest = (await deliverables.booklets(tx, [pacesetter.project_id]))[pacesetter.project_id]
    unchanged = print_ is not None and latest.fingerprint == print_
    stands = latest.state == deliverables.APPROVED or not latest.corrections
    if unchanged and stands:
        return False  # a corrected draft the admin builds again is sent again: new, and told
    draft = await deliverables.add_draft(tx, pacesetter.project_id, folder, fingerprint=print_)
    await to_people(
        tx,
        ctx.core.writer,
        leads.get(pacesetter.project_id, set()),
        "booklet_chat/chapter_ready",
        str(Cause("booklet_draft", draft)),  # once per draft
        button=(
            "deliverables_open",
            deliverables_flow.BUTTONS.data("open", pacesetter.project_id),
        ),
        project=pacesetter,
    )
    return True


def fingerprint(chapter: booklet.Chapter) -> str:
    """What a chapter says, as a digest: the lead's approval left out (approving changes no
    content, though the file shows it), so a rebuild can tell an unchanged chapter."""
    handed = chapter.deliverables
    if handed is not None:  # the loader gives none for a chapter with nothing but approval
        handed = replace(handed, approved=False) if handed.parts else None
    return hashlib.sha256(repr(replace(chapter, deliverables=handed)).encode()).hexdigest()


async def _fingerprints(
    ctx: Ctx, media_root: Path, project_ids: list[int], reads: dict[str, booklet.Booklet]
) -> dict[int, str]:
    """Each chapter's fingerprint, taken in the campaign's language (every language's file is
    a copy of one chapter): from a read made already where one holds it, else one more read.
    A chapter that could not be read has none (its build is a new draft, as before)."""
    locale = ctx.campaign.default_locale
    read = reads.get(locale)
    chapters = {c.project_id: c for c in read.chapters} if read is not None else {}
    missing = [project_id for project_id in project_ids if project_id not in chapters]
    if missing:
        try:
            extra = await _load(ctx, locale, missing, media_root)
        except sqlite3.Error:
            log.exception("the chapters in %s could not be read", locale)
        else:
            chapters.update((c.project_id, c) for c in extra.chapters)
    chosen = [chapters[p] for p in project_ids if p in chapters]
    # Tens of megabytes of text at a campaign's scale (bench.booklet_fingerprint): off the loop.
    digests = await asyncio.to_thread(lambda: [fingerprint(c) for c in chosen])
    return {c.project_id: digest for c, digest in zip(chosen, digests, strict=True)}


async def _write_chapters(
    ctx: Ctx,
    out: Path,
    media_root: Path,
    by_locale: dict[str, set[int]],
    reads: dict[str, booklet.Booklet],
) -> dict[int, set[str]]:
    """Each chapter's Word file (LOCALE/NAME.docx in its folder) from one read of the record a
    language, the admin's (in `reads`) reused for theirs, each new read added to `reads`; the
    languages written, by project."""
    written: dict[int, set[str]] = {}
    for locale, project_ids in sorted(by_locale.items()):
        try:
            read = reads.get(locale)
            if read is None:
                read = reads[locale] = await _load(ctx, locale, sorted(project_ids), media_root)
        except sqlite3.Error:
            log.exception("the chapters in %s could not be read", locale)
            continue
        stem = booklet.file_stem(ctx.msgs, locale)
        for chapter in read.chapters:
            if chapter.project_id not in project_ids:
                continue  # the admin's read holds every pacesetter; this language, some
            path = chapter_dir(out, chapter.code) / locale / f"{stem}.docx"
            try:
                await booklet.write_chapter(read, chapter, path)
            except OSError:
                log.exception("the chapter of %s could not be written", chapter.code)
                continue
            written.setdefault(chapter.project_id, set()).add(locale)
    return written


async def _zip(files: booklet.BookletFiles, bundle: Path) -> None:
    def write() -> None:
        with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(files.html, files.html.name)
            if files.images.is_dir():
                for picture in sorted(files.images.rglob("*")):
                    if picture.is_file():
                        name = picture.relative_to(files.html.parent).as_posix()
                        archive.write(picture, name)

    await asyncio.to_thread(write)
