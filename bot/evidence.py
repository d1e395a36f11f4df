"""What a reviewer reads on a candidate's scoring card: the unit and project, the application's
key sections, stage 2's activity reports per criterion, the highlights and the final items.
One `gather` per card, a few set-based queries whatever the number of reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.campaign import Campaign
from storage import finals, orgs
from storage.db import Executor


@dataclass(frozen=True)
class Section:
    key: str  # the campaign's section key
    glimpse: str  # its first lines
    more: bool  # there is more than the glimpse: a button sends the full text


@dataclass(frozen=True)
class Reports:
    criterion: str  # the campaign's criterion key
    count: int
    latest: datetime | None


@dataclass(frozen=True)
class Evidence:
    project: orgs.Project
    unit: orgs.Unit
    sections: tuple[Section, ...] = ()
    reports: tuple[Reports, ...] = ()
    highlights: int = 0
    highlight_photos: int = 0
    finals: Mapping[str, finals.Final] = field(default_factory=dict)


async def gather(db: Executor, campaign: Campaign, project_id: int) -> Evidence | None:
    """The card's evidence for a candidate; None when there is no such project."""
    project = await orgs.project(db, project_id)
    if project is None:
        return None
    unit = await orgs.unit(db, project.unit_id)
    stored = (await finals.current(db, [project_id])).get(project_id, {})
    return Evidence(project=project, unit=unit, finals=stored)
