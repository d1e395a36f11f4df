"""The results booklet as one printable HTML page (messages/booklet/booklet.html.j2): a page
break per chapter, a contents list with links, Chinese fonts named with fallbacks.

The pictures go beside it, in `images/` (linked, or copied where a link can't be made): a
campaign's photos, some thousands of them, would make a page of data URIs too heavy to open."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import jinja2

from bot.booklet import Booklet, Picture

FOLDER = Path(__file__).resolve().parent.parent / "messages" / "booklet"
IMAGES = "images"
_LANG = {"zh-Hans": "zh-Hans", "zh-Hant": "zh-Hant", "en": "en"}


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(FOLDER)),
        autoescape=True,  # every value is someone's text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def write(booklet: Booklet, path: Path) -> Path:
    """Write the page at `path` and its pictures in `images/` beside it; the folder."""
    folder = path.parent / IMAGES
    if folder.exists():
        shutil.rmtree(folder)  # a rebuilt booklet holds no picture of the last one
    folder.mkdir(parents=True)
    images: dict[Picture, str] = {}
    placed: dict[Path, str] = {}
    for chapter in booklet.chapters:
        for entry in chapter.timeline:
            for picture in entry.pictures:
                source = picture.path
                if source is None or not source.is_file():
                    continue
                if source not in placed:
                    name = f"{len(placed) + 1}{source.suffix.lower() or '.jpg'}"
                    _place(source, folder / name)
                    placed[source] = f"{IMAGES}/{name}"
                images[picture] = placed[source]
    radars = {}
    for chapter in booklet.chapters:
        if chapter.scores is not None and chapter.scores.radar is not None:
            name = f"radar-{chapter.anchor}.png"
            (folder / name).write_bytes(chapter.scores.radar)
            radars[chapter.project_id] = f"{IMAGES}/{name}"
    page = (
        _environment()
        .get_template("booklet.html.j2")
        .render(
            booklet=booklet,
            words=booklet.words,
            lang=_LANG.get(booklet.locale, "zh-Hans"),
            images=images,
            radars=radars,
        )
    )
    partial = path.with_name(path.name + ".part")  # in place at once: never half a page
    partial.write_text(page, encoding="utf-8")
    os.replace(partial, path)
    return folder


def _place(source: Path, target: Path) -> None:
    # A hard link costs nothing; across file systems, a copy.
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
