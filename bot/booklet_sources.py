"""The booklet's deliverables loader: what each pacesetter handed in on /deliverables (the
write-up's text, the video's link or file name) and whether its lead approved the chapter,
read from storage.deliverables for many pacesetters at once; and where /booklet keeps what it
builds, so the consolidation's closing report can name the latest build and a lead's 📄 find
their chapter."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from bot.booklet import Deliverables, DeliverablesLoader, Part
from bot.campaign import Campaign
from messages.render import Messages
from storage import deliverables as store
from storage.db import Executor

# Under the media folder's booklet/: the campaign-wide build, and a folder per chapter, which
# holds the chapter once per language its leads read (LOCALE/NAME.docx, NAME in that language).
# The folder is the chapter's draft: one draft per build, whatever the languages, so a lead's
# approval is of the chapter, and 📄 sends each lead their language's copy.
CAMPAIGN_DIR, CHAPTERS_DIR = "all", "chapters"


def chapter_dir(out: Path, code: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in code)
    if safe != code:  # P.1 and P_1 are two projects: their folders must differ too
        safe += "-" + hashlib.sha256(code.encode()).hexdigest()[:8]
    return out / CHAPTERS_DIR / safe


def chapter_file(draft: str, locale: str, default: str) -> Path | None:
    """The Word file of a chapter's draft for a reader of `locale`: theirs, else the campaign's
    language, else any built; a draft recorded as a file is that file. None: none on disk."""
    path = Path(draft)
    if path.is_file():
        return path
    if not path.is_dir():
        return None
    for folder in (path / locale, path / default, *sorted(path.iterdir())):
        found = sorted(folder.glob("*.docx")) if folder.is_dir() else []
        if found:
            return found[0]
    return None


def prune(folder: Path, keep: Iterable[str]) -> None:
    """Remove from a chapter's folder what this build did not write (a language no lead reads
    now, an older build's files), so 📄 never sends an out-of-date copy."""
    kept = set(keep)
    for entry in folder.iterdir() if folder.is_dir() else ():
        if entry.name in kept:
            continue
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()


async def latest_build(db: Executor, project_ids: Iterable[int]) -> list[Path]:
    """The campaign-wide booklet's files (.docx, .html) of the latest build, found beside the
    newest chapter draft (each build writes it just before the chapters); none if not built."""
    drafts = [b for b in (await store.booklets(db, project_ids)).values() if b.path]
    if not drafts:
        return []
    newest = Path(max(drafts, key=lambda b: (b.built_at, b.draft_id)).path)
    # The chapter's folder (chapters/CODE), or a file in it as drafts were once recorded.
    chapters = next(
        (p for p in (newest.parent, newest.parent.parent) if p.name == CHAPTERS_DIR), None
    )
    if chapters is None:
        return []  # a draft written some other way: no campaign-wide build beside it
    folder = chapters.parent / CAMPAIGN_DIR
    found = []
    for suffix in ("docx", "html"):  # named in the builder's language: the newest of each
        files = [path for path in folder.glob(f"*.{suffix}") if path.is_file()]
        if files:
            found.append(max(files, key=lambda path: path.stat().st_mtime_ns))
    return found


def deliverables_loader(campaign: Campaign, msgs: Messages, locale: str) -> DeliverablesLoader:
    """The loader booklet.load takes, for this campaign's deliverables in this language."""

    def label(key: str, /, **values: object) -> str:
        return msgs.label(locale, f"booklet_{key}", **values)

    async def load(db: Executor, project_ids: Sequence[int]) -> dict[int, Deliverables]:
        handed_in = await store.current(db, project_ids)
        booklets = await store.booklets(db, project_ids)
        found = {}
        for project_id in project_ids:
            items = handed_in.get(project_id, {})
            parts = tuple(
                _part(item.title.get(locale), items[item.key].content, label)
                for item in campaign.deliverables
                if item.kind != "booklet" and item.key in items
            )
            booklet = booklets.get(project_id)
            approved = booklet is not None and booklet.state == store.APPROVED
            if parts or approved:
                found[project_id] = Deliverables(parts, approved)
        return found

    return load


def _part(title: str, content: store.Content, label: Callable[..., str]) -> Part:
    if content.kind == "text":
        return Part(title, content.text or "")
    if content.kind == "link":
        return Part(title, note=content.text or "")  # the video's address, as it was sent
    if not content.file_name:  # a video from a phone's camera has none: its size, not its id
        size = f"{(content.size or 0) / 2**20:.1f}"
        return Part(title, note=label("handed_in_unnamed", size=size))
    return Part(title, note=label("handed_in_file", name=content.file_name))
