"""A review's scores read as numbers: plain functions, data in, data out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.campaign import Criterion


def weighted_total(
    criteria: Sequence[Criterion], scores: Mapping[str, int], *, partial: bool = False
) -> float:
    """Σ weight × score over the campaign's criteria. A card's running total passes
    `partial=True` and counts only the criteria set so far; otherwise each must be set.
    A score outside 0..scale, or for a criterion the campaign does not have, is refused."""
    keys = {c.key for c in criteria}
    unknown = sorted(set(scores) - keys)
    if unknown:
        raise ValueError(f"no such criterion: {', '.join(unknown)}")
    total = 0.0
    for criterion in criteria:
        if criterion.key not in scores:
            if partial:
                continue
            raise ValueError(f"criterion {criterion.key} has no score")
        value = scores[criterion.key]
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 0 <= value <= criterion.scale
        ):
            raise ValueError(
                f"{criterion.key}: {value!r} is not a whole number 0–{criterion.scale}"
            )
        total += criterion.weight * value
    return total


def max_total(criteria: Sequence[Criterion]) -> float:
    """The highest weighted total a review can reach: every criterion at the top of its scale."""
    return sum(c.weight * c.scale for c in criteria)
