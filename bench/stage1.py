"""Benchmark: stage 1 at scale, the real bot against the sandbox over loopback HTTP.

Leads write and submit their applications at the same time, twice: a burst where 100 leads act
as fast as the bot answers (bounded by Telegram's ~30 messages/s per bot, which the bot's rate
limiter keeps to), and a realistic load where 60 leads pause 1.5-4.5 s between actions, as
people do. Prints reply latency (p50/p95/max) for both, the database size per application, and
peak memory. Run: python -m bench.stage1
"""

from __future__ import annotations

import asyncio
import random
import resource
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.common import describe, sends, taps
from bot.app import BotRunner
from bot.campaign_load import load_campaign
from bot.pacing import Pace
from bot.sandbox import Sandbox
from bot.settings import Secret, Settings

TOKEN = "888888:BENCH-stage-one"
UNITS, PROJECTS_PER_UNIT = 20, 10
BURST_LEADS, CALM_LEADS = 100, 60
CAMPAIGN = load_campaign()
ANSWER = "我们支部坚持“三会一课”制度，结合项目生产开展主题党日。" * 20  # ~600 characters


def org_csv() -> bytes:
    lines = ["unit_code,unit_name,project_code,project_name"]
    for u in range(UNITS):
        lines += [
            f"U{u:02d},Unit {u:02d},U{u:02d}-P{p:02d},Project {u:02d}-{p:02d}"
            for p in range(PROJECTS_PER_UNIT)
        ]
    return ("\n".join(lines) + "\n").encode()


async def write(
    sb: Sandbox, lead, samples: list[float], pause: tuple[float, float] | None = None
) -> None:
    """One lead's application; each action timed until the lead sees the bot's answer."""
    rng = random.Random(lead.id)

    async def act(kind, what: str, **wait) -> None:
        if pause:
            await asyncio.sleep(rng.uniform(*pause))
        samples.append(await kind(sb, lead, what, **wait))

    await act(sends, "/apply")
    for section in CAMPAIGN.sections:
        if section.kind == "text":
            await act(sends, ANSWER)
            await act(taps, "✓ Done")
        elif section.kind == "number":
            await act(sends, "12.5万")
        else:
            await act(taps, "Skip ▶", until_button="✅ Submit")  # the preview, in parts
    await act(taps, "✅ Submit")


async def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        async with Sandbox(token=TOKEN) as sb:
            sb.settle_timeout = 300
            sb.limits.chat_per_second = 1000.0  # scripted people type faster than people
            admin = sb.user("Admin", language_code="en")
            db_path = Path(scratch) / "bench.db"
            settings = Settings(
                token=Secret(TOKEN),
                api_url=sb.api_url,
                db_path=db_path,
                admins=frozenset({admin.id}),
            )
            opens = CAMPAIGN.stage("apply").opens
            # Scripted people write faster than people: the per-chat pace is relaxed like the
            # sandbox's (the overall 29/s still holds).
            pace = Pace(chat_per_second=1000.0, chat_burst=1000.0)
            runner = BotRunner(
                settings, poll_timeout=5, clock=lambda: opens + timedelta(days=3), pace=pace
            )
            await runner.start()
            sb.bot_busy = runner.busy  # the set-up steps wait for the bot's answers
            try:
                await admin.send("/import")
                await admin.send_document(org_csv(), filename="o.csv", mime_type="text/csv")
                leads = []
                for i in range(BURST_LEADS + CALM_LEADS):
                    code = f"U{i % UNITS:02d}-P{i // UNITS:02d}"
                    await admin.send(f"/invite lead {code}")
                    link = admin.last_reply.text.split("start=")[1].split()[0]
                    lead = sb.user(f"Lead {i}", language_code="en")
                    await lead.send(f"/start {link}")
                    leads.append(lead)
                burst, calm = leads[:BURST_LEADS], leads[BURST_LEADS:]
                sb.bot_busy = None  # from here each action is timed for its own person
                samples: list[float] = []
                started = time.perf_counter()
                await asyncio.gather(*(write(sb, lead, samples) for lead in burst))
                elapsed = time.perf_counter() - started
                print(
                    f"burst: {len(burst)} leads as fast as possible, {len(samples)} actions in "
                    f"{elapsed:.1f} s ({len(samples) / elapsed:.0f}/s): {describe(samples)}"
                )
                samples = []
                started = time.perf_counter()
                await asyncio.gather(*(write(sb, lead, samples, (1.5, 4.5)) for lead in calm))
                elapsed = time.perf_counter() - started
                print(
                    f"realistic: {len(calm)} leads pausing 1.5-4.5 s, {len(samples)} actions in "
                    f"{elapsed:.1f} s ({len(samples) / elapsed:.0f}/s): {describe(samples)}"
                )
                preview: list[float] = []
                for lead in leads[:20]:
                    preview.append(await sends(sb, lead, "/apply"))
                print(f"status screen of a submitted application: {describe(preview)}")
                assert not sb.rejections and not sb.problems, (sb.rejections[:3], sb.problems[:3])
            finally:
                await runner.stop()
        size = (
            db_path.stat().st_size + Path(f"{db_path}-wal").stat().st_size
            if Path(f"{db_path}-wal").exists()
            else db_path.stat().st_size
        )
        count = BURST_LEADS + CALM_LEADS
        print(
            f"database: {size / 1024:.0f} KiB for {count} applications "
            f"(~{size / count / 1024:.1f} KiB each, with the audit log)"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (bot + sandbox in one process): {peak:.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
