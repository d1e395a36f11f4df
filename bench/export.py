"""Benchmark: the Excel export of 100,000 activity reports (bench/progress.py's seed, each
description made 200 characters long), its time and peak memory. Every one of the 75 candidates
is a pacesetter too (the most there can be), with a write-up typed to the 30,000 characters
/deliverables takes, a video link and a booklet chapter's draft, so the deliverables sheet has
its largest texts to read.

The export runs in a child process that does nothing else, so its peak RSS
(`ru_maxrss`) is the export's, not the seed's. Goal (issue 20): seconds, and tens of MB.

Run: python -m bench.export
"""

from __future__ import annotations

import asyncio
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.progress import REPORTS, seed
from storage.db import Database, Transaction

DESCRIPTION = "学习贯彻党的二十大精神，开展主题党日活动，" * 10  # 200 characters
WRITE_UP = (DESCRIPTION * 150)[:30_000]  # handlers/deliverables.py's TEXT_LIMIT


async def prepare(path: Path) -> None:
    db = await Database.open(path)
    try:
        await seed(db)
        now = datetime(2027, 9, 2, tzinfo=UTC)
        async with db.transaction(now) as tx:
            await tx.execute("UPDATE activity_reports SET description = ?", (DESCRIPTION,))
            await deliverables(tx)
    finally:
        await db.close()


async def deliverables(tx: Transaction) -> None:
    """Every candidate a pacesetter, with a typed write-up, a video link and a chapter draft
    (every other one approved by its lead)."""
    stamp = tx.stamp
    await tx.execute(
        "INSERT INTO pacesetter_rounds (id, made_by, made_at) VALUES (1, 1, ?)", (stamp,)
    )
    await tx.execute("INSERT INTO pacesetters (project_id, round_id) SELECT id, 1 FROM projects")
    await tx.execute(
        "INSERT INTO deliverables (project_id, item, kind, text, submitted_by, submitted_at)"
        " SELECT id, 'experience', 'text', ?, 1, ? FROM projects"
        " UNION ALL SELECT id, 'video', 'link', 'https://v.qq.com/x/page/' || id || '.html',"
        " 1, ? FROM projects",
        (WRITE_UP, stamp, stamp),
    )
    await tx.execute(
        "INSERT INTO booklet_drafts (project_id, path, built_at)"
        " SELECT id, 'booklet/' || code || '.docx', ? FROM projects",
        (stamp,),
    )
    await tx.execute(
        "INSERT INTO booklet_verdicts (draft_id, verdict, made_by, made_at)"
        " SELECT id, 'approved', 1, ? FROM booklet_drafts WHERE id % 2 = 0",
        (stamp,),
    )


async def child(db_path: Path, out: Path) -> None:
    from bot import export, ranking
    from bot.campaign_load import load_campaign
    from messages.render import Messages
    from storage import pacesetters

    campaign = load_campaign()
    db = await Database.open(db_path)
    try:
        result = await ranking.load(db, campaign)
        chosen = await pacesetters.current(db)
    finally:
        await db.close()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux
    started = time.perf_counter()
    counts = await asyncio.to_thread(
        export.write,
        out,
        db_path,
        campaign,
        Messages(campaign.timezone),
        export.Options(),
        result,
        chosen,
    )
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux
    print(f"  rows: {dict(counts)}")
    print(f"  written in {took:.2f} s, {out.stat().st_size / 2**20:.1f} MB on disk")
    print(f"  peak RSS of the exporting process: {peak:.0f} MB ({before:.0f} MB before writing)")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        asyncio.run(child(Path(sys.argv[2]), Path(sys.argv[3])))
        return
    with tempfile.TemporaryDirectory() as scratch:
        db_path = Path(scratch) / "bench.db"
        started = time.perf_counter()
        asyncio.run(prepare(db_path))
        print(f"seeded {REPORTS:,} reports in {time.perf_counter() - started:.1f} s")
        out = Path(scratch) / "export.xlsx"
        subprocess.run(
            [sys.executable, "-m", "bench.export", "--child", str(db_path), str(out)], check=True
        )


if __name__ == "__main__":
    main()
