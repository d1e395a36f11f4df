"""A saved report's card: its words, where it is posted, and how the posts follow the report.

The card goes to the project's group chats when the report is saved. Marked as a highlight,
it says so, and goes to the unit's own chats too. Every post is edited when the report
changes or is marked or unmarked, and removed when the report is deleted. All of it goes
through the outbox, in the transaction of the change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.core import Ctx
from handlers.callbacks import Buttons
from messages.split import visible_length
from storage import chats, highlights, orgs, outbox, people, reports
from storage.db import Executor, Transaction
from storage.highlights import Highlight
from storage.outbox import BULK, Cause, Outgoing
from storage.reports import ActivityReport, Media

# Highlights and coaching, on a card (in a group or privately), in /highlights and /progress.
BUTTONS = Buttons(
    "hl",
    command="highlights",
    mark=("m", (int,)),  # a report: make it a highlight
    unmark=("u", (int,)),
    open=("o", (int,)),  # a report: its card, privately
    list=("l", (int, int)),  # highlights of a unit (0: all), a page
    criterion=("c", (str, int)),  # highlights supporting a criterion, a page
    units=("n", (int,)),  # the units to filter by, a page
    criteria=("k", ()),  # the criteria to filter by
    newest=("r", (int,)),  # the newest reports, to pick highlights from, a page
    coach=("w", (int,)),  # a coaching comment on a report
    coach_project=("j", (int,)),  # a coaching comment on a project
)


def _step(cause: str, step: str) -> str:
    return str(Cause.parse(cause).then(step))


def _delete(row: outbox.Row) -> Outgoing:
    return _edit(row, _step(row.cause, "delete"), "deleteMessage", {})


def card_cause(report_id: int) -> str:
    return str(Cause("report", report_id, "card"))


def highlight_cause(report_id: int, highlight_id: int) -> str:
    # Ends in ":post" so that withdrawing by prefix never reaches mark 12 from mark 1.
    return str(Cause("report", report_id, "hl", highlight_id, "post"))


def may_mark(ctx: Ctx, project: orgs.Project) -> bool:
    """Highlights and coaching are for the project's unit secretaries and admins."""
    return ctx.actor.is_admin or ctx.actor.is_secretary_of(project.unit_id)


def counts(media: list[Media]) -> dict[str, int]:
    found = {"photo": 0, "video": 0, "document": 0}
    for item in media:
        found[item.kind] += 1
    return found


async def words(
    ctx: Ctx,
    db: Executor,
    report: ActivityReport,
    locale: str,
    *,
    mark: Highlight | None,
    unmarked: Highlight | None = None,
) -> tuple[str, Media | None]:
    """The card in `locale`, saying whether it is a highlight (who chose it) or was one (who
    took it back), and its photo if it has one."""
    media = await reports.media_of(db, report.id)
    photo = next((m for m in media if m.kind == "photo"), None)
    wanted = {report.author_id}
    if mark is not None:
        wanted.add(mark.marked_by)
    if unmarked is not None and unmarked.unmarked_by is not None:
        wanted.add(unmarked.unmarked_by)
    found = await people.get_many(db, sorted(wanted))
    project = await orgs.project(db, report.project_id)

    def card(cut: int) -> str:
        return ctx.core.writer.msgs.text(
            locale,
            "report/card",
            campaign=ctx.campaign,
            report=report,
            project=project,
            activity=ctx.campaign.activity(report.activity),
            criterion=ctx.campaign.criterion(report.criterion),
            media=counts(media),
            author=found.get(report.author_id),
            cut=cut,
            marked_by=found.get(mark.marked_by) if mark else None,
            unmarked_by=found.get(unmarked.unmarked_by) if unmarked else None,
        )

    if photo is None:
        return _fitting(card, _TEXT_CUT, TEXT_LIMIT), None
    return _fitting(card, _CAPTION_CUT, CAPTION_LIMIT), photo


# Where the description is cut (characters): in a message of its own, and under a photo.
_TEXT_CUT, _CAPTION_CUT = 3000, 700
_SHORTEST_CUT = 3  # Jinja's truncate keeps room for its "..."
# Telegram's limits, in UTF-16 code units once the HTML is parsed.
TEXT_LIMIT, CAPTION_LIMIT = 4096, 1024


def _fitting(card: Callable[[int], str], cut: int, limit: int) -> str:
    """The card with its description cut at `cut`, and shorter while the whole card (long
    names, a highlight's line, characters counting double in UTF-16) is over `limit`:
    Telegram would refuse the post for good."""
    text = card(cut)
    while (over := visible_length(text) - limit) > 0 and cut > _SHORTEST_CUT:
        cut = max(_SHORTEST_CUT, cut - over)
        text = card(cut)
    return text


def _toggle(ctx: Ctx, locale: str, report_id: int, mark: Highlight | None) -> dict[str, Any]:
    """The card's button, as the outbox sends it: mark, or take the mark back."""
    action, label = ("unmark", "highlight_unmark") if mark else ("mark", "highlight_mark")
    button = {
        "text": ctx.msgs.label(locale, label),
        "callback_data": BUTTONS.data(action, report_id),
    }
    return {"inline_keyboard": [[button]]}


async def _send(
    ctx: Ctx,
    tx: Transaction,
    report: ActivityReport,
    cause: str,
    targets: list[tuple[int, int]],
    mark: Highlight | None,
) -> None:
    locale = ctx.campaign.default_locale
    text, photo = await words(ctx, tx, report, locale, mark=mark)
    markup = _toggle(ctx, locale, report.id, mark)
    items = []
    for chat_id, thread_id in targets:
        payload: dict[str, Any] = (
            {"caption": text, "photo": photo.file_id} if photo else {"text": text}
        )
        payload["reply_markup"] = markup
        if thread_id:
            payload["message_thread_id"] = thread_id
        items.append(
            Outgoing(
                cause,
                "report/card",
                chat_id,
                payload,
                method="sendPhoto" if photo else "sendMessage",
                thread_id=thread_id,
                priority=BULK,
            )
        )
    await outbox.enqueue(tx, items)


async def post(ctx: Ctx, tx: Transaction, report: ActivityReport) -> int:
    """A saved report's card in the project's bound groups (its forum topic where there is
    one): the first photo with the card as its caption, or the card alone. How many chats."""
    targets = await chats.present_bindings(tx, project_id=report.project_id)
    await _send(ctx, tx, report, card_cause(report.id), targets, None)
    return len(targets)


async def post_highlight(ctx: Ctx, tx: Transaction, report: ActivityReport, mark: Highlight) -> int:
    """A new highlight in the unit's own bound chats (those that have the card already, or
    a post of an earlier mark of the report, just see it edited); how many chats."""
    project = await orgs.project(tx, report.project_id)
    unit_chats = await chats.present_bindings(tx, project.unit_id, unit_itself=True)
    earlier = [m for m in await highlights.all_of(tx, report.id) if m.id != mark.id]
    has_post = set()
    for cause in [card_cause(report.id), *(highlight_cause(report.id, m.id) for m in earlier)]:
        rows = await outbox.rows_of(tx, cause)
        has_post |= {(row.chat_id, row.thread_id) for row in rows if row.state != "failed"}
    targets = [target for target in unit_chats if target not in has_post]
    await _send(ctx, tx, report, highlight_cause(report.id, mark.id), targets, mark)
    return len(targets)


async def follow(
    ctx: Ctx, tx: Transaction, report: ActivityReport, *, deleted: bool = False
) -> None:
    """Every post of the report says what it says now: the card, and each highlight's posts
    in the unit's chats (while one stands, all say who chose it: a report marked again is
    not posted again; else they say who took it back last, and lose their button). Deleted,
    the posts go. One edit per post waits at a time (renewed with each change). A photo post
    whose photo was taken out of the report shows the next one, or, with none left, is posted
    again as text (a photo can't become text)."""
    marks = await highlights.all_of(tx, report.id)
    standing = next((m for m in marks if m.unmarked_at is None), None)
    latest = marks[-1] if marks else None
    posts = [(card_cause(report.id), None), *((highlight_cause(report.id, m.id), m) for m in marks)]
    locale = ctx.campaign.default_locale
    if not deleted:  # what the card and a standing highlight's posts say: the same words
        current, photo = await words(ctx, tx, report, locale, mark=standing)
        current_markup = _toggle(ctx, locale, report.id, standing)
    edits: list[Outgoing] = []
    removals: list[Outgoing] = []
    for cause, mark in posts:
        taken_back = mark is not None and standing is None
        if deleted or taken_back:
            # A post not out yet never goes, nor its edits: gone, or no highlight after all.
            # (Read after: a repost as text withdrawn, the photo post it replaced is back.)
            await outbox.withdraw(tx, cause)
        rows = await _posts_of(tx, cause)
        if deleted or taken_back:
            rows = [row for row in rows if row.state in ("sent", "sending")]
        if deleted:
            removals += [_delete(row) for row in rows]
            continue
        if taken_back:
            text, _ = await words(ctx, tx, report, locale, mark=None, unmarked=latest)
            markup = None
        else:
            text, markup = current, current_markup
        last_edits: dict[str, dict[tuple[int, int], outbox.Row]] = {}
        for row in rows:
            if row.method == "sendPhoto" and row.state != "failed":
                swapped = await _photo_swap(tx, row)
                if photo is None:  # no photo left: the post goes, and comes again as text
                    removals += [_delete(row)]
                    removals += [_as_text(row, text, markup)]
                    continue
                if swapped is not None or photo.file_id != row.payload["photo"]:
                    # Its photo changed once: from then on its words go with the photo, in
                    # one edit that always comes after the caption edits made before.
                    edits += _new_photo(row, swapped, photo, text, markup)
                    continue
            # What each post says now: its last edit, or as sent.
            if row.cause not in last_edits:
                last_edits[row.cause] = {
                    (edit.chat_id, edit.thread_id): edit
                    for edit in await outbox.rows_of(tx, _step(row.cause, "edit"))
                }
            last_edit = last_edits[row.cause].get((row.chat_id, row.thread_id))
            edits += _changes(row, last_edit, text, markup)
    await outbox.enqueue(tx, removals)
    await outbox.renew(tx, edits)


async def _posts_of(tx: Transaction, cause: str) -> list[outbox.Row]:
    """A post's rows, one per chat: as first sent, or its repost as text once the report had
    no photo left."""
    reposts = [row for row in await outbox.rows_of(tx, _step(cause, "text")) if row.part == 0]
    replaced = {(row.chat_id, row.thread_id) for row in reposts}
    first = [
        row
        for row in await outbox.rows_of(tx, cause)
        if row.part == 0 and (row.chat_id, row.thread_id) not in replaced
    ]
    return first + reposts


async def _photo_swap(tx: Transaction, row: outbox.Row) -> outbox.Row | None:
    """The edit that gave a photo post another photo, if one did."""
    for swap in await outbox.rows_of(tx, _step(row.cause, "media")):
        if (swap.chat_id, swap.thread_id) == (row.chat_id, row.thread_id):
            return swap
    return None


def _new_photo(
    row: outbox.Row,
    swapped: outbox.Row | None,
    photo: Media,
    text: str,
    markup: dict[str, Any] | None,
) -> list[Outgoing]:
    """What makes a photo post show `photo` with `text` and `markup`: nothing if its last
    photo edit (`swapped`) does already, else that edit renewed."""
    media = {"type": "photo", "media": photo.file_id, "caption": text, "parse_mode": "HTML"}
    payload: dict[str, Any] = {"media": media}
    if markup is not None:
        payload["reply_markup"] = markup
    if swapped is not None and all(
        swapped.payload.get(key) == payload.get(key) for key in ("media", "reply_markup")
    ):
        return []
    return [_edit(row, _step(row.cause, "media"), "editMessageMedia", payload)]


def _as_text(row: outbox.Row, text: str, markup: dict[str, Any] | None) -> Outgoing:
    """A photo post sent again as text: its report has no photo left. It comes after the
    photo post's deletion (the group never sees both, and a report deleted meanwhile takes
    both back: the repost not out yet is withdrawn with the deletion)."""
    payload: dict[str, Any] = {"text": text, outbox.AFTER: _step(row.cause, "delete")}
    if markup is not None:
        payload["reply_markup"] = markup
    if row.thread_id:
        payload["message_thread_id"] = row.thread_id
    return Outgoing(
        _step(row.cause, "text"),
        row.kind,
        row.chat_id,
        payload,
        thread_id=row.thread_id,
        priority=BULK,
    )


def _changes(
    row: outbox.Row, last_edit: outbox.Row | None, text: str, markup: dict[str, Any] | None
) -> list[Outgoing]:
    """What makes a post (`row`, last edited by `last_edit`) say `text` with `markup`: nothing
    if it does already (Telegram refuses an edit that changes nothing); the post itself with
    new words if it is not out yet (and its waiting edit too, which would undo them); else an
    edit."""
    if row.state == "failed":
        return []
    shown = (last_edit or row).payload
    if text in (shown.get("text"), shown.get("caption")) and shown.get("reply_markup") == markup:
        return []
    key = "caption" if row.method == "sendPhoto" else "text"
    payload: dict[str, Any] = {key: text}
    if markup is not None:
        payload["reply_markup"] = markup
    method = "editMessageCaption" if row.method == "sendPhoto" else "editMessageText"
    edit = _edit(row, _step(row.cause, "edit"), method, payload)
    if row.state != "pending":
        return [edit]
    fresh = {k: v for k, v in row.payload.items() if k != "reply_markup"} | payload
    post = Outgoing(
        row.cause,
        row.kind,
        row.chat_id,
        fresh,
        method=row.method,
        thread_id=row.thread_id,
        priority=BULK,
    )
    return [post, edit] if last_edit is not None else [post]


def _edit(row: outbox.Row, cause: str, method: str, payload: dict[str, Any]) -> Outgoing:
    """A change to a post the outbox sent (its message id is found when this goes out)."""
    return Outgoing(
        cause,
        "report/card",
        row.chat_id,
        {**payload, outbox.FOLLOWS: row.cause},
        method=method,
        thread_id=row.thread_id,
        priority=BULK,
    )
