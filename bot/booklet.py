"""The results booklet: one model read from the record, rendered twice, as a Word
file (bot/booklet_docx.py) and as a printable HTML page (bot/booklet_html.py).

A chapter per pacesetter, ordered by unit code then project code: the unit and project, the
application's sections, a timeline of saved activity reports with their photos' local copies
(a photo without one is named, never dropped), the highlights, the final items, the radar
and scores only when the campaign publishes them, and the deliverables through a loader the
caller passes in (stage 4's /deliverables keeps them). A lead's chapter is one chapter of a
model read for every pacesetter (`alone`), written as a Word file only: /booklet reads the
record once a language, not once a pacesetter."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from bot.campaign import Campaign
from bot.media import SEND_LIMIT
from messages.render import Messages
from storage import booklet as store
from storage import finals, pacesetters
from storage.db import Executor

# The plain words of the booklet, by key (labels.toml `booklet_<key>`); the rest take values.
WORDS = (
    "contents",
    "contents_hint",
    "application",
    "timeline",
    "highlights",
    "finals",
    "scores",
    "radar",
    "deliverables",
    "nothing",
    "approved",
    "photos_left_out",
)


@dataclass(frozen=True)
class Picture:
    path: Path | None  # the local copy; None: the photo was not saved locally
    name: str  # its file name, or Telegram's id for it
    caption: str
    missing: str  # what the chapter says instead of a picture it has no copy of


@dataclass(frozen=True)
class Entry:
    """One saved activity report on a chapter's timeline."""

    heading: str  # its day, activity and criterion
    text: str
    highlighted: bool
    pictures: tuple[Picture, ...]


@dataclass(frozen=True)
class Part:
    """A titled piece of text: an application's section, a final item, a deliverable."""

    title: str
    text: str = ""
    note: str = ""  # a file handed in, named; a link


@dataclass(frozen=True)
class Scores:
    radar: bytes | None  # PNG
    lines: tuple[str, ...]  # per criterion, then the total


@dataclass(frozen=True)
class Deliverables:
    """What the deliverables' loader gives for one pacesetter."""

    parts: tuple[Part, ...]
    approved: bool = False


@dataclass(frozen=True)
class Chapter:
    project_id: int
    code: str
    heading: str
    unit: str
    application: tuple[Part, ...]
    timeline: tuple[Entry, ...]
    highlights: tuple[Entry, ...]
    finals: tuple[Part, ...]
    scores: Scores | None
    deliverables: Deliverables | None

    @property
    def anchor(self) -> str:
        return f"p-{self.project_id}"  # unique, where codes P.1 and P_1 would read alike


@dataclass(frozen=True)
class Booklet:
    locale: str
    title: str
    organisation: str
    made_on: str
    chapters: tuple[Chapter, ...]
    words: Mapping[str, str]


@dataclass(frozen=True)
class BookletFiles:
    docx: Path
    html: Path
    images: Path  # the HTML's pictures, beside it


DeliverablesLoader = Callable[[Executor, Sequence[int]], Awaitable[Mapping[int, Deliverables]]]
# Told each step as it finishes: (step, done, total); may be a coroutine function.
Progress = Callable[[str, int, int], Awaitable[None] | None]


async def load(
    db: Executor,
    campaign: Campaign,
    media_root: Path,
    msgs: Messages,
    locale: str,
    *,
    today: date | datetime,
    project_ids: Sequence[int] | None = None,
    deliverables: DeliverablesLoader | None = None,
) -> Booklet:
    """The booklet of the pacesetters (with `project_ids`, those of them), in `locale`;
    `today` a moment is its local day."""
    if isinstance(today, datetime):
        today = campaign.local(today).date()
    chosen = await pacesetters.current(db)
    if project_ids is not None:
        chosen &= set(project_ids)
    ids = sorted(chosen)
    label = _labels(msgs, locale)
    projects = await store.projects(db, ids)
    reports = await store.reports(db, ids)
    photos = await store.photos(db, ids)
    answers = await store.answers(db, ids)
    handed_in = await finals.current(db, ids)
    handed_out = await deliverables(db, ids) if deliverables is not None else {}
    scores = await _scores(db, campaign, msgs, locale) if _publish(campaign) else {}
    by_report: dict[int, list[store.Photo]] = {}
    for photo in photos:
        by_report.setdefault(photo.report_id, []).append(photo)
    by_project: dict[int, list[store.Report]] = {}
    for report in reports:
        by_project.setdefault(report.project_id, []).append(report)
    answered: dict[tuple[int, str], store.Answer] = {(a.project_id, a.section): a for a in answers}
    chapters = []
    for project in projects:
        timeline = tuple(
            _entry(r, by_report.get(r.id, ()), campaign, msgs, locale, media_root)
            for r in by_project.get(project.id, ())
        )
        chapters.append(
            Chapter(
                project_id=project.id,
                code=project.code,
                heading=label("chapter", project=project.name, code=project.code),
                unit=label("unit", unit=project.unit_name, code=project.unit_code),
                application=_application(project.id, answered, campaign, label, locale),
                timeline=timeline,
                highlights=tuple(e for e in timeline if e.highlighted),
                finals=_finals(handed_in.get(project.id, {}), campaign, label, locale),
                scores=scores.get(project.id),
                deliverables=handed_out.get(project.id),
            )
        )
    return Booklet(
        locale=locale,
        title=label("title", name=campaign.name.get(locale)),
        organisation=campaign.consolidation.organisation or "",
        made_on=label("made_on", day=_day(label, today)),
        chapters=tuple(chapters),
        words={key: label(key) for key in WORDS},
    )


def _day(label: Callable[..., str], day: date) -> str:
    # A booklet is kept for years: its dates carry the year (the bot's leave it out this year).
    return label("date", year=day.year, month=day.month, day=day.day)


def _labels(msgs: Messages, locale: str) -> Callable[..., str]:
    return lambda key, /, **values: msgs.label(locale, f"booklet_{key}", **values)


def _publish(campaign: Campaign) -> bool:
    return campaign.consolidation.publish_scores


def _entry(
    report: store.Report,
    photos: Sequence[store.Photo],
    campaign: Campaign,
    msgs: Messages,
    locale: str,
    media_root: Path,
) -> Entry:
    label = _labels(msgs, locale)
    activity = campaign.activity(report.activity)
    criterion = campaign.criterion(report.criterion)
    day = _day(label, report.held_on) if report.held_on else ""
    pieces = [day, activity.title.get(locale) if activity else ""]
    if criterion is not None:
        pieces.append(label("criterion", criterion=criterion.title.get(locale)))
    if report.participants:
        pieces.append(label("participants", count=report.participants))
    heading = msgs.joined(locale, [p for p in pieces if p])
    pictures = tuple(
        Picture(
            path=media_root / photo.path if photo.path else None,
            name=photo.file_name or photo.file_unique_id,
            caption=photo.caption or heading,
            # A photo sent as a photo has no file name; Telegram's id for it tells a reader
            # nothing, its place in the report does.
            missing=label("photo_missing", name=photo.file_name)
            if photo.file_name
            else label("photo_missing_nth", n=n),
        )
        for n, photo in enumerate(photos, start=1)
    )
    return Entry(heading, report.description, report.highlighted, pictures)


def _application(
    project_id: int,
    answered: Mapping[tuple[int, str], store.Answer],
    campaign: Campaign,
    label: Callable[..., str],
    locale: str,
) -> tuple[Part, ...]:
    """The text sections in full and the budget (a number section), as the campaign orders them."""
    parts = []
    for section in campaign.sections:
        answer = answered.get((project_id, section.key))
        if answer is None or section.kind == "files":
            continue
        if section.kind == "number":
            if answer.amount is None:
                continue
            text = label("amount", amount=f"{answer.amount:,f}")
        else:
            text = answer.text
        if text:
            parts.append(Part(section.title.get(locale), text))
    return tuple(parts)


def _finals(
    items: Mapping[str, finals.Final], campaign: Campaign, label: Callable[..., str], locale: str
) -> tuple[Part, ...]:
    parts = []
    for item in campaign.finals:
        final = items.get(item.key)
        if final is None:
            continue
        content = final.content
        if content.kind == "text":
            parts.append(Part(item.title.get(locale), content.text or ""))
        else:
            name = content.file_name or content.file_unique_id or ""
            parts.append(Part(item.title.get(locale), note=label("handed_in_file", name=name)))
    return tuple(parts)


async def _scores(
    db: Executor, campaign: Campaign, msgs: Messages, locale: str
) -> dict[int, Scores]:
    """Each pacesetter's radar and means, for a campaign that publishes them."""
    from bot import charts  # matplotlib: loaded only when a booklet shows scores

    field = await charts.load(db, campaign)
    out = {}
    for row in field.ranking.rows:
        means = field.means.get(row.project_id)
        if not means:
            continue
        lines = [
            msgs.label(
                locale,
                "booklet_score_line",
                criterion=c.title.get(locale),
                mean=f"{means[c.key]:.2f}",
                scale=c.scale,
            )
            for c in campaign.criteria
            if c.key in means
        ]
        if row.raw is not None:
            lines.append(msgs.label(locale, "booklet_score_total", score=f"{row.raw:.2f}"))
        drawing = charts.radar(field, row, msgs, locale, campaign)
        radar = await asyncio.to_thread(drawing) if drawing is not None else None
        out[row.project_id] = Scores(radar, tuple(lines))
    return out


def file_stem(msgs: Messages, locale: str) -> str:
    """The files' name, without the suffix (the label booklet_file)."""
    return msgs.label(locale, "booklet_file")


async def build(
    db: Executor,
    campaign: Campaign,
    out_dir: Path,
    *,
    msgs: Messages,
    media_root: Path,
    today: date | datetime,
    locale: str,
    project_ids: Sequence[int] | None = None,
    deliverables: DeliverablesLoader | None = None,
    progress: Progress | None = None,
) -> BookletFiles:
    """Read the model, then write NAME.docx and NAME.html (with images/) in
    `out_dir`, the rendering off the event loop; `progress` hears each step."""
    model = await load(
        db,
        campaign,
        media_root,
        msgs,
        locale,
        today=today,
        project_ids=project_ids,
        deliverables=deliverables,
    )
    await _tell(progress, "read", 1)
    return await write(model, out_dir, msgs=msgs, progress=progress)


async def write(
    model: Booklet, out_dir: Path, *, msgs: Messages, progress: Progress | None = None
) -> BookletFiles:
    """A model read already, as NAME.docx and NAME.html (with images/) in `out_dir`, each
    rendered in a worker thread; `progress` hears the last two of build's three steps."""
    from bot import booklet_docx, booklet_html  # docxtpl, lxml: loaded when a booklet is made

    out_dir.mkdir(parents=True, exist_ok=True)
    stem = file_stem(msgs, model.locale)
    docx_path = out_dir / f"{stem}.docx"
    await asyncio.to_thread(booklet_docx.write, model, docx_path)
    await _tell(progress, "docx", 2)
    html_path = out_dir / f"{stem}.html"
    images = await asyncio.to_thread(booklet_html.write, model, html_path)
    await _tell(progress, "html", 3)
    return BookletFiles(docx_path, html_path, images)


def alone(model: Booklet, chapter: Chapter) -> Booklet:
    """The booklet of one of its chapters (the cover and contents over it), as a lead reads it."""
    return replace(model, chapters=(chapter,))


async def write_chapter(
    model: Booklet, chapter: Chapter, path: Path, *, limit: int = SEND_LIMIT
) -> None:
    """One chapter of a model read already, as a Word file at `path`, in a worker thread: a
    lead approves the .docx, so no HTML page is written for it. Over `limit` bytes it is
    written again with each report's photos left out and said so, to be sendable."""
    from bot import booklet_docx

    def write() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        booklet_docx.write(alone(model, chapter), path)
        if path.stat().st_size > limit:
            booklet_docx.write(alone(model, without_photos(chapter, model.words)), path)

    await asyncio.to_thread(write)


def without_photos(chapter: Chapter, words: Mapping[str, str]) -> Chapter:
    """The chapter with each entry's photos replaced by one line saying they were left out."""

    def thinned(entries: tuple[Entry, ...]) -> tuple[Entry, ...]:
        return tuple(
            replace(e, pictures=(Picture(None, "", "", words["photos_left_out"]),))
            if e.pictures
            else e
            for e in entries
        )

    return replace(
        chapter, timeline=thinned(chapter.timeline), highlights=thinned(chapter.highlights)
    )


async def _tell(progress: Progress | None, step: str, done: int, steps: int = 3) -> None:
    if progress is not None:
        result = progress(step, done, steps)
        if inspect.isawaitable(result):
            await result
