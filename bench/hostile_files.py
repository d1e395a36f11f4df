"""Benchmark: a bystander's /help while the bot reads a 20 MB Word application and a 7,460-row
Excel import, sent at once by a lead and an admin to `pacesetter run` (a process of its own).

Prints the bystanders' answer times before and while the files are read (goal: p95 under
200 ms while reading) and the bot process's peak resident memory (VmHWM).

Run: python -m bench.hostile_files
"""

from __future__ import annotations

import asyncio
import io
import os
import struct
import sys
import tempfile
import time
import zipfile
import zlib
from datetime import UTC, datetime
from pathlib import Path

import docx
import openpyxl

from bench.common import _until, describe, sends
from bot.campaign_load import load_campaign
from bot.orgs import import_csv
from bot.sandbox import Sandbox
from storage.db import Database

TOKEN = "999999:BENCH-hostile-token"
UNITS, PROJECTS_PER_UNIT = 746, 10
PICTURES, PICTURE_SIDE = 19, 590  # noise pictures of ~1 MB each: photos don't pack either
BYSTANDERS = 10
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def noise_png(side: int) -> bytes:
    """A colour PNG of random pixels, stored unpacked (as large as a photo of that size)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)  # 8-bit RGB
    rows = b"".join(b"\x00" + os.urandom(side * 3) for _ in range(side))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 0))
        + chunk(b"IEND", b"")
    )


def application_docx(pictures: int = PICTURES) -> bytes:
    """An application as a lead writes it: every section's heading and text, many photos."""
    document = docx.Document()
    document.add_heading("深中通道S08标项目党支部标杆创建申报书", level=0)
    for section in load_campaign().sections:
        document.add_heading(section.title.get("zh-Hans"), level=1)
        if section.kind == "number":
            document.add_paragraph("12.5万元")
        elif section.kind == "text":
            for _ in range(5):
                document.add_paragraph("支部坚持“三会一课”制度，结合项目生产开展主题党日。" * 4)
    for _ in range(pictures):
        document.add_picture(io.BytesIO(noise_png(PICTURE_SIDE)))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zero_picture(data: bytes, size: int) -> bytes:
    """The .docx with its picture replaced by `size` zero bytes, written in pieces."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            if not entry.filename.startswith("word/media/"):
                target.writestr(entry.filename, source.read(entry.filename))
                continue
            with target.open(entry.filename, "w", force_zip64=True) as part:
                for _ in range(size // 2**20):
                    part.write(bytes(2**20))
    return out.getvalue()


def orgs_xlsx() -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["单位代码", "单位名称", "项目代码", "项目名称"])
    for u in range(UNITS):
        for p in range(PROJECTS_PER_UNIT):
            sheet.append(
                [f"U{u:03d}", f"第{u:03d}分公司", f"U{u:03d}-P{p:02d}", f"项目{u:03d}-{p:02d}"]
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def campaign_open_now(scratch: Path) -> Path:
    """The default campaign with its application stage opened early (it closes on 15 January
    2027: the bench needs a lead who may still send an application)."""
    source = Path("bot/campaigns/default.toml").read_text(encoding="utf-8")
    source = source.replace(
        "opens = 2026-12-01T09:00:00+08:00", "opens = 2026-01-01T09:00:00+08:00"
    )
    path = scratch / "campaign.toml"
    path.write_text(source, encoding="utf-8")
    return path


async def seed(db_path: Path, lead, admin) -> None:
    """One unit with its project led by `lead` (who has opened the bot), `admin` known."""
    now = datetime.now(UTC)
    db = await Database.open(db_path)
    try:
        await import_csv(
            db, b"unit_code,unit_name,project_code,project_name\nS,S,S-01,S\n", None, now
        )
        stamp = now.isoformat()
        async with db.transaction(now) as tx:
            for person in (lead, admin):
                person.started = True
                await tx.execute(
                    "INSERT INTO people (user_id, first_name, telegram_language, private_chat,"
                    " created_at, updated_at) VALUES (?, ?, 'en', 1, ?, ?)",
                    (person.id, person.first_name, stamp, stamp),
                )
            await tx.execute(
                "INSERT INTO roles (user_id, role, project_id, granted_at)"
                " VALUES (?, 'lead', (SELECT id FROM projects WHERE code = 'S-01'), ?)",
                (lead.id, stamp),
            )
    finally:
        await db.close()


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) // 1024
    return fields


async def main() -> None:
    word, sheet = application_docx(), orgs_xlsx()
    print(
        f"files: .docx {len(word) / 2**20:.1f} MB ({PICTURES} pictures),"
        f" .xlsx {len(sheet) / 2**20:.1f} MB ({UNITS * PROJECTS_PER_UNIT} rows)"
    )
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        async with Sandbox(token=TOKEN) as sb:
            sb.settle_timeout = 300
            lead, admin = sb.user("Lena"), sb.user("Admin")
            bystanders = [sb.user(f"Bystander {i}") for i in range(BYSTANDERS)]
            db_path = scratch / "bot.db"
            await seed(db_path, lead, admin)
            environment = {
                **os.environ,
                "PACESETTER_TOKEN": TOKEN,
                "PACESETTER_API_URL": sb.api_url,
                "PACESETTER_DB": str(db_path),
                "PACESETTER_ADMINS": str(admin.id),
                "PACESETTER_CAMPAIGN": str(campaign_open_now(scratch)),
                "PACESETTER_LOG_LEVEL": "WARNING",
            }
            log = (scratch / "bot.log").open("wb")
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=environment, stdout=log, stderr=log
            )
            try:
                for bystander in bystanders:
                    await sends(sb, bystander, "/help", timeout=60)  # started and answering
                await sends(sb, lead, "/apply")
                await sends(sb, admin, "/import")
                await asyncio.sleep(2)
                idle = await ask_until(sb, bystanders, asyncio.sleep(5))
                before = memory(process.pid)
                reading = asyncio.gather(read_word(sb, lead, word), import_sheet(sb, admin, sheet))
                busy = await ask_until(sb, bystanders, reading)
                (word_took, word_answer), import_took = reading.result()
                after = memory(process.pid)
                print(f"/help while idle: {describe(idle)}")
                print(f"/help while the two files were read: {describe(busy)}")
                print(f"  .docx answered in {word_took:.2f} s: {word_answer}")
                print(f"  .xlsx answered in {import_took:.2f} s")
                print(
                    f"bot process memory: {before['VmRSS']} MB before the files,"
                    f" {after['VmRSS']} MB after, peak (VmHWM) {after['VmHWM']} MB"
                )
                # The file: a small .docx whose picture unpacks to 300 MB of zeros.
                bomb = zero_picture(application_docx(pictures=1), 300 * 2**20)
                took, answer = await answer_to(sb, lead, bomb, "bomb.docx")
                print(
                    f"a {len(bomb) // 1024} KB .docx unpacking to 300 MB: answered in {took:.2f} s"
                    f" ({answer[:70]}…); peak (VmHWM) now {memory(process.pid)['VmHWM']} MB"
                )
            finally:
                process.terminate()
                await process.wait()
                log.close()
                errors = (scratch / "bot.log").read_text(errors="replace")
                if "Traceback" in errors:
                    print(errors[-3000:], file=sys.stderr)


async def ask_until(sb: Sandbox, bystanders, done) -> list[float]:
    """Bystanders asking /help in turn, each at most once a second (Telegram's pace in one
    chat), until `done` (an awaitable) is; their answer times."""
    task = asyncio.ensure_future(done)
    samples: list[float] = []

    async def ask(index: int, bystander) -> None:
        await asyncio.sleep(index * 1.1 / len(bystanders))  # spread over the second
        while not task.done():
            await asyncio.gather(
                asyncio.sleep(1.1), record(sends(sb, bystander, "/help"), samples, task)
            )

    await asyncio.gather(*(ask(i, b) for i, b in enumerate(bystanders)))
    await task
    return samples


async def record(timing, samples: list[float], task) -> None:
    took = await timing
    if not task.done():  # only answers given while the files were in hand
        samples.append(took)


async def read_word(sb: Sandbox, lead, data: bytes) -> tuple[float, str]:
    before = len(sb.messages(lead.id))
    started = time.perf_counter()
    await lead.send_document(data, "申报书.docx", DOCX, wait=False)

    def answered():
        return next((m for m in sb.messages(lead.id)[before:] if "📄 Read" in m.text), None)

    await _until(lambda: answered() is not None, 300)
    return time.perf_counter() - started, answered().text.splitlines()[0]


async def answer_to(sb: Sandbox, lead, data: bytes, filename: str) -> tuple[float, str]:
    """Seconds until the bot's first answer to a Word file, and that answer."""
    await asyncio.sleep(3)  # the previous file's answers are all out
    before = len(sb.messages(lead.id))
    started = time.perf_counter()
    await lead.send_document(data, filename, DOCX, wait=False)
    await _until(lambda: len(sb.messages(lead.id)) > before, 300)
    took = time.perf_counter() - started
    return took, sb.messages(lead.id)[before].text


async def import_sheet(sb: Sandbox, admin, data: bytes) -> float:
    before = len(sb.messages(admin.id))
    started = time.perf_counter()
    await admin.send_document(data, "units.xlsx", XLSX, wait=False)
    await _until(lambda: any("Imported" in m.text for m in sb.messages(admin.id)[before:]), 300)
    return time.perf_counter() - started


if __name__ == "__main__":
    asyncio.run(main())
