"""Who hears of a change, in their own language: outbox rows written in the change's own
transaction, so a change and its notices are stored together or not at all."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot import locale
from bot.campaign import Campaign
from messages.render import Messages
from storage import orgs, outbox, people, roles
from storage.audit import current_update_id
from storage.db import Executor, Transaction
from storage.outbox import BULK, PRIVATE, PROGRESS, REPORT, Cause, Outgoing, Report


def cause(tx: Transaction, subject: Cause | str) -> str:
    """The key of a change's notices: the update that made it (a redelivery of that update
    writes nothing twice), or, for scheduled work, the moment."""
    if isinstance(subject, str):  # a subject still written as text reads as the same cause
        subject = Cause.parse(subject)
    update_id = current_update_id.get()
    return str(subject.made_by(f"u{update_id}" if update_id is not None else tx.stamp))


@dataclass(frozen=True)
class Writer:
    """What writing a notice needs: the words and the campaign they speak of."""

    msgs: Messages
    campaign: Campaign

    def render(self, locale_code: str, key: str, **context: Any) -> list[str]:
        return self.msgs.texts(locale_code, key, campaign=self.campaign, **context)

    def locale_of(self, person: people.Person) -> str:
        return locale.choose(person.locale, person.telegram_language, self.campaign.default_locale)


Button = tuple[str, str]  # (label key, callback data or link): the item a notice is about
# A notice may carry several buttons instead, one a row (a recusal: reassign, or the progress).
Buttons = tuple[Button, ...]


def _messages(
    cause: str,
    key: str,
    chat_id: int,
    texts: Sequence[str],
    button: tuple[str, str] | Buttons | None = None,
    **row: Any,
) -> list[Outgoing]:
    """One row per part; a button (label, data or a link), or several, under the last."""
    items = []
    for index, text in enumerate(texts):
        payload: dict[str, Any] = {"text": text}
        if button and index == len(texts) - 1:
            keyboard = [[_button(one)] for one in _several(button)]
            payload["reply_markup"] = {"inline_keyboard": keyboard}
        items.append(Outgoing(cause, key, chat_id, payload, part=index, **row))
    return items


def _several(button: Button | Buttons) -> Buttons:
    return (button,) if isinstance(button[0], str) else button


def _button(button: tuple[str, str]) -> dict[str, str]:
    kind = "url" if button[1].startswith("https://") else "callback_data"
    return {"text": button[0], kind: button[1]}


async def to_people(
    tx: Transaction,
    writer: Writer,
    user_ids: Iterable[int],
    key: str,
    cause: str,
    *,
    button: Button | Buttons | None = None,
    **context: Any,
) -> int:
    """A private notice to each person, in their language, with a button to its item (or
    buttons) if given; returns how many can't be reached (never opened a private chat with
    the bot, or blocked it)."""
    wanted = sorted(set(user_ids))
    letters = [(user_id, key, {}, button) for user_id in wanted]
    return len(wanted) - await to_each(tx, writer, letters, cause, **context)


async def to_each(
    tx: Transaction,
    writer: Writer,
    letters: Sequence[tuple[int, str, dict[str, Any], Button | Buttons | None]],
    cause: str,
    *,
    not_before: datetime | None = None,
    on_leave_at: datetime | None = None,
    **shared: Any,
) -> int:
    """A private notice each, with its own template, values and button (user id, key,
    context, button), and the values `shared` by all; how many can be reached. Texts alike
    are rendered once, however many people get them. With `on_leave_at`, people on leave then
    are left out."""
    found = await people.get_many(tx, sorted({user_id for user_id, *_ in letters}))
    items, reached = compose_each(
        writer, found, letters, cause, not_before=not_before, on_leave_at=on_leave_at, **shared
    )
    await outbox.enqueue(tx, items)
    return reached


def compose_each(
    writer: Writer,
    found: dict[int, people.Person],
    letters: Sequence[tuple[int, str, dict[str, Any], Button | Buttons | None]],
    cause: str,
    *,
    not_before: datetime | None = None,
    on_leave_at: datetime | None = None,
    **shared: Any,
) -> tuple[list[Outgoing], int]:
    """to_each's rows, for the people `found`, and how many can be reached: no database, so
    thousands of letters can be rendered in a worker thread."""
    rendered: dict[tuple[str, str, str], list[str]] = {}
    items: list[Outgoing] = []
    reached = 0
    for user_id, key, context, button in letters:
        person = found.get(user_id)
        if person is None or not person.writable:
            continue
        if on_leave_at is not None and person.on_leave(on_leave_at):
            continue
        their_locale = writer.locale_of(person)
        alike = (their_locale, key, repr(sorted(context.items())))
        if alike not in rendered:
            rendered[alike] = writer.render(their_locale, key, **shared, **context)
        shown = (
            tuple((writer.msgs.label(their_locale, k), data) for k, data in _several(button))
            if button
            else None
        )
        items += _messages(
            cause, key, user_id, rendered[alike], shown, user_id=user_id, not_before=not_before
        )
        reached += 1
    return items, reached


async def to_each_chat(
    tx: Transaction,
    writer: Writer,
    posts: Sequence[tuple[int, int, str, dict[str, Any], tuple[str, str] | None]],
    cause: str,
    *,
    not_before: datetime | None = None,
    **shared: Any,
) -> int:
    """A notice in each group chat (chat, topic or 0, key, context, link button (label key,
    URL)), in the campaign's language; how many chats. Texts alike are rendered once."""
    await outbox.enqueue(tx, compose_chats(writer, posts, cause, not_before=not_before, **shared))
    return len(posts)


def compose_chats(
    writer: Writer,
    posts: Sequence[tuple[int, int, str, dict[str, Any], tuple[str, str] | None]],
    cause: str,
    *,
    not_before: datetime | None = None,
    **shared: Any,
) -> list[Outgoing]:
    """to_each_chat's rows: no database, so they can be rendered in a worker thread."""
    locale_code = writer.campaign.default_locale
    rendered: dict[tuple[str, str], list[str]] = {}
    items: list[Outgoing] = []
    for chat_id, thread_id, key, context, link in posts:
        alike = (key, repr(sorted(context.items())))
        if alike not in rendered:
            rendered[alike] = writer.render(locale_code, key, **shared, **context)
        texts = rendered[alike]
        for index, text in enumerate(texts):
            payload: dict[str, Any] = {"text": text}
            if thread_id:
                payload["message_thread_id"] = thread_id
            if link is not None and index == len(texts) - 1:
                button = {"text": writer.msgs.label(locale_code, link[0]), "url": link[1]}
                payload["reply_markup"] = {"inline_keyboard": [[button]]}
            items.append(
                Outgoing(
                    cause,
                    key,
                    chat_id,
                    payload,
                    thread_id=thread_id,
                    part=index,
                    priority=BULK,
                    not_before=not_before,
                )
            )
    return items


async def to_chats(
    tx: Transaction,
    writer: Writer,
    targets: Iterable[tuple[int, int]],
    key: str,
    cause: str,
    **context: Any,
) -> int:
    """A notice in group chats (chat, forum topic or 0), in the campaign's language; returns
    how many chats it goes to."""
    posts = [(chat_id, thread_id, key, {}, None) for chat_id, thread_id in sorted(set(targets))]
    return await to_each_chat(tx, writer, posts, cause, **context)


async def project_people(
    tx: Transaction,
    writer: Writer,
    project: orgs.Project,
    key: str,
    cause: str,
    *,
    leads: bool = True,
    secretaries: bool = True,
    sender: int | None = None,
    lead_button: Button | None = None,
    secretary_button: Button | None = None,
    **context: Any,
) -> None:
    """A project's leads and/or its unit's secretaries, each with the button that opens the
    item from where they stand; never the sender, who sees the outcome on screen."""
    unit = await orgs.unit(tx, project.unit_id)
    audiences = []
    if leads:
        found = await project_recipients(tx, project, leads=True, secretaries=False)
        audiences.append((found, lead_button))
    if secretaries:
        found = await project_recipients(tx, project, leads=False, secretaries=True)
        audiences.append((found, secretary_button))
    told: set[int | None] = {sender}
    for recipients, button in audiences:
        recipients -= told  # a lead who is also a secretary hears it once
        told |= recipients
        await to_people(
            tx, writer, recipients, key, cause, button=button, project=project, unit=unit, **context
        )


async def project_recipients(
    db: Executor, project: orgs.Project, *, leads: bool, secretaries: bool
) -> set[int]:
    found: set[int] = set()
    if leads:
        found |= {g.user_id for g in await roles.holders(db, "lead", project_id=project.id)}
    if secretaries:
        found |= {g.user_id for g in await roles.holders(db, "secretary", unit_id=project.unit_id)}
    return found


def report_messages(writer: Writer, report: Report, **extra: Any) -> list[Outgoing]:
    """How a wide announcement went (or, with a progress message, how far it is), for the
    person who made it."""
    texts = writer.render(
        report.locale,
        report.kind,
        people=report.people,
        groups=report.groups,
        failed=report.failed,
        report=report,
        why=failure_kinds(report),
        **report.context,
        **extra,
    )
    cause = str(Cause.parse(report.cause).about(REPORT if report.done else PROGRESS))
    items = _messages(
        cause, report.kind, report.report_chat, texts, user_id=report.report_chat, priority=PRIVATE
    )
    if report.progress_message is None:
        return items
    first = items[0]
    edit = {**first.payload, "message_id": report.progress_message}
    return [replace(first, method="editMessageText", payload=edit), *items[1:]]


# Why a message was not delivered (the outbox's error), in the words of a report.
_FAILURE_KINDS = (
    ("unreachable", "unreachable"),  # blocked the bot, or removed it from the group
    ("refused", "refused"),  # Telegram refused the message itself
    ("gave up", "gave_up"),  # time-outs and server errors, retried for an hour
)


def failure_kinds(report: Report) -> dict[str, int]:
    """How many were not delivered, by why: unreachable, refused, gave_up, other, and
    no_private_chat (never opened a private chat with the bot, or blocked it: nothing was
    written for them)."""
    kinds: dict[str, int] = {}
    for error, count in report.reasons.items():
        kind = next((k for prefix, k in _FAILURE_KINDS if error.startswith(prefix)), "other")
        kinds[kind] = kinds.get(kind, 0) + count
    no_private_chat = report.failed - sum(report.reasons.values())
    if no_private_chat:
        kinds["no_private_chat"] = no_private_chat
    return kinds
