"""Benchmark: the results booklet of 75 pacesetters with 100,000 saved reports, a photo each
(small generated PNGs on disk as their local copies, no two alike as a phone's are, 1 in 50
without one), 500 highlights.

Times reading the model and writing each format; prints the files' sizes. Goal: under 60 s
in all.

Run: python -m bench.booklet [REPORTS]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from bench import progress
from bot import booklet, booklet_docx, booklet_html
from bot.campaign import Campaign
from bot.campaign_load import load_campaign
from bot.sandbox.files import make_png
from messages.render import Messages
from storage import pacesetters
from storage.db import Database

TODAY = date(2027, 12, 1)


async def seed(db: Database, media_root: Path) -> int:
    """bench.progress's campaign, every candidate selected, a photo per report; the photos
    with a local copy."""
    await progress.seed(db)
    now = datetime(2027, 11, 1, tzinfo=UTC)
    stamp = now.isoformat()
    ids = [row[0] for row in await db.fetch_all("SELECT id FROM activity_reports ORDER BY id")]
    (media_root / "ph").mkdir(parents=True)
    stored = 0
    rows = []
    for report_id in ids:
        uid = f"u{report_id}"
        kept = report_id % 50 != 0
        if kept:
            colour = (report_id % 256, report_id // 256 % 256, report_id // 65536 % 256)
            (media_root / "ph" / f"{uid}.png").write_bytes(make_png(64, 48, rgb=colour))
            stored += 1
        rows.append((report_id, uid, kept))
    async with db.transaction(now) as tx:
        await tx.execute_many(
            "INSERT INTO report_media (report_id, kind, file_id, file_unique_id, file_name,"
            " size, caption, message_id, added_at) VALUES (?, 'photo', ?, ?, ?, 200, '', 1, ?)",
            [(r, f"f{u}", u, f"{u}.jpg", stamp) for r, u, _ in rows],
        )
        await tx.execute_many(
            "INSERT INTO media_files (file_unique_id, file_id, kind, file_name, size, state,"
            " path, next_try, added_at) VALUES (?, ?, 'photo', ?, 200, ?, ?, ?, ?)",
            [
                (u, f"f{u}", f"{u}.jpg", "stored" if kept else "failed",
                 f"ph/{u}.png" if kept else None, stamp, stamp)
                for _, u, kept in rows
            ],
        )  # fmt: skip
        projects = [row[0] for row in await tx.fetch_all("SELECT id FROM projects")]
        await pacesetters.select(tx, projects, by=1)
    return stored


@dataclass(frozen=True)
class Record:
    db: Database
    root: Path  # a scratch folder, gone afterwards
    media_root: Path
    campaign: Campaign
    msgs: Messages

    async def load(self, locale: str = "zh-Hans") -> booklet.Booklet:
        return await booklet.load(
            self.db, self.campaign, self.media_root, self.msgs, locale, today=TODAY
        )


@asynccontextmanager
async def seeded(reports: int) -> AsyncIterator[Record]:
    """A scratch database seeded by `seed` with `reports` reports (the booklet benchmarks'
    record), said when ready; closed and removed afterwards."""
    progress.REPORTS = reports
    campaign = load_campaign()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        db = await Database.open(root / "bench.db")
        try:
            started = time.perf_counter()
            stored = await seed(db, root / "media")
            print(f"seeded 75 pacesetters, {reports:,} reports, {stored:,} stored photos"
                  f" in {time.perf_counter() - started:.1f} s")  # fmt: skip
            yield Record(db, root, root / "media", campaign, Messages(campaign.timezone))
        finally:
            await db.close()


def _size(path: Path) -> str:
    if path.is_dir():
        total = sum(p.stat().st_size for p in path.iterdir())
        return f"{total / 1e6:.1f} MB in {len(list(path.iterdir())):,} files"
    return f"{path.stat().st_size / 1e6:.1f} MB"


async def main(reports: int) -> None:
    async with seeded(reports) as record:
        out = record.root / "out"
        out.mkdir()
        began = time.perf_counter()
        model = await record.load()
        read = time.perf_counter()
        print(f"  model read: {read - began:.1f} s ({len(model.chapters)} chapters)")
        docx_path = out / "booklet.docx"
        booklet_docx.write(model, docx_path)
        wrote_docx = time.perf_counter()
        print(f"  Word file: {wrote_docx - read:.1f} s, {_size(docx_path)}")
        html_path = out / "booklet.html"
        images = booklet_html.write(model, html_path)
        done = time.perf_counter()
        print(f"  HTML page: {done - wrote_docx:.1f} s, {_size(html_path)},"
              f" images/ {_size(images)}")  # fmt: skip
        print(f"  in all: {done - began:.1f} s (goal: under 60 s)")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else progress.REPORTS))
