"""Which reviewer reviews which candidate in stage 3 (assessment): data in, data out.

`assign` gives each candidate `per_candidate` reviewers (all eligible ones when fewer, or with
`per_candidate = 0`), never one with a conflict, keeping every pair it is given and only adding.

How it chooses. Candidates are filled one at a time, the most constrained first (fewest eligible
reviewers, then project id). For each, reviewers are picked one by one by the key
(load, already linked, shared, user id):
- load: the fewest candidates so far, so the work stays even (with no conflicts this alone keeps
  max − min load ≤ 1: the N least loaded are always picked);
- already linked: a reviewer not yet connected, through any chain of shared candidates, to the
  ones already picked for this candidate comes first, so the reviewers' co-review graph joins up
  as early as possible (calibrating a reviewer's leniency needs them compared with the others);
- shared: then the fewest candidates shared with the ones already picked, spreading the pairs
  so that as many pairs of reviewers as possible share some candidate;
- the user id last, so the same input always gives the same answer.
Conflicts can leave the greedy pass uneven; a last pass moves added pairs from a reviewer to a
less loaded one who may take the same candidate until none is two or more behind. Each move
lowers the sum of squared loads, so the pass ends.

What it guarantees (tests/test_assignment.py checks each over random org trees):
- no added pair has a conflict, and no reviewer is given a candidate twice;
- a candidate gets min(per_candidate, kept + eligible) reviewers (its kept ones all, when they
  are more); any fewer than per_candidate is named in `short` with the number it got;
- balance: for any candidate c and two reviewers a and b both eligible for it, where a was given
  c in this run and b does not have it, load(a) ≤ load(b) + 1. With no conflicts and nothing
  kept, every reviewer is eligible for all the work and this is max − min load ≤ 1 overall;
- the same input, in any order, gives the same pairs;
- every kept pair is in the answer: re-running with reviewers who joined later only adds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

CONFLICT_UNIT = "unit"
CONFLICT_NONE = "none"


@dataclass(frozen=True)
class Candidate:
    project_id: int
    unit_id: int


@dataclass(frozen=True)
class Reviewer:
    user_id: int
    # The units where the reviewer holds any role (secretary, lead, member, …).
    units: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Shortfall:
    project_id: int
    got: int  # reviewers the candidate has, fewer than wanted


@dataclass(frozen=True)
class Assignment:
    # (reviewer user id, project id): the kept pairs and the added ones.
    pairs: frozenset[tuple[int, int]]
    added: frozenset[tuple[int, int]]
    short: tuple[Shortfall, ...]

    def load(self, user_id: int) -> int:
        return sum(1 for reviewer, _ in self.pairs if reviewer == user_id)


def conflicted(reviewer: Reviewer, candidate: Candidate, conflict: str) -> bool:
    if conflict == CONFLICT_NONE:
        return False
    if conflict == CONFLICT_UNIT:
        return candidate.unit_id in reviewer.units
    raise ValueError(f"unknown conflict rule {conflict!r}")


def assign(
    candidates: Iterable[Candidate],
    reviewers: Iterable[Reviewer],
    per_candidate: int,
    *,
    conflict: str = CONFLICT_UNIT,
    kept: Iterable[tuple[int, int]] = (),
    barred: Iterable[tuple[int, int]] = (),
) -> Assignment:
    """Pairs to add to `kept` (assignments that must not move: started, submitted, or simply
    made earlier). `barred` pairs are never made and count for nothing: a recusal. Kept pairs
    count towards a candidate's reviewers and a reviewer's load."""
    if per_candidate < 0:
        raise ValueError("per_candidate must not be negative")
    candidates = sorted(set(candidates), key=lambda c: c.project_id)
    people = sorted(set(reviewers), key=lambda r: r.user_id)
    kept = frozenset(kept)
    barred = frozenset(barred) - kept
    load: dict[int, int] = defaultdict(int)
    holders: dict[int, set[int]] = defaultdict(set)
    for user, project in kept:
        load[user] += 1
        holders[project].add(user)
    eligible = {
        c.project_id: [
            r.user_id
            for r in people
            if r.user_id not in holders[c.project_id]
            and (r.user_id, c.project_id) not in barred
            and not conflicted(r, c, conflict)
        ]
        for c in candidates
    }
    graph = _CoReview(holders)
    added: set[tuple[int, int]] = set()
    order = sorted(candidates, key=lambda c: (len(eligible[c.project_id]), c.project_id))
    for c in order:
        pool = list(eligible[c.project_id])
        want = len(pool) if per_candidate == 0 else per_candidate - len(holders[c.project_id])
        chosen = sorted(holders[c.project_id])
        for _ in range(max(0, min(want, len(pool)))):
            pick = min(pool, key=lambda r: graph.key(r, chosen, load[r]))
            pool.remove(pick)
            graph.join(pick, chosen)
            chosen.append(pick)
            load[pick] += 1
            added.add((pick, c.project_id))
        holders[c.project_id].update(chosen)
    _even_out(order, eligible, added, load)
    short = tuple(
        Shortfall(c.project_id, len(holders[c.project_id]))
        for c in candidates
        if per_candidate and len(holders[c.project_id]) < per_candidate
    )
    return Assignment(frozenset(kept | added), frozenset(added), short)


class _CoReview:
    """Who has reviewed alongside whom: the count per pair and the connected groups."""

    def __init__(self, holders: dict[int, set[int]]) -> None:
        self.shared: dict[tuple[int, int], int] = defaultdict(int)
        self.parent: dict[int, int] = {}
        for users in holders.values():
            ordered = sorted(users)
            for i, user in enumerate(ordered):
                self.join(user, ordered[:i])

    def root(self, user: int) -> int:
        while self.parent.get(user, user) != user:
            user = self.parent[user]
        return user

    def key(self, user: int, chosen: list[int], load: int) -> tuple[int, bool, int, int]:
        roots = {self.root(other) for other in chosen}
        together = sum(self.shared[_pair(user, other)] for other in chosen)
        return load, self.root(user) in roots, together, user

    def join(self, user: int, chosen: list[int]) -> None:
        for other in chosen:
            self.shared[_pair(user, other)] += 1
            a, b = sorted((self.root(user), self.root(other)))
            if a != b:
                self.parent[b] = a


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _even_out(
    order: list[Candidate],
    eligible: dict[int, list[int]],
    added: set[tuple[int, int]],
    load: dict[int, int],
) -> None:
    """Move added pairs from a reviewer to one two or more candidates lighter who may take the
    same candidate, until there is no such move."""
    moved = True
    while moved:
        moved = False
        for c in order:
            project = c.project_id
            have = [u for u in eligible[project] if (u, project) in added]
            free = [u for u in eligible[project] if (u, project) not in added]
            if not have or not free:
                continue
            have.sort(key=lambda u: (-load[u], u))
            free.sort(key=lambda u: (load[u], u))
            if load[have[0]] - load[free[0]] >= 2:
                heavy, light = have[0], free[0]
                added.remove((heavy, project))
                added.add((light, project))
                load[heavy] -= 1
                load[light] += 1
                moved = True
