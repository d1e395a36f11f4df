"""People the bot has met, and their language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage import audit
from storage.db import Executor, Transaction, from_db_time, to_db_time


@dataclass(frozen=True)
class Person:
    user_id: int
    first_name: str
    last_name: str | None
    username: str | None
    telegram_language: str | None
    locale: str | None
    private_chat: bool
    blocked: bool
    menu: str | None = None  # the signature of the command menu last set in their chat
    leave_until: datetime | None = None  # on leave until then: no private reminders

    def on_leave(self, now: datetime) -> bool:
        return self.leave_until is not None and now < self.leave_until

    @property
    def writable(self) -> bool:
        """The bot can write to them privately: they opened a chat with it and did not block it."""
        return self.private_chat and not self.blocked

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


def person_of(row) -> Person:
    return Person(
        user_id=row["user_id"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        username=row["username"],
        telegram_language=row["telegram_language"],
        locale=row["locale"],
        private_chat=bool(row["private_chat"]),
        blocked=bool(row["blocked"]),
        # Before migration 5 there is no menu column. ("in row" would look at the values.)
        menu=row["menu"] if "menu" in row.keys() else None,  # noqa: SIM118
        leave_until=from_db_time(row["leave_until"]) if "leave_until" in row.keys() else None,  # noqa: SIM118
    )


async def get(db: Executor, user_id: int) -> Person | None:
    row = await db.fetch_one("SELECT * FROM people WHERE user_id = ?", (user_id,))
    return person_of(row) if row else None


async def get_many(db: Executor, user_ids: list[int]) -> dict[int, Person]:
    found: dict[int, Person] = {}
    for start in range(0, len(user_ids), 500):  # well under SQLite's bound-parameter limit
        chunk = user_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = await db.fetch_all(f"SELECT * FROM people WHERE user_id IN ({marks})", chunk)
        found.update({row["user_id"]: person_of(row) for row in rows})
    return found


@dataclass(frozen=True)
class Seen:
    """Who wrote, as Telegram describes them on an update."""

    user_id: int
    first_name: str
    last_name: str | None
    username: str | None
    telegram_language: str | None
    in_private: bool

    def opens_private(self, known: Person | None) -> bool:
        """True the first time they write to the bot in private (or again after blocking it)."""
        return self.in_private and (known is None or not known.private_chat or known.blocked)

    def changes(self, known: Person | None) -> bool:
        if known is None or self.opens_private(known):
            return True
        fresh = (self.first_name, self.last_name, self.username, self.telegram_language)
        return fresh != (known.first_name, known.last_name, known.username, known.telegram_language)


async def expect(tx: Transaction, user_id: int) -> None:
    """Someone known by id only (an admin added from the shell): their name and language
    arrive with their first message."""
    await tx.execute(
        "INSERT OR IGNORE INTO people (user_id, first_name, created_at, updated_at)"
        " VALUES (?, '', ?, ?)",
        (user_id, tx.stamp, tx.stamp),
    )


async def remember(tx: Transaction, seen: Seen, known: Person | None) -> Person:
    """Insert or refresh a person (call when `seen.changes(known)`)."""
    await tx.execute(
        "INSERT INTO people (user_id, first_name, last_name, username, telegram_language,"
        " private_chat, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET first_name = excluded.first_name,"
        " last_name = excluded.last_name, username = excluded.username,"
        " telegram_language = excluded.telegram_language,"
        " private_chat = MAX(private_chat, excluded.private_chat),"
        " blocked = CASE WHEN excluded.private_chat THEN 0 ELSE blocked END,"
        " updated_at = excluded.updated_at",
        (
            seen.user_id,
            seen.first_name,
            seen.last_name,
            seen.username,
            seen.telegram_language,
            int(seen.in_private),
            tx.stamp,
            tx.stamp,
        ),
    )
    subject = f"person:{seen.user_id}"
    if known is None:
        await audit.record(tx, seen.user_id, "person.join", subject)
    elif seen.opens_private(known) and known.blocked:
        await audit.record(tx, seen.user_id, "person.unblocked", subject)
    return await get(tx, seen.user_id)


async def set_locale(tx: Transaction, user_id: int, locale: str | None) -> None:
    await tx.execute(
        "UPDATE people SET locale = ?, updated_at = ? WHERE user_id = ?",
        (locale, tx.stamp, user_id),
    )
    await audit.record(tx, user_id, "person.locale", f"person:{user_id}", locale=locale)


async def set_blocked(tx: Transaction, user_id: int, blocked: bool) -> None:
    changed = await tx.execute(
        "UPDATE people SET blocked = ?, updated_at = ? WHERE user_id = ? AND blocked != ?",
        (int(blocked), tx.stamp, user_id, int(blocked)),
    )
    if changed:
        action = "person.blocked" if blocked else "person.unblocked"
        await audit.record(tx, user_id, action, f"person:{user_id}")


async def set_menus(tx: Transaction, signatures: dict[int, str]) -> None:
    """Remember which menu each person's chat now shows."""
    await tx.execute_many(
        "UPDATE people SET menu = ? WHERE user_id = ?",
        [(signature, user_id) for user_id, signature in signatures.items()],
    )


async def set_leave(tx: Transaction, user_id: int, until: datetime | None, *, by: int) -> None:
    """On leave until `until` (None: back)."""
    await tx.execute(
        "UPDATE people SET leave_until = ?, updated_at = ? WHERE user_id = ?",
        (to_db_time(until) if until else None, tx.stamp, user_id),
    )
    await audit.record(
        tx, by, "person.leave", f"person:{user_id}", until=to_db_time(until) if until else None
    )
