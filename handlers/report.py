"""/report: a member or lead of a candidate project reports an activity from their phone.

    photos, a video or a document ─▶ "Report this?" ─▶ ┐
    /report ───────────────────────────────────────────┴▶ (project?) ─▶ activity ─▶ day
        ─▶ people ─▶ words (the captions, if the photos had some) ─▶ (photos, or none) ─▶ save

One live message is edited in place as the buttons are tapped; it shows the report so far.
Files are taken at any step, within the quotas of their local copies (bot/media.py); － Photos
takes one out again. The draft is written to SQLite at each step, so /report (or a
restart) continues it. Saving posts a card in the project's bound group through the outbox.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from telegram import Message, Update
from telegram.ext import (
    Application,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import cultivation
from bot.access import load_actor
from bot.core import Ctx
from bot.cultivation import STAGE
from bot.flow import Accepts, Flow, StageGuard, Step
from bot.media import DOWNLOAD_LIMIT, Quota, folder_of, free_space, over_quota
from bot.settings import MB
from handlers import fallback, flow_input, guards, report_card, ui
from handlers.callbacks import Buttons, Tap
from storage import flows, media, orgs, reports
from storage.db import Transaction
from storage.reports import ActivityReport, Media

FLOW = "report"
GUARD = StageGuard(STAGE, "report/before", "report/after")
BUTTONS = Buttons(
    "rp",
    command="report",
    start=("n", ()),  # report the files just sent
    drop=("x", ()),  # no, or discard the draft
    project=("p", (int,)),
    activity=("a", (str,)),
    day=("d", (int,)),  # so many days ago
    people=("c", (int,)),
    written=("w", ()),  # the description is complete
    no_media=("m", ()),  # no photo, or no more
    tag=("k", (str,)),  # a criterion it supports ("none": none)
    tags=("l", ()),  # the list of criteria
    change=("e", (str,)),  # answer a step again
    save=("s", ()),
    edit=("r", (int,)),  # a saved report: change it (for 48 hours)
    delete=("q", (int,)),  # a saved report: delete it?
    delete_yes=("y", (int,)),  # yes
    keep=("t", (int,)),  # no: keep it
    finish=("b", ()),  # done changing a saved report
    unfile=("g", (int,)),  # take this file (its report_media row) out of the report
    back=("v", ()),  # back to the report, taking nothing out
)
FOLLOW_UP = ("edit", "delete", "delete_yes", "keep")  # buttons on a saved report, not on a draft
# Buttons on the draft: what each does depends on the draft's state, so one handler takes them.
ON_DRAFT = ("start", "drop", "project", "activity", "day", "people", "written", "no_media")
ON_DRAFT += ("tag", "tags", "change", "save", "finish", "unfile", "back")
_CHANGEABLE = ("activity", "date", "participants", "description", "media", "files")


def register(app: Application) -> None:
    app.add_handler(CommandHandler("report", report_command, filters.ChatType.PRIVATE))
    app.add_handler(guards.tapped(BUTTONS, _member))
    # Files sent outside any flow: perhaps an activity to report (flows come first, in -1).
    files = filters.PHOTO | filters.VIDEO | filters.Document.ALL
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & files, files_sent))
    flow_input.declare(app, _FLOW)


def _member(actor) -> bool:
    return bool(actor.projects("lead") | actor.projects("member"))


# --- ways in ----------------------------------------------------------------------------------


@guards.person()
async def report_command(update: Update, ctx: Ctx) -> None:
    if await _refused(update, ctx):
        return
    async with ctx.write() as tx:
        draft, let_go = await _draft(ctx, tx, media_done=False)
        await flows.begin(tx, ctx.actor.user_id, FLOW, "")
    await _tell_let_go(update, ctx, let_go)
    await _show(ctx, draft, fresh=True)


async def _draft(
    ctx: Ctx, tx: Transaction, *, media_done: bool
) -> tuple[ActivityReport, datetime | None]:
    """The author's draft to go on with; one left for over a week is let go (when it was
    last changed comes back too, to tell them once the write is over)."""
    old = await reports.draft_of(tx, ctx.actor.user_id)
    let_go = None
    if old is not None and cultivation.expired(old, ctx.now):
        await reports.discard_draft(tx, old.id)
        let_go = old.updated_at
    candidates = await reports.candidates_of(tx, ctx.actor.user_id)
    only = _only(candidates)
    return await reports.start_draft(tx, ctx.actor.user_id, only, media_done=media_done), let_go


async def _tell_let_go(update: Update, ctx: Ctx, let_go: datetime | None) -> None:
    if let_go is not None:
        await ui.reply(update, ctx, "report/expired", started=let_go)


async def files_sent(update: Update, ctx: Ctx) -> None:
    """Photos, a video or a document with no flow to take them: an activity to report? For
    anyone who can't report now, the usual answer to a file."""
    if ctx.actor is None:
        return
    if not await may(ctx):
        await fallback.attachment(update, ctx)
        return
    async with ctx.write() as tx:
        refused = await _quota_refusal(ctx, tx, _media_of(update.effective_message))
        if refused is None:
            draft, let_go = await _draft(ctx, tx, media_done=True)
            await flows.begin(tx, ctx.actor.user_id, FLOW, "ask")
            await _store_files(tx, draft, update.effective_message)
    if refused is not None:
        await ui.reply(update, ctx, "report/quota", **refused)
        return
    await _tell_let_go(update, ctx, let_go)
    if not _album(update, ctx, draft):
        await _show(ctx, await reports.get(ctx.db, draft.id), fresh=True, step="ask")


async def may(ctx: Ctx) -> bool:
    """Whether the person acting can report an activity now."""
    if GUARD.refusal(ctx.campaign, ctx.now) is not None:
        return False
    return bool(await reports.candidates_of(ctx.db, ctx.actor.user_id))


async def _refused(update: Update, ctx: Ctx) -> bool:
    """Told why not: the stage is shut, or this person is in no candidate project."""
    if await guards.refuse_if_shut(update, ctx, GUARD):
        return True
    if not await reports.candidates_of(ctx.db, ctx.actor.user_id):
        await ui.reply(update, ctx, "report/not_candidate")
        return True
    return False


def _only(candidates: list[reports.Candidate]) -> int | None:
    return candidates[0].project_id if len(candidates) == 1 else None


# --- the live message -------------------------------------------------------------------------


async def _show(
    ctx: Ctx, draft: ActivityReport, *, fresh: bool = False, step: str | None = None
) -> None:
    """The draft so far and its next question (or `step`'s), in the live message."""
    candidates = await reports.candidates_of(ctx.db, draft.author_id)
    words = await _new_words(ctx, draft.author_id)
    if words is not None:  # shown as written so far, and asked for until ✓ Done
        draft = replace(draft, description=words)
        step = step or "description"
    if step is None:
        step = cultivation.next_step(draft, several_projects=len(candidates) > 1) or "confirm"
    media = await reports.media_of(ctx.db, draft.id)
    async with ctx.write() as tx:
        await flows.go(tx, draft.author_id, step)
        if draft.state == "saved" and step == "confirm":
            await report_card.follow(ctx, tx, draft)  # the group's card says it now
    project = await orgs.project(ctx.db, draft.project_id) if draft.project_id else None
    await ui.live(
        ctx,
        draft.author_id,
        "report/step",
        _keyboard(ctx, step, draft, candidates, media),
        live_for="report",
        fresh=fresh,
        step=step,
        report=draft,
        project=project,
        activity=ctx.campaign.activity(draft.activity),
        criterion=ctx.campaign.criterion(draft.criterion),
        media=report_card.counts(media),
        files=media,
        captions_used=bool(media) and draft.description == cultivation.captions(media),
    )


def _still_asking(ctx: Ctx) -> str | None:
    """Files sent while "Report this?" waits for its answer: it is still the question."""
    return "ask" if ctx.flow is not None and ctx.flow.step == "ask" else None


def _keyboard(
    ctx: Ctx,
    step: str,
    draft: ActivityReport,
    candidates: list[reports.Candidate],
    media: list[Media],
):
    label = ctx.msgs.label
    rows: list[list[ui.Button]] = []
    if step == "ask":
        rows = [[(label(ctx.locale, "report_it"), BUTTONS.data("start"))]]
    elif step == "project":
        rows = [[(c.project_name, BUTTONS.data("project", c.project_id))] for c in candidates]
    elif step == "activity":
        items = [
            (a.title.get(ctx.locale), BUTTONS.data("activity", a.key))
            for a in ctx.campaign.activities
        ]
        rows = [items[i : i + 2] for i in range(0, len(items), 2)]
    elif step == "date":
        names = ("day_today", "day_yesterday", "day_before")
        rows = [[(label(ctx.locale, n), BUTTONS.data("day", i)) for i, n in enumerate(names)]]
    elif step == "participants":
        presets = cultivation.PARTICIPANT_PRESETS
        rows = [[(str(n), BUTTONS.data("people", n)) for n in presets]]
    elif step == "description":
        if draft.description.strip():
            rows = [[(label(ctx.locale, "done"), BUTTONS.data("written"))]]
    elif step == "media":
        key = "media_done" if media else "no_photo"
        rows = [[(label(ctx.locale, key), BUTTONS.data("no_media"))]]
    elif step == "files":
        items = [
            (label(ctx.locale, f"unfile_{m.kind}", number=n), BUTTONS.data("unfile", m.id))
            for n, m in enumerate(media, 1)
        ]
        rows = [items[i : i + 4] for i in range(0, len(items), 4)]
        rows.append([(label(ctx.locale, "back"), BUTTONS.data("back"))])
    elif step == "tags":
        rows = [
            [(c.title.get(ctx.locale), BUTTONS.data("tag", c.key))] for c in ctx.campaign.criteria
        ]
        rows.append([(label(ctx.locale, "no_criterion"), BUTTONS.data("tag", "none"))])
    elif step == "confirm":
        saved = draft.state == "saved"
        first = ("report_done", "finish") if saved else ("report_save", "save")
        rows = [
            [(label(ctx.locale, first[0]), BUTTONS.data(first[1]))],
            [(label(ctx.locale, "report_criterion"), BUTTONS.data("tags"))],
            [
                (label(ctx.locale, f"change_{name}"), BUTTONS.data("change", name))
                for name in ("activity", "date", "participants")
            ],
            [
                (label(ctx.locale, f"change_{name}"), BUTTONS.data("change", name))
                for name in ("description", "media", "files")
                if name != "files" or media
            ],
        ]
    if draft.state == "saved":
        rows.append([(label(ctx.locale, "report_delete"), BUTTONS.data("delete", draft.id))])
    else:
        rows.append([(label(ctx.locale, "report_drop"), BUTTONS.data("drop"))])
    return ui.keyboard(rows)


# --- buttons ----------------------------------------------------------------------------------


async def _new_words(ctx: Ctx, user_id: int) -> str | None:
    """A new description being written (✎ Words): kept in the flow, not in the report, until
    ✓ Done, so walking away leaves the report's own words in place."""
    position = await flows.current(ctx.db, user_id)
    return position.data.get("words") if position is not None else None


async def _current(ctx: Ctx) -> ActivityReport | None:
    """The report the person is at: a saved one they are changing, or their draft."""
    if ctx.flow is None or ctx.flow.flow != FLOW:
        return None
    editing = ctx.flow.data.get("report")
    if editing is None:
        return await reports.draft_of(ctx.db, ctx.actor.user_id)
    report = await reports.get(ctx.db, editing)
    mine = report is not None and report.author_id == ctx.actor.user_id
    return report if mine and cultivation.changeable(report, ctx.now) else None


async def _saved_one(update: Update, ctx: Ctx, report_id: int) -> ActivityReport | None:
    """The tapper's saved report, while it may be changed; else they are told why not."""
    query = update.callback_query
    report = await reports.get(ctx.db, report_id)
    if report is None or report.author_id != ctx.actor.user_id or report.state == "draft":
        await ui.stale(query, ctx)
        return None
    if report.state == "deleted":
        await ui.alert(query, ctx, "report/gone")
        return None
    if not cultivation.changeable(report, ctx.now):
        await ui.alert(query, ctx, "report/locked")
        return None
    return report


def _saved_markup(ctx: Ctx, report: ActivityReport):
    label = ctx.msgs.label
    return ui.keyboard(
        [
            [
                (label(ctx.locale, "report_edit"), BUTTONS.data("edit", report.id)),
                (label(ctx.locale, "report_delete"), BUTTONS.data("delete", report.id)),
            ]
        ]
    )


@BUTTONS.on(*FOLLOW_UP, tap=True)
async def _follow_up(update: Update, ctx: Ctx, tap: Tap) -> None:
    """Change or delete a saved report (its author, within 48 hours)."""
    query = update.callback_query
    report = await _saved_one(update, ctx, tap.args[0])
    if report is None:
        return
    refusal = GUARD.refusal(ctx.campaign, ctx.now)
    # Once the stage is over, its reports are the record: not changed, not deleted.
    if refusal is not None and tap.action != "keep":
        await ui.alert(query, ctx, refusal, stage=ctx.campaign.stage(STAGE))
        return
    if tap.action == "edit":
        await query.answer()
        async with ctx.write() as tx:
            await flows.begin(tx, ctx.actor.user_id, FLOW, "confirm", report=report.id)
        ctx.flow = await flows.current(ctx.db, ctx.actor.user_id)
        await _show(ctx, report, fresh=True)
        return
    if tap.action == "delete":
        label = ctx.msgs.label
        markup = ui.keyboard(
            [
                [(label(ctx.locale, "report_delete_yes"), BUTTONS.data("delete_yes", report.id))],
                [(label(ctx.locale, "report_keep"), BUTTONS.data("keep", report.id))],
            ]
        )
        await ui.show(query, ctx, "report/delete_confirm", markup)
        return
    if tap.action == "keep":
        markup = _saved_markup(ctx, report)
        await ui.show(query, ctx, "report/saved", markup, groups=0, changed=True)
        return
    async with ctx.write() as tx:
        await reports.delete(tx, report.id, by=ctx.actor.user_id)
        await report_card.follow(ctx, tx, report, deleted=True)
        if ctx.flow is not None and ctx.flow.data.get("report") == report.id:
            await flows.end(tx, ctx.actor.user_id)
    await ui.show(query, ctx, "report/deleted")


@BUTTONS.on(*ON_DRAFT, tap=True)
async def tapped(update: Update, ctx: Ctx, tap: Tap) -> None:
    query = update.callback_query
    draft = await _current(ctx)
    if draft is None:
        await ui.stale(query, ctx)
        return
    refusal = GUARD.refusal(ctx.campaign, ctx.now)
    if refusal is not None:
        await ui.alert(query, ctx, refusal, stage=ctx.campaign.stage(STAGE))
        return
    if tap.action == "unfile":
        await _unfile(update, ctx, draft, tap.args[0])
        return
    changes = _change_of(ctx, tap)
    if changes is None:
        await ui.stale(query, ctx)
        return
    await query.answer()
    if tap.action == "drop":
        async with ctx.write() as tx:
            await reports.discard_draft(tx, draft.id)
            await flows.end(tx, ctx.actor.user_id)
        await ui.edit(query, ctx, "report/dropped")
        return
    if tap.action == "save" and draft.state == "draft":
        await _save(update, ctx, draft)
        return
    if tap.action == "finish" and draft.state == "saved":
        async with ctx.write() as tx:
            await flows.end(tx, ctx.actor.user_id)
        markup = _saved_markup(ctx, draft)
        await ui.edit(query, ctx, "report/saved", markup, groups=0, changed=True)
        return
    if tap.action in ("save", "finish", "drop") and draft.state == "saved":
        await ui.stale(query, ctx)
        return
    if tap.action == "project" and tap.args[0] not in {
        c.project_id for c in await reports.candidates_of(ctx.db, ctx.actor.user_id)
    }:
        await ui.stale(query, ctx)
        return
    step = None
    words = await _new_words(ctx, ctx.actor.user_id)
    async with ctx.write() as tx:
        if changes:
            await reports.update(tx, draft.id, **changes)
        if tap.action == "written" and words:
            await reports.update(tx, draft.id, description=words)
            await flows.note(tx, ctx.actor.user_id, words=None)  # null: the key goes
        if tap.action == "tags":
            step = "tags"
        elif tap.action == "change":
            step = tap.args[0]
            if step == "media":
                await reports.update(tx, draft.id, media_done=False)
            if step == "description":
                await flows.note(tx, ctx.actor.user_id, words="")
    await _show(ctx, await reports.get(ctx.db, draft.id), step=step)


async def _unfile(update: Update, ctx: Ctx, report: ActivityReport, media_id: int) -> None:
    """One file out of the report: a saved one's card follows in the same write (a redelivered
    tap finds the file gone and changes nothing), and the file's copy goes unless another
    saved report holds it."""
    query = update.callback_query
    item = next((m for m in await reports.media_of(ctx.db, report.id) if m.id == media_id), None)
    if item is None:  # taken out already, or not of this report
        await ui.stale(query, ctx)
        return
    await query.answer()
    async with ctx.write() as tx:
        await reports.remove_media(tx, report.id, item.file_unique_id, by=ctx.actor.user_id)
        if report.state == "saved":
            await report_card.follow(ctx, tx, await reports.get(tx, report.id))
    await _show(ctx, await reports.get(ctx.db, report.id))


def _change_of(ctx: Ctx, tap: Tap) -> dict[str, Any] | None:
    """What a tap sets in the draft ({} for nothing), or None if its data can't be right."""
    args = tap.args
    if tap.action == "activity":
        return {"activity": args[0]} if ctx.campaign.activity(args[0]) else None
    if tap.action == "day":
        days = cultivation.recent_days(ctx.now, ctx.campaign.timezone)
        return {"held_on": days[args[0]]} if args[0] < len(days) else None
    if tap.action == "people":
        presets = cultivation.PARTICIPANT_PRESETS
        return {"participants": args[0]} if args[0] in presets else None
    if tap.action == "tag":
        if args[0] == "none":
            return {"criterion": None}
        return {"criterion": args[0]} if ctx.campaign.criterion(args[0]) else None
    if tap.action == "project":
        return {"project_id": args[0]}
    if tap.action == "no_media":
        return {"media_done": True}
    if tap.action == "change":
        return {} if args[0] in _CHANGEABLE else None
    return {}


async def _save(update: Update, ctx: Ctx, draft: ActivityReport) -> None:
    candidates = await reports.candidates_of(ctx.db, ctx.actor.user_id)
    if cultivation.next_step(draft, several_projects=len(candidates) > 1) is not None:
        await _show(ctx, draft)  # something is missing: asked for it
        return
    if draft.project_id not in {c.project_id for c in candidates}:
        await ui.alert(update.callback_query, ctx, "report/not_candidate")
        return
    async with ctx.write() as tx:
        await reports.save(tx, draft.id, by=ctx.actor.user_id)
        await flows.end(tx, ctx.actor.user_id)
        saved = await reports.get(tx, draft.id)
        groups = await report_card.post(ctx, tx, saved)
    markup = _saved_markup(ctx, saved)
    await ui.edit(update.callback_query, ctx, "report/saved", markup, groups=groups, changed=False)


# --- typed messages and files -----------------------------------------------------------------


def _media_of(message: Message) -> Media | None:
    item = ui.attached(message)
    if item is None:
        return None
    return Media(
        item.kind,
        item.file_id,
        item.file_unique_id,
        item.file_name,
        item.size,
        item.caption,
        message.message_id,
    )


async def _quota_refusal(ctx: Ctx, tx: Transaction, item: Media | None) -> dict | None:
    """Why this file can't join the person's report (what ui.reply says of it), if the copies
    would go over their quota or everyone's; read in the write that would add it."""
    if item is None:
        return None
    settings = ctx.core.settings
    quota = Quota(settings.media_quota_person, settings.media_quota_total)
    person = await media.person_bytes(tx, ctx.actor.user_id, at_most=DOWNLOAD_LIMIT)
    which = over_quota(
        quota,
        person=person,
        total=await media.held_bytes(tx),
        size=item.size,
        free=free_space(folder_of(settings.db_path)),  # one system call: no thread needed
    )
    if which is None:
        return None
    limit = quota.person if which == "person" else quota.total
    return {"which": which, "used": round(person / MB), "limit": limit // MB}


async def _store_files(tx: Transaction, draft: ActivityReport, message: Message) -> None:
    item = _media_of(message)
    if item is None:
        return
    await reports.add_media(tx, draft.id, [item])
    if item.caption and not draft.description.strip():
        media = await reports.media_of(tx, draft.id)
        await reports.update(tx, draft.id, description=cultivation.captions(media))
    elif item.caption:
        fresh = await reports.get(tx, draft.id)
        media = await reports.media_of(tx, draft.id)
        earlier = cultivation.captions(media[:-1])
        if fresh.description == earlier:  # still the captions alone: they follow the files
            await reports.update(tx, draft.id, description=cultivation.captions(media))


def _album(update: Update, ctx: Ctx, draft: ActivityReport) -> bool:
    """One answer for an album, once it is complete; True if this message is part of one."""
    if not update.effective_message.media_group_id:
        return False
    ui.after_album(update, ctx, "report-album", _album_done, {"report": draft.id})
    return True


async def _album_done(ctx: Ctx) -> None:
    job = ctx.job
    draft = await reports.get(ctx.db, job.data["report"])
    if draft is None or draft.state == "deleted":
        return
    # A job has no update: who it answers, in their language, is loaded here.
    ctx.actor = await load_actor(
        ctx.db,
        job.user_id,
        admins=ctx.core.settings.admins,
        default_locale=ctx.campaign.default_locale,
    )
    ctx.flow = await flows.current(ctx.db, job.user_id)
    await _show(ctx, draft, fresh=True, step=_still_asking(ctx))


async def _typed(update: Update, ctx: Ctx) -> None:
    """A message at any step: files join the report; text answers the step it is at."""
    message = update.effective_message
    draft = await _current(ctx)
    if draft is None:
        async with ctx.write() as tx:
            await flows.end(tx, ctx.actor.user_id)
        await ui.reply(update, ctx, "common/stale")
        return
    if not message.text:
        media = await reports.media_of(ctx.db, draft.id)
        if len(media) >= cultivation.MEDIA_LIMIT:
            await ui.reply(update, ctx, "report/too_many_files", limit=cultivation.MEDIA_LIMIT)
            return
        async with ctx.write() as tx:
            refused = await _quota_refusal(ctx, tx, _media_of(message))
            if refused is None:
                await _store_files(tx, draft, message)
        if refused is not None:
            await ui.reply(update, ctx, "report/quota", **refused)
            return
        if not _album(update, ctx, draft):
            draft = await reports.get(ctx.db, draft.id)
            await _show(ctx, draft, fresh=True, step=_still_asking(ctx))
        return
    step = ctx.flow.step
    text = message.text.strip()
    changes: dict[str, Any] | None = None
    if step == "date":
        day, refusal = cultivation.parse_day(text, ctx.now, ctx.campaign.timezone)
        if refusal is not None:  # read, but a report can't be about it: say why
            await ui.reply(update, ctx, "report/bad_day", day=day, reason=refusal)
            return
        changes = {"held_on": day} if day else None
    elif step == "participants":
        count = cultivation.parse_participants(text)
        changes = {"participants": count} if count else None
    elif step == "description":
        words = ctx.flow.data.get("words")
        written = draft.description if words is None else words
        if len(written) + len(text) > cultivation.DESCRIPTION_LIMIT:
            await ui.reply(update, ctx, "report/too_long", limit=cultivation.DESCRIPTION_LIMIT)
            return
        async with ctx.write() as tx:
            if words is None:
                await reports.add_to_description(tx, draft.id, message.text)
            else:  # a further message after a blank line, as add_to_description does
                more = f"{words}\n\n{message.text}" if words else message.text
                await flows.note(tx, ctx.actor.user_id, words=more)
        await _show(ctx, await reports.get(ctx.db, draft.id), fresh=True, step="description")
        return
    if changes is None:
        await ui.reply(update, ctx, "report/wrong_input", step=step)
        return
    async with ctx.write() as tx:
        await reports.update(tx, draft.id, **changes)
    await _show(ctx, await reports.get(ctx.db, draft.id), fresh=True)


def _step(accepts: Accepts) -> Step:
    return Step(accepts | Accepts.FILE, "report/wrong_input", _typed)


async def _wrong_context(update: Update, ctx: Ctx) -> dict[str, Any]:
    return {"step": ctx.flow.step if ctx.flow else ""}


_FLOW = Flow(
    FLOW,
    {
        "": _step(Accepts.BUTTONS_ONLY),
        "ask": _step(Accepts.BUTTONS_ONLY),
        "project": _step(Accepts.BUTTONS_ONLY),
        "activity": _step(Accepts.BUTTONS_ONLY),
        "date": _step(Accepts.TEXT),
        "participants": _step(Accepts.TEXT),
        "description": _step(Accepts.TEXT),
        "media": _step(Accepts.BUTTONS_ONLY),
        "tags": _step(Accepts.BUTTONS_ONLY),
        "files": _step(Accepts.BUTTONS_ONLY),
        "confirm": _step(Accepts.BUTTONS_ONLY),
    },
    allowed=_member,
    stage=GUARD,
    context=_wrong_context,
)
