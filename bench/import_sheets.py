"""Benchmark: the organisation's sheet, 746 units and 7,460 projects.

1. bot.orgs.parse, as the import runs it off the event loop: a plain CSV (the header on line
   1), the same in GBK as offices keep it (a title line, 序号 and 备注 columns, the unit
   written once per unit, 群号), and both as .xlsx.
2. A sheet naming 746 groups (the bot in half of them) sent to the bot at Telegram's pace:
   when the answer comes, when the check of the groups follows, and how long someone else
   waits for an answer meanwhile.

Run: python -m bench.import_sheets
"""

from __future__ import annotations

import asyncio
import io
import statistics
import tempfile
import time
from pathlib import Path

import openpyxl

from bench.common import describe, sends, sends_document
from bot import orgs
from bot.app import BotRunner
from bot.sandbox import Sandbox
from bot.settings import Secret, Settings

TOKEN = "999999:BENCH-sheets-token"

UNITS, PROJECTS_PER_UNIT = 746, 10
ROUNDS = 5


def plain() -> list[list]:
    rows: list[list] = [["unit_code", "unit_name", "project_code", "project_name", "chat_id"]]
    for u in range(UNITS):
        for p in range(PROJECTS_PER_UNIT):
            n = u * PROJECTS_PER_UNIT + p
            rows.append(
                [f"U{u:03d}", f"第{u}分公司", f"P{n:04d}", f"第{n}项目党支部", -1001000000000 - n]
            )
    return rows


def as_offices_keep_it() -> list[list]:
    rows: list[list] = [["集团基层党支部名单"], []]
    rows.append(["序号", "单位代码", "所属单位", "支部代码", "支部名称", "群号", "备注"])
    for n, (unit_code, unit_name, code, name, chat) in enumerate(plain()[1:], start=1):
        first = n % PROJECTS_PER_UNIT == 1
        rows.append(
            [n, unit_code if first else "", unit_name if first else "", code, name, chat, ""]
        )
    return rows


def csv_bytes(rows: list[list], encoding: str) -> bytes:
    return "\r\n".join(",".join(str(v) for v in row) for row in rows).encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append([v if v != "" else None for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def timed(data: bytes) -> str:
    seconds = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        orgs.parse(data)
        seconds.append(time.perf_counter() - started)
    return f"median {statistics.median(seconds) * 1000:.0f} ms, best {min(seconds) * 1000:.0f} ms"


async def check_groups(scratch: Path) -> None:
    async with Sandbox(token=TOKEN) as sb:
        sb.settle_timeout = 300
        admin, owner, other = sb.user("Admin"), sb.user("Owner"), sb.user("Other")
        groups = [sb.supergroup(f"Branch {n}", creator=owner) for n in range(UNITS)]
        for group in groups[::2]:
            group.bot_status = "member"  # added while the bot was away: it never saw it
        rows = plain()[: UNITS + 1]
        for row, group in zip(rows[1:], groups, strict=True):
            row[4] = group.id
        settings = Settings(
            token=Secret(TOKEN),
            api_url=sb.api_url,
            db_path=scratch / "sheets.db",
            admins=frozenset({admin.id}),
        )
        runner = BotRunner(settings, poll_timeout=5)
        await runner.start()
        try:
            await sends(sb, admin, "/import")
            before = len(sb.messages(admin.id))
            started = time.perf_counter()
            answered = await sends_document(sb, admin, xlsx_bytes(rows), "orgs.xlsx")
            waits = []
            while runner.core.checking:
                waits.append(await sends(sb, other, "/help"))
                await asyncio.sleep(1)
            while not any("I asked Telegram" in m.text for m in sb.messages(admin.id)[before:]):
                await asyncio.sleep(0.01)
            checked = time.perf_counter() - started
            lookups = sum(1 for m, _ in sb.requests if m in ("getChat", "getChatMember"))
            print(f"{UNITS} groups: the import answered in {answered:.2f} s,")
            print(f"  the check ({lookups} requests) told after {checked:.1f} s")
            print(f"  /help meanwhile, once a second: {describe(waits)}")
            print(f"  429s drawn: {runner.pacer.retry_afters}")
        finally:
            await runner.stop()


def main() -> None:
    count = UNITS * PROJECTS_PER_UNIT
    print(f"parse of {count} rows, {ROUNDS} rounds each:")
    print(f"  CSV, header on line 1 (UTF-8): {timed(csv_bytes(plain(), 'utf-8'))}")
    print(f"  .xlsx, header on line 1: {timed(xlsx_bytes(plain()))}")
    try:
        office = as_offices_keep_it()
        print(f"  CSV as offices keep it (GBK): {timed(csv_bytes(office, 'gbk'))}")
        print(f"  .xlsx as offices keep it: {timed(xlsx_bytes(office))}")
    except orgs.ImportRefused as refused:
        print(f"  as offices keep it: refused ({refused.problems[0].code})")
    with tempfile.TemporaryDirectory() as scratch:
        asyncio.run(check_groups(Path(scratch)))


if __name__ == "__main__":
    main()
