"""The results booklet as a Word file: docxtpl fills messages/booklet/booklet.docx (its styles
carry the fonts, headings and contents field) with the model, flattened into blocks."""

from __future__ import annotations

import io
from collections.abc import Iterator
from html import escape
from pathlib import Path
from typing import Any

from docx.image.exceptions import UnrecognizedImageError
from docx.shared import Mm
from docxtpl import DocxTemplate

from bot.booklet import Booklet, Chapter, Entry, Part, Picture

TEMPLATE = Path(__file__).resolve().parent.parent / "messages" / "booklet" / "booklet.docx"
# The page's text width: A4's 210 mm less the margins (28 mm and 26 mm).
TEXT_WIDTH_MM = 210 - 28 - 26
TEXT_HEIGHT_MM = 297 - 37 - 35 - 20  # the margins, and room for the caption
_RADAR_MM = 120


# A picture as python-docx writes one inline (CT_Inline.new), filled in by string: a
# campaign's pictures, tens of thousands, cost a parse and a serialisation each otherwise.
# Its namespaces are the template's root's (messages/booklet/make_template.py declares them).
_INLINE = (
    "</w:t></w:r><w:r><w:drawing>"
    '<wp:inline distT="0" distB="0" distL="0" distR="0">'
    '<wp:extent cx="{cx}" cy="{cy}"/><wp:docPr id="{id}" name="Picture {id}"/>'
    '<wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect="1"/></wp:cNvGraphicFramePr>'
    '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
    '<pic:pic><pic:nvPicPr><pic:cNvPr id="0" name="{name}"/><pic:cNvPicPr/></pic:nvPicPr>'
    '<pic:blipFill><a:blip r:embed="{rid}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
    '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
    '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic>'
    "</a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"
    '<w:r><w:t xml:space="preserve">'
)


class _Photos:
    """The document's photos: each file's image part added once, its drawing written per use."""

    def __init__(self, document: DocxTemplate) -> None:
        self.document = document
        self.parts: dict[Path, tuple[str, int, int, str] | None] = {}
        self.count = 0

    def drawing(self, path: Path) -> _Drawing | None:
        """The photo's drawing at the page's width (a tall one, the page's height); None for
        a file Word can't show."""
        if path not in self.parts:
            self.parts[path] = self._add(path)
        found = self.parts[path]
        if found is None:
            return None
        self.count += 1
        return _Drawing(*found, number=self.count)

    def radar(self, png: bytes, name: str) -> _Drawing:
        rid, image = self.document.docx.part.get_or_add_image(io.BytesIO(png))
        cx, cy = image.scaled_dimensions(Mm(_RADAR_MM), None)
        self.count += 1  # one numbering for every drawing: Word wants each id once
        return _Drawing(rid, cx, cy, name, number=self.count)

    def _add(self, path: Path) -> tuple[str, int, int, str] | None:
        try:
            rid, image = self.document.docx.part.get_or_add_image(str(path))
        except (OSError, UnrecognizedImageError):
            return None
        width, height = Mm(TEXT_WIDTH_MM), Mm(TEXT_HEIGHT_MM)
        if image.px_height * TEXT_WIDTH_MM > image.px_width * TEXT_HEIGHT_MM:
            cx, cy = image.scaled_dimensions(None, height)
        else:
            cx, cy = image.scaled_dimensions(width, None)
        return rid, cx, cy, path.name


class _Drawing:
    def __init__(self, rid: str, cx: int, cy: int, name: str, *, number: int) -> None:
        self.xml = _INLINE.format(rid=rid, cx=cx, cy=cy, id=number, name=escape(name))

    def __html__(self) -> str:  # docxtpl's autoescape keeps it as it is, as an InlineImage
        return self.xml


def write(booklet: Booklet, path: Path) -> None:
    """Render the booklet into `path` (seconds for a campaign's worth: off the event loop)."""
    document = DocxTemplate(TEMPLATE)
    document.init_docx()
    photos = _Photos(document)
    context = {
        "title": booklet.title,
        "organisation": booklet.organisation,
        "made_on": booklet.made_on,
        "words": booklet.words,
        "chapters": [
            {"heading": c.heading, "unit": c.unit, "blocks": list(_blocks(photos, booklet, c))}
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
    photos: _Photos, heading: str, entries: tuple[Entry, ...], nothing: str
) -> Iterator[dict[str, Any]]:
    yield _block("part", heading)
    if not entries:
        yield _block("text", nothing)
    for entry in entries:
        yield _block("entry", entry.heading)
        yield from _paragraphs(entry.text)
        for picture in entry.pictures:
            yield from _picture(photos, picture)


def _picture(photos: _Photos, picture: Picture) -> Iterator[dict[str, Any]]:
    drawing = photos.drawing(picture.path) if picture.path is not None else None
    if drawing is None:  # no local copy, or not a picture: named
        yield _block("missing", picture.missing)
        return
    yield _block("picture", picture=drawing)
    yield _block("caption", picture.caption)


def _blocks(photos: _Photos, booklet: Booklet, chapter: Chapter) -> Iterator[dict]:
    words = booklet.words
    yield from _parts(words["application"], chapter.application, words["nothing"])
    yield from _entries(photos, words["timeline"], chapter.timeline, words["nothing"])
    yield from _entries(photos, words["highlights"], chapter.highlights, words["nothing"])
    yield from _parts(words["finals"], chapter.finals, words["nothing"])
    if chapter.scores is not None:
        yield _block("part", words["scores"])
        if chapter.scores.radar is not None:
            drawing = photos.radar(chapter.scores.radar, f"radar-{chapter.anchor}.png")
            yield _block("picture", picture=drawing)
            yield _block("caption", words["radar"])
        for line in chapter.scores.lines:
            yield _block("text", line)
    if chapter.deliverables is not None:
        yield from _parts(words["deliverables"], chapter.deliverables.parts, words["nothing"])
        if chapter.deliverables.approved:
            yield _block("text", words["approved"])
