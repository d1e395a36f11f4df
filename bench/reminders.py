"""Benchmark: one reminder wave to 746 bound group chats, Telegram's limits on.

`pacesetter run` (a real process, its scheduler on) against the sandbox: 746 units, one
project each, each project's group chat bound. The admins have just added the bot to each
group, as they do, so it greets each (an immediate answer) while the first look of the
scheduler writes the opening wave of the application stage, opened yesterday: one notice per
group. Prints the wall time from the first group message to the last against the floor (the
greetings and the wave, 2 × 746, at 30 per second), the 429s drawn, and duplicates and
misses; then the same with the process killed (SIGKILL) a third of the way through the wave
and started again.

Run: python -m bench.reminders
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from collections import Counter
from pathlib import Path

from bot.sandbox import Sandbox
from tests.conftest import TOKEN
from tests.test_restart import BotProcess, seed_bound_groups

GROUPS = 746
FLOOR = 2 * GROUPS / 30  # seconds: a greeting and a notice each, at Telegram's ~30 a second


def in_flight_rows(db_path: Path) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT COUNT(*) FROM outbox WHERE state = 'sending'").fetchone()[0]


def delivered(sb: Sandbox, chat_ids: list[int], *, greetings: bool = False) -> Counter:
    """Notices (or greetings: they tell the group how to /bind it) in each group."""
    return Counter(
        {
            chat_id: sum(("/bind" in m.text) == greetings for m in sb.messages(chat_id))
            for chat_id in chat_ids
        }
    )


def count(label: str, counts: Counter) -> str:
    twice = sum(1 for c in counts.values() if c > 1)
    return f"{label}: duplicates {twice}, misses {sum(1 for c in counts.values() if c == 0)}"


async def wave(scratch: Path, *, kill_at: int | None) -> None:
    async with Sandbox(token=TOKEN) as sb:
        sb.settle_timeout = 120
        admin = sb.user("Ada")
        groups = []
        for number in range(GROUPS):
            groups.append(sb.group(f"Branch {number:03d}", creator=admin))
        chat_ids = [group.id for group in groups]
        await seed_bound_groups(scratch / "bot.db", chat_ids)
        bot = BotProcess(sb, scratch, admin)
        for group in groups:  # the admins add the bot as it starts: each group is greeted
            await sb.add_bot(group, by=admin, wait=False)
        await bot.start()
        first = last = None
        killed, in_flight = False, 0
        try:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                counts = delivered(sb, chat_ids)
                reached = sum(1 for c in counts.values() if c)
                greeted = sum(1 for c in delivered(sb, chat_ids, greetings=True).values() if c)
                if (reached or greeted) and first is None:
                    first = time.perf_counter()
                if kill_at is not None and not killed and reached >= kill_at:
                    await bot.kill()
                    killed = True
                    in_flight = in_flight_rows(scratch / "bot.db")
                    await bot.start()
                if reached == GROUPS and greeted == GROUPS:
                    last = time.perf_counter()
                    await asyncio.sleep(3)  # anything sent twice would come now
                    break
                await asyncio.sleep(0.02)
        finally:
            if bot.process.returncode is None:
                await bot.kill()
        counts = delivered(sb, chat_ids)
        label = f"killed at {kill_at} groups and restarted" if kill_at else "one run"
        print(f"{GROUPS} groups, {label}:")
        if first is not None and last is not None:
            wall = last - first
            print(
                f"  wall time first to last: {wall:.1f} s; floor {FLOOR:.1f} s; {wall / FLOOR:.2f}x"
            )
        too_many = [r for r in sb.rejections if r[1] == 429]
        print(
            f"  429s drawn: {len(too_many)}; other refusals: {len(sb.rejections) - len(too_many)}"
        )
        greetings = delivered(sb, chat_ids, greetings=True)
        print(f"  {count('notices', counts)}; {count('greetings', greetings)}")
        if killed:
            # Telegram has no idempotency key: a message in flight when the process died may
            # have arrived and is sent again, at most once per chat.
            print(f"  in flight at the kill (each may come twice): {in_flight}")
        with sqlite3.connect(scratch / "bot.db") as conn:
            waves = conn.execute("SELECT wave, outcome, messages FROM reminder_waves").fetchall()
        print(f"  waves recorded: {waves}")


async def main() -> None:
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as two:
        await wave(Path(one), kill_at=None)
        await wave(Path(two), kill_at=GROUPS // 3)


if __name__ == "__main__":
    asyncio.run(main())
