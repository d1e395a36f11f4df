"""Benchmark: reading the organisation's sheet, 746 units and 7,460 projects, as bot.orgs.parse
reads it off the event loop: a plain CSV (the header on line 1), the same in GBK as offices
keep it (a title line, 序号 and 备注 columns, the unit written once per unit, 群号), and both
as .xlsx.

Run: python -m bench.import_sheets
"""

from __future__ import annotations

import io
import statistics
import time

import openpyxl

from bot import orgs

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


if __name__ == "__main__":
    main()
