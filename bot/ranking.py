"""Stage 3's results: each candidate's raw and calibrated scores, ranks and flags, from the
reviews that count (submitted, not recused). `compute` is a pure function over plain values;
`load` reads what it needs from the database and calls it.

The calibrated score fits an additive reviewer-bias model, total = quality + bias, by
alternating means with shrinkage k: a candidate's quality is the mean of its totals less
their reviewers' biases; a reviewer's bias is what their totals exceed those qualities by,
summed and divided by (their reviews + k), so a reviewer with few reviews moves little. It is
the ridge solution of that model (penalty k·Σ bias²), whose biases sum to 0 by themselves:
re-centring them each round only keeps the rounds on that footing.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import NamedTuple

from bot.campaign import Assessment, Campaign, Criterion
from bot.scores import max_total, weighted_total
from storage import finals, orgs, reviews
from storage.db import Executor

FLAGS: tuple[str, ...] = ("spread_total", "spread_criterion", "few_reviews", "rank_moved")
TOLERANCE = 1e-9  # the calibration stops when no quality or bias moves more than this
MAX_ROUNDS = 1000
RANK_MOVED = 3  # |calibrated rank − raw rank| flagged from here


@dataclass(frozen=True)
class Reason:
    """Why a flag is raised, as numbers the view words: the value against its limit (for
    spread_criterion, the largest spread and the criteria at or over the limit)."""

    value: float
    limit: float
    criteria: tuple[str, ...] = ()


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
    flag_reasons: Mapping[str, Reason] = field(default_factory=dict)  # by flag, as in flags


@dataclass(frozen=True)
class Ranking:
    rows: tuple[Row, ...]  # best first by rank; candidates no review counts for last
    biases: Mapping[int, float] = field(default_factory=dict)  # reviewer id → leniency

    def row(self, project_id: int) -> Row | None:
        return next((r for r in self.rows if r.project_id == project_id), None)

    def by(self, rank: str) -> tuple[Row, ...]:
        """The rows best first by "calibrated" or "raw" rank (a view's sort button), ties in
        code order, those without a rank last."""
        column = "raw_rank" if rank == "raw" else "calibrated_rank"
        return tuple(sorted(self.rows, key=lambda r: _place(getattr(r, column), r.code)))


def _place(rank: int | None, code: str) -> tuple[bool, int, str]:
    return (rank is None, rank or 0, code)


class Candidate(NamedTuple):
    """What the ranking shows of a candidate besides its scores."""

    project_id: int
    code: str
    project: str
    unit_id: int
    unit_code: str
    unit: str
    assigned: int = 0  # reviews not recused


class Scored(NamedTuple):
    """A review that counts: its submitted value per criterion key."""

    reviewer_id: int
    project_id: int
    scores: Mapping[str, int]


def competition_ranks(scores: Mapping[int, float | None]) -> dict[int, int | None]:
    """Ranks 1, 2, 2, 4 by score, the highest first: scores equal when rounded to 2 decimals
    share a rank; None for no score."""
    rounded = sorted((round(s, 2) for s in scores.values() if s is not None), reverse=True)
    first: dict[float, int] = {}
    for place, score in enumerate(rounded, start=1):
        first.setdefault(score, place)
    return {p: None if s is None else first[round(s, 2)] for p, s in scores.items()}


def calibrate(
    totals: Iterable[tuple[int, int, float]], shrinkage: float
) -> tuple[dict[int, float], dict[int, float]]:
    """Alternating means over (reviewer, project, total): (quality by project, bias by
    reviewer). Sums are exact (fsum), so the result is the same to the last bit however the
    reviews are listed or the reviewers numbered: ties stay ties."""
    triples = sorted(totals)
    by_project: dict[int, list[tuple[int, float]]] = {}
    by_reviewer: dict[int, list[tuple[int, float]]] = {}
    for reviewer, project, total in triples:
        by_project.setdefault(project, []).append((reviewer, total))
        by_reviewer.setdefault(reviewer, []).append((project, total))
    bias = dict.fromkeys(sorted(by_reviewer), 0.0)
    quality: dict[int, float] = {}
    for _ in range(MAX_ROUNDS):
        moved = 0.0 if quality else float("inf")
        for project in sorted(by_project):
            marks = by_project[project]
            q = math.fsum(t - bias[r] for r, t in marks) / len(marks)
            moved = max(moved, abs(q - quality.get(project, q)))
            quality[project] = q
        fitted = {
            r: math.fsum(t - quality[p] for p, t in marks) / (len(marks) + shrinkage)
            for r, marks in by_reviewer.items()
        }
        centre = math.fsum(fitted.values()) / len(fitted) if fitted else 0.0
        for reviewer, value in fitted.items():
            moved = max(moved, abs(value - centre - bias[reviewer]))
            bias[reviewer] = value - centre
        if moved <= TOLERANCE:
            break
    return quality, bias


def _flags(
    row: Row, per_criterion: dict[str, list[int]], rules: Assessment, top: float
) -> dict[str, Reason]:
    found: dict[str, Reason] = {}
    # Compared at 9 decimals: 0.29 × 100 is 28.999999999999996, and totals of fractional
    # weights carry such tails too.
    limit = round(rules.spread_total * top, 9)
    if row.spread is not None and round(row.spread, 9) > limit:
        found["spread_total"] = Reason(row.spread, limit)
    spreads = {key: max(v) - min(v) for key, v in per_criterion.items() if v}
    wide = tuple(key for key, s in spreads.items() if s >= rules.spread_criterion)
    if wide:
        found["spread_criterion"] = Reason(max(spreads.values()), rules.spread_criterion, wide)
    if row.reviews < rules.min_reviews:
        found["few_reviews"] = Reason(row.reviews, rules.min_reviews)
    if row.raw_rank is not None and row.calibrated_rank is not None:
        moved = abs(row.calibrated_rank - row.raw_rank)
        if moved >= RANK_MOVED:
            found["rank_moved"] = Reason(moved, RANK_MOVED)
    return found


def compute(
    criteria: Sequence[Criterion],
    rules: Assessment,
    candidates: Iterable[Candidate],
    counted: Iterable[Scored | tuple[int, int, Mapping[str, int]]],
) -> Ranking:
    """The ranking of `candidates` from the reviews that count; a review of a project that
    is not a candidate is left out."""
    listed = {c.project_id: c for c in candidates}
    totals: dict[int, list[float]] = {p: [] for p in listed}
    values: dict[int, dict[str, list[int]]] = {p: {c.key: [] for c in criteria} for p in listed}
    triples = []
    for reviewer, project, scores in sorted(counted, key=lambda s: (s[0], s[1])):
        if project not in listed:
            continue
        total = weighted_total(criteria, scores)
        totals[project].append(total)
        triples.append((reviewer, project, total))
        for key, value in scores.items():
            values[project][key].append(value)
    quality, biases = calibrate(triples, rules.shrinkage)
    raw = {p: (statistics.fmean(t) if t else None) for p, t in totals.items()}
    calibrated = {p: quality.get(p) for p in listed}
    raw_ranks, calibrated_ranks = competition_ranks(raw), competition_ranks(calibrated)
    ranks = raw_ranks if rules.rank_by == "raw" else calibrated_ranks
    top = max_total(criteria)
    rows = []
    for p, c in listed.items():
        t = totals[p]
        row = Row(
            project_id=p,
            code=c.code,
            project=c.project,
            unit_id=c.unit_id,
            unit_code=c.unit_code,
            unit=c.unit,
            reviews=len(t),
            assigned=c.assigned,
            raw=raw[p],
            median=statistics.median(t) if t else None,
            spread=(max(t) - min(t)) if t else None,
            calibrated=calibrated[p],
            rank=ranks[p],
            raw_rank=raw_ranks[p],
            calibrated_rank=calibrated_ranks[p],
            means=MappingProxyType({k: statistics.fmean(v) for k, v in values[p].items() if v}),
        )
        reasons = _flags(row, values[p], rules, top)
        flags = tuple(f for f in FLAGS if f in reasons)
        rows.append(replace(row, flags=flags, flag_reasons=MappingProxyType(reasons)))
    rows.sort(key=lambda r: _place(r.rank, r.code))
    return Ranking(tuple(rows), MappingProxyType(biases))


async def load(db: Executor, campaign: Campaign) -> Ranking:
    """The ranking of every candidate from what is stored now."""
    listed = await finals.candidates(db)
    ids = [c.project_id for c in listed]
    projects = {p.id: p for p in await orgs.projects_by_ids(db, ids)}
    units = {u.id: u for u in await orgs.units_by_ids(db, [p.unit_id for p in projects.values()])}
    assigned = {p.project_id: p.assigned for p in await reviews.progress_by_candidate(db)}
    candidates = []
    for i in ids:
        project = projects[i]
        unit = units[project.unit_id]
        candidates.append(
            Candidate(
                i, project.code, project.name, unit.id, unit.code, unit.name, assigned.get(i, 0)
            )
        )
    counted = [Scored(c.reviewer_id, c.project_id, c.scores) for c in await reviews.counted(db)]
    return compute(campaign.criteria, campaign.assessment, candidates, counted)


# --- the record: `pacesetter ranking [--csv]` -----------------------------------------------------

CSV_COLUMNS = (
    "rank",
    "raw_rank",
    "code",
    "project",
    "unit",
    "calibrated",
    "raw",
    "median",
    "spread",
    "reviews",
    "flags",
)


def _number(value: float | int | None, places: int) -> str:
    return "" if value is None else f"{value:.{places}f}"


def csv_text(result: Ranking) -> str:
    """The ranking as CSV, best first: scores with 4 decimals, `unit` the unit's code,
    `reviews` the counted ones, flags joined by ';'."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in result.rows:
        writer.writerow(
            (
                _number(r.rank, 0),
                _number(r.raw_rank, 0),
                r.code,
                r.project,
                r.unit_code,
                *(_number(v, 4) for v in (r.calibrated, r.raw, r.median, r.spread)),
                r.reviews,
                ";".join(r.flags),
            )
        )
    return out.getvalue()


def _reason(flag: str, reason: Reason) -> str:
    over = ">" if flag == "spread_total" else "<" if flag == "few_reviews" else ">="
    which = f"{', '.join(reason.criteria)}: " if reason.criteria else ""
    return f"{flag} ({which}{reason.value:g} {over} {reason.limit:g})"


def table_lines(result: Ranking) -> list[tuple[str, ...]]:
    """The same, as a table's cells: 2 decimals, counted/assigned reviews, each flag with
    its reason, '-' for none."""
    lines = [CSV_COLUMNS]
    for r in result.rows:
        cells = (
            _number(r.rank, 0),
            _number(r.raw_rank, 0),
            r.code,
            r.project,
            r.unit_code,
            *(_number(v, 2) for v in (r.calibrated, r.raw, r.median, r.spread)),
            f"{r.reviews}/{r.assigned}",
            "; ".join(_reason(f, r.flag_reasons[f]) for f in r.flags),
        )
        lines.append(tuple(c or "-" for c in cells))
    return lines
