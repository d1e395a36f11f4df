"""Updates set aside after starts kept dying on them: the person and the admins hear of it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.notices import Writer, to_people
from storage import people, roles
from storage.db import Executor, Transaction
from storage.inbox import SetAside

MAX_ATTEMPTS = 3  # starts that began an update and died before it was handled


async def admin_ids(db: Executor, configured: Iterable[int]) -> set[int]:
    """Configured admins and those invited as admins."""
    return set(configured) | await roles.holder_ids(db, ("admin",))


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
    senders = {update.update_id: sender_of(update.payload) for update in aside}
    first = aside[0].update_id
    for user_id in sorted({s for s in senders.values() if s is not None}):
        when = min(u.received_at for u in aside if senders[u.update_id] == user_id)
        await to_people(tx, writer, [user_id], "errors/set_aside", f"set-aside@{first}", when=when)
    known = await people.get_many(tx, sorted({s for s in senders.values() if s is not None}))
    names = [known[s].display_name for s in sorted(known)]
    await to_people(
        tx,
        writer,
        await admin_ids(tx, admins),
        "errors/set_aside_admin",
        f"set-aside@{first}",
        count=len(aside),
        attempts=MAX_ATTEMPTS,
        ids=" ".join(str(u.update_id) for u in aside),
        names=names,
    )
