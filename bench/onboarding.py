"""Benchmark: the real bot against the sandbox over loopback HTTP.

Prints: the time to import a 746-unit organisation, reply latency for single users (p50/p95/max),
the time to answer a burst of users writing at once, and the process's peak memory.
Run: python -m bench.onboarding
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import tempfile
import time
from pathlib import Path

from bot.app import BotRunner
from bot.sandbox import Sandbox
from bot.settings import Secret, Settings

TOKEN = "777777:BENCH-sandbox-token"
UNITS, PROJECTS_PER_UNIT = 746, 10


def org_csv() -> bytes:
    lines = ["unit_code,unit_name,project_code,project_name"]
    for u in range(UNITS):
        lines += [
            f"U{u:03d},Unit {u:03d},U{u:03d}-P{p:02d},Project {u:03d}-{p:02d}"
            for p in range(PROJECTS_PER_UNIT)
        ]
    return ("\n".join(lines) + "\n").encode()


async def timed(action) -> float:
    started = time.perf_counter()
    await action
    return time.perf_counter() - started


def describe(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return (
        f"n={len(ordered)} p50={statistics.median(ordered) * 1000:.1f} ms "
        f"p95={p95 * 1000:.1f} ms max={ordered[-1] * 1000:.1f} ms"
    )


async def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        async with Sandbox(token=TOKEN) as sb:
            sb.settle_timeout = 120
            admin = sb.user("Admin", language_code="en")
            settings = Settings(
                token=Secret(TOKEN),
                api_url=sb.api_url,
                db_path=Path(scratch) / "bench.db",
                admins=frozenset({admin.id}),
            )
            runner = BotRunner(settings, poll_timeout=5)
            await runner.start()
            # Updates are confirmed once stored: each step also waits for the bot's answers.
            sb.bot_busy = runner.busy
            try:
                await admin.send("/import")
                seconds = await timed(
                    admin.send_document(org_csv(), filename="orgs.csv", mime_type="text/csv")
                )
                assert "Imported" in admin.last_reply.text, admin.last_reply.text
                print(
                    f"import {UNITS} units / {UNITS * PROJECTS_PER_UNIT} projects: {seconds:.2f} s"
                )
                seconds = await timed(
                    admin.send_document(org_csv(), filename="orgs.csv", mime_type="text/csv")
                )
                print(f"re-import, nothing changed: {seconds:.2f} s")

                users = [sb.user(f"User {i}", language_code="zh-hans") for i in range(200)]
                latencies = []
                for user in users:
                    for text in ("/start", "/help", "/whoami"):
                        latencies.append(await timed(user.send(text)))
                print(f"one user at a time (send -> reply confirmed): {describe(latencies)}")

                burst = users[:100]
                started = time.perf_counter()
                for user in burst:
                    await user.send("/whoami", wait=False)
                await sb.settle(timeout=120)
                seconds = time.perf_counter() - started
                print(
                    f"burst: {len(burst)} users at once answered in {seconds:.2f} s "
                    f"(Telegram's ~30 messages/s cap applies)"
                )
                assert not sb.rejections and not sb.problems, (sb.rejections, sb.problems)
            finally:
                await runner.stop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (bot + sandbox in one process): {peak:.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
