"""Benchmark: the leads' chapters of /booklet for 75 pacesetters (bench.booklet's record), the
way handlers/booklet.py writes them now against the way it did.

Before: a whole `booklet.build` a pacesetter (its own read of the record, a Word file and an
HTML page with its pictures copied beside it). Now: one read a language for every pacesetter,
then each chapter's Word file cut from it (`booklet.write_chapter`); the HTML, which nobody
opened, not written. Both in one language, as if every lead read the same one.

Run: python -m bench.booklet_chapters [REPORTS]
"""

from __future__ import annotations

import asyncio
import sys
import time

from bench import progress
from bench.booklet import TODAY, seeded
from bot import booklet


async def main(reports: int) -> None:
    async with seeded(reports) as record:
        root, media_root = record.root, record.media_root
        began = time.perf_counter()
        model = await record.load()
        read = time.perf_counter()
        for chapter in model.chapters:
            path = root / "now" / chapter.code / "zh-Hans" / "chapter.docx"
            await booklet.write_chapter(model, chapter, path)
        now = time.perf_counter()
        print(f"  now: 1 read ({read - began:.1f} s) and {len(model.chapters)} Word files,"
              f" {now - began:.1f} s in all")  # fmt: skip
        for chapter in model.chapters:
            await booklet.build(
                record.db,
                record.campaign,
                root / "before" / chapter.code,
                msgs=record.msgs,
                media_root=media_root,
                today=TODAY,
                locale="zh-Hans",
                project_ids=[chapter.project_id],
            )
        before = time.perf_counter()
        print(f"  before: {len(model.chapters)} reads, Word files and HTML pages,"
              f" {before - now:.1f} s in all")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else progress.REPORTS))
