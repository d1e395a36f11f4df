"""Benchmark: reading a long Word application, as offices write it, section by section.

Two documents of the size a real one stops at: ten sections numbered 一、二、… of 300 paragraphs
each (some 250,000 characters) with a 200-row table of figures under the budget, and the same
answers in a two-column 申报表 after a cover table. Prints the best of five reads of each.

Run: python -m bench.docx_read
"""

from __future__ import annotations

import io
import time

import docx

from bot import docx_form
from bot.campaign_load import load_campaign

SECTIONS = load_campaign().sections
NUMERALS = "一二三四五六七八九十"
PARAGRAPH = "支部坚持以党建引领项目建设，" * 6


def numbered() -> bytes:
    document = docx.Document()
    for numeral, section in zip(NUMERALS, SECTIONS[:10], strict=True):
        document.add_paragraph().add_run(f"{numeral}、{section.title.get('zh-Hans')}").bold = True
        for _ in range(300):
            document.add_paragraph(PARAGRAPH)
    figures = document.add_table(rows=200, cols=4)
    for row in range(200):
        for col in range(4):
            figures.cell(row, col).text = f"第{row}项 {col * 1000}元"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def table_form() -> bytes:
    document = docx.Document()
    cover = document.add_table(rows=1, cols=4)
    for col, text in enumerate(("单位", "中交某局", "联系电话", "13800000000")):
        cover.cell(0, col).text = text
    form = document.add_table(rows=10, cols=2)
    for row, section in enumerate(SECTIONS[:10]):
        form.cell(row, 0).text = section.title.get("zh-Hans")
        cell = form.cell(row, 1)
        for _ in range(300):
            cell.add_paragraph(PARAGRAPH)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def best_of(data: bytes, times: int = 5) -> float:
    best = float("inf")
    for _ in range(times):
        started = time.perf_counter()
        docx_form.read(data, SECTIONS)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    for name, make in (("numbered 一、二、", numbered), ("two-column 申报表", table_form)):
        data = make()
        filled = docx_form.read(data, SECTIONS)
        characters = sum(map(len, filled.texts.values()))
        print(
            f"{name}: {len(data):,} bytes, {len(filled.texts)} sections, "
            f"{characters:,} characters read in {best_of(data) * 1000:.0f} ms (best of 5)"
        )


if __name__ == "__main__":
    main()
