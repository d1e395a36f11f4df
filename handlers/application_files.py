"""📎 Files: an application's photos and documents, sent to whoever reads it, by file_id.

Photos and videos come as albums and documents as documents, section by section in the order
the lead sent them, the first of each headed with the project and the section.
"""

from __future__ import annotations

import html

from telegram import InputMediaDocument, InputMediaPhoto, InputMediaVideo, Update
from telegram.ext import Application

from bot import applications as rules
from bot.access import Actor
from bot.core import Ctx
from handlers import guards, ui
from handlers.callbacks import Buttons
from storage import applications, orgs
from storage.applications import Answer, Part
from storage.applications import Application as App
from storage.orgs import Project

BUTTONS = Buttons("af", send=("s", (int,)))  # an application
CAPTION_LIMIT = 1024  # characters of a caption, as Telegram counts them
_OWN_CAPTION = 800  # of the lead's caption kept under the heading
_MEDIA = {"photo": InputMediaPhoto, "video": InputMediaVideo, "document": InputMediaDocument}


def register(app: Application) -> None:
    app.add_handler(guards.tapped(BUTTONS))


def button(ctx: Ctx, application: App, answers: dict[str, Answer]) -> list[ui.Button]:
    """A row with the button, or an empty row when the application has no files."""
    count = sum(len(answer.files) for answer in answers.values())
    if not count:
        return []
    label = ctx.msgs.label(ctx.locale, "files", count=count)
    return [(label, BUTTONS.data("send", application.id))]


async def with_project(ctx: Ctx, application_id: int) -> tuple[App, Project] | None:
    """An application a button names, with its project (and so its unit): a guard's loader."""
    application = await applications.get(ctx.db, application_id)
    project = await orgs.project(ctx.db, application.project_id) if application else None
    return (application, project) if project is not None else None


def _may_read(actor: Actor, named: tuple[App, Project]) -> bool:
    application, project = named
    return rules.may_read(actor, application.status, project.unit_id, project.id)


@BUTTONS.on("send")
@guards.on_object(with_project, _may_read)
async def _send_files(update: Update, ctx: Ctx, named: tuple[App, Project]) -> None:
    query = update.callback_query
    application, project = named
    answers = await applications.answers(ctx.db, application.id)
    batches = rules.file_batches(ctx.campaign.sections, answers)
    if not batches:
        await ui.alert(query, ctx, "apply/no_files")
        return
    await query.answer()
    chat_id = query.message.chat.id if query.message else ctx.actor.user_id
    for section, parts in batches:
        heading = ui.render(
            ctx,
            "apply/files_caption",
            project=project,
            section=section,
            caption=parts[0].text[:_OWN_CAPTION],
        )[0]
        captions = [heading] + [html.escape(part.text[:CAPTION_LIMIT]) for part in parts[1:]]
        await _send(ctx, chat_id, parts, captions)


async def _send(ctx: Ctx, chat_id: int, parts: tuple[Part, ...], captions: list[str]) -> None:
    if len(parts) == 1:
        part = parts[0]
        send = {
            "photo": ctx.bot.send_photo,
            "video": ctx.bot.send_video,
            "document": ctx.bot.send_document,
        }[part.kind]
        await send(chat_id, part.file_id, caption=captions[0])
        return
    media = [
        _MEDIA[part.kind](part.file_id, caption=caption or None)
        for part, caption in zip(parts, captions, strict=True)
    ]
    await ctx.bot.send_media_group(chat_id, media)
