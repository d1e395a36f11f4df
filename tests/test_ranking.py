"""bot/ranking.py: raw and calibrated scores, competition ranks and flags; their properties
(hypothesis), the harsh reviewer the calibration is for, `load` on a real SQLite file and
`pacesetter ranking [--csv]`."""

from __future__ import annotations

import asyncio
import csv
import io
import random
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot import cli, ranking
from bot.campaign import DEFAULT_ASSESSMENT, Criterion
from bot.campaign_load import load_campaign
from bot.ranking import Candidate, Reason, Scored, compute
from storage import orgs, people, reviews
from storage.db import Database
from storage.orgs import OrgRow

KEYS = ("ideology", "mechanism", "standards", "cohesion", "integration", "renewal")
CRITERIA = tuple(Criterion(k, {"en": k}, {"en": k}, 1.0, 10) for k in KEYS)
RULES = DEFAULT_ASSESSMENT
NOW = datetime(2027, 10, 10, 2, 0, tzinfo=UTC)
HARSH = 9
HEADER = "rank,raw_rank,code,project,unit,calibrated,raw,median,spread,reviews,flags"


def candidate(i: int) -> Candidate:
    return Candidate(i, f"P{i:02d}", f"Project {i}", 100 + i % 3, f"U{i % 3}", f"Unit {i % 3}")


def marks(*values: int) -> dict[str, int]:
    return dict(zip(KEYS, values, strict=True))


# Six candidates, A best; four reviewers score every one alike, and the harsh reviewer gives
# A and B, and only them, 3 points less on each criterion (18 less in all).
SIX = {
    1: marks(9, 9, 9, 8, 8, 8),  # A: 51
    2: marks(9, 9, 8, 8, 8, 8),  # B: 50
    3: marks(8, 8, 8, 8, 8, 8),  # C: 48
    4: marks(8, 8, 8, 8, 8, 7),  # D: 47
    5: marks(8, 8, 8, 8, 7, 7),  # E: 46
    6: marks(7, 7, 7, 7, 6, 6),  # F: 40
}


def harsh_case() -> list[Scored]:
    fair = [Scored(r, p, s) for r in range(1, 5) for p, s in SIX.items()]
    harsh = [Scored(HARSH, p, {k: v - 3 for k, v in SIX[p].items()}) for p in (1, 2)]
    return fair + harsh


def test_a_harsh_reviewer_of_the_two_best_puts_them_below_weaker_ones_until_calibrated():
    result = compute(CRITERIA, RULES, map(candidate, SIX), harsh_case())
    by_code = {r.code: r for r in result.rows}
    assert [by_code[c].raw for c in ("P01", "P02", "P03", "P04")] == [47.4, 46.4, 48.0, 47.0]
    assert [by_code[c].raw_rank for c in ("P01", "P02", "P03", "P04", "P05", "P06")] == [
        2,
        4,
        1,
        3,
        5,
        6,
    ]
    assert [r.code for r in result.rows] == ["P01", "P02", "P03", "P04", "P05", "P06"]
    assert [r.calibrated_rank for r in result.rows] == [r.rank for r in result.rows]
    assert [r.rank for r in result.rows] == [1, 2, 3, 4, 5, 6]
    assert [round(r.calibrated, 6) for r in result.rows] == [47.4, 46.4, 46.2, 45.2, 44.2, 38.2]
    # Two reviews and k = 2: the harsh reviewer's −18 is read as −9 against the others.
    assert {r: round(b, 6) for r, b in result.biases.items()} == {
        1: 1.8,
        2: 1.8,
        3: 1.8,
        4: 1.8,
        HARSH: -7.2,
    }
    assert by_code["P01"].flag_reasons["spread_total"] == Reason(18.0, 12.0)
    assert by_code["P01"].spread == 18.0 and by_code["P01"].median == 51.0
    assert by_code["P01"].means == {k: v - 0.6 for k, v in SIX[1].items()}


def test_ranked_by_raw_when_the_campaign_says_so():
    rules = replace(RULES, rank_by="raw")
    result = compute(CRITERIA, rules, map(candidate, SIX), harsh_case())
    assert [r.code for r in result.rows] == ["P03", "P01", "P04", "P02", "P05", "P06"]
    assert [r.rank for r in result.rows] == [1, 2, 3, 4, 5, 6]
    assert [r.calibrated_rank for r in result.rows] == [3, 1, 4, 2, 5, 6]
    calibrated = compute(CRITERIA, RULES, map(candidate, SIX), harsh_case())
    # Either ranking's rows sorted by the other rank: a view's sort button.
    assert [r.code for r in calibrated.by("raw")] == [r.code for r in result.rows]
    assert [r.code for r in result.by("calibrated")] == [r.code for r in calibrated.rows]


def test_ties_at_two_decimals_share_a_rank_competition_style_and_no_score_comes_last():
    scores = {1: 9.0, 2: 8.004, 3: 7.996, 4: 7.0, 5: None}
    assert ranking.competition_ranks(scores) == {1: 1, 2: 2, 3: 2, 4: 4, 5: None}
    counted = [Scored(1, p, marks(*[v] * 6)) for p, v in ((1, 5), (2, 7), (3, 7), (4, 9))]
    counted += [Scored(2, p, marks(*[v] * 6)) for p, v in ((1, 5), (2, 7), (3, 7), (4, 9))]
    # Listed out of order: a tie is shown in code order, the rank shared.
    result = compute(CRITERIA, RULES, map(candidate, (5, 3, 1, 2, 4)), counted)
    assert [(r.code, r.rank, r.raw_rank) for r in result.rows] == [
        ("P04", 1, 1),
        ("P02", 2, 2),
        ("P03", 2, 2),
        ("P01", 4, 4),
        ("P05", None, None),
    ]
    last = result.rows[-1]
    assert (last.raw, last.calibrated, last.median, last.spread, last.means) == (
        None,
        None,
        None,
        None,
        {},
    )
    assert last.flags == ("few_reviews",)
    assert last.flag_reasons == {"few_reviews": Reason(0, 3)}


def test_each_flag_with_its_reason():
    counted = [
        # P01: totals 60, 42, 54: spread 18 > 12; ideology 10 vs 4, mechanism 10 vs 5.
        Scored(1, 1, marks(10, 10, 10, 10, 10, 10)),
        Scored(2, 1, marks(4, 5, 9, 8, 8, 8)),
        Scored(3, 1, marks(9, 9, 9, 9, 9, 9)),
        # P02: two reviews, alike: few, no spread.
        Scored(1, 2, marks(5, 5, 5, 5, 5, 5)),
        Scored(2, 2, marks(5, 5, 5, 5, 5, 5)),
        # P03: spread exactly 12 (not above) and 3 points on one criterion (under 4).
        Scored(1, 3, marks(8, 8, 8, 8, 8, 8)),
        Scored(2, 3, marks(6, 6, 6, 6, 6, 6)),
        Scored(3, 3, marks(5, 7, 7, 7, 7, 7)),
    ]
    result = compute(CRITERIA, RULES, map(candidate, (1, 2, 3)), counted)
    rows = {r.code: r for r in result.rows}
    assert rows["P01"].flags == ("spread_total", "spread_criterion")
    assert rows["P01"].flag_reasons == {
        "spread_total": Reason(18.0, 12.0),
        "spread_criterion": Reason(6, 4.0, ("ideology", "mechanism")),
    }
    assert rows["P02"].flags == ("few_reviews",)
    assert rows["P02"].flag_reasons["few_reviews"] == Reason(2, 3)
    assert rows["P03"].flags == ()
    assert rows["P03"].spread == 12.0 and rows["P03"].median == 40.0
    # The record: names joined by ';' in the CSV, each with its reason in the table.
    assert next(csv.reader(io.StringIO(ranking.csv_text(result).splitlines()[1])))[-1] == (
        "spread_total;spread_criterion"
    )
    assert ranking.table_lines(result)[1][-1] == (
        "spread_total (18 > 12); spread_criterion (ideology, mechanism: 6 >= 4)"
    )


def test_a_spread_equal_to_the_limit_is_not_above_it_whatever_the_float_product():
    """0.29 × 100 is 28.999999999999996 in floating point: a spread of 29 is not above 29%."""
    one = (Criterion("overall", {"en": "overall"}, {"en": "overall"}, 1.0, 100),)
    rules = replace(RULES, spread_total=0.29)
    counted = [Scored(1, 1, {"overall": 90}), Scored(2, 1, {"overall": 61})]
    [row] = compute(one, rules, [candidate(1)], counted).rows
    assert row.spread == 29.0 and "spread_total" not in row.flags
    counted.append(Scored(3, 1, {"overall": 60}))
    [row] = compute(one, rules, [candidate(1)], counted).rows
    assert row.flag_reasons["spread_total"] == Reason(30.0, 29.0)


def test_rank_moved_when_calibration_moves_a_candidate_three_places_or_more():
    fair = {p: marks(*[10 - p] * 6) for p in range(1, 7)}  # P01 best … P06 worst
    counted = [Scored(r, p, s) for r in range(1, 7) for p, s in fair.items()]
    counted = [s for s in counted if not (s.project_id == 1 and s.reviewer_id > 1)]
    # P01 is reviewed by reviewer 1 alone, who is harsh by 4 points everywhere.
    counted = [
        Scored(s.reviewer_id, s.project_id, {k: v - 4 for k, v in s.scores.items()})
        if s.reviewer_id == 1
        else s
        for s in counted
    ]
    rules = replace(RULES, min_reviews=1)
    rows = {r.code: r for r in compute(CRITERIA, rules, map(candidate, fair), counted).rows}
    moved = rows["P01"]
    assert moved.raw_rank - moved.calibrated_rank >= 3
    assert moved.flags == ("rank_moved",)
    assert moved.flag_reasons["rank_moved"] == Reason(moved.raw_rank - moved.calibrated_rank, 3)
    assert not any("rank_moved" in r.flags for code, r in rows.items() if code != "P01")


# --- properties --------------------------------------------------------------------------------


@st.composite
def panels(draw, *, everyone: bool = False, shift: int = 0):
    """Candidates 1..n, reviewers 1..m, each reviewing a drawn subset (or every candidate);
    scores 0..10 − shift, so that `shift` more still fits the scale."""
    n = draw(st.integers(2, 7))
    m = draw(st.integers(1, 5))
    counted = []
    for reviewer in range(1, m + 1):
        for project in range(1, n + 1):
            if everyone or draw(st.booleans()):
                values = draw(st.lists(st.integers(0, 10 - shift), min_size=6, max_size=6))
                counted.append(Scored(reviewer, project, marks(*values)))
    return n, counted


def scores_of(result: ranking.Ranking) -> dict[int, float | None]:
    return {r.project_id: r.calibrated for r in result.rows}


@settings(max_examples=80, deadline=None)
@given(panels(), st.sampled_from([0.5, 2.0, 3.0, 10.0]))
def test_scaling_every_weight_changes_no_rank(panel, factor):
    """Every total, raw score and calibrated score scales by the factor (the model is
    linear); ranks only change where the 2-decimal rounding that makes ties does: so no order
    is ever reversed, and ranks are equal whenever no two different scores are within 0.02."""
    n, counted = panel
    scaled = tuple(replace(c, weight=c.weight * factor) for c in CRITERIA)
    before = compute(CRITERIA, RULES, map(candidate, range(1, n + 1)), counted)
    after = compute(scaled, RULES, map(candidate, range(1, n + 1)), counted)
    old_scores, new_scores = scores_of(before), scores_of(after)
    for p, s in old_scores.items():
        assert (s is None) == (new_scores[p] is None)
        if s is not None:
            assert new_scores[p] == pytest.approx(s * factor, abs=1e-6)
    old_ranks = {r.project_id: r.rank for r in before.rows}
    new_ranks = {r.project_id: r.rank for r in after.rows}
    for a in old_ranks:
        for b in old_ranks:
            if old_ranks[a] is not None and old_ranks[b] is not None:
                assert not (old_ranks[a] < old_ranks[b] and new_ranks[a] > new_ranks[b])
    values = [v for v in (*old_scores.values(), *new_scores.values()) if v is not None]
    if all(abs(x - y) >= 0.02 for x in values for y in values if x != y):
        assert old_ranks == new_ranks
        assert {r.project_id: r.raw_rank for r in before.rows} == {
            r.project_id: r.raw_rank for r in after.rows
        }


@settings(max_examples=80, deadline=None)
@given(panels(shift=2), st.integers(1, 2), st.data())
def test_a_constant_added_to_one_reviewers_scores_moves_each_calibrated_score_at_most_that(
    panel, points, data
):
    """The bound. The calibration's fixed point is where q_c = mean over c's reviewers of
    (t_rc − b_r) and (n_r + k)·b_r = Σ over r's reviews of (t_rc − q_c) (the ridge solution;
    its biases sum to 0, so re-centring leaves it be). It is linear in the totals, so adding
    Δ = points × Σw to every total of reviewer r0 moves it by the solution for totals Δ on
    r0's reviews and 0 elsewhere: u_c = mean over c's reviewers of (Δ·[r = r0] − v_r),
    v_r = n_r/(n_r + k) × (Δ·[r = r0] − mean of u over r's candidates). With ρ = n/(n + k) < 1
    for k > 0: at the candidate where u is least, were it below 0, every term would be above
    it (ρ·u > u, and Δ(1 − ρ) + ρ·u > u): so u ≥ 0; where u is greatest, were it above Δ,
    every term would be below it: so u ≤ Δ. Each calibrated score moves by 0 to Δ, towards
    the shift (the raw one of a candidate r0 reviewed moves by Δ / its reviews), and r0's
    bias takes n/(n + k) of what is left of Δ over r0's candidates: the shrinkage's share."""
    n, counted = panel
    reviewers = sorted({s.reviewer_id for s in counted})
    assume(reviewers)
    r0 = data.draw(st.sampled_from(reviewers))
    shifted = [
        Scored(s.reviewer_id, s.project_id, {k: v + points for k, v in s.scores.items()})
        if s.reviewer_id == r0
        else s
        for s in counted
    ]
    delta = points * sum(c.weight for c in CRITERIA)
    old = compute(CRITERIA, RULES, map(candidate, range(1, n + 1)), counted)
    new = compute(CRITERIA, RULES, map(candidate, range(1, n + 1)), shifted)
    before, after = scores_of(old), scores_of(new)
    for p, s in before.items():
        if s is not None:
            assert -1e-6 <= after[p] - s <= delta + 1e-6
    mine = [s.project_id for s in counted if s.reviewer_id == r0]
    left = delta - sum(after[p] - before[p] for p in mine) / len(mine)
    taken = new.biases[r0] - old.biases[r0]
    assert taken == pytest.approx(len(mine) / (len(mine) + RULES.shrinkage) * left, abs=1e-6)


@settings(max_examples=50, deadline=None)
@given(panels(everyone=True, shift=2), st.integers(1, 2), st.data())
def test_a_constant_added_to_one_reviewer_changes_no_calibrated_rank_when_all_review_all(
    panel, points, data
):
    """With ≥ 5 candidates and every reviewer reviewing each, every reviewer has ≥ 5 reviews
    and the shift moves every calibrated score alike, by Δ / reviewers (the level is all the
    centred biases can't take): no calibrated rank changes. When reviewers review different
    candidates no rank is promised: see the partial design below."""
    n, counted = panel
    reviewers = sorted({s.reviewer_id for s in counted})
    r0 = data.draw(st.sampled_from(reviewers))
    shifted = [
        Scored(s.reviewer_id, s.project_id, {k: v + points for k, v in s.scores.items()})
        if s.reviewer_id == r0
        else s
        for s in counted
    ]
    listed = [candidate(i) for i in range(1, max(n, 5) + 1)]
    counted += [Scored(r, p, marks(*[p] * 6)) for r in reviewers for p in range(n + 1, 6)]
    shifted += [
        Scored(r, p, marks(*[p + points * (r == r0)] * 6))
        for r in reviewers
        for p in range(n + 1, 6)
    ]
    before = compute(CRITERIA, RULES, listed, counted)
    after = compute(CRITERIA, RULES, listed, shifted)
    level = points * sum(c.weight for c in CRITERIA) / len(reviewers)
    for old, new in zip(before.rows, after.rows, strict=True):
        assert new.calibrated - old.calibrated == pytest.approx(level, abs=1e-6)
    assert [(r.code, r.calibrated_rank) for r in before.rows] == [
        (r.code, r.calibrated_rank) for r in after.rows
    ]


def test_in_a_partial_design_a_constant_can_swap_two_close_candidates():
    """Why the rank is promised only when every reviewer reviews every candidate: here every
    reviewer has 5 or 6 reviews, reviewer 1 adds a point on every criterion (Δ = 6), and P03
    (reviewed by 1) overtakes P06 (not): k = 2 lets a share of the shift through."""
    totals = {
        (1, 1): 40, (1, 2): 48, (1, 3): 30, (1, 4): 41, (1, 5): 31,
        (2, 2): 44, (2, 3): 35, (2, 4): 41, (2, 5): 41, (2, 6): 39,
        (3, 1): 48, (3, 2): 33, (3, 3): 44, (3, 4): 36, (3, 5): 43, (3, 6): 36,
    }  # fmt: skip

    def spelt(total: int, extra: int) -> dict[str, int]:
        return marks(*(total // 6 + (i < total % 6) + extra for i in range(6)))

    listed = [candidate(i) for i in range(1, 7)]
    counted = [Scored(r, p, spelt(t, 0)) for (r, p), t in totals.items()]
    shifted = [Scored(r, p, spelt(t, r == 1)) for (r, p), t in totals.items()]
    before = compute(CRITERIA, RULES, listed, counted)
    after = compute(CRITERIA, RULES, listed, shifted)
    order = [r.code for r in before.rows]
    assert order.index("P06") < order.index("P03")
    order = [r.code for r in after.rows]
    assert order.index("P03") < order.index("P06")


@settings(max_examples=80, deadline=None)
@given(panels(), st.randoms(use_true_random=False))
def test_a_permutation_of_reviewers_or_candidates_changes_nothing(panel, rng):
    """Reviewer ids renumbered, project ids renumbered (codes kept), both lists shuffled: the
    same rows, bit for bit, and the same biases under the new numbers."""
    n, counted = panel
    reviewers = sorted({s.reviewer_id for s in counted})
    new_reviewer = dict(zip(reviewers, rng.sample(range(100, 200), len(reviewers)), strict=True))
    new_project = dict(zip(range(1, n + 1), rng.sample(range(300, 400), n), strict=True))
    listed = [candidate(i) for i in range(1, n + 1)]
    moved_listed = [c._replace(project_id=new_project[c.project_id]) for c in listed]
    moved = [Scored(new_reviewer[r], new_project[p], s) for r, p, s in counted]
    rng.shuffle(moved_listed)
    rng.shuffle(moved)
    before = compute(CRITERIA, RULES, listed, counted)
    after = compute(CRITERIA, RULES, moved_listed, moved)
    assert [replace(r, project_id=new_project[r.project_id]) for r in before.rows] == list(
        after.rows
    )
    assert {new_reviewer[r]: b for r, b in before.biases.items()} == dict(after.biases)


@settings(max_examples=80, deadline=None)
@given(panels())
def test_ties_stay_ties(panel):
    """A candidate reviewed exactly as another (the same reviewers, the same scores) has the
    same scores to the last bit, shares its ranks, and the next rank skips one."""
    n, counted = panel
    twin = n + 1
    counted = counted + [Scored(r, twin, s) for r, p, s in counted if p == 1]
    result = compute(CRITERIA, RULES, map(candidate, range(1, twin + 1)), counted)
    one, two = result.row(1), result.row(twin)
    assert (one.raw, one.calibrated, one.median, one.spread) == (
        two.raw,
        two.calibrated,
        two.median,
        two.spread,
    )
    assert (one.rank, one.raw_rank, one.calibrated_rank) == (
        two.rank,
        two.raw_rank,
        two.calibrated_rank,
    )
    if one.rank is not None:
        assert not any(r.rank == one.rank + 1 for r in result.rows)


# --- load and the CLI, on a real SQLite file -----------------------------------------------------


@pytest.fixture
async def db(tmp_path):
    """Four candidates in two units and a non-candidate project; reviewers 1–4."""
    db = await Database.open(tmp_path / "ranking.db")
    try:
        async with db.transaction(NOW) as tx:
            for user in range(1, 5):
                await people.expect(tx, user)
            await orgs.import_rows(
                tx,
                [
                    OrgRow(2, "U1", "一支部", "P1", "项目一"),
                    OrgRow(3, "U1", "一支部", "P2", "项目二"),
                    OrgRow(4, "U2", "二支部", "P3", "项目三"),
                    OrgRow(5, "U2", "二支部", "P4", "项目四"),
                    OrgRow(6, "U2", "二支部", "P5", "not a candidate"),
                ],
                None,
            )
            await tx.execute(
                "INSERT INTO applications (project_id, status, created_by, created_at,"
                " updated_at) SELECT id, 'accepted', 1, ?, ? FROM projects WHERE code != 'P5'",
                (tx.stamp, tx.stamp),
            )
        yield db
    finally:
        await db.close()


async def reviewed(db: Database, scores: dict[tuple[int, str], int | None]) -> dict:
    """Reviews assigned and, where a value is given, submitted with it on every criterion."""
    ids = {r["code"]: r["id"] for r in await db.fetch_all("SELECT code, id FROM projects")}
    async with db.transaction(NOW) as tx:
        await reviews.assign(tx, {(u, ids[c]) for u, c in scores}, by=None)
        found = {}
        for (user, code), value in scores.items():
            review = await reviews.of(tx, user, ids[code])
            found[(user, code)] = review.id
            if value is not None:
                values = marks(*[value] * 6)
                await reviews.submit(tx, review.id, KEYS, by=user, scores=values)
    return found


async def test_load_counts_only_submitted_reviews_of_candidates(db):
    found = await reviewed(
        db,
        {
            (1, "P1"): 9, (2, "P1"): 8, (3, "P1"): 7, (4, "P1"): 1,
            (1, "P2"): 6, (2, "P2"): 6, (3, "P2"): None,
            (1, "P3"): 8, (2, "P3"): 8, (3, "P3"): 8,
            (1, "P5"): 10,
        },
    )  # fmt: skip
    async with db.transaction(NOW) as tx:
        await reviews.recuse(tx, found[(4, "P1")], "conflict", by=4)  # submitted, then recused
        await reviews.set_score(tx, found[(3, "P2")], "ideology", 0)  # a draft: not counted
    result = await ranking.load(db, load_campaign())
    rows = {r.code: r for r in result.rows}
    assert [r.code for r in result.rows] == ["P1", "P3", "P2", "P4"]
    assert (rows["P1"].reviews, rows["P1"].assigned, rows["P1"].raw) == (3, 3, 48.0)
    assert (rows["P2"].reviews, rows["P2"].assigned, rows["P2"].raw) == (2, 3, 36.0)
    assert (rows["P4"].reviews, rows["P4"].assigned, rows["P4"].rank) == (0, 0, None)
    assert (rows["P1"].unit_code, rows["P1"].unit, rows["P1"].project) == ("U1", "一支部", "项目一")
    assert rows["P2"].flags == ("few_reviews",)
    assert "P5" not in rows and set(result.biases) == {1, 2, 3}
    assert sorted(
        (c.reviewer_id, c.project_id, dict(c.scores)) for c in await reviews.counted(db)
    ) == sorted((r.reviewer_id, r.project_id, s) for r, s in await reviews.submitted_reviews(db))


async def test_pacesetter_ranking_prints_the_table_and_the_csv(db, tmp_path, monkeypatch, capsys):
    await reviewed(
        db,
        {
            (1, "P1"): 9, (2, "P1"): 8, (3, "P1"): 7,
            (1, "P2"): 6, (2, "P2"): 6,
            (1, "P3"): 8, (2, "P3"): 8, (3, "P3"): 8,
        },
    )  # fmt: skip
    monkeypatch.setenv("PACESETTER_DB", str(tmp_path / "ranking.db"))
    assert await asyncio.to_thread(cli.main, ["ranking", "--csv"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("\ufeff" + HEADER + "\n")  # the mark Excel and WPS read UTF-8 by
    assert list(csv.reader(io.StringIO(printed.removeprefix("\ufeff"))))[1:] == [
        ["1", "1", "P1", "项目一", "U1", "48.0000", "48.0000", "48.0000", "12.0000", "3", ""],
        ["1", "1", "P3", "项目三", "U2", "48.0000", "48.0000", "48.0000", "0.0000", "3", ""],
        ["3", "3", "P2", "项目二", "U1", "35.2500", "36.0000", "36.0000", "0.0000", "2",
         "few_reviews"],
        ["", "", "P4", "项目四", "U2", "", "", "", "", "0", "few_reviews"],
    ]  # fmt: skip
    assert await asyncio.to_thread(cli.main, ["ranking"]) == 0
    table = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert table == [
        HEADER.split(","),
        ["1", "1", "P1", "项目一", "U1", "48.00", "48.00", "48.00", "12.00", "3/3", "-"],
        ["1", "1", "P3", "项目三", "U2", "48.00", "48.00", "48.00", "0.00", "3/3", "-"],
        ["3", "3", "P2", "项目二", "U1", "35.25", "36.00", "36.00", "0.00", "2/2",
         "few_reviews (2 < 3)"],
        ["-", "-", "P4", "项目四", "U2", "-", "-", "-", "-", "0/0", "few_reviews (0 < 3)"],
    ]  # fmt: skip


async def test_pacesetter_ranking_says_when_there_is_no_candidate(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PACESETTER_DB", str(tmp_path / "empty.db"))
    assert await asyncio.to_thread(cli.main, ["ranking", "--csv"]) == 0
    printed = capsys.readouterr()
    assert (
        printed.out
        == "\ufeffrank,raw_rank,code,project,unit,calibrated,raw,median,spread,reviews,flags\n"
    )
    assert "no candidate yet" in printed.err


def test_the_calibration_stops_at_its_fixed_point_with_biases_averaging_zero():
    rng = random.Random(7)
    counted = [
        (r, p, float(rng.randint(18, 60)))
        for p in range(1, 76)
        for r in rng.sample(range(1, 21), 5)
    ]
    quality, bias = ranking.calibrate(counted, 2.0)
    for p, q in quality.items():
        mine = [t - bias[r] for r, c, t in counted if c == p]
        assert q == pytest.approx(sum(mine) / len(mine), abs=1e-8)
    for r, b in bias.items():
        mine = [t - quality[c] for q, c, t in counted if q == r]
        assert b == pytest.approx(sum(mine) / (len(mine) + 2.0), abs=1e-8)
    assert abs(sum(bias.values())) < 1e-9
