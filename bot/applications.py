"""Application rules: which sections are finished, what is missing, who may do what when."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.access import Actor
from bot.campaign import Campaign, Quota, Section, with_deadline
from bot.rules import unit_quota
from storage import applications, orgs
from storage.applications import Answer, Application, Listed, Part
from storage.db import Executor

EDITABLE = ("draft", "returned")  # the lead may change the answers
WITHDRAWABLE = ("submitted",)  # until the unit decides
MAX_ANSWER_PARTS = 50  # messages in one section: a bound, not a target


def is_finished(section: Section, answer: Answer | None) -> bool:
    """Answered (Done only moves on: what was sent counts), or an optional section skipped."""
    if answer is None:
        return False
    if answer.state == "skipped" and not has_content(section, answer):
        return not section.required
    return has_content(section, answer)


def has_content(section: Section, answer: Answer | None) -> bool:
    if answer is None:
        return False
    if section.kind == "number":
        return answer.amount is not None
    if section.kind == "files":
        return bool(answer.files)
    return bool(answer.text.strip())


def first_unfinished(sections: Sequence[Section], answers: Mapping[str, Answer]):
    return next((s for s in sections if not is_finished(s, answers.get(s.key))), None)


def missing_required(sections: Sequence[Section], answers: Mapping[str, Answer]) -> list[Section]:
    return [s for s in sections if s.required and not is_finished(s, answers.get(s.key))]


def neighbour(sections: Sequence[Section], key: str, step: int) -> Section | None:
    keys = [s.key for s in sections]
    index = keys.index(key) + step
    return sections[index] if 0 <= index < len(sections) else None


@dataclass(frozen=True)
class Summary:
    """What a decision card shows of an application instead of its text."""

    amounts: tuple[tuple[Section, Decimal], ...]  # the number sections answered
    answered: int  # sections with content
    sections: int
    required_missing: int  # required sections without content
    files: int


def summary(sections: Sequence[Section], answers: Mapping[str, Answer]) -> Summary:
    amounts = tuple(
        (s, answers[s.key].amount)
        for s in sections
        if s.kind == "number" and s.key in answers and answers[s.key].amount is not None
    )
    return Summary(
        amounts=amounts,
        answered=sum(has_content(s, answers.get(s.key)) for s in sections),
        sections=len(sections),
        required_missing=sum(
            s.required and not has_content(s, answers.get(s.key)) for s in sections
        ),
        files=sum(len(answer.files) for answer in answers.values()),
    )


def next_waiting(waiting: Sequence[Listed], current: Application) -> Listed | None:
    """The application after `current` in submission order, round to the first again; never
    `current` itself (so "next" walks through them all, whether or not each was decided)."""

    def order(application: Application) -> tuple[float, int]:
        stamp = application.submitted_at.timestamp() if application.submitted_at else 0.0
        return stamp, application.id

    others = [item for item in waiting if item.application.id != current.id]
    later = [item for item in others if order(item.application) > order(current)]
    return min(later or others, key=lambda item: order(item.application), default=None)


def section_by_key(sections: Sequence[Section], key: str) -> Section | None:
    return next((s for s in sections if s.key == key), None)


def with_overrides(campaign: Campaign, overrides: Mapping[str, datetime]) -> Campaign:
    """The campaign with the deadlines admins moved (stored in SQLite) applied."""
    for stage_key, deadline in overrides.items():
        campaign = with_deadline(campaign, stage_key, deadline)
    return campaign


def stage_phase(campaign: Campaign, key: str, now: datetime) -> str:
    """'before', 'open' or 'closed'."""
    stage = campaign.stage(key)
    if now < stage.opens:
        return "before"
    return "open" if now < stage.deadline else "closed"


async def places(db: Executor, unit_id: int, quota: Quota) -> tuple[int, int]:
    """(places used, places in all) for a unit: its quota of nominations."""
    total = unit_quota(await orgs.project_count(db, unit_id), quota)
    return await applications.places_used(db, unit_id), total


ALBUM_LIMIT = 10  # items Telegram takes in one sendMediaGroup
_IN_ALBUMS = {"photo": "media", "video": "media", "document": "document"}


def file_batches(
    sections: Sequence[Section], answers: Mapping[str, Answer]
) -> list[tuple[Section, tuple[Part, ...]]]:
    """An application's files as they are sent on: section by section, in the order the lead
    sent them; photos and videos in albums, documents in groups of their own (Telegram mixes
    neither), at most ten to a message."""
    batches: list[tuple[Section, tuple[Part, ...]]] = []
    for section in sections:
        answer = answers.get(section.key)
        run: list[Part] = []
        for part in answer.files if answer else ():
            full = len(run) == ALBUM_LIMIT
            if run and (full or _IN_ALBUMS.get(run[-1].kind) != _IN_ALBUMS.get(part.kind)):
                batches.append((section, tuple(run)))
                run = []
            run.append(part)
        if run:
            batches.append((section, tuple(run)))
    return batches


def may_read(actor: Actor, status: str, unit_id: int, project_id: int) -> bool:
    """Its leads always; the unit's secretaries and the organiser once it was submitted (a
    draft is the lead's alone, on every path)."""
    if actor.is_lead_of(project_id):
        return True
    return status != "draft" and (actor.is_admin or actor.is_secretary_of(unit_id))


def everyone(by_role: Mapping[str, set[int]]) -> set[int]:
    return set().union(*by_role.values())


def deadline_window(campaign: Campaign) -> tuple[int, int]:
    """The years a deadline may fall in: the campaign's own, and the year after."""
    first = campaign.local(campaign.stages[0].opens).year
    last = campaign.local(campaign.stages[-1].deadline).year
    return first, last + 1
