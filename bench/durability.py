"""Benchmark: what `PRAGMA synchronous = FULL` costs against NORMAL, per handled update.

Each update the bot handles commits at least twice: storing it in the inbox and marking it
handled (plus whatever the handler writes). With WAL, NORMAL skips the fsync on commit, so an
OS crash or power cut can lose the last commits, and Telegram was already told those updates
arrived. Prints the commit latency under both settings. Run: python -m bench.durability
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from storage import inbox
from storage.db import Database

UPDATES = 400


async def measure(path: Path, synchronous: str) -> list[float]:
    db = await Database.open(path)
    try:
        await db._writer.execute(f"PRAGMA synchronous = {synchronous}")
        samples = []
        for update_id in range(1, UPDATES + 1):
            now = datetime.now(UTC)
            started = time.perf_counter()
            async with db.transaction(now) as tx:
                payload = {"update_id": update_id, "message": {"text": "x" * 200}}
                await inbox.store(tx, [inbox.Received(update_id, 1, payload)])
            async with db.transaction(now) as tx:
                await inbox.mark_handled(tx, update_id)
            samples.append(time.perf_counter() - started)
        return samples
    finally:
        await db.close()


async def main() -> None:
    with tempfile.TemporaryDirectory(dir=".") as scratch:  # the disk the bot would use
        for synchronous in ("NORMAL", "FULL"):
            samples = await measure(Path(scratch) / f"{synchronous}.db", synchronous)
            ordered = sorted(samples)
            print(
                f"synchronous = {synchronous}: store + mark one update: "
                f"p50 {statistics.median(ordered) * 1000:.2f} ms, "
                f"p95 {ordered[int(len(ordered) * 0.95)] * 1000:.2f} ms "
                f"({len(samples) / sum(samples):.0f} updates/s on one writer)"
            )


if __name__ == "__main__":
    asyncio.run(main())
