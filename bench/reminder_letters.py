"""Benchmark: one reminder wave of 7,460 private letters, and how long the event loop stalls.

7,460 leads (746 units, ten projects each, none submitted) owe an application; the 7-day
wave writes each a letter with their own project's standing, so each is rendered on its own.
A ticker on the loop wakes every 5 ms while `reminders.write_due` writes the wave; the longest
gap between two ticks is how long other chats would have waited for an answer. Prints the
wave's time, the longest stall and how long the write transactions held the one writer.

Run: python -m bench.reminder_letters
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from bot import notices, reminders
from bot.campaign_load import load_campaign
from handlers.reminders import reminder_buttons
from messages.render import Messages
from storage.db import Database

UNITS, PROJECTS = 746, 10
TICK = 0.005


async def _seed(db: Database, now: datetime) -> None:
    stamp = now.isoformat()
    count = UNITS * PROJECTS
    async with db.transaction(now) as tx:
        await tx.execute_many(
            "INSERT INTO units (id, code, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            [(n + 1, f"U{n:03d}", f"Unit {n:03d}", stamp, stamp) for n in range(UNITS)],
        )
        await tx.execute_many(
            "INSERT INTO projects (id, unit_id, code, name, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (n + 1, n // PROJECTS + 1, f"P{n:05d}", f"Project {n:05d}", stamp, stamp)
                for n in range(count)
            ],
        )
        await tx.execute_many(
            "INSERT INTO people (user_id, first_name, telegram_language, private_chat,"
            " created_at, updated_at) VALUES (?, ?, 'zh-hans', 1, ?, ?)",
            [(10_000 + n, f"Lead {n:05d}", stamp, stamp) for n in range(count)],
        )
        await tx.execute_many(
            "INSERT INTO roles (user_id, role, project_id, granted_at) VALUES (?, 'lead', ?, ?)",
            [(10_000 + n, n + 1, stamp) for n in range(count)],
        )


async def _wave(db: Database, writer: notices.Writer, now: datetime) -> None:
    await reminders.write_due(
        db, writer, now, admins=frozenset(), buttons=reminder_buttons(), bot_username="bench_bot"
    )


async def main() -> None:
    campaign = load_campaign()
    writer = notices.Writer(Messages(campaign.timezone), campaign)
    deadline = campaign.stage("apply").deadline
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "bench.db")
        try:
            opened = campaign.stage("apply").opens + timedelta(hours=1)
            await _seed(db, opened)
            await _wave(db, writer, opened)  # the opening wave, out of the way
            held = _time_the_writer(db)
            gaps: list[float] = []
            done = asyncio.Event()

            async def ticker() -> None:
                last = time.perf_counter()
                while not done.is_set():
                    await asyncio.sleep(TICK)
                    now = time.perf_counter()
                    gaps.append(now - last)
                    last = now

            ticking = asyncio.create_task(ticker())
            started = time.perf_counter()
            await _wave(db, writer, deadline - timedelta(days=7))
            took = time.perf_counter() - started
            done.set()
            await ticking
            letters = await db.fetch_value(
                "SELECT COUNT(*) FROM outbox WHERE cause LIKE 'remind:apply:7d:%'"
            )
        finally:
            await db.close()
    print(f"{letters} letters in one wave: {took:.2f} s")
    print(
        f"  longest event-loop stall: {max(gaps) * 1000:.0f} ms (ticks every {TICK * 1000:.0f} ms)"
    )
    print(f"  the writer held by its transactions: {sum(held) * 1000:.0f} ms in all")


def _time_the_writer(db: Database) -> list[float]:
    """How long each write transaction from now on holds the writer."""
    held: list[float] = []
    opened = db.transaction

    def timed(now: datetime):
        inner = opened(now)

        class Timed:
            async def __aenter__(self):
                self.started = time.perf_counter()
                return await inner.__aenter__()

            async def __aexit__(self, *exc):
                try:
                    return await inner.__aexit__(*exc)
                finally:
                    held.append(time.perf_counter() - self.started)

        return Timed()

    db.transaction = timed  # type: ignore[method-assign]
    return held


if __name__ == "__main__":
    asyncio.run(main())
