"""Handing in an item: the steps /final (a candidate's final items, stage 3) and /deliverables
(a pacesetter's write-up and micro-video, stage 4) share. A flow declares one HandIn, which
gives its buttons' item, done, confirm and cancel actions their handlers and its flow the step
that takes what is sent; the flow keeps what differs (its project, items, files and screen).

    📎 an item ─▶ a file (each flow says which) ──────┐
               └▶ typed text … ✓ Done ────────────────┴▶ the preview (and what it replaces)
                                                          ─▶ ✅ Confirm ─▶ the screen again
                                                          └▶ ✖ Cancel ─▶ the screen again

Where the lead is between a tap and ✅ Confirm lives in the flow's data (`storage.flows`), so a
restart loses nothing; the confirmation checks that data in the transaction that writes the
item and ends the flow, so a second tap writes nothing. A confirmation that finds nothing to
store still turns its message into the screen as stored: an old preview, or the tap delivered
again after a restart that came between the write and the edit. A message delivered again
after such a restart is taken once too: a typed piece already added (the flow keeps the id of
the last one) adds nothing, and a file whose preview may not have been shown (the flow keeps
the id of the message it came from) shows it again.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType

from bot.core import Ctx
from bot.flow import Accepts, StageGuard, Step
from handlers import guards, ui
from handlers.callbacks import Buttons
from storage import flows
from storage.db import Executor, Transaction
from storage.versions import Content, Version

# What a flow's file step makes of a message: the content, or the refusal's template key with
# what it names.
Taken = tuple[Content | None, str | None, dict[str, Any]]
Screen = tuple[InlineKeyboardMarkup | None, dict[str, Any]]

# Documents handed in are kept as they are, never parsed: old Word and WPS are as good as any.
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

# Items are handed in privately: a tap in a group is out of place.
_IN_PRIVATE = guards.in_chats(ChatType.PRIVATE)


def may_hand_in(actor, project) -> bool:
    """The lead of a project (a candidate, a pacesetter) hands in its items."""
    return project.project_id in actor.projects("lead")


def is_document(file_name: str | None, mime: str | None) -> bool:
    """A file taken as a document (PDF, Word, WPS, a picture): by its name's suffix, or by its
    type when it has no suffix."""
    suffix = PurePath(file_name or "").suffix.lower()
    return suffix in DOCUMENT_SUFFIXES or (not suffix and mime in DOCUMENT_TYPES)


def as_data(content: Content) -> dict[str, Any]:
    """Content as a flow's data keeps it (what is set)."""
    return {k: v for k, v in vars(content).items() if v is not None}


def _preview_lost(data: dict[str, Any], message: Message) -> bool:
    """What was sent waits for ✅ in a preview not shown yet, or this is the message it came
    from, delivered again (a restart came between the write and the preview)."""
    shown = data.get("preview") is not None
    return "content" in data and (not shown or data.get("source") == message.message_id)


def _previewed_here(data: dict[str, Any], query: CallbackQuery) -> bool:
    """The flow's typed text waits for ✅ in the preview this message became (or was to)."""
    shown_in = data.get("preview")
    typed = data.get("content", {}).get("kind") == "text"
    return typed and query.message is not None and shown_in in (None, query.message.message_id)


@dataclass(frozen=True, kw_only=True)
class HandIn:
    """What one flow's handing in is made of; made once, it registers the handlers of its
    buttons' item, done, confirm and cancel actions."""

    flow: str  # the flow's name, as storage.flows keeps it
    area: str  # the templates' folder: ask, preview, screen, saved, nothing_pending, …
    buttons: Buttons  # with the actions item, done, confirm (project, key) and cancel (project)
    stage: StageGuard
    load: Callable[[Ctx, int], Awaitable[Any]]  # the project an id names, None if not one
    gone: str  # the template for a project that is not one (any more)
    refusal: str  # the template for a tapper who does not lead it
    item_of: Callable[[Ctx, str], Any]  # an item the lead hands in, by key (None: none)
    takes_text: Callable[[Any], bool]  # typed text is the item itself (else `take` has it)
    take: Callable[[Message, Any], Taken]  # any other message for the item
    current: Callable[[Executor, Iterable[int]], Awaitable[dict[int, dict[str, Version]]]]
    submit: Callable[..., Awaitable[Version | None]]  # (tx, project id, key, content, by=)
    screen: Callable[[Ctx, Any], Awaitable[Screen]]  # the project's items, as stored
    stored: Callable[[Transaction, Ctx, Any], Awaitable[None]] | None = None  # then, in its tx
    said: Callable[[], dict[str, Any]] = dict  # what the ask and preview templates also take
    text_limit: int = 30_000  # characters of typed text in one item, all its messages together
    preview_chars: int = 300  # of typed text, in the preview

    def __post_init__(self) -> None:
        leads_open = guards.on_object(
            self.load, may_hand_in, gone=self.gone, refusal=self.refusal, stage=self.stage
        )
        on = self.buttons.on
        on("item")(_IN_PRIVATE(leads_open(self._with_item(self._item))))
        on("done")(_IN_PRIVATE(leads_open(self._with_item(self._done))))
        on("confirm")(_IN_PRIVATE(leads_open(self._with_item(self._confirm))))
        on("cancel")(_IN_PRIVATE(leads_open(self._cancel)))
        if "open" in self.buttons.actions:  # a notice's way to the screen
            on("open")(_IN_PRIVATE(leads_open(self._open)))

    @property
    def step(self) -> Step:
        """The flow's step while an item is asked for or previewed: what is sent for it."""
        accepts = Accepts.TEXT | Accepts.DOCUMENT | Accepts.PHOTO | Accepts.VIDEO
        return Step(accepts, f"{self.area}/wrong_input", self._sent)

    async def wrong_context(self, update: Update, ctx: Ctx) -> dict[str, Any]:
        return {"item": self.item_of(ctx, ctx.flow.data.get("item", "")) if ctx.flow else None}

    async def redraw(self, query: CallbackQuery, ctx: Ctx, project) -> None:
        """The message tapped becomes the project's screen as stored."""
        markup, context = await self.screen(ctx, project)
        await ui.edit(query, ctx, f"{self.area}/screen", markup, **context)

    def _with_item(self, handler: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        """The item a button names, by its key; one the campaign no longer has is out of date."""

        @functools.wraps(handler)
        async def guarded(update: Update, ctx: Ctx, project, key: str) -> None:
            item = self.item_of(ctx, key)
            if item is None:
                await ui.stale(update.callback_query, ctx)
                return
            await handler(update, ctx, project, item)

        return guarded

    def _mine(self, ctx: Ctx, project, item=None) -> dict | None:
        """The flow's data, if the person is handing in `item` of `project` (any item: None)."""
        position = ctx.flow
        if position is None or position.flow != self.flow:
            return None
        data = position.data
        if data.get("project") != project.project_id:
            return None
        if item is not None and data.get("item") != item.key:
            return None
        return data

    async def _stored_now(self, ctx: Ctx, project) -> dict[str, Version]:
        return (await self.current(ctx.db, [project.project_id])).get(project.project_id, {})

    def _asking(self, project, item, stored: Version | None, typed: int) -> dict[str, Any]:
        return {"project": project, "item": item, "stored": stored, "typed": typed, **self.said()}

    def _asking_buttons(self, ctx: Ctx, project, item) -> InlineKeyboardMarkup | None:
        label, project_id, rows = ctx.msgs.label, project.project_id, []
        if self.takes_text(item):
            rows.append(
                [(label(ctx.locale, "done"), self.buttons.data("done", project_id, item.key))]
            )
        rows.append([(label(ctx.locale, "cancel"), self.buttons.data("cancel", project_id))])
        return ui.keyboard(rows)

    # --- the buttons ---------------------------------------------------------------------------

    async def _item(self, update: Update, ctx: Ctx, project, item) -> None:
        """Ask for the item: a file, or typed text where the item takes it."""
        async with ctx.write() as tx:
            await flows.begin(
                tx, ctx.actor.user_id, self.flow, "send", project=project.project_id, item=item.key
            )
        stored = (await self._stored_now(ctx, project)).get(item.key)
        await ui.show(
            update.callback_query,
            ctx,
            f"{self.area}/ask",
            self._asking_buttons(ctx, project, item),
            **self._asking(project, item, stored, 0),
        )

    async def _done(self, update: Update, ctx: Ctx, project, item) -> None:
        """The typed text is complete: its preview."""
        query = update.callback_query
        data = self._mine(ctx, project, item)
        if data is not None and ctx.flow.step == "confirm" and _previewed_here(data, query):
            # Delivered again (a restart came before the preview was shown): show it now.
            await query.answer()
            content = Content(**data["content"])
            await self._preview(ctx, update.effective_chat.id, project, item, content, query=query)
            return
        if data is None or ctx.flow.step != "send":
            await ui.alert(query, ctx, f"{self.area}/nothing_pending")
            return
        if not data.get("text"):
            await ui.alert(query, ctx, f"{self.area}/nothing_typed")
            return
        content = Content("text", text=data["text"])
        async with ctx.write() as tx:
            await flows.go(tx, ctx.actor.user_id, "confirm")
            await flows.note(tx, ctx.actor.user_id, content=as_data(content))
        await query.answer()
        await self._preview(ctx, update.effective_chat.id, project, item, content, query=query)

    async def _confirm(self, update: Update, ctx: Ctx, project, item) -> None:
        """Store what the preview showed: checked against the flow in the transaction that
        ends it, so a double tap or an old preview stores nothing."""
        query = update.callback_query
        async with ctx.write() as tx:
            position = await flows.current(tx, ctx.actor.user_id)
            data = position.data if position is not None and position.flow == self.flow else {}
            ready = (
                position is not None
                and position.step == "confirm"
                and data.get("project") == project.project_id
                and data.get("item") == item.key
                and "content" in data
                and query.message is not None
                and data.get("preview") == query.message.message_id
            )
            if ready:
                await flows.end(tx, ctx.actor.user_id)
                content = Content(**data["content"])
                await self.submit(tx, project.project_id, item.key, content, by=ctx.actor.user_id)
                if self.stored is not None:
                    await self.stored(tx, ctx, project)
        if not ready:
            await ui.alert(query, ctx, f"{self.area}/nothing_pending")
            await self.redraw(query, ctx, project)
            return
        ctx.flow = None
        await ui.toast(query, ctx, f"{self.area}/saved", item=item.title.get(ctx.locale))
        await self.redraw(query, ctx, project)

    async def _cancel(self, update: Update, ctx: Ctx, project) -> None:
        if self._mine(ctx, project) is not None:
            async with ctx.write() as tx:
                await flows.end(tx, ctx.actor.user_id)
            ctx.flow = None
        await update.callback_query.answer()
        await self.redraw(update.callback_query, ctx, project)

    async def _open(self, update: Update, ctx: Ctx, project) -> None:
        # Unlike ✖, it leaves a write-up being typed where it is: a notice may come mid-way.
        await update.callback_query.answer()
        await self.redraw(update.callback_query, ctx, project)

    # --- what the lead sends -------------------------------------------------------------------

    async def _sent(self, update: Update, ctx: Ctx) -> None:
        """Typed text, or a message the flow's `take` makes the item's content of."""
        data = ctx.flow.data
        project = await self.load(ctx, data.get("project", 0))
        item = self.item_of(ctx, data.get("item", ""))
        if project is None or item is None or not may_hand_in(ctx.actor, project):
            async with ctx.write() as tx:
                await flows.end(tx, ctx.actor.user_id)
            await ui.reply(update, ctx, "common/stale", command=self.buttons.command)
            return
        message, chat_id = update.effective_message, update.effective_chat.id
        if ctx.flow.step != "send" and _preview_lost(data, message):
            await self._preview(ctx, chat_id, project, item, Content(**data["content"]))
            return
        if ctx.flow.step != "send":  # one preview at a time: its ✅ stores what it shows
            await ui.reply(update, ctx, f"{self.area}/confirm_first")
            return
        if message.text and self.takes_text(item):
            await self._typed(update, ctx, project, item, data)
            return
        content, refusal, named = self.take(message, item)
        if refusal is not None:
            await ui.reply(update, ctx, refusal, **named)
            return
        async with ctx.write() as tx:
            await flows.go(tx, ctx.actor.user_id, "confirm")
            # The message it came from: delivered again, it shows the preview again.
            await flows.note(
                tx,
                ctx.actor.user_id,
                content=as_data(content),
                source=message.message_id,
                text=None,
            )
        await self._preview(ctx, chat_id, project, item, content)

    async def _typed(self, update: Update, ctx: Ctx, project, item, data: dict) -> None:
        """Typed text adds to what was typed for the item (a blank line between messages);
        a piece delivered again (a restart came before its answer) adds nothing, and is
        answered as before. A chat's messages come in order, so the last piece is the one."""
        message, text = update.effective_message, data.get("text", "")
        if data.get("last_typed") != message.message_id:
            text = f"{text}\n\n{message.text}" if text else message.text
            if len(text) > self.text_limit:
                await ui.reply(update, ctx, f"{self.area}/too_long", limit=self.text_limit)
                return
            async with ctx.write() as tx:
                await flows.note(tx, ctx.actor.user_id, text=text, last_typed=message.message_id)
        await ui.reply(
            update,
            ctx,
            f"{self.area}/ask",
            self._asking_buttons(ctx, project, item),
            **self._asking(project, item, None, len(text)),
        )

    async def _preview(
        self, ctx: Ctx, chat_id: int, project, item, content: Content, *, query=None
    ) -> None:
        """What will be stored, and what it replaces; ✅ Confirm or ✖ Cancel."""
        label, project_id = ctx.msgs.label, project.project_id
        confirm = self.buttons.data("confirm", project_id, item.key)
        markup = ui.keyboard(
            [
                [(label(ctx.locale, "final_confirm"), confirm)],
                [(label(ctx.locale, "cancel"), self.buttons.data("cancel", project_id))],
            ]
        )
        context = {
            "project": project,
            "item": item,
            "content": content,
            "shown": (content.text or "")[: self.preview_chars],
            "replaces": (await self._stored_now(ctx, project)).get(item.key),
            **self.said(),
        }
        key = f"{self.area}/preview"
        if query is not None:
            await ui.edit(query, ctx, key, markup, **context)
            shown_in = query.message.message_id
        else:
            text = ui.render(ctx, key, **context)[0]
            shown_in = (await ctx.bot.send_message(chat_id, text, reply_markup=markup)).message_id
        # Only this preview's ✅ stores it: an older one left on the screen showed something else.
        async with ctx.write() as tx:
            await flows.note(tx, ctx.actor.user_id, preview=shown_in)
