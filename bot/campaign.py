"""The campaign model: stages, sections, criteria and the rest of what a campaign file says.

Loading a file is bot/campaign_load.py; checking what it says, bot/campaign_validate.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from fractions import Fraction
from types import MappingProxyType
from zoneinfo import ZoneInfo

LOCALES: tuple[str, ...] = ("zh-Hant", "zh-Hans", "en")
STAGE_KEYS: tuple[str, ...] = ("apply", "cultivate", "assess", "consolidate")
ROUNDINGS: tuple[str, ...] = ("ceil", "floor", "round")
SECTION_KINDS: tuple[str, ...] = ("text", "number", "files")
DELIVERABLE_KINDS: tuple[str, ...] = ("document", "video", "booklet")
FINAL_KINDS: tuple[str, ...] = ("document", "photo", "text")  # how a final item may come
CONFLICT_RULES: tuple[str, ...] = ("unit", "none")
RANKINGS: tuple[str, ...] = ("calibrated", "raw")

# Keys travel inside Telegram callback data, which is capped at 64 bytes.
KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,23}")

BUILT_IN = "built-in"


# --- the model -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Localized:
    values: Mapping[str, str]

    def __post_init__(self) -> None:
        # A read-only copy keeps the frozen dataclass honest.
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.values.items())))

    def get(self, locale: str) -> str:
        if locale in self.values:
            return self.values[locale]
        if "en" in self.values:
            return self.values["en"]
        return next(iter(self.values.values()), "")


DEFAULT_SECTION_CHARS = 30_000


@dataclass(frozen=True)
class Quota:
    ratio: Fraction
    rounding: str
    minimum: int


@dataclass(frozen=True)
class Stage:
    key: str
    title: Localized
    opens: datetime
    deadline: datetime
    remind: tuple[timedelta, ...]
    description: Localized | None = None
    # After the deadline, each unit's secretaries hear which of its projects did not deliver.
    escalate: bool = False


@dataclass(frozen=True)
class Section:
    key: str
    title: Localized
    hint: Localized
    kind: str
    required: bool
    # A text answer's length in characters, all its messages together: a bound that keeps a
    # preview readable on a phone (some fifteen pages of Chinese text).
    max_chars: int = DEFAULT_SECTION_CHARS
    # Other titles offices give the section in a Word file (a funding budget for the budget),
    # in any language: a heading matches these as it matches the title.
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Criterion:
    key: str
    title: Localized
    description: Localized
    weight: float
    scale: int


@dataclass(frozen=True)
class Activity:
    key: str
    title: Localized


@dataclass(frozen=True)
class Deliverable:
    key: str
    title: Localized
    kind: str


@dataclass(frozen=True)
class FinalItem:
    """What each candidate hands in for the assessment (a work summary, a results report)."""

    key: str
    title: Localized
    accepts: tuple[str, ...] = FINAL_KINDS


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time


DEFAULT_QUIET_HOURS = QuietHours(time(22, 0), time(8, 0))


@dataclass(frozen=True)
class Assessment:
    """How stage 3 (assessment) assigns reviewers and, in the next step, reads their scores."""

    # Reviewers per candidate; 0 = every reviewer reviews every candidate (no /assign step).
    reviewers_per_candidate: int = 5
    # "unit": a reviewer holding any role in a candidate's unit is never assigned it.
    conflict: str = "unit"
    # How strongly a reviewer's offset is pulled towards 0 when calibrating (in reviews).
    shrinkage: float = 2.0
    # A reviewer sees the others' anonymised scores for a candidate after submitting their own.
    show_others_after_own: bool = False
    # The quick group vote (/vote CODE) in the reviewers' chat.
    vote: bool = False
    # A candidate's reviews are flagged as disagreeing when the totals spread more than this
    # fraction of the maximum total, or one criterion's scores spread more than this many points.
    spread_total: float = 0.2
    spread_criterion: float = 4.0
    # Fewer counted reviews than this and a candidate is flagged (few_reviews); it is still ranked.
    min_reviews: int = 3
    rank_by: str = "calibrated"
    # How many pacesetters the campaign means to select: /select suggests the top this many.
    pacesetters: int | None = None


DEFAULT_ASSESSMENT = Assessment()


@dataclass(frozen=True)
class Consolidation:
    """Stage 4 (consolidation): what the results booklet shows."""

    # The six-criteria radar and the scores appear in the booklet only when the admins publish them.
    publish_scores: bool = False
    # Who compiles the booklet, on its cover (the organiser's Party committee, say).
    organisation: str | None = None


DEFAULT_CONSOLIDATION = Consolidation()


@dataclass(frozen=True)
class Campaign:
    timezone: ZoneInfo
    default_locale: str
    name: Localized
    quota: Quota
    stages: tuple[Stage, ...]
    sections: tuple[Section, ...]
    criteria: tuple[Criterion, ...]
    activities: tuple[Activity, ...]
    deliverables: tuple[Deliverable, ...]
    finals: tuple[FinalItem, ...] = ()
    quiet_hours: QuietHours = DEFAULT_QUIET_HOURS
    assessment: Assessment = DEFAULT_ASSESSMENT
    consolidation: Consolidation = DEFAULT_CONSOLIDATION
    # Where people read the one-page guide (docs/guide.zh-Hans.md, published): /help links it.
    guide_url: str | None = None
    source: str = field(default=BUILT_IN, compare=False)

    def stage(self, key: str) -> Stage:
        for stage in self.stages:
            if stage.key == key:
                return stage
        raise KeyError(key)

    def activity(self, key: str | None) -> Activity | None:
        """The activity with this key; None for none (or a key the campaign no longer has)."""
        return next((a for a in self.activities if a.key == key), None)

    def criterion(self, key: str | None) -> Criterion | None:
        """The criterion with this key; None for none (or a key the campaign no longer has)."""
        return next((c for c in self.criteria if c.key == key), None)

    def final(self, key: str | None) -> FinalItem | None:
        """The final item with this key; None for none (or one the campaign no longer has)."""
        return next((f for f in self.finals if f.key == key), None)

    def current_stage(self, now: datetime) -> Stage | None:
        _require_aware(now)
        for stage in self.stages:
            if stage.opens <= now < stage.deadline:
                return stage
        return None

    def is_open(self, key: str, now: datetime) -> bool:
        _require_aware(now)
        stage = self.stage(key)
        return stage.opens <= now < stage.deadline

    def local(self, moment: datetime) -> datetime:
        _require_aware(moment)
        return moment.astimezone(self.timezone)


def _require_aware(moment: datetime) -> None:
    # Comparing naive with aware datetimes would raise deep inside; say so plainly here.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")


class CampaignError(Exception):
    def __init__(self, problems: list[tuple[str, str]], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source  # the campaign file, when the problems are in one
        super().__init__(self.problems)

    def __str__(self) -> str:
        return "\n".join(f"{key}: {message}" if key else message for key, message in self.problems)


def with_deadline(campaign: Campaign, stage_key: str, deadline: datetime) -> Campaign:
    index = next((i for i, s in enumerate(campaign.stages) if s.key == stage_key), None)
    if index is None:
        raise KeyError(stage_key)
    where = f"stage[{index}].deadline"
    if deadline.tzinfo is None or deadline.utcoffset() is None:
        raise CampaignError([(where, "needs a UTC offset such as +08:00")])
    deadline = deadline.astimezone(UTC)
    stage = campaign.stages[index]
    if deadline <= stage.opens:
        raise CampaignError([(where, "must be after opens")])
    # An extension may run into the next stage: late applications and early cultivation can
    # overlap for a few days. Ask `is_open(key, now)`; current_stage picks the earlier one.
    stages = list(campaign.stages)
    stages[index] = replace(stage, deadline=deadline)
    return replace(campaign, stages=tuple(stages))
