"""Stage 3's assignment as stored: the plan for what is in the database now (bot/assignment.py
over the candidates, the reviewers and their units, the reviews already made), and, with
`reviewers_per_candidate = 0`, the reviews everyone has without an /assign step."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bot.assignment import Assignment, Candidate, Reviewer, assign, conflicted
from bot.campaign import Campaign
from storage import finals, orgs, reviews, roles
from storage.db import Executor, Transaction


@dataclass(frozen=True)
class Plan:
    candidates: tuple[finals.Candidate, ...]
    reviewers: tuple[int, ...]
    per_candidate: int
    result: Assignment
    conflicts: int  # (reviewer, candidate) pairs never made for a conflict

    @property
    def fingerprint(self) -> int:
        """Short enough for a button; a different set of pairs to add gives another."""
        text = ",".join(f"{r}:{p}" for r, p in sorted(self.result.added))
        return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "big")


async def plan(db: Executor, campaign: Campaign) -> Plan:
    rules = campaign.assessment
    listed = await finals.candidates(db)
    projects = await orgs.projects_by_ids(db, [c.project_id for c in listed])
    unit_of = {p.id: p.unit_id for p in projects}
    candidates = [Candidate(c.project_id, unit_of[c.project_id]) for c in listed]
    reviewer_ids = sorted(await roles.holder_ids(db, ["reviewer"]))
    grants = await roles.of_users(db, reviewer_ids)
    # A reviewer's units: wherever they hold any role (secretary, lead, member).
    people = [
        Reviewer(u, frozenset(g.unit_id for g in grants[u] if g.unit_id is not None))
        for u in reviewer_ids
    ]
    kept, barred = await reviews.pairs(db)
    result = assign(
        candidates,
        people,
        rules.reviewers_per_candidate,
        conflict=rules.conflict,
        kept=kept,
        barred=barred,
    )
    conflicts = sum(1 for r in people for c in candidates if conflicted(r, c, rules.conflict))
    return Plan(
        tuple(listed), tuple(reviewer_ids), rules.reviewers_per_candidate, result, conflicts
    )


async def ensure_everyone(tx: Transaction, campaign: Campaign) -> int:
    """With `reviewers_per_candidate = 0`, give every reviewer every candidate they have no
    conflict with (a reviewer or a candidate added later too); otherwise nothing, /assign
    decides. Returns how many reviews were added."""
    if campaign.assessment.reviewers_per_candidate != 0:
        return 0
    wanted = await plan(tx, campaign)
    if not wanted.result.added:
        return 0
    return await reviews.assign(tx, wanted.result.added, by=None)
