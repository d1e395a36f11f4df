"""The results booklet as a Word file: docxtpl fills messages/booklet/booklet.docx (its styles
carry the fonts, headings and contents field) with the model, flattened into blocks.

docxtpl renders the template's body; the package is written here, not by python-docx. A
campaign's booklet holds some 100,000 photos: python-docx finds an image's part and
relationship by scanning all of them, and docxtpl moves the rendered body into the document
node by node (both quadratic in the photos). Here each photo is one relationship and one
stored zip entry, and the rendered body is spliced into the template's document.xml as text."""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from docx.image.exceptions import UnrecognizedImageError
from docx.image.image import Image
from docx.shared import Mm
from docxtpl import DocxTemplate
from jinja2 import Environment

from bot.booklet import Booklet, Chapter, Entry, Part, Picture

TEMPLATE = Path(__file__).resolve().parent.parent / "messages" / "booklet" / "booklet.docx"
# The page's text width: A4's 210 mm less the margins (28 mm and 26 mm).
TEXT_WIDTH_MM = 210 - 28 - 26
TEXT_HEIGHT_MM = 297 - 37 - 35 - 20  # the margins, and room for the caption
_RADAR_MM = 120
_IMAGE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
_DOCUMENT = "word/document.xml"
_RELATIONSHIPS = "word/_rels/document.xml.rels"
_CONTENT_TYPES = "[Content_Types].xml"
# What XML 1.0 can't hold (a Word file with one doesn't open); and the breaks a line can't.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BREAKS = re.compile("[\t\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")

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


@dataclass(frozen=True)
class _Image:
    """A picture's part of the package."""

    name: str  # under word/
    rid: str  # the document's relationship to it
    content_type: str
    cx: int
    cy: int
    source: Path | None  # the photo's file; None: a radar, in memory


class _Media:
    """The document's pictures: each file (or radar) a part once, its drawing per use."""

    def __init__(self) -> None:
        self.files: dict[Path, _Image | None] = {}
        self.charts: list[tuple[_Image, bytes]] = []
        self.added = 0  # the parts, named and related by number
        self.drawn = 0  # the drawings: Word wants each docPr id once

    def drawing(self, path: Path) -> _Drawing | None:
        """The photo's drawing at the page's width (a tall one, the page's height); None for
        a file Word can't show."""
        if path not in self.files:
            self.files[path] = self._add(path)
        found = self.files[path]
        return None if found is None else self._drawing(found, path.name)

    def radar(self, png: bytes, name: str) -> _Drawing:
        image = Image.from_blob(png)
        part = self._part(image, *image.scaled_dimensions(Mm(_RADAR_MM), None))
        self.charts.append((part, png))
        return self._drawing(part, name)

    def parts(self) -> list[_Image]:
        kept = [image for image in self.files.values() if image is not None]
        return kept + [image for image, _ in self.charts]

    def _add(self, path: Path) -> _Image | None:
        try:
            image = Image.from_file(str(path))  # its kind and size: PNG, JPEG, GIF, BMP, TIFF
        except (OSError, UnrecognizedImageError):
            return None
        if image.px_height * TEXT_WIDTH_MM > image.px_width * TEXT_HEIGHT_MM:
            cx, cy = image.scaled_dimensions(None, Mm(TEXT_HEIGHT_MM))
        else:
            cx, cy = image.scaled_dimensions(Mm(TEXT_WIDTH_MM), None)
        return self._part(image, cx, cy, path)

    def _part(self, image: Image, cx: int, cy: int, source: Path | None = None) -> _Image:
        self.added += 1
        name = f"media/p{self.added}.{image.ext}"
        return _Image(name, f"rIdP{self.added}", image.content_type, cx, cy, source)

    def _drawing(self, image: _Image, name: str) -> _Drawing:
        self.drawn += 1
        return _Drawing(image, name, number=self.drawn)


class _Drawing:
    def __init__(self, image: _Image, name: str, *, number: int) -> None:
        self.xml = _INLINE.format(
            rid=image.rid, cx=image.cx, cy=image.cy, id=number, name=escape(name)
        )

    def __html__(self) -> str:  # docxtpl's autoescape keeps it as it is, as an InlineImage
        return self.xml


class _Template(DocxTemplate):
    def resolve_listing(self, xml: str) -> str:
        # docxtpl turns \t \n \a \f into runs and breaks: every text here is one clean line.
        return xml


def write(booklet: Booklet, path: Path) -> None:
    """Render the booklet into `path` (seconds for a campaign's worth: off the event loop)."""
    document = _Template(TEMPLATE)
    document.init_docx()
    media = _Media()
    context = {
        "title": _line(booklet.title),
        "organisation": _line(booklet.organisation),
        "made_on": _line(booklet.made_on),
        "words": {key: _line(value) for key, value in booklet.words.items()},
        "chapters": [
            {
                "heading": _line(c.heading),
                "unit": _line(c.unit),
                "blocks": list(_blocks(media, booklet, c)),
            }
            for c in booklet.chapters
        ],
    }
    body = document.build_xml(context, Environment(autoescape=True))
    # Written beside it, then put in its place: a lead's 📄 during a rebuild sends the old
    # file or the new one, never half of one.
    partial = path.with_name(path.name + ".part")
    try:
        _package(body, media.parts(), media.charts, partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _package(
    body: str, parts: list[_Image], charts: list[tuple[_Image, bytes]], path: Path
) -> None:
    """The template's package with the rendered body and the pictures: the XML deflated, the
    pictures (compressed already) stored."""
    with (
        zipfile.ZipFile(TEMPLATE) as template,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for entry in template.infolist():
            data = template.read(entry)
            if entry.filename == _DOCUMENT:
                data = _spliced(data.decode("utf-8"), body).encode("utf-8")
            elif entry.filename == _RELATIONSHIPS:
                data = _related(data.decode("utf-8"), parts).encode("utf-8")
            elif entry.filename == _CONTENT_TYPES:
                data = _typed(data.decode("utf-8"), parts).encode("utf-8")
            out.writestr(entry.filename, data)
        for image in parts:
            if image.source is not None:
                out.write(image.source, f"word/{image.name}", zipfile.ZIP_STORED)
        for image, png in charts:
            out.writestr(f"word/{image.name}", png, zipfile.ZIP_STORED)


def _spliced(document: str, body: str) -> str:
    start = document.index("<w:body")
    end = document.rindex("</w:body>") + len("</w:body>")
    return document[:start] + body + document[end:]


def _related(relationships: str, parts: list[_Image]) -> str:
    added = "".join(
        f'<Relationship Id="{p.rid}" Type="{_IMAGE}" Target="{p.name}"/>' for p in parts
    )
    return relationships.replace("</Relationships>", added + "</Relationships>")


def _typed(types: str, parts: list[_Image]) -> str:
    kinds = {p.name.rsplit(".", 1)[-1]: p.content_type for p in parts}
    added = "".join(
        f'<Default Extension="{suffix}" ContentType="{kind}"/>'
        for suffix, kind in sorted(kinds.items())
        if f'Extension="{suffix}"' not in types
    )
    return types.replace("<Default ", added + "<Default ", 1)


def _line(text: str) -> str:
    """The text as one line Word can hold."""
    return _UNWRITABLE.sub("", _BREAKS.sub(" ", text))


def _block(kind: str, text: str = "", picture: Any = None) -> dict[str, Any]:
    return {"kind": kind, "text": _line(text), "picture": picture}


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
    media: _Media, heading: str, entries: tuple[Entry, ...], nothing: str
) -> Iterator[dict[str, Any]]:
    yield _block("part", heading)
    if not entries:
        yield _block("text", nothing)
    for entry in entries:
        yield _block("entry", entry.heading)
        yield from _paragraphs(entry.text)
        for picture in entry.pictures:
            yield from _picture(media, picture)


def _picture(media: _Media, picture: Picture) -> Iterator[dict[str, Any]]:
    drawing = media.drawing(picture.path) if picture.path is not None else None
    if drawing is None:  # no local copy, or not a picture: named
        yield _block("missing", picture.missing)
        return
    yield _block("picture", picture=drawing)
    yield _block("caption", picture.caption)


def _blocks(media: _Media, booklet: Booklet, chapter: Chapter) -> Iterator[dict]:
    words = booklet.words
    yield from _parts(words["application"], chapter.application, words["nothing"])
    yield from _entries(media, words["timeline"], chapter.timeline, words["nothing"])
    yield from _entries(media, words["highlights"], chapter.highlights, words["nothing"])
    yield from _parts(words["finals"], chapter.finals, words["nothing"])
    if chapter.scores is not None:
        yield _block("part", words["scores"])
        if chapter.scores.radar is not None:
            drawing = media.radar(chapter.scores.radar, f"radar-{chapter.anchor}.png")
            yield _block("picture", picture=drawing)
            yield _block("caption", words["radar"])
        for line in chapter.scores.lines:
            yield _block("text", line)
    if chapter.deliverables is not None:
        yield from _parts(words["deliverables"], chapter.deliverables.parts, words["nothing"])
        if chapter.deliverables.approved:
            yield _block("text", words["approved"])
