"""Benchmark: the bot at the campaign's full scale (746 units, 7,460 projects and applications).

1. Database time of the first page of /applications and /nominations, as the handlers read it.
2. A 7,460-row re-import while 50 leads write their applications: their reply latency.
3. CPU milliseconds per handled update, `pacesetter run` against a bare python-telegram-bot
   echo bot (bench/echo_bot.py), each a process of its own on the same sandbox with the same
   traffic (20 people, a message each a little over a second apart).

Run: python -m bench.scale
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.common import describe, sends, sends_document
from bot.app import BotRunner
from bot.applications import places
from bot.campaign_load import load_campaign
from bot.sandbox import Sandbox
from bot.settings import Secret, Settings
from handlers.nominations import LISTED
from storage import applications, orgs
from storage.db import Database

TOKEN = "999999:BENCH-scale-token"
UNITS, PROJECTS_PER_UNIT = 746, 10
WRITERS = 50
CAMPAIGN = load_campaign()
NOW = CAMPAIGN.stage("apply").opens + timedelta(days=3)
STATUSES = ["submitted"] * 5 + ["returned", "declined", "draft", "draft", "nominated"]
ANSWER = "我们支部坚持“三会一课”制度，结合项目生产开展主题党日。" * 10


def org_csv(suffix: str = "") -> bytes:
    lines = ["unit_code,unit_name,project_code,project_name"]
    for u in range(UNITS):
        lines += [
            f"U{u:03d},Unit {u:03d},U{u:03d}-P{p:02d},Project {u:03d}-{p:02d}{suffix}"
            for p in range(PROJECTS_PER_UNIT)
        ]
    return ("\n".join(lines) + "\n").encode()


async def seed_applications(db: Database) -> None:
    """One application per project, in every status a unit would have mid-stage."""
    stamp = NOW.isoformat()
    async with db.transaction(NOW) as tx:
        await tx.execute(
            "INSERT INTO people (user_id, first_name, created_at, updated_at)"
            " VALUES (1, 'Seed', ?, ?)",
            (stamp, stamp),
        )
        rows = await tx.fetch_all("SELECT id FROM projects ORDER BY id")
        await tx.execute_many(
            "INSERT INTO applications (project_id, status, submitted_at, created_by, created_at,"
            " updated_at) VALUES (?, ?, ?, 1, ?, ?)",
            [
                (row["id"], STATUSES[index % len(STATUSES)], stamp, stamp, stamp)
                for index, row in enumerate(rows)
            ],
        )


async def first_pages(db: Database, rounds: int = 30) -> tuple[list[float], list[float]]:
    overview, nominations = [], []
    for round_ in range(rounds):
        started = time.perf_counter()
        await applications.tallies(db)
        await applications.listed(db, ("nominated",))
        overview.append(time.perf_counter() - started)
        unit_id = 1 + round_ * 17 % UNITS
        started = time.perf_counter()
        await orgs.unit(db, unit_id)
        await applications.listed(db, LISTED, unit_id=unit_id)
        await places(db, unit_id, CAMPAIGN.quota)
        nominations.append(time.perf_counter() - started)
    return overview, nominations


async def seed_writers(sb: Sandbox, db: Database, count: int) -> list:
    """Leads of the first projects who opened the bot, written as earlier runs would have."""
    stamp = NOW.isoformat()
    leads = [sb.user(f"Lead {i}") for i in range(count)]
    async with db.transaction(NOW) as tx:
        rows = await tx.fetch_all("SELECT id FROM projects ORDER BY id LIMIT ?", (count,))
        for lead, row in zip(leads, rows, strict=True):
            lead.started = True
            await tx.execute(
                "INSERT INTO people (user_id, first_name, telegram_language, private_chat,"
                " created_at, updated_at) VALUES (?, ?, 'en', 1, ?, ?)",
                (lead.id, lead.first_name, stamp, stamp),
            )
            await tx.execute(
                "INSERT INTO roles (user_id, role, project_id, granted_at)"
                " VALUES (?, 'lead', ?, ?)",
                (lead.id, row["id"], stamp),
            )
    return leads


async def import_while_writing(scratch: Path) -> None:
    async with Sandbox(token=TOKEN) as sb:
        sb.settle_timeout = 300
        admin = sb.user("Admin")
        db_path = scratch / "writers.db"
        settings = Settings(
            token=Secret(TOKEN), api_url=sb.api_url, db_path=db_path, admins=frozenset({admin.id})
        )
        runner = BotRunner(settings, poll_timeout=5, clock=lambda: NOW)
        await runner.start()
        try:
            await sends(sb, admin, "/import")
            first = await sends_document(sb, admin, org_csv(), "orgs.csv")
            print(f"first import of {UNITS * PROJECTS_PER_UNIT} rows answered in {first:.2f} s")
            leads = await seed_writers(sb, runner.db, WRITERS)
            for lead in leads:
                await sends(sb, lead, "/apply")
            samples: list[tuple[float, float]] = []  # (when sent, latency)
            writing = True

            async def write(lead) -> None:
                rng = random.Random(lead.id)
                while writing:  # as people do: a message every few seconds
                    await asyncio.sleep(rng.uniform(1.5, 4.5))
                    sent = time.perf_counter()
                    samples.append((sent, await sends(sb, lead, ANSWER)))

            writers = [asyncio.create_task(write(lead)) for lead in leads]
            await asyncio.sleep(5)
            await sends(sb, admin, "/import")
            import_started = time.perf_counter()
            again = await sends_document(sb, admin, org_csv(" (renamed)"), "orgs.csv")
            import_ended = time.perf_counter()
            await asyncio.sleep(5)
            writing = False
            await asyncio.gather(*writers)
            during = [
                latency
                for sent, latency in samples
                if sent <= import_ended and sent + latency >= import_started
            ]
            print(
                f"re-import of {UNITS * PROJECTS_PER_UNIT} rows (every project renamed) answered"
                f" in {again:.2f} s"
            )
            print(f"{WRITERS} leads writing, all replies: {describe([s[1] for s in samples])}")
            print(f"  replies in flight while the import ran: {describe(during)}")
            print(f"429s drawn: {runner.pacer.retry_afters}; refused requests: {sb.rejections[:3]}")
        finally:
            await runner.stop()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


async def cpu_per_update(scratch: Path, command: list[str], name: str, env: dict) -> float:
    async with Sandbox(token=TOKEN) as sb:
        sb.limits.enabled = False  # CPU, not Telegram's pace, is measured here
        users = [sb.user(f"User {i}") for i in range(20)]
        environment = {**os.environ, **env, "PACESETTER_API_URL": sb.api_url}
        environment["PACESETTER_TOKEN"] = TOKEN
        log = (scratch / f"{name}.log").open("wb")
        process = await asyncio.create_subprocess_exec(
            *command, env=environment, stdout=log, stderr=log
        )
        try:
            await sends(sb, users[0], "hello", timeout=60)  # started and answering
            for user in users[1:]:
                await sends(sb, user, "hello")
            await asyncio.sleep(1.0)
            before = cpu_seconds(process.pid)
            per_user = 15
            started = time.perf_counter()

            async def chat(user) -> None:
                # The same traffic for both bots: a message a little over a second apart per
                # person (Telegram's pace for replies in one chat), each after its reply.
                for i in range(per_user):
                    await asyncio.gather(sends(sb, user, f"message {i}"), asyncio.sleep(1.1))

            await asyncio.gather(*(chat(user) for user in users))
            elapsed = time.perf_counter() - started
            used = cpu_seconds(process.pid) - before
            count = per_user * len(users)
            print(
                f"{name}: {count} updates in {elapsed:.1f} s, CPU {used * 1000 / count:.2f} ms"
                " per update"
            )
            return used / count
        finally:
            process.terminate()
            await process.wait()
            log.close()


async def main() -> None:
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        # 1. Database time at full scale.
        async with Sandbox(token=TOKEN) as sb:
            admin = sb.user("Admin")
            settings = Settings(
                token=Secret(TOKEN),
                api_url=sb.api_url,
                db_path=scratch / "scale.db",
                admins=frozenset({admin.id}),
            )
            runner = BotRunner(settings, poll_timeout=5, clock=lambda: NOW)
            await runner.start()
            try:
                await sends(sb, admin, "/import")
                await sends_document(sb, admin, org_csv(), "orgs.csv")
            finally:
                await runner.stop()
        db = await Database.open(scratch / "scale.db")
        try:
            await seed_applications(db)
            count = await db.fetch_value("SELECT COUNT(*) FROM applications")
            overview, nominations = await first_pages(db)
            print(f"{UNITS} units, {count} applications:")
            print(f"  /applications first page, database time: {describe(overview)}")
            print(f"  /nominations first page, database time: {describe(nominations)}")
        finally:
            await db.close()
        # 2. A big import does not stall the people writing.
        await import_while_writing(scratch)
        # 3. CPU per update against a bare PTB bot, three rounds each (the figures move by
        # ±10% from run to run): the median ratio.
        ratios = []
        for round_ in range(3):
            # A database per round: each sandbox numbers its updates from the same start.
            database = str(scratch / f"cpu-{round_}.db")
            ours = await cpu_per_update(
                scratch,
                [sys.executable, "-m", "bot", "run"],
                "pacesetter",
                {"PACESETTER_DB": database, "PACESETTER_LOG_LEVEL": "WARNING"},
            )
            bare = await cpu_per_update(
                scratch, [sys.executable, str(Path(__file__).with_name("echo_bot.py"))], "echo", {}
            )
            ratios.append(ours / bare)
        ratios.sort()
        print(
            f"CPU per update, pacesetter / bare PTB echo bot: {ratios[1]:.2f}x"
            f" (rounds: {', '.join(f'{r:.2f}' for r in ratios)})"
        )


if __name__ == "__main__":
    asyncio.run(main())
