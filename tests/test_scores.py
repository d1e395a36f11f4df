"""bot/scores.py: a review's weighted total."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.campaign import Criterion, Localized
from bot.campaign_load import load_campaign
from bot.scores import max_total, weighted_total

TEXT = Localized({"en": "x"})


def criterion(key: str, weight: float = 1.0, scale: int = 10) -> Criterion:
    return Criterion(key, TEXT, TEXT, weight, scale)


def test_the_total_weighs_each_criterion():
    criteria = [criterion("a", 2.0), criterion("b", 0.5), criterion("c", 1.0, scale=5)]
    assert weighted_total(criteria, {"a": 7, "b": 4, "c": 5}) == 2.0 * 7 + 0.5 * 4 + 5
    assert max_total(criteria) == 2.0 * 10 + 0.5 * 10 + 5


def test_the_built_in_campaign_totals_six_criteria_out_of_sixty():
    criteria = load_campaign().criteria
    assert len(criteria) == 6 and max_total(criteria) == 60
    scores = dict(zip((c.key for c in criteria), (8, 7, 9, 6, 10, 5), strict=True))
    assert weighted_total(criteria, scores) == 45


def test_a_running_total_counts_the_criteria_set_so_far():
    criteria = [criterion("a", 2.0), criterion("b")]
    assert weighted_total(criteria, {"a": 3}, partial=True) == 6
    assert weighted_total(criteria, {}, partial=True) == 0
    with pytest.raises(ValueError, match="criterion b has no score"):
        weighted_total(criteria, {"a": 3})


@pytest.mark.parametrize("scores", [{"a": 11}, {"a": -1}, {"a": 2.5}, {"a": True}, {"z": 1}])
def test_a_score_off_the_scale_or_for_no_criterion_is_refused(scores):
    with pytest.raises(ValueError):
        weighted_total([criterion("a")], scores, partial=True)


@given(
    st.lists(
        st.tuples(st.floats(0.1, 5, allow_nan=False), st.integers(2, 100), st.data()),
        min_size=1,
        max_size=8,
    )
)
@settings(max_examples=100, deadline=None)
def test_the_total_is_between_zero_and_the_maximum(rows):
    criteria, scores = [], {}
    for i, (weight, scale, data) in enumerate(rows):
        criteria.append(criterion(f"c{i}", weight, scale))
        scores[f"c{i}"] = data.draw(st.integers(0, scale))
    total = weighted_total(criteria, scores)
    assert 0 <= total <= max_total(criteria) + 1e-9
    assert total == pytest.approx(sum(c.weight * scores[c.key] for c in criteria))
