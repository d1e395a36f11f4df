"""Group chats the bot is in, and which project or unit each (or each forum topic) belongs to;
or that it is the reviewers' chat, for the campaign's admins and reviewers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage import audit
from storage.db import Executor, Transaction, from_db_time

PRESENT = ("member", "administrator")


@dataclass(frozen=True)
class Chat:
    chat_id: int
    type: str
    title: str
    is_forum: bool
    bot_status: str
    migrated_to: int | None

    @property
    def bot_present(self) -> bool:
        return self.bot_status in PRESENT


@dataclass(frozen=True)
class Binding:
    chat_id: int
    thread_id: int  # 0: the whole chat
    unit_id: int | None
    project_id: int | None
    bot_present: bool  # False while the bot is not in that chat (removed, or not added yet)


def _chat(row) -> Chat:
    return Chat(
        chat_id=row["chat_id"],
        type=row["type"],
        title=row["title"],
        is_forum=bool(row["is_forum"]),
        bot_status=row["bot_status"],
        migrated_to=row["migrated_to"],
    )


_BINDING = (
    "SELECT b.chat_id, b.thread_id, b.unit_id, b.project_id,"
    " IFNULL(c.bot_status IN ('member', 'administrator'), 0) AS present"
    " FROM chat_bindings b LEFT JOIN chats c ON c.chat_id = b.chat_id"
)


def _binding(row) -> Binding:
    return Binding(
        chat_id=row["chat_id"],
        thread_id=row["thread_id"],
        unit_id=row["unit_id"],
        project_id=row["project_id"],
        bot_present=bool(row["present"]),
    )


async def get(db: Executor, chat_id: int) -> Chat | None:
    row = await db.fetch_one("SELECT * FROM chats WHERE chat_id = ?", (chat_id,))
    return _chat(row) if row else None


async def record_status(
    tx: Transaction,
    chat_id: int,
    chat_type: str,
    title: str,
    is_forum: bool,
    bot_status: str,
    actor_id: int | None,
) -> None:
    known = await get(tx, chat_id)
    await tx.execute(
        "INSERT INTO chats (chat_id, type, title, is_forum, bot_status, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (chat_id) DO UPDATE SET type = excluded.type,"
        " title = excluded.title, is_forum = excluded.is_forum,"
        " bot_status = excluded.bot_status, updated_at = excluded.updated_at",
        (chat_id, chat_type, title, int(is_forum), bot_status, tx.stamp),
    )
    if known is None or known.bot_status != bot_status:
        await audit.record(tx, actor_id, "chat.status", f"chat:{chat_id}", status=bot_status)


async def mark_gone(tx: Transaction, chat_id: int, reason: str) -> None:
    """Telegram says the bot is no longer in the chat (it missed the update that said so)."""
    changed = await tx.execute(
        "UPDATE chats SET bot_status = 'kicked', updated_at = ? WHERE chat_id = ?"
        " AND bot_status IN ('member', 'administrator')",
        (tx.stamp, chat_id),
    )
    if changed:
        await audit.record(tx, None, "chat.status", f"chat:{chat_id}", status="kicked", why=reason)


async def migrate(tx: Transaction, old_id: int, new_id: int, title: str) -> bool:
    """Move a group's record and bindings to its new supergroup id; False if already done."""
    old = await get(tx, old_id)
    if old is not None and old.migrated_to == new_id:
        return False
    now = tx.stamp
    await tx.execute(
        "INSERT INTO chats (chat_id, type, title, is_forum, bot_status, updated_at)"
        " VALUES (?, 'supergroup', ?, 0, ?, ?) ON CONFLICT (chat_id) DO UPDATE SET"
        " type = 'supergroup', bot_status = excluded.bot_status, updated_at = excluded.updated_at",
        (new_id, title, old.bot_status if old else "member", now),
    )
    await tx.execute(
        "INSERT INTO chats (chat_id, type, title, is_forum, bot_status, migrated_to, updated_at)"
        " VALUES (?, 'group', ?, 0, 'left', ?, ?) ON CONFLICT (chat_id) DO UPDATE SET"
        " bot_status = 'left', migrated_to = excluded.migrated_to,"
        " updated_at = excluded.updated_at",
        (old_id, title, new_id, now),
    )
    # The old group's bindings were made on purpose; they win over any for the new id.
    await tx.execute(
        "DELETE FROM chat_bindings WHERE chat_id = ? AND thread_id IN"
        " (SELECT thread_id FROM chat_bindings WHERE chat_id = ?)",
        (new_id, old_id),
    )
    moved = await tx.execute(
        "UPDATE chat_bindings SET chat_id = ? WHERE chat_id = ?", (new_id, old_id)
    )
    await tx.execute(
        "DELETE FROM campaign_chats WHERE chat_id = ? AND thread_id IN"
        " (SELECT thread_id FROM campaign_chats WHERE chat_id = ?)",
        (new_id, old_id),
    )
    moved += await tx.execute(
        "UPDATE campaign_chats SET chat_id = ? WHERE chat_id = ?", (new_id, old_id)
    )
    await audit.record(tx, None, "chat.migrate", f"chat:{old_id}", to=new_id, bindings=moved)
    return True


async def binding(db: Executor, chat_id: int, thread_id: int = 0) -> Binding | None:
    row = await db.fetch_one(
        _BINDING + " WHERE b.chat_id = ? AND b.thread_id = ?", (chat_id, thread_id)
    )
    return _binding(row) if row else None


async def bind(
    tx: Transaction,
    chat_id: int,
    thread_id: int,
    *,
    unit_id: int | None,
    project_id: int | None,
    by: int,
) -> None:
    await tx.execute(
        "INSERT INTO chat_bindings (chat_id, thread_id, unit_id, project_id, bound_by, bound_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (chat_id, thread_id) DO UPDATE SET"
        " unit_id = excluded.unit_id, project_id = excluded.project_id,"
        " bound_by = excluded.bound_by, bound_at = excluded.bound_at",
        (chat_id, thread_id, unit_id, project_id, by, tx.stamp),
    )
    # A chat (or topic) is a unit's or the reviewers', never both.
    await tx.execute(
        "DELETE FROM campaign_chats WHERE chat_id = ? AND thread_id = ?", (chat_id, thread_id)
    )
    await audit.record(
        tx, by, "chat.bind", f"chat:{chat_id}:{thread_id}", unit_id=unit_id, project_id=project_id
    )


async def unbind(tx: Transaction, chat_id: int, thread_id: int, by: int) -> bool:
    removed = await tx.execute(
        "DELETE FROM chat_bindings WHERE chat_id = ? AND thread_id = ?", (chat_id, thread_id)
    )
    if removed:
        await audit.record(tx, by, "chat.unbind", f"chat:{chat_id}:{thread_id}")
    return bool(removed)


@dataclass(frozen=True)
class CampaignChat:
    """A group (or topic) bound for the campaign's admins and reviewers: the reviewers' chat."""

    chat_id: int
    thread_id: int  # 0: the whole chat
    bound_by: int
    bound_at: datetime


async def campaign_chat(db: Executor, chat_id: int, thread_id: int = 0) -> CampaignChat | None:
    row = await db.fetch_one(
        "SELECT * FROM campaign_chats WHERE chat_id = ? AND thread_id = ?", (chat_id, thread_id)
    )
    if row is None:
        return None
    return CampaignChat(
        row["chat_id"], row["thread_id"], row["bound_by"], from_db_time(row["bound_at"])
    )


async def bind_campaign(tx: Transaction, chat_id: int, thread_id: int, *, by: int) -> None:
    """Make the chat (or topic) a reviewers' chat; a unit's or project's binding there goes."""
    await tx.execute(
        "DELETE FROM chat_bindings WHERE chat_id = ? AND thread_id = ?", (chat_id, thread_id)
    )
    await tx.execute(
        "INSERT INTO campaign_chats (chat_id, thread_id, bound_by, bound_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (chat_id, thread_id) DO UPDATE SET bound_by = excluded.bound_by,"
        " bound_at = excluded.bound_at",
        (chat_id, thread_id, by, tx.stamp),
    )
    await audit.record(tx, by, "chat.bind", f"chat:{chat_id}:{thread_id}", scope="campaign")


async def unbind_campaign(tx: Transaction, chat_id: int, thread_id: int, by: int) -> bool:
    removed = await tx.execute(
        "DELETE FROM campaign_chats WHERE chat_id = ? AND thread_id = ?", (chat_id, thread_id)
    )
    if removed:
        await audit.record(tx, by, "chat.unbind", f"chat:{chat_id}:{thread_id}", scope="campaign")
    return bool(removed)


async def present_bindings(
    db: Executor,
    unit_id: int | None = None,
    *,
    project_id: int | None = None,
    unit_itself: bool = False,
) -> list[tuple[int, int]]:
    """Each bound chat the bot is still in, once, with its bound topic (0: the whole chat):
    where announcements go. With `unit_id`, only the chats of that unit and its projects (or,
    `unit_itself`, those bound to the unit alone); with `project_id`, only that project's."""
    where, params = "", ()
    if unit_id is not None and unit_itself:
        where, params = " AND b.unit_id = ?", (unit_id,)
    elif unit_id is not None:
        where = (
            " AND (b.unit_id = ? OR b.project_id IN (SELECT id FROM projects WHERE unit_id = ?))"
        )
        params = (unit_id, unit_id)
    elif project_id is not None:
        where, params = " AND b.project_id = ?", (project_id,)
    rows = await db.fetch_all(
        "SELECT b.chat_id, MIN(b.thread_id) AS thread_id FROM chat_bindings b"
        " JOIN chats c ON c.chat_id = b.chat_id"
        f" WHERE c.bot_status IN ('member', 'administrator'){where}"
        " GROUP BY b.chat_id ORDER BY b.chat_id",
        params,
    )
    return [(row["chat_id"], row["thread_id"]) for row in rows]


async def chats_per_unit(db: Executor) -> list[tuple[int, str, str, int]]:
    """(unit id, code, name, chats) of each unit with a bound chat the bot is in, by code."""
    rows = await db.fetch_all(
        "SELECT u.id, u.code, u.name, COUNT(DISTINCT b.chat_id) AS chats FROM chat_bindings b"
        " JOIN chats c ON c.chat_id = b.chat_id AND c.bot_status IN ('member', 'administrator')"
        " LEFT JOIN projects p ON p.id = b.project_id"
        " JOIN units u ON u.id = COALESCE(b.unit_id, p.unit_id)"
        " GROUP BY u.id ORDER BY u.code"
    )
    return [(row["id"], row["code"], row["name"], row["chats"]) for row in rows]


@dataclass(frozen=True)
class Found:
    """A chat Telegram says the bot is in, with what it says of the chat."""

    chat_id: int
    type: str
    title: str
    is_forum: bool
    bot_status: str


async def record_checked(tx: Transaction, found: Sequence[Found], absent: Sequence[int]) -> int:
    """What Telegram answered when asked about chats (after an import): those the bot is in
    are recorded as such, though it missed the update that said so (added while the bot was
    offline for over a day); those it is not in are no longer taken to hold it. How many
    chats were newly found to hold the bot. A few statements, whatever the number of chats."""
    present = {row["chat_id"] for row in await _present_among(tx, [c.chat_id for c in found])}
    await tx.execute_many(
        "INSERT INTO chats (chat_id, type, title, is_forum, bot_status, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (chat_id) DO UPDATE SET type = excluded.type,"
        " title = excluded.title, is_forum = excluded.is_forum,"
        " bot_status = excluded.bot_status, updated_at = excluded.updated_at",
        [(c.chat_id, c.type, c.title, int(c.is_forum), c.bot_status, tx.stamp) for c in found],
    )
    gone = [row["chat_id"] for row in await _present_among(tx, list(absent))]
    await tx.execute_many(
        "UPDATE chats SET bot_status = 'left', updated_at = ? WHERE chat_id = ?",
        [(tx.stamp, chat_id) for chat_id in gone],
    )
    newly = sorted(c.chat_id for c in found if c.chat_id not in present)
    if newly or gone:
        await audit.record(tx, None, "chat.checked", "chats", present=newly, gone=sorted(gone))
    return len(newly)


async def _present_among(db: Executor, chat_ids: Sequence[int]) -> list:
    rows: list = []
    for at in range(0, len(chat_ids), 500):  # well under SQLite's bound-parameter limit
        chunk = chat_ids[at : at + 500]
        rows += await db.fetch_all(
            "SELECT chat_id FROM chats WHERE bot_status IN ('member', 'administrator')"
            f" AND chat_id IN ({','.join('?' * len(chunk))})",
            chunk,
        )
    return rows
