"""The one way into SQLite: a writer connection behind a lock, a reader for everything else."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

Params = Sequence[Any] | dict[str, Any]
# Write transactions committed in this task (an update's lane): the error handler compares
# it with the count when the update's flow began, to know whether its change was stored.
commits: ContextVar[int] = ContextVar("commits", default=0)
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


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
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def fetch_all(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        # One trip to the connection's thread: run, read every row, done with the statement.
        async with self._lock:
            return list(await self._conn.execute_fetchall(sql, params))

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]


class NestedTransaction(RuntimeError):
    """A transaction was opened inside another one of the same task: it would wait for ever."""


class Transaction(Executor):
    """Statements of one write transaction, all stamped with the caller's `now`."""

    def __init__(self, conn: aiosqlite.Connection, now: datetime) -> None:
        super().__init__(conn)
        if now.tzinfo is None:
            raise ValueError("naive datetime: transactions take aware UTC times")
        self.now = now
        self.stamp = to_db_time(now)
        self.wrote_outbox = False  # the sender is woken when this commits
        self.wrote_media = False  # the downloader is woken when this commits

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        cursor = await self._conn.execute(sql, params)  # a write is complete once run
        return cursor.rowcount

    async def insert(self, sql: str, params: Params = ()) -> int | None:
        """An INSERT (or upsert) that returns the id of the row it wrote, None if it wrote
        none (OR IGNORE). RETURNING names the row: lastrowid is stale after an upsert."""
        row = await self.fetch_one(f"{sql} RETURNING id", params)
        return None if row is None else row[0]

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        await self._conn.executemany(sql, rows)


class OneStatement(Transaction):
    """A write of exactly one statement, atomic on its own: one trip to the writer's thread
    instead of three (BEGIN, the statement, COMMIT). Polling writes two per update."""

    def __init__(self, conn: aiosqlite.Connection, now: datetime) -> None:
        super().__init__(conn, now)
        self._used = False

    def _once(self) -> None:
        if self._used:
            raise RuntimeError("a second statement needs db.transaction(), not db.statement()")
        self._used = True

    async def execute(self, sql: str, params: Params = ()) -> int:
        self._once()
        return await super().execute(sql, params)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        self._once()
        return await super().fetch_all(sql, params)

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        raise RuntimeError("executemany is several statements: use db.transaction()")


def _create_private(path: Path) -> None:
    """The database holds live invitation codes: readable by its owner only. SQLite gives the
    -wal and -shm files the main file's mode. Opening it here also fails early, in this thread,
    on a path that can't be used (aiosqlite would leave its worker thread behind)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise sqlite3.OperationalError(f"unable to open {path}: {error.strerror}") from None
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


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
        self._writing_task: asyncio.Task | None = None
        # Set when a transaction that wrote to the outbox commits: the sender wakes up.
        self.outbox_written = asyncio.Event()
        self.media_written = asyncio.Event()  # the same, for files to copy locally

    @classmethod
    async def open(cls, path: str | Path, *, migrate_upto: int | None = None) -> Database:
        path = Path(path)
        _create_private(path)
        writer = await _connect(path)
        try:
            await writer.execute("PRAGMA journal_mode = WAL")
            # FULL: an update is confirmed to Telegram once its commit returns, so the commit
            # must survive an OS crash or power cut, which NORMAL does not promise in WAL mode.
            # bench/durability.py: FULL costs about 1 ms per handled update (550 updates/s on
            # one writer, against 1,250 with NORMAL); Telegram brings us at most ~30/s.
            await writer.execute("PRAGMA synchronous = FULL")
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
    async def _writing(self) -> AsyncIterator[None]:
        """The one writer, for this task: a second write opened inside the first would wait
        for ever, so it raises at once instead."""
        task = asyncio.current_task()
        if task is not None and task is self._writing_task:
            raise NestedTransaction("a transaction is already open: pass its `tx` down instead")
        async with self._write_lock:
            self._writing_task = task
            try:
                yield
            finally:
                self._writing_task = None

    @asynccontextmanager
    async def statement(self, now: datetime) -> AsyncIterator[Transaction]:
        """A write of one statement (see OneStatement), under the same lock as transactions."""
        async with self._writing():
            yield OneStatement(self._writer, now)

    @asynccontextmanager
    async def transaction(self, now: datetime) -> AsyncIterator[Transaction]:
        """One write transaction; `now` is the caller's clock (one per update), never the wall
        clock, so time rules can be tested."""
        # BEGIN IMMEDIATE takes the write lock up front, so read-then-write checks
        # (a quota, a one-time invitation) cannot interleave.
        async with self._writing():
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                tx = Transaction(self._writer, now)
                yield tx
                await self._writer.commit()
                commits.set(commits.get() + 1)
                if tx.wrote_outbox:
                    self.outbox_written.set()
                if tx.wrote_media:
                    self.media_written.set()
            except BaseException:
                # Also when the commit itself failed (a full disk): leave no transaction open.
                if self._writer.in_transaction:
                    await self._writer.rollback()
                raise
