"""The one way into SQLite: a writer connection behind a lock, a reader for everything else."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

Params = Sequence[Any] | dict[str, Any]
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_db_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: store aware UTC times only")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_db_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def migrations() -> list[tuple[int, str]]:
    """(number, sql) of every migration shipped in storage/migrations, in order."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [number for number, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {numbers}")
    return found


class Executor:
    """Runs statements on one connection; shared by the reader and a transaction."""

    def __init__(self, conn: aiosqlite.Connection, lock: asyncio.Lock | None = None) -> None:
        self._conn = conn
        # On the shared reader, a cursor left open by one coroutine would hold its snapshot
        # for the next statement of another: one statement at a time, each seeing fresh data.
        self._lock = lock or contextlib.nullcontext()

    async def fetch_one(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        async with self._lock, self._conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def fetch_all(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        async with self._lock, self._conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]


class Transaction(Executor):
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns the rowcount (or lastrowid for an INSERT)."""
        async with self._conn.execute(sql, params) as cursor:
            if sql.lstrip()[:6].upper() == "INSERT":
                return cursor.lastrowid if cursor.rowcount else 0
            return cursor.rowcount

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        await self._conn.executemany(sql, rows)


async def _connect(path: Path, *, read_only: bool = False) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA busy_timeout = 5000")
    if read_only:
        await conn.execute("PRAGMA query_only = ON")
    return conn


async def migrate(conn: aiosqlite.Connection, upto: int | None = None) -> int:
    """Apply pending migrations, each atomically with its user_version; returns the new version."""
    async with conn.execute("PRAGMA user_version") as cursor:
        (version,) = await cursor.fetchone()
    for number, sql in migrations():
        if number <= version or (upto is not None and number > upto):
            continue
        try:
            await conn.executescript(
                f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;"
            )
        except Exception:
            if conn.in_transaction:
                await conn.rollback()
            raise
        version = number
    return version


class Database(Executor):
    """Reads go through the reader connection and see committed data only (WAL);
    every write goes through `transaction()`, one at a time."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection):
        super().__init__(reader, asyncio.Lock())
        self.path = path
        self._writer = writer
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path, *, migrate_upto: int | None = None) -> Database:
        path = Path(path)
        writer = await _connect(path)
        try:
            await writer.execute("PRAGMA journal_mode = WAL")
            await writer.execute("PRAGMA synchronous = NORMAL")
            await migrate(writer, upto=migrate_upto)
            reader = await _connect(path, read_only=True)
        except BaseException:
            await writer.close()
            raise
        return cls(path, writer, reader)

    async def close(self) -> None:
        await self._conn.close()
        await self._writer.close()

    async def user_version(self) -> int:
        return await self.fetch_value("PRAGMA user_version")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        # BEGIN IMMEDIATE takes the write lock up front, so read-then-write checks
        # (a quota, a one-time invitation) cannot interleave.
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self._writer)
            except BaseException:
                await self._writer.rollback()
                raise
            else:
                await self._writer.commit()
