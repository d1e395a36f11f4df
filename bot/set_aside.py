"""Updates set aside after starts kept dying on them: the person and the admins hear of it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.access import admin_ids
from bot.notices import Writer, to_each, to_people
from storage import people
from storage.db import Transaction
from storage.inbox import SetAside
from storage.outbox import Cause

MAX_ATTEMPTS = 3  # starts that began an update and died before it was handled


def sender_of(payload: dict) -> int | None:
    """Who sent an update, from the JSON Telegram sent (whatever kind of update it is)."""
    for kind in ("message", "edited_message", "callback_query", "my_chat_member"):
        found = payload.get(kind)
        if isinstance(found, dict) and isinstance(found.get("from"), dict):
            return found["from"].get("id")
    return None


async def tell(
    tx: Transaction, writer: Writer, admins: Iterable[int], aside: Sequence[SetAside]
) -> None:
    """Each sender once that their message could not be handled; the admins once, with the
    ids to look at (`pacesetter updates`). Written with the setting aside: told exactly once."""
    first_sent: dict[int, datetime] = {}  # each sender's earliest (`aside` is in order)
    for update in aside:
        sender = sender_of(update.payload)
        if sender is not None:
            first_sent.setdefault(sender, update.received_at)
    cause = str(Cause("set-aside", at=str(aside[0].update_id)))
    letters = [(s, "errors/set_aside", {"when": when}, None) for s, when in first_sent.items()]
    await to_each(tx, writer, letters, cause)
    known = await people.get_many(tx, sorted(first_sent))
    names = [known[s].display_name for s in sorted(known)]
    await to_people(
        tx,
        writer,
        await admin_ids(tx, admins),
        "errors/set_aside_admin",
        cause,
        count=len(aside),
        attempts=MAX_ATTEMPTS,
        ids=" ".join(str(u.update_id) for u in aside),
        names=names,
    )
