"""Broadcasts: an admin's own message (a text, or a photo or a document with its caption) to
every bound group chat, to one unit's, or privately to everyone who holds one role. Written
to the outbox in one transaction, one row per chat, with a report that shows its progress."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage import chats, people, roles
from storage.db import Executor, Transaction
from storage.outbox import BULK, Outgoing, enqueue

GROUPS = "groups"  # every bound group chat
UNIT = "unit"  # one unit's group chats (its own and its projects')
AUDIENCES = (GROUPS, UNIT, *roles.ROLES)  # a role: everyone who holds it, privately
KIND = "broadcast/message"  # the outbox kind of the message itself (it has no template)
# What Telegram method carries each kind of content, and the field of its file, if any.
METHODS = {
    "text": ("sendMessage", None),
    "photo": ("sendPhoto", "photo"),
    "document": ("sendDocument", "document"),
}


@dataclass(frozen=True)
class Content:
    """What the admin sent, as it will be sent again: Telegram HTML, files by id."""

    kind: str  # text, photo or document
    text: str  # the text, or the caption ('' for none)
    file_id: str = ""

    def as_data(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text, "file_id": self.file_id}

    @classmethod
    def from_data(cls, data: Any) -> Content | None:
        """Back from a flow's stored data; None for anything that isn't one."""
        if not isinstance(data, dict) or data.get("kind") not in METHODS:
            return None
        return cls(data["kind"], str(data.get("text", "")), str(data.get("file_id", "")))

    @property
    def method(self) -> str:
        return METHODS[self.kind][0]

    def payload(self) -> dict[str, Any]:
        """The method's parameters, but for the chat."""
        field = METHODS[self.kind][1]
        if field is None:
            return {"text": self.text}
        payload: dict[str, Any] = {field: self.file_id}
        if self.text:
            payload["caption"] = self.text
        return payload


@dataclass(frozen=True)
class Reach:
    """Where a broadcast goes: group chats (chat, topic or 0), or people; and how many of
    the audience can't be written to (people who never opened a private chat, or blocked)."""

    chats: list[tuple[int, int]]
    people: list[int]
    unreachable: int = 0

    @property
    def size(self) -> int:
        return len(self.chats) + len(self.people)


async def reach(
    db: Executor,
    audience: str,
    *,
    unit_id: int | None = None,
    admins: Iterable[int] = (),
    sender: int | None = None,
) -> Reach:
    """Who an audience is now; never the sender, who has seen the preview."""
    if audience == GROUPS:
        return Reach(await chats.present_bindings(db), [])
    if audience == UNIT:
        return Reach(await chats.present_bindings(db, unit_id) if unit_id else [], [])
    holders = await roles.holder_ids(db, [audience])
    if audience == "admin":
        holders |= set(admins)
    holders.discard(sender)
    found = await people.get_many(db, sorted(holders))
    reachable = [
        user_id
        for user_id in sorted(holders)
        if (person := found.get(user_id)) is not None and person.writable
    ]
    return Reach([], reachable, len(holders) - len(reachable))


async def write(
    tx: Transaction, cause: str, content: Content, to: Reach, not_before: datetime | None
) -> None:
    """One message per chat or person, behind what is already waiting for the same chats."""
    payload = content.payload()
    items = [
        Outgoing(
            cause,
            KIND,
            chat_id,
            {**payload, "message_thread_id": thread_id} if thread_id else payload,
            method=content.method,
            thread_id=thread_id,
            priority=BULK,
            not_before=not_before,
        )
        for chat_id, thread_id in to.chats
    ]
    items += [
        Outgoing(
            cause,
            KIND,
            user_id,
            payload,
            method=content.method,
            user_id=user_id,
            priority=BULK,
            not_before=not_before,
        )
        for user_id in to.people
    ]
    await enqueue(tx, items)
