"""The results booklet as a Word file: docxtpl fills messages/booklet/booklet.docx (its styles
carry the fonts, headings and contents field) with the model, flattened into blocks."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from docx.image.image import Image
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage

from bot.booklet import Booklet, Chapter, Entry, Part, Picture

TEMPLATE = Path(__file__).resolve().parent.parent / "messages" / "booklet" / "booklet.docx"
# The page's text width: A4's 210 mm less the margins (28 mm and 26 mm).
TEXT_WIDTH_MM = 210 - 28 - 26
TEXT_HEIGHT_MM = 297 - 37 - 35 - 20  # the margins, and room for the caption
_RADAR_MM = 120


def write(booklet: Booklet, path: Path) -> None:
    """Render the booklet into `path` (seconds for a campaign's worth: off the event loop)."""
    document = DocxTemplate(TEMPLATE)
    context = {
        "title": booklet.title,
        "organisation": booklet.organisation,
        "made_on": booklet.made_on,
        "words": booklet.words,
        "chapters": [
            {"heading": c.heading, "unit": c.unit, "blocks": list(_blocks(document, booklet, c))}
            for c in booklet.chapters
        ],
    }
    document.render(context, autoescape=True)
    document.save(path)


def _block(kind: str, text: str = "", picture: Any = None) -> dict[str, Any]:
    return {"kind": kind, "text": text, "picture": picture}


def _paragraphs(text: str) -> Iterator[dict[str, Any]]:
    # Word keeps a paragraph per line; blank lines between them add nothing.
    for line in text.splitlines():
        if line.strip():
            yield _block("text", line)


def _parts(heading: str, parts: tuple[Part, ...], nothing: str) -> Iterator[dict[str, Any]]:
    yield _block("part", heading)
    if not parts:
        yield _block("text", nothing)
    for part in parts:
        yield _block("title", part.title)
        yield from _paragraphs(part.text)
        if part.note:
            yield _block("text", part.note)


def _entries(
    document: DocxTemplate, heading: str, entries: tuple[Entry, ...], nothing: str
) -> Iterator[dict[str, Any]]:
    yield _block("part", heading)
    if not entries:
        yield _block("text", nothing)
    for entry in entries:
        yield _block("entry", entry.heading)
        yield from _paragraphs(entry.text)
        for picture in entry.pictures:
            yield from _picture(document, picture)


def _picture(document: DocxTemplate, picture: Picture) -> Iterator[dict[str, Any]]:
    if picture.path is None or not picture.path.is_file():
        yield _block("missing", picture.missing)
        return
    try:
        size = Image.from_file(str(picture.path))
    except Exception:  # not a picture Word can show (a broken copy): named, as a missing one
        yield _block("missing", picture.missing)
        return
    # The page's width; a tall photo, the page's height (its width follows).
    if size.px_height * TEXT_WIDTH_MM > size.px_width * TEXT_HEIGHT_MM:
        image = InlineImage(document, str(picture.path), height=Mm(TEXT_HEIGHT_MM))
    else:
        image = InlineImage(document, str(picture.path), width=Mm(TEXT_WIDTH_MM))
    yield _block("picture", picture=image)
    yield _block("caption", picture.caption)


def _blocks(document: DocxTemplate, booklet: Booklet, chapter: Chapter) -> Iterator[dict]:
    words = booklet.words
    yield from _parts(words["application"], chapter.application, words["nothing"])
    yield from _entries(document, words["timeline"], chapter.timeline, words["nothing"])
    yield from _entries(document, words["highlights"], chapter.highlights, words["nothing"])
    yield from _parts(words["finals"], chapter.finals, words["nothing"])
    if chapter.scores is not None:
        yield _block("part", words["scores"])
        if chapter.scores.radar is not None:
            radar = io.BytesIO(chapter.scores.radar)
            image = InlineImage(document, radar, width=Mm(_RADAR_MM))
            yield _block("picture", picture=image)
            yield _block("caption", words["radar"])
        for line in chapter.scores.lines:
            yield _block("text", line)
    if chapter.deliverables is not None:
        yield from _parts(words["deliverables"], chapter.deliverables.parts, words["nothing"])
        if chapter.deliverables.approved:
            yield _block("text", words["approved"])
