"""Stage 3's results: each candidate's raw and calibrated scores, ranks and flags, from the
reviews that count (submitted, not recused). Pure functions over plain values, and `load`,
which reads what they need from the database.

A placeholder until the numbers are built (issue 19): raw means only, calibrated = raw, no
flags. The shapes below are what /ranking, the charts and the selection read.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.campaign import Campaign
from bot.scores import weighted_total
from storage import finals, orgs, reviews
from storage.db import Executor


@dataclass(frozen=True)
class Row:
    """One candidate in the ranking."""

    project_id: int
    code: str
    project: str  # the project's name
    unit_id: int
    unit_code: str
    unit: str  # the unit's name
    reviews: int  # reviews that count
    assigned: int  # reviews not recused
    raw: float | None  # mean of the counted reviews' weighted totals; None: no review counts
    median: float | None
    spread: float | None  # max − min of the totals
    calibrated: float | None
    rank: int | None  # by the campaign's rank_by; ties share one (1, 2, 2, 4)
    raw_rank: int | None
    calibrated_rank: int | None
    flags: tuple[str, ...] = ()  # spread_total, spread_criterion, few_reviews, rank_moved
    means: Mapping[str, float] = field(default_factory=dict)  # per criterion, over reviewers


@dataclass(frozen=True)
class Ranking:
    rows: tuple[Row, ...]  # best first by rank; candidates no review counts for last
    biases: Mapping[int, float] = field(default_factory=dict)  # reviewer id → leniency

    def row(self, project_id: int) -> Row | None:
        return next((r for r in self.rows if r.project_id == project_id), None)


def _competition(scores: dict[int, float | None]) -> dict[int, int | None]:
    """Ranks 1, 2, 2, 4: equal when rounded to 2 decimals; None for no score."""
    ordered = sorted((s, p) for p, s in scores.items() if s is not None)
    ordered.reverse()
    ranks: dict[int, int | None] = dict.fromkeys(scores)
    for place, (score, project) in enumerate(ordered, start=1):
        ahead = [q for s, q in ordered[: place - 1] if round(s, 2) == round(score, 2)]
        ranks[project] = ranks[ahead[0]] if ahead else place
    return ranks


async def load(db: Executor, campaign: Campaign) -> Ranking:
    """The ranking of every candidate from what is stored now."""
    listed = await finals.candidates(db)
    ids = [c.project_id for c in listed]
    projects = {p.id: p for p in await orgs.projects_by_ids(db, ids)}
    units = {u.id: u for u in await orgs.units_by_ids(db, [p.unit_id for p in projects.values()])}
    totals: dict[int, list[float]] = {i: [] for i in ids}
    for review, scores in await reviews.submitted_reviews(db):
        if review.project_id in totals:
            totals[review.project_id].append(weighted_total(campaign.criteria, scores))
    progress = {p.project_id: p for p in await reviews.progress_by_candidate(db)}
    raw = {i: (statistics.fmean(t) if t else None) for i, t in totals.items()}
    ranks = _competition(raw)
    rows = []
    for i in ids:
        project, t = projects[i], totals[i]
        unit = units[project.unit_id]
        rows.append(
            Row(
                project_id=i,
                code=project.code,
                project=project.name,
                unit_id=unit.id,
                unit_code=unit.code,
                unit=unit.name,
                reviews=len(t),
                assigned=progress[i].assigned if i in progress else 0,
                raw=raw[i],
                median=statistics.median(t) if t else None,
                spread=(max(t) - min(t)) if t else None,
                calibrated=raw[i],
                rank=ranks[i],
                raw_rank=ranks[i],
                calibrated_rank=ranks[i],
            )
        )
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.code))
    return Ranking(tuple(rows))
