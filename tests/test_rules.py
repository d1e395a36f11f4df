from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.applications import next_waiting, summary
from bot.campaign import Localized, QuietHours, Quota, Stage
from bot.campaign_load import load_campaign
from bot.rules import (
    amount_in,
    in_quiet_hours,
    parse_amount,
    read_budget,
    reminder_times,
    shift_out_of_quiet_hours,
    unit_in_heading,
    unit_quota,
)
from storage.applications import Answer, Application, Listed, Part

SHANGHAI = ZoneInfo("Asia/Shanghai")
SEED_QUOTA = Quota(Fraction(1, 10), "ceil", 1)

# --- quota -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("projects", "allowed"), [(0, 0), (1, 1), (5, 1), (9, 1), (10, 1), (11, 2), (20, 2), (25, 3)]
)
def test_seed_quota(projects: int, allowed: int) -> None:
    assert unit_quota(projects, SEED_QUOTA) == allowed
    assert unit_quota(projects, load_campaign().quota) == allowed


@pytest.mark.parametrize(
    ("rounding", "projects", "allowed"),
    [
        ("floor", 10, 1),  # exact: 0.1 × 10 is 1, not 1.0000000000000002
        ("floor", 19, 1),
        ("round", 15, 2),  # half up
        ("round", 25, 3),  # half up, where Python's round() would give 2
        ("round", 14, 1),
        ("ceil", 30, 3),
        ("ceil", 70, 7),
    ],
)
def test_rounding_is_exact(rounding: str, projects: int, allowed: int) -> None:
    assert unit_quota(projects, Quota(Fraction(1, 10), rounding, 0)) == allowed


def test_float_and_decimal_ratios_are_exact() -> None:
    assert unit_quota(10, Quota(0.1, "ceil", 0)) == 1  # type: ignore[arg-type]
    assert unit_quota(30, Quota(Decimal("0.1"), "ceil", 0)) == 3  # type: ignore[arg-type]


def test_minimum_never_exceeds_the_projects() -> None:
    assert unit_quota(2, Quota(Fraction(1, 10), "ceil", 5)) == 2
    assert unit_quota(0, Quota(Fraction(1, 10), "ceil", 5)) == 0


def test_bad_input() -> None:
    with pytest.raises(ValueError):
        unit_quota(-1, SEED_QUOTA)
    with pytest.raises(ValueError):
        unit_quota(5, Quota(Fraction(1, 10), "banker", 1))


ratios = st.fractions(min_value=Fraction(1, 1000), max_value=1).filter(lambda r: r > 0)
quotas = st.builds(
    Quota,
    ratio=ratios,
    rounding=st.sampled_from(["ceil", "floor", "round"]),
    minimum=st.integers(0, 20),
)
counts = st.integers(0, 5000)


@given(quotas, counts, counts)
def test_quota_is_monotonic(quota: Quota, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert unit_quota(low, quota) <= unit_quota(high, quota)


@given(quotas, counts)
def test_quota_bounds(quota: Quota, count: int) -> None:
    allowed = unit_quota(count, quota)
    assert 0 <= allowed <= count
    if count > 0:
        assert allowed >= min(quota.minimum, count)
    if count >= quota.minimum:
        assert allowed >= quota.minimum


@given(ratios, st.integers(0, 20), counts)
def test_floor_round_ceil_are_ordered(ratio: Fraction, minimum: int, count: int) -> None:
    floor, round_, ceil = (
        unit_quota(count, Quota(ratio, rounding, minimum))
        for rounding in ("floor", "round", "ceil")
    )
    assert floor <= round_ <= ceil


# --- reminders -------------------------------------------------------------------------------

TITLE = Localized({"zh-Hant": "甲", "zh-Hans": "甲", "en": "A"})


def stage(opens: datetime, deadline: datetime, *remind: timedelta) -> Stage:
    return Stage("apply", TITLE, opens, deadline, tuple(remind))


def test_reminder_times_of_the_seed_apply_stage() -> None:
    apply = load_campaign().stage("apply")
    deadline = datetime(2027, 1, 15, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai
    assert reminder_times(apply) == [
        deadline - timedelta(days=7),
        deadline - timedelta(days=3),
        deadline - timedelta(days=1),
        deadline - timedelta(hours=2),
    ]
    assert all(t.tzinfo is UTC for t in reminder_times(apply))


def test_reminders_before_opening_are_dropped_and_duplicates_merged() -> None:
    opens = datetime(2027, 1, 10, 1, 0, tzinfo=UTC)
    deadline = datetime(2027, 1, 15, 10, 0, tzinfo=SHANGHAI)
    s = stage(
        opens,
        deadline,
        timedelta(hours=2),
        timedelta(days=7),
        timedelta(hours=24),
        timedelta(days=1),
    )
    assert reminder_times(s) == [
        datetime(2027, 1, 14, 2, 0, tzinfo=UTC),
        datetime(2027, 1, 15, 0, 0, tzinfo=UTC),
    ]
    # A reminder exactly at opening is dropped too: the opening announcement covers it.
    assert reminder_times(stage(opens, opens + timedelta(days=1), timedelta(days=1))) == []
    assert reminder_times(stage(opens, deadline)) == []


# --- quiet hours -----------------------------------------------------------------------------

NIGHT = QuietHours(time(22, 0), time(8, 0))
LUNCH = QuietHours(time(12, 0), time(14, 0))


def sh(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 1, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (sh(14, 12, 0), sh(14, 12, 0)),  # daytime: unchanged
        (sh(14, 21, 59), sh(14, 21, 59)),
        (sh(14, 22, 0), sh(15, 8, 0)),  # quiet starts: to tomorrow morning
        (sh(14, 23, 30), sh(15, 8, 0)),
        (sh(15, 0, 0), sh(15, 8, 0)),  # after midnight: to this morning
        (sh(15, 3, 15), sh(15, 8, 0)),
        (sh(15, 7, 59), sh(15, 8, 0)),
        (sh(15, 8, 0), sh(15, 8, 0)),  # quiet has ended
        (sh(31, 23, 0), datetime(2027, 2, 1, 8, 0, tzinfo=SHANGHAI)),  # over a month end
    ],
)
def test_night_quiet_hours_wrap_midnight(moment: datetime, expected: datetime) -> None:
    shifted = shift_out_of_quiet_hours(moment, NIGHT, SHANGHAI)
    assert shifted == expected
    assert shifted.tzinfo is UTC


def test_utc_input_is_judged_in_local_time() -> None:
    # 15:30 UTC is 23:30 in Shanghai: quiet, so 08:00 Shanghai, which is 00:00 UTC.
    moment = datetime(2027, 1, 14, 15, 30, tzinfo=UTC)
    assert shift_out_of_quiet_hours(moment, NIGHT, SHANGHAI) == datetime(
        2027, 1, 15, 0, 0, tzinfo=UTC
    )
    # 03:00 UTC is 11:00 in Shanghai: not quiet.
    noon = datetime(2027, 1, 14, 3, 0, tzinfo=UTC)
    assert shift_out_of_quiet_hours(noon, NIGHT, SHANGHAI) == noon


def test_quiet_period_within_one_day() -> None:
    assert shift_out_of_quiet_hours(sh(14, 12, 30), LUNCH, SHANGHAI) == sh(14, 14, 0)
    assert shift_out_of_quiet_hours(sh(14, 11, 59), LUNCH, SHANGHAI) == sh(14, 11, 59)
    assert shift_out_of_quiet_hours(sh(14, 23, 0), LUNCH, SHANGHAI) == sh(14, 23, 0)


def test_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError):
        shift_out_of_quiet_hours(datetime(2027, 1, 14, 23, 0), NIGHT, SHANGHAI)


moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
)
clocks = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@given(moments, clocks, clocks)
def test_shift_lands_outside_quiet_hours_soon_after(
    moment: datetime, start: time, end: time
) -> None:
    quiet = QuietHours(start, end)
    shifted = shift_out_of_quiet_hours(moment, quiet, SHANGHAI)
    assert shifted >= moment
    assert shifted - moment <= timedelta(hours=24)
    assert not in_quiet_hours(shifted, quiet, SHANGHAI)
    assert shift_out_of_quiet_hours(shifted, quiet, SHANGHAI) == shifted
    if not in_quiet_hours(moment, quiet, SHANGHAI):
        assert shifted == moment


# --- amounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("125000", "125000"),
        ("12.5万", "125000"),
        ("12.5 萬", "125000"),
        ("125,000 元", "125000"),
        ("125，000元", "125000"),
        ("¥125000", "125000"),
        ("￥125,000.00", "125000"),
        ("１２５０００", "125000"),
        ("1.2亿", "120000000"),
        ("3千", "3000"),
        ("5万元", "50000"),
        ("5 万 元", "50000"),
        ("RMB 3k", "3000"),
        ("12.34元", "12.34"),
        ("  800 ", "800"),
        ("0", "0"),
    ],
)
def test_parse_amount(text: str, amount: str) -> None:
    parsed = parse_amount(text)
    assert parsed == Decimal(amount)
    assert str(parsed) == amount


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "-5",
        "-5万",
        "万",
        "12.5.3",
        "1,2345",
        "5 apples",
        "1e6",
        "NaN",
        "12万万",
        "9" * 30,
    ],
)
def test_parse_amount_refuses_nonsense(text: str) -> None:
    assert parse_amount(text) is None


@given(st.text(max_size=30))
def test_parse_amount_never_raises(text: str) -> None:
    result = parse_amount(text)
    assert result is None or result >= 0


@given(st.integers(0, 10**12))
def test_parse_amount_round_trips_integers(n: int) -> None:
    assert parse_amount(str(n)) == n
    assert parse_amount(f"{n:,}元") == n


def _waiting(*ids: int):
    stamp = datetime(2026, 12, 1, tzinfo=UTC)
    return [
        Listed(
            Application(i, i, "nominated", None, 1, stamp + timedelta(hours=i), None, None, 1),
            f"P{i}",
        )
        for i in ids
    ]


def test_next_waiting_walks_on_in_submission_order_and_comes_round():
    three = _waiting(1, 2, 3)
    current = {item.application.id: item.application for item in three}
    assert next_waiting(three, current[1]).application.id == 2
    assert next_waiting(three, current[3]).application.id == 1  # round to the first
    decided = _waiting(1, 2, 3)[1].application  # 2 decided: no longer waiting
    assert next_waiting(_waiting(1, 3), decided).application.id == 3
    assert next_waiting(_waiting(2), current[2]) is None  # only itself
    assert next_waiting([], current[2]) is None


def test_summary_counts_only_required_sections_as_missing():
    sections = load_campaign().sections
    optional = [s for s in sections if not s.required]
    assert optional  # the built-in campaign has an optional section to skip

    def answered(section):
        if section.kind == "number":
            return Answer(section.key, "done", Decimal(5), (Part(1, 1, "text", "5"),))
        if section.kind == "files":
            return Answer(section.key, "done", None, (Part(1, 2, "photo", "", "f"),))
        return Answer(section.key, "done", None, (Part(1, 3, "text", "words"),))

    required_only = {s.key: answered(s) for s in sections if s.required}
    skipped = required_only | {s.key: Answer(s.key, "skipped", None, ()) for s in optional}
    complete = summary(sections, skipped)
    assert complete.required_missing == 0
    assert complete.answered == len(sections) - len(optional)
    first = next(s for s in sections if s.required)
    partial = summary(sections, {k: a for k, a in skipped.items() if k != first.key})
    assert partial.required_missing == 1
    assert summary(sections, {}).required_missing == sum(s.required for s in sections)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("总额：12.5万元，其中活动经费5万。", Decimal("125000")),
        ("费用合计 ¥3万", Decimal("30000")),
        ("全角数字１２万", Decimal("120000")),
        ("人民币8千元整", Decimal("8000")),
        ("待定", None),
    ],
)
def test_an_amount_is_found_inside_a_longer_text(text, amount):
    assert amount_in(text) == amount


@pytest.mark.parametrize(
    ("text", "unit", "amount", "sure"),
    [
        ("12.5", 10_000, "125000", True),  # under "经费预算（万元）"
        ("12.5万元", 10_000, "125000", True),  # its own unit
        ("第一季度1.5万元……第四季度1.5万元，合计6万元", 1, "60000", True),
        ("总计：60,000元（其中培训2万元）", 1, "60000", True),
        ("12.5万元，其中培训3万元、活动9.5万元", 1, "125000", True),  # the others add up to it
        ("2027年组织32名党员培训，需3万元", 1, "30000", True),  # years and people are no money
        ("培训费2万元，活动经费3万元", 1, "20000", False),  # several, no total: ask
        ("12.5", 1, "12.5", False),  # below 100 元
        ("2亿元", 1, "200000000", False),  # above 10 million
    ],
)
def test_a_budget_is_read_in_the_headings_unit_preferring_the_total(text, unit, amount, sure):
    budget = read_budget(text, Decimal(unit))
    assert budget is not None
    assert (budget.amount, budget.sure) == (Decimal(amount), sure)


def test_a_text_without_an_amount_is_no_budget():
    assert read_budget("待定") is None


@pytest.mark.parametrize(
    ("heading", "unit"),
    [
        ("经费预算（万元）", 10_000),
        ("經費預算(萬元)", 10_000),
        ("经费预算（单位：千元）", 1_000),
        ("经费预算（元）", 1),
        ("经费预算", 1),
    ],
)
def test_the_unit_of_a_budget_is_read_from_its_heading(heading, unit):
    assert unit_in_heading(heading) == unit
