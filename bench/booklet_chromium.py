"""Check: the results booklet's HTML page renders in headless Chromium.

Builds a small booklet (bench.booklet's campaign at 1,000 reports: 75 pacesetters, a photo
per report, 1 in 50 without a local copy), then
`chromium --headless --screenshot=… file://…/booklet.html` and prints the
screenshot's path, to be looked at. Where no Chromium is installed it says so and stops
(exit 0): nothing to check on this machine.

Run: python -m bench.booklet_chromium [OUT_DIR]
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from bot import booklet, booklet_html
from bot.campaign_load import load_campaign
from messages.render import Messages
from storage.db import Database

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium() -> str | None:
    found = Path("/usr/bin/chromium")
    if found.exists():
        return str(found)
    return next((path for name in CANDIDATES if (path := shutil.which(name))), None)


async def page(out_dir: Path) -> Path:
    """A booklet of bench.booklet's campaign at 1,000 reports: its HTML page."""
    from bench import booklet as bench_booklet
    from bench import progress

    progress.REPORTS = 1_000  # at least bench.progress.HIGHLIGHTS
    campaign = load_campaign()
    msgs = Messages(campaign.timezone)
    with tempfile.TemporaryDirectory() as scratch:
        db = await Database.open(Path(scratch) / "b.db")
        try:
            media_root = out_dir / "media"
            await bench_booklet.seed(db, media_root)
            model = await booklet.load(
                db, campaign, media_root, msgs, "zh-Hans", today=date(2027, 12, 1)
            )
        finally:
            await db.close()
    html = out_dir / "booklet.html"
    booklet_html.write(model, html)
    return html


def main() -> int:
    browser = chromium()
    if browser is None:
        print(
            "skipped: no Chromium here (/usr/bin/chromium, or chromium, chromium-browser,"
            " google-chrome on PATH); install one to check the booklet's HTML renders"
        )
        return 0
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    out_dir.mkdir(parents=True, exist_ok=True)
    html = asyncio.run(page(out_dir))
    shot = out_dir / "booklet.png"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--window-size=1000,1400",
            f"--screenshot={shot}",
            html.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    print(f"{html}\n{shot} ({shot.stat().st_size:,} bytes): look at it once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
