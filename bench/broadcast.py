"""Benchmark: /broadcast to 746 bound group chats, Telegram's limits on.

`pacesetter run` (a real process) against the sandbox: 746 units, one project each, each
project's group chat bound. The admin sends /broadcast, picks every group chat, sends a text and
says yes. Prints the wall time from the first group message to the last against the floor
(746 / 30 per second), the 429s drawn, duplicates and misses, how often the progress message
was edited, and the report it became.

Run: python -m bench.broadcast
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections import Counter
from pathlib import Path

from bot.sandbox import Sandbox
from tests.conftest import TOKEN
from tests.test_restart import BotProcess, seed_bound_groups, until

GROUPS = 746
FLOOR = GROUPS / 30  # seconds: Telegram's ~30 messages a second across chats
TEXT = "📣 The assessment guidelines are out: please read them before Friday."


async def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        async with Sandbox(token=TOKEN) as sb:
            sb.settle_timeout = 120
            admin = sb.user("Ada", language_code="en")
            groups = []
            for number in range(GROUPS):
                group = sb.group(f"Branch {number:03d}", creator=admin)
                group.bot_status = "member"  # added long ago: no update to replay
                groups.append(group)
            await seed_bound_groups(Path(scratch) / "bot.db", [g.id for g in groups])
            bot = BotProcess(sb, Path(scratch), admin)
            await bot.start()
            try:
                # The opening reminder wave goes first: the broadcast starts once it is out.
                await until(lambda: all(sb.messages(g.id) for g in groups), 120, "the wave")
                before = Counter({g.id: len(sb.messages(g.id)) for g in groups})
                await admin.send("/broadcast")
                await until(lambda: admin.last_reply and "Who should" in admin.last_reply.text)
                await admin.tap(f"👥 All group chats ({GROUPS})")
                await until(lambda: "Send me the message" in admin.last_reply.text)
                await admin.send(TEXT)
                await until(lambda: admin.last_reply.text.startswith("☝"))
                card = admin.last_reply
                await admin.tap(f"📣 Send to {GROUPS}", message=card)
                first = last = None
                deadline = time.monotonic() + 300
                while time.monotonic() < deadline:
                    reached = sum(1 for g in groups if len(sb.messages(g.id)) > before[g.id])
                    if reached and first is None:
                        first = time.perf_counter()
                    if reached == GROUPS:
                        last = time.perf_counter()
                        break
                    await asyncio.sleep(0.02)
                await until(lambda: "done" in card.text, 30, "the report")
                await asyncio.sleep(3)  # anything sent twice would come now
            finally:
                await bot.kill()
            counts = Counter({g.id: len(sb.messages(g.id)) - before[g.id] for g in groups})
            edits = [
                p
                for m, p in sb.requests
                if m.lower() == "editmessagetext" and int(p.get("message_id", 0)) == card.message_id
            ]
            print(f"/broadcast to {GROUPS} groups:")
            if first is not None and last is not None:
                wall = last - first
                print(
                    f"  wall time first to last: {wall:.1f} s; floor {FLOOR:.1f} s;"
                    f" {wall / FLOOR:.2f}x"
                )
            too_many = len([r for r in sb.rejections if r[1] == 429])
            print(f"  429s drawn: {too_many}; other refusals: {len(sb.rejections) - too_many}")
            print(
                f"  duplicates: {sum(1 for c in counts.values() if c > 1)};"
                f" misses: {sum(1 for c in counts.values() if c == 0)}"
            )
            print(f"  progress edits: {len(edits)}; the report: {card.text!r}")


if __name__ == "__main__":
    asyncio.run(main())
