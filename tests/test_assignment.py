"""bot/assignment.py: who reviews which candidate, checked over random organisations.

An organisation here is units owning projects, some of them candidates; reviewers may also hold
roles (secretary of a unit, lead or member of a project), which puts that unit in their
conflict set, as the caller computes it from the roles table.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter, defaultdict
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.assignment import Assignment, Candidate, Reviewer, Shortfall, assign, conflicted

PROPERTY = settings(max_examples=150, deadline=None)


@dataclass(frozen=True)
class Org:
    candidates: tuple[Candidate, ...]
    reviewers: tuple[Reviewer, ...]
    per_candidate: int
    conflict: str


@st.composite
def orgs(draw: st.DrawFn, *, conflict: st.SearchStrategy[str] | None = None) -> Org:
    units = draw(st.integers(1, 5))
    projects = [
        (project, unit)
        for unit in range(1, units + 1)
        for project in range(unit * 100, unit * 100 + draw(st.integers(1, 5)))
    ]
    chosen = draw(st.lists(st.sampled_from(projects), min_size=1, max_size=20, unique=True))
    candidates = tuple(Candidate(project, unit) for project, unit in chosen)
    reviewers = []
    for user in draw(st.lists(st.integers(1, 10_000), min_size=1, max_size=14, unique=True)):
        # A role in a project counts for its unit, as does being the unit's secretary.
        roles = draw(st.lists(st.sampled_from(projects), max_size=3))
        secretary = draw(st.lists(st.integers(1, units), max_size=1))
        reviewers.append(Reviewer(user, frozenset([u for _, u in roles] + secretary)))
    return Org(
        candidates,
        tuple(reviewers),
        draw(st.integers(0, 7)),
        draw(conflict if conflict is not None else st.sampled_from(("unit", "none"))),
    )


def run(org: Org, **kwargs: object) -> Assignment:
    return assign(org.candidates, org.reviewers, org.per_candidate, conflict=org.conflict, **kwargs)


def eligible(org: Org, candidate: Candidate) -> list[Reviewer]:
    return [r for r in org.reviewers if not conflicted(r, candidate, org.conflict)]


def loads(result: Assignment) -> Counter[int]:
    return Counter(user for user, _ in result.pairs)


@given(orgs())
@PROPERTY
def test_no_reviewer_is_given_a_candidate_of_a_unit_where_they_hold_a_role(org: Org) -> None:
    result = run(org)
    by_id = {r.user_id: r for r in org.reviewers}
    units = {c.project_id: c.unit_id for c in org.candidates}
    for user, project in result.pairs:
        assert org.conflict == "none" or units[project] not in by_id[user].units
    assert result.added == result.pairs


@given(orgs())
@PROPERTY
def test_each_candidate_gets_its_reviewers_or_every_eligible_one(org: Org) -> None:
    result = run(org)
    got = Counter(project for _, project in result.pairs)
    short = []
    for c in org.candidates:
        can = len(eligible(org, c))
        want = can if org.per_candidate == 0 else min(org.per_candidate, can)
        assert got[c.project_id] == want
        if org.per_candidate and can < org.per_candidate:
            short.append(Shortfall(c.project_id, can))
    assert sorted(result.short, key=lambda s: s.project_id) == sorted(
        short, key=lambda s: s.project_id
    )


@given(orgs())
@PROPERTY
def test_load_is_even_among_reviewers_who_may_take_the_same_candidate(org: Org) -> None:
    """For a candidate c and reviewers a (given c) and b (may take c, not given it):
    load(a) ≤ load(b) + 1."""
    result = run(org)
    load = loads(result)
    for c in org.candidates:
        holders = {u for u, p in result.pairs if p == c.project_id}
        for a, b in itertools.product(holders, eligible(org, c)):
            if b.user_id not in holders:
                assert load[a] <= load[b.user_id] + 1, (c, a, b.user_id, load)


@given(orgs(conflict=st.just("none")))
@PROPERTY
def test_without_conflicts_max_minus_min_load_is_at_most_one(org: Org) -> None:
    load = loads(run(org))
    every = [load[r.user_id] for r in org.reviewers]
    assert max(every) - min(every) <= 1


@given(orgs(conflict=st.just("none")))
@PROPERTY
def test_without_conflicts_the_reviewers_are_linked_where_the_numbers_allow(org: Org) -> None:
    """The co-review graph (reviewers joined when they share a candidate) is connected when it
    can be: each candidate joins at most N − 1 more reviewers, so it needs C·(N − 1) ≥ R − 1."""
    n = org.per_candidate or len(org.reviewers)
    reviewers = len(org.reviewers)
    if n < 2 or len(org.candidates) * (min(n, reviewers) - 1) < reviewers - 1:
        return
    result = run(org)
    group = {r.user_id: r.user_id for r in org.reviewers}

    def root(user: int) -> int:
        while group[user] != user:
            user = group[user]
        return user

    by_candidate: dict[int, list[int]] = defaultdict(list)
    for user, project in result.pairs:
        by_candidate[project].append(user)
    for users in by_candidate.values():
        for user in users[1:]:
            group[root(user)] = root(users[0])
    assert len({root(r.user_id) for r in org.reviewers}) == 1


@given(orgs(), st.randoms(use_true_random=False))
@PROPERTY
def test_the_same_input_in_any_order_gives_the_same_pairs(org: Org, rnd: random.Random) -> None:
    first = run(org)
    candidates, reviewers = list(org.candidates), list(org.reviewers)
    rnd.shuffle(candidates)
    rnd.shuffle(reviewers)
    again = assign(candidates, reviewers, org.per_candidate, conflict=org.conflict)
    assert again == first


@given(orgs(), st.data())
@PROPERTY
def test_rerun_with_reviewers_who_joined_later_keeps_every_pair(
    org: Org, data: st.DataObject
) -> None:
    split = data.draw(st.integers(0, len(org.reviewers)))
    early = Org(org.candidates, org.reviewers[:split], org.per_candidate, org.conflict)
    before = run(early)
    after = run(org, kept=before.pairs)
    assert before.pairs <= after.pairs
    assert after.added == after.pairs - before.pairs
    by_id = {r.user_id: r for r in org.reviewers}
    got = Counter(p for _, p in after.pairs)
    for user, project in after.added:
        candidate = next(c for c in org.candidates if c.project_id == project)
        assert not conflicted(by_id[user], candidate, org.conflict)
    for c in org.candidates:
        can = len(eligible(org, c))
        want = can if org.per_candidate == 0 else min(org.per_candidate, can)
        assert got[c.project_id] == max(want, Counter(p for _, p in before.pairs)[c.project_id])
    load = loads(after)
    for user, project in after.added:
        candidate = next(c for c in org.candidates if c.project_id == project)
        for b in eligible(org, candidate):
            if (b.user_id, project) not in after.pairs:
                assert load[user] <= load[b.user_id] + 1


def test_a_secretary_who_reviews_is_never_given_their_units_candidate() -> None:
    candidates = [Candidate(11, unit_id=1), Candidate(21, unit_id=2), Candidate(22, unit_id=2)]
    reviewers = [Reviewer(7, frozenset({1})), Reviewer(8), Reviewer(9, frozenset({2}))]
    result = assign(candidates, reviewers, 2)
    assert result.pairs == {(8, 11), (9, 11), (7, 21), (8, 21), (7, 22), (8, 22)}
    assert result.short == ()
    result = assign(candidates, reviewers, 3)
    assert result.short == (Shortfall(11, 2), Shortfall(21, 2), Shortfall(22, 2))
    assert len(assign(candidates, reviewers, 2, conflict="none").pairs) == 6


def test_conflicts_that_leave_the_first_pass_uneven_are_evened_out() -> None:
    # Only 10 and 14 may take unit 1's two candidates; only 10 and 12 unit 2's five.
    candidates = [Candidate(p, 1) for p in (1, 2)] + [Candidate(p, 2) for p in range(3, 8)]
    reviewers = [
        Reviewer(10),
        Reviewer(11, frozenset({1, 2})),
        Reviewer(12, frozenset({1})),
        Reviewer(13, frozenset({1, 2})),
        Reviewer(14, frozenset({2})),
    ]
    load = loads(assign(candidates, reviewers, 1))
    assert sorted(load.values()) == [2, 2, 3]
    assert load[11] == load[13] == 0


def test_zero_means_every_reviewer_reviews_every_candidate_without_a_conflict() -> None:
    candidates = [Candidate(11, 1), Candidate(21, 2)]
    reviewers = [Reviewer(7, frozenset({1})), Reviewer(8), Reviewer(9)]
    result = assign(candidates, reviewers, 0)
    assert result.pairs == {(8, 11), (9, 11), (7, 21), (8, 21), (9, 21)}
    assert result.short == ()


def test_a_recused_pair_is_not_made_again_and_counts_for_nothing() -> None:
    candidates = [Candidate(11, 1)]
    reviewers = [Reviewer(7), Reviewer(8), Reviewer(9)]
    result = assign(candidates, reviewers, 2, kept={(7, 11)}, barred={(8, 11)})
    assert result.pairs == {(7, 11), (9, 11)}
    assert result.added == {(9, 11)}


def test_kept_pairs_count_towards_the_load() -> None:
    candidates = [Candidate(11, 1), Candidate(12, 1), Candidate(13, 1)]
    reviewers = [Reviewer(7), Reviewer(8)]
    kept = {(7, 11), (7, 12)}
    result = assign(candidates, reviewers, 1, kept=kept)
    assert result.added == {(8, 13)}


def test_a_negative_count_or_an_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError):
        assign([Candidate(1, 1)], [Reviewer(1)], -1)
    with pytest.raises(ValueError):
        assign([Candidate(1, 1)], [Reviewer(1)], 1, conflict="team")
