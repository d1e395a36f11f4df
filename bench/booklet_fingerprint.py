"""Benchmark: /booklet's chapter fingerprints for 75 pacesetters (bench.booklet's record), which
a rebuild compares with each latest draft to keep an unchanged chapter's draft and approval.

Reads the record twice, as two builds would, and digests every chapter of each read (in a
worker thread, as handlers/booklet.py does): the time, the size of what is digested, and
whether the two reads gave the same fingerprints (they must: nothing changed between them).

Run: python -m bench.booklet_fingerprint [REPORTS]
"""

from __future__ import annotations

import asyncio
import sys
import time

from bench import progress
from bench.booklet import seeded
from bot import booklet
from handlers.booklet import fingerprint


def _fingerprints(model: booklet.Booklet) -> list[str]:
    return [fingerprint(chapter) for chapter in model.chapters]


async def main(reports: int) -> None:
    async with seeded(reports) as record:
        prints = []
        for build in (1, 2):
            model = await record.load()
            began = time.perf_counter()
            found = await asyncio.to_thread(_fingerprints, model)
            took = time.perf_counter() - began
            size = sum(len(repr(c)) for c in model.chapters)
            print(f"  build {build}: {len(found)} fingerprints in {took:.2f} s"
                  f" ({size / 1e6:.1f} M characters digested)")  # fmt: skip
            prints.append(found)
        print(f"  the same both times: {prints[0] == prints[1]}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else progress.REPORTS))
