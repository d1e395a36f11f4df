"""What a reviewer reads on a candidate's scoring card: the unit and project, the application's
key sections, stage 2's activity reports per criterion, the highlights and the final items.
One `gather` per card, a few set-based queries whatever the number of reports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from bot.campaign import Campaign, Criterion, FinalItem, Localized
from bot.campaign import Section as CampaignSection
from storage import applications, finals, orgs
from storage import evidence as stored
from storage.db import Executor

# The card shows the first few text sections (where the application says what the branch has
# and means to do) and every number (the budget): enough to place the candidate in a glance,
# short enough for a phone. 📄 sends the whole application.
KEY_SECTIONS = 4
GLIMPSE_LINES = 2
GLIMPSE_CHARS = 80


@dataclass(frozen=True)
class Section:
    key: str  # the campaign's section key
    glimpse: str  # its first lines
    more: bool  # there is more than the glimpse: a button sends the full text
    title: Localized = field(default_factory=lambda: Localized({}))
    amount: Decimal | None = None  # a number section's answer
    answered: bool = False  # anything to show at all (skipped or empty: not)


@dataclass(frozen=True)
class Reports:
    criterion: str | None  # the campaign's criterion key; None: reports naming none
    count: int
    latest: date | None  # the latest day a report is about (a local calendar day)
    title: Localized | None = None  # the criterion's


@dataclass(frozen=True)
class Evidence:
    project: orgs.Project
    unit: orgs.Unit
    sections: tuple[Section, ...] = ()
    # One per campaign criterion, in its order (count 0: none yet).
    reports: tuple[Reports, ...] = ()
    highlights: int = 0
    highlight_photos: int = 0
    finals: Mapping[str, finals.Final] = field(default_factory=dict)
    # Saved reports naming no criterion, or one the campaign no longer has; None: there are none.
    unsorted: Reports | None = None
    final_items: tuple[FinalItem, ...] = ()  # the campaign's, stored or not
    application: bool = False  # there is one: 📄 sends it

    @property
    def report_count(self) -> int:
        return sum(r.count for r in self.reports) + (self.unsorted.count if self.unsorted else 0)

    @property
    def latest_report(self) -> date | None:
        days = [r.latest for r in (*self.reports, self.unsorted) if r and r.latest]
        return max(days, default=None)


def key_sections(sections: Sequence[CampaignSection]) -> list[CampaignSection]:
    """The sections a card glimpses: the first KEY_SECTIONS text ones and the numbers."""
    texts = [s for s in sections if s.kind == "text"][:KEY_SECTIONS]
    return [s for s in sections if s in texts or s.kind == "number"]


def glimpse(heads: Sequence[str], chars: int) -> tuple[str, bool]:
    """A text's first lines, on one line, clipped with "…"; and whether there is more. `heads`
    are the starts of its messages, `chars` the whole text's length."""
    whole_read = sum(map(len, heads)) + 2 * max(len(heads) - 1, 0) >= chars
    lines = [line.strip() for line in "\n\n".join(heads).splitlines() if line.strip()]
    shown = " ".join(lines[:GLIMPSE_LINES])
    more = len(shown) > GLIMPSE_CHARS or len(lines) > GLIMPSE_LINES or not whole_read
    if more:  # "…" says the text goes on, where 📄 sends it
        shown = shown[: GLIMPSE_CHARS - 1].rstrip() + "…"
    return shown, more


def _section(section: CampaignSection, head: stored.SectionHead | None) -> Section:
    if head is None or head.state == "skipped":
        return Section(section.key, "", False, section.title)
    if section.kind == "number":
        return Section(section.key, "", False, section.title, head.amount, head.amount is not None)
    shown, more = glimpse(head.heads, head.chars)
    return Section(section.key, shown, more, section.title, answered=bool(shown))


def _reports(
    criteria: Sequence[Criterion], tallies: Sequence[stored.Tally]
) -> tuple[tuple[Reports, ...], Reports | None]:
    by_key = {t.criterion: t for t in tallies if t.criterion is not None}
    known = {c.key for c in criteria}
    none = stored.Tally(None, 0, None)
    per = tuple(
        Reports(c.key, by_key.get(c.key, none).count, by_key.get(c.key, none).latest, c.title)
        for c in criteria
    )
    rest = [t for t in tallies if t.criterion not in known]
    if not rest:
        return per, None
    latest = max((t.latest for t in rest if t.latest), default=None)
    return per, Reports(None, sum(t.count for t in rest), latest)


async def gather(db: Executor, campaign: Campaign, project_id: int) -> Evidence | None:
    """The card's evidence for a candidate; None when there is no such project."""
    found = await stored.project_and_unit(db, project_id)
    if found is None:
        return None
    project, unit = found
    chosen = key_sections(campaign.sections)
    heads = await stored.section_heads(db, project_id, [s.key for s in chosen])
    application = await applications.of_project(db, project_id)
    per, unsorted = _reports(campaign.criteria, await stored.report_tallies(db, project_id))
    highlights, photos = await stored.highlight_counts(db, project_id)
    items = (await finals.current(db, [project_id])).get(project_id, {})
    return Evidence(
        project=project,
        unit=unit,
        sections=tuple(_section(s, heads.get(s.key)) for s in chosen),
        reports=per,
        highlights=highlights,
        highlight_photos=photos,
        finals=items,
        unsorted=unsorted,
        final_items=campaign.finals,
        application=application is not None,
    )
